/*
 * kmsgwatch.h -- the kernel log watcher: OOM kills and GPU Xid errors.
 *
 * Reads the kernel's record device (Linux: /dev/kmsg, or `kmsg_path`, which
 * tests point at a FIFO) non-blocking in the loop, positioned at the end at
 * start so old OOMs are not replayed.  Records go through kmsg_split /
 * kmsg_parse / oom_feed (kmsg.h); an OOM kill becomes `system_oom_kill`
 * and an Xid `gpu_error`; a kill whose pid is a supervised run (or in its
 * process group) marks that run oom_killed for its death report.  Lost
 * records (EPIPE, sequence gaps) are counted.  Without permission it says
 * so once, reports it in /v1/status, and everything else goes on.
 */
#ifndef KMSGWATCH_H
#define KMSGWATCH_H

struct event_base;
struct jw;

/*
 * `path`: the device or FIFO; NULL when the platform has none
 * ("unsupported"), "off" to disable.
 */
void	kmsgwatch_init(struct event_base *, const char *path);
/* Read every record available now (called when a run dies by SIGKILL). */
void	kmsgwatch_drain(void);
/* The watcher's state and counters, as members of an open object. */
void	kmsgwatch_status_json(struct jw *);

#endif /* KMSGWATCH_H */
