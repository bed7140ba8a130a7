/*
 * config.c -- crashtrail.conf parsing and validation on top of inih.
 * SPDX-License-Identifier: ISC
 *
 * Debian's libinih reads lines through a 200-byte buffer and silently cuts
 * longer ones, so lines reach it through config_reader(), which counts them
 * (inih's handler gets no line number), refuses an overlong line with a clear
 * error instead, and notes section headers and continuation lines.
 */
#include <sys/stat.h>

#include <errno.h>
#include <ini.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "log.h"

#define CONFIG_FILE_MAX	(1024 * 1024)
#define INIH_LINE_MAX	200	/* Debian's INI_MAX_LINE */
#define VALUE_MAX	CMD_MAX

struct cfctx;
typedef const char *(*setter)(struct cfctx *, void *, const char *);

struct key {
	const char	*name;
	setter		 set;
	int		 multiline;	/* may continue on indented lines */
};

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
	int		 max_runs_set;
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
static int	 config_multiline(const char *, const char *);
static int	 config_looks_like_key(const char *, const char *);
static void	 config_resolve(struct cfctx *, char *, size_t, const char *);
static void	 config_finish(struct cfctx *);
static void	 config_finish_runner(struct cfctx *, struct runner_conf *);
static int	 config_executable(const char *);
static int	 parse_uint(const char *, uint64_t, uint64_t, uint64_t *);

static const char *set_path(struct cfctx *, char *, const char *);
static const char *set_c_state_dir(struct cfctx *, void *, const char *);
static const char *set_c_log_dir(struct cfctx *, void *, const char *);
static const char *set_c_instance_id(struct cfctx *, void *, const char *);
static const char *set_c_log_level(struct cfctx *, void *, const char *);
static const char *set_c_max_runs(struct cfctx *, void *, const char *);
static const char *set_c_tail_lines(struct cfctx *, void *, const char *);
static const char *set_c_tail_bytes(struct cfctx *, void *, const char *);
static const char *set_c_log_quota_bytes(struct cfctx *, void *,
		    const char *);
static const char *set_c_log_max_files(struct cfctx *, void *, const char *);
static const char *set_r_command(struct cfctx *, void *, const char *);
static const char *set_r_instance_id(struct cfctx *, void *, const char *);
static const char *set_r_directory(struct cfctx *, void *, const char *);
static const char *set_r_environment(struct cfctx *, void *, const char *);
static const char *set_r_user(struct cfctx *, void *, const char *);
static const char *set_r_autostart(struct cfctx *, void *, const char *);
static const char *set_r_autorestart(struct cfctx *, void *, const char *);
static const char *set_r_startsecs(struct cfctx *, void *, const char *);
static const char *set_r_startretries(struct cfctx *, void *, const char *);
static const char *set_r_backoff(struct cfctx *, void *, const char *);
static const char *set_r_backoff_max(struct cfctx *, void *, const char *);
static const char *set_r_stopsignal(struct cfctx *, void *, const char *);
static const char *set_r_stopwaitsecs(struct cfctx *, void *, const char *);
static const char *set_r_exitcodes(struct cfctx *, void *, const char *);
static const char *set_r_capture_stdout(struct cfctx *, void *,
		    const char *);
static const char *set_r_log_max_bytes(struct cfctx *, void *, const char *);

static const struct key collector_keys[] = {
	{ "state_dir",		set_c_state_dir,	0 },
	{ "log_dir",		set_c_log_dir,		0 },
	{ "instance_id",	set_c_instance_id,	0 },
	{ "log_level",		set_c_log_level,	0 },
	{ "max_runs",		set_c_max_runs,		0 },
	{ "tail_lines",		set_c_tail_lines,	0 },
	{ "tail_bytes",		set_c_tail_bytes,	0 },
	{ "log_quota_bytes",	set_c_log_quota_bytes,	0 },
	{ "log_max_files",	set_c_log_max_files,	0 },
	{ NULL, NULL, 0 }
};

static const struct key runner_keys[] = {
	{ "command",		set_r_command,		1 },
	{ "instance_id",	set_r_instance_id,	0 },
	{ "directory",		set_r_directory,	0 },
	{ "environment",	set_r_environment,	1 },
	{ "user",		set_r_user,		0 },
	{ "autostart",		set_r_autostart,	0 },
	{ "autorestart",	set_r_autorestart,	0 },
	{ "startsecs",		set_r_startsecs,	0 },
	{ "startretries",	set_r_startretries,	0 },
	{ "backoff",		set_r_backoff,		0 },
	{ "backoff_max",	set_r_backoff_max,	0 },
	{ "stopsignal",		set_r_stopsignal,	0 },
	{ "stopwaitsecs",	set_r_stopwaitsecs,	0 },
	{ "exitcodes",		set_r_exitcodes,	0 },
	{ "capture_stdout",	set_r_capture_stdout,	0 },
	{ "log_max_bytes",	set_r_log_max_bytes,	0 },
	{ NULL, NULL, 0 }
};

