/*
 * test_config.c -- crashtrail.conf (src/config.h): parsed values, the
 * defaults, and every way a file is refused, with the "file:line" that
 * the refusal must name.
 *
 * Each case writes a real file into a mkdtemp directory and calls
 * config_load; its stderr is caught in a file around the call so that
 * the messages can be checked.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "log.h"

#define ERRBUF	65536

static char		tmpdir[] = "/tmp/test_config.XXXXXX";
static char		cfpath[PATH_MAX], errpath[PATH_MAX];
static char		errbuf[ERRBUF];
static struct config	cf;

static void	write_text(const char *, const char *, size_t);
static int	load(const char *);
static int	accepted(const char *);
static int	refused(const char *, int, const char *);
static int	error_line(int, const char *);
static char	*joinf(const char *, ...) LOG_PRINTF(1, 2);
static char	*repeat(int, size_t);
static void	test_defaults(void);
static void	test_all_keys(void);
static void	test_sections(void);
static void	test_keys(void);
static void	test_names(void);
static void	test_instance_ids(void);
static void	test_values(void);
static void	test_environment(void);
static void	test_commands(void);
static void	test_path_search(void);
static void	test_directory(void);
static void	test_long_lines(void);
static void	test_continuation(void);
static void	test_max_runs(void);
static void	test_paths(void);
static void	test_file(void);
static void	test_parse_size(void);
static void	test_parse_ms(void);
static void	test_parse_bool(void);

static void
write_text(const char *path, const char *text, size_t n)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, text, n) != (ssize_t)n) {
		perror(path);
		exit(2);
	}
	close(fd);
}

/*
 * config_load on `text` as <tmpdir>/crashtrail.conf, its stderr kept in
 * errbuf.  Returns what config_load returned; cf holds the result.
 */
static int
load(const char *text)
{
	ssize_t	n;
	int	saved, fd, rv;

	write_text(cfpath, text, strlen(text));
	fflush(stderr);
	if ((saved = dup(STDERR_FILENO)) == -1 ||
	    (fd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1) {
		perror("redirect stderr");
		exit(2);
	}
	rv = config_load(&cf, cfpath);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    (n = read(fd, errbuf, sizeof(errbuf) - 1)) < 0)
		n = 0;
	errbuf[n] = '\0';
	close(fd);
	unlink(errpath);
	return rv;
}

/* Loads without a word on stderr; the caller frees cf. */
static int
accepted(const char *text)
{
	int	rv = load(text);

	if (rv != 0 || errbuf[0] != '\0') {
		fprintf(stderr, "---- refused (%d), wanted it accepted:\n%s"
		    "---- messages:\n%s----\n", rv, text, errbuf);
		if (rv == 0)
			config_free(&cf);
		return 0;
	}
	return 1;
}

/*
 * Refused, with a message naming `line` ("file:line: ", or just "file: "
 * for 0) that contains `needle`.  A refused load has freed cf already.
 */
static int
refused(const char *text, int line, const char *needle)
{
	int	rv = load(text);

	if (rv == 0) {
		config_free(&cf);
		fprintf(stderr, "---- accepted, wanted it refused (line %d: "
		    "%s):\n%s----\n", line, needle, text);
		return 0;
	}
	if (!error_line(line, needle)) {
		fprintf(stderr, "---- no message for line %d with '%s':\n%s"
		    "---- messages:\n%s----\n", line, needle, text, errbuf);
		return 0;
	}
	return 1;
}

/* Whether some line of errbuf is "<cfpath>:<line>: ...needle...". */
static int
error_line(int line, const char *needle)
{
	char		 prefix[PATH_MAX + 32];
	const char	*p, *nl;
	size_t		 plen, llen;

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%.*s:%d: ", PATH_MAX,
		    cfpath, line);
	else
		snprintf(prefix, sizeof(prefix), "%.*s: ", PATH_MAX, cfpath);
	plen = strlen(prefix);
	for (p = errbuf; *p != '\0'; p = *nl ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		llen = (size_t)(nl - p);
		if (llen >= plen && strncmp(p, prefix, plen) == 0) {
			char	one[4096];

			snprintf(one, sizeof(one), "%.*s", (int)llen, p);
			if (strstr(one, needle) != NULL)
				return 1;
		}
	}
	return 0;
}

