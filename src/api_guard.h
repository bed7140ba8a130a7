/*
 * api_guard.h -- private to api.c: the API's table of connections, which
 * enforces api_max_connections and guards each connection against a
 * request body over api_max_body.
 * SPDX-License-Identifier: ISC
 *
 * libevent 2.1's evhttp refuses a body over its own maximum with a fixed
 * HTML page and closes while the client is still sending, which can reset
 * the connection before the client reads any answer.  The guard reads each
 * connection's input as it arrives (an evbuffer callback runs inside the
 * read, before evhttp's parser).  A request head whose Content-Length is
 * over the limit, or whose body is chunked, is replaced by a synthetic
 * request for API_GUARD_PATH, which the router answers with the JSON 413;
 * the body is discarded as it arrives.  When evhttp closes the connection
 * after that answer, a lingering close goes on discarding what the client
 * still sends, on a duplicate of the socket, until the declared length,
 * API_GUARD_LINGER_MAX bytes or API_GUARD_LINGER_MS from the refusal, so
 * that the client reads the answer rather than a reset.
 *
 * A head the guard does not understand completely (malformed, longer than
 * API_GUARD_HEAD_MAX, split by evhttp having read part of it) is left to
 * evhttp as it is.  All storage is reserved by api_guard_init(); nothing
 * here allocates afterwards but libevent's callback entry, one per
 * connection.
 */
#ifndef API_GUARD_H
#define API_GUARD_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct event_base;
struct evhttp_connection;
struct evhttp_request;

#define API_GUARD_PATH		"/.crashtrail/too-large"
#define API_GUARD_HEAD_MAX	8192	/* the most of a head it reads */
#define API_GUARD_LINGERS	16	/* lingering closes at once */
#define API_GUARD_LINGER_MAX	(64ULL * 1024 * 1024)
#define API_GUARD_LINGER_MS	5000

/* What api_guard_parse() found in a complete request head. */
struct guard_head {
	size_t		 len;		/* through the blank line */
	uint64_t	 clen;		/* Content-Length, if has_clen */
	int		 has_clen;
	int		 chunked;	/* Transfer-Encoding: chunked */
	int		 bodyless;	/* HEAD, TRACE: no body */
	const char	*auth;		/* Authorization, in p */
	size_t		 authlen;
};

/*
 * Parse the n bytes at p as the start of an HTTP/1.x request.  Returns 1
 * with *h filled in for a complete, well-formed head; 0 when what is there
 * is a well-formed start but the head is not complete and n is under
 * API_GUARD_HEAD_MAX; -1 for anything else.  Strict: CRLF line ends, a
 * known method, one Content-Length of digits, Transfer-Encoding only as
 * "chunked", no folded lines.
 */
int	api_guard_parse(const char *p, size_t n, struct guard_head *h);

/*
 * Reserve the table: room for twice maxconns connections (those past the
 * limit still need an entry to be answered 503), maxconns of them counted,
 * and API_GUARD_LINGERS lingering closes.  Exits on failure.
 */
void	api_guard_init(struct event_base *, uint64_t max_body,
	    size_t maxconns);
/* End every lingering close (at shutdown, after evhttp_free()). */
void	api_guard_close(void);

/* evhttp_set_bevcb()'s callback: a connection's bufferevent, guarded. */
struct bufferevent *api_guard_bev(struct event_base *, void *);

/*
 * Count the request's connection against maxconns, once per connection.
 * Returns 0 when all maxconns are taken (the caller answers 503 and
 * closes).
 */
int	api_guard_admit(struct evhttp_connection *);
/*
 * Called for each request the router sees, after api_guard_admit().
 * Returns 1 if it is the guard's synthetic request, with the declared
 * length in *declared (0 when chunked, with *chunked set): the caller
 * answers 413.  Otherwise returns 0, and the guard reads the connection's
 * next request head.
 */
int	api_guard_request(struct evhttp_request *, uint64_t *declared,
	    int *chunked);
/* The connection became a stream: it is no longer counted or guarded. */
void	api_guard_forget(struct evhttp_connection *);

#endif /* API_GUARD_H */
