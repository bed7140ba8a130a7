/*
 * test_stages.c -- the stage view (src/stages.h): first-seen order, a start
 * without a queue, real attempts for retries, explicit attempts, measured
 * and given durations, terminal immutability and the transition table, a
 * full table, the end of a run in numeric group order, the current stage,
 * the JSON documents, and the checks on names and groups.  Each rule is
 * one the void-box stage view broke (research/seeds.md, section 5).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsoncheck.h"
#include "json.h"
#include "stages.h"

#define T0	1795370400000000LL	/* 2026-11-22T18:00:00Z in µs */
#define SEC	1000000LL
#define NMEM	8

static struct stage	mem[NMEM], mem2[NMEM];
static struct stage_view view, view2;
static char		jbuf[64 * 1024], jbuf2[64 * 1024], err[256];

/* Every event the scenarios applied, enriched, for the replay test. */
static struct stage_event log_ev[64];
static size_t		log_n;

static struct stage_event mk(enum stage_kind, const char *, const char *,
		    int64_t);
static int	put(struct stage_view *, enum stage_kind, const char *,
		    const char *, int64_t);
static int	put_ev(struct stage_view *, struct stage_event *);
static const struct stage *at(const struct stage_view *, int);
static size_t	view_json(const struct stage_view *, char *, size_t);
static size_t	event_json(const struct stage_event *, char *, size_t);
static int	has(const char *, const char *);
static void	test_kinds(void);
static void	test_first_seen(void);
static void	test_start_without_queue(void);
static void	test_same_name_groups(void);
static void	test_retry(void);
static void	test_explicit_attempt(void);
static void	test_duration(void);
static void	test_terminal(void);
static void	test_transitions(void);
static void	test_normalize(void);
static void	test_full(void);
static void	test_full_retry(void);
static void	test_end_run(void);
static void	test_end_run_order(void);
static void	test_end_run_short(void);
static void	test_current(void);
static void	test_json(void);
static void	test_event_json(void);
static void	test_names(void);
static void	test_attempt_overflow(void);
static void	test_replay(void);
static void	test_init_macro(void);

static struct stage_event
mk(enum stage_kind k, const char *name, const char *group, int64_t ts)
{
	struct stage_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = k;
	snprintf(ev.name, sizeof(ev.name), "%s", name);
	snprintf(ev.group, sizeof(ev.group), "%s", group);
	ev.ts_us = ts;
	return ev;
}

static int
put(struct stage_view *v, enum stage_kind k, const char *name,
    const char *group, int64_t ts)
{
	struct stage_event	ev = mk(k, name, group, ts);

	return put_ev(v, &ev);
}

/* Apply, and keep what a caller would store (not a refusal). */
static int
put_ev(struct stage_view *v, struct stage_event *ev)
{
	int	rc;

	err[0] = '\0';
	rc = stages_apply(v, ev, err, sizeof(err));
	if (v == &view && (rc >= 0 || rc == STAGES_IGNORED ||
	    rc == STAGES_FULL) && log_n < sizeof(log_ev) / sizeof(log_ev[0]))
		log_ev[log_n++] = *ev;
	return rc;
}

/* Entry i, which a check expects to exist: none is a broken test. */
static const struct stage *
at(const struct stage_view *v, int i)
{
	if (i < 0 || i >= v->n) {
		fprintf(stderr, "entry %d of %u does not exist\n", i,
		    (unsigned)v->n);
		exit(1);
	}
	return &v->st[i];
}

/* The view inside an object of its own, NUL-terminated; 0 on overflow. */
static size_t
view_json(const struct stage_view *v, char *buf, size_t cap)
{
	struct jw	w;

	jw_init(&w, buf, cap - 1, -1);
	jw_obj_begin(&w, NULL);
	stages_json(&w, v, v->updated_us);
	jw_obj_end(&w);
	if (w.err)
		return 0;
	buf[w.len] = '\0';
	return w.len;
}

static size_t
event_json(const struct stage_event *ev, char *buf, size_t cap)
{
	struct jw	w;

	jw_init(&w, buf, cap - 1, -1);
	stages_event_json(&w, NULL, ev);
	if (w.err)
		return 0;
	buf[w.len] = '\0';
	return w.len;
}

static int
has(const char *doc, const char *sub)
{
	if (strstr(doc, sub) != NULL)
		return 1;
	fprintf(stderr, "missing [%s] in %s\n", sub, doc);
	return 0;
}

/* A real JSON parser's opinion, when python3 is installed. */
static void
test_kinds(void)
{
	int	k;

	CHECK(stages_kind("stage_queued") == STAGE_EV_QUEUED);
	CHECK(stages_kind("stage_started") == STAGE_EV_STARTED);
	CHECK(stages_kind("stage_succeeded") == STAGE_EV_SUCCEEDED);
	CHECK(stages_kind("stage_failed") == STAGE_EV_FAILED);
	CHECK(stages_kind("stage_skipped") == STAGE_EV_SKIPPED);
	CHECK(stages_kind("stage_foo") == -1);
	CHECK(stages_kind("stage_queued ") == -1);
	CHECK(stages_kind("stage_completed") == -1);	/* void-box legacy */
	CHECK(stages_kind("") == -1);
	for (k = 0; k < STAGE_KIND_MAX; k++)
		CHECK(stages_kind(stages_type((enum stage_kind)k)) == k);
	CHECK(strcmp(stages_status_name(STAGE_QUEUED), "queued") == 0);
	CHECK(strcmp(stages_status_name(STAGE_RUNNING), "running") == 0);
	CHECK(strcmp(stages_status_name(STAGE_SUCCEEDED), "succeeded") == 0);
	CHECK(strcmp(stages_status_name(STAGE_FAILED), "failed") == 0);
	CHECK(strcmp(stages_status_name(STAGE_SKIPPED), "skipped") == 0);
	CHECK(strcmp(stages_strerror(STAGES_ETERMINAL),
	    "stage already terminal") == 0);
}

