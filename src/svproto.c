/*
 * svproto.c -- supervisord eventlistener framing and crash mapping.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "svproto.h"

static int	sv_take_header(struct sv_reader *, const unsigned char *,
		    size_t, size_t *);
static int	sv_take_payload(struct sv_reader *, const unsigned char *,
		    size_t, size_t *);
static size_t	sv_skip_line(struct sv_reader *, const unsigned char *,
		    size_t);
static int	sv_header_done(struct sv_reader *);
static void	sv_payload_done(struct sv_reader *);
static void	sv_take_byte(struct sv_reader *, unsigned char);
static int	sv_next_token(const char **, const char *, struct sv_span *,
		    struct sv_span *);
static int	sv_is(struct sv_span, const char *);
static long	sv_number(struct sv_span, unsigned long);
static void	sv_copy(char *, size_t, struct sv_span);

static const char *const sv_errors[] = {
	[SV_E_NONE] = "no error",
	[SV_E_HEADER_LONG] = "header line longer than 1024 bytes",
	[SV_E_HEADER_TOKEN] = "header token without a colon",
	[SV_E_NO_LEN] = "header without len",
	[SV_E_BAD_LEN] = "header len not a number up to 16 MiB",
};

const char *
sv_strerror(enum sv_error e)
{
	if ((size_t)e >= sizeof(sv_errors) / sizeof(sv_errors[0]))
		return "unknown error";
	return sv_errors[e];
}

void
sv_reader_reset(struct sv_reader *r)
{
	r->state = SV_R_HEADER;
	r->err = SV_E_NONE;
	r->hlen = 0;
	r->got = 0;
	r->chars = 0;
	r->due = 0;
	memset(&r->ev, 0, sizeof(r->ev));
}

int
sv_reader_busy(const struct sv_reader *r)
{
	return (r->state == SV_R_HEADER && r->hlen > 0) ||
	    r->state == SV_R_PAYLOAD || r->state == SV_R_SKIPLINE;
}

int
sv_reader_feed(struct sv_reader *r, const void *buf, size_t len,
    size_t *used)
{
	const unsigned char	*p = buf;
	size_t			 off = 0, n;
	int			 rc = SV_MORE;

	if (r->state == SV_R_DONE)
		sv_reader_reset(r);
	while (off < len && rc == SV_MORE) {
		n = 0;
		if (r->state == SV_R_HEADER)
			rc = sv_take_header(r, p + off, len - off, &n);
		else if (r->state == SV_R_PAYLOAD)
			rc = sv_take_payload(r, p + off, len - off, &n);
		else
			n = sv_skip_line(r, p + off, len - off);
		off += n;
	}
	/* A zero-length payload completes with its header's newline. */
	if (rc == SV_MORE && r->state == SV_R_PAYLOAD && r->ev.len == 0) {
		sv_payload_done(r);
		rc = SV_EVENT;
	}
	*used = off;
	return rc;
}

/*
 * Collect one line.  It is parsed only once whole, so tokens split across
 * reads are no special case; a line that cannot fit is refused as soon as
 * that is known, so a peer without newlines cannot stall us.
 */
static int
sv_take_header(struct sv_reader *r, const unsigned char *p, size_t len,
    size_t *used)
{
	const unsigned char	*nl;
	size_t			 n;

	nl = memchr(p, '\n', len);
	n = nl != NULL ? (size_t)(nl - p) + 1 : len;
	if (r->hlen + n > SV_HEADER_MAX) {
		r->hlen = 0;
		r->state = nl != NULL ? SV_R_HEADER : SV_R_SKIPLINE;
		r->err = SV_E_HEADER_LONG;
		*used = n;
		return SV_ERROR;
	}
	memcpy(r->hdr + r->hlen, p, n);
	r->hlen += n;
	*used = n;
	if (nl == NULL)
		return SV_MORE;
	return sv_header_done(r);
}

static size_t
sv_skip_line(struct sv_reader *r, const unsigned char *p, size_t len)
{
	const unsigned char	*nl;

	if ((nl = memchr(p, '\n', len)) == NULL)
		return len;
	r->state = SV_R_HEADER;
	return (size_t)(nl - p) + 1;
}

