/*
 * stages.h -- a run's stage view: the stages a workflow reported through
 * stage_* events, upserted in first-seen order over caller-owned storage.
 * SPDX-License-Identifier: ISC
 *
 * A stage is identified by (group, name, attempt), so two stages with one
 * name in different groups, and two attempts of one stage, are separate
 * entries.  The view is what GET /v1/runs/{id}/stages answers and what a
 * sampler asks "which stage is running now?"; the events themselves are
 * the caller's to publish.  Nothing here allocates, does I/O or keeps
 * global state: a view is a struct stage_view over `cap` struct stage the
 * caller owns (embedded in its run slot, or static), and every call works
 * on those alone.
 *
 * Ownership and lifetimes:
 * - `st` belongs to the caller and must outlive the view; the view writes
 *   st[0..n-1] and never reads past n, so the storage need not be cleared.
 * - stages_apply() reads and *completes* the caller's event (the real
 *   attempt, the measured duration, group "g0"), so that the caller can
 *   publish and store the enriched event: replaying stored events through
 *   stages_apply() on a fresh view rebuilds the same view.
 * - Strings returned (names, stages_strerror()) are static.
 *
 * Accepted text (checked by stages_apply(), and by the two check functions
 * for a caller that wants to refuse a request before it copies):
 * - a name is 1..STAGE_NAME_MAX bytes of printable ASCII (0x20..0x7e) and
 *   does not begin or end with a space.  Printable rather than an id's
 *   set because workflow tools name stages "build (linux, 3.11)"; ASCII
 *   only, so a name is safe in a log line and a length is a width.
 * - a group is 1..STAGE_GROUP_MAX bytes of [A-Za-z0-9._:-]; an empty
 *   group means "g0" (the void-box default).
 * - a reason is any NUL-terminated text that fits (the caller truncates):
 *   the JSON writer escapes it.
 *
 * Attempts are real.  An event with attempt 0 ("not given") is given one:
 * a queued or started for a (group, name) whose newest attempt is
 * terminal is the next attempt (newest + 1), otherwise it is the newest
 * attempt (a started after a queued is the same attempt); an end event
 * goes to the newest attempt; a stage never seen is attempt 1.  An
 * explicit attempt is taken as given.
 *
 * Transitions (status x event), the table in stages.c:
 *   (none)   -> queued | running | succeeded | failed | skipped
 *               (a start or an end without a queued still shows)
 *   queued   -> running, failed (a failure without a start), skipped;
 *               queued again: ignored; succeeded: refused (not started)
 *   running  -> succeeded, failed; queued or started again: ignored;
 *               skipped: refused (it ran)
 *   succeeded, failed, skipped: terminal, immutable, every event refused
 *
 * When an end event gives no duration_ms it is measured, ts_us minus the
 * start, in ms (0 when the stage never started or the clock went back).
 *
 * A full table (n == cap) keeps the first `cap` entries: an event that
 * needs a new entry is counted in `dropped` (events, not stages) and the
 * caller still publishes it.  Once entries are dropped, an end without
 * attempt for a stage whose stored newest attempt is terminal is taken as
 * the end of a later attempt that did not fit (counted, not refused): a
 * lost retry must not turn into a 409.  Attempts of stages that did not
 * fit are then a best guess.
 *
 * Cost: stages_apply() is O(n) (a scan for the identity); stages_current()
 * is O(1); stages_end_run() is O(n x groups).  Stage events are a few per
 * stage, so n stays small and none of this is on the byte path.
 */
#ifndef STAGES_H
#define STAGES_H

#include <stddef.h>
#include <stdint.h>

struct jw;

#define STAGE_NAME_MAX		64	/* bytes, NUL not included */
#define STAGE_GROUP_MAX		32
#define STAGE_REASON_MAX	160
#define STAGES_CAP_MAX		UINT16_MAX	/* entries a view can use */

/* The reason stages_end_run() gives every stage it closes. */
#define STAGES_RUN_ENDED	"run ended"

enum stage_status {
	STAGE_QUEUED,
	STAGE_RUNNING,
	STAGE_SUCCEEDED,
	STAGE_FAILED,
	STAGE_SKIPPED,
	STAGE_STATUS_MAX
};

enum stage_kind {
	STAGE_EV_QUEUED,
	STAGE_EV_STARTED,
	STAGE_EV_SUCCEEDED,
	STAGE_EV_FAILED,
	STAGE_EV_SKIPPED,
	STAGE_KIND_MAX
};

/* One incoming event, already parsed from JSON by the caller. */
struct stage_event {
	enum stage_kind	 kind;
	char		 name[STAGE_NAME_MAX + 1];
	char		 group[STAGE_GROUP_MAX + 1];	/* "" -> "g0" */
	uint32_t	 attempt;	/* 0: not given, the view fills it */
	int		 has_exit;	/* end events only */
	int		 exit_code;
	int		 has_duration;	/* end events; filled when absent */
	int64_t		 duration_ms;	/* >= 0 */
	char		 reason[STAGE_REASON_MAX + 1];	/* error|reason, "" */
	int64_t		 ts_us;		/* received at, wall clock µs */
};

