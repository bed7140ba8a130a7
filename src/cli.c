/*
 * cli.c -- status, events, show and emit: small clients of the local API.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "events.h"
#include "exitcodes.h"
#include "httpc.h"
#include "ingest.h"
#include "json.h"
#include "jsonq.h"

#include "cli_int.h"

char		cli_buf[CLI_BUF_MAX];
char		cli_sock[PATH_MAX];
int		cli_json;

static void	cli_event_line(const char *, size_t);
static void	cli_live_chart(const char *);
static void	cli_upload_line(void);
static void	cli_reload_list(const struct jdoc *, const char *);
static int	cli_on_frame(const char *, const char *, const char *, void *);
void
cli_usage(const char *text)
{
	fprintf(stderr, "%s", text);
	exit(EX_CT_USAGE);
}

/*
 * Common options: -s SOCKET, -c CONFIG, --json, and the ones a command
 * adds (`flags`: letters after '-').  Returns the index of the first
 * operand.  The socket is -s, else $CRASHTRAIL_SOCKET, else the config's
 * api_socket, else the default one.
 */
int
cli_args(int argc, char **argv, const char *usage, const char *flags,
    int *seen)
{
	const char	*cfpath = getenv("CRASHTRAIL_CONFIG"), *s;
	struct config	 cf;
	int		 i;

	cli_sock[0] = '\0';
	if ((s = getenv("CRASHTRAIL_SOCKET")) != NULL && *s != '\0')
		snprintf(cli_sock, sizeof(cli_sock), "%s", s);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("%s", usage);
			exit(EX_CT_OK);
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			snprintf(cli_sock, sizeof(cli_sock), "%s", argv[++i]);
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			cfpath = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			cli_json = 1;
		else if (argv[i][1] != '\0' && argv[i][2] == '\0' &&
		    flags != NULL && strchr(flags, argv[i][1]) != NULL)
			seen[strchr(flags, argv[i][1]) - flags] = i;
		else if (!strcmp(argv[i], "--type") && flags != NULL &&
		    strchr(flags, 't') != NULL && i + 1 < argc)
			seen[strchr(flags, 't') - flags] = ++i;
		else {
			fprintf(stderr, "crashtrail %s: unexpected argument "
			    "'%s'\n\n", argv[0], argv[i]);
			cli_usage(usage);
		}
	}
	if (cli_sock[0] != '\0')
		return i;
	if (cfpath == NULL || *cfpath == '\0')
		cfpath = access(CONFIG_DEFAULT_PATH, R_OK) == 0 ?
		    CONFIG_DEFAULT_PATH : NULL;
	if (cfpath != NULL) {
		if (config_load(&cf, cfpath) == -1)
			exit(EX_CT_CONFIG);
		snprintf(cli_sock, sizeof(cli_sock), "%s", cf.api_socket);
		config_free(&cf);
	} else
		snprintf(cli_sock, sizeof(cli_sock),
		    "/var/lib/crashtrail/crashtrail.sock");
	return i;
}

int
cli_get(const char *path, struct httpc_resp *r)
{
	const char	*err;

	if (httpc_request(cli_sock, "GET", path, NULL, 0, cli_buf,
	    sizeof(cli_buf), r, CLI_TIMEOUT_MS, &err) == -1) {
		fprintf(stderr, "crashtrail: %s: %s\n", cli_sock, err);
		return -1;
	}
	return 0;
}

/* Tokenize a document; tokens are the CLI's to allocate. */
int
jparse(struct jdoc *d, const char *js, size_t len)
{
	jsmn_parser	p;
	int		n;

	jsmn_init(&p);
	if ((n = jsmn_parse(&p, js, len, NULL, 0)) <= 0)
		return -1;
	if ((d->t = calloc((size_t)n, sizeof(*d->t))) == NULL)
		return -1;
	jsmn_init(&p);
	d->js = js;
	d->n = jsmn_parse(&p, js, len, d->t, (unsigned)n);
	return d->n > 0 ? 0 : -1;
}

int
jskip(const struct jdoc *d, int i)
{
	return jq_skip(d->t, d->n, i);
}

