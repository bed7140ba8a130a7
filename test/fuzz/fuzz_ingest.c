/*
 * fuzz_ingest.c -- libFuzzer target for event ingest: any bytes through
 * ingest_parse(); what it accepts is re-serialized into the ring and must
 * come back as one well-formed envelope.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "events.h"
#include "ingest.h"
#include "json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ingest	ig;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int	init;
	struct ev_meta	m;
	struct ev_view	v;
	uint64_t	seq;

	if (!init) {
		events_init(64, 1 << 20, 256 * 1024);
		init = 1;
	}
	if (len > 64 * 1024)
		return 0;
	if (ingest_parse(&ig, (const char *)data, len) == -1)
		return 0;
	ingest_meta(&ig, &m);
	seq = events_emit(&m, ingest_data, &ig);
	if (events_get(seq, &v) == -1 || v.n1 + v.n2 < 2 || v.p1[0] != '{')
		__builtin_trap();
	return 0;
}
