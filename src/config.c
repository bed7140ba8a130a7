/*
 * config.c -- crashtrail.conf parsing and validation on top of inih.
 * SPDX-License-Identifier: ISC
 *
 * inih (vendored r62, built with INI_MAX_LINE 4098) would silently cut a
 * longer line, so lines reach it through config_reader(), which counts them
 * (inih's handler gets no line number), refuses an overlong line with a clear
 * error instead, and notes section headers and continuation lines.
 *
 * What each key accepts, and where it goes, is confval.c's key tables;
 * this file reads the file, finds the key and reports what it refuses.
 */
#include <sys/stat.h>

#include <errno.h>
#include <ini.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "platform.h"
#include "confval.h"
#include "https.h"
#include "log.h"
#include "spool.h"

#define CONFIG_FILE_MAX	(1024 * 1024)
#define VALUE_MAX	CMD_MAX

/* Parser state: the file in memory, the current line, the pending value. */
struct cfctx {
	struct config	*cf;
	const char	*text;
	size_t		 len, off;
	int		 lineno;
	int		 errors;
	int		 have_prev;	/* a key was seen in this section */
	int		 cont;		/* the current line continues a key */
	int		 seen_collector;
	char		 section[ID_MAX + 32];	/* as written, uncut */
	/* The value being collected, applied when its last line is read. */
	char		 pend_section[ID_MAX + 32];
	char		 pend_key[64];
	char		 pend_value[VALUE_MAX];
	size_t		 pend_len;
	int		 pend_line;
	int		 pend_overflow;
	uint64_t	 seen[2];	/* keys set in the current section */
	FILE		*errfp;		/* where the errors go */
};

static void	 cferr(struct cfctx *, int, const char *, ...)
		    LOG_PRINTF(3, 4);
static char	*config_reader(char *, int, void *);
static int	 config_handler(void *, const char *, const char *,
		    const char *);
static void	 config_section(struct cfctx *, const char *);
static void	 config_flush(struct cfctx *);
static void	 config_apply(struct cfctx *, const char *, const char *,
		    const char *, int);
static struct runner_conf *config_runner(struct cfctx *, const char *);
static const struct confkey *config_keys(const char *);
static const struct confkey *config_key(const char *, const char *, size_t);
static void	 config_finish(struct cfctx *);
static void	 config_finish_upload(struct cfctx *);
static void	 config_finish_runner(struct cfctx *, struct runner_conf *);
static int	 config_executable(const char *);

static void
cferr(struct cfctx *c, int line, const char *fmt, ...)
{
	va_list	ap;

	if (line > 0)
		fprintf(c->errfp, "%s:%d: ", c->cf->path, line);
	else
		fprintf(c->errfp, "%s: ", c->cf->path);
	va_start(ap, fmt);
	vfprintf(c->errfp, fmt, ap);
	va_end(ap);
	fputc('\n', c->errfp);
	c->errors++;
}

/*
 * inih's line source.  Counts lines, turns an overlong line into an error
 * (and a blank line for inih), and tells the handler whether the line is an
 * indented continuation, exactly as inih itself will read it.
 */
static char *
config_reader(char *str, int num, void *arg)
{
	struct cfctx	*c = arg;
	const char	*line, *nl, *p;
	size_t		 n, rest;

	if (c->off >= c->len)
		return NULL;
	line = c->text + c->off;
	rest = c->len - c->off;
	nl = memchr(line, '\n', rest);
	n = nl ? (size_t)(nl - line) + 1 : rest;
	c->off += n;
	c->lineno++;
	c->cont = 0;
	if (n + 1 > (size_t)num) {
		size_t text = n;

		while (text > 0 && (line[text - 1] == '\n' ||
		    line[text - 1] == '\r'))
			text--;
		cferr(c, c->lineno, "line is %zu bytes long, the limit is %d: "
		    "continue a long command or environment on indented lines",
		    text, num - 2 - (line[n - 1] == '\n' && n > 1 &&
		    line[n - 2] == '\r'));
		strcpy(str, "\n");
		return str;
	}
	memcpy(str, line, n);
	str[n] = '\0';

	for (p = str; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '[' && p > str && c->have_prev) {
		/* inih would take it as the previous value's next line. */
		cferr(c, c->lineno, "indented section header: remove the "
		    "indentation");
		strcpy(str, "\n");
	} else if (*p == '[') {
		config_flush(c);
		config_section(c, p);
		c->have_prev = 0;
	} else if (p > str && c->have_prev && *p != '\0' && *p != '\n' &&
	    *p != '\r' && *p != ';' && *p != '#')
		c->cont = 1;
	return str;
}

