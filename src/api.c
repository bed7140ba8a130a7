/*
 * api.c -- evhttp handlers of the local API.
 * SPDX-License-Identifier: ISC
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "api.h"
#include "config.h"
#include "events.h"
#include "ingest.h"
#include "json.h"
#include "log.h"
#include "logstore.h"
#include "metrics.h"
#include "platform.h"
#include "query.h"
#include "report.h"
#include "run.h"
#include "runner.h"
#include "sse.h"
#include "timefmt.h"
#include "version.h"

#define API_HEADERS_MAX	8192
#define API_EVENTS_LIMIT 1000

/* One listener: the Unix socket or the TCP one (which may need a token). */
struct api_listener {
	struct evhttp	*http;
	int		 tcp;
};

static struct event_base	*api_base;
static const struct config	*api_cf;
static struct logstore		*api_store;
static struct api_listener	 api_unix, api_tcp;
static int64_t			 api_started_us;
static char			 api_out[1024 * 1024];	/* one JSON answer */
static struct ingest		 api_ingest;

static void	api_on_request(struct evhttp_request *, void *);
static void	api_reply(struct evhttp_request *, int, struct jw *);
static void	api_error(struct evhttp_request *, int, const char *, int,
		    const char *, ...) __attribute__((format(printf, 5, 6)));
static int	api_method(struct evhttp_request *, int);
static int	api_segment(const char **, char *, size_t);
static void	api_status(struct evhttp_request *);
static void	api_runners(struct evhttp_request *);
static void	api_runner_action(struct evhttp_request *, const char *,
		    const char *);
static void	api_runs(struct evhttp_request *, const struct query *);
static void	api_run(struct evhttp_request *, const char *, const char *,
		    const struct query *);
static void	api_run_log(struct evhttp_request *, struct run *,
		    const struct query *);
static void	api_events(struct evhttp_request *, const struct query *);
static void	api_stream(struct evhttp_request *, const struct query *);
static void	api_ingest_post(struct evhttp_request *);
static void	api_metrics(struct evhttp_request *);
static void	api_runner_json(struct jw *, const struct runner *);
static void	api_run_json(struct jw *, const struct run *);
static int	api_seq_param(struct evhttp_request *, const struct query *,
		    const char *, uint64_t *);
static int	api_listen_unix(const char *);
static int	api_listen_tcp(const char *);
static int	api_authorized(struct evhttp_request *);

static void
api_reply(struct evhttp_request *req, int status, struct jw *w)
{
	struct evbuffer	*b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add(b, w->buf, w->len);
	evbuffer_add(b, "\n", 1);
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", b);
	evbuffer_free(b);
}

static void
api_error(struct evhttp_request *req, int status, const char *code,
    int retryable, const char *fmt, ...)
{
	struct jw	w;
	char		msg[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "code", code);
	jw_str(&w, "message", msg);
	jw_bool(&w, "retryable", retryable);
	jw_obj_end(&w);
	api_reply(req, status, &w);
}

/* The request's method is `allowed`, or a 405 has been sent. */
static int
api_method(struct evhttp_request *req, int allowed)
{
	if ((int)evhttp_request_get_command(req) & allowed)
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allowed == EVHTTP_REQ_POST ? "POST" : "GET");
	api_error(req, 405, "METHOD_NOT_ALLOWED", 0, "%s is not allowed here",
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" :
	    "this method");
	return 0;
}

/*
 * Take the next /-separated segment of the raw path, %-decoded.  Returns
 * 1 with the segment, 0 at the end, -1 on bad encoding or length.
 */
static int
api_segment(const char **pathp, char *out, size_t cap)
{
	const char	*p = *pathp, *end;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return 0;
	end = strchr(p, '/');
	if (end == NULL)
		end = p + strlen(p);
	*pathp = end;
	return query_decode(p, (size_t)(end - p), out, cap) == -1 ? -1 : 1;
}

/* The Bearer token, on TCP only: the Unix socket relies on its mode. */
static int
api_authorized(struct evhttp_request *req)
{
	const char	*h;
	size_t		 n;

	if (api_cf->api_token[0] == '\0')
		return 1;
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	n = strlen(api_cf->api_token);
	return h != NULL && strncmp(h, "Bearer ", 7) == 0 &&
	    strlen(h + 7) == n && memcmp(h + 7, api_cf->api_token, n) == 0;
}

