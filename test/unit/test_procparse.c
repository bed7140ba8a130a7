/*
 * test_procparse.c -- the /proc and cgroup file parsers
 * (platform/linux/procparse.h) over test/fixtures/proc/: files captured
 * on a 6.18 kernel and written by hand for older ones (see the README
 * there).  Every parse runs on a heap copy of exactly the input's
 * length, so under ASan a read past len is caught; every prefix of
 * several fixtures is parsed too, as a read cut short would give it.
 * SPDX-License-Identifier: ISC
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "linux/procparse.h"

#define FIX_MAX		(64 * 1024)
/* A string literal as (buf, len). */
#define L(s)		(s), (sizeof(s) - 1)
#define NS(t)		((uint64_t)(t) * 10000000ULL)	/* ticks at 100 Hz */

static char	fixbuf[FIX_MAX];

static size_t	load(const char *);
static char	*exact(const char *, size_t);
static int	stat_of(const char *, size_t, long, struct host_sample *);
static int	stat_fix(const char *, struct host_sample *);
static int	mem_of(const char *, size_t, struct host_sample *);
static int	load_of(const char *, size_t, struct host_sample *);
static int	psi_of(const char *, size_t, int, struct host_sample *);
static int	pid_of(const char *, size_t, struct procparse_pid *);
static int	io_of(const char *, size_t, uint64_t *, uint64_t *);
static int	cgv_of(const char *, size_t, uint64_t *);
static int	oom_of(const char *, size_t, uint64_t *);
static void	test_stat(void);
static void	test_stat_bad(void);
static void	test_ticks(void);
static void	test_meminfo(void);
static void	test_loadavg(void);
static void	test_pressure(void);
static void	test_pid_stat(void);
static void	test_pid_stat_cut(void);
static void	test_pid_io(void);
static void	test_cgroup_files(void);
static void	test_cpu_pct(void);
static void	test_garbage(void);

static size_t
load(const char *name)
{
	char		 path[1024];
	const char	*top = getenv("TOP");
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof(path), "%s/test/fixtures/proc/%s",
	    top != NULL ? top : ".", name);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		CHECK(0);
		return 0;
	}
	n = fread(fixbuf, 1, sizeof(fixbuf), f);
	fclose(f);
	return n;
}

/* A heap copy of exactly len bytes: ASan sees a read past it. */
static char *
exact(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len > 0 ? len : 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(p, s, len);
	return p;
}

static int
stat_of(const char *s, size_t len, long hz, struct host_sample *hs)
{
	char	*p = exact(s, len);
	int	 r;

	memset(hs, 0, sizeof(*hs));
	r = procparse_stat(p, len, hz, hs);
	free(p);
	return r;
}

static int
stat_fix(const char *name, struct host_sample *hs)
{
	return stat_of(fixbuf, load(name), 100, hs);
}

static int
mem_of(const char *s, size_t len, struct host_sample *hs)
{
	char	*p = exact(s, len);
	int	 r;

	memset(hs, 0, sizeof(*hs));
	r = procparse_meminfo(p, len, hs);
	free(p);
	return r;
}

static int
load_of(const char *s, size_t len, struct host_sample *hs)
{
	char	*p = exact(s, len);
	int	 r;

	memset(hs, 0, sizeof(*hs));
	r = procparse_loadavg(p, len, hs);
	free(p);
	return r;
}

static int
psi_of(const char *s, size_t len, int which, struct host_sample *hs)
{
	char	*p = exact(s, len);
	int	 r;

	memset(hs, 0, sizeof(*hs));
	r = procparse_pressure(p, len, which, hs);
	free(p);
	return r;
}

static int
pid_of(const char *s, size_t len, struct procparse_pid *pp)
{
	char	*p = exact(s, len);
	int	 r;

	memset(pp, 0, sizeof(*pp));
	r = procparse_pid_stat(p, len, pp);
	free(p);
	return r;
}