/* A section header as inih will read it: name up to the first ']'. */
static void
config_section(struct cfctx *c, const char *p)
{
	char		 name[ID_MAX + 32];
	const char	*end = strchr(p, ']');
	size_t		 n;

	c->seen[0] = c->seen[1] = 0;
	if (end == NULL)
		return;		/* inih reports the syntax error */
	n = (size_t)(end - p - 1);
	c->section[0] = '\0';
	if (n >= sizeof(name)) {
		cferr(c, c->lineno, "section name is too long");
		snprintf(c->section, sizeof(c->section), "?");
		return;
	}
	memcpy(name, p + 1, n);
	name[n] = '\0';
	/* inih cuts section names at 49 bytes: keep our own copy. */
	memcpy(c->section, name, n + 1);
	if (strcmp(name, "collector") == 0) {
		if (c->seen_collector++)
			cferr(c, c->lineno, "duplicate [collector] section");
	} else if (strncmp(name, "runner:", 7) == 0) {
		struct runner_conf	*rc, **nr;
		const char		*why;
		size_t			 i;

		if ((why = id_check(name + 7, ID_MAX)) != NULL) {
			cferr(c, c->lineno, "[%s]: runner name '%s' %s", name,
			    name + 7, why);
			return;
		}
		for (i = 0; i < c->cf->nrunners; i++)
			if (strcmp(c->cf->runners[i]->name, name + 7) == 0) {
				cferr(c, c->lineno, "duplicate section [%s] "
				    "(first at line %d)", name,
				    c->cf->runners[i]->lineno);
				return;
			}
		nr = realloc(c->cf->runners,
		    (c->cf->nrunners + 1) * sizeof(*nr));
		if (nr == NULL || (rc = calloc(1, sizeof(*rc))) == NULL)
			fatal("%s", __func__);
		c->cf->runners = nr;
		nr[c->cf->nrunners++] = rc;
		memcpy(rc->name, name + 7, strlen(name + 7) + 1);
		rc->refs = 1;		/* the config value's */
		rc->lineno = c->lineno;
		rc->autostart = 1;
		rc->autorestart = AUTORESTART_UNEXPECTED;
		rc->startsecs = 1;
		rc->startretries = 3;
		rc->backoff_ms = 1000;
		rc->backoff_max_ms = 60000;
		rc->stopsignal = SIGTERM;
		rc->stopwaitsecs = 10;
		exitcodes_set(&rc->exitcodes, 0);
		rc->capture_stdout = STDOUT_FILE;
		rc->log_max_bytes = 64ULL * 1024 * 1024;
	} else if (strncmp(name, "diagnostic:", 11) == 0) {
		struct diag_conf	*dc, **nd;
		const char		*why;
		size_t			 i;

		if ((why = id_check(name + 11, ID_MAX)) != NULL) {
			cferr(c, c->lineno, "[%s]: diagnostic id '%s' %s",
			    name, name + 11, why);
			return;
		}
		for (i = 0; i < c->cf->ndiags; i++)
			if (strcmp(c->cf->diags[i]->id, name + 11) == 0) {
				cferr(c, c->lineno, "duplicate section [%s] "
				    "(first at line %d)", name,
				    c->cf->diags[i]->lineno);
				return;
			}
		nd = realloc(c->cf->diags, (c->cf->ndiags + 1) * sizeof(*nd));
		if (nd == NULL || (dc = calloc(1, sizeof(*dc))) == NULL)
			fatal("%s", __func__);
		c->cf->diags = nd;
		nd[c->cf->ndiags++] = dc;
		memcpy(dc->id, name + 11, strlen(name + 11) + 1);
		dc->lineno = c->lineno;
		snprintf(dc->severity, sizeof(dc->severity), "error");
		dc->evidence_lines = DIAG_EVIDENCE_DEFAULT;
	} else
		cferr(c, c->lineno, "unknown section [%s] (expected "
		    "[collector], [runner:NAME] or [diagnostic:ID])", name);
}

