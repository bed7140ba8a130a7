/*
 * http_parse.h -- an incremental HTTP/1.x response parser over caller-owned
 * storage: the status line, the headers, and a body framed by
 * Content-Length, by chunked coding, or by the end of the connection.
 * SPDX-License-Identifier: ISC
 *
 * It is written for callers that get bytes in arbitrary pieces (a TLS
 * read, a non-blocking socket): http_parse_feed() takes what it can of
 * each piece and says what happened.  Nothing here allocates and nothing
 * blocks; a parser is a struct http_resp the caller embeds, plus a header
 * buffer the caller supplies.
 *
 * Ownership and lifetimes:
 * - `hbuf` (hcap bytes) belongs to the caller and must outlive the parser.
 *   The reason phrase and the headers live in it, NUL-terminated, from
 *   HTTP_PARSE_HEADERS until the next http_parse_init() on it.
 * - Body bytes are never copied: with HTTP_PARSE_BODY, `body` points into
 *   the input of that very call and is valid as long as that input is.
 * - `error` points into the struct itself (errbuf) and stays valid as
 *   long as it does.
 *
 * Caps, each said in the error that reports it:
 * - hcap bounds the bytes of each head (status line and headers, CRLFs
 *   included), and, separately, of the chunked trailers;
 * - body_max bounds the decoded body, whatever frames it (HTTP_PARSE_NOLEN
 *   means no bound, for event streams that are expected to run forever);
 * - HTTP_PARSE_CHUNK_LINE_MAX bounds one chunk-size line with extensions;
 * - HTTP_PARSE_INTERIM_MAX bounds the 1xx responses before the final one.
 *
 * Protocol decisions (RFC 9112):
 * - Lines end in CRLF.  A bare LF or a bare CR is refused everywhere (the
 *   RFC lets a recipient accept a bare LF; we talk to evhttp and to object
 *   stores, which never send one, and strict framing leaves no room for
 *   two parsers to disagree about where a response ends).
 * - Transfer-Encoding must be exactly "chunked", given once, in HTTP/1.1;
 *   Transfer-Encoding together with Content-Length is refused, as the RFC
 *   allows ("ought to be handled as an error"), rather than chunked winning.
 * - Content-Length is 1*DIGIT and nothing else (no sign, no list); repeats
 *   with the same value are accepted, repeats that disagree are refused.
 * - Neither length: the body ends at the end of the connection, which the
 *   caller reports with http_parse_eof().
 * - 1xx responses (100 Continue) are skipped, headers and all; 101 is
 *   refused (we never ask to switch protocols).  204, 304 and any answer
 *   to a HEAD (HTTP_PARSE_F_HEAD) have no body, whatever their headers say.
 * - Header names are tokens with no space before the colon; obsolete line
 *   folding, NUL and other control bytes in a line are refused.
 */
#ifndef HTTP_PARSE_H
#define HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_PARSE_HEAD_MAX	8192	/* a sensible hcap */
#define HTTP_PARSE_CHUNK_LINE_MAX 256	/* "size;ext=val" CRLF */
#define HTTP_PARSE_INTERIM_MAX	8	/* 1xx answers before the final one */
#define HTTP_PARSE_NOLEN	UINT64_MAX

/* http_parse_init() flags. */
#define HTTP_PARSE_F_HEAD	0x01	/* the request was HEAD: no body */

/* What one http_parse_feed() call found. */
enum http_parse_rc {
	HTTP_PARSE_MORE,	/* all the input was used; feed more, or EOF */
	HTTP_PARSE_HEADERS,	/* the final head is in: status, headers */
	HTTP_PARSE_BODY,	/* body_len > 0 bytes at body, in the input */
	HTTP_PARSE_DONE,	/* the response is complete */
	HTTP_PARSE_ERROR,	/* `error` says why; the parser stays here */
	HTTP_PARSE_RC_MAX
};

/* Where the parser is; private, but here so that callers can embed it. */
enum http_parse_state {
	HTTP_PARSE_S_STATUS,
	HTTP_PARSE_S_HEADER,
	HTTP_PARSE_S_BODY_LEN,		/* Content-Length bytes */
	HTTP_PARSE_S_BODY_EOF,		/* until the connection ends */
	HTTP_PARSE_S_CHUNK_SIZE,
	HTTP_PARSE_S_CHUNK_EXT,
	HTTP_PARSE_S_CHUNK_SIZE_LF,
	HTTP_PARSE_S_CHUNK_DATA,
	HTTP_PARSE_S_CHUNK_DATA_CR,
	HTTP_PARSE_S_CHUNK_DATA_LF,
	HTTP_PARSE_S_TRAILER,
	HTTP_PARSE_S_DONE,
	HTTP_PARSE_S_ERROR,
	HTTP_PARSE_S_MAX
};

