/*
 * privdrop.h -- crashtrail giving up root for [collector] run_as = USER.
 * SPDX-License-Identifier: ISC
 *
 * Started as root, crashtrail opens what needs root first (/dev/kmsg,
 * the API socket, the state and log directories, the cgroup parent),
 * stops what an earlier crashtrail left running, and only then becomes
 * USER, before any runner starts: runners then run as USER too.
 *
 * What it costs, and says in the log as it drops:
 *  - no runner may have `user =` (switching user needs root): such a
 *    config is refused at start (privdrop_check()), and a reload that
 *    adds one is refused by the config's own check;
 *  - per-run memory cgroups cannot be made under a cgroup parent that
 *    root owns, unless it is delegated to USER;
 *  - the kernel watcher keeps the /dev/kmsg it has open, but could not
 *    open it again;
 *  - the syncer's helper, forked as root, is killed and forked again as
 *    USER (its unacknowledged work is redone, as after any helper death):
 *    a root helper would do renames and unlinks for an unprivileged
 *    daemon.
 * state_dir and log_dir themselves (when root owns them) and crashtrail's
 * own subdirectories of them (journal, live, spool, runner_log) are given
 * to USER first, so that it can go on writing there.
 */
#ifndef PRIVDROP_H
#define PRIVDROP_H

#include <sys/types.h>

#include "config.h"

/*
 * At start, after config_load(): -1 (logged) when run_as is set and
 * cannot work with this config (a runner with user =), else 0.
 */
int	privdrop_check(const struct config *cf);
/*
 * Become cf->run_as (nothing when it is ""): the directories above are
 * chowned, `helper` (the syncer's, or -1) is killed, then initgroups,
 * setgid, setuid, and a check that root cannot be regained (fatal if it
 * can).  0, or -1 (logged) when the drop could not be made: the caller
 * exits rather than run as root against the config's word.
 */
int	privdrop_run(const struct config *cf, pid_t helper);

#endif /* PRIVDROP_H */
