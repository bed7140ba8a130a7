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
 * glibc only (it needs __libc_malloc); never combine with ASan.
 */
#include <signal.h>
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
static int		alloc_counting;

void *
malloc(size_t n)
{
	alloc_calls++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	alloc_calls++;
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	alloc_calls++;
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
	char	line[128];
	int	n;

	if (strcmp(what, "ready") == 0) {
		alloc_at_ready = alloc_calls;
		alloc_counting = 1;
		return;
	}
	if (strcmp(what, "shutdown") == 0 && alloc_counting) {
		alloc_counting = 0;
		n = snprintf(line, sizeof(line), "alloccount: %lu allocations "
		    "between ready and shutdown\n",
		    alloc_calls - alloc_at_ready);
		if (n > 0)
			(void)write(2, line, (size_t)n);
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
}

__attribute__((constructor)) static void
alloc_init(void)
{
	crashtrail_mark_hook = alloc_mark;
	signal(SIGUSR2, alloc_on_usr2);
}
