/*
 * platform.h -- the OS contract.  Each platform/<os>/ directory defines
 * every function here with the same signature; the Makefile compiles the
 * one for the OS it builds for.  src/ never tests for an OS itself.
 */
#ifndef PLATFORM_H
#define PLATFORM_H

#include <sys/types.h>

#include <stdint.h>

/* "linux", "macos". */
const char	*platform_name(void);

/*
 * Adopt the orphaned descendants of our runners (Linux: a child
 * subreaper), so a grandchild left behind by a dead runner is reaped by
 * crashtrail rather than escaping to init.  0, or -1 with errno set
 * (ENOTSUP where the OS has no such thing).
 */
int		 platform_adopt_orphans(void);

/* The kernel log device the OOM watcher reads, or NULL if none. */
const char	*platform_kmsg_path(void);

/*
 * When process `pid` started, in the platform's own units (Linux: clock
 * ticks since boot, field 22 of /proc/PID/stat; macOS: microseconds since
 * the epoch, from proc_pidinfo), which is what tells a process from a
 * later one that reuses its pid.  0 with *start set, or -1 with errno set:
 * ESRCH when there is no such process or it is a zombie (dead, not yet
 * reaped: it can no longer be signalled into anything).
 */
int		 platform_proc_start(pid_t pid, uint64_t *start);

/*
 * 1 when some process that is not a zombie is in process group `pgid`,
 * 0 when none is, -1 when it cannot be told (errno set).
 */
int		 platform_group_alive(pid_t pgid);

/*
 * Give the memory the C library holds free back to the system (after a
 * reload freed a config value): glibc's malloc_trim(); a no-op where the
 * allocator returns memory by itself.
 */
void		 platform_trim_heap(void);

/*
 * Sampling (src/sampler.c owns the timer and the rings; this is all it
 * knows of the OS).  The caller owns every struct; nothing here allocates
 * after platform_sample_init().  A field is valid only when its bit is set
 * in `have`: what cannot be read on this machine is absent, never zero.
 * Counters are cumulative (the sampler takes the deltas).
 */
#define HS_CPU		0x0001u	/* cpu_busy_ns, cpu_total_ns, ncpu */
#define HS_MEM		0x0002u	/* mem_total, mem_available */
#define HS_LOAD		0x0004u	/* load */
#define HS_PSI_CPU	0x0008u	/* psi_some[PSI_CPU] (full: kernel 5.13+) */
#define HS_PSI_MEM	0x0010u	/* psi_some/full[PSI_MEM] */
#define HS_PSI_IO	0x0020u	/* psi_some/full[PSI_IO] */
#define HS_PSI_CPU_FULL	0x0040u	/* psi_full[PSI_CPU] */
#define HS_PRESSURE	0x0080u	/* pressure_level (macOS) */
#define HS_GPU_UTIL	0x0100u	/* gpu_util_pct */
#define HS_GPU_MEM	0x0200u	/* gpu_mem_used */

enum { PSI_CPU, PSI_MEM, PSI_IO, PSI_N };

struct host_sample {
	uint32_t	have;
	uint32_t	ncpu;
	uint64_t	cpu_busy_ns;	/* all CPUs, cumulative */
	uint64_t	cpu_total_ns;	/* busy + idle + iowait, cumulative */
	uint64_t	mem_total;	/* bytes */
	uint64_t	mem_available;	/* bytes */
	uint32_t	load[3];	/* 1, 5, 15 min, hundredths */
	uint32_t	psi_some[PSI_N];	/* avg10, hundredths of a % */
	uint32_t	psi_full[PSI_N];
	uint32_t	pressure_level;	/* macOS: 1 normal, 2 warn, 4 critical */
	uint32_t	gpu_util_pct;	/* Metal "Device Utilization %" */
	uint64_t	gpu_mem_used;	/* bytes, "In use system memory" */
};

#define PS_CPU		0x0001u	/* cpu_ns */
#define PS_RSS		0x0002u	/* rss */
#define PS_THREADS	0x0004u
#define PS_FDS		0x0008u
#define PS_IO		0x0010u	/* io_read, io_write */

struct proc_sample {
	uint32_t	have;
	uint32_t	nprocs;		/* processes found in the group */
	uint64_t	cpu_ns;		/* user + system, cumulative */
	uint64_t	rss;		/* bytes (macOS: phys footprint) */
	uint32_t	threads;
	uint32_t	fds;
	uint64_t	io_read;	/* bytes from storage, cumulative */
	uint64_t	io_write;
};

