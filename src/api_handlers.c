/*
 * api_handlers.c -- the handlers behind the local API's endpoints, but
 * for the run endpoints (api_runs.c).
 * SPDX-License-Identifier: ISC
 */
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api_int.h"
#include "config.h"
#include "events.h"
#include "history.h"
#include "ingest.h"
#include "journal.h"
#include "upload.h"
#include "json.h"
#include "logstore.h"
#include "metrics.h"
#include "platform.h"
#include "query.h"
#include "run.h"
#include "reload.h"
#include "runner.h"
#include "sse.h"
#include "syncer.h"
#include "timefmt.h"
#include "version.h"

#define API_EVENTS_LIMIT 1000

static struct ingest	api_ingest;

static void	api_runner_json(struct jw *, const struct runner *);
static void	api_journal_json(struct jw *);
static void	api_helper_json(struct jw *);

static void
api_journal_json(struct jw *w)
{
	struct journal_stats	js;

	journal_stats(&js);
	jw_obj_begin(w, "journal");
	jw_bool(w, "open", js.open);
	jw_uint(w, "segments", js.segments);
	jw_uint(w, "bytes", js.bytes);
	jw_uint(w, "max_bytes", api_cf->journal_bytes);
	jw_uint(w, "first_seq", js.first_seq);
	jw_uint(w, "last_seq", js.last_seq);
	jw_uint(w, "torn_records_cut", js.torn);
	jw_uint(w, "corrupt_segments", js.corrupt);
	jw_uint(w, "write_errors", js.write_errors);
	jw_uint(w, "pruned_segments", js.pruned_segments);
	if (js.set_aside_path != NULL && js.set_aside_path[0] != '\0')
		jw_str(w, "set_aside", js.set_aside_path);
	else
		jw_null(w, "set_aside");
	jw_obj_end(w);
}

/* The file helper (syncer.h), the run history and the reclaimed runs. */
static void
api_helper_json(struct jw *w)
{
	struct syncer_stats	ss;
	struct hist_stats	hs;

	syncer_stats(&ss);
	jw_obj_begin(w, "helper");
	jw_int(w, "pid", ss.pid);
	jw_uint(w, "pending", ss.pending);
	jw_uint(w, "queued_unsent", ss.queued_unsent);
	jw_uint(w, "done", ss.done);
	jw_uint(w, "inline_ops", ss.inline_ops);
	jw_uint(w, "restarts", ss.restarts);
	jw_uint(w, "errors", ss.errors);
	jw_obj_end(w);
	history_stats(&hs);
	jw_obj_begin(w, "history");
	jw_uint(w, "runs", hs.count);
	jw_uint(w, "max", hs.max);
	jw_uint(w, "indexed_at_start", hs.indexed);
	jw_uint(w, "bad_reports_skipped", hs.skipped_bad);
	jw_uint(w, "evicted", hs.evicted);
	jw_uint(w, "pruned", hs.forgotten);
	jw_int(w, "scan_ms", hs.scan_ms);
	jw_obj_end(w);
	jw_uint(w, "runs_reclaimed_at_start", runners_reclaimed());
}

void
api_status(struct evhttp_request *req)
{
	struct jw	w;
	size_t		i, live = 0, kept = 0, nr = 0;
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
		if (runner_at(i) != NULL) {
			dropped += runner_at(i)->log_dropped;
			nr++;
		}
	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "version", CRASHTRAIL_VERSION);
	jw_str(&w, "platform", platform_name());
	jw_int(&w, "pid", getpid());
	jw_int(&w, "uptime_s", (timefmt_now_us() - api_started_us) / 1000000);
	jw_uint(&w, "runners", nr);
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
	jw_uint(&w, "resets", sse_nresets());
	jw_obj_end(&w);
	api_journal_json(&w);
	api_helper_json(&w);
	upload_status_json(&w);
	sampler_status_json(&w);
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

void
api_runners(struct evhttp_request *req)
{
	struct jw	w;
	size_t		i;

	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "runners");
	for (i = 0; i < runners_count(); i++)
		if (runner_at(i) != NULL)
			api_runner_json(&w, runner_at(i));
	jw_arr_end(&w);
	jw_obj_end(&w);
	api_reply(req, 200, &w);
}

void
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

/*
 * POST /v1/reload: what SIGHUP does.  200 with what changed; 400
 * INVALID_PARAMS with "errors" (file:line lines) when the file is refused
 * and nothing changed.
 */
