/*
 * run.h -- one process lifetime of a runner: its pipes, files, tail, end.
 *
 * Runs live in a pool of `max_runs` slots reserved at start-up, each with
 * its tail storage; a finished run stays in the pool (for its report and
 * tail) until its slot is the oldest finished one and a new run needs it.
 * All reads from a run's pipes go through one static buffer straight to
 * the log file and the tail: no allocation on this path.
 */
#ifndef RUN_H
#define RUN_H

#include <sys/types.h>

#include <limits.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "classify.h"
#include "config.h"
#include "diag.h"
#include "digest.h"
#include "ids.h"
#include "kmsg.h"
#include "logfile.h"
#include "sampler.h"
#include "tail.h"

#define RUN_EVLINE_MAX	4096	/* one JSON line on CRASHTRAIL_EVENT_FD */
#define RUN_READ_MAX	(64 * 1024)
#define RUN_TERMINATION_MAX 8192 /* the runner's own termination report */

enum run_phase {
	RUN_FREE,	/* slot unused */
	RUN_LIVE,	/* process running (or not yet reaped) */
	RUN_ENDED,	/* reaped and classified; report being written */
	RUN_DONE	/* everything written; slot reusable */
};

struct runner;
struct live_rec;

/*
 * A slot's storage (the tail's buffer) lives with the slot; everything else
 * belongs to one run and is cleared in one go when the slot is reused.
 */
struct run {
	enum run_phase		 phase;
	uint64_t		 serial;	/* allocation order */
	int			 adopted;	/* left by a crashtrail that died */
	struct runner		*runner;
	const struct runner_conf *rc;
	char			 id[RUN_ID_MAX + 1];
	pid_t			 pid;		/* also its process group */
	int64_t			 started_us;
	int64_t			 ended_us;
	int64_t			 started_ms;	/* monotonic */
	struct exit_info	 ei;

	int			 fd_err, fd_out, fd_ev;
	struct event		 ev_err, ev_out, ev_ev;
	char			 base[PATH_MAX];	/* files, no suffix */
	struct ls_entry		*store;
	struct logfile		 log_err, log_out;
	uint64_t		 bytes_err, bytes_out;
	struct tail		 tail;
	int			 tail_lazy;	/* not kept: read back from the log */
	struct diag_run		 diag;		/* known stderr diagnostics */
	uint64_t		 diag_upto;	/* stderr bytes matched so far */
	uint64_t		 diag_skipped;	/* ... and skipped (rate limit) */
	int			 diag_behind;	/* skipping since diag_upto */
	int			 diag_skip_nl;	/* the last byte skipped was '\n' */
	struct oom_event	 oom;		/* the kernel's kill, if any */
	int			 has_oom;
	struct xid_event	 xid;		/* the last GPU Xid of its pids */
	int			 has_xid;

	char			 evline[RUN_EVLINE_MAX];
	size_t			 evlen;
	int			 evdiscard;	/* inside an overlong line */
	uint64_t		 evlines, evdropped;

	int			 warned_err, warned_out;
	char			 termination[RUN_TERMINATION_MAX];
	size_t			 termination_len;	/* 0: none */

	struct digest		 digest;
	int			 hashed;	/* digest.hex is the log's SHA-256 */
	char			 report_path[PATH_MAX];
	uint64_t		 report_size;
	int			 report_written;
	struct run_metrics	 m;		/* samples, stages, cgroup */
};

/* Reserve every run slot and its tail; start-up only. */
void		 run_pool_init(struct event_base *, const struct config *,
		    struct logstore *);
/*
 * Take a slot for a new run of `r`, open its files and make its pipes.
 * child[0..2] get the child's ends (stdout or -1, stderr, event fd).
 * NULL (logged) when no slot is free or a pipe cannot be made.
 */
struct run	*run_begin(struct runner *r, const struct runner_conf *rc,
		    int child[3]);
/* The child is running as `pid`: close its ends here, start reading. */
void		 run_started(struct run *, pid_t pid, int child[3]);
/*
 * The process is gone (or given up on): read what is left in the pipes
 * and classify with the flags already set in run->ei.  The run is
 * RUN_ENDED after this and everything about its end is known, so its
 * event can go out; no file has been touched yet.
 */
void		 run_end(struct run *, int status_known, int wstatus);
/*
 * The file work of an ended run, after its event is published: close its
 * logs (made durable by the helper), then for an abnormal end hash the log
 * and write the death report; runner_run_done() follows once it is all
 * done.  A clean run is RUN_DONE at once.
 */
void		 run_finish(struct run *);
/*
 * A run recorded as live by a crashtrail that died (live.h): a slot for it,
 * ended with cause collector_restarted, its tail read back from its stderr
 * log.  `r` may be NULL (its runner is no longer configured), `rc` not.
 * The caller publishes its event and calls run_finish().  NULL when no
 * slot is free.
 */
struct run	*run_adopt(struct runner *r, const struct runner_conf *rc,
		    const struct live_rec *, int stopped, int escalated);
/*
 * The kernel named `pid` in an OOM kill (or a GPU Xid): the run it belongs
 * to (a live run's leader or group member, or a run that ended in the last
 * few seconds: pids are reused) is marked, and its death report is written
 * again through the usual path if it was already written.  Returns that
 * run, for the event's ids, or NULL.
 */
const struct run *run_note_kill(pid_t pid, const struct oom_event *);
const struct run *run_note_xid(pid_t pid, const struct xid_event *);
/* Called before classifying a SIGKILL death: read the kernel's log now. */
void		 run_set_kernel_drain(void (*)(void));
/*
 * The run's tail, up to date: while its log file holds every byte, a live
 * run's tail is read back from the file (the ingest path does not copy
 * it).  Valid until the next call for this run.
 */
const struct tail *run_tail(struct run *);
struct run	*run_by_pid(pid_t);
struct run	*run_by_id(const char *);
/* The newest run, live or retained, whose leader had this pid. */
struct run	*run_by_pid_any(pid_t);
/* Every slot in use, live or retained; i < run_slots(). */
size_t		 run_slots(void);
struct run	*run_slot_at(size_t);
/* Live or ended-but-unreported runs: shutdown waits for these. */
int		 run_busy(void);
/*
 * 1 while a run of `r` is live or being reported; else 0, and the
 * finished runs that name `r` are made to name no runner (r is going).
 */
int		 run_holds_runner(const struct runner *);

#endif /* RUN_H */
