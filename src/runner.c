/*
 * runner.c -- runner lifecycle: start, backoff, stop ladder, reaping.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "json.h"
#include "live.h"
#include "log.h"
#include "report.h"
#include "run.h"
#include "runner.h"
#include "spawn.h"
#include "syncer.h"
#include "timefmt.h"

extern char	**environ;

static struct event_base	*runner_base;
static struct runner		*runners;
static size_t			 nslots;	/* max_runners, fixed */
static size_t			 nrunners;	/* slots ever used */
static int			 stopping_all;
static void			(*runner_idle)(void);

static const char *const runner_states[RS_MAX] = {
	[RS_STOPPED]	= "STOPPED",
	[RS_STARTING]	= "STARTING",
	[RS_RUNNING]	= "RUNNING",
	[RS_BACKOFF]	= "BACKOFF",
	[RS_STOPPING]	= "STOPPING",
	[RS_EXITED]	= "EXITED",
	[RS_FAILED]	= "FAILED",
	[RS_FATAL]	= "FATAL",
};

static void	runner_enter(struct runner *, enum runner_state);
static void	runner_arm(struct runner *, int);
static void	runner_on_timer(evutil_socket_t, short, void *);
static void	runner_on_leftover(evutil_socket_t, short, void *);
static void	runner_started_ok(struct runner *);
static void	runner_backoff_done(struct runner *);
static void	runner_stop_escalate(struct runner *);
static void	runner_ended(struct runner *, int, int);
static void	runner_after_end(struct runner *, struct run *, int);
static int	runner_delay(struct runner *);
static void	runner_signal(pid_t, int);
static void	runner_leftover(struct runner *, pid_t);
static void	runner_env(struct runner *);
static void	runner_slot_init(struct runner *, const struct runner_conf *);
static void	runner_try_free(struct runner *);
static void	runner_check_idle(void);
static void	runner_event(struct runner *, const struct run *,
		    const char *, ev_data_fn);
static void	runner_started_data(struct jw *, const void *);
static void	runner_exited_data(struct jw *, const void *);
static void	runner_failed_data(struct jw *, const void *);
static void	runner_fatal_data(struct jw *, const void *);

/* What the end of each state's timer means. */
static void (*const runner_timeouts[RS_MAX])(struct runner *) = {
	[RS_STARTING]	= runner_started_ok,
	[RS_BACKOFF]	= runner_backoff_done,
	[RS_STOPPING]	= runner_stop_escalate,
};

const char *
runner_strstate(enum runner_state s)
{
	return s < RS_MAX ? runner_states[s] : "?";
}

static void
runner_enter(struct runner *r, enum runner_state s)
{
	log_info("%s: %s -> %s", r->rc->name, runner_strstate(r->state),
	    runner_strstate(s));
	r->state = s;
}

static void
runner_arm(struct runner *r, int ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&r->timer, &tv);
}

/*
 * The environment each run gets: crashtrail's own (less CRASHTRAIL_*
 * and what the runner sets), the runner's `environment`, then ours.
 */
static void
runner_env(struct runner *r)
{
	const struct runner_conf	*rc = r->rc;
	static char			 evfd[32];
	char				 **e, *inst, *rid;
	size_t				 n = 0, i, k, klen;

	for (e = environ; *e != NULL; e++)
		n++;
	free(r->envp);
	free(r->env_inst);
	free(r->env_rid);
	r->envp = calloc(n + rc->nenv + 5, sizeof(*r->envp));
	r->env_inst = inst = malloc(sizeof("CRASHTRAIL_INSTANCE_ID=") + ID_MAX);
	r->env_rid = rid = malloc(sizeof("CRASHTRAIL_RUNNER_ID=") + ID_MAX);
	if (r->envp == NULL || inst == NULL || rid == NULL)
		fatal("%s", __func__);
	k = 0;
	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, "CRASHTRAIL_", 11) == 0)
			continue;
		klen = strcspn(*e, "=");
		for (i = 0; i < rc->nenv; i++)
			if (strncmp(rc->env[i], *e, klen + 1) == 0)
				break;
		if (i == rc->nenv)
			r->envp[k++] = *e;
	}
	for (i = 0; i < rc->nenv; i++)
		r->envp[k++] = rc->env[i];
	snprintf(inst, sizeof("CRASHTRAIL_INSTANCE_ID=") + ID_MAX,
	    "CRASHTRAIL_INSTANCE_ID=%s", rc->instance_id);
	snprintf(rid, sizeof("CRASHTRAIL_RUNNER_ID=") + ID_MAX,
	    "CRASHTRAIL_RUNNER_ID=%s", rc->name);
	snprintf(evfd, sizeof(evfd), "CRASHTRAIL_EVENT_FD=%d", SPAWN_EVENT_FD);
	r->envp[k++] = inst;
	r->envp[k++] = rid;
	r->envp[k++] = evfd;
	r->envp[k++] = r->env_run_id;	/* filled in at each start */
	r->envp[k] = NULL;
}

