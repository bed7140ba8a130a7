/*
 * https_get.c -- run one hc_xfer (src/https.c) on its own event loop and
 * print "status=N bytes=M sha256=HEX", or "failed: REASON" and exit 1.
 * SPDX-License-Identifier: ISC
 *
 * usage: https_get [--ca FILE] [--timeout MS] [--put FILE] [-v] URL
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "digest.h"
#include "https.h"
#include "log.h"

/* The body, kept whole so digest_buf() can hash it: tests are small. */
#define BODY_MAX	(16 * 1024 * 1024)
static char			 body[BODY_MAX];
static size_t			 body_bytes;
static int			 result = 1;
static struct event_base	*base;

static int
on_body(struct hc_xfer *x, const char *p, size_t n)
{
	(void)x;
	if (n > BODY_MAX - body_bytes)
		return -1;
	memcpy(body + body_bytes, p, n);
	body_bytes += n;
	return 0;
}

static void
on_done(struct hc_xfer *x, int ok)
{
	char		 hex[65];

	if (!ok) {
		printf("failed: %s\n", x->reason);
	} else {
		digest_buf(body, body_bytes, hex);
		printf("status=%d bytes=%zu sha256=%s\n", x->resp.status,
		    body_bytes, hex);
		result = 0;
	}
	event_base_loopexit(base, NULL);
}

int
main(int argc, char *argv[])
{
	static struct hc_xfer	 x;
	static struct hc_url	 u;
	static char		 req[HC_PATH_MAX + 1024];
	static char		 hbuf[HTTP_PARSE_HEAD_MAX];
	struct evdns_base	*dns;
	struct stat		 st;
	const char		*ca = NULL, *put = NULL, *err;
	int			 timeout = 10000, n, fd = -1;

	while (argc > 2 && argv[1][0] == '-') {
		if (strcmp(argv[1], "-v") == 0) {
			log_setlevel(LOG_LEVEL_DEBUG);
			argv++, argc--;
			continue;
		}
		if (strcmp(argv[1], "--ca") == 0)
			ca = argv[2];
		else if (strcmp(argv[1], "--timeout") == 0)
			timeout = atoi(argv[2]);
		else if (strcmp(argv[1], "--put") == 0)
			put = argv[2];
		else
			break;
		argv += 2, argc -= 2;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: https_get [--ca FILE] [--timeout MS] "
		    "[--put FILE] [-v] URL\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);

	if (hc_url_parse(argv[1], &u, &err) == -1) {
		printf("failed: %s\n", err);
		return 1;
	}
	if ((base = event_base_new()) == NULL ||
	    (dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS))
	    == NULL) {
		printf("failed: cannot set up libevent\n");
		return 1;
	}
	if (hc_init(base, dns, ca) == -1) {
		printf("failed: TLS setup (see stderr)\n");
		return 1;
	}
	if (put != NULL) {
		if ((fd = open(put, O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
			printf("failed: %s: cannot open\n", put);
			return 1;
		}
		n = hc_request_head(req, sizeof(req), "PUT", &u, st.st_size,
		    "Content-Type: application/octet-stream\r\n");
		x.body_fd = fd;
		x.body_size = st.st_size;
	} else {
		n = hc_request_head(req, sizeof(req), "GET", &u, -1, NULL);
		x.body_fd = -1;
	}
	if (n < 0) {
		printf("failed: request too long\n");
		return 1;
	}
	x.url = &u;
	x.req = req;
	x.reqlen = n;
	x.hbuf = hbuf;
	x.hcap = sizeof(hbuf);
	x.body_max = HTTP_PARSE_NOLEN;
	x.timeout_ms = timeout;
	x.on_body = on_body;
	x.done = on_done;
	if (hc_start(&x) == -1) {
		printf("failed: %s\n", x.reason);
		return 1;
	}
	event_base_dispatch(base);
	hc_cancel(&x);
	hc_shutdown();
	if (fd != -1)
		close(fd);
	evdns_base_free(dns, 0);
	event_base_free(base);
	return result;
}
