/*
 * diag.h -- the catalogue of known stderr diagnostics and the per-run
 * matcher that counts them as a runner's stderr streams by.
 *
 * A catalogue is a table: the built-ins compiled in (Metal GPU errors, the
 * ring transport's errno and abort lines, CUDA out of memory, NVIDIA Xid,
 * Python tracebacks, segmentation faults, Rust and Go panics, glibc heap
 * corruption, a shell's "Killed") plus up to DIAG_MAX entries in all added
 * from `[diagnostic:ID]` sections.  Catalogues are versioned: a config
 * load makes one (diag_catalog_new(), diag_catalog_add()), the daemon
 * makes it current (diag_set_current()), and each run takes a reference to
 * the current one when it starts (diag_run_reset()) and keeps matching
 * against it until its slot is reused, whatever reloads happen meanwhile.
 * A catalogue is freed with its last reference; at most
 * DIAG_CATALOGS_MAX exist at once.  diag_init() and diag_add() build a new
 * current catalogue directly (tests, fuzzers).
 *
 * A match is case-insensitive (ASCII) and is tried against each line with
 * its surrounding whitespace trimmed.  It is a substring unless it starts
 * with '^' (anchored at the line start) or ends with '$' (at the end);
 * inside it '*' stands for any run of bytes and '?' for one byte, with no
 * escapes.  Matching is greedy left to right, segment by segment, so it
 * costs at most O(line length x pattern length); a 4-byte prefilter over
 * each entry's longest literal piece means most lines are looked at once
 * and then dropped.
 *
 * Per run, all state is in a struct diag_run of fixed size (about 40 KiB)
 * that the caller embeds in its run slot: the line being assembled, the
 * last DIAG_EVIDENCE_MAX non-blank lines, and at most DIAG_HITS_MAX hits,
 * one per distinct diagnostic.  A diagnostic seen again, however much
 * unrelated output came in between, adds to its hit (count, last_seen,
 * last evidence, message); once the table is full, further distinct
 * diagnostics are only counted in `dropped`.  Nothing is kept for lines
 * that match nothing, so memory stays flat whatever a runner prints.
 * Nothing here allocates.
 *
 * The catalogue is built in diag_catalog.c, errnos are named in
 * diag_errno.c, and the matcher is diag.c.
 */
#ifndef DIAG_H
#define DIAG_H

#include <stddef.h>
#include <stdint.h>

#define DIAG_MAX		64	/* catalogue entries, built-ins included */
#define DIAG_PATTERN_MAX	128	/* bytes of one match, NUL included */
#define DIAG_SUMMARY_MAX	160	/* bytes of a summary, NUL included */
#define DIAG_LINE_MAX		1024	/* a longer line is matched on these */
#define DIAG_HITS_MAX		16	/* distinct diagnostics kept per run */
#define DIAG_EVIDENCE_DEFAULT	4	/* evidence lines when not configured */
#define DIAG_EVIDENCE_MAX	8	/* most evidence lines an entry keeps */
#define DIAG_EVLINE_MAX		240	/* bytes kept of one evidence line */
#define DIAG_EVIDENCE_BUF	1024	/* bytes of one evidence set */
#define DIAG_MSG_MAX		256	/* bytes of a decoded message */
#define DIAG_PLATFORM_MAX	16	/* "linux", "macos" */
#define DIAG_CATALOGS_MAX	5	/* alive at once: 4 in use, 1 loading */

struct diag_catalog;

/*
 * A few lines packed back to back, oldest first: line i is len[i] bytes
 * starting after lines 0..i-1.  When N lines of up to DIAG_EVLINE_MAX bytes
 * do not fit in DIAG_EVIDENCE_BUF, the oldest are left out, so the line
 * that matched is always there.
 */
struct diag_lines {
	uint16_t	n;
	uint16_t	len[DIAG_EVIDENCE_MAX];
	char		buf[DIAG_EVIDENCE_BUF];
};

/* One distinct diagnostic seen in a run. */
struct diag_hit {
	const struct diag_catalog *cat;	/* the run's */
	uint16_t	entry;		/* index in cat */
	uint16_t	msglen;		/* bytes in msg, not NUL-terminated */
	uint64_t	count;		/* occurrences */
	int64_t		first_us;	/* times passed to diag_feed() */
	int64_t		last_us;
	int		has_errno;	/* ring errno decoded into err_no */
	int		err_no;
	struct diag_lines first;	/* evidence of the first occurrence */
	struct diag_lines last;		/* ... and of the latest one */
	char		msg[DIAG_MSG_MAX]; /* from the latest occurrence */
};

/*
 * Per-run matcher state.  Fields are public so callers can embed it and
 * tests can look; only diag.c writes them.  A zeroed struct is a valid
 * fresh one, as is one passed to diag_run_reset().
 */
