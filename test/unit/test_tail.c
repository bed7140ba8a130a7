/*
 * test_tail.c -- the bounded tail (src/tail.h) against a reference model.
 *
 * The model keeps the whole stream and computes the expected window by
 * scanning it, so it shares no code or representation with the ring; both
 * are fed the same randomized put sequences and compared after every put.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tail.h"

#define DEF_CAP		(64 * 1024)
#define DEF_LINES	200

/* One tail with its storage, sized at run time. */
struct fixture {
	struct tail	 t;
	unsigned char	*buf;
};

/* The whole stream as the model sees it. */
struct stream {
	unsigned char	*s;
	size_t		 len, cap;
};

static uint64_t	rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t	rng(void);
static size_t	rng_below(size_t);
static void	fixture_init(struct fixture *, size_t, size_t);
static void	fixture_free(struct fixture *);
static void	stream_put(struct stream *, const void *, size_t);
static size_t	ref_window(const unsigned char *, size_t, size_t, size_t,
		    size_t *);
static size_t	ref_nlines(const unsigned char *, size_t, size_t);
static int	agrees(const struct fixture *, const struct stream *,
		    const char *);
static void	put_both(struct fixture *, struct stream *, const void *,
		    size_t);
static void	fill(unsigned char *, size_t, unsigned);
static void	test_random(size_t, size_t, int, size_t);
static void	test_small_cases(void);
static void	test_line_counts(void);
static void	test_cap_sized_lines(void);
static void	test_huge_no_newline(void);
static void	test_reset(void);
static void	test_copy_short(void);

/* xorshift64*: reproducible without depending on libc's rand(). */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t
rng_below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rng() % n);
}

static void
fixture_init(struct fixture *f, size_t cap, size_t lines)
{
	if ((f->buf = malloc(cap)) == NULL) {
		perror("malloc");
		exit(2);
	}
	/* Garbage in the ring must never show through. */
	memset(f->buf, '#', cap);
	tail_init(&f->t, f->buf, cap, lines);
}

static void
fixture_free(struct fixture *f)
{
	free(f->buf);
}

static void
stream_put(struct stream *st, const void *p, size_t n)
{
	unsigned char	*ns;

	if (st->len + n > st->cap) {
		st->cap = (st->len + n) * 2 + 4096;
		if ((ns = realloc(st->s, st->cap)) == NULL) {
			perror("realloc");
			exit(2);
		}
		st->s = ns;
	}
	if (n > 0)
		memcpy(st->s + st->len, p, n);
	st->len += n;
}

/*
 * The expected window of stream s[0..h): the last `maxlines` lines (a line
 * starts at 0 or just after a '\n', and a start at h is no line); if that
 * is more than `cap` bytes, the first line start at or after h - cap; if
 * there is none, the last line alone is too long: its last cap bytes.
 */
static size_t
ref_window(const unsigned char *s, size_t h, size_t cap, size_t maxlines,
    size_t *startp)
{
	size_t	floor = h > cap ? h - cap : 0, best = SIZE_MAX, start = 0;
	size_t	i, k = 0;

	if (h == 0) {
		*startp = 0;
		return 0;
	}
	/* The last line's start is the first one found, counted as 1. */
	for (i = h - 1; i > 0; i--) {
		if (s[i - 1] != '\n')
			continue;
		if (i < floor) {
			start = i;
			break;
		}
		best = i;
		if (++k == maxlines) {
			start = i;
			break;
		}
	}
	if (start < floor)
		start = best != SIZE_MAX ? best : floor;
	*startp = start;
	return h - start;
}

/* Lines in s[start..h): its newlines, plus a final partial line. */
static size_t
ref_nlines(const unsigned char *s, size_t start, size_t h)
{
	size_t	i, n = 0;

	for (i = start; i < h; i++)
		if (s[i] == '\n')
			n++;
	if (h > start && s[h - 1] != '\n')
		n++;
	return n;
}

/*
 * Compare every query of the tail with the model; print the first few
 * disagreements in detail, since CHECK alone only names the line.
 */
