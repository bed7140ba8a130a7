/*
 * main.c -- command line and the daemon's one event loop.
 * SPDX-License-Identifier: ISC
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <mbedtls/version.h>

#include "api.h"
#include "cli.h"
#include "config.h"
#include "digest.h"
#include "diag.h"
#include "events.h"
#include "exitcodes.h"
#include "history.h"
#include "journal.h"
#include "json.h"
#include "live.h"
#include "recover.h"
#include "log.h"
#include "logstore.h"
#include "platform.h"
#include "privdrop.h"
#include "run.h"
#include "sampler.h"
#include "runner.h"
#include "kmsgwatch.h"
#include "svlisten.h"
#include "spawn.h"
#include "sse.h"
#include "svcnotify.h"
#include "reload.h"
#include "syncer.h"
#include "upload.h"
#include "version.h"

/*
 * Set by a test build (test/bench/alloccount.c) to count allocations
 * between the marks "ready" and "shutdown"; NULL otherwise.
 */
void	(*crashtrail_mark_hook)(const char *);

static struct event_base	*main_base;
static struct config		 main_cf;
static struct logstore		 main_store;
static int			 main_signals;	/* TERM/INT received */

static void	usage(FILE *) ;
static void	usage_run(FILE *);
static void	usage_check(FILE *);
static int	cmd_run(int, char **);
static int	cmd_check(int, char **);
static int	cmd_version(void);
static int	parse_common(int, char **, const char **, int *, int *,
		    void (*)(FILE *));
static void	main_mark(const char *);
static void	main_on_signal(evutil_socket_t, short, void *);
static void	main_on_idle(void);
static void	main_on_prune(const char *, uint64_t);
static void	main_prune_data(struct jw *, const void *);
static void	main_stdio(void);
static int	main_mkdir(const char *);
static void	main_reserve_loop(size_t, size_t);
static void	main_raise_nofile(size_t);
static void	main_on_noop(evutil_socket_t, short, void *);
static void	main_on_event(uint64_t);
static void	main_on_journal_tick(evutil_socket_t, short, void *);
static void	main_restore(uint64_t, const char *, size_t, void *);
static void	main_journal(void);

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: crashtrail COMMAND [OPTIONS]\n"
"\n"
"Supervises runner processes, keeps every run's stderr and explains how\n"
"each one ended.\n"
"\n"
"commands:\n"
"  run [-c FILE] [-v | -q]   supervise the configured runners (foreground)\n"
"  check-config [-c FILE]    validate the configuration and exit\n"
"  reload                    make a running crashtrail read its config again\n"
"  status                    the runners of a running crashtrail\n"
"  events [-f] [--json]      its events; -f follows them as they happen\n"
"  show RUN_ID               one run's death report, readable, with a chart\n"
"  top                       the live runs' CPU and memory, redrawn\n"
"  emit TYPE [KEY=VALUE...]  record an event (from inside a runner)\n"
"  supervisord-listener      a supervisord event listener: service crashes\n"
"                            become events (see its --help)\n"
"  version                   print versions of crashtrail and its libraries\n"
"  help                      this text\n"
"\n"
"'crashtrail COMMAND --help' tells more about a command.\n"
"The config file is FILE, else $CRASHTRAIL_CONFIG, else\n"
CONFIG_DEFAULT_PATH ".\n"
"Exit codes: 0 ok, 64 usage, 78 configuration error, 111 system error.\n");
}

