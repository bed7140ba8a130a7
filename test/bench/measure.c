/*
 * measure -- run one log collector and time how long it takes to get a
 * given number of bytes into its log files.
 *
 * usage: measure [-w] [-o LOGFILE] [-t TIMEOUT_S] [-S STALL_S] [-x COMM]
 *		  [-s SOCKET] TOTAL DIR COMMAND [ARG ...]
 *
 * Forks and execs COMMAND (stdin from /dev/null, stdout and stderr to
 * LOGFILE or /dev/null), then every 20 ms sums the sizes of the regular
 * files under DIR whose names end in ".stderr.log".  As soon as the sum
 * reaches TOTAL it waits for the collector to settle (its CPU time stops
 * growing for 200 ms, at most 10 s: the work that follows the last byte,
 * such as a digest, a report or an fsync, is its cost too), reads its
 * CPU time and VmHWM from /proc, then stops it with SIGTERM, or with -w
 * waits for it to exit by itself.  A collector still running 10 s after
 * SIGTERM gets SIGKILL.  SIGINT, SIGTERM or SIGHUP to measure stop the
 * collector the same way.  If the sum has not grown for STALL_S seconds
 * (default 10) after the first byte, the run ends as "stalled": bytes
 * were dropped or the collector is stuck.
 *
 * CPU time is that of the collector's whole process tree (the collector
 * and every descendant, e.g. crashtrail's syncer helper), except the
 * processes whose command name (/proc/PID/comm) is COMM (-x: the
 * writers) and their descendants; cpu_self_s is the collector's pid
 * alone.  With -s, just before the collector is stopped, measure asks
 * crashtrail's API on the Unix socket SOCKET for GET /v1/status and
 * reports its "logs" "bytes" and "dropped_bytes" (-1: no answer).
 *
 * Prints one line on stdout:
 *
 *	status=S wall_s=W first_s=F bytes=B cpu_s=C cpu_self_s=C1 procs=P
 *	hwm_kib=H exit=E api_bytes=A api_dropped=D
 *
 * S is ok, timeout, stalled, died (exited before TOTAL bytes) or
 * interrupted.  W and F count from just before the fork to the poll that
 * saw TOTAL bytes and the first byte (-1: never).  B is the sum of the
 * log files at the end.  P is how many processes C covers.  C, C1 and H
 * are -1 when the collector had already exited.  E is its exit status,
 * 128 + the signal number if a signal ended it.  Exits 0 if S is ok, 1
 * otherwise.
 */

#define _XOPEN_SOURCE 700	/* nftw() */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <ctype.h>
#include <dirent.h>
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
#define MEASURE_SETTLE_NS	(200 * 1000 * 1000)
#define MEASURE_SETTLE_MAX_S	10.0
#define MEASURE_MAXPROCS	32768

struct proc {
	pid_t		pid, ppid;
	unsigned long	ticks;		/* utime + stime */
	int		skip;		/* a writer: not counted, not followed */
	int		in;		/* in the collector's tree */
};

static double	now(void);
static void	nap(long);
static int	sum_one(const char *, const struct stat *, int, struct FTW *);
static long long sum_dir(const char *);
static int	proc_stats(pid_t, double *, long *);
static int	reap(pid_t, double, int *);
static double	tree_cpu(pid_t, const char *, int *);
static void	settle(pid_t, const char *);
static int	api_status(const char *, long long *, long long *);
static long long json_num(const char *, const char *);
static void	on_signal(int);

static volatile sig_atomic_t	 gotsig;
static long long		 sum_acc;
static struct proc		 procs[MEASURE_MAXPROCS];

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

/*
 * CPU seconds of pid and its descendants, from /proc/PID/stat, except
 * the processes named skip (and what they started).  *nprocs: how many
 * were counted.  -1 if pid itself cannot be read.
 */
static double
tree_cpu(pid_t pid, const char *skip, int *nprocs)
{
	DIR		*d;
	struct dirent	*de;
	FILE		*fp;
	char		 path[300], line[1024], *lp, *rp;
	unsigned long	 ut, st, total;
	long		 tck;
	size_t		 n, i, len;
	int		 ppid, grew, found;

	*nprocs = 0;
	if ((tck = sysconf(_SC_CLK_TCK)) <= 0 || (d = opendir("/proc")) == NULL)
		return -1;
	n = 0;
	while ((de = readdir(d)) != NULL && n < MEASURE_MAXPROCS) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;	/* gone meanwhile */
		lp = fgets(line, sizeof(line), fp);
		(void)fclose(fp);
		if (lp == NULL || (lp = strchr(line, '(')) == NULL ||
		    (rp = strrchr(line, ')')) == NULL || rp < lp)
			continue;
		/* Fields 4 (ppid) to 15 (stime), see proc(5). */
		if (sscanf(rp + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u "
		    "%*u %lu %lu", &ppid, &ut, &st) != 3)
			continue;
		procs[n].pid = (pid_t)atol(de->d_name);
		procs[n].ppid = (pid_t)ppid;
		procs[n].ticks = ut + st;
		len = (size_t)(rp - lp - 1);
		procs[n].skip = skip != NULL && strlen(skip) == len &&
		    strncmp(lp + 1, skip, len) == 0;
		procs[n].in = 0;
		n++;
	}
	(void)closedir(d);

	found = 0;
	for (i = 0; i < n; i++)
		if (procs[i].pid == pid) {
			procs[i].in = 1;
			procs[i].skip = 0;
			found = 1;
		}
	if (!found)
		return -1;
	/* A few hundred processes at most: a fixpoint is fast enough. */
	do {
		grew = 0;
		for (i = 0; i < n; i++) {
			size_t	j;

			if (procs[i].in || procs[i].skip)
				continue;
			for (j = 0; j < n; j++)
				if (procs[j].in && procs[j].pid == procs[i].ppid)
					break;
			if (j < n) {
				procs[i].in = 1;
				grew = 1;
			}
		}
	} while (grew);
	total = 0;
	for (i = 0; i < n; i++)
		if (procs[i].in) {
			total += procs[i].ticks;
			(*nprocs)++;
		}
	return (double)total / tck;
}

