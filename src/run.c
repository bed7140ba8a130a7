/*
 * run.c -- the run pool, and what happens when a run ends: its report,
 * late kernel records, and runs adopted from a crashtrail that died.
 * (The ingest path is run_pipe.c.)
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "history.h"
#include "json.h"
#include "live.h"
#include "log.h"
#include "logstore.h"
#include "report.h"
#include "run.h"
#include "run_int.h"
#include "runner.h"
#include "sampler.h"
#include "timefmt.h"
#include "upload.h"

/* A kernel record naming a pid counts for a run that ended this recently. */
#define RUN_LATE_US	(10 * 1000000)

static const struct config	*run_cf;
static struct logstore		*run_store;
static struct run		*runs;
static size_t			 nruns;
static unsigned char		*run_tails;	/* nruns * tail_bytes */
static uint64_t			 run_serial;
static void			(*run_kernel_drain)(void);

static struct run *run_slot(void);
static void	 run_on_digest(struct digest *, int);
static void	 run_report(struct run *, int);
static void	 run_reset(struct run *);
static void	 run_make_id(struct run *, int64_t);
static struct run *run_by_kernel_pid(pid_t);

void
run_pool_init(struct event_base *base, const struct config *cf,
    struct logstore *ls)
{
	run_pipe_init(base, cf);
	run_cf = cf;
	run_store = ls;
	nruns = cf->max_runs;
	/*
	 * Nothing here writes a slot: run_reset() makes one ready when it is
	 * first used, so a slot never used stays calloc's zero pages.
	 */
	runs = calloc(nruns, sizeof(*runs));
	run_tails = calloc(nruns, cf->tail_bytes);
	if (runs == NULL || run_tails == NULL)
		fatal("%s: %zu runs", __func__, nruns);
}

/* A free slot, else the oldest finished run's. */
static struct run *
run_slot(void)
{
	struct run	*best = NULL;
	size_t		 i;

	for (i = 0; i < nruns; i++) {
		if (runs[i].phase == RUN_FREE)
			return &runs[i];
		if (runs[i].phase == RUN_DONE &&
		    (best == NULL || runs[i].serial < best->serial))
			best = &runs[i];
	}
	return best;
}

struct run *
run_by_pid(pid_t pid)
{
	size_t	i;

	for (i = 0; i < nruns; i++)
		if (runs[i].phase == RUN_LIVE && runs[i].pid == pid)
			return &runs[i];
	return NULL;
}

struct run *
run_by_id(const char *id)
{
	size_t	i;

	for (i = 0; i < nruns; i++)
		if (runs[i].phase != RUN_FREE && strcmp(runs[i].id, id) == 0)
			return &runs[i];
	return NULL;
}

struct run *
run_by_pid_any(pid_t pid)
{
	struct run	*best = NULL;
	size_t		 i;

	for (i = 0; i < nruns; i++)
		if (runs[i].phase != RUN_FREE && runs[i].pid == pid &&
		    (best == NULL || runs[i].serial > best->serial))
			best = &runs[i];
	return best;
}

size_t
run_slots(void)
{
	return nruns;
}

struct run *
run_slot_at(size_t i)
{
	return i < nruns && runs[i].phase != RUN_FREE ? &runs[i] : NULL;
}

int
run_busy(void)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < nruns; i++)
		if (runs[i].phase == RUN_LIVE || runs[i].phase == RUN_ENDED)
			n++;
	return n;
}

int
run_holds_runner(const struct runner *r)
{
	size_t	i;

	for (i = 0; i < nruns; i++)
		if (runs[i].runner == r && (runs[i].phase == RUN_LIVE ||
		    runs[i].phase == RUN_ENDED))
			return 1;
	/* Only finished runs: they stay, without their runner. */
	for (i = 0; i < nruns; i++)
		if (runs[i].runner == r)
			runs[i].runner = NULL;
	return 0;
}

/*
 * Everything of the slot's last run goes; its storage (tail, samples,
 * stages) stays where it is.  A slot never used is all zeros already
 * (calloc's pages, which clearing would touch: 70 KiB, most of which,
 * the diagnostics' line buffers, the event line, the termination
 * report, an idle run never writes).
 */
static void
run_reset(struct run *run)
{
	size_t	i = (size_t)(run - runs);

	if (run->serial != 0) {
		/* The last run's references: its config and its catalogue. */
		diag_run_release(&run->diag);
		runner_conf_release(run->rc);
		sampler_run_reset(&run->m);
		memset(run, 0, sizeof(*run));
	}
	run->fd_err = run->fd_out = run->fd_ev = -1;
	run->log_err.fd = run->log_out.fd = -1;
	run->digest.fd = -1;
	run->pid = -1;
	tail_init(&run->tail, run_tails + i * run_cf->tail_bytes,
	    run_cf->tail_bytes, run_cf->tail_lines);
	sampler_slot(&run->m, i);
}

