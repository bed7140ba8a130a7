/*
 * syncer.c -- the loop's side of the syncer: the slot table, sending
 * requests, their completions and restarting a helper that died.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "log.h"
#include "syncer.h"
#include "syncer_int.h"

#define SYNCER_TRIES	3	/* helpers a request may outlive */
#define SYNCER_GONE	8	/* dead helpers remembered until reaped */
#define SYNCER_SOCKBUF	(32 * sizeof(struct syncer_msg))

enum syncer_where { SL_FREE, SL_QUEUED, SL_SENT, SL_INLINE };

struct syncer_slot {
	TAILQ_ENTRY(syncer_slot) entry;
	enum syncer_where	 where;
	int			 fd;	/* ours until acknowledged, or -1 */
	int			 keep;	/* fd is a dup (syncer_fsync) */
	dev_t			 dev;	/* of a kept file, for the dedup */
	ino_t			 ino;
	unsigned		 tries;	/* helpers it was sent to */
	syncer_done_fn		 cb;	/* told when it is done, or NULL */
	void			*cbarg;
	struct syncer_msg	 msg;
};

TAILQ_HEAD(syncer_list, syncer_slot);

static struct {
	int			 on;	/* between init and drain */
	int			 draining;
	int			 full;	/* every slot taken (logged once) */
	int			 blocked;	/* the socket was full */
	struct event_base	*base;
	struct event		 ev_read, ev_write, ev_retry;
	int			 sock;	/* our end, -1 without a helper */
	int			 life[2];	/* our [1] closes when we die */
	pid_t			 pid;	/* -1 without a helper */
	pid_t			 gone[SYNCER_GONE];
	size_t			 ngone;
	struct timespec		 forked;
	uint64_t		 serial;
	struct syncer_list	 freel, queued, sent;
	size_t			 nqueued, nsent;
	struct syncer_stats	 st;
} sy = { .sock = -1, .life = { -1, -1 }, .pid = -1 };

static struct syncer_slot	syncer_slots[SYNCER_SLOTS];
/* The request done inline when every slot is taken. */
static struct syncer_slot	syncer_spare = { .where = SL_INLINE, .fd = -1 };

static int	syncer_spawn(void);
static void	syncer_respawn(void);
static void	syncer_lost(const char *, int);
static int	syncer_send(struct syncer_slot *);
static void	syncer_flush(int);
static void	syncer_finish(struct syncer_slot *, const struct syncer_done *);
static void	syncer_inline(struct syncer_slot *);
static struct syncer_slot *syncer_take(int, int, const char *,
		    const char *);
static void	syncer_submit(struct syncer_slot *);
static void	syncer_on_read(evutil_socket_t, short, void *);
static void	syncer_on_write(evutil_socket_t, short, void *);
static void	syncer_on_retry(evutil_socket_t, short, void *);

