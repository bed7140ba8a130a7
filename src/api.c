/*
 * api.c -- the local API's listeners, its router and the helpers that
 * answer a request.
 * SPDX-License-Identifier: ISC
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_guard.h"
#include "api_int.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "query.h"
#include "run.h"
#include "sse.h"
#include "timefmt.h"

#define API_HEADERS_MAX	8192

/* One listener: the Unix socket or the TCP one (which may need a token). */
struct api_listener {
	struct evhttp	*http;
	int		 tcp;
};

/* Shared with api_handlers.c; api_int.h says what each is. */
const struct config	*api_cf;
struct logstore		*api_store;
int64_t			 api_started_us;
char			 api_out[API_OUT_MAX];
static struct event_base	*api_base;
static struct api_listener	 api_unix, api_tcp;

static void	api_on_request(struct evhttp_request *, void *);
static int	api_conn_admit(struct evhttp_request *);
static void	api_too_large(struct evhttp_request *, uint64_t, int);
static int	api_method(struct evhttp_request *, int);
static int	api_segment(const char **, char *, size_t);
static int	api_authorized(struct evhttp_request *);
static struct evhttp	*api_http(struct api_listener *);
static int	api_listen_unix(const char *);
static int	api_listen_tcp(const char *);

void
api_reply(struct evhttp_request *req, int status, struct jw *w)
{
	struct evbuffer	*b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add(b, w->buf, w->len);
	evbuffer_add(b, "\n", 1);
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", b);
	evbuffer_free(b);
}

void
api_error(struct evhttp_request *req, int status, const char *code,
    int retryable, const char *fmt, ...)
{
	struct jw	w;
	char		msg[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jw_init(&w, api_out, sizeof(api_out), -1);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "code", code);
	jw_str(&w, "message", msg);
	jw_bool(&w, "retryable", retryable);
	jw_obj_end(&w);
	api_reply(req, status, &w);
}

/* The request's method is `allowed`, or a 405 has been sent. */
static int
api_method(struct evhttp_request *req, int allowed)
{
	if ((int)evhttp_request_get_command(req) & allowed)
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allowed == EVHTTP_REQ_POST ? "POST" : "GET");
	api_error(req, 405, "METHOD_NOT_ALLOWED", 0, "%s is not allowed here",
	    evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" :
	    "this method");
	return 0;
}

/*
 * Take the next /-separated segment of the raw path, %-decoded.  Returns
 * 1 with the segment, 0 at the end, -1 on bad encoding or length.
 */
static int
api_segment(const char **pathp, char *out, size_t cap)
{
	const char	*p = *pathp, *end;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return 0;
	end = strchr(p, '/');
	if (end == NULL)
		end = p + strlen(p);
	*pathp = end;
	return query_decode(p, (size_t)(end - p), out, cap) == -1 ? -1 : 1;
}

/* The Bearer token, on TCP only: the Unix socket relies on its mode. */
static int
api_authorized(struct evhttp_request *req)
{
	const char	*h;
	size_t		 n;

	if (api_cf->api_token[0] == '\0')
		return 1;
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	n = strlen(api_cf->api_token);
	return h != NULL && strncmp(h, "Bearer ", 7) == 0 &&
	    strlen(h + 7) == n && memcmp(h + 7, api_cf->api_token, n) == 0;
}

/*
 * A bounded number of connections: libevent 2.1's evhttp has no limit of
 * its own, so each connection is counted at its first request (and
 * forgotten when evhttp closes it, or when it becomes a stream, which has
 * slots of its own); api_guard.c keeps the table.  Past
 * api_max_connections a request is answered 503 and its connection
 * closed.  A connection that never sends a request is closed by evhttp's
 * timeout.
 */
static int
api_conn_admit(struct evhttp_request *req)
{
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);

	if (evcon == NULL || api_guard_admit(evcon))
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Connection", "close");
	api_error(req, 503, "RESOURCE_LIMIT_EXCEEDED", 1, "all %zu "
	    "API connections are in use", api_cf->api_max_connections);
	return 0;
}

