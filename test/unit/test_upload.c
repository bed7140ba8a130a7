/*
 * test_upload.c -- the uploader's pure parts: the presign request and
 * reply, Retry-After, and the spool's job records.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "http_parse.h"
#include "presign.h"
#include "spool.h"

static int
parse(const char *s, struct presign_reply *r, const char **err)
{
	return presign_parse(s, strlen(s), r, err);
}

static void
test_presign_reply(void)
{
	struct presign_reply	 r;
	const char		*err = NULL;
	char			 big[PRESIGN_REPLY_MAX];
	size_t			 i, n;

	CHECK(parse("{\"uploadUrl\":\"https://s3.example/b/k?X-Amz-Signature="
	    "ab\\u0026c\",\"key\":\"logs/k\",\"expiresIn\":300,\"maxSize\":"
	    "1048576}", &r, &err) == 0);
	CHECK(strcmp(r.url, "https://s3.example/b/k?X-Amz-Signature=ab&c") == 0);
	CHECK(strcmp(r.key, "logs/k") == 0);
	CHECK(r.expires_in == 300 && r.max_size == 1048576);

	/* Unknown members, nested or not, are ignored; order is free. */
	CHECK(parse(" {\"extra\":{\"a\":[1,{\"uploadUrl\":5}]},\"maxSize\":7,"
	    "\"uploadUrl\":\"http://h:8080/p\"}\r\n", &r, &err) == 0);
	CHECK(strcmp(r.url, "http://h:8080/p") == 0 && r.key[0] == '\0');
	CHECK(r.expires_in == -1 && r.max_size == 7);
	/* Optional members may be null. */
	CHECK(parse("{\"uploadUrl\":\"https://h/\",\"key\":null,\"expiresIn\":"
	    "null,\"maxSize\":null}", &r, &err) == 0);
	CHECK(r.expires_in == -1 && r.max_size == -1);

	CHECK(parse("{\"key\":\"k\"}", &r, &err) == -1 &&
	    strstr(err, "no uploadUrl") != NULL);
	CHECK(parse("{\"uploadUrl\":\"ftp://h/x\"}", &r, &err) == -1);
	CHECK(parse("{\"uploadUrl\":\"https://h/a b\"}", &r, &err) == -1);
	CHECK(parse("{\"uploadUrl\":7}", &r, &err) == -1);
	CHECK(parse("{\"uploadUrl\":\"https://h/\"}{}", &r, &err) == -1 &&
	    strstr(err, "after") != NULL);
	CHECK(parse("{\"uploadUrl\":\"https://h/\"} x", &r, &err) == -1);
	CHECK(parse("{\"uploadUrl\":\"https://h/\",\"maxSize\":-1}", &r,
	    &err) == -1);
	CHECK(parse("{\"uploadUrl\":\"https://h/\",\"expiresIn\":1.5}", &r,
	    &err) == -1);
	CHECK(parse("{\"uploadUrl\":\"https://h/\",\"expiresIn\":\"300\"}", &r,
	    &err) == -1);
	CHECK(parse("[\"https://h/\"]", &r, &err) == -1);
	CHECK(parse("", &r, &err) == -1);
	CHECK(parse("{\"uploadUrl\":\"https://h/", &r, &err) == -1);

	/* More tokens than the parser keeps: refused, not cut. */
	n = (size_t)snprintf(big, sizeof(big), "{\"uploadUrl\":\"https://h/\","
	    "\"a\":[");
	for (i = 0; i < PRESIGN_TOKENS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s1",
		    i ? "," : "");
	n += (size_t)snprintf(big + n, sizeof(big) - n, "]}");
	CHECK(presign_parse(big, n, &r, &err) == -1 &&
	    strstr(err, "tokens") != NULL);
	/* A URL longer than the struct holds. */
	n = (size_t)snprintf(big, sizeof(big), "{\"uploadUrl\":\"https://h/");
	memset(big + n, 'a', PRESIGN_URL_MAX);
	n += PRESIGN_URL_MAX;
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\"}");
	CHECK(presign_parse(big, n, &r, &err) == -1);
}

static void
test_presign_body(void)
{
	struct presign_req	 q = { "ab", 12, "r-1", "inst", "web",
				    "signal=SIGSEGV \"core\"" };
	char			 buf[512];
	int			 n;

	n = presign_body(buf, sizeof(buf), &q);
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(strcmp(buf, "{\"sha256\":\"ab\",\"size\":12,\"run_id\":\"r-1\","
	    "\"instance_id\":\"inst\",\"runner_id\":\"web\",\"cause\":"
	    "\"signal=SIGSEGV \\\"core\\\"\"}") == 0);
	CHECK(presign_body(buf, 20, &q) == -1);
}