/* Run ids are unique on the host: step the clock past a clash. */
static void
run_make_id(struct run *run, int64_t now)
{
	char	ts[TIMEFMT_MAX];
	size_t	i;

	for (;;) {
		timefmt_runid(ts, sizeof(ts), now);
		snprintf(run->id, sizeof(run->id), "%s-%.24s", run->rc->name,
		    ts);
		for (i = 0; i < nruns; i++)
			if (&runs[i] != run && runs[i].phase != RUN_FREE &&
			    strcmp(runs[i].id, run->id) == 0)
				break;
		if (i == nruns)
			break;
		now++;
	}
	run->started_us = now;
}

struct run *
run_begin(struct runner *r, const struct runner_conf *rc, int child[3])
{
	struct run	*run;
	int64_t		 now = timefmt_now_us();

	if ((run = run_slot()) == NULL) {
		log_warnx("%s: every run slot is busy (max_runs = %zu)",
		    rc->name, nruns);
		return NULL;
	}
	run_reset(run);
	run->serial = ++run_serial;
	run->runner = r;
	run->rc = rc;
	runner_conf_hold(rc);
	/* It matches against the catalogue current now, till it ends. */
	diag_run_reset(&run->diag);
	run_make_id(run, now);
	now = run->started_us;
	sampler_run_begin(run);
	run->started_ms = timefmt_mono_ms();

	if (logfile_base(run->base, sizeof(run->base), run_store->root,
	    rc->instance_id, rc->name, now) == -1)
		run->base[0] = '\0';
	else if ((run->store = logstore_add(run_store, run->base)) == NULL)
		log_warnx("%s: log index is full of live runs; %s is not "
		    "under quota", rc->name, run->base);
	if (run->base[0] != '\0') {
		logfile_open(&run->log_err, run->base, LS_STDERR,
		    rc->log_max_bytes, run_store, run->store);
		if (rc->capture_stdout == STDOUT_FILE)
			logfile_open(&run->log_out, run->base, LS_STDOUT,
			    rc->log_max_bytes, run_store, run->store);
		else
			run->log_out.fd = -1;
	} else {
		run->log_err.fd = run->log_out.fd = -1;
		run->log_err.stopped = run->log_out.stopped = 1;
	}
	run->tail_lazy = run->log_err.fd != -1 && !run->log_err.stopped;
	if (run_pipes(run, child) == -1) {
		logfile_close(&run->log_err);
		logfile_close(&run->log_out);
		if (run->store != NULL)
			logstore_close(run_store, run->store);
		run->phase = RUN_FREE;	/* no run happened */
		return NULL;
	}
	run->phase = RUN_LIVE;
	return run;
}
















void
run_end(struct run *run, int status_known, int wstatus)
{
	run_drain(run);
	run->ended_us = timefmt_now_us();
	diag_eof(&run->diag, run->ended_us);
	/*
	 * The kernel logs an OOM kill as it sends the SIGKILL: read what it
	 * has logged so far, so this report already names the kill.
	 */
	if (run_kernel_drain != NULL && status_known &&
	    ((WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) ||
	    (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 128 + SIGKILL)))
		run_kernel_drain();
	/* The run's memory cgroup counts OOM kills exactly. */
	if (sampler_run_end(run) > 0 && !run->ei.oom_killed) {
		run->ei.oom_killed = 1;
		log_warnx("%s: run %s: its cgroup counted an OOM kill",
		    run->rc->name, run->id);
	}
	classify(&run->ei, status_known, wstatus, &run->rc->exitcodes);
	run->phase = RUN_ENDED;
	if (!run->ei.abnormal)
		log_info("%s: run %s ended: %s (clean), %llu bytes of stderr",
		    run->rc->name, run->id, run->ei.cause,
		    (unsigned long long)run->bytes_err);
	else
		log_warnx("%s: run %s FAILED: %s after %lld ms, %llu bytes of "
		    "stderr", run->rc->name, run->id, run->ei.cause,
		    (long long)(timefmt_mono_ms() - run->started_ms),
		    (unsigned long long)run->bytes_err);
}

void
run_finish(struct run *run)
{
	logfile_close(&run->log_err);
	logfile_close(&run->log_out);
	if (run->store != NULL)
		logstore_close(run_store, run->store);
	if (!run->ei.abnormal) {
		run->phase = RUN_DONE;
		return;
	}
	/* The files must outlive the report: keep them from pruning. */
	if (run->store != NULL)
		run->store->pinned = 1;
	if (run->log_err.path[0] != '\0' && !run->log_err.err &&
	    digest_start(&run->digest, run->log_err.path, run_on_digest) == 0)
		return;
	run_report(run, -1);
}

static void
run_on_digest(struct digest *d, int err)
{
	struct run	*run = (struct run *)(void *)((char *)d -
			    offsetof(struct run, digest));

	run->hashed = err == 0;
	run_report(run, err == 0 ? 0 : -1);
}

/*
 * Write (or write again) the report and charge what it adds to the quota.
 * `hashed` is 0 when run->digest holds the log's SHA-256; -1 when not; 1
 * for a rewrite of a report already written.
 */