static int
agrees(const struct fixture *f, const struct stream *st, const char *what)
{
	static int	 reported;
	static unsigned char *dst;
	static size_t	 dstcap;
	size_t		 rstart, rlen, len, nl, rnl, got, d;
	uint64_t	 start;
	int		 ok = 1;

	if (dstcap < f->t.r.cap) {
		free(dst);
		dstcap = f->t.r.cap;
		if ((dst = malloc(dstcap)) == NULL) {
			perror("malloc");
			exit(2);
		}
	}
	rlen = ref_window(st->s, st->len, f->t.r.cap, f->t.maxlines, &rstart);
	len = tail_window(&f->t, &start);
	if (len != rlen || start != rstart)
		ok = 0;
	rnl = ref_nlines(st->s, rstart, st->len);
	nl = tail_nlines(&f->t);
	if (nl != rnl)
		ok = 0;
	got = tail_copy(&f->t, dst, dstcap);
	if (got != rlen || (rlen > 0 &&
	    memcmp(dst, st->s + rstart, rlen) != 0))
		ok = 0;
	/* A short destination gets the window's last dstlen bytes. */
	d = rng_below(rlen + 1);
	got = tail_copy(&f->t, dst, d);
	if (got != d || (d > 0 &&
	    memcmp(dst, st->s + st->len - d, d) != 0))
		ok = 0;
	if (!ok && reported++ < 5)
		fprintf(stderr, "%s: cap %zu lines %zu head %zu: window "
		    "%llu+%zu want %zu+%zu, nlines %zu want %zu\n", what,
		    f->t.r.cap, f->t.maxlines, st->len,
		    (unsigned long long)start, len, rstart, rlen, nl, rnl);
	return ok;
}

static void
put_both(struct fixture *f, struct stream *st, const void *p, size_t n)
{
	tail_put(&f->t, p, n);
	stream_put(st, p, n);
}

/*
 * Random bytes with about `permille` newlines per thousand; letters
 * otherwise so that a window shift is visible in the content.
 */
static void
fill(unsigned char *p, size_t n, unsigned permille)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = rng_below(1000) < permille ? '\n' :
		    (unsigned char)('a' + rng_below(26));
}

/*
 * `seqs` sequences of random puts; each sequence draws its own newline
 * density (none at all included) and mixes empty, one-byte, small,
 * bigger-than-cap and much-bigger-than-cap chunks.
 */
static void
test_random(size_t cap, size_t lines, int seqs, size_t maxbytes)
{
	static const unsigned	 dens[] = { 0, 1, 10, 50, 200, 500, 1000 };
	struct fixture		 f;
	struct stream		 st = { NULL, 0, 0 };
	unsigned char		*chunk;
	size_t			 chunkmax = 4 * cap + 2, n;
	unsigned		 permille;
	char			 what[64];
	int			 seq, bad;

	if ((chunk = malloc(chunkmax)) == NULL) {
		perror("malloc");
		exit(2);
	}
	fixture_init(&f, cap, lines);
	for (seq = 0; seq < seqs; seq++) {
		tail_reset(&f.t);
		st.len = 0;
		permille = dens[rng_below(sizeof(dens) / sizeof(dens[0]))];
		snprintf(what, sizeof(what), "random seq %d density %u", seq,
		    permille);
		bad = 0;
		while (st.len < maxbytes) {
			switch (rng_below(6)) {
			case 0:
				n = 0;
				break;
			case 1:
				n = 1;
				break;
			case 2:
				n = 1 + rng_below(cap);
				break;
			case 3:
				/* Around the cap and cap + 1 boundaries. */
				n = cap - 1 + rng_below(4);
				break;
			case 4:
				n = cap + 1 + rng_below(3 * cap);
				break;
			default:
				n = rng_below(8);
				break;
			}
			fill(chunk, n, permille);
			put_both(&f, &st, chunk, n);
			if (!agrees(&f, &st, what))
				bad++;
		}
		CHECK(bad == 0);
	}
	fixture_free(&f);
	free(st.s);
	free(chunk);
}

