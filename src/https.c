/*
 * https.c -- one non-blocking HTTP/1.1 transfer (TLS via mbedTLS, or
 * plain when the URL says http://), one handler per state.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>	/* MBEDTLS_ERR_NET_* only */
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "https.h"
#include "log.h"
#include "tls_compat.h"

/* MSG_NOSIGNAL is a feature, not an OS: where it is missing, 0. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0
#endif

/* Reads per readiness callback, so a fast peer cannot hog the loop. */
#define HC_READS_PER_TURN	16

/* Module state, set up once by hc_init(). */
static struct {
	struct event_base	*base;
	struct evdns_base	*dns;
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt	 ca;
	mbedtls_ssl_config	 conf;
	int			 live;
} hc;

static const char *const hc_states[HC_STATE_MAX] = {
	[HC_IDLE]	= "IDLE",
	[HC_RESOLVE]	= "RESOLVE",
	[HC_CONNECT]	= "CONNECT",
	[HC_HANDSHAKE]	= "HANDSHAKE",
	[HC_SEND]	= "SEND",
	[HC_RECV_HEAD]	= "RECV_HEAD",
	[HC_RECV_BODY]	= "RECV_BODY",
	[HC_DONE]	= "DONE",
	[HC_FAILED]	= "FAILED",
};

static void	hc_enter(struct hc_xfer *, enum hc_state);
static void	hc_arm(struct hc_xfer *, short);
static void	hc_fail(struct hc_xfer *, const char *, ...)
		    LOG_PRINTF(2, 3);
static void	hc_tls_fail(struct hc_xfer *, const char *, int);
static void	hc_finish(struct hc_xfer *, enum hc_state);
static void	hc_release(struct hc_xfer *);
static uint64_t	hc_now_ms(void);
static void	hc_on_event(evutil_socket_t, short, void *);
static void	hc_on_finish(evutil_socket_t, short, void *);
static void	hc_on_resolved(int, struct evutil_addrinfo *, void *);
static short	hc_connect_next(struct hc_xfer *);
static short	hc_on_connect(struct hc_xfer *, short);
static short	hc_on_handshake(struct hc_xfer *, short);
static short	hc_on_send(struct hc_xfer *, short);
static short	hc_on_recv(struct hc_xfer *, short);
static int	hc_feed(struct hc_xfer *, const char *, size_t);
static ssize_t	hc_write(struct hc_xfer *, const char *, size_t, short *);
static ssize_t	hc_read(struct hc_xfer *, char *, size_t, short *);
static int	hc_bio_send(void *, const unsigned char *, size_t);
static int	hc_bio_recv(void *, unsigned char *, size_t);

/*
 * What to do when the socket is ready in each state: the events to wait
 * for next, or 0 when the handler has moved to DONE or FAILED (or re-armed
 * itself).  RESOLVE has no handler: evdns calls hc_on_resolved(), and
 * its event is only the phase timer.  Both receive states share one
 * handler, since one read can carry the end of the head and body bytes.
 */
static short (*const hc_handlers[HC_STATE_MAX])(struct hc_xfer *, short) = {
	[HC_CONNECT]	= hc_on_connect,
	[HC_HANDSHAKE]	= hc_on_handshake,
	[HC_SEND]	= hc_on_send,
	[HC_RECV_HEAD]	= hc_on_recv,
	[HC_RECV_BODY]	= hc_on_recv,
};

const char *
hc_strstate(enum hc_state s)
{
	return (unsigned)s < HC_STATE_MAX ? hc_states[s] : "?";
}

