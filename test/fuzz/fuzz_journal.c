/*
 * fuzz_journal.c -- libFuzzer target for the journal's start-up reader,
 * replay and cursors (src/journal.c).
 *
 *   make build/fuzz/fuzz_journal
 *   build/fuzz/fuzz_journal -max_total_time=60 -close_fd_mask=2 \
 *       test/fuzz/corpus/journal
 *
 * The input becomes segment files in a fresh journal directory (under
 * /dev/shm when there is one, so fsync costs nothing).  Its first byte
 * picks how:
 *   bit 0  prefix a valid header (else the input brings its own)
 *   bit 1  rewrite the check bytes of every record that fits, so records
 *          get past the checksum to the length and seq rules
 *   bit 2  cut the rest in two segments at the offset in bytes 1-2; the
 *          second is named 1000 (with a valid header under bit 0)
 *   bit 3  a small bound (8 KiB), so the appends below roll and prune
 * Then: open, replay everything and a part, walk a cursor from 0 and one
 * from the middle, append a few records with a cursor reading across the
 * prunes they cause, close, and reopen.  The promises checked: seq only
 * grows, lengths stay within max_record, replay and the cursor agree, and
 * a journal the reader cut or wrote itself reopens with nothing torn.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "journal.h"
#include "log.h"

#define FZ_REC	512

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	fz_base[PATH_MAX - 64], fz_dir[PATH_MAX - 32];

struct fz_seen {
	uint64_t	n, last;
};

static void
fz_nofsync(int fd)
{
	(void)fd;
}

static void
fz_close(int fd)
{
	close(fd);
}

static int	fz_keep_base = 1;

static int
fz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0 || !fz_keep_base)
		remove(path);
	return 0;
}

static void
fz_cleanup(void)
{
	fz_keep_base = 0;
	nftw(fz_base, fz_rm, 8, FTW_DEPTH | FTW_PHYS);
}

static void
fz_fix_checks(unsigned char *p, size_t n)
{
	br_sha256_context	ctx;
	unsigned char		d[32];
	size_t			off = 16;
	uint32_t		len;

	while (n >= off + 24) {
		len = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
		    (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
		if (len > n - off - 24)
			break;
		br_sha256_init(&ctx);
		br_sha256_update(&ctx, p + off, 16);
		br_sha256_update(&ctx, p + off + 24, len);
		br_sha256_out(&ctx, d);
		memcpy(p + off + 16, d, 8);
		off += 24 + (size_t)len;
	}
}

/* Write one segment: a valid header first when `hdr`, then data. */
static void
fz_segment(uint64_t first, int hdr, int fix, const uint8_t *data, size_t n)
{
	unsigned char	*p;
	char		 path[PATH_MAX];
	size_t		 len = n + (hdr ? 16 : 0), i;
	FILE		*f;

	if ((p = malloc(len + 1)) == NULL)
		abort();
	if (hdr) {
		memcpy(p, "CTJRNL\001\000", 8);
		for (i = 0; i < 8; i++)
			p[8 + i] = (unsigned char)(first >> (8 * i));
	}
	if (n > 0)
		memcpy(p + (hdr ? 16 : 0), data, n);
	if (fix)
		fz_fix_checks(p, len);
	snprintf(path, sizeof(path), "%s/%020llu.seg", fz_dir,
	    (unsigned long long)first);
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (len > 0 && fwrite(p, 1, len, f) != len)
		abort();
	fclose(f);
	free(p);
}

static void
fz_on_record(uint64_t seq, const char *p, size_t len, void *arg)
{
	struct fz_seen	*s = arg;
	volatile char	 sink;

	if (len > FZ_REC || (s->n > 0 && seq <= s->last) || seq == 0)
		abort();
	if (len > 0)
		sink = p[0] ^ p[len - 1];
	(void)sink;
	s->last = seq;
	s->n++;
}

/* Walk a cursor from `from` to the end; checks it against replay's order. */
static uint64_t
fz_walk(uint64_t from)
{
	struct journal_cursor	c;
	static char		buf[FZ_REC];
	uint64_t		seq, n = 0, last = 0;
	size_t			len;
	int			rc;

	journal_cursor_init(&c, from);
	while ((rc = journal_cursor_next(&c, buf, sizeof(buf), &seq,
	    &len)) == 1) {
		if (len > FZ_REC || seq < from || (n > 0 && seq <= last))
			abort();
		last = seq;
		n++;
	}
	if (rc != 0)
		abort();
	return n;
}

static void
fz_run(uint64_t max_bytes, const uint8_t *data, size_t size)
{
	struct journal_stats	st;
	struct journal_cursor	c;
	struct fz_seen		all = { 0, 0 }, part = { 0, 0 };
	static char		buf[FZ_REC];
	uint64_t		last, seq;
	size_t			len, i;
	int			n;

	if (journal_open(fz_dir, max_bytes, FZ_REC) == -1)
		return;
	n = journal_replay(0, fz_on_record, &all);
	if (n < 0 || (uint64_t)n != all.n || all.last > journal_last_seq())
		abort();
	if (journal_replay(1 + size * 7, fz_on_record, &part) < 0 ||
	    part.n > all.n || part.last != all.last)
		abort();
	if (fz_walk(0) != all.n || fz_walk(journal_first_seq()) != all.n)
		abort();
	fz_walk(all.last / 2);

	journal_cursor_init(&c, 0);
	last = journal_last_seq();
	for (i = 0; i < 40; i++) {
		len = size > 0 ? (data[i % size] * 3u) % (FZ_REC + 1) : i;
		if (journal_append(last + 1, (const char *)data,
		    len < size ? len : size, buf, len < size ? 0 :
		    len - size) == 0)
			last++;
		if (i % 5 == 0 && journal_cursor_next(&c, buf, sizeof(buf),
		    &seq, &len) == -1)
			abort();
	}
	journal_sync(1);
	journal_close();

	if (journal_open(fz_dir, max_bytes, FZ_REC) == -1)
		abort();
	journal_stats(&st);
	if (st.torn != 0 || journal_last_seq() != last)
		abort();
	journal_close();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned	flags, cut;
	uint64_t	max_bytes;

	if (fz_base[0] == '\0') {
		snprintf(fz_base, sizeof(fz_base), "%s/fuzz_journal.XXXXXX",
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (mkdtemp(fz_base) == NULL)
			abort();
		snprintf(fz_dir, sizeof(fz_dir), "%s/journal", fz_base);
		journal_set_hooks(fz_nofsync, fz_close, NULL);
		atexit(fz_cleanup);
		log_setlevel(LOG_LEVEL_WARN);
	}
	nftw(fz_base, fz_rm, 8, FTW_DEPTH | FTW_PHYS);
	if (mkdir(fz_dir, 0750) == -1)
		abort();
	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	max_bytes = flags & 8 ? 8 * 1024 : 1024 * 1024;
	if (flags & 4 && size >= 2) {
		cut = (unsigned)(data[0] | data[1] << 8);
		data += 2;
		size -= 2;
		if (cut > size)
			cut = (unsigned)size;
		fz_segment(1, flags & 1, flags & 2, data, cut);
		fz_segment(1000, flags & 1, flags & 2, data + cut, size - cut);
	} else
		fz_segment(1, flags & 1, flags & 2, data, size);
	fz_run(max_bytes, data, size);
	return 0;
}