void
api_conn_forget(struct evhttp_connection *evcon)
{
	api_guard_forget(evcon);
}

/*
 * The guard's synthetic request for a body over api_max_body: evhttp
 * closes the connection after the answer (the request asked it to), and
 * the guard discards the rest of the body.
 */
static void
api_too_large(struct evhttp_request *req, uint64_t declared, int chunked)
{
	if (chunked)
		api_error(req, 413, "PAYLOAD_TOO_LARGE", 0, "a chunked body is "
		    "not accepted; send at most %llu bytes with Content-Length",
		    (unsigned long long)api_cf->api_max_body);
	else
		api_error(req, 413, "PAYLOAD_TOO_LARGE", 0, "body is %llu "
		    "bytes; the limit is %llu", (unsigned long long)declared,
		    (unsigned long long)api_cf->api_max_body);
}

static void
api_on_request(struct evhttp_request *req, void *arg)
{
	const struct api_listener	*l = arg;
	const struct evhttp_uri		*uri = evhttp_request_get_evhttp_uri(req);
	const char			*path, *err, *p;
	struct query			 q;
	char				 s1[RUN_ID_MAX + 8], s2[RUN_ID_MAX + 8];
	char				 s3[64], s4[64];
	uint64_t			 declared;
	int				 r, refused, chunked;

	refused = api_guard_request(req, &declared, &chunked);
	if (!api_conn_admit(req))
		return;
	if (l->tcp && !api_authorized(req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		api_error(req, 401, "UNAUTHORIZED", 0, "a valid bearer token "
		    "is required");
		return;
	}
	if (refused) {
		api_too_large(req, declared, chunked);
		return;
	}
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || *path != '/') {
		api_error(req, 400, "INVALID_PARAMS", 0, "bad request path");
		return;
	}
	if (query_parse(&q, evhttp_uri_get_query(uri), &err) == -1) {
		api_error(req, 400, "INVALID_PARAMS", 0, "%s", err);
		return;
	}
	p = path;
	s1[0] = s2[0] = s3[0] = s4[0] = '\0';
	if ((r = api_segment(&p, s1, sizeof(s1))) == 1 &&
	    (r = api_segment(&p, s2, sizeof(s2))) == 1 &&
	    (r = api_segment(&p, s3, sizeof(s3))) == 1 &&
	    (r = api_segment(&p, s4, sizeof(s4))) == 1 &&
	    (r = api_segment(&p, s4, sizeof(s4))) == 1)
		r = 2;		/* too many segments */
	if (r == -1 || r == 2) {
		api_error(req, r == 2 ? 404 : 400, r == 2 ? "NOT_FOUND" :
		    "INVALID_PARAMS", 0, "%s", r == 2 ? "no such endpoint" :
		    "bad %-encoding or segment too long in the path");
		return;
	}
	if (strcmp(s1, "metrics") == 0 && s2[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_metrics(req);
	} else if (strcmp(s1, "telemetry") == 0 &&
	    strcmp(s2, "events") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_POST))
			api_ingest_post(req);
	} else if (strcmp(s1, "telemetry") == 0 &&
	    strcmp(s2, "stream") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_stream(req, &q);
	} else if (strcmp(s1, "v1") != 0)
		api_error(req, 404, "NOT_FOUND", 0, "no such endpoint");
	else if (strcmp(s2, "status") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_status(req);
	} else if (strcmp(s2, "runners") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_runners(req);
	} else if (strcmp(s2, "runners") == 0 && s4[0] != '\0') {
		if (api_method(req, EVHTTP_REQ_POST))
			api_runner_action(req, s3, s4);
	} else if (strcmp(s2, "runs") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_runs(req, &q);
	} else if (strcmp(s2, "runs") == 0) {
		if (api_method(req, EVHTTP_REQ_GET))
			api_run(req, s3, s4, &q);
	} else if (strcmp(s2, "events") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_events(req, &q);
	} else if (strcmp(s2, "host") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_GET))
			api_host(req, &q);
	} else if (strcmp(s2, "reload") == 0 && s3[0] == '\0') {
		if (api_method(req, EVHTTP_REQ_POST))
			api_reload(req);
	} else
		api_error(req, 404, "NOT_FOUND", 0, "no such endpoint");
}