static void
usage_run(FILE *fp)
{
	fprintf(fp,
"usage: crashtrail run [-c FILE] [-v | -q] [--telemetry]\n"
"\n"
"Start every runner with autostart = yes and supervise them in the\n"
"foreground until told to stop.  Logs go to stderr; nothing to stdout.\n"
"Each run's stderr is stored raw under\n"
"  <log_dir>/runner_log/<instance_id>/<runner_id>/<UTC time>.stderr.log\n"
"and an abnormal end adds <same name>.death.json: the cause, the tail\n"
"(last 200 lines / 64 KiB) and the log's size and SHA-256.\n""Events are journaled under <state_dir>/journal; after a restart their\n"
"seq goes on and past deaths are still answered.  Runs that an earlier\n"
"crashtrail left running are stopped (stop signal, stopwaitsecs, SIGKILL)\n"
"before any runner starts, and reported with cause collector_restarted.\n"
"\n"
"  -c FILE   config file (default $CRASHTRAIL_CONFIG or\n"
"            " CONFIG_DEFAULT_PATH ")\n"
"  -v        log at debug level      -q  log warnings only\n"
"  --telemetry  upload abnormal runs' logs, as telemetry = on does: to\n"
"            telemetry_api_url (or $CRASHTRAIL_TELEMETRY_API_URL), with\n"
"            a job per file in <state_dir>/spool until it is stored\n"
"\n"
"Signals: TERM or INT stop every runner (stop signal, stopwaitsecs, then\n"
"SIGKILL) and exit 0 once all are reaped; a second TERM or INT sends\n"
"SIGKILL at once.  USR1 restarts runners that are FATAL.  HUP reloads the\n"
"config file (as `crashtrail reload` does): a file with errors changes\n"
"nothing; else added runners start, removed ones stop, changed ones\n"
"restart, the rest keep running.\n");
}

static void
usage_check(FILE *fp)
{
	fprintf(fp,
"usage: crashtrail check-config [-c FILE]\n"
"\n"
"Parse and validate the config file; print a summary on success, or every\n"
"error as FILE:LINE: message on stderr and exit 78.\n");
}

static int
parse_common(int argc, char **argv, const char **path, int *level,
    int *telemetry, void (*help)(FILE *))
{
	int	i;

	*path = getenv("CRASHTRAIL_CONFIG");
	if (*path == NULL || **path == '\0')
		*path = CONFIG_DEFAULT_PATH;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			help(stdout);
			exit(EX_CT_OK);
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			*path = argv[++i];
		else if (level != NULL && strcmp(argv[i], "-v") == 0)
			*level = LOG_LEVEL_DEBUG;
		else if (level != NULL && strcmp(argv[i], "-q") == 0)
			*level = LOG_LEVEL_WARN;
		else if (telemetry != NULL &&
		    strcmp(argv[i], "--telemetry") == 0)
			*telemetry = 1;
		else {
			fprintf(stderr, "crashtrail %s: unexpected argument "
			    "'%s'\n\n", argv[0], argv[i]);
			help(stderr);
			return -1;
		}
	}
	return 0;
}

static int
cmd_check(int argc, char **argv)
{
	const char	*path;
	size_t		 i;

	if (parse_common(argc, argv, &path, NULL, NULL, usage_check) == -1)
		return EX_CT_USAGE;
	if (config_load(&main_cf, path) == -1 ||
	    config_check_upload(&main_cf) == -1)
		return EX_CT_CONFIG;
	printf("%s: ok: %zu runner%s, state_dir %s, log_dir %s\n", path,
	    main_cf.nrunners, main_cf.nrunners == 1 ? "" : "s",
	    main_cf.state_dir, main_cf.log_dir);
	printf("  uploads: %s%s\n", main_cf.telemetry ? "on, to " :
	    "off (telemetry = off)", main_cf.telemetry ?
	    main_cf.telemetry_api_url : "");
	for (i = 0; i < main_cf.nrunners; i++)
		printf("  %s/%s: %s\n", main_cf.runners[i]->instance_id,
		    main_cf.runners[i]->name, main_cf.runners[i]->exec_path);
	config_free(&main_cf);
	return EX_CT_OK;
}

static int
cmd_version(void)
{
	printf("crashtrail %s (%s)\nlibevent %s\nmbedTLS %s\n"
	    "BearSSL 0.6 SHA-256 (vendored)\n", CRASHTRAIL_VERSION,
	    platform_name(), event_get_version(), MBEDTLS_VERSION_STRING);
	return EX_CT_OK;
}

static void
main_mark(const char *what)
{
	if (crashtrail_mark_hook != NULL)
		crashtrail_mark_hook(what);
}

/*
 * A daemon's fds 0-2 must exist, or a pipe could land on them; and what
 * its own parent left open past them must not leak into the runners.
 */
