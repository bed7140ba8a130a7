/*
 * test_http_parse.c -- the incremental HTTP response parser
 * (src/http_parse.h): framing, caps, refusals, and the promise that how
 * the input is cut into pieces changes nothing.
 *
 * Every piece is fed from a buffer of exactly its size, so a read past
 * the piece shows under the ASan build (make test-asan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_parse.h"

#define HCAP	512
#define BMAX	4096

/* What one parse saw, to compare parses of the same bytes. */
struct result {
	enum http_parse_rc	 rc;		/* DONE, ERROR, or MORE */
	int			 status;
	int			 heads;		/* HTTP_PARSE_HEADERS events */
	int			 chunked, conn_close;
	uint64_t		 clen;
	size_t			 used;		/* input bytes taken in all */
	char			 reason[64];
	char			 ctype[64];
	char			 error[128];
	char			 body[BMAX + 1];
	size_t			 blen;
	int			 bad;		/* a broken promise */
};

struct opts {
	size_t		 hcap;
	uint64_t	 bmax;
	unsigned	 flags;
	int		 eof;		/* call http_parse_eof() at the end */
};

static const struct opts	DEF = { HCAP, BMAX, 0, 1 };
static char			hbuf[HTTP_PARSE_HEAD_MAX];

static void	feed_piece(struct http_resp *, struct result *, const char *,
		    size_t);
static void	parse_cuts(struct result *, const char *, size_t,
		    const size_t *, size_t, const struct opts *);
static void	parse(struct result *, const char *, const struct opts *);
static int	same(const struct result *, const struct result *);
static void	check_splits(const char *, const struct opts *);
static int	refused(const char *, const char *);
static void	test_content_length(void);
static void	test_chunked(void);
static void	test_close_delimited(void);
static void	test_interim(void);
static void	test_no_body(void);
static void	test_headers(void);
static void	test_caps(void);
static void	test_status_lines(void);
static void	test_line_ends(void);
static void	test_lengths(void);
static void	test_transfer_encoding(void);
static void	test_bad_bytes(void);
static void	test_eof(void);
static void	test_after_end(void);
static void	test_splits(void);

/* Feed one piece until it is used up or the parse has ended. */
static void
feed_piece(struct http_resp *r, struct result *res, const char *in, size_t n)
{
	enum http_parse_rc	 rc;
	size_t			 off = 0, k;
	char			*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		exit(2);
	memcpy(p, in, n);
	for (;;) {
		rc = http_parse_feed(r, p + off, n - off, &k);
		if (k > n - off)
			res->bad = 1;
		off += k;
		res->used += k;
		if (rc == HTTP_PARSE_MORE && off != n)
			res->bad = 1;
		if (rc == HTTP_PARSE_HEADERS) {
			res->heads++;
			res->status = r->status;
			res->chunked = r->chunked;
			res->conn_close = r->conn_close;
			res->clen = r->clen;
			snprintf(res->reason, sizeof(res->reason), "%s",
			    r->reason);
			snprintf(res->ctype, sizeof(res->ctype), "%s",
			    http_parse_header(r, "content-type") ?
			    http_parse_header(r, "content-type") : "-");
		}
		if (rc == HTTP_PARSE_BODY) {
			if (r->body_len == 0 || r->body < p ||
			    r->body + r->body_len > p + off ||
			    res->blen + r->body_len > BMAX)
				res->bad = 1;
			else {
				memcpy(res->body + res->blen, r->body,
				    r->body_len);
				res->blen += r->body_len;
			}
		}
		if (rc == HTTP_PARSE_ERROR)
			snprintf(res->error, sizeof(res->error), "%s",
			    r->error);
		res->rc = rc;
		if (rc == HTTP_PARSE_MORE || rc == HTTP_PARSE_DONE ||
		    rc == HTTP_PARSE_ERROR)
			break;
	}
	free(p);
}

