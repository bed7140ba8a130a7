/*
 * run_pipe.c -- the ingest path of a run: its pipes to the log files, the
 * tail and the diagnostics matcher, and the lines of its event fd.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "ingest.h"
#include "json.h"
#include "log.h"
#include "logstore.h"
#include "run.h"
#include "run_int.h"
#include "timefmt.h"

/* Bytes read from one pipe when a run ends, before giving up on it. */
#define RUN_DRAIN_MAX	(4 * 1024 * 1024)

static struct event_base	*pipe_base;
static const struct config	*pipe_cf;
/* Every pipe read lands here first: one buffer for the whole daemon. */
static unsigned char		 run_readbuf[RUN_READ_MAX];
/* A tail read back from its file, or the skipped part being matched. */
static unsigned char		*run_tailbuf;

static void	 run_close_fd(int *, struct event *);
static void	 run_on_stderr(evutil_socket_t, short, void *);
static void	 run_on_stdout(evutil_socket_t, short, void *);
static void	 run_on_event(evutil_socket_t, short, void *);
static ssize_t	 run_read(struct run *, int *, struct event *);
static void	 run_ingest_err(struct run *, size_t);
static size_t	 run_tail_load(struct run *);
static void	 run_event_bytes(struct run *, const unsigned char *, size_t);
static void	 run_event_line(struct run *);
static void	 run_match(struct run *, const unsigned char *, size_t);
static void	 run_match_tail(struct run *);
static void	 run_warn_data(struct jw *, const void *);
static void	 run_warn_stopped(struct run *, const struct logfile *, int *);

void
run_pipe_init(struct event_base *base, const struct config *cf)
{
	pipe_base = base;
	pipe_cf = cf;
	if ((run_tailbuf = malloc(cf->tail_bytes + 1)) == NULL)
		fatal("%s", __func__);
}

/*
 * Our ends are non-blocking and close-on-exec; the child's ends are made
 * inheritable by dup2 in the child.  For capture_stdout = merge the child's
 * stdout is its stderr pipe; for no, it is /dev/null (child[0] = -1).
 */
int
run_pipes(struct run *run, int child[3])
{
	int	p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int	i, j;

	for (i = 0; i < 3; i++) {
		if (i == 0 && run->rc->capture_stdout != STDOUT_FILE)
			continue;
		if (pipe(p[i]) == -1) {
			log_warn("%s: pipe", run->rc->name);
			goto fail;
		}
		for (j = 0; j < 2; j++)
			if (fcntl(p[i][j], F_SETFD, FD_CLOEXEC) == -1)
				goto fail;
		if (fcntl(p[i][0], F_SETFL, O_NONBLOCK) == -1)
			goto fail;
	}
	run->fd_out = p[0][0];
	run->fd_err = p[1][0];
	run->fd_ev = p[2][0];
	child[0] = run->rc->capture_stdout == STDOUT_MERGE ? p[1][1] : p[0][1];
	child[1] = p[1][1];
	child[2] = p[2][1];
	/* Assigned now, so that an end before the start can delete them. */
	event_assign(&run->ev_err, pipe_base, run->fd_err, EV_READ | EV_PERSIST,
	    run_on_stderr, run);
	if (run->fd_out != -1)
		event_assign(&run->ev_out, pipe_base, run->fd_out,
		    EV_READ | EV_PERSIST, run_on_stdout, run);
	event_assign(&run->ev_ev, pipe_base, run->fd_ev, EV_READ | EV_PERSIST,
	    run_on_event, run);
	return 0;
fail:
	for (i = 0; i < 3; i++)
		for (j = 0; j < 2; j++)
			if (p[i][j] != -1)
				close(p[i][j]);
	return -1;
}

/*
 * Stderr goes through the diagnostics matcher as it streams, within a
 * byte budget shared by all runs (diag_rate bytes per second, one second
 * of burst): matching costs a few ns a byte, and a flood must not slow
 * the pipes down.  Bytes over the budget are skipped and counted; when
 * the run ends, whatever of its tail was skipped is matched then, so the
 * lines around a death are never missed.
 */
