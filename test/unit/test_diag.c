/*
 * test_diag.c -- the stderr diagnostics catalogue and matcher (src/diag.h):
 * every built-in against the text its runtime really prints, ring errno
 * decoding, Python traceback capture, chunking and CRLF, long lines,
 * repeats with noise between them, a full hit table, diag_add()
 * validation, the JSON document, and the speed on lines that match nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "jsoncheck.h"
#include "diag.h"
#include "json.h"

#define T0	1795370400000000LL	/* 2026-11-22T18:00:00Z in µs */

static struct diag_run	run, run2;
static char		jbuf[256 * 1024], jbuf2[256 * 1024];

static void	feed(struct diag_run *, const char *);
static int	msg_is(const struct diag_hit *, const char *);
static int	line_is(const struct diag_lines *, size_t, const char *);
static const struct diag_hit *only(const char *, const char *);
static size_t	to_json(const struct diag_run *, char *, size_t);
static void	feed_str(struct diag_run *, const char *, int64_t);
static double	elapsed(const struct timespec *);
static void	test_metal(void);
static void	test_ring(void);
static void	test_others(void);
static void	test_negatives(void);
static void	test_traceback(void);
static void	test_go(void);
static void	test_evidence(void);
static void	test_chunking(void);
static void	test_crlf(void);
static void	test_long_lines(void);
static void	test_noise_between_repeats(void);
static void	test_add(void);
static void	test_patterns(void);
static void	test_full_table(void);
static void	test_json(void);
static void	test_speed(void);

/* A whole stream, then its end, into a fresh run. */
static void
feed(struct diag_run *r, const char *text)
{
	diag_run_reset(r);
	diag_feed(r, text, strlen(text), T0);
	diag_eof(r, T0);
}

/* More of the same run. */
static void
feed_str(struct diag_run *r, const char *s, int64_t now)
{
	diag_feed(r, s, strlen(s), now);
}

static int
msg_is(const struct diag_hit *h, const char *want)
{
	if (h == NULL)
		return 0;
	if (h->msglen != strlen(want) || memcmp(h->msg, want, h->msglen)) {
		fprintf(stderr, "message [%.*s], want [%s]\n", (int)h->msglen,
		    h->msg, want);
		return 0;
	}
	return 1;
}

/* Whether evidence line i is `want`. */
static int
line_is(const struct diag_lines *l, size_t i, const char *want)
{
	size_t	j, off = 0;

	if (i >= l->n)
		return 0;
	for (j = 0; j < i; j++)
		off += l->len[j];
	if (l->len[i] != strlen(want) || memcmp(l->buf + off, want,
	    l->len[i]) != 0) {
		fprintf(stderr, "evidence[%zu] [%.*s], want [%s]\n", i,
		    (int)l->len[i], l->buf + off, want);
		return 0;
	}
	return 1;
}

/* Feed one line; it must give exactly one hit, of entry `id`. */
static const struct diag_hit *
only(const char *line, const char *id)
{
	const struct diag_hit	*h;

	feed(&run, line);
	h = diag_find(&run, id);
	if (h == NULL || diag_nhits(&run) != 1 || h->count != 1) {
		fprintf(stderr, "[%s]: %zu hits, want one of %s\n", line,
		    diag_nhits(&run), id);
		return NULL;
	}
	return h;
}

static size_t
to_json(const struct diag_run *r, char *buf, size_t cap)
{
	struct jw	w;

	jw_init(&w, buf, cap, -1);
	diag_json(&w, NULL, r);
	if (w.err || w.len == cap)
		return 0;
	buf[w.len] = '\0';
	return w.len;
}