/* Parse `in` cut at each of cuts[] (ascending, may repeat). */
static void
parse_cuts(struct result *res, const char *in, size_t len,
    const size_t *cuts, size_t ncuts, const struct opts *o)
{
	struct http_resp	r;
	size_t			i, from = 0, to;

	memset(res, 0, sizeof(*res));
	http_parse_init(&r, hbuf, o->hcap, o->bmax, o->flags);
	for (i = 0; i <= ncuts; i++) {
		to = i < ncuts ? cuts[i] : len;
		if (res->rc == HTTP_PARSE_DONE || res->rc == HTTP_PARSE_ERROR)
			break;
		feed_piece(&r, res, in + from, to - from);
		from = to;
	}
	if (o->eof && res->rc == HTTP_PARSE_MORE) {
		res->rc = http_parse_eof(&r);
		if (res->rc == HTTP_PARSE_ERROR)
			snprintf(res->error, sizeof(res->error), "%s",
			    r.error);
	}
	if (r.body_seen != res->blen ||
	    (r.clen != HTTP_PARSE_NOLEN && r.body_seen > r.clen) ||
	    r.body_seen > r.body_max)
		res->bad = 1;
	res->body[res->blen] = '\0';
}

static void
parse(struct result *res, const char *in, const struct opts *o)
{
	parse_cuts(res, in, strlen(in), NULL, 0, o);
}

static int
same(const struct result *a, const struct result *b)
{
	return a->rc == b->rc && a->status == b->status &&
	    a->heads == b->heads &&
	    (a->used == b->used || a->rc == HTTP_PARSE_ERROR) &&
	    a->blen == b->blen && memcmp(a->body, b->body, a->blen) == 0 &&
	    strcmp(a->error, b->error) == 0 && !a->bad && !b->bad;
}

/*
 * One byte at a time, every 2-way split, and for short inputs every
 * 3-way split (including empty pieces) must give the one-shot result.
 */
static void
check_splits(const char *in, const struct opts *o)
{
	struct result	 one, *r;
	size_t		 len = strlen(in), i, j, cuts[2], *bytes;
	int		 ok = 1;

	if ((r = malloc(sizeof(*r))) == NULL ||
	    (bytes = malloc((len + 1) * sizeof(*bytes))) == NULL)
		exit(2);
	parse(&one, in, o);
	CHECK(!one.bad);
	for (i = 0; i < len; i++)
		bytes[i] = i;
	parse_cuts(r, in, len, bytes, len, o);
	CHECK(same(&one, r));
	if (!same(&one, r))
		fprintf(stderr, "  split: %d/%d \"%s\" vs \"%s\", bad %d/%d, "
		    "used %zu/%zu: %.50s\n", one.rc, r->rc, one.error,
		    r->error, one.bad, r->bad, one.used, r->used, in);
	for (i = 0; i <= len && ok; i++) {
		cuts[0] = i;
		parse_cuts(r, in, len, cuts, 1, o);
		ok = same(&one, r);
	}
	CHECK(ok);
	for (i = 0; len <= 200 && i <= len && ok; i++)
		for (j = i; j <= len && ok; j++) {
			cuts[0] = i;
			cuts[1] = j;
			parse_cuts(r, in, len, cuts, 2, o);
			ok = same(&one, r);
		}
	CHECK(ok);
	free(bytes);
	free(r);
}

/* The parse of `in` fails, and its reason contains `why`. */
static int
refused(const char *in, const char *why)
{
	struct result	res;

	parse(&res, in, &DEF);
	if (res.rc != HTTP_PARSE_ERROR || strstr(res.error, why) == NULL) {
		fprintf(stderr, "  want \"%s\", got rc %d \"%s\" for %.40s\n",
		    why, res.rc, res.error, in);
		return 0;
	}
	return !res.bad;
}

