/*
 * cgroup.c -- macOS has no cgroups: every platform_cgroup_* call fails.
 * SPDX-License-Identifier: ISC
 *
 * Only link-checked, never run (cross-built with zig 0.11, no Mac).  The
 * failures are the contract's "cannot be used here", so cgroup = auto
 * falls back to running without one.
 */
#include <errno.h>
#include <stdio.h>

#include "platform.h"

int
platform_cgroup_init(char *why, size_t whylen)
{
	if (why != NULL && whylen > 0)
		(void)snprintf(why, whylen, "macOS has no cgroups");
	errno = ENOTSUP;
	return -1;
}

int
platform_cgroup_create(struct cgroup_ref *cg, const char *name,
    uint64_t limit)
{
	(void)name;
	(void)limit;
	cg->version = 0;
	cg->procs_fd = cg->mem_fd = cg->oom_fd = -1;
	cg->path[0] = '\0';
	errno = ENOTSUP;
	return -1;
}

/* Async-signal-safe: it only sets errno. */
int
platform_cgroup_enter(const struct cgroup_ref *cg)
{
	(void)cg;
	errno = ENOTSUP;
	return -1;
}

/* Nothing was opened, so nothing is closed. */
void
platform_cgroup_started(struct cgroup_ref *cg)
{
	(void)cg;
}

int
platform_cgroup_sample(const struct cgroup_ref *cg, uint64_t *mem,
    uint64_t *oom_kills)
{
	(void)cg;
	(void)mem;
	(void)oom_kills;
	errno = ENOTSUP;
	return -1;
}

int
platform_cgroup_remove(struct cgroup_ref *cg)
{
	(void)cg;
	errno = ENOTSUP;
	return -1;
}

int
platform_cgroup_sweep(void)
{
	return 0;
}