/* Hand-made streams whose windows are easy to state. */
static void
test_small_cases(void)
{
	struct fixture	f;
	unsigned char	out[16];
	uint64_t	start;
	size_t		len;

	fixture_init(&f, 16, 3);
	/* Empty: nothing, no lines. */
	CHECK(tail_window(&f.t, &start) == 0 && start == 0);
	CHECK(tail_nlines(&f.t) == 0);
	CHECK(tail_copy(&f.t, out, sizeof(out)) == 0);

	tail_put(&f.t, "a\nb\nc\nd\n", 8);
	len = tail_copy(&f.t, out, sizeof(out));
	CHECK(len == 6 && memcmp(out, "b\nc\nd\n", 6) == 0);
	CHECK(tail_nlines(&f.t) == 3);
	CHECK(tail_window(&f.t, &start) == 6 && start == 2);

	/* A partial last line counts as one of the three. */
	tail_put(&f.t, "ee", 2);
	len = tail_copy(&f.t, out, sizeof(out));
	CHECK(len == 6 && memcmp(out, "c\nd\nee", 6) == 0);
	CHECK(tail_nlines(&f.t) == 3);

	/* Finishing it keeps the same three lines. */
	tail_put(&f.t, "\n", 1);
	len = tail_copy(&f.t, out, sizeof(out));
	CHECK(len == 7 && memcmp(out, "c\nd\nee\n", 7) == 0);

	/* Three lines of 8 bytes exceed 16: only whole lines that fit. */
	tail_reset(&f.t);
	tail_put(&f.t, "1234567\n", 8);
	tail_put(&f.t, "abcdefg\n", 8);
	tail_put(&f.t, "ABCDEFG\n", 8);
	len = tail_copy(&f.t, out, sizeof(out));
	CHECK(len == 16 && memcmp(out, "abcdefg\nABCDEFG\n", 16) == 0);
	CHECK(tail_nlines(&f.t) == 2);
	tail_put(&f.t, "x", 1);
	len = tail_copy(&f.t, out, sizeof(out));
	CHECK(len == 9 && memcmp(out, "ABCDEFG\nx", 9) == 0);
	CHECK(tail_nlines(&f.t) == 2);

	/* Only newlines: each one is an empty line. */
	tail_reset(&f.t);
	tail_put(&f.t, "\n\n\n\n\n", 5);
	CHECK(tail_window(&f.t, &start) == 3 && start == 2);
	CHECK(tail_nlines(&f.t) == 3);
	fixture_free(&f);

	/* maxlines 1: only the last line, complete or not. */
	fixture_init(&f, 16, 1);
	tail_put(&f.t, "one\ntwo\n", 8);
	len = tail_copy(&f.t, out, sizeof(out));
	CHECK(len == 4 && memcmp(out, "two\n", 4) == 0);
	CHECK(tail_nlines(&f.t) == 1);
	tail_put(&f.t, "thr", 3);
	len = tail_copy(&f.t, out, sizeof(out));
	CHECK(len == 3 && memcmp(out, "thr", 3) == 0);
	CHECK(tail_nlines(&f.t) == 1);
	fixture_free(&f);
}

/* Exactly 200 and 201 lines with the real defaults. */
static void
test_line_counts(void)
{
	struct fixture	 f;
	struct stream	 st = { NULL, 0, 0 };
	char		 line[32];
	unsigned char	*out;
	uint64_t	 start;
	size_t		 len, first200;
	int		 i, n;

	if ((out = malloc(DEF_CAP)) == NULL) {
		perror("malloc");
		exit(2);
	}
	fixture_init(&f, DEF_CAP, DEF_LINES);
	for (i = 1; i <= 200; i++) {
		n = snprintf(line, sizeof(line), "line %d\n", i);
		put_both(&f, &st, line, (size_t)n);
	}
	first200 = st.len;
	len = tail_window(&f.t, &start);
	CHECK(start == 0 && len == first200);
	CHECK(tail_nlines(&f.t) == 200);
	CHECK(agrees(&f, &st, "200 lines"));

	/* The 201st line pushes out exactly the first one. */
	put_both(&f, &st, "line 201\n", 9);
	len = tail_window(&f.t, &start);
	CHECK(start == strlen("line 1\n"));
	CHECK(len == first200 + 9 - strlen("line 1\n"));
	CHECK(tail_nlines(&f.t) == 200);
	len = tail_copy(&f.t, out, DEF_CAP);
	CHECK(len > 7 && memcmp(out, "line 2\n", 7) == 0);
	CHECK(memcmp(out + len - 9, "line 201\n", 9) == 0);
	CHECK(agrees(&f, &st, "201 lines"));

	/* A partial 202nd line is a line: line 2 goes too. */
	put_both(&f, &st, "partial", 7);
	CHECK(tail_nlines(&f.t) == 200);
	len = tail_copy(&f.t, out, DEF_CAP);
	CHECK(len > 7 && memcmp(out, "line 3\n", 7) == 0);
	CHECK(agrees(&f, &st, "201 lines + partial"));

	/* 199 lines: all of them. */
	tail_reset(&f.t);
	st.len = 0;
	for (i = 1; i <= 199; i++) {
		n = snprintf(line, sizeof(line), "line %d\n", i);
		put_both(&f, &st, line, (size_t)n);
	}
	CHECK(tail_window(&f.t, &start) == st.len && start == 0);
	CHECK(tail_nlines(&f.t) == 199);
	fixture_free(&f);
	free(st.s);
	free(out);
}

