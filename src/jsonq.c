/*
 * jsonq.c -- values out of jsmn tokens.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonq.h"

int
jq_skip(const jsmntok_t *t, int n, int i)
{
	int	k, size;

	if (i >= n)
		return n;
	size = t[i].size;
	switch (t[i].type) {
	case JSMN_OBJECT:
		for (i++, k = 0; k < size && i < n; k++)
			i = jq_skip(t, n, i + 1);
		return i;
	case JSMN_ARRAY:
		for (i++, k = 0; k < size && i < n; k++)
			i = jq_skip(t, n, i);
		return i;
	default:
		return i + 1;
	}
}

int
jq_member(const char *js, const jsmntok_t *t, int n, int obj, const char *key)
{
	size_t	klen = strlen(key);
	int	i, k;

	if (obj < 0 || obj >= n || t[obj].type != JSMN_OBJECT)
		return -1;
	for (i = obj + 1, k = 0; k < t[obj].size && i + 1 < n; k++) {
		if (t[i].type == JSMN_STRING &&
		    (size_t)(t[i].end - t[i].start) == klen &&
		    memcmp(js + t[i].start, key, klen) == 0)
			return i + 1;
		i = jq_skip(t, n, i + 1);
	}
	return -1;
}

int
jq_str(const char *js, const jsmntok_t *t, int i, char *out, size_t cap)
{
	size_t	n;

	if (i < 0 || t[i].type != JSMN_STRING)
		return -1;
	return json_unescape(js + t[i].start, (size_t)(t[i].end - t[i].start),
	    out, cap, &n);
}

int
jq_num(const char *js, const jsmntok_t *t, int i, int64_t *out)
{
	char		 num[24], *end;
	size_t		 len;
	long long	 v;

	if (i < 0 || t[i].type != JSMN_PRIMITIVE)
		return -1;
	len = (size_t)(t[i].end - t[i].start);
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, js + t[i].start, len);
	num[len] = '\0';
	errno = 0;
	v = strtoll(num, &end, 10);
	if (*end != '\0' || errno != 0)
		return -1;
	*out = v;
	return 0;
}
