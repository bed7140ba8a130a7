/*
 * reload.h -- a new config without a restart (DESIGN.md section 11): SIGHUP,
 * `crashtrail reload` and POST /v1/reload all come here.
 * SPDX-License-Identifier: ISC
 *
 * The file is loaded into a new config value (config_load_to(): pure); a
 * value with any error is refused whole and nothing changes.  Otherwise
 * the two values are compared (reload_plan(), a pure function too) and
 * the difference applied:
 *  - runners added start (if autostart); removed ones stop with their
 *    ladder and their slot is freed once they are reported; runners whose
 *    process-shaping keys changed (command, environment, directory, user,
 *    stopsignal, instance_id, capture_stdout, log_max_bytes) are stopped
 *    with their ladder and started again with the new config; runners
 *    where only supervision keys changed (autostart, autorestart,
 *    startsecs, startretries, backoff, backoff_max, stopwaitsecs,
 *    exitcodes) keep their process and take the new values; the others
 *    keep everything;
 *  - [collector] keys that can change live (log_level, log_quota_bytes,
 *    api_token, diag_rate, instance_id, the [diagnostic:ID] sections)
 *    apply at once; the others size pools, move directories or are read
 *    once at start: they are reported as needs_restart and keep their
 *    running value;
 *  - a changed catalogue of diagnostics becomes current: runs started
 *    before go on matching against the one they started with;
 *  - a collector_reloaded event says what changed.
 * A reload allocates (the new value); the values and catalogues it
 * replaces are freed once nothing holds them, so reloads do not grow
 * memory.
 */
#ifndef RELOAD_H
#define RELOAD_H

#include <stddef.h>

#include "config.h"
#include "ids.h"

struct jw;
struct logstore;

enum reload_kind {
	RL_UNCHANGED,
	RL_SUPERVISION,		/* supervision keys only: the process stays */
	RL_RESTART,		/* the process must be started again */
	RL_ADDED,
	RL_REMOVED
};

struct reload_item {
	char		 name[ID_MAX + 1];
	enum reload_kind kind;
};

/* What a reload did, or would do; every list is allocated. */
struct reload_result {
	struct reload_item *runners;	/* old and new runners, by name */
	size_t		 nrunners;
	const char	**live;		/* [collector] keys applied */
	size_t		 nlive;
	const char	**restart;	/* keys kept until a restart */
	size_t		 nrestart;
	int		 diagnostics;	/* the catalogue changed */
	char		*errors;	/* "file:line: ..." lines, or NULL */
};

/* The running config and log store the reloads change; at start-up. */
void	reload_init(struct config *live, struct logstore *);
/* 0 when applied; -1 with res->errors when refused (nothing changed). */
int	reload_run(struct reload_result *res);
void	reload_result_free(struct reload_result *);
/* The result as one JSON object: added, removed, changed, ... */
void	reload_result_json(struct jw *, const struct reload_result *);
/* One line for the log or the CLI: "2 added, 1 removed, ...". */
void	reload_result_line(const struct reload_result *, char *, size_t);

/* Pure: how runner `b` differs from `a` (same name). */
enum reload_kind reload_runner_diff(const struct runner_conf *a,
	    const struct runner_conf *b);
/* Pure: the plan from `old` to `new` into res (no errors set). */
void	reload_plan(const struct config *old, const struct config *new,
	    struct reload_result *res);

#endif /* RELOAD_H */
