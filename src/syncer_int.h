/*
 * syncer_int.h -- private to syncer.c and syncer_helper.c; the rest of
 * crashtrail uses syncer.h.
 * SPDX-License-Identifier: ISC
 *
 * syncer.c owns the slot table, the socket's loop side and the helper's
 * restarts; syncer_helper.c is what runs in the forked helper, and the
 * ops themselves, which the loop also calls to do a request inline.  The
 * two sides speak only through the fixed-size messages below, so both
 * must be built from this one definition.
 */
#ifndef SYNCER_INT_H
#define SYNCER_INT_H

#include <limits.h>
#include <stdint.h>

#include "syncer.h"

enum syncer_op {
	SYNCER_FSYNC = 1,	/* fsync the fd */
	SYNCER_FSYNC_RENAME,	/* fsync the fd, rename from -> to, fsync dir */
	SYNCER_UNLINK,		/* unlink from; ENOENT is success */
	SYNCER_WRITE_RENAME	/* write data to from, fsync, rename, fsync dir */
};

#define SYNCER_DATA_MAX	2048	/* bytes a SYNCER_WRITE_RENAME carries */

#define SYNCER_REDO	0x01	/* sent before, to a helper that died */

/*
 * Loop -> helper: one datagram of exactly this size, with the fd as
 * SCM_RIGHTS for the fsync ops.  The helper closes the fd it got.
 */
struct syncer_msg {
	uint32_t	op;
	uint32_t	flags;
	uint64_t	id;		/* slot index + SYNCER_SLOTS * serial */
	char		from[PATH_MAX];	/* for SYNCER_FSYNC: a name to log */
	char		to[PATH_MAX];
	uint32_t	dlen;		/* SYNCER_WRITE_RENAME: data[0..dlen) */
	char		data[SYNCER_DATA_MAX];
};

/* Helper -> loop: one per request, in the order they came. */
struct syncer_done {
	uint64_t	id;
	uint32_t	op;
	int32_t		sync_err;	/* errno of the fsync (file, dir) */
	int32_t		path_err;	/* errno of the rename or unlink */
	int32_t		pad;
};

/*
 * The helper's main loop, in the child right after fork(): `sock` is its
 * end of the socketpair, `life` the read end of the daemon's pipe.  It
 * closes every other descriptor, serves requests until the daemon is gone
 * and never returns.
 */
void	syncer_helper(int sock, int life) __attribute__((noreturn));
/*
 * Do one request `m` (in the helper, or inline on the loop) and fill `d`
 * with its outcome.  `fd` is the request's file or -1; it stays open, the
 * caller closes it.
 */
void	syncer_work(const struct syncer_msg *m, int fd, struct syncer_done *d);

#endif /* SYNCER_INT_H */
