/*
 * timefmt.c -- clocks and UTC timestamp formatting without allocation.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <time.h>

#include "timefmt.h"

static size_t	timefmt_fmt(char *, size_t, int64_t, const char *, int);

int64_t
timefmt_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
timefmt_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * `fmt` takes the six broken-down fields and then the fraction; `ms` says
 * whether the fraction is milliseconds (3 digits) or microseconds (6).
 */
static size_t
timefmt_fmt(char *buf, size_t len, int64_t us, const char *fmt, int ms)
{
	struct tm	tm;
	time_t		secs;
	long		frac;
	int		n;

	if (us < 0)
		us = 0;
	secs = (time_t)(us / 1000000);
	frac = (long)(us % 1000000);
	if (ms)
		frac /= 1000;
	if (gmtime_r(&secs, &tm) == NULL)
		return 0;
	n = snprintf(buf, len, fmt, tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

size_t
timefmt_log(char *buf, size_t len, int64_t us)
{
	return timefmt_fmt(buf, len, us,
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", 1);
}

size_t
timefmt_rfc3339(char *buf, size_t len, int64_t us)
{
	return timefmt_fmt(buf, len, us,
	    "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", 0);
}

size_t
timefmt_file(char *buf, size_t len, int64_t us)
{
	return timefmt_fmt(buf, len, us,
	    "%04d-%02d-%02d_%02d-%02d-%02d_%06ldZ", 0);
}

size_t
timefmt_runid(char *buf, size_t len, int64_t us)
{
	return timefmt_fmt(buf, len, us,
	    "%04d%02d%02dT%02d%02d%02d%06ldZ", 0);
}

int64_t
timefmt_days(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int
timefmt_digits(const char *s, int n)
{
	int	v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}
