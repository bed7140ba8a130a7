/*
 * procparse.c -- pure parsers for /proc and cgroup files (procparse.h).
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "procparse.h"

/* /proc/stat "cpu" columns, in the order the kernel prints them. */
enum { COL_USER, COL_NICE, COL_SYSTEM, COL_IDLE, COL_IOWAIT, COL_IRQ,
    COL_SOFTIRQ, COL_STEAL, COL_GUEST, COL_GUEST_NICE, COL_MAX };
#define COL_MIN		4	/* 2.4 kernels: user nice system idle */

/* Fields of /proc/PID/stat, counted from 1 as proc(5) does. */
#define PF_STATE	3
#define PF_PGRP		5
#define PF_UTIME	14
#define PF_STIME	15
#define PF_THREADS	20
#define PF_START	22
#define PF_RSS		24

#define NS_PER_S	1000000000ULL

static int		 pp_digit(char);
static int		 pp_u64(const char **, const char *, uint64_t *);
static int		 pp_hundredths(const char **, const char *, uint32_t *);
static const char	*pp_blank(const char *, const char *);
static int		 pp_key(const char *, const char *, const char *);
static int		 pp_add(uint64_t *, uint64_t);
static int		 pp_stat_cpu(const char *, const char *, long,
			    struct host_sample *);
static int		 pp_stat_cpun(const char *, const char *);
static int		 pp_kv(const char *, size_t, const char *, uint64_t *);
static int		 pp_psi_line(const char *, const char *, uint32_t *);

static int
pp_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits at *sp, at least one, no overflow; advances *sp. */
static int
pp_u64(const char **sp, const char *end, uint64_t *v)
{
	const char	*s = *sp;
	uint64_t	 n = 0, d;

	if (s >= end || !pp_digit(*s))
		return -1;
	for (; s < end && pp_digit(*s); s++) {
		d = (uint64_t)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	*sp = s;
	return 0;
}

/*
 * "12.34" as 1234.  The kernel prints two decimals (loadavg and PSI
 * both use LOAD_INT/LOAD_FRAC); more are cut, fewer padded.
 */
static int
pp_hundredths(const char **sp, const char *end, uint32_t *v)
{
	const char	*s = *sp;
	uint64_t	 ip, frac = 0;
	int		 nd = 0;

	if (pp_u64(&s, end, &ip) == -1 || ip > UINT32_MAX / 100 - 1)
		return -1;
	if (s < end && *s == '.') {
		s++;
		if (s >= end || !pp_digit(*s))
			return -1;
		for (; s < end && pp_digit(*s); s++)
			if (nd++ < 2)
				frac = frac * 10 + (uint64_t)(*s - '0');
	}
	for (; nd < 2; nd++)
		frac *= 10;
	*v = (uint32_t)(ip * 100 + frac);
	*sp = s;
	return 0;
}

static const char *
pp_blank(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* 1 when the line [s, end) starts with `key`. */
static int
pp_key(const char *s, const char *end, const char *key)
{
	size_t	n = strlen(key);

	return (size_t)(end - s) >= n && memcmp(s, key, n) == 0;
}

/* *a += b, or -1 if it does not fit (only garbage gets there). */
static int
pp_add(uint64_t *a, uint64_t b)
{
	if (*a > UINT64_MAX - b)
		return -1;
	*a += b;
	return 0;
}

uint64_t
procparse_ticks_ns(uint64_t ticks, long hz)
{
	uint64_t	h, whole, part;

	h = hz > 0 ? (uint64_t)hz : 100;
	whole = ticks / h;
	part = (ticks % h) * NS_PER_S / h;
	if (whole > (UINT64_MAX - part) / NS_PER_S)
		return UINT64_MAX;
	return whole * NS_PER_S + part;
}

/* The aggregate line after "cpu": 4 to 10 columns (more are ignored). */
static int
pp_stat_cpu(const char *s, const char *end, long hz, struct host_sample *hs)
{
	uint64_t	col[COL_MAX] = { 0 }, busy = 0, total;
	int		n;

	for (n = 0; n < COL_MAX; n++) {
		s = pp_blank(s, end);
		if (s == end)
			break;
		if (pp_u64(&s, end, &col[n]) == -1 ||
		    (s < end && *s != ' ' && *s != '\t'))
			return -1;
	}
	if (n < COL_MIN)
		return -1;
	/* guest and guest_nice are inside user and nice already. */
	if (pp_add(&busy, col[COL_USER]) == -1 ||
	    pp_add(&busy, col[COL_NICE]) == -1 ||
	    pp_add(&busy, col[COL_SYSTEM]) == -1 ||
	    pp_add(&busy, col[COL_IRQ]) == -1 ||
	    pp_add(&busy, col[COL_SOFTIRQ]) == -1 ||
	    pp_add(&busy, col[COL_STEAL]) == -1)
		return -1;
	total = busy;
	if (pp_add(&total, col[COL_IDLE]) == -1 ||
	    pp_add(&total, col[COL_IOWAIT]) == -1)
		return -1;
	hs->cpu_busy_ns = procparse_ticks_ns(busy, hz);
	hs->cpu_total_ns = procparse_ticks_ns(total, hz);
	return 0;
}

/* 1 when the rest of a "cpu" line is "N " (a per-CPU line). */
static int
pp_stat_cpun(const char *s, const char *end)
{
	if (s >= end || !pp_digit(*s))
		return 0;
	while (s < end && pp_digit(*s))
		s++;
	return s < end && *s == ' ';
}

int
procparse_stat(const char *buf, size_t len, long hz, struct host_sample *hs)
{
	const char	*p = buf, *end = buf + len, *nl;
	uint32_t	 ncpu = 0;
	int		 agg = 0;

	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL;
	    p = nl + 1) {
		if (!pp_key(p, nl, "cpu"))
			continue;
		if (p + 3 < nl && p[3] == ' ' && !agg) {
			if (pp_stat_cpu(p + 3, nl, hz, hs) == -1)
				return -1;
			agg = 1;
		} else if (pp_stat_cpun(p + 3, nl) && ncpu < UINT32_MAX)
			ncpu++;
	}
	if (!agg)
		return -1;
	/* A uniprocessor 2.4 kernel printed no cpu0 line. */
	hs->ncpu = ncpu > 0 ? ncpu : 1;
	hs->have |= HS_CPU;
	return 0;
}

/*
 * The number of the line "key:   N kB" or "key: N" in [buf, buf + len);
 * the key must start the line.
 */
static int
pp_kv(const char *buf, size_t len, const char *key, uint64_t *v)
{
	const char	*p = buf, *end = buf + len, *nl, *s;
	size_t		 klen = strlen(key);

	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL;
	    p = nl + 1) {
		if (!pp_key(p, nl, key))
			continue;
		s = pp_blank(p + klen, nl);
		if (pp_u64(&s, nl, v) == -1)
			return -1;
		if (s != nl && (nl - s != 3 || !pp_key(s, nl, " kB")))
			return -1;
		return 0;
	}
	return -1;
}

