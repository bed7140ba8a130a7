/*
 * sample.c -- host and process-group sampling from /proc (platform.h).
 *
 * Everything is opened or sized once in platform_sample_init(); a sample
 * then only preads kept descriptors into static buffers and walks /proc
 * with getdents64, because opendir() and readdir() allocate and the
 * sampler runs on the daemon's hot path.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"
#include "procparse.h"

/*
 * /proc/stat has one line per CPU before the long "intr" line; 64 KiB
 * holds the CPU lines of some 700 CPUs.  The line cut at the end of the
 * buffer is ignored by the parser.
 */
#define HOST_BUF	65536
#define DENT_BUF	32768
#define PID_BUF		2048	/* a whole /proc/PID/stat, or /proc/PID/io */
#define NAME_MAX_PATH	64	/* "PID/stat" */
#define INDEX_MAX	1024	/* groups looked up by binary search */

enum { HF_STAT, HF_MEMINFO, HF_LOADAVG, HF_PSI_CPU, HF_PSI_MEM, HF_PSI_IO,
    HF_MAX };

static const char *const host_path[HF_MAX] = {
	"/proc/stat", "/proc/meminfo", "/proc/loadavg",
	"/proc/pressure/cpu", "/proc/pressure/memory", "/proc/pressure/io",
};

/* The kernel's own struct linux_dirent64 (getdents64(2)). */
struct dent64 {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};

static int	 host_fd[HF_MAX] = { -1, -1, -1, -1, -1, -1 };
static int	 proc_fd = -1;
static long	 clk_tck = 100;
static uint64_t	 page_size = 4096;

static char	 host_buf[HOST_BUF];
static char	 pid_buf[PID_BUF];
static union {
	uint64_t	align;
	char		b[DENT_BUF];
} dent_buf, fd_dent_buf;
static uint32_t	 group_index[INDEX_MAX];

static ssize_t	 sample_pread(int, char *, size_t);
static ssize_t	 sample_getdents(int, char *, size_t);
static size_t	 sample_path(char *, const char *, const char *);
static int	 sample_is_pid(const char *);
static void	 sample_index(const struct proc_group *, size_t);
static size_t	 sample_find(const struct proc_group *, size_t, pid_t);
static int	 sample_fds(const char *, uint32_t *);
static int	 sample_io(const char *, uint64_t *, uint64_t *);
static void	 sample_add(struct proc_group *, const struct procparse_pid *,
		    const char *);
static void	 sample_proc(struct proc_group *, size_t, const char *);

void
platform_sample_init(char *why, size_t whylen)
{
	size_t	 i, off = 0;
	long	 v;
	int	 n;

	if (whylen > 0)
		why[0] = '\0';
	if ((v = sysconf(_SC_CLK_TCK)) > 0)
		clk_tck = v;
	if ((v = sysconf(_SC_PAGESIZE)) > 0)
		page_size = (uint64_t)v;
	for (i = 0; i < HF_MAX; i++) {
		if (host_fd[i] != -1)
			close(host_fd[i]);
		host_fd[i] = open(host_path[i], O_RDONLY | O_CLOEXEC);
		if (host_fd[i] == -1 && off < whylen) {
			n = snprintf(why + off, whylen - off, "%s%s: %s",
			    off > 0 ? "; " : "", host_path[i],
			    strerror(errno));
			off += n > 0 ? (size_t)n : 0;
		}
	}
	if (proc_fd != -1)
		close(proc_fd);
	proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd == -1 && off < whylen)
		snprintf(why + off, whylen - off, "%s/proc: %s",
		    off > 0 ? "; " : "", strerror(errno));
}

/* A /proc file's whole content from offset 0 (seq_file regenerates it). */
static ssize_t
sample_pread(int fd, char *buf, size_t len)
{
	ssize_t	n;

	do
		n = pread(fd, buf, len, 0);
	while (n == -1 && errno == EINTR);
	return n;
}

int
platform_host_sample(struct host_sample *hs)
{
	ssize_t	n;
	int	i, err = ENOENT;

	memset(hs, 0, sizeof(*hs));
	for (i = 0; i < HF_MAX; i++) {
		if (host_fd[i] == -1)
			continue;
		if ((n = sample_pread(host_fd[i], host_buf,
		    sizeof(host_buf))) <= 0) {
			err = n == 0 ? EIO : errno;
			continue;
		}
		/* A parser that fails leaves its bits clear: absent. */
		switch (i) {
		case HF_STAT:
			(void)procparse_stat(host_buf, (size_t)n, clk_tck, hs);
			break;
		case HF_MEMINFO:
			(void)procparse_meminfo(host_buf, (size_t)n, hs);
			break;
		case HF_LOADAVG:
			(void)procparse_loadavg(host_buf, (size_t)n, hs);
			break;
		default:
			(void)procparse_pressure(host_buf, (size_t)n,
			    PSI_CPU + (i - HF_PSI_CPU), hs);
			break;
		}
	}
	if (hs->have == 0) {
		errno = err;
		return -1;
	}
	return 0;
}

static ssize_t
sample_getdents(int fd, char *buf, size_t len)
{
	long	n;

	do
		n = syscall(SYS_getdents64, fd, buf, len);
	while (n == -1 && errno == EINTR);
	return (ssize_t)n;
}

/* "pid/file" into dst (NAME_MAX_PATH); pid is a d_name of /proc. */
static size_t
sample_path(char *dst, const char *pid, const char *file)
{
	return procparse_join(dst, NAME_MAX_PATH, pid, file);
}

static int
sample_is_pid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/*
 * Sort the first INDEX_MAX groups by pgid (insertion sort: n is small and
 * the caller's order rarely changes), so each process costs a binary
 * search rather than a scan of every group.
 */