int
syncer_init(struct event_base *base)
{
	size_t	i;

	if (sy.on)
		return 0;
	sy.base = base;
	TAILQ_INIT(&sy.freel);
	TAILQ_INIT(&sy.queued);
	TAILQ_INIT(&sy.sent);
	for (i = 0; i < SYNCER_SLOTS; i++) {
		syncer_slots[i].where = SL_FREE;
		syncer_slots[i].fd = -1;
		TAILQ_INSERT_TAIL(&sy.freel, &syncer_slots[i], entry);
	}
	/*
	 * A datagram socketpair tells the survivor nothing when one end
	 * closes, so the helper learns of our death from a pipe: we hold
	 * the only write end, and never write.
	 */
	if (pipe(sy.life) == -1) {
		log_warn("%s: pipe", __func__);
		return -1;
	}
	(void)fcntl(sy.life[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(sy.life[1], F_SETFD, FD_CLOEXEC);
	evtimer_assign(&sy.ev_retry, base, syncer_on_retry, NULL);
	if (syncer_spawn() == -1) {
		close(sy.life[0]);
		close(sy.life[1]);
		sy.life[0] = sy.life[1] = -1;
		return -1;
	}
	sy.on = 1;
	return 0;
}

/* A new socketpair and a new helper on it.  0 or -1 (logged). */
static int
syncer_spawn(void)
{
	sigset_t	all, old;
	int		sv[2], size = (int)SYNCER_SOCKBUF, i;
	pid_t		pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1) {
		log_warn("%s: socketpair", __func__);
		return -1;
	}
	/*
	 * macOS caps an AF_UNIX datagram at its buffer sizes (2 KB by
	 * default) and Linux at its wmem limits: ask for room for a few
	 * dozen messages; what is granted is fine.
	 */
	for (i = 0; i < 2; i++) {
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &size,
		    sizeof(size));
		(void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
		(void)fcntl(sv[i], F_SETFD, FD_CLOEXEC);
	}
	(void)fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);

	/*
	 * libevent's signal handlers are inherited: with every signal
	 * blocked across fork() none of them can run in the child and
	 * report a signal to us a second time.  The child keeps the mask.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	clock_gettime(CLOCK_MONOTONIC, &sy.forked);
	pid = fork();
	if (pid == 0)
		syncer_helper(sv[1], sy.life[0]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid == -1) {
		log_warn("%s: fork", __func__);
		close(sv[0]);
		return -1;
	}
	sy.pid = pid;
	sy.sock = sv[0];
	sy.st.pid = pid;
	event_assign(&sy.ev_read, sy.base, sy.sock, EV_READ | EV_PERSIST,
	    syncer_on_read, NULL);
	event_assign(&sy.ev_write, sy.base, sy.sock, EV_WRITE,
	    syncer_on_write, NULL);
	event_add(&sy.ev_read, NULL);
	sy.blocked = 0;
	log_info("syncer: helper pid %ld started", (long)pid);
	syncer_flush(0);
	return 0;
}

/* Fork again now, or a second after the last fork: never in a tight loop. */
static void
syncer_respawn(void)
{
	struct timespec	now;
	struct timeval	tv = { 1, 0 };
	long		ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - sy.forked.tv_sec) * 1000 +
	    (now.tv_nsec - sy.forked.tv_nsec) / 1000000;
	if (ms >= 1000 && syncer_spawn() == 0)
		return;
	if (ms > 0 && ms < 1000) {
		tv.tv_sec = 0;
		tv.tv_usec = (1000 - ms) * 1000;
	}
	evtimer_add(&sy.ev_retry, &tv);
}

static void
syncer_on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (sy.on && sy.pid == -1)
		syncer_respawn();
}

/*
 * The helper is gone (`reaped`) or no longer takes messages: once per
 * helper, take back what it was sent and start another.
 */
static void
syncer_lost(const char *how, int reaped)
{
	struct syncer_slot	*s;
	pid_t			 pid = sy.pid;

	if (pid == -1)
		return;
	if (sy.draining)
		log_warnx("syncer: helper pid %ld %s while draining", (long)pid,
		    how);
	else {
		sy.st.restarts++;
		log_warnx("syncer: helper pid %ld %s; restarting it, %zu "
		    "request%s to send again", (long)pid, how,
		    sy.nsent + sy.nqueued, sy.nsent + sy.nqueued == 1 ? "" : "s");
	}
	if (!reaped) {
		(void)kill(pid, SIGKILL);
		if (waitpid(pid, NULL, WNOHANG) != pid) {
			sy.gone[sy.ngone % SYNCER_GONE] = pid;
			sy.ngone++;
		}
	}
	event_del(&sy.ev_read);
	event_del(&sy.ev_write);
	close(sy.sock);
	sy.sock = -1;
	sy.pid = -1;
	sy.st.pid = -1;
	/* Back to the front of the queue, in the order first sent. */
	while ((s = TAILQ_LAST(&sy.sent, syncer_list)) != NULL) {
		TAILQ_REMOVE(&sy.sent, s, entry);
		sy.nsent--;
		s->msg.flags |= SYNCER_REDO;
		if (s->tries >= SYNCER_TRIES) {
			/* Perhaps what kills them: do it here. */
			s->where = SL_INLINE;
			syncer_inline(s);
			continue;
		}
		s->where = SL_QUEUED;
		TAILQ_INSERT_HEAD(&sy.queued, s, entry);
		sy.nqueued++;
	}
	if (!sy.draining)
		syncer_respawn();
}

