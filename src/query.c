/*
 * query.c -- query strings and %-decoding, strict and allocation-free.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "query.h"

static int	query_hexval(char);

static int
query_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
query_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (o + 1 >= cap)
			return -1;
		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			if ((hi = query_hexval(in[i + 1])) < 0 ||
			    (lo = query_hexval(in[i + 2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			if (c == '\0')
				return -1;
			i += 2;
		} else if (c == '+')
			c = ' ';
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int
query_parse(struct query *q, const char *qs, const char **err)
{
	const char	*p, *amp, *eq;
	size_t		 i;

	q->n = 0;
	*err = NULL;
	if (qs == NULL)
		return 0;
	for (p = qs; *p != '\0'; p = *amp ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		if (q->n == QUERY_PARAMS) {
			*err = "too many query parameters";
			return -1;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			eq = amp;
		if (query_decode(p, (size_t)(eq - p), q->p[q->n].key,
		    sizeof(q->p[q->n].key)) == -1) {
			*err = "bad query parameter name";
			return -1;
		}
		if (query_decode(eq == amp ? eq : eq + 1,
		    eq == amp ? 0 : (size_t)(amp - eq - 1), q->p[q->n].val,
		    sizeof(q->p[q->n].val)) == -1) {
			*err = "bad or too long query parameter value";
			return -1;
		}
		for (i = 0; i < q->n; i++)
			if (strcmp(q->p[i].key, q->p[q->n].key) == 0)
				break;
		if (i == q->n)
			q->n++;
	}
	return 0;
}

const char *
query_get(const struct query *q, const char *key)
{
	size_t	i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->p[i].key, key) == 0)
			return q->p[i].val;
	return NULL;
}

int
query_u64(const char *v, uint64_t *out)
{
	uint64_t	n = 0;
	unsigned	d;

	if (*v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		d = (unsigned)(*v - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}
