/*
 * http_parse.c -- the incremental HTTP/1.x response parser (http_parse.h).
 * SPDX-License-Identifier: ISC
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_parse.h"
#include "timefmt.h"

#define HP_PRINTF(f, a)	__attribute__((format(printf, f, a)))

typedef enum http_parse_rc	hp_handler(struct http_resp *, const char *,
				    size_t, size_t *);

static hp_handler	hp_on_head, hp_on_body_len, hp_on_body_eof,
			hp_on_chunk_size, hp_on_chunk_ext, hp_on_chunk_size_lf,
			hp_on_chunk_data, hp_on_chunk_data_cr,
			hp_on_chunk_data_lf, hp_on_trailer, hp_on_done,
			hp_on_error;

static enum http_parse_rc hp_take(struct http_resp *, const char *, size_t,
		    size_t *, enum http_parse_state);
static enum http_parse_rc hp_fail(struct http_resp *, const char *, ...)
		    HP_PRINTF(2, 3);
static const char	*hp_quote(char *, size_t, const char *, size_t);
static enum http_parse_rc hp_line(struct http_resp *);
static enum http_parse_rc hp_status_line(struct http_resp *, char *, size_t);
static enum http_parse_rc hp_header_line(struct http_resp *, char *, size_t);
static enum http_parse_rc hp_known(struct http_resp *, const char *,
		    const char *);
static enum http_parse_rc hp_clen(struct http_resp *, const char *);
static void	hp_connection(struct http_resp *, const char *);
static enum http_parse_rc hp_head_done(struct http_resp *);
static void	hp_head_reset(struct http_resp *);
static int	hp_hex(unsigned char);
static int	hp_tchar(unsigned char);
static int	hp_ctl(unsigned char);

/*
 * One handler per state.  Each takes at least one byte of a non-empty
 * input or moves to a state that will, so http_parse_feed() always ends;
 * DONE and ERROR take nothing.
 */
static hp_handler *const hp_handlers[HTTP_PARSE_S_MAX] = {
	[HTTP_PARSE_S_STATUS] = hp_on_head,
	[HTTP_PARSE_S_HEADER] = hp_on_head,
	[HTTP_PARSE_S_BODY_LEN] = hp_on_body_len,
	[HTTP_PARSE_S_BODY_EOF] = hp_on_body_eof,
	[HTTP_PARSE_S_CHUNK_SIZE] = hp_on_chunk_size,
	[HTTP_PARSE_S_CHUNK_EXT] = hp_on_chunk_ext,
	[HTTP_PARSE_S_CHUNK_SIZE_LF] = hp_on_chunk_size_lf,
	[HTTP_PARSE_S_CHUNK_DATA] = hp_on_chunk_data,
	[HTTP_PARSE_S_CHUNK_DATA_CR] = hp_on_chunk_data_cr,
	[HTTP_PARSE_S_CHUNK_DATA_LF] = hp_on_chunk_data_lf,
	[HTTP_PARSE_S_TRAILER] = hp_on_trailer,
	[HTTP_PARSE_S_DONE] = hp_on_done,
	[HTTP_PARSE_S_ERROR] = hp_on_error,
};

/* Where http_parse_eof() says the connection was cut. */
static const char *const hp_where[HTTP_PARSE_S_MAX] = {
	[HTTP_PARSE_S_STATUS] = "the status line",
	[HTTP_PARSE_S_HEADER] = "the headers",
	[HTTP_PARSE_S_CHUNK_SIZE] = "a chunk size",
	[HTTP_PARSE_S_CHUNK_EXT] = "a chunk size",
	[HTTP_PARSE_S_CHUNK_SIZE_LF] = "a chunk size",
	[HTTP_PARSE_S_CHUNK_DATA] = "a chunk",
	[HTTP_PARSE_S_CHUNK_DATA_CR] = "a chunk's CRLF",
	[HTTP_PARSE_S_CHUNK_DATA_LF] = "a chunk's CRLF",
	[HTTP_PARSE_S_TRAILER] = "the trailers",
};

static const char *const hp_rcnames[HTTP_PARSE_RC_MAX] = {
	[HTTP_PARSE_MORE] = "more",
	[HTTP_PARSE_HEADERS] = "headers",
	[HTTP_PARSE_BODY] = "body",
	[HTTP_PARSE_DONE] = "done",
	[HTTP_PARSE_ERROR] = "error",
};

