/*
 * test_logfile.c -- per-run log files (src/logfile.h), the store that
 * indexes and prunes them (src/logstore.h), and the SHA-256 that names
 * their contents in reports (src/digest.h, known answers only).
 *
 * Everything happens under one mkdtemp directory, removed at the end.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "digest.h"
#include "log.h"
#include "logfile.h"
#include "logstore.h"

#define T0	1700000000123456LL	/* 2023-11-14 22:13:20.123456 UTC */

static char	tmpdir[] = "/tmp/test_logfile.XXXXXX";

static void	pathf(char *, size_t, const char *, ...) LOG_PRINTF(3, 4);
static void	path_in(char *, size_t, const char *);
static int	exists(const char *);
static long	file_size(const char *);
static int	mode_is(const char *, mode_t);
static int	content_is(const char *, const void *, size_t);
static void	make_file(const char *, size_t);
static int	rm_one(const char *, const struct stat *, int, struct FTW *);
static void	rm_rf(const char *);
static void	store_free(struct logstore *);
static int	order_is_oldest_first(const struct logstore *);
static struct ls_entry *find_entry(struct logstore *, const char *);
static void	test_digest(void);
static void	test_base(void);
static void	test_open(void);
static void	test_cap(void);
static void	test_write_error(void);
static void	test_quota(void);
static void	test_full_pool(void);
static void	test_reindex(void);

/* snprintf for test paths: one that does not fit is a broken test. */
static void
pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "test path too long: %s\n", fmt);
		exit(2);
	}
}

static void
path_in(char *out, size_t len, const char *rel)
{
	pathf(out, len, "%s/%s", tmpdir, rel);
}

static int
exists(const char *path)
{
	struct stat	st;

	return lstat(path, &st) == 0;
}

static long
file_size(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int
mode_is(const char *path, mode_t mode)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return 0;
	if ((st.st_mode & 07777) != mode)
		fprintf(stderr, "%s: mode %04o, want %04o\n", path,
		    (unsigned)(st.st_mode & 07777), (unsigned)mode);
	return (st.st_mode & 07777) == mode;
}

static int
content_is(const char *path, const void *want, size_t n)
{
	char	buf[4096];
	ssize_t	r;
	int	fd, ok;

	if (n > sizeof(buf) || (fd = open(path, O_RDONLY)) == -1)
		return 0;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	ok = r == (ssize_t)n && memcmp(buf, want, n) == 0;
	if (!ok)
		fprintf(stderr, "%s: holds [%.*s], want [%.*s]\n", path,
		    (int)(r > 0 ? r : 0), buf, (int)n, (const char *)want);
	return ok;
}

/* A file of `n` bytes, as a previous crashtrail would have left it. */
static void
make_file(const char *path, size_t n)
{
	char	buf[256];
	int	fd;

	memset(buf, 'x', sizeof(buf));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) == -1) {
		perror(path);
		exit(2);
	}
	while (n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		if (write(fd, buf, k) != (ssize_t)k) {
			perror(path);
			exit(2);
		}
		n -= k;
	}
	close(fd);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) == -1)
		perror(path);
	return 0;
}

static void
rm_rf(const char *dir)
{
	if (exists(dir))
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* logstore has no destructor: the daemon keeps it for its lifetime. */
static void
store_free(struct logstore *ls)
{
	free(ls->pool);
	free(ls->order);
	free(ls->freelist);
	memset(ls, 0, sizeof(*ls));
}

/* The index lists groups oldest first: by their file-name stamps. */
static int
order_is_oldest_first(const struct logstore *ls)
{
	const char	*prev = "", *ts;
	size_t		 i;

	for (i = 0; i < ls->n; i++) {
		ts = strrchr(ls->pool[ls->order[i]].base, '/');
		ts = ts ? ts + 1 : ls->pool[ls->order[i]].base;
		if (strcmp(prev, ts) > 0) {
			fprintf(stderr, "order: %s listed after %s\n", ts,
			    prev);
			return 0;
		}
		prev = ts;
	}
	return 1;
}

static struct ls_entry *
find_entry(struct logstore *ls, const char *base)
{
	size_t	i;

	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->pool[ls->order[i]].base, base) == 0)
			return &ls->pool[ls->order[i]];
	return NULL;
}