static void
main_stdio(void)
{
	struct rlimit	rl;
	int		fd, max = 1024;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	for (fd = 3; fd < max; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int
main_mkdir(const char *path)
{
	if (mkdir(path, 0750) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", path);
		return -1;
	}
	return 0;
}

/*
 * libevent grows some of its arrays the first time it needs them bigger:
 * the heap of pending timers, epoll's array of returned events (doubled
 * when a wait fills it: 16 runners ending at once make 48 pipes readable
 * together) and the table of fds.  Growing them all to their worst case
 * now keeps the running loop allocation-free: `ntimers` timers pending at
 * once, and `nfds` descriptors readable at once (pipes with a byte in
 * them, left to the loop until its event array has caught up).
 */
static void
main_reserve_loop(size_t ntimers, size_t nfds)
{
	struct event	**evs;
	struct timeval	  tv = { 3600, 0 };
	struct rlimit	  rl;
	int		(*p)[2];
	size_t		  i, n;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    nfds > (rl.rlim_cur - 64) / 2)
		nfds = rl.rlim_cur > 128 ? (rl.rlim_cur - 64) / 2 : 0;
	n = ntimers > 2 * nfds ? ntimers : 2 * nfds;
	if ((evs = calloc(n, sizeof(*evs))) == NULL ||
	    (p = calloc(nfds ? nfds : 1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < ntimers; i++) {
		if ((evs[i] = evtimer_new(main_base, main_on_noop, NULL)) ==
		    NULL)
			fatalx("%s: evtimer_new", __func__);
		evtimer_add(evs[i], &tv);
	}
	for (i = 0; i < ntimers; i++)
		event_free(evs[i]);
	for (i = 0; i < nfds; i++) {
		if (pipe(p[i]) == -1 || write(p[i][1], "", 1) != 1)
			fatal("%s: pipe", __func__);
		evs[i] = event_new(main_base, p[i][0], EV_READ | EV_PERSIST,
		    main_on_noop, NULL);
		if (evs[i] == NULL || event_add(evs[i], NULL) == -1)
			fatalx("%s: event_new", __func__);
		/*
		 * The write end too (it never becomes readable): libevent
		 * keeps a slot for each fd number it has seen, made on first
		 * use, so every number in the range must be seen once.
		 */
		evs[nfds + i] = event_new(main_base, p[i][1], EV_READ,
		    main_on_noop, NULL);
		if (evs[nfds + i] == NULL ||
		    event_add(evs[nfds + i], NULL) == -1)
			fatalx("%s: event_new", __func__);
	}
	for (i = 0; nfds > 0 && i < 10; i++)
		event_base_loop(main_base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	for (i = 0; i < nfds; i++) {
		event_free(evs[i]);
		event_free(evs[nfds + i]);
		close(p[i][0]);
		close(p[i][1]);
	}
	free(p);
	free(evs);
}

static void
main_on_noop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/*
 * Each runner holds pipes and files, and each stream client two fds (its
 * socket as evhttp parked it, and ours): raise the soft limit to what
 * the pools can use, as far as the hard limit allows.
 */
static void
main_raise_nofile(size_t want)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ?
	    rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE %zu", want);
	if (rl.rlim_cur < want)
		log_warnx("only %llu file descriptors allowed (%zu wanted): "
		    "fewer stream clients or runners may fit",
		    (unsigned long long)rl.rlim_cur, want);
}

struct prune_info {
	const char	*base;
	uint64_t	 bytes;
};

static void
main_prune_data(struct jw *w, const void *arg)
{
	const struct prune_info	*p = arg;

	jw_obj_begin(w, NULL);
	jw_str(w, "warning", "log_files_pruned");
	jw_str(w, "files", p->base);
	jw_uint(w, "bytes", p->bytes);
	jw_uint(w, "quota", main_store.quota);
	jw_obj_end(w);
}

/* An operator must see that old logs went to make room. */
static void
main_on_prune(const char *base, uint64_t bytes)
{
	struct ev_meta		m = { "collector_warning", "collector", NULL,
				    NULL, NULL };
	struct prune_info	p = { base, bytes };

	history_forget(base);
	events_emit(&m, main_prune_data, &p);
}

/*
 * Every event: to the journal (a plain write: the page cache keeps it if
 * crashtrail is killed the next instant, so no client ever sees a seq that
 * a restarted crashtrail would hand out again), then to the stream
 * clients; then a death is made durable at once (by the helper), anything
 * else within a second.
 */
static void
main_on_event(uint64_t seq)
{
	struct ev_view	v;

	if (events_get(seq, &v) == -1) {
		sse_on_event(seq);
		return;
	}
	(void)journal_append(seq, v.p1, v.n1, v.p2, v.n2);
	sse_on_event(seq);
	if (strcmp(v.type, "runner_failed") == 0)
		journal_sync(1);
}

static void
main_on_journal_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	journal_tick();
}

static void
main_restore(uint64_t seq, const char *p, size_t len, void *arg)
{
	(void)arg;
	if (events_restore(seq, p, len) == -1)
		log_debug("journal record %llu not put back in the ring",
		    (unsigned long long)seq);
}

/*
 * Open the journal, put its newest records back in the ring and go on
 * numbering after its last one; its slow file work goes to the helper.
 */
static void
main_journal(void)
{
	static struct event	 tick;
	struct timeval		 tv = { 1, 0 };
	char			 dir[PATH_MAX];
	int			 n;

	if (main_cf.journal_bytes == 0) {
		log_info("journal_bytes = 0: events are not journaled");
		return;
	}
	if ((size_t)snprintf(dir, sizeof(dir), "%s/journal",
	    main_cf.state_dir) >= sizeof(dir) || journal_open(dir,
	    main_cf.journal_bytes, (size_t)main_cf.event_max_bytes) == -1) {
		log_warnx("running without an event journal");
		return;
	}
	journal_set_hooks(syncer_fsync, syncer_close, syncer_unlink);
	n = journal_replay(main_cf.event_ring_bytes, main_restore, NULL);
	events_continue_after(journal_last_seq());
	if (n > 0)
		log_info("journal: %d events back in the ring (seq %llu to "
		    "%llu)", n, (unsigned long long)events_oldest(),
		    (unsigned long long)events_latest());
	event_assign(&tick, main_base, -1, EV_PERSIST, main_on_journal_tick,
	    NULL);
	evtimer_add(&tick, &tv);
}

static void
main_on_idle(void)
{
	log_info("every runner is stopped; exiting");
	event_base_loopexit(main_base, NULL);
}

static void
main_on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		runners_reap();
		break;
	case SIGTERM:
	case SIGINT:
		if (main_signals++ == 0) {
			main_mark("shutdown");
			svcnotify_stopping();
			log_info("%s: stopping every runner",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			runners_stop_all(0);
		} else {
			log_info("second stop signal: SIGKILL to every runner");
			runners_stop_all(1);
		}
		break;
	case SIGUSR1:
		runners_retry_fatal();
		break;
	case SIGHUP: {
		struct reload_result	res;

		log_info("SIGHUP: reloading %s", main_cf.path);
		(void)reload_run(&res);		/* it logs what it did */
		reload_result_free(&res);
		break;
	}
	}
}

static int
cmd_run(int argc, char **argv)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGHUP };
	struct event	*ev;
	const char	*path;
	int		 level = -1, telemetry = 0;
	size_t		 i;

	if (parse_common(argc, argv, &path, &level, &telemetry,
	    usage_run) == -1)
		return EX_CT_USAGE;
	main_stdio();
	if (config_load(&main_cf, path) == -1)
		return EX_CT_CONFIG;
	/* Files 0640, directories 0750 whatever the umask (runners: theirs). */
	spawn_set_umask(umask(027));
	main_cf.telemetry |= telemetry;
	if (config_check_upload(&main_cf) == -1 ||
	    privdrop_check(&main_cf) == -1)
		return EX_CT_CONFIG;
	/* New runs match against the config's catalogue of diagnostics. */
	diag_set_current(main_cf.diag_cat);
	log_setlevel(level >= 0 ? level : main_cf.log_level);
	if (main_mkdir(main_cf.state_dir) == -1)
		return EX_CT_SYSTEM;
	/* A broken pipe or a file size limit is an error code, not death. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	if (platform_adopt_orphans() == -1)
		log_debug("cannot adopt orphaned descendants on %s",
		    platform_name());

	/* The helper may hold SYNCER_SLOTS descriptors until they are done. */
	main_raise_nofile(3 * main_cf.nrunners + 2 * main_cf.max_runs +
	    2 * main_cf.sse_max_clients + main_cf.api_max_connections +
	    SYNCER_SLOTS + 128);
	if ((main_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	/* Before runners_init() copies the environment runners get. */
	svcnotify_init(main_base);
	if (syncer_init(main_base) == -1)
		return EX_CT_SYSTEM;
	/* Before the log store's start-up prune: it keeps the jobs' files. */
	if (upload_init(main_base, &main_cf) == -1)
		return EX_CT_SYSTEM;
	if (logstore_init(&main_store, main_cf.log_dir,
	    main_cf.log_quota_bytes, main_cf.log_max_files > main_cf.max_runs ?
	    main_cf.log_max_files : main_cf.max_runs + 1) == -1)
		return EX_CT_SYSTEM;
	(void)history_recover(&main_store);
	events_init(main_cf.event_ring, (size_t)main_cf.event_ring_bytes,
	    (size_t)main_cf.event_max_bytes);
	sse_init(main_base, main_cf.sse_max_clients,
	    (size_t)main_cf.event_max_bytes + 4096,
	    (size_t)main_cf.event_max_bytes);
	main_journal();
	/* Deaths published but not written before a kill, then the index. */
	(void)recover_reports(&main_store, (size_t)main_cf.event_max_bytes);
	if (history_init(main_store.root, main_cf.history) == -1)
		return EX_CT_SYSTEM;
	events_set_listener(main_on_event);
	main_store.on_prune = main_on_prune;
	sampler_init(main_base, &main_cf);
	run_pool_init(main_base, &main_cf, &main_store);
	run_set_kernel_drain(kmsgwatch_drain);
	(void)live_init(main_cf.state_dir);
	reload_init(&main_cf, &main_store);
	digest_setup(main_base);
	upload_start();
	runners_init(main_base, &main_cf, main_on_idle);
	/*
	 * Timers: runners' and the uploader's.  Descriptors: each pipe pair
	 * counts two, so this covers the fd numbers that the runs' pipes,
	 * the helper's held files (up to SYNCER_SLOTS) and the upload
	 * sockets can reach.
	 */
	main_reserve_loop(2 * main_cf.nrunners + main_cf.upload_concurrency + 8,
	    3 * main_cf.nrunners + 64 + SYNCER_SLOTS / 2 +
	    2 * main_cf.upload_concurrency);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(main_base, sigs[i], main_on_signal, NULL);
		if (ev == NULL || evsignal_add(ev, NULL) == -1)
			fatalx("cannot watch signal %d", sigs[i]);
	}

	if (api_init(main_base, &main_cf, &main_store) == -1)
		return EX_CT_SYSTEM;
	kmsgwatch_init(main_base, main_cf.kmsg_path[0] ? main_cf.kmsg_path :
	    NULL);
	log_info("crashtrail %s: %zu runner%s, logs under %s (%s, libevent "
	    "%s)", CRASHTRAIL_VERSION, main_cf.nrunners,
	    main_cf.nrunners == 1 ? "" : "s", main_store.root,
	    event_base_get_method(main_base), event_get_version());
	/* Two copies of one runner never run at once: the old one goes first. */
	runners_reclaim();
	/* Everything that needs root is open or done (privdrop.h). */
	{
		struct syncer_stats	ss;

		syncer_stats(&ss);
		if (privdrop_run(&main_cf, ss.pid) == -1)
			return EX_CT_SYSTEM;
	}
	runners_autostart();
	log_info("ready");
	main_mark("ready");
	svcnotify_ready();
	if (event_base_dispatch(main_base) == -1)
		fatalx("event_base_dispatch");
	svcnotify_stopping();	/* the loop may also end with no signal */
	sampler_shutdown();
	upload_shutdown();
	digest_drain();
	journal_close();
	syncer_drain(5000);
	api_close();
	main_mark("exit");
	log_info("exiting");
	return EX_CT_OK;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EX_CT_USAGE;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "check-config") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "supervisord-listener") == 0)
		return svlisten_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cli_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "reload") == 0)
		return cli_reload(argc - 1, argv + 1);
	if (strcmp(argv[1], "events") == 0)
		return cli_events(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cli_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "emit") == 0)
		return cli_emit(argc - 1, argv + 1);
	if (strcmp(argv[1], "top") == 0)
		return cli_top(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0)
		return cmd_version();
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EX_CT_OK;
	}
	fprintf(stderr, "crashtrail: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EX_CT_USAGE;
}
