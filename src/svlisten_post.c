/*
 * svlisten_post.c -- the supervisord listener's backlog of crashes and
 * the bounded HTTP POST that delivers them to the daemon.
 * SPDX-License-Identifier: ISC
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http_parse.h"
#include "json.h"
#include "log.h"
#include "svlisten.h"
#include "svlisten_int.h"
#include "svproto.h"
#include "timefmt.h"

/* svl_post() results besides 0. */
#define SVL_RETRY	(-1)
#define SVL_REFUSED	(-2)	/* the daemon said no (4xx): no retry */

/* The daemon's answers are a line of JSON; this is plenty. */
#define SVL_ANSWER_MAX	(64 * 1024)

static const char	*svl_sock;

/* The backlog: a ring of crashes, oldest at svl_head. */
static struct sv_crash	svl_log[SVL_BACKLOG];
static size_t		svl_head, svl_count;
static uint64_t		svl_dropped, svl_posted;
static int64_t		svl_hold_until;	/* mono ms: no try till */
static int		svl_down;	/* the last attempt failed */
/* The last delivery pass: a signal does not interrupt it. */
static int		svl_closing;

static int	svl_wait(int, short, int64_t);
static int	svl_answer(int, int64_t, char *, size_t);

void
svl_deliver_to(const char *sockpath)
{
	svl_sock = sockpath;
}

int
svl_backlog_ms(void)
{
	int64_t	now = timefmt_mono_ms();

	if (svl_count == 0)
		return -1;
	if (svl_hold_until > now)
		return (int)(svl_hold_until - now);
	return 0;
}

void
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
void
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

void
svl_deliver_last(void)
{
	svl_closing = 1;
	svl_deliver(1);
	if (svl_count > 0)
		log_warnx("%zu crash event%s never delivered to %s", svl_count,
		    svl_count == 1 ? "" : "s", svl_sock);
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

/*
 * Read the daemon's answer until it is complete, the daemon closes, or
 * the deadline passes.  A status whose headers were in before then still
 * counts, whatever follows (a 2xx means the event was taken).  Returns
 * 0, SVL_RETRY or SVL_REFUSED, the reason in `why`.
 */
static int
svl_answer(int fd, int64_t deadline, char *why, size_t whylen)
{
	static char		 hbuf[HTTP_PARSE_HEAD_MAX], rbuf[4096];
	struct http_resp	 hp;
	enum http_parse_rc	 rc = HTTP_PARSE_MORE;
	char			 msg[161], *p;
	size_t			 mlen = 0, off, k, m, total = 0;
	ssize_t			 n;

	/* The daemon answers a line of JSON; more is not an answer. */
	http_parse_init(&hp, hbuf, sizeof(hbuf), SVL_ANSWER_MAX, 0);
	while (rc != HTTP_PARSE_DONE && rc != HTTP_PARSE_ERROR) {
		if (svl_wait(fd, POLLIN, deadline) != 1)
			break;
		n = read(fd, rbuf, sizeof(rbuf));
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			rc = http_parse_eof(&hp);
			break;
		}
		total += (size_t)n;
		/* Until MORE: DONE may come after the last BODY. */
		for (off = 0; (off < (size_t)n || rc == HTTP_PARSE_HEADERS ||
		    rc == HTTP_PARSE_BODY) && rc != HTTP_PARSE_DONE &&
		    rc != HTTP_PARSE_ERROR; off += k) {
			rc = http_parse_feed(&hp, rbuf + off, (size_t)n - off,
			    &k);
			/* The start of the body, for the log. */
			if (rc == HTTP_PARSE_BODY && mlen < sizeof(msg) - 1) {
				m = sizeof(msg) - 1 - mlen;
				if (m > hp.body_len)
					m = hp.body_len;
				memcpy(msg + mlen, hp.body, m);
				mlen += m;
			}
		}
	}
	msg[mlen] = '\0';
	if (hp.status == 0) {
		if (total == 0)
			snprintf(why, whylen, "no answer");
		else if (hp.code == 0)
			snprintf(why, whylen, "not an HTTP answer");
		else if (rc == HTTP_PARSE_ERROR)
			snprintf(why, whylen, "bad answer: %s", hp.error);
		else
			snprintf(why, whylen, "answer cut short");
		return SVL_RETRY;
	}
	if (hp.status / 100 == 2)
		return 0;
	snprintf(why, whylen, "answered %d %s", hp.status, msg);
	for (p = why; *p != '\0'; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	if (hp.status / 100 == 4 && hp.status != 408 && hp.status != 429)
		return SVL_REFUSED;
	return SVL_RETRY;
}

/*
 * A tiny blocking HTTP/1.1 client: connect, send, then read the answer
 * (svl_answer()), all within one deadline.  The socket is non-blocking
 * so that no step can outlast the deadline.
 */
int
svl_post(const char *sockpath, const char *body, size_t len, int timeout_ms,
    char *why, size_t whylen)
{
	static char		 req[SVL_BODY_MAX + 256];
	struct sockaddr_un	 sun;
	int64_t			 deadline;
	size_t			 off = 0, hlen;
	ssize_t			 n;
	socklen_t		 sl;
	int			 fd, err, rc = SVL_RETRY, w;

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
	rc = svl_answer(fd, deadline, why, whylen);
done:
	close(fd);
	return rc;
}