/* A formatted string in a fresh buffer (the tests' configs). */
static char *
joinf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL) {
		perror("joinf");
		exit(2);
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static char *
repeat(int c, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_defaults(void)
{
	struct runner_conf	*rc;
	int			 i, ok, loaded;

	loaded = accepted("[runner:a]\ncommand = true\n");
	CHECK(loaded);
	if (!loaded)
		return;
	CHECK(strcmp(cf.path, cfpath) == 0);
	CHECK(strcmp(cf.state_dir, "/var/lib/crashtrail") == 0);
	CHECK(strcmp(cf.log_dir, cf.state_dir) == 0);
	CHECK(strcmp(cf.instance_id, "default") == 0);
	CHECK(cf.log_level == LOG_LEVEL_INFO);
	CHECK(cf.max_runs == 64);
	CHECK(cf.tail_lines == 200);
	CHECK(cf.tail_bytes == 64 * 1024);
	CHECK(cf.log_quota_bytes == 1024ULL * 1024 * 1024);
	CHECK(cf.log_max_files == 4096);
	CHECK(cf.nrunners == 1);
	rc = cf.runners[0];
	CHECK(strcmp(rc->name, "a") == 0);
	CHECK(rc->lineno == 1);
	CHECK(strcmp(rc->instance_id, "default") == 0);
	CHECK(strcmp(rc->command, "true") == 0);
	CHECK(strcmp(rc->argv[0], "true") == 0 && rc->argv[1] == NULL);
	CHECK(rc->exec_path[0] == '/' &&
	    strcmp(strrchr(rc->exec_path, '/'), "/true") == 0 &&
	    access(rc->exec_path, X_OK) == 0);
	CHECK(rc->directory[0] == '\0');
	CHECK(rc->nenv == 0);
	CHECK(rc->has_user == 0);
	CHECK(rc->autostart == 1);
	CHECK(rc->autorestart == AUTORESTART_UNEXPECTED);
	CHECK(rc->startsecs == 1);
	CHECK(rc->startretries == 3);
	CHECK(rc->backoff_ms == 1000);
	CHECK(rc->backoff_max_ms == 60000);
	CHECK(rc->stopsignal == SIGTERM);
	CHECK(rc->stopwaitsecs == 10);
	for (ok = 1, i = 0; i < 256; i++)
		if (exitcodes_has(&rc->exitcodes, i) != (i == 0))
			ok = 0;
	CHECK(ok);
	CHECK(rc->capture_stdout == STDOUT_FILE);
	CHECK(rc->log_max_bytes == 64ULL * 1024 * 1024);
	config_free(&cf);
	CHECK(cf.runners == NULL && cf.nrunners == 0);

	/* No runners at all is a valid (if idle) configuration. */
	CHECK(accepted(""));
	CHECK(cf.nrunners == 0);
	config_free(&cf);
	CHECK(accepted("; only a comment\n\n# and another\n"));
	config_free(&cf);
}

static void
test_all_keys(void)
{
	struct runner_conf	*rc;
	struct passwd		*pw;
	char			*text, want[PATH_MAX + 16];
	int			 i, ok, loaded;

	/* Our own user is always allowed, if it has a name. */
	pw = getpwuid(geteuid());
	text = joinf(
	    "; a full configuration\n"
	    "# with both comment styles\n"
	    "[collector]\n"
	    "state_dir = state\n"
	    "log_dir = /abs/logs\n"
	    "instance_id = host-1.example_com\n"
	    "log_level = debug\n"
	    "max_runs = 10\n"
	    "tail_lines = 50\n"
	    "tail_bytes = 1K\n"
	    "log_quota_bytes = 512M\n"
	    "log_max_files = 100\n"
	    "\n"
	    "[runner:web-1]\n"
	    "command = /bin/sh -c 'echo \"hi there\"; exit 3'\n"
	    "instance_id = other\n"
	    "directory = %s\n"
	    "environment = A=1,B=\"x y\",C='z,w',_D=,e9=\"\"\n"
	    "%s%s\n"
	    "autostart = no\n"
	    "autorestart = always\n"
	    "startsecs = 0\n"
	    "startretries = 7\n"
	    "backoff = 0.5\n"
	    "backoff_max = 2.25\n"
	    "stopsignal = INT\n"
	    "stopwaitsecs = 3\n"
	    "exitcodes = 0, 2,3 255\n"
	    "capture_stdout = merge\n"
	    "log_max_bytes = 1M\n"
	    "[runner:db]\n"
	    "command=/bin/true\n"
	    "autorestart=never\n"
	    "capture_stdout=no\n"
	    "stopsignal=SIGQUIT\n"
	    "log_max_bytes=0\n"
	    "backoff=5\n"
	    "backoff_max=1\n",
	    tmpdir, pw ? "user = " : "; no user: ", pw ? pw->pw_name : "-");
	loaded = accepted(text);
	free(text);
	CHECK(loaded);
	if (!loaded)
		return;
	snprintf(want, sizeof(want), "%.*s/state", PATH_MAX, tmpdir);
	CHECK(strcmp(cf.state_dir, want) == 0);
	CHECK(strcmp(cf.log_dir, "/abs/logs") == 0);
	CHECK(strcmp(cf.instance_id, "host-1.example_com") == 0);
	CHECK(cf.log_level == LOG_LEVEL_DEBUG);
	CHECK(cf.max_runs == 10);
	CHECK(cf.tail_lines == 50);
	CHECK(cf.tail_bytes == 1024);
	CHECK(cf.log_quota_bytes == 512ULL * 1024 * 1024);
	CHECK(cf.log_max_files == 100);
	CHECK(cf.nrunners == 2);

	rc = cf.runners[0];
	CHECK(strcmp(rc->name, "web-1") == 0);
	CHECK(rc->lineno == 14);
	CHECK(strcmp(rc->command,
	    "/bin/sh -c 'echo \"hi there\"; exit 3'") == 0);
	CHECK(strcmp(rc->argv[0], "/bin/sh") == 0 &&
	    strcmp(rc->argv[1], "-c") == 0 &&
	    strcmp(rc->argv[2], "echo \"hi there\"; exit 3") == 0 &&
	    rc->argv[3] == NULL);
	CHECK(strcmp(rc->exec_path, "/bin/sh") == 0);
	CHECK(strcmp(rc->instance_id, "other") == 0);
	CHECK(strcmp(rc->directory, tmpdir) == 0);
	CHECK(rc->nenv == 5);
	CHECK(rc->nenv == 5 && strcmp(rc->env[0], "A=1") == 0 &&
	    strcmp(rc->env[1], "B=x y") == 0 &&
	    strcmp(rc->env[2], "C=z,w") == 0 &&
	    strcmp(rc->env[3], "_D=") == 0 &&
	    strcmp(rc->env[4], "e9=") == 0 && rc->env[5] == NULL);
	CHECK(pw == NULL || (rc->has_user == 1 && rc->uid == pw->pw_uid &&
	    rc->gid == pw->pw_gid && strcmp(rc->user, pw->pw_name) == 0));
	CHECK(rc->autostart == 0);
	CHECK(rc->autorestart == AUTORESTART_ALWAYS);
	CHECK(rc->startsecs == 0);
	CHECK(rc->startretries == 7);
	CHECK(rc->backoff_ms == 500);
	CHECK(rc->backoff_max_ms == 2250);
	CHECK(rc->stopsignal == SIGINT);
	CHECK(rc->stopwaitsecs == 3);
	for (ok = 1, i = 0; i < 256; i++)
		if (exitcodes_has(&rc->exitcodes, i) !=
		    (i == 0 || i == 2 || i == 3 || i == 255))
			ok = 0;
	CHECK(ok);
	CHECK(rc->capture_stdout == STDOUT_MERGE);
	CHECK(rc->log_max_bytes == 1024 * 1024);

	rc = cf.runners[1];
	CHECK(strcmp(rc->name, "db") == 0);
	CHECK(rc->lineno == 31);
	/* A runner without instance_id takes the collector's. */
	CHECK(strcmp(rc->instance_id, "host-1.example_com") == 0);
	CHECK(rc->autorestart == AUTORESTART_NEVER);
	CHECK(rc->capture_stdout == STDOUT_NULL);
	CHECK(rc->stopsignal == SIGQUIT);
	CHECK(rc->log_max_bytes == 0);
	/* backoff_max below backoff is raised to it. */
	CHECK(rc->backoff_ms == 5000 && rc->backoff_max_ms == 5000);
	config_free(&cf);

	/* The other spellings of each enumerated value. */
	CHECK(accepted("[collector]\nlog_level = warn\n"
	    "[runner:a]\ncommand = true\nautorestart = true\n"
	    "capture_stdout = yes\nautostart = off\n"));
	CHECK(cf.log_level == LOG_LEVEL_WARN);
	CHECK(cf.runners[0]->autorestart == AUTORESTART_ALWAYS);
	CHECK(cf.runners[0]->capture_stdout == STDOUT_FILE);
	CHECK(cf.runners[0]->autostart == 0);
	config_free(&cf);
	CHECK(accepted("[runner:a]\ncommand = true\nautorestart = false\n"
	    "capture_stdout = off\nautostart = TRUE\nstopsignal = 9\n"
	    "exitcodes = 1\n"));
	CHECK(cf.runners[0]->autorestart == AUTORESTART_NEVER);
	CHECK(cf.runners[0]->capture_stdout == STDOUT_NULL);
	CHECK(cf.runners[0]->autostart == 1);
	CHECK(cf.runners[0]->stopsignal == SIGKILL);
	CHECK(!exitcodes_has(&cf.runners[0]->exitcodes, 0) &&
	    exitcodes_has(&cf.runners[0]->exitcodes, 1));
	config_free(&cf);

	/* Inline comments and CRLF line ends. */
	CHECK(accepted("[runner:a]\r\ncommand = true ; the command\r\n"
	    "autostart = no ; later\r\nstartretries = 9\r\n"));
	CHECK(strcmp(cf.runners[0]->command, "true") == 0);
	CHECK(cf.runners[0]->autostart == 0);
	CHECK(cf.runners[0]->startretries == 9);
	config_free(&cf);
}

static void
test_sections(void)
{
	CHECK(refused("[foo]\nx = 1\n", 1, "unknown section [foo]"));
	CHECK(refused("[runner:a]\ncommand = true\n[runner]\n", 3,
	    "unknown section"));
	CHECK(refused("[Collector]\n", 1, "unknown section"));
	CHECK(refused("[ collector ]\n", 1, "unknown section"));
	CHECK(refused("[collector]\nlog_level = info\n[collector]\n", 3,
	    "duplicate [collector]"));
	CHECK(refused("[runner:a]\ncommand = true\n\n[runner:a]\n"
	    "command = true\n", 4, "duplicate section [runner:a]"));
	CHECK(refused("[runner:a]\ncommand = true\n\n[runner:a]\n"
	    "command = true\n", 4, "first at line 1"));
	/* Not a section, not a key: a syntax error on that line. */
	CHECK(refused("[runner:a]\ncommand = true\njust words\n", 3,
	    "syntax error"));
	CHECK(refused("[runner:a\ncommand = true\n", 1, "syntax error"));
	/* A section name too long for any runner name. */
	{
		char	*name = repeat('n', 100), *text;

		text = joinf("[runner:%s]\ncommand = true\n", name);
		CHECK(refused(text, 1, "too long"));
		free(text);
		free(name);
	}
	/*
	 * Keys before any section belong to no section: they must not be
	 * dropped without a word.
	 */
	CHECK(refused("state_dir = /somewhere\n[runner:a]\ncommand = true\n",
	    1, "state_dir"));
}

static void
test_keys(void)
{
	CHECK(refused("[collector]\nfoo = 1\n", 2, "unknown key 'foo'"));
	CHECK(refused("[runner:a]\ncommand = true\nstartsec = 1\n", 3,
	    "unknown key 'startsec'"));
	/* Keys are case-sensitive, like every other name here. */
	CHECK(refused("[runner:a]\nCommand = true\n", 2, "unknown key"));
	/* A collector key in a runner and the other way round. */
	CHECK(refused("[runner:a]\ncommand = true\ntail_lines = 5\n", 3,
	    "unknown key 'tail_lines'"));
	CHECK(refused("[collector]\nautostart = no\n", 2,
	    "unknown key 'autostart'"));
	CHECK(refused("[runner:a]\ncommand = true\ncommand = false\n", 3,
	    "duplicate key 'command'"));
	CHECK(refused("[collector]\ntail_lines = 5\n\ntail_lines = 6\n", 4,
	    "duplicate key 'tail_lines'"));
	CHECK(refused("[runner:a]\ncommand = true\nautostart = no\n"
	    "autostart = yes\n", 4, "duplicate key 'autostart'"));
	/* The same key in two runners is no duplicate. */
	CHECK(accepted("[runner:a]\ncommand = true\nautostart = no\n"
	    "[runner:b]\ncommand = true\nautostart = no\n"));
	config_free(&cf);
	/* Every error is reported, not only the first. */
	CHECK(refused("[collector]\nfoo = 1\nbar = 2\n", 2, "'foo'"));
	CHECK(error_line(3, "'bar'"));
	CHECK(strstr(errbuf, "2 errors") != NULL);
}

/* Runner names become path components: the id rule, nothing else. */
static void
test_names(void)
{
	static const char	*bad[] = { "../x", "", "a/b", "..", ".",
	    "a b", "x/..", "a\\b", "caf\xc3\xa9", "a:b", "-/" };
	char			*name, *text;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = joinf("[runner:ok]\ncommand = true\n"
		    "[runner:%s]\ncommand = true\n", bad[i]);
		CHECK(refused(text, 3, "runner name"));
		free(text);
	}
	name = repeat('a', 65);
	text = joinf("[runner:%s]\ncommand = true\n", name);
	CHECK(refused(text, 1, "too long"));
	free(text);
	free(name);

	/* Names up to the documented 64 bytes are valid. */
	CHECK(accepted("[runner:A.b_c-9]\ncommand = true\n"));
	config_free(&cf);
	name = repeat('a', 42);
	text = joinf("[runner:%s]\ncommand = true\nautostart = no\n", name);
	CHECK(accepted(text));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->name, name) == 0);
		CHECK(cf.runners[0]->autostart == 0);
		config_free(&cf);
	}
	free(text);
	free(name);
	/* 43..64 bytes: valid ids, so valid runner names. */
	name = repeat('b', 43);
	text = joinf("[runner:%s]\ncommand = true\nautostart = no\n", name);
	CHECK(accepted(text));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->name, name) == 0);
		CHECK(cf.runners[0]->autostart == 0);
		config_free(&cf);
	}
	free(text);
	free(name);
	name = repeat('c', 64);
	text = joinf("[runner:%s]\ncommand = /bin/echo 64\nautostart = no\n",
	    name);
	CHECK(accepted(text));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->name, name) == 0);
		CHECK(strcmp(cf.runners[0]->command, "/bin/echo 64") == 0);
		CHECK(cf.runners[0]->autostart == 0);
		config_free(&cf);
	}
	free(text);
	free(name);
}