static void
test_content_length(void)
{
	struct result	res;
	const char	*in = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: 11\r\n\r\n"
	    "{\"ok\":true}NEXT";

	parse(&res, in, &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE);
	CHECK(res.status == 200 && strcmp(res.reason, "OK") == 0);
	CHECK(res.clen == 11 && !res.chunked && !res.conn_close);
	CHECK(strcmp(res.body, "{\"ok\":true}") == 0);
	CHECK(strcmp(res.ctype, "application/json") == 0);
	/* The bytes after the body are not the response's. */
	CHECK(res.used == strlen(in) - 4);
	/* Content-Length: 0 is done at the headers. */
	parse(&res, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
	    &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.status == 404 &&
	    res.blen == 0 && strcmp(res.reason, "Not Found") == 0);
	/* The same length twice is one length. */
	parse(&res, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "content-length: 2\r\n\r\nhi", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && strcmp(res.body, "hi") == 0);
	CHECK(refused("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Content-Length: 3\r\n\r\nhi", "two Content-Lengths: 2 and 3"));
}

static void
test_chunked(void)
{
	struct result	res;

	parse(&res, "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
	    "5;name=val\r\nhello\r\n6 ; a=\"b;c\"\r\n world\r\n"
	    "00000\r\nX-Trailer: yes\r\nAnother: 1\r\n\r\n", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.chunked);
	CHECK(res.clen == HTTP_PARSE_NOLEN);
	CHECK(strcmp(res.body, "hello world") == 0);
	/* Upper- and lower-case hex, leading zeros. */
	parse(&res, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0000A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.blen == 21);
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhelloX\r\n0\r\n\r\n", "chunk data not followed by CRLF"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "zz\r\n", "chunk size is not hex"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "\r\n", "chunk size is not hex"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "-5\r\n", "chunk size is not hex"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5x\r\n", "bad byte after a chunk size"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5 x\r\n", "bad byte after a chunk size"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;a\x01\r\n", "control byte in a chunk extension"));
	parse_cuts(&res, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n0\r\nX: 1\0\r\n\r\n", 59, NULL, 0, &DEF);
	CHECK(res.rc == HTTP_PARSE_ERROR &&
	    strcmp(res.error, "NUL byte in the trailers") == 0);
}

static void
test_close_delimited(void)
{
	struct result	res;
	struct opts	o = DEF;

	parse(&res, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
	    "until the end", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.conn_close);
	CHECK(strcmp(res.body, "until the end") == 0);
	/* HTTP/1.1 without a length ends at the close too. */
	parse(&res, "HTTP/1.1 200 OK\r\n\r\nab", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.conn_close &&
	    strcmp(res.body, "ab") == 0);
	/* Without the EOF it is not done. */
	o.eof = 0;
	parse(&res, "HTTP/1.1 200 OK\r\n\r\nab", &o);
	CHECK(res.rc == HTTP_PARSE_MORE && res.blen == 2);
	/* HTTP/1.0 with keep-alive and a length stays open. */
	parse(&res, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
	    "Content-Length: 1\r\n\r\nx", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && !res.conn_close);
	parse(&res, "HTTP/1.1 200 OK\r\nConnection: foo, close\r\n"
	    "Content-Length: 1\r\n\r\nx", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.conn_close);
}

static void
test_interim(void)
{
	struct result	res;
	char		in[2048];
	size_t		n = 0;
	int		i;

	parse(&res, "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 102 Processing\r\nContent-Length: 7\r\nX: y\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nhi", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.status == 201 &&
	    res.heads == 1 && strcmp(res.body, "hi") == 0);
	CHECK(strcmp(res.reason, "Created") == 0 && res.clen == 2);
	for (i = 0; i < HTTP_PARSE_INTERIM_MAX; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n,
		    "HTTP/1.1 100 Continue\r\n\r\n");
	snprintf(in + n, sizeof(in) - n, "HTTP/1.1 200 OK\r\n\r\n");
	parse(&res, in, &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.status == 200);
	snprintf(in + n, sizeof(in) - n, "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 200 OK\r\n\r\n");
	CHECK(refused(in, "more than 8 interim (1xx) responses"));
	CHECK(refused("HTTP/1.1 101 Switching Protocols\r\n\r\n",
	    "101 Switching Protocols was not asked for"));
}