int
syncer_reaped(pid_t pid, int status)
{
	char	how[64];
	size_t	i;

	if (pid > 0 && pid == sy.pid) {
		if (WIFSIGNALED(status))
			snprintf(how, sizeof(how), "was killed by signal %d",
			    WTERMSIG(status));
		else
			snprintf(how, sizeof(how), "exited with status %d",
			    WEXITSTATUS(status));
		syncer_lost(how, 1);
		return 1;
	}
	for (i = 0; i < SYNCER_GONE; i++)
		if (pid > 0 && sy.gone[i] == pid) {
			sy.gone[i] = 0;
			return 1;
		}
	return 0;
}

/* 0 when sent; else the errno of sendmsg. */
static int
syncer_send(struct syncer_slot *s)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	h;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cbuf;

	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = &s->msg;
	iov.iov_len = sizeof(s->msg);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (s->fd != -1) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &s->fd, sizeof(int));
	}
	while (sendmsg(sy.sock, &mh, MSG_DONTWAIT) == -1)
		if (errno != EINTR)
			return errno;
	return 0;
}

/*
 * Send what is queued, as far as the socket takes it.  A full socket
 * arms EV_WRITE, except when that very event found it still full (macOS
 * calls a full datagram socket writable): then the next completion, which
 * must come since the helper holds what filled it, sends on.
 */
static void
syncer_flush(int on_write)
{
	struct syncer_slot	*s;
	char			 how[96];
	int			 err, sent = 0;

	if (sy.sock == -1)
		return;
	while ((s = TAILQ_FIRST(&sy.queued)) != NULL) {
		err = syncer_send(s);
		if (err == 0) {
			TAILQ_REMOVE(&sy.queued, s, entry);
			sy.nqueued--;
			s->where = SL_SENT;
			s->tries++;
			TAILQ_INSERT_TAIL(&sy.sent, s, entry);
			sy.nsent++;
			sent++;
			continue;
		}
		if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
			sy.blocked = 1;
			if (!on_write || sent > 0 || sy.nsent == 0)
				event_add(&sy.ev_write, NULL);
			return;
		}
		if (err == ECONNREFUSED || err == ECONNRESET ||
		    err == EPIPE || err == ENOTCONN) {
			snprintf(how, sizeof(how), "refuses messages (%s)",
			    strerror(err));
			syncer_lost(how, 0);
			return;
		}
		/* This message, not the helper (a bad fd, say). */
		errno = err;
		log_warn("syncer: cannot send request for %s; done inline",
		    s->msg.from[0] != '\0' ? s->msg.from : "a file");
		TAILQ_REMOVE(&sy.queued, s, entry);
		sy.nqueued--;
		s->where = SL_INLINE;
		syncer_inline(s);
	}
	event_del(&sy.ev_write);
}

static void
syncer_on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sy.blocked = 0;
	syncer_flush(1);
}

static void
syncer_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct syncer_done	 d;
	struct syncer_slot	*s;
	char			 how[96];
	ssize_t			 n;

	(void)what;
	(void)arg;
	for (;;) {
		n = recv(fd, &d, sizeof(d), MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			snprintf(how, sizeof(how), "closed its socket (%s)",
			    n == 0 ? "end of file" : strerror(errno));
			syncer_lost(how, 0);
			return;
		}
		if ((size_t)n != sizeof(d)) {
			log_warnx("syncer: a completion of %zd bytes", n);
			continue;
		}
		s = &syncer_slots[d.id % SYNCER_SLOTS];
		if (s->where != SL_SENT || s->msg.id != d.id) {
			log_debug("syncer: stale completion %llu",
			    (unsigned long long)d.id);
			continue;
		}
		TAILQ_REMOVE(&sy.sent, s, entry);
		sy.nsent--;
		syncer_finish(s, &d);
	}
	/* The helper has taken messages off the socket: room again. */
	sy.blocked = 0;
	syncer_flush(0);
}