void
http_parse_init(struct http_resp *r, char *hbuf, size_t hcap,
    uint64_t body_max, unsigned flags)
{
	memset(r, 0, sizeof(*r));
	r->hbuf = hbuf;
	r->hcap = hcap;
	r->body_max = body_max;
	r->flags = flags;
	r->clen = HTTP_PARSE_NOLEN;
	r->reason = "";
	r->state = HTTP_PARSE_S_STATUS;
}

enum http_parse_rc
http_parse_feed(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	enum http_parse_rc	rc = HTTP_PARSE_MORE;
	size_t			off = 0, k;

	r->body = NULL;
	r->body_len = 0;
	while (rc == HTTP_PARSE_MORE) {
		if (off == n && r->state != HTTP_PARSE_S_DONE &&
		    r->state != HTTP_PARSE_S_ERROR)
			break;
		k = 0;
		rc = hp_handlers[r->state](r, p + off, n - off, &k);
		off += k;
	}
	*used = off;
	return rc;
}

enum http_parse_rc
http_parse_eof(struct http_resp *r)
{
	switch (r->state) {
	case HTTP_PARSE_S_BODY_EOF:
		r->state = HTTP_PARSE_S_DONE;
		/* FALLTHROUGH */
	case HTTP_PARSE_S_DONE:
		return HTTP_PARSE_DONE;
	case HTTP_PARSE_S_ERROR:
		return HTTP_PARSE_ERROR;
	case HTTP_PARSE_S_BODY_LEN:
		return hp_fail(r, "connection closed %llu bytes into a body "
		    "of %llu", (unsigned long long)r->body_seen,
		    (unsigned long long)r->clen);
	case HTTP_PARSE_S_STATUS:
		if (r->raw == 0 && r->interim == 0)
			return hp_fail(r, "connection closed before any "
			    "answer");
		/* FALLTHROUGH */
	default:
		return hp_fail(r, "connection closed inside %s",
		    hp_where[r->state]);
	}
}

const char *
http_parse_header(const struct http_resp *r, const char *name)
{
	const char	*n, *v;
	size_t		 pos = 0;

	while (http_parse_header_next(r, &pos, &n, &v))
		if (strcasecmp(n, name) == 0)
			return v;
	return NULL;
}

/*
 * hbuf holds the reason phrase and then each header as "name\0value\0",
 * compacted in place as its line was read.
 */
int
http_parse_header_next(const struct http_resp *r, size_t *pos,
    const char **name, const char **value)
{
	if (r->status == 0)
		return 0;
	if (*pos == 0)
		*pos = strlen(r->hbuf) + 1;
	if (*pos >= r->hlen)
		return 0;
	*name = r->hbuf + *pos;
	*value = *name + strlen(*name) + 1;
	*pos = (size_t)(*value - r->hbuf) + strlen(*value) + 1;
	return 1;
}

const char *
http_parse_strrc(enum http_parse_rc rc)
{
	if ((unsigned)rc >= HTTP_PARSE_RC_MAX)
		return "unknown";
	return hp_rcnames[rc];
}

static enum http_parse_rc
hp_fail(struct http_resp *r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(r->errbuf, sizeof(r->errbuf), fmt, ap);
	va_end(ap);
	r->error = r->errbuf;
	r->state = HTTP_PARSE_S_ERROR;
	return HTTP_PARSE_ERROR;
}

/* A peer's bytes for an error message: 40 at most, unprintables as '?'. */
static const char *
hp_quote(char *dst, size_t cap, const char *s, size_t n)
{
	size_t	i;

	if (n > 40)
		n = 40;
	if (n > cap - 1)
		n = cap - 1;
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)s[i] < ' ' ||
		    (unsigned char)s[i] > '~' ? '?' : s[i];
	dst[n] = '\0';
	return dst;
}

/*
 * Status line and headers: gather one line at hbuf + hlen.  Each line
 * read leaves at most its own length behind (compacted), so a head of
 * at most hcap bytes always fits in hbuf.
 */
static enum http_parse_rc
hp_on_head(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	size_t		 avail = r->hcap - r->raw, lim, take;
	const char	*nl;

	lim = n < avail ? n : avail;
	nl = memchr(p, '\n', lim);
	if (nl == NULL && n > avail)
		return hp_fail(r, "headers over %zu bytes", r->hcap);
	take = nl != NULL ? (size_t)(nl - p) + 1 : lim;
	memcpy(r->hbuf + r->hlen + r->line, p, take);
	r->line += take;
	r->raw += take;
	*used = take;
	if (nl == NULL)
		return HTTP_PARSE_MORE;
	return hp_line(r);
}

