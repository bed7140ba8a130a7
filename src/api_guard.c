/*
 * api_guard.c -- the API's table of connections: the connection limit,
 * and the guard that refuses an oversized body before evhttp reads it
 * (api_guard.h says how).
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>

#include "api_guard.h"
#include "log.h"
#include "timefmt.h"

/*
 * A connection's state, as far as the guard knows where its requests
 * begin.  OFF: not guarded (no room when it first sent, or no callback).
 * HEAD: the input starts with a request head.  PASS: evhttp is reading a
 * request the guard let through; the next head begins once the router has
 * it.  REFUSED: the synthetic request is in, the body is being discarded.
 */
enum guard_state { GUARD_FREE, GUARD_OFF, GUARD_HEAD, GUARD_PASS,
    GUARD_REFUSED, GUARD_STATE_MAX };

static const char *const guard_states[GUARD_STATE_MAX] = {
	[GUARD_FREE] = "free", [GUARD_OFF] = "off", [GUARD_HEAD] = "head",
	[GUARD_PASS] = "pass", [GUARD_REFUSED] = "refused",
};

/* Discards what a refused client still sends, after evhttp closed. */
struct guard_linger {
	int		 fd;		/* our duplicate; -1: free */
	struct event	 ev;
	uint64_t	 left;		/* bytes still to discard */
	int64_t		 deadline_ms;
	int		 armed;		/* ev is added */
};

/*
 * One connection.  admitted: it counts against maxconns.  left: body bytes
 * still to discard.  syn_len: the synthetic head's length, while
 * syn_pending says evhttp has not read it yet.
 */
struct guard_conn {
	struct evhttp_connection *evcon;
	struct bufferevent	*bev;
	struct evbuffer		*in;
	enum guard_state	 state;
	int			 admitted;
	uint64_t		 declared;
	int			 chunked;
	uint64_t		 left;
	size_t			 syn_len;
	int			 syn_pending;
	struct guard_linger	*linger;
};

static struct event_base	*guard_base;
static uint64_t			 guard_max_body;
static struct guard_conn	*guard_conns;
static size_t			 guard_nconns, guard_maxconns;
static size_t			 guard_nadmitted;
static struct guard_linger	 guard_lingers[API_GUARD_LINGERS];
static uint64_t			 guard_unguarded, guard_nolinger;
static int			 guard_busy;	/* we change an input */
static char			 guard_scratch[API_GUARD_HEAD_MAX];
static char			 guard_syn[512];
static char			 guard_sink[16384];

static const char	*guard_strstate(enum guard_state);
static void		 guard_enter(struct guard_conn *, enum guard_state);
static int		 guard_partial(const char *, size_t, size_t);
static int		 guard_reqline(const char *, size_t,
			    struct guard_head *);
static int		 guard_field(const char *, size_t,
			    struct guard_head *);
static struct guard_conn *guard_find(const struct evhttp_connection *,
			    const struct evbuffer *);
static struct guard_conn *guard_new(struct evhttp_connection *,
			    struct bufferevent *, enum guard_state);
static void		 guard_release(struct guard_conn *);
static void		 guard_on_input(struct evbuffer *,
			    const struct evbuffer_cb_info *, void *);
static void		 guard_on_head(struct guard_conn *);
static void		 guard_refuse(struct guard_conn *,
			    const struct guard_head *, size_t);
static void		 guard_discard(struct guard_conn *);
static void		 guard_on_close(struct evhttp_connection *, void *);
static void		 guard_linger_start(struct guard_linger *);
static void		 guard_on_linger(evutil_socket_t, short, void *);
static void		 guard_linger_end(struct guard_linger *);

static const char *
guard_strstate(enum guard_state s)
{
	return s < GUARD_STATE_MAX && guard_states[s] ? guard_states[s] : "?";
}