static void
test_first_seen(void)
{
	stages_init(&view, mem, NMEM);
	CHECK(put(&view, STAGE_EV_QUEUED, "lint", "g1", T0) == 0);
	CHECK(put(&view, STAGE_EV_QUEUED, "build", "g1", T0 + 1) == 1);
	CHECK(put(&view, STAGE_EV_QUEUED, "test", "g2", T0 + 2) == 2);
	/* Later events keep each stage where it was first seen. */
	CHECK(put(&view, STAGE_EV_STARTED, "test", "g2", T0 + 3) == 2);
	CHECK(put(&view, STAGE_EV_STARTED, "build", "g1", T0 + 4) == 1);
	CHECK(view.n == 3);
	CHECK(strcmp(at(&view, 0)->name, "lint") == 0);
	CHECK(strcmp(at(&view, 1)->name, "build") == 0);
	CHECK(strcmp(at(&view, 2)->name, "test") == 0);
	CHECK(at(&view, 1)->status == STAGE_RUNNING);
	CHECK(at(&view, 1)->queued_us == T0 + 1);
	CHECK(at(&view, 1)->started_us == T0 + 4);
	CHECK(at(&view, 0)->status == STAGE_QUEUED);
	CHECK(view.updated_us == T0 + 4);
	stages_reset(&view);
	CHECK(view.n == 0 && view.current == -1 && view.dropped == 0);
	CHECK(stages_current(&view) == NULL);
}

static void
test_start_without_queue(void)
{
	struct stage_event	ev;

	stages_init(&view, mem, NMEM);
	CHECK(put(&view, STAGE_EV_STARTED, "deploy", "g3", T0) == 0);
	CHECK(view.n == 1);
	CHECK(at(&view, 0)->status == STAGE_RUNNING);
	CHECK(at(&view, 0)->queued_us == 0);
	CHECK(at(&view, 0)->started_us == T0);
	CHECK(at(&view, 0)->attempt == 1);
	/* An end with nothing before it shows too, and never started. */
	ev = mk(STAGE_EV_SUCCEEDED, "notify", "", T0 + SEC);
	CHECK(put_ev(&view, &ev) == 1);
	CHECK(at(&view, 1)->status == STAGE_SUCCEEDED);
	CHECK(strcmp(at(&view, 1)->group, "g0") == 0);
	CHECK(strcmp(ev.group, "g0") == 0);
	CHECK(ev.attempt == 1 && ev.has_duration && ev.duration_ms == 0);
	CHECK(at(&view, 1)->started_us == 0 && at(&view, 1)->ended_us ==
	    T0 + SEC);
	/* And a skip of a stage never queued (a dependency failed). */
	CHECK(put(&view, STAGE_EV_SKIPPED, "publish", "g4", T0 + SEC) == 2);
	CHECK(at(&view, 2)->status == STAGE_SKIPPED);
}

/* void-box keyed stages by name: two "build"s collapsed into one. */
static void
test_same_name_groups(void)
{
	stages_init(&view, mem, NMEM);
	CHECK(put(&view, STAGE_EV_QUEUED, "build", "g1", T0) == 0);
	CHECK(put(&view, STAGE_EV_QUEUED, "build", "g2", T0) == 1);
	CHECK(put(&view, STAGE_EV_STARTED, "build", "g2", T0 + 1) == 1);
	CHECK(view.n == 2);
	CHECK(at(&view, 0)->status == STAGE_QUEUED);
	CHECK(at(&view, 1)->status == STAGE_RUNNING);
	/* "" and "g0" are the same group. */
	CHECK(put(&view, STAGE_EV_QUEUED, "x", "", T0) == 2);
	CHECK(put(&view, STAGE_EV_STARTED, "x", "g0", T0 + 1) == 2);
}

static void
test_retry(void)
{
	struct stage_event	ev;

	stages_init(&view, mem, NMEM);
	CHECK(put(&view, STAGE_EV_QUEUED, "test", "g1", T0) == 0);
	CHECK(put(&view, STAGE_EV_STARTED, "test", "g1", T0 + SEC) == 0);
	ev = mk(STAGE_EV_FAILED, "test", "g1", T0 + 2 * SEC);
	ev.has_exit = 1;
	ev.exit_code = 2;
	snprintf(ev.reason, sizeof(ev.reason), "flaky");
	CHECK(put_ev(&view, &ev) == 0);
	CHECK(ev.attempt == 1);
	/* The retry starts again: a second entry, attempt 2. */
	ev = mk(STAGE_EV_STARTED, "test", "g1", T0 + 3 * SEC);
	CHECK(put_ev(&view, &ev) == 1);
	CHECK(ev.attempt == 2);
	CHECK(view.n == 2);
	CHECK(at(&view, 0)->attempt == 1 && at(&view, 0)->status ==
	    STAGE_FAILED && at(&view, 0)->exit_code == 2);
	CHECK(at(&view, 1)->attempt == 2 && at(&view, 1)->status ==
	    STAGE_RUNNING);
	/* An end without attempt goes to the newest attempt. */
	ev = mk(STAGE_EV_SUCCEEDED, "test", "g1", T0 + 5 * SEC);
	CHECK(put_ev(&view, &ev) == 1);
	CHECK(ev.attempt == 2 && ev.duration_ms == 2000);
	/* A queued after a terminal attempt is the next one, and the
	 * started after it the same one. */
	ev = mk(STAGE_EV_QUEUED, "test", "g1", T0 + 6 * SEC);
	CHECK(put_ev(&view, &ev) == 2);
	CHECK(ev.attempt == 3);
	ev = mk(STAGE_EV_STARTED, "test", "g1", T0 + 7 * SEC);
	CHECK(put_ev(&view, &ev) == 2);
	CHECK(ev.attempt == 3);
	CHECK(view.n == 3);
	CHECK(at(&view, 2)->queued_us == T0 + 6 * SEC);
}

