/*
 * measure -- run one log collector and time how long it takes to get a
 * given number of bytes into its log files.
 *
 * usage: measure [-w] [-o LOGFILE] [-t TIMEOUT_S] TOTAL DIR COMMAND [ARG ...]
 *
 * Forks and execs COMMAND (stdin from /dev/null, stdout and stderr to
 * LOGFILE or /dev/null), then every 20 ms sums the sizes of the regular
 * files under DIR whose names end in ".stderr.log".  As soon as the sum
 * reaches TOTAL it reads the collector's CPU time (utime + stime of that
 * pid only) and VmHWM from /proc, then stops it with SIGTERM, or with -w
 * waits for it to exit by itself.  A collector still running 10 s after
 * SIGTERM gets SIGKILL.  SIGINT, SIGTERM or SIGHUP to measure stop the
 * collector the same way.
 *
 * Prints one line on stdout:
 *
 *	status=S wall_s=W first_s=F bytes=B cpu_s=C hwm_kib=H exit=E
 *
 * S is ok, timeout, died (exited before TOTAL bytes) or interrupted.  W
 * and F count from just before the fork to the poll that saw TOTAL bytes
 * and the first byte (-1: never).  C and H are -1 when the collector had
 * already exited.  E is its exit status, 128 + the signal number if a
 * signal ended it.  Exits 0 if S is ok, 1 otherwise.
 */

#define _XOPEN_SOURCE 700	/* nftw() */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MEASURE_POLL_NS		(20 * 1000 * 1000)
#define MEASURE_GRACE_S		10.0
#define MEASURE_SUFFIX		".stderr.log"

static double	now(void);
static void	nap(long);
static int	sum_one(const char *, const struct stat *, int, struct FTW *);
static long long sum_dir(const char *);
static int	proc_stats(pid_t, double *, long *);
static int	reap(pid_t, double, int *);
static void	on_signal(int);

static volatile sig_atomic_t	 gotsig;
static long long		 sum_acc;

static double
now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
nap(long ns)
{
	struct timespec	ts;

	/* An interrupted sleep is fine: the caller looks at gotsig next. */
	ts.tv_sec = 0;
	ts.tv_nsec = ns;
	if (nanosleep(&ts, NULL) == -1 && errno != EINTR)
		err(1, "nanosleep");
}

static int
sum_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t	len, slen;

	(void)ftw;
	len = strlen(path);
	slen = sizeof(MEASURE_SUFFIX) - 1;
	if (type == FTW_F && S_ISREG(st->st_mode) && len > slen &&
	    strcmp(path + len - slen, MEASURE_SUFFIX) == 0)
		sum_acc += st->st_size;
	return 0;
}

static long long
sum_dir(const char *dir)
{
	/*
	 * DIR may not exist yet (the collector creates it), and entries
	 * may come and go during the walk: count what was seen.
	 */
	sum_acc = 0;
	(void)nftw(dir, sum_one, 16, FTW_PHYS);
	return sum_acc;
}

static int
proc_stats(pid_t pid, double *cpu, long *hwm)
{
	char		 path[64], line[1024];
	FILE		*fp;
	char		*p;
	unsigned long	 ut, st;
	long		 tck;

	*cpu = -1;
	*hwm = -1;
	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(line, sizeof(line), fp);
	(void)fclose(fp);
	/* comm may hold spaces and parentheses: parse after the last ')'. */
	if (p == NULL || (p = strrchr(line, ')')) == NULL)
		return -1;
	/* Fields 3 (state) to 15 (stime), see proc(5). */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	if ((tck = sysconf(_SC_CLK_TCK)) <= 0)
		return -1;
	*cpu = (double)(ut + st) / tck;

	(void)snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0 &&
		    sscanf(line + 6, "%ld", hwm) == 1)
			break;
	(void)fclose(fp);
	return 0;
}

/*
 * Wait up to secs for pid to exit.  Returns 0 and its exit status in
 * *code, or -1 if it is still running.
 */
