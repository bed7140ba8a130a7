/*
 * svlisten.c -- `crashtrail supervisord-listener`: supervisord's event
 * listener protocol on stdin/stdout, crashes posted to the daemon.
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
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "json.h"
#include "log.h"
#include "svlisten.h"
#include "svproto.h"
#include "timefmt.h"

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

/* svl_post() results besides 0. */
#define SVL_RETRY	(-1)
#define SVL_REFUSED	(-2)	/* the daemon said no (4xx): no retry */

static struct sv_reader	svl_rd;
static char		svl_in[4096];	/* stdin bytes not yet parsed */
static size_t		svl_inoff, svl_inlen;
static const char	*svl_sock;

/* The backlog: a ring of crashes, oldest at svl_head. */
static struct sv_crash	svl_log[SVL_BACKLOG];
static size_t		svl_head, svl_count;
static uint64_t		svl_dropped, svl_posted;
static int64_t		svl_hold_until;	/* mono ms: no try till */
static int		svl_down;	/* the last attempt failed */
static int		svl_chars_said;	/* logged the len note */

/* TERM/INT received; the self-pipe's ends; the last delivery pass. */
static volatile sig_atomic_t	svl_sig;
static int			svl_sigfd = -1;
static int			svl_sigw = -1;
static int			svl_closing;

static void	svl_usage(FILE *);
static void	svl_on_signal(int);
static int	svl_signals(void);
static int	svl_write(int, const char *);
static int	svl_fill(int, int);
static void	svl_discard(int);
static int	svl_next(int);
static void	svl_complete(int);
static void	svl_handle(void);
static void	svl_push(const struct sv_crash *);
static void	svl_deliver(int);
static int	svl_wait(int, short, int64_t);
static int	svl_status(const char *, size_t);
static size_t	svl_answer_len(const char *);

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

	svl_sock = sockpath;
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
	svl_closing = 1;
	svl_deliver(1);
	if (svl_count > 0)
		log_warnx("%zu crash event%s never delivered to %s", svl_count,
		    svl_count == 1 ? "" : "s", svl_sock);
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
	int64_t	now;
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
		now = timefmt_mono_ms();
		if (sv_reader_busy(&svl_rd))
			ms = SVL_STALL_MS;
		else if (svl_count == 0)
			ms = -1;
		else if (svl_hold_until > now)
			ms = (int)(svl_hold_until - now);
		else
			ms = 0;
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

static void
svl_push(const struct sv_crash *c)
{
	if (svl_count == SVL_BACKLOG) {
		svl_dropped++;
		log_warnx("backlog full (%d): dropped the crash of %s, the "
		    "oldest (%llu dropped so far)", SVL_BACKLOG,
		    svl_log[svl_head].service_name,
		    (unsigned long long)svl_dropped);
		svl_head = (svl_head + 1) % SVL_BACKLOG;
		svl_count--;
	}
	svl_log[(svl_head + svl_count) % SVL_BACKLOG] = *c;
	svl_count++;
}

/*
 * Post the backlog, oldest first, within SVL_POST_MS in all.  The first
 * failure ends the pass and holds attempts off for SVL_RETRY_MS, so an
 * absent daemon costs each event nothing.  `force` ignores the hold-off.
 */
static void
svl_deliver(int force)
{
	static char		 body[SVL_BODY_MAX];
	struct sv_crash		*c;
	char			 why[256];
	int64_t			 start, left;
	size_t			 len;
	int			 rc;

	start = timefmt_mono_ms();
	if (svl_count == 0 || (!force && start < svl_hold_until))
		return;
	while (svl_count > 0) {
		left = SVL_POST_MS - (timefmt_mono_ms() - start);
		if (left <= 0)
			break;
		c = &svl_log[svl_head];
		if ((len = svl_body(c, body, sizeof(body))) == 0) {
			rc = SVL_REFUSED;
			snprintf(why, sizeof(why), "body over %d bytes",
			    SVL_BODY_MAX);
		} else
			rc = svl_post(svl_sock, body, len, (int)left, why,
			    sizeof(why));
		if (rc == SVL_RETRY) {
			if (!svl_down)
				log_warnx("cannot post to %s: %s; %zu crash "
				    "event%s queued, retrying every %d s",
				    svl_sock, why, svl_count,
				    svl_count == 1 ? "" : "s",
				    SVL_RETRY_MS / 1000);
			else
				log_debug("retry: %s", why);
			svl_down = 1;
			svl_hold_until = timefmt_mono_ms() + SVL_RETRY_MS;
			break;
		}
		if (rc == 0) {
			svl_posted++;
			log_info("posted service_crashed: %s, phase %s (%llu "
			    "so far)", c->service_name, c->phase,
			    (unsigned long long)svl_posted);
			if (svl_down)
				log_info("%s answers again", svl_sock);
			svl_down = 0;
		} else
			log_warnx("dropped the crash of %s: %s",
			    c->service_name, why);
		svl_head = (svl_head + 1) % SVL_BACKLOG;
		svl_count--;
	}
}

size_t
svl_body(const struct sv_crash *c, char *buf, size_t cap)
{
	struct jw	w;

	jw_init(&w, buf, cap, -1);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "type", "service_crashed");
	jw_str(&w, "category", "system");
	jw_obj_begin(&w, "data");
	jw_str(&w, "service_name", c->service_name);
	if (c->group_name[0] != '\0')
		jw_str(&w, "group_name", c->group_name);
	if (c->pid > 0)
		jw_int(&w, "pid", c->pid);
	jw_str(&w, "phase", c->phase);
	if (c->from_state[0] != '\0')
		jw_str(&w, "from_state", c->from_state);
	jw_str(&w, "supervisord_event", c->eventname);
	jw_obj_end(&w);
	jw_obj_end(&w);
	if (jw_finish(&w) == -1)
		return 0;
	return w.len;
}

