/*
 * test_classify.c -- exit classification (src/classify.h) from real wait
 * statuses: children that exit with a code or die of a signal, reaped
 * with waitpid, so the statuses are the platform's own encoding.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "classify.h"

static int	status_of_exit(int);
static int	status_of_signal(int);
static void	run(struct exit_info *, int, const struct exitcodes *);
static void	test_exitcodes_set(void);
static void	test_exits(void);
static void	test_signals(void);
static void	test_stops(void);
static void	test_unknown(void);
static void	test_signal_names(void);

/* The wait status of a child that exits with `code`. */
static int
status_of_exit(int code)
{
	pid_t	pid;
	int	st = -1;

	if ((pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	if (pid == 0)
		_exit(code);
	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		exit(2);
	}
	return st;
}

/*
 * The wait status of a child killed by `sig`.  No core file: the test must
 * leave nothing behind, and core_dumped is then reliably 0.
 */
static int
status_of_signal(int sig)
{
	struct rlimit	rl = { 0, 0 };
	pid_t		pid;
	int		st = -1;

	if ((pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		(void)setrlimit(RLIMIT_CORE, &rl);
		signal(sig, SIG_DFL);
		kill(getpid(), sig);
		/* Only reached if the signal did not kill us. */
		_exit(99);
	}
	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		exit(2);
	}
	return st;
}

/* classify with only the stop flags kept, as the supervisor sets them. */
static void
run(struct exit_info *ei, int st, const struct exitcodes *ec)
{
	/* Stale results from a previous use must be overwritten. */
	ei->exited = 7;
	ei->exit_code = 7;
	ei->signo = 7;
	ei->likely_signal = 7;
	ei->abnormal = 7;
	snprintf(ei->cause, sizeof(ei->cause), "stale");
	classify(ei, 1, st, ec);
}

static void
test_exitcodes_set(void)
{
	struct exitcodes	ec;
	int			i, ok = 1;

	memset(&ec, 0, sizeof(ec));
	for (i = -1; i <= 256; i++)
		if (exitcodes_has(&ec, i))
			ok = 0;
	CHECK(ok);
	exitcodes_set(&ec, 0);
	exitcodes_set(&ec, 7);
	exitcodes_set(&ec, 8);
	exitcodes_set(&ec, 255);
	/* Out of range: ignored, never written past the bitmap. */
	exitcodes_set(&ec, 256);
	exitcodes_set(&ec, -1);
	CHECK(exitcodes_has(&ec, 0));
	CHECK(exitcodes_has(&ec, 7));
	CHECK(exitcodes_has(&ec, 8));
	CHECK(exitcodes_has(&ec, 255));
	CHECK(!exitcodes_has(&ec, 1));
	CHECK(!exitcodes_has(&ec, 6));
	CHECK(!exitcodes_has(&ec, 9));
	CHECK(!exitcodes_has(&ec, 254));
	CHECK(!exitcodes_has(&ec, 256));
	CHECK(!exitcodes_has(&ec, -1));
	for (ok = 1, i = 0; i < 256; i++)
		if (exitcodes_has(&ec, i) !=
		    (i == 0 || i == 7 || i == 8 || i == 255))
			ok = 0;
	CHECK(ok);
}

static void
test_exits(void)
{
	struct exitcodes	ec;
	struct exit_info	ei;

	memset(&ec, 0, sizeof(ec));
	exitcodes_set(&ec, 0);
	exitcodes_set(&ec, 2);

	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(0), &ec);
	CHECK(ei.status_known == 1);
	CHECK(ei.exited == 1 && ei.exit_code == 0 && ei.signo == 0);
	CHECK(ei.abnormal == 0);
	CHECK(ei.likely_signal == 0);
	CHECK(strcmp(ei.cause, "exitcode=0") == 0);

	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(3), &ec);
	CHECK(ei.exited == 1 && ei.exit_code == 3);
	CHECK(ei.abnormal == 1);
	CHECK(strcmp(ei.cause, "exitcode=3") == 0);

	/* A code listed in exitcodes is clean. */
	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(2), &ec);
	CHECK(ei.exited == 1 && ei.exit_code == 2 && ei.abnormal == 0);
	CHECK(strcmp(ei.cause, "exitcode=2") == 0);

	/* 0 is clean only because it is in the set. */
	memset(&ec, 0, sizeof(ec));
	exitcodes_set(&ec, 1);
	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(0), &ec);
	CHECK(ei.abnormal == 1);
	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(1), &ec);
	CHECK(ei.abnormal == 0);
	exitcodes_set(&ec, 0);

	/* A wrapper's 128+9: abnormal, probably SIGKILL. */
	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(137), &ec);
	CHECK(ei.exited == 1 && ei.exit_code == 137);
	CHECK(ei.abnormal == 1);
	CHECK(ei.likely_signal == SIGKILL);
	CHECK(ei.signo == 0);
	CHECK(strcmp(ei.cause, "exitcode=137") == 0);

	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(128 + SIGSEGV), &ec);
	CHECK(ei.likely_signal == SIGSEGV && ei.abnormal == 1);

	/* 128 itself and 128+N for no known signal suggest nothing. */
	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(128), &ec);
	CHECK(ei.likely_signal == 0 && ei.abnormal == 1);
	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(255), &ec);
	CHECK(ei.likely_signal == 0 && ei.exit_code == 255);
	CHECK(strcmp(ei.cause, "exitcode=255") == 0);
	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(9), &ec);
	CHECK(ei.likely_signal == 0);

	/* 137 listed as clean is clean, the hint stays. */
	exitcodes_set(&ec, 137);
	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_exit(137), &ec);
	CHECK(ei.abnormal == 0 && ei.likely_signal == SIGKILL);
}

