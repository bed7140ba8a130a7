/*
 * diag.c -- known stderr diagnostics, matched line by line in fixed memory.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "ids.h"
#include "json.h"
#include "log.h"
#include "timefmt.h"

enum diag_sev {
	SEV_INFO, SEV_WARNING, SEV_ERROR, SEV_FATAL, SEV_MAX
};

static const char *const diag_sevnames[SEV_MAX] = {
	"info", "warning", "error", "fatal"
};

/* How a hit's message is made from the line that matched. */
enum diag_kind {
	DIAG_K_LINE,		/* the trimmed line itself */
	DIAG_K_METAL,		/* "<label>: " and the line from "[METAL]" on */
	DIAG_K_RING_ERRNO,	/* the errno, decoded with this platform's table */
	DIAG_K_TRACEBACK	/* the exception line that ends the traceback */
};

#define DIAG_ALTS_MAX	8	/* alternatives of one entry */
#define DIAG_PAT_BUF	256	/* their lowercased bytes, back to back */
#define DIAG_HASH_BITS	12	/* prefilter: 4096 slots of entry masks */
#define DIAG_PLATFORM_UNKNOWN	"unknown"

#define A_START		0x01	/* '^': at the start of the trimmed line */
#define A_END		0x02	/* '$': at its end */
#define A_CONTEXT	0x04	/* only starts a hit, never adds to one */

struct diag_alt {
	uint16_t	off;		/* pattern bytes in entry->pat */
	uint16_t	len;
	uint16_t	lit;		/* its longest literal piece, for the */
	uint16_t	litlen;		/* prefilter */
	uint8_t		flags;
};

struct diag_entry {
	char		 id[ID_MAX + 1];
	char		 summary[DIAG_SUMMARY_MAX];
	const char	*label;		/* message prefix (built-ins only) */
	enum diag_sev	 sev;
	enum diag_kind	 kind;
	int		 evidence;
	size_t		 nalt;
	size_t		 patlen;
	struct diag_alt	 alt[DIAG_ALTS_MAX];
	char		 pat[DIAG_PAT_BUF];
};

struct diag_builtin {
	const char	*id;
	const char	*sev;
	enum diag_kind	 kind;
	const char	*label;
	const char	*summary;
	const char	*match[DIAG_ALTS_MAX];	/* NULL-terminated */
	const char	*context;	/* an A_CONTEXT alternative, or NULL */
};

/*
 * The texts are what the runtimes really print; see
 * shared/research/seeds.md (exo PR #2093) for the Metal and ring lines.
 * A line can hit several entries, but the alternatives of one entry count
 * once per line.
 */
static const struct diag_builtin diag_builtins[] = {
	{ "metal-gpu-timeout", "fatal", DIAG_K_METAL, "Metal GPU timeout",
	    "Metal command buffer hit the GPU watchdog timeout",
	    { "[metal]*gpu timeout", "kiogpucommandbuffercallbackerrortimeout",
	    NULL }, NULL },
	{ "metal-gpu-oom", "fatal", DIAG_K_METAL, "Metal GPU out of memory",
	    "Metal command buffer failed: insufficient GPU memory",
	    { "kiogpucommandbuffercallbackerroroutofmemory",
	    "[metal]*insufficient memory", NULL }, NULL },
	{ "metal-gpu-impacting-interactivity", "error", DIAG_K_METAL,
	    "Metal GPU impacting interactivity",
	    "Metal command buffer killed for impacting interactivity",
	    { "kiogpucommandbuffercallbackerrorimpactinginteractivity", NULL },
	    NULL },
	{ "metal-gpu-submissions-ignored", "error", DIAG_K_METAL,
	    "Metal GPU submissions ignored",
	    "Metal ignored submissions after prior GPU errors",
	    { "kiogpucommandbuffercallbackerrorsubmissionsignored", NULL },
	    NULL },
	{ "ring-socket-recv-errno", "error", DIAG_K_RING_ERRNO, NULL,
	    "Ring transport failed to receive from a socket",
	    { "[ring] receiving from socket * failed with errno *", NULL },
	    NULL },
	{ "ring-transport-abort", "fatal", DIAG_K_LINE, NULL,
	    "Ring transport aborted after too many send/recv errors",
	    { "[ring] too many send/recv errors. aborting", NULL }, NULL },
	{ "cuda-oom", "fatal", DIAG_K_LINE, NULL,
	    "CUDA ran out of GPU memory",
	    { "cuda out of memory", "cuda error: out of memory",
	    "cuda_error_out_of_memory", NULL }, NULL },
	{ "nvidia-xid", "error", DIAG_K_LINE, NULL,
	    "NVIDIA driver reported an Xid error",
	    { "nvrm: xid", NULL }, NULL },
	{ "python-traceback", "error", DIAG_K_TRACEBACK, NULL,
	    "Python raised an uncaught exception",
	    { "^traceback (most recent call last):", NULL }, NULL },
	{ "segfault", "fatal", DIAG_K_LINE, NULL,
	    "Segmentation fault or bus error",
	    { "segmentation fault", "sigsegv", "bus error", "sigbus", NULL },
	    NULL },
	{ "rust-panic", "fatal", DIAG_K_LINE, NULL,
	    "Rust thread panicked",
	    { "thread '*' panicked at", NULL }, NULL },
	{ "go-panic", "fatal", DIAG_K_LINE, NULL,
	    "Go program panicked",
	    { "^panic: ", NULL }, "^goroutine * [running]:" },
	{ "glibc-heap-corruption", "fatal", DIAG_K_LINE, NULL,
	    "glibc detected heap corruption",
	    { "malloc(): ", "free(): invalid", "free(): double free",
	    "double free or corruption", "corrupted size vs. prev_size",
	    "malloc_consolidate(): ", "realloc(): invalid", NULL }, NULL },
	{ "killed", "fatal", DIAG_K_LINE, NULL,
	    "A shell reported its child killed (SIGKILL, often the OOM killer)",
	    { "^killed$", "^killed: 9$", "^*: line *: * killed *",
	    "^zsh: killed *", NULL }, NULL },
};

