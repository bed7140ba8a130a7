/*
 * stages.c -- a run's stage view, upserted from stage events (stages.h).
 * SPDX-License-Identifier: ISC
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "stages.h"
#include "timefmt.h"

#define STAGES_PRINTF(f, a)	__attribute__((format(printf, f, a)))

/* A row of the table for an identity not stored yet. */
#define ST_ABSENT	STAGE_STATUS_MAX

/* Table results that are not a next status. */
#define T_IGN		(-1)		/* a repeat: nothing changes */
#define T_TERM		(-2)		/* terminal: immutable */
#define T_BAD		(-3)		/* not a transition of this status */

/* The enums list the end kinds and the terminal statuses last. */
#define IS_END(k)	((k) >= STAGE_EV_SUCCEEDED)
#define IS_TERMINAL(s)	((s) >= STAGE_SUCCEEDED)
#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')

/*
 * status x event: the next status, or why not.  The row ST_ABSENT is a
 * stage first seen through this event, which is why any event creates
 * one: a producer that never sends queued still gets its stages shown.
 * Columns: queued, started, succeeded, failed, skipped.
 */
static const signed char stage_trans[ST_ABSENT + 1][STAGE_KIND_MAX] = {
	[STAGE_QUEUED] =	{ T_IGN, STAGE_RUNNING, T_BAD,
				  STAGE_FAILED, STAGE_SKIPPED },
	[STAGE_RUNNING] =	{ T_IGN, T_IGN, STAGE_SUCCEEDED,
				  STAGE_FAILED, T_BAD },
	[STAGE_SUCCEEDED] =	{ T_TERM, T_TERM, T_TERM, T_TERM, T_TERM },
	[STAGE_FAILED] =	{ T_TERM, T_TERM, T_TERM, T_TERM, T_TERM },
	[STAGE_SKIPPED] =	{ T_TERM, T_TERM, T_TERM, T_TERM, T_TERM },
	[ST_ABSENT] =		{ STAGE_QUEUED, STAGE_RUNNING, STAGE_SUCCEEDED,
				  STAGE_FAILED, STAGE_SKIPPED },
};

static const char *const stage_types[STAGE_KIND_MAX] = {
	[STAGE_EV_QUEUED] = "stage_queued",
	[STAGE_EV_STARTED] = "stage_started",
	[STAGE_EV_SUCCEEDED] = "stage_succeeded",
	[STAGE_EV_FAILED] = "stage_failed",
	[STAGE_EV_SKIPPED] = "stage_skipped",
};

static const char *const stage_status_names[STAGE_STATUS_MAX] = {
	[STAGE_QUEUED] = "queued",
	[STAGE_RUNNING] = "running",
	[STAGE_SUCCEEDED] = "succeeded",
	[STAGE_FAILED] = "failed",
	[STAGE_SKIPPED] = "skipped",
};

/* The verb for a refused or ignored event, as in "it cannot <verb>". */
static const char *const stage_verbs[STAGE_KIND_MAX] = {
	[STAGE_EV_QUEUED] = "be queued",
	[STAGE_EV_STARTED] = "start",
	[STAGE_EV_SUCCEEDED] = "succeed before it starts",
	[STAGE_EV_FAILED] = "fail",
	[STAGE_EV_SKIPPED] = "be skipped once it runs",
};

static void	stages_errf(char *, size_t, const char *, ...)
		    STAGES_PRINTF(3, 4);
static int	stages_check(const struct stage_event *, char *, size_t);
static int	stages_find(const struct stage_view *, const char *,
		    const char *, uint32_t);
static int	stages_newest(const struct stage_view *, const char *,
		    const char *);
static int	stages_attempt(const struct stage_view *,
		    const struct stage_event *, const char *, uint32_t *);
static void	stages_normalize(struct stage_event *);
static void	stages_measure(const struct stage *, struct stage_event *);
static int	stages_create(struct stage_view *, const struct stage_event *);
static void	stages_enter(struct stage_view *, int, struct stage_event *,
		    enum stage_status);
static int	stages_newest_running(const struct stage_view *);
static int	stages_refuse(const struct stage *, const struct stage_event *,
		    int, char *, size_t);
