/*
 * svlisten.c -- `crashtrail supervisord-listener`: supervisord's event
 * listener protocol on stdin/stdout, crashes handed to the backlog.
 * SPDX-License-Identifier: ISC
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "log.h"
#include "svlisten.h"
#include "svlisten_int.h"
#include "svproto.h"

/* svl_fill() and svl_next() results. */
#define SVL_DATA	1
#define SVL_EVENT	2
#define SVL_PROTO	3	/* a protocol error: answer and resync */
#define SVL_TIMEOUT	0
#define SVL_EOF		(-1)
#define SVL_SIGNAL	(-2)
#define SVL_IOERR	(-3)

/* A span for "%.*s": an absent token prints as nothing. */
#define SPAN(sp)	(int)(sp).n, (sp).p != NULL ? (sp).p : ""

static struct sv_reader	svl_rd;
static char		svl_in[4096];	/* stdin bytes not yet parsed */
static size_t		svl_inoff, svl_inlen;
static int		svl_chars_said;	/* logged the len note */

/* TERM/INT received (svlisten_int.h); the self-pipe's ends. */
volatile sig_atomic_t		svl_sig;
static int			svl_sigfd = -1;
static int			svl_sigw = -1;

static void	svl_usage(FILE *);
static void	svl_on_signal(int);
static int	svl_signals(void);
static int	svl_write(int, const char *);
static int	svl_fill(int, int);
static void	svl_discard(int);
static int	svl_next(int);
static void	svl_complete(int);
static void	svl_handle(void);

static void
svl_usage(FILE *fp)
{
	fprintf(fp,
"usage: crashtrail supervisord-listener [--socket PATH] [-c FILE] [-v | -q]\n"
"\n"
"A supervisord event listener: it speaks supervisord's eventlistener\n"
"protocol on stdin/stdout and turns each crash of a supervised program\n"
"into a service_crashed event for the crashtrail daemon:\n"
"  PROCESS_STATE_EXITED, expected:0, from RUNNING  -> phase \"running\"\n"
"  PROCESS_STATE_EXITED, expected:0, from STARTING -> phase \"startup\"\n"
"  PROCESS_STATE_FATAL (supervisord gave up)       -> phase \"gave_up\"\n"
"Every other event, and every expected exit, is acknowledged and ignored.\n"
"\n"
"Each crash is sent as POST /telemetry/events over the daemon's unix\n"
"socket, with the body\n"
"  {\"type\":\"service_crashed\",\"category\":\"system\",\"data\":{\n"
"   \"service_name\":\"...\",\"group_name\":\"...\",\"pid\":N,\n"
"   \"phase\":\"...\",\"from_state\":\"...\",\"supervisord_event\":\"...\"}}\n"
"(no pid for gave_up).  Every event is acknowledged with RESULT 2\\nOK,\n"
"even when the daemon is down: undelivered crashes wait in memory (at\n"
"most %d; beyond that the oldest is dropped and counted) and are retried\n"
"%d s after a failure, while idle and as events arrive.  A delivery pass\n"
"never holds an event's answer for more than %d s; a 4xx answer drops\n"
"that crash (the daemon refused it).\n"
"\n"
"  --socket PATH  the daemon's API socket; default $CRASHTRAIL_SOCKET,\n"
"                 else api_socket of the config file (-c FILE or\n"
"                 $CRASHTRAIL_CONFIG; it defaults to\n"
"                 <state_dir>/crashtrail.sock), else\n"
"                 " SVL_DEFAULT_SOCKET "\n"
"  -c FILE        the daemon's config, to take api_socket from\n"
"  -v             log at debug level      -q  log warnings only\n"
"\n"
"stdout carries only the protocol; logs go to stderr.  In supervisord's\n"
"config:\n"
"  [eventlistener:crashtrail]\n"
"  command = crashtrail supervisord-listener --socket /path/crashtrail.sock\n"
"  events = PROCESS_STATE_EXITED,PROCESS_STATE_FATAL\n"
"  buffer_size = 100\n"
"  autorestart = true\n"
"  startretries = 999999\n"
"  stderr_logfile = /var/log/supervisor/crashtrail-listener.log\n"
"\n"
"TERM or INT: one last delivery attempt, then exit 0 (what is still\n"
"queued is lost, and logged).\n"
"Exit codes: 0 end of input or a signal, 64 usage, 78 configuration\n"
"error (-c), 111 system error (stdin or stdout failed).\n",
	    SVL_BACKLOG, SVL_RETRY_MS / 1000, SVL_POST_MS / 1000);
}

