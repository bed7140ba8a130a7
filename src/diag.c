/*
 * diag.c -- the per-run matcher: stderr split into lines, each matched
 * against the catalogue in fixed memory, hits and their evidence kept.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "diag_int.h"
#include "json.h"
#include "timefmt.h"

static int		is_space(unsigned char);
static size_t		utf8_cut(const char *, size_t, size_t);
static int		seg_eq(const unsigned char *, const char *, size_t);
static int		seg_find(const unsigned char *, size_t, const char *,
			    size_t, size_t *);
static int		glob_match(const unsigned char *, size_t, const char *,
			    size_t, int);
static int		alt_match(const struct diag_entry *,
			    const unsigned char *, size_t);
static void		lines_take(const struct diag_run *, int,
			    struct diag_lines *);
static void		recent_push(struct diag_run *, const char *, size_t);
static void		msg_set(struct diag_hit *, const char *, size_t,
			    const char *, size_t);
static void		msg_ring(struct diag_hit *, const unsigned char *,
			    size_t, const char *, size_t);
static struct diag_hit	*hit_get(struct diag_run *, size_t, int, int64_t);
static void		hit_record(struct diag_run *, size_t, int,
			    const char *, const unsigned char *, size_t,
			    int64_t);
static void		traceback_end(struct diag_run *, const char *, size_t,
			    int64_t);
static void		diag_line(struct diag_run *, const char *, size_t,
			    int64_t);
static void		lines_json(struct jw *, const char *,
			    const struct diag_lines *);

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * How many of `len` bytes to keep so that at most `max` are kept and a
 * UTF-8 sequence is not cut in two (which JSON would show as U+FFFD).
 */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t	cut, back;

	if (len <= max)
		return len;
	cut = max;
	for (back = 0; back < 3 && cut > 0 &&
	    ((unsigned char)s[cut] & 0xc0) == 0x80; back++)
		cut--;
	/* Not UTF-8 after all: cut where the limit says. */
	if (((unsigned char)s[cut] & 0xc0) == 0x80)
		cut = max;
	return cut;
}

/* Whether the n bytes at l match segment p ('?' matches any byte). */
static int
seg_eq(const unsigned char *l, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != '?' && (unsigned char)p[i] != l[i])
			return 0;
	return 1;
}

/* The leftmost place in l[0..n) where segment p[0..k) matches. */
static int
seg_find(const unsigned char *l, size_t n, const char *p, size_t k,
    size_t *at)
{
	const unsigned char	*f;
	size_t			 i;

	if (k == 0) {
		*at = 0;
		return 1;
	}
	if (k > n)
		return 0;
	if (memchr(p, '?', k) == NULL) {
		if ((f = memmem(l, n, p, k)) == NULL)
			return 0;
		*at = (size_t)(f - l);
		return 1;
	}
	for (i = 0; i + k <= n; i++)
		if (seg_eq(l + i, p, k)) {
			*at = i;
			return 1;
		}
	return 0;
}

/*
 * A glob over the whole line l[0..n).  Taking each '*'-separated segment
 * at its leftmost place is enough: whatever a later segment needs, an
 * earlier leftmost choice leaves the most room for it.  Only the last
 * segment of an end-anchored pattern has to sit at the end.
 */
static int
glob_match(const unsigned char *l, size_t n, const char *p, size_t m,
    int flags)
{
	const char	*star;
	size_t		 pos = 0, k, at;
	int		 first = 1, last;

	for (;;) {
		star = memchr(p, '*', m);
		k = star != NULL ? (size_t)(star - p) : m;
		last = star == NULL;
		if (first && (flags & A_START)) {
			if (k > n || !seg_eq(l, p, k))
				return 0;
			if (last && (flags & A_END))
				return k == n;
			pos = k;
		} else if (last && (flags & A_END)) {
			return n - pos >= k && seg_eq(l + n - k, p, k);
		} else {
			if (!seg_find(l + pos, n - pos, p, k, &at))
				return 0;
			pos += at + k;
		}
		if (last)
			return 1;
		p += k + 1;
		m -= k + 1;
		first = 0;
	}
}

