/*
 * sse.h -- the Server-Sent Events stream of the event ring
 * (GET /telemetry/stream).
 *
 * evhttp parses the request; sse_attach() then takes the connection over:
 * it writes the response head itself and streams close-delimited frames
 *   id: <seq>\nevent: <type>\ndata: <envelope>\n\n
 * from a fixed output buffer per client straight to the socket with
 * write(2), so the fan-out never allocates (evbuffers would).  Each client
 * slot and its buffer are reserved at start-up.
 *
 * A client whose next event is older than the ring reads it from the
 * journal (journal.h), one record at a time into one shared buffer, so a
 * resume with an id the journal holds is exact: no duplicate, no skip.
 * What neither holds any more is said with `event: gap`, data
 * {"missed":N,"from_seq":..,"to_seq":..}; an id from the future (another
 * state_dir, a wiped journal) gets `event: reset` with {"requested_seq":..,
 * "latest_seq":..} and the stream from there.
 *
 * A client that stopped reading is cut: when its next event is gone from
 * the ring and the journal while its buffer is full, or when its buffer has
 * been full for SSE_STUCK_MS with nothing taken.  A final gap frame
 * ("cut":true) is written first, and arrives only if its socket still has
 * room.  A comment line ": keepalive" goes to every idle client every 15 s.
 */
#ifndef SSE_H
#define SSE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp_request;

void		sse_init(struct event_base *, size_t max_clients,
		    size_t buffer_bytes, size_t max_record);
/*
 * Stream events from seq `next` on (events_latest() + 1 = from now),
 * only those of `type` when it is not NULL.  0, or -1 when every client
 * slot is taken (the caller answers 429).
 */
int		sse_attach(struct evhttp_request *, uint64_t next,
		    const char *type);
/* The ring's listener: a new event is there. */
void		sse_on_event(uint64_t seq);
size_t		sse_nclients(void);
uint64_t	sse_ncut(void);
uint64_t	sse_ngaps(void);
uint64_t	sse_nresets(void);
/* Close every stream (shutdown). */
void		sse_close_all(void);

#endif /* SSE_H */
