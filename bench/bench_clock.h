/* Timing helpers shared by the C benchmarks (vc_bench, status_bench): wall and thread CPU
 * clocks, a "run this for S seconds" loop, and medians. Header-only, no dependencies. */
#ifndef OK_BENCH_CLOCK_H
#define OK_BENCH_CLOCK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bench_wall(void)
{
	return bench_now(CLOCK_MONOTONIC);
}

static inline double bench_cpu(void)
{
	return bench_now(CLOCK_THREAD_CPUTIME_ID);
}

/* One timed loop: calls, wall seconds, CPU seconds of this thread. */
struct bench_run {
	uint64_t ops;
	double wall_s;
	double cpu_s;
};

/* Calls fn(ctx) until seconds of wall time have passed; fn returns 0 or fails the run. */
typedef int (*bench_fn)(void *ctx);

static inline int bench_loop(double seconds, bench_fn fn, void *ctx, struct bench_run *out)
{
	double w0 = bench_wall(), c0 = bench_cpu(), w = w0;
	uint64_t n = 0;
	int rc;

	while (w - w0 < seconds) {
		if ((rc = fn(ctx)) != 0)
			return rc;
		n++;
		w = bench_wall();
	}
	out->ops = n;
	out->wall_s = w - w0;
	out->cpu_s = bench_cpu() - c0;
	return 0;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n values (sorts v). */
static inline double bench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