static int
io_of(const char *s, size_t len, uint64_t *rd, uint64_t *wr)
{
	char	*p = exact(s, len);
	int	 r;

	r = procparse_pid_io(p, len, rd, wr);
	free(p);
	return r;
}

static int
cgv_of(const char *s, size_t len, uint64_t *v)
{
	char	*p = exact(s, len);
	int	 r;

	r = procparse_cg_value(p, len, v);
	free(p);
	return r;
}

static int
oom_of(const char *s, size_t len, uint64_t *v)
{
	char	*p = exact(s, len);
	int	 r;

	r = procparse_cg_oom_kill(p, len, v);
	free(p);
	return r;
}

/* Each kernel's column count, summed by hand from the fixture. */
static void
test_stat(void)
{
	static const struct {
		const char	*name;
		uint64_t	 busy, total;
		uint32_t	 ncpu;
	} t[] = {
		/* 10 columns: steal 183178 is busy, guest 0 not added. */
		{ "stat-6.18", 1953156, 4506088, 2 },
		/* guest 120 and guest_nice 10 are inside user and nice. */
		{ "stat-5.15", 5922, 3728158, 4 },
		{ "stat-2.6.32", 5162, 22637014, 2 },
		{ "stat-2.6.18", 192891, 10082544, 2 },
		{ "stat-2.6.9", 5162, 22637015, 1 },
		{ "stat-2.4", 2418, 12348096, 1 },
	};
	struct host_sample	hs;
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK(stat_fix(t[i].name, &hs) == 0);
		CHECK(hs.have == HS_CPU);
		CHECK(hs.cpu_busy_ns == NS(t[i].busy));
		CHECK(hs.cpu_total_ns == NS(t[i].total));
		CHECK(hs.ncpu == t[i].ncpu);
		if (hs.cpu_busy_ns != NS(t[i].busy) ||
		    hs.cpu_total_ns != NS(t[i].total) ||
		    hs.ncpu != t[i].ncpu)
			fprintf(stderr, "%s: busy %llu total %llu ncpu %u\n",
			    t[i].name, (unsigned long long)hs.cpu_busy_ns,
			    (unsigned long long)hs.cpu_total_ns, hs.ncpu);
	}
	/* Other tick rates. */
	load("stat-5.15");
	CHECK(stat_of(fixbuf, load("stat-5.15"), 1000, &hs) == 0);
	CHECK(hs.cpu_busy_ns == 5922ULL * 1000000);
	CHECK(stat_of(fixbuf, load("stat-5.15"), 250, &hs) == 0);
	CHECK(hs.cpu_total_ns == 3728158ULL * 4000000);
	/* A future 11th column is ignored. */
	CHECK(stat_of(L("cpu  1 2 3 4 5 6 7 8 9 10 11\n"), 100, &hs) == 0);
	CHECK(hs.cpu_busy_ns == NS(1 + 2 + 3 + 6 + 7 + 8));
	CHECK(hs.cpu_total_ns == NS(1 + 2 + 3 + 6 + 7 + 8 + 4 + 5));
}

static void
test_stat_bad(void)
{
	static const char *const bad[] = {
		"",
		"\n",
		"cpu\n",
		"cpu \n",
		"cpu  1 2 3\n",			/* 3 columns */
		"cpu  1 2 x 4\n",
		"cpu  1 2 3 4",			/* cut: no newline */
		"cpu  1 2 3 4x\n",
		"cpu  -1 2 3 4\n",
		"cpu0 1 2 3 4\n",		/* no aggregate line */
		"cpux 1 2 3 4\n",
		"cpu  99999999999999999999 0 0 0\n",	/* > 2^64 */
		"cpu  18446744073709551615 1 0 0\n",	/* sum > 2^64 */
		"intr 1 2 3\nctxt 4\n",
	};
	struct host_sample	hs;
	size_t			i, len, n, agg;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(stat_of(bad[i], strlen(bad[i]), 100, &hs) == -1);
		CHECK(hs.have == 0);
	}
	/* Every prefix: the aggregate line whole, or nothing. */
	len = load("stat-6.18");
	agg = (size_t)((char *)memchr(fixbuf, '\n', len) - fixbuf) + 1;
	for (n = 0; n <= len; n++) {
		if (stat_of(fixbuf, n, 100, &hs) == 0) {
			CHECK(n >= agg);
			CHECK(hs.ncpu >= 1 && hs.ncpu <= 2);
			CHECK(hs.cpu_busy_ns == NS(1953156));
		} else {
			CHECK(n < agg);
			CHECK(hs.have == 0);
		}
	}
	/* cpuN lines without the aggregate are not counted alone. */
	CHECK(stat_of(L("cpu  1 1 1 1\ncpu0 1 1 1 1\ncpu1x 1\ncpu12 1\n"),
	    100, &hs) == 0);
	CHECK(hs.ncpu == 2);
}

