/*
 * jsonq.h -- reading values out of a jsmn token array: skip a value, find
 * an object's member, take a string or an integer.  Shared by every
 * reader of JSON documents that crashtrail did not write itself (history
 * reports, the CLI's answers, an upload server's presign reply).
 * SPDX-License-Identifier: ISC
 *
 * Tokens come from jsmn_parse() (vendor/jsmn, compiled in ingest.c,
 * JSMN_STRICT); `n` is the number of tokens it returned.  Nothing here
 * allocates.
 */
#ifndef JSONQ_H
#define JSONQ_H

#include <stddef.h>
#include <stdint.h>

#define JSMN_HEADER
#define JSMN_STRICT
#include "jsmn.h"

/* The token after the value at i (which may be a whole object), or n. */
int	jq_skip(const jsmntok_t *, int n, int i);
/* The value of member `key` of the object at `obj`, or -1. */
int	jq_member(const char *js, const jsmntok_t *, int n, int obj,
	    const char *key);
/* A string value, unescaped, into out; -1 when absent, not one, too long. */
int	jq_str(const char *js, const jsmntok_t *, int i, char *out, size_t cap);
/* An integer value (no fraction, no exponent); -1 when not one. */
int	jq_num(const char *js, const jsmntok_t *, int i, int64_t *out);

#endif /* JSONQ_H */
