/*
 * test_kmsg.c -- /dev/kmsg records and the OOM dump state machine
 * (src/kmsg.h).  Each fixture in test/fixtures/kmsg/ is fed twice: one
 * record at a time with its continuation lines, as read(2) on /dev/kmsg
 * returns them, and as a byte stream through kmsg_split in random chunk
 * sizes, as from a FIFO.  Both must give the same events, and every field
 * of them is checked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsoncheck.h"
#include "json.h"
#include "kmsg.h"

#define FIX_MAX		(512 * 1024)
#define EV_MAX		16

struct result {
	struct oom_parser	p;
	size_t			nrec;	/* records parsed */
	size_t			nbad;	/* records kmsg_parse refused */
	size_t			nev;
	struct oom_event	ev[EV_MAX];
	size_t			nxid;
	struct xid_event	xid[EV_MAX];
};

static char		fixbuf[FIX_MAX];
static struct result	res, res2;
static struct kmsg_split split;
static char		jbuf[64 * 1024], jbuf2[64 * 1024];

static size_t	load(const char *);
static void	feed_record(struct result *, const char *, size_t);
static void	run_records(struct result *, const char *, size_t, long);
static void	run_split(struct result *, const char *, size_t, long,
		    unsigned);
static size_t	ev_json(const struct oom_event *, char *, size_t);
static int	same(const struct result *, const struct result *);
static const struct result *fixture(const char *, long);
static int	str_is(const char *, const char *);
static const struct oom_task *task(const struct oom_event *, size_t);
static void	test_parse(void);
static void	test_split(void);
static void	test_global_old(void);
static void	test_memcg_new(void);
static void	test_16k_pages(void);
static void	test_comm_paren(void);
static void	test_back_to_back(void);
static void	test_interrupted(void);
static void	test_orphan(void);
static void	test_allocating_task(void);
static void	test_pre_5_0(void);
static void	test_watchdog(void);
static void	test_oom_group(void);
static void	test_group_stale(void);
static void	test_victim_exiting(void);
static void	test_xid(void);
static void	test_json(void);

static size_t
load(const char *name)
{
	char		 path[1024];
	const char	*top = getenv("TOP");
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof(path), "%s/test/fixtures/kmsg/%s",
	    top != NULL ? top : ".", name);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return 0;
	}
	n = fread(fixbuf, 1, sizeof(fixbuf) - 1, f);
	fclose(f);
	fixbuf[n] = '\0';
	return n;
}

static void
feed_record(struct result *r, const char *rec, size_t len)
{
	struct kmsg_record	k;
	struct oom_event	ev;
	struct xid_event	x;

	if (kmsg_parse(rec, len, &k) == -1) {
		r->nbad++;
		return;
	}
	r->nrec++;
	if (oom_feed(&r->p, &k, &ev) == 1 && r->nev < EV_MAX)
		r->ev[r->nev++] = ev;
	if (kmsg_xid(&k, &x) == 1 && r->nxid < EV_MAX)
		r->xid[r->nxid++] = x;
}

/* Like read(2) on /dev/kmsg: a record and its " KEY=value" lines. */
static void
run_records(struct result *r, const char *buf, size_t len, long pagesize)
{
	const char	*p = buf, *end = buf + len, *q;

	memset(r, 0, sizeof(*r));
	oom_init(&r->p, pagesize);
	while (p < end) {
		q = p;
		do {
			q = memchr(q, '\n', (size_t)(end - q));
			q = q != NULL ? q + 1 : end;
		} while (q < end && *q == ' ');
		feed_record(r, p, (size_t)(q - p));
		p = q;
	}
}

/* Like a FIFO: bytes in pieces of 1..300, through kmsg_split. */
static void
run_split(struct result *r, const char *buf, size_t len, long pagesize,
    unsigned seed)
{
	const char	*rec;
	size_t		 off = 0, k, took, n;

	memset(r, 0, sizeof(*r));
	oom_init(&r->p, pagesize);
	kmsg_split_init(&split);
	while (off < len) {
		seed = seed * 1103515245 + 12345;
		k = 1 + (seed >> 16) % 300;
		if (k > len - off)
			k = len - off;
		while (k > 0) {
			took = kmsg_split_feed(&split, buf + off, k);
			off += took;
			k -= took;
			while (kmsg_split_next(&split, &rec, &n))
				feed_record(r, rec, n);
		}
	}
}

