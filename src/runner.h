/*
 * runner.h -- supervised programs and their lifecycle.
 *
 *   STOPPED -> STARTING -> RUNNING -> EXITED | FAILED -> BACKOFF -> STARTING
 *   STARTING -> BACKOFF (died before startsecs) ... -> FATAL (retries spent)
 *   STARTING | RUNNING -> STOPPING -> STOPPED
 *
 * Every transition goes through runner_enter(), which logs "old -> new".
 * FATAL is not a dead end: runner_start() (SIGUSR1 to crashtrail, later
 * the API) takes a runner out of it with a fresh retry budget.
 *
 * Stop ladder: the stop signal to the whole process group, stopwaitsecs
 * for it to go, then SIGKILL to the group, repeated every
 * RUNNER_KILL_INTERVAL_MS up to RUNNER_KILL_TRIES times; a run still not
 * reaped after that is reported as unreapable and not waited on again.
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <sys/types.h>

#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "config.h"
#include "ids.h"

#define RUNNER_KILL_TRIES	3
#define RUNNER_KILL_INTERVAL_MS	2000

enum runner_state {
	RS_STOPPED,
	RS_STARTING,
	RS_RUNNING,
	RS_BACKOFF,
	RS_STOPPING,
	RS_EXITED,
	RS_FAILED,
	RS_FATAL,
	RS_MAX
};

struct run;

struct runner {
	int			 in_use;	/* the slot holds a runner */
	int			 removed;	/* by a reload: goes once stopped */
	const struct runner_conf *rc;		/* held */
	const struct runner_conf *next_rc;	/* held: for the next start */
	enum runner_state	 state;
	struct run		*run;		/* the live run, or NULL */
	struct event		 timer;		/* the current state's timeout */
	int			 start_failures; /* in a row, before startsecs */
	int			 failures;	/* abnormal ends in a row */
	uint64_t		 starts;
	int			 kill_tries;
	int			 restart_after_stop;
	pid_t			 leftover;	/* group left by the last run */
	struct event		 leftover_timer;
	char			**envp;		/* built with each conf */
	char			*env_inst, *env_rid;
	char			 env_run_id[128];
	/* For the API and /metrics. */
	uint64_t		 clean_ends, abnormal_ends;
	uint64_t		 log_bytes, log_dropped;
	int64_t			 last_end_us;
	int			 last_abnormal;
	char			 last_cause[CAUSE_MAX];
	char			 last_run_id[RUN_ID_MAX + 1];
};

/*
 * Reserve max_runners slots and fill them from the config; start-up only.
 * A runner never moves: a reload adds into free slots and frees the slot
 * of a removed runner once it is stopped and reported.
 */
void		 runners_init(struct event_base *, const struct config *,
		    void (*idle)(void));
/* Reload: a new runner (STOPPED) in a free slot, or NULL when full. */
struct runner	*runner_add(const struct runner_conf *);
/* Reload: stop it with its ladder; its slot goes when that is done. */
void		 runner_remove(struct runner *);
/*
 * Reload: the runner's new config.  With `restart` (keys that shape the
 * process changed) a live process is stopped with its ladder and started
 * again with it, and a stopped runner with autostart is started; without,
 * the process goes on and takes the new supervision values.
 */
void		 runner_set_conf(struct runner *, const struct runner_conf *,
		    int restart);
/* runner_reclaim.c: a run has started; record it in <state_dir>/live. */
void		 runner_record_live(const struct runner *, const struct run *);
/*
 * Before any runner starts: stop what a crashtrail that died left running
 * (live.h) and report those runs as ended with cause collector_restarted.
 */
void		 runners_reclaim(void);
/* Records of an earlier crashtrail's runs that runners_reclaim() found. */
uint64_t	 runners_reclaimed(void);
void		 runners_autostart(void);
struct runner	*runner_by_name(const char *);
/* Slots in use so far; runner_at() is NULL for a free one. */
size_t		 runners_count(void);
struct runner	*runner_at(size_t);
/* Stop, then start again once stopped (the API's restart). */
int		 runner_restart(struct runner *);
int		 runner_start(struct runner *);
void		 runner_stop(struct runner *);
/* Stop everything; with `force`, SIGKILL whatever is still stopping. */
void		 runners_stop_all(int force);
/* Collect every exited child (SIGCHLD). */
void		 runners_reap(void);
/* Give every FATAL runner a fresh start (SIGUSR1). */
void		 runners_retry_fatal(void);
/* Called by the run module once a run's report is on disk. */
void		 runner_run_done(struct runner *, struct run *);
const char	*runner_strstate(enum runner_state);

#endif /* RUNNER_H */
