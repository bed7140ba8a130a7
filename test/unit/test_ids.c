/*
 * test_ids.c -- the id rule (src/ids.h): 1..max bytes of [A-Za-z0-9._-],
 * never "." or "..", so an id is always one safe path component.
 */
#include <string.h>

#include "check.h"
#include "ids.h"

static int	valid(const char *);
static int	invalid(const char *, const char *);
static void	test_valid(void);
static void	test_invalid(void);
static void	test_lengths(void);
static void	test_every_byte(void);

static int
valid(const char *s)
{
	return id_check(s, ID_MAX) == NULL;
}

/* Refused, with a reason that contains `why`. */
static int
invalid(const char *s, const char *why)
{
	const char	*r = id_check(s, ID_MAX);

	return r != NULL && strstr(r, why) != NULL;
}

static void
test_valid(void)
{
	CHECK(valid("a"));
	CHECK(valid("Z"));
	CHECK(valid("0"));
	CHECK(valid("web"));
	CHECK(valid("web-1"));
	CHECK(valid("web_1.prod"));
	CHECK(valid("ABCxyz019"));
	CHECK(valid("_"));
	CHECK(valid("-"));
	/* Dots are fine as long as the whole is not "." or "..". */
	CHECK(valid("..."));
	CHECK(valid(".a"));
	CHECK(valid("a."));
	CHECK(valid("a..b"));
	CHECK(valid(".hidden"));
	CHECK(valid("-rf"));
}

static void
test_invalid(void)
{
	CHECK(invalid("", "empty"));
	CHECK(invalid(".", "\".\""));
	CHECK(invalid("..", "\"..\""));
	CHECK(invalid("../x", "may only contain"));
	CHECK(invalid("x/..", "may only contain"));
	CHECK(invalid("a/b", "may only contain"));
	CHECK(invalid("/", "may only contain"));
	CHECK(invalid("/etc", "may only contain"));
	CHECK(invalid("a b", "may only contain"));
	CHECK(invalid(" a", "may only contain"));
	CHECK(invalid("a ", "may only contain"));
	CHECK(invalid("a\tb", "may only contain"));
	CHECK(invalid("a\nb", "may only contain"));
	CHECK(invalid("a\\b", "may only contain"));
	CHECK(invalid("a:b", "may only contain"));
	CHECK(invalid("a%2fb", "may only contain"));
	CHECK(invalid("a?b", "may only contain"));
	CHECK(invalid("a#b", "may only contain"));
	CHECK(invalid("a*", "may only contain"));
	CHECK(invalid("~", "may only contain"));
	/* UTF-8 letters and stray high bytes. */
	CHECK(invalid("caf\xc3\xa9", "may only contain"));
	CHECK(invalid("\xe2\x80\x8b", "may only contain"));
	CHECK(invalid("a\xff", "may only contain"));
	CHECK(invalid("\x80", "may only contain"));
	/* Full-width solidus: looks like '/' to a human. */
	CHECK(invalid("a\xef\xbc\x8f" "b", "may only contain"));
}

static void
test_lengths(void)
{
	char	s[ID_MAX + 3];

	memset(s, 'a', sizeof(s));
	s[ID_MAX] = '\0';
	CHECK(strlen(s) == 64);
	CHECK(valid(s));
	s[ID_MAX] = 'a';
	s[ID_MAX + 1] = '\0';
	CHECK(invalid(s, "too long"));
	/* A too-long "." string is still refused (for length). */
	memset(s, '.', ID_MAX + 1);
	CHECK(id_check(s, ID_MAX) != NULL);

	/* The limit is the caller's `max`. */
	CHECK(id_check("abc", 3) == NULL);
	CHECK(id_check("abcd", 3) != NULL);
	CHECK(id_check("a", 1) == NULL);
	CHECK(id_check("", 1) != NULL);
	CHECK(id_check("ab", 0) != NULL);
	memset(s, 'r', sizeof(s));
	s[ID_MAX + 2] = '\0';
	CHECK(id_check(s, RUN_ID_MAX) == NULL);
	CHECK(id_check(s, ID_MAX) != NULL);
}

/* Every single byte: exactly the 65 allowed characters pass. */
static void
test_every_byte(void)
{
	char	s[3];
	int	c, n = 0, ok = 1, allowed;

	for (c = 1; c < 256; c++) {
		s[0] = 'x';
		s[1] = (char)c;
		s[2] = '\0';
		allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if ((id_check(s, ID_MAX) == NULL) != allowed)
			ok = 0;
		if (allowed)
			n++;
	}
	CHECK(ok);
	CHECK(n == 65);
}

int
main(void)
{
	test_valid();
	test_invalid();
	test_lengths();
	test_every_byte();
	return CHECK_DONE();
}
