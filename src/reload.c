/*
 * reload.c -- the diff of two config values and its application.
 * SPDX-License-Identifier: ISC
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "events.h"
#include "json.h"
#include "log.h"
#include "logstore.h"
#include "platform.h"
#include "reload.h"
#include "runner.h"
#include "svcnotify.h"

/*
 * Every [collector] field a file can set, and whether a running daemon
 * can take a new value.  The values are compared byte for byte: config
 * values are zeroed before they are filled, so strings compare whole.
 */
struct rl_key {
	const char	*name;
	size_t		 off, size;
	int		 live;
};

#define K(n, f, l)	{ n, offsetof(struct config, f), \
			    sizeof(((struct config *)0)->f), l }

static const struct rl_key rl_keys[] = {
	K("log_level", log_level, 1),
	K("log_quota_bytes", log_quota_bytes, 1),
	K("api_token", api_token, 1),
	K("diag_rate", diag_rate, 1),
	K("instance_id", instance_id, 1),
	K("state_dir", state_dir, 0),
	K("log_dir", log_dir, 0),
	K("max_runs", max_runs, 0),
	K("max_runners", max_runners, 0),
	K("tail_lines", tail_lines, 0),
	K("tail_bytes", tail_bytes, 0),
	K("log_max_files", log_max_files, 0),
	K("api_socket", api_socket, 0),
	K("api_listen", api_listen, 0),
	K("api_allow_remote", api_allow_remote, 0),
	K("api_max_body", api_max_body, 0),
	K("api_max_connections", api_max_connections, 0),
	K("event_ring", event_ring, 0),
	K("event_ring_bytes", event_ring_bytes, 0),
	K("event_max_bytes", event_max_bytes, 0),
	K("sse_max_clients", sse_max_clients, 0),
	K("kmsg_path", kmsg_path, 0),
	K("journal_bytes", journal_bytes, 0),
	K("history", history, 0),
	K("telemetry", telemetry, 0),
	K("telemetry_api_url", telemetry_api_url, 0),
	K("ca_file", ca_file, 0),
	K("upload_files", upload_files, 0),
	K("upload_concurrency", upload_concurrency, 0),
	K("upload_spool_jobs", upload_spool_jobs, 0),
	K("upload_spool_bytes", upload_spool_bytes, 0),
	K("upload_max_attempts", upload_max_attempts, 0),
	K("upload_max_age", upload_max_age, 0),
	K("upload_backoff_min", upload_backoff_min_ms, 0),
	K("upload_backoff_max", upload_backoff_max_ms, 0),
	K("upload_timeout", upload_timeout_ms, 0),
	K("upload_per_runner_hour", upload_per_runner_hour, 0),
	K("sample_interval_ms", sample_interval_ms, 0),
	K("samples_per_run", samples_per_run, 0),
	K("host_samples", host_samples, 0),
	K("report_samples", report_samples, 1),
	K("stages_per_run", stages_per_run, 0),
	K("cgroup", cgroup, 0),
	K("run_as", run_as, 0),
};

#undef K

static struct config	*rl_live;
static struct logstore	*rl_store;

static int	rl_diags_equal(const struct config *, const struct config *);
static const struct runner_conf *rl_find(const struct config *,
		    const char *);
static void	rl_push(struct reload_result *, const char *,
		    enum reload_kind);
static int	rl_run(struct reload_result *);
static void	rl_apply(struct config *, const struct reload_result *);
static void	rl_event_data(struct jw *, const void *);
static void	rl_names(struct jw *, const char *,
		    const struct reload_result *, enum reload_kind);

void
reload_init(struct config *live, struct logstore *ls)
{
	rl_live = live;
	rl_store = ls;
}

