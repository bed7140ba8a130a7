/*
 * syncer_helper.c -- the syncer's helper process: its loop in the forked
 * child and the fsync, rename and unlink it does for the daemon.
 * SPDX-License-Identifier: ISC
 *
 * Only what is safe in a forked copy of the daemon runs here: plain
 * system calls and log.h, with no event loop and no allocation.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "syncer_int.h"

static int	syncer_serve(int);
static int	syncer_fsync_dir(const char *);
static void	syncer_write_file(const struct syncer_msg *,
		    struct syncer_done *);

void
syncer_helper(int sock, int life)
{
	struct pollfd	pfd[2];
	long		max, fd;

	/* Nothing of the daemon's stays open here but stdio. */
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1024 * 1024)
		max = 1024 * 1024;
	for (fd = 3; fd < max; fd++)
		if (fd != sock && fd != life)
			(void)close((int)fd);
	for (;;) {
		pfd[0].fd = sock;
		pfd[0].events = POLLIN;
		pfd[1].fd = life;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: poll", __func__);
			_exit(1);
		}
		if (pfd[0].revents != 0 && syncer_serve(sock) == -1)
			_exit(0);
		/* The daemon is gone: finish what it sent, then go. */
		if (pfd[1].revents != 0) {
			(void)syncer_serve(sock);
			_exit(0);
		}
	}
}

/* Do every request waiting on the socket.  -1 when it is closed. */
static int
syncer_serve(int sock)
{
	struct syncer_msg	 m;
	struct syncer_done	 d;
	struct msghdr		 mh;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	union {
		struct cmsghdr	h;
		char		buf[CMSG_SPACE(sizeof(int))];
	}			 cbuf;
	ssize_t			 n;
	int			 fd;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = &m;
		iov.iov_len = sizeof(m);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(sock, &mh, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		fd = -1;
		cm = CMSG_FIRSTHDR(&mh);
		if (cm != NULL && cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		if ((size_t)n != sizeof(m)) {
			log_warnx("syncer helper: a message of %zd bytes",
			    n);
			if (fd != -1)
				close(fd);
			continue;
		}
		syncer_work(&m, fd, &d);
		if (fd != -1)
			close(fd);
		/* A daemon that died gets no answer; the work is done. */
		while (send(sock, &d, sizeof(d), 0) == -1 && errno == EINTR)
			;
	}
}

/* One request, in the helper or inline; `fd` stays open. */
void
syncer_work(const struct syncer_msg *m, int fd, struct syncer_done *d)
{
	memset(d, 0, sizeof(*d));
	d->id = m->id;
	d->op = m->op;
	switch (m->op) {
	case SYNCER_FSYNC:
	case SYNCER_FSYNC_RENAME:
		if (fd == -1)
			d->sync_err = EBADF;
		else if (fsync(fd) == -1)
			d->sync_err = errno;
		if (m->op == SYNCER_FSYNC)
			break;
		/* Renamed even when the fsync failed: better than lost. */
		if (rename(m->from, m->to) == -1) {
			/* A helper that died had done it already. */
			if (errno != ENOENT || !(m->flags & SYNCER_REDO))
				d->path_err = errno;
		} else if (syncer_fsync_dir(m->to) == -1 && d->sync_err == 0)
			d->sync_err = errno;
		break;
	case SYNCER_UNLINK:
		if (unlink(m->from) == -1 && errno != ENOENT)
			d->path_err = errno;
		break;
	case SYNCER_WRITE_RENAME:
		syncer_write_file(m, d);
		break;
	default:
		d->path_err = EINVAL;
		break;
	}
}

/*
 * A small file made whole here: m->data written to m->from, fsync'd,
 * renamed to m->to, the directory fsync'd.  Done again after a helper
 * died, it makes the same file again.
 */
static void
syncer_write_file(const struct syncer_msg *m, struct syncer_done *d)
{
	ssize_t	n;
	int	fd;

	fd = open(m->from, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		d->path_err = errno;
		return;
	}
	n = write(fd, m->data, m->dlen);
	if (n != (ssize_t)m->dlen)
		d->sync_err = n == -1 ? errno : ENOSPC;
	else if (fsync(fd) == -1)
		d->sync_err = errno;
	close(fd);
	if (d->sync_err != 0) {
		(void)unlink(m->from);
		return;
	}
	if (rename(m->from, m->to) == -1)
		d->path_err = errno;
	else if (syncer_fsync_dir(m->to) == -1)
		d->sync_err = errno;
}

/* Make a rename durable: fsync the directory that holds `path`. */
static int
syncer_fsync_dir(const char *path)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(path, '/');
	int		 fd, rc, save;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	save = errno;
	close(fd);
	errno = save;
	return rc;
}
