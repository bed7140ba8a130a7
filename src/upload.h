/*
 * upload.h -- getting each abnormal run's files off the host (DESIGN.md
 * section 10): a bounded, durable queue of jobs and a bounded number of
 * transfers, all on the event loop.
 * SPDX-License-Identifier: ISC
 *
 * Off unless the config says telemetry = on (or --telemetry).  For each
 * abnormal run, a job per file that upload_files names and that is not
 * empty: its record goes to <state_dir>/spool/ (spool.h) and is on disk,
 * renamed by the helper, before any network work for it starts; then
 * SHA-256 of the stored bytes (when the report did not give it), then
 *   POST {telemetry_api_url}/telemetry/runner-log/presign -> uploadUrl
 *   PUT uploadUrl, the raw bytes streamed from the file
 * through https.c, and the record is unlinked once the job has ended:
 * upload_succeeded, or upload_failed with "final": true.
 *
 * Retries.  A transport failure, a 408, 429 or 5xx, and a reply that
 * cannot be read are retried after a delay: Retry-After when the server
 * gave one, else full jitter, uniform in [upload_backoff_min,
 * min(upload_backoff_max, upload_backoff_min * 2^attempt)].  A PUT
 * answered 403 (an expired or refused URL) is presigned again at once; a
 * URL whose expiresIn has run out is never used.  409, from either
 * request, means the server has the bytes already: success.  Any other
 * 4xx, and size > maxSize, end the job at once.  A job also ends after
 * upload_max_attempts attempts or upload_max_age seconds since its run
 * ended.  Every failed attempt emits upload_failed; "final" says whether
 * it was the last.
 *
 * Bounds.  upload_spool_jobs jobs (slots reserved at start-up) holding at
 * most upload_spool_bytes of files; when a new job does not fit, the
 * oldest job that is not in flight is dropped, logged, counted and
 * reported (upload_failed, final, "dropped").  At most
 * upload_concurrency transfers run at once.  Beyond
 * upload_per_runner_hour uploads started for one runner in its current
 * hour, that runner's jobs wait in the spool (counted as deferred) so a
 * crash-looping runner cannot starve the others.
 *
 * Files a job names are kept from quota pruning until it ends
 * (logstore_set_keep()).  A job swept from the spool at start-up starts
 * its attempts afresh.
 */
#ifndef UPLOAD_H
#define UPLOAD_H

#include <stdint.h>

#include "config.h"
#include "spool.h"

struct event_base;
struct jw;

/* One ended run, as run.c or the report recovery knows it. */
struct upload_src {
	const char	*base;		/* its files' common path, no suffix */
	const char	*run_id, *instance_id, *runner_id, *cause;
	const char	*stderr_sha256;	/* of the stderr log, or NULL */
	uint64_t	 stderr_size;
	/*
	 * The report just handed to the helper (its rename may not be done
	 * yet, so it is not looked for on disk), or 0: look for it.
	 */
	uint64_t	 report_size;
};

struct upload_stats {
	int		 enabled;
	uint64_t	 backlog;	/* jobs in the spool */
	uint64_t	 backlog_bytes;
	uint64_t	 in_flight;	/* transfers running */
	uint64_t	 succeeded;	/* of which: */
	uint64_t	 already_stored;	/* the server had it (409) */
	uint64_t	 failed_final;	/* jobs ended by a failure */
	uint64_t	 retries;	/* failed attempts retried */
	uint64_t	 deferred;	/* times a job waited for its runner */
	uint64_t	 dropped;	/* jobs pushed out of a full spool */
	uint64_t	 swept;		/* jobs resumed at start-up */
	uint64_t	 set_aside;	/* unreadable records renamed *.bad */
	uint64_t	 spool_errors;	/* records that could not be written */
	uint64_t	 bytes_sent;	/* file bytes PUT successfully */
	uint64_t	 failures[8];	/* failed attempts by class, below */
};

/* The classes of upload_stats.failures, for /metrics and /v1/status. */
extern const char *const upload_failure_class[8];

/*
 * Reserve the job and transfer slots, set up TLS, and sweep the spool:
 * every job found resumes once upload_start() runs.  Call it before
 * logstore_init(), so that the start-up prune keeps the jobs' files.
 * Nothing happens (and 0 is returned) when telemetry is off.  -1 (logged)
 * when the spool or TLS cannot be set up.
 */
int	upload_init(struct event_base *, const struct config *);
/* Start the loop's part: hashing and transfers.  After digest_setup(). */
void	upload_start(void);
/*
 * An abnormal run's files are closed: a job for each of `files` (1 <<
 * enum spool_file) that the config names and that is not empty.  The
 * logs' jobs are made before the report is written, so a report on disk
 * always has its jobs in the spool (the helper does both in order); the
 * report's own job, after it.
 */
void	upload_run_ended(const struct upload_src *, unsigned files);
/* Stop every transfer; the jobs stay in the spool for the next start. */
void	upload_shutdown(void);
void	upload_get_stats(struct upload_stats *);
/* The "upload" member of /v1/status. */
void	upload_status_json(struct jw *);

#endif /* UPLOAD_H */
