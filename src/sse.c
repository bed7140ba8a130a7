/*
 * sse.c -- SSE clients with fixed buffers and non-blocking writes.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>

#include "events.h"
#include "journal.h"
#include "log.h"
#include "sse.h"
#include "timefmt.h"

#define SSE_KEEPALIVE_MS	15000
#define SSE_RESERVE		160	/* room kept for a final gap frame */
#define SSE_STUCK_MS		30000	/* full buffer, nothing taken: cut */

struct sse_client {
	int			 fd;		/* -1: slot free */
	struct event		 ev_read, ev_write;
	struct evhttp_connection *evcon;	/* parked until we close */
	char			*buf;
	size_t			 start, end;
	uint64_t		 next;
	char			 type[EVENT_TYPE_MAX + 1];
	int64_t			 last_ms;	/* last frame or keepalive */
	int64_t			 taken_ms;	/* last write that took bytes */
	struct journal_cursor	 jc;		/* reading older than the ring */
	int			 jc_on;
};

static struct event_base	*sse_base;
static struct sse_client	*sse_clients;
static size_t			 sse_max, sse_bufsize, sse_count;
static char			*sse_jbuf;	/* one record from the journal */
static size_t			 sse_jcap;
static uint64_t			 sse_cut_total, sse_gap_total, sse_reset_total;
static struct event		 sse_keepalive;

static void	sse_close(struct sse_client *);
static int	sse_append(struct sse_client *, const char *, size_t,
		    const char *, size_t, const char *, size_t);
static void	sse_fill(struct sse_client *);
static int	sse_fill_old(struct sse_client *, uint64_t);
static int	sse_gap(struct sse_client *, uint64_t);
static size_t	sse_gap_frame(char *, size_t, uint64_t, uint64_t, int);
static int	sse_frame(struct sse_client *, uint64_t, const char *,
		    const char *, size_t, const char *, size_t);
static void	sse_flush(struct sse_client *);
static void	sse_cut(struct sse_client *, uint64_t);
static void	sse_on_read(evutil_socket_t, short, void *);
static void	sse_on_write(evutil_socket_t, short, void *);
static void	sse_on_keepalive(evutil_socket_t, short, void *);
static void	sse_on_evcon_close(struct evhttp_connection *, void *);

void
sse_init(struct event_base *base, size_t max, size_t bufsize,
    size_t max_record)
{
	struct timeval	tv = { SSE_KEEPALIVE_MS / 1000, 0 };
	size_t		i;
	char		*bufs;

	sse_base = base;
	sse_max = max;
	sse_bufsize = bufsize;
	sse_clients = calloc(max ? max : 1, sizeof(*sse_clients));
	/* Reserved now; pages are touched only as far as clients use them. */
	bufs = calloc(max ? max : 1, bufsize);
	sse_jcap = max_record;
	sse_jbuf = malloc(max_record);
	if (sse_clients == NULL || bufs == NULL || sse_jbuf == NULL)
		fatal("%s", __func__);
	for (i = 0; i < max; i++) {
		sse_clients[i].fd = -1;
		sse_clients[i].buf = bufs + i * bufsize;
	}
	event_assign(&sse_keepalive, base, -1, EV_PERSIST, sse_on_keepalive,
	    NULL);
	evtimer_add(&sse_keepalive, &tv);
}

size_t
sse_nclients(void)
{
	return sse_count;
}

uint64_t
sse_ncut(void)
{
	return sse_cut_total;
}

uint64_t
sse_ngaps(void)
{
	return sse_gap_total;
}

uint64_t
sse_nresets(void)
{
	return sse_reset_total;
}