/* The flags of the first alternative of e that matches, or -1. */
static int
alt_match(const struct diag_entry *e, const unsigned char *low, size_t n)
{
	const struct diag_alt	*a;
	size_t			 i;

	for (i = 0; i < e->nalt; i++) {
		a = &e->alt[i];
		if (glob_match(low, n, e->pat + a->off, a->len, a->flags))
			return a->flags;
	}
	return -1;
}

/* The last `want` non-blank lines, the newest that fit in dst->buf. */
static void
lines_take(const struct diag_run *r, int want, struct diag_lines *dst)
{
	size_t		 n, k, i, total = 0, slot, off = 0;

	k = (size_t)want;
	if (k > DIAG_EVIDENCE_MAX)
		k = DIAG_EVIDENCE_MAX;
	if (k > r->nrecent)
		k = (size_t)r->nrecent;
	for (n = 0; n < k; n++) {
		slot = (size_t)((r->nrecent - 1 - n) % DIAG_EVIDENCE_MAX);
		if (total + r->recent_len[slot] > sizeof(dst->buf))
			break;
		total += r->recent_len[slot];
	}
	dst->n = (uint16_t)n;
	for (i = 0; i < n; i++) {
		slot = (size_t)((r->nrecent - n + i) % DIAG_EVIDENCE_MAX);
		memcpy(dst->buf + off, r->recent[slot], r->recent_len[slot]);
		dst->len[i] = r->recent_len[slot];
		off += r->recent_len[slot];
	}
}

static void
recent_push(struct diag_run *r, const char *s, size_t len)
{
	size_t	slot = (size_t)(r->nrecent % DIAG_EVIDENCE_MAX);

	len = utf8_cut(s, len, DIAG_EVLINE_MAX);
	memcpy(r->recent[slot], s, len);
	r->recent_len[slot] = (uint16_t)len;
	r->nrecent++;
}

/* msg = prefix ": " text, cut to fit. */
static void
msg_set(struct diag_hit *h, const char *prefix, size_t plen,
    const char *text, size_t tlen)
{
	size_t	n = 0;

	if (plen > 0) {
		if (plen > DIAG_MSG_MAX - 2)
			plen = DIAG_MSG_MAX - 2;
		memcpy(h->msg, prefix, plen);
		memcpy(h->msg + plen, ": ", 2);
		n = plen + 2;
	}
	tlen = utf8_cut(text, tlen, DIAG_MSG_MAX - n);
	memcpy(h->msg + n, text, tlen);
	h->msglen = (uint16_t)(n + tlen);
}

/*
 * "[ring] Receiving from socket 51 failed with errno 104": the number after
 * the last "errno ", named with the table of the platform that ran it.
 */
static void
msg_ring(struct diag_hit *h, const unsigned char *low, size_t n,
    const char *t, size_t tlen)
{
	const unsigned char	*p, *f, *end = low + n;
	const char		*name, *desc;
	char			 unk[32];
	long			 v = 0;
	int			 len;

	for (p = NULL, f = low; (f = memmem(f, (size_t)(end - f), "errno ",
	    6)) != NULL; f += 6)
		p = f + 6;
	if (p == NULL || p == end || *p < '0' || *p > '9') {
		h->has_errno = 0;
		msg_set(h, NULL, 0, t, tlen);
		return;
	}
	for (; p < end && *p >= '0' && *p <= '9' && v < 1000000; p++)
		v = v * 10 + (*p - '0');
	h->has_errno = 1;
	h->err_no = (int)v;
	diag_errno_text(h->err_no, &name, &desc, unk, sizeof(unk));
	len = snprintf(h->msg, sizeof(h->msg),
	    "Ring socket receive failed: errno %d %s (%s) [%s]", h->err_no,
	    name, desc, diag_errno_platform());
	if (len < 0)
		len = 0;
	h->msglen = (uint16_t)((size_t)len < sizeof(h->msg) ?
	    (size_t)len : sizeof(h->msg) - 1);
}

/*
 * The hit of entry e, made if need be; NULL when the table is full or when
 * a context alternative would add to an existing hit.
 */
