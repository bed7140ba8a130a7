/*
 * recover.c -- write the death reports a killed crashtrail left unwritten.
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "json.h"
#include "log.h"
#include "logstore.h"
#include "recover.h"
#include "upload.h"

static int	recover_one(struct logstore *, const char *, size_t);
static const char *recover_last(const char *, size_t, const char *);
static void	recover_upload(const char *, const char *, size_t);

/* The last occurrence of `key` in p[0..n), or NULL. */
static const char *
recover_last(const char *p, size_t n, const char *key)
{
	const char	*hit = NULL, *q = p;
	size_t		 klen = strlen(key);

	while ((q = memmem(q, n - (size_t)(q - p), key, klen)) != NULL) {
		hit = q;
		q += klen;
	}
	return hit;
}

/*
 * One runner_failed envelope: {"seq":..,...,"data":{<report>}}.  The
 * report's own stderr_log.path names the files; it is the last such key
 * (a runner's termination report, raw JSON, comes before it), and it must
 * be a group the log store knows, so nothing in an event can make us
 * write anywhere else.
 */
static int
recover_one(struct logstore *ls, const char *env, size_t len)
{
	static const char	 pkey[] = "\"stderr_log\":{\"path\":\"";
	static const char	 dkey[] = "\"data\":{";
	const char		*d, *p, *q, *sfx = logstore_suffix(LS_STDERR);
	struct ls_entry		*e;
	struct stat		 st;
	char			 path[PATH_MAX], rpath[PATH_MAX + 32];
	char			 tmp[PATH_MAX + 48];
	size_t			 plen, dlen, slen = strlen(sfx);
	int			 fd;

	if ((d = memmem(env, len, dkey, sizeof(dkey) - 1)) == NULL ||
	    len < 2 || env[len - 1] != '}')
		return 0;
	d += sizeof(dkey) - 2;			/* at the '{' */
	dlen = (size_t)(env + len - 1 - d);	/* without the envelope's '}' */
	if ((p = recover_last(d, dlen, pkey)) == NULL)
		return 0;			/* no log, no place for it */
	p += sizeof(pkey) - 1;
	if ((q = memchr(p, '"', (size_t)(d + dlen - p))) == NULL ||
	    json_unescape(p, (size_t)(q - p), path, sizeof(path), &plen) ==
	    -1 || plen <= slen || strcmp(path + plen - slen, sfx) != 0)
		return 0;
	path[plen - slen] = '\0';		/* the group's base */
	if ((e = logstore_find(ls, path)) == NULL)
		return 0;
	snprintf(rpath, sizeof(rpath), "%s%s", path,
	    logstore_suffix(LS_REPORT));
	if (stat(rpath, &st) == 0 || errno != ENOENT)
		return 0;			/* written, or not ours to say */
	snprintf(tmp, sizeof(tmp), "%s.recover", rpath);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) ==
	    -1) {
		log_warn("%s: open %s", __func__, tmp);
		return 0;
	}
	if (write(fd, d, dlen) != (ssize_t)dlen || write(fd, "\n", 1) != 1 ||
	    fsync(fd) == -1) {
		log_warn("%s: write %s", __func__, tmp);
		close(fd);
		unlink(tmp);
		return 0;
	}
	close(fd);
	if (rename(tmp, rpath) == -1) {
		log_warn("%s: rename %s", __func__, tmp);
		unlink(tmp);
		return 0;
	}
	logstore_mark(e, LS_REPORT);
	(void)logstore_charge(ls, e, dlen + 1);
	log_warnx("%s: death report written from the journal (crashtrail "
	    "was killed before it wrote it; the log was not hashed)", rpath);
	recover_upload(path, d, dlen);
	return 1;
}

/*
 * The run's upload jobs, which that crashtrail made (if at all) only
 * after the report: ids and cause from the report's first members of
 * those names (report.c writes them before anything nested).
 */
static void
recover_upload(const char *base, const char *d, size_t dlen)
{
	static const char *const keys[] = { "\"run_id\":\"",
	    "\"instance_id\":\"", "\"runner_id\":\"", "\"cause\":\"" };
	char		 val[4][RUN_ID_MAX + 1];
	const char	*p, *q;
	size_t		 i, n;
	struct upload_src src;

	for (i = 0; i < 4; i++) {
		if ((p = memmem(d, dlen, keys[i], strlen(keys[i]))) == NULL)
			return;
		p += strlen(keys[i]);
		if ((q = memchr(p, '"', (size_t)(d + dlen - p))) == NULL ||
		    json_unescape(p, (size_t)(q - p), val[i], sizeof(val[i]),
		    &n) == -1)
			return;
	}
	memset(&src, 0, sizeof(src));
	src.base = base;
	src.run_id = val[0];
	src.instance_id = val[1];
	src.runner_id = val[2];
	src.cause = val[3];
	upload_run_ended(&src, ~0u);
}

int
recover_reports(struct logstore *ls, size_t max_record)
{
	struct ev_view	 v;
	uint64_t	 seq;
	char		*buf;
	int		 n = 0;

	if (events_oldest() == 0)
		return 0;
	if ((buf = malloc(max_record)) == NULL)
		fatal("%s", __func__);
	for (seq = events_oldest(); seq <= events_latest(); seq++) {
		if (events_get(seq, &v) == -1 ||
		    strcmp(v.type, "runner_failed") != 0 ||
		    v.n1 + v.n2 > max_record)
			continue;
		memcpy(buf, v.p1, v.n1);
		memcpy(buf + v.n1, v.p2, v.n2);
		n += recover_one(ls, buf, v.n1 + v.n2);
	}
	free(buf);
	return n;
}

int
recover_run_ended(const char *run_id)
{
	struct ev_view	 v;
	uint64_t	 seq;
	char		 head[512], key[RUN_ID_MAX + 16];
	size_t		 n, klen;
	const char	*d;

	klen = (size_t)snprintf(key, sizeof(key), "\"run_id\":\"%s\"", run_id);
	if (klen >= sizeof(key) || events_oldest() == 0)
		return 0;
	for (seq = events_oldest(); seq <= events_latest(); seq++) {
		if (events_get(seq, &v) == -1 ||
		    (strcmp(v.type, "runner_failed") != 0 &&
		    strcmp(v.type, "runner_exited") != 0))
			continue;
		/* The envelope's own ids come before its data. */
		n = v.n1 < sizeof(head) ? v.n1 : sizeof(head);
		memcpy(head, v.p1, n);
		if (n < sizeof(head)) {
			size_t m = v.n2 < sizeof(head) - n ? v.n2 :
			    sizeof(head) - n;

			memcpy(head + n, v.p2, m);
			n += m;
		}
		if ((d = memmem(head, n, "\"data\":", 7)) != NULL)
			n = (size_t)(d - head);
		if (memmem(head, n, key, klen) != NULL)
			return 1;
	}
	return 0;
}