static size_t
ev_json(const struct oom_event *ev, char *buf, size_t cap)
{
	struct jw	w;

	jw_init(&w, buf, cap, -1);
	oom_event_json(&w, NULL, ev);
	if (w.err || w.len == cap)
		return 0;
	buf[w.len] = '\0';
	return w.len;
}

/* The same events, counters and Xid lines. */
static int
same(const struct result *a, const struct result *b)
{
	size_t	i;

	if (a->nev != b->nev || a->nxid != b->nxid || a->nrec != b->nrec ||
	    a->p.orphans != b->p.orphans || a->p.dropped != b->p.dropped ||
	    a->p.abandoned != b->p.abandoned)
		return 0;
	for (i = 0; i < a->nev; i++)
		if (ev_json(&a->ev[i], jbuf, sizeof(jbuf)) == 0 ||
		    ev_json(&b->ev[i], jbuf2, sizeof(jbuf2)) == 0 ||
		    strcmp(jbuf, jbuf2) != 0)
			return 0;
	for (i = 0; i < a->nxid; i++)
		if (memcmp(&a->xid[i], &b->xid[i], sizeof(a->xid[i])) != 0)
			return 0;
	return 1;
}

static const struct result *
fixture(const char *name, long pagesize)
{
	size_t	len = load(name);

	CHECK(len > 0);
	run_records(&res, fixbuf, len, pagesize);
	run_split(&res2, fixbuf, len, pagesize, (unsigned)len);
	if (!same(&res, &res2))
		fprintf(stderr, "%s: records and stream disagree\n", name);
	CHECK(same(&res, &res2));
	CHECK(res.nbad == 0);
	return &res;
}

static int
str_is(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "got [%s], want [%s]\n", got, want);
		return 0;
	}
	return 1;
}

static const struct oom_task *
task(const struct oom_event *ev, size_t i)
{
	static const struct oom_task	none = { -1, 0, "" };

	return i < ev->ntop ? &ev->top[i] : &none;
}

#define PARSE(s, k)	kmsg_parse((s), strlen(s), (k))

static void
test_parse(void)
{
	static const char *const bad[] = {
		"", "abc", ";msg", "6;msg", "6,1;msg", "6,1,2;msg",
		"6,1,2,;msg", "6,1,2,,;msg", "6,,2,-;msg", "6,1,,-;msg",
		",1,2,-;msg", "-6,1,2,-;msg", "6,1,2,-", "6,1,2,-\n;msg",
		"6,99999999999999999999,2,-;msg", "6,1,2x,-;msg",
		"6 ,1,2,-;msg", "99999999999,1,2,-;msg",
	};
	struct kmsg_record	k;
	size_t			i;

	CHECK(PARSE("6,339,5140900,-;NET: Registered protocol family 10",
	    &k) == 0);
	CHECK(k.facility == 0 && k.level == 6 && k.seq == 339 &&
	    k.ts_usec == 5140900 && k.flag == '-');
	CHECK(k.msglen == 34 && memcmp(k.msg, "NET: Registered protocol "
	    "family 10", 34) == 0);
	/* Continuation lines and the record's '\n' are not the message. */
	CHECK(PARSE("12,7,1,c,caller=T123,more;x;y \\x0a z\n SUBSYSTEM=acpi\n"
	    " DEVICE=+acpi:PNP0A03:00\n", &k) == 0);
	CHECK(k.facility == 1 && k.level == 4 && k.flag == 'c');
	CHECK(k.msglen == 10 && memcmp(k.msg, "x;y \\x0a z", 10) == 0);
	CHECK(PARSE("0,18446744073709551615,18446744073709551615,-;", &k) ==
	    0 && k.seq == UINT64_MAX && k.msglen == 0);
	/* The length given bounds it, not a NUL. */
	CHECK(kmsg_parse("6,1,2,-;abcdef", 11, &k) == 0 && k.msglen == 3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (PARSE(bad[i], &k) != -1)
			fprintf(stderr, "accepted [%s]\n", bad[i]);
		CHECK(PARSE(bad[i], &k) == -1);
	}
}