static struct diag_hit *
hit_get(struct diag_run *r, size_t e, int context, int64_t now)
{
	struct diag_hit	*h;
	size_t		 i;

	for (i = 0; i < r->nhits; i++)
		if (r->hits[i].entry == e)
			return context ? NULL : &r->hits[i];
	if (r->nhits == DIAG_HITS_MAX) {
		r->dropped++;
		return NULL;
	}
	h = &r->hits[r->nhits++];
	h->cat = r->cat;
	h->entry = (uint16_t)e;
	h->msglen = 0;
	h->count = 0;
	h->first_us = now;
	h->has_errno = 0;
	h->err_no = 0;
	lines_take(r, r->cat->e[e].evidence, &h->first);
	return h;
}

/* One occurrence of entry e on the trimmed line t (low: lowercased). */
static void
hit_record(struct diag_run *r, size_t e, int context, const char *t,
    const unsigned char *low, size_t tlen, int64_t now)
{
	const struct diag_entry	*ent = &r->cat->e[e];
	struct diag_hit		*h;
	const unsigned char	*m;

	if ((h = hit_get(r, e, context, now)) == NULL)
		return;
	h->count++;
	h->last_us = now;
	if (h->count == 1)
		h->last = h->first;
	else
		lines_take(r, ent->evidence, &h->last);
	switch (ent->kind) {
	case DIAG_K_METAL:
		m = memmem(low, tlen, "[metal]", 7);
		if (m != NULL) {
			t += m - low;
			tlen -= (size_t)(m - low);
		}
		msg_set(h, ent->label, strlen(ent->label), t, tlen);
		break;
	case DIAG_K_RING_ERRNO:
		msg_ring(h, low, tlen, t, tlen);
		break;
	case DIAG_K_TRACEBACK:
		/* The message comes with the exception line; keep the last. */
		if (h->msglen == 0)
			msg_set(h, NULL, 0, t, tlen);
		r->pending = (size_t)(h - r->hits) + 1;
		break;
	default:
		msg_set(h, NULL, 0, t, tlen);
	}
}

/*
 * The line that ends a Python traceback: its message, and the evidence
 * taken again here, where it shows the last frames and the exception
 * rather than what came before the traceback.
 */
static void
traceback_end(struct diag_run *r, const char *t, size_t tlen, int64_t now)
{
	struct diag_hit	*h = &r->hits[r->pending - 1];

	r->pending = 0;
	msg_set(h, NULL, 0, t, tlen);
	lines_take(r, r->cat->e[h->entry].evidence, &h->last);
	if (h->count == 1)
		h->first = h->last;
	h->last_us = now;
}

/* One line without its '\n', at most DIAG_LINE_MAX bytes. */
static void
diag_line(struct diag_run *r, const char *s, size_t len, int64_t now)
{
	unsigned char	low[DIAG_LINE_MAX];
	uint8_t		hit[DIAG_MAX], ctx[DIAG_MAX];
	const char	*t;
	uint64_t	mask;
	uint32_t	w = 0;
	size_t		i, tlen, nhit = 0;
	int		flags, tb = 0;

	r->lines++;
	while (len > 0 && (is_space((unsigned char)s[len - 1]) ||
	    s[len - 1] == '\n'))
		len--;
	for (i = 0; i < len && is_space((unsigned char)s[i]); i++)
		;
	if (i == len)
		return;		/* blank lines are neither evidence nor hits */
	t = s + i;
	tlen = len - i;

	/* One pass lowercases the line and collects candidate entries. */
	mask = r->cat->always;
	for (i = 0; i < tlen; i++) {
		low[i] = diag_lc((unsigned char)t[i]);
		w = w >> 8 | (uint32_t)low[i] << 24;
		if (i >= 3)
			mask |= r->cat->prefilter[diag_hash4(w)];
	}
	for (i = 0; i < r->cat->n && mask != 0; i++, mask >>= 1) {
		if ((mask & 1) == 0)
			continue;
		if ((flags = alt_match(&r->cat->e[i], low, tlen)) < 0)
			continue;
		hit[nhit] = (uint8_t)i;
		ctx[nhit++] = (flags & A_CONTEXT) != 0;
		if (r->cat->e[i].kind == DIAG_K_TRACEBACK)
			tb = 1;
	}

	recent_push(r, s, len);
	/* An exception line is the first unindented one after the frames. */
	if (r->pending != 0 && !is_space((unsigned char)s[0]) && !tb)
		traceback_end(r, t, tlen, now);
	for (i = 0; i < nhit; i++)
		hit_record(r, hit[i], ctx[i], t, low, tlen, now);
}

