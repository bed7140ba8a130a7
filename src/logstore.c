/*
 * logstore.c -- quota and retention of runs' log files, oldest first.
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "logstore.h"
#include "syncer.h"

/* One file found by the start-up scan. */
struct ls_found {
	char		base[PATH_MAX];
	unsigned	bit;
	uint64_t	bytes;
};

struct ls_scan {
	struct ls_found	*v;
	size_t		 n, cap;
};

static const char *suffixes[] = { ".stderr.log", ".stdout.log",
    ".death.json" };

static int	(*ls_keep)(const char *);

static int	ls_prune_one(struct logstore *);
static void	ls_remove(struct logstore *, size_t);
static int	ls_scan_dir(struct ls_scan *, const char *, int);
static int	ls_found_cmp(const void *, const void *);

const char *
logstore_suffix(unsigned bit)
{
	size_t	i;

	for (i = 0; i < 3; i++)
		if (bit == (1u << i))
			return suffixes[i];
	return "";
}

static int
ls_found_cmp(const void *a, const void *b)
{
	const struct ls_found	*x = a, *y = b;
	const char		*xs = strrchr(x->base, '/');
	const char		*ys = strrchr(y->base, '/');
	int			 c;

	/* By the time in the file name; qsort may move elements. */
	if ((c = strcmp(xs ? xs : x->base, ys ? ys : y->base)) != 0)
		return c;
	return strcmp(x->base, y->base);
}

/* Walk root/<instance>/<runner>/<files>; depth counts the levels left. */
static int
ls_scan_dir(struct ls_scan *sc, const char *dir, int depth)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 path[PATH_MAX];
	size_t		 i, nlen, slen;
	int		 n;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    lstat(path, &st) == -1)
			continue;
		if (depth > 0) {
			if (S_ISDIR(st.st_mode))
				(void)ls_scan_dir(sc, path, depth - 1);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		nlen = strlen(path);
		for (i = 0; i < 3; i++) {
			slen = strlen(suffixes[i]);
			if (nlen > slen &&
			    strcmp(path + nlen - slen, suffixes[i]) == 0)
				break;
		}
		if (i == 3)
			continue;	/* not ours: left alone, not counted */
		if (sc->n == sc->cap) {
			struct ls_found	*nv;

			sc->cap = sc->cap ? sc->cap * 2 : 256;
			if ((nv = realloc(sc->v, sc->cap * sizeof(*nv))) ==
			    NULL)
				fatal("%s", __func__);
			sc->v = nv;
		}
		memcpy(sc->v[sc->n].base, path, nlen - slen);
		sc->v[sc->n].base[nlen - slen] = '\0';
		sc->v[sc->n].bit = 1u << i;
		sc->v[sc->n].bytes = (uint64_t)st.st_size;
		sc->n++;
	}
	closedir(d);
	return 0;
}

int
logstore_init(struct logstore *ls, const char *log_dir, uint64_t quota,
    size_t max)
{
	struct ls_scan	 sc = { NULL, 0, 0 };
	struct ls_entry	*e = NULL;
	size_t		 i;
	int		 n;

	memset(ls, 0, sizeof(*ls));
	n = snprintf(ls->root, sizeof(ls->root), "%s/runner_log", log_dir);
	if (n < 0 || (size_t)n >= sizeof(ls->root)) {
		log_warnx("%s: log_dir is too long", __func__);
		return -1;
	}
	if (mkdir(log_dir, 0750) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", log_dir);
		return -1;
	}
	if (mkdir(ls->root, 0750) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", ls->root);
		return -1;
	}
	ls->max = max;
	ls->quota = quota;
	ls->pool = calloc(max, sizeof(*ls->pool));
	ls->order = calloc(max, sizeof(*ls->order));
	ls->freelist = calloc(max, sizeof(*ls->freelist));
	if (ls->pool == NULL || ls->order == NULL || ls->freelist == NULL)
		fatal("%s", __func__);
	for (i = 0; i < max; i++)
		ls->freelist[i] = (uint32_t)(max - 1 - i);
	ls->nfree = max;

	if (ls_scan_dir(&sc, ls->root, 2) == -1)
		log_warn("scan %s", ls->root);
	if (sc.n > 1)
		qsort(sc.v, sc.n, sizeof(*sc.v), ls_found_cmp);
	for (i = 0; i < sc.n; i++) {
		if (e == NULL || strcmp(e->base, sc.v[i].base) != 0) {
			if (e != NULL)
				logstore_close(ls, e);
			if ((e = logstore_add(ls, sc.v[i].base)) == NULL)
				break;
		}
		e->files |= sc.v[i].bit;
		e->bytes += sc.v[i].bytes;
		ls->total += sc.v[i].bytes;
	}
	if (e != NULL)
		logstore_close(ls, e);
	free(sc.v);
	while (ls->quota > 0 && ls->total > ls->quota && ls_prune_one(ls) == 0)
		;
	log_info("log store %s: %zu runs, %llu bytes, quota %llu", ls->root,
	    ls->n, (unsigned long long)ls->total,
	    (unsigned long long)ls->quota);
	return 0;
}

