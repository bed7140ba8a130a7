/*
 * json.c -- escaping JSON writer with a fixed buffer.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

static void	jw_flush(struct jw *);
static void	jw_put(struct jw *, const void *, size_t);
static void	jw_sep(struct jw *, const char *);
static void	jw_open(struct jw *, const char *, const char *);
static void	jw_close(struct jw *, const char *);
static void	jw_escaped(struct jw *, const unsigned char *, size_t);
static size_t	utf8_valid(const unsigned char *, size_t);
static int	json_hex4(const char *);

void
jw_init(struct jw *w, char *buf, size_t cap, int fd)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->fd = fd;
	w->err = 0;
	w->depth = 0;
	w->first = 1;
	w->keyed = 0;
}

static void
jw_flush(struct jw *w)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < w->len) {
		n = write(w->fd, w->buf + off, w->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = 1;
			break;
		}
		off += (size_t)n;
	}
	w->len = 0;
}

static void
jw_put(struct jw *w, const void *p, size_t n)
{
	const char	*s = p;
	size_t		 room;

	while (n > 0 && !w->err) {
		room = w->cap - w->len;
		if (room == 0) {
			if (w->fd == -1) {
				w->err = 1;
				return;
			}
			jw_flush(w);
			continue;
		}
		if (room > n)
			room = n;
		memcpy(w->buf + w->len, s, room);
		w->len += room;
		s += room;
		n -= room;
	}
}

/* The comma before an item and, inside an object, its key. */
static void
jw_sep(struct jw *w, const char *key)
{
	/* jw_key() already wrote the separator and the name. */
	if (w->keyed) {
		w->keyed = 0;
		return;
	}
	if (w->first & (1u << w->depth))
		w->first &= ~(1u << w->depth);
	else
		jw_put(w, ",", 1);
	if (key != NULL) {
		jw_escaped(w, (const unsigned char *)key, strlen(key));
		jw_put(w, ":", 1);
	}
}

/* Length of the valid UTF-8 sequence at p, or 0 if the byte is invalid. */
static size_t
utf8_valid(const unsigned char *p, size_t n)
{
	unsigned	c = p[0];
	size_t		need, i;
	uint32_t	cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

static void
jw_escaped(struct jw *w, const unsigned char *s, size_t n)
{
	char		 esc[8];
	size_t		 i, run = 0, k;
	unsigned char	 c;

	jw_put(w, "\"", 1);
	for (i = 0; i < n; i += k) {
		c = s[i];
		k = utf8_valid(s + i, n - i);
		if (k > 0 && c >= 0x20 && c != '"' && c != '\\') {
			run += k;
			continue;
		}
		jw_put(w, s + i - run, run);
		run = 0;
		if (k == 0) {
			jw_put(w, "\\ufffd", 6);
			k = 1;
			continue;
		}
		switch (c) {
		case '"':	jw_put(w, "\\\"", 2); break;
		case '\\':	jw_put(w, "\\\\", 2); break;
		case '\n':	jw_put(w, "\\n", 2); break;
		case '\r':	jw_put(w, "\\r", 2); break;
		case '\t':	jw_put(w, "\\t", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			jw_put(w, esc, 6);
		}
	}
	jw_put(w, s + i - run, run);
	jw_put(w, "\"", 1);
}

/* An object or an array, told apart only by their brackets. */
static void
jw_open(struct jw *w, const char *key, const char *bracket)
{
	jw_sep(w, key);
	jw_put(w, bracket, 1);
	if (w->depth + 1 >= JW_DEPTH_MAX) {
		w->err = 1;
		return;
	}
	w->depth++;
	w->first |= 1u << w->depth;
}

static void
jw_close(struct jw *w, const char *bracket)
{
	if (w->depth > 0)
		w->depth--;
	jw_put(w, bracket, 1);
}

void
jw_obj_begin(struct jw *w, const char *key)
{
	jw_open(w, key, "{");
}

void
jw_obj_end(struct jw *w)
{
	jw_close(w, "}");
}

void
jw_arr_begin(struct jw *w, const char *key)
{
	jw_open(w, key, "[");
}

void
jw_arr_end(struct jw *w)
{
	jw_close(w, "]");
}

void
jw_str(struct jw *w, const char *key, const char *s)
{
	jw_strn(w, key, s, strlen(s));
}

void
jw_strn(struct jw *w, const char *key, const void *s, size_t n)
{
	jw_sep(w, key);
	jw_escaped(w, s, n);
}

void
jw_int(struct jw *w, const char *key, int64_t v)
{
	char	num[24];
	int	n;

	jw_sep(w, key);
	n = snprintf(num, sizeof(num), "%lld", (long long)v);
	jw_put(w, num, (size_t)n);
}

void
jw_uint(struct jw *w, const char *key, uint64_t v)
{
	char	num[24];
	int	n;

	jw_sep(w, key);
	n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	jw_put(w, num, (size_t)n);
}

void
jw_bool(struct jw *w, const char *key, int v)
{
	jw_sep(w, key);
	jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void
jw_null(struct jw *w, const char *key)
{
	jw_sep(w, key);
	jw_put(w, "null", 4);
}

int
jw_finish(struct jw *w)
{
	if (w->fd != -1 && !w->err)
		jw_flush(w);
	return w->err ? -1 : 0;
}

void
jw_key(struct jw *w, const char *key)
{
	jw_sep(w, key);
	w->keyed = 1;
}

void
jw_raw(struct jw *w, const char *key, const char *text, size_t n)
{
	if (key != JW_CONTINUE)
		jw_sep(w, key);
	jw_put(w, text, n);
}

static int
json_hex4(const char *p)
{
	int	i, v = 0;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

int
json_unescape(const char *in, size_t len, char *out, size_t cap,
    size_t *outlen)
{
	const char	*p = in;
	const char	*end = in + len;
	size_t		 o = 0;
	long		 cp;
	int		 lo;

	while (p < end) {
		if (o + 5 > cap)
			return -1;
		if ((unsigned char)*p < 0x20)
			return -1;
		if (*p != '\\') {
			out[o++] = *p++;
			continue;
		}
		if (++p >= end)
			return -1;
		switch (*p++) {
		case '"':	out[o++] = '"'; continue;
		case '\\':	out[o++] = '\\'; continue;
		case '/':	out[o++] = '/'; continue;
		case 'b':	out[o++] = '\b'; continue;
		case 'f':	out[o++] = '\f'; continue;
		case 'n':	out[o++] = '\n'; continue;
		case 'r':	out[o++] = '\r'; continue;
		case 't':	out[o++] = '\t'; continue;
		case 'u':	break;
		default:	return -1;
		}
		if (end - p < 4 || (cp = json_hex4(p)) < 0)
			return -1;
		p += 4;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return -1;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = json_hex4(p + 2)) < 0xdc00 || lo > 0xdfff)
				return -1;
			p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp < 0x80)
			out[o++] = (char)cp;
		else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | (cp >> 6));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | (cp >> 12));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | (cp >> 18));
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

