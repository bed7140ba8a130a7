/*
 * api_int.h -- private to api.c, api_handlers.c and api_runs.c; the rest
 * of crashtrail uses api.h.
 * SPDX-License-Identifier: ISC
 *
 * api.c owns the listeners, the router and the helpers that answer; the
 * handlers behind the endpoints are in api_handlers.c, and those of
 * /v1/runs in api_runs.c.  A handler answers its request once, before it
 * returns: with api_reply() or api_error(), through evhttp itself, or by
 * handing it to sse_attach().
 */
#ifndef API_INT_H
#define API_INT_H

#include <stdint.h>

struct config;
struct evhttp_request;
struct jw;
struct logstore;
struct query;

#define API_OUT_MAX	(1024 * 1024)	/* the largest JSON answer */

/* What api_init() was given, and when it ran. */
extern const struct config	*api_cf;
extern struct logstore		*api_store;
extern int64_t			 api_started_us;
/*
 * One answer at a time: the loop has one thread and every answer is
 * copied out before its handler returns, so all of them share this.
 */
extern char			 api_out[API_OUT_MAX];

/* Send w's JSON with `status`. */
void	api_reply(struct evhttp_request *, int status, struct jw *w);
void	api_reload(struct evhttp_request *);
/* Send {"code","message","retryable"} with `status`. */
void	api_error(struct evhttp_request *, int status, const char *code,
	    int retryable, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* The handlers, one per endpoint; the router has checked the method. */
/* A connection became a stream: it no longer counts against the API's. */
void	api_conn_forget(struct evhttp_connection *);
void	api_status(struct evhttp_request *);
void	api_runners(struct evhttp_request *);
void	api_runner_action(struct evhttp_request *, const char *name,
	    const char *action);
/* api_runs.c: /v1/runs, and /v1/runs/<id>[/<what>]. */
void	api_runs(struct evhttp_request *, const struct query *);
void	api_run(struct evhttp_request *, const char *id, const char *what,
	    const struct query *);
void	api_events(struct evhttp_request *, const struct query *);
void	api_stream(struct evhttp_request *, const struct query *);
void	api_ingest_post(struct evhttp_request *);
void	api_metrics(struct evhttp_request *);
void	api_host(struct evhttp_request *, const struct query *);
/* A seq parameter (strict decimal, 0 when absent); -1 after a 400. */
int	api_seq_param(struct evhttp_request *, const struct query *,
	    const char *name, uint64_t *out);

#endif /* API_INT_H */