/*
 * Errno numbers differ between platforms (ECONNRESET is 104 on Linux and
 * 54 on macOS), so the table is built from the macros of the platform we
 * are compiled on, like the signal table in classify.c.  Canonical names
 * come before their aliases, which share a number.
 */
#define E(x)	{ x, #x }
static const struct {
	int		 no;
	const char	*name;
} diag_errnos[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO),
	E(E2BIG), E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN),
	E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV),
	E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE),
	E(EMFILE), E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC),
	E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE),
	E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS),
	E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(EPROTO),
	E(EBADMSG), E(EOVERFLOW), E(EILSEQ), E(ENOTSOCK),
	E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT),
	E(EPROTONOSUPPORT), E(EOPNOTSUPP), E(ENOTSUP), E(EAFNOSUPPORT),
	E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
	E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS),
	E(EISCONN), E(ENOTCONN), E(ETIMEDOUT), E(ECONNREFUSED),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE),
	E(EDQUOT), E(ECANCELED), E(EOWNERDEAD), E(ENOTRECOVERABLE),
	E(EWOULDBLOCK),
	/* Not in POSIX, or found on one platform only. */
#ifdef EDEADLOCK
	E(EDEADLOCK),
#endif
#ifdef ENOTBLK
	E(ENOTBLK),
#endif
#ifdef ESOCKTNOSUPPORT
	E(ESOCKTNOSUPPORT),
#endif
#ifdef EPFNOSUPPORT
	E(EPFNOSUPPORT),
#endif
#ifdef ESHUTDOWN
	E(ESHUTDOWN),
#endif
#ifdef ETOOMANYREFS
	E(ETOOMANYREFS),
#endif
#ifdef EHOSTDOWN
	E(EHOSTDOWN),
#endif
#ifdef EUSERS
	E(EUSERS),
#endif
#ifdef EREMOTE
	E(EREMOTE),
#endif
#ifdef EMULTIHOP
	E(EMULTIHOP),
#endif
#ifdef ENOLINK
	E(ENOLINK),
#endif
#ifdef ENODATA
	E(ENODATA),
#endif
#ifdef ENOSR
	E(ENOSR),
#endif
#ifdef ENOSTR
	E(ENOSTR),
#endif
#ifdef ETIME
	E(ETIME),
#endif
#ifdef ECHRNG
	E(ECHRNG),
#endif
#ifdef EBADFD
	E(EBADFD),
#endif
#ifdef ENONET
	E(ENONET),
#endif
#ifdef ENOPKG
	E(ENOPKG),
#endif
#ifdef ECOMM
	E(ECOMM),
#endif
#ifdef ENOTUNIQ
	E(ENOTUNIQ),
#endif
#ifdef EREMCHG
	E(EREMCHG),
#endif
#ifdef ELIBBAD
	E(ELIBBAD),
#endif
#ifdef ELIBEXEC
	E(ELIBEXEC),
