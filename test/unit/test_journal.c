/*
 * test_journal.c -- the event journal (src/journal.h) on real files: round
 * trips, torn tails at every byte, pruning, set-aside, cursors, write
 * errors the kernel really returns, and the fsync policy.
 *
 * Payloads are a pure function of (seq, length), so a replayed or cursor
 * record is checked byte for byte without keeping copies.  Everything
 * lives under one mkdtemp directory, removed at the end.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "journal.h"
#include "timefmt.h"

#define MAXSEQ		4096
#define REC		4096		/* max_record in every test */

static char	 base[PATH_MAX];
static size_t	 plen[MAXSEQ];		/* payload length appended per seq */

/* What a replay or cursor walk saw. */
struct seen {
	uint64_t	 n, first, last;
	int		 bad;		/* wrong bytes or seq not increasing */
	int		 gaps;		/* seq not last + 1 */
};

static int	 nfsync, nclose, nunlink;
static char	 unlinked[512][PATH_MAX];

static void	mkpayload(uint64_t, size_t, char *);
static int	append_seq(uint64_t, size_t, int);
static int	append_range(uint64_t, uint64_t, size_t);
static void	on_replay(uint64_t, const char *, size_t, void *);
static void	see(struct seen *, uint64_t, const char *, size_t);
static int	replay_all(struct seen *);
static void	pjoin(char *, const char *, const char *);
static void	sub(char *, const char *);
static void	segpath(char *, const char *, uint64_t);
static off_t	fsize(const char *);
static uint64_t	dir_bytes(const char *, int *);
static int	rm_one(const char *, const struct stat *, int, struct FTW *);
static void	write_file(const char *, const void *, size_t);
static void	msleep(int);
static void	hook_fsync(int);
static void	hook_close(int);
static void	hook_unlink(const char *);
static void	test_roundtrip(void);
static void	test_torn_case(const char *, const unsigned char *, size_t,
		    size_t, long, int);
static void	test_torn(void);
static void	test_corrupt_older(void);
static void	test_damaged_last(void);
static void	test_prune(void);
static void	test_set_aside(void);
static void	test_cursor(void);
static void	test_fsize_limit(void);
static void	test_enospc(void);
static void	test_sync_policy(void);
static void	test_unusable(void);

/* Bytes that depend on seq and position, starting like an envelope. */
static void
mkpayload(uint64_t seq, size_t len, char *out)
{
	char	head[32];
	size_t	i, n;

	n = (size_t)snprintf(head, sizeof(head), "{\"seq\":%llu,",
	    (unsigned long long)seq);
	for (i = 0; i < len; i++)
		out[i] = i < n ? head[i] : (char)('a' + (seq * 7 + i) % 26);
}

/* Append seq with a payload of len, in two pieces when split is set. */
static int
append_seq(uint64_t seq, size_t len, int split)
{
	static char	a[REC], b[REC];
	size_t		n1 = split ? len / 3 : len;
	char		all[REC];

	mkpayload(seq, len, all);
	memcpy(a, all, n1);
	memcpy(b, all + n1, len - n1);
	if (seq < MAXSEQ)
		plen[seq] = len;
	return journal_append(seq, a, n1, b, len - n1);
}

/* Append from..to with payloads of len; the number that failed. */
static int
append_range(uint64_t from, uint64_t to, size_t len)
{
	int	bad = 0;

	for (; from <= to; from++)
		bad += append_seq(from, len, from % 3 == 0) != 0;
	return bad;
}

static void
see(struct seen *s, uint64_t seq, const char *p, size_t len)
{
	char	want[REC];

	if (s->n > 0 && seq <= s->last)
		s->bad = 1;
	if (s->n > 0 && seq != s->last + 1)
		s->gaps++;
	if (s->n == 0)
		s->first = seq;
	s->last = seq;
	s->n++;
	if (seq >= MAXSEQ || plen[seq] != len) {
		s->bad = 1;
		return;
	}
	mkpayload(seq, len, want);
	if (memcmp(want, p, len) != 0)
		s->bad = 1;
}

static void
on_replay(uint64_t seq, const char *p, size_t len, void *arg)
{
	see(arg, seq, p, len);
}

