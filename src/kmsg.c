/*
 * kmsg.c -- /dev/kmsg records, OOM-killer dumps and NVIDIA Xid lines.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "json.h"
#include "kmsg.h"

/* What one record of a dump is; see the Reference in seeds.md. */
enum oom_line {
	L_NOISE,	/* nothing the parser knows */
	L_OPENER,	/* "<comm> invoked oom-killer: gfp_mask=..." */
	L_CPU,		/* "CPU: 3 PID: 1234 Comm: ..." (dump_stack) */
	L_SUMMARY,	/* "oom-kill:constraint=CONSTRAINT_NONE,..." */
	L_MEMFREE,	/* Mem-Info's "... free:N free_pcp:N ..." */
	L_PAGES_RAM,	/* "N pages RAM" */
	L_TABLE,	/* tasks table: header or row, "[..." */
	L_KILL,		/* "<prefix>: Killed process N (comm) total-vm:..." */
	L_EXITING,	/* the victim was exiting: no kill line follows */
	L_GROUP,	/* memory.oom.group: the cgroup's tasks die too */
	L_KNOWN,	/* part of a dump, nothing to take from it */
	L_MAX
};

#define AT_START	0
#define ANYWHERE	1

/* The first entry that matches a message classifies it. */
static const struct {
	int		 where;
	const char	*s;
	enum oom_line	 kind;
} oom_lines[] = {
	{ ANYWHERE, " invoked oom-killer:", L_OPENER },
	{ AT_START, "oom-kill:", L_SUMMARY },
	{ ANYWHERE, "Killed process ", L_KILL },
	{ AT_START, "CPU: ", L_CPU },
	{ AT_START, "[", L_TABLE },
	{ ANYWHERE, " free_pcp:", L_MEMFREE },
	{ ANYWHERE, " pages RAM", L_PAGES_RAM },
	{ ANYWHERE, " is already exiting. Skip killing the task", L_EXITING },
	{ ANYWHERE, " are going to be killed due to memory.oom.group set",
	    L_GROUP },
	{ AT_START, "oom_reaper: reaped process ", L_KNOWN },
	{ AT_START, "Tasks state (memory values in pages):", L_KNOWN },
	{ AT_START, "Mem-Info:", L_KNOWN },
	{ ANYWHERE, " or sacrifice child", L_KNOWN },
	{ AT_START, "memory: usage ", L_KNOWN },
	{ AT_START, "memory+swap: usage ", L_KNOWN },
	{ AT_START, "swap: usage ", L_KNOWN },
	{ AT_START, "kmem: usage ", L_KNOWN },
	{ AT_START, "Memory cgroup stats for ", L_KNOWN },
	{ AT_START, "Task in ", L_KNOWN },
};

/* The kill line's prefixes, indexed by enum oom_kind. */
static const char *const oom_prefixes[] = {
	[OOM_KIND_GLOBAL] = "Out of memory: ",
	[OOM_KIND_MEMCG] = "Memory cgroup out of memory: ",
	[OOM_KIND_ALLOCATING_TASK] =
	    "Out of memory (oom_kill_allocating_task): ",
	[OOM_KIND_UNPREFIXED] = "",
};

static const char *const oom_kindnames[] = {
	[OOM_KIND_GLOBAL] = "global",
	[OOM_KIND_MEMCG] = "memcg",
	[OOM_KIND_ALLOCATING_TASK] = "allocating_task",
	[OOM_KIND_UNPREFIXED] = "unprefixed",
};

static const char *const oom_statenames[OOM_STATE_MAX] = {
	[OOM_IDLE] = "idle",
	[OOM_DUMP] = "dump",
	[OOM_GROUP] = "group",
};

/*
 * Each handler returns 1 when it filled *out, 0 for a line it recognised,
 * and -1 for one that looked like its kind but was not: that one counts
 * as noise.
 */
typedef int	oom_handler(struct oom_parser *, const struct kmsg_record *,
		    struct oom_event *);

static oom_handler	oom_on_opener, oom_on_cpu, oom_on_summary,
			oom_on_memfree, oom_on_pages, oom_on_table,
			oom_on_kill, oom_on_exiting, oom_on_group,
			oom_on_known;