enum reload_kind
reload_runner_diff(const struct runner_conf *a, const struct runner_conf *b)
{
	size_t	i;

	if (strcmp(a->command, b->command) != 0 ||
	    strcmp(a->exec_path, b->exec_path) != 0 ||
	    strcmp(a->directory, b->directory) != 0 ||
	    strcmp(a->instance_id, b->instance_id) != 0 ||
	    a->nenv != b->nenv || a->has_user != b->has_user ||
	    (a->has_user && (a->uid != b->uid || a->gid != b->gid)) ||
	    a->stopsignal != b->stopsignal ||
	    a->capture_stdout != b->capture_stdout ||
	    a->log_max_bytes != b->log_max_bytes ||
	    a->memory_max != b->memory_max)
		return RL_RESTART;
	for (i = 0; i < a->nenv; i++)
		if (strcmp(a->env[i], b->env[i]) != 0)
			return RL_RESTART;
	if (a->autostart != b->autostart || a->autorestart != b->autorestart ||
	    a->startsecs != b->startsecs ||
	    a->startretries != b->startretries ||
	    a->backoff_ms != b->backoff_ms ||
	    a->backoff_max_ms != b->backoff_max_ms ||
	    a->stopwaitsecs != b->stopwaitsecs ||
	    memcmp(&a->exitcodes, &b->exitcodes, sizeof(a->exitcodes)) != 0)
		return RL_SUPERVISION;
	return RL_UNCHANGED;
}

static const struct runner_conf *
rl_find(const struct config *cf, const char *name)
{
	size_t	i;

	for (i = 0; i < cf->nrunners; i++)
		if (strcmp(cf->runners[i]->name, name) == 0)
			return cf->runners[i];
	return NULL;
}

static void
rl_push(struct reload_result *res, const char *name, enum reload_kind k)
{
	struct reload_item	*v;

	v = realloc(res->runners, (res->nrunners + 1) * sizeof(*v));
	if (v == NULL)
		fatal("%s", __func__);
	res->runners = v;
	snprintf(v[res->nrunners].name, sizeof(v[0].name), "%s", name);
	v[res->nrunners++].kind = k;
}

/* The [diagnostic:ID] sections, in order, value for value. */
static int
rl_diags_equal(const struct config *a, const struct config *b)
{
	size_t	i;

	if (a->ndiags != b->ndiags)
		return 0;
	for (i = 0; i < a->ndiags; i++) {
		const struct diag_conf *x = a->diags[i], *y = b->diags[i];

		if (strcmp(x->id, y->id) != 0 ||
		    strcmp(x->severity, y->severity) != 0 ||
		    strcmp(x->match, y->match) != 0 ||
		    strcmp(x->summary, y->summary) != 0 ||
		    x->evidence_lines != y->evidence_lines)
			return 0;
	}
	return 1;
}

void
reload_plan(const struct config *old, const struct config *new,
    struct reload_result *res)
{
	const struct runner_conf	*o;
	const char			**lv, **rs;
	size_t				 i, n = sizeof(rl_keys) /
					    sizeof(rl_keys[0]);

	memset(res, 0, sizeof(*res));
	for (i = 0; i < old->nrunners; i++)
		if (rl_find(new, old->runners[i]->name) == NULL)
			rl_push(res, old->runners[i]->name, RL_REMOVED);
	for (i = 0; i < new->nrunners; i++) {
		o = rl_find(old, new->runners[i]->name);
		rl_push(res, new->runners[i]->name, o == NULL ? RL_ADDED :
		    reload_runner_diff(o, new->runners[i]));
	}
	lv = calloc(n, sizeof(*lv));
	rs = calloc(n, sizeof(*rs));
	if (lv == NULL || rs == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++) {
		const struct rl_key *k = &rl_keys[i];

		if (memcmp((const char *)old + k->off, (const char *)new +
		    k->off, k->size) == 0)
			continue;
		if (k->live)
			lv[res->nlive++] = k->name;
		else
			rs[res->nrestart++] = k->name;
	}
	res->live = lv;
	res->restart = rs;
	res->diagnostics = !rl_diags_equal(old, new);
}

