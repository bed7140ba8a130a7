/*
 * httpc.c -- blocking HTTP/1.1 over a Unix socket, for the CLI.
 * SPDX-License-Identifier: ISC
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http_parse.h"
#include "httpc.h"
#include "timefmt.h"

/* An event stream being cut into frames: one line at most in buf. */
struct httpc_sse {
	char	 buf[1024 * 1024];
	size_t	 len;
	char	 id[32], ev[64], data[1024 * 1024];
	int	 have;		/* a data line came since the last frame */
};

static int	httpc_connect(const char *, const char **);
static int	httpc_send(int, const char *, const char *, const char *,
		    size_t, const char *);
static int	httpc_read(int, int64_t, struct http_resp *, char *, size_t,
		    struct httpc_resp *, const char **);
static int	httpc_sse_take(struct httpc_sse *, const char *, size_t,
		    int (*)(const char *, const char *, const char *, void *),
		    void *, const char **);
static int	httpc_sse_lines(struct httpc_sse *,
		    int (*)(const char *, const char *, const char *, void *),
		    void *);

/* The CLI is one thread making one request: *err can point here. */
static char	httpc_err[192];

static int
httpc_connect(const char *path, const char **err)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*err = "socket path too long";
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		*err = strerror(errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		*err = errno == ENOENT || errno == ECONNREFUSED ?
		    "crashtrail is not running (no socket there)" :
		    strerror(errno);
		close(fd);
		return -1;
	}
	return fd;
}

static int
httpc_send(int fd, const char *method, const char *path, const char *body,
    size_t blen, const char *extra)
{
	char	head[2048];
	int	n;
	size_t	off = 0;
	ssize_t	w;

	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\n%s%s", method, path, extra,
	    body ? "Content-Type: application/json\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head) - 64)
		return -1;
	n += snprintf(head + n, sizeof(head) - (size_t)n,
	    "Content-Length: %zu\r\n\r\n", body ? blen : 0);
	while (off < (size_t)n) {
		if ((w = write(fd, head + off, (size_t)n - off)) <= 0)
			return -1;
		off += (size_t)w;
	}
	for (off = 0; body != NULL && off < blen; off += (size_t)w)
		if ((w = write(fd, body + off, blen - off)) <= 0)
			return -1;
	return 0;
}

/*
 * Read the answer to a request into buf (cap bytes, NUL-terminated) by
 * the monotonic deadline.  The response's own framing ends it, so a
 * daemon that keeps the socket open costs nothing.  0, or -1 with *err.
 */
