/*
 * spool.h -- the upload jobs on disk: one small text file per job in
 * <state_dir>/spool/, so that a job outlives crashtrail's own death.
 * SPDX-License-Identifier: ISC
 *
 * A record is written once, atomically (a temporary name, fsync by the
 * helper, rename), before any network work for it starts, and unlinked
 * when the job ends (success, or a failure that is final).  It says what
 * to send and for which run; what happened to the attempts is not kept:
 * a job resumed after a restart starts its attempts afresh, bounded by its
 * age (`created`) instead.
 *
 *   crashtrail-upload-job 1
 *   file=stderr
 *   path=/var/lib/crashtrail/runner_log/default/web/<ts>.stderr.log
 *   run_id=...
 *   instance_id=...
 *   runner_id=...
 *   cause=...
 *   created=<Unix seconds>
 *   sha256=<hex>          (optional: computed again when absent)
 *   size=<bytes>          (with sha256)
 *
 * Values are one line each; a record with an unknown key, a missing one,
 * or any other version is refused whole (and set aside by the sweep).
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "ids.h"

#define SPOOL_REC_MAX	(PATH_MAX + 1024)	/* a whole record's bytes */
#define SPOOL_CAUSE_MAX	64

/* What a job sends: the run's stderr log, its stdout log, its report. */
enum spool_file { SPOOL_STDERR, SPOOL_STDOUT, SPOOL_REPORT, SPOOL_FILE_MAX };

struct spool_rec {
	enum spool_file	 file;
	char		 path[PATH_MAX];
	char		 run_id[RUN_ID_MAX + 1];
	char		 instance_id[ID_MAX + 1];
	char		 runner_id[ID_MAX + 1];
	char		 cause[SPOOL_CAUSE_MAX];
	int64_t		 created;		/* Unix seconds */
	int		 has_sha;
	char		 sha256[65];
	uint64_t	 size;
};

/* "stderr", "stdout", "report". */
const char	*spool_file_name(enum spool_file);
/* The record's text into buf[cap]: its length, or -1 (too long, bad). */
int	spool_format(const struct spool_rec *, char *buf, size_t cap);
/* Parse a record's text: 0, or -1 with a static reason in *err. */
int	spool_parse(const char *buf, size_t n, struct spool_rec *,
	    const char **err);
/* The job's file name in the spool: "<created µs>-<run_id>.<file>.job". */
int	spool_name(char *buf, size_t cap, int64_t created_us,
	    const struct spool_rec *);

#endif /* SPOOL_H */