static int
reap(pid_t pid, double secs, int *code)
{
	double	deadline;
	pid_t	r;
	int	status;

	deadline = now() + secs;
	for (;;) {
		if ((r = waitpid(pid, &status, WNOHANG)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "waitpid");
		}
		if (r == pid)
			break;
		if (now() >= deadline)
			return -1;
		nap(MEASURE_POLL_NS / 4);
	}
	if (WIFEXITED(status))
		*code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		*code = 128 + WTERMSIG(status);
	else
		*code = -1;
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	gotsig = 1;
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	const char		*logfile, *status, *dir;
	char			*end;
	double			 t0, t, wall, first, timeout, cpu;
	long long		 total, sum;
	long			 hwm;
	pid_t			 pid;
	int			 ch, code, fd, waitexit, exited;

	logfile = "/dev/null";
	timeout = 300;
	waitexit = 0;
	/* '+': stop at COMMAND, whose own options are not ours. */
	while ((ch = getopt(argc, argv, "+o:t:w")) != -1) {
		switch (ch) {
		case 'o':
			logfile = optarg;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || timeout <= 0)
				errx(2, "invalid timeout: %s", optarg);
			break;
		case 'w':
			waitexit = 1;
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		goto usage;
	errno = 0;
	total = strtoll(argv[0], &end, 10);
	if (errno != 0 || end == argv[0] || *end != '\0' || total <= 0)
		errx(2, "invalid byte count: %s", argv[0]);
	dir = argv[1];
	argv += 2;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		err(1, "sigaction");

	if (fflush(stdout) == EOF)
		err(1, "stdout");
	t0 = now();
	switch ((pid = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, STDIN_FILENO) == -1 || close(fd) == -1)
			err(127, "/dev/null");
		if ((fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) == -1)
			err(127, "%s", logfile);
		if (dup2(fd, STDOUT_FILENO) == -1 ||
		    dup2(fd, STDERR_FILENO) == -1 || close(fd) == -1)
			err(127, "dup2");
		execvp(argv[0], argv);
		err(127, "%s", argv[0]);
	}

	first = -1;
	wall = -1;
	exited = 0;
	code = -1;
	for (;;) {
		sum = sum_dir(dir);
		t = now() - t0;
		if (sum > 0 && first < 0)
			first = t;
		if (sum >= total) {
			status = "ok";
			wall = t;
			break;
		}
		if (gotsig) {
			status = "interrupted";
			break;
		}
		if (t >= timeout) {
			status = "timeout";
			break;
		}
		if (reap(pid, 0, &code) == 0) {
			/* It may have written the last bytes and left. */
			exited = 1;
			sum = sum_dir(dir);
			t = now() - t0;
			if (first < 0 && sum > 0)
				first = t;
			status = sum >= total ? "ok" : "died";
			if (sum >= total)
				wall = t;
			break;
		}
		nap(MEASURE_POLL_NS);
	}

	cpu = -1;
	hwm = -1;
	if (!exited) {
		(void)proc_stats(pid, &cpu, &hwm);
		if (!waitexit || strcmp(status, "ok") != 0 ||
		    reap(pid, timeout, &code) == -1) {
			if (kill(pid, SIGTERM) == -1)
				err(1, "kill");
			if (reap(pid, MEASURE_GRACE_S, &code) == -1) {
				warnx("pid %d ignored SIGTERM, killing it",
				    (int)pid);
				if (kill(pid, SIGKILL) == -1)
					err(1, "kill");
				(void)reap(pid, MEASURE_GRACE_S, &code);
			}
		}
	}

	printf("status=%s wall_s=%.3f first_s=%.3f bytes=%lld cpu_s=%.2f "
	    "hwm_kib=%ld exit=%d\n", status, wall, first, sum, cpu, hwm, code);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return strcmp(status, "ok") == 0 ? 0 : 1;

usage:
	fprintf(stderr, "usage: measure [-w] [-o LOGFILE] [-t TIMEOUT_S] "
	    "TOTAL DIR COMMAND [ARG ...]\n");
	return 2;
}
