/*
 * live.c -- records of live runs, and stopping what a dead crashtrail left.
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>
#include <sys/types.h>

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

#include "classify.h"
#include "live.h"
#include "log.h"
#include "platform.h"
#include "timefmt.h"

#define LIVE_MAGIC	"crashtrail-live 1\n"
#define LIVE_FILE_MAX	(PATH_MAX + 1024)
#define LIVE_POLL_MS	20

static char	live_dir[PATH_MAX];

struct reclaim {
	struct live_rec	 rec;
	int		 sig, secs;
	int		 signalled;	/* the stop signal went out */
	int		 kills;		/* SIGKILLs sent */
	int		 done;
	enum live_fate	 fate;
};

static int	live_path(char *, size_t, const char *);
static int	live_parse(struct live_rec *, char *);
static int	live_read(const char *, struct live_rec *);
static int	live_alive(const struct live_rec *);
static void	live_sleep_ms(int);

static const char *const live_fates[] = {
	[LIVE_GONE]		= "gone",
	[LIVE_STOPPED]		= "stopped",
	[LIVE_KILLED]		= "killed",
	[LIVE_UNSTOPPABLE]	= "unstoppable",
};

const char *
live_strfate(enum live_fate f)
{
	return f <= LIVE_UNSTOPPABLE ? live_fates[f] : "?";
}

int
live_init(const char *state_dir)
{
	if ((size_t)snprintf(live_dir, sizeof(live_dir), "%s/live",
	    state_dir) >= sizeof(live_dir)) {
		log_warnx("%s: state_dir is too long", __func__);
		live_dir[0] = '\0';
		return -1;
	}
	if (mkdir(live_dir, 0750) == -1 && errno != EEXIST) {
		log_warn("mkdir %s; live runs are not recorded", live_dir);
		live_dir[0] = '\0';
		return -1;
	}
	return 0;
}

static int
live_path(char *out, size_t len, const char *runner)
{
	if (live_dir[0] == '\0')
		return -1;
	return (size_t)snprintf(out, len, "%s/%s", live_dir, runner) < len ?
	    0 : -1;
}