static oom_handler *const oom_handlers[L_MAX] = {
	[L_OPENER] = oom_on_opener,
	[L_CPU] = oom_on_cpu,
	[L_SUMMARY] = oom_on_summary,
	[L_MEMFREE] = oom_on_memfree,
	[L_PAGES_RAM] = oom_on_pages,
	[L_TABLE] = oom_on_table,
	[L_KILL] = oom_on_kill,
	[L_EXITING] = oom_on_exiting,
	[L_GROUP] = oom_on_group,
	[L_KNOWN] = oom_on_known,
};

static const char	*mfind(const char *, const char *, const char *);
static const char	*mfind_last(const char *, const char *, const char *);
static int		 is_digit(char);
static int		 is_blank(char);
static const char	*skip_blank(const char *, const char *);
static int		 num_u64(const char **, const char *, uint64_t *);
static int		 num_i64(const char **, const char *, int64_t *);
static int		 num_pid(const char **, const char *, int *);
static void		 copy_str(char *, size_t, const char *, const char *);
static uint64_t		 pages_kb(const struct oom_parser *, uint64_t);
static int		 field(const char *, const char *, const char *,
			    int64_t *);
static enum oom_line	 oom_classify(const char *, size_t);
static void		 oom_enter(struct oom_parser *, enum oom_state);
static int		 oom_header(struct oom_parser *, const char *,
			    const char *);
static void		 oom_top_add(struct oom_event *, int, uint64_t,
			    const char *, const char *);

/* memmem over [s, end) for a C string. */
static const char *
mfind(const char *s, const char *end, const char *needle)
{
	if (s >= end)
		return NULL;
	return memmem(s, (size_t)(end - s), needle, strlen(needle));
}

