/*
 * fuzz_presign.c -- libFuzzer target for what an upload server and the
 * spool directory hand crashtrail: the presign reply (src/presign.c),
 * a Retry-After value (http_retry_after) and a job record (src/spool.c).
 *
 * The first byte picks the parser; the rest is its input, copied to a
 * buffer of exactly its size so ASan sees any read past it.  Results are
 * checked against the parsers' promises: an accepted reply has an http(s)
 * URL and sane numbers; an accepted record formats back to a record that
 * parses to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "presign.h"
#include "spool.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct presign_reply	r;
	static struct spool_rec		rec, back;
	static char			out[SPOOL_REC_MAX];
	const char			*err;
	char				*p;
	int64_t				 d;
	int				 n;

	if (size < 1)
		return 0;
	if ((p = malloc(size)) == NULL)
		return 0;
	memcpy(p, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		if (presign_parse(p, size - 1, &r, &err) == 0) {
			if (strncmp(r.url, "http://", 7) != 0 &&
			    strncmp(r.url, "https://", 8) != 0)
				abort();
			if (r.expires_in < -1 || r.max_size < -1)
				abort();
		} else if (err == NULL)
			abort();
		break;
	case 1:
		p[size - 1] = '\0';	/* a header value is a C string */
		if (http_retry_after(p, 1796155552, &d) == 0 &&
		    (d < 0 || d > HTTP_RETRY_AFTER_MAX))
			abort();
		break;
	default:
		if (spool_parse(p, size - 1, &rec, &err) == 0) {
			n = spool_format(&rec, out, sizeof(out));
			if (n < 0 || spool_parse(out, (size_t)n, &back,
			    &err) != 0 || memcmp(&rec, &back, sizeof(rec)) != 0)
				abort();
		}
		break;
	}
	free(p);
	return 0;
}
