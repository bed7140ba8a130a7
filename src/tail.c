/*
 * tail.c -- last N lines / M bytes of a stream in fixed memory.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "tail.h"

#define AT(t, pos)	((t)->buf[(pos) & ((t)->cap - 1)])

static uint64_t	tail_oldest(const struct tail *);
static int	tail_find_back(const struct tail *, uint64_t, uint64_t,
		    size_t, uint64_t *);
static int	tail_find_fwd(const struct tail *, uint64_t, uint64_t,
		    uint64_t *);

void
tail_init(struct tail *t, unsigned char *buf, size_t cap, size_t maxlines)
{
	t->buf = buf;
	t->cap = cap;
	t->maxlines = maxlines;
	tail_reset(t);
}

void
tail_reset(struct tail *t)
{
	t->head = 0;
	t->edge_nl = 1;
}

static uint64_t
tail_oldest(const struct tail *t)
{
	return t->head > t->cap ? t->head - t->cap : 0;
}

void
tail_put(struct tail *t, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 off, n;

	if (len == 0)
		return;
	/* Note the byte that will sit just before the oldest one kept. */
	if (len > t->cap)
		t->edge_nl = p[len - t->cap - 1] == '\n';
	else if (t->head + len > t->cap)
		t->edge_nl = AT(t, t->head + len - t->cap - 1) == '\n';
	if (len > t->cap) {
		t->head += len - t->cap;
		p += len - t->cap;
		len = t->cap;
	}
	off = (size_t)(t->head & (t->cap - 1));
	n = t->cap - off < len ? t->cap - off : len;
	memcpy(t->buf + off, p, n);
	memcpy(t->buf, p + n, len - n);
	t->head += len;
}

/*
 * Scan [from, to) backwards for the `count`-th newline; its position goes
 * to *pos.  At most cap bytes, and only when a window is asked for.
 */
static int
tail_find_back(const struct tail *t, uint64_t from, uint64_t to,
    size_t count, uint64_t *pos)
{
	uint64_t	p;

	for (p = to; p > from; p--)
		if (AT(t, p - 1) == '\n' && --count == 0) {
			*pos = p - 1;
			return 1;
		}
	return 0;
}

/* The first newline in [from, to), forwards. */
static int
tail_find_fwd(const struct tail *t, uint64_t from, uint64_t to,
    uint64_t *pos)
{
	uint64_t	p;

	for (p = from; p < to; p++)
		if (AT(t, p) == '\n') {
			*pos = p;
			return 1;
		}
	return 0;
}

size_t
tail_window(const struct tail *t, uint64_t *startp)
{
	uint64_t	oldest = tail_oldest(t), start, nl;
	size_t		need;

	*startp = t->head;
	if (t->head == 0 || t->maxlines == 0)
		return 0;
	/* A complete last line ends in a newline that does not count. */
	need = AT(t, t->head - 1) == '\n' ? t->maxlines + 1 : t->maxlines;
	if (tail_find_back(t, oldest, t->head, need, &nl))
		start = nl + 1;
	else if (oldest == 0 || t->edge_nl)
		start = oldest;		/* the kept bytes start a line */
	else if (tail_find_fwd(t, oldest, t->head, &nl) && nl + 1 < t->head)
		start = nl + 1;		/* skip the cut first line */
	else
		start = oldest;		/* one line longer than cap */
	*startp = start;
	return (size_t)(t->head - start);
}

size_t
tail_nlines(const struct tail *t)
{
	uint64_t	start, p;
	size_t		len, n = 0;

	if ((len = tail_window(t, &start)) == 0)
		return 0;
	for (p = start; p < t->head; p++)
		if (AT(t, p) == '\n')
			n++;
	/* A final line with no newline is a line too. */
	if (AT(t, t->head - 1) != '\n')
		n++;
	return n;
}

size_t
tail_copy(const struct tail *t, void *dst, size_t dstlen)
{
	unsigned char	*d = dst;
	uint64_t	 start, pos;
	size_t		 len, off, n, done = 0;

	len = tail_window(t, &start);
	if (len > dstlen) {
		start += len - dstlen;
		len = dstlen;
	}
	for (pos = start; done < len; pos += n, done += n) {
		off = (size_t)(pos & (t->cap - 1));
		n = t->cap - off;
		if (n > len - done)
			n = len - done;
		memcpy(d + done, t->buf + off, n);
	}
	return len;
}
