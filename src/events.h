/*
 * events.h -- the event ring: every event crashtrail records, in order.
 *
 * An event is stored as its finished JSON envelope
 *   {"seq":N,"ts":"<RFC 3339, µs>","type":"...","category":"...",
 *    "instance_id":"...","runner_id":"...","run_id":"...","data":{...}}
 * in a byte ring (`bytes`, a power of two) indexed by a ring of `slots`
 * entries.  seq starts at 1 and only grows; entry seq lives in slot
 * seq % slots.  Writers never block: the oldest events are evicted when
 * either ring is full.  An envelope longer than `max_record` is kept with
 * "data":null,"truncated":true.  Storage is reserved by events_init() and
 * nothing here allocates afterwards.
 *
 * Readers hold a seq, not a pointer: events_get() tells them whether the
 * event is still there, and events_oldest() how far behind they fell.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct jw;

#define EVENT_TYPE_MAX	48

/* Where an event comes from; NULL members are left out. */
struct ev_meta {
	const char	*type;		/* required */
	const char	*category;	/* runner|system|stage|upload|collector */
	const char	*instance_id;
	const char	*runner_id;
	const char	*run_id;
};

/* Writes the value of "data" (an object, usually) into the envelope. */
typedef void	(*ev_data_fn)(struct jw *, const void *arg);

/* A stored envelope: at most two pieces because the byte ring wraps. */
struct ev_view {
	uint64_t	 seq;
	const char	*type;
	const char	*p1, *p2;
	size_t		 n1, n2;
};

void		 events_init(size_t slots, size_t bytes, size_t max_record);
/* Record an event; returns its seq.  `data` may be NULL ("data":{}). */
uint64_t	 events_emit(const struct ev_meta *, ev_data_fn data,
		    const void *arg);
/* Called after each emit (the SSE fan-out); one listener. */
void		 events_set_listener(void (*)(uint64_t seq));
/* 0 and the view when seq is still stored, -1 when evicted or future. */
int		 events_get(uint64_t seq, struct ev_view *);
uint64_t	 events_oldest(void);	/* 0 when empty */
uint64_t	 events_latest(void);	/* 0 when empty */
/*
 * Start-up only, before any emit: put back an envelope recorded by an
 * earlier crashtrail (the journal), oldest first, with its own seq.  No
 * listener is called.  0, or -1 when it is not newer than the last one,
 * over max_record, or has no type.
 */
int		 events_restore(uint64_t seq, const char *p, size_t len);
/* Start-up only: new events are numbered after `seq` at least. */
void		 events_continue_after(uint64_t seq);
/* The "type" of a stored envelope into type[cap]; 0 or -1. */
int		 events_type_of(const char *p, size_t n, char *type, size_t cap);
/* Counters for /v1/status and /metrics. */
uint64_t	 events_evicted(void);
uint64_t	 events_truncated(void);
/* The category a type belongs to when the producer names none. */
const char	*events_category_of(const char *type);
int		 events_category_valid(const char *);

#endif /* EVENTS_H */
