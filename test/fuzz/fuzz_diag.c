/*
 * fuzz_diag.c -- libFuzzer target for the stderr matcher (src/diag.h).
 *
 * Byte 0 picks where the rest is split in two diag_feed() calls; if byte 1
 * is odd, the line after it (up to 60 bytes) is first added as a
 * configured pattern, so the pattern compiler and the glob are fuzzed too.
 * Then diag_eof() and diag_json() into a fixed buffer, which must be big
 * enough for any run, and the hit table's bounds are checked.
 * SPDX-License-Identifier: ISC
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct diag_run	fz_run;
static char		fz_json[512 * 1024];
static int		fz_custom = -1;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jw	 w;
	char		 pat[64];
	const uint8_t	*nl;
	size_t		 split, i, j, total;

	if (size < 2)
		return 0;
	if (data[1] & 1) {
		nl = memchr(data + 2, '\n', size - 2);
		i = nl != NULL ? (size_t)(nl - data) - 2 : size - 2;
		if (i > 60)
			i = 60;
		memcpy(pat, data + 2, i);
		pat[i] = '\0';
		diag_init("linux");
		(void)diag_add("fuzz", "info", pat, "fuzzed pattern",
		    (data[1] >> 1) % 10, NULL);
		fz_custom = 1;
	} else if (fz_custom != 0) {
		diag_init("linux");
		fz_custom = 0;
	}
	split = (size - 2) * data[0] / 255;
	diag_run_reset(&fz_run);
	diag_feed(&fz_run, data + 2, split, 1);
	diag_feed(&fz_run, data + 2 + split, size - 2 - split, 2);
	diag_eof(&fz_run, 3);

	if (diag_nhits(&fz_run) > DIAG_HITS_MAX)
		abort();
	for (i = 0; i < diag_nhits(&fz_run); i++) {
		const struct diag_hit	*h = &fz_run.hits[i];

		if (h->msglen > DIAG_MSG_MAX || h->count == 0 ||
		    h->first.n > DIAG_EVIDENCE_MAX ||
		    h->last.n > DIAG_EVIDENCE_MAX)
			abort();
		for (j = 0, total = 0; j < h->last.n; j++) {
			if (h->last.len[j] > DIAG_EVLINE_MAX)
				abort();
			total += h->last.len[j];
		}
		if (total > DIAG_EVIDENCE_BUF)
			abort();
	}
	jw_init(&w, fz_json, sizeof(fz_json), -1);
	diag_json(&w, "diagnostics", &fz_run);
	if (w.err)
		abort();
	return 0;
}
