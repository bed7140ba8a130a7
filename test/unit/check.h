/*
 * check.h -- the whole unit-test framework: CHECK(cond) records a failure
 * with its line and goes on; CHECK_DONE() prints the count and gives the
 * exit status for main() (like redis's testhelp.h).
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int	check_total, check_failed;

#define CHECK(c) do {							\
	check_total++;							\
	if (!(c)) {							\
		check_failed++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
		    __FILE__, __LINE__, #c);				\
	}								\
} while (0)

#define CHECK_DONE() (fprintf(stderr, "%d checks, %d failed\n",		\
	check_total, check_failed), check_failed ? 1 : 0)

#endif /* CHECK_H */
