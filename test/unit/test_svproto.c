/*
 * test_svproto.c -- supervisord's eventlistener protocol (src/svproto.h)
 * and the listener built on it (src/svlisten.h): header tokens in any
 * order, payloads read by exact length whatever they contain, any
 * chunking, protocol errors, the crash mapping table, supervisord 4's
 * len-in-characters, the POST body and request, and the listener's exact
 * output byte stream played in lockstep as supervisord would.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "svlisten.h"
#include "svproto.h"
#include "timefmt.h"

/* A string literal as (bytes, length). */
#define S(lit)	(lit), sizeof(lit) - 1

#define EXITED_RUNNING \
	"ver:3.0 server:supervisor serial:21 pool:crashtrail poolserial:10 " \
	"eventname:PROCESS_STATE_EXITED len:68\n" \
	"processname:cat groupname:cat from_state:RUNNING expected:0 pid:2766"

static struct sv_reader	rd;
static char		tmpdir[] = "/tmp/test_svproto.XXXXXX";
static char		sockpath[128];

static int	feed(const char *, size_t, size_t *);
static int	span_is(struct sv_span, const char *);
static size_t	event(char *, size_t, const char *, const char *);
static size_t	headed(char *, size_t, const char *, const char *);
static int	map_of(const char *, const char *, struct sv_crash *);
static void	test_any_order(void);
static void	test_payload_newlines(void);
static void	test_bytewise(void);
static void	test_back_to_back(void);
static void	test_errors(void);
static void	test_oversized(void);
static void	test_edges(void);
static void	test_map(void);
static void	test_chars(void);
static void	test_body(void);
static pid_t	server(const char *, int, int);
static void	test_post(void);
static int	read_exact(int, char *, size_t);
static void	test_lockstep(void);
static void	test_lockstep_daemon(void);

/* Feed all of s in one call, after a reset. */
static int
feed(const char *s, size_t n, size_t *used)
{
	sv_reader_reset(&rd);
	return sv_reader_feed(&rd, s, n, used);
}

static int
span_is(struct sv_span sp, const char *want)
{
	if (want == NULL)
		return sp.p == NULL;
	return sp.p != NULL && sp.n == strlen(want) &&
	    memcmp(sp.p, want, sp.n) == 0;
}