static void
sample_index(const struct proc_group *g, size_t n)
{
	size_t		i, j;
	uint32_t	k;

	if (n > INDEX_MAX)
		n = INDEX_MAX;
	for (i = 0; i < n; i++) {
		k = (uint32_t)i;
		for (j = i; j > 0 && g[group_index[j - 1]].pgid > g[k].pgid;
		    j--)
			group_index[j] = group_index[j - 1];
		group_index[j] = k;
	}
}

/*
 * The first slot of group_index with pgid `pgrp` (callers walk on while
 * the pgid matches), or n when none.  Groups past INDEX_MAX are scanned
 * by sample_proc itself.
 */
static size_t
sample_find(const struct proc_group *g, size_t n, pid_t pgrp)
{
	size_t	lo = 0, hi = n > INDEX_MAX ? INDEX_MAX : n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (g[group_index[mid]].pgid < pgrp)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < (n > INDEX_MAX ? INDEX_MAX : n) &&
	    g[group_index[lo]].pgid == pgrp)
		return lo;
	return n;
}

/* Open descriptors of a process: the entries of /proc/PID/fd. */
static int
sample_fds(const char *pid, uint32_t *count)
{
	const struct dent64	*d;
	char			 path[NAME_MAX_PATH];
	ssize_t			 n, off;
	uint32_t		 c = 0;
	int			 fd, saved;

	if (sample_path(path, pid, "fd") == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = openat(proc_fd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	while ((n = sample_getdents(fd, fd_dent_buf.b,
	    sizeof(fd_dent_buf.b))) > 0) {
		for (off = 0; off < n; off += d->d_reclen) {
			d = (const struct dent64 *)(void *)
			    (fd_dent_buf.b + off);
			if (d->d_reclen == 0)
				break;
			if (strcmp(d->d_name, ".") != 0 &&
			    strcmp(d->d_name, "..") != 0)
				c++;
		}
	}
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	*count = c;
	return 0;
}

static int
sample_io(const char *pid, uint64_t *rd, uint64_t *wr)
{
	char	path[NAME_MAX_PATH];
	ssize_t	n;
	int	fd, saved;

	if (sample_path(path, pid, "io") == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, pid_buf, sizeof(pid_buf));
	saved = errno;
	close(fd);
	if (n <= 0) {
		errno = n == 0 ? ESRCH : saved;
		return -1;
	}
	if (procparse_pid_io(pid_buf, (size_t)n, rd, wr) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * Add one live process to its group.  A group's fds and io are valid
 * only if they could be read for every one of its processes, so their
 * bits go once one read is refused (EACCES: another user's process); a
 * process that ended meanwhile (ENOENT, ESRCH) just adds nothing.
 */
static void
sample_add(struct proc_group *g, const struct procparse_pid *pp,
    const char *pid)
{
	struct proc_sample	*s = &g->s;
	uint64_t		 rd, wr;
	uint32_t		 nfds;

	if (!g->found) {
		g->found = 1;
		s->have = PS_CPU | PS_RSS | PS_THREADS | PS_FDS | PS_IO;
	}
	s->nprocs++;
	s->cpu_ns += procparse_ticks_ns(pp->utime + pp->stime, clk_tck);
	s->rss += pp->rss * page_size;
	s->threads += pp->threads;
	if (s->have & PS_IO) {
		if (sample_io(pid, &rd, &wr) == 0) {
			s->io_read += rd;
			s->io_write += wr;
		} else if (errno != ENOENT && errno != ESRCH)
			s->have &= ~PS_IO;
	}
	if (s->have & PS_FDS) {
		if (sample_fds(pid, &nfds) == 0)
			s->fds += nfds;
		else if (errno != ENOENT && errno != ESRCH)
			s->have &= ~PS_FDS;
	}
}

/* One /proc entry: read its stat and add it to every group of its pgrp. */
static void
sample_proc(struct proc_group *g, size_t n, const char *pid)
{
	struct procparse_pid	 pp;
	char			 path[NAME_MAX_PATH];
	ssize_t			 r;
	size_t			 i;
	int			 fd;

	if (sample_path(path, pid, "stat") == 0)
		return;
	if ((fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	r = read(fd, pid_buf, sizeof(pid_buf));
	close(fd);
	if (r <= 0 || procparse_pid_stat(pid_buf, (size_t)r, &pp) == -1)
		return;
	if (pp.pgrp <= 0 || procparse_pid_gone(pp.state))
		return;
	for (i = sample_find(g, n, pp.pgrp); i < n && i < INDEX_MAX &&
	    g[group_index[i]].pgid == pp.pgrp; i++)
		sample_add(&g[group_index[i]], &pp, pid);
	for (i = INDEX_MAX; i < n; i++)
		if (g[i].pgid == pp.pgrp)
			sample_add(&g[i], &pp, pid);
}

int
platform_groups_sample(struct proc_group *g, size_t n)
{
	const struct dent64	*d;
	ssize_t			 r, off;
	size_t			 i;

	for (i = 0; i < n; i++) {
		g[i].found = 0;
		memset(&g[i].s, 0, sizeof(g[i].s));
	}
	if (proc_fd == -1) {
		errno = EBADF;
		return -1;
	}
	if (n == 0)
		return 0;
	sample_index(g, n);
	if (lseek(proc_fd, 0, SEEK_SET) == -1)
		return -1;
	while ((r = sample_getdents(proc_fd, dent_buf.b,
	    sizeof(dent_buf.b))) > 0) {
		for (off = 0; off < r; off += d->d_reclen) {
			d = (const struct dent64 *)(void *)(dent_buf.b + off);
			if (d->d_reclen == 0)
				break;
			if (sample_is_pid(d->d_name))
				sample_proc(g, n, d->d_name);
		}
	}
	return r == -1 ? -1 : 0;
}