/* A real JSON parser's opinion, when python3 is installed. */
static void
test_metal(void)
{
	static const char	*tmo = "[METAL] Command buffer execution failed: "
	    "Caused GPU Timeout Error "
	    "(00000002:kIOGPUCommandBufferCallbackErrorTimeout)";
	char			 line[512], want[512];
	const struct diag_hit	*h;

	/* With the libc++abi prefix, as exo saw it die of SIGABRT. */
	snprintf(line, sizeof(line), "libc++abi: terminating due to uncaught "
	    "exception of type std::runtime_error: %s", tmo);
	snprintf(want, sizeof(want), "Metal GPU timeout: %s", tmo);
	h = only(line, "metal-gpu-timeout");
	CHECK(msg_is(h, want));
	CHECK(h != NULL && h->first.n == 1 && line_is(&h->first, 0, line));
	CHECK(strcmp(diag_hit_severity(h), "fatal") == 0);
	/* And without it. */
	snprintf(line, sizeof(line), "%s\n", tmo);
	h = only(line, "metal-gpu-timeout");
	CHECK(msg_is(h, want));
	/* Case does not matter. */
	h = only("[metal] command buffer execution failed: caused gpu "
	    "timeout error\n", "metal-gpu-timeout");
	CHECK(h != NULL);

	h = only("libc++abi: terminating due to uncaught exception of type "
	    "std::runtime_error: [METAL] Command buffer execution failed: "
	    "Insufficient Memory "
	    "(00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)\n",
	    "metal-gpu-oom");
	CHECK(msg_is(h, "Metal GPU out of memory: [METAL] Command buffer "
	    "execution failed: Insufficient Memory "
	    "(00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)"));
	h = only("[METAL] Command buffer execution failed: Impacting "
	    "Interactivity (0000000e:kIOGPUCommandBufferCallbackError"
	    "ImpactingInteractivity)\n", "metal-gpu-impacting-interactivity");
	CHECK(msg_is(h, "Metal GPU impacting interactivity: [METAL] Command "
	    "buffer execution failed: Impacting Interactivity "
	    "(0000000e:kIOGPUCommandBufferCallbackErrorImpactingInteractivity)"));
	h = only("[METAL] Command buffer execution failed: Ignored (for "
	    "causing prior/excessive GPU errors) (00000004:kIOGPUCommand"
	    "BufferCallbackErrorSubmissionsIgnored)\n",
	    "metal-gpu-submissions-ignored");
	CHECK(msg_is(h, "Metal GPU submissions ignored: [METAL] Command "
	    "buffer execution failed: Ignored (for causing prior/excessive "
	    "GPU errors) (00000004:kIOGPUCommandBufferCallbackError"
	    "SubmissionsIgnored)"));
}

static void
test_ring(void)
{
	char			 line[128], want[256];
	const struct diag_hit	*h;

	/* 104 on Linux, 54 on macOS: whatever this platform calls it. */
	snprintf(line, sizeof(line),
	    "[ring] Receiving from socket 51 failed with errno %d\n",
	    ECONNRESET);
	snprintf(want, sizeof(want), "Ring socket receive failed: errno %d "
	    "ECONNRESET (%s) [linux]", ECONNRESET, strerror(ECONNRESET));
	h = only(line, "ring-socket-recv-errno");
	CHECK(msg_is(h, want));
	CHECK(h != NULL && h->has_errno && h->err_no == ECONNRESET);
	if (ECONNRESET == 104)
		CHECK(msg_is(h, "Ring socket receive failed: errno 104 "
		    "ECONNRESET (Connection reset by peer) [linux]"));

	snprintf(line, sizeof(line),
	    "[ring] Receiving from socket 7 failed with errno %d", EPIPE);
	snprintf(want, sizeof(want), "Ring socket receive failed: errno %d "
	    "EPIPE (%s) [linux]", EPIPE, strerror(EPIPE));
	CHECK(msg_is(only(line, "ring-socket-recv-errno"), want));

	h = only("[ring] Receiving from socket 51 failed with errno 9999\n",
	    "ring-socket-recv-errno");
	CHECK(msg_is(h, "Ring socket receive failed: errno 9999 "
	    "UNKNOWN_ERRNO (Unknown error 9999) [linux]"));

	h = only("[ring] Too many send/recv errors. Aborting...\n",
	    "ring-transport-abort");
	CHECK(msg_is(h, "[ring] Too many send/recv errors. Aborting..."));
	CHECK(h != NULL && !h->has_errno);
}

