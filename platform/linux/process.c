/*
 * process.c -- Linux process specifics.
 * SPDX-License-Identifier: ISC
 */
#include <sys/prctl.h>

#include "platform.h"

const char *
platform_name(void)
{
	return "linux";
}

int
platform_adopt_orphans(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* The kernel's record device for the OOM watcher. */
const char *
platform_kmsg_path(void)
{
	return "/dev/kmsg";
}
