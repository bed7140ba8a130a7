/*
 * journal.c -- the append-only, bounded, checksummed event journal.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "journal.h"
#include "log.h"
#include "timefmt.h"

#define JR_NAMELEN	24	/* %020llu.seg */

/* One segment file, in the fixed array kept oldest first. */
struct jr_seg {
	uint64_t	first;		/* its name, equal to its header's */
	uint64_t	lo, hi;		/* first and last record seq; 0: none */
	uint64_t	size;		/* on disk: what the bound counts */
	uint64_t	end;		/* end of its last good record */
	uint64_t	payload;	/* payload bytes of its records */
	char		name[JR_NAMELEN + 1];
};

/*
 * jr_fd appends to the last segment (-1: the next append starts one);
 * reads go through one cached descriptor, jr_rfd on segment jr_rfd_seg.
 */
static struct jr_seg	 jr_segs[JOURNAL_SEGS];
static size_t		 jr_nseg;
static char		 jr_dir[PATH_MAX - 64];	/* leaves room for a name */
static int		 jr_isopen;
static int		 jr_fd = -1;
static int		 jr_rfd = -1;
static uint64_t		 jr_rfd_seg;
static uint64_t		 jr_max_bytes, jr_target, jr_total, jr_last;
static size_t		 jr_max_record;
static unsigned char	*jr_buf;	/* max_record bytes, open to close */
static uint64_t		 jr_gen;	/* bumped by each open, for cursors */
static int		 jr_dirty;	/* appended since the last fsync */
static int		 jr_werr_said;	/* a write error was logged */
static int64_t		 jr_last_sync;
static struct journal_stats jr_st;
static char		 jr_aside[PATH_MAX];

static void	(*jr_fsync_fn)(int);
static void	(*jr_close_fn)(int);
static void	(*jr_unlink_fn)(const char *);

static void	jr_put32(unsigned char *, uint32_t);
static void	jr_put64(unsigned char *, uint64_t);
static uint32_t	jr_get32(const unsigned char *);
static uint64_t	jr_get64(const unsigned char *);
static void	jr_check(const unsigned char *, const void *, size_t,
		    const void *, size_t, unsigned char *);
static void	jr_path(char *, size_t, const char *);
static int	jr_pread(int, void *, size_t, uint64_t);
static int	jr_read_at(int, uint64_t, uint64_t, uint64_t, unsigned char *,
		    uint64_t *, size_t *, const char **);
static int	jr_read(size_t, uint64_t, unsigned char *, uint64_t *,
		    size_t *);
static int	jr_name_seq(const char *, uint64_t *);
static int	jr_seg_cmp(const void *, const void *);
static int	jr_list(struct jr_seg **, size_t *);
static int	jr_headers(struct jr_seg *, size_t *);
static int	jr_set_aside(void);
static void	jr_verify(struct jr_seg *, int, uint64_t *);
static void	jr_resume(void);
static void	jr_remove_at_open(struct jr_seg *, const char *);
static void	jr_prune_oldest(void);
static void	jr_finish(void);
static int	jr_start(uint64_t);
static int	jr_write_error(const char *, ssize_t, uint64_t);
static size_t	jr_cursor_place(struct journal_cursor *);
static void	jr_default_fsync(int);
static void	jr_default_close(int);
static void	jr_default_unlink(const char *);

static void
jr_put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static void
jr_put64(unsigned char *p, uint64_t v)
{
	jr_put32(p, (uint32_t)v);
	jr_put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
jr_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
jr_get64(const unsigned char *p)
{
	return (uint64_t)jr_get32(p) | (uint64_t)jr_get32(p + 4) << 32;
}

/* The 8 check bytes of a record: SHA-256 of its first 16 bytes + payload. */
static void
jr_check(const unsigned char *hdr, const void *p1, size_t n1, const void *p2,
    size_t n2, unsigned char *out)
{
	br_sha256_context	ctx;
	unsigned char		d[32];

	br_sha256_init(&ctx);
	br_sha256_update(&ctx, hdr, 16);
	if (n1 > 0)
		br_sha256_update(&ctx, p1, n1);
	if (n2 > 0)
		br_sha256_update(&ctx, p2, n2);
	br_sha256_out(&ctx, d);
	memcpy(out, d, 8);
}

static void
jr_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", jr_dir, name);
}

static void
jr_default_fsync(int fd)
{
	if (fsync(fd) == -1)
		log_warn("%s: fsync", __func__);
}

static void
jr_default_close(int fd)
{
	/* A directory may refuse fsync (EINVAL on some systems): harmless. */
	if (fsync(fd) == -1 && errno != EINVAL)
		log_warn("%s: fsync", __func__);
	close(fd);
}