/* Append up to three pieces as one frame; 0, or -1 if it does not fit. */
static int
sse_append(struct sse_client *c, const char *a, size_t na, const char *b,
    size_t nb, const char *d, size_t nd)
{
	size_t	need = na + nb + nd;

	if (c->end + need > sse_bufsize && c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	if (c->end + need > sse_bufsize)
		return -1;
	memcpy(c->buf + c->end, a, na);
	memcpy(c->buf + c->end + na, b, nb);
	memcpy(c->buf + c->end + na + nb, d, nd);
	c->end += need;
	return 0;
}

/* The gap frame for events from .. to - 1 (with "cut":true when cut). */
static size_t
sse_gap_frame(char *buf, size_t cap, uint64_t from, uint64_t to, int cut)
{
	int	n;

	n = snprintf(buf, cap, "event: gap\ndata: {\"missed\":%llu,"
	    "\"from_seq\":%llu,\"to_seq\":%llu%s}\n\n",
	    (unsigned long long)(to - from), (unsigned long long)from,
	    (unsigned long long)(to - 1), cut ? ",\"cut\":true" : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/*
 * The client stopped reading and its next event is gone: drop what it
 * has not taken, leave one final gap frame, try to send it, and close.
 */
static void
sse_cut(struct sse_client *c, uint64_t to)
{
	char	frame[SSE_RESERVE];
	size_t	n;

	n = sse_gap_frame(frame, sizeof(frame), c->next, to, 1);
	log_warnx("sse client fd %d stopped reading; cut after %llu missed "
	    "events", c->fd, (unsigned long long)(to - c->next));
	(void)write(c->fd, frame, n);
	sse_cut_total++;
	sse_close(c);
}

/* Events c->next .. to - 1 are gone: say so.  0, or -1 when it was cut. */
static int
sse_gap(struct sse_client *c, uint64_t to)
{
	char	head[SSE_RESERVE];
	size_t	n;

	n = sse_gap_frame(head, sizeof(head), c->next, to, 0);
	if (sse_bufsize - (c->end - c->start) < n + SSE_RESERVE) {
		sse_cut(c, to);
		return -1;
	}
	sse_append(c, head, n, "", 0, "", 0);
	sse_gap_total++;
	c->next = to;
	return 0;
}

/* One event frame; 0, or -1 when the buffer has no room for it now. */
static int
sse_frame(struct sse_client *c, uint64_t seq, const char *type,
    const char *p1, size_t n1, const char *p2, size_t n2)
{
	char	head[EVENT_TYPE_MAX + 64];
	int	n;

	n = snprintf(head, sizeof(head), "id: %llu\nevent: %s\ndata: ",
	    (unsigned long long)seq, type);
	/* The envelope is one line: jw escapes every newline. */
	if (c->end - c->start + (size_t)n + n1 + n2 + 2 + SSE_RESERVE >
	    sse_bufsize)
		return -1;
	sse_append(c, head, (size_t)n, p1, n1, p2, n2);
	sse_append(c, "\n\n", 2, "", 0, "", 0);
	c->last_ms = timefmt_mono_ms();
	return 0;
}

/*
 * The client's next event is older than the ring: read it from the
 * journal, saying first what neither holds any more.  1 when the client
 * moved on, 0 when its buffer is full, -1 when it was cut.
 */
static int
sse_fill_old(struct sse_client *c, uint64_t oldest)
{
	struct journal_cursor	save;
	char			type[EVENT_TYPE_MAX + 1];
	uint64_t		seq = 0;
	size_t			len = 0;
	int			r;

	if (!c->jc_on) {
		journal_cursor_init(&c->jc, c->next);
		c->jc_on = 1;
	}
	save = c->jc;
	r = journal_cursor_next(&c->jc, sse_jbuf, sse_jcap, &seq, &len);
	if (r != 1 || seq >= oldest) {
		/* Nothing older than the ring is left: the ring goes on. */
		c->jc_on = 0;
		return sse_gap(c, oldest) == 0 ? 1 : -1;
	}
	if (seq > c->next && sse_gap(c, seq) == -1)
		return -1;
	if (events_type_of(sse_jbuf, len, type, sizeof(type)) == -1 ||
	    (c->type[0] != '\0' && strcmp(c->type, type) != 0)) {
		c->next = seq + 1;
		return 1;
	}
	if (sse_frame(c, seq, type, sse_jbuf, len, "", 0) == -1) {
		c->jc = save;
		return 0;
	}
	c->next = seq + 1;
	return 1;
}

/* Copy every event the client may have into its buffer, as room allows. */
static void
sse_fill(struct sse_client *c)
{
	struct ev_view	v;
	uint64_t	oldest, latest = events_latest();
	int		r;

	while (c->fd != -1 && c->next <= latest && latest > 0) {
		oldest = events_oldest();
		if (c->next < oldest || oldest == 0) {
			if ((r = sse_fill_old(c, oldest ? oldest :
			    latest + 1)) == 1)
				continue;
			if (r == -1)
				return;
			break;
		}
		c->jc_on = 0;
		if (events_get(c->next, &v) == -1) {
			c->next++;	/* a seq the ring never held */
			continue;
		}
		if (c->type[0] != '\0' && strcmp(c->type, v.type) != 0) {
			c->next++;
			continue;
		}
		if (sse_frame(c, v.seq, v.type, v.p1, v.n1, v.p2, v.n2) == -1)
			break;
		c->next++;
	}
	if (c->fd != -1 && c->end > c->start)
		event_add(&c->ev_write, NULL);
}

static void
sse_flush(struct sse_client *c)
{
	ssize_t	n;

	while (c->end > c->start) {
		n = write(c->fd, c->buf + c->start, c->end - c->start);
		if (n > 0) {
			c->start += (size_t)n;
			c->taken_ms = timefmt_mono_ms();
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		sse_close(c);
		return;
	}
	c->start = c->end = 0;
	event_del(&c->ev_write);
}

static void
sse_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct sse_client	*c = arg;

	(void)fd;
	(void)what;
	sse_flush(c);
	if (c->fd != -1)
		sse_fill(c);
}

/* Anything from the client is ignored; EOF or an error ends the stream. */
static void
sse_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct sse_client	*c = arg;
	char			 junk[512];
	ssize_t			 n;

	(void)what;
	n = read(fd, junk, sizeof(junk));
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
		sse_close(c);
}

static void
sse_on_evcon_close(struct evhttp_connection *evcon, void *arg)
{
	struct sse_client	*c = arg;

	(void)evcon;
	c->evcon = NULL;	/* evhttp is freeing it itself */
}

static void
sse_close(struct sse_client *c)
{
	struct evhttp_connection	*evcon = c->evcon;

	if (c->fd == -1)
		return;
	event_del(&c->ev_read);
	event_del(&c->ev_write);
	close(c->fd);
	c->fd = -1;
	c->start = c->end = 0;
	sse_count--;
	c->evcon = NULL;
	if (evcon != NULL) {
		evhttp_connection_set_closecb(evcon, NULL, NULL);
		evhttp_connection_free(evcon);
	}
}

int
sse_attach(struct evhttp_request *req, uint64_t next, const char *type)
{
	static const char	 head[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream\r\n"
	    "Cache-Control: no-cache\r\n"
	    "X-SSE-Content-Type: application/json\r\n"
	    "Connection: close\r\n\r\n";
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent	*bev;
	struct sse_client	*c = NULL;
	size_t			 i;
	int			 fd;

	for (i = 0; i < sse_max; i++)
		if (sse_clients[i].fd == -1) {
			c = &sse_clients[i];
			break;
		}
	if (c == NULL || evcon == NULL)
		return -1;
	bev = evhttp_connection_get_bufferevent(evcon);
	/*
	 * Our own descriptor for the socket.  evhttp's connection is parked,
	 * not freed: freeing it would shutdown(SHUT_WR) the shared socket.
	 * It is freed in sse_close(), once the stream is over.
	 */
	if ((fd = fcntl(bufferevent_getfd(bev), F_DUPFD_CLOEXEC, 0)) == -1) {
		log_warn("%s: dup", __func__);
		return -1;
	}
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	evhttp_connection_set_closecb(evcon, sse_on_evcon_close, c);
	c->fd = fd;
	c->evcon = evcon;
	c->start = c->end = 0;
	c->next = next;
	c->jc_on = 0;
	snprintf(c->type, sizeof(c->type), "%s", type ? type : "");
	c->last_ms = c->taken_ms = timefmt_mono_ms();
	event_assign(&c->ev_read, sse_base, fd, EV_READ | EV_PERSIST,
	    sse_on_read, c);
	event_assign(&c->ev_write, sse_base, fd, EV_WRITE | EV_PERSIST,
	    sse_on_write, c);
	event_add(&c->ev_read, NULL);
	sse_count++;
	sse_append(c, head, sizeof(head) - 1, "", 0, "", 0);
	/*
	 * An id from the future (another state_dir, a wiped journal): say
	 * where this collector is, then stream from there.  Never silence.
	 */
	if (next > events_latest() + 1) {
		char	frame[SSE_RESERVE];
		int	n;

		n = snprintf(frame, sizeof(frame), "event: reset\ndata: "
		    "{\"requested_seq\":%llu,\"latest_seq\":%llu}\n\n",
		    (unsigned long long)(next - 1),
		    (unsigned long long)events_latest());
		sse_append(c, frame, (size_t)n, "", 0, "", 0);
		sse_reset_total++;
		c->next = events_latest() + 1;
	}
	sse_fill(c);
	return 0;
}

void
sse_on_event(uint64_t seq)
{
	size_t	i;

	(void)seq;
	for (i = 0; i < sse_max; i++)
		if (sse_clients[i].fd != -1)
			sse_fill(&sse_clients[i]);
}

static void
sse_on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	int64_t	now = timefmt_mono_ms();
	size_t	i;

	(void)fd;
	(void)what;
	(void)arg;
	for (i = 0; i < sse_max; i++) {
		struct sse_client *c = &sse_clients[i];

		if (c->fd == -1)
			continue;
		/* Nothing taken for a long time with a full buffer: stuck. */
		if (sse_bufsize - (c->end - c->start) < SSE_RESERVE + 64 &&
		    now - c->taken_ms > SSE_STUCK_MS) {
			sse_cut(c, events_latest() + 1);
			continue;
		}
		if (now - c->last_ms < SSE_KEEPALIVE_MS - 100)
			continue;
		if (sse_append(c, ": keepalive\n\n", 13, "", 0, "", 0) == 0) {
			c->last_ms = now;
			event_add(&c->ev_write, NULL);
		}
	}
}

void
sse_close_all(void)
{
	size_t	i;

	for (i = 0; i < sse_max; i++)
		sse_close(&sse_clients[i]);
	event_del(&sse_keepalive);
}