static void
test_no_body(void)
{
	struct result	res;
	struct opts	head = DEF;

	parse(&res, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
	    "hello", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.blen == 0 && res.used == 46);
	parse(&res, "HTTP/1.1 304 Not Modified\r\n\r\n", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.blen == 0);
	head.flags = HTTP_PARSE_F_HEAD;
	parse(&res, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", &head);
	CHECK(res.rc == HTTP_PARSE_DONE && res.clen == 100 && res.blen == 0);
	parse(&res, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	    &head);
	CHECK(res.rc == HTTP_PARSE_DONE && res.blen == 0);
	/* Without HEAD the same answer waits for its body. */
	parse(&res, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", &DEF);
	CHECK(res.rc == HTTP_PARSE_ERROR);
}

static void
test_headers(void)
{
	static const char	 in[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Retry-After:   120  \r\nX-Empty:\r\nX-Tab:\tv\t1\t\r\n"
	    "Content-Type: text/plain; charset=\xc3\xa9\r\n"
	    "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct http_resp	 r;
	const char		*n, *v;
	size_t			 used, pos = 0;
	int			 count = 0;

	http_parse_init(&r, hbuf, HCAP, BMAX, 0);
	CHECK(http_parse_header(&r, "Retry-After") == NULL);
	CHECK(http_parse_feed(&r, in, sizeof(in) - 1, &used) ==
	    HTTP_PARSE_HEADERS);
	CHECK(used == sizeof(in) - 1);
	CHECK(r.status == 503 && r.minor == 1);
	CHECK(strcmp(r.reason, "Service Unavailable") == 0);
	CHECK((v = http_parse_header(&r, "retry-after")) != NULL &&
	    strcmp(v, "120") == 0);
	CHECK((v = http_parse_header(&r, "RETRY-AFTER")) != NULL &&
	    strcmp(v, "120") == 0);
	CHECK((v = http_parse_header(&r, "x-empty")) != NULL && *v == '\0');
	CHECK((v = http_parse_header(&r, "X-Tab")) != NULL &&
	    strcmp(v, "v\t1") == 0);
	CHECK((v = http_parse_header(&r, "Content-Type")) != NULL &&
	    strcmp(v, "text/plain; charset=\xc3\xa9") == 0);
	CHECK((v = http_parse_header(&r, "set-cookie")) != NULL &&
	    strcmp(v, "a=1") == 0);
	CHECK(http_parse_header(&r, "Retry") == NULL);
	CHECK(http_parse_header(&r, "Connection") == NULL);
	while (http_parse_header_next(&r, &pos, &n, &v))
		if (count++ == 5)
			CHECK(strcmp(n, "Set-Cookie") == 0 &&
			    strcmp(v, "b=2") == 0);
	CHECK(count == 7);
	CHECK(http_parse_feed(&r, "", 0, &used) == HTTP_PARSE_DONE);
	/* A reason may be empty, and so may the space before it. */
	http_parse_init(&r, hbuf, HCAP, BMAX, 0);
	CHECK(http_parse_feed(&r, "HTTP/1.1 200\r\n\r\n", 16, &used) ==
	    HTTP_PARSE_HEADERS && r.status == 200 && *r.reason == '\0');
	http_parse_init(&r, hbuf, HCAP, BMAX, 0);
	CHECK(http_parse_feed(&r, "HTTP/1.1 200 \r\n\r\n", 17, &used) ==
	    HTTP_PARSE_HEADERS && r.status == 200 && *r.reason == '\0');
	CHECK(strcmp(http_parse_strrc(HTTP_PARSE_BODY), "body") == 0);
	CHECK(strcmp(http_parse_strrc(HTTP_PARSE_RC_MAX), "unknown") == 0);
}

static void
test_caps(void)
{
	struct result	 res;
	struct opts	 o = DEF;
	char		 in[HTTP_PARSE_HEAD_MAX * 2];
	const char	*st = "HTTP/1.1 200 OK\r\nX: ";
	size_t		 fill;

	/* A head of exactly hcap bytes fits; one more byte does not. */
	fill = HCAP - strlen(st) - strlen("\r\nContent-Length: 0\r\n\r\n");
	snprintf(in, sizeof(in), "%s%0*dx\r\nContent-Length: 0\r\n\r\n", st,
	    (int)fill - 1, 0);
	CHECK(strlen(in) == HCAP);
	parse(&res, in, &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE);
	snprintf(in, sizeof(in), "%s%0*dxy\r\nContent-Length: 0\r\n\r\n", st,
	    (int)fill - 1, 0);
	CHECK(refused(in, "headers over 512 bytes"));
	/* A huge line without LF is stopped at the cap, not buffered. */
	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	memcpy(in, st, strlen(st));
	CHECK(refused(in, "headers over 512 bytes"));
	/* The cap is per head: a 1xx does not use the final head's. */
	snprintf(in, sizeof(in), "HTTP/1.1 100 Continue\r\nX: %0*d\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nX: %0*d\r\nContent-Length: 0\r\n\r\n",
	    400, 0, 400, 0);
	parse(&res, in, &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE);

	/* Body caps: exactly body_max is fine, one more is refused. */
	o.bmax = 5;
	parse(&res, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", &o);
	CHECK(res.rc == HTTP_PARSE_DONE && res.blen == 5);
	parse(&res, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello!", &o);
	CHECK(res.rc == HTTP_PARSE_ERROR && res.heads == 0 &&
	    strcmp(res.error, "Content-Length 6 over the body cap of 5 "
	    "bytes") == 0);
	parse(&res, "HTTP/1.1 200 OK\r\n\r\nhello", &o);
	CHECK(res.rc == HTTP_PARSE_DONE && res.blen == 5);
	parse(&res, "HTTP/1.1 200 OK\r\n\r\nhello!", &o);
	CHECK(res.rc == HTTP_PARSE_ERROR &&
	    strcmp(res.error, "body over 5 bytes") == 0 && res.blen == 5);
	parse(&res, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n", &o);
	CHECK(res.rc == HTTP_PARSE_DONE && res.blen == 5);
	parse(&res, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nhel\r\n3\r\nlo!\r\n0\r\n\r\n", &o);
	CHECK(res.rc == HTTP_PARSE_ERROR && res.blen == 3 &&
	    strcmp(res.error, "chunked body over 5 bytes") == 0);

	/* Chunk sizes: 64 bits fit (then the cap speaks), 72 do not. */
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "ffffffffffffffffff\r\n", "chunk size over 64 bits"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "ffffffffffffffff\r\n", "chunked body over 4096 bytes"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "10000000000000000\r\n", "chunk size over 64 bits"));
	snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n1;x=%0*d\r\n", HTTP_PARSE_CHUNK_LINE_MAX, 0);
	CHECK(refused(in, "chunk-size line over 256 bytes"));
	snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n%0*d1\r\n", HTTP_PARSE_CHUNK_LINE_MAX, 0);
	CHECK(refused(in, "chunk-size line over 256 bytes"));
	/* Trailers are capped at hcap of their own. */
	snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n0\r\nX: %0*d\r\n\r\n", HCAP, 0);
	CHECK(refused(in, "trailers over 512 bytes"));
	snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n0\r\nX: %0*d\r\n\r\n", HCAP - 9, 0);
	parse(&res, in, &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE);
	/* No cap at all, for streams. */
	o.bmax = HTTP_PARSE_NOLEN;
	parse(&res, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "ffffffffffffffff\r\nabc", &o);
	CHECK(res.rc == HTTP_PARSE_ERROR && res.blen == 3 &&
	    strstr(res.error, "inside a chunk") != NULL);
}

static void
test_status_lines(void)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
		"ICY 200 OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n", "<html><body>\r\n\r\n",
		"http/1.1 200 OK\r\n\r\n", "HTTP/1.x 200 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n", "\r\nHTTP/1.1 200 OK\r\n\r\n",
		" HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1\t200 OK\r\n\r\n",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(refused(bad[i], "not an HTTP/1.x status line"));
	CHECK(refused("<html>\x01\r\n\r\n", "status line: \"<html>?\""));
	CHECK(refused("HTTP/1.1 099 Low\r\n\r\n", "status 99 out of range"));
	CHECK(refused("HTTP/1.1 600 High\r\n\r\n", "status 600 out of range"));
	CHECK(refused("HTTP/1.1 200 O\x01K\r\n\r\n",
	    "control byte in the reason phrase"));
}

/* Bare LF and bare CR are refused everywhere. */
static void
test_line_ends(void)
{
	const char	*te = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n";
	char		 in[256];

	CHECK(refused("HTTP/1.1 200 OK\n\r\n", "bare LF in the status line"));
	CHECK(refused("HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
	    "bare LF in the headers"));
	CHECK(refused("HTTP/1.1 200 OK\r\n\n", "bare LF in the headers"));
	CHECK(refused("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
	    "bare CR in the headers"));
	CHECK(refused("HTTP/1.1 200\rOK\r\n\r\n",
	    "bare CR in the status line"));
	snprintf(in, sizeof(in), "%s5\nhello\r\n0\r\n\r\n", te);
	CHECK(refused(in, "bare LF after a chunk size"));
	snprintf(in, sizeof(in), "%s5;x\nhello\r\n0\r\n\r\n", te);
	CHECK(refused(in, "bare LF after a chunk size"));
	snprintf(in, sizeof(in), "%s5\rhello\r\n0\r\n\r\n", te);
	CHECK(refused(in, "bare CR after a chunk size"));
	snprintf(in, sizeof(in), "%s5\r\nhello\n0\r\n\r\n", te);
	CHECK(refused(in, "chunk data not followed by CRLF"));
	snprintf(in, sizeof(in), "%s0\r\nX: 1\n\r\n", te);
	CHECK(refused(in, "bare LF in the trailers"));
	snprintf(in, sizeof(in), "%s0\r\n\n", te);
	CHECK(refused(in, "bare LF in the trailers"));
	snprintf(in, sizeof(in), "%s0\r\nX: 1\rY\r\n\r\n", te);
	CHECK(refused(in, "bare CR in the trailers"));
}

static void
test_lengths(void)
{
	static const char *const bad[] = {
		"-1", "+5", "0x10", "1 2", "", "5,5", "5, 5", "1e3", "five",
		"\xd9\xa3",
	};
	struct result	 res;
	char		 in[256];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\nContent-Length: "
		    "%s\r\n\r\n12345", bad[i]);
		CHECK(refused(in, "is not a decimal number"));
	}
	/* Whitespace around the value is not part of it. */
	parse(&res, "HTTP/1.1 200 OK\r\nContent-Length: \t 3 \t\r\n\r\nabc",
	    &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.blen == 3);
	parse(&res, "HTTP/1.1 200 OK\r\nContent-Length: 0003\r\n\r\nabc",
	    &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE && res.blen == 3);
	CHECK(refused("HTTP/1.1 200 OK\r\nContent-Length: "
	    "18446744073709551616\r\n\r\n", "Content-Length over 64 bits"));
	CHECK(refused("HTTP/1.1 200 OK\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n", "Content-Length over 64 bits"));
	CHECK(refused("HTTP/1.1 200 OK\r\nContent-Length: "
	    "18446744073709551615\r\n\r\n",
	    "Content-Length 18446744073709551615 over the body cap of 4096"));
}

static void
test_transfer_encoding(void)
{
	/* Refused, not "chunked wins": see http_parse.h. */
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	    "both Transfer-Encoding and Content-Length"));
	CHECK(refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	    "both Transfer-Encoding and Content-Length"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
	    "\r\n", "Transfer-Encoding \"gzip, chunked\" not supported"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
	    "not supported"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    "Transfer-Encoding given twice"));
	CHECK(refused("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0\r\n\r\n", "Transfer-Encoding in an HTTP/1.0 response"));
}

