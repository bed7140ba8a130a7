/*
 * alloccount.c -- count heap allocations in a crashtrail test build.
 *
 * Linked into the executable, these definitions interpose malloc and
 * friends for the whole process (libevent, libc, mbedTLS included) and
 * forward to glibc's __libc_* entry points.  crashtrail calls
 * crashtrail_mark_hook("ready") once every runner has been started and
 * ("shutdown") when the stop signal arrives; this file prints the number
 * of malloc/calloc/realloc calls in between to stderr as
 *   alloccount: N allocations between ready and shutdown
 * (SIGUSR2 restarts the count: see alloc_on_usr2).
 * Calls made from inside mbedTLS (its shared libraries, found by the
 * caller's address with dladdr) are counted apart and printed after it:
 * Debian's mbedTLS 2.28 is built without MBEDTLS_PLATFORM_MEMORY, so its
 * handshake callocs cannot be given an arena; src/https.h says what they
 * are and that each transfer frees them when it ends.
 * glibc only (it needs __libc_malloc); never combine with ASan.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>

#define PATH_MAX_LINE	512

#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);
extern void	 __libc_free(void *);
extern void	*__libc_memalign(size_t, size_t);

extern void	(*crashtrail_mark_hook)(const char *);

void	*malloc(size_t);
void	*calloc(size_t, size_t);
void	*realloc(void *, size_t);
void	 free(void *);
void	*memalign(size_t, size_t);
void	*aligned_alloc(size_t, size_t);
int	 posix_memalign(void **, size_t, size_t);

static unsigned long	alloc_calls, alloc_at_ready;
static unsigned long	tls_calls, tls_at_ready;
static int		alloc_counting;
static void		*alloc_from[32];
static struct timespec	 alloc_when[32];
static int		 alloc_nfrom;

/* One call, charged to mbedTLS when `ret` is inside one of its libraries. */
static void
alloc_count(void *ret)
{
	Dl_info	info;

	if (dladdr(ret, &info) != 0 && info.dli_fname != NULL &&
	    strstr(info.dli_fname, "libmbed") != NULL)
		tls_calls++;
	else {
		alloc_calls++;
		/* Where the first counted calls came from, for the report. */
		if (alloc_counting && alloc_nfrom < 32) {
			clock_gettime(CLOCK_REALTIME, &alloc_when[alloc_nfrom]);
			alloc_from[alloc_nfrom++] = ret;
		}
		/* ALLOC_ABORT=1: a core at the first one, for a debugger. */
		if (alloc_counting && getenv("ALLOC_ABORT") != NULL)
			abort();
	}
}

void *
malloc(size_t n)
{
	alloc_count(__builtin_return_address(0));
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	alloc_count(__builtin_return_address(0));
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	alloc_count(__builtin_return_address(0));
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}

void *
memalign(size_t a, size_t n)
{
	alloc_calls++;
	return __libc_memalign(a, n);
}

void *
aligned_alloc(size_t a, size_t n)
{
	alloc_calls++;
	return __libc_memalign(a, n);
}

int
posix_memalign(void **p, size_t a, size_t n)
{
	alloc_calls++;
	*p = __libc_memalign(a, n);
	return *p == NULL ? 12 : 0;
}

/* Called from the daemon; prints with write(2) so it allocates nothing. */
static void
alloc_mark(const char *what)
{
	char	line[PATH_MAX_LINE];
	int	n, i;

	if (strcmp(what, "ready") == 0) {
		alloc_at_ready = alloc_calls;
		tls_at_ready = tls_calls;
		alloc_counting = 1;
		return;
	}
	if (strcmp(what, "shutdown") == 0 && alloc_counting) {
		alloc_counting = 0;
		n = snprintf(line, sizeof(line), "alloccount: %lu allocations "
		    "between ready and shutdown; %lu more by mbedTLS\n",
		    alloc_calls - alloc_at_ready, tls_calls - tls_at_ready);
		if (n > 0)
			(void)write(2, line, (size_t)n);
		/* Object and offset of each caller: addr2line -e OBJ OFF. */
		for (i = 0; i < alloc_nfrom; i++) {
			Dl_info	info;

			if (dladdr(alloc_from[i], &info) == 0)
				continue;
			n = snprintf(line, sizeof(line), "alloccount: from %s "
			    "+0x%lx at %ld.%06ld\n", info.dli_fname, (unsigned long)
			    ((char *)alloc_from[i] - (char *)info.dli_fbase),
			    (long)alloc_when[i].tv_sec,
			    alloc_when[i].tv_nsec / 1000);
			if (n > 0)
				(void)write(2, line, (size_t)n);
		}
	}
}

/*
 * SIGUSR2 moves the start of the window to now: a test connects its
 * stream clients (the request path may allocate) and then says "from
 * here on".  Only a long is read and written: async-signal-safe.
 */
static void
alloc_on_usr2(int sig)
{
	(void)sig;
	alloc_at_ready = alloc_calls;
	tls_at_ready = tls_calls;
	alloc_nfrom = 0;
}

__attribute__((constructor)) static void
alloc_init(void)
{
	crashtrail_mark_hook = alloc_mark;

	signal(SIGUSR2, alloc_on_usr2);
}
