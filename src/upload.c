/*
 * upload.c -- the upload queue and its spool (upload.h); the transfers
 * themselves are upload_xfer.c's.
 * SPDX-License-Identifier: ISC
 *
 * A job goes FREE -> SPOOLING (its record being written by the helper)
 * -> HASHING (only when its SHA-256 is not known yet) -> READY (waiting
 * for a transfer slot, its backoff or its runner's hour) -> XFER (a
 * presign, then a PUT, on one transfer slot) and back to READY after a
 * failure that will be retried, or FREE once it has ended.  One timer
 * drives the waits; https.c drives the transfers.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "digest.h"
#include "events.h"
#include "https.h"
#include "ids.h"
#include "json.h"
#include "log.h"
#include "logstore.h"
#include "presign.h"
#include "spool.h"
#include "syncer.h"
#include "timefmt.h"
#include "upload.h"
#include "upload_int.h"

const char *const upload_failure_class[8] = {
	"dns", "connect", "tls", "timeout", "transport", "protocol", "http",
	"file"
};

struct upload_state up;

static int	up_keep(const char *);
static int	up_has_job(const char *);
static void	up_sweep(void);
static void	up_sweep_one(const char *);
static struct job *up_job_new(const struct spool_rec *, int64_t);
static void	up_job_free(struct job *);
static int	up_make_room(uint64_t);
static void	up_spool_write(struct job *);
static void	up_on_spooled(void *, int);
static void	up_on_digest(struct digest *, int);
static void	up_on_tick(evutil_socket_t, short, void *);
static int	up_rate_ok(struct job *, int64_t, int64_t *);
static void	up_ev_data(struct jw *, const void *);
static int64_t	up_backoff(unsigned);
static uint64_t	up_random(void);

/* xorshift64*: jitter only, nothing secret. */
static uint64_t
up_random(void)
{
	up.rnd ^= up.rnd >> 12;
	up.rnd ^= up.rnd << 25;
	up.rnd ^= up.rnd >> 27;
	return up.rnd * 2685821657736338717ULL;
}

int
upload_init(struct event_base *base, const struct config *cf)
{
	char		 url[CONFIG_URL_MAX + 64];
	const char	*err;
	size_t		 n;

	memset(&up, 0, sizeof(up));
	if (!cf->telemetry)
		return 0;
	up.base = base;
	up.files = cf->upload_files;
	up.max_jobs = cf->upload_spool_jobs;
	up.nxfers = cf->upload_concurrency;
	up.max_attempts = cf->upload_max_attempts;
	up.per_hour = cf->upload_per_runner_hour;
	up.max_bytes = cf->upload_spool_bytes;
	up.max_age_s = cf->upload_max_age;
	up.backoff_min = cf->upload_backoff_min_ms;
	up.backoff_max = cf->upload_backoff_max_ms;
	up.timeout_ms = cf->upload_timeout_ms;
	up.rnd = (uint64_t)timefmt_now_us() ^ ((uint64_t)getpid() << 32) ^
	    0x9e3779b97f4a7c15ULL;

	snprintf(url, sizeof(url), "%s/telemetry/runner-log/presign",
	    cf->telemetry_api_url);
	if (hc_url_parse(url, &up.presign, &err) == -1) {
		log_warnx("upload: telemetry_api_url %s: %s",
		    cf->telemetry_api_url, err);
		return -1;
	}
	if (snprintf(up.spooldir, sizeof(up.spooldir), "%s/spool",
	    cf->state_dir) >= (int)sizeof(up.spooldir)) {
		log_warnx("upload: state_dir is too long");
		return -1;
	}
	if (mkdir(up.spooldir, 0750) == -1 && errno != EEXIST) {
		log_warn("upload: mkdir %s", up.spooldir);
		return -1;
	}
	up.jobs = calloc(up.max_jobs, sizeof(*up.jobs));
	up.xfers = calloc(up.nxfers, sizeof(*up.xfers));
	up.nrates = 64 + 2 * cf->nrunners;
	up.rates = calloc(up.nrates, sizeof(*up.rates));
	if (up.jobs == NULL || up.xfers == NULL || up.rates == NULL)
		fatal("%s", __func__);
	for (n = 0; n < up.nxfers; n++)
		up.xfers[n].fd = -1;

	/* Names need a resolver; without resolv.conf, numeric hosts only. */
	up.dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (up.dns == NULL) {
		log_warnx("upload: no DNS resolver (resolv.conf?): only "
		    "numeric hosts will work");
	}
	if (hc_init(base, up.dns, cf->ca_file[0] ? cf->ca_file : NULL) == -1)
		return -1;
	evtimer_assign(&up.tick, base, up_on_tick, NULL);
	up.on = 1;
	up.st.enabled = 1;
	up_sweep();
	logstore_set_keep(up_keep);
	log_info("upload: on, to %s://%s:%s; %zu job%s resumed from %s",
	    up.presign.tls ? "https" : "http", up.presign.host,
	    up.presign.port, up.njobs, up.njobs == 1 ? "" : "s", up.spooldir);
	return 0;
}