static void	stages_group_key(const char *, size_t *, const char **,
		    size_t *);
static int	stages_group_cmp(const char *, const char *);
static int	stages_min_pending(const struct stage_view *);
static void	stages_time(struct jw *, const char *, int64_t);
static void	stages_text(struct jw *, int, const char *);

void
stages_init(struct stage_view *v, struct stage *st, size_t cap)
{
	v->st = st;
	v->cap = cap > STAGES_CAP_MAX ? STAGES_CAP_MAX : (uint16_t)cap;
	stages_reset(v);
}

void
stages_reset(struct stage_view *v)
{
	v->n = 0;
	v->current = -1;
	v->starts = 0;
	v->dropped = 0;
	v->updated_us = 0;
}

int
stages_kind(const char *type)
{
	int	k;

	for (k = 0; k < STAGE_KIND_MAX; k++)
		if (strcmp(type, stage_types[k]) == 0)
			return k;
	return -1;
}

const char *
stages_type(enum stage_kind k)
{
	return (unsigned)k < STAGE_KIND_MAX ? stage_types[k] : "stage_unknown";
}

const char *
stages_status_name(enum stage_status s)
{
	return (unsigned)s < STAGE_STATUS_MAX ? stage_status_names[s] :
	    "unknown";
}

const char *
stages_strerror(int rc)
{
	switch (rc) {
	case STAGES_IGNORED:
		return "repeated event ignored";
	case STAGES_FULL:
		return "stage table full";
	case STAGES_EINVAL:
		return "invalid stage event";
	case STAGES_ETERMINAL:
		return "stage already terminal";
	case STAGES_ETRANSITION:
		return "not a transition of the stage's status";
	}
	return rc >= 0 ? "ok" : "unknown error";
}

const char *
stages_name_check(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0)
		return "is empty";
	if (n > STAGE_NAME_MAX)
		return "is longer than 64 bytes";
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return "has a byte that is not printable ASCII";
	/* "build" and "build " would be two stages no one can tell apart. */
	if (s[0] == ' ' || s[n - 1] == ' ')
		return "begins or ends with a space";
	return NULL;
}

const char *
stages_group_check(const char *s)
{
	size_t	i, n = strlen(s);

	if (n > STAGE_GROUP_MAX)
		return "is longer than 32 bytes";
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-", s[i]) == NULL)
			return "has a byte outside [A-Za-z0-9._:-]";
	return NULL;
}

static void
stages_errf(char *err, size_t len, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* The arrays are checked for their NUL first: the caller filled them. */
static int
stages_check(const struct stage_event *ev, char *err, size_t errlen)
{
	const char	*why;

	if ((unsigned)ev->kind >= STAGE_KIND_MAX) {
		stages_errf(err, errlen, "unknown stage event kind %d",
		    (int)ev->kind);
		return STAGES_EINVAL;
	}
	if (memchr(ev->name, '\0', sizeof(ev->name)) == NULL)
		why = "is longer than 64 bytes";
	else
		why = stages_name_check(ev->name);
	if (why != NULL) {
		stages_errf(err, errlen, "stage_name %s", why);
		return STAGES_EINVAL;
	}
	if (memchr(ev->group, '\0', sizeof(ev->group)) == NULL)
		why = "is longer than 32 bytes";
	else
		why = stages_group_check(ev->group);
	if (why != NULL) {
		stages_errf(err, errlen, "group_id %s", why);
		return STAGES_EINVAL;
	}
	if (memchr(ev->reason, '\0', sizeof(ev->reason)) == NULL) {
		stages_errf(err, errlen, "error or reason is not terminated");
		return STAGES_EINVAL;
	}
	if (ev->has_duration && ev->duration_ms < 0) {
		stages_errf(err, errlen, "duration_ms is negative");
		return STAGES_EINVAL;
	}
	return 0;
}

static int
stages_find(const struct stage_view *v, const char *group, const char *name,
    uint32_t attempt)
{
	int	i;

	for (i = 0; i < v->n; i++)
		if (v->st[i].attempt == attempt &&
		    strcmp(v->st[i].name, name) == 0 &&
		    strcmp(v->st[i].group, group) == 0)
			return i;
	return -1;
}

/* The stored entry with the highest attempt of (group, name), or -1. */
static int
stages_newest(const struct stage_view *v, const char *group, const char *name)
{
	int	i, best = -1;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->st[i].name, name) == 0 &&
		    strcmp(v->st[i].group, group) == 0 &&
		    (best < 0 || v->st[i].attempt > v->st[best].attempt))
			best = i;
	return best;
}