/* The table of keys of `section`, [collector] or a [runner:NAME]. */
static const struct confkey *
config_keys(const char *section)
{
	if (strcmp(section, "collector") == 0)
		return confval_collector_keys;
	if (strncmp(section, "diagnostic:", 11) == 0)
		return confval_diag_keys;
	return confval_runner_keys;
}

/* Key `name` (its first n bytes) of `section`, or NULL if it has none. */
static const struct confkey *
config_key(const char *section, const char *name, size_t n)
{
	const struct confkey	*k;

	for (k = config_keys(section); k->name != NULL; k++)
		if (strlen(k->name) == n && strncmp(k->name, name, n) == 0)
			return k;
	return NULL;
}

static struct runner_conf *
config_runner(struct cfctx *c, const char *section)
{
	size_t	i;

	if (strncmp(section, "runner:", 7) != 0)
		return NULL;
	for (i = 0; i < c->cf->nrunners; i++)
		if (strcmp(c->cf->runners[i]->name, section + 7) == 0)
			return c->cf->runners[i];
	return NULL;
}

static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct cfctx		*c = arg;
	const struct confkey	*k;
	size_t			 n;

	(void)section;		/* possibly cut by inih: use c->section */
	c->have_prev = 1;
	if (c->section[0] == '\0') {
		cferr(c, c->lineno, "'%s' is outside any section", name);
		return 1;
	}
	section = c->section;
	if (c->cont && c->pend_key[0] != '\0' &&
	    strcmp(c->pend_key, name) == 0) {
		/* "known_key = ..." indented is a key, not more value. */
		n = strcspn(value, " \t=");
		if (value[n + strspn(value + n, " \t")] == '=' &&
		    config_key(section, value, n) != NULL) {
			cferr(c, c->lineno, "indented line '%s' continues '%s': "
			    "remove the indentation", value, name);
			return 1;
		}
		if ((k = config_key(section, name, strlen(name))) == NULL ||
		    !k->multiline) {
			cferr(c, c->lineno, "indented line continues '%s', "
			    "which takes a single line: remove the "
			    "indentation", name);
			return 1;
		}
		n = strlen(value);
		if (c->pend_len + 1 + n >= sizeof(c->pend_value))
			c->pend_overflow = 1;
		else {
			c->pend_value[c->pend_len++] = ' ';
			memcpy(c->pend_value + c->pend_len, value, n + 1);
			c->pend_len += n;
		}
		return 1;
	}
	config_flush(c);
	snprintf(c->pend_section, sizeof(c->pend_section), "%s", section);
	snprintf(c->pend_key, sizeof(c->pend_key), "%s", name);
	n = strlen(value);
	c->pend_overflow = n >= sizeof(c->pend_value);
	c->pend_len = c->pend_overflow ? 0 : n;
	memcpy(c->pend_value, value, c->pend_len);
	c->pend_value[c->pend_len] = '\0';
	c->pend_line = c->lineno;
	return 1;
}

static void
config_flush(struct cfctx *c)
{
	if (c->pend_key[0] == '\0')
		return;
	if (c->pend_overflow)
		cferr(c, c->pend_line, "%s: value is longer than %d bytes",
		    c->pend_key, VALUE_MAX - 1);
	else
		config_apply(c, c->pend_section, c->pend_key, c->pend_value,
		    c->pend_line);
	c->pend_key[0] = '\0';
}

static void
config_apply(struct cfctx *c, const char *section, const char *name,
    const char *value, int line)
{
	const struct confkey	*k;
	void			*obj;
	const char		*why;
	size_t			 i;

	if (strcmp(section, "collector") == 0)
		obj = c->cf;
	else if (strncmp(section, "diagnostic:", 11) == 0) {
		if (c->cf->ndiags == 0 || strcmp(section + 11,
		    c->cf->diags[c->cf->ndiags - 1]->id) != 0)
			return;	/* the section itself was reported */
		obj = c->cf->diags[c->cf->ndiags - 1];
	} else if ((obj = config_runner(c, section)) == NULL)
		return;		/* the section itself was reported */
	if ((k = config_key(section, name, strlen(name))) == NULL) {
		cferr(c, line, "[%s]: unknown key '%s'", section, name);
		return;
	}
	i = (size_t)(k - config_keys(section));
	if (c->seen[i / 64] & (1ULL << (i % 64))) {
		cferr(c, line, "[%s]: duplicate key '%s'", section, name);
		return;
	}
	c->seen[i / 64] |= 1ULL << (i % 64);
	if ((why = confval_set(k, obj, c->cf->path, value)) != NULL)
		cferr(c, line, "[%s]: %s = %s: %s", section, name, value, why);
}

