/*
 * api_runs.c -- the local API's run endpoints: /v1/runs, /v1/runs/<id>
 * and /v1/runs/<id>/log, for runs in the pool and runs in the history.
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api_int.h"
#include "history.h"
#include "json.h"
#include "logstore.h"
#include "query.h"
#include "report.h"
#include "run.h"
#include "timefmt.h"

#define API_RUNS_LIMIT	1000	/* runs listed unless ?limit= says */
#define API_RUNS_ROOM	64	/* the list's end after its last run */
#define API_LOG_TAIL	(64 * 1024) /* ?tail=N of a stored log reads this */

static const char *api_run_state(const struct run *);
static void	api_run_json(struct jw *, const struct run *);
static void	api_hist_json(struct jw *, const struct hist_entry *);
static int	api_runs_put(struct jw *, const struct run *,
		    const struct hist_entry *, uint64_t, uint64_t *);
static struct evbuffer *api_body_new(struct evhttp_request *, int);
static int	api_body_file(struct evbuffer *, int, off_t);
static void	api_body_tail(struct evbuffer *, const char *, size_t,
		    uint64_t);
static void	api_body_send(struct evhttp_request *, struct evbuffer *,
		    const char *);
static void	api_run_log(struct evhttp_request *, struct run *,
		    const struct query *);
static int	api_tail_param(struct evhttp_request *, const struct query *,
		    uint64_t *);
static size_t	api_last_lines(const char *, size_t, uint64_t);
static int	api_hist_open(struct evhttp_request *,
		    const struct hist_entry *, const char *, struct stat *,
		    struct evbuffer **);
static void	api_hist_report(struct evhttp_request *,
		    const struct hist_entry *);
static void	api_hist_log(struct evhttp_request *,
		    const struct hist_entry *, const struct query *);

/* The "state" of a run in the pool, as listed and as ?state= filters. */
static const char *
api_run_state(const struct run *run)
{
	return run->phase == RUN_LIVE ? "live" :
	    run->ei.abnormal ? "failed" : "exited";
}

static void
api_run_json(struct jw *w, const struct run *run)
{
	char	ts[TIMEFMT_MAX];

	jw_obj_begin(w, NULL);
	jw_str(w, "run_id", run->id);
	jw_str(w, "instance_id", run->rc->instance_id);
	jw_str(w, "runner_id", run->rc->name);
	jw_int(w, "pid", run->pid);
	jw_str(w, "state", api_run_state(run));
	timefmt_rfc3339(ts, sizeof(ts), run->started_us);
	jw_str(w, "started_at", ts);
	if (run->phase == RUN_LIVE) {
		jw_null(w, "ended_at");
		jw_null(w, "cause");
	} else {
		timefmt_rfc3339(ts, sizeof(ts), run->ended_us);
		jw_str(w, "ended_at", ts);
		jw_str(w, "cause", run->ei.cause);
	}
	jw_uint(w, "stderr_bytes", run->bytes_err);
	if (run->report_written)
		jw_str(w, "report_path", run->report_path);
	else
		jw_null(w, "report_path");
	jw_obj_end(w);
}

/* A past run from the history: the fields of api_run_json(). */
static void
api_hist_json(struct jw *w, const struct hist_entry *e)
{
	char	ts[TIMEFMT_MAX], path[PATH_MAX];

	jw_obj_begin(w, NULL);
	jw_str(w, "run_id", e->run_id);
	jw_str(w, "instance_id", e->instance_id);
	jw_str(w, "runner_id", e->runner_id);
	jw_int(w, "pid", e->pid);
	/* Only abnormal ends leave a death report, so only these are here. */
	jw_str(w, "state", "failed");
	timefmt_rfc3339(ts, sizeof(ts), e->started_us);
	jw_str(w, "started_at", ts);
	timefmt_rfc3339(ts, sizeof(ts), e->ended_us);
	jw_str(w, "ended_at", ts);
	jw_str(w, "cause", e->cause);
	jw_uint(w, "stderr_bytes", e->stderr_bytes);
	if (history_path(e, logstore_suffix(LS_REPORT), path,
	    sizeof(path)) == 0)
		jw_str(w, "report_path", path);
	else
		jw_null(w, "report_path");
	jw_obj_end(w);
}

