/*
 * classify.c -- wait status to exit classification, and signal names.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"

/*
 * Signal numbers differ between Linux and macOS (SIGBUS is 7 on one, 10 on
 * the other), so the table is built from the macros of the platform we run
 * on rather than written as numbers.
 */
static const struct {
	int		 no;
	const char	*name;
} signals[] = {
	{ SIGHUP, "SIGHUP" },	{ SIGINT, "SIGINT" },	{ SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" },	{ SIGTRAP, "SIGTRAP" },	{ SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" },	{ SIGFPE, "SIGFPE" },	{ SIGKILL, "SIGKILL" },
	{ SIGUSR1, "SIGUSR1" },	{ SIGSEGV, "SIGSEGV" },	{ SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" },	{ SIGALRM, "SIGALRM" },	{ SIGTERM, "SIGTERM" },
	{ SIGCHLD, "SIGCHLD" },	{ SIGCONT, "SIGCONT" },	{ SIGSTOP, "SIGSTOP" },
	{ SIGTSTP, "SIGTSTP" },	{ SIGTTIN, "SIGTTIN" },	{ SIGTTOU, "SIGTTOU" },
	{ SIGURG, "SIGURG" },	{ SIGXCPU, "SIGXCPU" },	{ SIGXFSZ, "SIGXFSZ" },
	{ SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGWINCH, "SIGWINCH" }, { SIGSYS, "SIGSYS" },
};

void
exitcodes_set(struct exitcodes *ec, int code)
{
	if (code >= 0 && code <= 255)
		ec->bits[code / 8] |= (uint8_t)(1u << (code % 8));
}

int
exitcodes_has(const struct exitcodes *ec, int code)
{
	if (code < 0 || code > 255)
		return 0;
	return (ec->bits[code / 8] >> (code % 8)) & 1;
}

const char *
signal_name(int no)
{
	size_t	i;

	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].no == no)
			return signals[i].name;
	return NULL;
}

int
signal_number(const char *s)
{
	char	*end;
	long	 v;
	size_t	 i;

	if (*s >= '0' && *s <= '9') {
		v = strtol(s, &end, 10);
		if (*end != '\0' || v <= 0 || v >= 65)
			return -1;
		return (int)v;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strcasecmp(signals[i].name + 3, s) == 0)
			return signals[i].no;
	return -1;
}

void
classify(struct exit_info *ei, int status_known, int wstatus,
    const struct exitcodes *clean)
{
	const char	*name;

	ei->status_known = status_known;
	ei->exited = 0;
	ei->exit_code = -1;
	ei->signo = 0;
	ei->core_dumped = 0;
	ei->likely_signal = 0;
	if (ei->unreapable || !status_known) {
		snprintf(ei->cause, sizeof(ei->cause), "%s",
		    ei->unreapable ? "unreapable" : "unknown");
		ei->abnormal = 1;
		return;
	}
	if (WIFEXITED(wstatus)) {
		ei->exited = 1;
		ei->exit_code = WEXITSTATUS(wstatus);
		snprintf(ei->cause, sizeof(ei->cause), "exitcode=%d",
		    ei->exit_code);
		/* Shells and wrappers report a child's death as 128+N. */
		if (ei->exit_code > 128 && signal_name(ei->exit_code - 128))
			ei->likely_signal = ei->exit_code - 128;
		ei->abnormal = !exitcodes_has(clean, ei->exit_code) &&
		    !ei->stop_requested;
	} else if (WIFSIGNALED(wstatus)) {
		ei->signo = WTERMSIG(wstatus);
#ifdef WCOREDUMP
		ei->core_dumped = WCOREDUMP(wstatus) ? 1 : 0;
#endif
		name = signal_name(ei->signo);
		if (name != NULL)
			snprintf(ei->cause, sizeof(ei->cause),
			    "signal=%d (%s)", ei->signo, name);
		else
			snprintf(ei->cause, sizeof(ei->cause), "signal=%d",
			    ei->signo);
		/* Dying of the stop signal we sent is the clean way to go. */
		ei->abnormal = !ei->stop_requested ||
		    ei->signo != ei->stop_signal;
	} else {
		snprintf(ei->cause, sizeof(ei->cause), "status=0x%x",
		    (unsigned)wstatus);
		ei->abnormal = 1;
	}
	if (ei->stop_escalated)
		ei->abnormal = 1;
}