void
runners_init(struct event_base *base, const struct config *cf,
    void (*idle)(void))
{
	size_t	i;

	runner_base = base;
	runner_idle = idle;
	nslots = cf->max_runners > cf->nrunners ? cf->max_runners :
	    cf->nrunners;
	if ((runners = calloc(nslots ? nslots : 1, sizeof(*runners))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < cf->nrunners; i++)
		runner_slot_init(&runners[i], cf->runners[i]);
	nrunners = cf->nrunners;
}

/* A slot taken by a runner of `rc` (held), STOPPED. */
static void
runner_slot_init(struct runner *r, const struct runner_conf *rc)
{
	memset(r, 0, sizeof(*r));
	r->in_use = 1;
	r->rc = rc;
	runner_conf_hold(rc);
	r->state = RS_STOPPED;
	evtimer_assign(&r->timer, runner_base, runner_on_timer, r);
	evtimer_assign(&r->leftover_timer, runner_base, runner_on_leftover, r);
	runner_env(r);
}

struct runner *
runner_add(const struct runner_conf *rc)
{
	size_t	i;

	for (i = 0; i < nslots; i++)
		if (!runners[i].in_use) {
			runner_slot_init(&runners[i], rc);
			if (i >= nrunners)
				nrunners = i + 1;
			return &runners[i];
		}
	return NULL;
}

void
runner_remove(struct runner *r)
{
	r->removed = 1;
	runner_stop(r);
	runner_try_free(r);
}

/*
 * A removed runner's slot goes once nothing refers to it: stopped, and
 * no run of it still being reported (runs kept for the API let go).
 */
static void
runner_try_free(struct runner *r)
{
	if (!r->removed || r->run != NULL || r->state == RS_STOPPING ||
	    run_holds_runner(r))
		return;
	evtimer_del(&r->timer);
	if (r->leftover != 0)
		evtimer_del(&r->leftover_timer);
	log_info("%s: removed", r->rc->name);
	runner_conf_release(r->rc);
	runner_conf_release(r->next_rc);
	free(r->envp);
	free(r->env_inst);
	free(r->env_rid);
	memset(r, 0, sizeof(*r));
}

void
runner_set_conf(struct runner *r, const struct runner_conf *rc, int restart)
{
	if (restart && (r->state == RS_STARTING || r->state == RS_RUNNING ||
	    r->state == RS_STOPPING)) {
		/* Taken at the next start, once the old process is gone. */
		runner_conf_hold(rc);
		runner_conf_release(r->next_rc);
		r->next_rc = rc;
		(void)runner_restart(r);
		return;
	}
	runner_conf_hold(rc);
	runner_conf_release(r->next_rc);
	r->next_rc = NULL;
	if (!restart && r->run != NULL && r->run->rc == r->rc) {
		/* Only supervision keys differ: the live run takes them. */
		runner_conf_hold(rc);
		runner_conf_release(r->run->rc);
		r->run->rc = rc;
	}
	runner_conf_release(r->rc);
	r->rc = rc;
	runner_env(r);
	if (restart && rc->autostart && r->state != RS_BACKOFF)
		(void)runner_start(r);
}

void
runners_autostart(void)
{
	size_t	i;

	for (i = 0; i < nrunners; i++)
		if (runners[i].in_use && runners[i].rc->autostart)
			runner_start(&runners[i]);
}

struct runner *
runner_by_name(const char *name)
{
	size_t	i;

	for (i = 0; i < nrunners; i++)
		if (runners[i].in_use && !runners[i].removed &&
		    strcmp(runners[i].rc->name, name) == 0)
			return &runners[i];
	return NULL;
}

/* The group first; a child that has not reached setsid() yet directly. */
static void
runner_signal(pid_t pid, int sig)
{
	if (killpg(pid, sig) == -1 && errno == ESRCH)
		(void)kill(pid, sig);
}

int
runner_start(struct runner *r)
{
	struct run	*run;
	int		 child[3];
	pid_t		 pid;

	if (r->state == RS_STARTING || r->state == RS_RUNNING ||
	    r->state == RS_STOPPING || stopping_all || r->removed)
		return -1;
	evtimer_del(&r->timer);
	if (r->next_rc != NULL) {
		/* A reload changed what this runner runs. */
		runner_conf_release(r->rc);
		r->rc = r->next_rc;
		r->next_rc = NULL;
		runner_env(r);
	}
	if (r->state == RS_FATAL)
		r->start_failures = 0;	/* a fresh budget after giving up */
	if ((run = run_begin(r, r->rc, child)) == NULL) {
		runner_enter(r, RS_BACKOFF);
		runner_arm(r, runner_delay(r));
		return -1;
	}
	snprintf(r->env_run_id, sizeof(r->env_run_id), "CRASHTRAIL_RUN_ID=%s",
	    run->id);
	if ((pid = spawn_runner(r->rc, r->envp, child, &run->m.cg)) == -1) {
		close(child[1]);
		close(child[2]);
		if (child[0] != -1 && child[0] != child[1])
			close(child[0]);
		r->run = run;
		runner_enter(r, RS_STARTING);
		runner_ended(r, 0, 0);
		return -1;
	}
	run_started(run, pid, child);
	runner_record_live(r, run);
	r->run = run;
	r->starts++;
	r->kill_tries = 0;
	runner_enter(r, RS_STARTING);
	log_info("%s: run %s started, pid %ld", r->rc->name, run->id,
	    (long)pid);
	runner_event(r, run, "runner_started", runner_started_data);
	if (r->rc->startsecs == 0)
		runner_started_ok(r);
	else
		runner_arm(r, r->rc->startsecs * 1000);
	return 0;
}

static void
runner_started_ok(struct runner *r)
{
	r->start_failures = 0;
	runner_enter(r, RS_RUNNING);
}

static void
runner_backoff_done(struct runner *r)
{
	runner_start(r);
}

void
runner_stop(struct runner *r)
{
	r->restart_after_stop = 0;	/* a stop wins over an earlier restart */
	switch (r->state) {
	case RS_BACKOFF:
		evtimer_del(&r->timer);
		runner_enter(r, RS_STOPPED);
		break;
	case RS_STARTING:
	case RS_RUNNING:
		evtimer_del(&r->timer);
		r->run->ei.stop_requested = 1;
		r->run->ei.stop_signal = r->rc->stopsignal;
		runner_signal(r->run->pid, r->rc->stopsignal);
		runner_enter(r, RS_STOPPING);
		runner_arm(r, r->rc->stopwaitsecs * 1000);
		break;
	default:
		break;
	}
}

/* The stop timer ran out: SIGKILL, a few times, then give up. */
static void
runner_stop_escalate(struct runner *r)
{
	struct run	*run = r->run;

	if (r->kill_tries < RUNNER_KILL_TRIES) {
		log_warnx("%s: run %s did not stop on %s; sending SIGKILL to "
		    "group %ld", r->rc->name, run->id,
		    signal_name(r->rc->stopsignal), (long)run->pid);
		run->ei.stop_escalated = 1;
		runner_signal(run->pid, SIGKILL);
		r->kill_tries++;
		runner_arm(r, RUNNER_KILL_INTERVAL_MS);
		return;
	}
	log_warnx("%s: run %s (pid %ld) survived %d SIGKILLs; reporting it "
	    "unreapable and moving on", r->rc->name, run->id, (long)run->pid,
	    RUNNER_KILL_TRIES);
	run->ei.unreapable = 1;
	runner_ended(r, 0, 0);
}

static void
runner_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct runner	*r = arg;

	(void)fd;
	(void)what;
	if (runner_timeouts[r->state] != NULL)
		runner_timeouts[r->state](r);
}

