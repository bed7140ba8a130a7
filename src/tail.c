/*
 * tail.c -- last N lines / M bytes of a stream in fixed memory.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "tail.h"

#define AT(t, pos)	ring_at(&(t)->r, (pos))

static uint64_t	tail_oldest(const struct tail *);
static int	tail_find_back(const struct tail *, uint64_t, uint64_t,
		    size_t, uint64_t *);
static int	tail_find_fwd(const struct tail *, uint64_t, uint64_t,
		    uint64_t *);

void
tail_init(struct tail *t, unsigned char *buf, size_t cap, size_t maxlines)
{
	ring_init(&t->r, buf, cap);
	t->maxlines = maxlines;
	tail_reset(t);
}

void
tail_reset(struct tail *t)
{
	t->r.head = 0;
	t->edge_nl = 1;
}

static uint64_t
tail_oldest(const struct tail *t)
{
	return ring_oldest(&t->r);
}

void
tail_put(struct tail *t, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 cap = t->r.cap;

	if (len == 0)
		return;
	/* Note the byte that will sit just before the oldest one kept. */
	if (len > cap)
		t->edge_nl = p[len - cap - 1] == '\n';
	else if (t->r.head + len > cap)
		t->edge_nl = AT(t, t->r.head + len - cap - 1) == '\n';
	ring_put(&t->r, p, len);
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

	*startp = t->r.head;
	if (t->r.head == 0 || t->maxlines == 0)
		return 0;
	/* A complete last line ends in a newline that does not count. */
	need = AT(t, t->r.head - 1) == '\n' ? t->maxlines + 1 : t->maxlines;
	if (tail_find_back(t, oldest, t->r.head, need, &nl))
		start = nl + 1;
	else if (oldest == 0 || t->edge_nl)
		start = oldest;		/* the kept bytes start a line */
	else if (tail_find_fwd(t, oldest, t->r.head, &nl) && nl + 1 < t->r.head)
		start = nl + 1;		/* skip the cut first line */
	else
		start = oldest;		/* one line longer than cap */
	*startp = start;
	return (size_t)(t->r.head - start);
}

size_t
tail_nlines(const struct tail *t)
{
	uint64_t	start, p;
	size_t		len, n = 0;

	if ((len = tail_window(t, &start)) == 0)
		return 0;
	for (p = start; p < t->r.head; p++)
		if (AT(t, p) == '\n')
			n++;
	/* A final line with no newline is a line too. */
	if (AT(t, t->r.head - 1) != '\n')
		n++;
	return n;
}

size_t
tail_copy(const struct tail *t, void *dst, size_t dstlen)
{
	uint64_t	start;
	size_t		len;

	len = tail_window(t, &start);
	if (len > dstlen) {
		start += len - dstlen;
		len = dstlen;
	}
	ring_copy(&t->r, start, dst, len);
	return len;
}
