/*
 * metrics.h -- GET /metrics: the collector's own counters and per-runner
 * gauges and counters in the Prometheus text format 0.0.4, and the
 * watchers' status block of GET /v1/status.  Request path only (the
 * evbuffer allocates); nothing here runs on the hot path.
 */
#ifndef METRICS_H
#define METRICS_H

struct evbuffer;
struct jw;
struct logstore;

void	metrics_write(struct evbuffer *, const struct logstore *);
void	metrics_watchers_json(struct jw *);
/* A family's # HELP and # TYPE lines. */
void	metric_head(struct evbuffer *, const char *name, const char *type,
	    const char *help);

#endif /* METRICS_H */