static void
test_instance_ids(void)
{
	static const char	*bad[] = { "../x", "a/b", "..", ".", "a b",
	    "/etc", "x\xff" };
	char			*id, *text;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = joinf("[collector]\ninstance_id = %s\n", bad[i]);
		CHECK(refused(text, 2, "instance_id"));
		free(text);
		text = joinf("[runner:a]\ncommand = true\n"
		    "instance_id = %s\n", bad[i]);
		CHECK(refused(text, 3, "instance_id"));
		free(text);
	}
	CHECK(refused("[collector]\ninstance_id =\n", 2, "is empty"));
	CHECK(refused("[runner:a]\ncommand = true\ninstance_id = \n", 3,
	    "is empty"));
	id = repeat('i', 65);
	text = joinf("[collector]\ninstance_id = %s\n", id);
	CHECK(refused(text, 2, "too long"));
	free(text);
	text = joinf("[runner:a]\ncommand = true\ninstance_id = %s\n", id);
	CHECK(refused(text, 3, "too long"));
	free(text);
	id[64] = '\0';
	text = joinf("[collector]\ninstance_id = %s\n[runner:a]\n"
	    "command = true\n", id);
	CHECK(accepted(text));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.instance_id, id) == 0);
		CHECK(strcmp(cf.runners[0]->instance_id, id) == 0);
		config_free(&cf);
	}
	free(text);
	free(id);
}