static void
test_others(void)
{
	const struct diag_hit	*h;

	h = only("torch.OutOfMemoryError: CUDA out of memory. Tried to "
	    "allocate 2.00 GiB. GPU 0 has a total capacity of 79.15 GiB\n",
	    "cuda-oom");
	CHECK(msg_is(h, "torch.OutOfMemoryError: CUDA out of memory. Tried "
	    "to allocate 2.00 GiB. GPU 0 has a total capacity of 79.15 GiB"));
	CHECK(only("RuntimeError: CUDA error: out of memory\n",
	    "cuda-oom") != NULL);
	CHECK(only("jaxlib.xla_extension.XlaRuntimeError: RESOURCE_EXHAUSTED:"
	    " CUDA_ERROR_OUT_OF_MEMORY: out of memory\n", "cuda-oom") != NULL);
	h = only("NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python3, "
	    "GPU has fallen off the bus.\n", "nvidia-xid");
	CHECK(msg_is(h, "NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, "
	    "name=python3, GPU has fallen off the bus."));
	CHECK(only("Segmentation fault (core dumped)\n", "segfault") != NULL);
	CHECK(only("/bin/sh: line 1: 4242 Segmentation fault      ./a.out\n",
	    "segfault") != NULL);
	CHECK(only("Fatal Python error: Segmentation fault\n",
	    "segfault") != NULL);
	CHECK(only("Bus error (core dumped)\n", "segfault") != NULL);
	CHECK(only("Caught signal SIGBUS\n", "segfault") != NULL);
	h = only("thread 'main' panicked at src/main.rs:2:5:\n", "rust-panic");
	CHECK(msg_is(h, "thread 'main' panicked at src/main.rs:2:5:"));
	CHECK(only("thread '<unnamed>' panicked at 'boom', src/lib.rs:9:1\n",
	    "rust-panic") != NULL);
	CHECK(only("malloc(): corrupted top size\n",
	    "glibc-heap-corruption") != NULL);
	CHECK(only("free(): invalid pointer\n",
	    "glibc-heap-corruption") != NULL);
	CHECK(only("double free or corruption (out)\n",
	    "glibc-heap-corruption") != NULL);
	CHECK(only("free(): double free detected in tcache 2\n",
	    "glibc-heap-corruption") != NULL);
	CHECK(only("Killed\n", "killed") != NULL);
	CHECK(only("  Killed  \n", "killed") != NULL);
	CHECK(only("Killed: 9\n", "killed") != NULL);
	h = only("bash: line 1: 12345 Killed                  python3 "
	    "train.py\n", "killed");
	CHECK(msg_is(h, "bash: line 1: 12345 Killed                  "
	    "python3 train.py"));
	CHECK(only("zsh: killed     python3 train.py\n", "killed") != NULL);
	/* A Go nil dereference is a panic and a SIGSEGV: two hits. */
	feed(&run, "panic: runtime error: invalid memory address or nil "
	    "pointer dereference\n[signal SIGSEGV: segmentation violation "
	    "code=0x1 addr=0x0 pc=0x4553d4]\n");
	CHECK(diag_nhits(&run) == 2 && diag_find(&run, "go-panic") &&
	    diag_find(&run, "segfault"));
}

/* Lines that mention the words but are not the diagnostics. */
static void
test_negatives(void)
{
	static const char *const lines[] = {
		"INFO step=100 loss=0.25 killed=0",
		"the worker was killed by the scheduler",
		"Killed process 7 (python3) total-vm:100kB",
		"ring buffer receiving data from socket 4",
		"[ring] Sending to socket 3",
		"panicked: no",
		"don't panic: not at the start",
		"My traceback (most recent call last): quoted",
		"metal kernel compiled in 3 ms",
		"CUDA memory: 3 GiB used",
		"",
		"   \t  ",
	};
	size_t	i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		feed(&run, lines[i]);
		if (diag_nhits(&run) != 0)
			fprintf(stderr, "false hit on [%s]: %s\n", lines[i],
			    diag_hit_id(&run.hits[0]));
		CHECK(diag_nhits(&run) == 0);
	}
}

static void
test_traceback(void)
{
	const struct diag_hit	*h, *c;

	feed(&run, "Starting worker 3\n"
	    "Traceback (most recent call last):\n"
	    "  File \"/app/main.py\", line 10, in <module>\n"
	    "    main()\n"
	    "\n"
	    "  File \"/app/main.py\", line 6, in main\n"
	    "    raise RuntimeError(\"boom\")\n"
	    "RuntimeError: boom\n"
	    "worker exited\n");
	h = diag_find(&run, "python-traceback");
	CHECK(diag_nhits(&run) == 1);
	CHECK(msg_is(h, "RuntimeError: boom"));
	/* Evidence ends at the exception line, not at the opener. */
	CHECK(h != NULL && h->last.n == 4 && h->first.n == 4);
	CHECK(h != NULL && line_is(&h->last, 0, "    main()"));
	CHECK(h != NULL && line_is(&h->last, 1,
	    "  File \"/app/main.py\", line 6, in main"));
	CHECK(h != NULL && line_is(&h->last, 3, "RuntimeError: boom"));
	CHECK(h != NULL && line_is(&h->first, 3, "RuntimeError: boom"));

	/* A chained exception: two tracebacks, the message is the last. */
	feed(&run, "Traceback (most recent call last):\n"
	    "  File \"x.py\", line 2, in f\n"
	    "KeyError: 'a'\n"
	    "\n"
	    "During handling of the above exception, another exception "
	    "occurred:\n"
	    "\n"
	    "Traceback (most recent call last):\n"
	    "  File \"x.py\", line 4, in f\n"
	    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate "
	    "20.00 MiB\n");
	h = diag_find(&run, "python-traceback");
	c = diag_find(&run, "cuda-oom");
	CHECK(h != NULL && h->count == 2);
	CHECK(msg_is(h, "torch.OutOfMemoryError: CUDA out of memory. Tried "
	    "to allocate 20.00 MiB"));
	CHECK(h != NULL && line_is(&h->first, h->first.n - 1,
	    "KeyError: 'a'"));
	CHECK(c != NULL && c->count == 1);

	/* A traceback cut off by the end: the opener is all there is. */
	feed(&run, "Traceback (most recent call last):\n"
	    "  File \"x.py\", line 2, in f");
	h = diag_find(&run, "python-traceback");
	CHECK(msg_is(h, "Traceback (most recent call last):"));
	CHECK(run.pending == 1);
}