static void
test_ticks(void)
{
	CHECK(procparse_ticks_ns(0, 100) == 0);
	CHECK(procparse_ticks_ns(1, 100) == 10000000);
	CHECK(procparse_ticks_ns(1, 3) == 333333333);
	CHECK(procparse_ticks_ns(4, 3) == 1333333333);
	CHECK(procparse_ticks_ns(1, 0) == 10000000);	/* no hz: 100 */
	CHECK(procparse_ticks_ns(UINT64_MAX, 100) == UINT64_MAX);
	/*
	 * 2^64 ns is 584 CPU-years: 256 CPUs up for a year fit, and what
	 * does not fit stays at the top rather than wrapping.
	 */
	CHECK(procparse_ticks_ns(256ULL * 1000 * 86400 * 365, 1000) ==
	    256ULL * 86400 * 365 * 1000000000ULL);
	CHECK(procparse_ticks_ns(256ULL * 100 * 86400 * 3650, 100) ==
	    UINT64_MAX);
}

static void
test_meminfo(void)
{
	struct host_sample	hs;
	size_t			len;

	len = load("meminfo-6.18");
	CHECK(mem_of(fixbuf, len, &hs) == 0);
	CHECK(hs.have == HS_MEM);
	CHECK(hs.mem_total == 24683584ULL * 1024);
	CHECK(hs.mem_available == 23702804ULL * 1024);
	len = load("meminfo-5.15");
	CHECK(mem_of(fixbuf, len, &hs) == 0);
	CHECK(hs.mem_total == 16337268ULL * 1024);
	CHECK(hs.mem_available == 12745520ULL * 1024);
	/* Before 3.14: absent, not MemFree + Cached. */
	len = load("meminfo-3.2");
	CHECK(mem_of(fixbuf, len, &hs) == -1);
	CHECK(hs.have == 0);
	CHECK(mem_of(L("MemTotal: 5 kB\nMemAvailable: x kB\n"), &hs) == -1);
	CHECK(mem_of(L("MemTotal: 5 kB\nMemAvailable: 3 MB\n"), &hs) == -1);
	CHECK(mem_of(L("MemTotal: 5 kB\nMemAvailable: 3 kB"), &hs) == -1);
	CHECK(mem_of(L("XMemTotal: 5 kB\nMemAvailable: 3 kB\n"), &hs) == -1);
	CHECK(mem_of(L("MemTotal: 5 kB\nMemAvailable: 3 kB\n"), &hs) == 0);
	CHECK(hs.mem_total == 5120 && hs.mem_available == 3072);
	CHECK(mem_of(L("MemTotal: 18446744073709551615 kB\n"
	    "MemAvailable: 1 kB\n"), &hs) == -1);
}