/*
 * A run's leader is gone but its group is not (a grandchild that kept the
 * pipe, say): ask the group to go with the stop signal, and SIGKILL it
 * after stopwaitsecs, as systemd does for a service's leftovers.
 */
static void
runner_leftover(struct runner *r, pid_t pgid)
{
	struct timeval	tv;

	if (killpg(pgid, 0) == -1)
		return;
	if (stopping_all) {
		/* The group had its stop signal and stopwaitsecs already. */
		log_info("%s: SIGKILL to what is left of group %ld",
		    r->rc->name, (long)pgid);
		(void)killpg(pgid, SIGKILL);
		return;
	}
	if (r->leftover != 0)
		(void)killpg(r->leftover, SIGKILL);
	log_info("%s: processes of group %ld outlived their leader; sending "
	    "%s", r->rc->name, (long)pgid, signal_name(r->rc->stopsignal));
	(void)killpg(pgid, r->rc->stopsignal);
	r->leftover = pgid;
	tv.tv_sec = r->rc->stopwaitsecs;
	tv.tv_usec = 0;
	evtimer_add(&r->leftover_timer, &tv);
}

static void
runner_on_leftover(evutil_socket_t fd, short what, void *arg)
{
	struct runner	*r = arg;

	(void)fd;
	(void)what;
	/* The group id may have been reused by now: never this runner's. */
	if (r->leftover != 0 && r->run != NULL && r->run->pid == r->leftover)
		r->leftover = 0;
	if (r->leftover != 0 && killpg(r->leftover, SIGKILL) == 0)
		log_info("%s: SIGKILL to leftover group %ld", r->rc->name,
		    (long)r->leftover);
	r->leftover = 0;
}

