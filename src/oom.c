/*
 * oom.c -- the OOM-killer dump state machine: what each record of a dump
 * is, the lines that open and close a dump, and the event as JSON.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "json.h"
#include "kmsg.h"
#include "kmsg_int.h"

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

/* One handler per kind of line; kmsg_int.h says what they return. */
static oom_handler	oom_on_opener, oom_on_kill, oom_on_exiting,
			oom_on_group, oom_on_known;

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

static enum oom_line	 oom_classify(const char *, size_t);
static void		 oom_enter(struct oom_parser *, enum oom_state);

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
		    kmsg_find(msg, end, oom_lines[i].s) != NULL)
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
	if ((at = kmsg_find(s, s + r->msglen, " invoked oom-killer:")) == NULL)
		return -1;
	if (p->state == OOM_DUMP)
		p->abandoned++;
	memset(&p->ev, 0, sizeof(p->ev));
	p->ncols = 0;
	p->rss_col = 0;
	p->have_ctx = 0;
	p->has_sum_uid = 0;
	p->sum_pid = 0;
	s = kmsg_skip_blank(s, at);
	if (at > s) {
		kmsg_copy(p->ev.trigger_name, sizeof(p->ev.trigger_name), s,
		    at);
		p->ev.flags |= OOM_F_TRIGGER_NAME;
	}
	oom_enter(p, OOM_DUMP);
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

	if ((k = kmsg_find(s, end, "Killed process ")) == NULL)
		return -1;
	for (kind = 0; kind <= OOM_KIND_UNPREFIXED; kind++)
		if ((size_t)(k - s) == strlen(oom_prefixes[kind]) &&
		    memcmp(s, oom_prefixes[kind], (size_t)(k - s)) == 0)
			break;
	if (kind > OOM_KIND_UNPREFIXED)
		return -1;
	s = k + 15;
	if (kmsg_num_pid(&s, end, &pid) == -1 || end - s < 2 ||
	    memcmp(s, " (", 2) != 0)
		return -1;
	c = s + 2;
	if ((ce = kmsg_find(c, end, ") total-vm:")) == NULL &&
	    (ce = kmsg_find_last(c, end, ")")) == NULL)
		return -1;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (kmsg_field(ce, end, fields[i].key, &v[i]) == 0 &&
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
	kmsg_copy(out->process_name, sizeof(out->process_name), c, ce);
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