/*
 * One run of a listing (run or e) and 1, counted in *n; or nothing and 0
 * when *n is at the limit or the run does not fit: the writer is put back
 * as it was, so the list ends cleanly before it.
 */
static int
api_runs_put(struct jw *w, const struct run *run, const struct hist_entry *e,
    uint64_t limit, uint64_t *n)
{
	struct jw	saved = *w;

	if (*n == limit)
		return 0;
	if (run != NULL)
		api_run_json(w, run);
	else
		api_hist_json(w, e);
	if (w->err) {
		*w = saved;
		return 0;
	}
	(*n)++;
	return 1;
}

/*
 * The runs in the pool (live and retained), then the history's runs that
 * are not in the pool, newest first.  At most ?limit= runs, and no more
 * than the answer buffer holds: "truncated" says whether some were left.
 */
void
api_runs(struct evhttp_request *req, const struct query *q)
{
	const char		*runner = query_get(q, "runner");
	const char		*state = query_get(q, "state");
	const char		*lim = query_get(q, "limit");
	const struct hist_entry	*e;
	struct run		*run;
	struct jw		 w;
	uint64_t		 limit = API_RUNS_LIMIT, n = 0;
	size_t			 i;
	int			 truncated = 0;

	if (state != NULL && strcmp(state, "live") != 0 &&
	    strcmp(state, "exited") != 0 && strcmp(state, "failed") != 0) {
		api_error(req, 400, "INVALID_PARAMS", 0, "state must be live, "
		    "exited or failed, got '%.64s'", state);
		return;
	}
	if (lim != NULL && (query_u64(lim, &limit) == -1 || limit == 0)) {
		api_error(req, 400, "INVALID_PARAMS", 0, "limit must be a "
		    "positive integer, got '%.64s'", lim);
		return;
	}
	/* Room for the list's end is kept back until the last run. */
	jw_init(&w, api_out, sizeof(api_out) - API_RUNS_ROOM, -1);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "runs");
	for (i = 0; i < run_slots() && !truncated; i++) {
		if ((run = run_slot_at(i)) == NULL)
			continue;
		if (runner != NULL && strcmp(runner, run->rc->name) != 0)
			continue;
		if (state != NULL && strcmp(state, api_run_state(run)) != 0)
			continue;
		if (!api_runs_put(&w, run, NULL, limit, &n))
			truncated = 1;
	}
	if (state != NULL && strcmp(state, "failed") != 0)
		i = history_count();	/* the history holds failed runs only */
	else
		i = 0;
	for (; i < history_count() && !truncated; i++) {
		e = history_at(i);
		if (runner != NULL && strcmp(runner, e->runner_id) != 0)
			continue;
		if (run_by_id(e->run_id) != NULL)
			continue;	/* listed above, from the pool */
		if (!api_runs_put(&w, NULL, e, limit, &n))
			truncated = 1;
	}
	w.cap = sizeof(api_out);
	jw_arr_end(&w);
	jw_bool(&w, "truncated", truncated);
	jw_obj_end(&w);
	api_reply(req, 200, &w);
}

/* 200 with the answer, or 500 when it did not fit the answer buffer. */
static void
api_reply_whole(struct evhttp_request *req, struct jw *w)
{
	if (w->err)
		api_error(req, 500, "INTERNAL_ERROR", 1, "answer larger than "
		    "the answer buffer");
	else
		api_reply(req, 200, w);
}

/* GET /v1/runs/{id}/stages and /telemetry?from_seq=&stage_name=&limit= */
static void
api_run_metrics(struct evhttp_request *req, const struct run *run,
    const char *what, const struct query *q)
{
	const char	*stage = query_get(q, "stage_name"), *v;
	uint64_t	 from, limit = 0;
	struct jw	 w;

	jw_init(&w, api_out, sizeof(api_out), -1);
	if (strcmp(what, "stages") == 0)
		sampler_stages_json(&w, run);
	else {
		if (api_seq_param(req, q, "from_seq", &from) == -1)
			return;
		if ((v = query_get(q, "limit")) != NULL &&
		    (query_u64(v, &limit) == -1 || limit == 0)) {
			api_error(req, 400, "INVALID_PARAMS", 0, "limit must be "
			    "a positive integer, got '%.64s'", v);
			return;
		}
		sampler_telemetry_json(&w, run, from, stage, (size_t)limit);
	}
	api_reply_whole(req, &w);
}

