/*
 * runner_reclaim.c -- the record of each live run (live.h), and at start
 * what a crashtrail that died left running: stopped with its runner's
 * stop ladder and reported as collector_restarted, before any runner
 * starts.
 * SPDX-License-Identifier: ISC
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "json.h"
#include "live.h"
#include "log.h"
#include "platform.h"
#include "recover.h"
#include "report.h"
#include "run.h"
#include "runner.h"

static void	runner_ladder(const char *, int *, int *);
static void	runner_reclaimed(const struct live_rec *, enum live_fate,
		    void *);
static void	runner_reclaimed_data(struct jw *, const void *);

static uint64_t	runner_nreclaimed;

/* Where a crashtrail started after this one dies finds this run. */
void
runner_record_live(const struct runner *r, const struct run *run)
{
	struct live_rec	lr;

	memset(&lr, 0, sizeof(lr));
	snprintf(lr.runner, sizeof(lr.runner), "%s", r->rc->name);
	snprintf(lr.instance, sizeof(lr.instance), "%s", r->rc->instance_id);
	snprintf(lr.run_id, sizeof(lr.run_id), "%s", run->id);
	lr.pid = lr.pgid = run->pid;
	lr.started_us = run->started_us;
	snprintf(lr.base, sizeof(lr.base), "%s", run->base);
	if (platform_proc_start(run->pid, &lr.start) == -1) {
		log_warn("%s: start time of pid %ld", r->rc->name,
		    (long)run->pid);
		return;
	}
	(void)live_write(&lr);
}

static void
runner_ladder(const char *name, int *sig, int *secs)
{
	struct runner	*r = runner_by_name(name);

	if (r != NULL) {
		*sig = r->rc->stopsignal;
		*secs = r->rc->stopwaitsecs;
	}
}

/*
 * One run a dead crashtrail left: reported like any abnormal end, with
 * what is known.  A runner no longer in the config still gets its report,
 * under a configuration made up from the record.
 */
static void
runner_reclaimed(const struct live_rec *lr, enum live_fate fate, void *arg)
{
	(void)arg;
	struct runner			*r = runner_by_name(lr->runner);
	struct runner_conf		*rc;
	struct run			*run;

	log_info("%s: run %s left by the last crashtrail: %s", lr->runner,
	    lr->run_id, live_strfate(fate));
	if (recover_run_ended(lr->run_id)) {
		/* Its death was published; only its record was left. */
		log_info("%s: run %s was reported before the last crashtrail "
		    "died; not reported again", lr->runner, lr->run_id);
		return;
	}
	if (r != NULL)
		rc = (struct runner_conf *)(uintptr_t)r->rc;
	else {
		if ((rc = calloc(1, sizeof(*rc))) == NULL)
			fatal("%s", __func__);
		snprintf(rc->name, sizeof(rc->name), "%s", lr->runner);
		snprintf(rc->instance_id, sizeof(rc->instance_id), "%s",
		    lr->instance);
		rc->stopsignal = SIGTERM;
		rc->capture_stdout = STDOUT_FILE;
		/* The run takes the only reference; freed with its slot. */
	}
	if ((run = run_adopt(r, rc, lr, fate != LIVE_GONE,
	    fate == LIVE_KILLED || fate == LIVE_UNSTOPPABLE)) == NULL) {
		log_warnx("%s: no run slot for run %s", lr->runner,
		    lr->run_id);
		return;
	}
	if (fate == LIVE_UNSTOPPABLE)
		run->ei.unreapable = 1;
	if (r != NULL) {
		r->abnormal_ends++;
		r->last_end_us = run->ended_us;
		r->last_abnormal = 1;
		snprintf(r->last_run_id, sizeof(r->last_run_id), "%s", run->id);
		snprintf(r->last_cause, sizeof(r->last_cause), "%s",
		    run->ei.cause);
	}
	{
		struct ev_meta	m = { "runner_failed", "runner", rc->instance_id,
		    rc->name, run->id };

		events_emit(&m, runner_reclaimed_data, run);
	}
	run_finish(run);
}

uint64_t
runners_reclaimed(void)
{
	return runner_nreclaimed;
}

void
runners_reclaim(void)
{
	int	n;

	if ((n = live_reclaim(runner_ladder, runner_reclaimed, NULL)) > 0)
		runner_nreclaimed = (uint64_t)n;
	if (n > 0)
		log_info("%d run%s of the last crashtrail accounted for", n,
		    n == 1 ? "" : "s");
}

/* The death report, as runner_failed carries it. */
static void
runner_reclaimed_data(struct jw *w, const void *arg)
{
	report_json(w, arg, 0);
}
