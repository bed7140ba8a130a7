/*
 * history_scan.c -- the run history's start-up scan: reading and parsing
 * the report files under the root into the index, and finishing reports
 * whose rename was cut off (history_recover).
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonq.h"

#include "history.h"
#include "history_int.h"
#include "json.h"
#include "timefmt.h"
#include "upload.h"
#include "log.h"
#include "logstore.h"

/* A report is its tail (at most tail_bytes, escaped) and a little more. */
#define HIST_REPORT_MAX	(128 * 1024 * 1024)
#define HIST_LOG_BAD	8	/* bad reports named in the log, one each */

/*
 * A report file found by the scan: its base relative to the root, or for
 * history_recover() its whole name (".death.json.tmp<serial>" too).
 */
struct hist_found {
	char		 rel[HIST_REL_MAX + 32];
	unsigned long	 serial;
};

/* The scan's scratch memory: found names, one file, its tokens. */
struct hist_scan {
	struct hist_found *v;
	size_t		 n, cap;
	char		*buf;
	size_t		 bufcap;
	jsmntok_t	*tok;
	size_t		 tokcap;
};

static int	hist_id_cmp(const void *, const void *);
static int	hist_found_cmp(const void *, const void *);
static void	hist_scan_dir(struct hist_scan *, const char *, int, int);
static int	hist_tmp_cmp(const void *, const void *);
static void	hist_dedupe(void);
static void	hist_fill(struct hist_scan *, size_t *);
static int	hist_read(struct hist_scan *, const char *, size_t *,
		    const char **);
static int	hist_parse(struct hist_scan *, size_t, struct hist_entry *,
		    const char **);
static int	hist_time(const char *, int64_t *);

static int
hist_id_cmp(const void *a, const void *b)
{
	const struct hist_entry	*x = &hist_pool[*(const uint32_t *)a];
	const struct hist_entry	*y = &hist_pool[*(const uint32_t *)b];
	int			 c;

	if ((c = strcmp(x->run_id, y->run_id)) != 0)
		return c;
	if (x->ended_us != y->ended_us)
		return x->ended_us < y->ended_us ? -1 : 1;
	return strcmp(x->rel, y->rel);
}

/* By the time in the file name, then by the whole name: newest last. */
static int
hist_found_cmp(const void *a, const void *b)
{
	const struct hist_found	*x = a, *y = b;
	const char		*xs = strrchr(x->rel, '/');
	const char		*ys = strrchr(y->rel, '/');
	int			 c;

	if ((c = strcmp(xs ? xs : x->rel, ys ? ys : y->rel)) != 0)
		return c;
	return strcmp(x->rel, y->rel);
}

/* Temporary reports in the order they were written: by serial. */
static int
hist_tmp_cmp(const void *a, const void *b)
{
	const struct hist_found	*x = a, *y = b;

	if (x->serial != y->serial)
		return x->serial < y->serial ? -1 : 1;
	return strcmp(x->rel, y->rel);
}

/*
 * Collect <rel>/<name>.death.json below the root (with `tmp`, the
 * <name>.death.json.tmp<serial> that report.c writes first): `rel` is ""
 * at the root, and depth counts the directory levels left.
 */
static void
hist_scan_dir(struct hist_scan *sc, const char *rel, int depth, int tmp)
{
	const char	*suffix = logstore_suffix(LS_REPORT);
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 path[PATH_MAX], sub[HIST_REL_MAX + 32], *end;
	const char	*t;
	unsigned long	 serial = 0;
	size_t		 nlen, slen = strlen(suffix);
	int		 n;

	n = snprintf(path, sizeof(path), "%s%s%s", hist_root, *rel ? "/" : "",
	    rel);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	if ((d = opendir(path)) == NULL) {
		if (errno != ENOENT)
			log_warn("%s: %s", __func__, path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name);
		/* Longer than ids and a time allow: not a run's files. */
		if (n < 0 || (size_t)n >= sizeof(sub))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", hist_root, sub);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    lstat(path, &st) == -1)
			continue;
		if (depth > 0) {
			if (S_ISDIR(st.st_mode))
				hist_scan_dir(sc, sub, depth - 1, tmp);
			continue;
		}
		nlen = strlen(sub);
		if (!S_ISREG(st.st_mode))
			continue;
		if (tmp) {
			if ((t = strstr(sub, ".death.json.tmp")) == NULL ||
			    t[15] < '0' || t[15] > '9')
				continue;
			serial = strtoul(t + 15, &end, 10);
			if (*end != '\0')
				continue;
			slen = 0;	/* the whole name */
		} else if (nlen <= slen || nlen - slen >= HIST_REL_MAX ||
		    strcmp(sub + nlen - slen, suffix) != 0)
			continue;
		if (sc->n == sc->cap) {
			struct hist_found	*nv;

			sc->cap = sc->cap ? sc->cap * 2 : 256;
			if ((nv = realloc(sc->v, sc->cap * sizeof(*nv))) ==
			    NULL)
				fatal("%s", __func__);
			sc->v = nv;
		}
		memcpy(sc->v[sc->n].rel, sub, nlen - slen);
		sc->v[sc->n].rel[nlen - slen] = '\0';
		sc->v[sc->n].serial = serial;
		sc->n++;
	}
	closedir(d);
}