/* One bad value for `key`, in the section it belongs to. */
#define BAD_R(key, val, needle)						\
	CHECK(refused("[runner:a]\ncommand = true\n" key " = " val "\n", 3, \
	    needle))
#define BAD_C(key, val, needle)						\
	CHECK(refused("[collector]\n" key " = " val "\n", 2, needle))

static void
test_values(void)
{
	/* The sampler: a ring of 0 samples keeps nothing, so it is refused. */
	BAD_C("samples_per_run", "0", "a ring of 0 samples");
	BAD_C("sample_interval_ms", "49", "expected milliseconds from 50");
	BAD_C("sample_interval_ms", "-1", "expected milliseconds from 50");
	BAD_C("sample_interval_ms", "1s", "expected milliseconds from 50");
	BAD_C("stages_per_run", "0", "expected an integer from 1 to 254");
	BAD_C("stages_per_run", "255", "expected an integer from 1 to 254");
	BAD_C("cgroup", "on", "expected auto or off");
	BAD_R("memory_max", "lots", "expected a size");
	CHECK(refused("[collector]\nsamples_per_run = 10\nreport_samples = "
	    "11\n", 0, "report_samples (11) must be at most samples_per_run"));
	/* Booleans. */
	BAD_R("autostart", "maybe", "expected yes or no");
	BAD_R("autostart", "2", "expected yes or no");
	BAD_R("autostart", "", "expected yes or no");
	BAD_R("autostart", "y", "expected yes or no");
	/* Integers: negative, junk, out of range, overflow. */
	BAD_R("startsecs", "-1", "expected seconds");
	BAD_R("startsecs", "abc", "expected seconds");
	BAD_R("startsecs", "1.5", "expected seconds");
	BAD_R("startsecs", "3601", "expected seconds");
	BAD_R("startsecs", "", "expected seconds");
	BAD_R("startsecs", "+1", "expected seconds");
	BAD_R("startsecs", "0x10", "expected seconds");
	BAD_R("startsecs", "1 2", "expected seconds");
	BAD_R("startretries", "1000001", "expected an integer");
	BAD_R("startretries", "99999999999999999999999", "expected an integer");
	BAD_R("startretries", "-0", "expected an integer");
	BAD_R("stopwaitsecs", "3601", "expected seconds");
	BAD_R("stopwaitsecs", "ten", "expected seconds");
	BAD_C("max_runs", "1", "expected an integer from 2");
	BAD_C("max_runs", "100001", "expected an integer from 2");
	BAD_C("max_runs", "-5", "expected an integer from 2");
	BAD_C("tail_lines", "0", "expected an integer from 1");
	BAD_C("tail_lines", "100001", "expected an integer from 1");
	BAD_C("log_max_files", "0", "expected an integer from 1");
	BAD_C("log_max_files", "lots", "expected an integer from 1");
	BAD_C("log_level", "verbose", "expected warn, info or debug");
	BAD_C("log_level", "", "expected warn, info or debug");
	/* Sizes. */
	BAD_R("log_max_bytes", "12X", "expected a size");
	BAD_R("log_max_bytes", "-1", "expected a size");
	BAD_R("log_max_bytes", "1.5M", "expected a size");
	BAD_R("log_max_bytes", "M", "expected a size");
	BAD_R("log_max_bytes", "", "expected a size");
	BAD_R("log_max_bytes", "99999999999G", "expected a size");
	BAD_C("log_quota_bytes", "lots", "expected a size");
	BAD_C("log_quota_bytes", "1T", "expected a size");
	/* tail_bytes: a power of two from 1K to 16M. */
	BAD_C("tail_bytes", "1000", "power of two");
	BAD_C("tail_bytes", "3K", "power of two");
	BAD_C("tail_bytes", "1536", "power of two");
	BAD_C("tail_bytes", "512", "power of two");
	BAD_C("tail_bytes", "0", "power of two");
	BAD_C("tail_bytes", "32M", "power of two");
	BAD_C("tail_bytes", "64KB", "power of two");
	CHECK(accepted("[collector]\ntail_bytes = 16M\n"));
	CHECK(cf.tail_bytes == 16 * 1024 * 1024);
	config_free(&cf);
	CHECK(accepted("[collector]\ntail_bytes = 1024\ntail_lines = 100000\n"
	    "max_runs = 100000\nlog_quota_bytes = 0\n"));
	CHECK(cf.tail_bytes == 1024 && cf.tail_lines == 100000);
	CHECK(cf.max_runs == 100000 && cf.log_quota_bytes == 0);
	config_free(&cf);
	/* Signals. */
	BAD_R("stopsignal", "BOGUS", "unknown signal");
	BAD_R("stopsignal", "0", "unknown signal");
	BAD_R("stopsignal", "-15", "unknown signal");
	BAD_R("stopsignal", "64", "unknown signal");
	BAD_R("stopsignal", "SIGFOO", "unknown signal");
	BAD_R("stopsignal", "", "unknown signal");
	/* Enumerations. */
	BAD_R("autorestart", "yes", "expected unexpected, always or never");
	BAD_R("autorestart", "sometimes", "expected unexpected");
	BAD_R("capture_stdout", "stderr", "expected yes (own file), merge");
	BAD_R("capture_stdout", "maybe", "expected yes (own file), merge");
	/* Durations and exit codes. */
	BAD_R("backoff", "1.2345", "expected seconds");
	BAD_R("backoff", "-1", "expected seconds");
	BAD_R("backoff", "1.", "expected seconds");
	BAD_R("backoff", ".5", "expected seconds");
	BAD_R("backoff_max", "forever", "expected seconds");
	BAD_R("exitcodes", "256", "expected a list of exit codes");
	BAD_R("exitcodes", "-1", "expected a list of exit codes");
	BAD_R("exitcodes", "0,x", "expected a list of exit codes");
	/* The user must exist. */
	BAD_R("user", "no-such-user-ct", "no such user");
	/* The message repeats the key and the value. */
	BAD_R("startsecs", "abc", "startsecs = abc");
	BAD_R("startsecs", "abc", "[runner:a]");
}

