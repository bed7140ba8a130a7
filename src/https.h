/*
 * https.h -- one non-blocking HTTP/1.1 transfer over TLS (mbedTLS) or,
 * when the URL says http://, plain TCP, driven by libevent readiness:
 * RESOLVE (evdns) -> CONNECT -> HANDSHAKE -> SEND -> RECV_HEAD ->
 * RECV_BODY -> DONE, or FAILED from any of them with a reason.
 * SPDX-License-Identifier: ISC
 *
 * This is the transport of the uploader (DESIGN.md section 10); it knows
 * nothing about presigning, spools or retries.
 *
 * Ownership and lifetimes:
 * - struct hc_xfer is the caller's (embedded or static) from hc_start()
 *   until `done` has been called or hc_cancel() returned.  It holds the
 *   read buffer and the file-chunk buffer itself.
 * - The request bytes (req, reqlen), the header buffer (hbuf, hcap) and
 *   the URL are the caller's and must stay valid as long as the transfer.
 *   The request is sent as given: the caller writes the request line and
 *   headers (hc_request_head() helps), and any small body after them.
 * - For a PUT of a file, body_fd (read from its current offset, never
 *   closed here) supplies body_size more bytes after req, read and sent
 *   in HC_CHUNK pieces.  A short file fails the transfer.
 * - Body bytes reach on_body() straight from the read buffer, valid only
 *   during that call.  on_body() returns 0, or -1 to abort the transfer.
 * - `done` runs exactly once per successful hc_start(), always from the
 *   event loop and never from inside hc_start(); ok is 1 when a whole
 *   response was read (any status: look at resp.status), 0 with `reason`
 *   set.  The struct may be freed or restarted from inside `done`.
 *
 * Timeouts: each phase gets timeout_ms afresh when it is entered (0
 * means HC_TIMEOUT_MS); running past it fails with "timeout in PHASE".
 *
 * Allocation: mbedTLS 2.28 allocates.  mbedtls_ssl_setup() callocs the
 * two record buffers (about 2 x 16.5 KiB), and the handshake callocs
 * its parameters, the parsed peer chain and key-exchange scratch; all of
 * it is freed when the transfer ends.  evdns and evutil_getaddrinfo
 * allocate the address list of a name (a numeric IPv4 host needs none).  MBEDTLS_MEMORY_BUFFER_ALLOC_C with a
 * static arena would end that; it is not done yet.  hc_init() allocates
 * the CA chain once, at startup.
 *
 * Reading the body file is an ordinary read(2) of a regular file: it
 * can block on a slow disk for as long as one HC_CHUNK read takes.
 */
#ifndef HTTPS_H
#define HTTPS_H

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <mbedtls/ssl.h>

#include "http_parse.h"

#define HC_TIMEOUT_MS	30000
#define HC_HOST_MAX	256		/* a DNS name, NUL included */
#define HC_PATH_MAX	4096		/* path and query, NUL included */
#define HC_RBUF		16384		/* one TLS record's worth */
#define HC_CHUNK	16384		/* file bytes read per write */
#define HC_REASON_MAX	192
#define HC_CA_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"

struct evdns_base;
struct evdns_getaddrinfo_request;
struct evutil_addrinfo;

enum hc_state {
	HC_IDLE,
	HC_RESOLVE,
	HC_CONNECT,
	HC_HANDSHAKE,
	HC_SEND,
	HC_RECV_HEAD,
	HC_RECV_BODY,
	HC_DONE,
	HC_FAILED,
	HC_STATE_MAX
};

/* A parsed URL; all strings NUL-terminated, in the struct. */
struct hc_url {
	int		 tls;			/* https:// */
	char		 host[HC_HOST_MAX];
	char		 port[6];		/* digits, default 443/80 */
	char		 path[HC_PATH_MAX];	/* "/..." with the query */
};

struct hc_xfer;
typedef int	(*hc_body_fn)(struct hc_xfer *, const char *, size_t);
typedef void	(*hc_done_fn)(struct hc_xfer *, int ok);

struct hc_xfer {
	/* Set by the caller before hc_start(); read-only after. */
	const struct hc_url *url;
	const char	*req;			/* request head (+ body) */
	size_t		 reqlen;
	int		 body_fd;		/* -1: none */
	uint64_t	 body_size;
	char		*hbuf;			/* for http_parse */
	size_t		 hcap;
	uint64_t	 body_max;		/* or HTTP_PARSE_NOLEN */
	unsigned	 parse_flags;		/* HTTP_PARSE_F_HEAD for HEAD */
	unsigned	 timeout_ms;		/* per phase; 0: HC_TIMEOUT_MS */
	hc_body_fn	 on_body;		/* may be NULL */
	hc_done_fn	 done;
	void		*arg;			/* the caller's */

	/* Results: valid in `done`. */
	enum hc_state	 state;
	struct http_resp resp;			/* status, headers (in hbuf) */
	uint64_t	 sent;			/* bytes written, head included */
	char		 reason[HC_REASON_MAX];	/* why it FAILED */
	enum hc_state	 failed_in;		/* the phase that failed */

	/* Private to https.c. */
	int		 fd;
	struct event	 ev;			/* the one I/O or timer event */
	int		 ev_set;
	uint64_t	 deadline;		/* ms, monotonic */
	struct evdns_getaddrinfo_request *dnsreq;
	struct evutil_addrinfo *ai, *ai_next;
	struct evutil_addrinfo num_ai;		/* a numeric IPv4 host's */
	struct sockaddr_in num_sa;
	int		 conn_errno;		/* the last connect failure */
	mbedtls_ssl_context ssl;
	int		 ssl_live;
	const char	*wp;			/* what SEND is writing */
	size_t		 wlen, woff;
	uint64_t	 file_left;
	char		 rbuf[HC_RBUF];
	char		 chunk[HC_CHUNK];
};

/*
 * Once, at startup: the loop, the shared resolver (NULL: numeric hosts
 * only), and the CA bundle (NULL: HC_CA_BUNDLE).  Seeds a CTR-DRBG from
 * mbedtls_entropy and builds the client TLS config: TLS 1.2 or later,
 * verification REQUIRED.  0, or -1 logged.
 */
int	hc_init(struct event_base *, struct evdns_base *, const char *ca_file);
void	hc_shutdown(void);

/*
 * Parse "http[s]://host[:port][/path][?query]" into *u; a fragment is
 * dropped.  Refused, with a static message in *err: other schemes,
 * user info, IPv6 literals ("[...]"), empty or over-long parts.
 */
int	hc_url_parse(const char *, struct hc_url *, const char **err);

/*
 * Write "METHOD path HTTP/1.1", Host, Connection: close, Content-Length
 * when clen >= 0, the caller's `extra` header lines (each ending in
 * CRLF; may be NULL) and the blank line into buf.  The length, or -1 if
 * cap is too small.
 */
int	hc_request_head(char *buf, size_t cap, const char *method,
	    const struct hc_url *, int64_t clen, const char *extra);

/*
 * Start the transfer the caller's fields describe.  0: `done` will run
 * later.  -1: nothing started, no callback, `reason` says why.
 */
int	hc_start(struct hc_xfer *);

/* Stop a transfer at once, without calling `done`; idle ones too. */
void	hc_cancel(struct hc_xfer *);

const char	*hc_strstate(enum hc_state);

#endif /* HTTPS_H */
