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
#include <strings.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "svlisten.h"
#include "svlisten_int.h"
#include "svproto.h"
#include "timefmt.h"

/* svl_post() results besides 0. */
#define SVL_RETRY	(-1)
#define SVL_REFUSED	(-2)	/* the daemon said no (4xx): no retry */

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
static int	svl_status(const char *, size_t);
static size_t	svl_answer_len(const char *);

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