static void
test_digest(void)
{
	char	hex[65], *a;

	digest_buf("abc", 3, hex);
	CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad") == 0);
	digest_buf("", 0, hex);
	CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855") == 0);
	/* Two blocks of padding (FIPS 180-2, example 2). */
	digest_buf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, hex);
	CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1") == 0);
	/* A million 'a's (example 3): more than one DIGEST_CHUNK. */
	if ((a = malloc(1000000)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(a, 'a', 1000000);
	digest_buf(a, 1000000, hex);
	CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0") == 0);
	free(a);
	CHECK(strlen(hex) == 64);
}

static void
test_base(void)
{
	char	root[PATH_MAX], out[PATH_MAX], want[PATH_MAX], p[PATH_MAX];
	char	*longroot;

	path_in(root, sizeof(root), "base");
	CHECK(mkdir(root, 0700) == 0);

	CHECK(logfile_base(out, sizeof(out), root, "inst", "web", T0) == 0);
	pathf(want, sizeof(want), "%s/inst/web/2023-11-14_22-13-20_123456Z",
	    root);
	CHECK(strcmp(out, want) == 0);
	pathf(p, sizeof(p), "%s/inst", root);
	CHECK(mode_is(p, 0750));
	pathf(p, sizeof(p), "%s/inst/web", root);
	CHECK(mode_is(p, 0750));
	/* Only the directories: the base itself is no file yet. */
	CHECK(!exists(out));

	/* Again, with the directories there: fine, same stamp rules. */
	CHECK(logfile_base(out, sizeof(out), root, "inst", "web",
	    1700000000000001LL) == 0);
	pathf(want, sizeof(want), "%s/inst/web/2023-11-14_22-13-20_000001Z",
	    root);
	CHECK(strcmp(out, want) == 0);
	CHECK(logfile_base(out, sizeof(out), root, "inst", "db", 0) == 0);
	pathf(want, sizeof(want), "%s/inst/db/1970-01-01_00-00-00_000000Z",
	    root);
	CHECK(strcmp(out, want) == 0);
	/* Leap day, end of a second. */
	CHECK(logfile_base(out, sizeof(out), root, "inst", "db",
	    1709251199999999LL) == 0);
	pathf(want, sizeof(want), "%s/inst/db/2024-02-29_23-59-59_999999Z",
	    root);
	CHECK(strcmp(out, want) == 0);

	/* The root itself is not made: its absence is an error. */
	pathf(p, sizeof(p), "%s/nonexistent", root);
	CHECK(logfile_base(out, sizeof(out), p, "inst", "web", T0) == -1);
	CHECK(!exists(p));

	/* Too long for the buffer: refused, the run directory not made. */
	CHECK(logfile_base(out, strlen(root) + 10, root, "inst2", "web", T0)
	    == -1);
	pathf(p, sizeof(p), "%s/inst2/web", root);
	CHECK(!exists(p));
	CHECK(logfile_base(out, strlen(root) + 16, root, "inst3", "web", T0)
	    == -1);
	if ((longroot = malloc(PATH_MAX + 8)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(longroot, 'a', PATH_MAX + 7);
	longroot[0] = '/';
	longroot[PATH_MAX + 7] = '\0';
	CHECK(logfile_base(out, sizeof(out), longroot, "i", "r", T0) == -1);
	free(longroot);
}

static void
test_open(void)
{
	struct logfile	lf, lf2;
	char		root[PATH_MAX], base[PATH_MAX], p[PATH_MAX + 16];

	path_in(root, sizeof(root), "open");
	CHECK(mkdir(root, 0700) == 0);
	CHECK(logfile_base(base, sizeof(base), root, "i", "r", T0) == 0);

	CHECK(logfile_open(&lf, base, LS_STDERR, 0, NULL, NULL) == 0);
	CHECK(lf.fd != -1 && lf.size == 0 && lf.dropped == 0 &&
	    !lf.stopped);
	pathf(p, sizeof(p), "%s.stderr.log", base);
	CHECK(strcmp(lf.path, p) == 0);
	CHECK(exists(p));
	CHECK(mode_is(p, 0640));
	logfile_write(&lf, "first\n", 6);
	CHECK(lf.size == 6 && lf.dropped == 0);

	/* Exclusive: the same file again fails and stays closed. */
	CHECK(logfile_open(&lf2, base, LS_STDERR, 0, NULL, NULL) == -1);
	CHECK(lf2.fd == -1);
	logfile_write(&lf2, "lost", 4);
	CHECK(lf2.dropped == 4 && lf2.size == 0);
	logfile_close(&lf2);
	CHECK(lf2.fd == -1);
	/* ... and did not touch the first one's data. */
	logfile_close(&lf);
	CHECK(lf.fd == -1);
	CHECK(lf.fd == -1);
	logfile_close(&lf);
	CHECK(lf.fd == -1);
	CHECK(content_is(p, "first\n", 6));
	/* Closed: more bytes are not written anywhere. */
	logfile_write(&lf, "late", 4);
	CHECK(lf.dropped == 4);
	CHECK(content_is(p, "first\n", 6));

	/* Each stream has its own suffix next to the same base. */
	CHECK(logfile_open(&lf, base, LS_STDOUT, 0, NULL, NULL) == 0);
	pathf(p, sizeof(p), "%s.stdout.log", base);
	CHECK(strcmp(lf.path, p) == 0 && mode_is(p, 0640));
	logfile_close(&lf);
	CHECK(lf.fd == -1);
	CHECK(strcmp(logstore_suffix(LS_STDERR), ".stderr.log") == 0);
	CHECK(strcmp(logstore_suffix(LS_STDOUT), ".stdout.log") == 0);
	CHECK(strcmp(logstore_suffix(LS_REPORT), ".death.json") == 0);
	CHECK(strcmp(logstore_suffix(0), "") == 0);
	CHECK(strcmp(logstore_suffix(LS_STDERR | LS_STDOUT), "") == 0);

	/* In a directory that is not there: -1, and writes are dropped. */
	pathf(p, sizeof(p), "%s/missing/base", root);
	CHECK(logfile_open(&lf, p, LS_STDERR, 0, NULL, NULL) == -1);
	CHECK(lf.fd == -1 && lf.stopped);
	logfile_write(&lf, "abc", 3);
	CHECK(lf.dropped == 3);
}

/* The per-file cap stores an exact prefix and counts the rest. */
static void
test_cap(void)
{
	struct logfile	lf;
	char		root[PATH_MAX], base[PATH_MAX], big[100000];

	path_in(root, sizeof(root), "cap");
	CHECK(mkdir(root, 0700) == 0);

	CHECK(logfile_base(base, sizeof(base), root, "i", "r", T0) == 0);
	CHECK(logfile_open(&lf, base, LS_STDERR, 10, NULL, NULL) == 0);
	logfile_write(&lf, "hello", 5);
	CHECK(lf.size == 5 && lf.dropped == 0 && !lf.stopped);
	logfile_write(&lf, "world!!", 7);
	CHECK(lf.size == 10 && lf.dropped == 2 && lf.stopped);
	CHECK(lf.why != NULL && strstr(lf.why, "log_max_bytes") != NULL);
	CHECK(lf.err == 0);
	logfile_write(&lf, "x", 1);
	CHECK(lf.size == 10 && lf.dropped == 3);
	logfile_close(&lf);
	CHECK(lf.fd == -1);
	CHECK(content_is(lf.path, "helloworld", 10));

	/* Exactly the cap: all stored, not yet stopped. */
	CHECK(logfile_base(base, sizeof(base), root, "i", "r", T0 + 1) == 0);
	CHECK(logfile_open(&lf, base, LS_STDERR, 10, NULL, NULL) == 0);
	logfile_write(&lf, "0123456789", 10);
	CHECK(lf.size == 10 && lf.dropped == 0 && !lf.stopped);
	logfile_write(&lf, "", 0);
	CHECK(lf.size == 10 && lf.dropped == 0);
	logfile_write(&lf, "A", 1);
	CHECK(lf.size == 10 && lf.dropped == 1 && lf.stopped);
	logfile_close(&lf);
	CHECK(lf.fd == -1);
	CHECK(content_is(lf.path, "0123456789", 10));

	/* One write much bigger than the cap. */
	memset(big, 'b', sizeof(big));
	big[0] = 'B';
	CHECK(logfile_base(base, sizeof(base), root, "i", "r", T0 + 2) == 0);
	CHECK(logfile_open(&lf, base, LS_STDERR, 3, NULL, NULL) == 0);
	logfile_write(&lf, big, sizeof(big));
	CHECK(lf.size == 3 && lf.dropped == sizeof(big) - 3);
	logfile_close(&lf);
	CHECK(lf.fd == -1);
	CHECK(content_is(lf.path, "Bbb", 3));

	/* No cap: everything. */
	CHECK(logfile_base(base, sizeof(base), root, "i", "r", T0 + 3) == 0);
	CHECK(logfile_open(&lf, base, LS_STDERR, 0, NULL, NULL) == 0);
	logfile_write(&lf, big, sizeof(big));
	logfile_write(&lf, big, sizeof(big));
	CHECK(lf.size == 2 * sizeof(big) && lf.dropped == 0 && !lf.stopped);
	logfile_close(&lf);
	CHECK(lf.fd == -1);
	CHECK(file_size(lf.path) == 2 * (long)sizeof(big));
}

/*
 * A failing write (ENOSPC, via /dev/full where there is one): the bytes
 * are counted as dropped, the quota gets them back, the file is left as
 * it was.
 */
static void
test_write_error(void)
{
	struct logstore	 ls;
	struct logfile	 lf;
	struct ls_entry	*e;
	char		 dir[PATH_MAX], base[PATH_MAX];
	int		 full;

	if ((full = open("/dev/full", O_WRONLY)) == -1) {
		CHECK_SKIP("no /dev/full here: the write-error path is not "
		    "checked");
		return;
	}
	path_in(dir, sizeof(dir), "werr");
	CHECK(logstore_init(&ls, dir, 1000, 8) == 0);
	CHECK(logfile_base(base, sizeof(base), ls.root, "i", "r", T0) == 0);
	CHECK((e = logstore_add(&ls, base)) != NULL);
	CHECK(logfile_open(&lf, base, LS_STDERR, 0, &ls, e) == 0);
	logfile_write(&lf, "kept", 4);
	CHECK(lf.size == 4 && e->bytes == 4 && ls.total == 4);
	/* From now on every write fails with ENOSPC. */
	CHECK(dup2(full, lf.fd) == lf.fd);
	close(full);
	logfile_write(&lf, "0123456789", 10);
	CHECK(lf.size == 4 && lf.dropped == 10 && lf.stopped);
	CHECK(lf.err == ENOSPC);
	CHECK(lf.why != NULL && strstr(lf.why, "write") != NULL);
	CHECK(e->bytes == 4 && ls.total == 4);
	logfile_write(&lf, "more", 4);
	CHECK(lf.dropped == 14 && e->bytes == 4 && ls.total == 4);
	(void)logfile_close(&lf);
	CHECK(file_size(lf.path) == 4);
	store_free(&ls);
}

/* Writes charge the quota; the oldest closed, unpinned run goes first. */
static void
test_quota(void)
{
	struct logstore	 ls;
	struct logfile	 a, b, c, d, aout;
	struct ls_entry	*ea, *eb, *ec, *ed;
	char		 dir[PATH_MAX], base[4][PATH_MAX], p[PATH_MAX + 16];
	char		 buf[100];

	memset(buf, 'q', sizeof(buf));
	path_in(dir, sizeof(dir), "quota");
	CHECK(logstore_init(&ls, dir, 100, 8) == 0);
	pathf(p, sizeof(p), "%s/runner_log", dir);
	CHECK(strcmp(ls.root, p) == 0);
	CHECK(mode_is(dir, 0750) && mode_is(ls.root, 0750));
	CHECK(ls.n == 0 && ls.total == 0 && ls.quota == 100);

	/* A: 60 bytes over two files and a report, closed. */
	CHECK(logfile_base(base[0], PATH_MAX, ls.root, "i", "r", T0) == 0);
	CHECK((ea = logstore_add(&ls, base[0])) != NULL);
	CHECK(ea->open == 1 && ea->pinned == 0 && ea->bytes == 0);
	CHECK(logfile_open(&a, base[0], LS_STDERR, 0, &ls, ea) == 0);
	CHECK(logfile_open(&aout, base[0], LS_STDOUT, 0, &ls, ea) == 0);
	CHECK(ea->files == (LS_STDERR | LS_STDOUT));
	logfile_write(&a, buf, 50);
	logfile_write(&aout, buf, 10);
	logfile_close(&a);
	logfile_close(&aout);
	CHECK(a.fd == -1 && aout.fd == -1);
	pathf(p, sizeof(p), "%s.death.json", base[0]);
	make_file(p, 0);
	logstore_mark(ea, LS_REPORT);
	logstore_close(&ls, ea);
	CHECK(ea->open == 0);
	CHECK(ls.total == 60 && ea->bytes == 60);

	/* B: 30 bytes, closed. */
	CHECK(logfile_base(base[1], PATH_MAX, ls.root, "i", "r", T0 + 1) == 0);
	CHECK((eb = logstore_add(&ls, base[1])) != NULL);
	CHECK(logfile_open(&b, base[1], LS_STDERR, 0, &ls, eb) == 0);
	logfile_write(&b, buf, 30);
	logfile_close(&b);
	CHECK(b.fd == -1);
	logstore_close(&ls, eb);
	CHECK(ls.total == 90 && ls.n == 2);

	/* C, open: 20 bytes need room; A (oldest) goes, B stays. */
	CHECK(logfile_base(base[2], PATH_MAX, ls.root, "i", "r", T0 + 2) == 0);
	CHECK((ec = logstore_add(&ls, base[2])) != NULL);
	CHECK(logfile_open(&c, base[2], LS_STDERR, 0, &ls, ec) == 0);
	logfile_write(&c, buf, 20);
	CHECK(c.size == 20 && c.dropped == 0 && !c.stopped);
	CHECK(ls.total == 50 && ls.n == 2);
	CHECK(ls.pruned_groups == 1 && ls.pruned_bytes == 60);
	CHECK(!exists(a.path) && !exists(aout.path));
	pathf(p, sizeof(p), "%s.death.json", base[0]);
	CHECK(!exists(p));
	CHECK(exists(b.path) && file_size(b.path) == 30);
	CHECK(find_entry(&ls, base[0]) == NULL);
	CHECK(find_entry(&ls, base[1]) == eb);

	/* B pinned, C open: nothing may go, so C's bytes are dropped. */
	eb->pinned = 1;
	logfile_write(&c, buf, 60);
	CHECK(c.size == 20 && c.dropped == 60 && c.stopped);
	CHECK(c.why != NULL && strstr(c.why, "quota") != NULL);
	CHECK(ls.total == 50 && ec->bytes == 20);
	CHECK(exists(b.path) && exists(c.path));
	/* Stopped for good: even bytes that would fit now are dropped. */
	logfile_write(&c, buf, 1);
	CHECK(c.size == 20 && c.dropped == 61);
	logfile_close(&c);
	CHECK(c.fd == -1);
	CHECK(file_size(c.path) == 20);

	/* D, open, while C is open too: up to the quota exactly is fine. */
	CHECK(logfile_base(base[3], PATH_MAX, ls.root, "i", "r2", T0 + 3)
	    == 0);
	CHECK((ed = logstore_add(&ls, base[3])) != NULL);
	CHECK(logfile_open(&d, base[3], LS_STDERR, 0, &ls, ed) == 0);
	logfile_write(&d, buf, 50);
	CHECK(d.size == 50 && !d.stopped && ls.total == 100);
	CHECK(ls.n == 3);

	/* Unpinned and closed, B is now the one that goes for D's byte. */
	eb->pinned = 0;
	logfile_write(&d, buf, 1);
	CHECK(d.size == 51 && !d.stopped);
	CHECK(!exists(b.path) && exists(c.path));
	CHECK(ls.total == 71 && ls.pruned_groups == 2 &&
	    ls.pruned_bytes == 90);
	/* C is open (its run is live) though its file is closed: kept. */
	logfile_write(&d, buf, 30);
	CHECK(d.size == 51 && d.stopped && exists(c.path));
	logfile_close(&d);
	CHECK(d.fd == -1);

	/* Refunds never take an entry below zero. */
	logstore_refund(&ls, ed, 1000);
	CHECK(ed->bytes == 0 && ls.total == 20);
	store_free(&ls);

	/* Quota 0 is no quota. */
	path_in(dir, sizeof(dir), "noquota");
	CHECK(logstore_init(&ls, dir, 0, 4) == 0);
	CHECK(logfile_base(base[0], PATH_MAX, ls.root, "i", "r", T0) == 0);
	CHECK((ea = logstore_add(&ls, base[0])) != NULL);
	CHECK(logstore_charge(&ls, ea, UINT64_MAX / 2) == 1);
	CHECK(ls.total == UINT64_MAX / 2);
	store_free(&ls);
}

/* The pool of groups: full means the oldest prunable one goes. */
static void
test_full_pool(void)
{
	struct logstore	 ls;
	struct ls_entry	*e[5];
	char		 dir[PATH_MAX], base[5][PATH_MAX];
	char		 p[PATH_MAX + 16];
	int		 i;

	path_in(dir, sizeof(dir), "pool");
	CHECK(logstore_init(&ls, dir, 0, 3) == 0);
	for (i = 0; i < 5; i++) {
		CHECK(logfile_base(base[i], PATH_MAX, ls.root, "i", "r",
		    T0 + i) == 0);
		pathf(p, sizeof(p), "%s.stderr.log", base[i]);
		make_file(p, 5);
	}
	for (i = 0; i < 3; i++) {
		CHECK((e[i] = logstore_add(&ls, base[i])) != NULL);
		logstore_mark(e[i], LS_STDERR);
		CHECK(logstore_charge(&ls, e[i], 5) == 1);
	}
	logstore_close(&ls, e[0]);
	logstore_close(&ls, e[1]);
	CHECK(ls.n == 3 && ls.nfree == 0 && ls.total == 15);

	/* Full: the oldest closed group makes room. */
	CHECK((e[3] = logstore_add(&ls, base[3])) != NULL);
	CHECK(ls.n == 3 && ls.total == 10);
	CHECK(find_entry(&ls, base[0]) == NULL);
	pathf(p, sizeof(p), "%s.stderr.log", base[0]);
	CHECK(!exists(p));
	pathf(p, sizeof(p), "%s.stderr.log", base[1]);
	CHECK(exists(p));
	CHECK(order_is_oldest_first(&ls));
	CHECK(e[3]->open == 1 && e[3]->bytes == 0 && e[3]->files == 0);

	/* The rest open or pinned: no room, nothing removed. */
	e[1]->pinned = 1;
	CHECK(logstore_add(&ls, base[4]) == NULL);
	CHECK(ls.n == 3);
	CHECK(exists(p));
	/* Unpinned, it is the one to go. */
	e[1]->pinned = 0;
	CHECK((e[4] = logstore_add(&ls, base[4])) != NULL);
	CHECK(!exists(p));
	CHECK(find_entry(&ls, base[2]) != NULL);
	CHECK(order_is_oldest_first(&ls));
	store_free(&ls);
}

/*
 * Start-up: the index is rebuilt from what earlier runs left, grouping a
 * run's files by base, oldest first across instances and runners, and
 * pruned to the quota and to the group limit.
 */
static void
test_reindex(void)
{
	static const char	*insts[] = { "i1", "instance-two" };
	static const char	*runners[] = { "r", "runner-two", "web_3" };
	enum { NG = 30 };
	struct logstore		 ls;
	struct ls_entry		*e;
	char			 dir[PATH_MAX], root[PATH_MAX + 16];
	char			 p[PATH_MAX + 32], foreign[PATH_MAX + 32];
	char			 (*base)[PATH_MAX];
	uint64_t		 bytes[NG], total = 0, oldest5 = 0;
	unsigned		 files[NG];
	int			 perm[NG], i, j, k, ok;

	if ((base = calloc(NG, sizeof(*base))) == NULL) {
		perror("calloc");
		exit(2);
	}
	path_in(dir, sizeof(dir), "reindex");
	CHECK(logstore_init(&ls, dir, 0, 64) == 0);
	CHECK(ls.n == 0);
	pathf(root, sizeof(root), "%s", ls.root);
	store_free(&ls);

	/* Groups made in a scrambled order, so no order comes for free. */
	for (i = 0; i < NG; i++)
		perm[i] = i;
	for (i = NG - 1; i > 0; i--) {
		j = (i * 7 + 3) % (i + 1);
		k = perm[i];
		perm[i] = perm[j];
		perm[j] = k;
	}
	for (i = 0; i < NG; i++) {
		k = perm[i];
		/* Group k is the k-th oldest, whatever its runner. */
		CHECK(logfile_base(base[k], PATH_MAX, root, insts[k % 2],
		    runners[k % 3], T0 + (int64_t)k * 1000003) == 0);
		bytes[k] = 0;
		files[k] = LS_STDERR;
		pathf(p, sizeof(p), "%s.stderr.log", base[k]);
		make_file(p, (size_t)k + 1);
		bytes[k] += (uint64_t)k + 1;
		if (k % 2 == 0) {
			pathf(p, sizeof(p), "%s.stdout.log", base[k]);
			make_file(p, 2);
			bytes[k] += 2;
			files[k] |= LS_STDOUT;
		}
		if (k % 5 == 0) {
			pathf(p, sizeof(p), "%s.death.json", base[k]);
			make_file(p, 3);
			bytes[k] += 3;
			files[k] |= LS_REPORT;
		}
	}
	for (k = 0; k < NG; k++) {
		total += bytes[k];
		if (k < 5)
			oldest5 += bytes[k];
	}
	/* Not ours: neither counted nor ever removed. */
	pathf(foreign, sizeof(foreign), "%s/i1/r/notes.txt", root);
	make_file(foreign, 1000);
	pathf(p, sizeof(p), "%s/i1/r/.hidden.stderr.log", root);
	make_file(p, 1000);

	/* No limits: every group, each with its files and bytes. */
	CHECK(logstore_init(&ls, dir, 0, 64) == 0);
	CHECK(ls.n == NG);
	CHECK(ls.total == total);
	CHECK(order_is_oldest_first(&ls));
	for (ok = 1, k = 0; k < NG; k++) {
		if ((e = find_entry(&ls, base[k])) == NULL ||
		    e->files != files[k] || e->bytes != bytes[k] ||
		    e->open || e->pinned)
			ok = 0;
	}
	CHECK(ok);
	for (ok = 1, i = 0; i < (int)ls.n; i++)
		if (strcmp(ls.pool[ls.order[i]].base, base[i]) != 0)
			ok = 0;
	CHECK(ok);
	store_free(&ls);

	/* A quota that leaves room for all but the 5 oldest. */
	CHECK(logstore_init(&ls, dir, total - oldest5, 64) == 0);
	CHECK(ls.n == NG - 5);
	CHECK(ls.total == total - oldest5);
	CHECK(ls.pruned_groups == 5 && ls.pruned_bytes == oldest5);
	for (ok = 1, k = 0; k < NG; k++) {
		pathf(p, sizeof(p), "%s.stderr.log", base[k]);
		if (exists(p) != (k >= 5))
			ok = 0;
		pathf(p, sizeof(p), "%s.death.json", base[k]);
		if (k % 5 == 0 && exists(p) != (k >= 5))
			ok = 0;
		pathf(p, sizeof(p), "%s.stdout.log", base[k]);
		if (k % 2 == 0 && exists(p) != (k >= 5))
			ok = 0;
	}
	CHECK(ok);
	CHECK(exists(foreign));
	store_free(&ls);

	/* A group limit of 10: the newest 10 stay. */
	CHECK(logstore_init(&ls, dir, 0, 10) == 0);
	CHECK(ls.n == 10);
	for (ok = 1, k = 5; k < NG; k++) {
		pathf(p, sizeof(p), "%s.stderr.log", base[k]);
		if (exists(p) != (k >= NG - 10))
			ok = 0;
	}
	CHECK(ok);
	CHECK(order_is_oldest_first(&ls));
	CHECK(find_entry(&ls, base[NG - 1]) != NULL);
	CHECK(find_entry(&ls, base[NG - 10]) != NULL);
	CHECK(find_entry(&ls, base[NG - 11]) == NULL);
	CHECK(exists(foreign));
	store_free(&ls);
	free(base);
}

int
main(void)
{
	/* Modes are checked exactly: a known umask makes them so. */
	umask(022);
	log_setlevel(LOG_LEVEL_WARN);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_digest();
	test_base();
	test_open();
	test_cap();
	test_write_error();
	test_quota();
	test_full_pool();
	test_reindex();
	rm_rf(tmpdir);
	CHECK(!exists(tmpdir));
	return CHECK_DONE();
}