static void
test_go(void)
{
	const struct diag_hit	*h;

	feed(&run, "panic: runtime error: index out of range [5] with "
	    "length 3\n\ngoroutine 1 [running]:\nmain.main()\n"
	    "\t/tmp/x.go:8 +0x1d\nexit status 2\n");
	h = diag_find(&run, "go-panic");
	CHECK(diag_nhits(&run) == 1);
	CHECK(h != NULL && h->count == 1);
	CHECK(msg_is(h, "panic: runtime error: index out of range [5] with "
	    "length 3"));
	/* Only the trace survived (the panic line scrolled away). */
	feed(&run, "goroutine 7 [running]:\nmain.f()\n");
	h = diag_find(&run, "go-panic");
	CHECK(msg_is(h, "goroutine 7 [running]:"));
	CHECK(h != NULL && h->count == 1);
}

static void
test_evidence(void)
{
	const struct diag_hit	*h;
	const char		*err = NULL;

	feed(&run, "one\ntwo\n\n   \nthree\nfour\nfive\nSegmentation fault\n"
	    "after\n");
	h = diag_find(&run, "segfault");
	CHECK(h != NULL && h->first.n == 4);
	CHECK(h != NULL && line_is(&h->first, 0, "three"));
	CHECK(h != NULL && line_is(&h->first, 2, "five"));
	CHECK(h != NULL && line_is(&h->first, 3, "Segmentation fault"));
	/* Fewer lines than asked for: what there is. */
	feed(&run, "x\nKilled\n");
	h = diag_find(&run, "killed");
	CHECK(h != NULL && h->first.n == 2 && line_is(&h->first, 0, "x"));

	/* A configured evidence count. */
	diag_init("linux");
	CHECK(diag_add("two-lines", "info", "marker", "A marker", 2,
	    &err) == 0);
	CHECK(diag_add("eight-lines", "info", "^bigmark$", "Another", 8,
	    &err) == 0);
	feed(&run, "a\nb\nc\nd marker\n1\n2\n3\n4\n5\n6\n7\nbigmark\n");
	h = diag_find(&run, "two-lines");
	CHECK(h != NULL && h->first.n == 2 && line_is(&h->first, 0, "c"));
	h = diag_find(&run, "eight-lines");
	CHECK(h != NULL && h->first.n == 8 && line_is(&h->first, 0, "1"));
	diag_init("linux");
}

