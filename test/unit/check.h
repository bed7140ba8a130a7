/*
 * check.h -- the whole unit-test framework: CHECK(cond) records a failure
 * with its line and goes on; CHECK_DONE() prints the count and gives the
 * exit status for main() (like redis's testhelp.h).  CHECK_SKIP(why) says
 * that a check cannot be made here (no python3, no /dev/full, not root):
 * never a silent pass, it makes CHECK_DONE() give 77 (a skip to
 * test/run.sh, with the reason as the last line) unless a check failed.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int	check_total, check_failed, check_skipped;
static const char *check_skip_why;

#define CHECK(c) do {							\
	check_total++;							\
	if (!(c)) {							\
		check_failed++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #c);				\
	}								\
} while (0)

#define CHECK_SKIP(why) do {						\
	if (check_skipped++ == 0)					\
		check_skip_why = (why);					\
	fprintf(stderr, "%s:%d: check not made: %s\n",			\
	    __FILE__, __LINE__, (why));					\
} while (0)

#define CHECK_DONE() (fprintf(stderr, "%d checks, %d failed\n",		\
	check_total, check_failed), check_failed ? 1 :			\
	check_skipped ? (fprintf(stderr, "%d checks not made: %s\n",	\
	check_skipped, check_skip_why), 77) : 0)

#endif /* CHECK_H */
