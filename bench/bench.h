/*
 * bench.h — what both benchmark programs need: a monotonic clock in ns, the median of a set of
 * rounds, and dying with the failed call's name and GetLastError. Define BENCH_NAME first.
 */
#ifndef CEVM_BENCH_H
#define CEVM_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <windows.h>

static inline double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n) (v is sorted in place). */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static inline void die(const char *what)
{
    fprintf(stderr, "%s: %s failed (error %u)\n", BENCH_NAME, what, GetLastError());
    exit(1);
}

#endif