int
procparse_meminfo(const char *buf, size_t len, struct host_sample *hs)
{
	uint64_t	total, avail;

	if (pp_kv(buf, len, "MemTotal:", &total) == -1 ||
	    pp_kv(buf, len, "MemAvailable:", &avail) == -1)
		return -1;
	if (total > UINT64_MAX / 1024 || avail > UINT64_MAX / 1024)
		return -1;
	hs->mem_total = total * 1024;
	hs->mem_available = avail * 1024;
	hs->have |= HS_MEM;
	return 0;
}

int
procparse_loadavg(const char *buf, size_t len, struct host_sample *hs)
{
	const char	*s = buf, *nl;
	uint32_t	 v[3];
	int		 i;

	if ((nl = memchr(buf, '\n', len)) == NULL)
		return -1;
	for (i = 0; i < 3; i++) {
		if (i > 0 && (s >= nl || *s++ != ' '))
			return -1;
		if (pp_hundredths(&s, nl, &v[i]) == -1)
			return -1;
	}
	if (s != nl && *s != ' ')
		return -1;
	memcpy(hs->load, v, sizeof(hs->load));
	hs->have |= HS_LOAD;
	return 0;
}

/* avg10 of a PSI line after its "some " or "full ". */
static int
pp_psi_line(const char *s, const char *nl, uint32_t *v)
{
	if (!pp_key(s, nl, "avg10="))
		return -1;
	s += 6;
	if (pp_hundredths(&s, nl, v) == -1 || (s != nl && *s != ' '))
		return -1;
	return 0;
}

int
procparse_pressure(const char *buf, size_t len, int which,
    struct host_sample *hs)
{
	static const uint32_t	 bit[PSI_N] = { HS_PSI_CPU, HS_PSI_MEM,
				    HS_PSI_IO };
	const char		*p = buf, *end = buf + len, *nl;
	uint32_t		 some = 0, full = 0;
	int			 hsome = 0, hfull = 0;