static int
httpc_read(int fd, int64_t deadline, struct http_resp *hp, char *buf,
    size_t cap, struct httpc_resp *r, const char **err)
{
	static char		 rbuf[16384];
	struct pollfd		 pfd;
	enum http_parse_rc	 rc = HTTP_PARSE_MORE;
	size_t			 off, k, room;
	ssize_t			 n;
	int			 left;

	while (rc != HTTP_PARSE_DONE && rc != HTTP_PARSE_ERROR &&
	    !r->truncated) {
		if ((left = (int)(deadline - timefmt_mono_ms())) <= 0) {
			*err = "timed out waiting for crashtrail";
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		if ((n = read(fd, rbuf, sizeof(rbuf))) == -1 &&
		    (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			*err = strerror(errno);
			return -1;
		}
		if (n == 0)
			rc = http_parse_eof(hp);
		/* Until MORE: DONE may come after the last BODY. */
		for (off = 0; (off < (size_t)n || rc == HTTP_PARSE_HEADERS ||
		    rc == HTTP_PARSE_BODY) && rc != HTTP_PARSE_DONE &&
		    rc != HTTP_PARSE_ERROR && !r->truncated; off += k) {
			rc = http_parse_feed(hp, rbuf + off, (size_t)n - off,
			    &k);
			if (rc != HTTP_PARSE_BODY)
				continue;
			/* The old contract: a short buffer truncates. */
			room = cap - 1 - r->len;
			if (hp->body_len > room)
				r->truncated = 1;
			memcpy(buf + r->len, hp->body, r->truncated ? room :
			    hp->body_len);
			r->len += r->truncated ? room : hp->body_len;
		}
	}
	if (rc == HTTP_PARSE_ERROR) {
		/* Before a status line the parser's words say it all. */
		snprintf(httpc_err, sizeof(httpc_err), "%s%s",
		    hp->code == 0 ? "" : "bad answer: ", hp->error);
		*err = httpc_err;
		return -1;
	}
	buf[r->len] = '\0';
	r->status = hp->status;
	return 0;
}

int
httpc_request(const char *sock, const char *method, const char *path,
    const char *body, size_t blen, char *buf, size_t cap,
    struct httpc_resp *r, int timeout_ms, const char **err)
{
	static char		 hbuf[HTTP_PARSE_HEAD_MAX];
	struct http_resp	 hp;
	int64_t			 deadline = timefmt_mono_ms() + timeout_ms;
	int			 fd, rc;

	memset(r, 0, sizeof(*r));
	if (cap == 0) {
		*err = "no room for the answer";
		return -1;
	}
	buf[0] = '\0';
	r->body = buf;
	if ((fd = httpc_connect(sock, err)) == -1)
		return -1;
	if (httpc_send(fd, method, path, body, blen, "") == -1) {
		*err = "cannot send the request";
		close(fd);
		return -1;
	}
	/* The body's cap is the caller's buffer (truncated), not an error. */
	http_parse_init(&hp, hbuf, sizeof(hbuf), HTTP_PARSE_NOLEN,
	    strcmp(method, "HEAD") == 0 ? HTTP_PARSE_F_HEAD : 0);
	rc = httpc_read(fd, deadline, &hp, buf, cap, r, err);
	close(fd);
	return rc;
}

/*
 * Take one piece of the event stream's body: complete lines make frames,
 * a partial line waits in s->buf.  1 when `frame` asked to stop, 0 to go
 * on, -1 with *err.
 */
static int
httpc_sse_take(struct httpc_sse *s, const char *p, size_t n,
    int (*frame)(const char *, const char *, const char *, void *),
    void *arg, const char **err)
{
	size_t	take;
	int	rc;

	while (n > 0) {
		if (s->len + 1 >= sizeof(s->buf)) {
			*err = "event too large";
			return -1;
		}
		take = sizeof(s->buf) - 1 - s->len;
		if (take > n)
			take = n;
		memcpy(s->buf + s->len, p, take);
		s->len += take;
		p += take;
		n -= take;
		if ((rc = httpc_sse_lines(s, frame, arg)) != 0)
			return rc;
	}
	return 0;
}

/* The complete lines in s->buf; the partial one moves to its start. */
static int
httpc_sse_lines(struct httpc_sse *s,
    int (*frame)(const char *, const char *, const char *, void *),
    void *arg)
{
	char	*line, *nl;
	size_t	 start = 0;

	s->buf[s->len] = '\0';
	while ((nl = memchr(s->buf + start, '\n', s->len - start)) != NULL) {
		line = s->buf + start;
		*nl = '\0';
		start = (size_t)(nl - s->buf) + 1;
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (strncmp(line, "id: ", 4) == 0)
			snprintf(s->id, sizeof(s->id), "%s", line + 4);
		else if (strncmp(line, "event: ", 7) == 0)
			snprintf(s->ev, sizeof(s->ev), "%s", line + 7);
		else if (strncmp(line, "data: ", 6) == 0) {
			/* One data line per frame from crashtrail. */
			snprintf(s->data, sizeof(s->data), "%s", line + 6);
			s->have = 1;
		} else if (*line == '\0' && s->have) {
			if (frame(s->id, s->ev, s->data, arg) != 0)
				return 1;
			s->id[0] = s->ev[0] = '\0';
			s->have = 0;
		}
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
	return 0;
}

int
httpc_stream(const char *sock, const char *path,
    int (*frame)(const char *, const char *, const char *, void *),
    void *arg, const char **err)
{
	static struct httpc_sse	 s;
	static char		 hbuf[HTTP_PARSE_HEAD_MAX], rbuf[65536];
	struct http_resp	 hp;
	enum http_parse_rc	 rc = HTTP_PARSE_MORE;
	size_t			 off, k;
	ssize_t			 n;
	int			 fd, ret = 0;

	if ((fd = httpc_connect(sock, err)) == -1)
		return -1;
	if (httpc_send(fd, "GET", path, NULL, 0,
	    "Accept: text/event-stream\r\n") == -1) {
		*err = "cannot send the request";
		close(fd);
		return -1;
	}
	memset(&s, 0, sizeof(s));
	/* A stream has no end to cap; each event is capped by s.buf. */
	http_parse_init(&hp, hbuf, sizeof(hbuf), HTTP_PARSE_NOLEN, 0);
	while (rc != HTTP_PARSE_DONE && rc != HTTP_PARSE_ERROR && ret == 0) {
		if ((n = read(fd, rbuf, sizeof(rbuf))) == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*err = strerror(errno);
			ret = -1;
			break;
		}
		if (n == 0)
			rc = http_parse_eof(&hp);
		for (off = 0; (off < (size_t)n || rc == HTTP_PARSE_HEADERS ||
		    rc == HTTP_PARSE_BODY) && rc != HTTP_PARSE_DONE &&
		    rc != HTTP_PARSE_ERROR && ret == 0; off += k) {
			rc = http_parse_feed(&hp, rbuf + off, (size_t)n - off,
			    &k);
			if (rc == HTTP_PARSE_HEADERS && hp.status != 200) {
				snprintf(httpc_err, sizeof(httpc_err),
				    "the stream was refused (%d %s)",
				    hp.status, hp.reason);
				*err = httpc_err;
				ret = -1;
			} else if (rc == HTTP_PARSE_BODY)
				ret = httpc_sse_take(&s, hp.body, hp.body_len,
				    frame, arg, err);
		}
	}
	if (rc == HTTP_PARSE_ERROR && ret == 0) {
		snprintf(httpc_err, sizeof(httpc_err), "%s%s",
		    hp.code == 0 ? "" : "bad answer: ", hp.error);
		*err = httpc_err;
		ret = -1;
	}
	close(fd);
	return ret == 1 ? 0 : ret;
}
