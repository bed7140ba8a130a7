/*
 * ring.h -- the one ring code: the tail's bytes, the event ring's bytes
 * and every run's metrics samples wrap here and nowhere else.
 *
 * Two shapes over caller-owned storage, neither of which allocates:
 *
 * struct ring, bytes: `cap` bytes, a power of two, written at a
 * free-running `head` that counts every byte ever put.  The full/empty
 * rule: the ring holds the stream's bytes [ring_oldest(), head), that is
 * the last min(head, cap) bytes; a write never fails, it overwrites the
 * oldest.  A byte at stream offset `pos` sits at buf[pos & (cap - 1)].
 *
 * struct recring, records: `cap` records of `size` bytes each (any cap
 * of at least 1), numbered by a sequence that starts at 1 and only grows.
 * It holds seqs [recring_oldest(), last]; pushing when full evicts the
 * oldest and counts it in `dropped`.  Record `seq` sits at slot
 * (seq - 1) % cap.  last == 0: empty.
 */
#ifndef RING_H
#define RING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ring {
	unsigned char	*buf;	/* cap bytes, the caller's */
	size_t		 cap;	/* power of two */
	uint64_t	 head;	/* bytes ever put */
};

static inline void
ring_init(struct ring *r, void *buf, size_t cap)
{
	r->buf = buf;
	r->cap = cap;
	r->head = 0;
}

static inline uint64_t
ring_oldest(const struct ring *r)
{
	return r->head > r->cap ? r->head - r->cap : 0;
}

static inline unsigned char
ring_at(const struct ring *r, uint64_t pos)
{
	return r->buf[pos & (r->cap - 1)];
}

/* Append; of more than cap bytes only the last cap are kept. */
static inline void
ring_put(struct ring *r, const void *data, size_t len)
{
	const unsigned char	*p = data;
	size_t			 off, n;

	if (len > r->cap) {
		r->head += len - r->cap;
		p += len - r->cap;
		len = r->cap;
	}
	off = (size_t)(r->head & (r->cap - 1));
	n = r->cap - off < len ? r->cap - off : len;
	memcpy(r->buf + off, p, n);
	memcpy(r->buf, p + n, len - n);
	r->head += len;
}

/*
 * The `len` bytes from stream offset `pos` (still held) as at most two
 * pieces in place: [*p1, *p1 + *n1) then [buf, buf + len - *n1).
 */
static inline void
ring_span(const struct ring *r, uint64_t pos, size_t len,
    const unsigned char **p1, size_t *n1)
{
	size_t	off = (size_t)(pos & (r->cap - 1));

	*p1 = r->buf + off;
	*n1 = r->cap - off < len ? r->cap - off : len;
}

/* Copy `len` held bytes from stream offset `pos` into dst. */
static inline void
ring_copy(const struct ring *r, uint64_t pos, void *dst, size_t len)
{
	const unsigned char	*p1;
	size_t			 n1;

	ring_span(r, pos, len, &p1, &n1);
	memcpy(dst, p1, n1);
	memcpy((unsigned char *)dst + n1, r->buf, len - n1);
}

struct recring {
	void		*slots;		/* cap * size bytes, the caller's */
	size_t		 size;		/* bytes per record */
	size_t		 cap;		/* records, >= 1 */
	uint64_t	 last;		/* newest seq; 0: empty */
	uint64_t	 dropped;	/* evicted to make room */
};

static inline void
recring_init(struct recring *r, void *slots, size_t size, size_t cap)
{
	r->slots = slots;
	r->size = size;
	r->cap = cap;
	r->last = 0;
	r->dropped = 0;
}

/* The oldest seq held, 0 when empty. */
static inline uint64_t
recring_oldest(const struct recring *r)
{
	if (r->last == 0)
		return 0;
	return r->last > r->cap ? r->last - r->cap + 1 : 1;
}

/* Record `seq`, or NULL when it is not held (evicted, or not yet). */
static inline void *
recring_get(const struct recring *r, uint64_t seq)
{
	if (seq == 0 || seq > r->last || seq < recring_oldest(r))
		return NULL;
	return (unsigned char *)r->slots + ((seq - 1) % r->cap) * r->size;
}

/* The slot of a new record, seq last + 1 (its old contents evicted). */
static inline void *
recring_push(struct recring *r)
{
	if (r->last >= r->cap)
		r->dropped++;
	r->last++;
	return (unsigned char *)r->slots + ((r->last - 1) % r->cap) * r->size;
}

#endif /* RING_H */
