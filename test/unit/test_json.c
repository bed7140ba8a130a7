/*
 * test_json.c -- the streaming JSON writer (src/json.h): structure and
 * commas, string escaping, U+FFFD for every byte that is not valid UTF-8,
 * overflow of a fixed buffer, and documents bigger than the buffer written
 * whole through a file descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "jsoncheck.h"
#include "json.h"

#define FFFD	"\\ufffd"
/* A string literal as (bytes, length), NULs inside included. */
#define S(lit)	(lit), sizeof(lit) - 1

static char	tmpdir[] = "/tmp/test_json.XXXXXX";

static int	doc_is(const struct jw *, const char *);
static int	str_is(const void *, size_t, const char *);
static void	write_sample(struct jw *, const unsigned char *, size_t);
static void	test_structure(void);
static void	test_escapes(void);
static void	test_utf8_valid(void);
static void	test_utf8_invalid(void);
static void	test_overflow(void);
static void	test_depth(void);
static void	test_fd(void);
static void	test_fd_error(void);

/* Whether the fixed-buffer writer holds exactly `want`, without error. */
static int
doc_is(const struct jw *w, const char *want)
{
	size_t	n = strlen(want);

	if (w->err || w->len != n || memcmp(w->buf, want, n) != 0) {
		fprintf(stderr, "json: got [%.*s] err %d, want [%s]\n",
		    (int)w->len, w->buf, w->err, want);
		return 0;
	}
	return 1;
}

/* One string value of raw bytes, as a whole document. */
static int
str_is(const void *s, size_t n, const char *want)
{
	struct jw	w;
	char		buf[512];

	jw_init(&w, buf, sizeof(buf), -1);
	jw_strn(&w, NULL, s, n);
	/* python_parses() is left to the bigger documents: it is slow. */
	return doc_is(&w, want) && jw_finish(&w) == 0;
}

/*
 * A second opinion from a real JSON parser, when python3 is there: it
 * rejects unescaped control characters and broken escapes.  Without it
 * the check is not made (1, so the exact-string checks decide), and the
 * test ends as a skip that says so (CHECK_SKIP).
 */
static void
test_structure(void)
{
	struct jw	w;
	char		buf[512];

	jw_init(&w, buf, sizeof(buf), -1);
	jw_obj_begin(&w, NULL);
	jw_obj_end(&w);
	CHECK(doc_is(&w, "{}"));

	jw_init(&w, buf, sizeof(buf), -1);
	jw_arr_begin(&w, NULL);
	jw_arr_end(&w);
	CHECK(doc_is(&w, "[]"));

	jw_init(&w, buf, sizeof(buf), -1);
	jw_obj_begin(&w, NULL);
	jw_int(&w, "a", 1);
	jw_arr_begin(&w, "b");
	jw_bool(&w, NULL, 1);
	jw_bool(&w, NULL, 0);
	jw_null(&w, NULL);
	jw_arr_end(&w);
	jw_obj_begin(&w, "c");
	jw_str(&w, "d", "x");
	jw_obj_end(&w);
	jw_int(&w, "e", -5);
	jw_uint(&w, "f", UINT64_MAX);
	jw_int(&w, "g", INT64_MIN);
	jw_int(&w, "h", INT64_MAX);
	jw_uint(&w, "i", 0);
	jw_obj_begin(&w, "j");
	jw_obj_end(&w);
	jw_arr_begin(&w, "k");
	jw_arr_end(&w);
	jw_str(&w, "l", "");
	jw_obj_end(&w);
	CHECK(doc_is(&w, "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"x\"},"
	    "\"e\":-5,\"f\":18446744073709551615,"
	    "\"g\":-9223372036854775808,\"h\":9223372036854775807,\"i\":0,"
	    "\"j\":{},\"k\":[],\"l\":\"\"}"));
	CHECK(jw_finish(&w) == 0);
	CHECK(python_parses(buf, w.len));

	/* Commas at each level are independent of the levels around. */
	jw_init(&w, buf, sizeof(buf), -1);
	jw_arr_begin(&w, NULL);
	jw_arr_begin(&w, NULL);
	jw_arr_begin(&w, NULL);
	jw_arr_end(&w);
	jw_int(&w, NULL, 1);
	jw_arr_end(&w);
	jw_arr_begin(&w, NULL);
	jw_int(&w, NULL, 2);
	jw_obj_begin(&w, NULL);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_int(&w, NULL, 3);
	jw_arr_end(&w);
	CHECK(doc_is(&w, "[[[],1],[2,{}],3]"));

	jw_init(&w, buf, sizeof(buf), -1);
	jw_arr_begin(&w, NULL);
	jw_obj_begin(&w, NULL);
	jw_int(&w, "n", 1);
	jw_obj_end(&w);
	jw_obj_begin(&w, NULL);
	jw_int(&w, "n", 2);
	jw_int(&w, "m", 3);
	jw_obj_end(&w);
	jw_arr_end(&w);
	CHECK(doc_is(&w, "[{\"n\":1},{\"n\":2,\"m\":3}]"));

	/* jw_init starts a fresh document, whatever came before. */
	jw_init(&w, buf, sizeof(buf), -1);
	jw_str(&w, NULL, "only");
	CHECK(doc_is(&w, "\"only\""));
}

