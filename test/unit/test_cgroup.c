/*
 * test_cgroup.c -- live tests of platform/linux/cgroup.c and sample.c:
 * a real OOM kill in a 64 MiB run cgroup, the cgroup lifecycle (EBUSY
 * while a process is in it, a stale directory made anew), host samples,
 * and platform_groups_sample() on a live, a zombie and a gone process
 * group, with its cost for 64 groups printed.  The cgroup part needs a
 * writable cgroup (root, here) and skips with the reason without one.
 * Every process and cgroup directory made here is removed at the end,
 * on a failed check and on SIGTERM (the harness's timeout) too.
 * SPDX-License-Identifier: ISC
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "platform.h"

#define KIDS_MAX	8
#define CGS_MAX		4
#define MNT_MAX		16
#define NGROUPS		64
#define TIMING_CALLS	1000
#define MIB		(1024 * 1024)
#define TMPFS_MAGIC	0x01021994

static pid_t			kids[KIDS_MAX];
static struct cgroup_ref	cgs[CGS_MAX];
/* <mount>/crashtrail that did not exist before the test. */
static char			parents[MNT_MAX][CGROUP_PATH_MAX];
static int			nparents;
static char			skip_why[600];

static pid_t	kid_add(pid_t);
static void	kid_reap(pid_t);
static void	cleanup(void);
static void	on_signal(int);
static void	parents_note(void);
static int	count_fds(pid_t);
static int	count_proc(void);
static int	all_zombies(const pid_t *, int);
static double	now_s(void);
static void	touch(size_t);
static int	in_cgroup(const char *);
static int	read_file(const char *, const char *, char *, size_t);
static struct cgroup_ref *cg_slot(void);
static void	test_host(void);
static void	test_groups(void);
static void	test_cgroup_oom(void);
static void	test_cgroup_busy(void);
static void	test_cgroup_misc(void);

static pid_t
kid_add(pid_t pid)
{
	int	i;

	for (i = 0; i < KIDS_MAX; i++)
		if (kids[i] == 0) {
			kids[i] = pid;
			break;
		}
	return pid;
}

