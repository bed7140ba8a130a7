/*
 * confval.c -- the keys of crashtrail.conf: what each accepts and where it
 * is stored, the parsers of their values, and the few keys with a function
 * of their own.
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "argv.h"
#include "classify.h"
#include "config.h"
#include "confval.h"
#include "spool.h"
#include "ids.h"
#include "log.h"

static const char *confval_path(char *, const char *, const char *);
static const char *set_log_level(void *, const char *, const char *);
static const char *set_tail_bytes(void *, const char *, const char *);
static const char *set_api_listen(void *, const char *, const char *);
static const char *set_api_token(void *, const char *, const char *);
static const char *set_kmsg_path(void *, const char *, const char *);
static const char *set_upload_files(void *, const char *, const char *);
static const char *set_sample_interval(void *, const char *, const char *);
static const char *set_cgroup(void *, const char *, const char *);
static const char *set_run_as(void *, const char *, const char *);
static const char *set_command(void *, const char *, const char *);
static const char *set_directory(void *, const char *, const char *);
static const char *set_environment(void *, const char *, const char *);
static const char *set_user(void *, const char *, const char *);
static const char *set_autorestart(void *, const char *, const char *);
static const char *set_stopsignal(void *, const char *, const char *);
static const char *set_exitcodes(void *, const char *, const char *);
static const char *set_capture_stdout(void *, const char *, const char *);

#define CF(field)	offsetof(struct config, field)
#define RC(field)	offsetof(struct runner_conf, field)

/* name, multiline, kind, field, min, max, complaint, custom function */
const struct confkey confval_collector_keys[] = {
	{ "state_dir",		0, CV_PATH, CF(state_dir), 0, 0, NULL, NULL },
	{ "log_dir",		0, CV_PATH, CF(log_dir), 0, 0, NULL, NULL },
	{ "instance_id",	0, CV_ID, CF(instance_id), 0, 0, NULL, NULL },
	{ "log_level",		0, CV_CUSTOM, 0, 0, 0, NULL, set_log_level },
	{ "max_runs",		0, CV_SIZE, CF(max_runs), 2, 100000,
	    "expected an integer from 2 to 100000", NULL },
	{ "max_runners",	0, CV_SIZE, CF(max_runners), 1, 100000,
	    "expected an integer from 1 to 100000", NULL },
	{ "tail_lines",		0, CV_SIZE, CF(tail_lines), 1, 100000,
	    "expected an integer from 1 to 100000", NULL },
	{ "tail_bytes",		0, CV_CUSTOM, 0, 0, 0, NULL, set_tail_bytes },
	{ "log_quota_bytes",	0, CV_BYTES, CF(log_quota_bytes), 0, 0,
	    "expected a size such as 1G, 512M or 0 for no quota", NULL },
	{ "log_max_files",	0, CV_SIZE, CF(log_max_files), 1, 1000000,
	    "expected an integer from 1 to 1000000", NULL },
	{ "api_socket",		0, CV_PATH, CF(api_socket), 0, 0, NULL, NULL },
	{ "api_listen",		0, CV_CUSTOM, 0, 0, 0, NULL, set_api_listen },
	{ "api_token",		0, CV_CUSTOM, 0, 0, 0, NULL, set_api_token },
	{ "api_allow_remote",	0, CV_BOOL, CF(api_allow_remote), 0, 0,
	    "expected yes or no", NULL },
	{ "api_max_body",	0, CV_BYTES, CF(api_max_body), 0, 0,
	    "expected a size such as 64K", NULL },
	{ "api_max_connections", 0, CV_SIZE, CF(api_max_connections), 1,
	    10000, "expected an integer from 1 to 10000", NULL },
	{ "event_ring",		0, CV_SIZE, CF(event_ring), 16, 1000000,
	    "expected an integer from 16 to 1000000", NULL },
	{ "event_ring_bytes",	0, CV_BYTES, CF(event_ring_bytes), 0, 0,
	    "expected a size such as 16M", NULL },
	{ "event_max_bytes",	0, CV_BYTES, CF(event_max_bytes), 0, 0,
	    "expected a size such as 256K", NULL },
	{ "sse_max_clients",	0, CV_SIZE, CF(sse_max_clients), 0, 10000,
	    "expected an integer from 0 to 10000", NULL },
	{ "kmsg_path",		0, CV_CUSTOM, 0, 0, 0, NULL, set_kmsg_path },
	{ "diag_rate",		0, CV_BYTES, CF(diag_rate), 0, 0,
	    "expected a size per second such as 64M, or 0 for no limit",
	    NULL },
	{ "journal_bytes",	0, CV_BYTES, CF(journal_bytes), 0, 0,
	    "expected a size such as 64M, or 0 for no journal", NULL },
	{ "history",		0, CV_SIZE, CF(history), 0, 1000000,
	    "expected an integer from 0 to 1000000", NULL },
	{ "telemetry",		0, CV_BOOL, CF(telemetry), 0, 0,
	    "expected on or off", NULL },
	{ "telemetry_api_url",	0, CV_STR, CF(telemetry_api_url), 0,
	    CONFIG_URL_MAX, "is longer than 2047 bytes", NULL },
	{ "ca_file",		0, CV_PATH, CF(ca_file), 0, 0, NULL, NULL },
	{ "upload_files",	0, CV_CUSTOM, 0, 0, 0, NULL, set_upload_files },
	{ "upload_concurrency",	0, CV_SIZE, CF(upload_concurrency), 1, 16,
	    "expected an integer from 1 to 16", NULL },
	{ "upload_spool_jobs",	0, CV_SIZE, CF(upload_spool_jobs), 1, 100000,
	    "expected an integer from 1 to 100000", NULL },
	{ "upload_spool_bytes",	0, CV_BYTES, CF(upload_spool_bytes), 0, 0,
	    "expected a size such as 1G", NULL },
	{ "upload_max_attempts", 0, CV_SIZE, CF(upload_max_attempts), 1, 1000,
	    "expected an integer from 1 to 1000", NULL },
	{ "upload_max_age",	0, CV_INT, CF(upload_max_age), 1, 30 * 86400,
	    "expected seconds from 1 to 2592000 (30 days)", NULL },
	{ "upload_backoff_min",	0, CV_MS, CF(upload_backoff_min_ms), 0, 0,
	    "expected seconds such as 1 or 0.25", NULL },
	{ "upload_backoff_max",	0, CV_MS, CF(upload_backoff_max_ms), 0, 0,
	    "expected seconds such as 300", NULL },
	{ "upload_timeout",	0, CV_MS, CF(upload_timeout_ms), 0, 0,
	    "expected seconds such as 30", NULL },
	{ "upload_per_runner_hour", 0, CV_SIZE, CF(upload_per_runner_hour), 0,
	    100000, "expected an integer from 0 (no limit) to 100000", NULL },
	{ "sample_interval_ms",	0, CV_CUSTOM, 0, 0, 0, NULL,
	    set_sample_interval },
	{ "samples_per_run",	0, CV_SIZE, CF(samples_per_run), 1, 1000000,
	    "expected an integer from 1 to 1000000 (a ring of 0 samples "
	    "would keep nothing)", NULL },
	{ "host_samples",	0, CV_SIZE, CF(host_samples), 1, 1000000,
	    "expected an integer from 1 to 1000000", NULL },
	{ "report_samples",	0, CV_SIZE, CF(report_samples), 0, 10000,
	    "expected an integer from 0 to 10000", NULL },
	{ "stages_per_run",	0, CV_SIZE, CF(stages_per_run), 1, 254,
	    "expected an integer from 1 to 254", NULL },
	{ "cgroup",		0, CV_CUSTOM, 0, 0, 0, NULL, set_cgroup },
	{ "run_as",		0, CV_CUSTOM, 0, 0, 0, NULL, set_run_as },
	{ NULL, 0, CV_CUSTOM, 0, 0, 0, NULL, NULL }
};