static void
test_signals(void)
{
	struct exitcodes	ec;
	struct exit_info	ei;

	memset(&ec, 0, sizeof(ec));
	exitcodes_set(&ec, 0);

	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_signal(SIGSEGV), &ec);
	CHECK(ei.status_known == 1);
	CHECK(ei.exited == 0 && ei.exit_code == -1);
	CHECK(ei.signo == SIGSEGV);
	CHECK(ei.abnormal == 1);
	CHECK(ei.core_dumped == 0);
	CHECK(ei.likely_signal == 0);
	CHECK(strcmp(ei.cause, "signal=11 (SIGSEGV)") == 0);

	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_signal(SIGKILL), &ec);
	CHECK(ei.signo == SIGKILL && ei.abnormal == 1);
	CHECK(strcmp(ei.cause, "signal=9 (SIGKILL)") == 0);

	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_signal(SIGABRT), &ec);
	CHECK(ei.signo == SIGABRT && ei.abnormal == 1);
	CHECK(strcmp(ei.cause, "signal=6 (SIGABRT)") == 0);

	/* SIGTERM without a stop request is a crash like any other. */
	memset(&ei, 0, sizeof(ei));
	run(&ei, status_of_signal(SIGTERM), &ec);
	CHECK(ei.signo == SIGTERM && ei.abnormal == 1);
	CHECK(strcmp(ei.cause, "signal=15 (SIGTERM)") == 0);

	/* Exit code 0 clean set does not make a signal clean. */
	memset(&ei, 0, sizeof(ei));
	exitcodes_set(&ec, SIGSEGV);
	run(&ei, status_of_signal(SIGSEGV), &ec);
	CHECK(ei.abnormal == 1);

#ifdef SIGRTMIN
	/* A signal with no name in the table: number only. */
	{
		char	want[32];
		int	sig = SIGRTMIN + 1;

		memset(&ei, 0, sizeof(ei));
		run(&ei, status_of_signal(sig), &ec);
		snprintf(want, sizeof(want), "signal=%d", sig);
		CHECK(ei.signo == sig && ei.abnormal == 1);
		CHECK(strcmp(ei.cause, want) == 0);
	}
#endif
}

static void
test_stops(void)
{
	struct exitcodes	ec;
	struct exit_info	ei;

	memset(&ec, 0, sizeof(ec));
	exitcodes_set(&ec, 0);

	/* Asked to stop with TERM, died of TERM: clean. */
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGTERM;
	run(&ei, status_of_signal(SIGTERM), &ec);
	CHECK(ei.signo == SIGTERM && ei.abnormal == 0);
	CHECK(strcmp(ei.cause, "signal=15 (SIGTERM)") == 0);
	/* The flags the caller set are kept. */
	CHECK(ei.stop_requested == 1 && ei.stop_signal == SIGTERM);

	/* Asked to stop with INT, died of INT: clean. */
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGINT;
	run(&ei, status_of_signal(SIGINT), &ec);
	CHECK(ei.abnormal == 0);

	/* Asked to stop, but crashed with SIGSEGV on the way: abnormal. */
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGTERM;
	run(&ei, status_of_signal(SIGSEGV), &ec);
	CHECK(ei.signo == SIGSEGV && ei.abnormal == 1);

	/* Asked to stop with INT, died of TERM: not the stop signal. */
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGINT;
	run(&ei, status_of_signal(SIGTERM), &ec);
	CHECK(ei.abnormal == 1);

	/* Asked to stop, exited by itself with any code: clean. */
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGTERM;
	run(&ei, status_of_exit(1), &ec);
	CHECK(ei.exited == 1 && ei.exit_code == 1 && ei.abnormal == 0);
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGTERM;
	run(&ei, status_of_exit(143), &ec);
	CHECK(ei.abnormal == 0 && ei.likely_signal == SIGTERM);

	/* Had to escalate to SIGKILL: abnormal, even by the stop signal. */
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGTERM;
	ei.stop_escalated = 1;
	run(&ei, status_of_signal(SIGKILL), &ec);
	CHECK(ei.signo == SIGKILL && ei.abnormal == 1);
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGKILL;
	ei.stop_escalated = 1;
	run(&ei, status_of_signal(SIGKILL), &ec);
	CHECK(ei.abnormal == 1);
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGTERM;
	ei.stop_escalated = 1;
	run(&ei, status_of_exit(0), &ec);
	CHECK(ei.abnormal == 1);

	/* Stop signal set but no stop requested: a plain crash. */
	memset(&ei, 0, sizeof(ei));
	ei.stop_signal = SIGTERM;
	run(&ei, status_of_signal(SIGTERM), &ec);
	CHECK(ei.abnormal == 1);
}