static void
test_split(void)
{
	static char	 big[3 * KMSG_REC_MAX];
	const char	*rec;
	size_t		 n, took, off;
	int		 got;

	kmsg_split_init(&split);
	CHECK(kmsg_split_feed(&split, "6,1,1,-;one\n SUB=x\n\n6,2,", 24) ==
	    24);
	CHECK(kmsg_split_next(&split, &rec, &n) == 1 && n == 11 &&
	    strcmp(rec, "6,1,1,-;one") == 0);
	CHECK(kmsg_split_next(&split, &rec, &n) == 0);
	CHECK(split.continuations == 1);
	CHECK(kmsg_split_feed(&split, "2,-;two\n6,3,3,-;par", 19) == 19);
	CHECK(kmsg_split_next(&split, &rec, &n) == 1 &&
	    strcmp(rec, "6,2,2,-;two") == 0);
	CHECK(kmsg_split_next(&split, &rec, &n) == 0);	/* "par": waits */
	CHECK(kmsg_split_feed(&split, "tial\n", 5) == 5);
	CHECK(kmsg_split_next(&split, &rec, &n) == 1 &&
	    strcmp(rec, "6,3,3,-;partial") == 0);

	/* An overlong line is dropped whole, wherever it is cut. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "6,4,4,-;", 8);
	big[sizeof(big) - 1] = '\n';
	kmsg_split_init(&split);
	for (off = 0; off < sizeof(big); off += 1000) {
		n = sizeof(big) - off < 1000 ? sizeof(big) - off : 1000;
		CHECK(kmsg_split_feed(&split, big + off, n) == n);
		CHECK(kmsg_split_next(&split, &rec, &n) == 0);
	}
	CHECK(kmsg_split_feed(&split, "6,5,5,-;after\n", 14) == 14);
	CHECK(kmsg_split_next(&split, &rec, &n) == 1 &&
	    strcmp(rec, "6,5,5,-;after") == 0);
	CHECK(split.overlong == 1);

	/* Exactly KMSG_REC_MAX bytes and its '\n' still fit. */
	memset(big, 'y', KMSG_REC_MAX);
	memcpy(big, "6,6,6,-;", 8);
	big[KMSG_REC_MAX] = '\n';
	kmsg_split_init(&split);
	CHECK(kmsg_split_feed(&split, big, KMSG_REC_MAX + 1) ==
	    KMSG_REC_MAX + 1);
	CHECK(kmsg_split_next(&split, &rec, &n) == 1 && n == KMSG_REC_MAX);
	CHECK(split.overlong == 0);

	/* Full of complete records: a short count, then the rest. */
	kmsg_split_init(&split);
	memset(big, 0, sizeof(big));
	for (off = 0; off + 16 <= sizeof(big); off += 16)
		memcpy(big + off, "6,7,7,-;abcdefg\n", 16);
	took = kmsg_split_feed(&split, big, sizeof(big));
	CHECK(took < sizeof(big));
	for (got = 0, off = took; ; ) {
		while (kmsg_split_next(&split, &rec, &n))
			got += strcmp(rec, "6,7,7,-;abcdefg") == 0;
		if (off == sizeof(big))
			break;
		off += kmsg_split_feed(&split, big + off, sizeof(big) - off);
	}
	CHECK(got == (int)(sizeof(big) / 16));
	CHECK(split.overlong == 0);
}