static struct evhttp *
api_http(struct api_listener *l)
{
	struct evhttp	*http;

	if ((http = evhttp_new(api_base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_max_headers_size(http, API_HEADERS_MAX);
	/*
	 * A backstop: past 4x our limit evhttp answers 413 itself (HTML) and
	 * drops the line, for a body the guard could not refuse first.
	 */
	evhttp_set_max_body_size(http, (ev_ssize_t)api_cf->api_max_body * 4);
	evhttp_set_timeout(http, 30);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(http, api_on_request, l);
	/* Bodies over api_max_body are refused before evhttp reads them. */
	evhttp_set_bevcb(http, api_guard_bev, NULL);
	l->http = http;
	return http;
}

static int
api_listen_unix(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("api socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A socket that answers belongs to a running crashtrail. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM, 0)) != -1) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			log_warnx("%s is in use: is another crashtrail running "
			    "on this state_dir?", path);
			return -1;
		}
		close(probe);
	}
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, 128) == -1) {
		log_warn("api socket %s", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (evhttp_accept_socket(api_http(&api_unix), fd) == -1) {
		log_warnx("evhttp_accept_socket %s", path);
		close(fd);
		return -1;
	}
	log_info("api listening on %s", path);
	return 0;
}

static int
api_listen_tcp(const char *spec)
{
	struct sockaddr_storage	 ss;
	int			 sslen = sizeof(ss), loopback;
	char			 host[64];
	const char		*colon = strrchr(spec, ':');
	long			 port;
	char			*end;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
		log_warnx("api_listen '%s': expected ADDRESS:PORT", spec);
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss,
	    &sslen) == -1) {
		log_warnx("api_listen '%s': not a numeric ADDRESS:PORT", spec);
		return -1;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535) {
		log_warnx("api_listen '%s': bad port", spec);
		return -1;
	}
	if (ss.ss_family == AF_INET)
		loopback = (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr)
		    >> 24) == 127;
	else
		loopback = memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr,
		    &in6addr_loopback, sizeof(struct in6_addr)) == 0;
	if (!loopback && !api_cf->api_allow_remote) {
		log_warnx("api_listen '%s' is not a loopback address; set "
		    "api_allow_remote = yes to allow it", spec);
		return -1;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	api_tcp.tcp = 1;
	if (evhttp_bind_socket(api_http(&api_tcp), host, (ev_uint16_t)port) ==
	    -1) {
		log_warn("api_listen %s", spec);
		return -1;
	}
	log_info("api listening on %s%s", spec, api_cf->api_token[0] ?
	    " (bearer token required)" : "");
	return 0;
}

int
api_init(struct event_base *base, const struct config *cf,
    struct logstore *ls)
{
	api_base = base;
	api_cf = cf;
	api_store = ls;
	api_started_us = timefmt_now_us();
	api_guard_init(base, cf->api_max_body, cf->api_max_connections);
	if (api_listen_unix(cf->api_socket) == -1)
		return -1;
	if (cf->api_listen[0] != '\0' && api_listen_tcp(cf->api_listen) == -1)
		return -1;
	return 0;
}

void
api_close(void)
{
	sse_close_all();
	if (api_unix.http != NULL)
		evhttp_free(api_unix.http);
	if (api_tcp.http != NULL)
		evhttp_free(api_tcp.http);
	api_unix.http = api_tcp.http = NULL;
	api_guard_close();
	(void)unlink(api_cf->api_socket);
}