/* A whole event (header + payload) with a correct byte len. */
static size_t
event(char *buf, size_t cap, const char *name, const char *payload)
{
	int	n;

	n = snprintf(buf, cap, "ver:3.0 server:supervisor serial:1 "
	    "pool:crashtrail poolserial:1 eventname:%s len:%zu\n%s", name,
	    strlen(payload), payload);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* A header from fmt (its one %zu is the payload's length), then it. */
static size_t
headed(char *buf, size_t cap, const char *fmt, const char *payload)
{
	int	n;

	n = snprintf(buf, cap, fmt, strlen(payload));
	if (n < 0 || (size_t)n + 1 + strlen(payload) >= cap)
		return 0;
	buf[n++] = '\n';
	memcpy(buf + n, payload, strlen(payload));
	return (size_t)n + strlen(payload);
}

static int
map_of(const char *name, const char *payload, struct sv_crash *c)
{
	char	buf[2048];
	size_t	n, used;

	memset(c, 0xa5, sizeof(*c));
	n = event(buf, sizeof(buf), name, payload);
	if (feed(buf, n, &used) != SV_EVENT || used != n)
		return -100;
	return sv_map(&rd.ev, c);
}

static void
test_any_order(void)
{
	static const char ev[] = "len:5 eventname:TICK_5 serial:7 ver:3.0 "
	    "pool:p poolserial:3 server:supervisor\nwhen:";
	static const char ev2[] = "len:3 foo:bar:baz eventname:X:Y\nabc";
	size_t	used;

	CHECK(feed(S(ev), &used) == SV_EVENT);
	CHECK(used == sizeof(ev) - 1);
	CHECK(rd.ev.len == 5);
	CHECK(span_is(rd.ev.eventname, "TICK_5"));
	CHECK(span_is(rd.ev.serial, "7"));
	CHECK(span_is(rd.ev.ver, "3.0"));
	CHECK(span_is(rd.ev.pool, "p"));
	CHECK(span_is(rd.ev.server, "supervisor"));
	CHECK(rd.ev.payload_len == 5 && memcmp(rd.ev.payload, "when:", 5) ==
	    0);
	/* Split on the first colon; unknown keys are ignored. */
	CHECK(feed(S(ev2), &used) == SV_EVENT);
	CHECK(span_is(rd.ev.eventname, "X:Y"));
	/* Payload tokens in any order, the last of a repeated key counts. */
	CHECK(map_of("PROCESS_STATE_EXITED", "pid:9 expected:0 "
	    "from_state:RUNNING groupname:g processname:a processname:b",
	    &(struct sv_crash){ .pid = 0 }) == SV_MAP_CRASH);
	CHECK(span_is(rd.ev.processname, "b"));
	CHECK(rd.ev.pid == 9 && rd.ev.expected == 0);
}

static void
test_payload_newlines(void)
{
	static const char pl[] = "processname:cat groupname:cat pid:2766 "
	    "channel:stdout\nline one\nexpected:1 pid:1\n\nlen:99\n";
	char	buf[512], two[1024];
	size_t	n, used;

	n = event(buf, sizeof(buf), "PROCESS_LOG_STDOUT", pl);
	CHECK(feed(buf, n, &used) == SV_EVENT);
	CHECK(used == n);
	CHECK(rd.ev.len == sizeof(pl) - 1);
	CHECK(rd.ev.payload_len == sizeof(pl) - 1);
	CHECK(memcmp(rd.ev.payload, pl, sizeof(pl) - 1) == 0);
	/* Tokens only from the first line. */
	CHECK(span_is(rd.ev.processname, "cat"));
	CHECK(rd.ev.pid == 2766);
	CHECK(rd.ev.expected == -1);
	/* The payload's newlines do not end it early: the next event is. */
	memcpy(two, buf, n);
	memcpy(two + n, buf, n);
	CHECK(feed(two, 2 * n, &used) == SV_EVENT && used == n);
	CHECK(sv_reader_feed(&rd, two + n, n, &used) == SV_EVENT &&
	    used == n);
	CHECK(rd.ev.payload_len == sizeof(pl) - 1);
}

static void
test_bytewise(void)
{
	static const char ev[] = EXITED_RUNNING;
	size_t	i, used, total = 0;
	int	rc = SV_MORE, events = 0, early = 0;

	sv_reader_reset(&rd);
	for (i = 0; i < sizeof(ev) - 1; i++) {
		CHECK(i == 0 || sv_reader_busy(&rd));
		rc = sv_reader_feed(&rd, ev + i, 1, &used);
		total += used;
		if (rc == SV_EVENT) {
			events++;
			early += i != sizeof(ev) - 2;
		}
		CHECK(rc != SV_ERROR);
	}
	CHECK(events == 1 && early == 0);
	CHECK(total == sizeof(ev) - 1);
	CHECK(!sv_reader_busy(&rd));
	CHECK(span_is(rd.ev.eventname, "PROCESS_STATE_EXITED"));
	CHECK(span_is(rd.ev.processname, "cat"));
	CHECK(span_is(rd.ev.from_state, "RUNNING"));
	CHECK(rd.ev.pid == 2766 && rd.ev.expected == 0);
	CHECK(!sv_reader_wants(&rd));
}

static void
test_back_to_back(void)
{
	static const char two[] = EXITED_RUNNING
	    "ver:3.0 server:supervisor serial:22 pool:crashtrail "
	    "poolserial:11 eventname:PROCESS_STATE_FATAL len:52\n"
	    "processname:cat groupname:cat from_state:BACKOFF xyz";
	size_t	used, off;
	int	rc;

	CHECK(feed(S(two), &used) == SV_EVENT);
	CHECK(used == sizeof(EXITED_RUNNING) - 1);
	CHECK(span_is(rd.ev.serial, "21") && rd.ev.pid == 2766);
	off = used;
	rc = sv_reader_feed(&rd, two + off, sizeof(two) - 1 - off, &used);
	CHECK(rc == SV_EVENT);
	CHECK(off + used == sizeof(two) - 1);
	CHECK(span_is(rd.ev.serial, "22"));
	CHECK(span_is(rd.ev.eventname, "PROCESS_STATE_FATAL"));
	CHECK(span_is(rd.ev.from_state, "BACKOFF"));
	CHECK(rd.ev.pid == -1);
}

static void
test_errors(void)
{
	static const char good[] = EXITED_RUNNING;
	char	buf[512];
	size_t	used, n;

	/* Garbage: a token without a colon; the whole line is taken. */
	CHECK(feed(S("hello world\n"), &used) == SV_ERROR);
	CHECK(rd.err == SV_E_HEADER_TOKEN && used == 12);
	CHECK(!sv_reader_busy(&rd));
	CHECK(strcmp(sv_strerror(rd.err), "header token without a colon") ==
	    0);
	/* The reader goes on with a fresh header. */
	CHECK(sv_reader_feed(&rd, S(good), &used) == SV_EVENT);
	CHECK(rd.ev.pid == 2766);

	CHECK(feed(S("ver:3.0 eventname:X\nabc"), &used) == SV_ERROR);
	CHECK(rd.err == SV_E_NO_LEN && used == 20);
	CHECK(feed(S("len:abc\n"), &used) == SV_ERROR);
	CHECK(rd.err == SV_E_BAD_LEN);
	CHECK(feed(S("len:-1\n"), &used) == SV_ERROR && rd.err ==
	    SV_E_BAD_LEN);
	CHECK(feed(S("len:+1\n"), &used) == SV_ERROR && rd.err ==
	    SV_E_BAD_LEN);
	CHECK(feed(S("len:\n"), &used) == SV_ERROR && rd.err == SV_E_BAD_LEN);
	CHECK(feed(S("len:5x\n"), &used) == SV_ERROR && rd.err ==
	    SV_E_BAD_LEN);
	CHECK(feed(S("len:99999999999999999999999\n"), &used) == SV_ERROR &&
	    rd.err == SV_E_BAD_LEN);
	CHECK(feed(S("len:16777217\n"), &used) == SV_ERROR && rd.err ==
	    SV_E_BAD_LEN);
	CHECK(feed(S("len:5\r\n"), &used) == SV_ERROR && rd.err ==
	    SV_E_BAD_LEN);
	CHECK(feed(S("len: 5\n"), &used) == SV_ERROR && rd.err ==
	    SV_E_HEADER_TOKEN);
	/* Leading zeros and the largest len are numbers. */
	CHECK(feed(S("len:003\nabc"), &used) == SV_EVENT && rd.ev.len == 3);
	CHECK(feed(S("len:16777216\n"), &used) == SV_MORE &&
	    sv_reader_busy(&rd));

	/* A blank line is skipped, not an error. */
	n = (size_t)snprintf(buf, sizeof(buf), "\n\n%s", good);
	CHECK(feed(buf, n, &used) == SV_EVENT && used == n);
	CHECK(rd.blank == 2);
	/* len:0 completes with the header's newline. */
	CHECK(feed(S("eventname:PROCESS_GROUP_ADDED len:0\n"), &used) ==
	    SV_EVENT);
	CHECK(rd.ev.len == 0 && rd.ev.payload_len == 0);
	CHECK(span_is(rd.ev.processname, NULL));
	CHECK(feed(S("len:0\nlen:1\nx"), &used) == SV_EVENT && used == 6);
	CHECK(sv_reader_feed(&rd, S("len:1\nx"), &used) == SV_EVENT);
}

static void
test_oversized(void)
{
	static char	big[3 * SV_HEADER_MAX];
	static char	payload[SV_PAYLOAD_MAX + 5000];
	static char	ev[sizeof(payload) + 256];
	static const char good[] = EXITED_RUNNING;
	size_t		used, i, n, total;
	int		rc, errors;

	/* A header that never ends is refused once it cannot fit. */
	memset(big, 'a', sizeof(big));
	CHECK(feed(big, sizeof(big), &used) == SV_ERROR);
	CHECK(rd.err == SV_E_HEADER_LONG);
	CHECK(used == sizeof(big));
	CHECK(sv_reader_busy(&rd));
	/* The rest of that line is skipped; then a good event parses. */
	CHECK(sv_reader_feed(&rd, S("aaaa\n"), &used) == SV_MORE &&
	    used == 5);
	CHECK(!sv_reader_busy(&rd));
	CHECK(sv_reader_feed(&rd, S(good), &used) == SV_EVENT);
	CHECK(rd.ev.pid == 2766);

	/* Byte by byte: the error comes at byte SV_HEADER_MAX + 1. */
	sv_reader_reset(&rd);
	errors = 0;
	for (i = 0; i < sizeof(big); i++) {
		rc = sv_reader_feed(&rd, big + i, 1, &used);
		if (rc == SV_ERROR) {
			errors++;
			CHECK(i == SV_HEADER_MAX);
		}
	}
	CHECK(errors == 1);
	/* A line of exactly SV_HEADER_MAX bytes with its newline is fine. */
	memset(big, 'a', SV_HEADER_MAX);
	memcpy(big, "len:0 x:", 8);
	big[SV_HEADER_MAX - 1] = '\n';
	CHECK(feed(big, SV_HEADER_MAX, &used) == SV_EVENT);
	big[SV_HEADER_MAX - 1] = 'a';
	big[SV_HEADER_MAX] = '\n';
	CHECK(feed(big, SV_HEADER_MAX + 1, &used) == SV_ERROR);
	CHECK(used == SV_HEADER_MAX + 1 && !sv_reader_busy(&rd));

	/* A payload over SV_PAYLOAD_MAX: kept in part, skipped, in sync. */
	memset(payload, 'p', sizeof(payload));
	memcpy(payload, "processname:big groupname:big", 29);
	n = (size_t)snprintf(ev, sizeof(ev), "eventname:PROCESS_LOG_STDERR "
	    "len:%zu\n", sizeof(payload));
	memcpy(ev + n, payload, sizeof(payload));
	n += sizeof(payload);
	memcpy(ev + n, good, sizeof(good) - 1);
	n += sizeof(good) - 1;
	sv_reader_reset(&rd);
	for (total = 0, rc = SV_MORE; rc == SV_MORE && total < n;
	    total += used)
		rc = sv_reader_feed(&rd, ev + total, n - total > 4000 ? 4000 :
		    n - total, &used);
	CHECK(rc == SV_EVENT);
	CHECK(rd.ev.payload_len == SV_PAYLOAD_MAX);
	CHECK(rd.ev.skipped == sizeof(payload) - SV_PAYLOAD_MAX);
	CHECK(span_is(rd.ev.processname, "big"));
	CHECK(sv_reader_feed(&rd, ev + total, n - total, &used) == SV_EVENT);
	CHECK(total + used == n && rd.ev.pid == 2766);
}

static void
test_edges(void)
{
	char	buf[256];
	size_t	used, n;

	/* Several spaces between tokens; numbers that are not numbers. */
	n = headed(buf, sizeof(buf), "len:%zu   eventname:E  ",
	    "pid:0 tries:x  expected:2 from_state:");
	CHECK(feed(buf, n, &used) == SV_EVENT && used == n);
	CHECK(span_is(rd.ev.eventname, "E"));
	CHECK(rd.ev.pid == -1 && rd.ev.tries == -1 && rd.ev.expected == -1);
	CHECK(span_is(rd.ev.from_state, ""));
	n = headed(buf, sizeof(buf), "len:%zu",
	    "pid:99999999999 tries:3 processname");
	CHECK(feed(buf, n, &used) == SV_EVENT && used == n);
	CHECK(rd.ev.pid == -1 && rd.ev.tries == 3);
	CHECK(span_is(rd.ev.processname, NULL));
	/* A fresh feed after an event starts a new one. */
	CHECK(sv_reader_feed(&rd, S("len:1\n"), &used) == SV_MORE);
	CHECK(sv_reader_busy(&rd));
	CHECK(strcmp(sv_map_str(SV_MAP_SKIPPED), "skipped") == 0);
}

static void
test_map(void)
{
	struct sv_crash	c;
	char		name[400], pl[1024];

	CHECK(map_of("PROCESS_STATE_EXITED", "processname:web groupname:www "
	    "from_state:RUNNING expected:0 pid:4242", &c) == SV_MAP_CRASH);
	CHECK(strcmp(c.phase, "running") == 0 && c.pid == 4242);
	CHECK(strcmp(c.service_name, "web") == 0);
	CHECK(strcmp(c.group_name, "www") == 0);
	CHECK(strcmp(c.from_state, "RUNNING") == 0);
	CHECK(strcmp(c.eventname, "PROCESS_STATE_EXITED") == 0);

	CHECK(map_of("PROCESS_STATE_EXITED", "processname:web groupname:www "
	    "from_state:STARTING expected:0 pid:7", &c) == SV_MAP_CRASH);
	CHECK(strcmp(c.phase, "startup") == 0 && c.pid == 7);

	CHECK(map_of("PROCESS_STATE_EXITED", "processname:web groupname:www "
	    "from_state:BACKOFF expected:0 pid:7", &c) == SV_MAP_SKIPPED);
	CHECK(map_of("PROCESS_STATE_EXITED", "processname:web groupname:www "
	    "from_state:STOPPING expected:0 pid:7", &c) == SV_MAP_SKIPPED);
	CHECK(map_of("PROCESS_STATE_EXITED", "processname:web groupname:www "
	    "expected:0 pid:7", &c) == SV_MAP_SKIPPED);
	CHECK(map_of("PROCESS_STATE_EXITED", "processname:web groupname:www "
	    "from_state:RUNNING expected:1 pid:7", &c) == SV_MAP_NONE);
	CHECK(map_of("PROCESS_STATE_EXITED", "processname:web groupname:www "
	    "from_state:RUNNING pid:7", &c) == SV_MAP_INVALID);
	CHECK(map_of("PROCESS_STATE_EXITED", "processname:web groupname:www "
	    "from_state:RUNNING expected:yes pid:7", &c) == SV_MAP_INVALID);
	/* No pid: still a crash, without one. */
	CHECK(map_of("PROCESS_STATE_EXITED", "processname:web "
	    "from_state:RUNNING expected:0", &c) == SV_MAP_CRASH);
	CHECK(c.pid == -1 && c.group_name[0] == '\0');

	CHECK(map_of("PROCESS_STATE_FATAL", "processname:web groupname:www "
	    "from_state:BACKOFF", &c) == SV_MAP_CRASH);
	CHECK(strcmp(c.phase, "gave_up") == 0 && c.pid == -1);
	CHECK(strcmp(c.from_state, "BACKOFF") == 0);
	CHECK(strcmp(c.eventname, "PROCESS_STATE_FATAL") == 0);
	/* FATAL never carries a pid; one that does is not believed. */
	CHECK(map_of("PROCESS_STATE_FATAL", "processname:web pid:5 "
	    "from_state:BACKOFF", &c) == SV_MAP_CRASH && c.pid == -1);

	/* An empty or missing processname: nothing. */
	CHECK(map_of("PROCESS_STATE_EXITED", "processname: groupname:www "
	    "from_state:RUNNING expected:0 pid:7", &c) == SV_MAP_INVALID);
	CHECK(map_of("PROCESS_STATE_FATAL", "groupname:www "
	    "from_state:BACKOFF", &c) == SV_MAP_INVALID);
	{
		/* A NUL in the name (found by the fuzzer): not a name. */
		static const char ev[] = "eventname:PROCESS_STATE_FATAL "
		    "len:34\nprocessname:\0db from_state:BACKOFF";
		size_t	used;

		CHECK(feed(S(ev), &used) == SV_EVENT);
		CHECK(rd.ev.processname.n == 3);
		CHECK(sv_map(&rd.ev, &c) == SV_MAP_INVALID);
	}
	/* Other events, expected or not, are not crashes. */
	CHECK(map_of("PROCESS_STATE_RUNNING", "processname:web "
	    "groupname:www from_state:STARTING pid:7", &c) == SV_MAP_NONE);
	CHECK(map_of("PROCESS_STATE_BACKOFF", "processname:web "
	    "groupname:www from_state:STARTING tries:1", &c) == SV_MAP_NONE);
	CHECK(map_of("PROCESS_STATE_STOPPED", "processname:web "
	    "groupname:www from_state:STOPPING pid:7", &c) == SV_MAP_NONE);
	CHECK(map_of("TICK_5", "when:1700000000", &c) == SV_MAP_NONE);
	CHECK(map_of("PROCESS_STATE_EXITEDX", "processname:web "
	    "from_state:RUNNING expected:0", &c) == SV_MAP_NONE);

	/* Long names are cut, NUL-terminated. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(pl, sizeof(pl), "processname:%s groupname:%s "
	    "from_state:RUNNING expected:0 pid:1", name, name);
	CHECK(map_of("PROCESS_STATE_EXITED", pl, &c) == SV_MAP_CRASH);
	CHECK(strlen(c.service_name) == SV_NAME_MAX - 1);
	CHECK(strlen(c.group_name) == SV_NAME_MAX - 1);
}

/*
 * supervisord 4 counts len in characters: "café" is 4 of them and 5
 * bytes, so two names make the payload 2 bytes longer than len says.
 */
static void
test_chars(void)
{
	static const char ev[] = "ver:3.0 server:supervisor serial:4 "
	    "pool:probe poolserial:4 eventname:PROCESS_STATE_EXITED len:71\n"
	    "processname:caf\xc3\xa9 groupname:caf\xc3\xa9 from_state:RUNNING "
	    "expected:0 pid:12649";
	static const char endcut[] = "len:13\nprocessname:\xc3\xa9X";
	size_t	used, n = sizeof(ev) - 1;

	CHECK(feed(ev, n, &used) == SV_EVENT);
	CHECK(used == n - 2);
	CHECK(rd.ev.pid == 126);		/* what byte counting gives */
	CHECK(sv_reader_wants(&rd));
	CHECK(sv_reader_extend(&rd, ev + used, n - used) == 2);
	CHECK(rd.ev.pid == 12649);
	CHECK(span_is(rd.ev.processname, "caf\xc3\xa9"));
	CHECK(!sv_reader_wants(&rd));
	CHECK(sv_reader_extend(&rd, S("99")) == 0);
	CHECK(rd.ev.pid == 12649);
	/* One byte at a time works the same. */
	CHECK(feed(ev, n - 2, &used) == SV_EVENT && used == n - 2);
	CHECK(sv_reader_extend(&rd, ev + n - 2, 1) == 1);
	CHECK(sv_reader_wants(&rd));
	CHECK(sv_reader_extend(&rd, ev + n - 1, 1) == 1);
	CHECK(!sv_reader_wants(&rd) && rd.ev.pid == 12649);
	/* A character cut at the end: only its continuation byte. */
	CHECK(feed(endcut, 20, &used) == SV_EVENT && used == 20);
	CHECK(sv_reader_wants(&rd));
	CHECK(sv_reader_extend(&rd, endcut + 20, 2) == 1);
	CHECK(span_is(rd.ev.processname, "\xc3\xa9"));
	CHECK(!sv_reader_wants(&rd));
	/* ASCII wants nothing; a sequence never completed ends it. */
	CHECK(feed(S(EXITED_RUNNING), &used) == SV_EVENT);
	CHECK(!sv_reader_wants(&rd));
	CHECK(sv_reader_extend(&rd, S("x")) == 0);
	CHECK(feed(S("len:2\nx\xc3"), &used) == SV_EVENT);
	CHECK(sv_reader_wants(&rd));
	CHECK(sv_reader_extend(&rd, S("y")) == 0);
	CHECK(!sv_reader_wants(&rd));
	/* Extension stops where the payload's characters are complete. */
	CHECK(feed(S("len:3\n\xe2\x82\xac"), &used) == SV_EVENT);
	CHECK(sv_reader_extend(&rd, S("abcd")) == 2);
	CHECK(rd.ev.payload_len == 5 && !sv_reader_wants(&rd));
	CHECK(feed(S("len:2\na\xe2"), &used) == SV_EVENT);
	CHECK(sv_reader_extend(&rd, S("\x82\xac" "zz")) == 2);
	CHECK(rd.ev.payload_len == 4 && !sv_reader_wants(&rd));
}

static void
test_body(void)
{
	struct sv_crash	c;
	char		buf[SVL_BODY_MAX];
	size_t		n;
	const char	*want;

	memset(&c, 0, sizeof(c));
	strcpy(c.service_name, "web\"1\n");
	strcpy(c.group_name, "www");
	strcpy(c.from_state, "RUNNING");
	strcpy(c.eventname, "PROCESS_STATE_EXITED");
	c.phase = "running";
	c.pid = 4242;
	want = "{\"type\":\"service_crashed\",\"category\":\"system\","
	    "\"data\":{\"service_name\":\"web\\\"1\\n\",\"group_name\":"
	    "\"www\",\"pid\":4242,\"phase\":\"running\",\"from_state\":"
	    "\"RUNNING\",\"supervisord_event\":\"PROCESS_STATE_EXITED\"}}";
	n = svl_body(&c, buf, sizeof(buf));
	CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
	if (n != strlen(want) || memcmp(buf, want, n) != 0)
		fprintf(stderr, "body: %.*s\n", (int)n, buf);
	c.pid = -1;
	c.phase = "gave_up";
	strcpy(c.eventname, "PROCESS_STATE_FATAL");
	strcpy(c.from_state, "BACKOFF");
	n = svl_body(&c, buf, sizeof(buf));
	CHECK(n > 0 && memmem(buf, n, "\"pid\"", 5) == NULL);
	CHECK(memmem(buf, n, "\"phase\":\"gave_up\"", 17) != NULL);
	CHECK(svl_body(&c, buf, 40) == 0);
	/* The longest names, all escaped, still fit. */
	memset(c.service_name, '"', SV_NAME_MAX - 1);
	memset(c.group_name, '\x01', SV_NAME_MAX - 1);
	CHECK(svl_body(&c, buf, sizeof(buf)) > 0);
}

/*
 * A one-connection-per-answer HTTP server on sockpath in a child: for
 * each of `n` connections it reads the request (to its Content-Length),
 * writes it to fd `out` framed as "<len>\n<bytes>", and answers `answer`
 * ("" = never answer) without closing first.
 */
static pid_t
server(const char *answer, int n, int out)
{
	struct sockaddr_un	sun;
	char			req[8192], *end;
	size_t			len;
	ssize_t			r;
	pid_t			pid;
	int			s, c, i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sockpath);
	unlink(sockpath);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(s, 8) == -1) {
		perror("server");
		exit(1);
	}
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	for (i = 0; i < n; i++) {
		if ((c = accept(s, NULL, NULL)) == -1)
			_exit(1);
		len = 0;
		while ((end = memmem(req, len, "\r\n\r\n", 4)) == NULL ||
		    len < (size_t)(end + 4 - req) + (size_t)atoi(strstr(req,
		    "Content-Length: ") + 16)) {
			if ((r = read(c, req + len, sizeof(req) - 1 - len)) <=
			    0)
				break;
			len += (size_t)r;
			req[len] = '\0';
		}
		if (out != -1) {
			dprintf(out, "%zu\n", len);
			(void)!write(out, req, len);
		}
		if (*answer == '\0') {
			sleep(5);
			_exit(0);
		}
		(void)!write(c, answer, strlen(answer));
		sleep(i + 1 == n ? 1 : 0);
		close(c);
	}
	_exit(0);
}

static void
test_post(void)
{
	static const char body[] = "{\"type\":\"service_crashed\"}";
	static const char want[] = "POST /telemetry/events HTTP/1.1\r\n"
	    "Host: localhost\r\nContent-Type: application/json\r\n"
	    "Content-Length: 26\r\nConnection: close\r\n\r\n"
	    "{\"type\":\"service_crashed\"}";
	char	why[256], got[1024];
	int64_t	t0;
	size_t	len;
	pid_t	pid;
	int	p[2], rc;
	FILE	*fp;

	/* No daemon: a quick, retryable failure. */
	unlink(sockpath);
	t0 = timefmt_mono_ms();
	CHECK(svl_post(sockpath, S(body), 2000, why, sizeof(why)) == -1);
	CHECK(strncmp(why, "connect: ", 9) == 0);
	CHECK(timefmt_mono_ms() - t0 < 500);

	/* 200 with a Content-Length: done without waiting for the close. */
	if (pipe(p) == -1)
		return;
	pid = server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 12\r\n\r\n{\"seq\":1234}", 1, p[1]);
	close(p[1]);
	t0 = timefmt_mono_ms();
	rc = svl_post(sockpath, S(body), 2000, why, sizeof(why));
	CHECK(rc == 0);
	if (rc != 0)
		fprintf(stderr, "post: %s\n", why);
	CHECK(timefmt_mono_ms() - t0 < 500);
	fp = fdopen(p[0], "r");
	CHECK(fp != NULL && fscanf(fp, "%zu\n", &len) == 1 &&
	    len == sizeof(want) - 1 && fread(got, 1, len, fp) == len &&
	    memcmp(got, want, len) == 0);
	if (fp != NULL)
		fclose(fp);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	/* 204 and no length: the close ends it. */
	pid = server("HTTP/1.0 204 No Content\r\n\r\n", 1, -1);
	CHECK(svl_post(sockpath, S(body), 2000, why, sizeof(why)) == 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	/* A 4xx is refused for good, with the daemon's message. */
	pid = server("HTTP/1.1 400 Bad Request\r\nContent-Length: 40\r\n\r\n"
	    "{\"code\":\"INVALID_PARAMS\",\"message\":\"x\"}\n", 1, -1);
	CHECK(svl_post(sockpath, S(body), 2000, why, sizeof(why)) == -2);
	CHECK(strstr(why, "answered 400 {\"code\":\"INVALID_PARAMS\"") !=
	    NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* 5xx, 429 and garbage can be retried. */
	pid = server("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 1, -1);
	CHECK(svl_post(sockpath, S(body), 2000, why, sizeof(why)) == -1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = server("HTTP/1.1 429 Slow\r\nContent-Length: 0\r\n\r\n", 1, -1);
	CHECK(svl_post(sockpath, S(body), 2000, why, sizeof(why)) == -1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = server("SSH-2.0-OpenSSH\r\n\r\n", 1, -1);
	CHECK(svl_post(sockpath, S(body), 2000, why, sizeof(why)) == -1);
	CHECK(strcmp(why, "not an HTTP answer") == 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	/* A daemon that never answers costs the timeout, no more. */
	pid = server("", 1, -1);
	t0 = timefmt_mono_ms();
	CHECK(svl_post(sockpath, S(body), 300, why, sizeof(why)) == -1);
	CHECK(timefmt_mono_ms() - t0 >= 290 && timefmt_mono_ms() - t0 < 1000);
	CHECK(strcmp(why, "no answer") == 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Read exactly n bytes within 5 s; 0 or -1. */
static int
read_exact(int fd, char *buf, size_t n)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	size_t		off = 0;
	ssize_t		r;

	while (off < n) {
		if (poll(&pfd, 1, 5000) != 1)
			return -1;
		if ((r = read(fd, buf + off, n - off)) <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

/*
 * Play supervisord: READY, one event, RESULT, READY, ... over pipes to a
 * listener in a child, the daemon down; then EOF.  The bytes it wrote
 * must be exactly the protocol's, nothing more.
 */
static void
test_lockstep(void)
{
	static const char want[] = "READY\nRESULT 2\nOK" "READY\nRESULT 2\nOK"
	    "READY\nRESULT 2\nOK" "READY\nRESULT 2\nOK" "READY\n";
	static const char cafe[] = "ver:3.0 server:supervisor serial:4 "
	    "pool:probe poolserial:4 eventname:PROCESS_STATE_EXITED len:71\n"
	    "processname:caf\xc3\xa9 groupname:caf\xc3\xa9 from_state:RUNNING "
	    "expected:0 pid:12649";
	char	got[256], more[16];
	int	in[2], out[2], st, ok = 1;
	size_t	off = 0;
	pid_t	pid;

	if (pipe(in) == -1 || pipe(out) == -1)
		return;
	unlink(sockpath);
	if ((pid = fork()) == 0) {
		close(in[1]);
		close(out[0]);
		signal(SIGPIPE, SIG_IGN);
		_exit(svl_serve(in[0], out[1], sockpath));
	}
	close(in[0]);
	close(out[1]);
	/* A crash, a non-crash, garbage, a crash in characters. */
	ok &= read_exact(out[0], got + off, 6) == 0;
	off += 6;
	ok &= write(in[1], S(EXITED_RUNNING)) > 0;
	ok &= read_exact(out[0], got + off, 11) == 0;
	off += 11;
	ok &= read_exact(out[0], got + off, 6) == 0;
	off += 6;
	ok &= write(in[1], S("ver:3.0 eventname:TICK_5 len:15\n"
	    "when:1700000000")) > 0;
	ok &= read_exact(out[0], got + off, 11) == 0;
	off += 11;
	ok &= read_exact(out[0], got + off, 6) == 0;
	off += 6;
	ok &= write(in[1], S("what is this\nand more")) > 0;
	ok &= read_exact(out[0], got + off, 11) == 0;
	off += 11;
	ok &= read_exact(out[0], got + off, 6) == 0;
	off += 6;
	ok &= write(in[1], S(cafe)) > 0;
	ok &= read_exact(out[0], got + off, 11) == 0;
	off += 11;
	ok &= read_exact(out[0], got + off, 6) == 0;
	off += 6;
	CHECK(ok);
	close(in[1]);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	CHECK(read(out[0], more, sizeof(more)) == 0);
	CHECK(off == sizeof(want) - 1 && memcmp(got, want, off) == 0);
	if (off != sizeof(want) - 1 || memcmp(got, want, off) != 0)
		fprintf(stderr, "stream: [%.*s]\n", (int)off, got);
	close(out[0]);
}

/*
 * The same with the daemon up: a crash is posted once with its pid (the
 * one cut by len-in-characters included), other events are not.
 */
static void
test_lockstep_daemon(void)
{
	static const char cafe[] = "ver:3.0 server:supervisor serial:4 "
	    "pool:probe poolserial:4 eventname:PROCESS_STATE_EXITED len:71\n"
	    "processname:caf\xc3\xa9 groupname:caf\xc3\xa9 from_state:RUNNING "
	    "expected:0 pid:12649";
	char	got[64], reqs[8192];
	int	in[2], out[2], p[2], st, ok = 1;
	size_t	n = 0;
	ssize_t	r;
	pid_t	pid, srv;

	if (pipe(in) == -1 || pipe(out) == -1 || pipe(p) == -1)
		return;
	srv = server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 3,
	    p[1]);
	close(p[1]);
	if ((pid = fork()) == 0) {
		close(in[1]);
		close(out[0]);
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		_exit(svl_serve(in[0], out[1], sockpath));
	}
	close(in[0]);
	close(out[1]);
	ok &= read_exact(out[0], got, 6) == 0;
	ok &= write(in[1], S(EXITED_RUNNING)) > 0;
	ok &= read_exact(out[0], got, 17) == 0;
	ok &= write(in[1], S("ver:3.0 eventname:PROCESS_STATE_EXITED len:68\n"
	    "processname:cat groupname:cat from_state:RUNNING expected:1 "
	    "pid:2767")) > 0;
	ok &= read_exact(out[0], got, 17) == 0;
	ok &= write(in[1], S(cafe)) > 0;
	ok &= read_exact(out[0], got, 17) == 0;
	ok &= write(in[1], S("ver:3.0 eventname:PROCESS_STATE_FATAL len:46\n"
	    "processname:db groupname:db from_state:BACKOFF")) > 0;
	ok &= read_exact(out[0], got, 17) == 0;
	CHECK(ok);
	close(in[1]);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0);
	while (n < sizeof(reqs) - 1 &&
	    (r = read(p[0], reqs + n, sizeof(reqs) - 1 - n)) > 0)
		n += (size_t)r;
	reqs[n] = '\0';
	waitpid(srv, NULL, 0);
	CHECK(strstr(reqs, "\"service_name\":\"cat\",\"group_name\":\"cat\","
	    "\"pid\":2766,\"phase\":\"running\"") != NULL);
	CHECK(strstr(reqs, "2767") == NULL);
	CHECK(strstr(reqs, "\"service_name\":\"caf\xc3\xa9\",\"group_name\":"
	    "\"caf\xc3\xa9\",\"pid\":12649,\"phase\":\"running\"") != NULL);
	CHECK(strstr(reqs, "\"service_name\":\"db\",\"group_name\":\"db\","
	    "\"phase\":\"gave_up\",\"from_state\":\"BACKOFF\","
	    "\"supervisord_event\":\"PROCESS_STATE_FATAL\"}}") != NULL);
	close(p[0]);
	close(out[0]);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sockpath, sizeof(sockpath), "%s/api.sock", tmpdir);
	signal(SIGPIPE, SIG_IGN);
	log_setlevel(LOG_LEVEL_WARN);
	test_any_order();
	test_payload_newlines();
	test_bytewise();
	test_back_to_back();
	test_errors();
	test_oversized();
	test_edges();
	test_map();
	test_chars();
	test_body();
	test_post();
	test_lockstep();
	test_lockstep_daemon();
	unlink(sockpath);
	rmdir(tmpdir);
	return CHECK_DONE();
}
