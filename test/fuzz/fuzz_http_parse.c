/*
 * fuzz_http_parse.c -- libFuzzer target for the HTTP response parser
 * (src/http_parse.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       test/fuzz/fuzz_http_parse.c src/http_parse.c -o fuzz_http_parse
 *   ./fuzz_http_parse -max_total_time=60
 *
 * The first input byte picks the caps and the flags, the next four seed
 * the sizes of the pieces the rest is cut into (0 to 64 bytes each, empty
 * pieces included).  Each piece is fed from a buffer of exactly its size,
 * so ASan sees any read past it.  The parse is checked against its own
 * promises (used counts, body spans inside the input, body never past
 * Content-Length or the cap, headers inside hbuf, sticky ends) and
 * against a parse of the same bytes in one piece: the cuts must change
 * nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct outcome {
	enum http_parse_rc	 rc;
	int			 status, heads;
	size_t			 used;
	char			*body;
	size_t			 blen;
	char			 error[sizeof(((struct http_resp *)0)->errbuf)];
};

static char	hbuf[HTTP_PARSE_HEAD_MAX];

static void
check_headers(const struct http_resp *r)
{
	const char	*n, *v;
	size_t		 pos = 0, count = 0;

	if (r->status < 200 || r->status > 599 || r->hlen > r->hcap)
		abort();
	if (r->reason != r->hbuf || memchr(r->hbuf, '\0', r->hlen) == NULL)
		abort();
	while (http_parse_header_next(r, &pos, &n, &v)) {
		if (n < r->hbuf || v + strlen(v) >= r->hbuf + r->hlen ||
		    *n == '\0' || pos > r->hlen || ++count > r->hcap)
			abort();
		if (http_parse_header(r, n) == NULL)
			abort();
	}
	if (r->chunked && r->clen != HTTP_PARSE_NOLEN)
		abort();
}

/* Feed data cut into pieces whose sizes come from `seed` (0: one piece). */
static void
run(struct outcome *o, const char *data, size_t len, uint32_t seed,
    size_t hcap, uint64_t bmax, unsigned flags)
{
	struct http_resp	 r;
	enum http_parse_rc	 rc = HTTP_PARSE_MORE;
	size_t			 off = 0, piece, k, at;
	char			*p;

	memset(o->error, 0, sizeof(o->error));
	o->heads = o->status = 0;
	o->used = o->blen = 0;
	http_parse_init(&r, hbuf, hcap, bmax, flags);
	while (rc != HTTP_PARSE_DONE && rc != HTTP_PARSE_ERROR) {
		if (off == len && rc == HTTP_PARSE_MORE) {
			rc = http_parse_eof(&r);
			break;
		}
		if (seed == 0)
			piece = len - off;
		else {
			seed = seed * 1103515245u + 12345u;
			piece = (seed >> 16) % 65;
			if (piece > len - off)
				piece = len - off;
		}
		if ((p = malloc(piece == 0 ? 1 : piece)) == NULL)
			abort();
		memcpy(p, data + off, piece);
		at = 0;
		do {
			rc = http_parse_feed(&r, p + at, piece - at, &k);
			if (k > piece - at)
				abort();
			if (rc == HTTP_PARSE_MORE && k != piece - at)
				abort();
			if (rc == HTTP_PARSE_HEADERS) {
				if (o->heads++ != 0)
					abort();
				check_headers(&r);
				o->status = r.status;
			}
			if (rc == HTTP_PARSE_BODY) {
				if (o->heads != 1 || r.body_len == 0 ||
				    r.body < p + at ||
				    r.body + r.body_len > p + at + k)
					abort();
				memcpy(o->body + o->blen, r.body, r.body_len);
				o->blen += r.body_len;
			} else if (r.body != NULL || r.body_len != 0)
				abort();
			at += k;
		} while (rc == HTTP_PARSE_HEADERS || rc == HTTP_PARSE_BODY);
		free(p);
		off += at;
		o->used = off;
	}
	if (r.body_seen != o->blen || r.body_seen > r.body_max ||
	    (r.clen != HTTP_PARSE_NOLEN && r.body_seen > r.clen))
		abort();
	if (rc == HTTP_PARSE_DONE) {
		if (o->heads != 1 ||
		    (r.clen != HTTP_PARSE_NOLEN && !(flags &
		    HTTP_PARSE_F_HEAD) && r.status != 204 && r.status != 304 &&
		    r.body_seen != r.clen))
			abort();
		/* Sticky, taking nothing. */
		if (http_parse_feed(&r, data, len, &k) != HTTP_PARSE_DONE ||
		    k != 0 || http_parse_eof(&r) != HTTP_PARSE_DONE)
			abort();
	} else if (rc == HTTP_PARSE_ERROR) {
		if (r.error == NULL || *r.error == '\0' ||
		    memchr(r.errbuf, '\0', sizeof(r.errbuf)) == NULL)
			abort();
		memcpy(o->error, r.error, strlen(r.error) + 1);
		if (http_parse_feed(&r, data, len, &k) != HTTP_PARSE_ERROR ||
		    k != 0 || http_parse_eof(&r) != HTTP_PARSE_ERROR)
			abort();
	} else
		abort();
	o->rc = rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	hcaps[4] = { 64, 200, 1024,
	    HTTP_PARSE_HEAD_MAX };
	static const uint64_t	bmaxes[4] = { 0, 7, 4096, HTTP_PARSE_NOLEN };
	struct outcome		a, b;
	uint32_t		seed;
	unsigned		flags;

	if (size < 5)
		return 0;
	flags = data[0] & 0x10 ? HTTP_PARSE_F_HEAD : 0;
	seed = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
	    (uint32_t)data[3] << 8 | data[4];
	seed |= 1;
	if ((a.body = malloc(size)) == NULL || (b.body = malloc(size)) == NULL)
		abort();
	run(&a, (const char *)data + 5, size - 5, 0, hcaps[data[0] & 3],
	    bmaxes[(data[0] >> 2) & 3], flags);
	run(&b, (const char *)data + 5, size - 5, seed, hcaps[data[0] & 3],
	    bmaxes[(data[0] >> 2) & 3], flags);
	if (a.rc != b.rc || a.status != b.status || a.heads != b.heads ||
	    a.blen != b.blen || memcmp(a.body, b.body, a.blen) != 0 ||
	    strcmp(a.error, b.error) != 0 ||
	    (a.rc == HTTP_PARSE_DONE && a.used != b.used))
		abort();
	free(a.body);
	free(b.body);
	return 0;
}