/* One entry of the view; times are wall clock µs, 0 = not yet. */
struct stage {
	char		 name[STAGE_NAME_MAX + 1];
	char		 group[STAGE_GROUP_MAX + 1];
	char		 reason[STAGE_REASON_MAX + 1];	/* failed|skipped */
	uint32_t	 attempt;
	enum stage_status status;
	int64_t		 queued_us;
	int64_t		 started_us;
	int64_t		 ended_us;
	int		 has_exit;
	int		 exit_code;
	int		 has_duration;	/* every terminal stage has one */
	int64_t		 duration_ms;
	uint32_t	 start_order;	/* nth start in the view; 0 never */
};

struct stage_view {
	struct stage	*st;		/* cap entries, owned by the caller */
	uint16_t	 cap;
	uint16_t	 n;		/* st[0..n-1], in first-seen order */
	int		 current;	/* newest running start, or -1 */
	uint32_t	 starts;	/* starts so far: orders `current` */
	uint64_t	 dropped;	/* events that found the table full */
	int64_t		 updated_us;	/* ts of the last change, 0 none */
};

/* Over static storage: struct stage mem[N]; view = STAGES_VIEW_INIT(mem). */
#define STAGES_VIEW_INIT(storage) { (storage),				\
	(uint16_t)(sizeof(storage) / sizeof((storage)[0])), 0, -1, 0, 0, 0 }

/*
 * What stages_apply() returns when it does not return an index.  Each
 * says what the caller should answer a producer.
 */
enum stages_rc {
	STAGES_IGNORED = -1,	/* a repeat: view unchanged; 200, storing it
				 * is harmless (a replay ignores it again) */
	STAGES_FULL = -2,	/* not kept, `dropped` counted; still 200 and
				 * published, the event enriched as usual */
	STAGES_EINVAL = -3,	/* bad name, group, kind or duration: 400 */
	STAGES_ETERMINAL = -4,	/* the stage is terminal, immutable: 409 */
	STAGES_ETRANSITION = -5	/* not a transition of its status: 409 */
};

/* At most STAGES_CAP_MAX of the `cap` entries are used. */
void		 stages_init(struct stage_view *, struct stage *st,
		    size_t cap);
/* Forget every entry and counter (a new run in the same slot). */
void		 stages_reset(struct stage_view *);

/* "stage_queued" ... "stage_skipped" -> kind; -1 for anything else. */
int		 stages_kind(const char *type);
/* The event type of a kind ("stage_failed"), for the caller to emit. */
const char	*stages_type(enum stage_kind);
/* "queued", "running", "succeeded", "failed", "skipped". */
const char	*stages_status_name(enum stage_status);
/* A short text for a negative stages_apply() result. */
const char	*stages_strerror(int rc);

/* NULL when valid (see above), else why not; for a NUL-terminated s. */
const char	*stages_name_check(const char *s);
const char	*stages_group_check(const char *s);	/* "" is valid */

/*
 * Upsert one event.  Returns the index of its entry (>= 0) or a
 * stages_rc.  On success, STAGES_IGNORED and STAGES_FULL, `ev` has been
 * completed: attempt, group ("g0"), and on an end event has_duration and
 * duration_ms; fields an event of its kind does not carry are cleared
 * (exit code and text on a queued or started; text on a succeeded; exit
 * code on a skipped).  On STAGES_EINVAL `ev` is untouched.  `err`
 * (errlen bytes, may be NULL) receives a message for the answer (naming
 * the stage once it is known) for every result but an index.
 */
int		 stages_apply(struct stage_view *, struct stage_event *ev,
		    char *err, size_t errlen);

/* The stage running now (the one most recently started), or NULL. */
const struct stage *stages_current(const struct stage_view *);

/*
 * The run ended at now_us: every queued stage becomes skipped and every
 * running one failed, both with reason STAGES_RUN_ENDED (no exit code; a
 * failed one's duration measured).  These synthesized events are applied
 * to the view and written to out[0..outcap-1], ordered by group (below),
 * then first-seen within a group; returns how many there were in all
 * (more than outcap means the rest were applied but not written).
 * Stages dropped from a full table are unknown here and are not closed.
 *
 * Group order: a group that is a prefix without digits followed by
 * digits ("g2", "stage-10", "7") sorts by prefix, then by the number
 * (g2 < g10, at any length), and before every other group; the others
 * ("build", "g1.2") sort by strcmp; equal numbers ("g2", "g02") by strcmp.
 */
size_t		 stages_end_run(struct stage_view *, int64_t now_us,
		    struct stage_event *out, size_t outcap);

/*
 * Members of the object open in `w`: "updated_at" (when updated_us > 0),
 * "stages":[{stage_name, group_id, stage_attempt, status, queued_at?,
 * started_at?, completed_at?, duration_ms?, exit_code?, error?|reason?}]
 * in first-seen order, and "dropped".  Absent fields are left out; a
 * failed stage's text is "error", a skipped one's "reason".
 */
void		 stages_json(struct jw *w, const struct stage_view *,
		    int64_t updated_us);
/*
 * The "data" object of a completed stage event (`key` as in jw, NULL
 * after jw_key()): {stage_name, group_id, stage_attempt, exit_code?,
 * duration_ms?, error?|reason?}.  Fits ev_data_fn through a wrapper.
 * stages_event_members() writes the same members into an object the
 * caller has open, for one that adds members of its own.
 */
void		 stages_event_json(struct jw *w, const char *key,
		    const struct stage_event *ev);
void		 stages_event_members(struct jw *w,
		    const struct stage_event *ev);

#endif /* STAGES_H */
