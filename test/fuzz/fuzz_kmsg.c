/*
 * fuzz_kmsg.c -- libFuzzer target for /dev/kmsg records, the OOM dump
 * state machine and Xid lines (src/kmsg.h).
 *
 * Byte 0 picks the page size and the chunk size; the rest goes through
 * kmsg_split in chunks, and every record through kmsg_parse, oom_feed and
 * kmsg_xid, with each event written as JSON into a fixed buffer that must
 * hold it.  The whole input is also parsed as one /dev/kmsg read.  The
 * parser persists across inputs, as it does in the daemon.
 * SPDX-License-Identifier: ISC
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kmsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct kmsg_split	fz_split;
static struct oom_parser	fz_oom;
static char			fz_json[64 * 1024];
static int			fz_ready;

static void	fz_record(const char *, size_t);
static void	fz_str(const char *, size_t);

/* A string field must end inside its array. */
static void
fz_str(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		abort();
}

static void
fz_record(const char *rec, size_t len)
{
	struct kmsg_record	k;
	struct oom_event	ev;
	struct xid_event	x;
	struct jw		w;
	size_t			i;

	if (kmsg_parse(rec, len, &k) == -1)
		return;
	if (k.msg < rec || k.msg + k.msglen > rec + len)
		abort();
	jw_init(&w, fz_json, sizeof(fz_json), -1);
	if (oom_feed(&fz_oom, &k, &ev) == 1) {
		if (ev.ntop > OOM_TOP_TASKS)
			abort();
		for (i = 0; i < ev.ntop; i++) {
			fz_str(ev.top[i].name, sizeof(ev.top[i].name));
			if (i > 0 && ev.top[i].rss_kb > ev.top[i - 1].rss_kb)
				abort();
		}
		fz_str(ev.process_name, sizeof(ev.process_name));
		fz_str(ev.oom_memcg, sizeof(ev.oom_memcg));
		fz_str(ev.task_memcg, sizeof(ev.task_memcg));
		oom_event_json(&w, NULL, &ev);
	}
	if (kmsg_xid(&k, &x) == 1) {
		fz_str(x.msg, sizeof(x.msg));
		fz_str(x.name, sizeof(x.name));
		fz_str(x.pci, sizeof(x.pci));
		xid_event_json(&w, NULL, &x);
	}
	if (w.err)
		abort();
	if (fz_oom.state >= OOM_STATE_MAX || fz_oom.noise >= OOM_NOISE_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long	 pages[] = { 4096, 16384, 65536, 0 };
	const char		*rec, *p;
	size_t			 chunk, off, k, took, n, rlen;

	if (size < 1)
		return 0;
	if (!fz_ready || (data[0] & 0xc0) == 0xc0) {
		oom_init(&fz_oom, pages[data[0] & 3]);
		kmsg_split_init(&fz_split);
		fz_ready = 1;
	}
	chunk = 1 + ((data[0] >> 2) & 0x0f) * 97;
	p = (const char *)data + 1;
	size--;

	fz_record(p, size);
	for (off = 0; off < size; off += k) {
		k = size - off < chunk ? size - off : chunk;
		for (n = 0; n < k; n += took) {
			took = kmsg_split_feed(&fz_split, p + off + n, k - n);
			while (kmsg_split_next(&fz_split, &rec, &rlen) == 1) {
				if (rec[rlen] != '\0')
					abort();
				fz_record(rec, rlen);
			}
		}
	}
	if (fz_split.len > sizeof(fz_split.buf) ||
	    fz_split.off > fz_split.len)
		abort();
	return 0;
}