/*
 * A line of exactly cap bytes with its newline is kept whole and alone;
 * one byte more and only its last cap bytes are left.
 */
static void
test_cap_sized_lines(void)
{
	static const size_t	 caps[] = { 16, 64, DEF_CAP };
	struct fixture		 f;
	struct stream		 st = { NULL, 0, 0 };
	unsigned char		*line, *out;
	uint64_t		 start;
	size_t			 cap, len, i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		cap = caps[i];
		if ((line = malloc(cap + 2)) == NULL ||
		    (out = malloc(cap)) == NULL) {
			perror("malloc");
			exit(2);
		}
		fixture_init(&f, cap, 5);

		/* Some short lines first, then the cap-sized line. */
		st.len = 0;
		put_both(&f, &st, "x\ny\n", 4);
		memset(line, 'L', cap - 1);
		line[cap - 1] = '\n';
		put_both(&f, &st, line, cap);
		len = tail_window(&f.t, &start);
		CHECK(len == cap && start == 4);
		CHECK(tail_nlines(&f.t) == 1);
		CHECK(tail_copy(&f.t, out, cap) == cap &&
		    memcmp(out, line, cap) == 0);
		CHECK(agrees(&f, &st, "cap-sized line"));

		/* cap bytes, no newline: kept whole as a partial line. */
		tail_reset(&f.t);
		st.len = 0;
		put_both(&f, &st, "x\n", 2);
		put_both(&f, &st, line, cap - 1);
		put_both(&f, &st, "M", 1);
		len = tail_window(&f.t, &start);
		CHECK(len == cap && start == 2);
		CHECK(tail_nlines(&f.t) == 1);
		CHECK(agrees(&f, &st, "cap-sized partial line"));

		/* cap + 1 bytes with its newline: its last cap bytes. */
		tail_reset(&f.t);
		st.len = 0;
		put_both(&f, &st, "x\n", 2);
		memset(line, 'L', cap);
		line[0] = 'F';
		line[cap] = '\n';
		put_both(&f, &st, line, cap + 1);
		len = tail_window(&f.t, &start);
		CHECK(len == cap && start == 3);
		CHECK(tail_nlines(&f.t) == 1);
		CHECK(tail_copy(&f.t, out, cap) == cap &&
		    memcmp(out, line + 1, cap) == 0);
		CHECK(agrees(&f, &st, "cap+1 line"));

		/* The same line byte by byte. */
		tail_reset(&f.t);
		st.len = 0;
		put_both(&f, &st, "x\n", 2);
		for (len = 0; len < cap + 1; len++)
			put_both(&f, &st, line + len, 1);
		CHECK(agrees(&f, &st, "cap+1 line bytewise"));
		CHECK(tail_window(&f.t, &start) == cap && start == 3);

		fixture_free(&f);
		free(line);
		free(out);
	}
	free(st.s);
}

/* 50 MiB without a newline: the last cap bytes, as one line. */
static void
test_huge_no_newline(void)
{
	struct fixture	 f;
	unsigned char	*big, *out;
	uint64_t	 start;
	size_t		 total = 50u * 1024 * 1024, off, n, i, bad;

	if ((big = malloc(total)) == NULL || (out = malloc(DEF_CAP)) == NULL) {
		perror("malloc");
		exit(2);
	}
	/* A period prime to the cap, so a misplaced byte shows. */
	for (i = 0; i < total; i++)
		big[i] = (unsigned char)('a' + i % 23);
	fixture_init(&f, DEF_CAP, DEF_LINES);

	/* In random chunks, including ones bigger than the ring. */
	for (off = 0; off < total; off += n) {
		n = rng_below(3 * DEF_CAP);
		if (n > total - off)
			n = total - off;
		tail_put(&f.t, big + off, n);
	}
	CHECK(tail_window(&f.t, &start) == DEF_CAP);
	CHECK(start == total - DEF_CAP);
	CHECK(tail_nlines(&f.t) == 1);
	CHECK(tail_copy(&f.t, out, DEF_CAP) == DEF_CAP);
	CHECK(memcmp(out, big + total - DEF_CAP, DEF_CAP) == 0);
	for (bad = 0, i = 0; i < DEF_CAP; i++)
		if (out[i] == '#')
			bad++;
	CHECK(bad == 0);

	/* In one put. */
	tail_reset(&f.t);
	tail_put(&f.t, big, total);
	CHECK(tail_window(&f.t, &start) == DEF_CAP);
	CHECK(start == total - DEF_CAP);
	CHECK(tail_nlines(&f.t) == 1);
	CHECK(tail_copy(&f.t, out, DEF_CAP) == DEF_CAP);
	CHECK(memcmp(out, big + total - DEF_CAP, DEF_CAP) == 0);

	/* A newline afterwards ends that line: still its last cap bytes. */
	tail_put(&f.t, "\n", 1);
	CHECK(tail_window(&f.t, &start) == DEF_CAP);
	CHECK(start == total + 1 - DEF_CAP);
	CHECK(tail_nlines(&f.t) == 1);
	/* And a short line after it starts a window on a line boundary. */
	tail_put(&f.t, "next\n", 5);
	CHECK(tail_window(&f.t, &start) == 5 && start == total + 1);
	CHECK(tail_nlines(&f.t) == 1);

	fixture_free(&f);
	free(big);
	free(out);
}