static void
test_explicit_attempt(void)
{
	struct stage_event	ev;

	stages_init(&view, mem, NMEM);
	ev = mk(STAGE_EV_STARTED, "train", "g1", T0);
	ev.attempt = 5;
	CHECK(put_ev(&view, &ev) == 0);
	CHECK(at(&view, 0)->attempt == 5 && ev.attempt == 5);
	/* Without one, the newest (5, running): a repeat. */
	ev = mk(STAGE_EV_STARTED, "train", "g1", T0 + 1);
	CHECK(put_ev(&view, &ev) == STAGES_IGNORED);
	CHECK(ev.attempt == 5);
	/* An older explicit attempt is its own entry, taken as given. */
	ev = mk(STAGE_EV_FAILED, "train", "g1", T0 + 2);
	ev.attempt = 3;
	CHECK(put_ev(&view, &ev) == 1);
	CHECK(at(&view, 1)->attempt == 3 && at(&view, 1)->status ==
	    STAGE_FAILED);
	/* The newest is still 5, running: the end goes there. */
	ev = mk(STAGE_EV_SUCCEEDED, "train", "g1", T0 + 3 * SEC);
	CHECK(put_ev(&view, &ev) == 0);
	CHECK(ev.attempt == 5 && at(&view, 0)->status == STAGE_SUCCEEDED);
	/* Then the next is 6, not 4. */
	ev = mk(STAGE_EV_QUEUED, "train", "g1", T0 + 4 * SEC);
	CHECK(put_ev(&view, &ev) == 2 && ev.attempt == 6);
}

static void
test_duration(void)
{
	struct stage_event	ev;

	stages_init(&view, mem, NMEM);
	/* Measured: 1.5 s between start and end. */
	put(&view, STAGE_EV_STARTED, "a", "g1", T0);
	ev = mk(STAGE_EV_SUCCEEDED, "a", "g1", T0 + 1500000);
	CHECK(put_ev(&view, &ev) == 0);
	CHECK(ev.has_duration && ev.duration_ms == 1500);
	CHECK(at(&view, 0)->has_duration && at(&view, 0)->duration_ms == 1500);
	/* Given: taken as it is, whatever the clock says. */
	put(&view, STAGE_EV_STARTED, "b", "g1", T0);
	ev = mk(STAGE_EV_FAILED, "b", "g1", T0 + 9 * SEC);
	ev.has_duration = 1;
	ev.duration_ms = 42;
	CHECK(put_ev(&view, &ev) == 1);
	CHECK(ev.duration_ms == 42 && at(&view, 1)->duration_ms == 42);
	/* Never started: 0. */
	put(&view, STAGE_EV_QUEUED, "c", "g1", T0);
	ev = mk(STAGE_EV_FAILED, "c", "g1", T0 + SEC);
	CHECK(put_ev(&view, &ev) == 2);
	CHECK(ev.has_duration && ev.duration_ms == 0);
	/* A clock stepped back: 0, not negative. */
	put(&view, STAGE_EV_STARTED, "d", "g1", T0 + 10 * SEC);
	ev = mk(STAGE_EV_SUCCEEDED, "d", "g1", T0);
	CHECK(put_ev(&view, &ev) == 3);
	CHECK(ev.duration_ms == 0);
	/* A negative duration is refused, the event untouched. */
	put(&view, STAGE_EV_STARTED, "e", "", T0);
	ev = mk(STAGE_EV_SUCCEEDED, "e", "", T0 + SEC);
	ev.has_duration = 1;
	ev.duration_ms = -5;
	CHECK(put_ev(&view, &ev) == STAGES_EINVAL);
	CHECK(ev.group[0] == '\0' && ev.attempt == 0 && ev.duration_ms == -5);
	CHECK(has(err, "duration_ms"));
	CHECK(at(&view, 4)->status == STAGE_RUNNING);
	/* Queued and started carry none. */
	CHECK(!at(&view, 4)->has_duration);
}

static void
test_terminal(void)
{
	struct stage_event	ev;
	struct stage		before;

	stages_init(&view, mem, NMEM);
	put(&view, STAGE_EV_STARTED, "a", "g1", T0);
	ev = mk(STAGE_EV_SUCCEEDED, "a", "g1", T0 + SEC);
	ev.attempt = 1;
	ev.has_exit = 1;
	CHECK(put_ev(&view, &ev) == 0);
	before = mem[0];
	/* The same attempt failing afterwards: refused, nothing changes. */
	ev = mk(STAGE_EV_FAILED, "a", "g1", T0 + 2 * SEC);
	ev.has_exit = 1;
	ev.exit_code = 1;
	snprintf(ev.reason, sizeof(ev.reason), "late");
	CHECK(put_ev(&view, &ev) == STAGES_ETERMINAL);
	CHECK(has(err, "'a' attempt 1 in g1 already succeeded"));
	CHECK(memcmp(&before, &mem[0], sizeof(before)) == 0);
	CHECK(view.n == 1);
	/* So is a repeat of the end, and an explicit queued for it. */
	ev = mk(STAGE_EV_SUCCEEDED, "a", "g1", T0 + 3 * SEC);
	CHECK(put_ev(&view, &ev) == STAGES_ETERMINAL);
	ev = mk(STAGE_EV_QUEUED, "a", "g1", T0 + 3 * SEC);
	ev.attempt = 1;
	CHECK(put_ev(&view, &ev) == STAGES_ETERMINAL);
	ev = mk(STAGE_EV_SKIPPED, "a", "g1", T0 + 3 * SEC);
	CHECK(put_ev(&view, &ev) == STAGES_ETERMINAL);
	CHECK(memcmp(&before, &mem[0], sizeof(before)) == 0);
	CHECK(view.updated_us == T0 + SEC);
	/* A skipped and a failed stage are terminal as well. */
	put(&view, STAGE_EV_SKIPPED, "b", "g1", T0);
	CHECK(put(&view, STAGE_EV_FAILED, "b", "g1", T0) == STAGES_ETERMINAL);
	put(&view, STAGE_EV_FAILED, "c", "g1", T0);
	CHECK(put(&view, STAGE_EV_SUCCEEDED, "c", "g1", T0) ==
	    STAGES_ETERMINAL);
	/* No error buffer is fine. */
	ev = mk(STAGE_EV_FAILED, "c", "g1", T0);
	CHECK(stages_apply(&view, &ev, NULL, 0) == STAGES_ETERMINAL);
}