/* Restart delay: backoff doubled per failure in a row, capped. */
static int
runner_delay(struct runner *r)
{
	int	shift = r->failures > 0 ? r->failures - 1 : 0;
	long	ms;

	if (shift > 20)
		shift = 20;
	ms = (long)r->rc->backoff_ms << shift;
	if (ms > r->rc->backoff_max_ms)
		ms = r->rc->backoff_max_ms;
	return (int)ms;
}

/* The live run is over: classify it and decide what comes next. */
static void
runner_ended(struct runner *r, int status_known, int wstatus)
{
	struct run		*run = r->run;
	enum runner_state	 was = r->state;

	evtimer_del(&r->timer);
	r->run = NULL;
	run_end(run, status_known, wstatus);
	if (run->ei.abnormal)
		r->abnormal_ends++;
	else
		r->clean_ends++;
	r->log_bytes += run->log_err.size + run->log_out.size;
	r->log_dropped += run->log_err.dropped + run->log_out.dropped;
	r->last_end_us = run->ended_us;
	r->last_abnormal = run->ei.abnormal;
	snprintf(r->last_run_id, sizeof(r->last_run_id), "%s", run->id);
	snprintf(r->last_cause, sizeof(r->last_cause), "%s", run->ei.cause);
	/* Published first; the death's file work follows. */
	runner_event(r, run, run->ei.abnormal ? "runner_failed" :
	    "runner_exited", run->ei.abnormal ? runner_failed_data :
	    runner_exited_data);
	if (!run->ei.unreapable)
		live_remove(r->rc->name);
	run_finish(run);
	if (!run->ei.unreapable)
		runner_leftover(r, run->pid);
	runner_after_end(r, run, was == RS_STARTING);
	runner_try_free(r);
	runner_check_idle();
}

static void
runner_after_end(struct runner *r, struct run *run, int early)
{
	const struct runner_conf	*rc = r->rc;
	int64_t				 lived;
	int				 restart;

	lived = (run->ended_us - run->started_us) / 1000;
	if (!run->ei.abnormal || lived >= rc->backoff_max_ms)
		r->failures = 0;
	if (run->ei.abnormal)
		r->failures++;

	if (r->state == RS_STOPPING || stopping_all) {
		runner_enter(r, RS_STOPPED);
		if (r->restart_after_stop && !stopping_all) {
			r->restart_after_stop = 0;
			runner_start(r);
		}
		r->restart_after_stop = 0;
		return;
	}
	if (early) {
		/* Died before startsecs: a failed start, whatever the code. */
		if (r->failures == 0)
			r->failures = 1;
		if (++r->start_failures > rc->startretries) {
			log_warnx("%s: gave up after %d failed starts (last: "
			    "%s); SIGUSR1 or a restart request retries it",
			    rc->name, r->start_failures, run->ei.cause);
			runner_enter(r, RS_FATAL);
			runner_event(r, run, "runner_fatal", runner_fatal_data);
			return;
		}
		runner_enter(r, RS_BACKOFF);
		runner_arm(r, runner_delay(r));
		return;
	}
	runner_enter(r, run->ei.abnormal ? RS_FAILED : RS_EXITED);
	restart = rc->autorestart == AUTORESTART_ALWAYS ||
	    (rc->autorestart == AUTORESTART_UNEXPECTED && run->ei.abnormal);
	if (!restart)
		return;
	runner_enter(r, RS_BACKOFF);
	runner_arm(r, run->ei.abnormal ? runner_delay(r) : 0);
}

