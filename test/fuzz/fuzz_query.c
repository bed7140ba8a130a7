/*
 * fuzz_query.c -- libFuzzer target for the API's query strings, path
 * %-decoding and strict integers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "query.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct query	 q;
	char		 s[4096], out[512];
	const char	*err;
	uint64_t	 n;
	size_t		 i;

	if (len >= sizeof(s))
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	if (query_parse(&q, s, &err) == 0) {
		for (i = 0; i < q.n; i++) {
			if (strlen(q.p[i].key) >= QUERY_KEY_MAX ||
			    strlen(q.p[i].val) >= QUERY_VALUE_MAX)
				__builtin_trap();
			(void)query_u64(q.p[i].val, &n);
		}
		(void)query_get(&q, "from_seq");
	} else if (err == NULL)
		__builtin_trap();
	/* Accepted means: digits only, at least one (zeros may lead). */
	if (query_u64(s, &n) == 0) {
		if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s))
			__builtin_trap();
	}
	(void)query_decode(s, len, out, sizeof(out));
	return 0;
}
