/*
 * sample.c -- macOS host and process-group figures for src/sampler.c.
 * SPDX-License-Identifier: ISC
 *
 * Only link-checked, never run: it is cross-built with zig 0.11 on Linux
 * (make macos) and no Mac has executed any line of it.  Each call below
 * is Apple's documented interface (mach host calls, sysctl, libproc), but
 * units and edge cases are as documented, not as observed.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/sysctl.h>

#include <mach/mach.h>
#include <mach/mach_host.h>
#include <mach/mach_time.h>
#include <mach/processor_info.h>
#include <mach/vm_page_size.h>

#include <errno.h>
#include <libproc.h>
#include <stdio.h>
#include <string.h>

#include "platform.h"

/*
 * host_processor_info() counts CPU time in ticks of CLK_TCK (100 on
 * macOS, so one tick is 10 ms).  Not checked on Apple Silicon; the
 * sampler's busy/total ratio does not depend on the unit anyway.
 */
#define MACOS_CLK_TCK		100
#define MACOS_NS_PER_TICK	(1000000000ull / MACOS_CLK_TCK)

/*
 * The pids of one process group, and the fd table of one process: static,
 * as nothing here may allocate after init.  A group or a process with
 * more than this is counted short (what fits).
 */
#define MACOS_PIDS_MAX	4096
#define MACOS_FDS_MAX	8192

static pid_t			 sample_pids[MACOS_PIDS_MAX];
static struct proc_fdinfo	 sample_fds[MACOS_FDS_MAX];

static mach_port_t		 sample_host = MACH_PORT_NULL;
static mach_timebase_info_data_t sample_tb;	/* mach ticks -> ns */
static uint64_t			 sample_pagesize;
static uint64_t			 sample_memtotal;
static int			 sample_pressure_ok;

static uint64_t	mach_to_ns(uint64_t);
static int	host_cpu(struct host_sample *);
static int	host_mem(struct host_sample *);
static int	host_load(struct host_sample *);
static int	host_pressure(struct host_sample *);
static int	proc_add(pid_t, struct proc_sample *);

/*
 * Only link-checked, never run.  mach_host_self() hands out a send right
 * each time it is called, so it is asked once, here.
 */
void
platform_sample_init(char *why, size_t whylen)
{
	struct host_sample	 hs;
	vm_size_t		 ps = 0;
	uint64_t		 memsize = 0;
	size_t			 len = sizeof(memsize);

	sample_host = mach_host_self();
	if (mach_timebase_info(&sample_tb) != KERN_SUCCESS ||
	    sample_tb.denom == 0)
		sample_tb.numer = sample_tb.denom = 1;
	/*
	 * HOST_VM_INFO64 counts kernel pages; vm_kernel_page_size is that
	 * size (16 KiB on Apple Silicon), host_page_size() the fallback.
	 */
	if (vm_kernel_page_size != 0)
		sample_pagesize = vm_kernel_page_size;
	else if (host_page_size(sample_host, &ps) == KERN_SUCCESS)
		sample_pagesize = ps;
	if (sysctlbyname("hw.memsize", &memsize, &len, NULL, 0) == 0 &&
	    len == sizeof(memsize))
		sample_memtotal = memsize;

	sample_pressure_ok = 1;
	memset(&hs, 0, sizeof(hs));
	(void)host_cpu(&hs);
	(void)host_mem(&hs);
	(void)host_load(&hs);
	if (host_pressure(&hs) == -1)
		sample_pressure_ok = 0;

	if (why == NULL || whylen == 0)
		return;
	/*
	 * IOKit and CoreFoundation (Metal's PerformanceStatistics) cannot be
	 * linked: zig 0.11 ships only libSystem's stubs and no framework
	 * headers or .tbd files ("framework not found for -framework IOKit").
	 * GPU figures are therefore always absent on macOS for now.
	 */
	(void)snprintf(why, whylen, "no GPU figures (IOKit not linked)%s%s%s%s",
	    (hs.have & HS_CPU) ? "" : "; no CPU times",
	    (hs.have & HS_MEM) ? "" : "; no memory figures",
	    (hs.have & HS_LOAD) ? "" : "; no load average",
	    (hs.have & HS_PRESSURE) ? "" : "; no memory pressure level");
}

