/*
 * process.c -- macOS process specifics.
 * SPDX-License-Identifier: ISC
 *
 * Only link-checked (no Mac runs these tests): proc_pidinfo and
 * proc_listpids are libproc's documented calls.
 */
#include <sys/types.h>
#include <sys/proc.h>	/* SZOMB */

#include <errno.h>
#include <libproc.h>
#include <signal.h>
#include <string.h>

#include "platform.h"

const char *
platform_name(void)
{
	return "macos";
}

/* macOS has no subreaper: orphans go to launchd. */
int
platform_adopt_orphans(void)
{
	errno = ENOTSUP;
	return -1;
}

/* The kernel's record device for the OOM watcher: macOS has none (its
 * equivalents are other work). */
const char *
platform_kmsg_path(void)
{
	return NULL;
}

int
platform_proc_start(pid_t pid, uint64_t *start)
{
	struct proc_bsdinfo	bi;

	memset(&bi, 0, sizeof(bi));
	if (pid <= 0 || proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, &bi,
	    sizeof(bi)) != (int)sizeof(bi)) {
		errno = ESRCH;
		return -1;
	}
	if (bi.pbi_status == SZOMB) {
		errno = ESRCH;
		return -1;
	}
	*start = (uint64_t)bi.pbi_start_tvsec * 1000000 + bi.pbi_start_tvusec;
	return 0;
}

int
platform_group_alive(pid_t pgid)
{
	pid_t	pids[256];
	int	n, i;
	uint64_t start;

	if (pgid <= 0 || (killpg(pgid, 0) == -1 && errno == ESRCH))
		return 0;
	n = proc_listpids(PROC_PGRP_ONLY, (uint32_t)pgid, pids, sizeof(pids));
	if (n <= 0)
		return 1;	/* killpg saw it: assume alive */
	for (i = 0; i < n / (int)sizeof(pid_t); i++)
		if (pids[i] > 0 && platform_proc_start(pids[i], &start) == 0)
			return 1;
	return 0;
}

/* macOS's allocator gives free pages back by itself (madvise). */
void
platform_trim_heap(void)
{
}