/* GET /v1/host?n=: the host's latest sample and its last n (60). */
void
api_host(struct evhttp_request *req, const struct query *q)
{
	const char	*v;
	uint64_t	 n = 60;
	struct jw	 w;

	if ((v = query_get(q, "n")) != NULL && (query_u64(v, &n) == -1 ||
	    n > 10000)) {
		api_error(req, 400, "INVALID_PARAMS", 0, "n must be an integer "
		    "from 0 to 10000, got '%.64s'", v);
		return;
	}
	jw_init(&w, api_out, sizeof(api_out), -1);
	sampler_host_json(&w, (size_t)n);
	api_reply_whole(req, &w);
}

void
api_run(struct evhttp_request *req, const char *id, const char *what,
    const struct query *q)
{
	const struct hist_entry	*e = NULL;
	struct run		*run;
	const char		*why;
	struct jw		 w;

	if ((why = id_check(id, RUN_ID_MAX)) != NULL) {
		api_error(req, 400, "INVALID_PARAMS", 0, "run id '%.100s' %s",
		    id, why);
		return;
	}
	if ((run = run_by_id(id)) == NULL && (e = history_find(id)) == NULL) {
		api_error(req, 404, "NOT_FOUND", 0, "no run '%s' (unknown, or "
		    "evicted from the %zu retained runs and the run history)",
		    id, run_slots());
		return;
	}
	if (what[0] == '\0') {
		if (run == NULL) {
			api_hist_report(req, e);
			return;
		}
		jw_init(&w, api_out, sizeof(api_out), -1);
		if (run->phase == RUN_LIVE)
			api_run_json(&w, run);
		else
			report_json(&w, run, run->report_written &&
			    run->digest.hex[0] != '\0');
		if (w.err) {
			api_error(req, 500, "INTERNAL_ERROR", 1, "report is "
			    "larger than the answer buffer");
			return;
		}
		api_reply(req, 200, &w);
	} else if (strcmp(what, "log") == 0) {
		if (run != NULL)
			api_run_log(req, run, q);
		else
			api_hist_log(req, e, q);
	} else if (strcmp(what, "stages") == 0 ||
	    strcmp(what, "telemetry") == 0) {
		if (run == NULL) {
			api_error(req, 404, "NOT_FOUND", 0, "run '%s' is from "
			    "before crashtrail's restart: its %s are in its "
			    "death report only", id, what);
			return;
		}
		api_run_metrics(req, run, what, q);
	} else
		api_error(req, 404, "NOT_FOUND", 0, "no such endpoint");
}

/*
 * The body of a 200 answer, or NULL after answering 500; fd (-1: none)
 * is closed then, as the body would have closed it.
 */
static struct evbuffer *
api_body_new(struct evhttp_request *req, int fd)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL) {
		if (fd != -1)
			close(fd);
		api_error(req, 500, "INTERNAL_ERROR", 1, "out of memory");
	}
	return b;
}

/*
 * Hand fd's first len bytes (-1: all) to b, which then owns fd; -1 when
 * it would not take them, fd closed.
 */
static int
api_body_file(struct evbuffer *b, int fd, off_t len)
{
	if (evbuffer_add_file(b, fd, 0, len) == -1) {
		close(fd);
		return -1;
	}
	return 0;
}

/* The last n lines of buf (copied) into b. */
static void
api_body_tail(struct evbuffer *b, const char *buf, size_t len, uint64_t n)
{
	size_t	i = api_last_lines(buf, len, n);

	evbuffer_add(b, buf + i, len - i);
}