/* Byte by byte, in random pieces, and whole: the same JSON. */
static void
test_chunking(void)
{
	static char	 stream[64 * 1024];
	char		 line[96];
	size_t		 len = 0, n1, n2, i, k;
	unsigned	 seed = 12345;
	int		 j;

	for (j = 0; j < 300; j++) {
		switch (j % 7) {
		case 0:
			snprintf(line, sizeof(line), "[ring] Receiving from "
			    "socket %d failed with errno %d\r\n", j, j % 120);
			break;
		case 1:
			snprintf(line, sizeof(line), "noise line %d with "
			    "some text in it\n", j);
			break;
		case 2:
			snprintf(line, sizeof(line), "Traceback (most recent "
			    "call last):\n  File \"f%d.py\"\nE%d: x\n", j, j);
			break;
		case 3:
			snprintf(line, sizeof(line), "\n\n  \n");
			break;
		case 4:
			snprintf(line, sizeof(line), "Segmentation fault "
			    "%d\n", j);
			break;
		default:
			snprintf(line, sizeof(line), "\xe2\x9c\x93 done %d"
			    " \xff\n", j);
		}
		k = strlen(line);
		memcpy(stream + len, line, k);
		len += k;
	}
	memcpy(stream + len, "final partial Killed", 20);
	len += 20;

	diag_run_reset(&run);
	diag_feed(&run, stream, len, T0);
	diag_eof(&run, T0);
	n1 = to_json(&run, jbuf, sizeof(jbuf));
	CHECK(n1 > 0 && diag_nhits(&run) == 3);

	diag_run_reset(&run2);
	for (i = 0; i < len; i++)
		diag_feed(&run2, stream + i, 1, T0);
	diag_eof(&run2, T0);
	n2 = to_json(&run2, jbuf2, sizeof(jbuf2));
	CHECK(n1 == n2 && memcmp(jbuf, jbuf2, n1) == 0);

	diag_run_reset(&run2);
	for (i = 0; i < len; i += k) {
		seed = seed * 1103515245 + 12345;
		k = 1 + (seed >> 16) % 200;
		if (k > len - i)
			k = len - i;
		diag_feed(&run2, stream + i, k, T0);
	}
	diag_eof(&run2, T0);
	n2 = to_json(&run2, jbuf2, sizeof(jbuf2));
	CHECK(n1 == n2 && memcmp(jbuf, jbuf2, n1) == 0);
}

static void
test_crlf(void)
{
	const struct diag_hit	*h;

	feed(&run, "first\r\nSegmentation fault (core dumped)\r\n");
	h = diag_find(&run, "segfault");
	CHECK(msg_is(h, "Segmentation fault (core dumped)"));
	CHECK(h != NULL && line_is(&h->first, 0, "first"));
	CHECK(h != NULL && line_is(&h->first, 1,
	    "Segmentation fault (core dumped)"));
	/* A lone CR is not a line end. */
	feed(&run, "progress 10%\rprogress 20%\rKilled\n");
	CHECK(diag_nhits(&run) == 0);
}

static void
test_long_lines(void)
{
	static char		 big[100 * 1024];
	const struct diag_hit	*h;
	size_t			 i;

	/* The match is inside the first DIAG_LINE_MAX bytes. */
	memset(big, 'x', sizeof(big));
	memcpy(big + 10, " Segmentation fault ", 20);
	big[sizeof(big) - 1] = '\n';
	diag_run_reset(&run);
	diag_feed(&run, big, sizeof(big), T0);
	feed_str(&run, "Killed\n", T0);
	diag_eof(&run, T0);
	h = diag_find(&run, "segfault");
	CHECK(h != NULL && h->msglen <= DIAG_MSG_MAX);
	CHECK(h != NULL && h->first.n == 1 &&
	    h->first.len[0] == DIAG_EVLINE_MAX);
	CHECK(diag_find(&run, "killed") != NULL);
	CHECK(run.lines == 2);

	/* Past it: not seen, and the next line is still a line. */
	memset(big, 'y', sizeof(big));
	memcpy(big + DIAG_LINE_MAX + 5, "Segmentation fault", 18);
	big[sizeof(big) - 1] = '\n';
	diag_run_reset(&run);
	for (i = 0; i < sizeof(big); i += 4096)
		diag_feed(&run, big + i, sizeof(big) - i < 4096 ?
		    sizeof(big) - i : 4096, T0);
	feed_str(&run, "Bus error\n", T0);
	CHECK(diag_nhits(&run) == 1 && diag_find(&run, "segfault") &&
	    diag_find(&run, "segfault")->count == 1);
	CHECK(run.lines == 2 && run.linelen == 0 && !run.skipping);

	/* A long line without any newline, then EOF. */
	memset(big, 'z', sizeof(big));
	memcpy(big, "Killed", 6);
	feed(&run, "");
	diag_feed(&run, big, sizeof(big), T0);
	diag_eof(&run, T0);
	CHECK(diag_nhits(&run) == 0 && run.lines == 1);

	/*
	 * An evidence line cut at the limit keeps whole UTF-8 sequences:
	 * 10 + 100 x 3 bytes are cut to 10 + 76 x 3, not to 240.
	 */
	diag_run_reset(&run);
	feed_str(&run, "Bus error ", T0);
	for (i = 0; i < 100; i++)
		feed_str(&run, "\xe2\x82\xac", T0);	/* U+20AC */
	feed_str(&run, "\n", T0);
	h = diag_find(&run, "segfault");
	CHECK(h != NULL && h->first.len[0] == 10 + 76 * 3);
}