/* Wait until pid's tree has used no CPU for MEASURE_SETTLE_NS. */
static void
settle(pid_t pid, const char *skip)
{
	double	deadline, a, b;
	int	np;

	deadline = now() + MEASURE_SETTLE_MAX_S;
	a = tree_cpu(pid, skip, &np);
	while (!gotsig && now() < deadline) {
		nap(MEASURE_SETTLE_NS);
		b = tree_cpu(pid, skip, &np);
		if (b == a)
			return;
		a = b;
	}
}

/* The number after "key": in s, or -1. */
static long long
json_num(const char *s, const char *key)
{
	char		 pat[64];
	const char	*p;

	(void)snprintf(pat, sizeof(pat), "\"%s\":", key);
	if (s == NULL || (p = strstr(s, pat)) == NULL)
		return -1;
	return strtoll(p + strlen(pat), NULL, 10);
}

/*
 * GET /v1/status on the Unix socket sockpath; its "logs" "bytes" and
 * "dropped_bytes".  0, or -1 (both -1) if there was no usable answer.
 */
static int
api_status(const char *sockpath, long long *bytes, long long *dropped)
{
	static char		 resp[1 << 16];
	static const char	 req[] = "GET /v1/status HTTP/1.0\r\n"
				    "Host: measure\r\n\r\n";
	struct sockaddr_un	 sa_un;
	struct timeval		 tv = { 5, 0 };
	const char		*logs;
	size_t			 got;
	ssize_t			 n;
	int			 fd;

	*bytes = *dropped = -1;
	memset(&sa_un, 0, sizeof(sa_un));
	sa_un.sun_family = AF_UNIX;
	if (strlen(sockpath) >= sizeof(sa_un.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	memcpy(sa_un.sun_path, sockpath, strlen(sockpath));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa_un, sizeof(sa_un)) == -1 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		(void)close(fd);
		return -1;
	}
	/* HTTP/1.0: the answer ends when the server closes. */
	got = 0;
	while (got < sizeof(resp) - 1 &&
	    (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	(void)close(fd);
	resp[got] = '\0';
	if (strncmp(resp, "HTTP/1.", 7) != 0 || strncmp(resp + 8, " 200", 4) != 0 ||
	    (logs = strstr(resp, "\"logs\":{")) == NULL)
		return -1;
	*bytes = json_num(logs, "bytes");
	*dropped = json_num(logs, "dropped_bytes");
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
	const char		*logfile, *status, *dir, *skip, *sock;
	char			*end;
	double			 t0, t, wall, first, timeout, stall, grew_t;
	double			 cpu, cpu_self;
	long long		 total, sum, last, api_bytes, api_dropped;
	long			 hwm;
	pid_t			 pid;
	int			 ch, code, fd, waitexit, exited, nprocs;

	logfile = "/dev/null";
	timeout = 300;
	stall = 10;
	skip = NULL;
	sock = NULL;
	waitexit = 0;
	/* '+': stop at COMMAND, whose own options are not ours. */
	while ((ch = getopt(argc, argv, "+o:S:s:t:wx:")) != -1) {
		switch (ch) {
		case 'o':
			logfile = optarg;
			break;
		case 'S':
			stall = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || stall <= 0)
				errx(2, "invalid stall time: %s", optarg);
			break;
		case 's':
			sock = optarg;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || timeout <= 0)
				errx(2, "invalid timeout: %s", optarg);
			break;
		case 'w':
			waitexit = 1;
			break;
		case 'x':
			skip = optarg;
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
	last = 0;
	grew_t = 0;
	for (;;) {
		sum = sum_dir(dir);
		t = now() - t0;
		if (sum > 0 && first < 0)
			first = t;
		if (sum != last) {
			last = sum;
			grew_t = t;
		}
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
		if (first >= 0 && t - grew_t >= stall) {
			status = "stalled";
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

	cpu = cpu_self = -1;
	hwm = -1;
	nprocs = 0;
	api_bytes = api_dropped = -1;
	if (!exited) {
		if (strcmp(status, "ok") == 0 && !waitexit)
			settle(pid, skip);
		(void)proc_stats(pid, &cpu_self, &hwm);
		cpu = tree_cpu(pid, skip, &nprocs);
		if (sock != NULL)
			(void)api_status(sock, &api_bytes, &api_dropped);
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
		/* What is in the files now that it has stopped. */
		sum = sum_dir(dir);
	}

	printf("status=%s wall_s=%.3f first_s=%.3f bytes=%lld cpu_s=%.2f "
	    "cpu_self_s=%.2f procs=%d hwm_kib=%ld exit=%d api_bytes=%lld "
	    "api_dropped=%lld\n", status, wall, first, sum, cpu, cpu_self,
	    nprocs, hwm, code, api_bytes, api_dropped);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return strcmp(status, "ok") == 0 ? 0 : 1;

usage:
	fprintf(stderr, "usage: measure [-w] [-o LOGFILE] [-t TIMEOUT_S] "
	    "[-S STALL_S] [-x COMM] [-s SOCKET]\n"
	    "               TOTAL DIR COMMAND [ARG ...]\n");
	return 2;
}