#endif
#ifdef ERESTART
	E(ERESTART),
#endif
#ifdef ESTRPIPE
	E(ESTRPIPE),
#endif
#ifdef EUCLEAN
	E(EUCLEAN),
#endif
#ifdef EREMOTEIO
	E(EREMOTEIO),
#endif
#ifdef ENOMEDIUM
	E(ENOMEDIUM),
#endif
#ifdef EMEDIUMTYPE
	E(EMEDIUMTYPE),
#endif
#ifdef ENOKEY
	E(ENOKEY),
#endif
#ifdef EKEYEXPIRED
	E(EKEYEXPIRED),
#endif
#ifdef EKEYREVOKED
	E(EKEYREVOKED),
#endif
#ifdef EKEYREJECTED
	E(EKEYREJECTED),
#endif
#ifdef ERFKILL
	E(ERFKILL),
#endif
#ifdef EHWPOISON
	E(EHWPOISON),
#endif
#ifdef EAUTH
	E(EAUTH),
#endif
#ifdef ENEEDAUTH
	E(ENEEDAUTH),
#endif
#ifdef EPROCLIM
	E(EPROCLIM),
#endif
#ifdef EBADRPC
	E(EBADRPC),
#endif
#ifdef EFTYPE
	E(EFTYPE),
#endif
#ifdef EPWROFF
	E(EPWROFF),
#endif
#ifdef EDEVERR
	E(EDEVERR),
#endif
#ifdef EBADEXEC
	E(EBADEXEC),
#endif
#ifdef EBADARCH
	E(EBADARCH),
#endif
#ifdef ESHLIBVERS
	E(ESHLIBVERS),
#endif
#ifdef EBADMACHO
	E(EBADMACHO),
#endif
#ifdef ENOATTR
	E(ENOATTR),
#endif
#ifdef ENOPOLICY
	E(ENOPOLICY),
#endif
#ifdef EQFULL
	E(EQFULL),
#endif
};
#undef E

#define DIAG_NERRNOS	(sizeof(diag_errnos) / sizeof(diag_errnos[0]))
#define ERRNO_DESC_MAX	64

/* The catalogue: one per process, set up before any run is fed. */
static struct diag_entry	diag_cat[DIAG_MAX];
static size_t			diag_ncat;
static int			diag_ready;
static char			diag_platform[DIAG_PLATFORM_MAX];
/* strerror(3) texts, copied once: its buffer may be reused by any call. */
static char			diag_errdesc[DIAG_NERRNOS][ERRNO_DESC_MAX];
/* Bit e of slot h: entry e has a literal piece whose 4-gram hashes to h. */
static uint64_t			diag_prefilter[1u << DIAG_HASH_BITS];
/* Entries without a 4-byte literal piece: always tried. */
static uint64_t			diag_always;

static unsigned char	lc(unsigned char);
static int		is_space(unsigned char);
static uint32_t		hash4(uint32_t);
static size_t		utf8_cut(const char *, size_t, size_t);
static int		sev_parse(const char *);
static const char	*pat_compile(struct diag_entry *, const char *, int);
static const char	*entry_fill(struct diag_entry *, const char *,
			    const char *, const char *, int);
static void		prefilter_add(size_t);
static int		seg_eq(const unsigned char *, const char *, size_t);
static int		seg_find(const unsigned char *, size_t, const char *,
			    size_t, size_t *);
static int		glob_match(const unsigned char *, size_t, const char *,
			    size_t, int);
static int		alt_match(const struct diag_entry *,
			    const unsigned char *, size_t);
static int		errno_index(int);
static void		errno_text(int, const char **, const char **, char *,
			    size_t);
static void		lines_take(const struct diag_run *, int,
			    struct diag_lines *);
static void		recent_push(struct diag_run *, const char *, size_t);
static void		msg_set(struct diag_hit *, const char *, size_t,
			    const char *, size_t);
static void		msg_ring(struct diag_hit *, const unsigned char *,
			    size_t, const char *, size_t);
static struct diag_hit	*hit_get(struct diag_run *, size_t, int, int64_t);
static void		hit_record(struct diag_run *, size_t, int,
			    const char *, const unsigned char *, size_t,
			    int64_t);
static void		traceback_end(struct diag_run *, const char *, size_t,
			    int64_t);
static void		diag_line(struct diag_run *, const char *, size_t,
			    int64_t);
static void		lines_json(struct jw *, const char *,
			    const struct diag_lines *);

