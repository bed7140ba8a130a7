/*
 * query.h -- an API request's query string, parsed into a caller-owned
 * struct with no allocation: at most QUERY_PARAMS pairs, keys up to 31 and
 * values up to QUERY_VALUE_MAX - 1 bytes after %-decoding ('+' is a
 * space).  A repeated key keeps its first value.
 */
#ifndef QUERY_H
#define QUERY_H

#include <stddef.h>
#include <stdint.h>

#define QUERY_PARAMS	16
#define QUERY_KEY_MAX	32
#define QUERY_VALUE_MAX	256

struct query {
	size_t	n;
	struct {
		char	key[QUERY_KEY_MAX];
		char	val[QUERY_VALUE_MAX];
	} p[QUERY_PARAMS];
};

/* `qs` may be NULL (no query).  0, or -1 with *err saying why. */
int		 query_parse(struct query *, const char *qs, const char **err);
/* The value of `key`, or NULL when absent. */
const char	*query_get(const struct query *, const char *key);
/* Strict non-negative decimal ("0".."18446744073709551615"); 0 or -1. */
int		 query_u64(const char *, uint64_t *);
/* %-decode `in` (len bytes) into out (NUL-terminated); -1 if bad/long. */
int		 query_decode(const char *in, size_t len, char *out, size_t cap);

#endif /* QUERY_H */