static void
kid_reap(pid_t pid)
{
	int	i;

	for (i = 0; i < KIDS_MAX; i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

/* Async-signal-safe: kill, waitpid and rmdir only. */
static void
cleanup(void)
{
	int	i, k;

	for (i = 0; i < KIDS_MAX; i++)
		if (kids[i] > 0) {
			(void)kill(-kids[i], SIGKILL);
			(void)kill(kids[i], SIGKILL);
		}
	/* Our own children and the orphans we adopted as subreaper. */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	for (i = 0; i < KIDS_MAX; i++)
		kids[i] = 0;
	for (i = 0; i < CGS_MAX; i++) {
		if (cgs[i].path[0] == '\0')
			continue;
		if (cgs[i].procs_fd != -1)
			(void)close(cgs[i].procs_fd);
		if (cgs[i].mem_fd != -1)
			(void)close(cgs[i].mem_fd);
		if (cgs[i].oom_fd != -1)
			(void)close(cgs[i].oom_fd);
		cgs[i].procs_fd = cgs[i].mem_fd = cgs[i].oom_fd = -1;
		/* A cgroup empties a moment after its last process goes. */
		for (k = 0; k < 100 && rmdir(cgs[i].path) == -1 &&
		    errno == EBUSY; k++)
			(void)usleep(10000);
		cgs[i].path[0] = '\0';
	}
	for (i = 0; i < nparents; i++)
		(void)rmdir(parents[i]);
	nparents = 0;
}

static void
on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

/*
 * Note each <cgroup mount>/crashtrail that does not exist yet, so that
 * the one platform_cgroup_init() makes is removed again (and one a
 * daemon here already uses is left alone).
 */
static void
parents_note(void)
{
	char	 line[4096], mnt[200], fstype[64], path[CGROUP_PATH_MAX];
	char	*dash;
	FILE	*f;

	if ((f = fopen("/proc/self/mountinfo", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && nparents < MNT_MAX) {
		if ((dash = strstr(line, " - ")) == NULL ||
		    sscanf(line, "%*s %*s %*s %*s %199s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		if (strcmp(fstype, "cgroup") != 0 &&
		    strcmp(fstype, "cgroup2") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/crashtrail", mnt);
		if (access(path, F_OK) == -1)
			memcpy(parents[nparents++], path, sizeof(path));
	}
	fclose(f);
}

static int
count_fds(pid_t pid)
{
	char		 path[64];
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
count_proc(void)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			n++;
	closedir(d);
	return n;
}

/* 1 when every pid is a zombie (or gone): platform_proc_start says ESRCH. */
static int
all_zombies(const pid_t *pid, int n)
{
	uint64_t	start;
	int		i;

	for (i = 0; i < n; i++)
		if (platform_proc_start(pid[i], &start) == 0)
			return 0;
	return 1;
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fault in `len` bytes, one write per page: RSS, or an OOM kill. */
static void
touch(size_t len)
{
	volatile char	*p;
	size_t		 i;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		_exit(5);
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
}

/* 1 when /proc/self/cgroup names a cgroup ending in /name. */
static int
in_cgroup(const char *name)
{
	char	buf[4096], want[128];
	ssize_t	n;
	int	fd;

	if ((fd = open("/proc/self/cgroup", O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "/%s\n", name);
	return strstr(buf, want) != NULL;
}

static int
read_file(const char *dir, const char *file, char *buf, size_t len)
{
	char	path[CGROUP_PATH_MAX + 64];
	ssize_t	n;
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static struct cgroup_ref *
cg_slot(void)
{
	int	i;

	for (i = 0; i < CGS_MAX; i++)
		if (cgs[i].path[0] == '\0') {
			cgs[i].procs_fd = cgs[i].mem_fd = cgs[i].oom_fd = -1;
			return &cgs[i];
		}
	abort();
}

static void
test_host(void)
{
	struct host_sample	a, b;
	char			why[512];
	long			onln = sysconf(_SC_NPROCESSORS_ONLN);

	platform_sample_init(why, sizeof(why));
	if (why[0] != '\0')
		fprintf(stderr, "sample_init: %s\n", why);
	CHECK(platform_host_sample(&a) == 0);
	CHECK((a.have & (HS_CPU | HS_MEM | HS_LOAD)) ==
	    (HS_CPU | HS_MEM | HS_LOAD));
	CHECK((long)a.ncpu == onln);
	CHECK(a.cpu_busy_ns > 0 && a.cpu_busy_ns <= a.cpu_total_ns);
	CHECK(a.mem_total > 0 && a.mem_available <= a.mem_total);
	/* Bits of other platforms stay clear. */
	CHECK((a.have & (HS_PRESSURE | HS_GPU_UTIL | HS_GPU_MEM)) == 0);
	if (access("/proc/pressure/cpu", R_OK) == 0) {
		CHECK((a.have & (HS_PSI_CPU | HS_PSI_MEM | HS_PSI_IO)) ==
		    (HS_PSI_CPU | HS_PSI_MEM | HS_PSI_IO));
		CHECK(a.psi_some[PSI_MEM] >= a.psi_full[PSI_MEM]);
		CHECK(a.psi_some[PSI_CPU] <= 10000);
	}
	usleep(20000);
	CHECK(platform_host_sample(&b) == 0);
	CHECK(b.cpu_total_ns > a.cpu_total_ns);
	CHECK(b.cpu_busy_ns >= a.cpu_busy_ns);
}

static void
test_groups(void)
{
	struct proc_group	 g[NGROUPS];
	struct statfs		 sfs;
	char			 tmp[] = "/tmp/test_cgroup.XXXXXX";
	static char		 blk[MIB];
	pid_t			 leader, gone, pids[3];
	double			 t0, t1;
	int			 pfd[2], i, fd, nfds, nproc, io_ok;
	int			 status;

	/* A group that is gone: a reaped process was its only member. */
	if ((gone = fork()) == 0)
		_exit(0);
	CHECK(gone > 0);
	waitpid(gone, NULL, 0);

	/* Storage writes show in write_bytes unless /tmp is in memory. */
	io_ok = statfs("/tmp", &sfs) == 0 && sfs.f_type != TMPFS_MAGIC;
	if (pipe(pfd) == -1) {
		CHECK(0);
		return;
	}
	leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		close(pfd[0]);
		for (i = 0; i < 2; i++) {
			if ((pids[i] = fork()) == 0) {
				touch(4 * MIB);
				for (;;)
					pause();
			}
		}
		touch(8 * MIB);
		if ((fd = mkstemp(tmp)) != -1) {
			(void)unlink(tmp);
			for (i = 0; i < 2; i++)
				(void)write(fd, blk, sizeof(blk));
			close(fd);
		}
		for (t0 = now_s(); now_s() - t0 < 0.05;)
			;
		if (write(pfd[1], pids, 2 * sizeof(pid_t)) !=
		    2 * sizeof(pid_t))
			_exit(1);
		for (;;)
			pause();
	}
	kid_add(leader);
	close(pfd[1]);
	setpgid(leader, leader);
	CHECK(read(pfd[0], pids, 2 * sizeof(pid_t)) == 2 * sizeof(pid_t));
	close(pfd[0]);
	pids[2] = leader;
	usleep(50000);	/* the children's pages are in */

	for (i = 0; i < NGROUPS; i++)
		g[i].pgid = 0x3ffffff0 - i;	/* no such groups */
	g[17].pgid = leader;
	g[40].pgid = gone;
	g[41].pgid = 0;
	CHECK(platform_groups_sample(g, NGROUPS) == 0);
	CHECK(g[17].found == 1);
	CHECK(g[17].s.nprocs == 3);
	CHECK(g[17].s.threads >= 3);
	CHECK(g[17].s.rss >= 16 * MIB);
	CHECK(g[17].s.cpu_ns > 0);
	CHECK(g[17].s.have ==
	    (PS_CPU | PS_RSS | PS_THREADS | PS_FDS | PS_IO));
	nfds = count_fds(pids[0]) + count_fds(pids[1]) + count_fds(pids[2]);
	CHECK((int)g[17].s.fds == nfds);
	if (io_ok)
		CHECK(g[17].s.io_write >= 2 * MIB);
	for (i = 0; i < NGROUPS; i++)
		if (i != 17) {
			CHECK(g[i].found == 0);
			CHECK(g[i].s.have == 0 && g[i].s.nprocs == 0);
		}
	/* The same pgid twice gets the same figures twice. */
	g[18].pgid = leader;
	CHECK(platform_groups_sample(g, NGROUPS) == 0);
	CHECK(g[18].found == 1 && g[18].s.nprocs == 3);
	CHECK(platform_groups_sample(g, 0) == 0);

	/* The cost of one call for 64 groups. */
	nproc = count_proc();
	t0 = now_s();
	for (i = 0; i < TIMING_CALLS; i++)
		(void)platform_groups_sample(g, NGROUPS);
	t1 = now_s();
	fprintf(stderr, "groups_sample: %d groups, %d processes in /proc: "
	    "%.1f us per call (%d calls)\n", NGROUPS, nproc,
	    (t1 - t0) * 1e6 / TIMING_CALLS, TIMING_CALLS);

	/* Zombies count as gone. */
	CHECK(kill(-leader, SIGKILL) == 0);
	for (t0 = now_s(); !all_zombies(pids, 3) && now_s() - t0 < 10;)
		usleep(1000);
	CHECK(all_zombies(pids, 3));
	CHECK(platform_groups_sample(g, NGROUPS) == 0);
	CHECK(g[17].found == 0 && g[17].s.nprocs == 0 && g[17].s.have == 0);
	CHECK(waitpid(leader, &status, 0) == leader);
	kid_reap(leader);
	/* The two children, adopted by us as subreaper. */
	while (waitpid(-leader, NULL, 0) > 0)
		;
	CHECK(platform_groups_sample(g, NGROUPS) == 0);
	CHECK(g[17].found == 0);
}

static void
test_cgroup_oom(void)
{
	struct cgroup_ref	*cg = cg_slot();
	char			 name[64], buf[256];
	uint64_t		 mem = 0, kills = 0;
	pid_t			 pid;
	int			 status = 0;

	snprintf(name, sizeof(name), "ct-test-%ld-oom", (long)getpid());
	CHECK(platform_cgroup_create(cg, name, 64 * MIB) == 0);
	if (cg->version == 0)
		return;
	CHECK(cg->version == 1 || cg->version == 2);
	CHECK(cg->procs_fd >= 0);
	CHECK(read_file(cg->path, cg->version == 2 ? "memory.max" :
	    "memory.limit_in_bytes", buf, sizeof(buf)) == 0);
	CHECK(strtoull(buf, NULL, 10) == 64 * MIB);
	if ((pid = fork()) == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(60);
		if (platform_cgroup_enter(cg) != 0)
			_exit(3);
		if (!in_cgroup(name))
			_exit(4);
		touch(256 * MIB);
		_exit(0);
	}
	kid_add(pid);
	platform_cgroup_started(cg);
	CHECK(cg->procs_fd == -1);
	CHECK(waitpid(pid, &status, 0) == pid);
	kid_reap(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fprintf(stderr, "oom child: status 0x%x\n", status);
	CHECK(platform_cgroup_sample(cg, &mem, &kills) == 0);
	CHECK(kills >= 1);
	CHECK(mem <= 64 * MIB);
	fprintf(stderr, "cgroup v%d %s: oom_kills %llu, mem %llu after "
	    "the kill\n", cg->version, cg->path, (unsigned long long)kills,
	    (unsigned long long)mem);
	CHECK(platform_cgroup_remove(cg) == 0);
	CHECK(cg->version == 0);
	CHECK(access(cg->path, F_OK) == -1 && errno == ENOENT);
	cg->path[0] = '\0';
}

/* A cgroup with a process in it is not removed, and is once it is empty. */
static void
test_cgroup_busy(void)
{
	struct cgroup_ref	*cg = cg_slot();
	char			 name[64], buf[256], c;
	uint64_t		 mem = 0, kills = 1;
	pid_t			 pid;
	int			 pfd[2], i, r;

	snprintf(name, sizeof(name), "ct-test-%ld-busy", (long)getpid());
	CHECK(platform_cgroup_create(cg, name, 0) == 0);
	if (cg->version == 0 || pipe(pfd) == -1)
		return;
	/* No limit asked: the kernel's "none" stays. */
	CHECK(read_file(cg->path, cg->version == 2 ? "memory.max" :
	    "memory.limit_in_bytes", buf, sizeof(buf)) == 0);
	CHECK(strncmp(buf, "max", 3) == 0 ||
	    strtoull(buf, NULL, 10) > 1ULL << 40);
	if ((pid = fork()) == 0) {
		close(pfd[0]);
		if (platform_cgroup_enter(cg) != 0 || !in_cgroup(name))
			_exit(3);
		touch(4 * MIB);
		(void)write(pfd[1], "x", 1);
		for (;;)
			pause();
	}
	kid_add(pid);
	close(pfd[1]);
	platform_cgroup_started(cg);
	CHECK(read(pfd[0], &c, 1) == 1);
	close(pfd[0]);
	CHECK(platform_cgroup_sample(cg, &mem, &kills) == 0);
	CHECK(mem >= 4 * MIB && kills == 0);
	errno = 0;
	CHECK(platform_cgroup_remove(cg) == -1 && errno == EBUSY);
	CHECK(cg->version != 0 && access(cg->path, F_OK) == 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	kid_reap(pid);
	for (i = 0; (r = platform_cgroup_remove(cg)) == -1 && i < 100; i++)
		usleep(10000);
	CHECK(r == 0);
	CHECK(access(cg->path, F_OK) == -1);
	cg->path[0] = '\0';
}

static void
test_cgroup_misc(void)
{
	static const char *const bad[] = {
		"a/b", "..", ".", "", "/abs", "a b", "x\n",
		/* 128 characters: longer than any run id. */
		"0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890123456789"
		    "01234567",
	};
	struct cgroup_ref	*cg = cg_slot(), none;
	char			 name[128];
	uint64_t		 mem, kills;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CHECK(platform_cgroup_create(cg, bad[i], 0) == -1);
		CHECK(errno == EINVAL && cg->version == 0 &&
		    cg->procs_fd == -1);
	}
	/* A directory left by a crash (ids are unique) is made anew. */
	snprintf(name, sizeof(name), "ct-test-%ld-stale", (long)getpid());
	CHECK(platform_cgroup_create(cg, name, 0) == 0);
	platform_cgroup_started(cg);
	CHECK(platform_cgroup_create(cg, name, 32 * MIB) == 0);
	CHECK(cg->version != 0 && cg->procs_fd >= 0);
	CHECK(platform_cgroup_remove(cg) == 0);
	CHECK(cg->procs_fd == -1);
	CHECK(platform_cgroup_remove(cg) == 0);	/* twice is fine */
	cg->path[0] = '\0';
	/* A run id as long as they come (RUN_ID_MAX, 96). */
	snprintf(name, sizeof(name), "ct-test-%ld-", (long)getpid());
	memset(name + strlen(name), 'r', 68 - strlen(name));
	snprintf(name + 68, sizeof(name) - 68, "-20261122T180000123456Z");
	CHECK(strlen(name) == 91);
	CHECK(platform_cgroup_create(cg, name, 0) == 0);
	CHECK(platform_cgroup_remove(cg) == 0);
	cg->path[0] = '\0';
	/* No cgroup: entering is nothing, sampling is ENOENT. */
	memset(&none, 0, sizeof(none));
	none.procs_fd = none.mem_fd = none.oom_fd = -1;
	CHECK(platform_cgroup_enter(&none) == 0);
	CHECK(platform_cgroup_sample(&none, &mem, &kills) == -1);
	CHECK(platform_cgroup_remove(&none) == 0);
}

int
main(void)
{
	char	why[512];

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGALRM, on_signal);
	alarm(100);
	/* The children of a killed group leader come back to us. */
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);

	test_host();
	test_groups();
	parents_note();
	if (platform_cgroup_init(why, sizeof(why)) == -1) {
		snprintf(skip_why, sizeof(skip_why), "cgroups: %s", why);
		CHECK_SKIP(skip_why);
	} else {
		CHECK(why[0] == '\0');
		test_cgroup_oom();
		test_cgroup_busy();
		test_cgroup_misc();
	}
	cleanup();
	return CHECK_DONE();
}