int
live_write(const struct live_rec *r)
{
	char	path[PATH_MAX + 80], tmp[PATH_MAX + 96], buf[LIVE_FILE_MAX];
	int	fd, n;

	if (live_path(path, sizeof(path), r->runner) == -1)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", live_dir, r->runner);
	n = snprintf(buf, sizeof(buf), LIVE_MAGIC "runner %s\ninstance %s\n"
	    "run_id %s\npid %ld\npgid %ld\nstart %llu\nstarted_us %lld\n"
	    "base %s\n", r->runner, r->instance, r->run_id, (long)r->pid,
	    (long)r->pgid, (unsigned long long)r->start,
	    (long long)r->started_us, r->base);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_warn("%s: open %s", __func__, tmp);
		return -1;
	}
	if (write(fd, buf, (size_t)n) != n) {
		log_warn("%s: write %s", __func__, tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		log_warn("%s: rename %s", __func__, tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

void
live_remove(const char *runner)
{
	char	path[PATH_MAX + 80];

	if (live_path(path, sizeof(path), runner) == 0 &&
	    unlink(path) == -1 && errno != ENOENT)
		log_warn("%s: unlink %s", __func__, path);
}

/* "key value" lines after the magic; every key is required. */
static int
live_parse(struct live_rec *r, char *s)
{
	char		*line, *sp, *end;
	unsigned	 seen = 0;
	long long	 v;

	memset(r, 0, sizeof(*r));
	if (strncmp(s, LIVE_MAGIC, sizeof(LIVE_MAGIC) - 1) != 0)
		return -1;
	s += sizeof(LIVE_MAGIC) - 1;
	while ((line = strsep(&s, "\n")) != NULL && *line != '\0') {
		if ((sp = strchr(line, ' ')) == NULL)
			return -1;
		*sp++ = '\0';
#define STR(k, f, bit)	if (strcmp(line, k) == 0) {			\
			if (strlen(sp) >= sizeof(r->f)) return -1;	\
			memcpy(r->f, sp, strlen(sp) + 1); seen |= bit;	\
			continue; }
		STR("runner", runner, 0x01)
		STR("instance", instance, 0x02)
		STR("run_id", run_id, 0x04)
		STR("base", base, 0x08)
#undef STR
		errno = 0;
		v = strtoll(sp, &end, 10);
		if (errno != 0 || end == sp || *end != '\0' || v < 0)
			return -1;
		if (strcmp(line, "pid") == 0 && v > 0) {
			r->pid = (pid_t)v;
			seen |= 0x10;
		} else if (strcmp(line, "pgid") == 0 && v > 0) {
			r->pgid = (pid_t)v;
			seen |= 0x20;
		} else if (strcmp(line, "start") == 0) {
			r->start = (uint64_t)v;
			seen |= 0x40;
		} else if (strcmp(line, "started_us") == 0) {
			r->started_us = v;
			seen |= 0x80;
		}
	}
	return seen == 0xff && id_check(r->runner, ID_MAX) == NULL &&
	    id_check(r->instance, ID_MAX) == NULL ? 0 : -1;
}

static int
live_read(const char *path, struct live_rec *r)
{
	char	buf[LIVE_FILE_MAX + 1];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return live_parse(r, buf);
}

/*
 * Is anything of the record's run left?  Its leader, if the pid still
 * names the process that was started (same start time); else members of
 * its group, unless the pid is another process now (then the group was
 * emptied before the pid could be reused).  -1: the pid is someone else's.
 */
static int
live_alive(const struct live_rec *r)
{
	uint64_t	start;

	if (platform_proc_start(r->pid, &start) == 0)
		return start == r->start ? 1 : -1;
	return platform_group_alive(r->pgid) == 1 ? 1 : 0;
}

static void
live_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
live_reclaim(void (*ladder)(const char *, int *, int *),
    void (*done)(const struct live_rec *, enum live_fate, void *), void *arg)
{
	struct reclaim	*rs = NULL, *r;
	struct dirent	*de;
	DIR		*d;
	char		 path[PATH_MAX + 300], bad[PATH_MAX + 310];
	const char	*sname;
	size_t		 n = 0, cap = 0, i, left;
	int64_t		 t0, now;
	int		 a;

	if (live_dir[0] == '\0' || (d = opendir(live_dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.') {
			if (strncmp(de->d_name, "..", 2) != 0 &&
			    strcmp(de->d_name, ".") != 0) {
				/* A tmp file of a write that did not finish. */
				snprintf(path, sizeof(path), "%s/%s", live_dir,
				    de->d_name);
				(void)unlink(path);
			}
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", live_dir, de->d_name);
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			/* realloc with the check reallocarray() makes: macOS
			 * before 15 has no reallocarray(). */
			if (cap > SIZE_MAX / sizeof(*rs) ||
			    (rs = realloc(rs, cap * sizeof(*rs))) == NULL)
				fatal("%s", __func__);
		}
		r = &rs[n];
		memset(r, 0, sizeof(*r));
		if (live_read(path, &r->rec) == -1 ||
		    strcmp(r->rec.runner, de->d_name) != 0) {
			snprintf(bad, sizeof(bad), "%s/.%s.bad", live_dir,
			    de->d_name);
			log_warnx("%s: not a live-run record; set aside as %s",
			    path, bad);
			(void)rename(path, bad);
			continue;
		}
		n++;
	}
	closedir(d);

	/* Every group gets its stop signal at once, then each its wait. */
	t0 = timefmt_mono_ms();
	for (i = 0; i < n; i++) {
		r = &rs[i];
		r->sig = SIGTERM;
		r->secs = 10;
		if (ladder != NULL)
			ladder(r->rec.runner, &r->sig, &r->secs);
		a = live_alive(&r->rec);
		if (a == -1)
			log_info("%s: run %s: pid %ld is another process now; "
			    "not signalled", r->rec.runner, r->rec.run_id,
			    (long)r->rec.pid);
		if (a != 1) {
			r->done = 1;
			r->fate = LIVE_GONE;
			continue;
		}
		sname = signal_name(r->sig);
		log_warnx("%s: run %s (group %ld) outlived the last crashtrail; "
		    "stopping it with %s", r->rec.runner, r->rec.run_id,
		    (long)r->rec.pgid, sname != NULL ? sname : "its signal");
		(void)killpg(r->rec.pgid, r->sig);
		r->signalled = 1;
	}
	for (;;) {
		now = timefmt_mono_ms();
		for (i = 0, left = 0; i < n; i++) {
			r = &rs[i];
			if (r->done)
				continue;
			if (live_alive(&r->rec) != 1) {
				r->done = 1;
				r->fate = r->kills ? LIVE_KILLED : LIVE_STOPPED;
				continue;
			}
			if (now - t0 >= (int64_t)r->secs * 1000 +
			    (int64_t)r->kills * (RECLAIM_KILL_WAIT_MS / 3)) {
				if (r->kills == 3) {
					r->done = 1;
					r->fate = LIVE_UNSTOPPABLE;
					log_warnx("%s: group %ld survived 3 "
					    "SIGKILLs; giving up on it",
					    r->rec.runner, (long)r->rec.pgid);
					continue;
				}
				if (r->kills == 0)
					log_warnx("%s: group %ld did not stop; "
					    "SIGKILL", r->rec.runner,
					    (long)r->rec.pgid);
				(void)killpg(r->rec.pgid, SIGKILL);
				r->kills++;
			}
			left++;
		}
		if (left == 0)
			break;
		live_sleep_ms(LIVE_POLL_MS);
	}
	for (i = 0; i < n; i++) {
		done(&rs[i].rec, rs[i].fate, arg);
		live_remove(rs[i].rec.runner);
	}
	free(rs);
	return (int)n;
}
