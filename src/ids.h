/*
 * ids.h -- validation of the identifiers that become path components and
 * URL segments: instance ids, runner ids, diagnostic ids, run ids.
 *
 * An id is 1..ID_MAX bytes of [A-Za-z0-9._-], and never "." or "..", so it
 * can be joined into a path without escaping the directory it names.
 */
#ifndef IDS_H
#define IDS_H

#include <stddef.h>

#define ID_MAX		64
#define RUN_ID_MAX	96	/* <runner_id>-<20261122T180000123456Z> */

/* Returns NULL when `s` is a valid id of at most `max` bytes, else why not. */
const char	*id_check(const char *s, size_t max);

#endif /* IDS_H */
