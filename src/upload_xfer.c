/*
 * upload_xfer.c -- one transfer of an upload job on a transfer slot: the
 * presign request, then the PUT streamed from the file, driven by
 * https.c; how it ended goes back to upload.c (retry, fail, success).
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "timefmt.h"
#include "upload_int.h"

static void	up_start(struct xfer *, const struct hc_url *, size_t,
		    uint64_t);
static void	up_presign(struct xfer *);
static void	up_put(struct xfer *);
static int	up_on_body(struct hc_xfer *, const char *, size_t);
static void	up_on_done(struct hc_xfer *, int);
static void	up_presign_done(struct xfer *);
static void	up_put_done(struct xfer *);
static void	up_status(struct xfer *, const char *);

/* One attempt: PUT to a URL still good, else presign first. */
void
up_attempt(struct job *j, struct xfer *x)
{
	int64_t	now = timefmt_mono_ms();

	j->state = J_XFER;
	j->x = x;
	j->attempts++;
	x->job = j;
	if (j->url[0] != '\0' && (j->url_expires == 0 ||
	    j->url_expires > now + UPLOAD_URL_MARGIN_MS))
		up_put(x);
	else
		up_presign(x);
}

/* Fill the parts of the transfer every request shares, and start it. */
static void
up_start(struct xfer *x, const struct hc_url *url, size_t reqlen,
    uint64_t body_max)
{
	struct hc_xfer	*h = &x->hc;

	h->url = url;
	h->req = x->req;
	h->reqlen = reqlen;
	h->hbuf = x->hbuf;
	h->hcap = sizeof(x->hbuf);
	h->body_max = body_max;
	h->parse_flags = 0;
	h->timeout_ms = (unsigned)up.timeout_ms;
	h->on_body = up_on_body;
	h->done = up_on_done;
	h->arg = x;
	x->blen = 0;
	if (hc_start(h) == -1)
		up_retry(x->job, FC_PROTOCOL, 0, h->reason, -1);
}

static void
up_presign(struct xfer *x)
{
	struct job		*j = x->job;
	struct presign_req	 r = {
		j->rec.sha256, j->rec.size, j->rec.run_id, j->rec.instance_id,
		j->rec.runner_id, j->rec.cause
	};
	int			 blen, hlen;

	j->url[0] = '\0';
	x->phase = P_PRESIGN;
	x->hc.body_fd = -1;
	x->hc.body_size = 0;
	/* The body is built where the reply will go, then put after the head. */
	if ((blen = presign_body(x->body, sizeof(x->body), &r)) == -1 ||
	    (hlen = hc_request_head(x->req, sizeof(x->req), "POST",
	    &up.presign, blen, "Content-Type: application/json\r\n")) == -1 ||
	    (size_t)hlen + (size_t)blen > sizeof(x->req)) {
		up_fail(j, FC_PROTOCOL, 0, "presign request does not fit");
		return;
	}
	memcpy(x->req + hlen, x->body, (size_t)blen);
	up_start(x, &up.presign, (size_t)hlen + (size_t)blen,
	    PRESIGN_REPLY_MAX);
}