static int
replay_all(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return journal_replay(0, on_replay, s);
}

/* out = a/b; every path of these tests fits PATH_MAX. */
static void
pjoin(char *out, const char *a, const char *b)
{
	if (snprintf(out, PATH_MAX, "%s/%s", a, b) >= PATH_MAX)
		abort();
}

static void
sub(char *out, const char *name)
{
	pjoin(out, base, name);
}

static void
segpath(char *out, const char *dir, uint64_t seq)
{
	char	name[32];

	snprintf(name, sizeof(name), "%020llu.seg", (unsigned long long)seq);
	pjoin(out, dir, name);
}

static off_t
fsize(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Bytes of every *.seg file in dir, and how many there are. */
static uint64_t
dir_bytes(const char *dir, int *count)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX];
	uint64_t	 sum = 0;
	size_t		 n;

	*count = 0;
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 4, ".seg") != 0)
			continue;
		pjoin(path, dir, de->d_name);
		sum += (uint64_t)fsize(path);
		(*count)++;
	}
	closedir(d);
	return sum;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE	*f = fopen(path, "wb");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK(fwrite(p, 1, n, f) == n);
	fclose(f);
}

static void
msleep(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
hook_fsync(int fd)
{
	CHECK(fcntl(fd, F_GETFD) != -1);
	nfsync++;
}

static void
hook_close(int fd)
{
	CHECK(close(fd) == 0);
	nclose++;
}

static void
hook_unlink(const char *path)
{
	if (nunlink < 512 && strlen(path) < PATH_MAX)
		strcpy(unlinked[nunlink], path);
	nunlink++;
	CHECK(unlink(path) == 0);
}

static void
test_roundtrip(void)
{
	struct journal_stats	st;
	struct seen		s;
	char			dir[PATH_MAX];
	uint64_t		seq, want;
	int			bad = 0, cnt;

	sub(dir, "rt");
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	CHECK(journal_first_seq() == 0 && journal_last_seq() == 0);
	CHECK(replay_all(&s) == 0);
	for (seq = 1; seq <= 300; seq++)
		bad += append_seq(seq, 1 + (seq * 131) % 3000, seq % 3 == 0);
	CHECK(bad == 0);
	CHECK(journal_append(300, "x", 1, NULL, 0) == -1);	/* not above */
	CHECK(journal_append(301, NULL, 0, NULL, REC + 1) == -1);
	CHECK(journal_first_seq() == 1 && journal_last_seq() == 300);
	journal_close();

	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	journal_stats(&st);
	CHECK(st.open && st.torn == 0 && st.corrupt == 0);
	CHECK(st.segments > 1);		/* 440K in 128K segments */
	CHECK(st.bytes == dir_bytes(dir, &cnt) && (size_t)cnt == st.segments);
	CHECK(journal_first_seq() == 1 && journal_last_seq() == 300);
	CHECK(replay_all(&s) == 300);
	CHECK(s.n == 300 && s.first == 1 && s.last == 300 && !s.bad &&
	    s.gaps == 0);
	CHECK(append_range(301, 320, 700) == 0);
	journal_close();

	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	CHECK(replay_all(&s) == 320 && !s.bad && s.last == 320);
	/* The newest records whose payloads add up to at least want. */
	for (want = 0, seq = 311; seq <= 320; seq++)
		want += plen[seq];
	memset(&s, 0, sizeof(s));
	CHECK(journal_replay(want, on_replay, &s) == 10 && s.first == 311);
	memset(&s, 0, sizeof(s));
	CHECK(journal_replay(want + 1, on_replay, &s) == 11 && s.first == 310);
	memset(&s, 0, sizeof(s));
	CHECK(journal_replay(1, on_replay, &s) == 1 && s.first == 320);
	memset(&s, 0, sizeof(s));
	CHECK(journal_replay(UINT64_MAX, on_replay, &s) == 320 && !s.bad);
	journal_close();
}

/*
 * Rewrite the segment as orig[0..len) (one byte flipped at `flip` unless
 * it is -1), reopen, and check the cut and a clean reopen after an append.
 */
static void
test_torn_case(const char *dir, const unsigned char *orig, size_t len,
    size_t start, long flip, int torn)
{
	struct journal_stats	st;
	struct seen		s;
	char			path[PATH_MAX];
	unsigned char		buf[4096];
	uint64_t		last;
	int			ok = 1;

	plen[5] = 105;		/* as in orig; an earlier case appended a 5 */
	segpath(path, dir, 1);
	memcpy(buf, orig, len);
	if (flip >= 0)
		buf[flip] ^= 0x20;
	write_file(path, buf, len);
	ok &= journal_open(dir, 1024 * 1024, REC) == 0;
	journal_stats(&st);
	last = len >= start + 24 + 105 && !torn ? 5 : 4;
	ok &= st.torn == (uint64_t)torn && st.corrupt == 0;
	ok &= journal_last_seq() == last;
	ok &= fsize(path) == (off_t)(torn ? start : len);
	ok &= replay_all(&s) == (int)last && !s.bad;
	ok &= append_seq(last + 1, 50, 1) == 0;
	journal_close();
	ok &= journal_open(dir, 1024 * 1024, REC) == 0;
	journal_stats(&st);
	ok &= st.torn == 0 && journal_last_seq() == last + 1;
	ok &= replay_all(&s) == (int)last + 1 && !s.bad && s.gaps == 0;
	journal_close();
	if (!ok)
		fprintf(stderr, "torn case: len %zu flip %ld\n", len, flip);
	CHECK(ok);
}

static void
test_torn(void)
{
	char		dir[PATH_MAX], path[PATH_MAX];
	unsigned char	orig[4096];
	size_t		size, start, cut;
	FILE		*f;
	long		i;

	sub(dir, "torn");
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	for (i = 1; i <= 5; i++)
		CHECK(append_seq((uint64_t)i, 100 + (size_t)i, i == 5) == 0);
	journal_close();
	segpath(path, dir, 1);
	size = (size_t)fsize(path);
	CHECK(size == 16 + 5 * 24 + 101 + 102 + 103 + 104 + 105);
	start = size - 24 - 105;
	f = fopen(path, "rb");
	CHECK(f != NULL && fread(orig, 1, size, f) == size);
	if (f != NULL)
		fclose(f);

	for (cut = start + 1; cut < size; cut++)
		test_torn_case(dir, orig, cut, start, -1, 1);
	for (i = (long)start; i < (long)size; i++)
		test_torn_case(dir, orig, size, start, i, 1);
	test_torn_case(dir, orig, start, start, -1, 0);
	test_torn_case(dir, orig, size, start, -1, 0);
	/* A header cut short: a last segment of 0..15 bytes goes away. */
	write_file(path, orig, 10);
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	CHECK(journal_last_seq() == 0 && fsize(path) == -1);
	CHECK(append_seq(1, 10, 0) == 0 && journal_last_seq() == 1);
	journal_close();
}

/* A bad record in an older segment ends that segment only. */
static void
test_corrupt_older(void)
{
	struct journal_stats	st;
	struct seen		s;
	char			dir[PATH_MAX], path[PATH_MAX];
	unsigned char		b;
	int			fd;

	sub(dir, "older");
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	CHECK(append_range(1, 300, 1000) == 0);	/* 127 a segment */
	journal_close();
	segpath(path, dir, 1);
	/* Flip a payload byte of record 10. */
	fd = open(path, O_RDWR);
	CHECK(fd != -1);
	CHECK(pread(fd, &b, 1, 16 + 9 * 1024 + 24 + 500) == 1);
	b ^= 1;
	CHECK(pwrite(fd, &b, 1, 16 + 9 * 1024 + 24 + 500) == 1);
	close(fd);
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	journal_stats(&st);
	CHECK(st.corrupt == 1 && st.torn == 0);
	CHECK(journal_first_seq() == 1 && journal_last_seq() == 300);
	CHECK(fsize(path) == 16 + 127 * 1024);	/* left as it was */
	CHECK(replay_all(&s) == 300 - 127 + 9 && !s.bad && s.gaps == 1);
	CHECK(append_seq(301, 10, 0) == 0);
	journal_close();
}

/*
 * Found by fuzz_journal: when the last segment holds no record and goes,
 * the segment before it becomes the last.  Its damaged tail is cut (no
 * append may follow bad bytes), and a damaged segment's name stays a
 * floor for the next seq (a new segment must sort after it).
 */
static void
test_damaged_last(void)
{
	struct journal_stats	st;
	struct seen		s;
	char			dir[PATH_MAX], path[PATH_MAX];
	unsigned char		b = 0xff;
	int			fd;

	sub(dir, "damaged");
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	CHECK(append_range(1, 200, 1000) == 0);	/* segments 1 and 128 */
	journal_close();
	/* Damage record 10 of segment 1; tear segment 128 at its start. */
	segpath(path, dir, 1);
	fd = open(path, O_RDWR);
	CHECK(fd != -1 && pwrite(fd, &b, 1, 16 + 9 * 1024 + 30) == 1);
	close(fd);
	segpath(path, dir, 128);
	CHECK(truncate(path, 16 + 10) == 0);
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	journal_stats(&st);
	CHECK(st.corrupt == 1 && st.torn == 1 && st.segments == 1);
	CHECK(fsize(path) == -1);
	segpath(path, dir, 1);
	CHECK(fsize(path) == 16 + 9 * 1024);
	CHECK(journal_last_seq() == 9);
	CHECK(append_range(10, 12, 100) == 0);
	journal_close();
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	journal_stats(&st);
	CHECK(st.corrupt == 0 && st.torn == 0 && journal_last_seq() == 12);
	CHECK(replay_all(&s) == 12 && !s.bad && s.gaps == 0);
	journal_close();

	/* Segment 1 damaged at its first record, segment 13 empty. */
	fd = open(path, O_RDWR);
	CHECK(fd != -1 && pwrite(fd, &b, 1, 16 + 30) == 1);
	close(fd);
	segpath(path, dir, 13);
	write_file(path, "CTJRNL\001\000\015\000\000\000\000\000\000\000", 16);
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	journal_stats(&st);
	CHECK(st.corrupt == 1 && st.first_seq == 0 && st.segments == 1);
	CHECK(journal_last_seq() == 1);		/* the damaged one's name */
	CHECK(append_seq(2, 100, 0) == 0 && append_seq(3, 100, 1) == 0);
	journal_stats(&st);
	CHECK(st.write_errors == 0 && st.segments == 1);	/* in 1 */
	journal_close();
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	CHECK(replay_all(&s) == 2 && s.first == 2 && !s.bad);
	journal_close();
}

static void
test_prune(void)
{
	struct journal_stats	st;
	struct seen		s;
	char			dir[PATH_MAX], path[PATH_MAX];
	uint64_t		seq, max = 256 * 1024, oldest;
	int			over = 0, bad = 0, gone = 0, order = 1, i, cnt;

	sub(dir, "prune");
	nunlink = nclose = 0;
	journal_set_hooks(hook_fsync, hook_close, hook_unlink);
	CHECK(journal_open(dir, max, REC) == 0);
	for (seq = 1; seq <= 1000; seq++) {
		bad += append_seq(seq, 3000 + (seq * 17) % 1000, seq & 1) != 0;
		journal_stats(&st);
		over += st.bytes > max;
		if (seq % 100 == 0)
			over += dir_bytes(dir, &cnt) != st.bytes;
	}
	CHECK(bad == 0 && over == 0);
	journal_stats(&st);
	CHECK(st.pruned_segments > 50 && (uint64_t)nunlink ==
	    st.pruned_segments);
	CHECK(nclose > 100);		/* each finished segment, the dir */
	CHECK(st.segments <= 10 && st.bytes > max / 2);
	for (i = 0; i < nunlink && i < 512; i++) {
		gone += fsize(unlinked[i]) == -1;
		if (i > 0 && strcmp(unlinked[i - 1], unlinked[i]) >= 0)
			order = 0;
	}
	CHECK(gone == nunlink && order);
	oldest = journal_first_seq();
	CHECK(oldest > 1 && journal_last_seq() == 1000);
	segpath(path, dir, oldest);
	CHECK(fsize(path) > 0);		/* its segment is named by it */
	CHECK(replay_all(&s) == (int)(1000 - oldest + 1) && !s.bad &&
	    s.gaps == 0 && s.first == oldest);
	journal_close();
	CHECK(journal_open(dir, max, REC) == 0);
	journal_stats(&st);
	CHECK(st.torn == 0 && st.corrupt == 0 && st.pruned_segments == 0);
	CHECK(journal_first_seq() == oldest && journal_last_seq() == 1000);
	journal_close();
	/* A smaller bound at open prunes at once, inline. */
	CHECK(journal_open(dir, max / 2, REC) == 0);
	journal_stats(&st);
	CHECK(st.bytes <= max / 2 && st.pruned_segments > 0);
	CHECK(dir_bytes(dir, &cnt) == st.bytes);
	CHECK(journal_last_seq() == 1000 && journal_first_seq() > oldest);
	journal_close();
	journal_set_hooks(NULL, NULL, NULL);
}

static void
test_set_aside(void)
{
	struct journal_stats	st;
	struct seen		s;
	char			dir[PATH_MAX], path[PATH_MAX];
	char			aside[2][PATH_MAX];
	unsigned char		seg[116];
	size_t			n;
	int			k, cnt;

	sub(dir, "aside");
	for (k = 0; k < 2; k++) {
		CHECK(mkdir(dir, 0750) == 0 || errno == EEXIST);
		memset(seg, 'j', sizeof(seg));
		memcpy(seg, k == 0 ? "CTJRNL\002\000" : "XXJRNL\001\000", 8);
		memset(seg + 8, 0, 8);
		seg[8] = 1;
		segpath(path, dir, 1);
		write_file(path, seg, sizeof(seg));
		pjoin(path, dir, "notes.txt");
		write_file(path, "keep me", 7);

		CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
		journal_stats(&st);
		n = strlen(dir);
		CHECK(strncmp(st.set_aside_path, dir, n) == 0 &&
		    strncmp(st.set_aside_path + n, ".set-aside-", 11) == 0);
		CHECK(strlen(st.set_aside_path) < PATH_MAX);
		strcpy(aside[k], st.set_aside_path);
		segpath(path, aside[k], 1);
		CHECK(fsize(path) == (off_t)sizeof(seg));
		pjoin(path, aside[k], "notes.txt");
		CHECK(fsize(path) == 7);
		CHECK(st.segments == 0 && journal_first_seq() == 0 &&
		    journal_last_seq() == 0);
		CHECK(dir_bytes(dir, &cnt) == 0 && cnt == 0);
		CHECK(append_range(1, 3, 20) == 0);
		journal_close();
		CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
		journal_stats(&st);
		CHECK(st.set_aside_path[0] == '\0');
		CHECK(replay_all(&s) == 3 && !s.bad);
		journal_close();
		/* Make room for the next round's foreign segment. */
		segpath(path, dir, 1);
		CHECK(unlink(path) == 0);
	}
	CHECK(strcmp(aside[0], aside[1]) != 0);
}

static void
test_cursor(void)
{
	struct journal_cursor	c, d;
	struct seen		s;
	char			dir[PATH_MAX], buf[REC];
	uint64_t		seq, oldest, prev;
	size_t			len;
	int			rc;

	sub(dir, "cursor");
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	CHECK(append_range(1, 400, 1000) == 0);		/* 4 segments */

	/* From the middle of the oldest segment, on to the end. */
	journal_cursor_init(&c, 50);
	memset(&s, 0, sizeof(s));
	while ((rc = journal_cursor_next(&c, buf, sizeof(buf), &seq,
	    &len)) == 1)
		see(&s, seq, buf, len);
	CHECK(rc == 0 && s.n == 351 && s.first == 50 && s.last == 400 &&
	    !s.bad && s.gaps == 0);
	/* Left at the end, it picks up what is appended later. */
	CHECK(append_seq(401, 999, 1) == 0);
	CHECK(journal_cursor_next(&c, buf, sizeof(buf), &seq, &len) == 1 &&
	    seq == 401 && len == 999);
	CHECK(journal_cursor_next(&c, buf, sizeof(buf), &seq, &len) == 0);
	/* Middle of a later segment; before everything; past the end. */
	journal_cursor_init(&d, 200);
	CHECK(journal_cursor_next(&d, buf, sizeof(buf), &seq, &len) == 1 &&
	    seq == 200);
	journal_cursor_init(&d, 0);
	CHECK(journal_cursor_next(&d, buf, sizeof(buf), &seq, &len) == 1 &&
	    seq == 1);
	journal_cursor_init(&d, 402);
	CHECK(journal_cursor_next(&d, buf, sizeof(buf), &seq, &len) == 0);
	journal_cursor_init(&d, 3000);
	CHECK(append_seq(402, 10, 0) == 0);
	CHECK(journal_cursor_next(&d, buf, sizeof(buf), &seq, &len) == 0);
	CHECK(journal_cursor_next(&d, buf, 100, &seq, &len) == -1);

	/* Pruned under a reader: it jumps to the oldest record left. */
	journal_cursor_init(&c, 10);
	for (prev = 0; prev < 12; prev = seq)
		CHECK(journal_cursor_next(&c, buf, sizeof(buf), &seq,
		    &len) == 1 && seq == (prev ? prev + 1 : 10));
	CHECK(append_range(403, 1500, 1000) == 0);
	oldest = journal_first_seq();
	CHECK(oldest > 13);
	memset(&s, 0, sizeof(s));
	while ((rc = journal_cursor_next(&c, buf, sizeof(buf), &seq,
	    &len)) == 1)
		see(&s, seq, buf, len);
	CHECK(rc == 0 && s.first == oldest && s.last == 1500 && !s.bad &&
	    s.gaps == 0);
	journal_cursor_init(&d, 1);
	CHECK(journal_cursor_next(&d, buf, sizeof(buf), &seq, &len) == 1 &&
	    seq == oldest);
	/* A cursor from before a reopen places itself again. */
	journal_close();
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	CHECK(journal_cursor_next(&d, buf, sizeof(buf), &seq, &len) == 1 &&
	    seq == oldest + 1);
	journal_close();
}

/*
 * A real short write and EFBIG from the kernel: RLIMIT_FSIZE needs no
 * privilege.  Nothing is printed while the limit holds (stderr may be a
 * file over it).
 */
static void
test_fsize_limit(void)
{
	struct journal_stats	st;
	struct seen		s;
	struct rlimit		old, lim;
	char			dir[PATH_MAX], path[PATH_MAX];
	off_t			before, after;
	int			r1, r2;
	void			(*oldsig)(int);

	sub(dir, "fsize");
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	CHECK(append_range(1, 10, 200) == 0);
	segpath(path, dir, 1);
	before = fsize(path);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 24 + 50;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	r1 = append_seq(11, 200, 1);	/* short write, cut back */
	lim.rlim_cur = (rlim_t)before;
	setrlimit(RLIMIT_FSIZE, &lim);
	r2 = append_seq(12, 200, 0);	/* EFBIG: nothing written */
	after = fsize(path);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, oldsig);
	journal_stats(&st);
	CHECK(r1 == -1 && r2 == -1 && st.write_errors == 2);
	CHECK(after == before && st.bytes == (uint64_t)before);
	CHECK(append_seq(13, 200, 1) == 0);
	journal_stats(&st);
	CHECK(st.write_errors == 2 && journal_last_seq() == 13);
	journal_close();
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	journal_stats(&st);
	CHECK(st.torn == 0 && st.corrupt == 0 && journal_last_seq() == 13);
	CHECK(replay_all(&s) == 11 && !s.bad && s.gaps == 1);
	journal_close();
}