static void
test_transitions(void)
{
	struct stage_event	ev;

	stages_init(&view, mem, NMEM);
	/* queued -> skipped, with its reason. */
	put(&view, STAGE_EV_QUEUED, "a", "g1", T0);
	ev = mk(STAGE_EV_SKIPPED, "a", "g1", T0 + SEC);
	snprintf(ev.reason, sizeof(ev.reason), "dependency \"build\" failed");
	CHECK(put_ev(&view, &ev) == 0);
	CHECK(at(&view, 0)->status == STAGE_SKIPPED);
	CHECK(strcmp(at(&view, 0)->reason,
	    "dependency \"build\" failed") == 0);
	CHECK(at(&view, 0)->ended_us == T0 + SEC);
	/* running -> skipped: refused, it ran. */
	put(&view, STAGE_EV_STARTED, "b", "g1", T0);
	CHECK(put(&view, STAGE_EV_SKIPPED, "b", "g1", T0) ==
	    STAGES_ETRANSITION);
	CHECK(has(err, "is running: it cannot be skipped"));
	CHECK(at(&view, 1)->status == STAGE_RUNNING);
	/* queued -> succeeded: refused, it never started. */
	put(&view, STAGE_EV_QUEUED, "c", "g1", T0);
	CHECK(put(&view, STAGE_EV_SUCCEEDED, "c", "g1", T0) ==
	    STAGES_ETRANSITION);
	CHECK(at(&view, 2)->status == STAGE_QUEUED);
	/* queued -> failed: a failure without a start is allowed. */
	CHECK(put(&view, STAGE_EV_FAILED, "c", "g1", T0 + SEC) == 2);
	CHECK(at(&view, 2)->status == STAGE_FAILED);
	/* A queued for a running stage is ignored, the view unchanged. */
	put(&view, STAGE_EV_QUEUED, "d", "g1", T0);
	put(&view, STAGE_EV_STARTED, "d", "g1", T0 + 1);
	CHECK(put(&view, STAGE_EV_QUEUED, "d", "g1", T0 + 2) ==
	    STAGES_IGNORED);
	CHECK(has(err, "already running"));
	CHECK(at(&view, 3)->status == STAGE_RUNNING);
	CHECK(at(&view, 3)->queued_us == T0);
	CHECK(view.n == 4 && view.updated_us == T0 + 1);
	/* As are a repeated queued and a repeated start. */
	put(&view, STAGE_EV_QUEUED, "e", "g1", T0);
	CHECK(put(&view, STAGE_EV_QUEUED, "e", "g1", T0 + 5) ==
	    STAGES_IGNORED);
	CHECK(at(&view, 4)->queued_us == T0);
	CHECK(put(&view, STAGE_EV_STARTED, "d", "g1", T0 + 5) ==
	    STAGES_IGNORED);
	CHECK(at(&view, 3)->started_us == T0 + 1);
	/* running -> failed. */
	CHECK(put(&view, STAGE_EV_FAILED, "d", "g1", T0 + SEC) == 3);
}

/* What a kind does not carry is not kept nor published. */
static void
test_normalize(void)
{
	struct stage_event	ev;

	stages_init(&view, mem, NMEM);
	ev = mk(STAGE_EV_STARTED, "a", "g1", T0);
	ev.has_exit = 1;
	ev.exit_code = 7;
	ev.has_duration = 1;
	ev.duration_ms = 9;
	snprintf(ev.reason, sizeof(ev.reason), "noise");
	CHECK(put_ev(&view, &ev) == 0);
	CHECK(!ev.has_exit && !ev.has_duration && ev.reason[0] == '\0');
	ev = mk(STAGE_EV_SUCCEEDED, "a", "g1", T0 + SEC);
	snprintf(ev.reason, sizeof(ev.reason), "noise");
	ev.has_exit = 1;
	CHECK(put_ev(&view, &ev) == 0);
	CHECK(ev.reason[0] == '\0' && at(&view, 0)->reason[0] == '\0');
	CHECK(ev.has_exit && ev.exit_code == 0 && at(&view, 0)->has_exit);
	ev = mk(STAGE_EV_SKIPPED, "b", "g1", T0 + SEC);
	ev.has_exit = 1;
	ev.exit_code = 3;
	CHECK(put_ev(&view, &ev) == 1);
	CHECK(!ev.has_exit && !at(&view, 1)->has_exit);
}

