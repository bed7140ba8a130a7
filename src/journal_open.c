/*
 * journal_open.c -- journal_open(): list, check and cut the segments
 * found at start-up, set a foreign journal aside, prune to the bounds.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "journal_int.h"
#include "log.h"
#include "timefmt.h"

static int	jr_name_seq(const char *, uint64_t *);
static int	jr_seg_cmp(const void *, const void *);
static int	jr_list(struct jr_seg **, size_t *);
static int	jr_headers(struct jr_seg *, size_t *);
static int	jr_set_aside(void);
static void	jr_verify(struct jr_seg *, int, uint64_t *);
static void	jr_resume(void);
static void	jr_remove_at_open(struct jr_seg *, const char *);

/* A segment's name is exactly %020llu.seg; 0 and its seq, or -1. */
static int
jr_name_seq(const char *name, uint64_t *seq)
{
	uint64_t	v = 0;
	int		i;

	if (strlen(name) != JR_NAMELEN || strcmp(name + 20, ".seg") != 0)
		return -1;
	for (i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(name[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	*seq = v;
	return 0;
}

static int
jr_seg_cmp(const void *a, const void *b)
{
	const struct jr_seg	*x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* Every *.seg of the directory, sorted by first seq (allocates). */
static int
jr_list(struct jr_seg **vp, size_t *np)
{
	DIR		*d;
	struct dirent	*de;
	struct jr_seg	*v = NULL, *nv;
	size_t		 n = 0, cap = 0;
	uint64_t	 seq;

	if ((d = opendir(jr_dir)) == NULL) {
		log_warn("journal: opendir %s", jr_dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (jr_name_seq(de->d_name, &seq) == -1)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				log_warn("journal: %s", __func__);
				free(v);
				closedir(d);
				return -1;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].first = seq;
		memcpy(v[n].name, de->d_name, JR_NAMELEN + 1);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), jr_seg_cmp);
	*vp = v;
	*np = n;
	return 0;
}

/* Unlink a segment inline (start-up) and say why. */
static void
jr_remove_at_open(struct jr_seg *s, const char *why)
{
	char	path[PATH_MAX];

	jr_path(path, sizeof(path), s->name);
	log_warnx("journal: removing %s: %s", s->name, why);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("journal: unlink %s", path);
}

/*
 * Size every segment and check its header.  Segments shorter than a
 * header hold nothing and are removed (only the last one can be left so
 * by a crash; an older one is counted corrupt).  Returns 1 when a header
 * is foreign and the journal must be set aside, 0, or -1.
 */
static int
jr_headers(struct jr_seg *v, size_t *np)
{
	unsigned char	h[JOURNAL_HDR];
	char		path[PATH_MAX];
	struct stat	st;
	size_t		i, j, n = *np;
	int		fd, bad;

	for (i = j = 0; i < n; i++) {
		jr_path(path, sizeof(path), v[i].name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
		    fstat(fd, &st) == -1) {
			log_warn("journal: %s", path);
			if (fd != -1)
				close(fd);
			return -1;
		}
		if (st.st_size < JOURNAL_HDR) {
			close(fd);
			if (i + 1 < n)
				jr_st.corrupt++;
			jr_remove_at_open(&v[i], "shorter than its header");
			continue;
		}
		bad = jr_pread(fd, h, sizeof(h), 0);
		close(fd);
		if (bad || memcmp(h, JOURNAL_MAGIC, 6) != 0 ||
		    (h[6] | h[7] << 8) != JOURNAL_VERSION ||
		    jr_get64(h + 8) != v[i].first || v[i].first == 0) {
			log_warnx("journal: %s: not a version %d segment of "
			    "this journal (magic, version or first seq)",
			    v[i].name, JOURNAL_VERSION);
			return 1;
		}
		v[i].size = v[i].end = (uint64_t)st.st_size;
		v[j++] = v[i];
	}
	*np = j;
	return 0;
}

/* Rename the whole directory out of the way and start an empty one. */
static int
jr_set_aside(void)
{
	long long	now = (long long)time(NULL);
	int		i, rc = -1;

	for (i = 0; i < 100 && rc == -1; i++) {
		if (i == 0)
			snprintf(jr_aside, sizeof(jr_aside),
			    "%s.set-aside-%lld", jr_dir, now);
		else
			snprintf(jr_aside, sizeof(jr_aside),
			    "%s.set-aside-%lld.%d", jr_dir, now, i);
		rc = rename(jr_dir, jr_aside);
		if (rc == -1 && errno != EEXIST && errno != ENOTEMPTY)
			break;
	}
	if (rc == -1 || mkdir(jr_dir, 0750) == -1) {
		log_warn("journal: set aside %s as %s", jr_dir, jr_aside);
		jr_aside[0] = '\0';
		return -1;
	}
	log_warnx("journal: %s holds segments of another format; set aside "
	    "as %s, starting an empty journal", jr_dir, jr_aside);
	return 0;
}

/*
 * Check every record of one segment.  The first bad one ends the
 * segment; in the last segment that is a torn append, cut off for good.
 */
static void
jr_verify(struct jr_seg *s, int last, uint64_t *prev)
{
	char		 path[PATH_MAX];
	const char	*why = "cannot open";
	uint64_t	 off = JOURNAL_HDR, seq;
	size_t		 len;
	int		 fd;

	jr_path(path, sizeof(path), s->name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		while (off < s->size) {
			if (jr_read_at(fd, off, s->size,
			    *prev > s->first - 1 ? *prev : s->first - 1,
			    jr_buf, &seq, &len, &why) == -1)
				break;
			if (s->lo == 0)
				s->lo = seq;
			s->hi = *prev = seq;
			s->payload += len;
			off += JOURNAL_RECHDR + len;
		}
		close(fd);
	}
	s->end = off;
	if (off >= s->size)
		return;
	if (!last) {
		jr_st.corrupt++;
		log_warnx("journal: %s: bad record at byte %llu (%s); the "
		    "rest of that segment is skipped", s->name,
		    (unsigned long long)off, why);
		return;
	}
	jr_st.torn++;
	log_warnx("journal: %s: torn record at byte %llu (%s); cut %llu "
	    "bytes", s->name, (unsigned long long)off, why,
	    (unsigned long long)(s->size - off));
	/* Left uncut, it is not appended to (jr_resume() tries again). */
	if (truncate(path, (off_t)off) == -1)
		log_warn("journal: truncate %s", path);
	else
		s->size = off;
}

/*
 * Go on appending in the last segment.  One holding no record is removed
 * (its name may be the next seq); an older one that becomes the last has
 * its damaged tail cut, so nothing is ever appended after bad bytes.
 */
static void
jr_resume(void)
{
	struct jr_seg	*s;
	char		 path[PATH_MAX];

	if (jr_nseg == 0)
		return;
	s = &jr_segs[jr_nseg - 1];
	if (s->lo == 0) {
		jr_remove_at_open(s, "holds no record");
		jr_total -= s->size;
		if (--jr_nseg == 0)
			return;
		s--;
	}
	jr_path(path, sizeof(path), s->name);
	if (s->end < s->size) {
		log_warnx("journal: %s: now the last segment, cut at byte %llu",
		    s->name, (unsigned long long)s->end);
		if (truncate(path, (off_t)s->end) == -1) {
			log_warn("journal: truncate %s", path);
			return;
		}
		jr_total -= s->size - s->end;
		s->size = s->end;
	}
	if (s->size >= jr_target)
		return;
	jr_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (jr_fd == -1)
		log_warn("journal: open %s", path);
}

int
journal_open(const char *dir, uint64_t max_bytes, size_t max_record)
{
	struct jr_seg	*v = NULL;
	size_t		 n = 0, i, len = strlen(dir);
	uint64_t	 prev = 0;
	int		 rc;

	if (jr_isopen)
		journal_close();
	if (jr_fsync_fn == NULL)
		journal_set_hooks(NULL, NULL, NULL);
	memset(&jr_st, 0, sizeof(jr_st));
	jr_aside[0] = '\0';
	jr_nseg = 0;
	jr_total = jr_last = 0;
	jr_dirty = jr_werr_said = 0;
	while (len > 1 && dir[len - 1] == '/')
		len--;
	jr_target = max_bytes / 8;
	if (jr_target < JOURNAL_HDR + JOURNAL_RECHDR + (uint64_t)max_record)
		jr_target = JOURNAL_HDR + JOURNAL_RECHDR + (uint64_t)max_record;
	if (len == 0 || len >= sizeof(jr_dir) ||
	    max_record == 0 || max_record > UINT32_MAX ||
	    max_bytes < jr_target) {
		log_warnx("journal: %s: bad directory or sizes (journal_bytes "
		    "%llu, record %zu)", dir, (unsigned long long)max_bytes,
		    max_record);
		return -1;
	}
	memcpy(jr_dir, dir, len);
	jr_dir[len] = '\0';
	jr_max_bytes = max_bytes;
	jr_max_record = max_record;
	if ((jr_buf = malloc(max_record)) == NULL) {
		log_warn("journal: %s", __func__);
		return -1;
	}
	if (mkdir(jr_dir, 0750) == -1 && errno != EEXIST) {
		log_warn("journal: mkdir %s", jr_dir);
		goto fail;
	}
	if (jr_list(&v, &n) == -1 || (rc = jr_headers(v, &n)) == -1)
		goto fail;
	if (rc == 1) {
		n = 0;
		if (jr_set_aside() == -1)
			goto fail;
	}
	/* Keep the newest segments within the bounds, last one always. */
	for (i = 0; i < n; i++)
		jr_total += v[i].size;
	for (i = 0; i + 1 < n && (n - i > JOURNAL_SEGS ||
	    jr_total > max_bytes); i++) {
		jr_remove_at_open(&v[i], "over the journal's bounds");
		jr_total -= v[i].size;
		jr_st.pruned_segments++;
	}
	if (n > i)
		memcpy(jr_segs, v + i, (n - i) * sizeof(*v));
	jr_nseg = n - i;
	free(v);
	v = NULL;
	for (i = 0; i < jr_nseg; i++) {
		jr_total -= jr_segs[i].size;
		jr_verify(&jr_segs[i], i + 1 == jr_nseg, &prev);
		jr_total += jr_segs[i].size;
	}
	jr_last = prev;
	jr_resume();
	/*
	 * A damaged segment left holding no record still has its name: new
	 * segments must sort after it, and seqs it may have held must not
	 * be issued again.
	 */
	if (jr_nseg > 0 && jr_segs[jr_nseg - 1].first > jr_last)
		jr_last = jr_segs[jr_nseg - 1].first;
	jr_last_sync = timefmt_mono_ms() - JOURNAL_SYNC_MS;
	jr_gen++;
	jr_isopen = 1;
	log_info("journal: %s: %zu segments, %llu bytes, seq %llu..%llu",
	    jr_dir, jr_nseg, (unsigned long long)jr_total,
	    (unsigned long long)journal_first_seq(),
	    (unsigned long long)jr_last);
	return 0;
fail:
	free(v);
	free(jr_buf);
	jr_buf = NULL;
	jr_nseg = 0;
	return -1;
}
