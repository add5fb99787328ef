/*
 * hostcalls.c — counted wrappers around the memory system calls cevm makes.
 *
 * The counter is a relaxed atomic: it is read by tests and benchmarks to prove which CE calls
 * reach the kernel, never used for control flow.
 */
#define _GNU_SOURCE
#include "host/host.h"

#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

static _Atomic uint64_t g_calls;

static void count(void)
{
    atomic_fetch_add_explicit(&g_calls, 1, memory_order_relaxed);
}

uint64_t host_call_count(void)
{
    return atomic_load_explicit(&g_calls, memory_order_relaxed);
}

void *host_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    count();
    return mmap(addr, len, prot, flags, fd, off);
}

int host_munmap(void *addr, size_t len)
{
    count();
    return munmap(addr, len);
}

int host_mprotect(void *addr, size_t len, int prot)
{
    count();
    return mprotect(addr, len, prot);
}

int host_memfd(const char *name, uint64_t size)
{
    count();
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    count();
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}