#define DC(f)	offsetof(struct diag_conf, f)

/* [diagnostic:ID]: what diag_add() takes (it checks the values). */
const struct confkey confval_diag_keys[] = {
	{ "severity",		0, CV_STR, DC(severity), 0, 16,
	    "expected info, warning, error or fatal", NULL },
	{ "match",		0, CV_STR, DC(match), 0, 128,
	    "is longer than 127 bytes", NULL },
	{ "summary",		0, CV_STR, DC(summary), 0, 160,
	    "is longer than 159 bytes", NULL },
	{ "evidence_lines",	0, CV_INT, DC(evidence_lines), 1, 8,
	    "expected an integer from 1 to 8", NULL },
	{ NULL, 0, CV_CUSTOM, 0, 0, 0, NULL, NULL }
};

const struct confkey confval_runner_keys[] = {
	{ "command",		1, CV_CUSTOM, 0, 0, 0, NULL, set_command },
	{ "instance_id",	0, CV_ID, RC(instance_id), 0, 0, NULL, NULL },
	{ "directory",		0, CV_CUSTOM, 0, 0, 0, NULL, set_directory },
	{ "environment",	1, CV_CUSTOM, 0, 0, 0, NULL, set_environment },
	{ "user",		0, CV_CUSTOM, 0, 0, 0, NULL, set_user },
	{ "autostart",		0, CV_BOOL, RC(autostart), 0, 0,
	    "expected yes or no", NULL },
	{ "autorestart",	0, CV_CUSTOM, 0, 0, 0, NULL, set_autorestart },
	{ "startsecs",		0, CV_INT, RC(startsecs), 0, 3600,
	    "expected seconds from 0 to 3600", NULL },
	{ "startretries",	0, CV_INT, RC(startretries), 0, 1000000,
	    "expected an integer from 0 to 1000000", NULL },
	{ "backoff",		0, CV_MS, RC(backoff_ms), 0, 0,
	    "expected seconds such as 1 or 0.5", NULL },
	{ "backoff_max",	0, CV_MS, RC(backoff_max_ms), 0, 0,
	    "expected seconds such as 60", NULL },
	{ "stopsignal",		0, CV_CUSTOM, 0, 0, 0, NULL, set_stopsignal },
	{ "stopwaitsecs",	0, CV_INT, RC(stopwaitsecs), 0, 3600,
	    "expected seconds from 0 to 3600", NULL },
	{ "exitcodes",		0, CV_CUSTOM, 0, 0, 0, NULL, set_exitcodes },
	{ "capture_stdout",	0, CV_CUSTOM, 0, 0, 0, NULL,
	    set_capture_stdout },
	{ "log_max_bytes",	0, CV_BYTES, RC(log_max_bytes), 0, 0,
	    "expected a size such as 64M, or 0 for no cap", NULL },
	{ "memory_max",		0, CV_BYTES, RC(memory_max), 0, 0,
	    "expected a size such as 512M, or 0 for no limit", NULL },
	{ NULL, 0, CV_CUSTOM, 0, 0, 0, NULL, NULL }
};