static void
api_on_request(struct evhttp_request *req, void *arg)
{
	const struct api_listener	*l = arg;
	const struct evhttp_uri		*uri = evhttp_request_get_evhttp_uri(req);
	const char			*path, *err, *p;
	struct query			 q;
	char				 s1[RUN_ID_MAX + 8], s2[RUN_ID_MAX + 8];
	char				 s3[64], s4[64];
	int				 r;

	if (l->tcp && !api_authorized(req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		api_error(req, 401, "UNAUTHORIZED", 0, "a valid bearer token "
		    "is required");
		return;
	}
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || *path != '/') {
		api_error(req, 400, "INVALID_PARAMS", 0, "bad request path");
		return;
	}
	if (query_parse(&q, evhttp_uri_get_query(uri), &err) == -1) {
		api_error(req, 400, "INVALID_PARAMS", 0, "%s", err);
		return;
	}
	p = path;
	s1[0] = s2[0] = s3[0] = s4[0] = '\0';
	if ((r = api_segment(&p, s1, sizeof(s1))) == 1 &&
	    (r = api_segment(&p, s2, sizeof(s2))) == 1 &&
	    (r = api_segment(&p, s3, sizeof(s3))) == 1 &&
	    (r = api_segment(&p, s4, sizeof(s4))) == 1 &&
	    (r = api_segment(&p, s4, sizeof(s4))) == 1)
		r = 2;		/* too many segments */
	if (r == -1 || r == 2) {
		api_error(req, r == 2 ? 404 : 400, r == 2 ? "NOT_FOUND" :
		    "INVALID_PARAMS", 0, "%s", r == 2 ? "no such endpoint" :
		    "bad %-encoding or segment too long in the path");
		return;
	}
	if (strcmp(s1, "metrics") == 0 && s2[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_metrics(req);
	} else if (strcmp(s1, "telemetry") == 0 &&
	    strcmp(s2, "events") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_POST))
			api_ingest_post(req);
	} else if (strcmp(s1, "telemetry") == 0 &&
	    strcmp(s2, "stream") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_stream(req, &q);
	} else if (strcmp(s1, "v1") != 0)
		api_error(req, 404, "NOT_FOUND", 0, "no such endpoint");
	else if (strcmp(s2, "status") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_status(req);
	} else if (strcmp(s2, "runners") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_runners(req);
	} else if (strcmp(s2, "runners") == 0 && s4[0] != '\0') {
		if (api_method(req, EVHTTP_REQ_POST))
			api_runner_action(req, s3, s4);
	} else if (strcmp(s2, "runs") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_runs(req, &q);
	} else if (strcmp(s2, "runs") == 0) {
		if (api_method(req, EVHTTP_REQ_GET))
			api_run(req, s3, s4, &q);
	} else if (strcmp(s2, "events") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_events(req, &q);
	} else
		api_error(req, 404, "NOT_FOUND", 0, "no such endpoint");
}