/* exo's de-dup failed as soon as anything came between two ring lines. */
static void
test_noise_between_repeats(void)
{
	const struct diag_hit	*h;
	char			 line[128], want[256];
	int			 i;

	diag_run_reset(&run);
	for (i = 0; i < 10; i++) {
		snprintf(line, sizeof(line), "[ring] Receiving from socket 51 "
		    "failed with errno %d\nnoise %d\n", i < 9 ? EFAULT : EPIPE,
		    i);
		diag_feed(&run, line, strlen(line), T0 + i * 1000);
	}
	feed_str(&run, "[ring] Too many send/recv errors. Aborting...\n",
	    T0 + 20000);
	diag_eof(&run, T0 + 30000);
	CHECK(diag_nhits(&run) == 2);
	h = diag_find(&run, "ring-socket-recv-errno");
	CHECK(h != NULL && h->count == 10);
	CHECK(h != NULL && h->first_us == T0 && h->last_us == T0 + 9000);
	CHECK(h != NULL && h->err_no == EPIPE);
	snprintf(want, sizeof(want), "Ring socket receive failed: errno %d "
	    "EPIPE (%s) [linux]", EPIPE, strerror(EPIPE));
	CHECK(msg_is(h, want));
	CHECK(h != NULL && h->first.n == 1 && h->last.n == 4);
	CHECK(h != NULL && line_is(&h->last, 2, "noise 8"));
	CHECK(diag_find(&run, "ring-transport-abort") != NULL);

	/* A million noise lines between two hits change nothing. */
	diag_run_reset(&run);
	feed_str(&run, "Killed\n", T0);
	for (i = 0; i < 1000000; i++)
		feed_str(&run, "noise noise noise\n", T0);
	feed_str(&run, "Killed\n", T0 + 1);
	CHECK(diag_nhits(&run) == 1 && run.hits[0].count == 2);
}

static void
test_add(void)
{
	static char	 longpat[DIAG_PATTERN_MAX + 8];
	const char	*err;
	size_t		 base;
	int		 i;
	char		 id[32];

	diag_init("linux");
	base = diag_count();
	CHECK(base >= 14);
#define BAD(id, sev, m, s, n) do {					\
	err = NULL;							\
	CHECK(diag_add(id, sev, m, s, n, &err) == -1 && err != NULL);	\
	if (err != NULL)						\
		fprintf(stderr, "  refused as expected: %s\n", err);	\
} while (0)
	BAD("a/b", "error", "x", "s", 0);
	BAD("..", "error", "x", "s", 0);
	BAD("", "error", "x", "s", 0);
	BAD(NULL, "error", "x", "s", 0);
	BAD("ok", "critical", "x", "s", 0);
	BAD("ok", "Error", "x", "s", 0);
	BAD("ok", "error", "", "s", 0);
	BAD("ok", "error", NULL, "s", 0);
	BAD("ok", "error", "**??", "s", 0);
	BAD("ok", "error", "^$", "s", 0);
	BAD("ok", "error", "a\nb", "s", 0);
	BAD("ok", "error", "x", "", 0);
	BAD("ok", "error", "x", NULL, 0);
	BAD("ok", "error", "x", "two\nlines", 0);
	BAD("ok", "error", "x", "s", 9);
	BAD("ok", "error", "x", "s", -1);
	BAD("segfault", "error", "x", "s", 0);
	memset(longpat, 'a', sizeof(longpat) - 1);
	BAD("ok", "error", longpat, "s", 0);
	CHECK(diag_count() == base);
	CHECK(diag_add("ok", NULL, "x", "s", 0, NULL) == 0);
	BAD("ok", "error", "y", "s", 0);
	CHECK(diag_count() == base + 1);
	for (i = 0; diag_count() < DIAG_MAX; i++) {
		snprintf(id, sizeof(id), "fill-%d", i);
		CHECK(diag_add(id, "info", "fill", "s", 0, NULL) == 0);
	}
	BAD("one-more", "error", "y", "s", 0);
#undef BAD
	diag_init("linux");
	CHECK(diag_count() == base);
}

