/*
 * ingest.c -- strict validation and re-serialization of foreign events.
 * SPDX-License-Identifier: ISC
 */
/* jsmn's implementation lives in this file only (strict JSON). */
#define JSMN_STRICT
#include "jsmn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "json.h"

/* Room for any decoded string of a body (bodies are capped smaller). */
static char	ingest_str[256 * 1024];

static int	ingest_fail(struct ingest *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	ingest_eq(const struct ingest *, int, const char *);
static int	ingest_string(const struct ingest *, int, char *, size_t,
		    size_t *);
static int	ingest_number(const char *, size_t);
static int	ingest_check(struct ingest *, int, int);
static int	ingest_copy_id(struct ingest *, int, const char *, char *,
		    size_t, size_t);
static int	ingest_write(struct jw *, const struct ingest *, int);

static int
ingest_fail(struct ingest *ig, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(ig->err, sizeof(ig->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int
ingest_eq(const struct ingest *ig, int t, const char *s)
{
	size_t	n = (size_t)(ig->tok[t].end - ig->tok[t].start);

	return ig->tok[t].type == JSMN_STRING && strlen(s) == n &&
	    memcmp(ig->text + ig->tok[t].start, s, n) == 0;
}

/* Decode string token t (see json_unescape); -1 if it is not valid. */
static int
ingest_string(const struct ingest *ig, int t, char *out, size_t cap,
    size_t *outlen)
{
	return json_unescape(ig->text + ig->tok[t].start,
	    (size_t)(ig->tok[t].end - ig->tok[t].start), out, cap, outlen);
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
ingest_number(const char *p, size_t n)
{
	size_t	i = 0, d;

	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else {
		for (d = i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == d)
			return -1;
	}
	if (i < n && p[i] == '.') {
		for (d = ++i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == d)
			return -1;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		for (d = i; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == d)
			return -1;
	}
	return i == n ? 0 : -1;
}

/*
 * Check the value at token t (depth for the writer's limit); returns the
 * index after it, or -1.
 */
static int
ingest_check(struct ingest *ig, int t, int depth)
{
	const jsmntok_t	*k = &ig->tok[t];
	const char	*p = ig->text + k->start;
	size_t		 n = (size_t)(k->end - k->start), dummy;
	int		 i, next = t + 1;

	if (t >= ig->ntok)
		return -1;
	if (depth >= 16)
		return ingest_fail(ig, "data is nested too deeply (16 levels)");
	switch (k->type) {
	case JSMN_STRING:
		if (ingest_string(ig, t, ingest_str, sizeof(ingest_str),
		    &dummy) == -1)
			return ingest_fail(ig, "invalid string at byte %d",
			    k->start);
		return next;
	case JSMN_PRIMITIVE:
		if ((n == 4 && !memcmp(p, "true", 4)) ||
		    (n == 5 && !memcmp(p, "false", 5)) ||
		    (n == 4 && !memcmp(p, "null", 4)) ||
		    ingest_number(p, n) == 0)
			return next;
		return ingest_fail(ig, "invalid value at byte %d", k->start);
	case JSMN_OBJECT:
		for (i = 0; i < k->size; i++) {
			if (next >= ig->ntok ||
			    ig->tok[next].type != JSMN_STRING)
				return ingest_fail(ig, "object keys must be "
				    "strings");
			if ((next = ingest_check(ig, next, depth + 1)) == -1 ||
			    (next = ingest_check(ig, next, depth + 1)) == -1)
				return -1;
		}
		return next;
	case JSMN_ARRAY:
		for (i = 0; i < k->size; i++)
			if ((next = ingest_check(ig, next, depth + 1)) == -1)
				return -1;
		return next;
	default:
		return ingest_fail(ig, "invalid JSON");
	}
}

static int
ingest_copy_id(struct ingest *ig, int t, const char *name, char *dst,
    size_t cap, size_t max)
{
	const char	*why;
	size_t		 n;

	if (ig->tok[t].type != JSMN_STRING ||
	    ingest_string(ig, t, ingest_str, sizeof(ingest_str), &n) == -1 ||
	    strlen(ingest_str) != n)
		return ingest_fail(ig, "%s must be a string without NUL", name);
	if ((why = id_check(ingest_str, max)) != NULL)
		return ingest_fail(ig, "%s '%.80s' %s", name, ingest_str, why);
	(void)cap;	/* id_check() bounded it by max < cap */
	memcpy(dst, ingest_str, strlen(ingest_str) + 1);
	return 0;
}

int
ingest_parse(struct ingest *ig, const char *text, size_t len)
{
	jsmn_parser	 jp;
	size_t		 n, end = len;
	int		 i, t, next;
	unsigned	 seen = 0;
	static const char *const members[] = { "type", "category",
	    "instance_id", "runner_id", "run_id", "data", NULL };

	memset(ig->type, 0, sizeof(ig->type));
	ig->category[0] = ig->instance_id[0] = ig->runner_id[0] =
	    ig->run_id[0] = '\0';
	ig->err[0] = '\0';
	ig->text = text;
	ig->len = len;
	ig->data = -1;
	jsmn_init(&jp);
	ig->ntok = jsmn_parse(&jp, text, len, ig->tok, INGEST_TOKENS);
	if (ig->ntok == JSMN_ERROR_NOMEM)
		return ingest_fail(ig, "event has more than %d JSON tokens",
		    INGEST_TOKENS);
	if (ig->ntok < 0)
		return ingest_fail(ig, "malformed JSON");
	if (ig->ntok == 0 || ig->tok[0].type != JSMN_OBJECT)
		return ingest_fail(ig, "the event must be a JSON object");
	while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\n' ||
	    text[end - 1] == '\r' || text[end - 1] == '\t'))
		end--;
	if ((size_t)ig->tok[0].end != end)
		return ingest_fail(ig, "trailing bytes after the JSON object");
	if (ingest_check(ig, 0, 0) != ig->ntok)
		return ig->err[0] ? -1 : ingest_fail(ig, "malformed JSON");

	for (i = 0, t = 1; i < ig->tok[0].size; i++, t = next) {
		int v = t + 1, m;

		next = ingest_check(ig, v, 1);
		for (m = 0; members[m] != NULL; m++)
			if (ingest_eq(ig, t, members[m]))
				break;
		if (members[m] == NULL) {
			if (ingest_eq(ig, t, "seq") || ingest_eq(ig, t, "ts") ||
			    ingest_eq(ig, t, "truncated") ||
			    ingest_eq(ig, t, "source"))
				return ingest_fail(ig, "'%.*s' is set by the "
				    "server", ig->tok[t].end - ig->tok[t].start,
				    text + ig->tok[t].start);
			return ingest_fail(ig, "unknown member '%.*s'",
			    ig->tok[t].end - ig->tok[t].start > 64 ? 64 :
			    ig->tok[t].end - ig->tok[t].start,
			    text + ig->tok[t].start);
		}
		if (seen & (1u << m))
			return ingest_fail(ig, "duplicate member '%s'",
			    members[m]);
		seen |= 1u << m;
		switch (m) {
		case 0:
		case 1:
			if (ig->tok[v].type != JSMN_STRING ||
			    ingest_string(ig, v, ingest_str,
			    sizeof(ingest_str), &n) == -1 ||
			    strlen(ingest_str) != n)
				return ingest_fail(ig, "%s must be a string",
				    members[m]);
			if (m == 0) {
				const char *c;

				if (n == 0 || n > EVENT_TYPE_MAX ||
				    ingest_str[0] < 'a' || ingest_str[0] > 'z')
					return ingest_fail(ig, "invalid type "
					    "'%.64s'", ingest_str);
				for (c = ingest_str; *c != '\0'; c++)
					if (!((*c >= 'a' && *c <= 'z') ||
					    (*c >= '0' && *c <= '9') ||
					    *c == '_' || *c == '.'))
						return ingest_fail(ig, "invalid "
						    "type '%.64s'", ingest_str);
				memcpy(ig->type, ingest_str, n + 1);
			} else {
				if (!events_category_valid(ingest_str))
					return ingest_fail(ig, "invalid "
					    "category '%.64s' (runner, system, "
					    "stage, upload or collector)",
					    ingest_str);
				memcpy(ig->category, ingest_str, n + 1);
			}
			break;
		case 2:
			if (ingest_copy_id(ig, v, "instance_id",
			    ig->instance_id, sizeof(ig->instance_id),
			    ID_MAX) == -1)
				return -1;
			break;
		case 3:
			if (ingest_copy_id(ig, v, "runner_id", ig->runner_id,
			    sizeof(ig->runner_id), ID_MAX) == -1)
				return -1;
			break;
		case 4:
			if (ingest_copy_id(ig, v, "run_id", ig->run_id,
			    sizeof(ig->run_id), RUN_ID_MAX) == -1)
				return -1;
			break;
		case 5:
			ig->data = v;
			break;
		}
	}
	if (ig->type[0] == '\0')
		return ingest_fail(ig, "type is required");
	return 0;
}

void
ingest_meta(const struct ingest *ig, struct ev_meta *m)
{
	m->type = ig->type;
	m->category = ig->category[0] ? ig->category : NULL;
	m->instance_id = ig->instance_id[0] ? ig->instance_id : NULL;
	m->runner_id = ig->runner_id[0] ? ig->runner_id : NULL;
	m->run_id = ig->run_id[0] ? ig->run_id : NULL;
}

/* Write token t (already checked) and return the index after it. */
static int
ingest_write(struct jw *w, const struct ingest *ig, int t)
{
	const jsmntok_t	*k = &ig->tok[t];
	size_t		 n;
	int		 i, next = t + 1;

	switch (k->type) {
	case JSMN_STRING:
		ingest_string(ig, t, ingest_str, sizeof(ingest_str), &n);
		jw_strn(w, NULL, ingest_str, n);
		return next;
	case JSMN_PRIMITIVE:
		jw_raw(w, NULL, ig->text + k->start,
		    (size_t)(k->end - k->start));
		return next;
	case JSMN_OBJECT:
		jw_obj_begin(w, NULL);
		for (i = 0; i < k->size; i++) {
			ingest_string(ig, next, ingest_str,
			    sizeof(ingest_str), &n);
			/* Member names go through the escaping writer too. */
			jw_key(w, ingest_str);
			next = ingest_write(w, ig, next + 1);
		}
		jw_obj_end(w);
		return next;
	case JSMN_ARRAY:
		jw_arr_begin(w, NULL);
		for (i = 0; i < k->size; i++)
			next = ingest_write(w, ig, next);
		jw_arr_end(w);
		return next;
	default:
		jw_null(w, NULL);
		return next;
	}
}

void
ingest_data(struct jw *w, const void *arg)
{
	const struct ingest	*ig = arg;

	if (ig->data < 0) {
		jw_obj_begin(w, NULL);
		jw_obj_end(w);
		return;
	}
	ingest_write(w, ig, ig->data);
}