static void
test_full(void)
{
	struct stage_event	ev;
	char			buf[4096];
	int			i;

	stages_init(&view, mem, 3);
	CHECK(put(&view, STAGE_EV_QUEUED, "s0", "g1", T0) == 0);
	CHECK(put(&view, STAGE_EV_QUEUED, "s1", "g1", T0) == 1);
	CHECK(put(&view, STAGE_EV_QUEUED, "s2", "g1", T0) == 2);
	/* Two more do not fit: counted, the event still completed. */
	ev = mk(STAGE_EV_QUEUED, "s3", "", T0);
	CHECK(put_ev(&view, &ev) == STAGES_FULL);
	CHECK(strcmp(ev.group, "g0") == 0 && ev.attempt == 1);
	CHECK(has(err, "stage table full (3 stages): 's3'"));
	ev = mk(STAGE_EV_FAILED, "s4", "g1", T0 + SEC);
	CHECK(put_ev(&view, &ev) == STAGES_FULL);
	CHECK(ev.has_duration && ev.duration_ms == 0 && ev.attempt == 1);
	CHECK(view.n == 3 && view.dropped == 2);
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		CHECK(strcmp(at(&view, i)->name, buf) == 0);
	}
	/* Stored stages still change, without counting. */
	CHECK(put(&view, STAGE_EV_STARTED, "s1", "g1", T0 + SEC) == 1);
	CHECK(view.dropped == 2);
	CHECK(view_json(&view, buf, sizeof(buf)) > 0);
	CHECK(has(buf, "\"dropped\":2}"));
	CHECK(strstr(buf, "s3") == NULL);
	CHECK(python_parses(buf, strlen(buf)));
}

/* A retry that did not fit must not be refused as terminal. */
static void
test_full_retry(void)
{
	struct stage_event	ev;

	stages_init(&view, mem, 2);
	put(&view, STAGE_EV_STARTED, "a", "g1", T0);
	put(&view, STAGE_EV_FAILED, "a", "g1", T0 + SEC);
	put(&view, STAGE_EV_QUEUED, "b", "g1", T0);
	/* Full, nothing dropped yet: a repeated end is still a 409. */
	CHECK(put(&view, STAGE_EV_FAILED, "a", "g1", T0) == STAGES_ETERMINAL);
	ev = mk(STAGE_EV_STARTED, "a", "g1", T0 + 2 * SEC);
	CHECK(put_ev(&view, &ev) == STAGES_FULL && ev.attempt == 2);
	ev = mk(STAGE_EV_SUCCEEDED, "a", "g1", T0 + 3 * SEC);
	CHECK(put_ev(&view, &ev) == STAGES_FULL && ev.attempt == 2);
	CHECK(view.dropped == 2);
	CHECK(at(&view, 0)->status == STAGE_FAILED);
}

static void
test_end_run(void)
{
	struct stage_event	out[8];
	size_t			n;

	stages_init(&view, mem, NMEM);
	put(&view, STAGE_EV_QUEUED, "t10", "g10", T0);		/* 0 */
	put(&view, STAGE_EV_STARTED, "t2", "g2", T0);		/* 1 */
	put(&view, STAGE_EV_QUEUED, "t1a", "g1", T0);		/* 2 */
	put(&view, STAGE_EV_QUEUED, "t2b", "g2", T0);		/* 3 */
	put(&view, STAGE_EV_SUCCEEDED, "done", "g1", T0);	/* 4 */
	put(&view, STAGE_EV_STARTED, "t1b", "g1", T0 + SEC);	/* 5 */
	n = stages_end_run(&view, T0 + 3 * SEC, out, 8);
	CHECK(n == 5);
	/* g1, g2, g10: as strings, g10 would come before g2. */
	CHECK(strcmp(out[0].name, "t1a") == 0 && strcmp(out[0].group,
	    "g1") == 0);
	CHECK(strcmp(out[1].name, "t1b") == 0);
	CHECK(strcmp(out[2].name, "t2") == 0 && strcmp(out[2].group,
	    "g2") == 0);
	CHECK(strcmp(out[3].name, "t2b") == 0);
	CHECK(strcmp(out[4].name, "t10") == 0 && strcmp(out[4].group,
	    "g10") == 0);
	/* Queued ones skipped, running ones failed, all "run ended". */
	CHECK(out[0].kind == STAGE_EV_SKIPPED && out[1].kind ==
	    STAGE_EV_FAILED);
	CHECK(out[2].kind == STAGE_EV_FAILED && out[3].kind ==
	    STAGE_EV_SKIPPED && out[4].kind == STAGE_EV_SKIPPED);
	CHECK(strcmp(out[1].reason, "run ended") == 0);
	CHECK(strcmp(out[3].reason, "run ended") == 0);
	CHECK(!out[1].has_exit && !out[2].has_exit);
	CHECK(out[1].has_duration && out[1].duration_ms == 2000);
	CHECK(out[2].duration_ms == 3000 && out[0].duration_ms == 0);
	CHECK(out[1].attempt == 1 && out[1].ts_us == T0 + 3 * SEC);
	/* The view says the same. */
	CHECK(at(&view, 0)->status == STAGE_SKIPPED);
	CHECK(at(&view, 1)->status == STAGE_FAILED);
	CHECK(strcmp(at(&view, 1)->reason, "run ended") == 0);
	CHECK(at(&view, 1)->duration_ms == 3000 && !at(&view, 1)->has_exit);
	CHECK(at(&view, 4)->status == STAGE_SUCCEEDED);
	CHECK(at(&view, 5)->status == STAGE_FAILED);
	CHECK(view.current == -1);
	/* A second end has nothing left to close. */
	CHECK(stages_end_run(&view, T0 + 4 * SEC, out, 8) == 0);
}

/* The documented order on groups that are not all "g<n>". */
static void
test_end_run_order(void)
{
	static const char	*groups[NMEM] = { "build", "g10", "g2", "g02",
	    "a7", "7", "g1.2", "stage-3" };
	static const char	*want[NMEM] = { "7", "a7", "g02", "g2", "g10",
	    "stage-3", "build", "g1.2" };
	struct stage_event	out[16];
	size_t			i, n;

	stages_init(&view, mem, NMEM);
	for (i = 0; i < NMEM; i++)
		put(&view, STAGE_EV_QUEUED, "s", groups[i], T0);
	n = stages_end_run(&view, T0 + SEC, out, 16);
	CHECK(n == NMEM);
	for (i = 0; i < n && i < NMEM; i++)
		CHECK(strcmp(out[i].group, want[i]) == 0);
	/* Long numbers compare by value, not overflow. */
	stages_init(&view, mem, NMEM);
	put(&view, STAGE_EV_QUEUED, "s", "g100000000000000000000000000", T0);
	put(&view, STAGE_EV_QUEUED, "s", "g99999999999999999999999999", T0);
	put(&view, STAGE_EV_QUEUED, "s", "g3", T0);
	n = stages_end_run(&view, T0 + SEC, out, 16);
	CHECK(n == 3);
	CHECK(strcmp(out[0].group, "g3") == 0);
	CHECK(strcmp(out[1].group, "g99999999999999999999999999") == 0);
	CHECK(strcmp(out[2].group, "g100000000000000000000000000") == 0);
}

