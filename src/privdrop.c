/*
 * privdrop.c -- becoming [collector] run_as once what needs root is open.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

static int	pd_chown_one(const char *, int);
static int	pd_on_entry(const char *, const struct stat *, int,
		    struct FTW *);
static void	pd_chown_tree(const char *, const char *);
static void	pd_chown_top(const char *);
static void	pd_log_costs(const struct config *);

/* nftw() passes no argument: the ids the walk gives things to. */
static uid_t	pd_uid;
static gid_t	pd_gid;

int
privdrop_check(const struct config *cf)
{
	size_t	i;
	int	rv = 0;

	if (cf->run_as[0] == '\0')
		return 0;
	for (i = 0; i < cf->nrunners; i++)
		if (cf->runners[i]->has_user) {
			log_warnx("%s: runner %s has user = %s, but with "
			    "run_as = %s crashtrail is not root once started "
			    "and cannot switch user: remove one of them",
			    cf->path, cf->runners[i]->name,
			    cf->runners[i]->user, cf->run_as);
			rv = -1;
		}
	return rv;
}

/* Never through a symbolic link: a runner may write into these trees. */
static int
pd_chown_one(const char *path, int warn)
{
	if (fchownat(AT_FDCWD, path, pd_uid, pd_gid, AT_SYMLINK_NOFOLLOW) ==
	    -1 && errno != ENOENT) {
		if (warn)
			log_warn("run_as: chown %s", path);
		return -1;
	}
	return 0;
}

static int
pd_on_entry(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_SL && st->st_uid != pd_uid)
		(void)pd_chown_one(path, 1);
	return 0;
}

/* dir/sub and everything in it, on the same file system. */
static void
pd_chown_tree(const char *dir, const char *sub)
{
	char	path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
	    sizeof(path))
		return;
	if (nftw(path, pd_on_entry, 16, FTW_PHYS | FTW_MOUNT) == -1 &&
	    errno != ENOENT)
		log_warn("run_as: walk %s", path);
}

/*
 * The top directories only when root owns them: a state_dir that the
 * operator made for another user stays as it is (and is that user's
 * business); it is never walked, since it may hold more than ours.
 */
static void
pd_chown_top(const char *dir)
{
	struct stat	st;

	if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0)
		(void)pd_chown_one(dir, 1);
}

static void
pd_log_costs(const struct config *cf)
{
	log_info("run_as = %s: crashtrail now runs as uid %lu gid %lu; "
	    "runners run as %s too and none may have user =",
	    cf->run_as, (unsigned long)pd_uid, (unsigned long)pd_gid,
	    cf->run_as);
	if (cf->cgroup)
		log_info("run_as = %s: per-run memory cgroups cannot be made "
		    "from now on unless the cgroup parent (crashtrail/ under "
		    "the cgroup mount) is delegated to %s; runs start without "
		    "one otherwise", cf->run_as, cf->run_as);
	log_info("run_as = %s: the kernel watcher keeps the kernel log it "
	    "has open but cannot open it again; state_dir, log_dir and "
	    "api_socket cannot move by a restart-free reload (as always)",
	    cf->run_as);
}

int
privdrop_run(const struct config *cf, pid_t helper)
{
	struct passwd	*pw;
	char		 name[sizeof(cf->run_as)];

	if (cf->run_as[0] == '\0')
		return 0;
	if ((pw = getpwnam(cf->run_as)) == NULL) {
		log_warnx("run_as = %s: no such user", cf->run_as);
		return -1;
	}
	pd_uid = pw->pw_uid;
	pd_gid = pw->pw_gid;
	snprintf(name, sizeof(name), "%s", cf->run_as);
	if (pd_uid == geteuid()) {
		log_info("run_as = %s: already running as that user", name);
		return 0;
	}
	if (geteuid() != 0) {
		log_warnx("run_as = %s needs crashtrail to start as root", name);
		return -1;
	}

	pd_chown_top(cf->state_dir);
	pd_chown_top(cf->log_dir);
	pd_chown_tree(cf->state_dir, "journal");
	pd_chown_tree(cf->state_dir, "live");
	pd_chown_tree(cf->state_dir, "spool");
	pd_chown_tree(cf->log_dir, "runner_log");
	/* Only root may signal a root helper: before setuid. */
	if (helper > 0) {
		log_info("run_as = %s: restarting the syncer's helper so that "
		    "it is not root either", name);
		(void)kill(helper, SIGKILL);
	}

	/* Groups first: once uid is not 0 they cannot be changed. */
	if (initgroups(name, pd_gid) == -1) {
		log_warn("run_as = %s: initgroups", name);
		return -1;
	}
	if (setgid(pd_gid) == -1) {
		log_warn("run_as = %s: setgid %lu", name, (unsigned long)pd_gid);
		return -1;
	}
	if (setuid(pd_uid) == -1) {
		log_warn("run_as = %s: setuid %lu", name, (unsigned long)pd_uid);
		return -1;
	}
	/* setuid() as root sets all three uids; make sure none is 0. */
	if (getuid() != pd_uid || geteuid() != pd_uid ||
	    getgid() != pd_gid || getegid() != pd_gid ||
	    setuid(0) != -1 || seteuid(0) != -1 ||
	    (pd_gid != 0 && (setgid(0) != -1 || setegid(0) != -1)))
		fatalx("run_as = %s: root could be regained after the drop",
		    name);
	pd_log_costs(cf);
	return 0;
}