int
svlisten_main(int argc, char **argv)
{
	static struct config	 cf;
	static struct sockaddr_un sa_un;	/* for its size */
	static char		 path[sizeof(sa_un.sun_path)];
	const char		*sock = NULL, *conf = NULL, *env;
	int			 i, level = LOG_LEVEL_INFO;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			svl_usage(stdout);
			return EX_CT_OK;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			sock = argv[++i];
		else if (strncmp(argv[i], "--socket=", 9) == 0)
			sock = argv[i] + 9;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			level = LOG_LEVEL_DEBUG;
		else if (strcmp(argv[i], "-q") == 0)
			level = LOG_LEVEL_WARN;
		else {
			fprintf(stderr, "crashtrail supervisord-listener: "
			    "unexpected argument '%s'\n\n", argv[i]);
			svl_usage(stderr);
			return EX_CT_USAGE;
		}
	}
	log_setlevel(level);
	if (sock == NULL && (env = getenv("CRASHTRAIL_SOCKET")) != NULL &&
	    *env != '\0')
		sock = env;
	if (sock == NULL && conf == NULL &&
	    (env = getenv("CRASHTRAIL_CONFIG")) != NULL && *env != '\0')
		conf = env;
	if (sock == NULL && conf != NULL) {
		if (config_load(&cf, conf) == -1)
			return EX_CT_CONFIG;
		i = snprintf(path, sizeof(path), "%s", cf.api_socket);
		config_free(&cf);
		if (i < 0 || (size_t)i >= sizeof(path)) {
			log_warnx("%s: api_socket too long for a socket path",
			    conf);
			return EX_CT_CONFIG;
		}
		sock = path;
	}
	if (sock == NULL)
		sock = SVL_DEFAULT_SOCKET;
	if (*sock == '\0' || strlen(sock) >= sizeof(path)) {
		fprintf(stderr, "crashtrail supervisord-listener: socket path "
		    "empty or longer than %zu bytes\n", sizeof(path) - 1);
		return EX_CT_USAGE;
	}
	if (svl_signals() == -1)
		return EX_CT_SYSTEM;
	if (isatty(STDIN_FILENO))
		log_warnx("stdin is a terminal: supervisord runs this command "
		    "(see --help)");
	log_info("supervisord-listener: crashes go to %s", sock);
	return svl_serve(STDIN_FILENO, STDOUT_FILENO, sock);
}

static void
svl_on_signal(int sig)
{
	int	saved = errno;

	svl_sig = sig;
	(void)write(svl_sigw, "x", 1);
	errno = saved;
}

/*
 * TERM and INT interrupt a wait: the handler marks the flag and writes to
 * a pipe that every poll() watches, so a signal that lands just before a
 * poll() cannot be missed.  A broken pipe is an error code, not death.
 */