/* More to close than out holds: all applied, the first ones written. */
static void
test_end_run_short(void)
{
	struct stage_event	out[2];
	int			i;

	stages_init(&view, mem, NMEM);
	put(&view, STAGE_EV_QUEUED, "c", "g3", T0);
	put(&view, STAGE_EV_QUEUED, "b", "g2", T0);
	put(&view, STAGE_EV_QUEUED, "a", "g1", T0);
	CHECK(stages_end_run(&view, T0 + SEC, out, 2) == 3);
	CHECK(strcmp(out[0].name, "a") == 0 && strcmp(out[1].name, "b") == 0);
	for (i = 0; i < 3; i++)
		CHECK(at(&view, i)->status == STAGE_SKIPPED);
	CHECK(stages_end_run(&view, T0 + SEC, NULL, 0) == 0);
}

static void
test_current(void)
{
	stages_init(&view, mem, NMEM);
	CHECK(view.current == -1 && stages_current(&view) == NULL);
	put(&view, STAGE_EV_QUEUED, "q", "g1", T0);
	CHECK(view.current == -1);
	put(&view, STAGE_EV_STARTED, "a", "g1", T0);		/* 1 */
	CHECK(view.current == 1);
	CHECK(strcmp(stages_current(&view)->name, "a") == 0);
	put(&view, STAGE_EV_STARTED, "b", "g1", T0 + 1);	/* 2 */
	CHECK(view.current == 2);
	put(&view, STAGE_EV_STARTED, "c", "g1", T0 + 2);	/* 3 */
	CHECK(view.current == 3);
	/* The current one ends: the most recently started of the rest. */
	put(&view, STAGE_EV_SUCCEEDED, "c", "g1", T0 + 3);
	CHECK(view.current == 2);
	/* Another one ends: current stays. */
	put(&view, STAGE_EV_FAILED, "a", "g1", T0 + 4);
	CHECK(view.current == 2);
	/* A failure without a start leaves it too. */
	put(&view, STAGE_EV_FAILED, "q", "g1", T0 + 4);
	CHECK(view.current == 2);
	/* An ignored repeat start does not make it current again. */
	put(&view, STAGE_EV_STARTED, "d", "g1", T0 + 5);	/* 4 */
	CHECK(put(&view, STAGE_EV_STARTED, "b", "g1", T0 + 6) ==
	    STAGES_IGNORED);
	CHECK(view.current == 4);
	put(&view, STAGE_EV_SUCCEEDED, "d", "g1", T0 + 7);
	CHECK(view.current == 2);
	put(&view, STAGE_EV_SUCCEEDED, "b", "g1", T0 + 8);
	CHECK(view.current == -1 && stages_current(&view) == NULL);
	/* And the end of a run clears it. */
	put(&view, STAGE_EV_STARTED, "e", "g1", T0 + 9);
	CHECK(view.current == 5);
	stages_end_run(&view, T0 + 10, NULL, 0);
	CHECK(view.current == -1);
}

static void
test_json(void)
{
	struct stage_event	ev;
	size_t			n;

	stages_init(&view, mem, NMEM);
	CHECK(view_json(&view, jbuf, sizeof(jbuf)) > 0);
	CHECK(strcmp(jbuf, "{\"stages\":[],\"dropped\":0}") == 0);
	put(&view, STAGE_EV_QUEUED, "lint", "g1", T0);
	put(&view, STAGE_EV_STARTED, "build (linux, 3.11)", "g1", T0 + SEC);
	put(&view, STAGE_EV_STARTED, "test", "g2", T0 + SEC);
	ev = mk(STAGE_EV_FAILED, "test", "g2", T0 + 3 * SEC + 250);
	ev.has_exit = 1;
	ev.exit_code = 137;
	snprintf(ev.reason, sizeof(ev.reason), "killed \"hard\"\n");
	put_ev(&view, &ev);
	put(&view, STAGE_EV_SKIPPED, "deploy", "g3", T0 + 4 * SEC);
	n = view_json(&view, jbuf, sizeof(jbuf));
	CHECK(n > 0);
	CHECK(python_parses(jbuf, n));
	CHECK(has(jbuf, "{\"updated_at\":\"2026-11-22T18:00:04.000000Z\","
	    "\"stages\":[{\"stage_name\":\"lint\",\"group_id\":\"g1\","
	    "\"stage_attempt\":1,\"status\":\"queued\",\"queued_at\":"
	    "\"2026-11-22T18:00:00.000000Z\"}"));
	CHECK(has(jbuf, "{\"stage_name\":\"build (linux, 3.11)\","
	    "\"group_id\":\"g1\",\"stage_attempt\":1,\"status\":\"running\","
	    "\"started_at\":\"2026-11-22T18:00:01.000000Z\"}"));
	CHECK(has(jbuf, "{\"stage_name\":\"test\",\"group_id\":\"g2\","
	    "\"stage_attempt\":1,\"status\":\"failed\",\"started_at\":"
	    "\"2026-11-22T18:00:01.000000Z\",\"completed_at\":"
	    "\"2026-11-22T18:00:03.000250Z\",\"duration_ms\":2000,"
	    "\"exit_code\":137,\"error\":\"killed \\\"hard\\\"\\n\"}"));
	CHECK(has(jbuf, "{\"stage_name\":\"deploy\",\"group_id\":\"g3\","
	    "\"stage_attempt\":1,\"status\":\"skipped\",\"completed_at\":"
	    "\"2026-11-22T18:00:04.000000Z\",\"duration_ms\":0}],"
	    "\"dropped\":0}"));
	CHECK(strstr(jbuf, "null") == NULL);
	CHECK(strstr(jbuf, "\"reason\"") == NULL);
	/* A skipped stage's text is its reason. */
	stages_end_run(&view, T0 + 5 * SEC, NULL, 0);
	n = view_json(&view, jbuf, sizeof(jbuf));
	CHECK(n > 0 && python_parses(jbuf, n));
	CHECK(has(jbuf, "\"status\":\"skipped\",\"queued_at\":"
	    "\"2026-11-22T18:00:00.000000Z\",\"completed_at\":"
	    "\"2026-11-22T18:00:05.000000Z\",\"duration_ms\":0,"
	    "\"reason\":\"run ended\"}"));
	CHECK(has(jbuf, "\"status\":\"failed\",\"started_at\":"
	    "\"2026-11-22T18:00:01.000000Z\",\"completed_at\":"
	    "\"2026-11-22T18:00:05.000000Z\",\"duration_ms\":4000,"
	    "\"error\":\"run ended\"}"));
	/* Too small a buffer is the writer's error, never a short doc. */
	{
		struct jw	w;
		char		small[64];

		jw_init(&w, small, sizeof(small), -1);
		jw_obj_begin(&w, NULL);
		stages_json(&w, &view, 0);
		jw_obj_end(&w);
		CHECK(w.err);
	}
}