static void
test_escapes(void)
{
	struct jw	w;
	char		buf[256];

	CHECK(str_is(S("plain"), "\"plain\""));
	CHECK(str_is(S("a\"b"), "\"a\\\"b\""));
	CHECK(str_is(S("a\\b"), "\"a\\\\b\""));
	CHECK(str_is(S("\\\""), "\"\\\\\\\"\""));
	CHECK(str_is(S("l1\nl2\r\n\tx"), "\"l1\\nl2\\r\\n\\tx\""));
	CHECK(str_is(S("\x01"), "\"\\u0001\""));
	CHECK(str_is(S("\x1f"), "\"\\u001f\""));
	CHECK(str_is(S("\b\f"), "\"\\u0008\\u000c\""));
	CHECK(str_is(S("\x1b[31mred\x1b[0m"),
	    "\"\\u001b[31mred\\u001b[0m\""));
	/* NUL inside a counted string. */
	CHECK(str_is(S("a\0b"), "\"a\\u0000b\""));
	/* Printable ASCII, DEL and / pass as they are. */
	CHECK(str_is(S("~ /<>{}[]'\x7f"), "\"~ /<>{}[]'\x7f\""));
	CHECK(str_is(S(""), "\"\""));

	/* Keys are escaped the same way. */
	jw_init(&w, buf, sizeof(buf), -1);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "k\"\n\x02", "v");
	jw_obj_end(&w);
	CHECK(doc_is(&w, "{\"k\\\"\\n\\u0002\":\"v\"}"));
	CHECK(python_parses(buf, w.len));

	/* Every control character: a parser accepts them all. */
	{
		unsigned char	ctl[32];
		int		i;

		for (i = 0; i < 32; i++)
			ctl[i] = (unsigned char)i;
		jw_init(&w, buf, sizeof(buf), -1);
		jw_strn(&w, NULL, ctl, sizeof(ctl));
		CHECK(!w.err && jw_finish(&w) == 0);
		CHECK(memchr(buf, '\n', w.len) == NULL);
		CHECK(python_parses(buf, w.len));
	}
}