static enum http_parse_rc
hp_line(struct http_resp *r)
{
	char		*s = r->hbuf + r->hlen;
	size_t		 len = r->line - 1;	/* without the LF */
	const char	*what;

	what = r->state == HTTP_PARSE_S_STATUS ? "status line" : "headers";
	r->line = 0;
	if (len == 0 || s[len - 1] != '\r')
		return hp_fail(r, "bare LF in the %s", what);
	len--;
	if (memchr(s, '\r', len) != NULL)
		return hp_fail(r, "bare CR in the %s", what);
	if (memchr(s, '\0', len) != NULL)
		return hp_fail(r, "NUL byte in the %s", what);
	if (r->state == HTTP_PARSE_S_STATUS)
		return hp_status_line(r, s, len);
	if (len == 0)
		return hp_head_done(r);
	return hp_header_line(r, s, len);
}

/* "HTTP/1.x NNN reason"; the reason may be empty, and so its SP. */
static enum http_parse_rc
hp_status_line(struct http_resp *r, char *s, size_t len)
{
	char	q[48];
	size_t	i, rlen;

	if (len < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' ||
	    s[7] > '9' || s[8] != ' ' || s[9] < '0' || s[9] > '9' ||
	    s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
	    (len > 12 && s[12] != ' '))
		return hp_fail(r, "not an HTTP/1.x status line: \"%s\"",
		    hp_quote(q, sizeof(q), s, len));
	r->minor = s[7] - '0';
	r->code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (r->code < 100 || r->code > 599)
		return hp_fail(r, "status %d out of range", r->code);
	if (r->code == 101)
		return hp_fail(r, "101 Switching Protocols was not asked for");
	rlen = len > 12 ? len - 13 : 0;
	for (i = 0; i < rlen; i++)
		if (hp_ctl((unsigned char)s[13 + i]))
			return hp_fail(r, "control byte in the reason phrase");
	memmove(r->hbuf, s + 13, rlen);
	r->hbuf[rlen] = '\0';
	r->hlen = rlen + 1;
	r->state = HTTP_PARSE_S_HEADER;
	return HTTP_PARSE_MORE;
}

/* "name: value", stored as "name\0value\0" where the line was. */
static enum http_parse_rc
hp_header_line(struct http_resp *r, char *s, size_t len)
{
	char	 q[48], *colon, *v;
	size_t	 nlen, vlen, i;

	if (*s == ' ' || *s == '\t')
		return hp_fail(r, "obsolete line folding in the headers");
	if ((colon = memchr(s, ':', len)) == NULL)
		return hp_fail(r, "header line without a colon: \"%s\"",
		    hp_quote(q, sizeof(q), s, len));
	nlen = (size_t)(colon - s);
	if (nlen == 0)
		return hp_fail(r, "empty header name");
	for (i = 0; i < nlen; i++)
		if (!hp_tchar((unsigned char)s[i]))
			return hp_fail(r, "bad header name \"%s\"",
			    hp_quote(q, sizeof(q), s, nlen));
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (i = 0; i < vlen; i++)
		if (hp_ctl((unsigned char)v[i]))
			return hp_fail(r, "control byte in header %s",
			    hp_quote(q, sizeof(q), s, nlen));
	s[nlen] = '\0';
	memmove(s + nlen + 1, v, vlen);
	s[nlen + 1 + vlen] = '\0';
	r->hlen += nlen + vlen + 2;
	return hp_known(r, s, s + nlen + 1);
}

/* The headers that frame the body or the connection. */
static enum http_parse_rc
hp_known(struct http_resp *r, const char *name, const char *v)
{
	char	q[48];

	if (strcasecmp(name, "Content-Length") == 0)
		return hp_clen(r, v);
	if (strcasecmp(name, "Transfer-Encoding") == 0) {
		if (r->te)
			return hp_fail(r, "Transfer-Encoding given twice");
		if (strcasecmp(v, "chunked") != 0)
			return hp_fail(r, "Transfer-Encoding \"%s\" not "
			    "supported (only chunked)",
			    hp_quote(q, sizeof(q), v, strlen(v)));
		r->te = 1;
	} else if (strcasecmp(name, "Connection") == 0)
		hp_connection(r, v);
	return HTTP_PARSE_MORE;
}