static void
api_status(struct evhttp_request *req)
{
	struct jw	w;
	size_t		i, live = 0, kept = 0;
	uint64_t	dropped = 0;
	struct run	*run;

	for (i = 0; i < run_slots(); i++) {
		if ((run = run_slot_at(i)) == NULL)
			continue;
		if (run->phase == RUN_LIVE)
			live++;
		kept++;
	}
	for (i = 0; i < runners_count(); i++)
		dropped += runner_at(i)->log_dropped;
	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "version", CRASHTRAIL_VERSION);
	jw_str(&w, "platform", platform_name());
	jw_int(&w, "pid", getpid());
	jw_int(&w, "uptime_s", (timefmt_now_us() - api_started_us) / 1000000);
	jw_uint(&w, "runners", runners_count());
	jw_obj_begin(&w, "runs");
	jw_uint(&w, "live", live);
	jw_uint(&w, "retained", kept);
	jw_uint(&w, "slots", run_slots());
	jw_obj_end(&w);
	jw_obj_begin(&w, "events");
	jw_uint(&w, "latest_seq", events_latest());
	jw_uint(&w, "oldest_seq", events_oldest());
	jw_uint(&w, "evicted", events_evicted());
	jw_uint(&w, "truncated", events_truncated());
	jw_obj_end(&w);
	jw_obj_begin(&w, "sse");
	jw_uint(&w, "clients", sse_nclients());
	jw_uint(&w, "cut", sse_ncut());
	jw_uint(&w, "gaps", sse_ngaps());
	jw_obj_end(&w);
	jw_obj_begin(&w, "logs");
	jw_str(&w, "root", api_store->root);
	jw_uint(&w, "bytes", api_store->total);
	jw_uint(&w, "quota", api_store->quota);
	jw_uint(&w, "pruned_runs", api_store->pruned_groups);
	jw_uint(&w, "pruned_bytes", api_store->pruned_bytes);
	jw_uint(&w, "dropped_bytes", dropped);
	jw_obj_end(&w);
	/* Watchers that later parts of the collector add say so here. */
	jw_obj_begin(&w, "watchers");
	metrics_watchers_json(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);
	api_reply(req, 200, &w);
}

static void
api_runner_json(struct jw *w, const struct runner *r)
{
	char	ts[TIMEFMT_MAX];

	jw_obj_begin(w, NULL);
	jw_str(w, "runner_id", r->rc->name);
	jw_str(w, "instance_id", r->rc->instance_id);
	jw_str(w, "state", runner_strstate(r->state));
	if (r->run != NULL) {
		jw_int(w, "pid", r->run->pid);
		jw_str(w, "run_id", r->run->id);
		jw_int(w, "uptime_s", (timefmt_now_us() - r->run->started_us) /
		    1000000);
	} else {
		jw_null(w, "pid");
		jw_null(w, "run_id");
		jw_null(w, "uptime_s");
	}
	jw_uint(w, "starts", r->starts);
	jw_uint(w, "restarts", r->starts > 0 ? r->starts - 1 : 0);
	jw_uint(w, "abnormal_ends", r->abnormal_ends);
	jw_uint(w, "clean_ends", r->clean_ends);
	if (r->last_end_us != 0) {
		jw_obj_begin(w, "last_end");
		jw_str(w, "run_id", r->last_run_id);
		jw_str(w, "cause", r->last_cause);
		jw_bool(w, "abnormal", r->last_abnormal);
		timefmt_rfc3339(ts, sizeof(ts), r->last_end_us);
		jw_str(w, "ended_at", ts);
		jw_obj_end(w);
	} else
		jw_null(w, "last_end");
	jw_obj_end(w);
}

static void
api_runners(struct evhttp_request *req)
{
	struct jw	w;
	size_t		i;

	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "runners");
	for (i = 0; i < runners_count(); i++)
		api_runner_json(&w, runner_at(i));
	jw_arr_end(&w);
	jw_obj_end(&w);
	api_reply(req, 200, &w);
}

