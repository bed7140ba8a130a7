/*
 * procparse.h -- pure parsers for the /proc and cgroup files the Linux
 * sampler reads.
 *
 * Every parser takes the bytes one read(2) returned, (buf, len), with no
 * NUL needed, and never reads past len; it does no I/O and allocates
 * nothing.  The output struct is the caller's.  A parser returns 0 when
 * it found what it looks for and -1 when the input does not hold it
 * (garbage, a kernel too old, a read cut short); on -1 the caller's
 * struct may have been partly written but its `have` bits are not set.
 * A line that does not end in '\n' before len is taken as cut short and
 * ignored: the kernel ends every line of these files with one.
 * SPDX-License-Identifier: ISC
 */
#ifndef PROCPARSE_H
#define PROCPARSE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "platform.h"

/*
 * /proc/stat: the aggregate "cpu" line and the number of "cpuN" lines.
 * busy = user + nice + system + irq + softirq + steal and total = busy +
 * idle + iowait, in ns (ticks converted with `hz`, sysconf(_SC_CLK_TCK));
 * guest and guest_nice are already counted in user and nice.  Kernels
 * with 4 (2.4), 7 (2.6.0), 8 (2.6.11), 9 (2.6.24) and 10 (2.6.33+)
 * columns are read; the columns a kernel lacks count as 0.  Sets
 * HS_CPU in hs->have, and cpu_busy_ns, cpu_total_ns, ncpu.
 */
int	procparse_stat(const char *buf, size_t len, long hz,
	    struct host_sample *hs);

/*
 * /proc/meminfo: MemTotal and MemAvailable, kB to bytes.  Before 3.14
 * there is no MemAvailable, and guessing it from MemFree and Cached is
 * what it was added to stop: then -1 and HS_MEM stays clear.
 */
int	procparse_meminfo(const char *buf, size_t len, struct host_sample *hs);

/* /proc/loadavg: the three averages in hundredths; sets HS_LOAD. */
int	procparse_loadavg(const char *buf, size_t len, struct host_sample *hs);

/*
 * /proc/pressure/{cpu,memory,io} (`which` is PSI_CPU, PSI_MEM, PSI_IO):
 * avg10 of the "some" and "full" lines in hundredths of a percent.
 * memory and io need both lines (HS_PSI_MEM, HS_PSI_IO); cpu needs
 * "some" (HS_PSI_CPU) and sets HS_PSI_CPU_FULL too when the kernel has
 * the "full" line (5.13+).
 */
int	procparse_pressure(const char *buf, size_t len, int which,
	    struct host_sample *hs);

/* What the sampler takes from /proc/PID/stat, in the kernel's units. */
struct procparse_pid {
	char		state;		/* field 3: R, S, D, Z, X, ... */
	pid_t		pgrp;		/* field 5 */
	uint64_t	utime;		/* field 14, clock ticks */
	uint64_t	stime;		/* field 15, clock ticks */
	uint32_t	threads;	/* field 20 */
	uint64_t	starttime;	/* field 22, clock ticks since boot */
	uint64_t	rss;		/* field 24, pages */
};

/*
 * /proc/PID/stat.  The command name (field 2) is in parentheses and may
 * hold spaces, ')' and newlines, so the fields are counted from the last
 * ')' in the buffer.  Fields after 24 may be cut off.
 */
int	procparse_pid_stat(const char *buf, size_t len,
	    struct procparse_pid *p);

/* 1 when a state from procparse_pid_stat is a zombie or dead ('Z', 'X'). */
int	procparse_pid_gone(char state);

/* /proc/PID/io: read_bytes and write_bytes (storage I/O), both needed. */
int	procparse_pid_io(const char *buf, size_t len, uint64_t *rd,
	    uint64_t *wr);

/*
 * A cgroup file holding one integer: v1 memory.usage_in_bytes, v2
 * memory.current.  A trailing '\n' is allowed, nothing else.
 */
int	procparse_cg_value(const char *buf, size_t len, uint64_t *v);

/*
 * The "oom_kill N" line of v1 memory.oom_control (4.13+) or v2
 * memory.events; "oom_kill_disable" and "oom_group_kill" are other keys.
 */
int	procparse_cg_oom_kill(const char *buf, size_t len, uint64_t *v);

/*
 * Clock ticks to ns (hz <= 0 is taken as 100).  2^64 ns is 584 CPU-years
 * (256 CPUs up for 2.3 years); a count past it stays at UINT64_MAX.
 */
uint64_t procparse_ticks_ns(uint64_t ticks, long hz);

/*
 * The share of `total` that `busy` grew by between two samples, in
 * hundredths of a percent: host CPU % from cpu_busy_ns and cpu_total_ns,
 * or a group's CPU % from cpu_ns against elapsed wall ns (which may pass
 * 10000 on several CPUs; capped at UINT32_MAX).  -1 when total did not
 * grow or a counter went back (a process of the group ended: its time
 * left the sum).
 */
int	procparse_cpu_pct(uint64_t busy0, uint64_t busy1, uint64_t total0,
	    uint64_t total1, uint32_t *pct);

/*
 * dir + "/" + file into dst (cap bytes); its length, or 0 when it does
 * not fit.  Async-signal-safe (the cgroup code calls it after fork).
 */
size_t	procparse_join(char *dst, size_t cap, const char *dir,
	    const char *file);

#endif /* PROCPARSE_H */