static void
test_utf8_valid(void)
{
	CHECK(str_is(S("caf\xc3\xa9"), "\"caf\xc3\xa9\""));
	CHECK(str_is(S("\xe2\x82\xac"), "\"\xe2\x82\xac\""));
	CHECK(str_is(S("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\""));
	/*
	 * The edges of each length class: U+0080, U+07FF, U+0800, U+D7FF,
	 * U+E000, U+FFFF, U+FFFD, U+10000, U+10FFFF.
	 */
	CHECK(str_is(S("\xc2\x80"), "\"\xc2\x80\""));
	CHECK(str_is(S("\xdf\xbf"), "\"\xdf\xbf\""));
	CHECK(str_is(S("\xe0\xa0\x80"), "\"\xe0\xa0\x80\""));
	CHECK(str_is(S("\xed\x9f\xbf"), "\"\xed\x9f\xbf\""));
	CHECK(str_is(S("\xee\x80\x80"), "\"\xee\x80\x80\""));
	CHECK(str_is(S("\xef\xbf\xbf"), "\"\xef\xbf\xbf\""));
	CHECK(str_is(S("\xef\xbf\xbd"), "\"\xef\xbf\xbd\""));
	CHECK(str_is(S("\xf0\x90\x80\x80"), "\"\xf0\x90\x80\x80\""));
	CHECK(str_is(S("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\""));
	/* Multibyte next to characters that need escaping. */
	CHECK(str_is(S("\"\xc3\xa9\n\xc3\xa9\""),
	    "\"\\\"\xc3\xa9\\n\xc3\xa9\\\"\""));
}

static void
test_utf8_invalid(void)
{
	CHECK(str_is(S("\xff"), "\"" FFFD "\""));
	CHECK(str_is(S("\xfe"), "\"" FFFD "\""));
	CHECK(str_is(S("a\xff" "b"), "\"a" FFFD "b\""));
	/* A lone continuation byte. */
	CHECK(str_is(S("\x80"), "\"" FFFD "\""));
	CHECK(str_is(S("x\xbfy"), "\"x" FFFD "y\""));
	/* Overlong forms: every byte is replaced. */
	CHECK(str_is(S("\xc0\x80"), "\"" FFFD FFFD "\""));
	CHECK(str_is(S("\xc1\xbf"), "\"" FFFD FFFD "\""));
	CHECK(str_is(S("\xe0\x80\x80"), "\"" FFFD FFFD FFFD "\""));
	CHECK(str_is(S("\xe0\x9f\xbf"), "\"" FFFD FFFD FFFD "\""));
	CHECK(str_is(S("\xf0\x80\x80\x80"),
	    "\"" FFFD FFFD FFFD FFFD "\""));
	CHECK(str_is(S("\xf0\x8f\xbf\xbf"),
	    "\"" FFFD FFFD FFFD FFFD "\""));
	/* UTF-16 surrogates encoded in UTF-8. */
	CHECK(str_is(S("\xed\xa0\x80"), "\"" FFFD FFFD FFFD "\""));
	CHECK(str_is(S("\xed\xbf\xbf"), "\"" FFFD FFFD FFFD "\""));
	/* Past U+10FFFF, and lead bytes that can never start one. */
	CHECK(str_is(S("\xf4\x90\x80\x80"),
	    "\"" FFFD FFFD FFFD FFFD "\""));
	CHECK(str_is(S("\xf5\x80\x80\x80"),
	    "\"" FFFD FFFD FFFD FFFD "\""));
	CHECK(str_is(S("\xf8\x88\x80\x80\x80"),
	    "\"" FFFD FFFD FFFD FFFD FFFD "\""));
	/* Truncated sequences: at the very end and in the middle. */
	CHECK(str_is(S("a\xe2\x82"), "\"a" FFFD FFFD "\""));
	CHECK(str_is(S("\xc3"), "\"" FFFD "\""));
	CHECK(str_is(S("\xf0\x9f\x98"), "\"" FFFD FFFD FFFD "\""));
	CHECK(str_is(S("\xe2\x82z"), "\"" FFFD FFFD "z\""));
	CHECK(str_is(S("\xe2\x82\xc3\xa9"), "\"" FFFD FFFD "\xc3\xa9\""));
	CHECK(str_is(S("\xc3\""), "\"" FFFD "\\\"\""));
	/* A counted string cut inside a character is invalid there. */
	CHECK(str_is("\xc3\xa9", 1, "\"" FFFD "\""));
	/* Invalid bytes in keys too. */
	{
		struct jw	w;
		char		buf[64];

		jw_init(&w, buf, sizeof(buf), -1);
		jw_obj_begin(&w, NULL);
		jw_int(&w, "k\xff", 1);
		jw_obj_end(&w);
		CHECK(doc_is(&w, "{\"k" FFFD "\":1}"));
	}
	/* Every byte value once: the result always parses. */
	{
		struct jw	w;
		unsigned char	all[256];
		char		buf[2048];
		int		i;

		for (i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		jw_init(&w, buf, sizeof(buf), -1);
		jw_strn(&w, NULL, all, sizeof(all));
		CHECK(!w.err && jw_finish(&w) == 0);
		CHECK(python_parses(buf, w.len));
	}
}

static void
test_overflow(void)
{
	struct jw	w;
	char		buf[64];
	const char	*doc = "{\"a\":\"hello\"}";
	size_t		n = strlen(doc), cap;

	/* Exactly enough room: no error. */
	memset(buf, 'Z', sizeof(buf));
	jw_init(&w, buf, n, -1);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "a", "hello");
	jw_obj_end(&w);
	CHECK(w.err == 0 && w.len == n && memcmp(buf, doc, n) == 0);
	CHECK(jw_finish(&w) == 0);
	CHECK(buf[n] == 'Z');

	/* Any less: err is set, sticky, and nothing is written past cap. */
	for (cap = 0; cap < n; cap++) {
		memset(buf, 'Z', sizeof(buf));
		jw_init(&w, buf, cap, -1);
		jw_obj_begin(&w, NULL);
		jw_str(&w, "a", "hello");
		jw_obj_end(&w);
		CHECK(w.err == 1);
		CHECK(w.len <= cap);
		CHECK(buf[cap] == 'Z');
		CHECK(jw_finish(&w) == -1);
		/* Later items do not clear it. */
		jw_int(&w, NULL, 1);
		CHECK(w.err == 1 && jw_finish(&w) == -1);
	}

	/* Running out of room inside an escape writes nothing past cap. */
	memset(buf, 'Z', sizeof(buf));
	jw_init(&w, buf, 4, -1);
	jw_strn(&w, NULL, "\x01", 1);
	CHECK(w.err == 1 && buf[4] == 'Z');
}

static void
test_depth(void)
{
	struct jw	w;
	char		buf[256];
	int		i;

	/* One level below the maximum: fine, and closes cleanly. */
	jw_init(&w, buf, sizeof(buf), -1);
	for (i = 0; i < JW_DEPTH_MAX - 1; i++)
		jw_arr_begin(&w, NULL);
	jw_int(&w, NULL, 1);
	for (i = 0; i < JW_DEPTH_MAX - 1; i++)
		jw_arr_end(&w);
	CHECK(w.err == 0 && w.depth == 0);
	CHECK(w.len == 2 * (JW_DEPTH_MAX - 1) + 1);
	CHECK(python_parses(buf, w.len));

	/* Deeper than the maximum: an error, not memory past the bitmap. */
	jw_init(&w, buf, sizeof(buf), -1);
	for (i = 0; i < JW_DEPTH_MAX + 8; i++)
		jw_obj_begin(&w, NULL);
	CHECK(w.err == 1);
	CHECK(w.depth < JW_DEPTH_MAX);
	CHECK(jw_finish(&w) == -1);

	/* Closing more than was opened never goes below zero. */
	jw_init(&w, buf, sizeof(buf), -1);
	jw_arr_end(&w);
	jw_obj_end(&w);
	CHECK(w.depth == 0);
}

/* A document that exercises every writer call, sized by `n` strings. */
static void
write_sample(struct jw *w, const unsigned char *junk, size_t n)
{
	size_t	i;
	char	key[32];

	jw_obj_begin(w, NULL);
	jw_str(w, "name", "sample \"doc\"");
	jw_arr_begin(w, "items");
	for (i = 0; i < n; i++) {
		jw_obj_begin(w, NULL);
		jw_uint(w, "i", i);
		jw_int(w, "neg", -(int64_t)i);
		jw_bool(w, "odd", (int)(i & 1));
		jw_null(w, "none");
		snprintf(key, sizeof(key), "k%zu", i % 7);
		jw_strn(w, key, junk + (i * 37) % 4096, 1 + i % 300);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

/*
 * With an fd, a document far bigger than the buffer is written whole and
 * equals what a buffer big enough for all of it would hold.
 */
static void
test_fd(void)
{
	static unsigned char	 junk[8192];
	static char		 big[4 * 1024 * 1024];
	struct jw		 w;
	char			 small[7], path[64], *back;
	size_t			 caps[] = { 1, 2, 7, 64, 4096 }, i, got;
	ssize_t			 r;
	int			 fd;
	unsigned		 x = 12345;

	/* Bytes of every kind, valid and not. */
	for (i = 0; i < sizeof(junk); i++) {
		x = x * 1103515245 + 12345;
		junk[i] = (unsigned char)(x >> 16);
		if (i % 5 == 0)
			junk[i] = (unsigned char)("a\"\\\n\xc3\xa9\x01"[i % 7]);
	}
	jw_init(&w, big, sizeof(big), -1);
	write_sample(&w, junk, 2000);
	CHECK(w.err == 0);
	CHECK(w.len > 100000);
	CHECK(python_parses(big, w.len));

	if ((back = malloc(w.len + 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct jw	fw;
		char		*fbuf;

		snprintf(path, sizeof(path), "%s/doc%zu.json", tmpdir, i);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		CHECK(fd != -1);
		if (fd == -1)
			continue;
		if ((fbuf = malloc(caps[i])) == NULL) {
			perror("malloc");
			exit(2);
		}
		jw_init(&fw, fbuf, caps[i], fd);
		write_sample(&fw, junk, 2000);
		CHECK(fw.err == 0);
		CHECK(jw_finish(&fw) == 0);
		CHECK(fw.len == 0);
		got = 0;
		if (lseek(fd, 0, SEEK_SET) == 0)
			while (got <= w.len && (r = read(fd, back + got,
			    w.len + 1 - got)) > 0)
				got += (size_t)r;
		CHECK(got == w.len);
		CHECK(got == w.len && memcmp(back, big, w.len) == 0);
		close(fd);
		unlink(path);
		free(fbuf);
	}
	free(back);

	/* Through a pipe: smaller than the pipe, bigger than the buffer. */
	{
		int	p[2];
		char	rd[512];

		CHECK(pipe(p) == 0);
		jw_init(&w, small, sizeof(small), p[1]);
		jw_obj_begin(&w, NULL);
		jw_str(&w, "message", "over a pipe, in pieces of seven");
		jw_int(&w, "n", 42);
		jw_obj_end(&w);
		CHECK(jw_finish(&w) == 0);
		close(p[1]);
		got = 0;
		while ((r = read(p[0], rd + got, sizeof(rd) - got)) > 0)
			got += (size_t)r;
		close(p[0]);
		CHECK(got == strlen("{\"message\":\"over a pipe, in pieces "
		    "of seven\",\"n\":42}"));
		CHECK(memcmp(rd, "{\"message\":\"over a pipe, in pieces "
		    "of seven\",\"n\":42}", got) == 0);
	}
}

/* A write that fails sets err and jw_finish reports it. */
static void
test_fd_error(void)
{
	struct jw	w;
	char		buf[8];
	int		p[2], i;

	signal(SIGPIPE, SIG_IGN);
	CHECK(pipe(p) == 0);
	close(p[0]);
	jw_init(&w, buf, sizeof(buf), p[1]);
	jw_arr_begin(&w, NULL);
	for (i = 0; i < 10; i++)
		jw_str(&w, NULL, "nobody reads this");
	jw_arr_end(&w);
	CHECK(w.err == 1);
	CHECK(jw_finish(&w) == -1);
	close(p[1]);

	/* An error found only at the final flush is reported too. */
	CHECK(pipe(p) == 0);
	close(p[0]);
	jw_init(&w, buf, sizeof(buf), p[1]);
	jw_int(&w, NULL, 1);
	CHECK(w.err == 0);
	CHECK(jw_finish(&w) == -1);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_structure();
	test_escapes();
	test_utf8_valid();
	test_utf8_invalid();
	test_overflow();
	test_depth();
	test_fd();
	test_fd_error();
	if (rmdir(tmpdir) == -1)
		fprintf(stderr, "rmdir %s: %s\n", tmpdir, strerror(errno));
	return CHECK_DONE();
}
