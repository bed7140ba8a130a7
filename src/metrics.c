/*
 * metrics.c -- Prometheus exposition of crashtrail's counters.
 * SPDX-License-Identifier: ISC
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "events.h"
#include "journal.h"
#include "upload.h"
#include "json.h"
#include "kmsgwatch.h"
#include "logstore.h"
#include "metrics.h"
#include "platform.h"
#include "run.h"
#include "runner.h"
#include "sse.h"
#include "syncer.h"
#include "timefmt.h"

static void	metric_runners(struct evbuffer *, const char *, const char *,
		    size_t);
static void	metric_one(struct evbuffer *, const char *, const char *,
		    const char *, uint64_t);
static void	metric_restart(struct evbuffer *);
static void	metric_upload(struct evbuffer *);

/* Label values are ids ([A-Za-z0-9._-]) and state names: no escaping. */
void
metric_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* A metric with one sample and no labels. */
static void
metric_one(struct evbuffer *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metric_head(b, name, type, help);
	evbuffer_add_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

/* What makes the record outlive crashtrail: journal, helper, reclaim. */
static void
metric_restart(struct evbuffer *b)
{
	struct journal_stats	js;
	struct syncer_stats	ss;

	journal_stats(&js);
	syncer_stats(&ss);
	metric_one(b, "crashtrail_journal_bytes", "gauge",
	    "Bytes of the event journal's segments.", js.bytes);
	metric_one(b, "crashtrail_journal_segments", "gauge",
	    "Segment files of the event journal.", js.segments);
	metric_one(b, "crashtrail_journal_torn_records_total", "counter",
	    "Torn last records cut when the journal was opened.", js.torn);
	metric_one(b, "crashtrail_journal_write_errors_total", "counter",
	    "Journal appends that failed and were cut back.",
	    js.write_errors);
	metric_one(b, "crashtrail_journal_pruned_segments_total", "counter",
	    "Journal segments removed for journal_bytes.",
	    js.pruned_segments);
	metric_one(b, "crashtrail_sse_resets_total", "counter",
	    "Stream clients that resumed with an id from the future.",
	    sse_nresets());
	metric_one(b, "crashtrail_helper_pending", "gauge",
	    "File operations handed to the helper and not yet done.",
	    ss.pending);
	metric_one(b, "crashtrail_helper_inline_ops_total", "counter",
	    "File operations done on the loop (the helper's table was full).",
	    ss.inline_ops);
	metric_one(b, "crashtrail_helper_restarts_total", "counter",
	    "Times the file helper died and was started again.", ss.restarts);
	metric_one(b, "crashtrail_helper_errors_total", "counter",
	    "fsync, rename or unlink calls that failed.", ss.errors);
	metric_one(b, "crashtrail_runs_reclaimed_total", "counter",
	    "Runs of an earlier crashtrail found at start.",
	    runners_reclaimed());
}

/* The upload queue: only when uploads are on. */
static void
metric_upload(struct evbuffer *b)
{
	struct upload_stats	st;
	size_t			i;

	upload_get_stats(&st);
	if (!st.enabled)
		return;
	metric_one(b, "crashtrail_upload_backlog_jobs", "gauge",
	    "Upload jobs in the spool, in flight or waiting.", st.backlog);
	metric_one(b, "crashtrail_upload_backlog_bytes", "gauge",
	    "Bytes of the files the spool's jobs will send.",
	    st.backlog_bytes);
	metric_one(b, "crashtrail_upload_in_flight", "gauge",
	    "Upload transfers running.", st.in_flight);
	metric_one(b, "crashtrail_upload_succeeded_total", "counter",
	    "Upload jobs ended with the file on the server.", st.succeeded);
	metric_one(b, "crashtrail_upload_already_stored_total", "counter",
	    "Of those, files the server had already (409).",
	    st.already_stored);
	metric_one(b, "crashtrail_upload_failed_total", "counter",
	    "Upload jobs ended without the file on the server.",
	    st.failed_final);
	metric_one(b, "crashtrail_upload_retries_total", "counter",
	    "Failed upload attempts that were retried.", st.retries);
	metric_one(b, "crashtrail_upload_deferred_total", "counter",
	    "Times a job waited for its runner's hourly upload limit.",
	    st.deferred);
	metric_one(b, "crashtrail_upload_dropped_total", "counter",
	    "Upload jobs dropped because the spool was full.", st.dropped);
	metric_one(b, "crashtrail_upload_sent_bytes_total", "counter",
	    "File bytes uploaded.", st.bytes_sent);
	metric_head(b, "crashtrail_upload_attempt_failures_total", "counter",
	    "Failed upload attempts, by class.");
	for (i = 0; i < 8; i++)
		evbuffer_add_printf(b, "crashtrail_upload_attempt_failures_total"
		    "{class=\"%s\"} %llu\n", upload_failure_class[i],
		    (unsigned long long)st.failures[i]);
}

/* One sample per runner from the uint64_t counter at `off` in it. */
static void
metric_runners(struct evbuffer *b, const char *name, const char *label,
    size_t off)
{
	const struct runner	*r;
	size_t			 i;

	for (i = 0; i < runners_count(); i++) {
		if ((r = runner_at(i)) == NULL)
			continue;
		evbuffer_add_printf(b, "%s{instance_id=\"%s\",runner_id=\"%s\""
		    "%s} %llu\n", name, r->rc->instance_id, r->rc->name, label,
		    (unsigned long long)*(const uint64_t *)(const void *)
		    ((const char *)r + off));
	}
}

void
metrics_write(struct evbuffer *b, const struct logstore *ls)
{
	static const char *const states[] = { "STOPPED", "STARTING",
	    "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FAILED", "FATAL" };
	const struct runner	*r;
	struct run		*run;
	size_t			 i, live = 0, ended = 0, k;
	uint64_t		 bytes = 0, dropped = 0;

	for (i = 0; i < run_slots(); i++)
		if ((run = run_slot_at(i)) != NULL)
			run->phase == RUN_LIVE ? live++ : ended++;
	for (i = 0; i < runners_count(); i++) {
		if ((r = runner_at(i)) == NULL)
			continue;
		bytes += r->log_bytes;
		dropped += r->log_dropped;
	}

	metric_one(b, "crashtrail_events_total", "counter",
	    "Events recorded in the event ring.", events_latest());
	metric_upload(b);
	sampler_metrics(b);
	metric_one(b, "crashtrail_events_evicted_total", "counter",
	    "Events evicted from the ring to make room.", events_evicted());
	metric_one(b, "crashtrail_events_truncated_total", "counter",
	    "Events stored without their data for being too large.",
	    events_truncated());
	metric_one(b, "crashtrail_sse_clients", "gauge",
	    "Connected SSE stream clients.", sse_nclients());
	metric_one(b, "crashtrail_sse_clients_cut_total", "counter",
	    "SSE clients cut for not reading.", sse_ncut());
	metric_one(b, "crashtrail_log_bytes_total", "counter",
	    "Runner output bytes stored in log files (ended runs).", bytes);
	metric_one(b, "crashtrail_log_bytes_dropped_total", "counter",
	    "Runner output bytes not stored (cap, quota, disk errors).",
	    dropped);
	metric_one(b, "crashtrail_log_dir_bytes", "gauge",
	    "Bytes under runner_log/ as indexed.", ls->total);
	metric_one(b, "crashtrail_log_runs_pruned_total", "counter",
	    "Runs whose files were pruned for the quota or file limit.",
	    ls->pruned_groups);
	metric_head(b, "crashtrail_runs", "gauge",
	    "Run slots in use, by state.");
	evbuffer_add_printf(b, "crashtrail_runs{state=\"live\"} %zu\n", live);
	evbuffer_add_printf(b, "crashtrail_runs{state=\"ended\"} %zu\n",
	    ended);

	metric_head(b, "crashtrail_runner_state", "gauge",
	    "1 for the state each runner is in.");
	for (i = 0; i < runners_count(); i++) {
		if ((r = runner_at(i)) == NULL)
			continue;
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			evbuffer_add_printf(b, "crashtrail_runner_state{"
			    "instance_id=\"%s\",runner_id=\"%s\",state=\"%s\"}"
			    " %d\n", r->rc->instance_id, r->rc->name,
			    states[k], strcmp(states[k],
			    runner_strstate(r->state)) == 0);
	}
	metric_head(b, "crashtrail_runner_starts_total", "counter",
	    "Runs started per runner.");
	metric_runners(b, "crashtrail_runner_starts_total", "",
	    offsetof(struct runner, starts));
	metric_head(b, "crashtrail_runner_ends_total", "counter",
	    "Runs ended per runner, clean or abnormal.");
	metric_runners(b, "crashtrail_runner_ends_total", ",end=\"clean\"",
	    offsetof(struct runner, clean_ends));
	metric_runners(b, "crashtrail_runner_ends_total", ",end=\"abnormal\"",
	    offsetof(struct runner, abnormal_ends));
	metric_head(b, "crashtrail_runner_log_bytes_total", "counter",
	    "Bytes stored for each runner's ended runs.");
	metric_runners(b, "crashtrail_runner_log_bytes_total", "",
	    offsetof(struct runner, log_bytes));
	metric_restart(b);
}

void
metrics_watchers_json(struct jw *w)
{
	kmsgwatch_status_json(w);
	jw_str(w, "platform", platform_name());
}