void
reload_result_free(struct reload_result *res)
{
	free(res->runners);
	free(res->live);
	free(res->restart);
	free(res->errors);
	memset(res, 0, sizeof(*res));
}

/* The refusals a valid file can still meet: it must fit what runs. */
static int
rl_check(const struct config *new, const struct reload_result *res,
    FILE *errfp)
{
	size_t	i, used = 0, added = 0;

	if (new->nrunners > rl_live->max_runners) {
		fprintf(errfp, "%s: %zu runners, but max_runners is %zu until "
		    "a restart\n", new->path, new->nrunners,
		    rl_live->max_runners);
		return -1;
	}
	if (2 * new->nrunners > rl_live->max_runs) {
		fprintf(errfp, "%s: %zu runners need max_runs >= %zu, and it "
		    "is %zu until a restart\n", new->path, new->nrunners,
		    2 * new->nrunners, rl_live->max_runs);
		return -1;
	}
	/* A removed runner's slot is free only once it has stopped. */
	for (i = 0; i < runners_count(); i++)
		if (runner_at(i) != NULL)
			used++;
	for (i = 0; i < res->nrunners; i++)
		if (res->runners[i].kind == RL_ADDED)
			added++;
	if (added > rl_live->max_runners - used) {
		fprintf(errfp, "%s: %zu runners to add and %zu free runner "
		    "slots (max_runners = %zu; a removed runner's slot is free "
		    "once it has stopped)\n", new->path, added,
		    rl_live->max_runners - used, rl_live->max_runners);
		return -1;
	}
	return 0;
}

/*
 * Every way in (SIGHUP, POST /v1/reload) comes through here, so the
 * service manager hears RELOADING=1 and then READY=1 for each, refused
 * or applied.
 */
int
reload_run(struct reload_result *res)
{
	int	rv;

	svcnotify_reloading();
	rv = rl_run(res);
	svcnotify_ready();
	return rv;
}

static int
rl_run(struct reload_result *res)
{
	struct config	 new;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*errfp;
	int		 rv;

	memset(res, 0, sizeof(*res));
	if ((errfp = open_memstream(&buf, &len)) == NULL)
		fatal("%s", __func__);
	rv = config_load_to(&new, rl_live->path, errfp);
	if (rv == 0) {
		/* --telemetry outlives a reload, as any flag would. */
		new.telemetry |= rl_live->telemetry;
		if ((rv = config_check_upload_to(&new, errfp)) == -1)
			config_free(&new);
	}
	if (rv == 0) {
		reload_plan(rl_live, &new, res);
		if ((rv = rl_check(&new, res, errfp)) == -1)
			config_free(&new);
	}
	fclose(errfp);
	if (rv == -1) {
		reload_result_free(res);
		res->errors = buf;
		log_warnx("reload of %s refused, nothing changed:\n%s",
		    rl_live->path, buf);
		return -1;
	}
	free(buf);
	rl_apply(&new, res);
	return 0;
}