/* One process group to measure: in pgid, out s (and found). */
struct proc_group {
	pid_t			pgid;
	int			found;	/* some process of it was seen */
	struct proc_sample	s;
};

/*
 * Open what sampling reads (Linux: /proc/stat, /proc/meminfo, ... kept
 * open and pread from offset 0); start-up only.  What is missing is
 * simply absent later.  `why` gets one line on what cannot be sampled
 * ("" when everything can).
 */
void	platform_sample_init(char *why, size_t whylen);
/* 0, or -1 with errno set (then nothing in *hs is valid). */
int	platform_host_sample(struct host_sample *hs);
/*
 * Measure n process groups in one pass (Linux: one walk of /proc, each
 * process's figures summed into its group).  A group whose processes are
 * all gone (or zombies) has found = 0.  0, or -1 with errno set.
 */
int	platform_groups_sample(struct proc_group *g, size_t n);

/*
 * Per-run memory cgroups (cgroup = auto).  platform_cgroup_init() says
 * whether they can be used here: 0, or -1 with one line of why.  A
 * struct cgroup_ref is the caller's, fixed size.
 */
#define CGROUP_PATH_MAX	256
struct cgroup_ref {
	int	version;		/* 0: none, 1, 2 */
	int	procs_fd;		/* cgroup.procs, for the child */
	int	mem_fd;			/* memory in use, kept open: pread */
	int	oom_fd;			/* the OOM-kill count's file */
	char	path[CGROUP_PATH_MAX];	/* the run's cgroup directory */
};

int	platform_cgroup_init(char *why, size_t whylen);
/*
 * Make the cgroup for run `name` (a valid id) and apply `limit` bytes of
 * memory when not 0; cg->procs_fd stays open for the child.  0, or -1
 * with errno set (cg->version then 0).
 */
int	platform_cgroup_create(struct cgroup_ref *cg, const char *name,
	    uint64_t limit);
/*
 * In the child after fork, before exec: move itself into the cgroup
 * (async-signal-safe: a write of "0" to procs_fd).  0 or -1.
 */
int	platform_cgroup_enter(const struct cgroup_ref *cg);
/* The parent's copy of procs_fd is closed once the child is in. */
void	platform_cgroup_started(struct cgroup_ref *cg);
/*
 * Memory now in use (bytes, children that left the group included) and
 * the cgroup's OOM-kill count (0 where the kernel keeps none: v1 before
 * 4.13).  0, or -1 with errno set.
 */
int	platform_cgroup_sample(const struct cgroup_ref *cg, uint64_t *mem,
	    uint64_t *oom_kills);
/* Remove the (empty) cgroup when the run is over; 0 or -1 (errno). */
int	platform_cgroup_remove(struct cgroup_ref *cg);
/*
 * At start, after platform_cgroup_init(): remove the empty run cgroups a
 * crashtrail that died left behind; the number removed.
 */
int	platform_cgroup_sweep(void);

/*
 * Service manager notification: systemd's sd_notify protocol, spoken
 * without libsystemd (macOS: launchd has no such protocol, and these do
 * nothing).  platform_notify_init() takes NOTIFY_SOCKET, WATCHDOG_USEC
 * and WATCHDOG_PID out of the environment, so that runners do not
 * inherit them (systemd would take a runner's READY=1 for crashtrail's,
 * or log a refusal for each), and keeps them for the two calls below;
 * where it was never called those read the environment at each call.
 * It returns 1 when a service manager listens (NOTIFY_SOCKET set), else
 * 0.  Start-up only; nothing here allocates.
 */
int		 platform_notify_init(void);
/*
 * Send `state` ("READY=1", "STATUS=...", lines joined by '\n') in one
 * datagram, never blocking.  1 sent, 0 when there is no service manager
 * (nothing sent), -1 with errno set (a full socket: EAGAIN).
 */
int		 platform_notify(const char *state);
/*
 * The watchdog interval in microseconds (WATCHDOG_USEC) when it is meant
 * for this process (WATCHDOG_PID absent, or equal to getpid()), else 0:
 * then nothing needs to send WATCHDOG=1.
 */
uint64_t	 platform_watchdog_usec(void);

#endif /* PLATFORM_H */