/* Linux 5.4, 4 KiB pages, global OOM, old tasks table. */
static void
test_global_old(void)
{
	const struct result	*r = fixture("global_old_layout.txt", 4096);
	const struct oom_event	*e = &r->ev[0];

	CHECK(r->nev == 1 && r->p.orphans == 0 && r->p.abandoned == 0);
	CHECK(r->nrec == 73);
	CHECK(str_is(e->process_name, "python3") && e->pid == 4242);
	CHECK(e->kind == OOM_KIND_GLOBAL);
	CHECK(e->rss_kb == 7560000 && e->anon_rss_kb == 7558424 &&
	    e->file_rss_kb == 1576 && e->shmem_rss_kb == 0);
	CHECK(e->total_vm_kb == 9382712 && e->pgtables_kb == 15040);
	CHECK(e->uid == 1000 && e->oom_score_adj == 0);
	CHECK(str_is(e->constraint, "none"));
	CHECK(!(e->flags & OOM_F_OOM_MEMCG) &&
	    str_is(e->task_memcg, "/user.slice/user-1000.slice/session-3.scope"));
	CHECK((e->flags & (OOM_F_MEM_TOTAL | OOM_F_MEM_FREE)) ==
	    (OOM_F_MEM_TOTAL | OOM_F_MEM_FREE));
	CHECK(e->mem_total_kb == 2097022ULL * 4 && e->mem_free_kb == 25342 * 4);
	CHECK(e->ntop == 5);
	CHECK(task(e, 0)->pid == 4242 && task(e, 0)->rss_kb == 7560000 &&
	    str_is(task(e, 0)->name, "python3"));
	CHECK(task(e, 1)->pid == 4400 && task(e, 1)->rss_kb == 1600000 &&
	    str_is(task(e, 1)->name, "java"));
	CHECK(task(e, 2)->pid == 4100 && task(e, 2)->rss_kb == 600000);
	CHECK(task(e, 3)->pid == 4300 && task(e, 3)->rss_kb == 200000 &&
	    str_is(task(e, 3)->name, "redis-server"));
	CHECK(task(e, 4)->pid == 900 && task(e, 4)->rss_kb == 80000);
	CHECK(str_is(e->trigger_name, "python3") && e->trigger_pid == 4242);
	CHECK((e->flags & (OOM_F_TRIGGER_NAME | OOM_F_TRIGGER_PID)) ==
	    (OOM_F_TRIGGER_NAME | OOM_F_TRIGGER_PID));
	CHECK(e->kmsg_seq == 1069 && e->kmsg_ts_usec == 5140900000ULL +
	    69 * 37);
	CHECK(r->p.state == OOM_IDLE);
}

/* Linux 6.12 cgroup v2 OOM: new table layout, no Mem-Info. */
static void
test_memcg_new(void)
{
	const struct result	*r = fixture("memcg_new_layout.txt", 4096);
	const struct oom_event	*e = &r->ev[0];

	CHECK(r->nev == 1);
	CHECK(str_is(e->process_name, "python") && e->pid == 8123);
	CHECK(e->kind == OOM_KIND_MEMCG);
	CHECK(e->rss_kb == 4180000 && e->total_vm_kb == 10485760);
	CHECK(e->uid == 1000 && e->oom_score_adj == 937 &&
	    e->pgtables_kb == 8780);
	CHECK(str_is(e->constraint, "memcg"));
	CHECK(str_is(e->oom_memcg, "/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-podabcd.slice"));
	CHECK(str_is(e->task_memcg, "/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-podabcd.slice/cri-containerd-abcd.scope"));
	CHECK(!(e->flags & (OOM_F_MEM_TOTAL | OOM_F_MEM_FREE)));
	CHECK(e->ntop == 3);
	CHECK(task(e, 0)->pid == 8123 && task(e, 0)->rss_kb == 4180000 &&
	    str_is(task(e, 0)->name, "python"));
	/* A comm of digits is a name, not a column. */
	CHECK(task(e, 1)->pid == 8200 && task(e, 1)->rss_kb == 400000 &&
	    str_is(task(e, 1)->name, "1234"));
	CHECK(task(e, 2)->pid == 8001 && task(e, 2)->rss_kb == 800 &&
	    str_is(task(e, 2)->name, "tini"));
	/* "CPU: 5 UID: 1000 PID: 8123 Comm:" (Linux 6.12). */
	CHECK(str_is(e->trigger_name, "python") && e->trigger_pid == 8123);
	CHECK(r->p.ncols == 10 && r->p.rss_col == 3);
}

