/*
 * tail.h -- the bounded tail of a byte stream: its last `maxlines` lines and
 * at most `cap` bytes, over caller-owned storage.
 *
 * Bytes go into a ring (ring.h) of `cap` bytes, a power of two: `r.head`
 * counts every byte ever put; once head >= cap it holds exactly the last
 * `cap` bytes.  `edge_nl` remembers whether the
 * byte just before the oldest one kept was a newline, which is all it takes
 * to know whether the ring starts on a line.
 *
 * tail_put() is a copy and nothing else: lines are only counted when the
 * window is asked for (at a death, or by the API), by scanning the kept
 * bytes backwards.  This keeps the ingest path at memcpy speed whatever the
 * line density.
 *
 * The window returned by tail_window() starts on a line boundary, except
 * when the last line alone is longer than `cap` (then it is that line's last
 * `cap` bytes).  A final line without a newline counts as a line.
 * Nothing here allocates.
 */
#ifndef TAIL_H
#define TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

struct tail {
	struct ring	 r;		/* buf, cap (a power of two), head */
	size_t		 maxlines;
	int		 edge_nl;	/* byte before the oldest kept is '\n' */
};

/* `cap` must be a power of two. */
void	tail_init(struct tail *, unsigned char *buf, size_t cap,
	    size_t maxlines);
void	tail_reset(struct tail *);
void	tail_put(struct tail *, const void *, size_t);

/* Where the window starts (a stream offset) and how long it is: O(cap). */
size_t	tail_window(const struct tail *, uint64_t *start);
/* Number of lines in the window (a final partial line counts). */
size_t	tail_nlines(const struct tail *);
/*
 * Copy the window, oldest byte first, into dst; returns the bytes copied
 * (the whole window if dstlen allows, else its last dstlen bytes).
 */
size_t	tail_copy(const struct tail *, void *dst, size_t dstlen);

#endif /* TAIL_H */