/* An executable regular file; errno 0 when it exists but is not one. */
static int
config_executable(const char *path)
{
	struct stat	st;

	if (access(path, X_OK) == -1 || stat(path, &st) == -1)
		return 0;
	errno = 0;
	return S_ISREG(st.st_mode);
}

/* argv[0] without a slash is looked up on PATH now, as execvp would. */
static void
config_finish_runner(struct cfctx *c, struct runner_conf *rc)
{
	const char	*path, *p, *end;
	char		 cand[PATH_MAX];
	int		 n;

	if (rc->instance_id[0] == '\0')
		snprintf(rc->instance_id, sizeof(rc->instance_id), "%s",
		    c->cf->instance_id);
	if (rc->argv[0] == NULL) {
		cferr(c, rc->lineno, "[runner:%s]: missing command", rc->name);
		return;
	}
	if (rc->backoff_max_ms < rc->backoff_ms)
		rc->backoff_max_ms = rc->backoff_ms;
	if (strchr(rc->argv[0], '/') != NULL) {
		snprintf(rc->exec_path, sizeof(rc->exec_path), "%s",
		    rc->argv[0]);
		if (rc->argv[0][0] != '/' && rc->directory[0] != '\0')
			return;	/* relative to its directory: checked at exec */
		if (!config_executable(rc->exec_path))
			cferr(c, rc->lineno, "[runner:%s]: command %s: %s",
			    rc->name, rc->exec_path, errno == 0 ?
			    "not a regular file" : strerror(errno));
		return;
	}
	if ((path = getenv("PATH")) == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *end ? end + 1 : end) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		/* An empty entry means the current directory, as for execvp. */
		if (end == p)
			n = snprintf(cand, sizeof(cand), "./%s", rc->argv[0]);
		else
			n = snprintf(cand, sizeof(cand), "%.*s/%s",
			    (int)(end - p), p, rc->argv[0]);
		if (n > 0 && (size_t)n < sizeof(cand) &&
		    config_executable(cand)) {
			memcpy(rc->exec_path, cand, (size_t)n + 1);
			return;
		}
	}
	cferr(c, rc->lineno, "[runner:%s]: command '%s' not found in PATH",
	    rc->name, rc->argv[0]);
}

