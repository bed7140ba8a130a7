/*
 * spool.c -- upload job records: their text form and their names.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "spool.h"

#define SPOOL_MAGIC	"crashtrail-upload-job 1"

static const char *const spool_files[SPOOL_FILE_MAX] = {
	"stderr", "stdout", "report"
};

static int	spool_value(char *, size_t, const char *, size_t);
static int	spool_uint(const char *, size_t, uint64_t *);

const char *
spool_file_name(enum spool_file f)
{
	return (unsigned)f < SPOOL_FILE_MAX ? spool_files[f] : "?";
}

int
spool_format(const struct spool_rec *r, char *buf, size_t cap)
{
	int	n;

	if ((unsigned)r->file >= SPOOL_FILE_MAX || strchr(r->path, '\n') ||
	    strchr(r->cause, '\n') || r->path[0] != '/')
		return -1;
	n = snprintf(buf, cap, SPOOL_MAGIC "\nfile=%s\npath=%s\nrun_id=%s\n"
	    "instance_id=%s\nrunner_id=%s\ncause=%s\ncreated=%lld\n",
	    spool_files[r->file], r->path, r->run_id, r->instance_id,
	    r->runner_id, r->cause, (long long)r->created);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	if (r->has_sha) {
		int m = snprintf(buf + n, cap - (size_t)n,
		    "sha256=%s\nsize=%llu\n", r->sha256,
		    (unsigned long long)r->size);
		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return -1;
		n += m;
	}
	return n;
}

/* v[0..n) into out[cap] as a string: -1 when it does not fit. */
static int
spool_value(char *out, size_t cap, const char *v, size_t n)
{
	if (n >= cap || memchr(v, '\0', n) != NULL)
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

/* 1*DIGIT, no overflow. */
static int
spool_uint(const char *v, size_t n, uint64_t *out)
{
	uint64_t	x = 0;
	size_t		i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

int
spool_parse(const char *buf, size_t n, struct spool_rec *r, const char **err)
{
	enum { F_FILE = 1, F_PATH = 2, F_RUN = 4, F_INST = 8, F_RUNNER = 16,
	    F_CAUSE = 32, F_CREATED = 64, F_SHA = 128, F_SIZE = 256 };
	const char	*p = buf, *end = buf + n, *nl, *eq;
	size_t		 klen, vlen, mlen = sizeof(SPOOL_MAGIC) - 1;
	uint64_t	 u = 0;
	unsigned	 seen = 0, bit;
	int		 f, bad;

	memset(r, 0, sizeof(*r));
	if (n < mlen + 1 || memcmp(buf, SPOOL_MAGIC "\n", mlen + 1) != 0) {
		*err = "not a version 1 upload job record";
		return -1;
	}
	for (p += mlen + 1; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			*err = "record is cut short (no final newline)";
			return -1;
		}
		if ((eq = memchr(p, '=', (size_t)(nl - p))) == NULL) {
			*err = "a line is not key=value";
			return -1;
		}
		klen = (size_t)(eq - p);
		vlen = (size_t)(nl - eq - 1);
		eq++;
#define KEY(s)	(klen == sizeof(s) - 1 && memcmp(p, s, klen) == 0)
		bad = 0;
		if (KEY("file")) {
			bit = F_FILE;
			for (f = 0; f < SPOOL_FILE_MAX; f++)
				if (strlen(spool_files[f]) == vlen &&
				    memcmp(spool_files[f], eq, vlen) == 0)
					break;
			bad = f == SPOOL_FILE_MAX;
			r->file = (enum spool_file)f;
		} else if (KEY("path")) {
			bit = F_PATH;
			bad = spool_value(r->path, sizeof(r->path), eq, vlen) ||
			    r->path[0] != '/';
		} else if (KEY("run_id")) {
			bit = F_RUN;
			bad = spool_value(r->run_id, sizeof(r->run_id), eq,
			    vlen) || id_check(r->run_id, RUN_ID_MAX) != NULL;
		} else if (KEY("instance_id")) {
			bit = F_INST;
			bad = spool_value(r->instance_id,
			    sizeof(r->instance_id), eq, vlen) ||
			    id_check(r->instance_id, ID_MAX) != NULL;
		} else if (KEY("runner_id")) {
			bit = F_RUNNER;
			bad = spool_value(r->runner_id, sizeof(r->runner_id),
			    eq, vlen) || id_check(r->runner_id, ID_MAX) != NULL;
		} else if (KEY("cause")) {
			bit = F_CAUSE;
			bad = spool_value(r->cause, sizeof(r->cause), eq, vlen);
		} else if (KEY("created")) {
			bit = F_CREATED;
			bad = spool_uint(eq, vlen, &u) || u > INT64_MAX;
			r->created = (int64_t)u;
		} else if (KEY("sha256")) {
			bit = F_SHA;
			bad = vlen != 64 || strspn(eq, "0123456789abcdef") < 64;
			if (!bad)
				(void)spool_value(r->sha256, sizeof(r->sha256),
				    eq, vlen);
		} else if (KEY("size")) {
			bit = F_SIZE;
			bad = spool_uint(eq, vlen, &r->size);
		} else {
			*err = "unknown key";
			return -1;
		}
#undef KEY
		if (bad) {
			*err = "a value is malformed";
			return -1;
		}
		if (seen & bit) {
			*err = "a key is repeated";
			return -1;
		}
		seen |= bit;
	}
	if ((seen & 0x7f) != 0x7f) {
		*err = "a required key is missing";
		return -1;
	}
	if (!!(seen & F_SHA) != !!(seen & F_SIZE)) {
		*err = "sha256 and size come together";
		return -1;
	}
	r->has_sha = (seen & F_SHA) != 0;
	return 0;
}

int
spool_name(char *buf, size_t cap, int64_t created_us,
    const struct spool_rec *r)
{
	int	n = snprintf(buf, cap, "%lld-%s.%s.job", (long long)created_us,
		    r->run_id, spool_file_name(r->file));

	return n < 0 || (size_t)n >= cap ? -1 : n;
}