static void
test_loadavg(void)
{
	struct host_sample	hs;
	size_t			len;

	len = load("loadavg-6.18");
	CHECK(load_of(fixbuf, len, &hs) == 0);
	CHECK(hs.have == HS_LOAD);
	CHECK(hs.load[0] == 202 && hs.load[1] == 145 && hs.load[2] == 104);
	len = load("loadavg-5.15");
	CHECK(load_of(fixbuf, len, &hs) == 0);
	CHECK(hs.load[0] == 1257 && hs.load[1] == 803 && hs.load[2] == 10499);
	len = load("loadavg-3.2");
	CHECK(load_of(fixbuf, len, &hs) == 0);
	CHECK(hs.load[0] == 0 && hs.load[1] == 1 && hs.load[2] == 5);
	/* Other decimals than the kernel's two. */
	CHECK(load_of(L("1.5 2 3.339 1/2 3\n"), &hs) == 0);
	CHECK(hs.load[0] == 150 && hs.load[1] == 200 && hs.load[2] == 333);
	CHECK(load_of(L("1.00 2.00 3.00\n"), &hs) == 0);
	CHECK(load_of(L("1.00 2.00\n"), &hs) == -1);
	CHECK(load_of(L("1.00 2.00 3.00"), &hs) == -1);
	CHECK(load_of(L("1. 2.00 3.00\n"), &hs) == -1);
	CHECK(load_of(L("1.00  2.00 3.00\n"), &hs) == -1);
	CHECK(load_of(L("99999999999.00 2.00 3.00\n"), &hs) == -1);
	CHECK(hs.have == 0);
}

static void
test_pressure(void)
{
	struct host_sample	hs;
	size_t			len;

	len = load("pressure-cpu-6.18");
	CHECK(psi_of(fixbuf, len, PSI_CPU, &hs) == 0);
	CHECK(hs.have == (HS_PSI_CPU | HS_PSI_CPU_FULL));
	CHECK(hs.psi_some[PSI_CPU] == 453 && hs.psi_full[PSI_CPU] == 0);
	len = load("pressure-memory-6.18");
	CHECK(psi_of(fixbuf, len, PSI_MEM, &hs) == 0);
	CHECK(hs.have == HS_PSI_MEM);
	len = load("pressure-io-6.18");
	CHECK(psi_of(fixbuf, len, PSI_IO, &hs) == 0);
	CHECK(hs.have == HS_PSI_IO);
	/* 4.20: cpu without "full". */
	len = load("pressure-cpu-4.20");
	CHECK(psi_of(fixbuf, len, PSI_CPU, &hs) == 0);
	CHECK(hs.have == HS_PSI_CPU);
	CHECK(hs.psi_some[PSI_CPU] == 25);
	len = load("pressure-memory-4.20");
	CHECK(psi_of(fixbuf, len, PSI_MEM, &hs) == 0);
	CHECK(hs.psi_some[PSI_MEM] == 107 && hs.psi_full[PSI_MEM] == 63);
	len = load("pressure-io-4.20");
	CHECK(psi_of(fixbuf, len, PSI_IO, &hs) == 0);
	CHECK(hs.psi_some[PSI_IO] == 1234 && hs.psi_full[PSI_IO] == 999);
	len = load("pressure-cpu-5.15");
	CHECK(psi_of(fixbuf, len, PSI_CPU, &hs) == 0);
	CHECK(hs.have == (HS_PSI_CPU | HS_PSI_CPU_FULL));
	CHECK(hs.psi_some[PSI_CPU] == 4510);
	/* memory and io need both lines. */
	len = load("pressure-cpu-4.20");
	CHECK(psi_of(fixbuf, len, PSI_MEM, &hs) == -1);
	CHECK(psi_of(fixbuf, len, PSI_IO, &hs) == -1);
	CHECK(hs.have == 0);
	CHECK(psi_of(fixbuf, len, PSI_N, &hs) == -1);
	CHECK(psi_of(fixbuf, len, -1, &hs) == -1);
	CHECK(psi_of(L("some avg10=1.00"), PSI_CPU, &hs) == -1);
	CHECK(psi_of(L("some avg60=1.00\n"), PSI_CPU, &hs) == -1);
	CHECK(psi_of(L("some avg10=x\n"), PSI_CPU, &hs) == -1);
	CHECK(psi_of(L("full avg10=1.00\n"), PSI_CPU, &hs) == -1);
	CHECK(psi_of(L("some avg10=100.00\n"), PSI_CPU, &hs) == 0);
	CHECK(hs.psi_some[PSI_CPU] == 10000);
}

