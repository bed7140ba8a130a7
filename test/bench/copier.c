/*
 * copier -- the benchmark's baseline: the least a log collector can do,
 * so its throughput is this machine's pipe-to-file limit.
 *
 * usage: copier OUTDIR N BYTES_PER_WRITER BLAST_PATH
 *
 * One single-threaded process spawns N writers (BLAST_PATH
 * BYTES_PER_WRITER), each with its stderr on its own pipe, and copies
 * every pipe into OUTDIR/wK.stderr.log (K = 1..N) from one epoll loop:
 * per ready pipe, one read(2) of up to 64 KiB into a static buffer and
 * a write(2) of those bytes to the pipe's file.  When every pipe is at
 * EOF it reaps the writers, fsyncs and closes the files, and prints its
 * own CPU time and peak RSS on stdout (the benchmark cannot read them
 * from /proc once it has exited):
 *
 *	copier: cpu_s=0.412 maxrss_kib=1234
 */

#define _GNU_SOURCE		/* pipe2() */

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define COPIER_BUFSZ	(64 * 1024)

struct writer {
	pid_t	pid;
	int	rfd;		/* read end of the writer's stderr pipe */
	int	ofd;		/* its log file */
};

static long	parse_num(const char *, long, long, const char *);
static void	writer_open(struct writer *, const char *, int);
static void	writer_spawn(struct writer *, int, char *, char *);
static void	write_all(int, const char *, size_t);

static char	buf[COPIER_BUFSZ];

static long
parse_num(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		errx(2, "invalid %s: %s", what, s);
	return v;
}

static void
writer_open(struct writer *w, const char *outdir, int k)
{
	char	path[PATH_MAX];
	int	len;

	len = snprintf(path, sizeof(path), "%s/w%d.stderr.log", outdir, k);
	if (len < 0 || (size_t)len >= sizeof(path))
		errx(1, "%s: path too long", outdir);
	w->ofd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->ofd == -1)
		err(1, "open %s", path);
}

static void
writer_spawn(struct writer *w, int ep, char *blast, char *bytes)
{
	struct epoll_event	 ev;
	char			*argv[3];
	int			 p[2];

	/*
	 * Close-on-exec on both ends: a writer spawned later must not
	 * hold an earlier writer's pipe open, or that pipe never sees EOF.
	 * dup2() clears the flag on the writer's own stderr.
	 */
	if (pipe2(p, O_CLOEXEC) == -1)
		err(1, "pipe2");
	switch ((w->pid = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		/* stderr is the pipe now: report a failure by exit code only. */
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(127);
		argv[0] = blast;
		argv[1] = bytes;
		argv[2] = NULL;
		execv(blast, argv);
		_exit(127);
	}
	if (close(p[1]) == -1)
		err(1, "close");
	w->rfd = p[0];
	ev.events = EPOLLIN;
	ev.data.ptr = w;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, w->rfd, &ev) == -1)
		err(1, "epoll_ctl");
}

static void
write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "write");
		}
		p += n;
		len -= (size_t)n;
	}
}

int
main(int argc, char *argv[])
{
	struct epoll_event	*evs;
	struct writer		*ws, *w;
	struct rusage		 ru;
	ssize_t			 n;
	long			 nw;
	int			 ep, i, nev, open_pipes, rc, status;

	if (argc != 5) {
		fprintf(stderr,
		    "usage: copier OUTDIR N BYTES_PER_WRITER BLAST_PATH\n");
		return 2;
	}
	nw = parse_num(argv[2], 1, 4096, "writer count");
	(void)parse_num(argv[3], 0, LONG_MAX, "byte count");

	if ((ws = calloc((size_t)nw, sizeof(*ws))) == NULL ||
	    (evs = calloc((size_t)nw, sizeof(*evs))) == NULL)
		err(1, "calloc");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	for (i = 0; i < nw; i++)
		writer_open(&ws[i], argv[1], i + 1);
	for (i = 0; i < nw; i++)
		writer_spawn(&ws[i], ep, argv[4], argv[3]);

	/* One read per ready pipe per turn keeps the writers served fairly. */
	for (open_pipes = (int)nw; open_pipes > 0; ) {
		if ((nev = epoll_wait(ep, evs, (int)nw, -1)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		for (i = 0; i < nev; i++) {
			w = evs[i].data.ptr;
			if ((n = read(w->rfd, buf, sizeof(buf))) == -1) {
				if (errno == EINTR)
					continue;
				err(1, "read");
			}
			if (n > 0) {
				write_all(w->ofd, buf, (size_t)n);
				continue;
			}
			if (epoll_ctl(ep, EPOLL_CTL_DEL, w->rfd, NULL) == -1)
				err(1, "epoll_ctl");
			if (close(w->rfd) == -1)
				err(1, "close");
			open_pipes--;
		}
	}

	rc = 0;
	for (i = 0; i < nw; i++) {
		while (waitpid(ws[i].pid, &status, 0) == -1)
			if (errno != EINTR)
				err(1, "waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			warnx("writer %d (pid %d) failed, status 0x%x", i + 1,
			    (int)ws[i].pid, status);
			rc = 1;
		}
		if (fsync(ws[i].ofd) == -1)
			err(1, "fsync");
		if (close(ws[i].ofd) == -1)
			err(1, "close");
	}

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		err(1, "getrusage");
	printf("copier: cpu_s=%.3f maxrss_kib=%ld\n",
	    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6, ru.ru_maxrss);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return rc;
}