void
upload_start(void)
{
	size_t	i;

	if (!up.on)
		return;
	up.started = 1;
	for (i = 0; i < up.max_jobs; i++)
		if (up.jobs[i].state == J_HASHING)
			up_hash(&up.jobs[i]);
	up_kick();
}

void
upload_shutdown(void)
{
	size_t	i;

	if (!up.on || up.down)
		return;
	up.down = 1;
	evtimer_del(&up.tick);
	for (i = 0; i < up.nxfers; i++) {
		if (up.xfers[i].job == NULL)
			continue;
		hc_cancel(&up.xfers[i].hc);
		if (up.xfers[i].fd != -1)
			close(up.xfers[i].fd);
		up.xfers[i].fd = -1;
		up.xfers[i].job = NULL;
	}
	for (i = 0; i < up.max_jobs; i++)
		if (up.jobs[i].state == J_HASHING)
			digest_cancel(&up.jobs[i].digest);
	hc_shutdown();
	if (up.dns != NULL)
		evdns_base_free(up.dns, 0);
	up.dns = NULL;
	log_info("upload: stopped; %zu job%s left in %s", up.njobs,
	    up.njobs == 1 ? "" : "s", up.spooldir);
}

/* A job for this file exists already (swept, or made before a kill). */
static int
up_has_job(const char *path)
{
	size_t	i;

	for (i = 0; i < up.max_jobs; i++)
		if (up.jobs[i].state != J_FREE && !up.jobs[i].dropped &&
		    strcmp(up.jobs[i].rec.path, path) == 0)
			return 1;
	return 0;
}

/* logstore's keep hook: a job names one of the group's files. */
static int
up_keep(const char *base)
{
	size_t	i, n = strlen(base);

	for (i = 0; i < up.max_jobs; i++)
		if (up.jobs[i].state != J_FREE &&
		    strncmp(up.jobs[i].rec.path, base, n) == 0 &&
		    up.jobs[i].rec.path[n] == '.')
			return 1;
	return 0;
}

/* Start-up: every record in the spool becomes a job again. */
static void
up_sweep(void)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 len;

	if ((d = opendir(up.spooldir)) == NULL) {
		log_warn("upload: %s", up.spooldir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' && len > 4 &&
		    strcmp(de->d_name + len - 4, ".tmp") == 0) {
			/* A record cut off before its rename: never begun. */
			char	path[PATH_MAX];

			if (snprintf(path, sizeof(path), "%s/%s", up.spooldir,
			    de->d_name) < (int)sizeof(path))
				(void)unlink(path);
			continue;
		}
		if (len > 4 && strcmp(de->d_name + len - 4, ".job") == 0)
			up_sweep_one(de->d_name);
	}
	closedir(d);
}