/* 1*DIGIT exactly: a sign, a space or a list is an attack or a bug. */
static enum http_parse_rc
hp_clen(struct http_resp *r, const char *v)
{
	char		 q[48];
	const char	*s;
	uint64_t	 x = 0;
	unsigned	 d;

	for (s = v; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		if (x > UINT64_MAX / 10 ||
		    (x == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return hp_fail(r, "Content-Length over 64 bits");
		x = x * 10 + d;
	}
	if (s == v || *s != '\0')
		return hp_fail(r, "Content-Length \"%s\" is not a decimal "
		    "number", hp_quote(q, sizeof(q), v, strlen(v)));
	if (r->cl && x != r->clen)
		return hp_fail(r, "two Content-Lengths: %llu and %llu",
		    (unsigned long long)r->clen, (unsigned long long)x);
	r->cl = 1;
	r->clen = x;
	return HTTP_PARSE_MORE;
}

/* The "close" and "keep-alive" tokens of a Connection list. */
static void
hp_connection(struct http_resp *r, const char *v)
{
	size_t	n;

	while (*v != '\0') {
		v += strspn(v, " \t,");
		n = strcspn(v, " \t,");
		if (n == 5 && strncasecmp(v, "close", 5) == 0)
			r->conn_close = 1;
		else if (n == 10 && strncasecmp(v, "keep-alive", 10) == 0)
			r->ka = 1;
		v += n;
	}
}

/* The empty line: skip a 1xx, or decide how the body is framed. */
static enum http_parse_rc
hp_head_done(struct http_resp *r)
{
	if (r->code < 200) {
		if (++r->interim > HTTP_PARSE_INTERIM_MAX)
			return hp_fail(r, "more than %d interim (1xx) "
			    "responses", HTTP_PARSE_INTERIM_MAX);
		hp_head_reset(r);
		return HTTP_PARSE_MORE;
	}
	if (r->te && r->cl)
		return hp_fail(r, "both Transfer-Encoding and Content-Length");
	if (r->te && r->minor == 0)
		return hp_fail(r, "Transfer-Encoding in an HTTP/1.0 response");
	r->status = r->code;
	r->reason = r->hbuf;
	r->raw = 0;
	if (r->minor == 0 && !r->ka)
		r->conn_close = 1;
	if ((r->flags & HTTP_PARSE_F_HEAD) || r->status == 204 ||
	    r->status == 304)
		r->state = HTTP_PARSE_S_DONE;
	else if (r->te) {
		r->chunked = 1;
		r->state = HTTP_PARSE_S_CHUNK_SIZE;
	} else if (r->cl) {
		if (r->clen > r->body_max)
			return hp_fail(r, "Content-Length %llu over the body "
			    "cap of %llu bytes", (unsigned long long)r->clen,
			    (unsigned long long)r->body_max);
		r->left = r->clen;
		r->state = r->left > 0 ? HTTP_PARSE_S_BODY_LEN :
		    HTTP_PARSE_S_DONE;
	} else {
		r->conn_close = 1;
		r->state = HTTP_PARSE_S_BODY_EOF;
	}
	return HTTP_PARSE_HEADERS;
}

/* After a 1xx: the final answer's head starts from nothing. */
static void
hp_head_reset(struct http_resp *r)
{
	r->hlen = r->line = r->raw = 0;
	r->te = r->cl = r->ka = r->conn_close = 0;
	r->clen = HTTP_PARSE_NOLEN;
	r->state = HTTP_PARSE_S_STATUS;
}

/* Up to r->left body bytes of p, zero-copy; `next` once none are left. */
static enum http_parse_rc
hp_take(struct http_resp *r, const char *p, size_t n, size_t *used,
    enum http_parse_state next)
{
	size_t	take = n < r->left ? n : (size_t)r->left;

	r->left -= take;
	r->body_seen += take;
	r->body = p;
	r->body_len = take;
	*used = take;
	if (r->left == 0)
		r->state = next;
	return HTTP_PARSE_BODY;
}

static enum http_parse_rc
hp_on_body_len(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	return hp_take(r, p, n, used, HTTP_PARSE_S_DONE);
}

/*
 * A body framed by the close has no length to check, only the cap.  What
 * fits under the cap is delivered first, so that where the input was cut
 * does not change which bytes the caller sees before the error.
 */
static enum http_parse_rc
hp_on_body_eof(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	uint64_t	room = r->body_max - r->body_seen;

	if (room == 0)
		return hp_fail(r, "body over %llu bytes",
		    (unsigned long long)r->body_max);
	if (n > room)
		n = (size_t)room;
	r->body_seen += n;
	r->body = p;
	r->body_len = n;
	*used = n;
	return HTTP_PARSE_BODY;
}

static enum http_parse_rc
hp_on_chunk_size(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	size_t	i;
	int	d;

	for (i = 0; i < n; i++) {
		if (++r->line > HTTP_PARSE_CHUNK_LINE_MAX)
			return hp_fail(r, "chunk-size line over %d bytes",
			    HTTP_PARSE_CHUNK_LINE_MAX);
		if ((d = hp_hex((unsigned char)p[i])) >= 0) {
			if (r->chunk > (UINT64_MAX >> 4))
				return hp_fail(r, "chunk size over 64 bits");
			r->chunk = r->chunk << 4 | (uint64_t)d;
			continue;
		}
		if (r->line == 1)
			return hp_fail(r, "chunk size is not hex");
		*used = i + 1;
		switch (p[i]) {
		case ' ':
		case '\t':
		case ';':
			r->ext = p[i] == ';';
			r->state = HTTP_PARSE_S_CHUNK_EXT;
			return HTTP_PARSE_MORE;
		case '\r':
			r->state = HTTP_PARSE_S_CHUNK_SIZE_LF;
			return HTTP_PARSE_MORE;
		case '\n':
			return hp_fail(r, "bare LF after a chunk size");
		default:
			return hp_fail(r, "bad byte after a chunk size");
		}
	}
	*used = n;
	return HTTP_PARSE_MORE;
}

/* Extensions are skipped; only BWS may come before their ';'. */
static enum http_parse_rc
hp_on_chunk_ext(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < n; i++) {
		if (++r->line > HTTP_PARSE_CHUNK_LINE_MAX)
			return hp_fail(r, "chunk-size line over %d bytes",
			    HTTP_PARSE_CHUNK_LINE_MAX);
		c = (unsigned char)p[i];
		if (c == '\r') {
			*used = i + 1;
			r->state = HTTP_PARSE_S_CHUNK_SIZE_LF;
			return HTTP_PARSE_MORE;
		}
		if (c == '\n')
			return hp_fail(r, "bare LF after a chunk size");
		if (hp_ctl(c))
			return hp_fail(r, "control byte in a chunk extension");
		if (c == ';')
			r->ext = 1;
		else if (!r->ext && c != ' ' && c != '\t')
			return hp_fail(r, "bad byte after a chunk size");
	}
	*used = n;
	return HTTP_PARSE_MORE;
}

static enum http_parse_rc
hp_on_chunk_size_lf(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	(void)n;
	*used = 1;
	if (*p != '\n')
		return hp_fail(r, "bare CR after a chunk size");
	r->line = 0;
	r->ext = 0;
	if (r->chunk == 0) {
		r->raw = 0;
		r->cr = 0;
		r->state = HTTP_PARSE_S_TRAILER;
		return HTTP_PARSE_MORE;
	}
	if (r->chunk > r->body_max - r->body_seen)
		return hp_fail(r, "chunked body over %llu bytes",
		    (unsigned long long)r->body_max);
	r->left = r->chunk;
	r->chunk = 0;
	r->state = HTTP_PARSE_S_CHUNK_DATA;
	return HTTP_PARSE_MORE;
}

static enum http_parse_rc
hp_on_chunk_data(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	return hp_take(r, p, n, used, HTTP_PARSE_S_CHUNK_DATA_CR);
}

static enum http_parse_rc
hp_on_chunk_data_cr(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	(void)n;
	*used = 1;
	if (*p != '\r')
		return hp_fail(r, "chunk data not followed by CRLF");
	r->state = HTTP_PARSE_S_CHUNK_DATA_LF;
	return HTTP_PARSE_MORE;
}

static enum http_parse_rc
hp_on_chunk_data_lf(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	(void)n;
	*used = 1;
	if (*p != '\n')
		return hp_fail(r, "chunk data not followed by CRLF");
	r->state = HTTP_PARSE_S_CHUNK_SIZE;
	return HTTP_PARSE_MORE;
}

/* Trailer fields are read and dropped, under their own hcap bytes. */
static enum http_parse_rc
hp_on_trailer(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (++r->raw > r->hcap)
			return hp_fail(r, "trailers over %zu bytes", r->hcap);
		if (p[i] == '\n') {
			if (!r->cr)
				return hp_fail(r, "bare LF in the trailers");
			if (r->line == 0) {
				*used = i + 1;
				r->state = HTTP_PARSE_S_DONE;
				return HTTP_PARSE_DONE;
			}
			r->line = 0;
			r->cr = 0;
			continue;
		}
		if (r->cr)
			return hp_fail(r, "bare CR in the trailers");
		if (p[i] == '\r')
			r->cr = 1;
		else if (p[i] == '\0')
			return hp_fail(r, "NUL byte in the trailers");
		else
			r->line++;
	}
	*used = n;
	return HTTP_PARSE_MORE;
}

