/*
 * spawn.c -- fork/exec of a runner with its descriptors in place.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "platform.h"
#include "spawn.h"

static void	spawn_child(const struct runner_conf *, char *const [],
		    const int [3], const struct cgroup_ref *) LOG_NORETURN;
static void	spawn_warn(const char *, const char *);
static void	spawn_fail(const char *, const char *) LOG_NORETURN;

static mode_t	spawn_umask;
static int	spawn_umask_set;

void
spawn_set_umask(mode_t mode)
{
	spawn_umask = mode;
	spawn_umask_set = 1;
}

/* Only async-signal-safe calls from here on: we are a forked copy. */
static void
spawn_warn(const char *what, const char *arg)
{
	char	msg[PATH_MAX + 128];
	int	n, err = errno;

	n = snprintf(msg, sizeof(msg), "crashtrail: %s %s: %s\n", what, arg,
	    strerror(err));
	if (n > 0)
		(void)write(STDERR_FILENO, msg,
		    (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

static void
spawn_fail(const char *what, const char *arg)
{
	spawn_warn(what, arg);
	_exit(SPAWN_EXEC_FAIL);
}

static void
spawn_child(const struct runner_conf *rc, char *const envp[],
    const int child[3], const struct cgroup_ref *cg)
{
	sigset_t	none;
	int		src[4], hi[4], i, sig;

	/*
	 * Signals were blocked across the fork (spawn_runner): one that came
	 * now would run a handler of the daemon's (libevent's, which tells
	 * the daemon's loop through a socket we share).  Default them all,
	 * then lift the mask: a stop signal sent this early ends the child.
	 */
	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() == -1)
		spawn_fail("setsid", rc->name);
	/* Before any fork of its own, and while it may still write there. */
	if (cg != NULL && cg->version != 0 && platform_cgroup_enter(cg) == -1)
		spawn_warn("cannot enter cgroup", cg->path);

	src[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	src[1] = child[0] != -1 ? child[0] :
	    open("/dev/null", O_WRONLY | O_CLOEXEC);
	src[2] = child[1];
	src[3] = child[2];
	/*
	 * Lift every source above the targets first, so that placing one
	 * cannot clobber another that happens to sit on fd 0..3.
	 */
	for (i = 0; i < 4; i++)
		if (src[i] == -1 ||
		    (hi[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10)) == -1)
			spawn_fail("set up descriptors for", rc->name);
	for (i = 0; i < 4; i++)
		if (dup2(hi[i], i) == -1)
			spawn_fail("set up descriptors for", rc->name);

	if (rc->directory[0] != '\0' && chdir(rc->directory) == -1)
		spawn_fail("chdir", rc->directory);
	if (rc->has_user) {
		if (setgid(rc->gid) == -1)
			spawn_fail("setgid for", rc->user);
		if (initgroups(rc->user, rc->gid) == -1)
			spawn_fail("initgroups for", rc->user);
		if (setuid(rc->uid) == -1)
			spawn_fail("setuid to", rc->user);
	}
	if (spawn_umask_set)
		(void)umask(spawn_umask);
	execve(rc->exec_path, rc->argv, envp);
	spawn_fail("exec", rc->exec_path);
}

pid_t
spawn_runner(const struct runner_conf *rc, char *const envp[],
    const int child[3], const struct cgroup_ref *cg)
{
	sigset_t	all, old;
	pid_t		pid;
	int		err;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		spawn_child(rc, envp, child, cg);
	err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		errno = err;
		log_warn("%s: fork", rc->name);
		return -1;
	}
	return pid;
}