static void
up_sweep_one(const char *name)
{
	char		 path[PATH_MAX], bad[PATH_MAX + 8], buf[SPOOL_REC_MAX];
	struct spool_rec rec;
	struct job	*j;
	const char	*err = NULL;
	ssize_t		 n;
	long long	 order;
	char		*end;
	int		 fd;

	if (snprintf(path, sizeof(path), "%s/%s", up.spooldir, name) >=
	    (int)sizeof(path))
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("upload: %s", path);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	errno = 0;
	order = strtoll(name, &end, 10);
	if (n < 0)
		err = strerror(errno);
	else if ((size_t)n == sizeof(buf))
		err = "record is too long";
	else if (*end != '-' || order <= 0)
		err = "file name is not <time>-<run>.<file>.job";
	else
		(void)spool_parse(buf, (size_t)n, &rec, &err);
	if (err != NULL) {
		snprintf(bad, sizeof(bad), "%s.bad", path);
		log_warnx("upload: %s: %s; set aside as %s", path, err, bad);
		if (rename(path, bad) == -1)
			log_warn("upload: rename %s", path);
		up.st.set_aside++;
		return;
	}
	if (up.njobs == up.max_jobs) {
		log_warnx("upload: %s: the spool holds more than "
		    "upload_spool_jobs = %zu jobs; left for a later start",
		    path, up.max_jobs);
		return;
	}
	j = up_job_new(&rec, (int64_t)order);
	snprintf(j->spool, sizeof(j->spool), "%s", path);
	j->durable = 1;
	j->state = rec.has_sha ? J_READY : J_HASHING;
	up.st.swept++;
}

/* A slot for a job; the caller has made room.  Counted in the backlog. */
static struct job *
up_job_new(const struct spool_rec *rec, int64_t order)
{
	struct job	*j = NULL;
	size_t		 i;

	for (i = 0; i < up.max_jobs; i++)
		if (up.jobs[i].state == J_FREE) {
			j = &up.jobs[i];
			break;
		}
	if (j == NULL)
		fatalx("%s: no free slot", __func__);
	memset(j, 0, sizeof(*j));
	j->rec = *rec;
	j->order = order;
	j->state = J_SPOOLING;
	up.njobs++;
	up.bytes += rec->size;
	if (order > up.last_order)
		up.last_order = order;
	return j;
}

/* The job has ended: its record goes, its slot is free. */
static void
up_job_free(struct job *j)
{
	if (j->durable)
		syncer_unlink(j->spool);
	if (j->state == J_HASHING)
		digest_cancel(&j->digest);
	up.njobs--;
	up.bytes -= j->rec.size;
	j->state = J_FREE;
}

/*
 * Room for one more job of `size` bytes: drop the oldest jobs not in
 * flight until it fits.  0, or -1 when it cannot fit.
 */
static int
up_make_room(uint64_t size)
{
	struct job	*old;
	size_t		 i;
	char		 why[96];

	if (size > up.max_bytes)
		return -1;
	while (up.njobs >= up.max_jobs || up.bytes + size > up.max_bytes) {
		old = NULL;
		for (i = 0; i < up.max_jobs; i++) {
			struct job *j = &up.jobs[i];

			if ((j->state == J_READY || j->state == J_HASHING) &&
			    (old == NULL || j->order < old->order))
				old = j;
		}
		if (old == NULL)
			return -1;
		snprintf(why, sizeof(why), "dropped: the spool is full (%s); "
		    "the oldest job goes first", up.njobs >= up.max_jobs ?
		    "upload_spool_jobs" : "upload_spool_bytes");
		up.st.dropped++;
		up_fail(old, FC_FILE, 0, why);
	}
	return 0;
}

