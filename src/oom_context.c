/*
 * oom_context.c -- the context lines of an OOM-killer dump (the CPU line,
 * the oom-kill: summary, Mem-Info and the tasks table) read into the
 * event being built.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "kmsg.h"
#include "kmsg_int.h"

static uint64_t		 pages_kb(const struct oom_parser *, uint64_t);
static int		 oom_header(struct oom_parser *, const char *,
			    const char *);
static void		 oom_top_add(struct oom_event *, int, uint64_t,
			    const char *, const char *);

static uint64_t
pages_kb(const struct oom_parser *p, uint64_t pages)
{
	if (pages > UINT64_MAX / p->page_kb)
		return UINT64_MAX;
	return pages * p->page_kb;
}

/* "CPU: 3 PID: 1234 Comm: ..."; Linux 6.12 puts "UID: N " before PID. */
int
oom_on_cpu(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	const char	*s = r->msg + 5, *end = r->msg + r->msglen, *q;
	int		 pid;

	(void)out;
	if (p->state != OOM_DUMP)
		return 0;
	if ((q = kmsg_skip_blank(s, end)) == end || !kmsg_is_digit(*q) ||
	    (s = kmsg_find(s, end, " PID: ")) == NULL)
		return -1;
	s = kmsg_skip_blank(s + 6, end);
	if (kmsg_num_pid(&s, end, &pid) == -1 ||
	    kmsg_find(s, end, " Comm: ") != s)
		return -1;
	/* The first one is the task that ran out; later ones are not. */
	if (!(p->ev.flags & OOM_F_TRIGGER_PID)) {
		p->ev.trigger_pid = pid;
		p->ev.flags |= OOM_F_TRIGGER_PID;
	}
	return 0;
}

/*
 * "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,
 * mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,task=x,pid=1,uid=0".  Paths
 * and the comm may hold commas, so pid and uid are taken from the end and
 * each path runs up to the key that follows it.
 */
int
oom_on_summary(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	struct oom_event	*ev = &p->ev;
	const char		*s = r->msg + 9, *end = r->msg + r->msglen;
	const char		*v, *e, *pid, *uid, *task, *tm, *om;
	size_t			 i;
	int64_t			 n, u;

	(void)out;
	if (p->state != OOM_DUMP)
		return 0;
	if (end - s >= 11 && memcmp(s, "constraint=", 11) == 0) {
		v = s + 11;
		if ((e = memchr(v, ',', (size_t)(end - v))) == NULL)
			e = end;
		if (e - v >= 11 && memcmp(v, "CONSTRAINT_", 11) == 0)
			v += 11;
		kmsg_copy(ev->constraint, sizeof(ev->constraint), v, e);
		for (i = 0; ev->constraint[i] != '\0'; i++)
			if (ev->constraint[i] >= 'A' &&
			    ev->constraint[i] <= 'Z')
				ev->constraint[i] += 'a' - 'A';
		ev->flags |= OOM_F_CONSTRAINT;
	}
	uid = kmsg_find_last(s, end, ",uid=");
	pid = kmsg_find_last(s, uid != NULL ? uid : end, ",pid=");
	task = kmsg_find_last(s, pid != NULL ? pid : end, ",task=");
	if (uid != NULL && pid != NULL &&
	    kmsg_field(uid, end, ",uid=", &u) == 0 &&
	    kmsg_field(pid, uid, ",pid=", &n) == 0 && u >= 0 &&
	    u <= UINT32_MAX && n >= 0 && n <= 0x7fffffff) {
		p->sum_pid = (int)n;
		p->sum_uid = (uint32_t)u;
		p->has_sum_uid = 1;
	}
	if ((tm = kmsg_find(s, end, ",task_memcg=")) != NULL) {
		v = tm + 12;
		e = task != NULL && task >= v ? task : end;
		kmsg_copy(ev->task_memcg, sizeof(ev->task_memcg), v, e);
		ev->flags |= OOM_F_TASK_MEMCG;
	}
	if ((om = kmsg_find(s, end, ",oom_memcg=")) != NULL) {
		v = om + 11;
		e = tm != NULL && tm >= v ? tm : (task != NULL && task >= v ?
		    task : end);
		kmsg_copy(ev->oom_memcg, sizeof(ev->oom_memcg), v, e);
		ev->flags |= OOM_F_OOM_MEMCG;
	}
	return 0;
}

/*
 * Mem-Info's " free:N free_pcp:N" (pages), not the zones' "free:NkB":
 * anchoring on free_pcp: is what tells them apart.
 */
