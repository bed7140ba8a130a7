/*
 * journal_int.h -- private to journal.c and journal_open.c; the rest of
 * crashtrail uses journal.h.
 * SPDX-License-Identifier: ISC
 *
 * journal.c owns the running journal (append, sync, replay, cursors,
 * stats) and defines all of the state below; journal_open.c owns
 * journal_open(): it lists, checks and cuts the segments it finds, sets
 * a foreign directory aside and prunes to the bounds, then fills this
 * state in for journal.c to go on from.  One thread: nothing here locks.
 */
#ifndef JOURNAL_INT_H
#define JOURNAL_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define JR_NAMELEN	24	/* %020llu.seg */

/* One segment file, in the fixed array kept oldest first. */
struct jr_seg {
	uint64_t	first;		/* its name, equal to its header's */
	uint64_t	lo, hi;		/* first and last record seq; 0: none */
	uint64_t	size;		/* on disk: what the bound counts */
	uint64_t	end;		/* end of its last good record */
	uint64_t	payload;	/* payload bytes of its records */
	char		name[JR_NAMELEN + 1];
};

/*
 * jr_fd appends to the last segment (-1: the next append starts one).
 * jr_buf holds jr_max_record bytes from open to close.  jr_aside is the
 * path the last open set the directory aside as ("" when none).
 */
extern struct jr_seg		 jr_segs[JOURNAL_SEGS];
extern size_t			 jr_nseg;
extern char			 jr_dir[PATH_MAX - 64];	/* room for a name */
extern int			 jr_isopen;
extern int			 jr_fd;
extern uint64_t			 jr_max_bytes, jr_target, jr_total, jr_last;
extern size_t			 jr_max_record;
extern unsigned char		*jr_buf;
extern uint64_t			 jr_gen;	/* bumped by each open */
extern int			 jr_dirty;	/* appended since the last fsync */
extern int			 jr_werr_said;	/* a write error was logged */
extern int64_t			 jr_last_sync;
extern struct journal_stats	 jr_st;
extern char			 jr_aside[PATH_MAX];
/* NULL until journal_set_hooks() has run (journal_open() runs it). */
extern void			(*jr_fsync_fn)(int);

/* buf[0..len) = "<jr_dir>/<name>". */
void	jr_path(char *buf, size_t len, const char *name);
/* 0 when all n bytes were read, -1 on an error or end of file. */
int	jr_pread(int fd, void *buf, size_t n, uint64_t off);
/*
 * Read and check the record at `off` of an open segment whose good bytes
 * end at `limit`; its seq must be above `after`.  With buf NULL only the
 * header is read and bounded.  0, or -1 with *why set to a static string.
 */
int	jr_read_at(int fd, uint64_t off, uint64_t limit, uint64_t after,
	    unsigned char *buf, uint64_t *seq, size_t *len, const char **why);

/* Little-endian fields of headers and records. */
static inline uint32_t
jr_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
jr_get64(const unsigned char *p)
{
	return (uint64_t)jr_get32(p) | (uint64_t)jr_get32(p + 4) << 32;
}

#endif /* JOURNAL_INT_H */