/*
 * Wait for `events` on fd until the monotonic `deadline` (-1: forever).
 * 1 ready, 0 timed out, -1 error or interrupted by TERM/INT (except in
 * the last delivery pass, which a signal started).
 */
static int
svl_wait(int fd, short events, int64_t deadline)
{
	struct pollfd	pfd;
	int64_t		left;
	int		rc;

	for (;;) {
		if (svl_sig && !svl_closing)
			return -1;
		left = deadline < 0 ? -1 : deadline - timefmt_mono_ms();
		if (deadline >= 0 && left <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			return -1;
		if (rc == 1)
			return 1;
	}
}

/* The status code of "HTTP/1.x NNN ...", or -1. */
static int
svl_status(const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[8] != ' ' ||
	    s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' ||
	    s[11] < '0' || s[11] > '9')
		return -1;
	if (n > 12 && s[12] != ' ' && s[12] != '\r' && s[12] != '\n')
		return -1;
	return (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
}

/*
 * How many bytes the whole answer has, once its headers are in the
 * NUL-terminated `s`: header length plus Content-Length; SIZE_MAX while
 * unknown (then the answer ends when the daemon closes).
 */
static size_t
svl_answer_len(const char *s)
{
	const char	*end, *p;
	size_t		 v = 0;

	if ((end = strstr(s, "\r\n\r\n")) == NULL)
		return SIZE_MAX;
	for (p = strstr(s, "\r\n"); p != NULL && p < end;
	    p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "Content-Length:", 15) != 0)
			continue;
		for (p += 17; *p == ' ' || *p == '\t'; p++)
			;
		if (*p < '0' || *p > '9')
			return SIZE_MAX;
		for (; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (size_t)(*p - '0')) > (1U << 30))
				return SIZE_MAX;
		return (size_t)(end + 4 - s) + v;
	}
	return SIZE_MAX;
}

/*
 * A tiny blocking HTTP/1.1 client: connect, send, then read the answer
 * until its Content-Length is complete or the daemon closes, all within
 * one deadline.  The socket is non-blocking so that no step can outlast
 * the deadline; a status line read before it passes still counts.
 */
int
svl_post(const char *sockpath, const char *body, size_t len, int timeout_ms,
    char *why, size_t whylen)
{
	static char		 req[SVL_BODY_MAX + 256];
	struct sockaddr_un	 sun;
	char			 resp[1024], *p;
	int64_t			 deadline;
	size_t			 rlen = 0, off = 0, hlen, total = 0;
	size_t			 want = SIZE_MAX;
	ssize_t			 n;
	socklen_t		 sl;
	int			 fd, err, status, rc = SVL_RETRY, w;

	deadline = timefmt_mono_ms() + timeout_ms;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sockpath) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "socket path too long");
		return SVL_RETRY;
	}
	memcpy(sun.sun_path, sockpath, strlen(sockpath));
	w = snprintf(req, sizeof(req), "POST /telemetry/events HTTP/1.1\r\n"
	    "Host: localhost\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
	if (w < 0 || (size_t)w + len > sizeof(req)) {
		snprintf(why, whylen, "request over %zu bytes", sizeof(req));
		return SVL_REFUSED;
	}
	hlen = (size_t)w;
	memcpy(req + hlen, body, len);
	hlen += len;

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return SVL_RETRY;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno != EINPROGRESS && errno != EINTR) {
			snprintf(why, whylen, "connect: %s", strerror(errno));
			goto done;
		}
		if ((w = svl_wait(fd, POLLOUT, deadline)) != 1) {
			snprintf(why, whylen, "connect: %s", w == 0 ?
			    "timed out" : "interrupted");
			goto done;
		}
		sl = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			err = errno;
		if (err != 0) {
			snprintf(why, whylen, "connect: %s", strerror(err));
			goto done;
		}
	}
	while (off < hlen) {
		n = write(fd, req + off, hlen - off);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if ((w = svl_wait(fd, POLLOUT, deadline)) != 1) {
				snprintf(why, whylen, "send: %s", w == 0 ?
				    "timed out" : "interrupted");
				goto done;
			}
			continue;
		}
		if (n <= 0) {
			snprintf(why, whylen, "send: %s", strerror(errno));
			goto done;
		}
		off += (size_t)n;
	}
	/*
	 * Keep the first bytes of the answer (status line, headers, the
	 * start of an error body for the log); read the rest into req,
	 * which is no longer needed, and drop it.
	 */
	resp[0] = '\0';
	while (total < want && svl_wait(fd, POLLIN, deadline) == 1) {
		if (rlen < sizeof(resp) - 1)
			n = read(fd, resp + rlen, sizeof(resp) - 1 - rlen);
		else
			n = read(fd, req, sizeof(req));
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
		if (rlen < sizeof(resp) - 1) {
			rlen += (size_t)n;
			resp[rlen] = '\0';
			want = svl_answer_len(resp);
		}
	}
	if ((status = svl_status(resp, rlen)) == -1) {
		snprintf(why, whylen, "%s", rlen == 0 ? "no answer" :
		    "not an HTTP answer");
		goto done;
	}
	if (status / 100 == 2) {
		rc = 0;
		goto done;
	}
	if ((p = strstr(resp, "\r\n\r\n")) != NULL)
		p += 4;
	else
		p = resp + rlen;
	snprintf(why, whylen, "answered %d %.160s", status, p);
	for (p = why; *p != '\0'; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	if (status / 100 == 4 && status != 408 && status != 429)
		rc = SVL_REFUSED;
done:
	close(fd);
	return rc;
}