static void
test_patterns(void)
{
	static const struct {
		const char	*pat, *line;
		int		 hit;
	} cases[] = {
		{ "^foo*bar$", "foo and bar", 1 },
		{ "^foo*bar$", "foo and bar!", 0 },
		{ "^foo*bar$", "  foo and bar  ", 1 },	/* trimmed */
		{ "^foo", "xfoo", 0 },
		{ "foo$", "foox", 0 },
		{ "ab*ab", "abab", 1 },
		{ "ab*ab", "aba", 0 },
		{ "^a*a$", "a", 0 },
		{ "^a*a$", "aa", 1 },
		{ "e?ror 4?", "ERROR 42", 1 },
		{ "e?ror 4?", "ERROR 4", 0 },
		{ "x*y*z", "zyx x1y2z", 1 },
		{ "x*y*z", "zyx", 0 },
		{ "^wxyz?$", "wxyz", 0 },
		{ "^wxyz?$", "wxyz!", 1 },
		{ "q", "a q b", 1 },	/* shorter than the prefilter's gram */
		{ "MiXeD CaSe", "mixed case", 1 },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		diag_init("linux");
		CHECK(diag_add("pat", "info", cases[i].pat, "s", 0,
		    NULL) == 0);
		feed(&run, cases[i].line);
		if ((diag_find(&run, "pat") != NULL) != cases[i].hit)
			fprintf(stderr, "pattern [%s] on [%s]: want %d\n",
			    cases[i].pat, cases[i].line, cases[i].hit);
		CHECK((diag_find(&run, "pat") != NULL) == cases[i].hit);
	}
	diag_init("linux");
}

static void
test_full_table(void)
{
	char	line[64], id[32], match[32];
	int	i;

	diag_init("linux");
	for (i = 0; i < 24; i++) {
		snprintf(id, sizeof(id), "cfg-%d", i);
		snprintf(match, sizeof(match), "token-%03d-end", i);
		CHECK(diag_add(id, "warning", match, "configured", 0,
		    NULL) == 0);
	}
	diag_run_reset(&run);
	for (i = 0; i < 24; i++) {
		snprintf(line, sizeof(line), "got token-%03d-end here\n", i);
		diag_feed(&run, line, strlen(line), T0);
	}
	CHECK(diag_nhits(&run) == DIAG_HITS_MAX);
	CHECK(run.dropped == 24 - DIAG_HITS_MAX);
	/* Known ones still add up; unknown ones stay dropped. */
	feed_str(&run, "token-000-end\ntoken-023-end\n", T0);
	CHECK(diag_find(&run, "cfg-0") && diag_find(&run, "cfg-0")->count == 2);
	CHECK(diag_find(&run, "cfg-23") == NULL);
	CHECK(run.dropped == 24 - DIAG_HITS_MAX + 1);
	CHECK(to_json(&run, jbuf, sizeof(jbuf)) > 0);
	diag_init("linux");
}

static void
test_json(void)
{
	size_t	n;
	char	line[128];

	diag_init("linux");
	diag_run_reset(&run);
	snprintf(line, sizeof(line),
	    "[ring] Receiving from socket 51 failed with errno %d\n",
	    ECONNRESET);
	feed_str(&run, "quote \" back\\slash \x01 ctl \xff\n", T0);
	feed_str(&run, line, T0 + 1);
	feed_str(&run, "Traceback (most recent call last):\n  File \"a\"\n"
	    "ValueError: bad \"value\" \xc3\xa9\n", T0 + 2500000);
	diag_eof(&run, T0 + 3000000);
	n = to_json(&run, jbuf, sizeof(jbuf));
	CHECK(n > 0);
	fprintf(stderr, "json: %s\n", jbuf);
	CHECK(python_parses(jbuf, n));
	CHECK(strstr(jbuf, "\"id\":\"ring-socket-recv-errno\",\"severity\":"
	    "\"error\",\"summary\":") != NULL);
	CHECK(strstr(jbuf, "\"error_name\":\"ECONNRESET\"") != NULL);
	CHECK(strstr(jbuf, "\"errno_platform\":\"linux\"") != NULL);
	CHECK(strstr(jbuf, "\"first_seen\":\"2026-11-22T18:00:00.000001Z\"")
	    != NULL);
	CHECK(strstr(jbuf, "\"last_seen\":\"2026-11-22T18:00:02.500000Z\"")
	    != NULL);
	CHECK(strstr(jbuf, "\"message\":\"ValueError: bad \\\"value\\\" "
	    "\xc3\xa9\"") != NULL);
	CHECK(strstr(jbuf, "\\ufffd") != NULL);
	/* Only the ring hit has errno fields. */
	CHECK(strstr(jbuf, "python-traceback") != NULL &&
	    strstr(strstr(jbuf, "python-traceback"), "error_number") == NULL);
	/* As an object member, and empty. */
	{
		struct jw	w;

		diag_run_reset(&run);
		jw_init(&w, jbuf, sizeof(jbuf), -1);
		jw_obj_begin(&w, NULL);
		diag_json(&w, "diagnostics", &run);
		jw_obj_end(&w);
		CHECK(!w.err && w.len == 18 &&
		    memcmp(jbuf, "{\"diagnostics\":[]}", 18) == 0);
	}
}

