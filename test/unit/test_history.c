/*
 * test_history.c -- the run history (src/history.h): the start-up scan
 * (newest names first, bad reports skipped, the pool's bound, repeated run
 * ids), times read back exactly, newest-first order by end time, updates
 * of one run id, eviction of the oldest, forgetting pruned files.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "history.h"
#include "timefmt.h"

#define T0	1795370400123456LL	/* 2026-11-22T18:00:00.123456Z */
/* The file of a bad report, named newer than every good one. */
#define BAD(runner, s)	\
	"inst/" runner "/2026-11-22_18-00-0" #s "_000000Z.death.json"

static char	tmpdir[] = "/tmp/test_history.XXXXXX";
static char	root[PATH_MAX];

static void	report(const char *, const char *, const char *, int64_t,
		    int64_t, const char *);
static void	raw(const char *, const char *);
static int	rm_one(const char *, const struct stat *, int, struct FTW *);
static void	test_scan(void);
static void	test_add(void);
static void	test_off(void);

static void
raw(const char *rel, const char *text)
{
	char	path[PATH_MAX + 64];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
}

/* A report as report.c writes one, with the fields the index reads. */
static void
report(const char *runner, const char *name, const char *id, int64_t start,
    int64_t end, const char *cause)
{
	char	rel[256], doc[2048], a[TIMEFMT_MAX], b[TIMEFMT_MAX];

	timefmt_rfc3339(a, sizeof(a), start);
	timefmt_rfc3339(b, sizeof(b), end);
	snprintf(rel, sizeof(rel), "inst/%s/%s.death.json", runner, name);
	snprintf(doc, sizeof(doc), "{\"report_version\":1,\"run_id\":\"%s\","
	    "\"instance_id\":\"inst\",\"runner_id\":\"%s\",\"pid\":4242,"
	    "\"started_at\":\"%s\",\"ended_at\":\"%s\",\"duration_ms\":1,"
	    "\"exit\":{\"cause\":\"%s\",\"abnormal\":true,\"oom_killed\":%s},"
	    "\"diagnostics\":[{\"id\":\"x\",\"evidence\":[\"a\",\"b\"]}],"
	    "\"stderr_log\":{\"path\":\"/x\",\"size\":9,"
	    "\"bytes_written_by_runner\":77},\"tail\":{\"text\":\"x\\n\"}}\n",
	    id, runner, a, b, cause, strcmp(cause, "oom") ? "false" : "true");
	raw(rel, doc);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void
test_scan(void)
{
	const struct hist_entry	*e;
	struct hist_stats	 st;
	char			 path[PATH_MAX];

	/* Names are start times; ends are not in the same order. */
	report("a", "2026-11-22_18-00-00_000001Z", "a-1", T0, T0 + 50, "x1");
	report("a", "2026-11-22_18-00-00_000002Z", "a-2", T0 + 1, T0 + 10,
	    "exitcode=3");
	report("b", "2026-11-22_18-00-00_000003Z", "b-3", T0 + 2, T0 + 30,
	    "oom");
	report("b", "2026-11-22_18-00-00_000004Z", "b-4", T0 + 3, T0 + 20,
	    "signal=11 (SIGSEGV)");
	/* A copy under another name: one entry, the newer name. */
	report("b", "2026-11-22_18-00-00_000005Z", "b-4", T0 + 3, T0 + 20,
	    "copied");
	/* Newest names of all, and not one of them usable. */
	raw(BAD("a", 1), "{\"run_id\":\"a-9\",");
	raw(BAD("a", 2), "");
	raw(BAD("b", 3), "{\"run_id\":\"../x\"}");
	raw(BAD("b", 4), "[1] {}");
	raw(BAD("b", 5), "{\"run_id\":\"b-5\"} x");
	raw(BAD("b", 6), "{\"run_id\":\"b-6\","
	    "\"instance_id\":\"inst\",\"runner_id\":\"b\",\"started_at\":"
	    "\"2026-13-01T00:00:00Z\",\"ended_at\":\"2026-11-22T18:00:00Z\","
	    "\"exit\":{\"cause\":\"x\"}}");
	/* Not a report: left alone. */
	raw("inst/b/notes", "hello");

	CHECK(history_init(root, 3) == 0);
	history_stats(&st);
	CHECK(st.skipped_bad == 6);
	/* Newest names first: b-4 (its copy), b-3, a-2; a-1 left out. */
	CHECK(history_count() == 3 && st.indexed == 3 && st.max == 3);
	CHECK(history_find("a-1") == NULL);
	/* Newest first by end time: b-3 (+30), b-4 (+20), a-2 (+10). */
	CHECK(strcmp(history_at(0)->run_id, "b-3") == 0);
	CHECK(strcmp(history_at(1)->run_id, "b-4") == 0);
	CHECK(strcmp(history_at(2)->run_id, "a-2") == 0);
	CHECK(history_at(3) == NULL);
	e = history_find("b-4");
	CHECK(e != NULL && strcmp(e->cause, "copied") == 0);
	CHECK(e != NULL && strcmp(e->rel,
	    "inst/b/2026-11-22_18-00-00_000005Z") == 0);
	e = history_find("b-3");
	CHECK(e != NULL && e->started_us == T0 + 2 && e->ended_us == T0 + 30);
	CHECK(e != NULL && e->oom_killed == 1 && e->pid == 4242);
	CHECK(e != NULL && e->stderr_bytes == 77);
	CHECK(e != NULL && strcmp(e->instance_id, "inst") == 0 &&
	    strcmp(e->runner_id, "b") == 0);
	CHECK(e != NULL && history_path(e, ".stderr.log", path,
	    sizeof(path)) == 0);
	CHECK(strstr(path, "/inst/b/2026-11-22_18-00-00_000003Z.stderr.log") !=
	    NULL && strncmp(path, root, strlen(root)) == 0);
	CHECK(e != NULL && history_path(e, ".x", path, 8) == -1);

	/* A bigger pool takes every good one. */
	CHECK(history_init(root, 100) == 0);
	CHECK(history_count() == 4 && history_find("a-1") != NULL);
	CHECK(strcmp(history_at(0)->run_id, "a-1") == 0);
}

static void
test_add(void)
{
	const struct hist_entry	*e;
	struct hist_stats	 st;
	char			 base[PATH_MAX];

	CHECK(history_init(root, 4) == 0);
	CHECK(history_count() == 4);
	/* Full: the oldest (a-2, ended +10) goes for a new one. */
	snprintf(base, sizeof(base), "%s/inst/c/2026-11-22_19-00-00_000000Z",
	    root);
	history_add("c-1", "inst", "c", T0 + 100, T0 + 200, "exitcode=1", 7, 0,
	    base, 5);
	history_stats(&st);
	CHECK(history_count() == 4 && st.evicted == 1);
	CHECK(history_find("a-2") == NULL);
	CHECK(strcmp(history_at(0)->run_id, "c-1") == 0);
	/* Older than everything kept: it is the one that goes. */
	history_add("old", "inst", "c", T0, T0 + 1, "x", 1, 0, base, 0);
	CHECK(history_find("old") == NULL && history_count() == 4);
	/* The same run again: updated in place, moved by its new end. */
	history_add("c-1", "inst", "c", T0 + 100, T0 + 25, "exitcode=1 (oom)",
	    7, 1, base, 6);
	history_stats(&st);
	CHECK(history_count() == 4 && st.evicted == 2);
	e = history_find("c-1");
	CHECK(e != NULL && e->oom_killed && e->stderr_bytes == 6);
	CHECK(e != NULL && strcmp(e->cause, "exitcode=1 (oom)") == 0);
	CHECK(strcmp(history_at(0)->run_id, "a-1") == 0);
	CHECK(strcmp(history_at(1)->run_id, "b-3") == 0);
	CHECK(strcmp(history_at(2)->run_id, "c-1") == 0);
	CHECK(strcmp(history_at(3)->run_id, "b-4") == 0);
	/* Files elsewhere are not runs of this root. */
	history_add("z-1", "inst", "z", T0, T0 + 900, "x", 1, 0, "/elsewhere/z",
	    0);
	CHECK(history_find("z-1") == NULL);
	/* Pruned files: their entry goes, and others stay. */
	history_forget(base);
	history_forget("/elsewhere/z");
	snprintf(base, sizeof(base), "%s/inst/b/2026-11-22_18-00-00_000003Z",
	    root);
	history_forget(base);
	history_stats(&st);
	CHECK(history_count() == 2 && st.forgotten == 2);
	CHECK(history_find("c-1") == NULL && history_find("b-3") == NULL);
	CHECK(strcmp(history_at(0)->run_id, "a-1") == 0);
	CHECK(strcmp(history_at(1)->run_id, "b-4") == 0);
	/* Room again: no eviction. */
	history_add("d-1", "inst", "d", T0, T0 + 60, "x", 1, 0, base, 0);
	history_stats(&st);
	CHECK(history_count() == 3 && st.evicted == 2);
	CHECK(strcmp(history_at(0)->run_id, "d-1") == 0);
}

static void
test_off(void)
{
	struct hist_stats	st;
	char			base[PATH_MAX];

	CHECK(history_init(root, 0) == 0);
	snprintf(base, sizeof(base), "%s/inst/c/x", root);
	history_add("c-1", "inst", "c", T0, T0, "x", 1, 0, base, 0);
	history_forget(base);
	history_stats(&st);
	CHECK(history_count() == 0 && st.max == 0 && st.indexed == 0);
	CHECK(history_find("c-1") == NULL && history_at(0) == NULL);
	/* A root with nothing under it. */
	CHECK(history_init("/nonexistent/runner_log", 8) == 0);
	CHECK(history_count() == 0);
}

int
main(void)
{
	char	d[PATH_MAX + 16];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(root, sizeof(root), "%s/runner_log", tmpdir);
	mkdir(root, 0700);
	snprintf(d, sizeof(d), "%s/inst", root);
	mkdir(d, 0700);
	snprintf(d, sizeof(d), "%s/inst/a", root);
	mkdir(d, 0700);
	snprintf(d, sizeof(d), "%s/inst/b", root);
	mkdir(d, 0700);
	test_scan();
	test_add();
	test_off();
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return CHECK_DONE();
}
