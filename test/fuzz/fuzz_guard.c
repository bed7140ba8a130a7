/*
 * fuzz_guard.c -- libFuzzer target for the API guard's request-head
 * parser (api_guard_parse() in src/api_guard.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       test/fuzz/fuzz_guard.c src/api_guard.c src/log.c src/timefmt.c \
 *       -levent -o fuzz_guard
 *   ./fuzz_guard -max_total_time=60
 *
 * The input, copied to a buffer of its exact size, is parsed whole and
 * cut short; the parser's promises are checked: it stays inside the
 * buffer, a complete head ends in its blank line and fits
 * API_GUARD_HEAD_MAX, its Authorization lies inside it, and every shorter
 * cut of a complete head reads as not yet complete (so that the guard
 * holds evhttp off for it rather than letting it through).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_guard.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guard_head	 h, h2;
	char			*p;
	size_t			 n = size < API_GUARD_HEAD_MAX ? size :
				    API_GUARD_HEAD_MAX, cut;
	int			 r;

	if ((p = malloc(n ? n : 1)) == NULL)
		return 0;
	memcpy(p, data, n);
	r = api_guard_parse(p, n, &h);
	if (r < -1 || r > 1)
		abort();
	if (r == 0 && n >= API_GUARD_HEAD_MAX)
		abort();
	if (r == 1) {
		if (h.len < 4 || h.len > n || memcmp(p + h.len - 4,
		    "\r\n\r\n", 4) != 0)
			abort();
		if (h.auth != NULL && (h.auth < p ||
		    h.auth + h.authlen > p + h.len))
			abort();
		if (h.chunked == 0 && h.has_clen == 0 && h.clen != 0)
			abort();
		for (cut = h.len - 1; cut > 0; cut = cut * 3 / 4) {
			free(p);
			if ((p = malloc(cut)) == NULL)
				return 0;
			memcpy(p, data, cut);
			if (api_guard_parse(p, cut, &h2) != 0)
				abort();
		}
	}
	free(p);
	return 0;
}