/* ASCII only: the locale must not change what a pattern matches. */
static unsigned char
lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Four bytes, first byte lowest, to a prefilter slot (Fibonacci hash). */
static uint32_t
hash4(uint32_t w)
{
	return (uint32_t)(w * 2654435761u) >> (32 - DIAG_HASH_BITS);
}

/*
 * How many of `len` bytes to keep so that at most `max` are kept and a
 * UTF-8 sequence is not cut in two (which JSON would show as U+FFFD).
 */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t	cut, back;

	if (len <= max)
		return len;
	cut = max;
	for (back = 0; back < 3 && cut > 0 &&
	    ((unsigned char)s[cut] & 0xc0) == 0x80; back++)
		cut--;
	/* Not UTF-8 after all: cut where the limit says. */
	if (((unsigned char)s[cut] & 0xc0) == 0x80)
		cut = max;
	return cut;
}

static int
sev_parse(const char *s)
{
	int	i;

	for (i = 0; i < SEV_MAX; i++)
		if (strcmp(s, diag_sevnames[i]) == 0)
			return i;
	return -1;
}

/*
 * Append one alternative to e, lowercased, with '^' and '$' turned into
 * flags.  Returns NULL or why it cannot be used.
 */
static const char *
pat_compile(struct diag_entry *e, const char *src, int flags)
{
	struct diag_alt	*a;
	size_t		 len = strlen(src), i, run = 0;
	unsigned char	 c;

	if (e->nalt == DIAG_ALTS_MAX)
		return "has too many alternatives";
	if (len >= DIAG_PATTERN_MAX)
		return "match is too long";
	if (len > 0 && src[0] == '^') {
		flags |= A_START;
		src++;
		len--;
	}
	if (len > 0 && src[len - 1] == '$') {
		flags |= A_END;
		len--;
	}
	if (len > sizeof(e->pat) - e->patlen)
		return "match is too long";
	a = &e->alt[e->nalt];
	a->off = (uint16_t)e->patlen;
	a->len = (uint16_t)len;
	a->lit = a->litlen = 0;
	a->flags = (uint8_t)flags;
	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (c < 0x20 || c == 0x7f)
			return "match may not contain control characters";
		e->pat[e->patlen + i] = (char)lc(c);
		if (c == '*' || c == '?') {
			run = 0;
			continue;
		}
		if (++run > a->litlen) {
			a->litlen = (uint16_t)run;
			a->lit = (uint16_t)(e->patlen + i + 1 - run);
		}
	}
	if (a->litlen == 0)
		return "match needs a byte that is not a wildcard";
	e->patlen += len;
	e->nalt++;
	return NULL;
}

static const char *
entry_fill(struct diag_entry *e, const char *id, const char *sev,
    const char *summary, int evidence)
{
	const char	*why;
	size_t		 i, len;
	int		 s;

	if ((why = id_check(id, ID_MAX)) != NULL)
		return why;
	s = sev_parse(sev);
	if (s < 0)
		return "severity must be info, warning, error or fatal";
	len = strlen(summary);
	if (len == 0)
		return "summary is empty";
	if (len >= DIAG_SUMMARY_MAX)
		return "summary is too long";
	for (i = 0; i < len; i++)
		if ((unsigned char)summary[i] < 0x20 || summary[i] == 0x7f)
			return "summary may not contain control characters";
	if (evidence == 0)
		evidence = DIAG_EVIDENCE_DEFAULT;
	if (evidence < 1 || evidence > DIAG_EVIDENCE_MAX)
		return "evidence_lines must be 1..8";
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, strlen(id) + 1);
	memcpy(e->summary, summary, len + 1);
	e->sev = (enum diag_sev)s;
	e->kind = DIAG_K_LINE;
	e->evidence = evidence;
	return NULL;
}

