/*
 * httpc.h -- a small blocking HTTP/1.1 client for the command line tools
 * (crashtrail status/events/show/emit): one request per connection
 * ("Connection: close") to the daemon's Unix socket.
 *
 * libevent 2.1's evhttp client cannot connect to a Unix socket (2.2 adds
 * that), and these tools do one request and exit, so a plain blocking
 * client with a deadline is the honest tool here; the daemon never uses
 * it.  The answer goes into the caller's buffer.
 */
#ifndef HTTPC_H
#define HTTPC_H

#include <stddef.h>

struct httpc_resp {
	int		 status;	/* HTTP status, or 0 */
	const char	*body;		/* into the caller's buffer */
	size_t		 len;
	int		 truncated;	/* the buffer was too small */
};

/*
 * `method` `path` with an optional JSON body; waits at most timeout_ms.
 * 0, or -1 with *err (connection refused, timeout, bad answer).
 */
int	httpc_request(const char *sock, const char *method, const char *path,
	    const char *body, size_t blen, char *buf, size_t cap,
	    struct httpc_resp *, int timeout_ms, const char **err);
/*
 * GET `path` as an SSE stream and call `frame` for each event until the
 * server closes or `frame` returns non-zero.  0 on a clean end, -1 with
 * *err.  Comments (keepalives) are skipped.
 */
int	httpc_stream(const char *sock, const char *path,
	    int (*frame)(const char *id, const char *event, const char *data,
	    void *arg), void *arg, const char **err);

#endif /* HTTPC_H */