/* 16 KiB pages: page counts are four times as much memory. */
static void
test_16k_pages(void)
{
	const struct result	*r = fixture("global_16k_pages.txt", 16384);
	const struct oom_event	*e = &r->ev[0];

	CHECK(r->nev == 1);
	CHECK(e->mem_total_kb == 524288ULL * 16 && e->mem_free_kb == 6000 * 16);
	CHECK(task(e, 0)->pid == 1777 && task(e, 0)->rss_kb == 470000ULL * 16);
	CHECK(task(e, 1)->rss_kb == 30000 * 16 && task(e, 2)->rss_kb == 800 * 16);
	/* The kill line is in kB already. */
	CHECK(e->rss_kb == 7520000 && e->total_vm_kb == 9600000);
	/* With the wrong page size the same dump reads four times smaller. */
	r = fixture("global_16k_pages.txt", 4096);
	CHECK(r->ev[0].mem_total_kb == 524288ULL * 4);
	/* 64 KiB, and a nonsense size taken as 4 KiB. */
	r = fixture("global_16k_pages.txt", 65536);
	CHECK(r->ev[0].mem_free_kb == 6000 * 64);
	r = fixture("global_16k_pages.txt", 1000);
	CHECK(r->ev[0].mem_free_kb == 6000 * 4);
}

static void
test_comm_paren(void)
{
	const struct result	*r = fixture("comm_paren.txt", 4096);
	const struct oom_event	*e = &r->ev[0];

	CHECK(r->nev == 2);
	CHECK(str_is(e->process_name, "a)b c") && e->pid == 7);
	CHECK(e->rss_kb == 3600 && e->shmem_rss_kb == 100);
	CHECK(str_is(e->trigger_name, "a)b c") && e->trigger_pid == 7);
	CHECK(str_is(task(e, 0)->name, "a)b c") && task(e, 0)->pid == 7);
	CHECK(str_is(task(e, 1)->name, "(sd-pam)"));
	e = &r->ev[1];
	CHECK(str_is(e->process_name, "(sd-pam)") && e->pid == 1301);
	CHECK(e->oom_score_adj == 100 && e->uid == 1000);
	/* A dump without CPU: line or tasks table (sysrq, dump_tasks=0). */
	CHECK(!(e->flags & OOM_F_TRIGGER_PID) && e->ntop == 0);
	CHECK(str_is(e->trigger_name, "(sd-pam)"));
}

static void
test_back_to_back(void)
{
	const struct result	*r = fixture("back_to_back.txt", 4096);

	CHECK(r->nev == 2 && r->p.abandoned == 0 && r->p.orphans == 0);
	CHECK(str_is(r->ev[0].process_name, "worker-a") &&
	    r->ev[0].pid == 6001 && r->ev[0].rss_kb == 2000000);
	CHECK(str_is(r->ev[1].process_name, "worker-b") &&
	    r->ev[1].pid == 6101 && r->ev[1].rss_kb == 2400000);
	/* Each dump has only its own context. */
	CHECK(r->ev[0].ntop == 2 && r->ev[1].ntop == 1);
	CHECK(task(&r->ev[1], 0)->pid == 6101);
	CHECK(r->ev[0].trigger_pid == 6001 && r->ev[1].trigger_pid == 6101);
	CHECK(strstr(r->ev[0].oom_memcg, "podp1") != NULL &&
	    strstr(r->ev[1].oom_memcg, "podp2") != NULL);
	CHECK(r->ev[1].kmsg_seq > r->ev[0].kmsg_seq);
}

static void
test_interrupted(void)
{
	const struct result	*r = fixture("interrupted.txt", 4096);
	const struct oom_event	*e = &r->ev[0];

	CHECK(r->nev == 1 && r->p.abandoned == 1);
	CHECK(str_is(e->process_name, "java") && e->pid == 7001);
	CHECK(str_is(e->trigger_name, "java") && e->trigger_pid == 7001);
	/* Nothing of the abandoned dump leaks into this one. */
	CHECK(!(e->flags & (OOM_F_MEM_TOTAL | OOM_F_MEM_FREE)));
	CHECK(e->ntop == 1 && task(e, 0)->pid == 7001);
	CHECK(str_is(e->constraint, "memcg"));
}