/* Log what failed, close our copy, free the slot (the spare: mark it). */
static void
syncer_finish(struct syncer_slot *s, const struct syncer_done *d)
{
	const char	*name = s->msg.from;
	syncer_done_fn	 cb = s->cb;
	void		*cbarg = s->cbarg;
	int		 err = d->sync_err != 0 ? d->sync_err : d->path_err;

	if (name[0] == '\0')
		name = s->keep ? "a file kept open" : "a closed file";
	if (d->sync_err != 0) {
		errno = d->sync_err;
		log_warn("syncer: fsync %s", name);
		sy.st.errors++;
	}
	if (d->path_err != 0) {
		errno = d->path_err;
		if (s->msg.op == SYNCER_FSYNC_RENAME)
			log_warn("syncer: rename %s to %s", name, s->msg.to);
		else
			log_warn("syncer: unlink %s", name);
		sy.st.errors++;
	}
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	sy.st.done++;
	s->cb = NULL;
	if (s != &syncer_spare) {
		s->where = SL_FREE;
		TAILQ_INSERT_TAIL(&sy.freel, s, entry);
		sy.full = 0;
	}
	if (cb != NULL)
		cb(cbarg, err);
}

/* Do `s` here and now, blocking the loop; `s` is on no list. */
static void
syncer_inline(struct syncer_slot *s)
{
	struct syncer_done	d;

	if (sy.on)
		sy.st.inline_ops++;
	syncer_work(&s->msg, s->fd, &d);
	syncer_finish(s, &d);
}

/*
 * A slot for a request, filled, on no list; the spare when every slot is
 * taken (or before init).  NULL when a path does not fit.
 */
static struct syncer_slot *
syncer_take(int op, int fd, const char *from, const char *to)
{
	struct syncer_slot	*s;
	size_t			 idx;
	int			 n;

	if (!sy.on || (s = TAILQ_FIRST(&sy.freel)) == NULL) {
		if (sy.on && !sy.full)
			log_warnx("syncer: all %d slots taken; working "
			    "inline until one is free", SYNCER_SLOTS);
		sy.full = sy.on;
		s = &syncer_spare;
	} else {
		TAILQ_REMOVE(&sy.freel, s, entry);
		idx = (size_t)(s - syncer_slots);
		sy.serial++;
		s->msg.id = sy.serial * SYNCER_SLOTS + idx;
	}
	s->msg.op = (uint32_t)op;
	s->msg.flags = 0;
	s->fd = fd;
	s->keep = 0;
	s->tries = 0;
	s->cb = NULL;
	s->cbarg = NULL;
	n = snprintf(s->msg.from, sizeof(s->msg.from), "%s",
	    from != NULL ? from : "");
	if (op != SYNCER_FSYNC && (n < 0 || (size_t)n >= sizeof(s->msg.from)))
		goto toolong;
	n = snprintf(s->msg.to, sizeof(s->msg.to), "%s", to != NULL ? to : "");
	if (n < 0 || (size_t)n >= sizeof(s->msg.to))
		goto toolong;
	return s;
toolong:
	log_warnx("syncer: path too long: %.64s...", from);
	sy.st.errors++;
	if (fd != -1)
		close(fd);
	s->fd = -1;
	if (s != &syncer_spare) {
		s->where = SL_FREE;
		TAILQ_INSERT_HEAD(&sy.freel, s, entry);
	}
	return NULL;
}

static void
syncer_submit(struct syncer_slot *s)
{
	if (s == NULL)
		return;
	if (s == &syncer_spare) {
		syncer_inline(s);
		return;
	}
	s->where = SL_QUEUED;
	TAILQ_INSERT_TAIL(&sy.queued, s, entry);
	sy.nqueued++;
	/* Behind a full socket: it goes when the queue moves. */
	if (!sy.blocked)
		syncer_flush(0);
}

void
syncer_close(int fd)
{
	syncer_close_named(fd, NULL);
}

void
syncer_close_named(int fd, const char *path)
{
	if (fd == -1)
		return;
	syncer_submit(syncer_take(SYNCER_FSYNC, fd, path, NULL));
}

void
syncer_close_rename(int fd, const char *from, const char *to)
{
	syncer_submit(syncer_take(SYNCER_FSYNC_RENAME, fd, from, to));
}

void
syncer_close_rename_cb(int fd, const char *from, const char *to,
    syncer_done_fn cb, void *arg)
{
	struct syncer_slot	*s;

	if ((s = syncer_take(SYNCER_FSYNC_RENAME, fd, from, to)) == NULL) {
		cb(arg, ENAMETOOLONG);
		return;
	}
	s->cb = cb;
	s->cbarg = arg;
	syncer_submit(s);
}