static const char *
mfind_last(const char *s, const char *end, const char *needle)
{
	const char	*f, *last = NULL;

	while ((f = mfind(s, end, needle)) != NULL) {
		last = f;
		s = f + 1;
	}
	return last;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *
skip_blank(const char *s, const char *end)
{
	while (s < end && is_blank(*s))
		s++;
	return s;
}

/* Decimal digits at *sp, at least one, no overflow; advances *sp. */
static int
num_u64(const char **sp, const char *end, uint64_t *v)
{
	const char	*s = *sp;
	uint64_t	 n = 0, d;

	if (s >= end || !is_digit(*s))
		return -1;
	for (; s < end && is_digit(*s); s++) {
		d = (uint64_t)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	*sp = s;
	return 0;
}

static int
num_i64(const char **sp, const char *end, int64_t *v)
{
	const char	*s = *sp;
	uint64_t	 u;
	int		 neg = 0;

	if (s < end && *s == '-') {
		neg = 1;
		s++;
	}
	if (num_u64(&s, end, &u) == -1 || u > INT64_MAX)
		return -1;
	*v = neg ? -(int64_t)u : (int64_t)u;
	*sp = s;
	return 0;
}

/* A pid: what fits an int (the kernel's pid_t). */
static int
num_pid(const char **sp, const char *end, int *pid)
{
	uint64_t	v;

	if (num_u64(sp, end, &v) == -1 || v > 0x7fffffff)
		return -1;
	*pid = (int)v;
	return 0;
}

/* Copy [s, e) into dst, cut to fit and NUL-terminated. */
static void
copy_str(char *dst, size_t cap, const char *s, const char *e)
{
	size_t	n = (size_t)(e - s);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static uint64_t
pages_kb(const struct oom_parser *p, uint64_t pages)
{
	if (pages > UINT64_MAX / p->page_kb)
		return UINT64_MAX;
	return pages * p->page_kb;
}

/* The number after `key` somewhere in [s, end); 0, or -1 if absent. */
static int
field(const char *s, const char *end, const char *key, int64_t *v)
{
	const char	*f = mfind(s, end, key);

	if (f == NULL)
		return -1;
	f += strlen(key);
	return num_i64(&f, end, v);
}

int
kmsg_parse(const char *rec, size_t len, struct kmsg_record *out)
{
	const char	*p = rec, *end = rec + len, *semi, *nl;
	uint64_t	 prio;

	if ((nl = memchr(rec, '\n', len)) != NULL)
		end = nl;
	if ((semi = memchr(rec, ';', (size_t)(end - rec))) == NULL)
		return -1;
	if (num_u64(&p, semi, &prio) == -1 || prio > 0x7fffffff ||
	    p == semi || *p++ != ',')
		return -1;
	if (num_u64(&p, semi, &out->seq) == -1 || p == semi || *p++ != ',')
		return -1;
	if (num_u64(&p, semi, &out->ts_usec) == -1 || p == semi ||
	    *p++ != ',')
		return -1;
	/* The flags field; any fields after it are for newer readers. */
	if (p == semi || *p == ',')
		return -1;
	out->flag = *p;
	out->facility = (int)(prio >> 3);
	out->level = (int)(prio & 7);
	out->msg = semi + 1;
	out->msglen = (size_t)(end - (semi + 1));
	return 0;
}

void
kmsg_split_init(struct kmsg_split *s)
{
	s->len = 0;
	s->off = 0;
	s->skipping = 0;
	s->overlong = 0;
	s->continuations = 0;
}

size_t
kmsg_split_feed(struct kmsg_split *s, const void *data, size_t len)
{
	const char	*p = data, *nl;
	size_t		 took = 0, room, n;

	/* Records already handed out are done with: make room. */
	if (s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	while (took < len) {
		if (s->skipping) {
			nl = memchr(p + took, '\n', len - took);
			if (nl == NULL)
				return len;
			took = (size_t)(nl - p) + 1;
			s->skipping = 0;
			continue;
		}
		room = sizeof(s->buf) - s->len;
		if (room == 0) {
			/* Full of complete records: the caller takes them. */
			if (memchr(s->buf, '\n', s->len) != NULL)
				break;
			/* One line fills it all: no record is that long. */
			s->overlong++;
			s->len = 0;
			s->skipping = 1;
			continue;
		}
		n = len - took < room ? len - took : room;
		memcpy(s->buf + s->len, p + took, n);
		s->len += n;
		took += n;
	}
	return took;
}

int
kmsg_split_next(struct kmsg_split *s, const char **rec, size_t *len)
{
	char	*start, *nl;
	size_t	 n;

	for (;;) {
		start = s->buf + s->off;
		if ((nl = memchr(start, '\n', s->len - s->off)) == NULL)
			return 0;
		n = (size_t)(nl - start);
		*nl = '\0';
		s->off += n + 1;
		if (n == 0)
			continue;
		/* " SUBSYSTEM=..." and the like belong to the record above. */
		if (start[0] == ' ') {
			s->continuations++;
			continue;
		}
		*rec = start;
		*len = n;
		return 1;
	}
}

void
oom_init(struct oom_parser *p, long page_size)
{
	memset(p, 0, sizeof(*p));
	if (page_size < 1024 || page_size % 1024 != 0)
		page_size = 4096;
	p->page_kb = (uint64_t)page_size / 1024;
	p->state = OOM_IDLE;
}

const char *
oom_strstate(enum oom_state s)
{
	return (unsigned)s < OOM_STATE_MAX ? oom_statenames[s] : "?";
}

const char *
oom_strkind(enum oom_kind k)
{
	return (unsigned)k <= OOM_KIND_UNPREFIXED ? oom_kindnames[k] : "?";
}

static void
oom_enter(struct oom_parser *p, enum oom_state next)
{
	p->state = next;
	p->noise = 0;
}

static enum oom_line
oom_classify(const char *msg, size_t len)
{
	const char	*end = msg + len;
	size_t		 i, n;

	for (i = 0; i < sizeof(oom_lines) / sizeof(oom_lines[0]); i++) {
		n = strlen(oom_lines[i].s);
		if (oom_lines[i].where == AT_START ?
		    len >= n && memcmp(msg, oom_lines[i].s, n) == 0 :
		    mfind(msg, end, oom_lines[i].s) != NULL)
			return oom_lines[i].kind;
	}
	return L_NOISE;
}

int
oom_feed(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	enum oom_line	k = oom_classify(r->msg, r->msglen);
	int		rv = -1;

	/*
	 * Between dumps only these mean anything, and a dump's context is
	 * kept for its group line only while nothing else came after it.
	 */
	if (p->state == OOM_IDLE && k != L_OPENER && k != L_KILL &&
	    k != L_GROUP) {
		if (k != L_KNOWN)
			p->have_ctx = 0;
		return 0;
	}
	if (k != L_NOISE)
		rv = oom_handlers[k](p, r, out);
	if (rv >= 0)
		return rv;
	if (p->state == OOM_GROUP) {
		/* The group's kill lines come together; this ends them. */
		p->have_ctx = 0;
		oom_enter(p, OOM_IDLE);
	} else if (p->state == OOM_DUMP && ++p->noise >= OOM_NOISE_MAX) {
		/* Recognised lines never get here, so never erode this. */
		p->dropped++;
		p->have_ctx = 0;
		oom_enter(p, OOM_IDLE);
	}
	return 0;
}

static int
oom_on_opener(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	const char	*s = r->msg, *at;

	(void)out;
	if ((at = mfind(s, s + r->msglen, " invoked oom-killer:")) == NULL)
		return -1;
	if (p->state == OOM_DUMP)
		p->abandoned++;
	memset(&p->ev, 0, sizeof(p->ev));
	p->ncols = 0;
	p->rss_col = 0;
	p->have_ctx = 0;
	p->has_sum_uid = 0;
	p->sum_pid = 0;
	s = skip_blank(s, at);
	if (at > s) {
		copy_str(p->ev.trigger_name, sizeof(p->ev.trigger_name), s,
		    at);
		p->ev.flags |= OOM_F_TRIGGER_NAME;
	}
	oom_enter(p, OOM_DUMP);
	return 0;
}

/* "CPU: 3 PID: 1234 Comm: ..."; Linux 6.12 puts "UID: N " before PID. */
static int
oom_on_cpu(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	const char	*s = r->msg + 5, *end = r->msg + r->msglen, *q;
	int		 pid;

	(void)out;
	if (p->state != OOM_DUMP)
		return 0;
	if ((q = skip_blank(s, end)) == end || !is_digit(*q) ||
	    (s = mfind(s, end, " PID: ")) == NULL)
		return -1;
	s = skip_blank(s + 6, end);
	if (num_pid(&s, end, &pid) == -1 || mfind(s, end, " Comm: ") != s)
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
static int
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
		copy_str(ev->constraint, sizeof(ev->constraint), v, e);
		for (i = 0; ev->constraint[i] != '\0'; i++)
			if (ev->constraint[i] >= 'A' &&
			    ev->constraint[i] <= 'Z')
				ev->constraint[i] += 'a' - 'A';
		ev->flags |= OOM_F_CONSTRAINT;
	}
	uid = mfind_last(s, end, ",uid=");
	pid = mfind_last(s, uid != NULL ? uid : end, ",pid=");
	task = mfind_last(s, pid != NULL ? pid : end, ",task=");
	if (uid != NULL && pid != NULL && field(uid, end, ",uid=", &u) == 0 &&
	    field(pid, uid, ",pid=", &n) == 0 && u >= 0 && u <= UINT32_MAX &&
	    n >= 0 && n <= 0x7fffffff) {
		p->sum_pid = (int)n;
		p->sum_uid = (uint32_t)u;
		p->has_sum_uid = 1;
	}
	if ((tm = mfind(s, end, ",task_memcg=")) != NULL) {
		v = tm + 12;
		e = task != NULL && task >= v ? task : end;
		copy_str(ev->task_memcg, sizeof(ev->task_memcg), v, e);
		ev->flags |= OOM_F_TASK_MEMCG;
	}
	if ((om = mfind(s, end, ",oom_memcg=")) != NULL) {
		v = om + 11;
		e = tm != NULL && tm >= v ? tm : (task != NULL && task >= v ?
		    task : end);
		copy_str(ev->oom_memcg, sizeof(ev->oom_memcg), v, e);
		ev->flags |= OOM_F_OOM_MEMCG;
	}
	return 0;
}

/*
 * Mem-Info's " free:N free_pcp:N" (pages), not the zones' "free:NkB":
 * anchoring on free_pcp: is what tells them apart.
 */
static int
oom_on_memfree(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	const char	*s = r->msg, *end = r->msg + r->msglen, *f, *q;
	uint64_t	 pages;

	(void)out;
	if (p->state != OOM_DUMP)
		return 0;
	for (f = s; (f = mfind(f, end, "free:")) != NULL; f++) {
		if (f > s && !is_blank(f[-1]))
			continue;
		q = f + 5;
		if (num_u64(&q, end, &pages) == -1 || q == end ||
		    !is_blank(*q))
			continue;
		q = skip_blank(q, end);
		if (mfind(q, end, "free_pcp:") != q)
			continue;
		p->ev.mem_free_kb = pages_kb(p, pages);
		p->ev.flags |= OOM_F_MEM_FREE;
		return 0;
	}
	return -1;
}

/* "262014 pages RAM" */
static int
oom_on_pages(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	const char	*s = r->msg, *end = r->msg + r->msglen, *at, *d;
	uint64_t	 pages;

	(void)out;
	if (p->state != OOM_DUMP)
		return 0;
	at = mfind(s, end, " pages RAM");
	for (d = at; d > s && is_digit(d[-1]); d--)
		;
	if (d == at || (d > s && !is_blank(d[-1])) ||
	    num_u64(&d, at, &pages) == -1)
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
		s = skip_blank(s, end);
		if (s == end)
			break;
		for (t = s; t < end && !is_blank(*t); t++)
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
	copy_str(ev->top[i].name, sizeof(ev->top[i].name), name, name_end);
}

/* "[   1234]  1000  1234  1308611  1205975  9678848   0   0 chromium" */
static int
oom_on_table(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	const char	*s = r->msg + 1, *end = r->msg + r->msglen, *q;
	int64_t		 col[16], v;
	int		 pid, n = 0, want;

	(void)out;
	if (p->state != OOM_DUMP)
		return 0;
	s = skip_blank(s, end);
	if (end - s >= 3 && memcmp(s, "pid", 3) == 0) {
		if ((q = memchr(s, ']', (size_t)(end - s))) == NULL)
			return -1;
		return oom_header(p, q + 1, end);
	}
	if (num_pid(&s, end, &pid) == -1)
		return -1;
	s = skip_blank(s, end);
	if (s == end || *s++ != ']')
		return -1;
	/*
	 * With a header, exactly its columns, so that a name made of digits
	 * stays a name; without one, every number up to the name.
	 */
	want = p->ncols > 0 ? p->ncols : 16;
	while (n < want) {
		q = skip_blank(s, end);
		if (q == s || num_i64(&q, end, &v) == -1 ||
		    (q < end && !is_blank(*q)))
			break;
		col[n++] = v;
		s = q;
	}
	if ((p->ncols > 0 && n != p->ncols) || (p->ncols == 0 && n < 5))
		return -1;
	v = col[p->ncols > 0 ? p->rss_col : 3];
	if (v < 0)
		return -1;
	s = skip_blank(s, end);
	for (q = end; q > s && is_blank(q[-1]); q--)
		;
	oom_top_add(&p->ev, pid, pages_kb(p, (uint64_t)v), s, q);
	return 0;
}

/*
 * "Out of memory: Killed process 1234 (comm) total-vm:5234444kB,
 * anon-rss:4823900kB, file-rss:0kB, shmem-rss:0kB, UID:1000
 * pgtables:9452kB oom_score_adj:0".  The comm may hold ")" and spaces, so
 * it ends at ") total-vm:"; every field after it is optional.
 */
static int
oom_on_kill(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	static const struct {
		const char	*key;
		unsigned	 flag;
	} fields[] = {
		{ "total-vm:", OOM_F_TOTAL_VM },
		{ "anon-rss:", OOM_F_ANON_RSS },
		{ "file-rss:", OOM_F_FILE_RSS },
		{ "shmem-rss:", OOM_F_SHMEM_RSS },
		{ "UID:", OOM_F_UID },
		{ "pgtables:", OOM_F_PGTABLES },
		{ "oom_score_adj:", OOM_F_SCORE_ADJ },
	};
	const char	*s = r->msg, *end = r->msg + r->msglen, *k, *c, *ce;
	int64_t		 v[sizeof(fields) / sizeof(fields[0])];
	unsigned	 got = 0;
	size_t		 i;
	int		 kind, pid;

	if ((k = mfind(s, end, "Killed process ")) == NULL)
		return -1;
	for (kind = 0; kind <= OOM_KIND_UNPREFIXED; kind++)
		if ((size_t)(k - s) == strlen(oom_prefixes[kind]) &&
		    memcmp(s, oom_prefixes[kind], (size_t)(k - s)) == 0)
			break;
	if (kind > OOM_KIND_UNPREFIXED)
		return -1;
	s = k + 15;
	if (num_pid(&s, end, &pid) == -1 || end - s < 2 ||
	    memcmp(s, " (", 2) != 0)
		return -1;
	c = s + 2;
	if ((ce = mfind(c, end, ") total-vm:")) == NULL &&
	    (ce = mfind_last(c, end, ")")) == NULL)
		return -1;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (field(ce, end, fields[i].key, &v[i]) == 0 &&
		    (v[i] >= 0 || fields[i].flag == OOM_F_SCORE_ADJ))
			got |= fields[i].flag;
		else
			v[i] = 0;
	}

	if (p->state == OOM_IDLE) {
		p->orphans++;
		p->have_ctx = 0;
		return 0;
	}
	*out = p->ev;
	out->kind = (enum oom_kind)kind;
	out->pid = pid;
	copy_str(out->process_name, sizeof(out->process_name), c, ce);
	out->flags |= got;
	out->total_vm_kb = (uint64_t)v[0];
	out->anon_rss_kb = (uint64_t)v[1];
	out->file_rss_kb = (uint64_t)v[2];
	out->shmem_rss_kb = (uint64_t)v[3];
	/* Each is below 2^63, so the sum cannot wrap past 2^64 - 1. */
	out->rss_kb = out->anon_rss_kb + out->file_rss_kb;
	out->rss_kb = out->rss_kb > UINT64_MAX - out->shmem_rss_kb ?
	    UINT64_MAX : out->rss_kb + out->shmem_rss_kb;
	out->pgtables_kb = (uint64_t)v[5];
	if ((got & OOM_F_UID) && v[4] <= UINT32_MAX)
		out->uid = (uint32_t)v[4];
	else if (p->has_sum_uid && p->sum_pid == pid) {
		/* Kernels before the UID: field still name it in oom-kill:. */
		out->uid = p->sum_uid;
		out->flags |= OOM_F_UID;
	} else
		out->flags &= ~OOM_F_UID;
	if ((got & OOM_F_SCORE_ADJ) && v[6] >= -1000 && v[6] <= 1000)
		out->oom_score_adj = (int)v[6];
	else
		out->flags &= ~OOM_F_SCORE_ADJ;
	out->kmsg_seq = r->seq;
	out->kmsg_ts_usec = r->ts_usec;
	p->events++;
	if (p->state == OOM_DUMP) {
		p->have_ctx = 1;
		oom_enter(p, OOM_IDLE);
	}
	return 1;
}

static int
oom_on_exiting(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	(void)r;
	(void)out;
	if (p->state == OOM_DUMP) {
		p->skipped++;
		oom_enter(p, OOM_IDLE);
	}
	return 0;
}

/*
 * "Tasks in /x are going to be killed due to memory.oom.group set" comes
 * after the first kill line: the kills after it share that dump.
 */
static int
oom_on_group(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	(void)r;
	(void)out;
	if (p->state == OOM_IDLE && p->have_ctx)
		oom_enter(p, OOM_GROUP);
	return 0;
}

static int
oom_on_known(struct oom_parser *p, const struct kmsg_record *r,
    struct oom_event *out)
{
	(void)p;
	(void)r;
	(void)out;
	return 0;
}

void
oom_event_json(struct jw *w, const char *key, const struct oom_event *ev)
{
	size_t	i;

	jw_obj_begin(w, key);
	jw_str(w, "process_name", ev->process_name);
	jw_int(w, "pid", ev->pid);
	if (ev->flags & OOM_F_RSS)
		jw_uint(w, "rss_kb", ev->rss_kb);
	if (ev->flags & OOM_F_ANON_RSS)
		jw_uint(w, "anon_rss_kb", ev->anon_rss_kb);
	if (ev->flags & OOM_F_FILE_RSS)
		jw_uint(w, "file_rss_kb", ev->file_rss_kb);
	if (ev->flags & OOM_F_SHMEM_RSS)
		jw_uint(w, "shmem_rss_kb", ev->shmem_rss_kb);
	if (ev->flags & OOM_F_TOTAL_VM)
		jw_uint(w, "total_vm_kb", ev->total_vm_kb);
	if (ev->flags & OOM_F_PGTABLES)
		jw_uint(w, "pgtables_kb", ev->pgtables_kb);
	if (ev->flags & OOM_F_SCORE_ADJ)
		jw_int(w, "oom_score_adj", ev->oom_score_adj);
	if (ev->flags & OOM_F_UID)
		jw_uint(w, "uid", ev->uid);
	if (ev->flags & OOM_F_CONSTRAINT)
		jw_str(w, "constraint", ev->constraint);
	jw_str(w, "oom_kind", oom_strkind(ev->kind));
	if (ev->flags & OOM_F_OOM_MEMCG)
		jw_str(w, "oom_memcg", ev->oom_memcg);
	if (ev->flags & OOM_F_TASK_MEMCG)
		jw_str(w, "task_memcg", ev->task_memcg);
	if (ev->flags & OOM_F_MEM_TOTAL)
		jw_uint(w, "mem_total_kb", ev->mem_total_kb);
	if (ev->flags & OOM_F_MEM_FREE)
		jw_uint(w, "mem_free_kb", ev->mem_free_kb);
	jw_arr_begin(w, "top_tasks");
	for (i = 0; i < ev->ntop && i < OOM_TOP_TASKS; i++) {
		jw_obj_begin(w, NULL);
		jw_int(w, "pid", ev->top[i].pid);
		jw_str(w, "name", ev->top[i].name);
		jw_uint(w, "rss_kb", ev->top[i].rss_kb);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	if (ev->flags & OOM_F_TRIGGER_NAME)
		jw_str(w, "trigger_process_name", ev->trigger_name);
	if (ev->flags & OOM_F_TRIGGER_PID)
		jw_int(w, "trigger_pid", ev->trigger_pid);
	jw_uint(w, "kmsg_seq", ev->kmsg_seq);
	jw_uint(w, "kmsg_ts_usec", ev->kmsg_ts_usec);
	jw_obj_end(w);
}

/*
 * "NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python3, GPU has fallen
 * off the bus."; older drivers print "(0000:3b:00)" and no pid or name.
 */
int
kmsg_xid(const struct kmsg_record *r, struct xid_event *out)
{
	const char	*s, *end = r->msg + r->msglen, *e, *v;
	uint64_t	 xid;
	int		 pid;

	if ((s = mfind(r->msg, end, "NVRM: Xid (")) == NULL)
		return 0;
	s += 11;
	if ((e = mfind(s, end, "):")) == NULL)
		return 0;
	v = s;
	if (e - s >= 4 && memcmp(s, "PCI:", 4) == 0)
		v += 4;
	s = skip_blank(e + 2, end);
	if (num_u64(&s, end, &xid) == -1 || xid > 0x7fffffff)
		return 0;
	memset(out, 0, sizeof(*out));
	copy_str(out->pci, sizeof(out->pci), v, e);
	out->xid = (int)xid;
	out->kmsg_seq = r->seq;
	out->kmsg_ts_usec = r->ts_usec;
	if (s < end && *s == ',')
		s = skip_blank(s + 1, end);
	if (end - s >= 4 && memcmp(s, "pid=", 4) == 0) {
		v = s + 4;
		if ((e = memchr(v, ',', (size_t)(end - v))) == NULL)
			e = end;
		if (num_pid(&v, e, &pid) == 0 && v == e) {
			out->pid = pid;
			out->flags |= XID_F_PID;
		}
		s = e < end ? skip_blank(e + 1, end) : end;
	}
	if (end - s >= 5 && memcmp(s, "name=", 5) == 0) {
		v = s + 5;
		if ((e = mfind(v, end, ", ")) == NULL)
			e = end;
		if (e > v && !(e - v == 9 && memcmp(v, "<unknown>", 9) == 0)) {
			copy_str(out->name, sizeof(out->name), v, e);
			out->flags |= XID_F_NAME;
		}
		s = e < end ? skip_blank(e + 1, end) : end;
	}
	while (end > s && is_blank(end[-1]))
		end--;
	copy_str(out->msg, sizeof(out->msg), s, end);
	return 1;
}

void
xid_event_json(struct jw *w, const char *key, const struct xid_event *x)
{
	jw_obj_begin(w, key);
	jw_int(w, "xid", x->xid);
	jw_str(w, "pci", x->pci);
	if (x->flags & XID_F_PID)
		jw_int(w, "pid", x->pid);
	if (x->flags & XID_F_NAME)
		jw_str(w, "process_name", x->name);
	jw_str(w, "message", x->msg);
	jw_uint(w, "kmsg_seq", x->kmsg_seq);
	jw_uint(w, "kmsg_ts_usec", x->kmsg_ts_usec);
	jw_obj_end(w);
}
