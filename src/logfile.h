/*
 * logfile.h -- one run's output file: raw bytes, never decoded, capped.
 *
 * Paths are <log_dir>/runner_log/<instance_id>/<runner_id>/<ts><suffix>
 * with <ts> in UTC as %Y-%m-%d_%H-%M-%S_%fZ.  Directories are made 0750,
 * files 0640.  A write never fails the caller: bytes that cannot be stored
 * (the per-file cap, the quota, ENOSPC, EIO) are counted in `dropped`, and
 * from the first such byte on the file is left as it is, so what is stored
 * is always an exact prefix of what the runner wrote.  Each reason is
 * logged once per file.
 */
#ifndef LOGFILE_H
#define LOGFILE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct logstore;
struct ls_entry;

struct logfile {
	int		 fd;		/* -1 when closed or never opened */
	uint64_t	 size;		/* bytes stored */
	uint64_t	 dropped;	/* bytes not stored */
	uint64_t	 cap;		/* 0 = none */
	int		 stopped;	/* no more bytes go to the file */
	int		 err;		/* errno of the write failure, or 0 */
	const char	*why;		/* why it stopped: for the report */
	unsigned	 bit;		/* LS_STDERR or LS_STDOUT */
	struct logstore	*store;
	struct ls_entry	*entry;
	char		 path[PATH_MAX];
};

/*
 * Build <root>/<instance>/<runner>/<ts> (no suffix) into `out`, making the
 * two directories if needed.  0, or -1 (logged) if too long or mkdir fails.
 */
int	logfile_base(char *out, size_t len, const char *root,
	    const char *instance, const char *runner, int64_t t_us);
/* Create base+suffix exclusively.  0, or -1 (logged; lf->fd stays -1). */
int	logfile_open(struct logfile *, const char *base, unsigned bit,
	    uint64_t cap, struct logstore *, struct ls_entry *);
void	logfile_write(struct logfile *, const void *, size_t);
/* Close; the fsync happens off the loop (syncer.h). */
void	logfile_close(struct logfile *);

#endif /* LOGFILE_H */
