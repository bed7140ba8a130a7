/*
 * cli_top.c -- what a person at a terminal would rather look at than
 * read: a run's memory and CPU history as sparklines with its stage
 * boundaries (for crashtrail show), and crashtrail top, the live runners
 * with their latest CPU and RSS, redrawn every interval.
 * SPDX-License-Identifier: ISC
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_int.h"
#include "exitcodes.h"

#define CHART_WIDTH	60
#define STAGE_LEN	64

/* One column of a chart: the samples that fell into it. */
struct col {
	double	rss;		/* the largest RSS */
	double	cpu;		/* the largest CPU % */
	int	has_rss, has_cpu;
	char	stage[STAGE_LEN];	/* the stage of its first sample */
};

static volatile sig_atomic_t top_stop;

static int	cli_utf8(void);
static void	cli_spark(const char *, const struct col *, int, int);
static void	cli_bytes(char *, size_t, double);
static void	top_on_signal(int);

/* Block characters where the terminal's locale is UTF-8, else ASCII. */
static int
cli_utf8(void)
{
	const char	*v;

	if ((v = getenv("LC_ALL")) == NULL || *v == '\0')
		if ((v = getenv("LC_CTYPE")) == NULL || *v == '\0')
			v = getenv("LANG");
	return v != NULL && (strstr(v, "UTF-8") != NULL ||
	    strstr(v, "utf8") != NULL || strstr(v, "UTF8") != NULL);
}

static void
cli_bytes(char *out, size_t cap, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int	u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, cap, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

/* One sparkline over ncol columns; `which` 0: rss, 1: cpu. */
static void
cli_spark(const char *label, const struct col *c, int ncol, int which)
{
	static const char *const blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82",
	    "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
	    "\xe2\x96\x87", "\xe2\x96\x88" };
	static const char	 ascii[] = "_.-=+*#@";
	double			 lo = 0, hi = 0, v;
	char			 a[32], b[32];
	int			 i, k, utf = cli_utf8(), any = 0, has;

	for (i = 0; i < ncol; i++) {
		has = which ? c[i].has_cpu : c[i].has_rss;
		v = which ? c[i].cpu : c[i].rss;
		if (!has)
			continue;
		if (!any || v < lo)
			lo = v;
		if (!any || v > hi)
			hi = v;
		any = 1;
	}
	printf("%-9s ", label);
	for (i = 0; i < ncol; i++) {
		has = which ? c[i].has_cpu : c[i].has_rss;
		v = which ? c[i].cpu : c[i].rss;
		if (!has) {
			printf(" ");
			continue;
		}
		/* CPU from 0; memory from its lowest, so growth shows. */
		k = hi > (which ? 0 : lo) ? (int)((v - (which ? 0 : lo)) * 7.999 /
		    (hi - (which ? 0 : lo))) : 0;
		k = k < 0 ? 0 : k > 7 ? 7 : k;
		if (utf)
			printf("%s", blocks[k]);
		else
			putchar(ascii[k]);
	}
	if (!any)
		printf("(not measured)\n");
	else if (which)
		printf("  max %.1f%%\n", hi);
	else {
		cli_bytes(a, sizeof(a), lo);
		cli_bytes(b, sizeof(b), hi);
		printf("  %s .. %s\n", a, b);
	}
}

void
cli_chart(const struct jdoc *d, int arr)
{
	static struct col	 cols[CHART_WIDTH];
	char			 v[64], stage[STAGE_LEN], last[STAGE_LEN];
	int			 n, i, k, ncol, c, s, per;

	if (arr < 0 || d->t[arr].type != JSMN_ARRAY ||
	    (n = d->t[arr].size) == 0)
		return;
	ncol = n < CHART_WIDTH ? n : CHART_WIDTH;
	per = (n + ncol - 1) / ncol;
	ncol = (n + per - 1) / per;
	memset(cols, 0, sizeof(cols));
	for (i = arr + 1, k = 0; k < n; k++, i = jskip(d, i)) {
		c = k / per;
		jtext(d, jfind(d, i, "rss_bytes"), v, sizeof(v));
		if (strcmp(v, "null") != 0 && strcmp(v, "-") != 0 &&
		    (!cols[c].has_rss || atof(v) > cols[c].rss)) {
			cols[c].rss = atof(v);
			cols[c].has_rss = 1;
		}
		jtext(d, jfind(d, i, "cpu_percent"), v, sizeof(v));
		if (strcmp(v, "null") != 0 && strcmp(v, "-") != 0 &&
		    (!cols[c].has_cpu || atof(v) > cols[c].cpu)) {
			cols[c].cpu = atof(v);
			cols[c].has_cpu = 1;
		}
		if (k % per == 0) {
			jtext(d, jfind(d, i, "stage_name"), stage,
			    sizeof(stage));
			snprintf(cols[c].stage, sizeof(cols[c].stage), "%s",
			    strcmp(stage, "null") == 0 ? "" : stage);
		}
	}
	printf("--- %d samples, %d a column ---\n", n, per);
	cli_spark("memory", cols, ncol, 0);
	cli_spark("cpu", cols, ncol, 1);
	/* Stage boundaries: '|' where the stage changes, then its name. */
	printf("%-9s ", "stage");
	last[0] = '\0';
	for (c = 0; c < ncol; c++) {
		if (strcmp(cols[c].stage, last) == 0) {
			putchar(c == 0 ? ' ' : ' ');
			continue;
		}
		snprintf(last, sizeof(last), "%s", cols[c].stage);
		putchar('|');
		/* The name, where it fits before the next boundary. */
		for (s = 0; last[s] != '\0' && c + 1 < ncol &&
		    strcmp(cols[c + 1].stage, last) == 0; s++) {
			putchar(last[s]);
			c++;
		}
	}
	putchar('\n');
}