/* The value of member `key` of the object at `obj`, or -1. */
int
jfind(const struct jdoc *d, int obj, const char *key)
{
	return jq_member(d->js, d->t, d->n, obj, key);
}

/* A token as text; strings unescaped (json_unescape), else raw. */
void
jtext(const struct jdoc *d, int i, char *out, size_t cap)
{
	size_t	n, len;

	if (i < 0) {
		snprintf(out, cap, "-");
		return;
	}
	len = (size_t)(d->t[i].end - d->t[i].start);
	if (d->t[i].type == JSMN_STRING &&
	    json_unescape(d->js + d->t[i].start, len, out, cap, &n) == 0)
		return;
	snprintf(out, cap, "%.*s", (int)len, d->js + d->t[i].start);
}

int
cli_status(int argc, char **argv)
{
	static const char usage[] =
"usage: crashtrail status [-c FILE | -s SOCKET] [--json]\n"
"\nThe runners of a running crashtrail: state, pid, uptime, restarts and how\n"
"the last run ended.\n";
	struct httpc_resp	r;
	struct jdoc		d;
	char			name[160], st[72], pid[16], up[24], rs[16];
	char			cause[80], ab[8];
	int			arr, i, k, o, le;

	if (cli_args(argc, argv, usage, NULL, NULL) != argc)
		cli_usage(usage);
	if (cli_get("/v1/runners", &r) == -1)
		return EX_CT_UNAVAILABLE;
	if (r.status != 200 || cli_json) {
		printf("%s", r.body);
		return r.status == 200 ? EX_CT_OK : EX_CT_UNAVAILABLE;
	}
	if (jparse(&d, r.body, r.len) == -1 ||
	    (arr = jfind(&d, 0, "runners")) == -1) {
		fprintf(stderr, "crashtrail: unexpected answer\n");
		return EX_CT_UNAVAILABLE;
	}
	printf("%-24s %-9s %7s %9s %8s  %s\n", "RUNNER", "STATE", "PID",
	    "UPTIME", "RESTARTS", "LAST END");
	for (i = arr + 1, k = 0; k < d.t[arr].size; k++, i = jskip(&d, i)) {
		o = i;
		jtext(&d, jfind(&d, o, "instance_id"), cause, sizeof(cause));
		jtext(&d, jfind(&d, o, "runner_id"), st, sizeof(st));
		snprintf(name, sizeof(name), "%s/%s", cause, st);
		jtext(&d, jfind(&d, o, "state"), st, sizeof(st));
		jtext(&d, jfind(&d, o, "pid"), pid, sizeof(pid));
		jtext(&d, jfind(&d, o, "uptime_s"), up, sizeof(up));
		jtext(&d, jfind(&d, o, "restarts"), rs, sizeof(rs));
		le = jfind(&d, o, "last_end");
		if (le >= 0 && d.t[le].type == JSMN_OBJECT) {
			jtext(&d, jfind(&d, le, "cause"), cause, sizeof(cause));
			jtext(&d, jfind(&d, le, "abnormal"), ab, sizeof(ab));
			if (strcmp(ab, "true") == 0)
				strncat(cause, " (abnormal)",
				    sizeof(cause) - strlen(cause) - 1);
		} else
			snprintf(cause, sizeof(cause), "-");
		if (strcmp(up, "null") != 0)
			strncat(up, "s", sizeof(up) - strlen(up) - 1);
		printf("%-24s %-9s %7s %9s %8s  %s\n", name, st,
		    strcmp(pid, "null") ? pid : "-",
		    strcmp(up, "null") ? up : "-", rs, cause);
	}
	free(d.t);
	cli_upload_line();
	return EX_CT_OK;
}

