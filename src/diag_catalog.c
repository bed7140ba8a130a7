/*
 * diag_catalog.c -- the catalogue of known diagnostics: the built-ins
 * compiled in, entries added from the config, and their prefilter.
 * SPDX-License-Identifier: ISC
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "diag_int.h"
#include "ids.h"
#include "log.h"

static const char *const diag_sevnames[SEV_MAX] = {
	"info", "warning", "error", "fatal"
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

/* The catalogue and its prefilter; diag_int.h says who may touch them. */
struct diag_catalog	*diag_cur;
static size_t		 diag_alive;
static unsigned		 diag_versions;

static int		sev_parse(const char *);
static const char	*pat_compile(struct diag_entry *, const char *, int);
static const char	*entry_fill(struct diag_entry *, const char *,
			    const char *, const char *, int);
static void		prefilter_add(struct diag_catalog *, size_t);

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
		e->pat[e->patlen + i] = (char)diag_lc(c);
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
prefilter_add(struct diag_catalog *c, size_t idx)
{
	const struct diag_entry	*e = &c->e[idx];
	const unsigned char	*p;
	size_t			 i;

	for (i = 0; i < e->nalt; i++) {
		if (e->alt[i].litlen < 4) {
			c->always |= 1ULL << idx;
			continue;
		}
		p = (const unsigned char *)e->pat + e->alt[i].lit;
		c->prefilter[diag_hash4((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24)] |=
		    1ULL << idx;
	}
}
struct diag_catalog *
diag_catalog_new(void)
{
	const struct diag_builtin	*b;
	struct diag_catalog		*c;
	struct diag_entry		*e;
	const char			*why;
	size_t				 i, j;

	if (diag_alive >= DIAG_CATALOGS_MAX)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < sizeof(diag_builtins) / sizeof(diag_builtins[0]);
	    i++) {
		b = &diag_builtins[i];
		e = &c->e[c->n];
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
		prefilter_add(c, c->n++);
	}
	c->refs = 1;
	c->version = ++diag_versions;
	diag_alive++;
	return c;
}

void
diag_catalog_ref(struct diag_catalog *c)
{
	c->refs++;
}

void
diag_catalog_unref(struct diag_catalog *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	free(c);
	diag_alive--;
}

size_t
diag_catalogs_alive(void)
{
	return diag_alive;
}

size_t
diag_catalog_count(const struct diag_catalog *c)
{
	return c->n;
}

unsigned
diag_catalog_version(const struct diag_catalog *c)
{
	return c->version;
}

void
diag_set_current(struct diag_catalog *c)
{
	diag_catalog_ref(c);
	diag_catalog_unref(diag_cur);
	diag_cur = c;
}

struct diag_catalog *
diag_current(void)
{
	if (diag_cur == NULL)
		diag_init(NULL);
	return diag_cur;
}

void
diag_platform(const char *platform)
{
	static int	done;

	if (!done)
		diag_errno_init(platform);
	done = 1;
}

void
diag_init(const char *platform)
{
	struct diag_catalog	*c;

	diag_errno_init(platform);
	/* Tests call this again and again: the old current goes first. */
	diag_catalog_unref(diag_cur);
	diag_cur = NULL;
	if ((c = diag_catalog_new()) == NULL)
		fatalx("%s: %d diagnostics catalogues are in use",
		    __func__, DIAG_CATALOGS_MAX);
	diag_cur = c;		/* its one reference */
}

int
diag_add(const char *id, const char *severity, const char *match,
    const char *summary, int evidence_lines, const char **err)
{
	return diag_catalog_add(diag_current(), id, severity, match, summary,
	    evidence_lines, err);
}

int
diag_catalog_add(struct diag_catalog *c, const char *id,
    const char *severity, const char *match, const char *summary,
    int evidence_lines, const char **err)
{
	struct diag_entry	*e;
	const char		*why = NULL;
	size_t			 i;

	if (id == NULL)
		why = "id is required";
	else if (match == NULL || *match == '\0')
		why = "match is required";
	else if (summary == NULL)
		why = "summary is required";
	else if (c->n == DIAG_MAX)
		why = "too many diagnostics";
	for (i = 0; why == NULL && i < c->n; i++)
		if (strcmp(c->e[i].id, id) == 0)
			why = "duplicate diagnostic id";
	if (why == NULL) {
		e = &c->e[c->n];
		why = entry_fill(e, id, severity != NULL ? severity : "error",
		    summary, evidence_lines);
		if (why == NULL)
			why = pat_compile(e, match, 0);
	}
	if (why != NULL) {
		if (c->n < DIAG_MAX)		/* half filled: cleared */
			memset(&c->e[c->n], 0, sizeof(c->e[0]));
		if (err != NULL)
			*err = why;
		return -1;
	}
	prefilter_add(c, c->n++);
	return 0;
}

size_t
diag_count(void)
{
	return diag_current()->n;
}

const char *
diag_hit_id(const struct diag_hit *h)
{
	return h->cat != NULL && h->entry < h->cat->n ?
	    h->cat->e[h->entry].id : "unknown";
}

const char *
diag_hit_severity(const struct diag_hit *h)
{
	return h->cat != NULL && h->entry < h->cat->n ?
	    diag_sevnames[h->cat->e[h->entry].sev] : "error";
}

const char *
diag_hit_summary(const struct diag_hit *h)
{
	return h->cat != NULL && h->entry < h->cat->n ?
	    h->cat->e[h->entry].summary : "";
}
