/*
 * fuzz_procparse.c -- libFuzzer target for the /proc and cgroup file
 * parsers (platform/linux/procparse.h).
 *
 * The input, byte 0 included, goes to every parser as it is, as if any
 * file could hold anything; byte 0 also picks the tick rate.  The input
 * is copied to a heap buffer of exactly its size so that a read past
 * len is an ASan report.  What a parser says it found must hold:
 * only its own bits set, ncpu at least 1, percentages in range.
 * SPDX-License-Identifier: ISC
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/procparse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fz_host(const char *, size_t, long);
static void	fz_proc(const char *, size_t);

static void
fz_host(const char *p, size_t n, long hz)
{
	static const uint32_t	psi_bits = HS_PSI_CPU | HS_PSI_MEM |
				    HS_PSI_IO | HS_PSI_CPU_FULL;
	struct host_sample	hs;
	uint32_t		pct;
	int			w;

	memset(&hs, 0, sizeof(hs));
	if (procparse_stat(p, n, hz, &hs) == 0) {
		if (hs.have != HS_CPU || hs.ncpu == 0 ||
		    hs.cpu_busy_ns > hs.cpu_total_ns)
			abort();
		if (procparse_cpu_pct(0, hs.cpu_busy_ns, 0, hs.cpu_total_ns,
		    &pct) == 0 && pct > 10000)
			abort();
	} else if (hs.have != 0)
		abort();
	memset(&hs, 0, sizeof(hs));
	if ((procparse_meminfo(p, n, &hs) == 0) != (hs.have == HS_MEM))
		abort();
	memset(&hs, 0, sizeof(hs));
	if ((procparse_loadavg(p, n, &hs) == 0) != (hs.have == HS_LOAD))
		abort();
	for (w = 0; w < PSI_N; w++) {
		memset(&hs, 0, sizeof(hs));
		if (procparse_pressure(p, n, w, &hs) == 0) {
			if ((hs.have & ~psi_bits) != 0 || hs.have == 0)
				abort();
		} else if (hs.have != 0)
			abort();
	}
	memset(&hs, 0, sizeof(hs));
	if (procparse_pressure(p, n, PSI_N, &hs) != -1 || hs.have != 0)
		abort();
}

static void
fz_proc(const char *p, size_t n)
{
	struct procparse_pid	pp;
	uint64_t		a, b;

	memset(&pp, 0, sizeof(pp));
	if (procparse_pid_stat(p, n, &pp) == 0 && pp.pgrp < 0)
		abort();
	(void)procparse_pid_gone(pp.state);
	(void)procparse_pid_io(p, n, &a, &b);
	(void)procparse_cg_value(p, n, &a);
	(void)procparse_cg_oom_kill(p, n, &a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long	 hz[] = { 100, 250, 1000, 3, 0, -1, 1, 1024 };
	char			*p;

	if ((p = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	fz_host(p, size, hz[size > 0 ? data[0] & 7 : 0]);
	fz_proc(p, size);
	free(p);
	return 0;
}