static void
test_environment(void)
{
	BAD_R("environment", "A=\"unterminated", "unterminated quote");
	BAD_R("environment", "A='x,B=2", "unterminated quote");
	BAD_R("environment", "CRASHTRAIL_X=1", "CRASHTRAIL_");
	BAD_R("environment", "A=1,CRASHTRAIL_EVENT_FD=3", "CRASHTRAIL_");
	BAD_R("environment", "1A=2", "variable name");
	BAD_R("environment", "A-B=1", "variable name");
	BAD_R("environment", "A B=1", "variable name");
	BAD_R("environment", "A.B=1", "variable name");
	BAD_R("environment", "=1", "expected KEY=value");
	BAD_R("environment", "A", "expected KEY=value");
	BAD_R("environment", "A=1,B", "expected KEY=value");
	/* Accepted forms: spaces after commas, = inside values. */
	CHECK(accepted("[runner:a]\ncommand = true\n"
	    "environment = A=1, B=x=y,  C=\"a,b\" ,\n"));
	if (cf.nrunners == 1) {
		CHECK(cf.runners[0]->nenv == 3);
		CHECK(strcmp(cf.runners[0]->env[0], "A=1") == 0);
		CHECK(strcmp(cf.runners[0]->env[1], "B=x=y") == 0);
		CHECK(strncmp(cf.runners[0]->env[2], "C=a,b", 5) == 0);
		CHECK(cf.runners[0]->env[3] == NULL);
		config_free(&cf);
	}
	/* Lowercase crashtrail_ is not reserved. */
	CHECK(accepted("[runner:a]\ncommand = true\n"
	    "environment = crashtrail_x=1\n"));
	config_free(&cf);
}

static void
test_commands(void)
{
	char	path[PATH_MAX + 32], *text;

	CHECK(refused("[runner:a]\nautostart = no\n", 1,
	    "[runner:a]: missing command"));
	CHECK(refused("[runner:ok]\ncommand = true\n[runner:b]\n", 3,
	    "missing command"));
	CHECK(refused("[runner:a]\ncommand =\n", 2, "is empty"));
	CHECK(refused("[runner:a]\ncommand = no-such-command-ct\n", 1,
	    "'no-such-command-ct' not found in PATH"));
	CHECK(refused("[runner:a]\ncommand = /no/such/file\n", 1,
	    "No such file"));
	CHECK(refused("[runner:a]\ncommand = /bin/echo 'abc\n", 2,
	    "unterminated quote"));
	CHECK(refused("[runner:a]\ncommand = /bin/echo \"abc\n", 2,
	    "unterminated quote"));
	CHECK(refused("[runner:a]\ncommand = /bin/echo abc\\\n", 2,
	    "trailing backslash"));

	/* A file that is there but not executable. */
	snprintf(path, sizeof(path), "%.*s/noexec", PATH_MAX, tmpdir);
	write_text(path, "#!/bin/sh\n", 10);
	chmod(path, 0644);
	text = joinf("[runner:a]\ncommand = %s\n", path);
	CHECK(refused(text, 1, "Permission denied"));
	free(text);
	unlink(path);

	/* A directory is no command, whatever its x bits say. */
	text = joinf("[runner:a]\ncommand = %s\n", tmpdir);
	CHECK(refused(text, 1, "command"));
	free(text);

	/* An executable file by absolute path. */
	snprintf(path, sizeof(path), "%.*s/prog", PATH_MAX, tmpdir);
	write_text(path, "#!/bin/sh\n", 10);
	chmod(path, 0755);
	text = joinf("[runner:a]\ncommand = %s --flag\n", path);
	CHECK(accepted(text));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->exec_path, path) == 0);
		CHECK(strcmp(cf.runners[0]->argv[1], "--flag") == 0);
		config_free(&cf);
	}
	free(text);
	/* Relative with a slash and a directory: checked at exec. */
	text = joinf("[runner:a]\ncommand = ./not-yet-there\n"
	    "directory = %s\n", tmpdir);
	CHECK(accepted(text));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->exec_path, "./not-yet-there") == 0);
		config_free(&cf);
	}
	free(text);
	unlink(path);
}

/*
 * argv[0] without a slash is looked up on PATH as execvp would, where an
 * empty entry means the current directory.
 */
