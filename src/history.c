/*
 * history.c -- the index of past runs' death reports, kept across restarts:
 * adding, finding, forgetting and walking its entries.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "history_int.h"
#include "log.h"

char			 hist_root[PATH_MAX];
struct hist_entry	*hist_pool;
uint32_t		*hist_order;	/* oldest first */
uint32_t		*hist_free;
size_t			 hist_max, hist_n, hist_nfree;
struct hist_stats	 hist_st;

static int	hist_keycmp(int64_t, const char *, const struct hist_entry *);
static int	hist_order_cmp(const void *, const void *);
static void	hist_insert(uint32_t);
static void	hist_unlink(size_t);
static int	hist_rel(const char *, char *, size_t);

/* Order of entries: by end time, then by run id (unique). */
static int
hist_keycmp(int64_t ended_us, const char *run_id, const struct hist_entry *e)
{
	if (ended_us != e->ended_us)
		return ended_us < e->ended_us ? -1 : 1;
	return strcmp(run_id, e->run_id);
}

static int
hist_order_cmp(const void *a, const void *b)
{
	const struct hist_entry	*x = &hist_pool[*(const uint32_t *)a];

	return hist_keycmp(x->ended_us, x->run_id,
	    &hist_pool[*(const uint32_t *)b]);
}

/* Put pool[idx] in its place in hist_order; there is room for it. */
static void
hist_insert(uint32_t idx)
{
	const struct hist_entry	*e = &hist_pool[idx];
	size_t			 lo = 0, hi = hist_n, mid;

	/* New entries are nearly always the newest: check the end first. */
	if (hist_n > 0 && hist_keycmp(e->ended_us, e->run_id,
	    &hist_pool[hist_order[hist_n - 1]]) > 0)
		lo = hist_n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (hist_keycmp(e->ended_us, e->run_id,
		    &hist_pool[hist_order[mid]]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&hist_order[lo + 1], &hist_order[lo],
	    (hist_n - lo) * sizeof(*hist_order));
	hist_order[lo] = idx;
	hist_n++;
}

/* Take hist_order[pos] out of the order; its slot is the caller's. */
static void
hist_unlink(size_t pos)
{
	memmove(&hist_order[pos], &hist_order[pos + 1],
	    (hist_n - pos - 1) * sizeof(*hist_order));
	hist_n--;
}

/* `base` minus "<root>/" into out; -1 when it is elsewhere or too long. */
static int
hist_rel(const char *base, char *out, size_t len)
{
	size_t	n = strlen(hist_root);
	int	r;

	if (strncmp(base, hist_root, n) != 0 || base[n] != '/')
		return -1;
	r = snprintf(out, len, "%s", base + n + 1);
	return r <= 0 || (size_t)r >= len ? -1 : 0;
}

int
history_path(const struct hist_entry *e, const char *suffix, char *out,
    size_t len)
{
	int	n;

	n = snprintf(out, len, "%s/%s%s", hist_root, e->rel, suffix);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void
hist_reserve(size_t max)
{
	size_t	i;

	free(hist_pool);
	free(hist_order);
	free(hist_free);
	hist_pool = NULL;
	hist_order = hist_free = NULL;
	memset(&hist_st, 0, sizeof(hist_st));
	hist_n = hist_nfree = hist_max = 0;
	if (max == 0)
		return;
	hist_max = max;
	hist_pool = calloc(max, sizeof(*hist_pool));
	hist_order = calloc(max, sizeof(*hist_order));
	hist_free = calloc(max, sizeof(*hist_free));
	if (hist_pool == NULL || hist_order == NULL || hist_free == NULL)
		fatal("%s", __func__);
	for (i = 0; i < max; i++)
		hist_free[i] = (uint32_t)(max - 1 - i);
	hist_nfree = max;
}

void
hist_sort(void)
{
	if (hist_n > 1)
		qsort(hist_order, hist_n, sizeof(*hist_order), hist_order_cmp);
}

void
history_add(const char *run_id, const char *instance_id,
    const char *runner_id, int64_t started_us, int64_t ended_us,
    const char *cause, long pid, int oom_killed, const char *base,
    uint64_t stderr_bytes)
{
	struct hist_entry	*e;
	char			 rel[HIST_REL_MAX];
	size_t			 pos;
	uint32_t		 idx;

	if (hist_max == 0)
		return;
	if (hist_rel(base, rel, sizeof(rel)) == -1) {
		log_warnx("%s: run %s: %s is not a run's files under %s",
		    __func__, run_id, base, hist_root);
		return;
	}
	for (pos = hist_n; pos > 0; pos--)
		if (strcmp(hist_pool[hist_order[pos - 1]].run_id, run_id) == 0)
			break;
	if (pos > 0) {
		/* Rewritten report: its entry moves if its end moved. */
		idx = hist_order[pos - 1];
		hist_unlink(pos - 1);
	} else {
		if (hist_nfree == 0) {
			/* Full: the oldest goes, which may be this one. */
			hist_st.evicted++;
			if (hist_keycmp(ended_us, run_id,
			    &hist_pool[hist_order[0]]) < 0)
				return;
			hist_free[hist_nfree++] = hist_order[0];
			hist_unlink(0);
		}
		idx = hist_free[--hist_nfree];
	}
	e = &hist_pool[idx];
	memset(e, 0, sizeof(*e));
	snprintf(e->run_id, sizeof(e->run_id), "%s", run_id);
	snprintf(e->instance_id, sizeof(e->instance_id), "%s", instance_id);
	snprintf(e->runner_id, sizeof(e->runner_id), "%s", runner_id);
	e->started_us = started_us;
	e->ended_us = ended_us;
	snprintf(e->cause, sizeof(e->cause), "%s", cause);
	e->pid = pid;
	e->oom_killed = oom_killed != 0;
	e->stderr_bytes = stderr_bytes;
	memcpy(e->rel, rel, sizeof(e->rel));
	hist_insert(idx);
}

const struct hist_entry *
history_find(const char *run_id)
{
	size_t	i;

	for (i = hist_n; i > 0; i--)
		if (strcmp(hist_pool[hist_order[i - 1]].run_id, run_id) == 0)
			return &hist_pool[hist_order[i - 1]];
	return NULL;
}

size_t
history_count(void)
{
	return hist_n;
}

const struct hist_entry *
history_at(size_t i)
{
	return i < hist_n ? &hist_pool[hist_order[hist_n - 1 - i]] : NULL;
}

void
history_forget(const char *base)
{
	char	rel[HIST_REL_MAX];
	size_t	pos;

	if (hist_max == 0 || hist_rel(base, rel, sizeof(rel)) == -1)
		return;
	/* Pruning goes oldest first: the entry is near the front. */
	for (pos = 0; pos < hist_n; pos++) {
		if (strcmp(hist_pool[hist_order[pos]].rel, rel) != 0)
			continue;
		hist_free[hist_nfree++] = hist_order[pos];
		hist_unlink(pos);
		hist_st.forgotten++;
		return;
	}
}

void
history_stats(struct hist_stats *st)
{
	*st = hist_st;
	st->count = hist_n;
	st->max = hist_max;
}