/* After tail_reset the tail is as new, whatever it held. */
static void
test_reset(void)
{
	struct fixture	 f;
	struct stream	 st = { NULL, 0, 0 };
	unsigned char	 chunk[200], out[64];
	uint64_t	 start;

	fixture_init(&f, 64, 3);
	fill(chunk, sizeof(chunk), 100);
	tail_put(&f.t, chunk, sizeof(chunk));
	tail_reset(&f.t);
	CHECK(f.t.r.head == 0 && f.t.edge_nl == 1);
	CHECK(tail_window(&f.t, &start) == 0 && start == 0);
	CHECK(tail_nlines(&f.t) == 0);
	CHECK(tail_copy(&f.t, out, sizeof(out)) == 0);
	/* Old newline offsets must not leak into the new stream. */
	put_both(&f, &st, "abc", 3);
	CHECK(tail_window(&f.t, &start) == 3 && start == 0);
	CHECK(tail_nlines(&f.t) == 1);
	CHECK(tail_copy(&f.t, out, sizeof(out)) == 3 &&
	    memcmp(out, "abc", 3) == 0);
	CHECK(agrees(&f, &st, "after reset"));
	fixture_free(&f);
	free(st.s);
}

/* tail_copy into a destination shorter than the window: its end. */
static void
test_copy_short(void)
{
	struct fixture	f;
	unsigned char	out[16];

	fixture_init(&f, 16, 5);
	tail_put(&f.t, "ab\ncd\nef\n", 9);
	memset(out, '?', sizeof(out));
	CHECK(tail_copy(&f.t, out, 4) == 4 && memcmp(out, "\nef\n", 4) == 0);
	CHECK(out[4] == '?');
	CHECK(tail_copy(&f.t, out, 0) == 0);
	CHECK(tail_copy(&f.t, out, 9) == 9 &&
	    memcmp(out, "ab\ncd\nef\n", 9) == 0);
	/* Across the ring's wrap point. */
	tail_put(&f.t, "0123456789", 10);
	CHECK(tail_copy(&f.t, out, 12) == 12 &&
	    memcmp(out, "f\n0123456789", 12) == 0);
	CHECK(tail_copy(&f.t, out, 16) == 16 &&
	    memcmp(out, "cd\nef\n0123456789", 16) == 0);
	fixture_free(&f);
}

int
main(void)
{
	test_small_cases();
	test_copy_short();
	test_reset();
	test_line_counts();
	test_cap_sized_lines();
	test_huge_no_newline();

	/* Small caps and line limits reach every boundary often. */
	test_random(16, 1, 300, 2000);
	test_random(16, 3, 300, 2000);
	test_random(16, 5, 300, 2000);
	test_random(64, 1, 200, 8000);
	test_random(64, 3, 200, 8000);
	test_random(64, 5, 200, 8000);
	test_random(64, 40, 100, 8000);
	test_random(16, 100, 100, 2000);
	/* Rings of a few bytes: every put wraps or skips. */
	test_random(2, 1, 200, 300);
	test_random(4, 2, 200, 300);
	test_random(8, 3, 200, 600);
	/* The defaults crashtrail runs with. */
	test_random(DEF_CAP, DEF_LINES, 12, 2 * 1024 * 1024);
	return CHECK_DONE();
}