static void
test_path_search(void)
{
	char	*oldpath, path[PATH_MAX + 32];
	int	 here;

	if ((oldpath = getenv("PATH")) != NULL &&
	    (oldpath = strdup(oldpath)) == NULL) {
		perror("strdup");
		exit(2);
	}
	if ((here = open(".", O_RDONLY)) == -1 || chdir(tmpdir) == -1) {
		perror("chdir");
		exit(2);
	}
	snprintf(path, sizeof(path), "%.*s/ctprog", PATH_MAX, tmpdir);
	write_text(path, "#!/bin/sh\n", 10);
	chmod(path, 0755);

	/* Found in a PATH directory: the full path is kept. */
	setenv("PATH", "/nonexistent-ct:/usr/bin:/bin", 1);
	CHECK(accepted("[runner:a]\ncommand = sh -c true\n"));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->exec_path, "/usr/bin/sh") == 0 ||
		    strcmp(cf.runners[0]->exec_path, "/bin/sh") == 0);
		config_free(&cf);
	}
	CHECK(refused("[runner:a]\ncommand = ctprog\n", 1, "not found"));
	snprintf(path, sizeof(path), "/nonexistent-ct:%.*s", PATH_MAX,
	    tmpdir);
	setenv("PATH", path, 1);
	CHECK(accepted("[runner:a]\ncommand = ctprog\n"));
	if (cf.nrunners == 1) {
		snprintf(path, sizeof(path), "%.*s/ctprog", PATH_MAX, tmpdir);
		CHECK(strcmp(cf.runners[0]->exec_path, path) == 0);
		config_free(&cf);
	}

	/* An empty PATH entry: the current directory. */
	setenv("PATH", "/nonexistent-ct::/also-not-there", 1);
	CHECK(accepted("[runner:a]\ncommand = ctprog\n"));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->exec_path, "./ctprog") == 0);
		config_free(&cf);
	}

	if (oldpath != NULL)
		setenv("PATH", oldpath, 1);
	else
		unsetenv("PATH");
	free(oldpath);
	snprintf(path, sizeof(path), "%.*s/ctprog", PATH_MAX, tmpdir);
	unlink(path);
	if (fchdir(here) == -1) {
		perror("fchdir");
		exit(2);
	}
	close(here);
}

static void
test_directory(void)
{
	char	path[PATH_MAX + 32], *text;

	CHECK(refused("[runner:a]\ncommand = true\n"
	    "directory = /nonexistent/ct\n", 3, "No such file or directory"));
	snprintf(path, sizeof(path), "%.*s/plainfile", PATH_MAX, tmpdir);
	write_text(path, "x", 1);
	text = joinf("[runner:a]\ncommand = true\ndirectory = %s\n", path);
	CHECK(refused(text, 3, "is not a directory"));
	free(text);
	unlink(path);
	CHECK(refused("[runner:a]\ncommand = true\ndirectory =\n", 3,
	    "is empty"));

	/* Relative: from the config file's directory. */
	snprintf(path, sizeof(path), "%.*s/sub", PATH_MAX, tmpdir);
	CHECK(mkdir(path, 0700) == 0);
	CHECK(accepted("[runner:a]\ncommand = true\ndirectory = sub\n"));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->directory, path) == 0);
		config_free(&cf);
	}
	rmdir(path);
	CHECK(refused("[runner:a]\ncommand = true\ndirectory = sub\n", 3,
	    "No such file"));
}

/*
 * Lines of up to 4 KiB (inih r62 vendored with INI_MAX_LINE 4098): 4096
 * bytes and the newline fit; anything longer is an error naming the
 * line, never cut short.  A 3 KiB command loads, a 5 KiB line does not.
 */
static void
test_long_lines(void)
{
	char	*arg, *text;

	arg = repeat('x', 3 * 1024);
	text = joinf("[runner:a]\ncommand = /bin/echo %s\n", arg);
	CHECK(accepted(text));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->argv[1], arg) == 0);
		config_free(&cf);
	}
	free(text);
	free(arg);

	/* "environment = A=" is 16 bytes: 4080 more make 4096. */
	arg = repeat('e', 4080);
	text = joinf("[runner:a]\ncommand = true\nenvironment = A=%s\n", arg);
	CHECK(accepted(text));
	if (cf.nrunners == 1) {
		CHECK(cf.runners[0]->nenv == 1 &&
		    strlen(cf.runners[0]->env[0]) == 2 + 4080);
		config_free(&cf);
	}
	free(text);
	free(arg);

	arg = repeat('y', 5 * 1024);
	text = joinf("[runner:a]\ncommand = /bin/echo %s\nautostart = no\n",
	    arg);
	CHECK(refused(text, 2, "the limit is 4096"));
	/* The length is told the way the limit is: without the newline. */
	CHECK(error_line(2, "line is 5140 bytes long"));
	free(text);
	free(arg);

	/* Whatever the line is: a comment, a value, the last line. */
	arg = repeat('c', 4097);
	text = joinf("[runner:a]\ncommand = true\n;%s\n", arg);
	CHECK(refused(text, 3, "line is"));
	free(text);
	text = joinf("[runner:a]\ncommand = true\n\n\nenvironment = A=%s\n",
	    arg);
	CHECK(refused(text, 5, "line is"));
	free(text);
	text = joinf("[collector]\nstate_dir = /%s\n", arg);
	CHECK(refused(text, 2, "line is"));
	free(text);
	free(arg);
	arg = repeat('z', 6000);
	text = joinf("[runner:a]\ncommand = /bin/echo %s", arg);
	CHECK(refused(text, 2, "line is"));
	free(text);
	free(arg);
}