static void
test_orphan(void)
{
	const struct result	*r = fixture("orphan.txt", 4096);

	CHECK(r->nev == 0 && r->p.orphans == 1 && r->p.events == 0);
	CHECK(r->p.state == OOM_IDLE);
}

static void
test_allocating_task(void)
{
	const struct result	*r = fixture("allocating_task.txt", 4096);
	const struct oom_event	*e = &r->ev[0];

	CHECK(r->nev == 1);
	CHECK(e->kind == OOM_KIND_ALLOCATING_TASK);
	CHECK(str_is(e->process_name, "alloc") && e->pid == 3333);
	CHECK(e->rss_kb == 10000000 && e->mem_total_kb == 16000000 &&
	    e->mem_free_kb == 80000);
	CHECK(str_is(e->constraint, "none") && e->uid == 1000);
}

/* Linux 4.9: no oom-kill: line, no UID/pgtables/oom_score_adj. */
static void
test_pre_5_0(void)
{
	const struct result	*r = fixture("pre_5_0.txt", 4096);
	const struct oom_event	*e = &r->ev[0];

	CHECK(r->nev == 1);
	CHECK(e->kind == OOM_KIND_UNPREFIXED);
	CHECK(str_is(e->process_name, "java") && e->pid == 2100);
	CHECK(e->rss_kb == 3600000 && e->total_vm_kb == 7200000);
	CHECK(!(e->flags & (OOM_F_CONSTRAINT | OOM_F_UID | OOM_F_PGTABLES |
	    OOM_F_SCORE_ADJ | OOM_F_OOM_MEMCG | OOM_F_TASK_MEMCG)));
	CHECK((e->flags & OOM_F_RSS) == OOM_F_RSS);
	CHECK(e->mem_total_kb == 1048446ULL * 4 && e->mem_free_kb == 84000);
	/* nr_ptes/nr_pmds columns, mapped by the header. */
	CHECK(e->ntop == 2 && task(e, 0)->pid == 2100 &&
	    task(e, 0)->rss_kb == 3600000 && str_is(task(e, 0)->name, "java"));
	CHECK(task(e, 1)->rss_kb == 2400 &&
	    str_is(task(e, 1)->name, "systemd-udevd"));
	CHECK(r->p.ncols == 8);
	CHECK(str_is(e->trigger_name, "java") && e->trigger_pid == 2100);
}

/*
 * kernel-images #254: recognised lines were meant to be free but eroded
 * the watchdog.  2100 rows parse; 2010 unknown lines drop the dump.
 */
