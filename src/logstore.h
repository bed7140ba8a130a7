/*
 * logstore.h -- the index of every run's files under <log_dir>/runner_log,
 * enforcing the total quota and the file-count limit, oldest run first.
 *
 * A run's files (.stderr.log, .stdout.log, .death.json) form one group,
 * named by their common path without the suffix.  Groups live in a pool of
 * `max` entries sized once; `order` keeps them oldest first.  An open group
 * (its run is live) and a pinned one (its files are still needed) are
 * never pruned.  The index is rebuilt from the directory at start-up (that
 * allocates); afterwards nothing here allocates.
 */
#ifndef LOGSTORE_H
#define LOGSTORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define LS_STDERR	0x01
#define LS_STDOUT	0x02
#define LS_REPORT	0x04

struct ls_entry {
	char		 base[PATH_MAX];	/* .../<ts>, no suffix */
	uint64_t	 bytes;
	unsigned	 files;			/* LS_* present */
	int		 open;
	int		 pinned;
};

struct logstore {
	char		 root[PATH_MAX];	/* <log_dir>/runner_log */
	struct ls_entry	*pool;
	uint32_t	*order;			/* pool indices, oldest first */
	uint32_t	*freelist;
	size_t		 max, n, nfree;
	uint64_t	 total;			/* bytes of all groups */
	uint64_t	 quota;			/* 0 = none */
	uint64_t	 pruned_groups;
	uint64_t	 pruned_bytes;
	/* Told of each group pruned (after start-up), or NULL. */
	void		(*on_prune)(const char *base, uint64_t bytes);
};

/* Suffix of each LS_* file, e.g. ".stderr.log". */
const char	*logstore_suffix(unsigned bit);

/* Create the root, index what is there, prune to the limits. 0 or -1. */
int	logstore_init(struct logstore *, const char *log_dir, uint64_t quota,
	    size_t max_groups);
/*
 * A new open group for `base`.  Makes room by pruning the oldest closed
 * group when the index is full; NULL when every group is open or pinned.
 */
struct ls_entry	*logstore_add(struct logstore *, const char *base);
/*
 * Account `n` more bytes to `e`, pruning old groups if the quota needs it.
 * Returns 1 when the bytes may be written, 0 when they must be dropped.
 */
int	logstore_charge(struct logstore *, struct ls_entry *, uint64_t n);
/* Give back bytes charged but not written. */
void	logstore_refund(struct logstore *, struct ls_entry *, uint64_t n);
/* Mark file `bit` of the group as present (for pruning). */
void	logstore_mark(struct ls_entry *, unsigned bit);
void	logstore_close(struct logstore *, struct ls_entry *);
/*
 * Groups for which keep(base) says 1 are never pruned either (the upload
 * spool's files, from start-up on: set it before logstore_init()).  It
 * is asked only when a group would be pruned.
 */
void	logstore_set_keep(int (*keep)(const char *base));
/* The group of `base`, or NULL (a linear search: start-up only). */
struct ls_entry	*logstore_find(struct logstore *, const char *base);

#endif /* LOGSTORE_H */
