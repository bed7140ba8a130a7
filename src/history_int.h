/*
 * history_int.h -- private to history.c and history_scan.c; the rest of
 * crashtrail uses history.h.
 * SPDX-License-Identifier: ISC
 *
 * history.c owns the index: the pool of entries, the order and the free
 * list, and every change to them after start-up.  history_scan.c fills
 * the index once, at start-up, from the report files under the root, and
 * finishes the reports whose rename was cut off.  The state below is
 * shared so that the scan can fill the pool in bulk, then order it once.
 */
#ifndef HISTORY_INT_H
#define HISTORY_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct hist_entry;
struct hist_stats;

/* The logstore's root: entries keep their files relative to it. */
extern char			 hist_root[PATH_MAX];
/*
 * hist_max slots; hist_order[0 .. hist_n) indexes the used ones, oldest
 * first (by end time, then run id), and hist_free[0 .. hist_nfree) the
 * others.  hist_n + hist_nfree == hist_max, always.
 */
extern struct hist_entry	*hist_pool;
extern uint32_t			*hist_order;
extern uint32_t			*hist_free;
extern size_t			 hist_max, hist_n, hist_nfree;
extern struct hist_stats	 hist_st;

/*
 * Drop the index and its counters, then reserve `max` empty slots (none:
 * history off).  Start-up only: it frees and allocates.
 */
void	hist_reserve(size_t max);
/* Put hist_order in its order after the scan filled it in bulk. */
void	hist_sort(void);

#endif /* HISTORY_INT_H */
