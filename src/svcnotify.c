/*
 * svcnotify.c -- readiness, status, reload, stop and watchdog messages to
 * the service manager (svcnotify.h).
 * SPDX-License-Identifier: ISC
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "log.h"
#include "platform.h"
#include "runner.h"
#include "svcnotify.h"
#include "upload.h"

static void	sn_send(const char *);
static void	sn_status(char *, size_t);
static void	sn_on_status(evutil_socket_t, short, void *);
static void	sn_on_watchdog(evutil_socket_t, short, void *);

static int		sn_on;		/* a service manager listens */
static int		sn_failed;	/* a send failed: logged once */
static int		sn_stopping;
static struct event	sn_status_ev, sn_watchdog_ev;
static char		sn_last[160];	/* the STATUS= last sent */

void
svcnotify_init(struct event_base *base)
{
	struct timeval	tv;
	uint64_t	usec;

	if ((sn_on = platform_notify_init()) == 0)
		return;
	tv.tv_sec = SVCNOTIFY_STATUS_MS / 1000;
	tv.tv_usec = (SVCNOTIFY_STATUS_MS % 1000) * 1000;
	event_assign(&sn_status_ev, base, -1, EV_PERSIST, sn_on_status, NULL);
	evtimer_add(&sn_status_ev, &tv);
	if ((usec = platform_watchdog_usec()) == 0) {
		log_info("service manager: notifying it (no watchdog)");
		return;
	}
	/* Half the interval, as sd_watchdog_enabled(3) advises. */
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	event_assign(&sn_watchdog_ev, base, -1, EV_PERSIST, sn_on_watchdog,
	    NULL);
	evtimer_add(&sn_watchdog_ev, &tv);
	log_info("service manager: notifying it, watchdog ping every %llu ms",
	    (unsigned long long)(usec / 1000));
}

static void
sn_send(const char *msg)
{
	if (!sn_on)
		return;
	if (platform_notify(msg) == -1 && sn_failed++ == 0)
		log_warn("service manager: cannot send \"%.20s\"", msg);
}

/*
 * Runners up now, deaths (abnormal ends) of the runners configured now,
 * and the upload jobs not yet done.
 */
static void
sn_status(char *buf, size_t cap)
{
	struct upload_stats	 us;
	struct runner		*r;
	size_t			 i, up = 0, all = 0;
	uint64_t		 deaths = 0;

	for (i = 0; i < runners_count(); i++) {
		if ((r = runner_at(i)) == NULL)
			continue;
		all++;
		if (r->state == RS_RUNNING)
			up++;
		deaths += r->abnormal_ends;
	}
	upload_get_stats(&us);
	if (us.enabled)
		snprintf(buf, cap, "STATUS=%zu of %zu runners up, %llu deaths, "
		    "upload backlog %llu", up, all, (unsigned long long)deaths,
		    (unsigned long long)us.backlog);
	else
		snprintf(buf, cap, "STATUS=%zu of %zu runners up, %llu deaths, "
		    "uploads off", up, all, (unsigned long long)deaths);
}

static void
sn_on_status(evutil_socket_t fd, short what, void *arg)
{
	char	now[sizeof(sn_last)];

	(void)fd;
	(void)what;
	(void)arg;
	sn_status(now, sizeof(now));
	if (strcmp(now, sn_last) == 0)
		return;
	memcpy(sn_last, now, sizeof(sn_last));
	sn_send(now);
}

static void
sn_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sn_send("WATCHDOG=1");
}

void
svcnotify_ready(void)
{
	char	msg[sizeof(sn_last) + 16];

	if (!sn_on)
		return;
	sn_status(sn_last, sizeof(sn_last));
	snprintf(msg, sizeof(msg), "READY=1\n%s", sn_last);
	sn_send(msg);
}

/*
 * systemd (v253+) matches MONOTONIC_USEC against the time it sent the
 * reload; older ones ignore it.  Either way it then waits for READY=1.
 */
void
svcnotify_reloading(void)
{
	struct timespec	ts;
	char		msg[64];

	if (!sn_on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	sn_send(msg);
}

void
svcnotify_stopping(void)
{
	if (sn_stopping++ == 0)
		sn_send("STOPPING=1");
}