static void
run_report(struct run *run, int hashed)
{
	uint64_t	old = run->report_written ? run->report_size : 0;
	struct upload_src src = { run->base, run->id, run->rc->instance_id,
			    run->rc->name, run->ei.cause,
			    run->hashed ? run->digest.hex : NULL,
			    run->hashed ? run->digest.size : 0, 0 };
	int		ok;

	/* The logs' jobs go to the spool before the report (upload.h). */
	if (hashed != 1)
		upload_run_ended(&src, 1u << SPOOL_STDERR | 1u << SPOOL_STDOUT);
	ok = report_write(run, run->hashed) == 0;
	if (ok && hashed != 1) {
		/* Hashed once its record is on disk: after the rename. */
		src.report_size = run->report_size;
		upload_run_ended(&src, 1u << SPOOL_REPORT);
	}
	if (ok) {
		run->report_written = 1;
		if (run->store != NULL) {
			logstore_mark(run->store, LS_REPORT);
			if (run->report_size > old)
				(void)logstore_charge(run_store, run->store,
				    run->report_size - old);
			else
				logstore_refund(run_store, run->store,
				    old - run->report_size);
		}
		history_add(run->id, run->rc->instance_id, run->rc->name,
		    run->started_us, run->ended_us, run->ei.cause,
		    (long)run->pid, run->ei.oom_killed, run->base,
		    run->bytes_err);
	}
	if (hashed == 1)
		return;
	if (run->store != NULL)
		run->store->pinned = 0;
	run->phase = RUN_DONE;
	runner_run_done(run->runner, run);
}

void
run_set_kernel_drain(void (*fn)(void))
{
	run_kernel_drain = fn;
}

/* A live run's leader or group member, or a run that just ended. */
static struct run *
run_by_kernel_pid(pid_t pid)
{
	struct run	*run;
	pid_t		 pg;

	run = run_by_pid_any(pid);
	if (run == NULL && (pg = getpgid(pid)) > 0)
		run = run_by_pid_any(pg);
	if (run != NULL && run->phase != RUN_LIVE &&
	    timefmt_now_us() - run->ended_us > RUN_LATE_US)
		run = NULL;
	return run;
}

const struct run *
run_note_kill(pid_t pid, const struct oom_event *ev)
{
	struct run	*run;

	if ((run = run_by_kernel_pid(pid)) == NULL)
		return NULL;
	run->ei.oom_killed = 1;
	run->oom = *ev;
	run->has_oom = 1;
	log_warnx("%s: run %s: pid %ld (%s) killed by the kernel OOM killer",
	    run->rc->name, run->id, (long)pid, ev->process_name);
	/* Reaped and reported already: the report must say it too. */
	if (run->phase == RUN_DONE && run->report_written)
		run_report(run, 1);
	return run;
}

const struct run *
run_note_xid(pid_t pid, const struct xid_event *xid)
{
	struct run	*run;

	if (pid <= 0 || (run = run_by_kernel_pid(pid)) == NULL)
		return NULL;
	run->xid = *xid;
	run->has_xid = 1;
	if (run->phase == RUN_DONE && run->report_written)
		run_report(run, 1);
	return run;
}


struct run *
run_adopt(struct runner *r, const struct runner_conf *rc,
    const struct live_rec *lr, int stopped, int escalated)
{
	struct run	*run;

	if ((run = run_slot()) == NULL)
		return NULL;
	run_reset(run);
	run->serial = ++run_serial;
	run->runner = r;
	run->rc = rc;
	runner_conf_hold(rc);
	diag_run_reset(&run->diag);
	run->adopted = 1;
	snprintf(run->id, sizeof(run->id), "%s", lr->run_id);
	run->pid = lr->pid;
	run->started_us = lr->started_us;
	run->ended_us = timefmt_now_us();
	snprintf(run->base, sizeof(run->base), "%s", lr->base);
	if (run->base[0] != '\0') {
		snprintf(run->log_err.path, sizeof(run->log_err.path), "%s%s",
		    run->base, logstore_suffix(LS_STDERR));
		if (rc->capture_stdout == STDOUT_FILE)
			snprintf(run->log_out.path, sizeof(run->log_out.path),
			    "%s%s", run->base, logstore_suffix(LS_STDOUT));
		if (access(run->log_out.path, F_OK) == -1)
			run->log_out.path[0] = '\0';
		run->store = logstore_find(run_store, run->base);
		run_tail_from_file(run);
		if (run->store != NULL)
			run->store->open = 1;	/* released by run_finish() */
	}
	diag_eof(&run->diag, run->ended_us);
	run->ei.stop_requested = stopped;
	run->ei.stop_signal = rc->stopsignal;
	run->ei.stop_escalated = escalated;
	classify(&run->ei, 0, 0, &rc->exitcodes);
	snprintf(run->ei.cause, sizeof(run->ei.cause), "collector_restarted");
	run->ei.abnormal = 1;
	run->phase = RUN_ENDED;
	log_warnx("%s: run %s ended while crashtrail was down (%s); reported "
	    "as collector_restarted", rc->name, run->id, stopped ?
	    "it was still running and was stopped" : "it was gone");
	return run;
}