static void
prefilter_add(size_t idx)
{
	const struct diag_entry	*e = &diag_cat[idx];
	const unsigned char	*p;
	size_t			 i;

	for (i = 0; i < e->nalt; i++) {
		if (e->alt[i].litlen < 4) {
			diag_always |= 1ULL << idx;
			continue;
		}
		p = (const unsigned char *)e->pat + e->alt[i].lit;
		diag_prefilter[hash4((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24)] |=
		    1ULL << idx;
	}
}

void
diag_init(const char *platform)
{
	const struct diag_builtin	*b;
	struct diag_entry		*e;
	const char			*why;
	size_t				 i, j;

	diag_ncat = 0;
	diag_always = 0;
	memset(diag_prefilter, 0, sizeof(diag_prefilter));
	if (platform == NULL)
		platform = DIAG_PLATFORM_UNKNOWN;
	snprintf(diag_platform, sizeof(diag_platform), "%s", platform);
	for (i = 0; i < DIAG_NERRNOS; i++)
		snprintf(diag_errdesc[i], sizeof(diag_errdesc[i]), "%s",
		    strerror(diag_errnos[i].no));

	for (i = 0; i < sizeof(diag_builtins) / sizeof(diag_builtins[0]);
	    i++) {
		b = &diag_builtins[i];
		e = &diag_cat[diag_ncat];
		why = entry_fill(e, b->id, b->sev, b->summary, 0);
		for (j = 0; why == NULL && b->match[j] != NULL; j++)
			why = pat_compile(e, b->match[j], 0);
		/* Context alternatives go last: a real match wins. */
		if (why == NULL && b->context != NULL)
			why = pat_compile(e, b->context, A_CONTEXT);
		if (why != NULL)
			fatalx("%s: built-in diagnostic %s: %s", __func__,
			    b->id, why);
		e->kind = b->kind;
		e->label = b->label;
		prefilter_add(diag_ncat++);
	}
	diag_ready = 1;
}

int
diag_add(const char *id, const char *severity, const char *match,
    const char *summary, int evidence_lines, const char **err)
{
	struct diag_entry	*e;
	const char		*why = NULL;
	size_t			 i;

	if (!diag_ready)
		diag_init(NULL);
	if (id == NULL)
		why = "id is required";
	else if (match == NULL || *match == '\0')
		why = "match is required";
	else if (summary == NULL)
		why = "summary is required";
	else if (diag_ncat == DIAG_MAX)
		why = "too many diagnostics";
	for (i = 0; why == NULL && i < diag_ncat; i++)
		if (strcmp(diag_cat[i].id, id) == 0)
			why = "duplicate diagnostic id";
	if (why == NULL) {
		e = &diag_cat[diag_ncat];
		why = entry_fill(e, id, severity != NULL ? severity : "error",
		    summary, evidence_lines);
		if (why == NULL)
			why = pat_compile(e, match, 0);
	}
	if (why != NULL) {
		if (err != NULL)
			*err = why;
		return -1;
	}
	prefilter_add(diag_ncat++);
	return 0;
}

size_t
diag_count(void)
{
	if (!diag_ready)
		diag_init(NULL);
	return diag_ncat;
}

/* Whether the n bytes at l match segment p ('?' matches any byte). */
static int
seg_eq(const unsigned char *l, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != '?' && (unsigned char)p[i] != l[i])
			return 0;
	return 1;
}

/* The leftmost place in l[0..n) where segment p[0..k) matches. */
static int
seg_find(const unsigned char *l, size_t n, const char *p, size_t k,
    size_t *at)
{
	const unsigned char	*f;
	size_t			 i;

	if (k == 0) {
		*at = 0;
		return 1;
	}
	if (k > n)
		return 0;
	if (memchr(p, '?', k) == NULL) {
		if ((f = memmem(l, n, p, k)) == NULL)
			return 0;
		*at = (size_t)(f - l);
		return 1;
	}
	for (i = 0; i + k <= n; i++)
		if (seg_eq(l + i, p, k)) {
			*at = i;
			return 1;
		}
	return 0;
}

/*
 * A glob over the whole line l[0..n).  Taking each '*'-separated segment
 * at its leftmost place is enough: whatever a later segment needs, an
 * earlier leftmost choice leaves the most room for it.  Only the last
 * segment of an end-anchored pattern has to sit at the end.
 */
static int
glob_match(const unsigned char *l, size_t n, const char *p, size_t m,
    int flags)
{
	const char	*star;
	size_t		 pos = 0, k, at;
	int		 first = 1, last;

	for (;;) {
		star = memchr(p, '*', m);
		k = star != NULL ? (size_t)(star - p) : m;
		last = star == NULL;
		if (first && (flags & A_START)) {
			if (k > n || !seg_eq(l, p, k))
				return 0;
			if (last && (flags & A_END))
				return k == n;
			pos = k;
		} else if (last && (flags & A_END)) {
			return n - pos >= k && seg_eq(l + n - k, p, k);
		} else {
			if (!seg_find(l + pos, n - pos, p, k, &at))
				return 0;
			pos += at + k;
		}
		if (last)
			return 1;
		p += k + 1;
		m -= k + 1;
		first = 0;
	}
}