/* The real attempt of an event that gives none (rules in stages.h). */
static int
stages_attempt(const struct stage_view *v, const struct stage_event *ev,
    const char *group, uint32_t *attempt)
{
	const struct stage	*s;
	int			 i, next;

	if (ev->attempt != 0) {
		*attempt = ev->attempt;
		return 0;
	}
	if ((i = stages_newest(v, group, ev->name)) < 0) {
		*attempt = 1;
		return 0;
	}
	s = &v->st[i];
	next = IS_TERMINAL(s->status) && (!IS_END(ev->kind) ||
	    (v->n == v->cap && v->dropped > 0));
	if (next && s->attempt == UINT32_MAX)
		return -1;
	*attempt = s->attempt + (next ? 1 : 0);
	return 0;
}

/* Clear what an event of its kind does not carry, so none of it is kept. */
static void
stages_normalize(struct stage_event *ev)
{
	if (ev->group[0] == '\0')
		memcpy(ev->group, "g0", sizeof("g0"));
	if (!IS_END(ev->kind)) {
		ev->has_exit = 0;
		ev->exit_code = 0;
		ev->has_duration = 0;
		ev->duration_ms = 0;
	}
	if (ev->kind != STAGE_EV_FAILED && ev->kind != STAGE_EV_SKIPPED)
		ev->reason[0] = '\0';
	if (ev->kind == STAGE_EV_SKIPPED) {
		ev->has_exit = 0;
		ev->exit_code = 0;
	}
}

/* `s` is NULL for a stage that is not stored (never started, then). */
static void
stages_measure(const struct stage *s, struct stage_event *ev)
{
	if (!IS_END(ev->kind) || ev->has_duration)
		return;
	ev->has_duration = 1;
	ev->duration_ms = 0;
	/* A clock stepped back gives 0, never a negative duration. */
	if (s != NULL && s->started_us != 0 && ev->ts_us > s->started_us)
		ev->duration_ms = (ev->ts_us - s->started_us) / 1000;
}

static int
stages_create(struct stage_view *v, const struct stage_event *ev)
{
	struct stage	*s;

	if (v->n >= v->cap)
		return -1;
	s = &v->st[v->n];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, ev->name, sizeof(s->name));
	memcpy(s->group, ev->group, sizeof(s->group));
	s->attempt = ev->attempt;
	/* Not a status yet: stages_enter() sets the first one. */
	s->status = STAGE_QUEUED;
	return v->n++;
}

/* The one place a stage changes; ev is complete but for its duration. */
static void
stages_enter(struct stage_view *v, int i, struct stage_event *ev,
    enum stage_status next)
{
	struct stage	*s = &v->st[i];
	int		 was_running = s->status == STAGE_RUNNING;

	stages_measure(s, ev);
	s->status = next;
	v->updated_us = ev->ts_us;
	if (next == STAGE_QUEUED) {
		s->queued_us = ev->ts_us;
		return;
	}
	if (next == STAGE_RUNNING) {
		s->started_us = ev->ts_us;
		s->start_order = ++v->starts;
		v->current = i;
		return;
	}
	s->ended_us = ev->ts_us;
	s->has_duration = 1;
	s->duration_ms = ev->duration_ms;
	s->has_exit = ev->has_exit;
	s->exit_code = ev->exit_code;
	memcpy(s->reason, ev->reason, sizeof(s->reason));
	if (was_running && v->current == i)
		v->current = stages_newest_running(v);
}

/* The fallback for `current`: O(n), but only when the current one ends. */
static int
stages_newest_running(const struct stage_view *v)
{
	int	i, best = -1;

	for (i = 0; i < v->n; i++)
		if (v->st[i].status == STAGE_RUNNING && (best < 0 ||
		    v->st[i].start_order > v->st[best].start_order))
			best = i;
	return best;
}