static double
elapsed(const struct timespec *a)
{
	struct timespec	b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) +
	    (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

/*
 * Lines that match nothing: the common case, every line of every run.
 * Near misses of the catalogue ("killed=0", "ring ok", "error_count")
 * must stay misses; one real diagnostic per 64 KiB chunk must be counted
 * every time however much noise surrounds it.  A fixed amount of work
 * (SPEED_ROUNDS chunks), so what is checked does not depend on the
 * machine; the rate is printed for information only.
 */
#define SPEED_ROUNDS	128

static void
test_speed(void)
{
	static char	 chunk[64 * 1024];
	static const char hit_line[] = "Segmentation fault (core dumped)\n";
	const struct diag_hit *h;
	struct timespec	 t0;
	size_t		 len = 0, nl = 0, k;
	double		 secs;
	char		 line[160];
	int		 i, rounds;

	diag_init("linux");
	for (i = 0; len + sizeof(line) + sizeof(hit_line) < sizeof(chunk);
	    i++) {
		snprintf(line, sizeof(line), "2026-11-22 18:00:%02d.%03d INFO "
		    "[worker-%d] step %d loss=0.%04d tokens/s=%d memory=%d MiB"
		    " error_count=0 killed=0 ring ok\n", i % 60, i % 1000,
		    i % 8, i, i % 10000, 4000 + i % 500, 20000 + i);
		k = strlen(line);
		memcpy(chunk + len, line, k);
		len += k;
		nl++;
	}
	/* The noise alone matches nothing. */
	diag_run_reset(&run);
	diag_feed(&run, chunk, len, T0);
	CHECK(diag_nhits(&run) == 0 && run.lines == nl && run.dropped == 0);
	/* One segfault line in the middle of every chunk. */
	k = (nl / 2) * strlen(line);
	while (chunk[k] != '\n')
		k--;
	k++;
	memmove(chunk + k + sizeof(hit_line) - 1, chunk + k, len - k);
	memcpy(chunk + k, hit_line, sizeof(hit_line) - 1);
	len += sizeof(hit_line) - 1;
	nl++;
	diag_run_reset(&run);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (rounds = 0; rounds < SPEED_ROUNDS; rounds++)
		diag_feed(&run, chunk, len, T0 + rounds);
	secs = elapsed(&t0);
	diag_eof(&run, T0 + rounds);
	CHECK(run.lines == (uint64_t)nl * SPEED_ROUNDS);
	CHECK(diag_nhits(&run) == 1 && run.dropped == 0);
	h = diag_find(&run, "segfault");
	CHECK(h != NULL && h->count == SPEED_ROUNDS);
	CHECK(h != NULL && h->first_us == T0 &&
	    h->last_us == T0 + SPEED_ROUNDS - 1);
	CHECK(h != NULL && h->last.n == DIAG_EVIDENCE_DEFAULT &&
	    line_is(&h->last, DIAG_EVIDENCE_DEFAULT - 1,
	    "Segmentation fault (core dumped)"));
	fprintf(stderr, "speed: %.0f lines/s, %.0f MiB/s (%zu-byte lines, "
	    "%zu catalogue entries, struct diag_run %zu bytes)\n",
	    secs > 0 ? (double)nl * SPEED_ROUNDS / secs : 0.0,
	    secs > 0 ? (double)len * SPEED_ROUNDS / secs / 1048576.0 : 0.0,
	    len / nl, diag_count(), sizeof(struct diag_run));
	CHECK(sizeof(struct diag_run) <= 64 * 1024);
}

int
main(void)
{
	diag_init("linux");
	test_metal();
	test_ring();
	test_others();
	test_negatives();
	test_traceback();
	test_go();
	test_evidence();
	test_chunking();
	test_crlf();
	test_long_lines();
	test_noise_between_repeats();
	test_add();
	test_patterns();
	test_full_table();
	test_json();
	test_speed();
	return CHECK_DONE();
}