static void
test_pid_stat(void)
{
	struct procparse_pid	pp;
	size_t			len;

	len = load("pid-stat-6.18");
	CHECK(pid_of(fixbuf, len, &pp) == 0);
	CHECK(pp.state == 'R' && pp.pgrp == 5227 && pp.utime == 0 &&
	    pp.stime == 0 && pp.threads == 1 && pp.starttime == 2243645 &&
	    pp.rss == 382);
	CHECK(!procparse_pid_gone(pp.state));
	len = load("pid-stat-init-6.18");
	CHECK(pid_of(fixbuf, len, &pp) == 0);
	CHECK(pp.state == 'S' && pp.pgrp == 0 && pp.utime == 1474 &&
	    pp.stime == 6054 && pp.threads == 15 && pp.starttime == 22 &&
	    pp.rss == 2827);
	len = load("pid-stat-kthread-6.18");
	CHECK(pid_of(fixbuf, len, &pp) == 0);
	CHECK(pp.pgrp == 0 && pp.stime == 3 && pp.rss == 0);
	/* comm "(a) b) c)": counted from the last ')'. */
	len = load("pid-stat-comm-paren");
	CHECK(pid_of(fixbuf, len, &pp) == 0);
	CHECK(pp.state == 'S' && pp.pgrp == 4242 && pp.utime == 7 &&
	    pp.stime == 3 && pp.threads == 2 && pp.starttime == 12345 &&
	    pp.rss == 250);
	/* comm "x) Z 1 99 99": what looks like fields is the name. */
	len = load("pid-stat-comm-fake");
	CHECK(pid_of(fixbuf, len, &pp) == 0);
	CHECK(pp.state == 'R' && pp.pgrp == 4243 && pp.utime == 11 &&
	    pp.stime == 22 && pp.threads == 3 && pp.starttime == 777 &&
	    pp.rss == 99);
	CHECK(!procparse_pid_gone(pp.state));
	len = load("pid-stat-zombie");
	CHECK(pid_of(fixbuf, len, &pp) == 0);
	CHECK(pp.state == 'Z' && procparse_pid_gone(pp.state));
	CHECK(pp.pgrp == 4999 && pp.rss == 0);
	len = load("pid-stat-zombie-6.18");
	CHECK(pid_of(fixbuf, len, &pp) == 0);
	CHECK(pp.state == 'Z' && procparse_pid_gone(pp.state));
	CHECK(pp.pgrp == 10971);
	CHECK(procparse_pid_gone('X') && !procparse_pid_gone('S') &&
	    !procparse_pid_gone('D'));
	len = load("pid-stat-2.6.32");
	CHECK(pid_of(fixbuf, len, &pp) == 0);
	CHECK(pp.state == 'S' && pp.pgrp == 1 && pp.utime == 12 &&
	    pp.stime == 2296 && pp.threads == 1 && pp.starttime == 3 &&
	    pp.rss == 272);
	/* A newline in comm (prctl PR_SET_NAME allows it). */
	CHECK(pid_of(L("7 (a\nb) S 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 9 0 "
	    "3 0\n"), &pp) == 0);
	CHECK(pp.pgrp == 7 && pp.utime == 5 && pp.rss == 3);
}

