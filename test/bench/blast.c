/*
 * blast -- write a given number of bytes of printable lines to a file
 * descriptor, as fast as the reader takes them.
 *
 * usage: blast BYTES [FD [RATE]]	(FD defaults to 2, stderr)
 *
 * The data is one 64 KiB buffer of 512 lines (127 printable characters
 * and a newline), built once and written over and over, 64 KiB per
 * write(2).  A short write resumes where it stopped, so the stream is
 * always an exact repetition of the buffer cut at BYTES; the benchmark
 * relies on that to check the log files byte for byte.
 *
 * With RATE > 0 it writes RATE bytes per second instead, steadily: 4 KiB
 * (32 lines) per write on a fixed schedule (latency.py's background
 * writers).
 */

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BLAST_BUFSZ	(64 * 1024)
#define BLAST_PACED	4096		/* bytes per write with a RATE */
#define BLAST_LINELEN	128		/* 127 characters and '\n' */

static long long	parse_num(const char *, long long, long long,
			    const char *);
static void		fill(void);
static void		pace(long long, long long);

static char	buf[BLAST_BUFSZ];

static long long
parse_num(const char *s, long long min, long long max, const char *what)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		errx(2, "invalid %s: %s", what, s);
	return v;
}

static void
fill(void)
{
	size_t	i;

	/* Shift the pattern by one per line so no two adjacent lines match. */
	for (i = 0; i < sizeof(buf); i++) {
		if (i % BLAST_LINELEN == BLAST_LINELEN - 1)
			buf[i] = '\n';
		else
			buf[i] = '!' + (i / BLAST_LINELEN + i % BLAST_LINELEN) % 94;
	}
}

/* Sleep until `done` bytes are due at `rate` bytes/s since the first call. */
static void
pace(long long done, long long rate)
{
	static struct timespec	t0;
	struct timespec		due;
	long long		ns;

	if (t0.tv_sec == 0 && t0.tv_nsec == 0 &&
	    clock_gettime(CLOCK_MONOTONIC, &t0) == -1)
		err(1, "clock_gettime");
	ns = (long long)((double)done / (double)rate * 1e9);
	due.tv_sec = t0.tv_sec + (time_t)(ns / 1000000000);
	due.tv_nsec = t0.tv_nsec + (long)(ns % 1000000000);
	if (due.tv_nsec >= 1000000000) {
		due.tv_sec++;
		due.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) ==
	    EINTR)
		;
}

int
main(int argc, char *argv[])
{
	long long	left, rate, done;
	size_t		off, len, chunk;
	ssize_t		n;
	int		fd;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: blast BYTES [FD [RATE]]\n");
		return 2;
	}
	left = parse_num(argv[1], 0, LLONG_MAX, "byte count");
	fd = STDERR_FILENO;
	if (argc >= 3)
		fd = (int)parse_num(argv[2], 0, INT_MAX, "fd");
	rate = 0;
	if (argc == 4)
		rate = parse_num(argv[3], 0, LLONG_MAX, "rate");
	chunk = rate > 0 ? BLAST_PACED : sizeof(buf);

	fill();
	off = 0;
	done = 0;
	while (left > 0) {
		if (rate > 0)
			pace(done, rate);
		len = sizeof(buf) - off;
		if (len > chunk)
			len = chunk;
		if ((long long)len > left)
			len = (size_t)left;
		if ((n = write(fd, buf + off, len)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "write");
		}
		off = (off + (size_t)n) % sizeof(buf);
		left -= n;
		done += n;
	}
	if (close(fd) == -1)
		err(1, "close");
	return 0;
}
