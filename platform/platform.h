/*
 * platform.h -- the OS contract.  Each platform/<os>/ directory defines
 * every function here with the same signature; the Makefile compiles the
 * one for the OS it builds for.  src/ never tests for an OS itself.
 */
#ifndef PLATFORM_H
#define PLATFORM_H

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

#endif /* PLATFORM_H */