static void
top_on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

/* The newest sample of one run: "cpu rss threads" as text. */
static void
top_run_line(const char *runner, const char *run_id, const char *state)
{
	struct httpc_resp	r;
	struct jdoc		d;
	char			path[256], cpu[32], rss[32], thr[32], fds[32];
	char			mem[32];
	int			arr, last, i, k;

	snprintf(cpu, sizeof(cpu), "-");
	snprintf(mem, sizeof(mem), "-");
	snprintf(thr, sizeof(thr), "-");
	snprintf(fds, sizeof(fds), "-");
	/* The last sample: latest_seq - 1 as the cursor. */
	snprintf(path, sizeof(path), "/v1/runs/%s/telemetry?limit=1", run_id);
	if (cli_get(path, &r) == 0 && r.status == 200 &&
	    jparse(&d, r.body, r.len) == 0) {
		jtext(&d, jfind(&d, 0, "latest_seq"), rss, sizeof(rss));
		free(d.t);
		snprintf(path, sizeof(path), "/v1/runs/%s/telemetry?limit=1&"
		    "from_seq=%lld", run_id, atoll(rss) > 0 ?
		    atoll(rss) - 1 : 0);
		if (cli_get(path, &r) == 0 && r.status == 200 &&
		    jparse(&d, r.body, r.len) == 0) {
			arr = jfind(&d, 0, "samples");
			if (arr >= 0 && d.t[arr].size > 0) {
				for (i = arr + 1, k = 1, last = i;
				    k < d.t[arr].size; k++)
					last = i = jskip(&d, i);
				jtext(&d, jfind(&d, last, "cpu_percent"), cpu,
				    sizeof(cpu));
				jtext(&d, jfind(&d, last, "rss_bytes"), rss,
				    sizeof(rss));
				if (strcmp(rss, "null") != 0)
					cli_bytes(mem, sizeof(mem), atof(rss));
				jtext(&d, jfind(&d, last, "threads"), thr,
				    sizeof(thr));
				jtext(&d, jfind(&d, last, "open_fds"), fds,
				    sizeof(fds));
			}
			free(d.t);
		}
	}
	printf("%-20.20s %-10.10s %7s %11s %7s %6s  %s\n", runner, state,
	    cpu, mem, thr, fds, run_id);
}

int
cli_top(int argc, char **argv)
{
	static const char usage[] =
"usage: crashtrail top [-c FILE | -s SOCKET] [-n COUNT] [-d SECONDS]\n"
"\nThe live runs with their latest CPU (% of one core), memory, threads\n"
"and open files, redrawn every SECONDS (default 1) until interrupted,\n"
"or COUNT times.  Not a terminal: printed once.\n";
	static char		 runs[CLI_BUF_MAX];
	struct httpc_resp	 r;
	struct jdoc		 d;
	char			 name[128], id[128], state[32];
	char			*args[33], *end;
	double			 delay = 1;
	long			 count = -1, round;
	int			 i, k, arr, tty = isatty(STDOUT_FILENO);
	int			 first, bad = 0;

	/* -n and -d take values: taken out before the common options. */
	for (i = k = 0; i < argc && k < 32; i++) {
		if (i > 0 && strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			count = strtol(argv[++i], &end, 10), bad |= *end != '\0';
		else if (i > 0 && strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			delay = strtod(argv[++i], &end), bad |= *end != '\0';
		else
			args[k++] = argv[i];
	}
	args[k] = NULL;
	first = cli_args(k, args, usage, NULL, NULL);
	if (bad || first != k || i != argc || delay < 0.1 || delay > 3600 ||
	    count == 0 || count < -1)
		cli_usage(usage);
	if (!tty && count < 0)
		count = 1;
	signal(SIGINT, top_on_signal);
	signal(SIGTERM, top_on_signal);
	for (round = 0; !top_stop && (count < 0 || round < count); round++) {
		if (round > 0) {
			struct timespec ts = { (time_t)delay,
			    (long)((delay - (double)(time_t)delay) * 1e9) };
			nanosleep(&ts, NULL);
			if (top_stop)
				break;
		}
		if (cli_get("/v1/runs?state=live", &r) == -1)
			return EX_CT_UNAVAILABLE;
		if (r.status != 200) {
			printf("%s", r.body);
			return EX_CT_UNAVAILABLE;
		}
		/* cli_get() reuses cli_buf: keep the list apart. */
		memcpy(runs, r.body, r.len);
		if (jparse(&d, runs, r.len) == -1 ||
		    (arr = jfind(&d, 0, "runs")) < 0) {
			fprintf(stderr, "crashtrail: unexpected answer\n");
			return EX_CT_UNAVAILABLE;
		}
		if (tty)
			printf("\033[H\033[2J");
		printf("%-20s %-10s %7s %11s %7s %6s  %s\n", "RUNNER", "STATE",
		    "CPU%", "MEMORY", "THREADS", "FDS", "RUN");
		for (i = arr + 1, k = 0; k < d.t[arr].size; k++,
		    i = jskip(&d, i)) {
			jtext(&d, jfind(&d, i, "runner_id"), name, sizeof(name));
			jtext(&d, jfind(&d, i, "run_id"), id, sizeof(id));
			jtext(&d, jfind(&d, i, "state"), state, sizeof(state));
			top_run_line(name, id, state);
		}
		free(d.t);
		fflush(stdout);
	}
	return EX_CT_OK;
}