static void
run_match(struct run *run, const unsigned char *p, size_t n)
{
	static int64_t	tokens, last_ms;
	int64_t		now, rate = (int64_t)pipe_cf->diag_rate;

	if (rate > 0) {
		now = timefmt_mono_ms();
		tokens += (now - last_ms) * rate / 1000;
		if (tokens > rate || last_ms == 0)
			tokens = rate;
		last_ms = now;
		if (tokens < (int64_t)n) {
			run->diag_skipped += n;
			run->diag_behind = 1;
			run->diag_skip_nl = p[n - 1] == '\n';
			return;
		}
		tokens -= (int64_t)n;
	}
	if (run->diag_behind) {
		diag_resync(&run->diag, run->diag_skip_nl);
		run->diag_behind = 0;
	}
	diag_feed(&run->diag, p, n, timefmt_now_us());
	run->diag_upto = run->bytes_err + n;
}

/* At the end: the part of the tail that the budget skipped. */
static void
run_match_tail(struct run *run)
{
	uint64_t	start, from;
	size_t		got;

	if (!run->diag_behind)
		return;
	(void)tail_window(&run->tail, &start);
	from = start > run->diag_upto ? start : run->diag_upto;
	if (from >= run->tail.r.head)
		return;
	got = tail_copy(&run->tail, run_tailbuf, (size_t)(run->tail.r.head -
	    from));
	/* The window starts a line; a later point may not. */
	diag_resync(&run->diag, from == start);
	diag_feed(&run->diag, run_tailbuf, got, timefmt_now_us());
	run->diag_skipped -= got < run->diag_skipped ? got : run->diag_skipped;
	run->diag_behind = 0;
}

void
run_started(struct run *run, pid_t pid, int child[3])
{
	run->pid = pid;
	sampler_run_started(run);
	if (child[0] != -1 && child[0] != child[1])
		close(child[0]);
	close(child[1]);
	close(child[2]);
	event_add(&run->ev_err, NULL);
	if (run->fd_out != -1)
		event_add(&run->ev_out, NULL);
	event_add(&run->ev_ev, NULL);
}

static void
run_close_fd(int *fd, struct event *ev)
{
	if (*fd == -1)
		return;
	event_del(ev);
	close(*fd);
	*fd = -1;
}

/*
 * One read per readiness callback keeps runners fair: a busy pipe is
 * called again on the next loop turn.  Returns bytes read, 0 at EOF (the
 * fd is then closed), -1 when nothing was there.
 */
static ssize_t
run_read(struct run *run, int *fd, struct event *ev)
{
	ssize_t	n;

	n = read(*fd, run_readbuf, sizeof(run_readbuf));
	if (n > 0)
		return n;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return -1;
	if (n == -1)
		log_warn("%s: read from run %s", run->rc->name, run->id);
	run_close_fd(fd, ev);
	return 0;
}

/*
 * n bytes of stderr in run_readbuf: to the file, the tail, the matcher.
 * While the file holds every byte, the tail is not copied here at all: it
 * is read back from the file when it is needed (run_tail_load), which
 * saves a copy of every byte on the ingest path.  From the first byte the
 * file does not take (cap, quota, ENOSPC), the tail is kept in memory.
 */
static void
run_ingest_err(struct run *run, size_t n)
{
	uint64_t	before = run->log_err.size, stored;

	logfile_write(&run->log_err, run_readbuf, n);
	if (run->tail_lazy && run->log_err.stopped) {
		stored = run->log_err.size - before;
		(void)run_tail_load(run);
		run->tail_lazy = 0;
		tail_put(&run->tail, run_readbuf + stored, n - (size_t)stored);
	} else if (!run->tail_lazy)
		tail_put(&run->tail, run_readbuf, n);
	run_match(run, run_readbuf, n);
	run->bytes_err += (uint64_t)n;
}

/*
 * The tail from the stored file, whose bytes are the stream's [0, size):
 * its last tail_bytes go to the ring with head at their stream offset, and
 * the byte before them (read too) says whether they start a line.  They
 * are left in run_tailbuf; returns how many.  A file that cannot be read
 * leaves the tail empty (logged).
 */
