/*
 * live.h -- the record of each live run in <state_dir>/live/<runner>, so
 * that a crashtrail which was killed finds, at its next start, the process
 * groups it left behind, and stops them before it starts a second copy.
 *
 * A record is written when a run's process exists (pid, process group,
 * the platform's start time of the leader, run id, log base) and removed
 * when the run is reaped.  It is written to a temporary name and renamed,
 * so a reader sees a whole record or none; it is not fsync'd, because it
 * protects against crashtrail's own death, not the host's (after a host
 * crash the processes are gone too).  One file per runner: a runner has at
 * most one live run.  Records are small text files:
 *   crashtrail-live 1\n  then "key value" lines; base is the last line.
 *
 * live_reclaim() is the start-up side: for each record whose leader is
 * still alive with the same start time, or whose group still has members
 * (a process group id cannot be reused while the group exists), it sends
 * the runner's stop signal to the group, waits up to stopwaitsecs, then
 * SIGKILLs it, all groups at once; a pid that now belongs to another
 * process is never signalled.  It blocks (before the loop runs), and is
 * bounded by the longest stopwaitsecs plus RECLAIM_KILL_WAIT_MS.  Memory:
 * live_write() and live_remove() use the caller's record and a stack
 * buffer; live_reclaim() allocates at start-up only.
 */
#ifndef LIVE_H
#define LIVE_H

#include <sys/types.h>

#include <limits.h>
#include <stdint.h>

#include "ids.h"

#define RECLAIM_KILL_WAIT_MS	3000

struct live_rec {
	char		 runner[ID_MAX + 1];
	char		 instance[ID_MAX + 1];
	char		 run_id[RUN_ID_MAX + 1];
	pid_t		 pid;
	pid_t		 pgid;
	uint64_t	 start;		/* platform_proc_start() of pid */
	int64_t		 started_us;	/* wall clock, for the report */
	char		 base[PATH_MAX];	/* log files, no suffix; may be "" */
};

/* What live_reclaim() found for one record. */
enum live_fate {
	LIVE_GONE,		/* nothing of it was left */
	LIVE_STOPPED,		/* was running; went on the stop signal */
	LIVE_KILLED,		/* was running; needed SIGKILL */
	LIVE_UNSTOPPABLE	/* still there after SIGKILLs */
};

/* Make <state_dir>/live.  0, or -1 (logged): runs are then not recorded. */
int	live_init(const char *state_dir);
/* Record (replace) the live run of rec->runner.  0 or -1 (logged). */
int	live_write(const struct live_rec *);
void	live_remove(const char *runner);

/*
 * Stop what the records show is left and call `done` once per record with
 * what happened; the records are then removed.  `ladder` gives the stop
 * signal and stopwaitsecs of a runner (by name; a runner no longer in the
 * config gets SIGTERM and 10 s).  Returns the number of records.
 */
int	live_reclaim(void (*ladder)(const char *runner, int *sig, int *secs),
	    void (*done)(const struct live_rec *, enum live_fate, void *),
	    void *arg);
const char *live_strfate(enum live_fate);

#endif /* LIVE_H */