static void
test_event_json(void)
{
	struct stage_event	ev;
	size_t			n;

	stages_init(&view, mem, NMEM);
	ev = mk(STAGE_EV_STARTED, "fit", "", T0);
	put_ev(&view, &ev);
	CHECK(event_json(&ev, jbuf, sizeof(jbuf)) > 0);
	CHECK(strcmp(jbuf, "{\"stage_name\":\"fit\",\"group_id\":\"g0\","
	    "\"stage_attempt\":1}") == 0);
	ev = mk(STAGE_EV_FAILED, "fit", "", T0 + 1500 * 1000);
	ev.has_exit = 1;
	ev.exit_code = -1;
	snprintf(ev.reason, sizeof(ev.reason), "boom");
	put_ev(&view, &ev);
	n = event_json(&ev, jbuf, sizeof(jbuf));
	CHECK(n > 0 && python_parses(jbuf, n));
	CHECK(strcmp(jbuf, "{\"stage_name\":\"fit\",\"group_id\":\"g0\","
	    "\"stage_attempt\":1,\"exit_code\":-1,\"duration_ms\":1500,"
	    "\"error\":\"boom\"}") == 0);
	ev = mk(STAGE_EV_SKIPPED, "x", "g7", T0);
	snprintf(ev.reason, sizeof(ev.reason), "dependency failed");
	put_ev(&view, &ev);
	CHECK(event_json(&ev, jbuf, sizeof(jbuf)) > 0);
	CHECK(strcmp(jbuf, "{\"stage_name\":\"x\",\"group_id\":\"g7\","
	    "\"stage_attempt\":1,\"duration_ms\":0,"
	    "\"reason\":\"dependency failed\"}") == 0);
	ev = mk(STAGE_EV_SUCCEEDED, "y", "g7", T0);
	ev.has_exit = 1;
	put_ev(&view, &ev);
	CHECK(event_json(&ev, jbuf, sizeof(jbuf)) > 0);
	CHECK(strcmp(jbuf, "{\"stage_name\":\"y\",\"group_id\":\"g7\","
	    "\"stage_attempt\":1,\"exit_code\":0,\"duration_ms\":0}") == 0);
	/* As the data of an envelope, after jw_key(). */
	{
		struct jw	w;

		jw_init(&w, jbuf, sizeof(jbuf) - 1, -1);
		jw_obj_begin(&w, NULL);
		jw_str(&w, "type", stages_type(ev.kind));
		jw_key(&w, "data");
		stages_event_json(&w, NULL, &ev);
		jw_obj_end(&w);
		CHECK(!w.err);
		jbuf[w.len] = '\0';
		CHECK(has(jbuf, "{\"type\":\"stage_succeeded\",\"data\":{"));
		CHECK(python_parses(jbuf, w.len));
		/* The members alone, with one of the caller's after them. */
		jw_init(&w, jbuf, sizeof(jbuf) - 1, -1);
		jw_obj_begin(&w, NULL);
		stages_event_members(&w, &ev);
		jw_str(&w, "host", "h1");
		jw_obj_end(&w);
		CHECK(!w.err);
		jbuf[w.len] = '\0';
		CHECK(strcmp(jbuf, "{\"stage_name\":\"y\",\"group_id\":\"g7\","
		    "\"stage_attempt\":1,\"exit_code\":0,\"duration_ms\":0,"
		    "\"host\":\"h1\"}") == 0);
	}
}