int
hc_init(struct event_base *base, struct evdns_base *dns, const char *ca_file)
{
	static const char	 pers[] = "crashtrail-https";
	char			 eb[128];
	int			 r;

	if (ca_file == NULL)
		ca_file = HC_CA_BUNDLE;
	hc.base = base;
	hc.dns = dns;
	mbedtls_entropy_init(&hc.entropy);
	mbedtls_ctr_drbg_init(&hc.drbg);
	mbedtls_x509_crt_init(&hc.ca);
	mbedtls_ssl_config_init(&hc.conf);
	hc.live = 1;

	if ((r = mbedtls_ctr_drbg_seed(&hc.drbg, mbedtls_entropy_func,
	    &hc.entropy, (const unsigned char *)pers, sizeof(pers) - 1)) != 0) {
		mbedtls_strerror(r, eb, sizeof(eb));
		log_warnx("%s: ctr_drbg_seed: %s", __func__, eb);
		goto fail;
	}
	/*
	 * A positive return counts certificates of the bundle that did not
	 * parse; the rest are usable, so only "none at all" is fatal here.
	 */
	r = mbedtls_x509_crt_parse_file(&hc.ca, ca_file);
	if (r < 0 || hc.ca.version == 0) {
		mbedtls_strerror(r, eb, sizeof(eb));
		log_warnx("%s: %s: no CA certificate loaded: %s", __func__,
		    ca_file, r < 0 ? eb : "empty");
		goto fail;
	}
	if ((r = mbedtls_ssl_config_defaults(&hc.conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0) {
		mbedtls_strerror(r, eb, sizeof(eb));
		log_warnx("%s: ssl_config_defaults: %s", __func__, eb);
		goto fail;
	}
	mbedtls_ssl_conf_authmode(&hc.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&hc.conf, &hc.ca, NULL);
	mbedtls_ssl_conf_rng(&hc.conf, mbedtls_ctr_drbg_random, &hc.drbg);
	TLS_CONF_MIN_TLS12(&hc.conf);
	return 0;
fail:
	hc_shutdown();
	return -1;
}

void
hc_shutdown(void)
{
	if (!hc.live)
		return;
	mbedtls_ssl_config_free(&hc.conf);
	mbedtls_x509_crt_free(&hc.ca);
	mbedtls_ctr_drbg_free(&hc.drbg);
	mbedtls_entropy_free(&hc.entropy);
	hc.live = 0;
}

int
hc_url_parse(const char *s, struct hc_url *u, const char **err)
{
	const char	*h, *e, *p;
	size_t		 n;
	long		 port;
	char		*end;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "https://", 8) == 0) {
		u->tls = 1;
		h = s + 8;
	} else if (strncasecmp(s, "http://", 7) == 0)
		h = s + 7;
	else {
		*err = "URL scheme must be https:// or http://";
		return -1;
	}
	if (*h == '[') {
		*err = "IPv6 literal addresses are not supported";
		return -1;
	}
	e = h + strcspn(h, ":/?#");
	n = e - h;
	if (memchr(h, '@', strcspn(h, "/?#")) != NULL) {
		*err = "user info in the URL is not supported";
		return -1;
	}
	if (n == 0 || n >= sizeof(u->host)) {
		*err = n == 0 ? "URL has no host" : "URL host is too long";
		return -1;
	}
	for (p = h; p < e; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_')) {
			*err = "URL host has a bad character";
			return -1;
		}
	memcpy(u->host, h, n);
	if (*e == ':') {
		/* Digits only: strtol alone would take " +80". */
		port = strtol(e + 1, &end, 10);
		if (e[1] < '0' || e[1] > '9' || port < 1 || port > 65535 ||
		    (*end != '\0' && strchr("/?#", *end) == NULL)) {
			*err = "URL port is not 1..65535";
			return -1;
		}
		snprintf(u->port, sizeof(u->port), "%ld", port);
		e = end;
	} else
		snprintf(u->port, sizeof(u->port), "%s", u->tls ? "443" : "80");
	n = strcspn(e, "#");
	/* A bare "?q" means "/?q" (RFC 9112 section 3.2.1). */
	if (n + (*e != '/') >= sizeof(u->path)) {
		*err = "URL path is too long";
		return -1;
	}
	for (p = e; p < e + n; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			*err = "URL path has a space or control byte";
			return -1;
		}
	snprintf(u->path, sizeof(u->path), "%s%.*s", *e == '/' ? "" : "/",
	    (int)n, e);
	return 0;
}

