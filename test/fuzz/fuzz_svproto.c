/*
 * fuzz_svproto.c -- libFuzzer target for the supervisord eventlistener
 * reader and crash mapping (src/svproto.c).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *       test/fuzz/fuzz_svproto.c src/svproto.c -o fuzz_svproto
 *   ./fuzz_svproto -max_total_time=60
 *
 * The first two input bytes pick where the rest is cut in two chunks; both
 * are fed until used up, every event is mapped (and extended by the
 * bytes that follow it, as the listener does), and the reader's promises
 * are checked: progress on every call, spans inside its buffers, counts
 * that add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct sv_reader	rd;

static void
check_span(struct sv_span s, const char *base, size_t len)
{
	if (s.p == NULL)
		return;
	if (s.p < base || s.p + s.n > base + len)
		abort();
}

static void
check_event(void)
{
	const struct sv_event	*ev = &rd.ev;
	struct sv_crash		 c;
	int			 rc;

	check_span(ev->eventname, rd.hdr, sizeof(rd.hdr));
	check_span(ev->serial, rd.hdr, sizeof(rd.hdr));
	check_span(ev->processname, rd.payload, ev->payload_len);
	check_span(ev->from_state, rd.payload, ev->payload_len);
	if (ev->payload_len > SV_PAYLOAD_MAX || ev->len > SV_LEN_MAX)
		abort();
	if (ev->payload_len + ev->skipped < ev->len)
		abort();
	rc = sv_map(ev, &c);
	if (rc == SV_MAP_CRASH) {
		if (c.phase == NULL || c.service_name[0] == '\0' ||
		    strlen(c.service_name) >= SV_NAME_MAX ||
		    strlen(c.group_name) >= SV_NAME_MAX ||
		    strlen(c.from_state) >= SV_WORD_MAX ||
		    strlen(c.eventname) >= SV_WORD_MAX)
			abort();
		if (strcmp(c.phase, "gave_up") == 0 && c.pid != -1)
			abort();
	} else if (rc != SV_MAP_NONE && rc != SV_MAP_SKIPPED &&
	    rc != SV_MAP_INVALID)
		abort();
}

/* Feed one chunk to the end, as the listener would. */
static void
feed(const uint8_t *p, size_t len)
{
	size_t	used, took;
	int	rc;

	while (len > 0) {
		rc = sv_reader_feed(&rd, p, len, &used);
		if (used > len || (used == 0 && rc == SV_MORE))
			abort();
		p += used;
		len -= used;
		if (rc == SV_MORE && len != 0)
			abort();
		if (rc == SV_ERROR) {
			if (rd.err == SV_E_NONE)
				abort();
			(void)sv_strerror(rd.err);
		}
		if (rc != SV_EVENT)
			continue;
		check_event();
		if (sv_reader_wants(&rd)) {
			took = sv_reader_extend(&rd, p, len);
			if (took > len)
				abort();
			p += took;
			len -= took;
			check_event();
		} else if (sv_reader_extend(&rd, p, len) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	cut;

	sv_reader_reset(&rd);
	if (size < 2)
		return 0;
	cut = ((size_t)data[0] | (size_t)data[1] << 8) % (size - 1);
	data += 2;
	size -= 2;
	feed(data, cut);
	feed(data + cut, size - cut);
	(void)sv_reader_busy(&rd);
	return 0;
}