static void
test_names(void)
{
	struct stage_event	ev;
	char			name[STAGE_NAME_MAX + 2];
	char			group[STAGE_GROUP_MAX + 2];

	stages_init(&view, mem, NMEM);
	CHECK(stages_name_check("") != NULL);
	ev = mk(STAGE_EV_QUEUED, "", "g1", T0);
	CHECK(put_ev(&view, &ev) == STAGES_EINVAL);
	CHECK(has(err, "stage_name is empty"));
	/* 64 bytes: fine; 65: refused. */
	memset(name, 'n', sizeof(name));
	name[STAGE_NAME_MAX] = '\0';
	CHECK(stages_name_check(name) == NULL);
	ev = mk(STAGE_EV_QUEUED, name, "g1", T0);
	CHECK(put_ev(&view, &ev) == 0);
	name[STAGE_NAME_MAX] = 'n';
	name[STAGE_NAME_MAX + 1] = '\0';
	CHECK(stages_name_check(name) != NULL);
	/* A caller that filled the whole array: no NUL, refused. */
	memset(ev.name, 'n', sizeof(ev.name));
	CHECK(put_ev(&view, &ev) == STAGES_EINVAL);
	CHECK(has(err, "longer than 64"));
	CHECK(stages_name_check("a\tb") != NULL);
	CHECK(stages_name_check("a\x7f") != NULL);
	CHECK(stages_name_check("caf\xc3\xa9") != NULL);
	CHECK(stages_name_check(" lead") != NULL);
	CHECK(stages_name_check("trail ") != NULL);
	CHECK(stages_name_check("build (linux, 3.11) [x] \"q\"") == NULL);
	CHECK(stages_name_check("a.b_c:d/e-f g") == NULL);
	/* Groups. */
	CHECK(stages_group_check("") == NULL);
	CHECK(stages_group_check("g10") == NULL);
	CHECK(stages_group_check("pipe.line_2:a-b") == NULL);
	CHECK(stages_group_check("g 1") != NULL);
	CHECK(stages_group_check("g/1") != NULL);
	memset(group, 'g', sizeof(group));
	group[STAGE_GROUP_MAX] = '\0';
	CHECK(stages_group_check(group) == NULL);
	group[STAGE_GROUP_MAX] = 'g';
	group[STAGE_GROUP_MAX + 1] = '\0';
	CHECK(stages_group_check(group) != NULL);
	ev = mk(STAGE_EV_QUEUED, "ok", "g 1", T0);
	CHECK(put_ev(&view, &ev) == STAGES_EINVAL);
	CHECK(has(err, "group_id"));
	ev = mk(STAGE_EV_QUEUED, "ok", "g1", T0);
	memset(ev.group, 'g', sizeof(ev.group));
	CHECK(put_ev(&view, &ev) == STAGES_EINVAL);
	ev = mk(STAGE_EV_QUEUED, "ok", "g1", T0);
	memset(ev.reason, 'r', sizeof(ev.reason));
	CHECK(put_ev(&view, &ev) == STAGES_EINVAL);
	ev = mk(STAGE_EV_QUEUED, "ok", "g1", T0);
	ev.kind = (enum stage_kind)STAGE_KIND_MAX;
	CHECK(put_ev(&view, &ev) == STAGES_EINVAL);
	CHECK(view.n == 1);
}

static void
test_attempt_overflow(void)
{
	struct stage_event	ev;

	stages_init(&view, mem, NMEM);
	ev = mk(STAGE_EV_SUCCEEDED, "a", "g1", T0);
	ev.attempt = UINT32_MAX;
	CHECK(put_ev(&view, &ev) == 0);
	ev = mk(STAGE_EV_QUEUED, "a", "g1", T0);
	CHECK(put_ev(&view, &ev) == STAGES_EINVAL);
	CHECK(ev.attempt == 0 && view.n == 1);
}

/*
 * A caller that stored the enriched events rebuilds the same view from
 * them after a restart: attempts and durations are in the events now.
 */
static void
test_replay(void)
{
	struct stage_event	out[8];
	size_t			i, n, a, b;

	log_n = 0;
	stages_init(&view, mem, NMEM);
	put(&view, STAGE_EV_QUEUED, "lint", "g1", T0);
	put(&view, STAGE_EV_STARTED, "lint", "g1", T0 + SEC);
	put(&view, STAGE_EV_FAILED, "lint", "g1", T0 + 2 * SEC);
	put(&view, STAGE_EV_STARTED, "lint", "g1", T0 + 3 * SEC);
	put(&view, STAGE_EV_SUCCEEDED, "lint", "g1", T0 + 4 * SEC);
	put(&view, STAGE_EV_STARTED, "build", "g10", T0 + 4 * SEC);
	put(&view, STAGE_EV_QUEUED, "build", "g10", T0 + 5 * SEC);
	put(&view, STAGE_EV_QUEUED, "test", "g2", T0 + 5 * SEC);
	n = stages_end_run(&view, T0 + 9 * SEC, out, 8);
	CHECK(n == 2);
	for (i = 0; i < n && log_n < 64; i++)
		log_ev[log_n++] = out[i];
	a = view_json(&view, jbuf, sizeof(jbuf));
	stages_init(&view2, mem2, NMEM);
	for (i = 0; i < log_n; i++)
		stages_apply(&view2, &log_ev[i], NULL, 0);
	b = view_json(&view2, jbuf2, sizeof(jbuf2));
	CHECK(a > 0 && a == b && strcmp(jbuf, jbuf2) == 0);
	CHECK(view2.current == -1 && view2.n == 4);
	CHECK(at(&view2, 1)->attempt == 2);
}

static void
test_init_macro(void)
{
	static struct stage	smem[5];
	struct stage_view	sv = STAGES_VIEW_INIT(smem);

	CHECK(sv.cap == 5 && sv.n == 0 && sv.current == -1 && sv.dropped == 0);
	CHECK(put(&sv, STAGE_EV_STARTED, "a", "g1", T0) == 0);
	CHECK(sv.current == 0);
}

int
main(void)
{
	test_kinds();
	test_first_seen();
	test_start_without_queue();
	test_same_name_groups();
	test_retry();
	test_explicit_attempt();
	test_duration();
	test_terminal();
	test_transitions();
	test_normalize();
	test_full();
	test_full_retry();
	test_end_run();
	test_end_run_order();
	test_end_run_short();
	test_current();
	test_json();
	test_event_json();
	test_names();
	test_attempt_overflow();
	test_replay();
	test_init_macro();
	return CHECK_DONE();
}