void
upload_run_ended(const struct upload_src *src, unsigned files)
{
	struct spool_rec rec;
	struct stat	 st;
	struct job	*j;
	int64_t		 now = timefmt_now_us();
	unsigned	 f;
	int		 n;

	if (!up.on || up.down)
		return;
	if (id_check(src->run_id, RUN_ID_MAX) != NULL ||
	    id_check(src->instance_id, ID_MAX) != NULL ||
	    id_check(src->runner_id, ID_MAX) != NULL) {
		log_warnx("upload: a run with an invalid id is not uploaded");
		return;
	}
	for (f = 0; f < SPOOL_FILE_MAX; f++) {
		if (!(files & up.files & (1u << f)))
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.file = (enum spool_file)f;
		n = snprintf(rec.path, sizeof(rec.path), "%s%s", src->base,
		    logstore_suffix(f == SPOOL_STDERR ? LS_STDERR :
		    f == SPOOL_STDOUT ? LS_STDOUT : LS_REPORT));
		if (n < 0 || (size_t)n >= sizeof(rec.path))
			continue;
		if (f == SPOOL_REPORT && src->report_size > 0)
			st.st_size = (off_t)src->report_size;
		else if (stat(rec.path, &st) == -1 || st.st_size == 0)
			continue;		/* nothing to send */
		if (up_has_job(rec.path))
			continue;	/* a recovery finding a job of the run */
		snprintf(rec.run_id, sizeof(rec.run_id), "%s", src->run_id);
		snprintf(rec.instance_id, sizeof(rec.instance_id), "%s",
		    src->instance_id);
		snprintf(rec.runner_id, sizeof(rec.runner_id), "%s",
		    src->runner_id);
		snprintf(rec.cause, sizeof(rec.cause), "%s", src->cause);
		rec.created = now / 1000000;
		rec.size = (uint64_t)st.st_size;
		if (f == SPOOL_STDERR && src->stderr_sha256 != NULL &&
		    src->stderr_size == rec.size) {
			rec.has_sha = 1;
			snprintf(rec.sha256, sizeof(rec.sha256), "%s",
			    src->stderr_sha256);
		}
		if (up_make_room(rec.size) == -1) {
			log_warnx("upload: run %s: %s (%llu bytes) is not "
			    "uploaded: it does not fit in the spool",
			    rec.run_id, rec.path,
			    (unsigned long long)rec.size);
			up.st.dropped++;
			continue;
		}
		/* Distinct and increasing, also within one microsecond. */
		if (now <= up.last_order)
			now = up.last_order + 1;
		j = up_job_new(&rec, now);
		up_spool_write(j);
	}
	up_kick();
}

/*
 * Write the job's record: the helper makes it under a tmp name and
 * renames it (a record too long for one message is written here first).
 */
static void
up_spool_write(struct job *j)
{
	char	 name[PATH_MAX], tmp[PATH_MAX + 8], buf[SPOOL_REC_MAX];
	int	 fd, n, len;

	if (spool_name(name, sizeof(name), j->order, &j->rec) == -1 ||
	    (len = spool_format(&j->rec, buf, sizeof(buf))) == -1 ||
	    snprintf(j->spool, sizeof(j->spool), "%s/%s", up.spooldir,
	    name) >= (int)sizeof(j->spool) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", up.spooldir, name) >=
	    (int)sizeof(tmp)) {
		up_on_spooled(j, ENAMETOOLONG);
		return;
	}
	/* The helper writes it: no file is made on the loop. */
	if (syncer_write_rename_cb(buf, (size_t)len, tmp, j->spool,
	    up_on_spooled, j) == 0)
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		up_on_spooled(j, errno);
		return;
	}
	if ((n = (int)write(fd, buf, (size_t)len)) != len) {
		int e = n < 0 ? errno : ENOSPC;

		close(fd);
		(void)unlink(tmp);
		up_on_spooled(j, e);
		return;
	}
	syncer_close_rename_cb(fd, tmp, j->spool, up_on_spooled, j);
}