static size_t
run_tail_load(struct run *run)
{
	uint64_t	size = run->log_err.size, from;
	size_t		cap = run->tail.r.cap, len;
	ssize_t		got;
	int		fd;

	tail_reset(&run->tail);
	if (size == 0)
		return 0;
	from = size > cap ? size - cap - 1 : 0;
	len = (size_t)(size - from);
	if ((fd = open(run->log_err.path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s: run %s: tail from %s", run->rc->name, run->id,
		    run->log_err.path);
		return 0;
	}
	got = pread(fd, run_tailbuf, len, (off_t)from);
	close(fd);
	if (got != (ssize_t)len) {
		log_warnx("%s: run %s: short read of the tail of %s",
		    run->rc->name, run->id, run->log_err.path);
		return 0;
	}
	run->tail.r.head = from;
	tail_put(&run->tail, run_tailbuf, len);
	if (from > 0) {
		memmove(run_tailbuf, run_tailbuf + 1, len - 1);
		len--;
	}
	return len;
}

const struct tail *
run_tail(struct run *run)
{
	if (run->tail_lazy)
		(void)run_tail_load(run);
	return &run->tail;
}

static void
run_on_stderr(evutil_socket_t fd, short what, void *arg)
{
	struct run	*run = arg;
	ssize_t		 n;

	(void)fd;
	(void)what;
	if ((n = run_read(run, &run->fd_err, &run->ev_err)) <= 0)
		return;
	run_ingest_err(run, (size_t)n);
	if (run->log_err.stopped && !run->warned_err)
		run_warn_stopped(run, &run->log_err, &run->warned_err);
}

static void
run_on_stdout(evutil_socket_t fd, short what, void *arg)
{
	struct run	*run = arg;
	ssize_t		 n;

	(void)fd;
	(void)what;
	if ((n = run_read(run, &run->fd_out, &run->ev_out)) <= 0)
		return;
	logfile_write(&run->log_out, run_readbuf, (size_t)n);
	run->bytes_out += (uint64_t)n;
	if (run->log_out.stopped && !run->warned_out)
		run_warn_stopped(run, &run->log_out, &run->warned_out);
}

static void
run_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct run	*run = arg;
	ssize_t		 n;

	(void)fd;
	(void)what;
	if ((n = run_read(run, &run->fd_ev, &run->ev_ev)) > 0)
		run_event_bytes(run, run_readbuf, (size_t)n);
}

/* Assemble JSON lines; a line longer than the buffer is dropped whole. */
static void
run_event_bytes(struct run *run, const unsigned char *p, size_t n)
{
	const unsigned char	*nl;
	size_t			 k;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl ? (size_t)(nl - p) : n;
		if (!run->evdiscard) {
			if (run->evlen + k < sizeof(run->evline)) {
				memcpy(run->evline + run->evlen, p, k);
				run->evlen += k;
			} else {
				run->evdiscard = 1;
				run->evdropped++;
				log_warnx("%s: run %s: event line longer than %d "
				    "bytes dropped", run->rc->name, run->id,
				    RUN_EVLINE_MAX - 1);
			}
		}
		if (nl == NULL)
			break;
		if (!run->evdiscard)
			run_event_line(run);
		run->evlen = 0;
		run->evdiscard = 0;
		p += k + 1;
		n -= k + 1;
	}
}

/*
 * A line from the runner's event fd: validated like a POSTed event and
 * recorded as coming from this run, whatever ids it claims.  A
 * "termination" line is the runner's own account of why it is ending
 * (exception type, message, traceback): it is also kept for the report.
 */