/* Only link-checked, never run. */
int
platform_host_sample(struct host_sample *hs)
{
	memset(hs, 0, sizeof(*hs));
	(void)host_cpu(hs);
	(void)host_mem(hs);
	(void)host_load(hs);
	if (sample_pressure_ok)
		(void)host_pressure(hs);
	/* HS_GPU_UTIL and HS_GPU_MEM stay clear: see platform_sample_init. */
	return 0;
}

/*
 * Only link-checked, never run.  host_processor_info() returns an array
 * that the kernel maps into our address space on every call (a VM
 * allocation, not malloc, but an allocation per sample all the same);
 * it must be vm_deallocate()d each time.  The per-CPU tick counters are
 * 32 bits: at 100 Hz each wraps after about 497 days of that CPU's time.
 */
static int
host_cpu(struct host_sample *hs)
{
	processor_cpu_load_info_t	 cpu;
	processor_info_array_t		 info = NULL;
	mach_msg_type_number_t		 ninfo = 0;
	natural_t			 ncpu = 0, i;
	uint64_t			 busy = 0, idle = 0;

	if (host_processor_info(sample_host, PROCESSOR_CPU_LOAD_INFO, &ncpu,
	    &info, &ninfo) != KERN_SUCCESS || info == NULL)
		return -1;
	cpu = (processor_cpu_load_info_t)(void *)info;
	for (i = 0; i < ncpu; i++) {
		busy += (uint64_t)cpu[i].cpu_ticks[CPU_STATE_USER] +
		    cpu[i].cpu_ticks[CPU_STATE_SYSTEM] +
		    cpu[i].cpu_ticks[CPU_STATE_NICE];
		idle += cpu[i].cpu_ticks[CPU_STATE_IDLE];
	}
	(void)vm_deallocate(mach_task_self(), (vm_address_t)info,
	    (vm_size_t)ninfo * sizeof(integer_t));
	hs->ncpu = ncpu;
	hs->cpu_busy_ns = busy * MACOS_NS_PER_TICK;
	hs->cpu_total_ns = (busy + idle) * MACOS_NS_PER_TICK;
	hs->have |= HS_CPU;
	return 0;
}

/*
 * Only link-checked, never run.  Available = free + inactive pages.
 * free_count already includes the speculative pages (vm_statistics.h says
 * so), and purgeable pages are not added: they also sit in the active or
 * inactive queues, so adding them would count some twice.  This is the
 * same sum psutil reports as "available" on macOS.
 */
static int
host_mem(struct host_sample *hs)
{
	vm_statistics64_data_t	vs;
	mach_msg_type_number_t	cnt = HOST_VM_INFO64_COUNT;

	if (sample_memtotal == 0 || sample_pagesize == 0)
		return -1;
	if (host_statistics64(sample_host, HOST_VM_INFO64,
	    (host_info64_t)(void *)&vs, &cnt) != KERN_SUCCESS)
		return -1;
	hs->mem_total = sample_memtotal;
	hs->mem_available = ((uint64_t)vs.free_count + vs.inactive_count) *
	    sample_pagesize;
	hs->have |= HS_MEM;
	return 0;
}

/* Only link-checked, never run.  vm.loadavg is fixed point in fscale. */
static int
host_load(struct host_sample *hs)
{
	struct loadavg	la;
	size_t		len = sizeof(la);
	int		mib[2] = { CTL_VM, VM_LOADAVG }, i;

	if (sysctl(mib, 2, &la, &len, NULL, 0) == -1 || len != sizeof(la) ||
	    la.fscale <= 0)
		return -1;
	for (i = 0; i < 3; i++)
		hs->load[i] = (uint32_t)((uint64_t)la.ldavg[i] * 100 /
		    (uint64_t)la.fscale);
	hs->have |= HS_LOAD;
	return 0;
}

