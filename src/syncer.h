/*
 * syncer.h -- make closed files durable without blocking the event loop.
 *
 * fsync(2) of a file that was just written can wait for the disk for a
 * long time (0.1-0.2 s per call was measured here with 16 runners
 * writing), and the loop must never wait: so the fsync happens in a
 * short-lived forked child that owns a copy of the descriptor, while the
 * daemon closes its own copy and goes on.  The children are reaped by the
 * daemon's SIGCHLD handling like any other unknown pid.  If fork fails,
 * the work is done inline (and that is logged).
 */
#ifndef SYNCER_H
#define SYNCER_H

/* fsync `fd` in the background; the caller's fd is closed. */
void	syncer_close(int fd);
/*
 * fsync `fd` (a file written at `from`), then rename it to `to`, in the
 * background; the caller's fd is closed.  Readers see `to` only once its
 * contents are on disk.
 */
void	syncer_close_rename(int fd, const char *from, const char *to);

#endif /* SYNCER_H */