static void
jr_default_unlink(const char *path)
{
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("%s: unlink %s", __func__, path);
}

void
journal_set_hooks(void (*fsync_fd)(int), void (*close_fd)(int),
    void (*unlink_path)(const char *))
{
	jr_fsync_fn = fsync_fd != NULL ? fsync_fd : jr_default_fsync;
	jr_close_fn = close_fd != NULL ? close_fd : jr_default_close;
	jr_unlink_fn = unlink_path != NULL ? unlink_path : jr_default_unlink;
}

/* 0 when all n bytes were read, -1 on an error or end of file. */
static int
jr_pread(int fd, void *buf, size_t n, uint64_t off)
{
	unsigned char	*p = buf;
	ssize_t		 r;

	while (n > 0) {
		r = pread(fd, p, n, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/*
 * Read and check the record at `off` of an open segment whose good bytes
 * end at `limit`; its seq must be above `after`.  With buf NULL only the
 * header is read and bounded (the check needs the payload).  0, or -1
 * with *why set.
 */
static int
jr_read_at(int fd, uint64_t off, uint64_t limit, uint64_t after,
    unsigned char *buf, uint64_t *seq, size_t *len, const char **why)
{
	unsigned char	h[JOURNAL_RECHDR], c[8];
	uint32_t	l;

	*why = "incomplete header";
	if (limit - off < JOURNAL_RECHDR || jr_pread(fd, h, sizeof(h), off))
		return -1;
	l = jr_get32(h);
	*seq = jr_get64(h + 8);
	*len = l;
	*why = "bad length";
	if (l > jr_max_record || jr_get32(h + 4) != 0)
		return -1;
	*why = "incomplete payload";
	if (limit - off - JOURNAL_RECHDR < l)
		return -1;
	*why = "seq out of order";
	if (*seq <= after)
		return -1;
	if (buf == NULL)
		return 0;
	*why = "read error";
	if (jr_pread(fd, buf, l, off + JOURNAL_RECHDR))
		return -1;
	*why = "check bytes differ";
	jr_check(h, buf, l, NULL, 0, c);
	if (memcmp(c, h + 16, sizeof(c)) != 0)
		return -1;
	return 0;
}

/* jr_read_at() on segment i through the cached read fd; logs failures. */
static int
jr_read(size_t i, uint64_t off, unsigned char *buf, uint64_t *seq,
    size_t *len)
{
	struct jr_seg	*s = &jr_segs[i];
	char		 path[PATH_MAX];
	const char	*why;

	if (jr_rfd == -1 || jr_rfd_seg != s->first) {
		if (jr_rfd != -1)
			close(jr_rfd);
		jr_path(path, sizeof(path), s->name);
		if ((jr_rfd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			log_warn("journal: open %s", path);
			return -1;
		}
		jr_rfd_seg = s->first;
	}
	if (jr_read_at(jr_rfd, off, s->end, 0, buf, seq, len, &why) == -1) {
		log_warnx("journal: %s: byte %llu: %s", s->name,
		    (unsigned long long)off, why);
		return -1;
	}
	return 0;
}

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

void
journal_close(void)
{
	if (jr_fd != -1) {
		if (jr_dirty && fsync(jr_fd) == -1)
			log_warn("journal: fsync");
		close(jr_fd);
		jr_fd = -1;
	}
	if (jr_rfd != -1)
		close(jr_rfd);
	jr_rfd = -1;
	free(jr_buf);
	jr_buf = NULL;
	jr_dirty = 0;
	jr_nseg = 0;
	jr_isopen = 0;
}

/* Prune the oldest segment through the unlink hook. */
static void
jr_prune_oldest(void)
{
	char	path[PATH_MAX];

	if (jr_rfd != -1 && jr_rfd_seg == jr_segs[0].first) {
		close(jr_rfd);
		jr_rfd = -1;
	}
	jr_path(path, sizeof(path), jr_segs[0].name);
	jr_unlink_fn(path);
	jr_total -= jr_segs[0].size;
	jr_st.pruned_segments++;
	jr_nseg--;
	memmove(jr_segs, jr_segs + 1, jr_nseg * sizeof(jr_segs[0]));
}

/* End the active segment: the close hook syncs and closes it. */
static void
jr_finish(void)
{
	if (jr_fd == -1)
		return;
	jr_close_fn(jr_fd);
	jr_fd = -1;
	jr_dirty = 0;
}

/* Create the segment whose first record is `seq` and make it active. */
static int
jr_start(uint64_t seq)
{
	unsigned char	 h[JOURNAL_HDR];
	char		 path[PATH_MAX];
	struct jr_seg	*s;
	ssize_t		 w;
	int		 dfd;

	if (jr_nseg == JOURNAL_SEGS)
		jr_prune_oldest();
	s = &jr_segs[jr_nseg];
	memset(s, 0, sizeof(*s));
	s->first = seq;
	snprintf(s->name, sizeof(s->name), "%020llu.seg",
	    (unsigned long long)seq);
	jr_path(path, sizeof(path), s->name);
	jr_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
	    0640);
	if (jr_fd == -1)
		return jr_write_error(path, -1, 0);
	memcpy(h, JOURNAL_MAGIC, 6);
	h[6] = JOURNAL_VERSION & 0xff;
	h[7] = JOURNAL_VERSION >> 8;
	jr_put64(h + 8, seq);
	if ((w = write(jr_fd, h, sizeof(h))) != (ssize_t)sizeof(h)) {
		jr_write_error(path, w, sizeof(h));
		close(jr_fd);
		jr_fd = -1;
		jr_unlink_fn(path);
		return -1;
	}
	s->size = s->end = JOURNAL_HDR;
	jr_total += JOURNAL_HDR;
	jr_nseg++;
	/* The new name is durable once the directory is. */
	if ((dfd = open(jr_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		jr_close_fn(dfd);
	return 0;
}

/* Count a failed write, say it once until writes work again; -1. */
static int
jr_write_error(const char *what, ssize_t w, uint64_t want)
{
	jr_st.write_errors++;
	if (!jr_werr_said) {
		if (w >= 0)
			log_warnx("journal: %s: short write (%zd of %llu "
			    "bytes), record dropped", what, w,
			    (unsigned long long)want);
		else
			log_warn("journal: %s: record dropped", what);
		jr_werr_said = 1;
	}
	return -1;
}

int
journal_append(uint64_t seq, const char *p1, size_t n1, const char *p2,
    size_t n2)
{
	unsigned char	 h[JOURNAL_RECHDR];
	struct iovec	 iov[3];
	struct jr_seg	*s;
	uint64_t	 rec;
	ssize_t		 w;
	int		 n = 0, err;

	if (!jr_isopen)
		return -1;
	if (n1 > jr_max_record || n2 > jr_max_record - n1 || seq <= jr_last) {
		log_warnx("journal: %s: record %llu refused (%zu bytes, last "
		    "seq %llu)", __func__, (unsigned long long)seq, n1 + n2,
		    (unsigned long long)jr_last);
		return -1;
	}
	rec = JOURNAL_RECHDR + n1 + n2;
	if (jr_fd != -1 && jr_segs[jr_nseg - 1].size + rec > jr_target)
		jr_finish();
	if (jr_fd == -1 && jr_start(seq) == -1)
		return -1;
	while (jr_nseg > 1 && jr_total + rec > jr_max_bytes)
		jr_prune_oldest();
	s = &jr_segs[jr_nseg - 1];

	jr_put32(h, (uint32_t)(n1 + n2));
	jr_put32(h + 4, 0);
	jr_put64(h + 8, seq);
	jr_check(h, p1, n1, p2, n2, h + 16);
	iov[n].iov_base = h;
	iov[n++].iov_len = sizeof(h);
	if (n1 > 0) {
		iov[n].iov_base = (void *)(uintptr_t)p1;
		iov[n++].iov_len = n1;
	}
	if (n2 > 0) {
		iov[n].iov_base = (void *)(uintptr_t)p2;
		iov[n++].iov_len = n2;
	}
	w = writev(jr_fd, iov, n);
	if (w != (ssize_t)rec) {
		err = errno;
		if (w > 0 && ftruncate(jr_fd, (off_t)s->size) == -1) {
			/* Garbage would sit under the next record: roll. */
			log_warn("journal: %s: cannot cut back", s->name);
			jr_finish();
		}
		errno = err;
		return jr_write_error(s->name, w, rec);
	}
	s->size += rec;
	s->end = s->size;
	s->payload += n1 + n2;
	if (s->lo == 0)
		s->lo = seq;
	s->hi = jr_last = seq;
	jr_total += rec;
	jr_st.appended++;
	jr_dirty = 1;
	if (jr_werr_said) {
		log_info("journal: appends work again (%llu failed so far)",
		    (unsigned long long)jr_st.write_errors);
		jr_werr_said = 0;
	}
	return 0;
}

void
journal_sync(int now)
{
	int64_t	t;

	if (jr_fd == -1 || !jr_dirty)
		return;
	t = timefmt_mono_ms();
	if (!now && t - jr_last_sync < JOURNAL_SYNC_MS)
		return;
	jr_fsync_fn(jr_fd);
	jr_last_sync = t;
	jr_dirty = 0;
}

void
journal_tick(void)
{
	if (jr_dirty)
		journal_sync(0);
}

int
journal_replay(uint64_t want, void (*fn)(uint64_t, const char *, size_t,
    void *), void *arg)
{
	uint64_t	sum = 0, need, rem, off = JOURNAL_HDR, seq;
	size_t		i, len;
	int		count = 0;

	if (!jr_isopen || jr_nseg == 0)
		return jr_isopen ? 0 : -1;
	for (i = jr_nseg; i > 0 && (want == 0 || sum < want); )
		sum += jr_segs[--i].payload;
	/* Skip the oldest records of segment i that are not needed. */
	rem = jr_segs[i].payload;
	need = want - (sum - rem);
	while (want != 0 && sum > want && off < jr_segs[i].end) {
		if (jr_read(i, off, NULL, &seq, &len) == -1)
			return -1;
		if (rem - len < need)
			break;
		rem -= len;
		off += JOURNAL_RECHDR + len;
	}
	for (; i < jr_nseg; i++, off = JOURNAL_HDR) {
		for (; off < jr_segs[i].end; off += JOURNAL_RECHDR + len) {
			if (jr_read(i, off, jr_buf, &seq, &len) == -1)
				return -1;
			fn(seq, (const char *)jr_buf, len, arg);
			count++;
		}
	}
	return count;
}

void
journal_cursor_init(struct journal_cursor *c, uint64_t seq)
{
	memset(c, 0, sizeof(*c));
	c->seq = seq;
}

/*
 * Put a cursor before the first record with seq >= c->seq, or at the end;
 * that costs a header walk of one segment, once.  Returns its index.
 */
static size_t
jr_cursor_place(struct journal_cursor *c)
{
	uint64_t	seq;
	size_t		i, len;

	for (i = 0; i < jr_nseg; i++)
		if (jr_segs[i].hi != 0 && jr_segs[i].hi >= c->seq)
			break;
	c->gen = jr_gen;
	if (i == jr_nseg) {
		c->idx = jr_nseg - 1;
		c->seg = jr_segs[c->idx].first;
		c->off = jr_segs[c->idx].end;
		return c->idx;
	}
	c->idx = i;
	c->seg = jr_segs[i].first;
	c->off = JOURNAL_HDR;
	while (c->off < jr_segs[i].end &&
	    jr_read(i, c->off, NULL, &seq, &len) == 0 && seq < c->seq)
		c->off += JOURNAL_RECHDR + len;
	return i;
}

int
journal_cursor_next(struct journal_cursor *c, char *buf, size_t cap,
    uint64_t *seq, size_t *len)
{
	size_t	i;

	if (!jr_isopen || jr_nseg == 0)
		return 0;
	if (cap < jr_max_record) {
		log_warnx("journal: %s: buffer of %zu bytes is short", __func__,
		    cap);
		return -1;
	}
	i = c->idx;
	if (c->gen != jr_gen)
		i = jr_cursor_place(c);
	else if (i >= jr_nseg || jr_segs[i].first != c->seg) {
		for (i = 0; i < jr_nseg && jr_segs[i].first != c->seg; i++)
			;
		if (i == jr_nseg)	/* pruned under it */
			i = jr_cursor_place(c);
	}
	for (;;) {
		if (c->off >= jr_segs[i].end) {
			if (i + 1 == jr_nseg) {
				c->idx = i;
				return 0;
			}
			i++;
			c->seg = jr_segs[i].first;
			c->off = JOURNAL_HDR;
			continue;
		}
		if (jr_read(i, c->off, (unsigned char *)buf, seq, len) == -1)
			return -1;
		c->off += JOURNAL_RECHDR + *len;
		if (*seq >= c->seq)
			break;
	}
	c->idx = i;
	c->seq = *seq + 1;
	return 1;
}

uint64_t
journal_first_seq(void)
{
	size_t	i;

	for (i = 0; i < jr_nseg; i++)
		if (jr_segs[i].lo != 0)
			return jr_segs[i].lo;
	return 0;
}

uint64_t
journal_last_seq(void)
{
	return jr_last;
}

void
journal_stats(struct journal_stats *st)
{
	*st = jr_st;
	st->open = jr_isopen;
	st->segments = jr_nseg;
	st->bytes = jr_total;
	st->first_seq = journal_first_seq();
	st->last_seq = jr_last;
	st->set_aside_path = jr_aside;
}
