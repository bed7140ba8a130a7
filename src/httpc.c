/*
 * httpc.c -- blocking HTTP/1.1 over a Unix socket, for the CLI.
 * SPDX-License-Identifier: ISC
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "httpc.h"
#include "timefmt.h"

static int	httpc_connect(const char *, const char **);
static int	httpc_send(int, const char *, const char *, const char *,
		    size_t, const char *);
static size_t	httpc_dechunk(char *, size_t);

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

/* Decode a chunked body in place; returns its length. */
static size_t
httpc_dechunk(char *b, size_t len)
{
	size_t	in = 0, out = 0, n;
	char	*end;

	while (in < len) {
		/* Hex digits only: strtoul would take a sign and wrap. */
		if (!isxdigit((unsigned char)b[in]))
			break;
		n = strtoul(b + in, &end, 16);
		if ((end = strstr(end, "\r\n")) == NULL)
			break;
		in = (size_t)(end - b) + 2;
		if (n == 0 || in > len || n > len - in)
			break;
		memmove(b + out, b + in, n);
		out += n;
		in += n + 2;
	}
	return out;
}

int
httpc_request(const char *sock, const char *method, const char *path,
    const char *body, size_t blen, char *buf, size_t cap,
    struct httpc_resp *r, int timeout_ms, const char **err)
{
	struct pollfd	 pfd;
	int64_t		 deadline = timefmt_mono_ms() + timeout_ms;
	size_t		 len = 0;
	ssize_t		 n;
	char		*hend;
	int		 fd, left;

	memset(r, 0, sizeof(*r));
	if ((fd = httpc_connect(sock, err)) == -1)
		return -1;
	if (httpc_send(fd, method, path, body, blen, "") == -1) {
		*err = "cannot send the request";
		close(fd);
		return -1;
	}
	for (;;) {
		if ((left = (int)(deadline - timefmt_mono_ms())) <= 0) {
			*err = "timed out waiting for crashtrail";
			close(fd);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		if (len + 1 >= cap) {
			r->truncated = 1;
			break;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1 ||
	    (hend = strstr(buf, "\r\n\r\n")) == NULL) {
		*err = "not an HTTP answer";
		return -1;
	}
	*hend = '\0';
	r->body = hend + 4;
	r->len = len - (size_t)(hend + 4 - buf);
	if (strcasestr(buf, "\r\nTransfer-Encoding: chunked") != NULL)
		r->len = httpc_dechunk(hend + 4, r->len);
	hend[4 + r->len] = '\0';
	return 0;
}

int
httpc_stream(const char *sock, const char *path,
    int (*frame)(const char *, const char *, const char *, void *),
    void *arg, const char **err)
{
	static char	 buf[1024 * 1024], data[1024 * 1024];
	char		 id[32], ev[64], *line, *nl;
	int		 have = 0;
	size_t		 len = 0, start;
	ssize_t		 n;
	int		 fd, inhead = 1;

	if ((fd = httpc_connect(sock, err)) == -1)
		return -1;
	if (httpc_send(fd, "GET", path, NULL, 0,
	    "Accept: text/event-stream\r\n") == -1) {
		*err = "cannot send the request";
		close(fd);
		return -1;
	}
	id[0] = ev[0] = '\0';
	for (;;) {
		if (len + 1 >= sizeof(buf)) {
			*err = "event too large";
			close(fd);
			return -1;
		}
		if ((n = read(fd, buf + len, sizeof(buf) - len - 1)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		start = 0;
		while ((nl = memchr(buf + start, '\n', len - start)) != NULL) {
			line = buf + start;
			*nl = '\0';
			start = (size_t)(nl - buf) + 1;
			if (nl > line && nl[-1] == '\r')
				nl[-1] = '\0';
			if (inhead) {
				if (strncmp(line, "HTTP/1.", 7) == 0 &&
				    strstr(line, " 200 ") == NULL) {
					*err = "the stream was refused";
					close(fd);
					return -1;
				}
				if (*line == '\0')
					inhead = 0;
				continue;
			}
			if (strncmp(line, "id: ", 4) == 0)
				snprintf(id, sizeof(id), "%s", line + 4);
			else if (strncmp(line, "event: ", 7) == 0)
				snprintf(ev, sizeof(ev), "%s", line + 7);
			else if (strncmp(line, "data: ", 6) == 0) {
				/* One data line per frame from crashtrail. */
				snprintf(data, sizeof(data), "%s", line + 6);
				have = 1;
			} else if (*line == '\0' && have) {
				if (frame(id, ev, data, arg) != 0) {
					close(fd);
					return 0;
				}
				id[0] = ev[0] = '\0';
				have = 0;
			}
		}
		/* Keep the partial line for the next read. */
		memmove(buf, buf + start, len - start);
		len -= start;
	}
	close(fd);
	return 0;
}
