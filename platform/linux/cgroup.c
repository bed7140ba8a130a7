/*
 * cgroup.c -- per-run memory cgroups, v2 where its memory controller can
 * be had, else v1 (platform.h).
 *
 * Runs get <mount>/crashtrail/<run id>.  On v2 the "crashtrail" parent
 * holds no process, so it may hand the memory controller to its children
 * (the no-internal-process rule).  Mounts are found once, in
 * platform_cgroup_init(); later calls only build paths from them.
 * SPDX-License-Identifier: ISC
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"
#include "procparse.h"

#define CG_PARENT	"crashtrail"
#define CG_NAME_MAX	128	/* a run id is at most 96 (RUN_ID_MAX) */
#define CG_FILE_MAX	(CGROUP_PATH_MAX + 32)

/* The hierarchy runs go into, chosen by platform_cgroup_init(). */
static int	cg_version;
static char	cg_base[CGROUP_PATH_MAX];	/* <mount>/crashtrail */

static int	cg_mounts(char *, size_t, char *, size_t);
static void	cg_unescape(char *);
static int	cg_has_word(const char *, const char *, const char *);
static int	cg_read(const char *, const char *, char *, size_t, size_t *);
static int	cg_pread(int, const char *, const char *, char *, size_t,
		    size_t *);
static int	cg_write(const char *, const char *, const char *);
static size_t	cg_join(char *, const char *, const char *);
static int	cg_parent(const char *, char *, size_t);
static int	cg_try_v2(const char *, char *, size_t);
static int	cg_try_v1(const char *, char *, size_t);
static int	cg_name_ok(const char *);
static size_t	cg_utoa(char *, uint64_t);

/* mountinfo escapes ' ', '\t', '\n' and '\\' in paths as octal. */
static void
cg_unescape(char *s)
{
	char	*d = s;

	for (; *s != '\0'; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else
			*d = *s;
	}
	*d = '\0';
}

/* 1 when `word` is one of the items of s split at any of seps. */
static int
cg_has_word(const char *s, const char *seps, const char *word)
{
	size_t	n = strlen(word), k;

	while (*s != '\0') {
		k = strcspn(s, seps);
		if (k == n && memcmp(s, word, n) == 0)
			return 1;
		s += k;
		if (*s != '\0')
			s++;
	}
	return 0;
}

/*
 * The cgroup2 mount point and the cgroup v1 mount that has the memory
 * controller, from /proc/self/mountinfo ("" where none; read-only
 * mounts are left out).  Fields: id parent dev root mountpoint options
 * [optional...] - fstype source superoptions.
 */
static int
cg_mounts(char *v2, size_t v2len, char *v1, size_t v1len)
{
	FILE		*f;
	char		*line = NULL, *fld[6], *p, *dash, *fstype;
	const char	*super;
	size_t		 cap = 0;
	int		 i;

	v2[0] = v1[0] = '\0';
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return -1;
	while (getline(&line, &cap, f) != -1) {
		line[strcspn(line, "\n")] = '\0';
		if ((dash = strstr(line, " - ")) == NULL)
			continue;
		*dash = '\0';
		p = line;
		for (i = 0; i < 6 && (fld[i] = strsep(&p, " ")) != NULL; i++)
			;
		if (i < 6)
			continue;
		p = dash + 3;
		fstype = strsep(&p, " ");
		(void)strsep(&p, " ");
		super = p != NULL ? p : "";
		if (cg_has_word(fld[5], ",", "ro"))
			continue;
		cg_unescape(fld[4]);
		if (strcmp(fstype, "cgroup2") == 0 && v2[0] == '\0')
			snprintf(v2, v2len, "%s", fld[4]);
		else if (strcmp(fstype, "cgroup") == 0 && v1[0] == '\0' &&
		    cg_has_word(super, ",", "memory"))
			snprintf(v1, v1len, "%s", fld[4]);
	}
	free(line);
	fclose(f);
	return 0;
}

/* dir + "/" + file into dst (CG_FILE_MAX); 0 when it does not fit. */
static size_t
cg_join(char *dst, const char *dir, const char *file)
{
	return procparse_join(dst, CG_FILE_MAX, dir, file);
}

/* The bytes of dir/file (at most cap); async-signal-safe. */
static int
cg_read(const char *dir, const char *file, char *buf, size_t cap,
    size_t *len)
{
	char	path[CG_FILE_MAX];
	ssize_t	n;
	int	fd, saved;

	if (cg_join(path, dir, file) == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, cap);
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* Write s to dir/file in one write(2), as cgroup files want. */
static int
cg_write(const char *dir, const char *file, const char *s)
{
	char	path[CG_FILE_MAX];
	size_t	len = strlen(s);
	ssize_t	n;
	int	fd, saved;

	if (cg_join(path, dir, file) == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, s, len);
	saved = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n == -1 ? saved : EIO;
		return -1;
	}
	return 0;
}

