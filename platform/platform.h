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

#endif /* PLATFORM_H */