/*
 * Only link-checked, never run.  kern.memorystatus_vm_pressure_level is
 * 1 (normal), 2 (warn) or 4 (critical), what platform.h promises.
 */
static int
host_pressure(struct host_sample *hs)
{
	int	level = 0;
	size_t	len = sizeof(level);

	if (sysctlbyname("kern.memorystatus_vm_pressure_level", &level, &len,
	    NULL, 0) == -1 || len != sizeof(level) || level <= 0)
		return -1;
	hs->pressure_level = (uint32_t)level;
	hs->have |= HS_PRESSURE;
	return 0;
}

/*
 * Only link-checked, never run.  One proc_listpgrppids() per group, then
 * libproc per process.  Zombies have no task, so PROC_PIDTASKINFO fails
 * for them and they count as gone, as platform.h wants.
 */
int
platform_groups_sample(struct proc_group *g, size_t n)
{
	size_t	i;
	int	bytes, np, j;

	for (i = 0; i < n; i++) {
		g[i].found = 0;
		memset(&g[i].s, 0, sizeof(g[i].s));
		if (g[i].pgid <= 0)
			continue;
		bytes = proc_listpgrppids(g[i].pgid, sample_pids,
		    (int)sizeof(sample_pids));
		if (bytes <= 0)
			continue;
		np = bytes / (int)sizeof(pid_t);
		for (j = 0; j < np; j++)
			if (sample_pids[j] > 0 &&
			    proc_add(sample_pids[j], &g[i].s) == 0)
				g[i].found = 1;
	}
	return 0;
}

/* Mach absolute units to ns (Apple Silicon: 125/3 ns a unit; Intel 1). */
static uint64_t
mach_to_ns(uint64_t t)
{
	if (sample_tb.numer == sample_tb.denom)
		return t;
	return t / sample_tb.denom * sample_tb.numer +
	    t % sample_tb.denom * sample_tb.numer / sample_tb.denom;
}

/*
 * Only link-checked, never run.  Adds one live process to s; -1 when it
 * is gone or a zombie.  ri_user_time/ri_system_time are mach absolute
 * units.  The fd count lists the open fds into a static buffer: with a
 * NULL buffer PROC_PIDLISTFDS returns the fd table's size plus 20
 * entries, an upper bound rather than the number open.
 */
static int
proc_add(pid_t pid, struct proc_sample *s)
{
	struct rusage_info_v2	ri;
	struct proc_taskinfo	ti;
	int			fdb;

	memset(&ti, 0, sizeof(ti));
	if (proc_pidinfo(pid, PROC_PIDTASKINFO, 0, &ti, sizeof(ti)) !=
	    (int)sizeof(ti))
		return -1;
	memset(&ri, 0, sizeof(ri));
	if (proc_pid_rusage(pid, RUSAGE_INFO_V2, (rusage_info_t *)(void *)&ri)
	    == -1)
		return -1;
	s->nprocs++;
	s->cpu_ns += mach_to_ns(ri.ri_user_time + ri.ri_system_time);
	s->rss += ri.ri_phys_footprint;
	s->io_read += ri.ri_diskio_bytesread;
	s->io_write += ri.ri_diskio_byteswritten;
	s->threads += (uint32_t)ti.pti_threadnum;
	s->have |= PS_CPU | PS_RSS | PS_THREADS | PS_IO;
	fdb = proc_pidinfo(pid, PROC_PIDLISTFDS, 0, sample_fds,
	    (int)sizeof(sample_fds));
	if (fdb > 0) {	/* 0: an error (EPERM for another user) */
		s->fds += (uint32_t)((size_t)fdb / sizeof(struct proc_fdinfo));
		s->have |= PS_FDS;
	}
	return 0;
}