/* Every prefix: good exactly once field 24 is followed by its space. */
static void
test_pid_stat_cut(void)
{
	static const char *const fix[] = {
		"pid-stat-comm-paren", "pid-stat-6.18", "pid-stat-zombie",
		"pid-stat-2.6.32",
	};
	struct procparse_pid	 pp;
	const char		*p;
	size_t			 f, len, n, need;
	int			 field;

	for (f = 0; f < sizeof(fix) / sizeof(fix[0]); f++) {
		len = load(fix[f]);
		/* The byte after field 24, counted from the last ')'. */
		for (p = fixbuf + len - 1; *p != ')'; p--)
			;
		for (field = 2; field < 25; field++)
			p = memchr(p + 1, ' ', len - (size_t)(p + 1 - fixbuf));
		need = (size_t)(p - fixbuf) + 1;
		for (n = 0; n <= len; n++)
			CHECK((pid_of(fixbuf, n, &pp) == 0) == (n >= need));
	}
}

static void
test_pid_io(void)
{
	uint64_t	rd = 1, wr = 1;
	size_t		len;

	len = load("pid-io-6.18");
	CHECK(io_of(fixbuf, len, &rd, &wr) == 0);
	CHECK(rd == 0 && wr == 4096);
	len = load("pid-io-3.2");
	CHECK(io_of(fixbuf, len, &rd, &wr) == 0);
	CHECK(rd == 4096 && wr == 323932160);
	/* cancelled_write_bytes is not write_bytes. */
	CHECK(io_of(L("read_bytes: 1\ncancelled_write_bytes: 5\n"), &rd,
	    &wr) == -1);
	CHECK(io_of(L("read_bytes: 1\nwrite_bytes: 2"), &rd, &wr) == -1);
	CHECK(io_of(L("read_bytes: 1\nwrite_bytes: 2\n"), &rd, &wr) == 0);
	CHECK(rd == 1 && wr == 2);
	CHECK(io_of(L("read_bytes: -1\nwrite_bytes: 2\n"), &rd, &wr) == -1);
	CHECK(io_of(L(""), &rd, &wr) == -1);
}

static void
test_cgroup_files(void)
{
	uint64_t	v;
	size_t		len;

	len = load("cg-v1-usage_in_bytes-6.18");
	CHECK(cgv_of(fixbuf, len, &v) == 0 && v == 1935613952);
	len = load("cg-v2-memory.current-6.1");
	CHECK(cgv_of(fixbuf, len, &v) == 0 && v == 67108864);
	CHECK(cgv_of(L("163840"), &v) == 0 && v == 163840);
	CHECK(cgv_of(L(""), &v) == -1);
	CHECK(cgv_of(L("\n"), &v) == -1);
	CHECK(cgv_of(L("max\n"), &v) == -1);
	CHECK(cgv_of(L("12 \n"), &v) == -1);
	CHECK(cgv_of(L("1\n2\n"), &v) == -1);
	CHECK(cgv_of(L("18446744073709551616\n"), &v) == -1);

	len = load("cg-v1-oom_control-6.18");
	CHECK(oom_of(fixbuf, len, &v) == 0 && v == 0);
	len = load("cg-v1-oom_control-6.18-killed");
	CHECK(oom_of(fixbuf, len, &v) == 0 && v == 1);
	/* Before 4.13 v1 does not count kills: absent. */
	len = load("cg-v1-oom_control-4.9");
	CHECK(oom_of(fixbuf, len, &v) == -1);
	len = load("cg-v2-memory.events-5.4");
	CHECK(oom_of(fixbuf, len, &v) == 0 && v == 0);
	len = load("cg-v2-memory.events-6.1");
	CHECK(oom_of(fixbuf, len, &v) == 0 && v == 2);
	CHECK(oom_of(L("oom_group_kill 5\noom_kill 3\n"), &v) == 0 && v == 3);
	CHECK(oom_of(L("oom_kill_disable 1\n"), &v) == -1);
	CHECK(oom_of(L("oom_kill 3"), &v) == -1);
	CHECK(oom_of(L("oom_kill 3x\n"), &v) == -1);
	CHECK(oom_of(L("oom_kill\n"), &v) == -1);
}