void
diag_run_release(struct diag_run *r)
{
	diag_catalog_unref(r->cat);
	r->cat = NULL;
}

void
diag_run_reset(struct diag_run *r)
{
	diag_run_release(r);
	r->cat = diag_current();
	diag_catalog_ref(r->cat);
	r->linelen = 0;
	r->skipping = 0;
	r->lines = 0;
	r->nrecent = 0;
	r->pending = 0;
	r->nhits = 0;
	r->dropped = 0;
}

void
diag_feed(struct diag_run *r, const void *bytes, size_t len, int64_t now)
{
	const char	*p = bytes, *end = p + len, *nl;
	size_t		 n, room;

	if (r->cat == NULL)
		diag_run_reset(r);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (r->skipping) {
			if (nl == NULL)
				return;
			r->skipping = 0;
			p = nl + 1;
			continue;
		}
		n = (size_t)((nl != NULL ? nl : end) - p);
		/* A whole line in this chunk is matched where it lies. */
		if (r->linelen == 0 && nl != NULL) {
			diag_line(r, p, n < DIAG_LINE_MAX ? n : DIAG_LINE_MAX,
			    now);
			p = nl + 1;
			continue;
		}
		room = DIAG_LINE_MAX - r->linelen;
		memcpy(r->line + r->linelen, p, n < room ? n : room);
		if (n <= room && nl != NULL) {
			diag_line(r, r->line, r->linelen + n, now);
			r->linelen = 0;
			p = nl + 1;
		} else if (n >= room) {
			/* Full: match what we have, skip to the newline. */
			diag_line(r, r->line, DIAG_LINE_MAX, now);
			r->linelen = 0;
			r->skipping = 1;
			p += room;
		} else {
			r->linelen += n;
			p = end;
		}
	}
}

void
diag_eof(struct diag_run *r, int64_t now)
{
	if (r->cat == NULL)
		diag_run_reset(r);
	if (r->linelen > 0)
		diag_line(r, r->line, r->linelen, now);
	r->linelen = 0;
	r->skipping = 0;
}

void
diag_resync(struct diag_run *r, int at_line_start)
{
	r->linelen = 0;
	r->skipping = !at_line_start;
}

size_t
diag_nhits(const struct diag_run *r)
{
	return r->nhits;
}

const struct diag_hit *
diag_find(const struct diag_run *r, const char *id)
{
	size_t	i;

	for (i = 0; i < r->nhits; i++)
		if (strcmp(diag_hit_id(&r->hits[i]), id) == 0)
			return &r->hits[i];
	return NULL;
}

static void
lines_json(struct jw *w, const char *key, const struct diag_lines *l)
{
	size_t	i, off = 0;

	jw_arr_begin(w, key);
	for (i = 0; i < l->n; i++) {
		jw_strn(w, NULL, l->buf + off, l->len[i]);
		off += l->len[i];
	}
	jw_arr_end(w);
}

void
diag_json(struct jw *w, const char *key, const struct diag_run *r)
{
	const struct diag_hit	*h;
	const char		*name, *desc;
	char			 ts[TIMEFMT_MAX], unk[32];
	size_t			 i;

	jw_arr_begin(w, key);
	for (i = 0; i < r->nhits; i++) {
		h = &r->hits[i];
		jw_obj_begin(w, NULL);
		jw_str(w, "id", diag_hit_id(h));
		jw_str(w, "severity", diag_hit_severity(h));
		jw_str(w, "summary", diag_hit_summary(h));
		jw_strn(w, "message", h->msg, h->msglen);
		jw_uint(w, "count", h->count);
		timefmt_rfc3339(ts, sizeof(ts), h->first_us);
		jw_str(w, "first_seen", ts);
		timefmt_rfc3339(ts, sizeof(ts), h->last_us);
		jw_str(w, "last_seen", ts);
		lines_json(w, "first_evidence", &h->first);
		lines_json(w, "last_evidence", &h->last);
		if (h->has_errno) {
			diag_errno_text(h->err_no, &name, &desc, unk,
			    sizeof(unk));
			jw_int(w, "error_number", h->err_no);
			jw_str(w, "error_name", name);
			jw_str(w, "error_description", desc);
			jw_str(w, "errno_platform", diag_errno_platform());
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
}