int
config_parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

int
config_parse_uint(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t	n = 0;

	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		if (n > (UINT64_MAX - (uint64_t)(*v - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	if (n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int
config_parse_size(const char *v, uint64_t *out)
{
	char		num[32];
	const char	*s;
	size_t		n;
	uint64_t	val, mul = 1;

	for (s = v; *s >= '0' && *s <= '9'; s++)
		;
	n = (size_t)(s - v);
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, v, n);
	num[n] = '\0';
	if (*s != '\0') {
		if (strcasecmp(s, "k") == 0 || strcasecmp(s, "kib") == 0)
			mul = 1024;
		else if (strcasecmp(s, "m") == 0 || strcasecmp(s, "mib") == 0)
			mul = 1024 * 1024;
		else if (strcasecmp(s, "g") == 0 || strcasecmp(s, "gib") == 0)
			mul = 1024 * 1024 * 1024;
		else
			return -1;
	}
	if (config_parse_uint(num, 0, UINT64_MAX, &val) == -1 ||
	    val > UINT64_MAX / mul)
		return -1;
	*out = val * mul;
	return 0;
}

int
config_parse_ms(const char *v, int *out)
{
	uint64_t	secs, frac = 0;
	char		ip[16];
	const char	*dot = strchr(v, '.');
	size_t		n, i;

	n = dot ? (size_t)(dot - v) : strlen(v);
	if (n == 0 || n >= sizeof(ip))
		return -1;
	memcpy(ip, v, n);
	ip[n] = '\0';
	if (config_parse_uint(ip, 0, 86400, &secs) == -1)
		return -1;
	if (dot != NULL) {
		if (dot[1] == '\0' || strlen(dot + 1) > 3)
			return -1;
		for (i = 1; i <= 3; i++) {
			frac *= 10;
			if (dot[i] == '\0')
				continue;
			if (dot[i] < '0' || dot[i] > '9')
				return -1;
			frac += (uint64_t)(dot[i] - '0');
			if (dot[i + 1] == '\0') {
				for (i++; i <= 3; i++)
					frac *= 10;
				break;
			}
		}
	}
	*out = (int)(secs * 1000 + frac);
	return 0;
}

/*
 * A path in the file means the same wherever crashtrail is started from,
 * so a relative one is taken from the directory of the file itself.
 */
static const char *
confval_path(char *dst, const char *cfpath, const char *v)
{
	const char	*slash;
	int		 n;

	if (*v == '\0')
		return "is empty";
	if (v[0] == '/' || (slash = strrchr(cfpath, '/')) == NULL)
		n = snprintf(dst, PATH_MAX, "%s", v);
	else
		n = snprintf(dst, PATH_MAX, "%.*s/%s", (int)(slash - cfpath),
		    cfpath, v);
	if (n < 0 || n >= PATH_MAX) {
		dst[0] = '\0';
		return "path is too long";
	}
	return NULL;
}

const char *
confval_set(const struct confkey *k, void *obj, const char *cfpath,
    const char *v)
{
	char		*field = (char *)obj + k->off;
	const char	*why;
	uint64_t	 n;

	switch (k->kind) {
	case CV_CUSTOM:
		return k->set(obj, cfpath, v);
	case CV_PATH:
		return confval_path(field, cfpath, v);
	case CV_STR:
		if (strlen(v) >= k->max)
			return k->why;
		memcpy(field, v, strlen(v) + 1);
		return NULL;
	case CV_ID:
		if ((why = id_check(v, ID_MAX)) == NULL)
			snprintf(field, ID_MAX + 1, "%s", v);
		return why;
	case CV_BOOL:
		return config_parse_bool(v, (int *)field) == 0 ? NULL : k->why;
	case CV_INT:
	case CV_SIZE:
		if (config_parse_uint(v, k->min, k->max, &n) == -1)
			return k->why;
		if (k->kind == CV_INT)
			*(int *)field = (int)n;
		else
			*(size_t *)field = (size_t)n;
		return NULL;
	case CV_BYTES:
		return config_parse_size(v, (uint64_t *)field) == 0 ? NULL :
		    k->why;
	case CV_MS:
		return config_parse_ms(v, (int *)field) == 0 ? NULL : k->why;
	}
	return "has an unknown kind";	/* not reached: a bad key table */
}

static const char *
set_log_level(void *o, const char *cfpath, const char *v)
{
	struct config	*cf = o;

	(void)cfpath;
	if (strcmp(v, "warn") == 0)
		cf->log_level = LOG_LEVEL_WARN;
	else if (strcmp(v, "info") == 0)
		cf->log_level = LOG_LEVEL_INFO;
	else if (strcmp(v, "debug") == 0)
		cf->log_level = LOG_LEVEL_DEBUG;
	else
		return "expected warn, info or debug";
	return NULL;
}

static const char *
set_tail_bytes(void *o, const char *cfpath, const char *v)
{
	uint64_t	n;

	(void)cfpath;
	if (config_parse_size(v, &n) == -1 || n < 1024 ||
	    n > 16 * 1024 * 1024 || (n & (n - 1)) != 0)
		return "expected a power of two from 1K to 16M";
	((struct config *)o)->tail_bytes = (size_t)n;
	return NULL;
}

static const char *
set_command(void *o, const char *cfpath, const char *v)
{
	struct runner_conf	*rc = o;
	const char		*err;

	(void)cfpath;
	if (strlen(v) >= sizeof(rc->command))
		return "is too long";
	snprintf(rc->command, sizeof(rc->command), "%s", v);
	if (argv_split(v, rc->argbuf, sizeof(rc->argbuf), rc->argv, ARGV_MAX,
	    &err) == -1)
		return err;
	return NULL;
}

static const char *
set_directory(void *o, const char *cfpath, const char *v)
{
	struct runner_conf	*rc = o;
	struct stat		 st;
	const char		*why;

	if ((why = confval_path(rc->directory, cfpath, v)) != NULL)
		return why;
	if (stat(rc->directory, &st) == -1)
		return strerror(errno);
	if (!S_ISDIR(st.st_mode))
		return "is not a directory";
	return NULL;
}

/*
 * environment = KEY="value",KEY2=value2 (supervisord's syntax).  Values may
 * be quoted with ' or "; a comma outside quotes ends a pair.
 */
static const char *
set_environment(void *o, const char *cfpath, const char *v)
{
	struct runner_conf	*rc = o;
	const char		*p = v;
	size_t			 o_ = 0, kstart;
	char			 q;

	(void)cfpath;
	rc->nenv = 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (rc->nenv + 1 >= ENV_MAX)
			return "too many variables";
		kstart = o_;
		while (*p != '=' && *p != ',' && *p != '\0') {
			if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= 'a' && *p <= 'z') ||
			    (o_ > kstart && *p >= '0' && *p <= '9')))
				return "a variable name may only contain "
				    "A-Z a-z 0-9 _ and not start with a digit";
			if (o_ + 2 >= sizeof(rc->envbuf))
				return "is too long";
			rc->envbuf[o_++] = *p++;
		}
		if (*p != '=' || o_ == kstart)
			return "expected KEY=value[,KEY=value...]";
		if (strncmp(rc->envbuf + kstart, "CRASHTRAIL_", 11) == 0)
			return "CRASHTRAIL_* variables are set by crashtrail";
		rc->envbuf[o_++] = *p++;
		q = 0;
		for (; *p != '\0' && (q != 0 || *p != ','); p++) {
			if (q == 0 && (*p == '"' || *p == '\'')) {
				q = *p;
				continue;
			}
			if (q != 0 && *p == q) {
				q = 0;
				continue;
			}
			if (o_ + 2 >= sizeof(rc->envbuf))
				return "is too long";
			rc->envbuf[o_++] = *p;
		}
		if (q != 0)
			return "unterminated quote";
		rc->envbuf[o_++] = '\0';
		rc->env[rc->nenv++] = rc->envbuf + kstart;
	}
	rc->env[rc->nenv] = NULL;
	return NULL;
}

