/*
 * journal.h -- the event journal: every envelope the event ring records is
 * appended to segment files under <state_dir>/journal/, so the history
 * survives crashtrail's own SIGKILL (DESIGN.md 7a).
 *
 * On disk, all integers little-endian:
 *   <first_seq as %020llu>.seg, one segment; it begins with
 *     16 bytes   "CTJRNL", u16 version (JOURNAL_VERSION), u64 first_seq
 *   and holds records of 24 + len bytes each:
 *     u32 len, u32 reserved (0), u64 seq,
 *     8 check bytes: the first 8 bytes of SHA-256 over the 16 bytes before
 *       them (len, reserved, seq) followed by the payload,
 *     len payload bytes (one JSON envelope).
 * The check is SHA-256 rather than a CRC because the vendored BearSSL
 * SHA-256 is the well-kept implementation the project already links.
 * seq strictly increases across the whole journal; every record of a
 * segment has seq >= the segment's first_seq, which is also its name.
 *
 * Bounds: all segments together stay within max_bytes.  A segment is ended
 * when the next record would take it past max_bytes / 8 (but at least
 * 16 + 24 + max_record bytes), and before an append that would take the
 * total past max_bytes the oldest segments are pruned (never the one being
 * appended to); at most JOURNAL_SEGS segments are kept.
 *
 * Ownership: the journal is one module with static state, for one
 * single-threaded process.  journal_open() may block and allocates (the
 * directory listing, one read buffer of max_record bytes held until
 * journal_close()); after it, journal_append(), journal_sync() and
 * journal_cursor_next() allocate nothing, and the file work that may block
 * (fsync, closing a finished segment, unlinking a pruned one) goes through
 * the hooks below.  Pointers handed to a hook or callback are valid only
 * during that call.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_MAGIC		"CTJRNL"
#define JOURNAL_VERSION		1
#define JOURNAL_HDR		16	/* segment header */
#define JOURNAL_RECHDR		24	/* record header with its check */
#define JOURNAL_SEGS		64	/* segments kept at most */
#define JOURNAL_SYNC_MS		1000	/* least ms between fsyncs */

/*
 * For /v1/status.  Counters count since the last journal_open();
 * set_aside_path is static storage, valid until the next open.
 */
struct journal_stats {
	int		 open;		/* 0: running without a journal */
	size_t		 segments;
	uint64_t	 bytes;		/* on disk, all segments */
	uint64_t	 first_seq;	/* 0 when empty */
	uint64_t	 last_seq;	/* journal_last_seq() */
	uint64_t	 torn;		/* torn tail cut at open: 0 or 1 */
	uint64_t	 corrupt;	/* older segments ended early at open */
	uint64_t	 write_errors;	/* failed appends, cut back */
	uint64_t	 pruned_segments;
	uint64_t	 appended;	/* records appended since open */
	const char	*set_aside_path; /* a foreign journal went here; "" */
};

/*
 * A reader's place, owned by the caller (plain fields, copy freely, no
 * cleanup).  It names its segment by first_seq, not by pointer, so it
 * survives pruning: a cursor whose segment is gone jumps to the oldest
 * record still kept, and the caller sees the gap in the seq it gets back.
 */
struct journal_cursor {
	uint64_t	 seq;		/* next record wanted: seq >= this */
	uint64_t	 seg;		/* first_seq of the segment of `off` */
	uint64_t	 off;		/* offset of the next record there */
	uint64_t	 gen;		/* the open that placed it; 0: none */
	size_t		 idx;		/* hint: that segment's index */
};

/*
 * Open (creating it 0750 if missing) the journal in `dir`, verify every
 * record, cut a torn tail of the last segment, prune to the bounds, and
 * get ready to append after the last record.  A last segment left with
 * no record is removed, and the damaged tail of the one before it (now
 * the last) is cut too: nothing is appended after bad bytes.  Segments of another format
 * (bad magic, other version, header not matching the name) make the whole
 * directory be renamed to "<dir>.set-aside-<unix seconds>" (never deleted)
 * and an empty journal is started.  The file work here is done inline: it
 * is start-up.  Returns 0, or -1 (logged) when the directory cannot be used
 * at all or max_bytes < 16 + 24 + max_record; the daemon then runs without a
 * journal and every other call here is a harmless no-op.
 */
int		 journal_open(const char *dir, uint64_t max_bytes,
		    size_t max_record);
/* fsync the active segment inline and close everything; frees the buffer. */
void		 journal_close(void);

/*
 * Where the blocking work goes; a NULL hook means the inline default.
 * fsync_fd(fd): make fd durable; the journal keeps fd (dup it to hand it
 *   on).  Default fsync(2).
 * close_fd(fd): fsync then close fd, which the hook now owns: a finished
 *   segment, or the journal directory after a segment was created in it
 *   (so the new name is durable).  Default fsync(2) + close(2).
 * unlink_path(path): remove a pruned segment; copy path if needed later.
 *   Default unlink(2).
 */
void		 journal_set_hooks(void (*fsync_fd)(int),
		    void (*close_fd)(int), void (*unlink_path)(const char *));

/*
 * Append the record `seq` whose payload is p1[0..n1) followed by
 * p2[0..n2) (the ring may wrap), with one writev(2) and no fsync.  seq
 * must be above journal_last_seq() and n1 + n2 at most max_record.  A
 * failed or short write is cut back to the previous end, counted in
 * write_errors and logged once until an append succeeds again.  0 or -1.
 */
int		 journal_append(uint64_t seq, const char *p1, size_t n1,
		    const char *p2, size_t n2);

/*
 * Hand the active segment to fsync_fd when records were appended since
 * the last sync and either `now` is set (after a runner_failed) or
 * JOURNAL_SYNC_MS passed since that sync (monotonic clock).
 */
void		 journal_sync(int now);
/* For the daemon's 1 s timer: journal_sync(0) when there is anything. */
void		 journal_tick(void);

/*
 * Call fn for the newest records whose payloads add up to at least
 * want_bytes (or for all when there are fewer, or want_bytes is 0), oldest
 * first.  p points into the journal's read buffer and is valid during the
 * call only; fn must not call journal_append().  Returns the number of
 * records given to fn, or -1 (logged) on a read error or when not open.
 */
int		 journal_replay(uint64_t want_bytes,
		    void (*fn)(uint64_t seq, const char *p, size_t len,
		    void *arg), void *arg);

/* Place a cursor before the first record with seq >= `seq`. */
void		 journal_cursor_init(struct journal_cursor *, uint64_t seq);
/*
 * Read the next record at or after the cursor into buf (cap must be at
 * least max_record) with pread(2), and move past it.  Returns 1 with *seq
 * and *len set, 0 at the end of the journal (or without one: the caller
 * goes on from the ring), -1 (logged) on a read error or a short cap.
 * Reading on sequentially costs one record's preads; a cursor left at the
 * end picks up records appended later.
 */
int		 journal_cursor_next(struct journal_cursor *, char *buf,
		    size_t cap, uint64_t *seq, size_t *len);

/* The oldest record kept; 0 when there is none. */
uint64_t	 journal_first_seq(void);
/*
 * The newest seq recorded, and so the floor for the next append; 0 when
 * empty.  After a damaged segment that kept no record it is that
 * segment's first_seq, so seqs it may have held are not issued again.
 */
uint64_t	 journal_last_seq(void);
void		 journal_stats(struct journal_stats *);

#endif /* JOURNAL_H */