static void
test_continuation(void)
{
	struct runner_conf	*rc;
	char			*text, *a, *b, *c;
	size_t			 len;

	CHECK(accepted("[runner:a]\n"
	    "command = /bin/echo one\n"
	    "    two \"three four\"\n"
	    "\tfive\n"
	    "autostart = no\n"));
	if (cf.nrunners == 1) {
		rc = cf.runners[0];
		CHECK(strcmp(rc->command,
		    "/bin/echo one two \"three four\" five") == 0);
		CHECK(strcmp(rc->argv[0], "/bin/echo") == 0 &&
		    strcmp(rc->argv[1], "one") == 0 &&
		    strcmp(rc->argv[2], "two") == 0 &&
		    strcmp(rc->argv[3], "three four") == 0 &&
		    strcmp(rc->argv[4], "five") == 0 && rc->argv[5] == NULL);
		CHECK(rc->autostart == 0);
		config_free(&cf);
	}

	/* Through a comment line, as inih (and configparser) read it. */
	CHECK(accepted("[runner:a]\ncommand = /bin/echo one\n; note\n"
	    "  two\n"));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->command, "/bin/echo one two") == 0);
		config_free(&cf);
	}

	/* A long command over several lines, far past one line's limit. */
	a = repeat('a', 150);
	b = repeat('b', 150);
	c = repeat('c', 150);
	text = joinf("[runner:a]\ncommand = /bin/echo %s\n  %s\n  %s\n"
	    "  %s\n", a, b, c, a);
	CHECK(accepted(text));
	if (cf.nrunners == 1) {
		rc = cf.runners[0];
		len = strlen(rc->command);
		CHECK(len == strlen("/bin/echo ") + 4 * 150 + 3);
		CHECK(strcmp(rc->argv[1], a) == 0 &&
		    strcmp(rc->argv[2], b) == 0 &&
		    strcmp(rc->argv[3], c) == 0 &&
		    strcmp(rc->argv[4], a) == 0 && rc->argv[5] == NULL);
		config_free(&cf);
	}
	free(text);

	/* Environment continues the same way. */
	CHECK(accepted("[runner:a]\ncommand = true\nenvironment = A=1,\n"
	    "    B=2,\n    C=\"3 4\"\n"));
	if (cf.nrunners == 1) {
		rc = cf.runners[0];
		CHECK(rc->nenv == 3 && strcmp(rc->env[0], "A=1") == 0 &&
		    strcmp(rc->env[1], "B=2") == 0 &&
		    strcmp(rc->env[2], "C=3 4") == 0);
		config_free(&cf);
	}

	/* A single-line key continued: an error on the indented line. */
	CHECK(refused("[runner:a]\ncommand = true\nautostart = yes\n"
	    "  no\n", 4, "takes a single line"));
	CHECK(refused("[runner:a]\ncommand = true\nstartsecs = 1\n"
	    "\t0\n", 4, "'startsecs'"));
	CHECK(refused("[collector]\nstate_dir = /var/lib\n  /crashtrail\n",
	    3, "takes a single line"));

	/* Indented, but first in its section: an ordinary key. */
	CHECK(accepted("[runner:a]\n  command = true\n"));
	if (cf.nrunners == 1) {
		CHECK(strcmp(cf.runners[0]->command, "true") == 0);
		config_free(&cf);
	}

	/* Continued past CMD_MAX in total: refused, never cut. */
	{
		char	*big, *p;
		size_t	 i;

		big = malloc(40 * 110 + 64);
		if (big == NULL) {
			perror("malloc");
			exit(2);
		}
		p = big + sprintf(big, "[runner:a]\ncommand = /bin/echo\n");
		for (i = 0; i < 40; i++) {
			memset(p, ' ', 2);
			memset(p + 2, 'w', 106);
			p[108] = '\n';
			p += 109;
		}
		*p = '\0';
		CHECK(refused(big, 2, "longer than"));
		free(big);
	}
	free(a);
	free(b);
	free(c);
}

static void
test_max_runs(void)
{
	char	*text, *p;
	size_t	 i, n = 40;

	CHECK(refused("[collector]\nmax_runs = 3\n[runner:a]\ncommand = true\n"
	    "[runner:b]\ncommand = true\n", 0, "max_runs = 3 is too small"));
	CHECK(accepted("[collector]\nmax_runs = 4\n[runner:a]\ncommand = true\n"
	    "[runner:b]\ncommand = true\n"));
	CHECK(cf.max_runs == 4);
	config_free(&cf);

	/* Unset: raised to twice the runners when the default is less. */
	if ((text = malloc(n * 64)) == NULL) {
		perror("malloc");
		exit(2);
	}
	for (p = text, i = 0; i < n; i++)
		p += sprintf(p, "[runner:r%zu]\ncommand = true\n", i);
	CHECK(accepted(text));
	CHECK(cf.nrunners == n && cf.max_runs == 2 * n);
	config_free(&cf);
	free(text);
}

static void
test_paths(void)
{
	char	want[PATH_MAX + 32];

	CHECK(accepted("[collector]\nstate_dir = state\n"));
	snprintf(want, sizeof(want), "%.*s/state", PATH_MAX, tmpdir);
	CHECK(strcmp(cf.state_dir, want) == 0);
	CHECK(strcmp(cf.log_dir, want) == 0);
	config_free(&cf);

	CHECK(accepted("[collector]\nstate_dir = /abs/state\n"
	    "log_dir = logs\n"));
	snprintf(want, sizeof(want), "%.*s/logs", PATH_MAX, tmpdir);
	CHECK(strcmp(cf.state_dir, "/abs/state") == 0);
	CHECK(strcmp(cf.log_dir, want) == 0);
	config_free(&cf);

	CHECK(accepted("[collector]\nstate_dir = ../up/state\n"));
	snprintf(want, sizeof(want), "%.*s/../up/state", PATH_MAX, tmpdir);
	CHECK(strcmp(cf.state_dir, want) == 0);
	config_free(&cf);

	CHECK(refused("[collector]\nstate_dir =\n", 2, "is empty"));
	CHECK(refused("[collector]\nlog_dir =\n", 2, "is empty"));

	/*
	 * kmsg_path = off turns the kernel watcher off: the word is kept as
	 * it is (kmsgwatch_init() knows it), not taken as a file next to
	 * the config.  A file named off is still ./off.
	 */
	CHECK(accepted("[collector]\nkmsg_path = off\n"));
	CHECK(strcmp(cf.kmsg_path, "off") == 0);
	config_free(&cf);
	CHECK(accepted("[collector]\nkmsg_path = ./off\n"));
	snprintf(want, sizeof(want), "%.*s/./off", PATH_MAX, tmpdir);
	CHECK(strcmp(cf.kmsg_path, want) == 0);
	config_free(&cf);
	CHECK(accepted("[collector]\nkmsg_path = kmsg.fifo\n"));
	snprintf(want, sizeof(want), "%.*s/kmsg.fifo", PATH_MAX, tmpdir);
	CHECK(strcmp(cf.kmsg_path, want) == 0);
	config_free(&cf);
	CHECK(refused("[collector]\nkmsg_path =\n", 2, "is empty"));
}

