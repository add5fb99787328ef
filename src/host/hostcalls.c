/*
 * hostcalls.c — counted wrappers around the memory system calls cevm makes.
 *
 * The counter is a relaxed atomic read by tests and benchmarks to prove which CE calls reach
 * the kernel. Allocations go through host_malloc/calloc/realloc: not system calls, but, like
 * them, fault points. cevm_fail_host_call() arms a one-shot failure of the n-th fault point.
 */
#define _GNU_SOURCE
#include "host/host.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* valgrind re-runs an instruction whose registers a signal handler changed, so it cannot resume
 * after a decoded access: under it register files stay plain memory (compared at syncs). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CEVM_UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef CEVM_UNDER_VALGRIND
#define CEVM_UNDER_VALGRIND() 0
#endif

int host_under_valgrind(void)
{
    return CEVM_UNDER_VALGRIND();
}

static _Atomic uint64_t g_calls; /* system calls */
static _Atomic uint64_t
    g_points; /* system calls and allocations: where a failure can be injected */
static _Atomic uint64_t g_fail_at; /* fail when the countdown reaches 1; 0 = disarmed */

/* A fault point. Return: non-zero if fault injection says this one must fail. */
static int injected(void)
{
    atomic_fetch_add_explicit(&g_points, 1, memory_order_relaxed);
    uint64_t f = atomic_load_explicit(&g_fail_at, memory_order_relaxed);
    if (f == 0)
        return 0;
    atomic_store_explicit(&g_fail_at, f - 1, memory_order_relaxed);
    if (f != 1)
        return 0;
    errno = ENOMEM;
    return 1;
}

/* A system call: counted, and a fault point. */
static int count(void)
{
    atomic_fetch_add_explicit(&g_calls, 1, memory_order_relaxed);
    return injected();
}

uint64_t cevm_fault_points(void)
{
    return atomic_load_explicit(&g_points, memory_order_relaxed);
}

void *host_malloc(size_t n)
{
    return injected() ? NULL : malloc(n);
}

void *host_calloc(size_t n, size_t size)
{
    return injected() ? NULL : calloc(n, size);
}

void *host_realloc(void *p, size_t n)
{
    return injected() ? NULL : realloc(p, n);
}

void cevm_fail_host_call(uint64_t n)
{
    atomic_store_explicit(&g_fail_at, n, memory_order_relaxed);
}

uint64_t host_call_count(void)
{
    return atomic_load_explicit(&g_calls, memory_order_relaxed);
}

void *host_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (count())
        return MAP_FAILED;
    return mmap(addr, len, prot, flags, fd, off);
}

int host_munmap(void *addr, size_t len)
{
    if (count())
        return -1;
    return munmap(addr, len);
}

int host_mprotect(void *addr, size_t len, int prot)
{
    if (count())
        return -1;
    return mprotect(addr, len, prot);
}

int host_memfd(const char *name, uint64_t size)
{
    if (count())
        return -1;
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (count() || ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}