/* ENOSPC from a small tmpfs; needs root and mount(8), else CHECK_SKIP. */
static void
test_enospc(void)
{
	struct journal_stats	st;
	struct seen		s;
	char			mnt[PATH_MAX], dir[PATH_MAX], fill[PATH_MAX];
	char			cmd[PATH_MAX + 64], *z;
	uint64_t		seq, failed = 0;
	int			cnt, ok = 0;

	sub(mnt, "mnt");
	if (snprintf(cmd, sizeof(cmd), "mount -t tmpfs -o size=256k tmpfs "
	    "'%s' 2>/dev/null", mnt) >= (int)sizeof(cmd))
		abort();
	if (geteuid() != 0 || mkdir(mnt, 0700) == -1 || system(cmd) != 0) {
		CHECK_SKIP("cannot mount a tmpfs (not root?): ENOSPC is not "
		    "checked");
		return;
	}
	pjoin(dir, mnt, "journal");
	pjoin(fill, mnt, "filler");
	CHECK(journal_open(dir, 16 * 1024 * 1024, REC) == 0);
	z = calloc(1, 64 * 1024);
	CHECK(z != NULL);
	if (z != NULL)
		write_file(fill, z, 64 * 1024);
	free(z);
	for (seq = 1; seq < 1000 && failed == 0; seq++) {
		if (append_seq(seq, 3000, seq & 1) == 0)
			ok++;
		else
			failed = seq;
	}
	journal_stats(&st);
	CHECK(failed > 1 && st.write_errors == 1);
	CHECK(dir_bytes(dir, &cnt) == st.bytes);	/* cut back exactly */
	CHECK(append_seq(failed + 1, 3000, 0) == -1);
	journal_stats(&st);
	CHECK(st.write_errors == 2);
	CHECK(unlink(fill) == 0);
	CHECK(append_seq(failed + 2, 3000, 1) == 0);
	journal_close();
	CHECK(journal_open(dir, 16 * 1024 * 1024, REC) == 0);
	journal_stats(&st);
	CHECK(st.torn == 0 && st.corrupt == 0);
	CHECK(journal_last_seq() == failed + 2);
	CHECK(replay_all(&s) == ok + 1 && !s.bad && s.gaps == 1);
	journal_close();
	if (snprintf(cmd, sizeof(cmd), "umount '%s'", mnt) >= (int)sizeof(cmd))
		abort();
	CHECK(system(cmd) == 0);
}