static void
test_watchdog(void)
{
	const struct result	*r;
	struct oom_parser	 p;
	struct kmsg_record	 k;
	struct oom_event	 ev;
	char			 line[128];
	int			 i, n, got;

	r = fixture("tasks_2100_rows.txt", 4096);
	CHECK(r->nev == 1 && r->p.dropped == 0);
	CHECK(r->ev[0].pid == 12099 && r->ev[0].ntop == 5);
	for (i = 0; i < 5; i++)
		CHECK(task(&r->ev[0], (size_t)i)->pid == 12099 - i &&
		    task(&r->ev[0], (size_t)i)->rss_kb ==
		    (uint64_t)(3099 - i) * 4);
	CHECK(str_is(task(&r->ev[0], 4)->name, "worker-2095"));

	r = fixture("filler_2010.txt", 4096);
	CHECK(r->nev == 0 && r->p.dropped == 1 && r->p.orphans == 1);

	/* The edge: OOM_NOISE_MAX - 1 unknown lines keep it, one more not. */
	for (n = OOM_NOISE_MAX - 1; n <= OOM_NOISE_MAX; n++) {
		oom_init(&p, 4096);
		got = 0;
		CHECK(PARSE("4,1,1,-;x invoked oom-killer: gfp_mask=0x0, "
		    "order=0, oom_score_adj=0", &k) == 0);
		oom_feed(&p, &k, &ev);
		for (i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "6,%d,%d,-;noise %d",
			    i + 2, i, i);
			CHECK(PARSE(line, &k) == 0);
			got += oom_feed(&p, &k, &ev);
			/* Recognised lines in between change nothing. */
			CHECK(PARSE("6,9,9,-;[  100]  0  100  10  5  0  0  0 x",
			    &k) == 0);
			got += oom_feed(&p, &k, &ev);
		}
		CHECK(PARSE("3,99999,1,-;Out of memory: Killed process 5 (x) "
		    "total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		    &k) == 0);
		got += oom_feed(&p, &k, &ev);
		CHECK(got == (n < OOM_NOISE_MAX));
		CHECK(p.dropped == (n < OOM_NOISE_MAX ? 0u : 1u));
	}
}

static void
test_oom_group(void)
{
	const struct result	*r = fixture("oom_group.txt", 4096);

	CHECK(r->nev == 3 && r->p.orphans == 1);
	CHECK(r->ev[0].pid == 9001 && r->ev[1].pid == 9002 &&
	    r->ev[2].pid == 9003);
	CHECK(r->ev[0].kind == OOM_KIND_MEMCG && r->ev[2].kmsg_seq == 1338);
	CHECK(str_is(r->ev[2].process_name, "tini") && r->ev[2].rss_kb == 4000);
	/* The later kills share the dump's context. */
	CHECK(str_is(r->ev[1].constraint, "memcg") &&
	    strcmp(r->ev[1].oom_memcg, r->ev[0].oom_memcg) == 0 &&
	    r->ev[2].ntop == 3 && r->ev[2].trigger_pid == 9001);
}

/* A group line long after a dump, or with no dump, reopens nothing. */
static void
test_group_stale(void)
{
	static const char *const recs[] = {
		"4,1,1,-;x invoked oom-killer: gfp_mask=0x0, order=0",
		"3,2,2,-;Memory cgroup out of memory: Killed process 5 (x) "
		    "total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		"6,3,3,-;eth0: link up",
		"6,4,4,-;Tasks in /a are going to be killed due to "
		    "memory.oom.group set",
		"3,5,5,-;Memory cgroup out of memory: Killed process 6 (y) "
		    "total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
	};
	struct oom_parser	p;
	struct kmsg_record	k;
	struct oom_event	ev;
	size_t			i;
	int			got = 0;

	oom_init(&p, 4096);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		CHECK(PARSE(recs[i], &k) == 0);
		got += oom_feed(&p, &k, &ev);
	}
	CHECK(got == 1 && p.orphans == 1 && p.state == OOM_IDLE);
}

static void
test_victim_exiting(void)
{
	const struct result	*r = fixture("victim_exiting.txt", 4096);

	CHECK(r->nev == 0 && r->p.skipped == 1 && r->p.orphans == 1);
}

static void
test_xid(void)
{
	const struct result	*r = fixture("xid.txt", 4096);
	const struct xid_event	*x = r->xid;
	struct kmsg_record	 k;
	struct xid_event	 y;

	CHECK(r->nxid == 4 && r->nev == 0);
	CHECK(x[0].xid == 79 && str_is(x[0].pci, "0000:3b:00"));
	CHECK(x[0].flags == (XID_F_PID | XID_F_NAME) && x[0].pid == 1234 &&
	    str_is(x[0].name, "python3"));
	CHECK(str_is(x[0].msg, "GPU has fallen off the bus."));
	CHECK(x[0].kmsg_seq == 1200 && x[0].kmsg_ts_usec == 900000000);
	CHECK(x[1].xid == 79 && x[1].flags == 0 &&
	    str_is(x[1].msg, "GPU has fallen off the bus."));
	CHECK(x[2].xid == 13 && str_is(x[2].pci, "0000:01:00") &&
	    x[2].flags == 0 && str_is(x[2].msg, "Graphics SM Warp Exception "
	    "on (GPC 1, TPC 0, SM 0): Out Of Range Address"));
	CHECK(x[3].xid == 48 && x[3].pid == 2222 &&
	    str_is(x[3].name, "pt_main_thread") &&
	    strncmp(x[3].msg, "An uncorrectable double bit error", 33) == 0);
	CHECK(PARSE("4,1,1,-;NVRM: Xid (PCI:0000:3b:00): x, GPU", &k) == 0 &&
	    kmsg_xid(&k, &y) == 0);
	CHECK(PARSE("4,1,1,-;NVRM: Xid (PCI:0000:3b:00", &k) == 0 &&
	    kmsg_xid(&k, &y) == 0);
}

