/*
 * blast -- write a given number of bytes of printable lines to a file
 * descriptor, as fast as the reader takes them.
 *
 * usage: blast BYTES [FD]		(FD defaults to 2, stderr)
 *
 * The data is one 64 KiB buffer of 512 lines (127 printable characters
 * and a newline), built once and written over and over, 64 KiB per
 * write(2).  A short write resumes where it stopped, so the stream is
 * always an exact repetition of the buffer cut at BYTES; the benchmark
 * relies on that to check the log files byte for byte.
 */

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BLAST_BUFSZ	(64 * 1024)
#define BLAST_LINELEN	128		/* 127 characters and '\n' */

static long long	parse_num(const char *, long long, long long,
			    const char *);
static void		fill(void);

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

int
main(int argc, char *argv[])
{
	long long	left;
	size_t		off, len;
	ssize_t		n;
	int		fd;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: blast BYTES [FD]\n");
		return 2;
	}
	left = parse_num(argv[1], 0, LLONG_MAX, "byte count");
	fd = STDERR_FILENO;
	if (argc == 3)
		fd = (int)parse_num(argv[2], 0, INT_MAX, "fd");

	fill();
	off = 0;
	while (left > 0) {
		len = sizeof(buf) - off;
		if ((long long)len > left)
			len = (size_t)left;
		if ((n = write(fd, buf + off, len)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "write");
		}
		off = (off + (size_t)n) % sizeof(buf);
		left -= n;
	}
	if (close(fd) == -1)
		err(1, "close");
	return 0;
}