int
hc_request_head(char *buf, size_t cap, const char *method,
    const struct hc_url *u, int64_t clen, const char *extra)
{
	char	 hostport[HC_HOST_MAX + 8], cl[48];
	int	 dflt, n;

	/* Host carries the port only when it is not the scheme's own. */
	dflt = strcmp(u->port, u->tls ? "443" : "80") == 0;
	snprintf(hostport, sizeof(hostport), "%s%s%s", u->host,
	    dflt ? "" : ":", dflt ? "" : u->port);
	cl[0] = '\0';
	if (clen >= 0)
		snprintf(cl, sizeof(cl), "Content-Length: %lld\r\n",
		    (long long)clen);
	n = snprintf(buf, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n%s%s\r\n", method, u->path, hostport, cl,
	    extra != NULL ? extra : "");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

int
hc_start(struct hc_xfer *x)
{
	struct evutil_addrinfo	 hints;
	struct evdns_getaddrinfo_request *req;
	const char		*h = x->url->host;

	x->fd = -1;
	x->ev_set = 0;
	x->dnsreq = NULL;
	x->ai = x->ai_next = NULL;
	x->ssl_live = 0;
	x->sent = 0;
	x->conn_errno = 0;
	x->reason[0] = '\0';
	x->failed_in = HC_IDLE;
	x->state = HC_IDLE;
	if (!hc.live) {
		snprintf(x->reason, sizeof(x->reason), "hc_init not done");
		return -1;
	}
	http_parse_init(&x->resp, x->hbuf, x->hcap, x->body_max,
	    x->parse_flags);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV;

	/*
	 * A numeric host needs no resolver: straight to CONNECT, with the
	 * address in the struct (getaddrinfo would allocate one).
	 */
	memset(&x->num_sa, 0, sizeof(x->num_sa));
	if (evutil_inet_pton(AF_INET, h, &x->num_sa.sin_addr) == 1) {
		x->num_sa.sin_family = AF_INET;
		x->num_sa.sin_port = htons((uint16_t)atoi(x->url->port));
		memset(&x->num_ai, 0, sizeof(x->num_ai));
		x->num_ai.ai_family = AF_INET;
		x->num_ai.ai_socktype = SOCK_STREAM;
		x->num_ai.ai_protocol = IPPROTO_TCP;
		x->num_ai.ai_addr = (struct sockaddr *)&x->num_sa;
		x->num_ai.ai_addrlen = sizeof(x->num_sa);
		x->ai_next = &x->num_ai;	/* x->ai stays NULL: not freed */
		hc_enter(x, HC_CONNECT);
		hc_arm(x, hc_connect_next(x));
		return 0;
	}
	if (evutil_getaddrinfo(h, x->url->port, &hints, &x->ai) == 0) {
		x->ai_next = x->ai;
		hc_enter(x, HC_CONNECT);
		hc_arm(x, hc_connect_next(x));
		return 0;
	}
	x->ai = NULL;
	if (hc.dns == NULL) {
		snprintf(x->reason, sizeof(x->reason),
		    "%.120s: not a numeric address and no resolver", h);
		return -1;
	}
	hints.ai_flags = EVUTIL_AI_NUMERICSERV | EVUTIL_AI_ADDRCONFIG;
	hc_enter(x, HC_RESOLVE);
	hc_arm(x, 0);
	/*
	 * evdns may answer at once (the hosts file, a cached name) and call
	 * hc_on_resolved() from in here; it then returns NULL.
	 */
	req = evdns_getaddrinfo(hc.dns, h, x->url->port, &hints,
	    hc_on_resolved, x);
	if (req != NULL && x->state == HC_RESOLVE)
		x->dnsreq = req;
	return 0;
}

void
hc_cancel(struct hc_xfer *x)
{
	/* A struct never started (zeroed) owns nothing, not even fd 0. */
	if (x->state == HC_IDLE && !x->ev_set)
		return;
	hc_release(x);
	if (x->ev_set) {
		event_del(&x->ev);
		x->ev_set = 0;
	}
	x->state = HC_IDLE;
}

/* All transitions come here, so the debug log shows each one. */
static void
hc_enter(struct hc_xfer *x, enum hc_state s)
{
	unsigned	ms = x->timeout_ms ? x->timeout_ms : HC_TIMEOUT_MS;

	log_debug("hc %s:%s: %s -> %s", x->url->host, x->url->port,
	    hc_strstate(x->state), hc_strstate(s));
	x->state = s;
	x->deadline = hc_now_ms() + ms;
}

/*
 * Wait for `what` on the socket (0: for nothing but the phase timer),
 * with what is left of this phase's time as the timeout.
 */
static void
hc_arm(struct hc_xfer *x, short what)
{
	struct timeval	 tv;
	uint64_t	 now = hc_now_ms(), left;

	if (x->state == HC_DONE || x->state == HC_FAILED)
		return;
	left = x->deadline > now ? x->deadline - now : 0;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	if (x->ev_set)
		event_del(&x->ev);
	event_assign(&x->ev, hc.base, what ? x->fd : -1, what, hc_on_event, x);
	x->ev_set = 1;
	event_add(&x->ev, &tv);
	/*
	 * mbedTLS may hold decrypted bytes the socket will never signal
	 * again; let the loop come straight back for them.
	 */
	if ((what & EV_READ) && x->ssl_live &&
	    mbedtls_ssl_check_pending(&x->ssl))
		event_active(&x->ev, EV_READ, 0);
}

static void
hc_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct hc_xfer	*x = arg;
	short		 next;

	(void)fd;
	if (what & EV_TIMEOUT) {
		hc_fail(x, "timeout in %s after %u ms", hc_strstate(x->state),
		    x->timeout_ms ? x->timeout_ms : HC_TIMEOUT_MS);
		return;
	}
	if (hc_handlers[x->state] == NULL) {
		hc_fail(x, "internal: event in state %s",
		    hc_strstate(x->state));
		return;
	}
	if ((next = hc_handlers[x->state](x, what)) != 0)
		hc_arm(x, next);
}