static void
test_sync_policy(void)
{
	char	dir[PATH_MAX];
	int	i;

	sub(dir, "sync");
	nfsync = 0;
	journal_set_hooks(hook_fsync, hook_close, NULL);
	CHECK(journal_open(dir, 1024 * 1024, REC) == 0);
	journal_sync(1);
	journal_tick();
	CHECK(nfsync == 0);			/* nothing to sync */
	for (i = 1; i <= 50; i++) {
		CHECK(append_seq((uint64_t)i, 100, 0) == 0);
		journal_sync(0);
		journal_tick();
	}
	CHECK(nfsync == 1);
	msleep(1100);
	journal_sync(0);
	CHECK(nfsync == 2);
	journal_sync(0);
	journal_tick();
	journal_sync(1);
	CHECK(nfsync == 2);			/* nothing new */
	CHECK(append_seq(51, 100, 0) == 0);
	journal_sync(1);
	CHECK(nfsync == 3);			/* at once */
	CHECK(append_seq(52, 100, 0) == 0);
	journal_sync(0);
	journal_tick();
	CHECK(nfsync == 3);
	msleep(1100);
	journal_tick();
	CHECK(nfsync == 4);
	journal_close();
	journal_set_hooks(NULL, NULL, NULL);
}

/* A directory that cannot be used: -1, and every call stays harmless. */
static void
test_unusable(void)
{
	struct journal_stats	st;
	struct journal_cursor	c;
	char			path[PATH_MAX], buf[REC];
	uint64_t		seq;
	size_t			len;

	sub(path, "plainfile");
	write_file(path, "x", 1);
	CHECK(journal_open(path, 1024 * 1024, REC) == -1);
	CHECK(journal_open(base, 1000, REC) == -1);	/* bound < record */
	CHECK(journal_append(1, "x", 1, NULL, 0) == -1);
	CHECK(journal_replay(0, on_replay, NULL) == -1);
	journal_cursor_init(&c, 1);
	CHECK(journal_cursor_next(&c, buf, sizeof(buf), &seq, &len) == 0);
	journal_sync(1);
	journal_tick();
	journal_stats(&st);
	CHECK(st.open == 0 && st.segments == 0);
	journal_close();
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/test_journal.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_unusable();
	test_roundtrip();
	test_torn();
	test_corrupt_older();
	test_damaged_last();
	test_prune();
	test_set_aside();
	test_cursor();
	test_fsize_limit();
	test_enospc();
	test_sync_policy();
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return CHECK_DONE();
}