/* mount/crashtrail, made if missing; 1 when this call made it. */
static int
cg_parent(const char *mnt, char *why, size_t whylen)
{
	int	n;

	n = snprintf(cg_base, sizeof(cg_base), "%s/%s", mnt, CG_PARENT);
	if (n < 0 || (size_t)n >= sizeof(cg_base)) {
		snprintf(why, whylen, "%s: path too long", mnt);
		return -1;
	}
	if (mkdir(cg_base, 0755) == 0)
		return 1;
	if (errno == EEXIST)
		return 0;
	snprintf(why, whylen, "cannot create %s: %s", cg_base,
	    strerror(errno));
	return -1;
}

/*
 * v2: usable when the memory controller reaches crashtrail/ (the root
 * enables it in its subtree_control; it then shows in our parent's
 * cgroup.controllers) and crashtrail/ can pass it on to run cgroups.
 */
static int
cg_try_v2(const char *mnt, char *why, size_t whylen)
{
	char	buf[512];
	size_t	len;
	int	made;

	if ((made = cg_parent(mnt, why, whylen)) == -1)
		return -1;
	if (cg_read(cg_base, "cgroup.controllers", buf, sizeof(buf) - 1,
	    &len) == -1) {
		snprintf(why, whylen, "%s/cgroup.controllers: %s", cg_base,
		    strerror(errno));
		goto fail;
	}
	buf[len] = '\0';
	if (!cg_has_word(buf, " \n", "memory")) {
		snprintf(why, whylen, "cgroup v2 at %s has no memory "
		    "controller", mnt);
		goto fail;
	}
	if (cg_read(cg_base, "cgroup.subtree_control", buf, sizeof(buf) - 1,
	    &len) == 0) {
		buf[len] = '\0';
		if (cg_has_word(buf, " \n", "memory"))
			return 0;
	}
	if (cg_write(cg_base, "cgroup.subtree_control", "+memory") == 0)
		return 0;
	snprintf(why, whylen, "cannot enable memory in %s: %s", cg_base,
	    strerror(errno));
fail:
	if (made)
		(void)rmdir(cg_base);
	return -1;
}

/* v1: the memory hierarchy, with crashtrail/ made and writable. */
static int
cg_try_v1(const char *mnt, char *why, size_t whylen)
{
	if (cg_parent(mnt, why, whylen) == -1)
		return -1;
	if (access(cg_base, W_OK) == -1) {
		snprintf(why, whylen, "%s: %s", cg_base, strerror(errno));
		return -1;
	}
	return 0;
}

int
platform_cgroup_init(char *why, size_t whylen)
{
	char	v2[CGROUP_PATH_MAX], v1[CGROUP_PATH_MAX];
	char	why2[2 * CGROUP_PATH_MAX] = "no writable cgroup2 mount";
	char	why1[2 * CGROUP_PATH_MAX] = "no writable cgroup v1 memory mount";

	if (whylen > 0)
		why[0] = '\0';
	cg_version = 0;
	if (cg_mounts(v2, sizeof(v2), v1, sizeof(v1)) == -1) {
		snprintf(why, whylen, "/proc/self/mountinfo: %s",
		    strerror(errno));
		return -1;
	}
	if (v2[0] != '\0' && cg_try_v2(v2, why2, sizeof(why2)) == 0) {
		cg_version = 2;
		return 0;
	}
	if (v1[0] != '\0' && cg_try_v1(v1, why1, sizeof(why1)) == 0) {
		cg_version = 1;
		return 0;
	}
	snprintf(why, whylen, "%s; %s", why2, why1);
	return -1;
}