static void
test_file(void)
{
	char	 path[PATH_MAX + 32], *big;
	size_t	 n = 1024 * 1024 + 1;
	int	 saved, fd, rv;

	/* No such file: -1, and a message. */
	snprintf(path, sizeof(path), "%.*s/missing.conf", PATH_MAX, tmpdir);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, STDERR_FILENO);
	rv = config_load(&cf, path);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	CHECK(rv == -1);
	CHECK(cf.runners == NULL && cf.nrunners == 0);

	/* Larger than 1 MiB: refused whole rather than read in part. */
	if ((big = malloc(n + 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(big, '\n', n);
	memcpy(big, "; big\n", 6);
	big[n] = '\0';
	CHECK(refused(big, 0, "larger than 1 MiB"));
	/* Exactly 1 MiB is fine. */
	big[n - 1] = '\0';
	CHECK(accepted(big));
	config_free(&cf);
	free(big);
}

static void
test_parse_size(void)
{
	uint64_t	v;

	CHECK(config_parse_size("64M", &v) == 0 && v == 64ULL << 20);
	CHECK(config_parse_size("1G", &v) == 0 && v == 1ULL << 30);
	CHECK(config_parse_size("512KiB", &v) == 0 && v == 512ULL << 10);
	CHECK(config_parse_size("1k", &v) == 0 && v == 1024);
	CHECK(config_parse_size("2mib", &v) == 0 && v == 2ULL << 20);
	CHECK(config_parse_size("3GiB", &v) == 0 && v == 3ULL << 30);
	CHECK(config_parse_size("0", &v) == 0 && v == 0);
	CHECK(config_parse_size("0K", &v) == 0 && v == 0);
	CHECK(config_parse_size("12345", &v) == 0 && v == 12345);
	CHECK(config_parse_size("007", &v) == 0 && v == 7);
	/* The largest multiple of 1G that fits, and the first that does not. */
	CHECK(config_parse_size("17179869183G", &v) == 0 &&
	    v == 17179869183ULL << 30);
	v = 42;
	CHECK(config_parse_size("17179869184G", &v) == -1);
	CHECK(v == 42);
	CHECK(config_parse_size("18446744073709551616", &v) == -1);
	CHECK(config_parse_size("99999999999999999999999999999", &v) == -1);
	/* UINT64_MAX itself is a size that fits. */
	CHECK(config_parse_size("18446744073709551615", &v) == 0 &&
	    v == UINT64_MAX);
	v = 42;
	CHECK(config_parse_size("", &v) == -1);
	CHECK(config_parse_size("12X", &v) == -1);
	CHECK(config_parse_size("K", &v) == -1);
	CHECK(config_parse_size("-1", &v) == -1);
	CHECK(config_parse_size("+1", &v) == -1);
	CHECK(config_parse_size("1.5M", &v) == -1);
	CHECK(config_parse_size(" 1", &v) == -1);
	CHECK(config_parse_size("1 K", &v) == -1);
	CHECK(config_parse_size("1KB", &v) == -1);
	CHECK(config_parse_size("1Ki", &v) == -1);
	CHECK(config_parse_size("1T", &v) == -1);
	CHECK(config_parse_size("1MM", &v) == -1);
	CHECK(v == 42);
}

static void
test_parse_ms(void)
{
	int	v;

	CHECK(config_parse_ms("2", &v) == 0 && v == 2000);
	CHECK(config_parse_ms("0", &v) == 0 && v == 0);
	CHECK(config_parse_ms("0.5", &v) == 0 && v == 500);
	CHECK(config_parse_ms("0.25", &v) == 0 && v == 250);
	CHECK(config_parse_ms("0.125", &v) == 0 && v == 125);
	CHECK(config_parse_ms("0.05", &v) == 0 && v == 50);
	CHECK(config_parse_ms("0.005", &v) == 0 && v == 5);
	CHECK(config_parse_ms("0.050", &v) == 0 && v == 50);
	CHECK(config_parse_ms("1.000", &v) == 0 && v == 1000);
	CHECK(config_parse_ms("1.5", &v) == 0 && v == 1500);
	CHECK(config_parse_ms("60", &v) == 0 && v == 60000);
	CHECK(config_parse_ms("86400", &v) == 0 && v == 86400000);
	CHECK(config_parse_ms("86400.999", &v) == 0 && v == 86400999);
	v = 42;
	CHECK(config_parse_ms("86401", &v) == -1);
	CHECK(config_parse_ms("1.", &v) == -1);
	CHECK(config_parse_ms(".5", &v) == -1);
	CHECK(config_parse_ms("1.2345", &v) == -1);
	CHECK(config_parse_ms("-1", &v) == -1);
	CHECK(config_parse_ms("-0.5", &v) == -1);
	CHECK(config_parse_ms("", &v) == -1);
	CHECK(config_parse_ms(".", &v) == -1);
	CHECK(config_parse_ms("1.5s", &v) == -1);
	CHECK(config_parse_ms("1,5", &v) == -1);
	CHECK(config_parse_ms("1e3", &v) == -1);
	CHECK(config_parse_ms("1.x", &v) == -1);
	CHECK(config_parse_ms("1..5", &v) == -1);
	CHECK(config_parse_ms("1.5.5", &v) == -1);
	CHECK(config_parse_ms("1.-5", &v) == -1);
	CHECK(config_parse_ms(" 1", &v) == -1);
	CHECK(config_parse_ms("99999999999999999999", &v) == -1);
	CHECK(v == 42);
}

static void
test_parse_bool(void)
{
	int	v;

	CHECK(config_parse_bool("yes", &v) == 0 && v == 1);
	CHECK(config_parse_bool("YES", &v) == 0 && v == 1);
	CHECK(config_parse_bool("True", &v) == 0 && v == 1);
	CHECK(config_parse_bool("on", &v) == 0 && v == 1);
	CHECK(config_parse_bool("1", &v) == 0 && v == 1);
	CHECK(config_parse_bool("no", &v) == 0 && v == 0);
	CHECK(config_parse_bool("False", &v) == 0 && v == 0);
	CHECK(config_parse_bool("OFF", &v) == 0 && v == 0);
	CHECK(config_parse_bool("0", &v) == 0 && v == 0);
	v = 42;
	CHECK(config_parse_bool("", &v) == -1);
	CHECK(config_parse_bool("2", &v) == -1);
	CHECK(config_parse_bool("y", &v) == -1);
	CHECK(config_parse_bool("n", &v) == -1);
	CHECK(config_parse_bool("yes ", &v) == -1);
	CHECK(config_parse_bool("00", &v) == -1);
	CHECK(config_parse_bool("enabled", &v) == -1);
	CHECK(v == 42);
}

int
main(void)
{
	/* A fixed PATH: "true" and "sh" must resolve the same everywhere. */
	setenv("PATH", "/usr/bin:/bin", 1);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(cfpath, sizeof(cfpath), "%s/crashtrail.conf", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/stderr.txt", tmpdir);

	test_parse_bool();
	test_parse_size();
	test_parse_ms();
	test_defaults();
	test_all_keys();
	test_sections();
	test_keys();
	test_names();
	test_instance_ids();
	test_values();
	test_environment();
	test_commands();
	test_path_search();
	test_directory();
	test_long_lines();
	test_continuation();
	test_max_runs();
	test_paths();
	test_file();

	unlink(cfpath);
	if (rmdir(tmpdir) == -1)
		fprintf(stderr, "rmdir %s: %s\n", tmpdir, strerror(errno));
	return CHECK_DONE();
}
