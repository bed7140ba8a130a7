/*
 * api.h -- the local HTTP API on libevent's evhttp (DESIGN.md section 9).
 *
 * It listens on a Unix socket (mode 0660) and, when configured, on a
 * loopback TCP address where a bearer token is required if one is set.
 * Every answer is JSON; errors are {"code","message","retryable"} with the
 * matching status.  Request handling may allocate (evhttp does); the event
 * ring and the SSE fan-out behind it do not.
 */
#ifndef API_H
#define API_H

struct event_base;
struct config;
struct logstore;

/* 0, or -1 (logged) when a listener cannot be set up. */
int	api_init(struct event_base *, const struct config *,
	    struct logstore *);
void	api_close(void);

#endif /* API_H */
