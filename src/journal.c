/*
 * journal.c -- the append-only, bounded, checksummed event journal: append,
 * sync, replay, cursors and stats.  journal_open() is in journal_open.c.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "journal.h"
#include "journal_int.h"
#include "log.h"
#include "timefmt.h"

/*
 * The state journal_int.h describes.  Reads go through one cached
 * descriptor, jr_rfd on segment jr_rfd_seg.
 */
struct jr_seg		 jr_segs[JOURNAL_SEGS];
size_t			 jr_nseg;
char			 jr_dir[PATH_MAX - 64];
int			 jr_isopen;
int			 jr_fd = -1;
static int		 jr_rfd = -1;
static uint64_t		 jr_rfd_seg;
uint64_t		 jr_max_bytes, jr_target, jr_total, jr_last;
size_t			 jr_max_record;
unsigned char		*jr_buf;
uint64_t		 jr_gen;
int			 jr_dirty;
int			 jr_werr_said;
int64_t			 jr_last_sync;
struct journal_stats	 jr_st;
char			 jr_aside[PATH_MAX];

void			(*jr_fsync_fn)(int);
static void		(*jr_close_fn)(int);
static void		(*jr_unlink_fn)(const char *);

static void	jr_put32(unsigned char *, uint32_t);
static void	jr_put64(unsigned char *, uint64_t);
static void	jr_check(const unsigned char *, const void *, size_t,
		    const void *, size_t, unsigned char *);
static int	jr_read(size_t, uint64_t, unsigned char *, uint64_t *,
		    size_t *);
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

void
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
int
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
int
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