static int
svl_signals(void)
{
	struct sigaction	sa;
	int			fds[2], i;

	if (pipe(fds) == -1) {
		log_warn("%s: pipe", __func__);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		(void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		(void)fcntl(fds[i], F_SETFL, O_NONBLOCK);
	}
	svl_sigfd = fds[0];
	svl_sigw = fds[1];
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = svl_on_signal;	/* no SA_RESTART: EINTR wanted */
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		log_warn("%s: sigaction", __func__);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int
svl_serve(int in, int out, const char *sockpath)
{
	int	rc = SVL_EOF, first = 1;

	svl_deliver_to(sockpath);
	sv_reader_reset(&svl_rd);
	svl_inoff = svl_inlen = 0;
	while (!svl_sig) {
		/* Nothing may be pending now: supervisord waits for READY. */
		if (!first)
			svl_discard(in);
		first = 0;
		if (svl_write(out, SV_READY) == -1)
			return EX_CT_SYSTEM;
		if ((rc = svl_next(in)) < 0)
			break;
		if (rc == SVL_EVENT)
			svl_handle();
		else
			sv_reader_reset(&svl_rd);
		svl_deliver(0);
		if (svl_write(out, SV_RESULT_OK) == -1)
			return EX_CT_SYSTEM;
	}
	if (svl_sig)
		log_info("%s: exiting", svl_sig == SIGTERM ? "SIGTERM" :
		    "SIGINT");
	else if (rc == SVL_EOF)
		log_info("end of input%s; exiting", sv_reader_busy(&svl_rd) ?
		    " inside an event" : "");
	svl_deliver_last();
	return rc == SVL_IOERR ? EX_CT_SYSTEM : EX_CT_OK;
}

/* All of `s`, blocking; partial writes and EINTR are retried. */
static int
svl_write(int fd, const char *s)
{
	struct pollfd	pfd;
	size_t		len = strlen(s), off = 0;
	ssize_t		n;

	while (off < len) {
		n = write(fd, s + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			/* Not svl_wait(): a signal must not make this spin. */
			pfd.fd = fd;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, 1000);
			continue;
		}
		if (n <= 0) {
			log_warn("write to supervisord");
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/*
 * Wait up to `ms` (-1: forever) for stdin, then read what is there into
 * the empty input buffer.
 */
static int
svl_fill(int in, int ms)
{
	struct pollfd	pfd[2];
	ssize_t		n;
	int		rc;

	svl_inoff = svl_inlen = 0;
	pfd[0].fd = in;
	pfd[0].events = POLLIN;
	pfd[1].fd = svl_sigfd;		/* ignored by poll() when -1 */
	pfd[1].events = POLLIN;
	for (;;) {
		if (svl_sig)
			return SVL_SIGNAL;
		pfd[0].revents = pfd[1].revents = 0;
		rc = poll(pfd, 2, ms);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1) {
			log_warn("%s: poll", __func__);
			return SVL_IOERR;
		}
		if (rc == 0)
			return SVL_TIMEOUT;
		if (pfd[0].revents == 0)
			continue;
		n = read(in, svl_in, sizeof(svl_in));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			log_warn("read from supervisord");
			return SVL_IOERR;
		}
		if (n == 0)
			return SVL_EOF;
		svl_inlen = (size_t)n;
		return SVL_DATA;
	}
}

/*
 * Before READY, whatever is pending belongs to an event already answered
 * (the rest of a line that was too long, say): drop it, or it would be
 * taken for the next header.  Not before the first READY, so that one
 * event piped in by hand is read.
 */
static void
svl_discard(int in)
{
	size_t	stray = svl_inlen - svl_inoff;
	int	i;

	for (i = 0; i < 16 && svl_fill(in, 0) == SVL_DATA; i++)
		stray += svl_inlen;
	svl_inoff = svl_inlen = 0;
	if (stray > 0)
		log_warnx("discarded %zu stray byte%s before READY", stray,
		    stray == 1 ? "" : "s");
}

/* Read until one event is complete, retrying the backlog while idle. */
static int
svl_next(int in)
{
	size_t	used;
	int	rc, ms;

	for (;;) {
		if (svl_inoff < svl_inlen) {
			rc = sv_reader_feed(&svl_rd, svl_in + svl_inoff,
			    svl_inlen - svl_inoff, &used);
			svl_inoff += used;
			if (rc == SV_EVENT) {
				svl_complete(in);
				return SVL_EVENT;
			}
			if (rc == SV_ERROR) {
				log_warnx("protocol error: %s; answering and "
				    "resynchronising", sv_strerror(svl_rd.err));
				return SVL_PROTO;
			}
			continue;
		}
		if (sv_reader_busy(&svl_rd))
			ms = SVL_STALL_MS;
		else
			ms = svl_backlog_ms();
		rc = svl_fill(in, ms);
		if (rc == SVL_TIMEOUT && sv_reader_busy(&svl_rd)) {
			if (svl_rd.state == SV_R_PAYLOAD)
				log_warnx("protocol error: %zu of %zu payload "
				    "bytes after %d s; answering and "
				    "resynchronising", svl_rd.got,
				    svl_rd.ev.len, SVL_STALL_MS / 1000);
			else
				log_warnx("protocol error: a header line "
				    "without its newline for %d s; answering "
				    "and resynchronising", SVL_STALL_MS / 1000);
			return SVL_PROTO;
		}
		if (rc == SVL_TIMEOUT)
			svl_deliver(0);
		else if (rc != SVL_DATA)
			return rc;
	}
}

/*
 * supervisord 4 counts len in characters (see svproto.h): take the bytes
 * that complete the payload, waiting briefly for them since supervisord
 * writes an event whole.  Anything after that cannot be an event.
 */
static void
svl_complete(int in)
{
	size_t	used, extra = 0;

	while (sv_reader_wants(&svl_rd)) {
		if (svl_inoff == svl_inlen &&
		    svl_fill(in, SVL_EXTEND_MS) != SVL_DATA)
			break;
		used = sv_reader_extend(&svl_rd, svl_in + svl_inoff,
		    svl_inlen - svl_inoff);
		svl_inoff += used;
		extra += used;
		if (used == 0)
			break;
	}
	if (extra > 0 && !svl_chars_said) {
		svl_chars_said = 1;
		log_info("supervisord counts len in characters, not bytes "
		    "(Supervisor/supervisor#1243): reading non-ASCII payloads "
		    "to len characters");
	}
	if (extra > 0)
		log_debug("event serial %.*s: %zu byte%s past len:%zu",
		    SPAN(svl_rd.ev.serial), extra, extra == 1 ? "" : "s",
		    svl_rd.ev.len);
	if (svl_inoff < svl_inlen)
		log_warnx("event serial %.*s: %zu stray byte%s after its "
		    "payload discarded", SPAN(svl_rd.ev.serial),
		    svl_inlen - svl_inoff,
		    svl_inlen - svl_inoff == 1 ? "" : "s");
	svl_inoff = svl_inlen = 0;
}

static void
svl_handle(void)
{
	const struct sv_event	*ev = &svl_rd.ev;
	struct sv_crash		 c;
	const char		*nl;
	char			 pid[32];
	size_t			 n;
	int			 rc;

	rc = sv_map(ev, &c);
	if (rc == SV_MAP_CRASH) {
		if (c.pid > 0)
			snprintf(pid, sizeof(pid), "pid %ld", c.pid);
		else
			snprintf(pid, sizeof(pid), "no pid");
		log_info("%s crashed: %s from %s, %s: phase %s",
		    c.service_name, c.eventname, c.from_state, pid, c.phase);
		svl_push(&c);
	} else if (rc == SV_MAP_SKIPPED)
		log_info("skipped crash event %.*s of %.*s from %.*s",
		    SPAN(ev->eventname), SPAN(ev->processname),
		    SPAN(ev->from_state));
	else if (rc == SV_MAP_INVALID) {
		/* The first line only: a log line stays one line. */
		if ((nl = memchr(ev->payload, '\n', ev->payload_len)) == NULL)
			n = ev->payload_len;
		else
			n = (size_t)(nl - ev->payload);
		log_warnx("ignored %.*s (serial %.*s): no processname or "
		    "expected:0|1 in '%.*s'", SPAN(ev->eventname),
		    SPAN(ev->serial), (int)(n < 200 ? n : 200), ev->payload);
	} else
		log_debug("%.*s (serial %.*s): %s", SPAN(ev->eventname),
		    SPAN(ev->serial), sv_map_str(rc));
}
