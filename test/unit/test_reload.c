/*
 * test_reload.c -- the config diff of a reload (src/reload.c): which
 * runner is added, removed, restarted, supervision-only or untouched, and
 * which [collector] keys apply live or need a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "reload.h"

static char	dir[] = "/tmp/test_reload.XXXXXX";

static int
load(struct config *cf, const char *name, const char *text)
{
	char	path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(2);
	}
	return config_load(cf, path);
}

static enum reload_kind
kind_of(const struct reload_result *res, const char *name)
{
	size_t	i;

	for (i = 0; i < res->nrunners; i++)
		if (strcmp(res->runners[i].name, name) == 0)
			return res->runners[i].kind;
	return (enum reload_kind)-1;
}

static int
has(const char **v, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], key) == 0)
			return 1;
	return 0;
}

#define BASE	"[collector]\nstate_dir = /tmp/x\n"

static void
test_runners(void)
{
	struct config		a, b;
	struct reload_result	res;

	CHECK(load(&a, "a.conf", BASE
	    "[runner:gone]\ncommand = /bin/true\n"
	    "[runner:cmd]\ncommand = /bin/true one\n"
	    "[runner:env]\ncommand = /bin/true\nenvironment = A=1\n"
	    "[runner:dir]\ncommand = /bin/true\ndirectory = /tmp\n"
	    "[runner:sig]\ncommand = /bin/true\n"
	    "[runner:inst]\ncommand = /bin/true\n"
	    "[runner:sup]\ncommand = /bin/true\nbackoff = 1\n"
	    "[runner:codes]\ncommand = /bin/true\n"
	    "[runner:same]\ncommand = /bin/true\nstartsecs = 2\n") == 0);
	CHECK(load(&b, "b.conf", BASE
	    "[runner:new]\ncommand = /bin/true\n"
	    "[runner:cmd]\ncommand = /bin/true two\n"
	    "[runner:env]\ncommand = /bin/true\nenvironment = A=2\n"
	    "[runner:dir]\ncommand = /bin/true\ndirectory = /\n"
	    "[runner:sig]\ncommand = /bin/true\nstopsignal = INT\n"
	    "[runner:inst]\ncommand = /bin/true\ninstance_id = other\n"
	    "[runner:sup]\ncommand = /bin/true\nbackoff = 2\n"
	    "[runner:codes]\ncommand = /bin/true\nexitcodes = 0,2\n"
	    "\n; a comment moves the lines: still the same\n"
	    "[runner:same]\ncommand = /bin/true\nstartsecs = 2\n") == 0);
	reload_plan(&a, &b, &res);
	CHECK(kind_of(&res, "gone") == RL_REMOVED);
	CHECK(kind_of(&res, "new") == RL_ADDED);
	CHECK(kind_of(&res, "cmd") == RL_RESTART);
	CHECK(kind_of(&res, "env") == RL_RESTART);
	CHECK(kind_of(&res, "dir") == RL_RESTART);
	CHECK(kind_of(&res, "sig") == RL_RESTART);
	CHECK(kind_of(&res, "inst") == RL_RESTART);
	CHECK(kind_of(&res, "sup") == RL_SUPERVISION);
	CHECK(kind_of(&res, "codes") == RL_SUPERVISION);
	CHECK(kind_of(&res, "same") == RL_UNCHANGED);
	CHECK(res.nrunners == 10);
	CHECK(res.nlive == 0 && res.nrestart == 0 && !res.diagnostics);
	/* The same file against itself: nothing. */
	reload_result_free(&res);
	reload_plan(&a, &a, &res);
	CHECK(res.nrunners == 9 && kind_of(&res, "cmd") == RL_UNCHANGED);
	reload_result_free(&res);
	config_free(&a);
	config_free(&b);
}

static void
test_collector(void)
{
	struct config		a, b;
	struct reload_result	res;

	CHECK(load(&a, "a.conf", BASE "log_level = info\nmax_runs = 64\n"
	    "api_token = 0123456789abcdef\n"
	    "[diagnostic:x]\nmatch = boom\n") == 0);
	CHECK(load(&b, "b.conf", BASE "log_level = debug\nmax_runs = 65\n"
	    "api_token = 0123456789abcdeg\nevent_ring = 100\n"
	    "[diagnostic:x]\nmatch = bang\n") == 0);
	reload_plan(&a, &b, &res);
	CHECK(has(res.live, res.nlive, "log_level"));
	CHECK(has(res.live, res.nlive, "api_token"));
	CHECK(res.nlive == 2);
	CHECK(has(res.restart, res.nrestart, "max_runs"));
	CHECK(has(res.restart, res.nrestart, "event_ring"));
	CHECK(res.nrestart == 2);
	CHECK(res.diagnostics);
	reload_result_free(&res);
	config_free(&a);
	config_free(&b);
}

int
main(void)
{
	char	cmd[64];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_runners();
	test_collector();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}