/* Answer 200 with b as the body of `type` (NULL: set already); frees b. */
static void
api_body_send(struct evhttp_request *req, struct evbuffer *b,
    const char *type)
{
	if (type != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", type);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* ?tail=N: 0 and *n (0 when absent), or -1 after answering 400. */
static int
api_tail_param(struct evhttp_request *req, const struct query *q,
    uint64_t *n)
{
	const char	*v = query_get(q, "tail");

	*n = 0;
	if (v != NULL && (query_u64(v, n) == -1 || *n == 0)) {
		api_error(req, 400, "INVALID_PARAMS", 0, "tail must be a "
		    "positive integer, got '%.64s'", v);
		return -1;
	}
	return 0;
}

/* Where the last n lines of buf start; a final line needs no newline. */
static size_t
api_last_lines(const char *buf, size_t len, uint64_t n)
{
	uint64_t	lines = 0;
	size_t		i;

	for (i = len; i > 0; i--) {
		if (buf[i - 1] == '\n' && i != len && ++lines == n)
			break;
	}
	return i;
}

/* ?tail=N: the last N lines of the in-memory tail; else the stored file. */
static void
api_run_log(struct evhttp_request *req, struct run *run,
    const struct query *q)
{
	struct evbuffer	*b;
	uint64_t	 n;
	size_t		 len;
	int		 fd;

	if (api_tail_param(req, q, &n) == -1 ||
	    (b = api_body_new(req, -1)) == NULL)
		return;
	if (n > 0) {
		len = tail_copy(run_tail(run), api_out, sizeof(api_out));
		api_body_tail(b, api_out, len, n);
	} else {
		if (run->log_err.path[0] == '\0' ||
		    (fd = open(run->log_err.path, O_RDONLY | O_CLOEXEC)) == -1) {
			evbuffer_free(b);
			api_error(req, 404, "NOT_FOUND", 0, "the log file of "
			    "run %s is gone (pruned?)", run->id);
			return;
		}
		(void)api_body_file(b, fd, -1);
	}
	/* Only now: a 404 above carries api_error()'s JSON type alone. */
	api_body_send(req, b, "application/octet-stream");
}

/*
 * Open one of a past run's files and make the body of its answer in *bp;
 * the fd, or -1 after answering: 404 when the file is gone (the quota
 * pruned it, or someone removed it).
 */
static int
api_hist_open(struct evhttp_request *req, const struct hist_entry *e,
    const char *suffix, struct stat *st, struct evbuffer **bp)
{
	char	path[PATH_MAX];
	int	fd;

	if (history_path(e, suffix, path, sizeof(path)) == -1) {
		api_error(req, 500, "INTERNAL_ERROR", 0, "the files of run %s "
		    "have too long a path", e->run_id);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			api_error(req, 404, "NOT_FOUND", 0, "run %s is in the "
			    "history, but its files were pruned (%s is gone)",
			    e->run_id, path);
		else
			api_error(req, 500, "INTERNAL_ERROR", 1, "open %s: %s",
			    path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		api_error(req, 500, "INTERNAL_ERROR", 0, "%s is not a plain "
		    "file", path);
		return -1;
	}
	if ((*bp = api_body_new(req, fd)) == NULL)
		return -1;
	return fd;
}

/* A past run's death report: the file as it was written. */
static void
api_hist_report(struct evhttp_request *req, const struct hist_entry *e)
{
	struct evbuffer	*b;
	struct stat	 st;
	int		 fd;

	if ((fd = api_hist_open(req, e, logstore_suffix(LS_REPORT), &st,
	    &b)) == -1)
		return;
	if (api_body_file(b, fd, st.st_size) == -1) {
		evbuffer_free(b);
		api_error(req, 500, "INTERNAL_ERROR", 1, "cannot send the "
		    "report of run %s", e->run_id);
		return;
	}
	api_body_send(req, b, "application/json");
}

/*
 * A past run's stored stderr; ?tail=N: its last N lines, from the last
 * API_LOG_TAIL bytes of the file (fewer lines when they are longer).
 */
static void
api_hist_log(struct evhttp_request *req, const struct hist_entry *e,
    const struct query *q)
{
	struct evbuffer	*b;
	struct stat	 st;
	uint64_t	 n;
	off_t		 off;
	ssize_t		 r;
	size_t		 len, i = 0;
	int		 fd;

	if (api_tail_param(req, q, &n) == -1 ||
	    (fd = api_hist_open(req, e, logstore_suffix(LS_STDERR), &st,
	    &b)) == -1)
		return;
	if (n == 0)
		(void)api_body_file(b, fd, st.st_size);
	else {
		off = st.st_size > API_LOG_TAIL ? st.st_size - API_LOG_TAIL : 0;
		r = pread(fd, api_out, API_LOG_TAIL, off);
		close(fd);
		len = r > 0 ? (size_t)r : 0;
		/* Cut into the file: its first line is only part of one. */
		if (off > 0) {
			while (i < len && api_out[i] != '\n')
				i++;
			i = i < len ? i + 1 : 0;
		}
		api_body_tail(b, api_out + i, len - i, n);
	}
	api_body_send(req, b, "application/octet-stream");
}