static void
hc_on_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
	struct hc_xfer	*x = arg;

	/* Cancelled by hc_release(): x may be gone or reused; touch nothing. */
	if (result == EVUTIL_EAI_CANCEL)
		return;
	x->dnsreq = NULL;
	if (result != 0 || ai == NULL) {
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		hc_fail(x, "cannot resolve %s: %s", x->url->host,
		    evutil_gai_strerror(result));
		return;
	}
	x->ai = x->ai_next = ai;
	hc_enter(x, HC_CONNECT);
	hc_arm(x, hc_connect_next(x));
}

/* Start a non-blocking connect to the next address; EV_WRITE or 0. */
static short
hc_connect_next(struct hc_xfer *x)
{
	struct evutil_addrinfo	*ai;

	while ((ai = x->ai_next) != NULL) {
		x->ai_next = ai->ai_next;
		if (x->fd != -1) {
			close(x->fd);
			x->fd = -1;
		}
		if ((x->fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1) {
			x->conn_errno = errno;
			continue;
		}
		if (evutil_make_socket_nonblocking(x->fd) == -1 ||
		    evutil_make_socket_closeonexec(x->fd) == -1) {
			x->conn_errno = errno;
			continue;
		}
		/* Done at once or under way: SO_ERROR says which, later. */
		if (connect(x->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			return EV_WRITE;
		x->conn_errno = errno;
	}
	hc_fail(x, "connect to %s port %s: %s", x->url->host, x->url->port,
	    strerror(x->conn_errno ? x->conn_errno : EHOSTUNREACH));
	return 0;
}

static short
hc_on_connect(struct hc_xfer *x, short what)
{
	socklen_t	 len = sizeof(int);
	int		 err = 0, r;

	(void)what;
	if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		x->conn_errno = err;
		return hc_connect_next(x);
	}
	x->wp = x->req;
	x->wlen = x->reqlen;
	x->woff = 0;
	x->file_left = x->body_fd >= 0 ? x->body_size : 0;
	if (!x->url->tls) {
		hc_enter(x, HC_SEND);
		return EV_WRITE;
	}
	mbedtls_ssl_init(&x->ssl);
	x->ssl_live = 1;
	/* SNI and the name the certificate must carry, in one call. */
	if ((r = mbedtls_ssl_setup(&x->ssl, &hc.conf)) != 0 ||
	    (r = mbedtls_ssl_set_hostname(&x->ssl, x->url->host)) != 0) {
		hc_tls_fail(x, "TLS setup", r);
		return 0;
	}
	mbedtls_ssl_set_bio(&x->ssl, x, hc_bio_send, hc_bio_recv, NULL);
	hc_enter(x, HC_HANDSHAKE);
	return EV_WRITE;
}

/* One handshake step per readiness; WANT_* says which readiness next. */
static short
hc_on_handshake(struct hc_xfer *x, short what)
{
	int	 r;

	(void)what;
	r = mbedtls_ssl_handshake(&x->ssl);
	if (r == MBEDTLS_ERR_SSL_WANT_READ)
		return EV_READ;
	if (r == MBEDTLS_ERR_SSL_WANT_WRITE)
		return EV_WRITE;
	if (r != 0) {
		hc_tls_fail(x, "TLS handshake", r);
		return 0;
	}
	log_debug("hc %s: %s, %s", x->url->host, mbedtls_ssl_get_version(
	    &x->ssl), mbedtls_ssl_get_ciphersuite(&x->ssl));
	hc_enter(x, HC_SEND);
	return EV_WRITE;
}

/* The caller's request bytes, then the file in HC_CHUNK pieces. */
static short
hc_on_send(struct hc_xfer *x, short what)
{
	ssize_t	 n;
	short	 want;

	(void)what;
	for (;;) {
		if (x->woff < x->wlen) {
			n = hc_write(x, x->wp + x->woff, x->wlen - x->woff,
			    &want);
			if (n < 0)
				return 0;
			if (n == 0)
				return want;
			x->woff += n;
			x->sent += n;
			continue;
		}
		if (x->file_left == 0)
			break;
		n = read(x->body_fd, x->chunk, x->file_left < HC_CHUNK ?
		    (size_t)x->file_left : HC_CHUNK);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			hc_fail(x, "body file: %s", n == 0 ?
			    "ended before its size" : strerror(errno));
			return 0;
		}
		x->wp = x->chunk;
		x->wlen = n;
		x->woff = 0;
		x->file_left -= n;
	}
	hc_enter(x, HC_RECV_HEAD);
	return EV_READ;
}

static short
hc_on_recv(struct hc_xfer *x, short what)
{
	ssize_t	 n;
	short	 want;
	int	 i;

	(void)what;
	for (i = 0; i < HC_READS_PER_TURN; i++) {
		n = hc_read(x, x->rbuf, sizeof(x->rbuf), &want);
		if (n < 0)
			return 0;
		if (n == 0 && want)
			return want;
		if (n == 0) {
			if (http_parse_eof(&x->resp) == HTTP_PARSE_DONE)
				hc_finish(x, HC_DONE);
			else
				hc_fail(x, "bad response: %s",
				    x->resp.error);
			return 0;
		}
		if (hc_feed(x, x->rbuf, n) != 0)
			return 0;
	}
	return EV_READ;
}

/* Feed one read to the parser: 0 wants more, 1 when DONE or FAILED. */
static int
hc_feed(struct hc_xfer *x, const char *p, size_t n)
{
	size_t	 used;

	for (;;) {
		switch (http_parse_feed(&x->resp, p, n, &used)) {
		case HTTP_PARSE_MORE:
			return 0;
		case HTTP_PARSE_HEADERS:
			hc_enter(x, HC_RECV_BODY);
			break;
		case HTTP_PARSE_BODY:
			if (x->on_body != NULL && x->on_body(x, x->resp.body,
			    x->resp.body_len) != 0) {
				hc_fail(x, "body refused by the caller");
				return 1;
			}
			break;
		case HTTP_PARSE_DONE:
			hc_finish(x, HC_DONE);
			return 1;
		default:
			hc_fail(x, "bad response: %s", x->resp.error);
			return 1;
		}
		p += used;
		n -= used;
	}
	/* NOTREACHED */
}

/* n > 0 written; 0 with *want; -1 failed. */
static ssize_t
hc_write(struct hc_xfer *x, const char *p, size_t n, short *want)
{
	ssize_t	 r;

	*want = 0;
	if (x->ssl_live) {
		r = mbedtls_ssl_write(&x->ssl, (const unsigned char *)p, n);
		if (r == MBEDTLS_ERR_SSL_WANT_WRITE)
			*want = EV_WRITE;
		else if (r == MBEDTLS_ERR_SSL_WANT_READ)
			*want = EV_READ;
		else if (r < 0) {
			hc_tls_fail(x, "TLS write", (int)r);
			return -1;
		}
		return *want ? 0 : r;
	}
	r = send(x->fd, p, n, MSG_NOSIGNAL);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		*want = EV_WRITE;
		return 0;
	}
	hc_fail(x, "send: %s", strerror(errno));
	return -1;
}

