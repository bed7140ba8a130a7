/*
 * timefmt.h -- clocks and the UTC timestamp formats crashtrail writes.
 *
 * All formatters write into a caller buffer, NUL-terminate it, and return
 * the length written (0 if the buffer is too small).  They never allocate
 * (gmtime_r, not localtime: no time zone database is touched).
 */
#ifndef TIMEFMT_H
#define TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIMEFMT_MAX	40	/* fits every format below */

int64_t	timefmt_now_us(void);		/* wall clock, µs since the epoch */
int64_t	timefmt_mono_ms(void);		/* monotonic clock, ms */

/* 2026-11-22T18:00:00.123Z: the log line prefix. */
size_t	timefmt_log(char *, size_t, int64_t);
/* 2026-11-22T18:00:00.123456Z: RFC 3339 with µs, in JSON documents. */
size_t	timefmt_rfc3339(char *, size_t, int64_t);
/* 2026-11-22_18-00-00_123456Z: log file names (%Y-%m-%d_%H-%M-%S_%fZ). */
size_t	timefmt_file(char *, size_t, int64_t);
/* 20261122T180000123456Z: the time part of a run id, URL-safe. */
size_t	timefmt_runid(char *, size_t, int64_t);

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t	timefmt_days(int64_t y, unsigned m, unsigned d);

/* The `n` decimal digits at s as a number, or -1 (for date parsers). */
int	timefmt_digits(const char *s, int n);

#endif /* TIMEFMT_H */