struct http_resp {
	/* Set by http_parse_init(), then read-only. */
	char		*hbuf;		/* the caller's, hcap bytes */
	size_t		 hcap;
	uint64_t	 body_max;	/* or HTTP_PARSE_NOLEN */
	unsigned	 flags;

	/*
	 * The status of the head being read, from its status line on (a
	 * 1xx, or the final one); 0 until one is read: an error then means
	 * the peer does not speak HTTP at all.
	 */
	int		 code;

	/* Valid from HTTP_PARSE_HEADERS on. */
	int		 status;	/* 200..599 (0 before) */
	int		 minor;		/* HTTP/1.minor */
	const char	*reason;	/* in hbuf; may be "" */
	uint64_t	 clen;		/* Content-Length or HTTP_PARSE_NOLEN */
	int		 chunked;
	int		 conn_close;	/* the server will not keep it open */

	/* Valid with HTTP_PARSE_BODY, until that input goes. */
	const char	*body;
	size_t		 body_len;
	uint64_t	 body_seen;	/* body bytes delivered so far */

	/* Valid with HTTP_PARSE_ERROR. */
	const char	*error;
	char		 errbuf[128];

	/* Private to http_parse.c. */
	enum http_parse_state state;
	size_t		 hlen;		/* bytes of hbuf holding headers */
	size_t		 line;		/* bytes of the line in progress */
	size_t		 raw;		/* bytes of this head (or trailer) */
	uint64_t	 left;		/* bytes left in the body or chunk */
	uint64_t	 chunk;		/* the chunk size being read */
	unsigned	 interim;	/* 1xx answers skipped */
	int		 te, cl;	/* the headers were seen */
	int		 ka;		/* "Connection: keep-alive" */
	int		 ext;		/* past the ';' of a chunk extension */
	int		 cr;		/* a trailer line ends in CR so far */
};

/*
 * Start parsing one response.  hbuf (hcap bytes, at least 64) is the
 * caller's for the parser's whole life; body_max caps the decoded body.
 */
void	http_parse_init(struct http_resp *, char *hbuf, size_t hcap,
	    uint64_t body_max, unsigned flags);

/*
 * Take what can be taken of the n bytes at p and set *used to how many
 * were; the rest are the caller's to feed again.  One event per call:
 * HTTP_PARSE_MORE only when *used == n (every byte taken, more needed);
 * HTTP_PARSE_HEADERS once, on the final (non-1xx) head; HTTP_PARSE_BODY
 * with body/body_len inside [p, p + *used); HTTP_PARSE_DONE once the
 * response is complete, with *used where it ended (later bytes are not
 * part of it; DONE comes again, taking nothing, on every later call);
 * HTTP_PARSE_ERROR, sticky, with `error` set (then *used is at most n
 * and says nothing more).  n may be 0.  Where the input is cut never
 * changes the events, the body bytes, or the error.  So a caller feeds
 * each piece until MORE, DONE or ERROR: DONE comes from the call after
 * the last BODY, which may have no bytes left to give it.
 */
enum http_parse_rc http_parse_feed(struct http_resp *, const char *p,
	    size_t n, size_t *used);

/*
 * The connection ended.  HTTP_PARSE_DONE when that completes the response
 * (a body framed by the close, or a response already done), else
 * HTTP_PARSE_ERROR saying where it was cut.
 */
enum http_parse_rc http_parse_eof(struct http_resp *);

/*
 * The value of the first header called `name` (any case), trimmed and
 * NUL-terminated in hbuf, or NULL.  Valid from HTTP_PARSE_HEADERS on.
 */
const char	*http_parse_header(const struct http_resp *, const char *name);

/*
 * Walk every header in order: start with *pos = 0; 1 with *name and
 * *value set, 0 at the end.  Repeated headers come once each.
 */
int	 http_parse_header_next(const struct http_resp *, size_t *pos,
	    const char **name, const char **value);

/*
 * A Retry-After value (RFC 9110 10.2.3): delay-seconds, or an HTTP-date
 * in any of its three forms (IMF-fixdate, RFC 850, asctime), taken
 * against `now` (Unix seconds).  *delay_s is the wait in seconds, 0 for
 * a date in the past, at most HTTP_RETRY_AFTER_MAX.  0, or -1 when the
 * value is neither.
 */
#define HTTP_RETRY_AFTER_MAX	(7 * 86400)
int	http_retry_after(const char *v, int64_t now, int64_t *delay_s);

/* "more", "headers", "body", "done", "error": for logs. */
const char	*http_parse_strrc(enum http_parse_rc);

#endif /* HTTP_PARSE_H */