static void
test_bad_bytes(void)
{
	static const char	in[] = "HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n";
	struct result		res;
	size_t			cut = 0;

	parse_cuts(&res, in, sizeof(in) - 1, &cut, 0, &DEF);
	CHECK(res.rc == HTTP_PARSE_ERROR &&
	    strcmp(res.error, "NUL byte in the headers") == 0);
	cut = 10;
	parse_cuts(&res, "HTTP/1.1 2\0000 OK\r\n\r\n", 19, &cut, 1, &DEF);
	CHECK(res.rc == HTTP_PARSE_ERROR &&
	    strcmp(res.error, "NUL byte in the status line") == 0);
	parse_cuts(&res, "HTTP/1.1 200 OK\r\nX\0: 1\r\n\r\n", 26, NULL, 0,
	    &DEF);
	CHECK(res.rc == HTTP_PARSE_ERROR &&
	    strcmp(res.error, "NUL byte in the headers") == 0);
	CHECK(refused("HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",
	    "control byte in header X"));
	CHECK(refused("HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n",
	    "control byte in header X"));
	CHECK(refused("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
	    "bad header name \"Content-Length \""));
	CHECK(refused("HTTP/1.1 200 OK\r\nX(y): 1\r\n\r\n", "bad header name"));
	CHECK(refused("HTTP/1.1 200 OK\r\n: 1\r\n\r\n", "empty header name"));
	CHECK(refused("HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
	    "header line without a colon: \"no colon\""));
	CHECK(refused("HTTP/1.1 200 OK\r\nX: 1\r\n folded\r\n\r\n",
	    "obsolete line folding"));
	/* obs-text is allowed in values. */
	parse(&res, "HTTP/1.1 200 OK\r\nX: \xff\xfe\r\nContent-Length: 0\r\n"
	    "\r\n", &DEF);
	CHECK(res.rc == HTTP_PARSE_DONE);
}