/* The record is on disk (err 0), or could not be written. */
static void
up_on_spooled(void *arg, int err)
{
	struct job	*j = arg;

	if (up.down || j->state != J_SPOOLING)
		return;
	if (err != 0) {
		/* Not durable, but the bytes can still leave now. */
		errno = err;
		log_warn("upload: run %s: cannot write its spool record %s; "
		    "uploading without one", j->rec.run_id, j->spool);
		up.st.spool_errors++;
	} else
		j->durable = 1;
	if (j->dropped) {
		up_job_free(j);
		return;
	}
	if (j->rec.has_sha) {
		j->state = J_READY;
		up_kick();
	} else
		up_hash(j);
}

void
up_hash(struct job *j)
{
	j->state = J_HASHING;
	if (!up.started)
		return;			/* upload_start() begins it */
	if (digest_start(&j->digest, j->rec.path, up_on_digest) == -1) {
		char	why[64 + PATH_MAX];

		j->state = J_READY;	/* nothing to cancel */
		snprintf(why, sizeof(why), "cannot read %s: %s", j->rec.path,
		    strerror(errno));
		up_fail(j, FC_FILE, 0, why);
	}
}

static void
up_on_digest(struct digest *d, int err)
{
	struct job	*j = (struct job *)(void *)((char *)d -
			    offsetof(struct job, digest));
	char		 why[64 + PATH_MAX];

	if (j->state != J_HASHING)
		return;
	j->state = J_READY;		/* the digest is done with it */
	if (err != 0) {
		snprintf(why, sizeof(why), "cannot read %s: %s", j->rec.path,
		    strerror(err));
		up_fail(j, FC_FILE, 0, why);
		return;
	}
	up.bytes -= j->rec.size;
	j->rec.size = d->size;
	up.bytes += j->rec.size;
	memcpy(j->rec.sha256, d->hex, sizeof(j->rec.sha256));
	j->rec.has_sha = 1;
	j->url[0] = '\0';		/* a URL for other bytes is no use */
	up_kick();
}

/* Start what can start; arm the timer for the next job that waits. */
void
up_kick(void)
{
	struct job	*best;
	struct xfer	*x;
	int64_t		 now, next, wake;
	size_t		 i, k;
	struct timeval	 tv;

	if (!up.on || !up.started || up.down)
		return;
	now = timefmt_mono_ms();
	for (k = 0; k < up.nxfers; k++) {
		x = &up.xfers[k];
		if (x->job != NULL)
			continue;
		best = NULL;
		for (i = 0; i < up.max_jobs; i++) {
			struct job *j = &up.jobs[i];

			if (j->state != J_READY || j->not_before > now)
				continue;
			if (up_too_old(j)) {
				up_fail(j, FC_FILE, 0, "gave up: older than "
				    "upload_max_age");
				continue;
			}
			if (!up_rate_ok(j, now, &wake)) {
				if (!j->deferred) {
					j->deferred = 1;
					up.st.deferred++;
					log_info("upload: run %s deferred: %s "
					    "has had %zu uploads this hour",
					    j->rec.run_id, j->rec.runner_id,
					    up.per_hour);
				}
				j->not_before = wake;
				continue;
			}
			if (best == NULL || j->order < best->order)
				best = j;
		}
		if (best == NULL)
			break;
		up_attempt(best, x);
	}
	next = INT64_MAX;
	for (i = 0; i < up.max_jobs; i++)
		if (up.jobs[i].state == J_READY &&
		    up.jobs[i].not_before < next)
			next = up.jobs[i].not_before;
	evtimer_del(&up.tick);
	if (next != INT64_MAX && next > now) {
		tv.tv_sec = (time_t)((next - now) / 1000);
		tv.tv_usec = (suseconds_t)((next - now) % 1000 * 1000);
		evtimer_add(&up.tick, &tv);
	}
}

