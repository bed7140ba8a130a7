/*
 * notify.c -- systemd's notification protocol (sd_notify(3)), spoken
 * without libsystemd: one AF_UNIX datagram per message.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"

static int	nt_parse_u64(const char *, uint64_t *);
static uint64_t	nt_watchdog_env(void);

/* What platform_notify_init() took out of the environment. */
static int	nt_inited;
static char	nt_socket[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
static uint64_t	nt_watchdog;

/* Decimal digits only (no sign, no spaces), not 0, no overflow. */
static int
nt_parse_u64(const char *s, uint64_t *out)
{
	uint64_t	v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v == 0)
		return -1;
	*out = v;
	return 0;
}

/*
 * systemd sets WATCHDOG_PID to the main process; a process that finds
 * another pid there (a wrapper script's child) is not the one to ping.
 */
static uint64_t
nt_watchdog_env(void)
{
	const char	*pid = getenv("WATCHDOG_PID");
	uint64_t	 usec, p;

	if (nt_parse_u64(getenv("WATCHDOG_USEC"), &usec) == -1)
		return 0;
	if (pid != NULL && (nt_parse_u64(pid, &p) == -1 ||
	    p != (uint64_t)getpid()))
		return 0;
	return usec;
}

int
platform_notify_init(void)
{
	const char	*s = getenv("NOTIFY_SOCKET");

	nt_socket[0] = '\0';
	if (s != NULL && strlen(s) < sizeof(nt_socket))
		memcpy(nt_socket, s, strlen(s) + 1);
	nt_watchdog = nt_watchdog_env();
	nt_inited = 1;
	(void)unsetenv("NOTIFY_SOCKET");
	(void)unsetenv("WATCHDOG_USEC");
	(void)unsetenv("WATCHDOG_PID");
	return nt_socket[0] != '\0';
}

uint64_t
platform_watchdog_usec(void)
{
	return nt_inited ? nt_watchdog : nt_watchdog_env();
}

/*
 * A socket per message, as sd_notify() does: messages are rare (the
 * watchdog's every few seconds at most), and nothing is kept open that a
 * runner could inherit or that a restarted systemd would leave stale.
 */
int
platform_notify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path;
	socklen_t		 slen;
	size_t			 n, len = strlen(state);
	ssize_t			 w;
	int			 fd, err;

	path = nt_inited ? nt_socket : getenv("NOTIFY_SOCKET");
	if (path == NULL || *path == '\0')
		return 0;
	/* A path, or '@' for a name in the abstract namespace. */
	if (path[0] != '/' && path[0] != '@') {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if ((n = strlen(path)) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n);
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* the name is the n bytes, no NUL */
	else
		slen++;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	w = sendto(fd, state, len, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, slen);
	err = errno;
	close(fd);
	if (w == -1) {
		errno = err;
		return -1;
	}
	if ((size_t)w != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 1;
}