/* "uploads: ..." under the runner table, from /v1/status. */
static void
cli_upload_line(void)
{
	static const char *const keys[] = { "backlog", "in_flight",
	    "succeeded", "failed_final", "retries", "deferred", "dropped" };
	struct httpc_resp	r;
	struct jdoc		d;
	char			v[7][24], en[8];
	int			u;
	size_t			i;

	if (cli_get("/v1/status", &r) == -1 || r.status != 200 ||
	    jparse(&d, r.body, r.len) == -1)
		return;
	u = jfind(&d, 0, "upload");
	jtext(&d, jfind(&d, u, "enabled"), en, sizeof(en));
	if (strcmp(en, "true") != 0) {
		printf("uploads: off\n");
		free(d.t);
		return;
	}
	for (i = 0; i < 7; i++)
		jtext(&d, jfind(&d, u, keys[i]), v[i], sizeof(v[i]));
	printf("uploads: %s queued, %s in flight, %s done, %s failed, "
	    "%s retries, %s deferred, %s dropped\n", v[0], v[1], v[2], v[3],
	    v[4], v[5], v[6]);
	free(d.t);
}

/* One envelope as a line for people, or as itself with --json. */
static void
cli_event_line(const char *js, size_t len)
{
	struct jdoc	d;
	char		ts[40], type[EVENT_TYPE_MAX + 1], who[200], what[240];
	char		a[100], b[100];
	int		data, v;

	if (cli_json || jparse(&d, js, len) == -1) {
		printf("%.*s\n", (int)len, js);
		return;
	}
	jtext(&d, jfind(&d, 0, "ts"), ts, sizeof(ts));
	jtext(&d, jfind(&d, 0, "type"), type, sizeof(type));
	jtext(&d, jfind(&d, 0, "instance_id"), a, sizeof(a));
	jtext(&d, jfind(&d, 0, "run_id"), b, sizeof(b));
	if (strcmp(a, "-") != 0)
		snprintf(who, sizeof(who), "%s/%s", a, b);
	else
		snprintf(who, sizeof(who), "%s", b);
	data = jfind(&d, 0, "data");
	what[0] = '\0';
	if ((v = jfind(&d, data, "cause")) >= 0 ||
	    (v = jfind(&d, jfind(&d, data, "exit"), "cause")) >= 0)
		jtext(&d, v, what, sizeof(what));
	else if (data >= 0)
		snprintf(what, sizeof(what), "%.*s",
		    d.t[data].end - d.t[data].start > 200 ? 200 :
		    d.t[data].end - d.t[data].start, js + d.t[data].start);
	printf("%s %-16s %s %s\n", ts, type, who, what);
	free(d.t);
	fflush(stdout);
}

static int
cli_on_frame(const char *id, const char *event, const char *data, void *arg)
{
	(void)id;
	(void)arg;
	if (strcmp(event, "gap") == 0) {
		fprintf(stderr, "crashtrail: gap: %s\n", data);
		return 0;
	}
	cli_event_line(data, strlen(data));
	return 0;
}

int
cli_events(int argc, char **argv)
{
	static const char usage[] =
"usage: crashtrail events [-c FILE | -s SOCKET] [-f] [--json] [--type TYPE]\n"
"\nThe events kept in the ring, oldest first; with -f, then every new one as\n"
"it happens (Ctrl-C to stop).  --json prints each envelope as one line.\n";
	struct httpc_resp	 r;
	struct jdoc		 d;
	const char		*err;
	char			 path[256], type[EVENT_TYPE_MAX + 8] = "";
	int			 seen[2] = { 0, 0 }, arr, i, k;

	if (cli_args(argc, argv, usage, "ft", seen) != argc)
		cli_usage(usage);
	if (seen[1])
		snprintf(type, sizeof(type), "%s", argv[seen[1]]);
	if (seen[0]) {
		snprintf(path, sizeof(path), "/telemetry/stream?replay=all%s%s",
		    type[0] ? "&type=" : "", type);
		if (httpc_stream(cli_sock, path, cli_on_frame, NULL, &err) ==
		    -1) {
			fprintf(stderr, "crashtrail: %s: %s\n", cli_sock, err);
			return EX_CT_UNAVAILABLE;
		}
		return EX_CT_OK;
	}
	snprintf(path, sizeof(path), "/v1/events?limit=1000%s%s",
	    type[0] ? "&type=" : "", type);
	if (cli_get(path, &r) == -1)
		return EX_CT_UNAVAILABLE;
	if (r.status != 200 || jparse(&d, r.body, r.len) == -1 ||
	    (arr = jfind(&d, 0, "events")) == -1) {
		fprintf(stderr, "crashtrail: %s\n", r.body);
		return EX_CT_UNAVAILABLE;
	}
	for (i = arr + 1, k = 0; k < d.t[arr].size; k++, i = jskip(&d, i))
		cli_event_line(d.js + d.t[i].start,
		    (size_t)(d.t[i].end - d.t[i].start));
	free(d.t);
	return EX_CT_OK;
}