	if (which < 0 || which >= PSI_N)
		return -1;
	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL;
	    p = nl + 1) {
		if (pp_key(p, nl, "some ") && !hsome) {
			if (pp_psi_line(p + 5, nl, &some) == -1)
				return -1;
			hsome = 1;
		} else if (pp_key(p, nl, "full ") && !hfull) {
			if (pp_psi_line(p + 5, nl, &full) == -1)
				return -1;
			hfull = 1;
		}
	}
	/* Only cpu may lack "full" (added there in 5.13). */
	if (!hsome || (!hfull && which != PSI_CPU))
		return -1;
	hs->psi_some[which] = some;
	hs->have |= bit[which];
	if (hfull) {
		hs->psi_full[which] = full;
		if (which == PSI_CPU)
			hs->have |= HS_PSI_CPU_FULL;
	}
	return 0;
}

int
procparse_pid_stat(const char *buf, size_t len, struct procparse_pid *pp)
{
	const char	*s, *end = buf + len, *close = NULL;
	uint64_t	 v;
	int		 field;

	/* "PID (comm) S ...": the real ')' is the last one. */
	for (s = buf; s < end; s++)
		if (*s == ')')
			close = s;
	s = buf;
	if (close == NULL || pp_u64(&s, close, &v) == -1 ||
	    close - s < 2 || s[0] != ' ' || s[1] != '(')
		return -1;
	s = close + 1;
	for (field = PF_STATE; field <= PF_RSS; field++) {
		if (s >= end || *s++ != ' ' || s >= end)
			return -1;
		if (field == PF_STATE) {
			pp->state = *s++;
			continue;
		}
		if (field != PF_PGRP && field != PF_UTIME &&
		    field != PF_STIME && field != PF_THREADS &&
		    field != PF_START && field != PF_RSS) {
			/* Skipped fields may be negative (tpgid, nice). */
			while (s < end && *s != ' ' && *s != '\n')
				s++;
			continue;
		}
		if (pp_u64(&s, end, &v) == -1)
			return -1;
		switch (field) {
		case PF_PGRP:
			if (v > INT_MAX)
				return -1;
			pp->pgrp = (pid_t)v;
			break;
		case PF_UTIME:
			pp->utime = v;
			break;
		case PF_STIME:
			pp->stime = v;
			break;
		case PF_THREADS:
			if (v > UINT32_MAX)
				return -1;
			pp->threads = (uint32_t)v;
			break;
		case PF_START:
			pp->starttime = v;
			break;
		default:
			pp->rss = v;
			break;
		}
	}
	/* Digits running into len may have been cut: want what ends them. */
	if (s >= end || (*s != ' ' && *s != '\n'))
		return -1;
	return 0;
}

int
procparse_pid_gone(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

int
procparse_pid_io(const char *buf, size_t len, uint64_t *rd, uint64_t *wr)
{
	uint64_t	r, w;

	if (pp_kv(buf, len, "read_bytes:", &r) == -1 ||
	    pp_kv(buf, len, "write_bytes:", &w) == -1)
		return -1;
	*rd = r;
	*wr = w;
	return 0;
}

int
procparse_cg_value(const char *buf, size_t len, uint64_t *v)
{
	const char	*s = buf, *end = buf + len;
	uint64_t	 n;

	if (pp_u64(&s, end, &n) == -1)
		return -1;
	if (s < end && *s == '\n')
		s++;
	if (s != end)
		return -1;
	*v = n;
	return 0;
}

int
procparse_cg_oom_kill(const char *buf, size_t len, uint64_t *v)
{
	const char	*p = buf, *end = buf + len, *nl, *s;
	uint64_t	 n;

	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL;
	    p = nl + 1) {
		if (!pp_key(p, nl, "oom_kill "))
			continue;
		s = p + 9;
		if (pp_u64(&s, nl, &n) == -1 || s != nl)
			return -1;
		*v = n;
		return 0;
	}
	return -1;
}

int
procparse_cpu_pct(uint64_t busy0, uint64_t busy1, uint64_t total0,
    uint64_t total1, uint32_t *pct)
{
	uint64_t	d, t, q;
	double		f;

	if (total1 <= total0 || busy1 < busy0)
		return -1;
	d = busy1 - busy0;
	t = total1 - total0;
	if (d <= UINT64_MAX / 10000)
		q = d * 10000 / t;
	else {
		/* Only a delta of days in ns gets here; a % needs no more. */
		f = (double)d / (double)t * 10000.0;
		q = f >= (double)UINT32_MAX ? UINT32_MAX : (uint64_t)f;
	}
	*pct = q > UINT32_MAX ? UINT32_MAX : (uint32_t)q;
	return 0;
}

size_t
procparse_join(char *dst, size_t cap, const char *dir, const char *file)
{
	size_t	dl = strlen(dir), fl = strlen(file);

	if (dl + 1 + fl + 1 > cap)
		return 0;
	memcpy(dst, dir, dl);
	dst[dl] = '/';
	memcpy(dst + dl + 1, file, fl + 1);
	return dl + 1 + fl;
}
