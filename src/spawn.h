/*
 * spawn.h -- fork and exec one runner process.
 *
 * The child gets a new session (so it is its own process group, away from
 * crashtrail's terminal), default signal dispositions and an empty signal
 * mask, /dev/null on stdin, child[0] on stdout (-1: /dev/null), child[1] on
 * stderr and child[2] on fd SPAWN_EVENT_FD; every other descriptor of
 * crashtrail is close-on-exec.  Then it changes directory and user, takes
 * back the umask crashtrail was started with (spawn_set_umask) and execs
 * the resolved path.  If anything fails, the child says why on its
 * stderr (so it lands in the run's log and tail) and exits 127.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <sys/types.h>

#include "config.h"

#define SPAWN_EVENT_FD	3
#define SPAWN_EXEC_FAIL	127

/*
 * MODE is the umask crashtrail was started with (what umask(2) returned
 * when crashtrail set its own): each runner gets it back before exec, so
 * the daemon's umask never reaches the runners.
 */
void	spawn_set_umask(mode_t);

/*
 * Returns the child's pid (also its pgid), or -1 (logged) if fork fails.
 * `cg` (NULL or version 0: none) is the run's memory cgroup: the child
 * moves itself in before anything else it does; if it cannot, it says so
 * on its stderr and runs outside it.
 */
struct cgroup_ref;
pid_t	spawn_runner(const struct runner_conf *, char *const envp[],
	    const int child[3], const struct cgroup_ref *cg);

#endif /* SPAWN_H */
