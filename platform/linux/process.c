/*
 * process.c -- Linux process specifics.
 * SPDX-License-Identifier: ISC
 */
#include <sys/prctl.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"

/* Fields of /proc/PID/stat that we read, counted from 1 as proc(5) does. */
#define STAT_STATE	3
#define STAT_PGRP	5
#define STAT_STARTTIME	22

static int	proc_stat(pid_t, char *, uint64_t *, pid_t *);

const char *
platform_name(void)
{
	return "linux";
}

int
platform_adopt_orphans(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* The kernel's record device for the OOM watcher. */
const char *
platform_kmsg_path(void)
{
	return "/dev/kmsg";
}

/*
 * State, process group and start time of `pid` from /proc/PID/stat.  The
 * command name (field 2) is in parentheses and may hold anything, ')' and
 * spaces included, so fields are counted from the last ')'.
 */
static int
proc_stat(pid_t pid, char *state, uint64_t *start, pid_t *pgrp)
{
	char			 path[64], buf[1024], *p, *end;
	unsigned long long	 v;
	ssize_t			 n;
	int		 fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			errno = ESRCH;
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		errno = n == 0 ? ESRCH : errno;
		return -1;
	}
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		goto bad;
	p += 2;
	for (field = STAT_STATE; *p != '\0'; field++) {
		if (field == STAT_STATE)
			*state = *p;
		else if (field == STAT_PGRP || field == STAT_STARTTIME) {
			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno != 0 || end == p)
				goto bad;
			if (field == STAT_PGRP)
				*pgrp = (pid_t)v;
			else {
				*start = v;
				return 0;
			}
		}
		if ((p = strchr(p, ' ')) == NULL)
			break;
		p++;
	}
bad:
	errno = EINVAL;
	return -1;
}

int
platform_proc_start(pid_t pid, uint64_t *start)
{
	char	state = '?';
	pid_t	pgrp;

	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	if (proc_stat(pid, &state, start, &pgrp) == -1)
		return -1;
	if (state == 'Z' || state == 'X') {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

/* killpg(pgid, 0) also answers for zombies: look at each process. */
int
platform_group_alive(pid_t pgid)
{
	struct dirent	*de;
	DIR		*d;
	uint64_t	 start;
	pid_t		 pgrp;
	char		 state;
	int		 alive = 0;

	if (pgid <= 0)
		return 0;
	if (killpg(pgid, 0) == -1 && errno == ESRCH)
		return 0;
	if ((d = opendir("/proc")) == NULL)
		return -1;
	while (!alive && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (proc_stat((pid_t)atol(de->d_name), &state, &start,
		    &pgrp) == 0 && pgrp == pgid && state != 'Z' &&
		    state != 'X')
			alive = 1;
	}
	closedir(d);
	return alive;
}

void
platform_trim_heap(void)
{
#ifdef __GLIBC__
	(void)malloc_trim(0);
#endif
}