static void
cferr(struct cfctx *c, int line, const char *fmt, ...)
{
	va_list	ap;

	if (line > 0)
		fprintf(stderr, "%s:%d: ", c->cf->path, line);
	else
		fprintf(stderr, "%s: ", c->cf->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	c->errors++;
}

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

/* A decimal integer with no sign, no junk, within [min, max]. */
static int
parse_uint(const char *v, uint64_t min, uint64_t max, uint64_t *out)
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

/* Bytes, with an optional K/M/G (binary) suffix: 64M, 512KiB, 1G. */
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
	if (parse_uint(num, 0, UINT64_MAX, &val) == -1 ||
	    val > UINT64_MAX / mul)
		return -1;
	*out = val * mul;
	return 0;
}

/* Seconds with up to three decimals ("2", "0.25"), returned in ms. */
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
	if (parse_uint(ip, 0, 86400, &secs) == -1)
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
	} else
		cferr(c, c->lineno, "unknown section [%s] (expected "
		    "[collector] or [runner:NAME])", name);
}

/* Whether a continuation line reads "known_key = ...". */
static int
config_looks_like_key(const char *section, const char *v)
{
	const struct key	*k;
	size_t			 n = strcspn(v, " \t=");

	if (v[n + strspn(v + n, " \t")] != '=')
		return 0;
	k = strcmp(section, "collector") == 0 ? collector_keys : runner_keys;
	for (; k->name != NULL; k++)
		if (strlen(k->name) == n && strncmp(k->name, v, n) == 0)
			return 1;
	return 0;
}

