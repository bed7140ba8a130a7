/*
 * syncer.c -- fsync (and rename) in a forked child, off the event loop.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "syncer.h"

static void	syncer_work(int, const char *, const char *);

/* Runs inline or in the child; only async-signal-safe calls after fork. */
static void
syncer_work(int fd, const char *from, const char *to)
{
	if (fsync(fd) == -1)
		log_warn("fsync %s", from != NULL ? from : "log file");
	if (from != NULL && rename(from, to) == -1)
		log_warn("rename %s", from);
	close(fd);
}

static void
syncer_start(int fd, const char *from, const char *to)
{
	pid_t	pid;

	pid = fork();
	if (pid == 0) {
		sigset_t	all;

		/*
		 * The handlers are libevent's and would report a Ctrl-C to
		 * the parent a second time (its second stop signal means
		 * SIGKILL): this child takes no signal but SIGKILL.
		 */
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		syncer_work(fd, from, to);
		_exit(0);
	}
	if (pid == -1) {
		log_warn("%s: fork; syncing inline", __func__);
		syncer_work(fd, from, to);
		return;
	}
	close(fd);
}

void
syncer_close(int fd)
{
	syncer_start(fd, NULL, NULL);
}

void
syncer_close_rename(int fd, const char *from, const char *to)
{
	syncer_start(fd, from, to);
}