/* The flags of the first alternative of e that matches, or -1. */
static int
alt_match(const struct diag_entry *e, const unsigned char *low, size_t n)
{
	const struct diag_alt	*a;
	size_t			 i;

	for (i = 0; i < e->nalt; i++) {
		a = &e->alt[i];
		if (glob_match(low, n, e->pat + a->off, a->len, a->flags))
			return a->flags;
	}
	return -1;
}

static int
errno_index(int no)
{
	size_t	i;

	for (i = 0; i < DIAG_NERRNOS; i++)
		if (diag_errnos[i].no == no)
			return (int)i;
	return -1;
}

/* Name and description of an errno; `buf` holds the unknown one's text. */
static void
errno_text(int no, const char **name, const char **desc, char *buf,
    size_t len)
{
	int	i = errno_index(no);

	if (i >= 0) {
		*name = diag_errnos[i].name;
		*desc = diag_errdesc[i];
		return;
	}
	snprintf(buf, len, "Unknown error %d", no);
	*name = "UNKNOWN_ERRNO";
	*desc = buf;
}

/* The last `want` non-blank lines, the newest that fit in dst->buf. */
static void
lines_take(const struct diag_run *r, int want, struct diag_lines *dst)
{
	size_t		 n, k, i, total = 0, slot, off = 0;

	k = (size_t)want;
	if (k > DIAG_EVIDENCE_MAX)
		k = DIAG_EVIDENCE_MAX;
	if (k > r->nrecent)
		k = (size_t)r->nrecent;
	for (n = 0; n < k; n++) {
		slot = (size_t)((r->nrecent - 1 - n) % DIAG_EVIDENCE_MAX);
		if (total + r->recent_len[slot] > sizeof(dst->buf))
			break;
		total += r->recent_len[slot];
	}
	dst->n = (uint16_t)n;
	for (i = 0; i < n; i++) {
		slot = (size_t)((r->nrecent - n + i) % DIAG_EVIDENCE_MAX);
		memcpy(dst->buf + off, r->recent[slot], r->recent_len[slot]);
		dst->len[i] = r->recent_len[slot];
		off += r->recent_len[slot];
	}
}

static void
recent_push(struct diag_run *r, const char *s, size_t len)
{
	size_t	slot = (size_t)(r->nrecent % DIAG_EVIDENCE_MAX);

	len = utf8_cut(s, len, DIAG_EVLINE_MAX);
	memcpy(r->recent[slot], s, len);
	r->recent_len[slot] = (uint16_t)len;
	r->nrecent++;
}

/* msg = prefix ": " text, cut to fit. */
static void
msg_set(struct diag_hit *h, const char *prefix, size_t plen,
    const char *text, size_t tlen)
{
	size_t	n = 0;

	if (plen > 0) {
		if (plen > DIAG_MSG_MAX - 2)
			plen = DIAG_MSG_MAX - 2;
		memcpy(h->msg, prefix, plen);
		memcpy(h->msg + plen, ": ", 2);
		n = plen + 2;
	}
	tlen = utf8_cut(text, tlen, DIAG_MSG_MAX - n);
	memcpy(h->msg + n, text, tlen);
	h->msglen = (uint16_t)(n + tlen);
}

/*
 * "[ring] Receiving from socket 51 failed with errno 104": the number after
 * the last "errno ", named with the table of the platform that ran it.
 */
static void
msg_ring(struct diag_hit *h, const unsigned char *low, size_t n,
    const char *t, size_t tlen)
{
	const unsigned char	*p, *f, *end = low + n;
	const char		*name, *desc;
	char			 unk[32];
	long			 v = 0;
	int			 len;

	for (p = NULL, f = low; (f = memmem(f, (size_t)(end - f), "errno ",
	    6)) != NULL; f += 6)
		p = f + 6;
	if (p == NULL || p == end || *p < '0' || *p > '9') {
		h->has_errno = 0;
		msg_set(h, NULL, 0, t, tlen);
		return;
	}
	for (; p < end && *p >= '0' && *p <= '9' && v < 1000000; p++)
		v = v * 10 + (*p - '0');
	h->has_errno = 1;
	h->err_no = (int)v;
	errno_text(h->err_no, &name, &desc, unk, sizeof(unk));
	len = snprintf(h->msg, sizeof(h->msg),
	    "Ring socket receive failed: errno %d %s (%s) [%s]", h->err_no,
	    name, desc, diag_platform);
	if (len < 0)
		len = 0;
	h->msglen = (uint16_t)((size_t)len < sizeof(h->msg) ?
	    (size_t)len : sizeof(h->msg) - 1);
}