static enum http_parse_rc
hp_on_done(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	(void)r;
	(void)p;
	(void)n;
	*used = 0;
	return HTTP_PARSE_DONE;
}

static enum http_parse_rc
hp_on_error(struct http_resp *r, const char *p, size_t n, size_t *used)
{
	(void)r;
	(void)p;
	(void)n;
	*used = 0;
	return HTTP_PARSE_ERROR;
}

static int
hp_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 9110 tchar. */
static int
hp_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Control bytes other than HTAB; obs-text (0x80-0xff) is allowed. */
static int
hp_ctl(unsigned char c)
{
	return (c < ' ' && c != '\t') || c == 0x7f;
}

/* "Jan".."Dec" at s: 1..12, or -1. */
static int
http_month(const char *s)
{
	static const char	months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int			i;

	for (i = 0; i < 12; i++)
		if (memcmp(s, months + 3 * i, 3) == 0)
			return i + 1;
	return -1;
}

/* "hh:mm:ss" at s: seconds of the day, or -1. */
static int
http_clock(const char *s)
{
	int	h = timefmt_digits(s, 2), m = timefmt_digits(s + 3, 2);
	int	sec = timefmt_digits(s + 6, 2);

	if (s[2] != ':' || s[5] != ':' || h < 0 || h > 23 || m < 0 ||
	    m > 59 || sec < 0 || sec > 60)
		return -1;
	return h * 3600 + m * 60 + sec;
}

