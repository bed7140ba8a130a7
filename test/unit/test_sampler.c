/*
 * test_sampler.c -- the sampler's CPU arithmetic (sampler.h): a run's
 * CPU as a share of one core, the host's as a share of the machine, and
 * the cases that must read "cannot tell" rather than a number.
 */
#include <stdint.h>

#include "check.h"
#include "sampler.h"

static void	test_run_cpu(void);
static void	test_host_cpu(void);

static void
test_run_cpu(void)
{
	uint32_t	v = 12345;

	/* 0.5 s of CPU over 1 s: 50.00 %. */
	CHECK(sample_cpu_cpct(0, 500000000, 0, 1000000, &v) == 0 &&
	    v == 5000);
	/* Two busy cores: 200 %. */
	CHECK(sample_cpu_cpct(1000000000, 3000000000ULL, 5000000, 6000000,
	    &v) == 0 && v == 20000);
	/* Idle: 0, which is a reading, not an absence. */
	CHECK(sample_cpu_cpct(7, 7, 0, 100000, &v) == 0 && v == 0);
	/* 10 ms (one clock tick) in 100 ms: 10 %, rounded down. */
	CHECK(sample_cpu_cpct(0, 10000000, 0, 100000, &v) == 0 && v == 1000);
	CHECK(sample_cpu_cpct(0, 9999999, 0, 100000, &v) == 0 && v == 999);
	/* No time passed, or the clock went back: cannot tell. */
	v = 42;
	CHECK(sample_cpu_cpct(0, 1000, 5, 5, &v) == -1 && v == 42);
	CHECK(sample_cpu_cpct(0, 1000, 6, 5, &v) == -1 && v == 42);
	/* A worker ended and its time left the group's sum: not a number. */
	CHECK(sample_cpu_cpct(2000000, 1000000, 0, 1000000, &v) == -1 &&
	    v == 42);
	/* A long gap does not overflow: 1000 cores for a day. */
	CHECK(sample_cpu_cpct(0, 86400ULL * 1000000000ULL * 1000, 0,
	    86400LL * 1000000, &v) == 0 && v == 10000000);
	/* Beyond 32 bits saturates. */
	CHECK(sample_cpu_cpct(0, UINT64_MAX, 0, 1, &v) == 0 &&
	    v == UINT32_MAX);
}

static void
test_host_cpu(void)
{
	uint32_t	v = 7;

	CHECK(sample_host_cpct(0, 0, 25, 100, &v) == 0 && v == 2500);
	CHECK(sample_host_cpct(100, 1000, 100, 2000, &v) == 0 && v == 0);
	CHECK(sample_host_cpct(100, 1000, 1100, 2000, &v) == 0 && v == 10000);
	/* 1/3 rounds down to 33.33 %. */
	CHECK(sample_host_cpct(0, 0, 1, 3, &v) == 0 && v == 3333);
	v = 7;
	/* No ticks passed; a counter went back; busy grew more than total. */
	CHECK(sample_host_cpct(0, 100, 0, 100, &v) == -1 && v == 7);
	CHECK(sample_host_cpct(50, 100, 40, 200, &v) == -1 && v == 7);
	CHECK(sample_host_cpct(0, 100, 200, 200, &v) == -1 && v == 7);
	/* Nanosecond counters of a big, long-lived host. */
	CHECK(sample_host_cpct(UINT64_MAX / 4, UINT64_MAX / 2,
	    UINT64_MAX / 4 + 500, UINT64_MAX / 2 + 1000, &v) == 0 &&
	    v == 5000);
}

int
main(void)
{
	test_run_cpu();
	test_host_cpu();
	return CHECK_DONE();
}
