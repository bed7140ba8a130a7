/*
 * syncer.h -- file work that may block (fsync, rename, unlink), done by one
 * long-lived helper process so that the event loop never waits for a disk.
 *
 * fsync(2) of a file that was just written can wait for the disk for a
 * long time (0.1-0.2 s per call was measured here with 16 runners
 * writing).  syncer_init() forks one helper at start-up, before the big
 * pools are touched (privsep style), and never forks per file again.  The
 * loop hands the helper descriptors (SCM_RIGHTS) and paths over an
 * AF_UNIX SOCK_DGRAM socketpair in fixed-size messages, sent with
 * MSG_DONTWAIT, and learns of each completion when the socket is readable.
 * The helper does one request at a time, in the order sent, so an unlink
 * queued after a rename of the same file happens after it.
 *
 * Bounds.  Every request takes one of SYNCER_SLOTS slots, reserved at
 * init; the slot table is the list of unacknowledged work.  A slot keeps
 * the daemon's own copy of the descriptor open, and the paths, until the
 * helper's completion arrives, so that work lost with a helper can be done
 * again: up to SYNCER_SLOTS descriptors may be held that way.  When the
 * socket is full the request stays queued in its slot and goes out when
 * the socket drains (never by spinning).  When every slot is taken, the
 * request is done inline, blocking the loop, and counted (inline_ops):
 * that should never happen.  Nothing allocates after init.
 *
 * Helper death.  The helper's exit is seen by SIGCHLD (syncer_reaped(),
 * called from the daemon's reaping) or by the socket refusing a message,
 * whichever comes first; it is handled once: logged, counted (restarts),
 * the helper is forked again (at most once a second) and every request not
 * yet acknowledged is sent again, in its first order.  Redoing is safe: an
 * fsync may be repeated, a rename whose source is gone was done already.  A
 * request that was sent to three helpers that all died is done inline.
 *
 * The helper exits when the daemon is gone (it holds the read end of a
 * pipe whose only writer is the daemon), after finishing the requests it
 * has already been sent: a SIGKILLed daemon leaves no helper behind.  It
 * takes no signal but SIGKILL: a Ctrl-C on the terminal reaches the
 * daemon only.
 *
 * Before syncer_init() (logstore_init's start-up prune) and after
 * syncer_drain(), every call does its work inline.
 */
#ifndef SYNCER_H
#define SYNCER_H

#include <sys/types.h>

#include <stdint.h>

#define SYNCER_SLOTS	256

struct event_base;

struct syncer_stats {
	uint64_t	pending;	/* slots taken: sent or queued */
	uint64_t	queued_unsent;	/* of those, not yet sent */
	uint64_t	done;		/* requests completed, all ways */
	uint64_t	inline_ops;	/* done on the loop, blocking it */
	uint64_t	restarts;	/* helper deaths handled */
	uint64_t	errors;		/* failed fsync, rename or unlink */
	pid_t		pid;		/* the helper, -1 while there is none */
};

/*
 * Fork the helper; once, at start-up.  Logs "syncer: helper pid N
 * started".  0, or -1 (logged) when no helper could be made.
 */
int	syncer_init(struct event_base *);

/* fsync `fd`, then close it, in the background; the fd is given away. */
void	syncer_close(int fd);
/* The same, naming the file in any error message. */
void	syncer_close_named(int fd, const char *path);
/*
 * fsync `fd` (a file written at `from`), close it, rename `from` to `to`
 * and fsync the directory of `to`, in the background; the fd is given
 * away.  Readers see `to` only once its contents are on disk.
 */
void	syncer_close_rename(int fd, const char *from, const char *to);
/*
 * syncer_close_rename(), then cb(arg, err) once it is done: err is 0 or
 * the errno of what failed.  cb runs from the loop, or from inside this
 * call when the work had to be done inline; never twice.
 */
typedef void	(*syncer_done_fn)(void *arg, int err);
void	syncer_close_rename_cb(int fd, const char *from, const char *to,
	    syncer_done_fn cb, void *arg);
/*
 * Make a small file whole in the background: the helper writes `data` to
 * `tmp`, fsyncs it, renames it to `to` and fsyncs the directory; then
 * cb(arg, err) as above.  Nothing touches the disk on the loop.  -1 (and
 * no callback) when len is over what one message carries (2 KiB): the
 * caller writes the file itself.
 */
int	syncer_write_rename_cb(const void *data, size_t len, const char *tmp,
	    const char *to, syncer_done_fn cb, void *arg);
/* Unlink `path` in the background; ENOENT counts as success. */
void	syncer_unlink(const char *path);
/*
 * fsync a file the caller keeps open (and may go on writing): a dup of
 * `fd` is sent, the caller's fd stays the caller's.  Nothing new is queued
 * while an fsync of the same file is still waiting to be sent.
 */
void	syncer_fsync(int fd);

/*
 * For the daemon's waitpid() loop: 1 when `pid` was a helper (it is
 * restarted if it was the current one), 0 when it is someone else's.
 */
int	syncer_reaped(pid_t pid, int status);

/*
 * At shutdown: wait (blocking) until every request is acknowledged or
 * `timeout_ms` has passed, do what is left inline, and let the helper
 * exit.  Later calls work inline.
 */
void	syncer_drain(int timeout_ms);

void	syncer_stats(struct syncer_stats *);

#endif /* SYNCER_H */