static int
stages_refuse(const struct stage *s, const struct stage_event *ev, int t,
    char *err, size_t errlen)
{
	const char	*st = stages_status_name(s->status);

	if (t == T_IGN) {
		stages_errf(err, errlen, "stage '%s' attempt %u in %s is "
		    "already %s: %s ignored", s->name, s->attempt, s->group,
		    st, stage_types[ev->kind]);
		return STAGES_IGNORED;
	}
	if (t == T_TERM) {
		stages_errf(err, errlen, "stage '%s' attempt %u in %s already "
		    "%s: a terminal stage cannot change", s->name, s->attempt,
		    s->group, st);
		return STAGES_ETERMINAL;
	}
	stages_errf(err, errlen, "stage '%s' attempt %u in %s is %s: it "
	    "cannot %s", s->name, s->attempt, s->group, st,
	    stage_verbs[ev->kind]);
	return STAGES_ETRANSITION;
}

int
stages_apply(struct stage_view *v, struct stage_event *ev, char *err,
    size_t errlen)
{
	const char	*group;
	uint32_t	 attempt;
	int		 i, t, rc;

	if ((rc = stages_check(ev, err, errlen)) < 0)
		return rc;
	group = ev->group[0] != '\0' ? ev->group : "g0";
	if (stages_attempt(v, ev, group, &attempt) == -1) {
		stages_errf(err, errlen, "stage '%s' in %s: no attempt after "
		    "%u", ev->name, group, UINT32_MAX);
		return STAGES_EINVAL;
	}
	stages_normalize(ev);
	ev->attempt = attempt;
	if ((i = stages_find(v, ev->group, ev->name, attempt)) >= 0) {
		t = stage_trans[v->st[i].status][ev->kind];
		if (t < 0)
			return stages_refuse(&v->st[i], ev, t, err, errlen);
	} else {
		t = stage_trans[ST_ABSENT][ev->kind];
		if ((i = stages_create(v, ev)) < 0) {
			v->dropped++;
			stages_measure(NULL, ev);
			stages_errf(err, errlen, "stage table full (%u "
			    "stages): '%s' attempt %u in %s not kept",
			    (unsigned)v->cap, ev->name, attempt, ev->group);
			return STAGES_FULL;
		}
	}
	stages_enter(v, i, ev, (enum stage_status)t);
	return i;
}

const struct stage *
stages_current(const struct stage_view *v)
{
	return v->current >= 0 ? &v->st[v->current] : NULL;
}

/*
 * A group as (prefix, number): numbered when it is a prefix without
 * digits followed by one or more digits up to its end.  The number is
 * kept as its digits without leading zeros, so any length compares.
 */
static void
stages_group_key(const char *g, size_t *plen, const char **num, size_t *nlen)
{
	const char	*p = g, *d;

	while (*p != '\0' && !IS_DIGIT(*p))
		p++;
	*plen = (size_t)(p - g);
	for (d = p; IS_DIGIT(*d); d++)
		;
	if (d == p || *d != '\0') {
		*num = NULL;
		*nlen = 0;
		return;
	}
	while (*p == '0' && IS_DIGIT(p[1]))
		p++;
	*num = p;
	*nlen = (size_t)(d - p);
}

/* The group order of stages.h: 0 only for equal strings. */
static int
stages_group_cmp(const char *a, const char *b)
{
	const char	*na, *nb;
	size_t		 pa, pb, la, lb;
	int		 c;

	stages_group_key(a, &pa, &na, &la);
	stages_group_key(b, &pb, &nb, &lb);
	if ((na == NULL) != (nb == NULL))
		return na != NULL ? -1 : 1;
	if (na != NULL) {
		if ((c = memcmp(a, b, pa < pb ? pa : pb)) != 0)
			return c;
		if (pa != pb)
			return pa < pb ? -1 : 1;
		if (la != lb)
			return la < lb ? -1 : 1;
		if ((c = memcmp(na, nb, la)) != 0)
			return c;
	}
	return strcmp(a, b);
}

