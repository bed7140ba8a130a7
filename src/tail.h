/*
 * tail.h -- the bounded tail of a byte stream: its last `maxlines` lines and
 * at most `cap` bytes, over caller-owned storage.
 *
 * Bytes go into a ring of `cap` bytes (a power of two).  `head` counts every
 * byte ever put, so a byte's index is `pos & (cap - 1)`; the ring is full
 * once head >= cap and then always holds exactly the last `cap` bytes.
 * `nl` is a ring of the stream offsets just past each of the last
 * `maxlines + 1` newlines: that is all it takes to find where the window
 * starts, whatever the volume written.
 *
 * The window returned by tail_window() starts on a line boundary, except
 * when the last line alone is longer than `cap` (then it is that line's last
 * `cap` bytes).  A final line without a newline counts as a line.
 * Nothing here allocates; tail_put() is O(len) with one memchr scan.
 */
#ifndef TAIL_H
#define TAIL_H

#include <stddef.h>
#include <stdint.h>

struct tail {
	unsigned char	*buf;		/* cap bytes, owned by the caller */
	size_t		 cap;		/* power of two */
	uint64_t	*nl;		/* maxlines + 1 offsets, caller's */
	size_t		 maxlines;
	uint64_t	 head;		/* bytes ever put */
	uint64_t	 nnl;		/* newlines ever seen */
};

/* Storage sizes for a tail of `lines` lines. */
#define TAIL_NL_SLOTS(lines)	((lines) + 1)

/* `cap` must be a power of two; `nl` must hold maxlines + 1 entries. */
void	tail_init(struct tail *, unsigned char *buf, size_t cap, uint64_t *nl,
	    size_t maxlines);
void	tail_reset(struct tail *);
void	tail_put(struct tail *, const void *, size_t);

/* Where the window starts (a stream offset) and how long it is. */
size_t	tail_window(const struct tail *, uint64_t *start);
/* Number of lines in the window (a final partial line counts). */
size_t	tail_nlines(const struct tail *);
/*
 * Copy the window, oldest byte first, into dst; returns the bytes copied
 * (the whole window if dstlen allows, else its last dstlen bytes).
 */
size_t	tail_copy(const struct tail *, void *dst, size_t dstlen);

#endif /* TAIL_H */