int
http_retry_after(const char *v, int64_t now, int64_t *delay_s)
{
	const char	*p;
	int64_t		 t;
	size_t		 len = strlen(v);
	int		 y, mon, d, secs;

	if (len > 0 && strspn(v, "0123456789") == len) {
		for (t = 0, p = v; *p != '\0'; p++)
			if ((t = t * 10 + (*p - '0')) > HTTP_RETRY_AFTER_MAX)
				t = HTTP_RETRY_AFTER_MAX;
		*delay_s = t;
		return 0;
	}
	if (len == 29 && v[3] == ',' && v[4] == ' ' && v[7] == ' ' &&
	    v[11] == ' ' && v[16] == ' ' && strcmp(v + 25, " GMT") == 0) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		d = timefmt_digits(v + 5, 2);
		mon = http_month(v + 8);
		y = timefmt_digits(v + 12, 4);
		secs = http_clock(v + 17);
	} else if (len == 24 && v[3] == ' ' && v[7] == ' ' && v[10] == ' ' &&
	    v[19] == ' ') {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		d = v[8] == ' ' ? timefmt_digits(v + 9, 1) : timefmt_digits(v + 8, 2);
		mon = http_month(v + 4);
		y = timefmt_digits(v + 20, 4);
		secs = http_clock(v + 11);
	} else if ((p = strchr(v, ',')) != NULL && strlen(p) == 24 &&
	    p[1] == ' ' && p[4] == '-' && p[8] == '-' && p[11] == ' ' &&
	    strcmp(p + 20, " GMT") == 0) {
		/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; 2-digit years
		 * more than 50 years ahead are in the past (RFC 9110 5.6.7). */
		d = timefmt_digits(p + 2, 2);
		mon = http_month(p + 5);
		y = timefmt_digits(p + 9, 2);
		secs = http_clock(p + 12);
		if (y >= 0)
			y += 2000 + y > 1970 + (int)(now / 31556952) + 50 ?
			    1900 : 2000;
	} else
		return -1;
	if (d < 1 || d > 31 || mon < 0 || y < 0 || secs < 0)
		return -1;
	t = timefmt_days(y, (unsigned)mon, (unsigned)d) * 86400 + secs - now;
	*delay_s = t < 0 ? 0 : t > HTTP_RETRY_AFTER_MAX ? HTTP_RETRY_AFTER_MAX : t;
	return 0;
}