/* n > 0 read; 0 with *want (try later) or without (end of stream); -1. */
static ssize_t
hc_read(struct hc_xfer *x, char *p, size_t n, short *want)
{
	ssize_t	 r;

	*want = 0;
	if (x->ssl_live) {
		r = mbedtls_ssl_read(&x->ssl, (unsigned char *)p, n);
		if (r == MBEDTLS_ERR_SSL_WANT_READ)
			*want = EV_READ;
		else if (r == MBEDTLS_ERR_SSL_WANT_WRITE)
			*want = EV_WRITE;
		else if (r == TLS_ERR_NEW_TICKET)
			*want = EV_READ;
		/* Without close_notify too: framing, not TLS, says "whole". */
		else if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
		    r == MBEDTLS_ERR_SSL_CONN_EOF)
			return 0;
		else if (r < 0) {
			hc_tls_fail(x, "TLS read", (int)r);
			return -1;
		}
		return *want ? 0 : r;
	}
	r = recv(x->fd, p, n, 0);
	if (r >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		*want = EV_READ;
		return 0;
	}
	hc_fail(x, "recv: %s", strerror(errno));
	return -1;
}

/*
 * The BIO under mbedTLS: plain non-blocking send/recv.  EAGAIN becomes
 * WANT_WRITE/WANT_READ, which the handler turns into the matching event;
 * nothing here waits or retries.
 */
