/*
 * test_notify.c -- platform_notify() and platform_watchdog_usec(): the
 * datagrams reach a socket named by NOTIFY_SOCKET (a path, and an
 * abstract '@' name), and the watchdog variables are read strictly.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "platform.h"

static int	bind_dgram(const char *, int);
static int	recv_is(int, const char *);

/* A datagram socket bound to `name` (abstract: without the '@'). */
static int
bind_dgram(const char *name, int abstract)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	size_t			n = strlen(name);
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (abstract) {
		memcpy(sun.sun_path + 1, name, n);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    n);
	} else {
		memcpy(sun.sun_path, name, n);
		len = sizeof(sun);
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, len) == -1)
		return -1;
	return fd;
}

/* The next datagram is exactly `want`: sent synchronously, so no wait. */
static int
recv_is(int fd, const char *want)
{
	char	buf[512];
	ssize_t	n;

	if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) < 0)
		return 0;
	buf[n] = '\0';
	if (strcmp(buf, want) != 0)
		fprintf(stderr, "got \"%s\", wanted \"%s\"\n", buf, want);
	return strcmp(buf, want) == 0;
}

int
main(void)
{
	char	dir[] = "/tmp/test_notify.XXXXXX", path[256], abs[64], pid[32];
	int	fd, afd;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/notify", dir);
	CHECK((fd = bind_dgram(path, 0)) != -1);

	/* Unset or empty: nothing is sent, and that is not an error. */
	unsetenv("NOTIFY_SOCKET");
	CHECK(platform_notify("READY=1") == 0);
	setenv("NOTIFY_SOCKET", "", 1);
	CHECK(platform_notify("READY=1") == 0);

	/* A path socket: each call is one datagram, byte for byte. */
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK(platform_notify("READY=1") == 1);
	CHECK(recv_is(fd, "READY=1"));
	CHECK(platform_notify("STATUS=2 of 3 runners up\nWATCHDOG=1") == 1);
	CHECK(recv_is(fd, "STATUS=2 of 3 runners up\nWATCHDOG=1"));

	/* An abstract name: '@' stands for the leading NUL. */
	snprintf(abs, sizeof(abs), "crashtrail-test-%ld", (long)getpid());
	CHECK((afd = bind_dgram(abs, 1)) != -1);
	snprintf(path, sizeof(path), "@%s", abs);
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK(platform_notify("STOPPING=1") == 1);
	CHECK(recv_is(afd, "STOPPING=1"));
	CHECK(recv_is(fd, "x") == 0);	/* nothing went to the other */

	/* No such socket, a relative name, one too long: -1, no block. */
	snprintf(path, sizeof(path), "%s/nobody-here", dir);
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK(platform_notify("READY=1") == -1 && errno == ENOENT);
	setenv("NOTIFY_SOCKET", "relative/sock", 1);
	CHECK(platform_notify("READY=1") == -1 && errno == EAFNOSUPPORT);
	memset(path, 'a', 200);
	path[0] = '/';
	path[200] = '\0';
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK(platform_notify("READY=1") == -1 && errno == ENAMETOOLONG);

	/* A full socket answers EAGAIN at once rather than waiting. */
	snprintf(path, sizeof(path), "%s/notify", dir);
	setenv("NOTIFY_SOCKET", path, 1);
	{
		int	i, rv = 1;

		for (i = 0; i < 100000 && rv == 1; i++)
			rv = platform_notify("WATCHDOG=1");
		CHECK(rv == -1 && errno == EAGAIN);
		while (recv_is(fd, "WATCHDOG=1"))
			;
	}

	/* WATCHDOG_USEC: digits only, not 0; WATCHDOG_PID ours or unset. */
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	CHECK(platform_watchdog_usec() == 0);
	setenv("WATCHDOG_USEC", "200000", 1);
	CHECK(platform_watchdog_usec() == 200000);
	setenv("WATCHDOG_USEC", "0", 1);
	CHECK(platform_watchdog_usec() == 0);
	setenv("WATCHDOG_USEC", "-5", 1);
	CHECK(platform_watchdog_usec() == 0);
	setenv("WATCHDOG_USEC", "30s", 1);
	CHECK(platform_watchdog_usec() == 0);
	setenv("WATCHDOG_USEC", "99999999999999999999999", 1);
	CHECK(platform_watchdog_usec() == 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	CHECK(platform_watchdog_usec() == 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	CHECK(platform_watchdog_usec() == 0);	/* meant for another */
	setenv("WATCHDOG_PID", "x", 1);
	CHECK(platform_watchdog_usec() == 0);

	/*
	 * platform_notify_init(): the values are kept and the variables
	 * leave the environment (runners must not inherit them).
	 */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	setenv("WATCHDOG_USEC", "4000000", 1);
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK(platform_notify_init() == 1);
	CHECK(getenv("NOTIFY_SOCKET") == NULL);
	CHECK(getenv("WATCHDOG_USEC") == NULL);
	CHECK(getenv("WATCHDOG_PID") == NULL);
	CHECK(platform_watchdog_usec() == 4000000);
	CHECK(platform_notify("READY=1") == 1);
	CHECK(recv_is(fd, "READY=1"));
	/* Kept: a later variable is not what it uses. */
	setenv("NOTIFY_SOCKET", "@elsewhere", 1);
	CHECK(platform_notify("WATCHDOG=1") == 1);
	CHECK(recv_is(fd, "WATCHDOG=1"));
	unsetenv("NOTIFY_SOCKET");
	CHECK(platform_notify_init() == 0);
	CHECK(platform_notify("READY=1") == 0);

	close(fd);
	close(afd);
	snprintf(path, sizeof(path), "%s/notify", dir);
	unlink(path);
	rmdir(dir);
	return CHECK_DONE();
}