static const char *
set_user(void *o, const char *cfpath, const char *v)
{
	struct runner_conf	*rc = o;
	struct passwd		*pw;

	(void)cfpath;
	if ((pw = getpwnam(v)) == NULL)
		return "no such user";
	if (geteuid() != 0 && pw->pw_uid != geteuid())
		return "running as another user needs crashtrail to run as root";
	rc->has_user = 1;
	rc->uid = pw->pw_uid;
	rc->gid = pw->pw_gid;
	snprintf(rc->user, sizeof(rc->user), "%s", v);
	return NULL;
}

static const char *
set_autorestart(void *o, const char *cfpath, const char *v)
{
	struct runner_conf	*rc = o;

	(void)cfpath;
	if (strcmp(v, "unexpected") == 0)
		rc->autorestart = AUTORESTART_UNEXPECTED;
	else if (strcmp(v, "always") == 0 || strcmp(v, "true") == 0)
		rc->autorestart = AUTORESTART_ALWAYS;
	else if (strcmp(v, "never") == 0 || strcmp(v, "false") == 0)
		rc->autorestart = AUTORESTART_NEVER;
	else
		return "expected unexpected, always or never";
	return NULL;
}

static const char *
set_stopsignal(void *o, const char *cfpath, const char *v)
{
	int	no = signal_number(v);

	(void)cfpath;
	if (no <= 0 || signal_name(no) == NULL)
		return "unknown signal (use a name such as TERM, INT, QUIT)";
	((struct runner_conf *)o)->stopsignal = no;
	return NULL;
}