static void
up_put(struct xfer *x)
{
	struct job	*j = x->job;
	struct stat	 st;
	const char	*err;
	char		 why[96 + PRESIGN_URL_MAX];
	int		 hlen;

	x->phase = P_PUT;
	if (hc_url_parse(j->url, &x->url, &err) == -1) {
		snprintf(why, sizeof(why), "uploadUrl %.256s: %s", j->url, err);
		up_fail(j, FC_PROTOCOL, 0, why);
		return;
	}
	if ((x->fd = open(j->rec.path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(x->fd, &st) == -1) {
		snprintf(why, sizeof(why), "cannot read %s: %s", j->rec.path,
		    strerror(errno));
		up_fail(j, FC_FILE, 0, why);
		return;
	}
	if ((uint64_t)st.st_size != j->rec.size) {
		/* Written again since it was hashed (a late OOM report). */
		log_info("upload: run %s: %s changed since it was hashed; "
		    "hashing it again", j->rec.run_id, j->rec.path);
		up_release(j);
		up_hash(j);
		up_kick();
		return;
	}
	hlen = hc_request_head(x->req, sizeof(x->req), "PUT", &x->url,
	    (int64_t)j->rec.size, "Content-Type: application/octet-stream\r\n");
	if (hlen == -1) {
		up_fail(j, FC_PROTOCOL, 0, "uploadUrl is too long for a request");
		return;
	}
	x->hc.body_fd = x->fd;
	x->hc.body_size = j->rec.size;
	up_start(x, &x->url, (size_t)hlen, UPLOAD_PUT_BODY_MAX);
}

static int
up_on_body(struct hc_xfer *h, const char *p, size_t n)
{
	struct xfer	*x = h->arg;

	if (x->phase != P_PRESIGN)
		return 0;		/* a PUT's answer is not read */
	if (n > sizeof(x->body) - x->blen)
		return -1;		/* body_max keeps this from happening */
	memcpy(x->body + x->blen, p, n);
	x->blen += n;
	return 0;
}

static void
up_on_done(struct hc_xfer *h, int ok)
{
	struct xfer	*x = h->arg;
	enum fail_class	 cls;

	if (x->fd != -1) {
		close(x->fd);
		x->fd = -1;
	}
	if (x->job == NULL)
		return;
	if (!ok) {
		if (strstr(h->reason, "timeout") != NULL)
			cls = FC_TIMEOUT;
		else if (h->failed_in == HC_RESOLVE)
			cls = FC_DNS;
		else if (h->failed_in == HC_CONNECT)
			cls = FC_CONNECT;
		else if (h->failed_in == HC_HANDSHAKE)
			cls = FC_TLS;
		else if (strncmp(h->reason, "bad response", 12) == 0)
			cls = FC_PROTOCOL;
		else
			cls = FC_TRANSPORT;
		up_retry(x->job, cls, 0, h->reason, -1);
		return;
	}
	if (x->phase == P_PRESIGN)
		up_presign_done(x);
	else
		up_put_done(x);
}

static void
up_presign_done(struct xfer *x)
{
	struct job		*j = x->job;
	struct presign_reply	 r;
	const char		*err;
	char			 why[160];
	int			 st = x->hc.resp.status;

	if (st == 409) {
		up_success(j, 1);
		return;
	}
	if (st < 200 || st > 299) {
		up_status(x, "presign");
		return;
	}
	if (presign_parse(x->body, x->blen, &r, &err) == -1) {
		up_retry(j, FC_PROTOCOL, st, err, -1);
		return;
	}
	if (r.max_size >= 0 && j->rec.size > (uint64_t)r.max_size) {
		snprintf(why, sizeof(why), "%llu bytes is over the server's "
		    "maxSize of %lld", (unsigned long long)j->rec.size,
		    (long long)r.max_size);
		up_fail(j, FC_HTTP, st, why);
		return;
	}
	memcpy(j->url, r.url, sizeof(j->url));
	memcpy(j->key, r.key, sizeof(j->key));
	j->url_expires = r.expires_in >= 0 ?
	    timefmt_mono_ms() + r.expires_in * 1000 : 0;
	if (j->url_expires != 0 &&
	    j->url_expires <= timefmt_mono_ms() + UPLOAD_URL_MARGIN_MS) {
		/* Expired on arrival: the next attempt presigns again. */
		up_retry(j, FC_PROTOCOL, st, "uploadUrl expires before it can "
		    "be used", -1);
		return;
	}
	up_put(x);
}

static void
up_put_done(struct xfer *x)
{
	struct job	*j = x->job;
	int		 st = x->hc.resp.status;

	if (st >= 200 && st <= 299) {
		up.st.bytes_sent += j->rec.size;
		up_success(j, 0);
	} else if (st == 409)
		up_success(j, 1);
	else if (st == 403 && j->attempts < up.max_attempts) {
		/* Expired or refused: a fresh URL, now. */
		struct up_ev e = { j, "PUT answered 403: presigning again",
		    FC_HTTP, 403, 0, 0, 0 };

		up.st.failures[FC_HTTP]++;
		up.st.retries++;
		up_emit(&e, "upload_failed");
		j->attempts++;
		up_presign(x);
	} else
		up_status(x, "PUT");
}

/* A final answer that is not a success: retried or final by its status. */
static void
up_status(struct xfer *x, const char *what)
{
	struct job	*j = x->job;
	const char	*ra;
	char		 why[160];
	int64_t		 delay = -1;
	int		 st = x->hc.resp.status;

	snprintf(why, sizeof(why), "%s answered %d%s%s", what, st,
	    x->hc.resp.reason && *x->hc.resp.reason ? " " : "",
	    x->hc.resp.reason ? x->hc.resp.reason : "");
	if (st == 408 || st == 429 || (st >= 500 && st <= 599)) {
		ra = http_parse_header(&x->hc.resp, "Retry-After");
		if (ra != NULL && http_retry_after(ra,
		    timefmt_now_us() / 1000000, &delay) == -1)
			delay = -1;
		up_retry(j, FC_HTTP, st, why, delay);
	} else
		up_fail(j, FC_HTTP, st, why);
}

