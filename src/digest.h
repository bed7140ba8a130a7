/*
 * digest.h -- SHA-256 (BearSSL) of a closed file, computed in the event
 * loop one bounded chunk per turn, so hashing a large log never holds up a
 * pipe read or a death.
 *
 * The caller owns each struct digest (it is embedded in a run) and must
 * keep it alive until `done` has been called or digest_cancel() returned.
 * One static read buffer serves every job; jobs take turns, one chunk
 * each.  Nothing allocates.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stdint.h>

#include <bearssl.h>

#define DIGEST_CHUNK	(64 * 1024)

struct event_base;
struct digest;

/* err is 0 or an errno; on success hex and size are set. */
typedef void (*digest_done_fn)(struct digest *, int err);

struct digest {
	int			 fd;
	br_sha256_context	 ctx;
	uint64_t		 size;
	char			 hex[65];
	digest_done_fn		 done;
	int			 queued;
	struct digest		*next;
};

void	digest_setup(struct event_base *);
/* Start hashing `path`; `done` runs later from the loop, never inside. */
int	digest_start(struct digest *, const char *path, digest_done_fn);
void	digest_cancel(struct digest *);
/* Finish every queued job now (at shutdown). */
void	digest_drain(void);
int	digest_busy(void);

/* One-shot helper for tests: SHA-256 of a buffer as lowercase hex. */
void	digest_buf(const void *, size_t, char hex[65]);

#endif /* DIGEST_H */