int
oom_on_memfree(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	const char	*s = r->msg, *end = r->msg + r->msglen, *f, *q;
	uint64_t	 pages;

	(void)out;
	if (p->state != OOM_DUMP)
		return 0;
	for (f = s; (f = kmsg_find(f, end, "free:")) != NULL; f++) {
		if (f > s && !kmsg_is_blank(f[-1]))
			continue;
		q = f + 5;
		if (kmsg_num_u64(&q, end, &pages) == -1 || q == end ||
		    !kmsg_is_blank(*q))
			continue;
		q = kmsg_skip_blank(q, end);
		if (kmsg_find(q, end, "free_pcp:") != q)
			continue;
		p->ev.mem_free_kb = pages_kb(p, pages);
		p->ev.flags |= OOM_F_MEM_FREE;
		return 0;
	}
	return -1;
}

/* "262014 pages RAM" */
int
oom_on_pages(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	const char	*s = r->msg, *end = r->msg + r->msglen, *at, *d;
	uint64_t	 pages;

	(void)out;
	if (p->state != OOM_DUMP)
		return 0;
	at = kmsg_find(s, end, " pages RAM");
	for (d = at; d > s && kmsg_is_digit(d[-1]); d--)
		;
	if (d == at || (d > s && !kmsg_is_blank(d[-1])) ||
	    kmsg_num_u64(&d, at, &pages) == -1)
		return -1;
	p->ev.mem_total_kb = pages_kb(p, pages);
	p->ev.flags |= OOM_F_MEM_TOTAL;
	return 0;
}

/*
 * The tasks table's header names its columns: "[  pid  ]   uid  tgid
 * total_vm      rss [rss_anon rss_file rss_shmem] pgtables_bytes swapents
 * oom_score_adj name".  Kernels differ in what is between pid and name,
 * so rows are read with the map taken from it.
 */
static int
oom_header(struct oom_parser *p, const char *s, const char *end)
{
	const char	*t;
	int		 n = 0, rss = -1;

	for (;;) {
		s = kmsg_skip_blank(s, end);
		if (s == end)
			break;
		for (t = s; t < end && !kmsg_is_blank(*t); t++)
			;
		if (t - s == 4 && memcmp(s, "name", 4) == 0) {
			if (rss < 0)
				break;
			p->ncols = n;
			p->rss_col = rss;
			return 0;
		}
		if (t - s == 3 && memcmp(s, "rss", 3) == 0)
			rss = n;
		if (++n > 16)
			break;
		s = t;
	}
	/* A header we cannot map: guess from each row instead. */
	p->ncols = 0;
	return 0;
}

/* Keep the OOM_TOP_TASKS biggest, biggest first; ties keep the earlier. */
static void
oom_top_add(struct oom_event *ev, int pid, uint64_t rss_kb, const char *name,
    const char *name_end)
{
	size_t	i;

	if (ev->ntop == OOM_TOP_TASKS &&
	    rss_kb <= ev->top[OOM_TOP_TASKS - 1].rss_kb)
		return;
	i = ev->ntop < OOM_TOP_TASKS ? ev->ntop++ : OOM_TOP_TASKS - 1;
	for (; i > 0 && ev->top[i - 1].rss_kb < rss_kb; i--)
		ev->top[i] = ev->top[i - 1];
	ev->top[i].pid = pid;
	ev->top[i].rss_kb = rss_kb;
	kmsg_copy(ev->top[i].name, sizeof(ev->top[i].name), name, name_end);
}

/* "[   1234]  1000  1234  1308611  1205975  9678848   0   0 chromium" */
int
oom_on_table(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	const char	*s = r->msg + 1, *end = r->msg + r->msglen, *q;
	int64_t		 col[16], v;
	int		 pid, n = 0, want;

	(void)out;
	if (p->state != OOM_DUMP)
		return 0;
	s = kmsg_skip_blank(s, end);
	if (end - s >= 3 && memcmp(s, "pid", 3) == 0) {
		if ((q = memchr(s, ']', (size_t)(end - s))) == NULL)
			return -1;
		return oom_header(p, q + 1, end);
	}
	if (kmsg_num_pid(&s, end, &pid) == -1)
		return -1;
	s = kmsg_skip_blank(s, end);
	if (s == end || *s++ != ']')
		return -1;
	/*
	 * With a header, exactly its columns, so that a name made of digits
	 * stays a name; without one, every number up to the name.
	 */
	want = p->ncols > 0 ? p->ncols : 16;
	while (n < want) {
		q = kmsg_skip_blank(s, end);
		if (q == s || kmsg_num_i64(&q, end, &v) == -1 ||
		    (q < end && !kmsg_is_blank(*q)))
			break;
		col[n++] = v;
		s = q;
	}
	if ((p->ncols > 0 && n != p->ncols) || (p->ncols == 0 && n < 5))
		return -1;
	v = col[p->ncols > 0 ? p->rss_col : 3];
	if (v < 0)
		return -1;
	s = kmsg_skip_blank(s, end);
	for (q = end; q > s && kmsg_is_blank(q[-1]); q--)
		;
	oom_top_add(&p->ev, pid, pages_kb(p, (uint64_t)v), s, q);
	return 0;
}
