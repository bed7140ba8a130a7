/*
 * process.c -- macOS process specifics.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>

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