/* The first-seen non-terminal entry of the lowest group, or -1. */
static int
stages_min_pending(const struct stage_view *v)
{
	int	i, best = -1;

	for (i = 0; i < v->n; i++)
		if (!IS_TERMINAL(v->st[i].status) && (best < 0 ||
		    stages_group_cmp(v->st[i].group, v->st[best].group) < 0))
			best = i;
	return best;
}

/*
 * One group at a time: closing its stages makes them terminal, so the
 * next search finds the next group without remembering the last one.
 */
size_t
stages_end_run(struct stage_view *v, int64_t now_us, struct stage_event *out,
    size_t outcap)
{
	struct stage_event	 ev;
	struct stage		*s;
	const char		*group;
	size_t			 total = 0;
	int			 g, i;

	while ((g = stages_min_pending(v)) >= 0) {
		group = v->st[g].group;
		for (i = g; i < v->n; i++) {
			s = &v->st[i];
			if (IS_TERMINAL(s->status) ||
			    strcmp(s->group, group) != 0)
				continue;
			memset(&ev, 0, sizeof(ev));
			ev.kind = s->status == STAGE_QUEUED ? STAGE_EV_SKIPPED :
			    STAGE_EV_FAILED;
			memcpy(ev.name, s->name, sizeof(ev.name));
			memcpy(ev.group, s->group, sizeof(ev.group));
			ev.attempt = s->attempt;
			memcpy(ev.reason, STAGES_RUN_ENDED,
			    sizeof(STAGES_RUN_ENDED));
			ev.ts_us = now_us;
			stages_enter(v, i, &ev, ev.kind == STAGE_EV_SKIPPED ?
			    STAGE_SKIPPED : STAGE_FAILED);
			if (total < outcap)
				out[total] = ev;
			total++;
		}
	}
	return total;
}

static void
stages_time(struct jw *w, const char *key, int64_t us)
{
	char	ts[TIMEFMT_MAX];

	if (us != 0 && timefmt_rfc3339(ts, sizeof(ts), us) > 0)
		jw_str(w, key, ts);
}

/* A failure's text is an error; a skip's is a reason (void-box names). */
static void
stages_text(struct jw *w, int failed, const char *text)
{
	if (text[0] != '\0')
		jw_str(w, failed ? "error" : "reason", text);
}

void
stages_json(struct jw *w, const struct stage_view *v, int64_t updated_us)
{
	const struct stage	*s;
	int			 i;

	if (updated_us > 0)
		stages_time(w, "updated_at", updated_us);
	jw_arr_begin(w, "stages");
	for (i = 0; i < v->n; i++) {
		s = &v->st[i];
		jw_obj_begin(w, NULL);
		jw_str(w, "stage_name", s->name);
		jw_str(w, "group_id", s->group);
		jw_uint(w, "stage_attempt", s->attempt);
		jw_str(w, "status", stages_status_name(s->status));
		stages_time(w, "queued_at", s->queued_us);
		stages_time(w, "started_at", s->started_us);
		stages_time(w, "completed_at", s->ended_us);
		if (s->has_duration)
			jw_int(w, "duration_ms", s->duration_ms);
		if (s->has_exit)
			jw_int(w, "exit_code", s->exit_code);
		if (s->status == STAGE_FAILED || s->status == STAGE_SKIPPED)
			stages_text(w, s->status == STAGE_FAILED, s->reason);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_uint(w, "dropped", v->dropped);
}

void
stages_event_json(struct jw *w, const char *key, const struct stage_event *ev)
{
	jw_obj_begin(w, key);
	stages_event_members(w, ev);
	jw_obj_end(w);
}

void
stages_event_members(struct jw *w, const struct stage_event *ev)
{
	jw_str(w, "stage_name", ev->name);
	jw_str(w, "group_id", ev->group[0] != '\0' ? ev->group : "g0");
	jw_uint(w, "stage_attempt", ev->attempt);
	if (IS_END(ev->kind)) {
		if (ev->has_exit)
			jw_int(w, "exit_code", ev->exit_code);
		if (ev->has_duration)
			jw_int(w, "duration_ms", ev->duration_ms);
	}
	if (ev->kind == STAGE_EV_FAILED || ev->kind == STAGE_EV_SKIPPED)
		stages_text(w, ev->kind == STAGE_EV_FAILED, ev->reason);
}