/* A run id: [A-Za-z0-9._-], not "." or "..", so never a path. */
static int
cg_name_ok(const char *s)
{
	size_t	n = strlen(s), i;

	if (n == 0 || n >= CG_NAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Decimal digits of v at dst, NUL-terminated; async-signal-safe. */
static size_t
cg_utoa(char *dst, uint64_t v)
{
	char	tmp[24];
	size_t	n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	dst[n] = '\0';
	return n;
}

int
platform_cgroup_create(struct cgroup_ref *cg, const char *name,
    uint64_t limit)
{
	char	num[24], path[CG_FILE_MAX];
	int	n, saved;

	cg->version = 0;
	cg->procs_fd = cg->mem_fd = cg->oom_fd = -1;
	cg->path[0] = '\0';
	if (cg_version == 0) {
		errno = ENOTSUP;
		return -1;
	}
	if (!cg_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(cg->path, sizeof(cg->path), "%s/%s", cg_base, name);
	if (n < 0 || (size_t)n >= sizeof(cg->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/*
	 * Run ids are unique, so one that exists was left by a crash:
	 * an empty one is made anew, for its OOM count is not ours.
	 */
	if (mkdir(cg->path, 0755) == -1 && (errno != EEXIST ||
	    rmdir(cg->path) == -1 || mkdir(cg->path, 0755) == -1)) {
		saved = errno;
		cg->path[0] = '\0';
		errno = saved;
		return -1;
	}
	if (limit != 0) {
		cg_utoa(num, limit);
		if (cg_write(cg->path, cg_version == 2 ? "memory.max" :
		    "memory.limit_in_bytes", num) == -1)
			goto fail;
	}
	if (cg_join(path, cg->path, "cgroup.procs") == 0) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if ((cg->procs_fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		goto fail;
	/* What every tick reads stays open: a pread, not a path walk. */
	if (cg_join(path, cg->path, cg_version == 2 ? "memory.current" :
	    "memory.usage_in_bytes") != 0)
		cg->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (cg_join(path, cg->path, cg_version == 2 ? "memory.events" :
	    "memory.oom_control") != 0)
		cg->oom_fd = open(path, O_RDONLY | O_CLOEXEC);
	cg->version = cg_version;
	return 0;
fail:
	saved = errno;
	if (cg->procs_fd != -1)
		close(cg->procs_fd);
	cg->procs_fd = -1;
	(void)rmdir(cg->path);
	cg->path[0] = '\0';
	errno = saved;
	return -1;
}

/*
 * Between fork and exec.  Both versions take "0" as "the writer"
 * (cgroup_procs_write_start()); a pid is the fallback for a kernel that
 * would not.  O_CLOEXEC closes the child's copy at exec.
 */
int
platform_cgroup_enter(const struct cgroup_ref *cg)
{
	char	num[24];
	size_t	n;

	if (cg->version == 0)
		return 0;
	if (cg->procs_fd == -1) {
		errno = EBADF;
		return -1;
	}
	if (write(cg->procs_fd, "0", 1) == 1)
		return 0;
	if (errno != EINVAL)
		return -1;
	n = cg_utoa(num, (uint64_t)getpid());
	return write(cg->procs_fd, num, n) == (ssize_t)n ? 0 : -1;
}

void
platform_cgroup_started(struct cgroup_ref *cg)
{
	if (cg->procs_fd != -1) {
		close(cg->procs_fd);
		cg->procs_fd = -1;
	}
}

int
platform_cgroup_sample(const struct cgroup_ref *cg, uint64_t *mem,
    uint64_t *oom_kills)
{
	char	buf[512];
	size_t	len;

	if (cg->version == 0) {
		errno = ENOENT;
		return -1;
	}
	if (cg_pread(cg->mem_fd, cg->path, cg->version == 2 ?
	    "memory.current" : "memory.usage_in_bytes", buf, sizeof(buf),
	    &len) == -1)
		return -1;
	if (procparse_cg_value(buf, len, mem) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (cg_pread(cg->oom_fd, cg->path, cg->version == 2 ?
	    "memory.events" : "memory.oom_control", buf, sizeof(buf),
	    &len) == -1)
		return -1;
	/* v1 has counted OOM kills in memory.oom_control since 4.13 only. */
	if (procparse_cg_oom_kill(buf, len, oom_kills) == -1)
		*oom_kills = 0;
	return 0;
}

/* From the open fd when there is one, else by path. */
static int
cg_pread(int fd, const char *dir, const char *file, char *buf, size_t cap,
    size_t *len)
{
	ssize_t	n;

	if (fd == -1)
		return cg_read(dir, file, buf, cap, len);
	do
		n = pread(fd, buf, cap, 0);
	while (n == -1 && errno == EINTR);
	if (n < 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

int
platform_cgroup_remove(struct cgroup_ref *cg)
{
	platform_cgroup_started(cg);
	if (cg->mem_fd != -1)
		close(cg->mem_fd);
	if (cg->oom_fd != -1)
		close(cg->oom_fd);
	cg->mem_fd = cg->oom_fd = -1;
	if (cg->version == 0)
		return 0;
	if (rmdir(cg->path) == -1 && errno != ENOENT)
		return -1;
	cg->version = 0;
	return 0;
}

/*
 * Empty run cgroups left by a crashtrail that died (a cgroup goes only
 * once its processes have): rmdir refuses one that still holds any, so
 * only the empty are removed.  The number removed.
 */
int
platform_cgroup_sweep(void)
{
	char		 path[CG_FILE_MAX];
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if (cg_version == 0 || (d = opendir(cg_base)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!cg_name_ok(de->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", cg_base,
		    de->d_name) >= (int)sizeof(path))
			continue;
		if (rmdir(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}
