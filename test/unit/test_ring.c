/*
 * test_ring.c -- src/ring.h: the byte ring's wrap and the record ring's
 * seq, eviction and `dropped` accounting, against a plain model (every
 * byte or record ever put, kept in full).
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ring.h"

static void	test_bytes_wrap(void);
static void	test_bytes_model(void);
static void	test_rec_basic(void);
static void	test_rec_evict(void);
static void	test_rec_cap1(void);

/* Writes that straddle the end, and one larger than the ring. */
static void
test_bytes_wrap(void)
{
	unsigned char	buf[8], out[8];
	const unsigned char *p1;
	struct ring	r;
	size_t		n1;

	ring_init(&r, buf, sizeof(buf));
	CHECK(ring_oldest(&r) == 0 && r.head == 0);
	ring_put(&r, "abcdef", 6);
	ring_put(&r, "ghij", 4);	/* wraps: holds cdefghij */
	CHECK(r.head == 10 && ring_oldest(&r) == 2);
	ring_copy(&r, 2, out, 8);
	CHECK(memcmp(out, "cdefghij", 8) == 0);
	ring_span(&r, 6, 4, &p1, &n1);
	CHECK(n1 == 2 && memcmp(p1, "gh", 2) == 0 && memcmp(buf, "ij", 2) == 0);
	CHECK(ring_at(&r, 9) == 'j' && ring_at(&r, 2) == 'c');
	ring_put(&r, "0123456789AB", 12);	/* more than cap */
	CHECK(r.head == 22 && ring_oldest(&r) == 14);
	ring_copy(&r, 14, out, 8);
	CHECK(memcmp(out, "456789AB", 8) == 0);
	ring_put(&r, "", 0);
	CHECK(r.head == 22);
}

/* Random-length writes against the whole stream. */
static void
test_bytes_model(void)
{
	static unsigned char	stream[1 << 16], buf[64], out[64];
	struct ring		r;
	uint32_t		x = 12345;
	size_t			len = 0, n, i;
	int			bad = 0;

	ring_init(&r, buf, sizeof(buf));
	while (len < sizeof(stream) - 200) {
		x = x * 1103515245 + 12345;
		n = (x >> 16) % 150;
		for (i = 0; i < n; i++)
			stream[len + i] = (unsigned char)(len + i);
		ring_put(&r, stream + len, n);
		len += n;
		n = len < sizeof(buf) ? len : sizeof(buf);
		ring_copy(&r, len - n, out, n);
		if (r.head != len || memcmp(out, stream + len - n, n) != 0)
			bad++;
	}
	CHECK(bad == 0);
}

struct rec {
	uint64_t	seq;
	char		pad[12];
};

static void
test_rec_basic(void)
{
	struct rec	 slots[3], *p;
	struct recring	 r;

	recring_init(&r, slots, sizeof(slots[0]), 3);
	CHECK(r.last == 0 && recring_oldest(&r) == 0 && r.dropped == 0);
	CHECK(recring_get(&r, 0) == NULL && recring_get(&r, 1) == NULL);
	p = recring_push(&r);
	p->seq = 1;
	CHECK(r.last == 1 && recring_oldest(&r) == 1);
	CHECK(recring_get(&r, 1) == p && recring_get(&r, 2) == NULL);
}

/* void-box's test: capacity 3, five pushes keep 3..5, two dropped. */
static void
test_rec_evict(void)
{
	struct rec	 slots[3], *p;
	struct recring	 r;
	uint64_t	 s;
	int		 i, bad = 0;

	recring_init(&r, slots, sizeof(slots[0]), 3);
	for (i = 1; i <= 5; i++) {
		p = recring_push(&r);
		p->seq = (uint64_t)i;
	}
	CHECK(r.last == 5 && recring_oldest(&r) == 3 && r.dropped == 2);
	CHECK(recring_get(&r, 2) == NULL && recring_get(&r, 6) == NULL);
	for (s = 3; s <= 5; s++) {
		p = recring_get(&r, s);
		if (p == NULL || p->seq != s)
			bad++;
	}
	CHECK(bad == 0);
	/* Many more: the window moves, dropped counts every eviction. */
	for (i = 6; i <= 1000; i++) {
		p = recring_push(&r);
		p->seq = (uint64_t)i;
	}
	CHECK(r.last == 1000 && recring_oldest(&r) == 998 &&
	    r.dropped == 997);
	p = recring_get(&r, 998);
	CHECK(p != NULL && p->seq == 998);
	CHECK(recring_get(&r, 997) == NULL);
}

/* Capacity 1 keeps exactly the newest (0 is refused at config load). */
static void
test_rec_cap1(void)
{
	struct rec	 slot, *p;
	struct recring	 r;

	recring_init(&r, &slot, sizeof(slot), 1);
	p = recring_push(&r);
	p->seq = 1;
	p = recring_push(&r);
	p->seq = 2;
	CHECK(r.last == 2 && recring_oldest(&r) == 2 && r.dropped == 1);
	CHECK(recring_get(&r, 1) == NULL);
	CHECK(recring_get(&r, 2) == &slot && slot.seq == 2);
}

int
main(void)
{
	test_bytes_wrap();
	test_bytes_model();
	test_rec_basic();
	test_rec_evict();
	test_rec_cap1();
	return CHECK_DONE();
}