int
cli_show(int argc, char **argv)
{
	static const char usage[] =
"usage: crashtrail show [-c FILE | -s SOCKET] [--json] RUN_ID\n"
"\nOne run, readably: how it ended, its diagnostics, its log file, its\n"
"last stage, its memory and CPU over its last samples (a chart, with its\n"
"stage boundaries) and the tail of its stderr.  --json prints the death\n"
"report as it is.\n";
	static char		 text[1024 * 1024], body[CLI_BUF_MAX];
	struct httpc_resp	 r;
	struct jdoc		 d;
	char			 path[256], a[256], b[256];
	const char		*why;
	int			 i, i0, ex, lg, k, x;

	i0 = i = cli_args(argc, argv, usage, NULL, NULL);
	if (i != argc - 1)
		cli_usage(usage);
	if ((why = id_check(argv[i], RUN_ID_MAX)) != NULL) {
		fprintf(stderr, "crashtrail show: run id '%s' %s\n", argv[i],
		    why);
		return EX_CT_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/runs/%s", argv[i]);
	if (cli_get(path, &r) == -1)
		return EX_CT_UNAVAILABLE;
	if (r.status != 200 || cli_json) {
		printf("%s", r.body);
		return r.status == 200 ? EX_CT_OK : EX_CT_UNAVAILABLE;
	}
	/* Kept apart: a live run's samples come in a second answer. */
	memcpy(body, r.body, r.len);
	if (jparse(&d, body, r.len) == -1) {
		fprintf(stderr, "crashtrail: unexpected answer\n");
		return EX_CT_UNAVAILABLE;
	}
	jtext(&d, jfind(&d, 0, "run_id"), a, sizeof(a));
	printf("run       %s\n", a);
	jtext(&d, jfind(&d, 0, "instance_id"), a, sizeof(a));
	jtext(&d, jfind(&d, 0, "runner_id"), b, sizeof(b));
	printf("runner    %s/%s\n", a, b);
	jtext(&d, jfind(&d, 0, "started_at"), a, sizeof(a));
	jtext(&d, jfind(&d, 0, "ended_at"), b, sizeof(b));
	printf("time      %s .. %s\n", a, b);
	if ((ex = jfind(&d, 0, "exit")) >= 0) {
		jtext(&d, jfind(&d, ex, "cause"), a, sizeof(a));
		jtext(&d, jfind(&d, ex, "abnormal"), b, sizeof(b));
		printf("end       %s%s\n", a, strcmp(b, "true") ? "" :
		    " (abnormal)");
		jtext(&d, jfind(&d, ex, "oom_killed"), b, sizeof(b));
		if (strcmp(b, "true") == 0)
			printf("          killed by the kernel OOM killer\n");
	} else {
		jtext(&d, jfind(&d, 0, "state"), a, sizeof(a));
		printf("state     %s\n", a);
	}
	if ((x = jfind(&d, 0, "diagnostics")) >= 0 &&
	    d.t[x].type == JSMN_ARRAY) {
		for (i = x + 1, k = 0; k < d.t[x].size; k++, i = jskip(&d, i)) {
			jtext(&d, jfind(&d, i, "id"), a, sizeof(a));
			jtext(&d, jfind(&d, i, "message"), b, sizeof(b));
			printf("diagnosis %s: %s\n", a, b);
		}
	}
	if ((lg = jfind(&d, 0, "stderr_log")) >= 0 &&
	    d.t[lg].type == JSMN_OBJECT) {
		jtext(&d, jfind(&d, lg, "path"), a, sizeof(a));
		jtext(&d, jfind(&d, lg, "size"), b, sizeof(b));
		printf("log       %s (%s bytes)\n", a, b);
		jtext(&d, jfind(&d, lg, "sha256"), a, sizeof(a));
		if (strcmp(a, "-") != 0)
			printf("sha256    %s\n", a);
	}
	if ((x = jfind(&d, 0, "last_stage")) >= 0 &&
	    d.t[x].type == JSMN_OBJECT) {
		jtext(&d, jfind(&d, x, "stage_name"), a, sizeof(a));
		jtext(&d, jfind(&d, x, "status"), b, sizeof(b));
		printf("stage     %s (%s)\n", a, b);
	}
	if ((x = jfind(&d, 0, "metrics")) >= 0 && d.t[x].type == JSMN_OBJECT)
		cli_chart(&d, jfind(&d, x, "samples"));
	else if (jfind(&d, 0, "exit") < 0)
		cli_live_chart(argv[i0]);
	if ((x = jfind(&d, 0, "tail")) >= 0) {
		jtext(&d, jfind(&d, x, "lines"), a, sizeof(a));
		jtext(&d, jfind(&d, x, "text"), text, sizeof(text));
		printf("--- last %s lines of stderr ---\n%s", a, text);
		if (text[0] != '\0' && text[strlen(text) - 1] != '\n')
			printf("\n");
	}
	free(d.t);
	return EX_CT_OK;
}

/* A live run's samples so far, charted. */
static void
cli_live_chart(const char *id)
{
	struct httpc_resp	r;
	struct jdoc		d;
	char			path[256];

	snprintf(path, sizeof(path), "/v1/runs/%s/telemetry?limit=1000", id);
	if (cli_get(path, &r) == -1 || r.status != 200 ||
	    jparse(&d, r.body, r.len) == -1)
		return;
	cli_chart(&d, jfind(&d, 0, "samples"));
	free(d.t);
}

int
cli_emit(int argc, char **argv)
{
	static const char usage[] =
"usage: crashtrail emit [-s SOCKET] TYPE [KEY=VALUE ...]\n"
"\nRecord an event.  Inside a runner (CRASHTRAIL_EVENT_FD is set) it is\n"
"written to that fd and attributed to the run; elsewhere it is POSTed to\n"
"the daemon.  Values that are integers are sent as numbers, others as\n"
"strings: crashtrail emit stage_started stage_name=load stage_attempt=2\n";
	struct httpc_resp	 r;
	struct jw		 w;
	static char		 body[64 * 1024];
	const char		*fdv = getenv("CRASHTRAIL_EVENT_FD"), *err, *eq;
	char			*end;
	int			 i, fd;
	long long		 num;

	i = cli_args(argc, argv, usage, NULL, NULL);
	if (i >= argc)
		cli_usage(usage);
	jw_init(&w, body, sizeof(body) - 1, -1);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "type", argv[i]);
	jw_obj_begin(&w, "data");
	for (i++; i < argc; i++) {
		char key[128];

		if ((eq = strchr(argv[i], '=')) == NULL ||
		    eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(key)) {
			fprintf(stderr, "crashtrail emit: expected KEY=VALUE, "
			    "got '%s'\n", argv[i]);
			return EX_CT_USAGE;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]),
		    argv[i]);
		errno = 0;
		num = strtoll(eq + 1, &end, 10);
		if (eq[1] != '\0' && *end == '\0' && errno == 0)
			jw_int(&w, key, num);
		else
			jw_str(&w, key, eq + 1);
	}
	jw_obj_end(&w);
	jw_obj_end(&w);
	if (w.err) {
		fprintf(stderr, "crashtrail emit: event too large\n");
		return EX_CT_USAGE;
	}
	if (fdv != NULL && *fdv != '\0' && getenv("CRASHTRAIL_SOCKET") == NULL) {
		fd = atoi(fdv);
		body[w.len++] = '\n';
		if (write(fd, body, w.len) != (ssize_t)w.len) {
			fprintf(stderr, "crashtrail emit: write to fd %d: %s\n",
			    fd, strerror(errno));
			return EX_CT_UNAVAILABLE;
		}
		return EX_CT_OK;
	}
	if (httpc_request(cli_sock, "POST", "/telemetry/events", body, w.len,
	    cli_buf, sizeof(cli_buf), &r, CLI_TIMEOUT_MS, &err) == -1) {
		fprintf(stderr, "crashtrail: %s: %s\n", cli_sock, err);
		return EX_CT_UNAVAILABLE;
	}
	printf("%s", r.body);
	return r.status == 200 ? EX_CT_OK : EX_CT_UNAVAILABLE;
}

