/*
 * classify.h -- how a run ended, from its wait status and what the
 * supervisor did to it.
 *
 * A run is clean when it exited with 0 or a code listed in the runner's
 * `exitcodes`, or when crashtrail asked it to stop and it went by an exit
 * (any code) or by the stop signal itself.  Everything else is abnormal: a signal, any other
 * code, a stop that had to escalate to SIGKILL, a run that could not be
 * reaped, and an end whose status is unknown ("absence means unknown, never
 * clean").
 */
#ifndef CLASSIFY_H
#define CLASSIFY_H

#include <stdint.h>

#define CAUSE_MAX	64

struct exitcodes {
	uint8_t		bits[32];	/* bit n set: exit code n is clean */
};

struct exit_info {
	int		status_known;	/* a wait status was collected */
	int		exited;		/* WIFEXITED */
	int		exit_code;	/* valid when exited */
	int		signo;		/* valid when !exited: WTERMSIG */
	int		core_dumped;
	int		likely_signal;	/* exit code 128+N from a wrapper: N */
	int		stop_requested;	/* crashtrail asked it to stop */
	int		stop_signal;	/* ... with this signal */
	int		stop_escalated;	/* ... and had to send SIGKILL */
	int		unreapable;	/* gave up waiting after SIGKILLs */
	int		oom_killed;	/* the kernel's OOM killer named it */
	int		abnormal;
	char		cause[CAUSE_MAX]; /* exitcode=N | signal=N (SIGNAME) */
};

void	exitcodes_set(struct exitcodes *, int code);
int	exitcodes_has(const struct exitcodes *, int code);

/*
 * Fill `ei` from a waitpid status (or from its absence when status_known is
 * 0) and the stop flags already set in it; computes cause and abnormal.
 */
void	classify(struct exit_info *ei, int status_known, int wstatus,
	    const struct exitcodes *clean);

/* "SIGSEGV" for 11 on this platform, or NULL for an unknown number. */
const char	*signal_name(int);
/* The number for "TERM", "SIGTERM" or "15"; -1 if unknown. */
int		 signal_number(const char *);

#endif /* CLASSIFY_H */