static void
test_json(void)
{
	const struct result	*r;
	struct jw		 w;
	size_t			 n;

	r = fixture("memcg_new_layout.txt", 4096);
	n = ev_json(&r->ev[0], jbuf, sizeof(jbuf));
	CHECK(n > 0 && python_parses(jbuf, n));
	fprintf(stderr, "json: %s\n", jbuf);
	CHECK(strstr(jbuf, "{\"process_name\":\"python\",\"pid\":8123,"
	    "\"rss_kb\":4180000,") == jbuf);
	CHECK(strstr(jbuf, "\"constraint\":\"memcg\",\"oom_kind\":\"memcg\"")
	    != NULL);
	CHECK(strstr(jbuf, "\"top_tasks\":[{\"pid\":8123,\"name\":\"python\","
	    "\"rss_kb\":4180000},") != NULL);
	CHECK(strstr(jbuf, "mem_total_kb") == NULL &&
	    strstr(jbuf, "mem_free_kb") == NULL);
	CHECK(strstr(jbuf, "\"trigger_process_name\":\"python\","
	    "\"trigger_pid\":8123,\"kmsg_seq\":2036,") != NULL);

	r = fixture("pre_5_0.txt", 4096);
	n = ev_json(&r->ev[0], jbuf, sizeof(jbuf));
	CHECK(n > 0 && python_parses(jbuf, n));
	CHECK(strstr(jbuf, "\"uid\"") == NULL &&
	    strstr(jbuf, "\"constraint\"") == NULL &&
	    strstr(jbuf, "\"oom_score_adj\"") == NULL &&
	    strstr(jbuf, "\"pgtables_kb\"") == NULL);
	CHECK(strstr(jbuf, "\"oom_kind\":\"unprefixed\"") != NULL);

	r = fixture("xid.txt", 4096);
	jw_init(&w, jbuf, sizeof(jbuf), -1);
	jw_arr_begin(&w, NULL);
	xid_event_json(&w, NULL, &r->xid[0]);
	xid_event_json(&w, NULL, &r->xid[1]);
	jw_arr_end(&w);
	CHECK(!w.err && python_parses(jbuf, w.len));
	jbuf[w.len] = '\0';
	fprintf(stderr, "json: %s\n", jbuf);
	CHECK(strncmp(jbuf, "[{\"xid\":79,\"pci\":\"0000:3b:00\",\"pid\":1234,"
	    "\"process_name\":\"python3\",\"message\":\"GPU has fallen off the "
	    "bus.\",\"kmsg_seq\":1200,\"kmsg_ts_usec\":900000000},{\"xid\":79,"
	    "\"pci\":\"0000:3b:00\",\"message\":", w.len < 170 ? w.len : 170)
	    == 0);
	CHECK(str_is(oom_strstate(OOM_GROUP), "group") &&
	    str_is(oom_strkind(OOM_KIND_MEMCG), "memcg"));
}

int
main(void)
{
	test_parse();
	test_split();
	test_global_old();
	test_memcg_new();
	test_16k_pages();
	test_comm_paren();
	test_back_to_back();
	test_interrupted();
	test_orphan();
	test_allocating_task();
	test_pre_5_0();
	test_watchdog();
	test_oom_group();
	test_group_stale();
	test_victim_exiting();
	test_xid();
	test_json();
	return CHECK_DONE();
}