/* One list of a reload's answer, as "  added: a b c". */
static void
cli_reload_list(const struct jdoc *d, const char *key)
{
	char	name[ID_MAX + 1];
	int	arr, i, k;

	if ((arr = jfind(d, 0, key)) < 0 || d->t[arr].type != JSMN_ARRAY ||
	    d->t[arr].size == 0)
		return;
	printf("  %s:", key);
	for (i = arr + 1, k = 0; k < d->t[arr].size; k++, i = jskip(d, i)) {
		jtext(d, i, name, sizeof(name));
		printf(" %s", name);
	}
	printf("\n");
}

int
cli_reload(int argc, char **argv)
{
	static const char usage[] =
"usage: crashtrail reload [-c FILE | -s SOCKET] [--json]\n"
"\nAsk the running crashtrail to read its config file again (as SIGHUP\n"
"does).  A file with any error is refused whole: nothing changes, the\n"
"errors are printed as FILE:LINE: message and the exit code is 78.  Else\n"
"added runners start, removed ones stop, runners whose command,\n"
"environment, directory, user or stop signal changed restart, runners\n"
"where only supervision keys changed keep their process, and [collector]\n"
"keys that need a restart are listed as such; exit code 0.\n";
	static const char *const lists[] = { "added", "removed", "changed",
	    "supervision_changed", "unchanged", "collector_changed",
	    "needs_restart" };
	struct httpc_resp	 r;
	struct jdoc		 d;
	const char		*err;
	char			 line[1024];
	int			 arr, i, k;
	size_t			 j;

	if (cli_args(argc, argv, usage, NULL, NULL) != argc)
		cli_usage(usage);
	if (httpc_request(cli_sock, "POST", "/v1/reload", "", 0, cli_buf,
	    sizeof(cli_buf), &r, CLI_TIMEOUT_MS, &err) == -1) {
		fprintf(stderr, "crashtrail: %s: %s\n", cli_sock, err);
		return EX_CT_UNAVAILABLE;
	}
	if (cli_json) {
		printf("%s", r.body);
		return r.status == 200 ? EX_CT_OK : r.status == 400 ?
		    EX_CT_CONFIG : EX_CT_UNAVAILABLE;
	}
	if (jparse(&d, r.body, r.len) == -1) {
		fprintf(stderr, "crashtrail: unexpected answer (%d)\n",
		    r.status);
		return EX_CT_UNAVAILABLE;
	}
	if (r.status == 400 && (arr = jfind(&d, 0, "errors")) >= 0) {
		fprintf(stderr, "crashtrail: reload refused, nothing "
		    "changed:\n");
		for (i = arr + 1, k = 0; k < d.t[arr].size;
		    k++, i = jskip(&d, i)) {
			jtext(&d, i, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		free(d.t);
		return EX_CT_CONFIG;
	}
	if (r.status != 200) {
		fprintf(stderr, "crashtrail: %s\n", r.body);
		free(d.t);
		return EX_CT_UNAVAILABLE;
	}
	printf("reloaded\n");
	for (j = 0; j < sizeof(lists) / sizeof(lists[0]); j++)
		cli_reload_list(&d, lists[j]);
	jtext(&d, jfind(&d, 0, "diagnostics_changed"), line, sizeof(line));
	if (strcmp(line, "true") == 0)
		printf("  diagnostics: a new catalogue for runs started from "
		    "now on\n");
	free(d.t);
	return EX_CT_OK;
}