static void
ls_remove(struct logstore *ls, size_t pos)
{
	uint32_t	idx = ls->order[pos];

	memmove(&ls->order[pos], &ls->order[pos + 1],
	    (ls->n - pos - 1) * sizeof(*ls->order));
	ls->n--;
	ls->freelist[ls->nfree++] = idx;
}

void
logstore_set_keep(int (*keep)(const char *))
{
	ls_keep = keep;
}

/* Delete the oldest group that is neither open, pinned nor kept. */
static int
ls_prune_one(struct logstore *ls)
{
	struct ls_entry	*e;
	char		 path[PATH_MAX + 16];
	size_t		 pos;
	unsigned	 bit;

	for (pos = 0; pos < ls->n; pos++) {
		e = &ls->pool[ls->order[pos]];
		if (e->open || e->pinned ||
		    (ls_keep != NULL && ls_keep(e->base)))
			continue;
		for (bit = 1; bit <= LS_REPORT; bit <<= 1) {
			if (!(e->files & bit))
				continue;
			snprintf(path, sizeof(path), "%s%s", e->base,
			    logstore_suffix(bit));
			/* Inline until syncer_init (the start-up prune). */
			syncer_unlink(path);
		}
		log_info("pruned %s (%llu bytes)", e->base,
		    (unsigned long long)e->bytes);
		ls->total -= e->bytes;
		ls->pruned_groups++;
		ls->pruned_bytes += e->bytes;
		if (ls->on_prune != NULL)
			ls->on_prune(e->base, e->bytes);
		ls_remove(ls, pos);
		return 0;
	}
	return -1;
}

struct ls_entry *
logstore_add(struct logstore *ls, const char *base)
{
	struct ls_entry	*e;
	uint32_t	 idx;

	if (ls->nfree == 0 && ls_prune_one(ls) == -1)
		return NULL;
	idx = ls->freelist[--ls->nfree];
	ls->order[ls->n++] = idx;
	e = &ls->pool[idx];
	snprintf(e->base, sizeof(e->base), "%s", base);
	e->bytes = 0;
	e->files = 0;
	e->open = 1;
	e->pinned = 0;
	return e;
}

int
logstore_charge(struct logstore *ls, struct ls_entry *e, uint64_t n)
{
	while (ls->quota > 0 && ls->total + n > ls->quota)
		if (ls_prune_one(ls) == -1)
			return 0;
	ls->total += n;
	e->bytes += n;
	return 1;
}

void
logstore_refund(struct logstore *ls, struct ls_entry *e, uint64_t n)
{
	if (n > e->bytes)
		n = e->bytes;
	e->bytes -= n;
	ls->total -= n;
}

void
logstore_mark(struct ls_entry *e, unsigned bit)
{
	e->files |= bit;
}

void
logstore_close(struct logstore *ls, struct ls_entry *e)
{
	(void)ls;
	e->open = 0;
}

struct ls_entry *
logstore_find(struct logstore *ls, const char *base)
{
	size_t	pos;

	for (pos = 0; pos < ls->n; pos++)
		if (strcmp(ls->pool[ls->order[pos]].base, base) == 0)
			return &ls->pool[ls->order[pos]];
	return NULL;
}
