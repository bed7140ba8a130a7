/*
 * tail.c -- last N lines / M bytes of a stream in fixed memory.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "tail.h"

#define NLSLOTS(t)	((t)->maxlines + 1)
/* The i-th newline end, counting from 0 for the first ever seen. */
#define NLAT(t, i)	((t)->nl[(i) % NLSLOTS(t)])

void
tail_init(struct tail *t, unsigned char *buf, size_t cap, uint64_t *nl,
    size_t maxlines)
{
	t->buf = buf;
	t->cap = cap;
	t->nl = nl;
	t->maxlines = maxlines;
	tail_reset(t);
}

void
tail_reset(struct tail *t)
{
	t->head = 0;
	t->nnl = 0;
}

void
tail_put(struct tail *t, const void *data, size_t len)
{
	const unsigned char	*p = data, *q, *end = p + len;
	size_t			 off, n;

	/*
	 * Only the last cap bytes can be in the window, and only newlines
	 * that end at or after its first byte can start it: skip the rest.
	 */
	if (len > t->cap + 1) {
		t->head += len - (t->cap + 1);
		p = end - (t->cap + 1);
	}
	for (q = p; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++) {
		NLAT(t, t->nnl) = t->head + (uint64_t)(q - p) + 1;
		t->nnl++;
	}
	while (p < end) {
		off = (size_t)(t->head & (t->cap - 1));
		n = t->cap - off;
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		memcpy(t->buf + off, p, n);
		p += n;
		t->head += n;
	}
}

size_t
tail_window(const struct tail *t, uint64_t *startp)
{
	uint64_t	start = 0, floor, lines;
	size_t		i, have;
	int		partial;

	partial = t->head > 0 &&
	    t->buf[(t->head - 1) & (t->cap - 1)] != '\n';
	/* A complete last line needs maxlines newlines back, else one fewer. */
	lines = partial ? t->maxlines : t->maxlines + 1;
	if (t->maxlines > 0 && t->nnl >= lines && lines > 0)
		start = NLAT(t, t->nnl - lines);
	else if (t->maxlines == 0)
		start = t->head;

	floor = t->head > t->cap ? t->head - t->cap : 0;
	if (start < floor) {
		/* Too many bytes: begin at the first line start in range. */
		start = floor;
		have = t->nnl < NLSLOTS(t) ? (size_t)t->nnl : NLSLOTS(t);
		for (i = have; i > 0; i--) {
			uint64_t e = NLAT(t, t->nnl - i);

			if (e >= floor) {
				/* A newline ending exactly at head is no start. */
				start = e < t->head ? e : floor;
				break;
			}
		}
	}
	*startp = start;
	return (size_t)(t->head - start);
}

size_t
tail_nlines(const struct tail *t)
{
	uint64_t	start, n = 0;
	size_t		i, have, len;

	len = tail_window(t, &start);
	if (len == 0)
		return 0;
	have = t->nnl < NLSLOTS(t) ? (size_t)t->nnl : NLSLOTS(t);
	for (i = have; i > 0; i--) {
		uint64_t e = NLAT(t, t->nnl - i);

		if (e > start)
			n++;
	}
	/* A final line with no newline is a line too. */
	if (t->buf[(t->head - 1) & (t->cap - 1)] != '\n')
		n++;
	return (size_t)n;
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
