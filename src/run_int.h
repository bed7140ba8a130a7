/*
 * run_int.h -- what run.c (the pool, the end of a run) and run_pipe.c
 * (its ingest path) share; no other module includes this.
 */
#ifndef RUN_INT_H
#define RUN_INT_H

struct config;
struct event_base;
struct run;

/* Reserve the ingest path's buffers; start-up only. */
void	run_pipe_init(struct event_base *, const struct config *);
/*
 * Make the run's pipes (ours non-blocking and close-on-exec) and assign
 * their events; child[0..2] get the child's ends.  0, or -1 (logged).
 */
int	run_pipes(struct run *, int child[3]);
/*
 * The process is gone: read what is left in its pipes (bounded), close
 * them, make the tail whole and match what the budget skipped of it.
 */
void	run_drain(struct run *);
/* An adopted run: its tail (and diagnostics) from its stored stderr. */
void	run_tail_from_file(struct run *);

#endif /* RUN_INT_H */