static int
hc_bio_send(void *arg, const unsigned char *p, size_t n)
{
	struct hc_xfer	*x = arg;
	ssize_t		 r;

	r = send(x->fd, p, n, MSG_NOSIGNAL);
	if (r >= 0)
		return (int)r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	x->conn_errno = errno;
	return errno == EPIPE || errno == ECONNRESET ?
	    MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
hc_bio_recv(void *arg, unsigned char *p, size_t n)
{
	struct hc_xfer	*x = arg;
	ssize_t		 r;

	r = recv(x->fd, p, n, 0);
	if (r >= 0)
		return (int)r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	x->conn_errno = errno;
	return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET :
	    MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Certificate problems by name, most telling first. */
static const struct {
	uint32_t	 flag;
	const char	*what;
} hc_badcert[] = {
	{ MBEDTLS_X509_BADCERT_NOT_TRUSTED,	"certificate not trusted" },
	{ MBEDTLS_X509_BADCERT_CN_MISMATCH,	"host name mismatch" },
	{ MBEDTLS_X509_BADCERT_EXPIRED,		"certificate expired" },
	{ MBEDTLS_X509_BADCERT_FUTURE,		"certificate not yet valid" },
	{ MBEDTLS_X509_BADCERT_REVOKED,		"certificate revoked" },
	{ MBEDTLS_X509_BADCERT_KEY_USAGE,	"bad key usage" },
	{ MBEDTLS_X509_BADCERT_EXT_KEY_USAGE,	"bad extended key usage" },
	{ MBEDTLS_X509_BADCERT_BAD_MD,		"weak signature hash" },
	{ MBEDTLS_X509_BADCERT_BAD_KEY,		"weak key" },
};

static void
hc_tls_fail(struct hc_xfer *x, const char *op, int r)
{
	char		 why[128], info[256];
	uint32_t	 flags;
	size_t		 i, n = 0;

	if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		flags = mbedtls_ssl_get_verify_result(&x->ssl);
		why[0] = '\0';
		for (i = 0; i < sizeof(hc_badcert) / sizeof(hc_badcert[0]);
		    i++)
			if ((flags & hc_badcert[i].flag) && n < sizeof(why))
				n += snprintf(why + n, sizeof(why) - n, "%s%s",
				    n ? ", " : "", hc_badcert[i].what);
		if (mbedtls_x509_crt_verify_info(info, sizeof(info), "",
		    flags) > 0)
			log_debug("hc %s: verify: %s", x->url->host, info);
		hc_fail(x, "%s: certificate verification failed: %s", op,
		    why[0] ? why : "unknown reason");
		return;
	}
	if ((r == MBEDTLS_ERR_NET_CONN_RESET || r == MBEDTLS_ERR_NET_SEND_FAILED
	    || r == MBEDTLS_ERR_NET_RECV_FAILED) && x->conn_errno != 0) {
		hc_fail(x, "%s: %s", op, strerror(x->conn_errno));
		return;
	}
	mbedtls_strerror(r, why, sizeof(why));
	hc_fail(x, "%s: %s (-0x%04x)", op, why, (unsigned)-r);
}

static void
hc_fail(struct hc_xfer *x, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(x->reason, sizeof(x->reason), fmt, ap);
	va_end(ap);
	x->failed_in = x->state;
	log_debug("hc %s: failed in %s: %s", x->url->host,
	    hc_strstate(x->state), x->reason);
	hc_finish(x, HC_FAILED);
}

/*
 * Free the connection now, and call `done` from the loop on the next
 * turn, so that no caller of ours ever sees `done` run beneath it.
 */
static void
hc_finish(struct hc_xfer *x, enum hc_state s)
{
	hc_release(x);
	hc_enter(x, s);
	if (x->ev_set)
		event_del(&x->ev);
	event_assign(&x->ev, hc.base, -1, 0, hc_on_finish, x);
	x->ev_set = 1;
	event_active(&x->ev, EV_TIMEOUT, 0);
}

static void
hc_on_finish(evutil_socket_t fd, short what, void *arg)
{
	struct hc_xfer	*x = arg;

	(void)fd;
	(void)what;
	x->ev_set = 0;
	x->done(x, x->state == HC_DONE);
}

/* Everything but the event: socket, TLS context, DNS, addresses. */
static void
hc_release(struct hc_xfer *x)
{
	struct evdns_getaddrinfo_request *req;

	if ((req = x->dnsreq) != NULL) {
		x->dnsreq = NULL;
		evdns_getaddrinfo_cancel(req);
	}
	if (x->ssl_live) {
		mbedtls_ssl_free(&x->ssl);
		x->ssl_live = 0;
	}
	if (x->fd != -1) {
		close(x->fd);
		x->fd = -1;
	}
	if (x->ai != NULL) {
		evutil_freeaddrinfo(x->ai);
		x->ai = x->ai_next = NULL;
	}
}

static uint64_t
hc_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