static const char *
set_exitcodes(void *o, const char *cfpath, const char *v)
{
	struct runner_conf	*rc = o;
	char			 buf[1024], *tok, *save;
	uint64_t		 n;
	int			 any = 0;

	(void)cfpath;
	if (strlen(v) >= sizeof(buf))
		return "is too long";
	snprintf(buf, sizeof(buf), "%s", v);
	memset(&rc->exitcodes, 0, sizeof(rc->exitcodes));
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (config_parse_uint(tok, 0, 255, &n) == -1)
			return "expected a list of exit codes from 0 to 255";
		exitcodes_set(&rc->exitcodes, (int)n);
		any = 1;
	}
	return any ? NULL : "expected at least one exit code";
}

static const char *
set_capture_stdout(void *o, const char *cfpath, const char *v)
{
	struct runner_conf	*rc = o;
	int			 b;

	(void)cfpath;
	if (strcmp(v, "merge") == 0)
		rc->capture_stdout = STDOUT_MERGE;
	else if (config_parse_bool(v, &b) == 0)
		rc->capture_stdout = b ? STDOUT_FILE : STDOUT_NULL;
	else
		return "expected yes (own file), merge (into stderr) or no";
	return NULL;
}

/*
 * "off" is a word, not a file next to the config: it is kept as it is,
 * and kmsgwatch_init() then leaves the watcher off.  A file of that name
 * is still reachable as ./off.
 */