static void
test_eof(void)
{
	CHECK(refused("", "connection closed before any answer"));
	CHECK(refused("HTTP/1.1 2", "connection closed inside the status "
	    "line"));
	CHECK(refused("HTTP/1.1 100 Continue\r\n\r\n",
	    "connection closed inside the status line"));
	CHECK(refused("HTTP/1.1 200 OK\r\nContent-Le", "connection closed "
	    "inside the headers"));
	CHECK(refused("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
	    "connection closed 3 bytes into a body of 10"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nab", "connection closed inside a chunk"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nabcde", "connection closed inside a chunk's CRLF"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5", "connection closed inside a chunk size"));
	CHECK(refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0\r\nX: 1\r\n", "connection closed inside the trailers"));
}

/* DONE and ERROR are sticky; a second response starts at *used. */
static void
test_after_end(void)
{
	static const char	 two[] = "HTTP/1.1 200 OK\r\nContent-Length: 1"
	    "\r\n\r\nAHTTP/1.1 202 Accepted\r\nContent-Length: 1\r\n\r\nB";
	struct http_resp	 r;
	size_t			 used, off = 0;
	enum http_parse_rc	 rc;

	http_parse_init(&r, hbuf, HCAP, BMAX, 0);
	while ((rc = http_parse_feed(&r, two + off, sizeof(two) - 1 - off,
	    &used)) != HTTP_PARSE_DONE && rc != HTTP_PARSE_ERROR)
		off += used;
	CHECK(rc == HTTP_PARSE_DONE && r.status == 200 && off == 39);
	CHECK(http_parse_feed(&r, two + off, 5, &used) == HTTP_PARSE_DONE &&
	    used == 0);
	CHECK(http_parse_eof(&r) == HTTP_PARSE_DONE);
	http_parse_init(&r, hbuf, HCAP, BMAX, 0);
	CHECK(http_parse_feed(&r, two + off, sizeof(two) - 1 - off, &used) ==
	    HTTP_PARSE_HEADERS && r.status == 202);
	off += used;
	CHECK(http_parse_feed(&r, two + off, sizeof(two) - 1 - off, &used) ==
	    HTTP_PARSE_BODY && r.body_len == 1 && *r.body == 'B');
	CHECK(http_parse_feed(&r, NULL, 0, &used) == HTTP_PARSE_DONE);

	http_parse_init(&r, hbuf, HCAP, BMAX, 0);
	CHECK(http_parse_feed(&r, "XTTP", 4, &used) == HTTP_PARSE_MORE);
	CHECK(http_parse_feed(&r, "/1.1 200 OK\r\n", 13, &used) ==
	    HTTP_PARSE_ERROR);
	CHECK(http_parse_feed(&r, "HTTP/1.1 200 OK\r\n", 17, &used) ==
	    HTTP_PARSE_ERROR && used == 0);
	CHECK(http_parse_eof(&r) == HTTP_PARSE_ERROR);
	CHECK(r.status == 0 && http_parse_header(&r, "X") == NULL);
}

static void
test_splits(void)
{
	static const char *const ok[] = {
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		"Content-Length: 11\r\n\r\n{\"ok\":true}trailing",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5;name=val\r\nhello\r\n1\r\n \r\n5 ;x\r\nworld\r\n"
		"0\r\nX-Trailer: yes\r\n\r\nafter",
		"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
		"until the end",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n"
		"X: y\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n"
		"\r\nhi",
		"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc",
	};
	static const char *const bad[] = {
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		"Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nabc\r\nffffffffffffffffff\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nX: 1\r\nbad\r\n\r\n",
	};
	struct opts	o = DEF;
	struct result	r1;
	char		big[1024];
	size_t		i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		check_splits(ok[i], &DEF);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_splits(bad[i], &DEF);
	/* Caps hit at every split too. */
	o.hcap = 64;
	check_splits("HTTP/1.1 200 OK\r\nX-Long: 0123456789012345678901234567"
	    "890123456789\r\n\r\n", &o);
	/* Exactly hcap bytes, then the close: cut short, not over the cap. */
	check_splits("HTTP/1.1 200 OK\r\nX-Long: 01234567890123456789012345"
	    "6789012345678", &o);
	parse(&r1, "HTTP/1.1 200 OK\r\nX-Long: 01234567890123456789012345"
	    "6789012345678", &o);
	CHECK(r1.rc == HTTP_PARSE_ERROR &&
	    strcmp(r1.error, "connection closed inside the headers") == 0);
	parse(&r1, "HTTP/1.1 200 OK\r\nX-Long: 01234567890123456789012345"
	    "67890123456789", &o);
	CHECK(r1.rc == HTTP_PARSE_ERROR &&
	    strcmp(r1.error, "headers over 64 bytes") == 0);
	o.hcap = HCAP;
	o.bmax = 4;
	check_splits("HTTP/1.1 200 OK\r\n\r\nhello", &o);
	check_splits("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", &o);
	/* A longer one, 2-way splits only. */
	snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\nServer: test\r\n\r\n%s0\r\n\r\n",
	    "1\r\na\r\n2\r\nbb\r\n3\r\nccc\r\n4;q\r\ndddd\r\n"
	    "10\r\n0123456789abcdef\r\n1\r\n\r\r\n2\r\n\r\n\r\n");
	check_splits(big, &DEF);
}

int
main(void)
{
	test_content_length();
	test_chunked();
	test_close_delimited();
	test_interim();
	test_no_body();
	test_headers();
	test_caps();
	test_status_lines();
	test_line_ends();
	test_lengths();
	test_transfer_encoding();
	test_bad_bytes();
	test_eof();
	test_after_end();
	test_splits();
	return CHECK_DONE();
}
