/*
 * logfile.c -- raw per-run output files with caps and failure accounting.
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "logfile.h"
#include "logstore.h"
#include "syncer.h"
#include "timefmt.h"

static void	logfile_stop(struct logfile *, const char *, int);

int
logfile_base(char *out, size_t len, const char *root, const char *instance,
    const char *runner, int64_t t_us)
{
	char	ts[TIMEFMT_MAX];
	int	n;

	n = snprintf(out, len, "%s/%s", root, instance);
	if (n < 0 || (size_t)n >= len)
		goto toolong;
	if (mkdir(out, 0750) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", out);
		return -1;
	}
	n = snprintf(out, len, "%s/%s/%s", root, instance, runner);
	if (n < 0 || (size_t)n >= len)
		goto toolong;
	if (mkdir(out, 0750) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", out);
		return -1;
	}
	timefmt_file(ts, sizeof(ts), t_us);
	n = snprintf(out, len, "%s/%s/%s/%s", root, instance, runner, ts);
	if (n < 0 || (size_t)n >= len)
		goto toolong;
	return 0;
toolong:
	log_warnx("%s: path under %s is too long", __func__, root);
	return -1;
}

int
logfile_open(struct logfile *lf, const char *base, unsigned bit,
    uint64_t cap, struct logstore *ls, struct ls_entry *e)
{
	int	n;

	memset(lf, 0, sizeof(*lf));
	lf->fd = -1;
	lf->cap = cap;
	lf->bit = bit;
	lf->store = ls;
	lf->entry = e;
	n = snprintf(lf->path, sizeof(lf->path), "%s%s", base,
	    logstore_suffix(bit));
	if (n < 0 || (size_t)n >= sizeof(lf->path)) {
		log_warnx("%s: path too long", __func__);
		logfile_stop(lf, "path too long", ENAMETOOLONG);
		return -1;
	}
	lf->fd = open(lf->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC, 0640);
	if (lf->fd == -1) {
		log_warn("open %s", lf->path);
		logfile_stop(lf, "open failed", errno);
		return -1;
	}
	if (e != NULL)
		logstore_mark(e, bit);
	return 0;
}

static void
logfile_stop(struct logfile *lf, const char *why, int err)
{
	if (lf->stopped)
		return;
	lf->stopped = 1;
	lf->why = why;
	lf->err = err;
	if (lf->fd != -1)
		log_warnx("%s: %s%s%s after %llu bytes; later bytes are "
		    "counted as dropped, the in-memory tail keeps them",
		    lf->path, why, err ? ": " : "", err ? strerror(err) : "",
		    (unsigned long long)lf->size);
}

void
logfile_write(struct logfile *lf, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	if (lf->stopped || lf->fd == -1) {
		lf->dropped += len;
		return;
	}
	if (lf->cap > 0 && lf->size + len > lf->cap) {
		size_t fits = (size_t)(lf->cap - lf->size);

		logfile_write(lf, buf, fits);
		lf->dropped += len - fits;
		logfile_stop(lf, "per-file cap (log_max_bytes) reached", 0);
		return;
	}
	if (lf->store != NULL && lf->entry != NULL &&
	    !logstore_charge(lf->store, lf->entry, len)) {
		lf->dropped += len;
		logfile_stop(lf, "log_dir quota (log_quota_bytes) reached", 0);
		return;
	}
	while (len > 0) {
		n = write(lf->fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (lf->store != NULL && lf->entry != NULL)
				logstore_refund(lf->store, lf->entry, len);
			lf->dropped += len;
			logfile_stop(lf, "write failed", n == 0 ? EIO : errno);
			return;
		}
		p += n;
		len -= (size_t)n;
		lf->size += (uint64_t)n;
	}
}

void
logfile_close(struct logfile *lf)
{
	if (lf->fd == -1)
		return;
	syncer_close_named(lf->fd, lf->path);
	lf->fd = -1;
}