static void
up_on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	up_kick();
}

/*
 * May the job's first attempt start now?  1, or 0 with *wake set to when
 * its runner's hour is over.  A job already charged goes on.
 */
static int
up_rate_ok(struct job *j, int64_t now, int64_t *wake)
{
	struct rate	*r = NULL, *oldest = NULL;
	size_t		 i;

	if (up.per_hour == 0 || j->rated)
		return 1;
	for (i = 0; i < up.nrates; i++) {
		if (up.rates[i].since != 0 &&
		    strcmp(up.rates[i].runner, j->rec.runner_id) == 0) {
			r = &up.rates[i];
			break;
		}
		if (oldest == NULL || up.rates[i].since < oldest->since)
			oldest = &up.rates[i];
	}
	if (r != NULL && now - r->since >= UPLOAD_HOUR_MS)
		r->since = 0;			/* its hour is over */
	if (r == NULL || r->since == 0) {
		if (r == NULL && (r = oldest) == NULL)	/* the stalest goes */
			return 1;
		snprintf(r->runner, sizeof(r->runner), "%s", j->rec.runner_id);
		r->since = now;
		r->n = 0;
	}
	if (r->n >= up.per_hour) {
		*wake = r->since + UPLOAD_HOUR_MS;
		return 0;
	}
	r->n++;
	j->rated = 1;
	j->deferred = 0;
	return 1;
}

int
up_too_old(const struct job *j)
{
	return timefmt_now_us() / 1000000 - j->rec.created > up.max_age_s;
}

/* Give the job's transfer slot back. */
void
up_release(struct job *j)
{
	if (j->x != NULL) {
		if (j->x->fd != -1)
			close(j->x->fd);
		j->x->fd = -1;
		j->x->job = NULL;
	}
	j->x = NULL;
	if (j->state == J_XFER)
		j->state = J_READY;
}

/* Full jitter: uniform in [min, min(max, min * 2^(attempts - 1))]. */
static int64_t
up_backoff(unsigned attempts)
{
	int64_t		cap = up.backoff_min;
	unsigned	i;

	for (i = 1; i < attempts && cap < up.backoff_max; i++)
		cap *= 2;
	if (cap > up.backoff_max)
		cap = up.backoff_max;
	return up.backoff_min + (int64_t)(up_random() %
	    (uint64_t)(cap - up.backoff_min + 1));
}

/* A failed attempt: again later, or the end when it was the last. */
void
up_retry(struct job *j, enum fail_class cls, int status, const char *reason,
    int64_t retry_after_s)
{
	struct up_ev	 e = { j, reason, cls, status, 0, 0, 0 };
	int64_t		 delay;

	if (j->attempts >= up.max_attempts || up_too_old(j)) {
		char why[HC_REASON_MAX + 64];

		snprintf(why, sizeof(why), "%s (gave up after %u attempt%s)",
		    reason, j->attempts, j->attempts == 1 ? "" : "s");
		up_fail(j, cls, status, why);
		return;
	}
	up_release(j);
	delay = retry_after_s >= 0 ? retry_after_s * 1000 :
	    up_backoff(j->attempts);
	if (delay < up.backoff_min)
		delay = up.backoff_min;
	j->not_before = timefmt_mono_ms() + delay;
	e.retry_ms = delay;
	up.st.failures[cls]++;
	up.st.retries++;
	log_info("upload: run %s %s: attempt %u failed: %s; again in %lld ms",
	    j->rec.run_id, spool_file_name(j->rec.file), j->attempts, reason,
	    (long long)delay);
	up_emit(&e, "upload_failed");
	up_kick();
}

