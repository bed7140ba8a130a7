/*
 * notify.c -- service manager notification on macOS: none.  launchd
 * has no readiness or watchdog protocol; a job is "running" once it has
 * been exec'd, and KeepAlive restarts it when it exits.
 * SPDX-License-Identifier: ISC
 */
#include <stdint.h>

#include "platform.h"

int
platform_notify_init(void)
{
	return 0;
}

int
platform_notify(const char *state)
{
	(void)state;
	return 0;
}

uint64_t
platform_watchdog_usec(void)
{
	return 0;
}
