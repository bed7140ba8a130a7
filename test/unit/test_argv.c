/*
 * test_argv.c -- shell-like word splitting (src/argv.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "argv.h"
#include "check.h"

#define MAXW	16

static int	split_is(const char *, int, ...);
static int	fails_with(const char *, size_t, size_t, const char *);
static void	test_words(void);
static void	test_quotes(void);
static void	test_backslashes(void);
static void	test_errors(void);
static void	test_limits(void);

/*
 * Split `in` and compare with the `n` expected words that follow; prints
 * what came out when it differs, since CHECK shows only the line.
 */
static int
split_is(const char *in, int n, ...)
{
	char		 buf[256], *argv[MAXW];
	const char	*err, *want;
	va_list		 ap;
	int		 i, got, ok = 1;

	memset(argv, 0xa5, sizeof(argv));
	got = argv_split(in, buf, sizeof(buf), argv, MAXW, &err);
	if (got != n || err != NULL)
		ok = 0;
	va_start(ap, n);
	for (i = 0; ok && i < n; i++) {
		want = va_arg(ap, const char *);
		if (strcmp(argv[i], want) != 0)
			ok = 0;
	}
	va_end(ap);
	/* The vector always ends in NULL. */
	if (ok && argv[n] != NULL)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "split [%s]: got %d (%s):", in, got,
		    err ? err : "no error");
		for (i = 0; i < got && i < MAXW; i++)
			fprintf(stderr, " [%s]", argv[i]);
		fputc('\n', stderr);
	}
	return ok;
}

/* Whether splitting fails and *err contains `why`. */
static int
fails_with(const char *in, size_t buflen, size_t maxargv, const char *why)
{
	char		 buf[256], *argv[MAXW];
	const char	*err = NULL;
	int		 rv;

	if (buflen > sizeof(buf) || maxargv > MAXW)
		return 0;
	rv = argv_split(in, buf, buflen, argv, maxargv, &err);
	if (rv != -1 || err == NULL || strstr(err, why) == NULL) {
		fprintf(stderr, "split [%s]: got %d (%s), wanted error %s\n",
		    in, rv, err ? err : "no error", why);
		return 0;
	}
	return 1;
}

static void
test_words(void)
{
	CHECK(split_is("ls", 1, "ls"));
	CHECK(split_is("ls -l /tmp", 3, "ls", "-l", "/tmp"));
	CHECK(split_is("  ls   -l\t\t/tmp  ", 3, "ls", "-l", "/tmp"));
	CHECK(split_is("a\nb", 2, "a", "b"));
	CHECK(split_is("\t a \t", 1, "a"));
	/* No expansion of any kind. */
	CHECK(split_is("echo $HOME ~ * `id` ;|&", 6, "echo", "$HOME", "~",
	    "*", "`id`", ";|&"));
	CHECK(split_is("a=b c", 2, "a=b", "c"));
}

static void
test_quotes(void)
{
	CHECK(split_is("'a b'", 1, "a b"));
	CHECK(split_is("\"a b\"", 1, "a b"));
	CHECK(split_is("sh -c 'echo hi; exit 3'", 3, "sh", "-c",
	    "echo hi; exit 3"));
	/* Quotes join with what touches them. */
	CHECK(split_is("a'b c'd", 1, "ab cd"));
	CHECK(split_is("a\"b c\"d e", 2, "ab cd", "e"));
	CHECK(split_is("'a'\"b\"c", 1, "abc"));
	/* Empty quoted words are words. */
	CHECK(split_is("\"\"", 1, ""));
	CHECK(split_is("''", 1, ""));
	CHECK(split_is("a \"\" b", 3, "a", "", "b"));
	CHECK(split_is("a '' b ''", 4, "a", "", "b", ""));
	/* Each quote kind is literal inside the other. */
	CHECK(split_is("\"it's\"", 1, "it's"));
	CHECK(split_is("'say \"hi\"'", 1, "say \"hi\""));
	/* Single quotes keep backslashes and $ literally. */
	CHECK(split_is("'a\\b\\\\c $x'", 1, "a\\b\\\\c $x"));
	CHECK(split_is("'\\'", 1, "\\"));
	/* Blanks and newlines inside quotes are kept. */
	CHECK(split_is("'a\tb\nc'", 1, "a\tb\nc"));
}

