/*
 * svlisten.h -- `crashtrail supervisord-listener`: a supervisord event
 * listener that forwards crashes of supervised programs to the crashtrail
 * daemon as service_crashed events (DESIGN.md section 6).
 *
 * It is its own small process, started by supervisord with the protocol
 * on stdin/stdout (svproto.h), and it blocks: on stdin, and for at most
 * SVL_POST_MS on the daemon's socket.  Every event is acknowledged, even
 * when the daemon is down; crashes that could not be posted wait in a
 * bounded in-memory backlog.  Storage is static; nothing allocates
 * (except config_load() at start-up, when the socket comes from -c).
 */
#ifndef SVLISTEN_H
#define SVLISTEN_H

#include <stddef.h>

#include "svproto.h"

#define SVL_DEFAULT_SOCKET	"/var/lib/crashtrail/crashtrail.sock"

/*
 * SVL_BACKLOG crashes are kept while the daemon is away.  One delivery
 * pass takes at most SVL_POST_MS; after a failure none is tried for
 * SVL_RETRY_MS.  A payload's missing characters (svproto.h) are waited
 * for SVL_EXTEND_MS; an event stuck halfway for SVL_STALL_MS is a
 * protocol error.  One JSON body, names escaped, fits SVL_BODY_MAX.
 */
#define SVL_BACKLOG	256
#define SVL_POST_MS	2000
#define SVL_RETRY_MS	5000
#define SVL_EXTEND_MS	200
#define SVL_STALL_MS	10000
#define SVL_BODY_MAX	4096

/* The command: parse options, then svl_serve() on fds 0 and 1. */
int	svlisten_main(int argc, char **argv);

/*
 * Speak the protocol on `in`/`out` until EOF on `in` (0), a signal
 * (0; svlisten_main installs the handlers), or a failed write to `out`
 * (111), posting crashes to the API socket at `sockpath`.  The only
 * bytes written to `out` are SV_READY and SV_RESULT_OK.
 */
int	svl_serve(int in, int out, const char *sockpath);

/*
 * Write the POST body for `c` into buf: the number of bytes (no NUL), or
 * 0 if it did not fit.
 */
size_t	svl_body(const struct sv_crash *c, char *buf, size_t cap);

/*
 * One bounded HTTP/1.1 POST /telemetry/events of `body` over the unix
 * socket `sockpath`, with `timeout_ms` for all of it.  0 on a 2xx status;
 * -2 when the daemon refused it for good (4xx other than 408 and 429);
 * -1 for anything worth retrying.  The reason is in `why`
 * (NUL-terminated, cut to whylen).  TERM/INT interrupt it (-1).
 */
int	svl_post(const char *sockpath, const char *body, size_t len,
	    int timeout_ms, char *why, size_t whylen);

#endif /* SVLISTEN_H */