/*
 * The hit of entry e, made if need be; NULL when the table is full or when
 * a context alternative would add to an existing hit.
 */
static struct diag_hit *
hit_get(struct diag_run *r, size_t e, int context, int64_t now)
{
	struct diag_hit	*h;
	size_t		 i;

	for (i = 0; i < r->nhits; i++)
		if (r->hits[i].entry == e)
			return context ? NULL : &r->hits[i];
	if (r->nhits == DIAG_HITS_MAX) {
		r->dropped++;
		return NULL;
	}
	h = &r->hits[r->nhits++];
	h->entry = (uint16_t)e;
	h->msglen = 0;
	h->count = 0;
	h->first_us = now;
	h->has_errno = 0;
	h->err_no = 0;
	lines_take(r, diag_cat[e].evidence, &h->first);
	return h;
}

/* One occurrence of entry e on the trimmed line t (low: lowercased). */
static void
hit_record(struct diag_run *r, size_t e, int context, const char *t,
    const unsigned char *low, size_t tlen, int64_t now)
{
	const struct diag_entry	*ent = &diag_cat[e];
	struct diag_hit		*h;
	const unsigned char	*m;

	if ((h = hit_get(r, e, context, now)) == NULL)
		return;
	h->count++;
	h->last_us = now;
	if (h->count == 1)
		h->last = h->first;
	else
		lines_take(r, ent->evidence, &h->last);
	switch (ent->kind) {
	case DIAG_K_METAL:
		m = memmem(low, tlen, "[metal]", 7);
		if (m != NULL) {
			t += m - low;
			tlen -= (size_t)(m - low);
		}
		msg_set(h, ent->label, strlen(ent->label), t, tlen);
		break;
	case DIAG_K_RING_ERRNO:
		msg_ring(h, low, tlen, t, tlen);
		break;
	case DIAG_K_TRACEBACK:
		/* The message comes with the exception line; keep the last. */
		if (h->msglen == 0)
			msg_set(h, NULL, 0, t, tlen);
		r->pending = (size_t)(h - r->hits) + 1;
		break;
	default:
		msg_set(h, NULL, 0, t, tlen);
	}
}

/*
 * The line that ends a Python traceback: its message, and the evidence
 * taken again here, where it shows the last frames and the exception
 * rather than what came before the traceback.
 */
static void
traceback_end(struct diag_run *r, const char *t, size_t tlen, int64_t now)
{
	struct diag_hit	*h = &r->hits[r->pending - 1];

	r->pending = 0;
	msg_set(h, NULL, 0, t, tlen);
	lines_take(r, diag_cat[h->entry].evidence, &h->last);
	if (h->count == 1)
		h->first = h->last;
	h->last_us = now;
}

/* One line without its '\n', at most DIAG_LINE_MAX bytes. */
static void
diag_line(struct diag_run *r, const char *s, size_t len, int64_t now)
{
	unsigned char	low[DIAG_LINE_MAX];
	uint8_t		hit[DIAG_MAX], ctx[DIAG_MAX];
	const char	*t;
	uint64_t	mask;
	uint32_t	w = 0;
	size_t		i, tlen, nhit = 0;
	int		flags, tb = 0;

	r->lines++;
	while (len > 0 && (is_space((unsigned char)s[len - 1]) ||
	    s[len - 1] == '\n'))
		len--;
	for (i = 0; i < len && is_space((unsigned char)s[i]); i++)
		;
	if (i == len)
		return;		/* blank lines are neither evidence nor hits */
	t = s + i;
	tlen = len - i;

	/* One pass lowercases the line and collects candidate entries. */
	mask = diag_always;
	for (i = 0; i < tlen; i++) {
		low[i] = lc((unsigned char)t[i]);
		w = w >> 8 | (uint32_t)low[i] << 24;
		if (i >= 3)
			mask |= diag_prefilter[hash4(w)];
	}
	for (i = 0; i < diag_ncat && mask != 0; i++, mask >>= 1) {
		if ((mask & 1) == 0)
			continue;
		if ((flags = alt_match(&diag_cat[i], low, tlen)) < 0)
			continue;
		hit[nhit] = (uint8_t)i;
		ctx[nhit++] = (flags & A_CONTEXT) != 0;
		if (diag_cat[i].kind == DIAG_K_TRACEBACK)
			tb = 1;
	}

	recent_push(r, s, len);
	/* An exception line is the first unindented one after the frames. */
	if (r->pending != 0 && !is_space((unsigned char)s[0]) && !tb)
		traceback_end(r, t, tlen, now);
	for (i = 0; i < nhit; i++)
		hit_record(r, hit[i], ctx[i], t, low, tlen, now);
}