void
api_reload(struct evhttp_request *req)
{
	struct reload_result	 res;
	struct jw		 w;
	const char		*p, *nl;

	jw_init(&w, api_out, sizeof(api_out), -1);
	if (reload_run(&res) == 0) {
		reload_result_json(&w, &res);
		reload_result_free(&res);
		api_reply(req, 200, &w);
		return;
	}
	jw_obj_begin(&w, NULL);
	jw_str(&w, "code", "INVALID_PARAMS");
	jw_str(&w, "message", "the config file has errors: nothing changed");
	jw_bool(&w, "retryable", 0);
	jw_arr_begin(&w, "errors");
	for (p = res.errors; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (nl > p)
			jw_strn(&w, NULL, p, (size_t)(nl - p));
		if (*nl == '\0')
			break;
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	reload_result_free(&res);
	api_reply(req, 400, &w);
}

/* A seq parameter: strict decimal; 0 when absent. */
int
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

/*
 * Append one stored envelope unless it does not fit; 0, or -1 to stop
 * before it (it comes on the next page).
 */
static int
api_event_out(struct jw *w, const char *p1, size_t n1, const char *p2,
    size_t n2)
{
	if (w->len + n1 + n2 + 64 > sizeof(api_out))
		return -1;
	/* A stored envelope may wrap around the ring: two pieces. */
	jw_raw(w, NULL, p1, n1);
	jw_raw(w, JW_CONTINUE, p2, n2);
	return 0;
}

/*
 * Events after from_seq: those older than the ring from the journal, then
 * the ring's.  "dropped" counts what neither keeps any more; a from_seq
 * past the latest (another state_dir, a wiped journal) is answered with
 * "reset":true and next_seq at the latest, never an empty silence.
 */
void
api_events(struct evhttp_request *req, const struct query *q)
{
	static char		 rec[16 * 1024 * 1024];	/* event_max_bytes max */
	const char		*type = query_get(q, "type");
	char			 rtype[EVENT_TYPE_MAX + 1];
	struct journal_cursor	 jc;
	struct ev_view		 v;
	struct jw		 w;
	uint64_t		 from, limit = 100, seq, next, oldest, latest;
	uint64_t		 kept, got;
	size_t			 n = 0, len;
	int			 reset = 0;

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
	kept = journal_first_seq();
	if (kept == 0 || (oldest != 0 && oldest < kept))
		kept = oldest;
	if (from > latest) {
		reset = 1;
		from = latest;
	}
	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "events");
	seq = kept != 0 && from + 1 < kept ? kept : from + 1;
	next = from;
	/* Older than the ring: from the journal. */
	if (seq <= latest && (oldest == 0 || seq < oldest)) {
		journal_cursor_init(&jc, seq);
		while (n < limit && journal_cursor_next(&jc, rec, sizeof(rec),
		    &got, &len) == 1 && (oldest == 0 || got < oldest)) {
			if (events_type_of(rec, len, rtype, sizeof(rtype)) ==
			    -1 || (type != NULL && strcmp(type, rtype) != 0)) {
				next = seq = got;
				seq++;
				continue;
			}
			if (api_event_out(&w, rec, len, "", 0) == -1)
				goto done;
			next = got;
			seq = got + 1;
			n++;
		}
		if (oldest != 0 && seq < oldest)
			seq = oldest;
	}
	for (; seq <= latest && n < limit && seq != 0; seq++) {
		if (events_get(seq, &v) == -1)
			continue;
		if (type != NULL && strcmp(type, v.type) != 0) {
			next = seq;	/* looked at: the next page goes on */
			continue;
		}
		/* Stop before an answer that would not fit; it comes next. */
		if (api_event_out(&w, v.p1, v.n1, v.p2, v.n2) == -1)
			break;
		next = seq;
		n++;
	}
done:
	jw_arr_end(&w);
	jw_uint(&w, "next_seq", next);
	jw_uint(&w, "oldest_seq", kept);
	jw_uint(&w, "latest_seq", latest);
	jw_uint(&w, "dropped", kept > from + 1 ? kept - from - 1 : 0);
	if (reset)
		jw_bool(&w, "reset", 1);
	jw_obj_end(&w);
	api_reply(req, 200, &w);
}

/*
 * Where a stream starts: Last-Event-ID N (or ?from_seq=N) resumes after
 * N; ?replay=all starts at the oldest event kept; otherwise from now.
 */
void
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
	if (replay != NULL) {
		/* The oldest event kept, in the journal or else the ring. */
		next = journal_first_seq();
		if (next == 0 || (events_oldest() != 0 &&
		    events_oldest() < next))
			next = events_oldest();
		if (next == 0)
			next = events_latest() + 1;
	}
	else if (last != NULL || query_get(q, "from_seq") != NULL)
		next = after + 1;
	else
		next = events_latest() + 1;
	if (sse_attach(req, next, type) == -1)
		api_error(req, 429, "RESOURCE_LIMIT_EXCEEDED", 1, "all %zu "
		    "stream slots are in use", api_cf->sse_max_clients);
	else
		api_conn_forget(evhttp_request_get_connection(req));
}

/*
 * A stage event names a live run (run_id): it goes to that run's stage
 * view and is stored enriched.  0, or -1 after answering.
 */
static int
api_stage_post(struct evhttp_request *req, uint64_t *seq)
{
	char		 err[INGEST_ERR_MAX];
	struct run	*run;
	int		 rc;

	if (stages_kind(api_ingest.type) == -1) {
		api_error(req, 400, "INVALID_PARAMS", 0, "%s: not a stage "
		    "event (stage_queued, stage_started, stage_succeeded, "
		    "stage_failed or stage_skipped)", api_ingest.type);
		return -1;
	}
	if (api_ingest.run_id[0] == '\0') {
		api_error(req, 400, "INVALID_PARAMS", 0, "%s: a stage event "
		    "needs run_id, the run it belongs to", api_ingest.type);
		return -1;
	}
	if ((run = run_by_id(api_ingest.run_id)) == NULL) {
		api_error(req, 404, "NOT_FOUND", 0, "no run '%s'",
		    api_ingest.run_id);
		return -1;
	}
	if (run->phase != RUN_LIVE) {
		api_error(req, 409, "ALREADY_TERMINAL", 0, "run '%s' has "
		    "ended: its stages are final", run->id);
		return -1;
	}
	if ((rc = sampler_stage_event(run, &api_ingest, seq, err,
	    sizeof(err))) != 0) {
		api_error(req, rc, rc == 409 ? "ALREADY_TERMINAL" :
		    "INVALID_PARAMS", 0, "%s", err);
		return -1;
	}
	return 0;
}

void
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
		    "the limit is %llu", len,
		    (unsigned long long)api_cf->api_max_body);
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
	if (strncmp(api_ingest.type, "stage_", 6) == 0) {
		if (api_stage_post(req, &seq) == -1)
			return;
	} else
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

void
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
