/*
 * crasher.c -- a runner that ends the way the tests ask:
 *   crasher MODE [ARG]
 *   segv            print lines, then dereference NULL (a real SIGSEGV)
 *   abort           print lines, then abort() (SIGABRT)
 *   selfkill        print lines, then kill itself with SIGKILL
 *   exit N          print lines, then exit N
 *   nonl BYTES      write BYTES bytes without any newline, then exit 1
 *   lines N         write N numbered lines, then exit 2
 *   ignoreterm      ignore SIGTERM and sleep forever
 *   grandchild      fork a child that keeps stderr open, ignores SIGTERM
 *                   and sleeps; then the parent exits 3
 *   sleep           sleep forever (a well-behaved long runner)
 *   event           write one JSON line on $CRASHTRAIL_EVENT_FD, exit 4
 *   badutf8         write invalid UTF-8 and control bytes, then exit 5
 *   hog             allocate and touch memory 16 MiB at a time until killed
 *   say TEXT        print TEXT (\n for newlines), then abort()
 * Every mode first prints "crasher MODE pid=N" and two context lines.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
writeall(int fd, const void *p, size_t n)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, s, n)) <= 0)
			exit(99);
		s += w;
		n -= (size_t)w;
	}
}

int
main(int argc, char **argv)
{
	const char	*mode = argc > 1 ? argv[1] : "exit";
	char		 buf[65536];
	long		 n = argc > 2 ? atol(argv[2]) : 0, i;
	volatile int	*nullp = NULL;

	fprintf(stderr, "crasher %s pid=%ld\n", mode, (long)getpid());
	fprintf(stderr, "context line one\ncontext line two\n");
	fflush(stderr);
	if (strcmp(mode, "segv") == 0)
		return *nullp;
	if (strcmp(mode, "abort") == 0)
		abort();
	if (strcmp(mode, "selfkill") == 0)
		kill(getpid(), SIGKILL);
	if (strcmp(mode, "exit") == 0)
		return (int)n;
	if (strcmp(mode, "nonl") == 0) {
		memset(buf, 'x', sizeof(buf));
		for (i = 0; i < n; i += (long)sizeof(buf))
			writeall(2, buf, (size_t)(n - i < (long)sizeof(buf) ?
			    n - i : (long)sizeof(buf)));
		return 1;
	}
	if (strcmp(mode, "lines") == 0) {
		for (i = 1; i <= n; i++)
			fprintf(stderr, "line %ld\n", i);
		return 2;
	}
	if (strcmp(mode, "ignoreterm") == 0) {
		signal(SIGTERM, SIG_IGN);
		fprintf(stderr, "ignoring SIGTERM\n");
		for (;;)
			pause();
	}
	if (strcmp(mode, "grandchild") == 0) {
		int	sync[2];
		char	c;
		pid_t	pid;

		/* The grandchild's line is in the pipe before the parent goes. */
		if (pipe(sync) == -1)
			return 98;
		if ((pid = fork()) == 0) {
			/* Only the SIGKILL of the leftover sweep ends it. */
			signal(SIGTERM, SIG_IGN);
			fprintf(stderr, "grandchild pid=%ld holds the pipe\n",
			    (long)getpid());
			(void)write(sync[1], "", 1);
			for (;;)
				pause();
		}
		(void)read(sync[0], &c, 1);
		fprintf(stderr, "parent exits 3, grandchild %ld stays\n",
		    (long)pid);
		return 3;
	}
	if (strcmp(mode, "sleep") == 0)
		for (;;)
			pause();
	if (strcmp(mode, "event") == 0) {
		const char *fd = getenv("CRASHTRAIL_EVENT_FD");
		const char *ev = "{\"type\":\"stage_started\","
		    "\"stage_name\":\"load\"}\n";

		if (fd == NULL)
			return 98;
		writeall(atoi(fd), ev, strlen(ev));
		return 4;
	}
	if (strcmp(mode, "hog") == 0) {
		for (;;) {
			char *p = malloc(16 << 20);

			if (p == NULL)
				return 12;
			memset(p, 1, 16 << 20);
		}
	}
	if (strcmp(mode, "say") == 0 && argc > 2) {
		const char *s;

		for (s = argv[2]; *s != '\0'; s++) {
			if (s[0] == '\\' && s[1] == 'n') {
				fputc('\n', stderr);
				s++;
			} else
				fputc(*s, stderr);
		}
		fputc('\n', stderr);
		fflush(stderr);
		abort();
	}
	if (strcmp(mode, "badutf8") == 0) {
		static const char bad[] =
		    "bad \xff\xfe bytes \x01\x1b[31m \xc3\x28\n";

		writeall(2, bad, sizeof(bad) - 1);
		return 5;
	}
	fprintf(stderr, "unknown mode\n");
	return 64;
}
