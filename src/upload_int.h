/*
 * upload_int.h -- what upload.c (the queue, the spool, the outcomes) and
 * upload_xfer.c (one transfer: presign, then PUT) share; no other module
 * includes this.
 */
#ifndef UPLOAD_INT_H
#define UPLOAD_INT_H

#include <limits.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "digest.h"
#include "https.h"
#include "ids.h"
#include "presign.h"
#include "spool.h"
#include "upload.h"

#define UPLOAD_REQ_MAX		(HC_PATH_MAX + HC_HOST_MAX + 2048)
#define UPLOAD_PUT_BODY_MAX	(64 * 1024)	/* what a PUT's answer may say */
#define UPLOAD_URL_MARGIN_MS	2000	/* a URL this close to expiry is not used */
#define UPLOAD_HOUR_MS		(3600 * 1000)

enum job_state { J_FREE, J_SPOOLING, J_HASHING, J_READY, J_XFER };
enum xfer_phase { P_PRESIGN, P_PUT };
enum fail_class { FC_DNS, FC_CONNECT, FC_TLS, FC_TIMEOUT, FC_TRANSPORT,
    FC_PROTOCOL, FC_HTTP, FC_FILE };

struct xfer;

struct job {
	enum job_state	 state;
	int64_t		 order;			/* created, µs: oldest first */
	struct spool_rec rec;
	char		 spool[PATH_MAX];	/* the record's path */
	int		 durable;		/* the record is on disk */
	int		 dropped;		/* ends when its record is */
	unsigned	 attempts;		/* begun: a presign or a PUT */
	int64_t		 not_before;		/* monotonic ms */
	int		 deferred;		/* waiting for its runner */
	int		 rated;			/* charged to its runner */
	char		 url[PRESIGN_URL_MAX];	/* "" = presign first */
	int64_t		 url_expires;		/* monotonic ms; 0: unknown */
	char		 key[PRESIGN_KEY_MAX];
	struct digest	 digest;
	struct xfer	*x;
};

struct xfer {
	struct hc_xfer	 hc;
	struct hc_url	 url;
	struct job	*job;			/* NULL: free */
	enum xfer_phase	 phase;
	int		 fd;			/* the PUT's file */
	char		 req[UPLOAD_REQ_MAX];
	char		 hbuf[HTTP_PARSE_HEAD_MAX];
	char		 body[PRESIGN_REPLY_MAX];
	size_t		 blen;
};

/* One runner's uploads in its current hour. */
struct rate {
	char		 runner[ID_MAX + 1];
	int64_t		 since;			/* monotonic ms; 0: unused */
	size_t		 n;
};

/* What an upload event says; the data function's argument. */
struct up_ev {
	const struct job *job;
	const char	*reason;
	enum fail_class	 cls;
	int		 status;
	int		 final;
	int64_t		 retry_ms;
	int		 already;
};

struct upload_state {
	int			 on, started, down;
	struct event_base	*base;
	struct evdns_base	*dns;
	struct event		 tick;
	struct hc_url		 presign;	/* {base}/telemetry/... */
	char			 spooldir[PATH_MAX];
	/* The config's values, copied: a reload must not move them. */
	unsigned		 files;
	size_t			 max_jobs, nxfers, max_attempts, per_hour;
	uint64_t		 max_bytes;
	int64_t			 max_age_s;
	int			 backoff_min, backoff_max, timeout_ms;
	struct job		*jobs;
	struct xfer		*xfers;
	struct rate		*rates;
	size_t			 nrates;
	size_t			 njobs;
	uint64_t		 bytes;
	int64_t			 last_order;
	uint64_t		 rnd;
	struct upload_stats	 st;
};

extern struct upload_state up;

/* upload_xfer.c: start one attempt of job j on free slot x. */
void	up_attempt(struct job *j, struct xfer *x);

/* upload.c: how an attempt ends, and the queue's own. */
void	up_release(struct job *);
void	up_retry(struct job *, enum fail_class, int, const char *, int64_t);
void	up_fail(struct job *, enum fail_class, int, const char *);
void	up_success(struct job *, int);
void	up_emit(const struct up_ev *, const char *);
int	up_too_old(const struct job *);
void	up_kick(void);
/* Hash the job's file (again: its size changed since). */
void	up_hash(struct job *);

#endif /* UPLOAD_INT_H */