/* Whether `name` in `section` may continue on indented lines. */
static int
config_multiline(const char *section, const char *name)
{
	const struct key	*k;

	k = strcmp(section, "collector") == 0 ? collector_keys : runner_keys;
	for (; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return k->multiline;
	return 0;
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
	struct cfctx	*c = arg;
	size_t		 n;

	(void)section;		/* possibly cut by inih: use c->section */
	c->have_prev = 1;
	if (c->section[0] == '\0') {
		cferr(c, c->lineno, "'%s' is outside any section", name);
		return 1;
	}
	section = c->section;
	if (c->cont && c->pend_key[0] != '\0' &&
	    strcmp(c->pend_key, name) == 0) {
		if (config_looks_like_key(section, value)) {
			cferr(c, c->lineno, "indented line '%s' continues '%s': "
			    "remove the indentation", value, name);
			return 1;
		}
		if (!config_multiline(section, name)) {
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
	const struct key	*keys, *k;
	void			*obj;
	const char		*why;
	size_t			 i;

	if (strcmp(section, "collector") == 0) {
		keys = collector_keys;
		obj = c->cf;
	} else if ((obj = config_runner(c, section)) != NULL)
		keys = runner_keys;
	else
		return;		/* the section itself was reported */
	for (i = 0, k = keys; k->name != NULL; k++, i++)
		if (strcmp(k->name, name) == 0)
			break;
	if (k->name == NULL) {
		cferr(c, line, "[%s]: unknown key '%s'", section, name);
		return;
	}
	if (c->seen[i / 64] & (1ULL << (i % 64))) {
		cferr(c, line, "[%s]: duplicate key '%s'", section, name);
		return;
	}
	c->seen[i / 64] |= 1ULL << (i % 64);
	if ((why = k->set(c, obj, value)) != NULL)
		cferr(c, line, "[%s]: %s = %s: %s", section, name, value, why);
}

/* Relative paths are taken relative to the config file's directory. */
static void
config_resolve(struct cfctx *c, char *dst, size_t len, const char *v)
{
	const char	*slash;
	int		 n;

	if (v[0] == '/' || (slash = strrchr(c->cf->path, '/')) == NULL)
		n = snprintf(dst, len, "%s", v);
	else
		n = snprintf(dst, len, "%.*s/%s",
		    (int)(slash - c->cf->path), c->cf->path, v);
	if (n < 0 || (size_t)n >= len)
		dst[0] = '\0';
}

static const char *
set_path(struct cfctx *c, char *dst, const char *v)
{
	if (*v == '\0')
		return "is empty";
	config_resolve(c, dst, PATH_MAX, v);
	if (dst[0] == '\0')
		return "path is too long";
	return NULL;
}

static const char *
set_c_state_dir(struct cfctx *c, void *o, const char *v)
{
	return set_path(c, ((struct config *)o)->state_dir, v);
}

static const char *
set_c_log_dir(struct cfctx *c, void *o, const char *v)
{
	return set_path(c, ((struct config *)o)->log_dir, v);
}

static const char *
set_c_instance_id(struct cfctx *c, void *o, const char *v)
{
	const char	*why = id_check(v, ID_MAX);

	(void)c;
	if (why == NULL)
		snprintf(((struct config *)o)->instance_id, ID_MAX + 1, "%s",
		    v);
	return why;
}

static const char *
set_c_log_level(struct cfctx *c, void *o, const char *v)
{
	struct config	*cf = o;

	(void)c;
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
set_c_max_runs(struct cfctx *c, void *o, const char *v)
{
	uint64_t	n;

	if (parse_uint(v, 2, 100000, &n) == -1)
		return "expected an integer from 2 to 100000";
	((struct config *)o)->max_runs = (size_t)n;
	c->max_runs_set = 1;
	return NULL;
}

static const char *
set_c_tail_lines(struct cfctx *c, void *o, const char *v)
{
	uint64_t	n;

	(void)c;
	if (parse_uint(v, 1, 100000, &n) == -1)
		return "expected an integer from 1 to 100000";
	((struct config *)o)->tail_lines = (size_t)n;
	return NULL;
}

static const char *
set_c_tail_bytes(struct cfctx *c, void *o, const char *v)
{
	uint64_t	n;

	(void)c;
	if (config_parse_size(v, &n) == -1 || n < 1024 ||
	    n > 16 * 1024 * 1024 || (n & (n - 1)) != 0)
		return "expected a power of two from 1K to 16M";
	((struct config *)o)->tail_bytes = (size_t)n;
	return NULL;
}

static const char *
set_c_log_quota_bytes(struct cfctx *c, void *o, const char *v)
{
	(void)c;
	if (config_parse_size(v, &((struct config *)o)->log_quota_bytes) ==
	    -1)
		return "expected a size such as 1G, 512M or 0 for no quota";
	return NULL;
}

static const char *
set_c_log_max_files(struct cfctx *c, void *o, const char *v)
{
	uint64_t	n;

	(void)c;
	if (parse_uint(v, 1, 1000000, &n) == -1)
		return "expected an integer from 1 to 1000000";
	((struct config *)o)->log_max_files = (size_t)n;
	return NULL;
}

static const char *
set_r_command(struct cfctx *c, void *o, const char *v)
{
	struct runner_conf	*rc = o;
	const char		*err;

	(void)c;
	if (strlen(v) >= sizeof(rc->command))
		return "is too long";
	snprintf(rc->command, sizeof(rc->command), "%s", v);
	if (argv_split(v, rc->argbuf, sizeof(rc->argbuf), rc->argv, ARGV_MAX,
	    &err) == -1)
		return err;
	return NULL;
}

static const char *
set_r_instance_id(struct cfctx *c, void *o, const char *v)
{
	struct runner_conf	*rc = o;
	const char		*why = id_check(v, ID_MAX);

	(void)c;
	if (why == NULL)
		snprintf(rc->instance_id, sizeof(rc->instance_id), "%s", v);
	return why;
}

static const char *
set_r_directory(struct cfctx *c, void *o, const char *v)
{
	struct runner_conf	*rc = o;
	struct stat		 st;
	const char		*why;

	if ((why = set_path(c, rc->directory, v)) != NULL)
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
set_r_environment(struct cfctx *c, void *o, const char *v)
{
	struct runner_conf	*rc = o;
	const char		*p = v;
	size_t			 o_ = 0, kstart;
	char			 q;

	(void)c;
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
set_r_user(struct cfctx *c, void *o, const char *v)
{
	struct runner_conf	*rc = o;
	struct passwd		*pw;

	(void)c;
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
set_r_autostart(struct cfctx *c, void *o, const char *v)
{
	(void)c;
	if (config_parse_bool(v, &((struct runner_conf *)o)->autostart) == -1)
		return "expected yes or no";
	return NULL;
}

static const char *
set_r_autorestart(struct cfctx *c, void *o, const char *v)
{
	struct runner_conf	*rc = o;

	(void)c;
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
set_r_startsecs(struct cfctx *c, void *o, const char *v)
{
	uint64_t	n;

	(void)c;
	if (parse_uint(v, 0, 3600, &n) == -1)
		return "expected seconds from 0 to 3600";
	((struct runner_conf *)o)->startsecs = (int)n;
	return NULL;
}

static const char *
set_r_startretries(struct cfctx *c, void *o, const char *v)
{
	uint64_t	n;

	(void)c;
	if (parse_uint(v, 0, 1000000, &n) == -1)
		return "expected an integer from 0 to 1000000";
	((struct runner_conf *)o)->startretries = (int)n;
	return NULL;
}

static const char *
set_r_backoff(struct cfctx *c, void *o, const char *v)
{
	(void)c;
	if (config_parse_ms(v, &((struct runner_conf *)o)->backoff_ms) == -1)
		return "expected seconds such as 1 or 0.5";
	return NULL;
}

static const char *
set_r_backoff_max(struct cfctx *c, void *o, const char *v)
{
	(void)c;
	if (config_parse_ms(v, &((struct runner_conf *)o)->backoff_max_ms) ==
	    -1)
		return "expected seconds such as 60";
	return NULL;
}

static const char *
set_r_stopsignal(struct cfctx *c, void *o, const char *v)
{
	int	no = signal_number(v);

	(void)c;
	if (no <= 0 || signal_name(no) == NULL)
		return "unknown signal (use a name such as TERM, INT, QUIT)";
	((struct runner_conf *)o)->stopsignal = no;
	return NULL;
}

static const char *
set_r_stopwaitsecs(struct cfctx *c, void *o, const char *v)
{
	uint64_t	n;

	(void)c;
	if (parse_uint(v, 0, 3600, &n) == -1)
		return "expected seconds from 0 to 3600";
	((struct runner_conf *)o)->stopwaitsecs = (int)n;
	return NULL;
}

static const char *
set_r_exitcodes(struct cfctx *c, void *o, const char *v)
{
	struct runner_conf	*rc = o;
	char			 buf[1024], *tok, *save;
	uint64_t		 n;
	int			 any = 0;

	(void)c;
	if (strlen(v) >= sizeof(buf))
		return "is too long";
	snprintf(buf, sizeof(buf), "%s", v);
	memset(&rc->exitcodes, 0, sizeof(rc->exitcodes));
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (parse_uint(tok, 0, 255, &n) == -1)
			return "expected a list of exit codes from 0 to 255";
		exitcodes_set(&rc->exitcodes, (int)n);
		any = 1;
	}
	return any ? NULL : "expected at least one exit code";
}

static const char *
set_r_capture_stdout(struct cfctx *c, void *o, const char *v)
{
	struct runner_conf	*rc = o;
	int			 b;

	(void)c;
	if (strcmp(v, "merge") == 0)
		rc->capture_stdout = STDOUT_MERGE;
	else if (config_parse_bool(v, &b) == 0)
		rc->capture_stdout = b ? STDOUT_FILE : STDOUT_NULL;
	else
		return "expected yes (own file), merge (into stderr) or no";
	return NULL;
}

static const char *
set_r_log_max_bytes(struct cfctx *c, void *o, const char *v)
{
	(void)c;
	if (config_parse_size(v, &((struct runner_conf *)o)->log_max_bytes) ==
	    -1)
		return "expected a size such as 64M, or 0 for no cap";
	return NULL;
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
	for (i = 0; i < cf->nrunners; i++)
		config_finish_runner(c, cf->runners[i]);
	if (!c->max_runs_set && cf->max_runs < 2 * cf->nrunners)
		cf->max_runs = 2 * cf->nrunners;
	if (cf->max_runs < 2 * cf->nrunners)
		cferr(c, 0, "max_runs = %zu is too small: it must be at least "
		    "twice the number of runners (%zu)", cf->max_runs,
		    2 * cf->nrunners);
}

int
config_load(struct config *cf, const char *path)
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
	cf->max_runs = 64;
	cf->tail_lines = 200;
	cf->tail_bytes = 64 * 1024;
	cf->log_quota_bytes = 1024ULL * 1024 * 1024;
	cf->log_max_files = 4096;

	memset(&c, 0, sizeof(c));
	c.cf = cf;
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((text = malloc(CONFIG_FILE_MAX + 1)) == NULL)
		fatal("%s", __func__);
	n = fread(text, 1, CONFIG_FILE_MAX + 1, fp);
	if (ferror(fp) || n > CONFIG_FILE_MAX) {
		fprintf(stderr, "%s: %s\n", path, ferror(fp) ?
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
		fprintf(stderr, "%s: %d error%s\n", path, c.errors,
		    c.errors == 1 ? "" : "s");
		config_free(cf);
		return -1;
	}
	return 0;
}

void
config_free(struct config *cf)
{
	size_t	i;

	for (i = 0; i < cf->nrunners; i++)
		free(cf->runners[i]);
	free(cf->runners);
	cf->runners = NULL;
	cf->nrunners = 0;
}