static void
guard_enter(struct guard_conn *g, enum guard_state next)
{
	log_debug("api guard %p: %s -> %s", (void *)g->evcon,
	    guard_strstate(g->state), guard_strstate(next));
	g->state = next;
}

/*
 * The unfinished last line of a head (m bytes at q, n in all): 0 if it may
 * still become a good one, -1 if not.
 */
static int
guard_partial(const char *q, size_t m, size_t n)
{
	size_t	i;

	if (n >= API_GUARD_HEAD_MAX)
		return -1;
	for (i = 0; i < m; i++)
		if (((unsigned char)q[i] < 0x20 && q[i] != '\t' &&
		    !(q[i] == '\r' && i == m - 1)) || q[i] == 0x7f)
			return -1;
	return 0;
}

/* "METHOD SP target SP HTTP/1.x", len bytes without the CRLF. */
static int
guard_reqline(const char *s, size_t len, struct guard_head *h)
{
	static const char *const methods[] = { "GET", "POST", "HEAD", "PUT",
	    "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH" };
	const char	*sp, *t, *end = s + len;
	size_t		 i, mlen;

	if ((sp = memchr(s, ' ', len)) == NULL)
		return -1;
	mlen = (size_t)(sp - s);
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i]) == mlen &&
		    memcmp(methods[i], s, mlen) == 0)
			break;
	if (i == sizeof(methods) / sizeof(methods[0]))
		return -1;
	h->bodyless = strcmp(methods[i], "HEAD") == 0 ||
	    strcmp(methods[i], "TRACE") == 0;
	for (t = sp + 1; t < end && *t != ' '; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return -1;
	if (t == sp + 1 || end - t != 9 || memcmp(t, " HTTP/1.", 8) != 0 ||
	    (t[8] != '0' && t[8] != '1'))
		return -1;
	return 0;
}