static void
test_cpu_pct(void)
{
	struct host_sample	a, b;
	uint32_t		pct;

	CHECK(procparse_cpu_pct(0, 50, 0, 100, &pct) == 0 && pct == 5000);
	CHECK(procparse_cpu_pct(100, 100, 0, 100, &pct) == 0 && pct == 0);
	CHECK(procparse_cpu_pct(0, 1, 0, 3, &pct) == 0 && pct == 3333);
	CHECK(procparse_cpu_pct(0, 100, 0, 100, &pct) == 0 && pct == 10000);
	CHECK(procparse_cpu_pct(0, 50, 100, 100, &pct) == -1);
	CHECK(procparse_cpu_pct(0, 50, 100, 50, &pct) == -1);
	CHECK(procparse_cpu_pct(60, 50, 0, 100, &pct) == -1);
	/* A group on two CPUs for a wall second: 200 %. */
	CHECK(procparse_cpu_pct(0, 2000000000, 0, 1000000000, &pct) == 0 &&
	    pct == 20000);
	/* Deltas too big for the integer path. */
	CHECK(procparse_cpu_pct(0, 100000000000000000ULL, 0,
	    200000000000000000ULL, &pct) == 0 && pct == 5000);
	CHECK(procparse_cpu_pct(0, UINT64_MAX, 0, 1, &pct) == 0 &&
	    pct == UINT32_MAX);
	/* Two /proc/stat reads: 150 of 1000 ticks busy is 15 %. */
	CHECK(stat_of(L("cpu  100 0 50 800 50 0 0 0 0 0\n"), 100, &a) == 0);
	CHECK(stat_of(L("cpu  200 0 100 1600 100 0 0 0 0 0\n"), 100, &b) ==
	    0);
	CHECK(procparse_cpu_pct(a.cpu_busy_ns, b.cpu_busy_ns, a.cpu_total_ns,
	    b.cpu_total_ns, &pct) == 0 && pct == 1500);
}

/* Every parser on bytes that are none of their files: no crash, -1. */
static void
test_garbage(void)
{
	struct host_sample	 hs;
	struct procparse_pid	 pp;
	uint64_t		 a, b;
	char			 g[512];
	unsigned		 seed = 12345;
	size_t			 i, k;
	int			 w;

	for (k = 0; k < 2000; k++) {
		for (i = 0; i < sizeof(g); i++) {
			seed = seed * 1103515245 + 12345;
			g[i] = (char)(seed >> 16);
		}
		(void)stat_of(g, k % sizeof(g), 100, &hs);
		(void)mem_of(g, k % sizeof(g), &hs);
		(void)load_of(g, k % sizeof(g), &hs);
		for (w = 0; w < PSI_N; w++)
			(void)psi_of(g, k % sizeof(g), w, &hs);
		(void)pid_of(g, k % sizeof(g), &pp);
		(void)io_of(g, k % sizeof(g), &a, &b);
		(void)cgv_of(g, k % sizeof(g), &a);
		(void)oom_of(g, k % sizeof(g), &a);
	}
	CHECK(pid_of(L(")"), &pp) == -1);
	CHECK(pid_of(L("1 (x)"), &pp) == -1);
	CHECK(pid_of(L("1 (x) S"), &pp) == -1);
	CHECK(pid_of(L("x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 "
	    "18 19 20 21 22\n"), &pp) == -1);
	CHECK(pid_of(L("(y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
	    "19 20 21 22\n"), &pp) == -1);
	CHECK(pid_of(L("1 (a) S 1 -5 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 9 0 "
	    "3 0\n"), &pp) == -1);
	CHECK(pid_of(L("1 (a) S 1 5 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 9 0 "
	    "3 0\n"), &pp) == 0);
}

int
main(void)
{
	test_stat();
	test_stat_bad();
	test_ticks();
	test_meminfo();
	test_loadavg();
	test_pressure();
	test_pid_stat();
	test_pid_stat_cut();
	test_pid_io();
	test_cgroup_files();
	test_cpu_pct();
	test_garbage();
	return CHECK_DONE();
}