static void
test_backslashes(void)
{
	/* Outside quotes, \ makes the next character literal. */
	CHECK(split_is("a\\ b", 1, "a b"));
	CHECK(split_is("a\\\\b", 1, "a\\b"));
	CHECK(split_is("\\'x\\'", 1, "'x'"));
	CHECK(split_is("\\\"x", 1, "\"x"));
	CHECK(split_is("\\n", 1, "n"));
	CHECK(split_is("\\$HOME", 1, "$HOME"));
	CHECK(split_is("\\ ", 1, " "));
	/* Inside "...", \ escapes only " \ $ ` and newline. */
	CHECK(split_is("\"a\\\"b\"", 1, "a\"b"));
	CHECK(split_is("\"a\\\\b\"", 1, "a\\b"));
	CHECK(split_is("\"\\$x\"", 1, "$x"));
	CHECK(split_is("\"\\`x\\`\"", 1, "`x`"));
	CHECK(split_is("\"a\\nb\"", 1, "a\\nb"));
	CHECK(split_is("\"a\\'b\"", 1, "a\\'b"));
	CHECK(split_is("\"\\x\\y\"", 1, "\\x\\y"));
	CHECK(split_is("\"C:\\\\dir\\\\\"", 1, "C:\\dir\\"));
}

static void
test_errors(void)
{
	CHECK(fails_with("'abc", 256, MAXW, "unterminated quote"));
	CHECK(fails_with("\"abc", 256, MAXW, "unterminated quote"));
	CHECK(fails_with("a 'b c", 256, MAXW, "unterminated quote"));
	CHECK(fails_with("a \"b 'c' d", 256, MAXW, "unterminated quote"));
	CHECK(fails_with("\"", 256, MAXW, "unterminated quote"));
	CHECK(fails_with("'", 256, MAXW, "unterminated quote"));
	/* An escaped quote does not close. */
	CHECK(fails_with("\"a\\\"", 256, MAXW, "unterminated quote"));
	CHECK(fails_with("abc\\", 256, MAXW, "trailing backslash"));
	CHECK(fails_with("\\", 256, MAXW, "trailing backslash"));
	CHECK(fails_with("a b\\", 256, MAXW, "trailing backslash"));
	CHECK(fails_with("", 256, MAXW, "empty"));
	CHECK(fails_with("   ", 256, MAXW, "empty"));
	CHECK(fails_with(" \t\n ", 256, MAXW, "empty"));
}

static void
test_limits(void)
{
	char		 buf[8], *argv[4];
	const char	*err;

	/* maxargv counts the NULL: 3 slots hold 2 words. */
	CHECK(argv_split("a b", buf, sizeof(buf), argv, 3, &err) == 2);
	CHECK(argv[2] == NULL && err == NULL);
	CHECK(fails_with("a b c", 256, 3, "too many words"));
	CHECK(fails_with("a", 256, 1, "too many words"));
	CHECK(split_is("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", 15, "1", "2",
	    "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14",
	    "15"));
	CHECK(fails_with("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", 256, MAXW,
	    "too many words"));

	/* "ab cd" needs 6 bytes: "ab\0cd\0". */
	CHECK(argv_split("ab cd", buf, 6, argv, 4, &err) == 2);
	CHECK(strcmp(argv[0], "ab") == 0 && strcmp(argv[1], "cd") == 0);
	CHECK(fails_with("ab cd", 5, MAXW, "too long"));
	CHECK(fails_with("ab cd", 4, MAXW, "too long"));
	CHECK(fails_with("abcdef", 6, MAXW, "too long"));
	CHECK(argv_split("abcdef", buf, 7, argv, 4, &err) == 1);
	/* Quotes and escapes take no room of their own. */
	CHECK(argv_split("'ab' \\c\"d\"", buf, 6, argv, 4, &err) == 2);
	CHECK(strcmp(argv[0], "ab") == 0 && strcmp(argv[1], "cd") == 0);
	CHECK(argv_split("\"\"", buf, 1, argv, 4, &err) == 1);
	CHECK(argv[0][0] == '\0');
	CHECK(fails_with("\"\"", 0, MAXW, "too long"));
	/* Never a byte past buflen: the guard byte survives. */
	memset(buf, 'Z', sizeof(buf));
	CHECK(argv_split("abcdefg", buf, 7, argv, 4, &err) == -1);
	CHECK(buf[7] == 'Z');
}

int
main(void)
{
	test_words();
	test_quotes();
	test_backslashes();
	test_errors();
	test_limits();
	return CHECK_DONE();
}
