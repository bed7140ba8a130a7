/*
 * svcnotify.h -- telling a service manager (systemd, Type=notify) how the
 * daemon is doing, through platform_notify().
 * SPDX-License-Identifier: ISC
 *
 * What is sent, and when:
 *   READY=1 + STATUS=...   svcnotify_ready(): at start once runners are
 *                          up, and at the end of every reload, refused or
 *                          not (systemd waits for it after RELOADING=1)
 *   RELOADING=1 + MONOTONIC_USEC=<CLOCK_MONOTONIC, us>
 *                          svcnotify_reloading(): as a reload begins
 *   STATUS=<runners up, deaths, upload backlog>
 *                          every SVCNOTIFY_STATUS_MS, when it changed
 *   WATCHDOG=1             every WATCHDOG_USEC / 2, from a loop timer: a
 *                          loop that no longer turns stops pinging, and
 *                          systemd kills and restarts the daemon
 *   STOPPING=1             svcnotify_stopping(): once, as shutdown begins
 * Without a service manager (NOTIFY_SOCKET unset; always on macOS) every
 * call does nothing, and no timer is armed.  Nothing here allocates: the
 * timers are static, the messages are built on the stack.  A send that
 * fails is logged once and otherwise ignored: the daemon's work never
 * depends on the service manager hearing it.
 */
#ifndef SVCNOTIFY_H
#define SVCNOTIFY_H

#define SVCNOTIFY_STATUS_MS	5000

struct event_base;

/*
 * Take the service manager's variables out of the environment (runners
 * must not inherit them) and arm the timers.  Start-up only, before
 * runners start and before main_reserve_loop() sizes the timer heap.
 */
void	svcnotify_init(struct event_base *);
void	svcnotify_ready(void);
void	svcnotify_reloading(void);
void	svcnotify_stopping(void);

#endif /* SVCNOTIFY_H */
