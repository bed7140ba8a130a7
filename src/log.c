/*
 * log.c -- leveled logging to stderr, one write(2) per line, no allocation.
 * SPDX-License-Identifier: ISC
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "timefmt.h"

static int	log_level = LOG_LEVEL_INFO;

static void	log_vemit(const char *, int, const char *, va_list)
		    LOG_PRINTF(3, 0);

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

/*
 * Format into a fixed buffer and write it whole.  A message longer than the
 * buffer is cut and marked, never split across writes, so concurrent writers
 * to the same stderr (runners' own diagnostics, for example) cannot tear it.
 */
static void
log_vemit(const char *label, int errnum, const char *fmt, va_list ap)
{
	char	 line[2048];
	size_t	 len, cap = sizeof(line) - 2;
	int	 n;

	len = timefmt_log(line, cap, timefmt_now_us());
	n = snprintf(line + len, cap - len, " %s: ", label);
	if (n > 0)
		len += (size_t)n < cap - len ? (size_t)n : cap - len;
	n = vsnprintf(line + len, cap - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < cap - len ? (size_t)n : cap - len;
	if (errnum != 0 && len < cap) {
		n = snprintf(line + len, cap - len, ": %s", strerror(errnum));
		if (n > 0)
			len += (size_t)n < cap - len ? (size_t)n : cap - len;
	}
	if (len >= cap && cap > 3)
		memcpy(line + cap - 3, "...", 3);
	line[len++] = '\n';
	(void)write(STDERR_FILENO, line, len);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vemit("warn", saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit("warn", 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vemit("info", 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vemit("debug", 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vemit("fatal", saved, fmt, ap);
	va_end(ap);
	exit(EX_CT_SYSTEM);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit("fatal", 0, fmt, ap);
	va_end(ap);
	exit(EX_CT_SYSTEM);
}