/* "name: value", len bytes without the CRLF. */
static int
guard_field(const char *s, size_t len, struct guard_head *h)
{
	const char	*colon, *v, *ve, *p;
	size_t		 nlen;
	uint64_t	 cl;

	if ((colon = memchr(s, ':', len)) == NULL || colon == s)
		return -1;
	nlen = (size_t)(colon - s);
	for (p = s; p < colon; p++)
		if ((*p == '\0' || strchr("!#$%&'*+-.^_`|~", *p) == NULL) &&
		    !(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'z') &&
		    !(*p >= 'A' && *p <= 'Z'))
			return -1;
	for (v = colon + 1; v < s + len && (*v == ' ' || *v == '\t'); v++)
		;
	for (ve = s + len; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	for (p = v; p < ve; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return -1;
	if (nlen == 14 && strncasecmp(s, "Content-Length", 14) == 0) {
		if (h->has_clen || v == ve || ve - v > 19)
			return -1;
		for (cl = 0, p = v; p < ve; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			cl = cl * 10 + (uint64_t)(*p - '0');
		}
		h->has_clen = 1;
		h->clen = cl;
	} else if (nlen == 17 && strncasecmp(s, "Transfer-Encoding", 17) == 0) {
		if (h->chunked || ve - v != 7 || strncasecmp(v, "chunked", 7))
			return -1;
		h->chunked = 1;
	} else if (nlen == 13 && strncasecmp(s, "Authorization", 13) == 0) {
		h->auth = v;
		h->authlen = (size_t)(ve - v);
	}
	return 0;
}

int
api_guard_parse(const char *p, size_t n, struct guard_head *h)
{
	const char	*line = p, *eol, *end = p + n;

	memset(h, 0, sizeof(*h));
	for (;;) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			return guard_partial(line, (size_t)(end - line), n);
		if (eol == line || eol[-1] != '\r')
			return -1;
		if (line == p) {
			if (guard_reqline(line, (size_t)(eol - 1 - line), h))
				return -1;
		} else if (eol - 1 == line) {
			h->len = (size_t)(eol + 1 - p);
			return 1;
		} else if (guard_field(line, (size_t)(eol - 1 - line), h))
			return -1;
		line = eol + 1;
	}
}

void
api_guard_init(struct event_base *base, uint64_t max_body, size_t maxconns)
{
	size_t	i;

	guard_base = base;
	guard_max_body = max_body;
	guard_maxconns = maxconns;
	guard_nconns = maxconns * 2;
	if ((guard_conns = calloc(guard_nconns, sizeof(*guard_conns))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < API_GUARD_LINGERS; i++)
		guard_lingers[i].fd = -1;
}

void
api_guard_close(void)
{
	size_t	i;

	for (i = 0; i < API_GUARD_LINGERS; i++)
		if (guard_lingers[i].fd != -1)
			guard_linger_end(&guard_lingers[i]);
}

struct bufferevent *
api_guard_bev(struct event_base *base, void *arg)
{
	struct bufferevent	*bev;

	(void)arg;
	/* As evhttp's own: evhttp closes the socket when it frees it. */
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return NULL;
	if (evbuffer_add_cb(bufferevent_get_input(bev), guard_on_input,
	    bev) == NULL)
		log_warnx("api: cannot guard a connection's input");
	return bev;
}

static struct guard_conn *
guard_find(const struct evhttp_connection *evcon, const struct evbuffer *in)
{
	size_t	i;

	for (i = 0; i < guard_nconns; i++)
		if (guard_conns[i].state != GUARD_FREE &&
		    (evcon == NULL || guard_conns[i].evcon == evcon) &&
		    (in == NULL || guard_conns[i].in == in))
			return &guard_conns[i];
	return NULL;
}

static struct guard_conn *
guard_new(struct evhttp_connection *evcon, struct bufferevent *bev,
    enum guard_state state)
{
	size_t	i;

	for (i = 0; i < guard_nconns; i++)
		if (guard_conns[i].state == GUARD_FREE) {
			memset(&guard_conns[i], 0, sizeof(guard_conns[i]));
			guard_conns[i].evcon = evcon;
			guard_conns[i].bev = bev;
			guard_conns[i].in = bufferevent_get_input(bev);
			guard_enter(&guard_conns[i], state);
			evhttp_connection_set_closecb(evcon, guard_on_close,
			    &guard_conns[i]);
			return &guard_conns[i];
		}
	return NULL;
}

static void
guard_release(struct guard_conn *g)
{
	if (g->admitted)
		guard_nadmitted--;
	if (g->linger != NULL)
		guard_linger_start(g->linger);
	guard_enter(g, GUARD_FREE);
	g->evcon = NULL;
	g->bev = NULL;
	g->in = NULL;
	g->linger = NULL;
}

int
api_guard_admit(struct evhttp_connection *evcon)
{
	struct guard_conn	*g;

	if ((g = guard_find(evcon, NULL)) == NULL &&
	    (g = guard_new(evcon, evhttp_connection_get_bufferevent(evcon),
	    GUARD_OFF)) == NULL)
		return 0;
	if (!g->admitted) {
		if (guard_nadmitted >= guard_maxconns)
			return 0;
		g->admitted = 1;
		guard_nadmitted++;
	}
	return 1;
}

int
api_guard_request(struct evhttp_request *req, uint64_t *declared,
    int *chunked)
{
	struct guard_conn	*g;
	const char		*uri = evhttp_request_get_uri(req);

	g = guard_find(evhttp_request_get_connection(req), NULL);
	if (g == NULL)
		return 0;
	if (g->state == GUARD_REFUSED && g->syn_pending && uri != NULL &&
	    strcmp(uri, API_GUARD_PATH) == 0) {
		g->syn_pending = 0;
		*declared = g->declared;
		*chunked = g->chunked;
		return 1;
	}
	if (g->state == GUARD_PASS) {
		/* evhttp has read all of it: what follows is the next. */
		guard_enter(g, GUARD_HEAD);
		guard_on_head(g);
	}
	return 0;
}

void
api_guard_forget(struct evhttp_connection *evcon)
{
	struct guard_conn	*g;

	if ((g = guard_find(evcon, NULL)) == NULL)
		return;
	evbuffer_remove_cb(g->in, guard_on_input, g->bev);
	if (g->linger != NULL) {
		guard_linger_end(g->linger);
		g->linger = NULL;
	}
	guard_release(g);
}

/*
 * The input callback: libevent runs it inside the read, as bytes are
 * added and before evhttp's read callback parses them (and again for every
 * change to the buffer, ours included, which guard_busy ignores).
 */
static void
guard_on_input(struct evbuffer *in, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct bufferevent	*bev = arg;
	struct guard_conn	*g;
	void			*cbarg = NULL;

	if (guard_busy || info->n_added == 0)
		return;
	if ((g = guard_find(NULL, in)) == NULL) {
		/*
		 * The first bytes of a connection.  evhttp's callbacks on
		 * its bufferevent take the evhttp_connection as their
		 * argument (http.c, evhttp_connection_base_bufferevent_new).
		 */
		bufferevent_getcb(bev, NULL, NULL, NULL, &cbarg);
		if (cbarg == NULL ||
		    evhttp_connection_get_bufferevent(cbarg) != bev ||
		    (g = guard_new(cbarg, bev, GUARD_HEAD)) == NULL) {
			if (guard_unguarded++ % 100 == 0)
				log_warnx("api: no room to guard a connection "
				    "(%llu so far); evhttp answers its "
				    "oversized bodies itself",
				    (unsigned long long)guard_unguarded);
			evbuffer_remove_cb(in, guard_on_input, bev);
			return;
		}
	}
	if (g->state == GUARD_HEAD)
		guard_on_head(g);
	else if (g->state == GUARD_REFUSED)
		guard_discard(g);
}

/*
 * The input starts with a head: hold evhttp off (its read callback runs
 * only at the low watermark) until it is complete, then let it through or
 * refuse it.
 */
static void
guard_on_head(struct guard_conn *g)
{
	struct guard_head	h;
	size_t			n = evbuffer_get_length(g->in), got;
	int			r;

	if (n == 0)
		return;
	got = n < sizeof(guard_scratch) ? n : sizeof(guard_scratch);
	if (evbuffer_copyout(g->in, guard_scratch, got) != (ev_ssize_t)got)
		r = -1;
	else
		r = api_guard_parse(guard_scratch, got, &h);
	if (r == 0) {
		bufferevent_setwatermark(g->bev, EV_READ, n + 1, 0);
		return;
	}
	bufferevent_setwatermark(g->bev, EV_READ, 0, 0);
	if (r == 1 && !h.bodyless &&
	    (h.chunked || (h.has_clen && h.clen > guard_max_body)))
		guard_refuse(g, &h, n);
	else
		guard_enter(g, GUARD_PASS);
}

/* Put the synthetic request in the head's place; n bytes are there. */
static void
guard_refuse(struct guard_conn *g, const struct guard_head *h, size_t n)
{
	struct guard_linger	*l = NULL;
	uint64_t		 cap, body = n - h->len;
	size_t			 i;
	int			 len, fd;

	/* The token goes along, so that the router can check it first. */
	len = snprintf(guard_syn, sizeof(guard_syn), "POST %s HTTP/1.1\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n%s%.*s%s\r\n",
	    API_GUARD_PATH, h->auth ? "Authorization: " : "",
	    h->auth ? (int)h->authlen : 0, h->auth ? h->auth : "",
	    h->auth ? "\r\n" : "");
	if (len < 0 || (size_t)len >= sizeof(guard_syn))
		len = snprintf(guard_syn, sizeof(guard_syn), "POST %s "
		    "HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n"
		    "\r\n", API_GUARD_PATH);
	guard_busy = 1;
	evbuffer_drain(g->in, n);
	evbuffer_prepend(g->in, guard_syn, (size_t)len);
	guard_busy = 0;
	g->syn_len = (size_t)len;
	g->syn_pending = 1;
	g->declared = h->chunked ? 0 : h->clen;
	g->chunked = h->chunked;
	cap = h->chunked || h->clen > API_GUARD_LINGER_MAX ?
	    API_GUARD_LINGER_MAX : h->clen;
	g->left = cap > body ? cap - body : 0;
	guard_enter(g, GUARD_REFUSED);

	for (i = 0; i < API_GUARD_LINGERS && l == NULL; i++)
		if (guard_lingers[i].fd == -1)
			l = &guard_lingers[i];
	if (l == NULL) {
		if (guard_nolinger++ % 100 == 0)
			log_warnx("api: all %d lingering closes are in use "
			    "(%llu times so far); the client may see a reset",
			    API_GUARD_LINGERS,
			    (unsigned long long)guard_nolinger);
		return;
	}
	if ((fd = fcntl(bufferevent_getfd(g->bev), F_DUPFD_CLOEXEC, 0)) ==
	    -1) {
		log_warn("%s: dup", __func__);
		return;
	}
	l->fd = fd;
	l->armed = 0;
	l->deadline_ms = timefmt_mono_ms() + API_GUARD_LINGER_MS;
	g->linger = l;
}

/* Discard what arrived, but the synthetic head while evhttp has not read it. */
static void
guard_discard(struct guard_conn *g)
{
	char	syn[sizeof(guard_syn)];
	size_t	n = evbuffer_get_length(g->in);
	size_t	keep = g->syn_pending ? g->syn_len : 0;

	if (n <= keep)
		return;
	guard_busy = 1;
	if (keep > 0 && evbuffer_remove(g->in, syn, keep) != (int)keep)
		keep = 0;
	evbuffer_drain(g->in, evbuffer_get_length(g->in));
	if (keep > 0)
		evbuffer_prepend(g->in, syn, keep);
	guard_busy = 0;
	n -= keep;
	g->left -= g->left < n ? g->left : n;
}

/* evhttp frees the connection: carry on discarding on our descriptor. */
static void
guard_on_close(struct evhttp_connection *evcon, void *arg)
{
	struct guard_conn	*g = arg;

	if (g->state == GUARD_FREE || g->evcon != evcon)
		return;
	if (g->linger != NULL)
		g->linger->left = g->left;
	guard_release(g);
}

static void
guard_linger_start(struct guard_linger *l)
{
	struct timeval	tv;
	int64_t		ms = l->deadline_ms - timefmt_mono_ms();

	if (l->left == 0 || ms <= 0) {
		guard_linger_end(l);
		return;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_assign(&l->ev, guard_base, l->fd, EV_READ, guard_on_linger, l);
	event_add(&l->ev, &tv);
	l->armed = 1;
}

static void
guard_on_linger(evutil_socket_t fd, short what, void *arg)
{
	struct guard_linger	*l = arg;
	ssize_t			 n;
	size_t			 want;
	int			 i;

	l->armed = 0;
	if (what & EV_TIMEOUT) {
		guard_linger_end(l);
		return;
	}
	for (i = 0; i < 16; i++) {
		want = l->left < sizeof(guard_sink) ? (size_t)l->left :
		    sizeof(guard_sink);
		if ((n = read(fd, guard_sink, want)) > 0) {
			l->left -= (uint64_t)n;
			if (l->left == 0)
				break;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			guard_linger_start(l);
			return;
		}
		break;		/* EOF or an error */
	}
	if (i == 16 && l->left > 0)
		guard_linger_start(l);
	else
		guard_linger_end(l);
}

static void
guard_linger_end(struct guard_linger *l)
{
	if (l->armed)
		event_del(&l->ev);
	l->armed = 0;
	close(l->fd);
	l->fd = -1;
}