static void
test_retry_after(void)
{
	/* 1994-11-06 08:49:37 UTC */
	const int64_t	t = 784111777;
	int64_t		d = -5;

	CHECK(http_retry_after("120", t, &d) == 0 && d == 120);
	CHECK(http_retry_after("0", t, &d) == 0 && d == 0);
	CHECK(http_retry_after("99999999999999999999999", t, &d) == 0 &&
	    d == HTTP_RETRY_AFTER_MAX);
	CHECK(http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t - 10,
	    &d) == 0 && d == 10);
	CHECK(http_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", t - 3,
	    &d) == 0 && d == 3);
	CHECK(http_retry_after("Sun Nov  6 08:49:37 1994", t - 1, &d) == 0 &&
	    d == 1);
	CHECK(http_retry_after("Wed Nov  9 08:49:37 1994", t, &d) == 0 &&
	    d == 3 * 86400);
	/* In the past: at once. */
	CHECK(http_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t + 60,
	    &d) == 0 && d == 0);
	CHECK(http_retry_after("Mon, 01 Jan 2125 00:00:00 GMT", t, &d) == 0 &&
	    d == HTTP_RETRY_AFTER_MAX);
	d = 42;
	CHECK(http_retry_after("", t, &d) == -1 && d == 42);
	CHECK(http_retry_after("-1", t, &d) == -1);
	CHECK(http_retry_after("1.5", t, &d) == -1);
	CHECK(http_retry_after(" 5", t, &d) == -1);
	CHECK(http_retry_after("Sun, 06 Foo 1994 08:49:37 GMT", t, &d) == -1);
	CHECK(http_retry_after("Sun, 06 Nov 1994 25:49:37 GMT", t, &d) == -1);
	CHECK(http_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", t, &d) == -1);
	CHECK(http_retry_after("soon", t, &d) == -1);
	CHECK(d == 42);
}

static void
test_spool(void)
{
	struct spool_rec	 r, back;
	const char		*err;
	char			 buf[SPOOL_REC_MAX], bad[SPOOL_REC_MAX];
	int			 n;

	memset(&r, 0, sizeof(r));
	r.file = SPOOL_STDERR;
	snprintf(r.path, sizeof(r.path), "/var/lib/ct/runner_log/d/w/x.stderr.log");
	snprintf(r.run_id, sizeof(r.run_id), "w-20261201T000000000000Z");
	snprintf(r.instance_id, sizeof(r.instance_id), "d");
	snprintf(r.runner_id, sizeof(r.runner_id), "w");
	snprintf(r.cause, sizeof(r.cause), "signal=SIGKILL oom");
	r.created = 1796155552;
	n = spool_format(&r, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(spool_parse(buf, (size_t)n, &back, &err) == 0);
	CHECK(memcmp(&r, &back, sizeof(r)) == 0 && !back.has_sha);

	r.has_sha = 1;
	memset(r.sha256, 'a', 64);
	r.sha256[64] = '\0';
	r.size = 1234;
	r.file = SPOOL_REPORT;
	n = spool_format(&r, buf, sizeof(buf));
	CHECK(spool_parse(buf, (size_t)n, &back, &err) == 0);
	CHECK(memcmp(&r, &back, sizeof(r)) == 0);

	/* Cut anywhere: refused (the last newline is the record's end). */
	CHECK(spool_parse(buf, (size_t)n - 1, &back, &err) == -1);
	CHECK(spool_parse(buf, 10, &back, &err) == -1);
#define BAD(from, to) do {						\
	char	*p_;							\
	snprintf(bad, sizeof(bad), "%s", buf);				\
	p_ = strstr(bad, from);						\
	CHECK(p_ != NULL);						\
	if (p_ != NULL) {						\
		memmove(p_ + strlen(to), p_ + strlen(from),		\
		    strlen(p_ + strlen(from)) + 1);			\
		memcpy(p_, to, strlen(to));				\
	}								\
	CHECK(spool_parse(bad, strlen(bad), &back, &err) == -1);	\
} while (0)
	BAD("job 1\n", "job 2\n");
	BAD("file=report", "file=core");
	BAD("run_id=w-", "run_id=../");
	BAD("runner_id=w", "runner_id=a/b");
	BAD("path=/", "path=rel/");
	BAD("created=1796155552", "created=-1");
	BAD("created=1796155552", "created=99999999999999999999");
	BAD("sha256=a", "sha256=A");
	BAD("size=1234\n", "");
	BAD("size=1234\n", "size=1234\nsize=1\n");
	BAD("cause=", "colour=");
	BAD("instance_id=d\n", "");
	BAD("created=1796155552\n", "");
	BAD("cause=signal=SIGKILL oom\n", "cause signal\n");
#undef BAD

	CHECK(spool_format(&r, bad, 40) == -1);
	CHECK(spool_name(buf, sizeof(buf), 1796155552000001LL, &r) > 0);
	CHECK(strcmp(buf, "1796155552000001-w-20261201T000000000000Z."
	    "report.job") == 0);
	CHECK(spool_name(buf, 10, 1, &r) == -1);
	/* A path with a newline cannot be written as a record. */
	snprintf(r.path, sizeof(r.path), "/a\nb");
	CHECK(spool_format(&r, buf, sizeof(buf)) == -1);
}

int
main(void)
{
	test_presign_reply();
	test_presign_body();
	test_retry_after();
	test_spool();
	return CHECK_DONE();
}