static void
config_finish(struct cfctx *c)
{
	struct config	*cf = c->cf;
	size_t		 i;

	if (cf->log_dir[0] == '\0')
		snprintf(cf->log_dir, sizeof(cf->log_dir), "%s",
		    cf->state_dir);
	if (cf->api_socket[0] == '\0' && snprintf(cf->api_socket,
	    sizeof(cf->api_socket), "%s/crashtrail.sock", cf->state_dir) >=
	    (int)sizeof(cf->api_socket))
		cferr(c, 0, "state_dir is too long for the api socket path");
	if (cf->event_ring_bytes < 64 * 1024 ||
	    cf->event_ring_bytes > 1024ULL * 1024 * 1024 ||
	    (cf->event_ring_bytes & (cf->event_ring_bytes - 1)) != 0)
		cferr(c, 0, "event_ring_bytes must be a power of two from 64K "
		    "to 1G");
	if (cf->event_max_bytes < 4096 || cf->event_max_bytes > 16 * 1024 *
	    1024 || cf->event_max_bytes > cf->event_ring_bytes)
		cferr(c, 0, "event_max_bytes must be from 4K to 16M and at most "
		    "event_ring_bytes");
	if (cf->journal_bytes != 0 && (cf->journal_bytes < 256 * 1024 ||
	    cf->journal_bytes < 2 * cf->event_max_bytes))
		cferr(c, 0, "journal_bytes must be 0 (no journal) or at least "
		    "256K and twice event_max_bytes");
	if (cf->api_max_body < 1024 || cf->api_max_body > 256 * 1024)
		cferr(c, 0, "api_max_body must be from 1K to 256K");
	if (cf->report_samples > cf->samples_per_run)
		cferr(c, 0, "report_samples (%zu) must be at most "
		    "samples_per_run (%zu)", cf->report_samples,
		    cf->samples_per_run);
	config_finish_upload(c);
	for (i = 0; i < cf->nrunners; i++)
		config_finish_runner(c, cf->runners[i]);
	/* The value's own catalogue: the daemon makes it current. */
	diag_platform(platform_name());
	if ((cf->diag_cat = diag_catalog_new()) == NULL)
		cferr(c, 0, "[diagnostic:*]: %d catalogues of diagnostics are "
		    "still in use by runs that started before earlier reloads; "
		    "try again once they have ended", DIAG_CATALOGS_MAX - 1);
	for (i = 0; cf->diag_cat != NULL && i < cf->ndiags; i++) {
		const struct diag_conf	*dc = cf->diags[i];
		const char		*err;

		if (dc->match[0] == '\0')
			cferr(c, dc->lineno, "[diagnostic:%s]: missing match",
			    dc->id);
		else if (diag_catalog_add(cf->diag_cat, dc->id, dc->severity,
		    dc->match, dc->summary[0] ? dc->summary : dc->id,
		    dc->evidence_lines, &err) == -1)
			cferr(c, dc->lineno, "[diagnostic:%s]: %s", dc->id, err);
	}
	if (cf->kmsg_path[0] == '\0' && platform_kmsg_path() != NULL)
		snprintf(cf->kmsg_path, sizeof(cf->kmsg_path), "%s",
		    platform_kmsg_path());
	/* Unset, it is 64, or more to keep two runs of every runner. */
	if (cf->max_runs == 0)
		cf->max_runs = 2 * cf->nrunners > 64 ? 2 * cf->nrunners : 64;
	if (cf->max_runs < 2 * cf->nrunners)
		cferr(c, 0, "max_runs = %zu is too small: it must be at least "
		    "twice the number of runners (%zu)", cf->max_runs,
		    2 * cf->nrunners);
	/* Runner slots: fixed at start, room for reloads to add runners. */
	if (cf->max_runners == 0)
		cf->max_runners = 2 * cf->nrunners > 16 ? 2 * cf->nrunners : 16;
	if (cf->max_runners < cf->nrunners)
		cferr(c, 0, "max_runners = %zu is less than the %zu runners "
		    "configured", cf->max_runners, cf->nrunners);
}

/* The upload keys; the URL from the environment when the file has none. */
static void
config_finish_upload(struct cfctx *c)
{
	struct config	*cf = c->cf;
	struct hc_url	 u;
	const char	*env = getenv("CRASHTRAIL_TELEMETRY_API_URL"), *err;
	size_t		 n;

	if (cf->telemetry_api_url[0] == '\0' && env != NULL &&
	    strlen(env) < sizeof(cf->telemetry_api_url))
		snprintf(cf->telemetry_api_url, sizeof(cf->telemetry_api_url),
		    "%s", env);
	n = strlen(cf->telemetry_api_url);
	while (n > 0 && cf->telemetry_api_url[n - 1] == '/')
		cf->telemetry_api_url[--n] = '\0';
	if (n > 0 && (hc_url_parse(cf->telemetry_api_url, &u, &err) == -1 ||
	    strchr(cf->telemetry_api_url, '?') != NULL))
		cferr(c, 0, "telemetry_api_url %s: %s", cf->telemetry_api_url,
		    strchr(cf->telemetry_api_url, '?') != NULL ?
		    "a base URL has no query" : err);
	if (cf->upload_backoff_min_ms < 10 ||
	    cf->upload_backoff_max_ms < cf->upload_backoff_min_ms)
		cferr(c, 0, "upload_backoff_min must be at least 0.01 s and "
		    "upload_backoff_max at least upload_backoff_min");
	if (cf->upload_timeout_ms < 100)
		cferr(c, 0, "upload_timeout must be at least 0.1 s");
	if (cf->upload_spool_bytes < 4096)
		cferr(c, 0, "upload_spool_bytes must be at least 4K");
}

int
config_check_upload(struct config *cf)
{
	return config_check_upload_to(cf, stderr);
}

int
config_check_upload_to(struct config *cf, FILE *errfp)
{
	if (cf->telemetry && cf->telemetry_api_url[0] == '\0') {
		fprintf(errfp, "%s: telemetry is on but there is no "
		    "telemetry_api_url (nor CRASHTRAIL_TELEMETRY_API_URL)\n",
		    cf->path);
		return -1;
	}
	return 0;
}