/* The job ends without its bytes on the server. */
void
up_fail(struct job *j, enum fail_class cls, int status, const char *reason)
{
	struct up_ev	e = { j, reason, cls, status, 1, 0, 0 };

	up_release(j);
	up.st.failures[cls]++;
	up.st.failed_final++;
	log_warnx("upload: run %s %s (%s) NOT uploaded: %s", j->rec.run_id,
	    spool_file_name(j->rec.file), j->rec.path, reason);
	up_emit(&e, "upload_failed");
	if (j->state == J_SPOOLING) {
		j->dropped = 1;		/* its record goes once it is written */
		return;
	}
	up_job_free(j);
	up_kick();
}

void
up_success(struct job *j, int already)
{
	struct up_ev	e = { j, NULL, FC_FILE, 0, 1, 0, already };

	up_release(j);
	up.st.succeeded++;
	if (already)
		up.st.already_stored++;
	log_info("upload: run %s %s (%llu bytes) %s%s after %u attempt%s",
	    j->rec.run_id, spool_file_name(j->rec.file),
	    (unsigned long long)j->rec.size,
	    already ? "was on the server already" : "stored as ",
	    already ? "" : j->key, j->attempts, j->attempts == 1 ? "" : "s");
	up_emit(&e, "upload_succeeded");
	up_job_free(j);
	up_kick();
}

void
up_emit(const struct up_ev *e, const char *type)
{
	struct ev_meta	m = { type, "upload", e->job->rec.instance_id,
			    e->job->rec.runner_id, e->job->rec.run_id };

	(void)events_emit(&m, up_ev_data, e);
}

static void
up_ev_data(struct jw *w, const void *arg)
{
	const struct up_ev	*e = arg;
	const struct job	*j = e->job;

	jw_obj_begin(w, NULL);
	jw_str(w, "file", spool_file_name(j->rec.file));
	jw_str(w, "path", j->rec.path);
	if (j->rec.has_sha)
		jw_str(w, "sha256", j->rec.sha256);
	else
		jw_null(w, "sha256");
	jw_uint(w, "size", j->rec.size);
	jw_uint(w, "attempts", j->attempts);
	if (e->reason == NULL) {
		jw_str(w, "key", j->key);
		jw_bool(w, "already_stored", e->already);
	} else {
		jw_str(w, "reason", e->reason);
		jw_str(w, "class", upload_failure_class[e->cls]);
		jw_int(w, "status", e->status);
		jw_bool(w, "final", e->final);
		if (!e->final)
			jw_int(w, "retry_in_ms", e->retry_ms);
	}
	jw_obj_end(w);
}

void
upload_get_stats(struct upload_stats *st)
{
	size_t	i;

	*st = up.st;
	st->backlog = up.njobs;
	st->backlog_bytes = up.bytes;
	st->in_flight = 0;
	for (i = 0; up.on && i < up.nxfers; i++)
		if (up.xfers[i].job != NULL)
			st->in_flight++;
}

void
upload_status_json(struct jw *w)
{
	struct upload_stats	st;
	size_t			i;

	upload_get_stats(&st);
	jw_obj_begin(w, "upload");
	jw_bool(w, "enabled", st.enabled);
	jw_uint(w, "backlog", st.backlog);
	jw_uint(w, "backlog_bytes", st.backlog_bytes);
	jw_uint(w, "in_flight", st.in_flight);
	jw_uint(w, "succeeded", st.succeeded);
	jw_uint(w, "already_stored", st.already_stored);
	jw_uint(w, "failed_final", st.failed_final);
	jw_uint(w, "retries", st.retries);
	jw_uint(w, "deferred", st.deferred);
	jw_uint(w, "dropped", st.dropped);
	jw_uint(w, "swept", st.swept);
	jw_uint(w, "set_aside", st.set_aside);
	jw_uint(w, "spool_errors", st.spool_errors);
	jw_uint(w, "bytes_sent", st.bytes_sent);
	jw_obj_begin(w, "failures");
	for (i = 0; i < 8; i++)
		jw_uint(w, upload_failure_class[i], st.failures[i]);
	jw_obj_end(w);
	jw_obj_end(w);
}