struct diag_run {
	struct diag_catalog *cat;	/* held; NULL: the current, on first use */
	size_t		linelen;	/* bytes of the current line in line[] */
	int		skipping;	/* dropping the rest of a long line */
	uint64_t	lines;		/* lines seen, blank ones included */
	uint64_t	nrecent;	/* non-blank lines seen */
	size_t		pending;	/* hit index + 1 of a traceback waiting
					 * for its exception line, or 0 */
	size_t		nhits;
	uint64_t	dropped;	/* occurrences that found hits[] full */
	uint16_t	recent_len[DIAG_EVIDENCE_MAX];
	char		recent[DIAG_EVIDENCE_MAX][DIAG_EVLINE_MAX];
	char		line[DIAG_LINE_MAX];
	struct diag_hit	hits[DIAG_HITS_MAX];
};

struct jw;

/* Name the errno table this binary was built with, once ("linux"). */
void	diag_platform(const char *platform);

/*
 * A new catalogue of the built-ins, with one reference (the caller's);
 * NULL when DIAG_CATALOGS_MAX are alive.  The errno table must have been
 * set up (diag_init()).
 */
struct diag_catalog *diag_catalog_new(void);
/* Add one entry, as diag_add() does, to a catalogue no run holds yet. */
int	diag_catalog_add(struct diag_catalog *, const char *id,
	    const char *severity, const char *match, const char *summary,
	    int evidence_lines, const char **err);
size_t	diag_catalog_count(const struct diag_catalog *);
unsigned diag_catalog_version(const struct diag_catalog *);
void	diag_catalog_ref(struct diag_catalog *);
void	diag_catalog_unref(struct diag_catalog *);
/* Catalogues alive now. */
size_t	diag_catalogs_alive(void);
/* The catalogue new runs take (a reference is taken; the old one's
 * reference dropped). */
void	diag_set_current(struct diag_catalog *);
struct diag_catalog *diag_current(void);

/*
 * Set up the errno table and make a new current catalogue of the
 * built-ins (dropping entries added before).  `platform` ("linux", "macos") names the errno table this binary
 * was compiled with; it is copied and reported with every decoded errno.
 * NULL means "unknown".  Calls strerror(3) for every known errno, so call
 * it at start-up, not on the hot path.  diag_feed() calls it with NULL if
 * it was never called.
 */
void	diag_init(const char *platform);

/*
 * Add one entry.  `id` is an id (ids.h) not yet in the catalogue,
 * `severity` one of info|warning|error|fatal (NULL: error), `match` a
 * pattern as above of at most DIAG_PATTERN_MAX - 1 bytes with at least one
 * byte that is not a wildcard, `summary` one line of at most
 * DIAG_SUMMARY_MAX - 1 bytes, `evidence_lines` 1..DIAG_EVIDENCE_MAX or 0
 * for DIAG_EVIDENCE_DEFAULT.  All strings are copied.  Returns 0, or -1
 * with *err (if err is not NULL) set to a static text saying why.
 */
int	diag_add(const char *id, const char *severity, const char *match,
	    const char *summary, int evidence_lines, const char **err);
/* Entries in the catalogue, built-ins included. */
size_t	diag_count(void);

/*
 * Forget all lines and hits: the state of a new run, which matches
 * against the current catalogue from now on (the one it held is let go).
 */
void	diag_run_reset(struct diag_run *);
/* Let go of the run's catalogue (before the struct is cleared). */
void	diag_run_release(struct diag_run *);

/*
 * Feed `len` raw bytes of stderr, in whatever pieces the pipe gave them;
 * lines end at '\n' (a '\r' before it is dropped).  Complete lines are
 * matched now, with `now_us` (µs since the epoch) as their time; a partial
 * line is kept for the next call.  Only the first DIAG_LINE_MAX bytes of a
 * line are matched, the rest is skipped.  O(len) apart from the matching.
 */
void	diag_feed(struct diag_run *, const void *bytes, size_t len,
	    int64_t now_us);
/* End of stream: a final line without '\n' counts as a line. */
void	diag_eof(struct diag_run *, int64_t now_us);
/*
 * The caller skipped some bytes: drop the pending partial line; unless
 * the next bytes start a line, ignore input up to the next newline.
 */
void	diag_resync(struct diag_run *, int at_line_start);

size_t	diag_nhits(const struct diag_run *);
/* The hit for catalogue entry `id`, or NULL if it was not seen. */
const struct diag_hit	*diag_find(const struct diag_run *, const char *id);
/* A hit's catalogue fields; the strings live as long as the catalogue. */
const char	*diag_hit_id(const struct diag_hit *);
const char	*diag_hit_severity(const struct diag_hit *);
const char	*diag_hit_summary(const struct diag_hit *);

/*
 * Write the hits, in the order first seen, as an array under `key` (NULL
 * in an array or at top level): objects {id, severity, summary, message,
 * count, first_seen, last_seen (RFC 3339), first_evidence:[...],
 * last_evidence:[...]} and, for a decoded errno, error_number,
 * error_name (or UNKNOWN_ERRNO), error_description and errno_platform.
 */
void	diag_json(struct jw *, const char *key, const struct diag_run *);

#endif /* DIAG_H */