static void
runner_event(struct runner *r, const struct run *run, const char *type,
    ev_data_fn fn)
{
	struct ev_meta	m = { type, "runner", r->rc->instance_id, r->rc->name,
	    run->id };

	events_emit(&m, fn, run);
}

static void
runner_started_data(struct jw *w, const void *arg)
{
	const struct run	*run = arg;

	jw_obj_begin(w, NULL);
	jw_int(w, "pid", run->pid);
	jw_uint(w, "start", run->runner->starts);
	jw_obj_end(w);
}

static void
runner_exited_data(struct jw *w, const void *arg)
{
	const struct run	*run = arg;

	jw_obj_begin(w, NULL);
	jw_int(w, "pid", run->pid);
	jw_str(w, "cause", run->ei.cause);
	if (run->ei.exited)
		jw_int(w, "exit_code", run->ei.exit_code);
	else
		jw_null(w, "exit_code");
	if (run->ei.signo != 0)
		jw_int(w, "signal", run->ei.signo);
	else
		jw_null(w, "signal");
	jw_bool(w, "stop_requested", run->ei.stop_requested);
	jw_int(w, "duration_ms", (run->ended_us - run->started_us) / 1000);
	jw_obj_end(w);
}

/* The death report itself; its log's SHA-256 follows in the file. */
static void
runner_failed_data(struct jw *w, const void *arg)
{
	report_json(w, arg, 0);
}

static void
runner_fatal_data(struct jw *w, const void *arg)
{
	const struct run	*run = arg;

	jw_obj_begin(w, NULL);
	jw_int(w, "start_failures", run->runner->start_failures);
	jw_str(w, "last_cause", run->ei.cause);
	jw_obj_end(w);
}

size_t
runners_count(void)
{
	return nrunners;
}

struct runner *
runner_at(size_t i)
{
	return i < nrunners && runners[i].in_use ? &runners[i] : NULL;
}

int
runner_restart(struct runner *r)
{
	if (r->state == RS_STARTING || r->state == RS_RUNNING) {
		runner_stop(r);		/* it clears any earlier restart */
		r->restart_after_stop = 1;
		return 0;
	}
	if (r->state == RS_STOPPING) {
		r->restart_after_stop = 1;
		return 0;
	}
	return runner_start(r);
}

void
runners_reap(void)
{
	struct run	*run;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (syncer_reaped(pid, status))
			continue;
		if ((run = run_by_pid(pid)) == NULL) {
			log_debug("reaped pid %ld (not a live run)",
			    (long)pid);
			continue;
		}
		runner_ended(run->runner, 1, status);
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
}

void
runners_stop_all(int force)
{
	size_t	i;

	stopping_all = 1;
	for (i = 0; i < nrunners; i++) {
		struct runner *r = &runners[i];

		if (!r->in_use)
			continue;
		runner_stop(r);
		if (force && r->state == RS_STOPPING && r->run != NULL) {
			r->run->ei.stop_escalated = 1;
			runner_signal(r->run->pid, SIGKILL);
		}
		if (r->leftover != 0) {
			(void)killpg(r->leftover, SIGKILL);
			r->leftover = 0;
			evtimer_del(&r->leftover_timer);
		}
	}
	runner_check_idle();
}

void
runners_retry_fatal(void)
{
	size_t	i;

	for (i = 0; i < nrunners; i++)
		if (runners[i].in_use && runners[i].state == RS_FATAL) {
			log_info("%s: retrying after FATAL", runners[i].rc->name);
			runner_start(&runners[i]);
		}
}

void
runner_run_done(struct runner *r, struct run *run)
{
	(void)run;
	if (r != NULL)
		runner_try_free(r);
	runner_check_idle();
}

static void
runner_check_idle(void)
{
	if (stopping_all && runner_idle != NULL && run_busy() == 0)
		runner_idle();
}