void
diag_run_reset(struct diag_run *r)
{
	r->linelen = 0;
	r->skipping = 0;
	r->lines = 0;
	r->nrecent = 0;
	r->pending = 0;
	r->nhits = 0;
	r->dropped = 0;
}

void
diag_feed(struct diag_run *r, const void *bytes, size_t len, int64_t now)
{
	const char	*p = bytes, *end = p + len, *nl;
	size_t		 n, room;

	if (!diag_ready)
		diag_init(NULL);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (r->skipping) {
			if (nl == NULL)
				return;
			r->skipping = 0;
			p = nl + 1;
			continue;
		}
		n = (size_t)((nl != NULL ? nl : end) - p);
		/* A whole line in this chunk is matched where it lies. */
		if (r->linelen == 0 && nl != NULL) {
			diag_line(r, p, n < DIAG_LINE_MAX ? n : DIAG_LINE_MAX,
			    now);
			p = nl + 1;
			continue;
		}
		room = DIAG_LINE_MAX - r->linelen;
		memcpy(r->line + r->linelen, p, n < room ? n : room);
		if (n <= room && nl != NULL) {
			diag_line(r, r->line, r->linelen + n, now);
			r->linelen = 0;
			p = nl + 1;
		} else if (n >= room) {
			/* Full: match what we have, skip to the newline. */
			diag_line(r, r->line, DIAG_LINE_MAX, now);
			r->linelen = 0;
			r->skipping = 1;
			p += room;
		} else {
			r->linelen += n;
			p = end;
		}
	}
}

void
diag_eof(struct diag_run *r, int64_t now)
{
	if (!diag_ready)
		diag_init(NULL);
	if (r->linelen > 0)
		diag_line(r, r->line, r->linelen, now);
	r->linelen = 0;
	r->skipping = 0;
}

size_t
diag_nhits(const struct diag_run *r)
{
	return r->nhits;
}

const struct diag_hit *
diag_find(const struct diag_run *r, const char *id)
{
	size_t	i;

	for (i = 0; i < r->nhits; i++)
		if (r->hits[i].entry < diag_ncat &&
		    strcmp(diag_cat[r->hits[i].entry].id, id) == 0)
			return &r->hits[i];
	return NULL;
}

const char *
diag_hit_id(const struct diag_hit *h)
{
	return h->entry < diag_ncat ? diag_cat[h->entry].id : "unknown";
}

const char *
diag_hit_severity(const struct diag_hit *h)
{
	return h->entry < diag_ncat ?
	    diag_sevnames[diag_cat[h->entry].sev] : "error";
}

const char *
diag_hit_summary(const struct diag_hit *h)
{
	return h->entry < diag_ncat ? diag_cat[h->entry].summary : "";
}

static void
lines_json(struct jw *w, const char *key, const struct diag_lines *l)
{
	size_t	i, off = 0;

	jw_arr_begin(w, key);
	for (i = 0; i < l->n; i++) {
		jw_strn(w, NULL, l->buf + off, l->len[i]);
		off += l->len[i];
	}
	jw_arr_end(w);
}

void
diag_json(struct jw *w, const char *key, const struct diag_run *r)
{
	const struct diag_hit	*h;
	const char		*name, *desc;
	char			 ts[TIMEFMT_MAX], unk[32];
	size_t			 i;

	jw_arr_begin(w, key);
	for (i = 0; i < r->nhits; i++) {
		h = &r->hits[i];
		jw_obj_begin(w, NULL);
		jw_str(w, "id", diag_hit_id(h));
		jw_str(w, "severity", diag_hit_severity(h));
		jw_str(w, "summary", diag_hit_summary(h));
		jw_strn(w, "message", h->msg, h->msglen);
		jw_uint(w, "count", h->count);
		timefmt_rfc3339(ts, sizeof(ts), h->first_us);
		jw_str(w, "first_seen", ts);
		timefmt_rfc3339(ts, sizeof(ts), h->last_us);
		jw_str(w, "last_seen", ts);
		lines_json(w, "first_evidence", &h->first);
		lines_json(w, "last_evidence", &h->last);
		if (h->has_errno) {
			errno_text(h->err_no, &name, &desc, unk, sizeof(unk));
			jw_int(w, "error_number", h->err_no);
			jw_str(w, "error_name", name);
			jw_str(w, "error_description", desc);
			jw_str(w, "errno_platform", diag_platform);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
}