int
syncer_write_rename_cb(const void *data, size_t len, const char *tmp,
    const char *to, syncer_done_fn cb, void *arg)
{
	struct syncer_slot	*s;

	if (len > SYNCER_DATA_MAX)
		return -1;
	if ((s = syncer_take(SYNCER_WRITE_RENAME, -1, tmp, to)) == NULL) {
		cb(arg, ENAMETOOLONG);
		return 0;
	}
	memcpy(s->msg.data, data, len);
	s->msg.dlen = (uint32_t)len;
	s->cb = cb;
	s->cbarg = arg;
	syncer_submit(s);
	return 0;
}

void
syncer_unlink(const char *path)
{
	syncer_submit(syncer_take(SYNCER_UNLINK, -1, path, NULL));
}

void
syncer_fsync(int fd)
{
	struct syncer_slot	*s;
	struct stat		 st;
	int			 dfd;

	if (fstat(fd, &st) == -1) {
		log_warn("%s: fstat", __func__);
		return;
	}
	TAILQ_FOREACH(s, &sy.queued, entry)
		if (s->keep && s->dev == st.st_dev && s->ino == st.st_ino)
			return;
	if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		/* Out of fds: the fsync still has to happen. */
		log_warn("%s: dup; fsync inline", __func__);
		if (fsync(fd) == -1)
			log_warn("%s: fsync", __func__);
		if (sy.on)
			sy.st.inline_ops++;
		return;
	}
	if ((s = syncer_take(SYNCER_FSYNC, dfd, NULL, NULL)) == NULL)
		return;
	s->keep = 1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	syncer_submit(s);
}

void
syncer_drain(int timeout_ms)
{
	struct syncer_slot	*s;
	struct timespec		 end, now;
	struct pollfd		 pfd;
	long			 left;
	int			 status;

	if (!sy.on)
		return;
	sy.draining = 1;
	event_del(&sy.ev_retry);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	while (sy.pid != -1 && sy.nsent + sy.nqueued > 0) {
		if (waitpid(sy.pid, &status, WNOHANG) == sy.pid) {
			(void)syncer_reaped(sy.pid, status);
			break;
		}
		syncer_flush(1);
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000;
		if (sy.sock == -1 || left <= 0)
			break;
		pfd.fd = sy.sock;
		pfd.events = POLLIN | (sy.nsent == 0 ? POLLOUT : 0);
		/* Short waits: a helper's death shows only in waitpid. */
		if (poll(&pfd, 1, left < 100 ? (int)left : 100) > 0 &&
		    (pfd.revents & POLLIN))
			syncer_on_read(sy.sock, EV_READ, NULL);
	}
	if (sy.nsent + sy.nqueued > 0)
		log_warnx("syncer: %zu request%s left at exit; doing them "
		    "inline", sy.nsent + sy.nqueued,
		    sy.nsent + sy.nqueued == 1 ? "" : "s");
	/* In their order: what the helper had, then what it had not. */
	while ((s = TAILQ_FIRST(&sy.sent)) != NULL ||
	    (s = TAILQ_FIRST(&sy.queued)) != NULL) {
		if (s->where == SL_SENT) {
			TAILQ_REMOVE(&sy.sent, s, entry);
			sy.nsent--;
			s->msg.flags |= SYNCER_REDO;
		} else {
			TAILQ_REMOVE(&sy.queued, s, entry);
			sy.nqueued--;
		}
		s->where = SL_INLINE;
		syncer_inline(s);
	}
	/* The helper sees its pipe close and exits. */
	if (sy.pid != -1) {
		event_del(&sy.ev_read);
		event_del(&sy.ev_write);
		close(sy.sock);
		sy.sock = -1;
		sy.gone[sy.ngone % SYNCER_GONE] = sy.pid;
		sy.ngone++;
		sy.pid = -1;
		sy.st.pid = -1;
	}
	close(sy.life[1]);
	close(sy.life[0]);
	sy.life[0] = sy.life[1] = -1;
	sy.on = 0;
}

void
syncer_stats(struct syncer_stats *st)
{
	*st = sy.st;
	st->pending = sy.nsent + sy.nqueued;
	st->queued_unsent = sy.nqueued;
	st->pid = sy.pid;
}