static void
run_event_line(struct run *run)
{
	static struct ingest	ig;
	struct ev_meta		m;
	struct jw		w;
	char			err[INGEST_ERR_MAX];
	uint64_t		seq;

	if (run->evlen == 0)
		return;
	if (ingest_parse(&ig, run->evline, run->evlen) == -1) {
		run->evdropped++;
		log_warnx("%s: run %s: event line refused: %s", run->rc->name,
		    run->id, ig.err);
		return;
	}
	if (strncmp(ig.type, "stage_", 6) == 0) {
		if (sampler_stage_event(run, &ig, &seq, err, sizeof(err)) != 0) {
			run->evdropped++;
			log_warnx("%s: run %s: stage event refused: %s",
			    run->rc->name, run->id, err);
		} else
			run->evlines++;
		return;
	}
	run->evlines++;
	ingest_meta(&ig, &m);
	m.instance_id = run->rc->instance_id;
	m.runner_id = run->rc->name;
	m.run_id = run->id;
	if (strcmp(ig.type, "termination") == 0) {
		jw_init(&w, run->termination, sizeof(run->termination), -1);
		ingest_data(&w, &ig);
		run->termination_len = w.err ? 0 : w.len;
		if (w.err)
			log_warnx("%s: run %s: termination report over %d "
			    "bytes not kept", run->rc->name, run->id,
			    RUN_TERMINATION_MAX);
	}
	events_emit(&m, ingest_data, &ig);
}

static void
run_warn_data(struct jw *w, const void *arg)
{
	const struct logfile	*lf = arg;

	jw_obj_begin(w, NULL);
	jw_str(w, "warning", "log_file_stopped");
	jw_str(w, "path", lf->path);
	jw_str(w, "reason", lf->why ? lf->why : "");
	if (lf->err != 0)
		jw_str(w, "error", strerror(lf->err));
	jw_uint(w, "stored_bytes", lf->size);
	jw_obj_end(w);
}

/* Once per file: its bytes are now dropped, which an operator must see. */
static void
run_warn_stopped(struct run *run, const struct logfile *lf, int *warned)
{
	struct ev_meta	m = { "collector_warning", "collector",
	    run->rc->instance_id, run->rc->name, run->id };

	*warned = 1;
	events_emit(&m, run_warn_data, lf);
}

/* The last tail_bytes of the run's stored stderr, for an adopted run. */
void
run_tail_from_file(struct run *run)
{
	struct stat	st;
	size_t		got;

	if (stat(run->log_err.path, &st) == -1)
		return;
	run->log_err.size = run->bytes_err = (uint64_t)st.st_size;
	got = run_tail_load(run);
	diag_feed(&run->diag, run_tailbuf, got, timefmt_now_us());
}

/*
 * The process is gone: whatever it wrote before it died is in the pipes
 * now.  Take it, but only up to a bound (a grandchild that inherited the
 * pipe may keep writing, and it must not hold the report back), close the
 * pipes, make the tail whole and match the part of it the budget skipped.
 */
void
run_drain(struct run *run)
{
	size_t	got;
	ssize_t	n;

	for (got = 0; run->fd_err != -1 && got < RUN_DRAIN_MAX; got += n) {
		if ((n = run_read(run, &run->fd_err, &run->ev_err)) <= 0)
			break;
		run_ingest_err(run, (size_t)n);
	}
	for (got = 0; run->fd_out != -1 && got < RUN_DRAIN_MAX; got += n) {
		if ((n = run_read(run, &run->fd_out, &run->ev_out)) <= 0)
			break;
		logfile_write(&run->log_out, run_readbuf, (size_t)n);
		run->bytes_out += (uint64_t)n;
	}
	for (got = 0; run->fd_ev != -1 && got < RUN_DRAIN_MAX; got += n) {
		if ((n = run_read(run, &run->fd_ev, &run->ev_ev)) <= 0)
			break;
		run_event_bytes(run, run_readbuf, (size_t)n);
	}
	run_close_fd(&run->fd_err, &run->ev_err);
	run_close_fd(&run->fd_out, &run->ev_out);
	run_close_fd(&run->fd_ev, &run->ev_ev);

	run->ended_us = timefmt_now_us();
	if (run->tail_lazy) {
		(void)run_tail_load(run);
		run->tail_lazy = 0;
	}
	if (run->tail_lazy) {
		(void)run_tail_load(run);
		run->tail_lazy = 0;
	}
	run_match_tail(run);
}