static const char *
set_kmsg_path(void *obj, const char *cfpath, const char *v)
{
	struct config	*cf = obj;

	if (strcmp(v, "off") == 0) {
		snprintf(cf->kmsg_path, sizeof(cf->kmsg_path), "off");
		return NULL;
	}
	return confval_path(cf->kmsg_path, cfpath, v);
}

static const char *
set_api_listen(void *obj, const char *cfpath, const char *v)
{
	struct config	*cf = obj;

	(void)cfpath;
	if (strlen(v) >= sizeof(cf->api_listen) || strchr(v, ':') == NULL)
		return "expected ADDRESS:PORT such as 127.0.0.1:7711";
	memcpy(cf->api_listen, v, strlen(v) + 1);
	return NULL;
}

static const char *
set_api_token(void *obj, const char *cfpath, const char *v)
{
	struct config	*cf = obj;
	const char	*p;

	(void)cfpath;
	if (strlen(v) < 16 || strlen(v) >= sizeof(cf->api_token))
		return "a token must be 16 to 255 characters";
	for (p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return "a token may only contain printable ASCII "
			    "without spaces";
	memcpy(cf->api_token, v, strlen(v) + 1);
	return NULL;
}

/* A comma-separated list of stderr, stdout and report. */
static const char *
set_upload_files(void *obj, const char *cfpath, const char *v)
{
	struct config	*cf = obj;
	const char	*p = v, *q;
	size_t		 n;
	int		 f;

	(void)cfpath;
	cf->upload_files = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		q = p + strcspn(p, ", ");
		n = (size_t)(q - p);
		for (f = 0; f < SPOOL_FILE_MAX; f++)
			if (n == strlen(spool_file_name((enum spool_file)f)) &&
			    memcmp(p, spool_file_name((enum spool_file)f),
			    n) == 0)
				break;
		if (f == SPOOL_FILE_MAX)
			return "expected a list of stderr, stdout and report";
		cf->upload_files |= 1u << f;
		while (*q == ' ')
			q++;
		if (*q == '\0')
			return NULL;
		if (*q != ',')
			return "expected a list of stderr, stdout and report";
		p = q + 1;
	}
}

/* 0 turns sampling off; else every N ms, N from 50 to one hour. */
static const char *
set_sample_interval(void *obj, const char *cfpath, const char *v)
{
	struct config	*cf = obj;
	char		*end;
	long		 n;

	(void)cfpath;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' ||
	    (n != 0 && (n < 50 || n > 3600000)))
		return "expected milliseconds from 50 to 3600000, or 0 for no "
		    "sampling";
	cf->sample_interval_ms = (int)n;
	return NULL;
}

/* auto: a memory cgroup per run where the machine allows; off: never. */
static const char *
set_cgroup(void *obj, const char *cfpath, const char *v)
{
	struct config	*cf = obj;

	(void)cfpath;
	if (strcmp(v, "auto") == 0)
		cf->cgroup = 1;
	else if (strcmp(v, "off") == 0)
		cf->cgroup = 0;
	else
		return "expected auto or off";
	return NULL;
}

/* run_as = USER: crashtrail drops to USER once started (privdrop.h). */
static const char *
set_run_as(void *obj, const char *cfpath, const char *v)
{
	struct config	*cf = obj;
	struct passwd	*pw;

	(void)cfpath;
	if (strlen(v) >= sizeof(cf->run_as))
		return "is longer than 63 bytes";
	if ((pw = getpwnam(v)) == NULL)
		return "no such user";
	if (geteuid() != 0 && pw->pw_uid != geteuid())
		return "running as another user needs crashtrail to start as "
		    "root";
	snprintf(cf->run_as, sizeof(cf->run_as), "%s", v);
	return NULL;
}
