/*
 * window.c — the host window: where CE addresses live in the host process.
 *
 * Identity mode reserves host 0x10000..0xFFFFFFFF with MAP_FIXED_NOREPLACE, so a CE pointer is a
 * host pointer and driver code that keeps pointers in a DWORD works. When that range is taken
 * (AddressSanitizer's shadow, valgrind, a non-PIE executable), offset mode reserves 8 GiB
 * anywhere and keeps the 4 GiB-aligned half: host pointer = base + CE address, and the low 32
 * bits of a host pointer are still its CE address. Reservations are PROT_NONE and
 * MAP_NORESERVE: they cost address space only. Pages become real through window_map().
 */
#define _GNU_SOURCE
#include "host/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define RESERVE_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

static int try_identity(struct host_window *w)
{
    size_t len = WINDOW_SIZE - IDENTITY_LOW;
    void *p = host_mmap((void *)(uintptr_t)IDENTITY_LOW, len, PROT_NONE,
                        RESERVE_FLAGS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    if (p != (void *)(uintptr_t)IDENTITY_LOW) {
        /* An old kernel ignoring MAP_FIXED_NOREPLACE gave us another place. */
        host_munmap(p, len);
        errno = EEXIST;
        return -1;
    }
    w->base = 0;
    w->mode = CEVM_WINDOW_IDENTITY;
    return 0;
}

static int try_offset(struct host_window *w)
{
    size_t len = 2 * WINDOW_SIZE;
    void *p = host_mmap(NULL, len, PROT_NONE, RESERVE_FLAGS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    uintptr_t a = (uintptr_t)p;
    uintptr_t base = (a + WINDOW_SIZE - 1) & ~(uintptr_t)(WINDOW_SIZE - 1);
    if (base > a)
        host_munmap(p, base - a);
    uintptr_t end = a + len, wend = base + WINDOW_SIZE;
    if (end > wend)
        host_munmap((void *)wend, end - wend);
    w->base = base;
    w->mode = CEVM_WINDOW_OFFSET;
    return 0;
}

cevm_status window_open(struct host_window *w, cevm_window_mode want, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    if (want == CEVM_WINDOW_AUTO || want == CEVM_WINDOW_IDENTITY) {
        if (try_identity(w) == 0) {
            snprintf(w->reason, sizeof w->reason, "%s",
                     want == CEVM_WINDOW_IDENTITY ? "identity window requested"
                                                  : "the host's low 4 GiB is free");
            return CEVM_OK;
        }
        int e = errno;
        if (want == CEVM_WINDOW_IDENTITY) {
            if (err && errlen)
                snprintf(err, errlen,
                         "identity window impossible: host 0x10000-0xFFFFFFFF is not free (%s)",
                         strerror(e));
            return CEVM_E_HOST;
        }
        if (try_offset(w) == 0) {
            snprintf(w->reason, sizeof w->reason,
                     "host 0x10000-0xFFFFFFFF is in use (%s), so CE addresses are offset",
                     strerror(e));
            return CEVM_OK;
        }
    } else if (try_offset(w) == 0) {
        snprintf(w->reason, sizeof w->reason, "offset window requested");
        return CEVM_OK;
    }
    if (err && errlen)
        snprintf(err, errlen, "cannot reserve a 4 GiB host window: %s", strerror(errno));
    return CEVM_E_HOST;
}

void window_close(struct host_window *w)
{
    if (w->mode == CEVM_WINDOW_IDENTITY)
        host_munmap((void *)(uintptr_t)IDENTITY_LOW, WINDOW_SIZE - IDENTITY_LOW);
    else if (w->mode == CEVM_WINDOW_OFFSET)
        host_munmap((void *)w->base, WINDOW_SIZE);
    w->mode = CEVM_WINDOW_AUTO;
    w->base = 0;
}

int window_map(const struct host_window *w, uint32_t ce, uint64_t len, int fd, uint64_t off,
               int prot)
{
    void *want = window_ptr(w, ce);
    void *p = host_mmap(want, (size_t)len, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off);
    return p == want ? 0 : -1;
}

int window_unmap(const struct host_window *w, uint32_t ce, uint64_t len)
{
    void *want = window_ptr(w, ce);
    void *p = host_mmap(want, (size_t)len, PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0);
    return p == want ? 0 : -1;
}

int window_protect(const struct host_window *w, uint32_t ce, uint64_t len, int prot)
{
    return host_mprotect(window_ptr(w, ce), (size_t)len, prot);
}

int window_contains(const struct host_window *w, uintptr_t a, uint32_t *ce)
{
    if (w->mode == CEVM_WINDOW_AUTO)
        return 0;
    if (a < w->base || a - w->base >= WINDOW_SIZE)
        return 0;
    *ce = (uint32_t)(a - w->base);
    return 1;
}
