/*
 * history.h -- the index of past runs that left a death report, so the
 * API can answer for runs from before a restart and for runs evicted from
 * the run pool (DESIGN.md section 7a, "Run history").
 *
 * An entry is the few fields a run listing needs; the report itself stays
 * on disk, next to its logs, and is read from there when asked for.  The
 * entries live in a pool of `max` slots reserved by history_init(); when
 * it is full the oldest entry (by end time, then run id) is evicted.
 *
 * history_init() scans <root>/<instance>/<runner>/<ts>.death.json once,
 * newest file name first (names are UTC times, so they sort), and parses
 * each report until `max` are indexed: a report that does not parse is
 * skipped, counted and logged, never fatal.  The scan allocates and frees
 * its scratch memory; after it nothing here allocates.
 *
 * Entries are owned by this module.  A pointer from history_find() or
 * history_at() is valid until the next history_add(), history_forget()
 * or history_init(): callers use it at once and keep nothing.
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"	/* CAUSE_MAX */
#include "ids.h"	/* ID_MAX, RUN_ID_MAX */
#include "timefmt.h"	/* TIMEFMT_MAX */

struct logstore;

/* <instance>/<runner>/<ts>: a run's files under the root, no suffix. */
#define HIST_REL_MAX	(2 * ID_MAX + TIMEFMT_MAX + 3)

struct hist_entry {
	char		 run_id[RUN_ID_MAX + 1];
	char		 instance_id[ID_MAX + 1];
	char		 runner_id[ID_MAX + 1];
	int64_t		 started_us;
	int64_t		 ended_us;
	char		 cause[CAUSE_MAX];
	long		 pid;
	int		 oom_killed;
	uint64_t	 stderr_bytes;	/* written by the runner */
	/*
	 * The files' base relative to the root: the root is kept once, not
	 * PATH_MAX bytes per entry.  history_path() makes a full path.
	 */
	char		 rel[HIST_REL_MAX];
};

struct hist_stats {
	size_t		 count;		/* entries now */
	size_t		 max;		/* the pool's size; 0 = history off */
	uint64_t	 indexed;	/* reports indexed by the start-up scan */
	uint64_t	 skipped_bad;	/* reports that did not parse */
	uint64_t	 evicted;	/* entries dropped for room */
	uint64_t	 forgotten;	/* entries whose files were pruned */
	int64_t		 scan_ms;	/* how long the scan took */
};

/*
 * Reserve `max` entries (0: history off, every call below is a no-op or
 * finds nothing) and index the reports under `runner_log_root`, the
 * logstore's root (<log_dir>/runner_log), which is copied.  Start-up
 * only.  0, or -1 (logged) when the root does not fit a path.
 */
int	history_init(const char *runner_log_root, size_t max);
/*
 * After logstore_init(), before history_init().  A report is written to
 * <base>.death.json.tmp<serial>, then fsync'd and renamed by the helper
 * (syncer.h), so a crashtrail killed in between leaves a finished report
 * under its temporary name.  Each one that parses whole is renamed to
 * <base>.death.json (the larger serial of one base last) and accounted
 * in `ls`; one whose group `ls` pruned is removed; the others are left
 * as they are and logged.  Start-up only (allocates, then frees).
 * Returns how many were renamed.
 */
int	history_recover(struct logstore *);
/*
 * A run of this process wrote its death report: index it.  `base` is the
 * run's files without suffix, under the root (run->base).  The same
 * run_id again updates its entry (a report rewritten for a late kernel
 * record).  Strings are copied (truncated to their fields).  Never
 * allocates; evicts the oldest entry when the pool is full.
 */
void	history_add(const char *run_id, const char *instance_id,
	    const char *runner_id, int64_t started_us, int64_t ended_us,
	    const char *cause, long pid, int oom_killed, const char *base,
	    uint64_t stderr_bytes);
/* The entry of `run_id`, or NULL. */
const struct hist_entry	*history_find(const char *run_id);
/* Entries now; history_at(0) is the newest, i < history_count(). */
size_t	history_count(void);
const struct hist_entry	*history_at(size_t i);
/* The files of `base` were pruned (logstore's on_prune): drop its entry. */
void	history_forget(const char *base);
/*
 * The full path of one of the entry's files: root/rel + `suffix` (such as
 * logstore_suffix(LS_REPORT)) into out.  0, or -1 when it does not fit.
 */
int	history_path(const struct hist_entry *, const char *suffix, char *out,
	    size_t len);
void	history_stats(struct hist_stats *);

#endif /* HISTORY_H */
