/*
 * svproto.h -- supervisord's eventlistener protocol, the parsing half, and
 * the mapping of its process-state events to crashtrail's service_crashed
 * (DESIGN.md section 6; supervisord's docs/events.rst).
 *
 * Pure: no I/O, no allocation, no global state.  All storage is the
 * caller's `struct sv_reader` (about 66 KiB: make it static) and `struct
 * sv_crash`.
 *
 * The protocol, as a listener sees it: write SV_READY; supervisord sends
 * one header line of space-separated `key:value` tokens in no fixed order
 * (`ver`, `server`, `serial`, `pool`, `poolserial`, `eventname`, `len`),
 * then exactly `len` payload bytes with no terminator of their own; the
 * listener answers SV_RESULT_OK and writes SV_READY again.  supervisord
 * sends nothing while it waits for that answer, which is what makes
 * sv_reader_extend() below safe.
 */
#ifndef SVPROTO_H
#define SVPROTO_H

#include <stddef.h>

/*
 * Limits.  A header line (newline included) is at most SV_HEADER_MAX
 * bytes; SV_PAYLOAD_MAX payload bytes are kept and the rest skipped; a
 * len over SV_LEN_MAX is garbage.  sv_crash strings, NUL included, are
 * at most SV_NAME_MAX (names) or SV_WORD_MAX (from_state, eventname).
 */
#define SV_HEADER_MAX	1024
#define SV_PAYLOAD_MAX	65536
#define SV_LEN_MAX	(16UL * 1024 * 1024)
#define SV_NAME_MAX	256
#define SV_WORD_MAX	48

/*
 * What a listener writes.  The answer has no newline after "OK":
 * supervisord reads exactly the 2 bytes announced, and a stray "\n" would
 * turn the next "READY\n" into "\nREADY" -- the listener goes UNKNOWN and
 * never gets another event (the kernel-images shim bug).
 */
#define SV_READY	"READY\n"
#define SV_RESULT_OK	"RESULT 2\nOK"

/* A token's value: points into the reader's buffers, not NUL-terminated. */
struct sv_span {
	const char	*p;		/* NULL: the token was absent */
	size_t		 n;
};

/*
 * One event.  Spans point into the reader and stay valid until the next
 * sv_reader_feed() or sv_reader_reset() on it.  A repeated key: the last
 * one counts.  Unknown keys are ignored.
 */
struct sv_event {
	/* Header tokens. */
	struct sv_span	 ver, server, serial, pool, eventname;
	size_t		 len;		/* as announced */
	/* The first min(len, SV_PAYLOAD_MAX) payload bytes (see extend). */
	const char	*payload;
	size_t		 payload_len;
	size_t		 skipped;	/* payload bytes not kept */
	/* Tokens of the payload's first line (a process-state body). */
	struct sv_span	 processname, groupname, from_state;
	/* Numbers: -1 when absent or not plain digits; pid 0 is -1. */
	long		 pid;
	long		 tries;
	int		 expected;	/* 0 or 1, or -1 */
};

enum sv_rstate { SV_R_HEADER, SV_R_PAYLOAD, SV_R_SKIPLINE, SV_R_DONE };

/* Protocol errors, in r->err after SV_ERROR. */
enum sv_error {
	SV_E_NONE,
	SV_E_HEADER_LONG,	/* no newline in SV_HEADER_MAX bytes */
	SV_E_HEADER_TOKEN,	/* a header token without a colon */
	SV_E_NO_LEN,		/* no len token */
	SV_E_BAD_LEN		/* len not digits, or over SV_LEN_MAX */
};

struct sv_reader {
	enum sv_rstate	 state;
	enum sv_error	 err;
	size_t		 hlen;		/* bytes in hdr */
	size_t		 got;		/* payload bytes taken */
	size_t		 chars;		/* UTF-8 chars in them */
	int		 due;		/* continuation bytes due */
	size_t		 blank;		/* blank lines skipped */
	struct sv_event	 ev;
	char		 hdr[SV_HEADER_MAX];
	char		 payload[SV_PAYLOAD_MAX];
};

/* sv_reader_feed() results. */
#define SV_MORE		0	/* every byte taken; no event yet */
#define SV_EVENT	1	/* r->ev holds a complete event */
#define SV_ERROR	(-1)	/* r->err says which protocol error */

void	sv_reader_reset(struct sv_reader *);

/*
 * Take bytes from buf; *used says how many (always all of them with
 * SV_MORE; with SV_EVENT or SV_ERROR, up to the end of what was
 * recognised: feed the rest again).  The payload is read by byte count,
 * whatever it contains.  Blank header lines are skipped (r->blank).
 * After SV_ERROR the reader has started over on a fresh header, except
 * after SV_E_HEADER_LONG, where it first discards through the next
 * newline; a listener should answer the event anyway and resynchronise
 * (discard what is pending, sv_reader_reset(), READY).
 */
int	sv_reader_feed(struct sv_reader *, const void *buf, size_t len,
	    size_t *used);

/* Whether the reader is inside an event (part of a header or payload). */
int	sv_reader_busy(const struct sv_reader *);

/*
 * supervisord 4 on Python 3 counts `len` in characters, not bytes
 * (Supervisor/supervisor#1243): a payload with a non-ASCII process name
 * arrives longer than announced, and reading by bytes cuts its last
 * tokens (pid:12649 read as pid:126).  Right after SV_EVENT,
 * sv_reader_wants() says whether the payload is still short of `len`
 * characters (or ends inside a UTF-8 sequence), and sv_reader_extend()
 * takes only the bytes that complete it, re-parses the payload tokens and
 * returns how many it took.  Bytes that arrive before the listener's next
 * READY cannot be another event, so this is safe; a supervisord that
 * counts bytes sends none, and the listener must not wait long for them.
 */
int	sv_reader_wants(const struct sv_reader *);
size_t	sv_reader_extend(struct sv_reader *, const void *buf, size_t len);

const char	*sv_strerror(enum sv_error);

/* A crash, ready to post: plain data, copyable, NUL-terminated strings. */
struct sv_crash {
	char		 service_name[SV_NAME_MAX];	/* processname */
	char		 group_name[SV_NAME_MAX];	/* "": absent */
	char		 from_state[SV_WORD_MAX];
	char		 eventname[SV_WORD_MAX];
	const char	*phase;		/* running|startup|gave_up */
	long		 pid;		/* -1: none (gave_up) */
};

/*
 * sv_map() results; only SV_MAP_CRASH fills *out.  NONE: another event,
 * or an expected exit.  SKIPPED: an unexpected exit from a from_state
 * other than RUNNING or STARTING.  INVALID: a crash event without a
 * processname (or with a NUL in it), or an EXITED without expected:0|1.
 */
#define SV_MAP_NONE	0
#define SV_MAP_CRASH	1
#define SV_MAP_SKIPPED	2
#define SV_MAP_INVALID	3

/*
 * PROCESS_STATE_EXITED with expected:0 from RUNNING is phase "running",
 * from STARTING "startup" (supervisord 4.2 reports a death before
 * startsecs as BACKOFF instead, so this one is for older versions);
 * expected:1 is none.  PROCESS_STATE_FATAL (supervisord gave up
 * restarting) is "gave_up", without a pid.  Names longer than
 * SV_NAME_MAX - 1 bytes are cut.
 */
int		 sv_map(const struct sv_event *, struct sv_crash *out);
const char	*sv_map_str(int);

#endif /* SVPROTO_H */