/* Apply the plan; `new` is consumed. */
static void
rl_apply(struct config *new, const struct reload_result *res)
{
	struct config		 old;
	struct runner		*r;
	const struct rl_key	*k;
	size_t			 i, j;
	char			 line[256];

	for (i = 0; i < res->nrunners; i++) {
		const struct reload_item *it = &res->runners[i];
		const struct runner_conf *rc = rl_find(new, it->name);

		r = runner_by_name(it->name);
		switch (it->kind) {
		case RL_REMOVED:
			if (r != NULL)
				runner_remove(r);
			break;
		case RL_ADDED:
			if ((r = runner_add(rc)) != NULL && rc->autostart)
				(void)runner_start(r);
			break;
		case RL_RESTART:
		case RL_SUPERVISION:
		case RL_UNCHANGED:
			if (r != NULL)
				runner_set_conf(r, rc, it->kind == RL_RESTART);
			break;
		}
	}
	/* Live [collector] keys: into the running value, field by field. */
	for (i = 0; i < res->nlive; i++)
		for (j = 0; j < sizeof(rl_keys) / sizeof(rl_keys[0]); j++) {
			k = &rl_keys[j];
			if (strcmp(k->name, res->live[i]) == 0)
				memcpy((char *)rl_live + k->off,
				    (const char *)new + k->off, k->size);
		}
	log_setlevel(rl_live->log_level);
	rl_store->quota = rl_live->log_quota_bytes;

	/* The new runners and diagnostics replace the old in the value. */
	memset(&old, 0, sizeof(old));
	old.runners = rl_live->runners;
	old.nrunners = rl_live->nrunners;
	old.diags = rl_live->diags;
	old.ndiags = rl_live->ndiags;
	rl_live->runners = new->runners;
	rl_live->nrunners = new->nrunners;
	rl_live->diags = new->diags;
	rl_live->ndiags = new->ndiags;
	if (res->diagnostics) {
		diag_set_current(new->diag_cat);
		old.diag_cat = rl_live->diag_cat;
		rl_live->diag_cat = new->diag_cat;
	} else
		old.diag_cat = new->diag_cat;	/* the same entries: unused */
	new->runners = NULL;
	new->nrunners = 0;
	new->diags = NULL;
	new->ndiags = 0;
	new->diag_cat = NULL;
	config_free(new);
	config_free(&old);

	{
		struct ev_meta	m = { "collector_reloaded", "collector", NULL,
		    NULL, NULL };

		(void)events_emit(&m, rl_event_data, res);
	}
	/* What the old value held goes back to the system. */
	platform_trim_heap();
	reload_result_line(res, line, sizeof(line));
	log_info("reloaded %s: %s", rl_live->path, line);
}

static void
rl_names(struct jw *w, const char *key, const struct reload_result *res,
    enum reload_kind kind)
{
	size_t	i;

	jw_arr_begin(w, key);
	for (i = 0; i < res->nrunners; i++)
		if (res->runners[i].kind == kind)
			jw_str(w, NULL, res->runners[i].name);
	jw_arr_end(w);
}

void
reload_result_json(struct jw *w, const struct reload_result *res)
{
	size_t	i;

	jw_obj_begin(w, NULL);
	rl_names(w, "added", res, RL_ADDED);
	rl_names(w, "removed", res, RL_REMOVED);
	rl_names(w, "changed", res, RL_RESTART);
	rl_names(w, "supervision_changed", res, RL_SUPERVISION);
	rl_names(w, "unchanged", res, RL_UNCHANGED);
	jw_arr_begin(w, "collector_changed");
	for (i = 0; i < res->nlive; i++)
		jw_str(w, NULL, res->live[i]);
	jw_arr_end(w);
	jw_arr_begin(w, "needs_restart");
	for (i = 0; i < res->nrestart; i++)
		jw_str(w, NULL, res->restart[i]);
	jw_arr_end(w);
	jw_bool(w, "diagnostics_changed", res->diagnostics);
	jw_obj_end(w);
}

static void
rl_event_data(struct jw *w, const void *arg)
{
	reload_result_json(w, arg);
}

void
reload_result_line(const struct reload_result *res, char *buf, size_t cap)
{
	size_t	n[5] = { 0 }, i;

	for (i = 0; i < res->nrunners; i++)
		n[res->runners[i].kind]++;
	snprintf(buf, cap, "%zu added, %zu removed, %zu restarted, %zu with "
	    "new supervision values, %zu unchanged; %zu collector key%s "
	    "applied%s%s; %zu needing a restart", n[RL_ADDED],
	    n[RL_REMOVED], n[RL_RESTART], n[RL_SUPERVISION], n[RL_UNCHANGED],
	    res->nlive, res->nlive == 1 ? "" : "s",
	    res->diagnostics ? ", " : "",
	    res->diagnostics ? "a new catalogue of diagnostics" : "",
	    res->nrestart);
}