/* r->hdr holds one line with its newline. */
static int
sv_header_done(struct sv_reader *r)
{
	struct sv_event	*ev = &r->ev;
	struct sv_span	 key, val, len = { NULL, 0 };
	const char	*s = r->hdr, *end = r->hdr + r->hlen - 1;
	long		 n;
	int		 t;

	memset(ev, 0, sizeof(*ev));
	r->hlen = 0;
	if (s == end) {
		r->blank++;
		return SV_MORE;
	}
	while ((t = sv_next_token(&s, end, &key, &val)) != 0) {
		if (t == -1) {
			r->err = SV_E_HEADER_TOKEN;
			return SV_ERROR;
		}
		if (sv_is(key, "len"))
			len = val;
		else if (sv_is(key, "eventname"))
			ev->eventname = val;
		else if (sv_is(key, "serial"))
			ev->serial = val;
		else if (sv_is(key, "ver"))
			ev->ver = val;
		else if (sv_is(key, "server"))
			ev->server = val;
		else if (sv_is(key, "pool"))
			ev->pool = val;
	}
	if (len.p == NULL) {
		r->err = SV_E_NO_LEN;
		return SV_ERROR;
	}
	if ((n = sv_number(len, SV_LEN_MAX)) == -1) {
		r->err = SV_E_BAD_LEN;
		return SV_ERROR;
	}
	ev->len = (size_t)n;
	ev->payload = r->payload;
	r->got = r->chars = 0;
	r->due = 0;
	r->state = SV_R_PAYLOAD;
	return SV_MORE;
}

/* Exactly ev.len bytes, counted as bytes; newlines inside are payload. */
static int
sv_take_payload(struct sv_reader *r, const unsigned char *p, size_t len,
    size_t *used)
{
	size_t	n = r->ev.len - r->got, i;

	if (n > len)
		n = len;
	for (i = 0; i < n; i++)
		sv_take_byte(r, p[i]);
	*used = n;
	if (r->got < r->ev.len)
		return SV_MORE;
	sv_payload_done(r);
	return SV_EVENT;
}

/*
 * Keep the byte if there is room, and count UTF-8 characters the way
 * Python's len() does on the decoded text: a byte starts a character
 * unless it is a continuation byte that a lead byte announced.
 */
static void
sv_take_byte(struct sv_reader *r, unsigned char b)
{
	if (r->ev.payload_len < SV_PAYLOAD_MAX)
		r->payload[r->ev.payload_len++] = (char)b;
	else
		r->ev.skipped++;
	r->got++;
	if ((b & 0xc0) == 0x80 && r->due > 0) {
		r->due--;
		return;
	}
	r->chars++;
	if ((b & 0xe0) == 0xc0)
		r->due = 1;
	else if ((b & 0xf0) == 0xe0)
		r->due = 2;
	else if ((b & 0xf8) == 0xf0)
		r->due = 3;
	else
		r->due = 0;
}

/* Only the first line holds tokens; PROCESS_LOG data and such follow. */
static void
sv_payload_done(struct sv_reader *r)
{
	struct sv_event	*ev = &r->ev;
	struct sv_span	 key, val;
	const char	*s = r->payload, *end;

	r->state = SV_R_DONE;
	ev->processname.p = ev->groupname.p = ev->from_state.p = NULL;
	ev->processname.n = ev->groupname.n = ev->from_state.n = 0;
	ev->pid = ev->tries = -1;
	ev->expected = -1;
	if ((end = memchr(s, '\n', ev->payload_len)) == NULL)
		end = s + ev->payload_len;
	while (sv_next_token(&s, end, &key, &val) != 0) {
		if (val.p == NULL)
			continue;
		if (sv_is(key, "processname"))
			ev->processname = val;
		else if (sv_is(key, "groupname"))
			ev->groupname = val;
		else if (sv_is(key, "from_state"))
			ev->from_state = val;
		else if (sv_is(key, "pid"))
			ev->pid = sv_number(val, 0x7fffffffUL);
		else if (sv_is(key, "tries"))
			ev->tries = sv_number(val, 0x7fffffffUL);
		else if (sv_is(key, "expected"))
			ev->expected = sv_is(val, "0") ? 0 :
			    sv_is(val, "1") ? 1 : -1;
	}
	if (ev->pid == 0)
		ev->pid = -1;
}

