/*
 * config.h -- crashtrail.conf: the [collector] section and one
 * [runner:NAME] section per supervised program (DESIGN.md section 11).
 *
 * config_load() is a pure function: it parses and validates the whole file
 * (inih, vendored) and reports every problem as "file:line: message"; the
 * result is a value owned by the caller, freed by config_free().  Nothing
 * in it points anywhere else, and nothing else keeps a pointer into it but
 * through a reference: each runner_conf is reference-counted (the value,
 * the runner that uses it, each run started with it) and so is the
 * diagnostics catalogue built from its [diagnostic:ID] sections, so a
 * reload can free an old value while runs of it go on.  Nothing here is
 * touched on the hot path.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "classify.h"
#include "confval.h"	/* the value parsers, config_parse_*() */
#include "ids.h"

#define CMD_MAX		4096	/* command line, bytes */
#define ARGV_MAX	256	/* words in a command */
#define ENV_BUF		8192	/* environment = ..., bytes */
#define ENV_MAX		128	/* variables in environment = ... */
#define CONFIG_URL_MAX	2048	/* telemetry_api_url */

enum autorestart { AUTORESTART_NEVER, AUTORESTART_UNEXPECTED,
    AUTORESTART_ALWAYS };
enum capture_stdout { STDOUT_FILE, STDOUT_NULL, STDOUT_MERGE };

struct runner_conf {
	unsigned	 refs;			/* config value, runner, runs */
	char		 name[ID_MAX + 1];	/* the runner_id */
	char		 instance_id[ID_MAX + 1];
	int		 lineno;		/* of its [runner:NAME] */
	char		 command[CMD_MAX];	/* as written, for messages */
	char		 argbuf[CMD_MAX];
	char		*argv[ARGV_MAX];	/* into argbuf, NULL-ended */
	char		 exec_path[PATH_MAX];	/* argv[0] resolved on PATH */
	char		 directory[PATH_MAX];	/* "" = the collector's cwd */
	char		 envbuf[ENV_BUF];
	char		*env[ENV_MAX];		/* "K=V" into envbuf */
	size_t		 nenv;
	int		 has_user;
	uid_t		 uid;
	gid_t		 gid;
	char		 user[64];
	int		 autostart;
	enum autorestart autorestart;
	int		 startsecs;
	int		 startretries;
	int		 backoff_ms;		/* first restart delay */
	int		 backoff_max_ms;	/* cap of the doubling */
	int		 stopsignal;
	int		 stopwaitsecs;
	struct exitcodes exitcodes;
	enum capture_stdout capture_stdout;
	uint64_t	 log_max_bytes;		/* per file; 0 = no cap */
	uint64_t	 memory_max;		/* cgroup limit; 0 = none */
};

/* A [diagnostic:ID] section: added to the compiled-in catalogue. */
struct diag_catalog;

struct diag_conf {
	char		 id[ID_MAX + 1];
	int		 lineno;
	char		 severity[16];
	char		 match[128];
	char		 summary[160];
	int		 evidence_lines;
};

struct config {
	char		 path[PATH_MAX];	/* the file read */
	char		 state_dir[PATH_MAX];
	char		 log_dir[PATH_MAX];
	char		 instance_id[ID_MAX + 1];	/* runners' default */
	int		 log_level;
	size_t		 max_runs;		/* retained runs, live ones too */
	size_t		 max_runners;		/* runner slots, fixed at start */
	size_t		 tail_lines;
	size_t		 tail_bytes;		/* power of two */
	uint64_t	 log_quota_bytes;	/* all of log_dir; 0 = none */
	size_t		 log_max_files;		/* runs' files kept */
	char		 api_socket[PATH_MAX];	/* default <state_dir>/... */
	char		 api_listen[64];	/* "" or ADDRESS:PORT */
	char		 api_token[256];	/* "" = none */
	int		 api_allow_remote;
	uint64_t	 api_max_body;
	size_t		 api_max_connections;
	size_t		 event_ring;		/* slots */
	uint64_t	 event_ring_bytes;	/* power of two */
	uint64_t	 event_max_bytes;	/* one envelope */
	size_t		 sse_max_clients;
	char		 kmsg_path[PATH_MAX];	/* "" = the platform's, "off" */
	uint64_t	 diag_rate;		/* bytes/s matched; 0 = all */
	uint64_t	 journal_bytes;		/* event journal; 0 = none */
	size_t		 history;		/* past runs indexed at start */
	/* Uploads (DESIGN.md section 10); off unless telemetry. */
	int		 telemetry;
	char		 telemetry_api_url[CONFIG_URL_MAX];	/* no final / */
	char		 ca_file[PATH_MAX];	/* "" = the system bundle */
	unsigned	 upload_files;		/* 1 << enum spool_file */
	size_t		 upload_concurrency;
	size_t		 upload_spool_jobs;
	uint64_t	 upload_spool_bytes;
	size_t		 upload_max_attempts;
	int		 upload_max_age;	/* seconds */
	int		 upload_backoff_min_ms;
	int		 upload_backoff_max_ms;
	int		 upload_timeout_ms;	/* per phase */
	size_t		 upload_per_runner_hour;	/* 0 = no limit */
	/* Metrics and stages (DESIGN.md sections 7 and 8). */
	int		 sample_interval_ms;	/* 0 = no sampling */
	size_t		 samples_per_run;	/* each run's ring */
	size_t		 host_samples;		/* the host's ring */
	size_t		 report_samples;	/* in a death report */
	size_t		 stages_per_run;
	int		 cgroup;		/* 1 auto, 0 off */
	char		 run_as[64];		/* "" = keep the uid we started as */
	struct diag_conf **diags;
	size_t		 ndiags;
	struct diag_catalog *diag_cat;		/* built from diags; held */
	struct runner_conf **runners;		/* each its own allocation: */
	size_t		 nrunners;		/* argv/env point inside it */
};

#define CONFIG_DEFAULT_PATH	"/etc/crashtrail/crashtrail.conf"

/*
 * Parse `path` into `cf`.  Relative paths in the file are taken relative
 * to the file's own directory.  Returns 0, or -1 after printing every
 * error as "path:line: message" to stderr (the caller exits 78).
 */
int	config_load(struct config *cf, const char *path);
/* The same, the errors written to `errfp` (a reload collects them). */
int	config_load_to(struct config *cf, const char *path, FILE *errfp);
/* References to a runner_conf; the last release frees it. */
void	runner_conf_hold(const struct runner_conf *);
void	runner_conf_release(const struct runner_conf *);
/*
 * Checks that depend on the command line too (--telemetry): 0, or -1
 * after printing why to stderr.
 */
int	config_check_upload(struct config *cf);
int	config_check_upload_to(struct config *cf, FILE *errfp);
void	config_free(struct config *cf);

#endif /* CONFIG_H */