int
config_load(struct config *cf, const char *path)
{
	return config_load_to(cf, path, stderr);
}

int
config_load_to(struct config *cf, const char *path, FILE *errfp)
{
	struct cfctx	 c;
	char		*text = NULL;
	FILE		*fp;
	size_t		 n;
	int		 rv;

	memset(cf, 0, sizeof(*cf));
	snprintf(cf->path, sizeof(cf->path), "%s", path);
	snprintf(cf->state_dir, sizeof(cf->state_dir), "/var/lib/crashtrail");
	snprintf(cf->instance_id, sizeof(cf->instance_id), "default");
	cf->log_level = LOG_LEVEL_INFO;
	cf->max_runs = 0;	/* unset: config_finish() picks it */
	cf->tail_lines = 200;
	cf->tail_bytes = 64 * 1024;
	cf->log_quota_bytes = 1024ULL * 1024 * 1024;
	cf->log_max_files = 4096;
	cf->api_max_body = 64 * 1024;
	cf->api_max_connections = 128;
	cf->diag_rate = 16 * 1024 * 1024;
	cf->event_ring = 4096;
	cf->event_ring_bytes = 16 * 1024 * 1024;
	cf->event_max_bytes = 256 * 1024;
	cf->sse_max_clients = 256;
	cf->journal_bytes = 64ULL * 1024 * 1024;
	cf->history = 1024;
	cf->upload_files = 1u << SPOOL_STDERR;
	cf->upload_concurrency = 2;
	cf->upload_spool_jobs = 256;
	cf->upload_spool_bytes = 1024ULL * 1024 * 1024;
	cf->upload_max_attempts = 10;
	cf->upload_max_age = 86400;
	cf->upload_backoff_min_ms = 1000;
	cf->upload_backoff_max_ms = 300000;
	cf->upload_timeout_ms = 30000;
	cf->upload_per_runner_hour = 30;
	cf->sample_interval_ms = 1000;
	cf->samples_per_run = 3600;
	cf->host_samples = 300;
	cf->report_samples = 60;
	cf->stages_per_run = 32;
	cf->cgroup = 1;

	memset(&c, 0, sizeof(c));
	c.cf = cf;
	c.errfp = errfp;
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(errfp, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((text = malloc(CONFIG_FILE_MAX + 1)) == NULL)
		fatal("%s", __func__);
	n = fread(text, 1, CONFIG_FILE_MAX + 1, fp);
	if (ferror(fp) || n > CONFIG_FILE_MAX) {
		fprintf(errfp, "%s: %s\n", path, ferror(fp) ?
		    strerror(errno) : "file is larger than 1 MiB");
		fclose(fp);
		free(text);
		return -1;
	}
	fclose(fp);
	c.text = text;
	c.len = n;

	rv = ini_parse_stream(config_reader, &c, config_handler, &c);
	config_flush(&c);
	if (rv > 0)
		cferr(&c, rv, "syntax error: expected [section], key = value, "
		    "or a comment");
	else if (rv < 0)
		cferr(&c, 0, "cannot parse the file");
	free(text);
	if (c.errors == 0)
		config_finish(&c);
	if (c.errors > 0) {
		fprintf(errfp, "%s: %d error%s\n", path, c.errors,
		    c.errors == 1 ? "" : "s");
		config_free(cf);
		return -1;
	}
	return 0;
}

void
runner_conf_hold(const struct runner_conf *rc)
{
	((struct runner_conf *)(uintptr_t)rc)->refs++;
}

void
runner_conf_release(const struct runner_conf *rc)
{
	struct runner_conf	*w = (struct runner_conf *)(uintptr_t)rc;

	if (w != NULL && --w->refs == 0)
		free(w);
}

void
config_free(struct config *cf)
{
	size_t	i;

	for (i = 0; i < cf->nrunners; i++)
		runner_conf_release(cf->runners[i]);
	free(cf->runners);
	diag_catalog_unref(cf->diag_cat);
	cf->diag_cat = NULL;
	for (i = 0; i < cf->ndiags; i++)
		free(cf->diags[i]);
	free(cf->diags);
	cf->diags = NULL;
	cf->ndiags = 0;
	cf->runners = NULL;
	cf->nrunners = 0;
}