int
sv_reader_wants(const struct sv_reader *r)
{
	return r->state == SV_R_DONE &&
	    (r->chars < r->ev.len || r->due > 0);
}

size_t
sv_reader_extend(struct sv_reader *r, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 i;

	if (!sv_reader_wants(r))
		return 0;
	for (i = 0; i < len; i++) {
		if (((p[i] & 0xc0) != 0x80 || r->due == 0) &&
		    r->chars >= r->ev.len) {
			/* A cut sequence: nothing more belongs to it. */
			r->due = 0;
			break;
		}
		sv_take_byte(r, p[i]);
		if (r->chars >= r->ev.len && r->due == 0) {
			i++;
			break;
		}
	}
	if (i > 0)
		sv_payload_done(r);
	return i;
}

/*
 * The next space-separated token of [*s, end), split on its first colon:
 * 1 with key and value, -1 for a token without a colon (key is all of
 * it, val.p NULL), 0 at the end.
 */
static int
sv_next_token(const char **s, const char *end, struct sv_span *key,
    struct sv_span *val)
{
	const char	*p = *s, *tok, *colon;

	while (p < end && *p == ' ')
		p++;
	if (p == end) {
		*s = p;
		return 0;
	}
	tok = p;
	while (p < end && *p != ' ')
		p++;
	*s = p;
	key->p = tok;
	if ((colon = memchr(tok, ':', (size_t)(p - tok))) == NULL) {
		key->n = (size_t)(p - tok);
		val->p = NULL;
		val->n = 0;
		return -1;
	}
	key->n = (size_t)(colon - tok);
	val->p = colon + 1;
	val->n = (size_t)(p - colon - 1);
	return 1;
}

static int
sv_is(struct sv_span s, const char *lit)
{
	size_t	n = strlen(lit);

	return s.p != NULL && s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Plain decimal digits, at most `max`; -1 for anything else. */
static long
sv_number(struct sv_span s, unsigned long max)
{
	unsigned long	v = 0;
	size_t		i;

	if (s.p == NULL || s.n == 0)
		return -1;
	for (i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s.p[i] - '0');
		if (v > max)
			return -1;
	}
	return (long)v;
}

static void
sv_copy(char *dst, size_t cap, struct sv_span s)
{
	size_t	n = s.p == NULL ? 0 : s.n;

	if (n > cap - 1)
		n = cap - 1;
	if (n > 0)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

int
sv_map(const struct sv_event *ev, struct sv_crash *out)
{
	const char	*phase;
	long		 pid = -1;

	if (sv_is(ev->eventname, "PROCESS_STATE_EXITED")) {
		if (ev->expected == 1)
			return SV_MAP_NONE;
		if (ev->expected != 0)
			return SV_MAP_INVALID;
		if (sv_is(ev->from_state, "RUNNING"))
			phase = "running";
		else if (sv_is(ev->from_state, "STARTING"))
			phase = "startup";
		else
			return SV_MAP_SKIPPED;
		pid = ev->pid;
	} else if (sv_is(ev->eventname, "PROCESS_STATE_FATAL"))
		phase = "gave_up";
	else
		return SV_MAP_NONE;
	/* A NUL would cut the name to nothing in the C strings below. */
	if (ev->processname.p == NULL || ev->processname.n == 0 ||
	    memchr(ev->processname.p, '\0', ev->processname.n) != NULL)
		return SV_MAP_INVALID;
	sv_copy(out->service_name, sizeof(out->service_name), ev->processname);
	sv_copy(out->group_name, sizeof(out->group_name), ev->groupname);
	sv_copy(out->from_state, sizeof(out->from_state), ev->from_state);
	sv_copy(out->eventname, sizeof(out->eventname), ev->eventname);
	out->phase = phase;
	out->pid = pid;
	return SV_MAP_CRASH;
}

const char *
sv_map_str(int rc)
{
	switch (rc) {
	case SV_MAP_NONE:
		return "not a crash";
	case SV_MAP_CRASH:
		return "crash";
	case SV_MAP_SKIPPED:
		return "skipped";
	case SV_MAP_INVALID:
		return "invalid";
	}
	return "unknown";
}