static void
api_runner_action(struct evhttp_request *req, const char *name,
    const char *action)
{
	struct runner	*r;
	const char	*why;
	struct jw	 w;

	if ((why = id_check(name, ID_MAX)) != NULL) {
		api_error(req, 400, "INVALID_PARAMS", 0, "runner '%.80s' %s",
		    name, why);
		return;
	}
	if ((r = runner_by_name(name)) == NULL) {
		api_error(req, 404, "NOT_FOUND", 0, "no runner '%s'", name);
		return;
	}
	if (strcmp(action, "start") == 0)
		(void)runner_start(r);
	else if (strcmp(action, "stop") == 0)
		runner_stop(r);
	else if (strcmp(action, "restart") == 0)
		(void)runner_restart(r);
	else {
		api_error(req, 404, "NOT_FOUND", 0, "no action '%.40s' (start, "
		    "stop or restart)", action);
		return;
	}
	jw_init(&w, api_out, sizeof(api_out), -1);
	api_runner_json(&w, r);
	api_reply(req, 200, &w);
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
	jw_str(w, "state", run->phase == RUN_LIVE ? "live" :
	    run->ei.abnormal ? "failed" : "exited");
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

static void
api_runs(struct evhttp_request *req, const struct query *q)
{
	const char	*runner = query_get(q, "runner");
	const char	*state = query_get(q, "state");
	struct run	*run;
	struct jw	 w;
	size_t		 i;

	if (state != NULL && strcmp(state, "live") != 0 &&
	    strcmp(state, "exited") != 0 && strcmp(state, "failed") != 0) {
		api_error(req, 400, "INVALID_PARAMS", 0, "state must be live, "
		    "exited or failed, got '%.64s'", state);
		return;
	}
	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "runs");
	for (i = 0; i < run_slots(); i++) {
		if ((run = run_slot_at(i)) == NULL)
			continue;
		if (runner != NULL && strcmp(runner, run->rc->name) != 0)
			continue;
		if (state != NULL && strcmp(state, run->phase == RUN_LIVE ?
		    "live" : run->ei.abnormal ? "failed" : "exited") != 0)
			continue;
		api_run_json(&w, run);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	api_reply(req, 200, &w);
}

static void
api_run(struct evhttp_request *req, const char *id, const char *what,
    const struct query *q)
{
	struct run	*run;
	const char	*why;
	struct jw	 w;

	if ((why = id_check(id, RUN_ID_MAX)) != NULL) {
		api_error(req, 400, "INVALID_PARAMS", 0, "run id '%.100s' %s",
		    id, why);
		return;
	}
	if ((run = run_by_id(id)) == NULL) {
		api_error(req, 404, "NOT_FOUND", 0, "no run '%s' (unknown, or "
		    "evicted from the %zu retained runs)", id, run_slots());
		return;
	}
	if (what[0] == '\0') {
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
	} else if (strcmp(what, "log") == 0)
		api_run_log(req, run, q);
	else if (strcmp(what, "stages") == 0 || strcmp(what, "telemetry") == 0)
		api_error(req, 404, "NOT_FOUND", 0, "%s are not recorded by "
		    "this version (they come with the metrics work)", what);
	else
		api_error(req, 404, "NOT_FOUND", 0, "no such endpoint");
}

/* ?tail=N: the last N lines of the in-memory tail; else the stored file. */
static void
api_run_log(struct evhttp_request *req, struct run *run,
    const struct query *q)
{
	const char	*v = query_get(q, "tail");
	struct evbuffer	*b;
	uint64_t	 n;
	size_t		 len, i, lines = 0;
	int		 fd;

	if (v != NULL && (query_u64(v, &n) == -1 || n == 0)) {
		api_error(req, 400, "INVALID_PARAMS", 0, "tail must be a "
		    "positive integer, got '%.64s'", v);
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		api_error(req, 500, "INTERNAL_ERROR", 1, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/octet-stream");
	if (v != NULL) {
		len = tail_copy(&run->tail, api_out, sizeof(api_out));
		/* Keep the last n lines of the window. */
		for (i = len; i > 0; i--) {
			if (api_out[i - 1] == '\n' && i != len &&
			    ++lines == n)
				break;
		}
		evbuffer_add(b, api_out + i, len - i);
	} else {
		if (run->log_err.path[0] == '\0' ||
		    (fd = open(run->log_err.path, O_RDONLY | O_CLOEXEC)) == -1) {
			evbuffer_free(b);
			api_error(req, 404, "NOT_FOUND", 0, "the log file of "
			    "run %s is gone (pruned?)", run->id);
			return;
		}
		if (evbuffer_add_file(b, fd, 0, -1) == -1)
			close(fd);
	}
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* A seq parameter: strict decimal; 0 when absent. */
static int
api_seq_param(struct evhttp_request *req, const struct query *q,
    const char *name, uint64_t *out)
{
	const char	*v = query_get(q, name);

	*out = 0;
	if (v == NULL)
		return 0;
	if (query_u64(v, out) == -1) {
		api_error(req, 400, "INVALID_PARAMS", 0, "%s must be a "
		    "non-negative integer, got '%.64s'", name, v);
		return -1;
	}
	return 0;
}

static void
api_events(struct evhttp_request *req, const struct query *q)
{
	const char	*type = query_get(q, "type");
	struct ev_view	 v;
	struct jw	 w;
	uint64_t	 from, limit = 100, seq, next, oldest, latest;
	size_t		 n = 0;

	if (api_seq_param(req, q, "from_seq", &from) == -1 ||
	    api_seq_param(req, q, "limit", &limit) == -1)
		return;
	if (query_get(q, "limit") == NULL)
		limit = 100;
	if (limit == 0 || limit > API_EVENTS_LIMIT) {
		api_error(req, 400, "INVALID_PARAMS", 0, "limit must be from 1 "
		    "to %d, got '%.64s'", API_EVENTS_LIMIT,
		    query_get(q, "limit"));
		return;
	}
	oldest = events_oldest();
	latest = events_latest();
	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "events");
	seq = from + 1 < oldest ? oldest : from + 1;
	next = from;
	for (; seq <= latest && n < limit && seq != 0; seq++) {
		if (events_get(seq, &v) == -1)
			continue;
		next = seq;
		if (type != NULL && strcmp(type, v.type) != 0)
			continue;
		/* Stop before an answer that would not fit. */
		if (w.len + v.n1 + v.n2 + 64 > sizeof(api_out))
			break;
		/* A stored envelope may wrap around the ring: two pieces. */
		jw_raw(&w, NULL, v.p1, v.n1);
		jw_raw(&w, JW_CONTINUE, v.p2, v.n2);
		n++;
	}
	jw_arr_end(&w);
	jw_uint(&w, "next_seq", next);
	jw_uint(&w, "oldest_seq", oldest);
	jw_uint(&w, "latest_seq", latest);
	jw_uint(&w, "dropped", oldest > from + 1 ? oldest - from - 1 : 0);
	jw_obj_end(&w);
	api_reply(req, 200, &w);
}

/*
 * Where a stream starts: Last-Event-ID N (or ?from_seq=N) resumes after
 * N; ?replay=all starts at the oldest event kept; otherwise from now.
 */
static void
api_stream(struct evhttp_request *req, const struct query *q)
{
	const char	*last, *replay = query_get(q, "replay");
	const char	*type = query_get(q, "type");
	uint64_t	 after = 0, next;

	last = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Last-Event-ID");
	if (last != NULL && query_u64(last, &after) == -1) {
		api_error(req, 400, "INVALID_PARAMS", 0, "Last-Event-ID must be "
		    "a non-negative integer, got '%.64s'", last);
		return;
	}
	if (last == NULL && api_seq_param(req, q, "from_seq", &after) == -1)
		return;
	if (replay != NULL && strcmp(replay, "all") != 0) {
		api_error(req, 400, "INVALID_PARAMS", 0, "replay must be 'all', "
		    "got '%.64s'", replay);
		return;
	}
	if (type != NULL && (type[0] == '\0' ||
	    strlen(type) > EVENT_TYPE_MAX)) {
		api_error(req, 400, "INVALID_PARAMS", 0, "bad type filter");
		return;
	}
	if (replay != NULL)
		next = events_oldest() ? events_oldest() : 1;
	else if (last != NULL || query_get(q, "from_seq") != NULL)
		next = after + 1;
	else
		next = events_latest() + 1;
	if (sse_attach(req, next, type) == -1)
		api_error(req, 429, "RESOURCE_LIMIT_EXCEEDED", 1, "all %zu "
		    "stream slots are in use", api_cf->sse_max_clients);
}

static void
api_ingest_post(struct evhttp_request *req)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 len = evbuffer_get_length(in);
	struct ev_meta	 m;
	struct ev_view	 v;
	struct jw	 w;
	uint64_t	 seq;

	if (len > api_cf->api_max_body) {
		api_error(req, 413, "PAYLOAD_TOO_LARGE", 0, "body is %zu bytes; "
		    "the limit is %zu", len, api_cf->api_max_body);
		return;
	}
	if (evbuffer_copyout(in, api_out, len) != (ev_ssize_t)len) {
		api_error(req, 500, "INTERNAL_ERROR", 1, "cannot read body");
		return;
	}
	if (ingest_parse(&api_ingest, api_out, len) == -1) {
		api_error(req, 400, "INVALID_PARAMS", 0, "%s", api_ingest.err);
		return;
	}
	ingest_meta(&api_ingest, &m);
	seq = events_emit(&m, ingest_data, &api_ingest);
	if (events_get(seq, &v) == -1) {
		api_error(req, 500, "INTERNAL_ERROR", 1, "event %llu was "
		    "evicted at once", (unsigned long long)seq);
		return;
	}
	/* The stored envelope is the answer. */
	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_raw(&w, NULL, v.p1, v.n1);
	jw_raw(&w, JW_CONTINUE, v.p2, v.n2);
	api_reply(req, 200, &w);
}

static void
api_metrics(struct evhttp_request *req)
{
	struct evbuffer	*b = evbuffer_new();

	if (b == NULL) {
		api_error(req, 500, "INTERNAL_ERROR", 1, "out of memory");
		return;
	}
	metrics_write(b, api_store);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static struct evhttp *
api_http(struct api_listener *l)
{
	struct evhttp	*http;

	if ((http = evhttp_new(api_base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_max_headers_size(http, API_HEADERS_MAX);
	/* Past 4x our limit evhttp answers 413 itself and drops the line. */
	evhttp_set_max_body_size(http, (ev_ssize_t)api_cf->api_max_body * 4);
	evhttp_set_timeout(http, 30);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(http, api_on_request, l);
	l->http = http;
	return http;
}

static int
api_listen_unix(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("api socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A socket that answers belongs to a running crashtrail. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM, 0)) != -1) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			log_warnx("%s is in use: is another crashtrail running "
			    "on this state_dir?", path);
			return -1;
		}
		close(probe);
	}
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, 128) == -1) {
		log_warn("api socket %s", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (evhttp_accept_socket(api_http(&api_unix), fd) == -1) {
		log_warnx("evhttp_accept_socket %s", path);
		close(fd);
		return -1;
	}
	log_info("api listening on %s", path);
	return 0;
}

static int
api_listen_tcp(const char *spec)
{
	struct sockaddr_storage	 ss;
	int			 sslen = sizeof(ss), loopback;
	char			 host[64];
	const char		*colon = strrchr(spec, ':');
	long			 port;
	char			*end;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
		log_warnx("api_listen '%s': expected ADDRESS:PORT", spec);
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss,
	    &sslen) == -1) {
		log_warnx("api_listen '%s': not a numeric ADDRESS:PORT", spec);
		return -1;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535) {
		log_warnx("api_listen '%s': bad port", spec);
		return -1;
	}
	if (ss.ss_family == AF_INET)
		loopback = (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr)
		    >> 24) == 127;
	else
		loopback = memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr,
		    &in6addr_loopback, sizeof(struct in6_addr)) == 0;
	if (!loopback && !api_cf->api_allow_remote) {
		log_warnx("api_listen '%s' is not a loopback address; set "
		    "api_allow_remote = yes to allow it", spec);
		return -1;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	api_tcp.tcp = 1;
	if (evhttp_bind_socket(api_http(&api_tcp), host, (ev_uint16_t)port) ==
	    -1) {
		log_warn("api_listen %s", spec);
		return -1;
	}
	log_info("api listening on %s%s", spec, api_cf->api_token[0] ?
	    " (bearer token required)" : "");
	return 0;
}

int
api_init(struct event_base *base, const struct config *cf,
    struct logstore *ls)
{
	api_base = base;
	api_cf = cf;
	api_store = ls;
	api_started_us = timefmt_now_us();
	if (api_listen_unix(cf->api_socket) == -1)
		return -1;
	if (cf->api_listen[0] != '\0' && api_listen_tcp(cf->api_listen) == -1)
		return -1;
	return 0;
}

void
api_close(void)
{
	sse_close_all();
	if (api_unix.http != NULL)
		evhttp_free(api_unix.http);
	if (api_tcp.http != NULL)
		evhttp_free(api_tcp.http);
	api_unix.http = api_tcp.http = NULL;
	(void)unlink(api_cf->api_socket);
}