/* Absence of a status is never clean. */
static void
test_unknown(void)
{
	struct exitcodes	ec;
	struct exit_info	ei;

	memset(&ec, 0, sizeof(ec));
	exitcodes_set(&ec, 0);

	/* Whatever wstatus holds, status_known 0 means unknown. */
	memset(&ei, 0, sizeof(ei));
	classify(&ei, 0, 0, &ec);
	CHECK(ei.status_known == 0);
	CHECK(ei.abnormal == 1);
	CHECK(ei.exited == 0);
	CHECK(strcmp(ei.cause, "unknown") == 0);

	/* Even when the stop was requested. */
	memset(&ei, 0, sizeof(ei));
	ei.stop_requested = 1;
	ei.stop_signal = SIGTERM;
	classify(&ei, 0, 0, &ec);
	CHECK(ei.abnormal == 1 && strcmp(ei.cause, "unknown") == 0);

	memset(&ei, 0, sizeof(ei));
	ei.unreapable = 1;
	classify(&ei, 0, 0, &ec);
	CHECK(ei.abnormal == 1);
	CHECK(strcmp(ei.cause, "unreapable") == 0);

	/* Unreapable wins over a status that looks clean. */
	memset(&ei, 0, sizeof(ei));
	ei.unreapable = 1;
	ei.stop_requested = 1;
	ei.stop_signal = SIGKILL;
	classify(&ei, 1, status_of_exit(0), &ec);
	CHECK(ei.abnormal == 1);
	CHECK(strcmp(ei.cause, "unreapable") == 0);
	CHECK(ei.exited == 0);
}

static void
test_signal_names(void)
{
	CHECK(strcmp(signal_name(SIGTERM), "SIGTERM") == 0);
	CHECK(strcmp(signal_name(SIGSEGV), "SIGSEGV") == 0);
	CHECK(strcmp(signal_name(SIGKILL), "SIGKILL") == 0);
	CHECK(strcmp(signal_name(SIGBUS), "SIGBUS") == 0);
	CHECK(strcmp(signal_name(SIGHUP), "SIGHUP") == 0);
	CHECK(strcmp(signal_name(SIGSYS), "SIGSYS") == 0);
	CHECK(signal_name(0) == NULL);
	CHECK(signal_name(-1) == NULL);
	CHECK(signal_name(1000) == NULL);

	CHECK(signal_number("TERM") == SIGTERM);
	CHECK(signal_number("SIGTERM") == SIGTERM);
	CHECK(signal_number("sigterm") == SIGTERM);
	CHECK(signal_number("term") == SIGTERM);
	CHECK(signal_number("15") == 15);
	CHECK(signal_number("9") == 9);
	CHECK(signal_number("INT") == SIGINT);
	CHECK(signal_number("SIGQUIT") == SIGQUIT);
	CHECK(signal_number("USR1") == SIGUSR1);
	CHECK(signal_number("HUP") == SIGHUP);
	CHECK(signal_number("KILL") == SIGKILL);
	CHECK(signal_number("bogus") == -1);
	CHECK(signal_number("0") == -1);
	CHECK(signal_number("") == -1);
	CHECK(signal_number("SIG") == -1);
	CHECK(signal_number("-1") == -1);
	CHECK(signal_number("-15") == -1);
	CHECK(signal_number("+15") == -1);
	CHECK(signal_number("15x") == -1);
	CHECK(signal_number(" 15") == -1);
	CHECK(signal_number("65") == -1);
	CHECK(signal_number("99999999999999999999") == -1);
	CHECK(signal_number("SIGSIGTERM") == -1);
	CHECK(signal_number("TERMX") == -1);
	CHECK(signal_number("SIGTER") == -1);
	/* Every name in the table maps back to its number. */
	{
		static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGILL,
		    SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1,
		    SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD,
		    SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,
		    SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGSYS };
		size_t	i;
		int	ok = 1;

		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			const char *n = signal_name(sigs[i]);

			if (n == NULL || signal_number(n) != sigs[i] ||
			    signal_number(n + 3) != sigs[i])
				ok = 0;
		}
		CHECK(ok);
	}
}

int
main(void)
{
	test_exitcodes_set();
	test_exits();
	test_signals();
	test_stops();
	test_unknown();
	test_signal_names();
	return CHECK_DONE();
}
