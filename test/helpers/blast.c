/*
 * blast.c -- write BYTES bytes of 128-byte lines to fd FD (default 2) in
 * 64 KiB writes, then exit with code EXIT (default 0).
 *   blast BYTES [FD [EXIT]]
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char	buf[65536];

int
main(int argc, char **argv)
{
	long long	left = argc > 1 ? atoll(argv[1]) : 0;
	int		fd = argc > 2 ? atoi(argv[2]) : 2;
	int		code = argc > 3 ? atoi(argv[3]) : 0;
	size_t		i, n;
	ssize_t		w;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (i % 128) == 127 ? '\n' : (char)('a' + i % 26);
	while (left > 0) {
		n = left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf);
		if ((w = write(fd, buf, n)) <= 0)
			return 99;
		left -= w;
	}
	return code;
}
