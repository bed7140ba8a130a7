/*
 * kmsg_int.h -- private to kmsg.c, oom.c and oom_context.c; the rest of
 * crashtrail uses kmsg.h.
 * SPDX-License-Identifier: ISC
 *
 * The scanners read a record's message [s, end), which is not
 * NUL-terminated, and never touch `end` or what lies past it.
 */
#ifndef KMSG_INT_H
#define KMSG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "kmsg.h"

/* memmem over [s, end) for a C string: the first or the last match. */
const char	*kmsg_find(const char *s, const char *end, const char *needle);
const char	*kmsg_find_last(const char *s, const char *end,
		    const char *needle);
const char	*kmsg_skip_blank(const char *s, const char *end);
/*
 * A number at *sp: decimal digits, at least one, no overflow; an i64 may
 * start with '-', a pid is what fits an int (the kernel's pid_t).  0 with
 * *v set and *sp advanced past the number, or -1: *v (*pid) is untouched;
 * *sp is not to be used (a pid out of range has moved it).
 */
int		 kmsg_num_u64(const char **sp, const char *end, uint64_t *v);
int		 kmsg_num_i64(const char **sp, const char *end, int64_t *v);
int		 kmsg_num_pid(const char **sp, const char *end, int *pid);
/* The number after `key` somewhere in [s, end); 0, or -1 if absent. */
int		 kmsg_field(const char *s, const char *end, const char *key,
		    int64_t *v);
/* Copy [s, e) into dst, cut to fit and NUL-terminated. */
void		 kmsg_copy(char *dst, size_t cap, const char *s, const char *e);

/* Per byte in every scan, so inline. */
static inline int
kmsg_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline int
kmsg_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Each handler returns 1 when it filled *out, 0 for a line it recognised,
 * and -1 for one that looked like its kind but was not: that one counts
 * as noise.
 */
typedef int	oom_handler(struct oom_parser *, const struct kmsg_record *,
		    struct oom_event *);

/*
 * The handlers of a dump's context lines, in oom_context.c; oom.c has the
 * table that picks one per line and the handlers that open and close a
 * dump.  They only fill p->ev while a dump is open.
 */
oom_handler	oom_on_cpu, oom_on_summary, oom_on_memfree, oom_on_pages,
		oom_on_table;

#endif /* KMSG_INT_H */