/* Read a whole report into sc->buf; 0, or -1 with *why. */
static int
hist_read(struct hist_scan *sc, const char *path, size_t *lenp,
    const char **why)
{
	struct stat	st;
	size_t		len, off = 0;
	ssize_t		r;
	int		fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1 ||
	    fstat(fd, &st) == -1) {
		*why = strerror(errno);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > HIST_REPORT_MAX) {
		*why = st.st_size <= 0 ? "empty" : "not a plain file of a "
		    "report's size";
		close(fd);
		return -1;
	}
	len = (size_t)st.st_size;
	if (sc->bufcap < len + 1) {
		free(sc->buf);
		sc->bufcap = len + 1 > 256 * 1024 ? len + 1 : 256 * 1024;
		if ((sc->buf = malloc(sc->bufcap)) == NULL)
			fatal("%s", __func__);
	}
	while (off < len) {
		r = read(fd, sc->buf + off, len - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	sc->buf[off] = '\0';
	*lenp = off;
	return 0;
}

/* 2026-11-22T18:00:00.123456Z (timefmt_rfc3339) to µs; 0 or -1. */
static int
hist_time(const char *s, int64_t *out)
{
	int	Y, M, D, h, m, sec;
	int64_t	frac = 0, scale = 100000;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	Y = timefmt_digits(s, 4);
	M = timefmt_digits(s + 5, 2);
	D = timefmt_digits(s + 8, 2);
	h = timefmt_digits(s + 11, 2);
	m = timefmt_digits(s + 14, 2);
	sec = timefmt_digits(s + 17, 2);
	if (Y < 0 || M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 ||
	    m < 0 || m > 59 || sec < 0 || sec > 60)
		return -1;
	s += 19;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (s[0] != 'Z' || s[1] != '\0')
		return -1;
	*out = ((timefmt_days(Y, (unsigned)M, (unsigned)D) * 86400 +
	    h * 3600 + m * 60 + sec) * 1000000) + frac;
	return 0;
}

/* The fields of the report in sc->buf (len bytes); 0, or -1 with *why. */
static int
hist_parse(struct hist_scan *sc, size_t len, struct hist_entry *e,
    const char **why)
{
	const char	*js = sc->buf;
	const jsmntok_t	*t;
	jsmn_parser	 p;
	char		 ts[TIMEFMT_MAX];
	int64_t		 v;
	int		 n, ex, lg;
	size_t		 end;

	jsmn_init(&p);
	if ((n = jsmn_parse(&p, js, len, NULL, 0)) <= 0) {
		*why = n == JSMN_ERROR_PART ? "truncated" : "not JSON";
		return -1;
	}
	if (sc->tokcap < (size_t)n) {
		free(sc->tok);
		sc->tokcap = (size_t)n > 4096 ? (size_t)n : 4096;
		if ((sc->tok = calloc(sc->tokcap, sizeof(*sc->tok))) == NULL)
			fatal("%s", __func__);
	}
	jsmn_init(&p);
	if ((n = jsmn_parse(&p, js, len, sc->tok, (unsigned)n)) <= 0) {
		*why = n == JSMN_ERROR_PART ? "truncated" : "not JSON";
		return -1;
	}
	t = sc->tok;
	/* One object and nothing after it but white space. */
	for (end = (size_t)t[0].end; end < len && js[end] != '\0' &&
	    strchr(" \t\r\n", js[end]) != NULL; end++)
		;
	if (t[0].type != JSMN_OBJECT || end != len) {
		*why = "not one JSON object";
		return -1;
	}
	memset(e, 0, sizeof(*e));
	ex = jq_member(js, t, n, 0, "exit");
	if (jq_str(js, t, jq_member(js, t, n, 0, "run_id"), e->run_id,
	    sizeof(e->run_id)) == -1 || id_check(e->run_id, RUN_ID_MAX) ||
	    jq_str(js, t, jq_member(js, t, n, 0, "instance_id"),
	    e->instance_id, sizeof(e->instance_id)) == -1 ||
	    id_check(e->instance_id, ID_MAX) ||
	    jq_str(js, t, jq_member(js, t, n, 0, "runner_id"),
	    e->runner_id, sizeof(e->runner_id)) == -1 ||
	    id_check(e->runner_id, ID_MAX)) {
		*why = "no valid run_id, instance_id or runner_id";
		return -1;
	}
	if (jq_str(js, t, jq_member(js, t, n, 0, "started_at"), ts,
	    sizeof(ts)) == -1 || hist_time(ts, &e->started_us) == -1 ||
	    jq_str(js, t, jq_member(js, t, n, 0, "ended_at"), ts,
	    sizeof(ts)) == -1 || hist_time(ts, &e->ended_us) == -1) {
		*why = "no valid started_at or ended_at";
		return -1;
	}
	if (jq_str(js, t, jq_member(js, t, n, ex, "cause"), e->cause,
	    sizeof(e->cause)) == -1) {
		*why = "no exit.cause";
		return -1;
	}
	/* The rest is informative: a missing one reads as 0. */
	if (jq_num(js, t, jq_member(js, t, n, 0, "pid"), &v) == 0)
		e->pid = (long)v;
	if ((ex = jq_member(js, t, n, ex, "oom_killed")) >= 0 &&
	    t[ex].type == JSMN_PRIMITIVE && js[t[ex].start] == 't')
		e->oom_killed = 1;
	lg = jq_member(js, t, n, 0, "stderr_log");
	if (jq_num(js, t, jq_member(js, t, n, lg,
	    "bytes_written_by_runner"), &v) == 0 && v > 0)
		e->stderr_bytes = (uint64_t)v;
	return 0;
}

/* Copied report files may repeat a run id: keep the newest of each. */
static void
hist_dedupe(void)
{
	size_t	i, j;

	if (hist_n < 2)
		return;
	qsort(hist_order, hist_n, sizeof(*hist_order), hist_id_cmp);
	for (i = 1, j = 0; i < hist_n; i++) {
		if (strcmp(hist_pool[hist_order[i]].run_id,
		    hist_pool[hist_order[j]].run_id) == 0) {
			/* Sorted oldest first within one id: i replaces j. */
			hist_free[hist_nfree++] = hist_order[j];
			hist_order[j] = hist_order[i];
		} else
			hist_order[++j] = hist_order[i];
	}
	hist_n = j + 1;
}

/*
 * Parse found reports from (*left - 1) down, newest name first, into free
 * slots until there are none; *left is what remains unread.
 */
static void
hist_fill(struct hist_scan *sc, size_t *left)
{
	struct hist_entry	*e;
	const char		*why;
	char			 path[PATH_MAX];
	size_t			 len;
	uint32_t		 idx;
	int			 n;

	for (; *left > 0 && hist_nfree > 0; (*left)--) {
		n = snprintf(path, sizeof(path), "%s/%s%s", hist_root,
		    sc->v[*left - 1].rel, logstore_suffix(LS_REPORT));
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		idx = hist_free[hist_nfree - 1];
		e = &hist_pool[idx];
		if (hist_read(sc, path, &len, &why) == -1 ||
		    hist_parse(sc, len, e, &why) == -1) {
			if (hist_st.skipped_bad++ < HIST_LOG_BAD)
				log_warnx("history: skipped %s: %s", path, why);
			continue;
		}
		memcpy(e->rel, sc->v[*left - 1].rel, sizeof(e->rel));
		hist_nfree--;
		hist_order[hist_n++] = idx;
	}
}

int
history_recover(struct logstore *ls)
{
	struct hist_scan	 sc;
	struct hist_entry	 e;
	struct ls_entry		*g;
	struct stat		 st;
	const char		*why, *t;
	char			 from[PATH_MAX], to[PATH_MAX], base[PATH_MAX];
	struct upload_src	 src;
	uint64_t		 old;
	size_t			 i, len = 0;
	int			 n, k, done = 0;

	n = snprintf(hist_root, sizeof(hist_root), "%s", ls->root);
	if (n < 0 || (size_t)n >= sizeof(hist_root))
		return 0;
	memset(&sc, 0, sizeof(sc));
	hist_scan_dir(&sc, "", 2, 1);
	if (sc.n > 1)
		qsort(sc.v, sc.n, sizeof(*sc.v), hist_tmp_cmp);
	/* A later rewrite of one report has a larger serial: it wins. */
	for (i = 0; i < sc.n; i++) {
		t = strstr(sc.v[i].rel, ".death.json.tmp");
		n = snprintf(from, sizeof(from), "%s/%s", hist_root,
		    sc.v[i].rel);
		k = snprintf(to, sizeof(to), "%s/%.*s", hist_root,
		    (int)(t - sc.v[i].rel), sc.v[i].rel);
		if (n < 0 || (size_t)n >= sizeof(from) || k < 0 ||
		    (size_t)k + 16 >= sizeof(to))
			continue;
		/* `to` is the group's base for now. */
		if ((g = logstore_find(ls, to)) == NULL) {
			/* Its run's files went to the quota: so does it. */
			if (unlink(from) == 0)
				log_info("history: removed %s: the rest of its "
				    "run's files were pruned", from);
			continue;
		}
		strncat(to, logstore_suffix(LS_REPORT), sizeof(to) - k - 1);
		snprintf(base, sizeof(base), "%.*s", k, to);
		if (hist_read(&sc, from, &len, &why) == -1 ||
		    hist_parse(&sc, len, &e, &why) == -1) {
			/* An empty one was cut off before a byte was written. */
			if (len == 0 && unlink(from) == 0)
				log_info("history: removed %s: empty", from);
			else
				log_warnx("history: left %s alone: %s", from,
				    why);
			continue;
		}
		old = stat(to, &st) == 0 ? (uint64_t)st.st_size : 0;
		if (rename(from, to) == -1) {
			log_warn("history: rename %s", from);
			continue;
		}
		logstore_mark(g, LS_REPORT);
		if (len > old)
			(void)logstore_charge(ls, g, len - old);
		else
			logstore_refund(ls, g, old - len);
		log_info("history: finished %s (its rename was cut off)", to);
		/*
		 * Its upload jobs were queued with it and may have been cut
		 * off too; a job already swept from the spool is not made
		 * twice.
		 */
		memset(&src, 0, sizeof(src));
		src.base = base;
		src.run_id = e.run_id;
		src.instance_id = e.instance_id;
		src.runner_id = e.runner_id;
		src.cause = e.cause;
		upload_run_ended(&src, ~0u);
		done++;
	}
	free(sc.v);
	free(sc.buf);
	free(sc.tok);
	return done;
}

int
history_init(const char *root, size_t max)
{
	struct hist_scan	 sc;
	int64_t			 t0 = timefmt_mono_ms();
	size_t			 i;
	int			 n;

	n = snprintf(hist_root, sizeof(hist_root), "%s", root);
	if (n < 0 || (size_t)n >= sizeof(hist_root)) {
		hist_reserve(0);
		log_warnx("%s: root is too long", __func__);
		return -1;
	}
	hist_reserve(max);
	if (max == 0) {
		log_info("run history is off (history = 0)");
		return 0;
	}

	memset(&sc, 0, sizeof(sc));
	hist_scan_dir(&sc, "", 2, 0);
	if (sc.n > 1)
		qsort(sc.v, sc.n, sizeof(*sc.v), hist_found_cmp);
	/*
	 * Newest first, until the pool is full: older ones are left out.
	 * Dropping a repeated run id makes room, so fill up again after.
	 */
	i = sc.n;
	do {
		hist_fill(&sc, &i);
		hist_dedupe();
	} while (i > 0 && hist_nfree > 0);
	hist_sort();
	hist_st.indexed = hist_n;
	hist_st.scan_ms = timefmt_mono_ms() - t0;
	if (hist_st.skipped_bad > HIST_LOG_BAD)
		log_warnx("history: %llu more bad reports skipped",
		    (unsigned long long)(hist_st.skipped_bad - HIST_LOG_BAD));
	log_info("history: %zu past runs indexed from %s in %lld ms (%llu "
	    "bad reports skipped, %zu older ones left out; history = %zu)",
	    hist_n, hist_root, (long long)hist_st.scan_ms,
	    (unsigned long long)hist_st.skipped_bad, i, max);
	free(sc.v);
	free(sc.buf);
	free(sc.tok);
	return 0;
}
