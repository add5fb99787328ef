/*
 * window.c — the host window: where CE addresses live in the host process.
 *
 * Identity mode reserves host 0x10000..0xFFFFFFFF with MAP_FIXED_NOREPLACE, so a CE pointer is a
 * host pointer and driver code that keeps pointers in a DWORD works. When that range is taken
 * (AddressSanitizer's shadow, valgrind, a non-PIE executable), offset mode reserves 8 GiB
 * anywhere and keeps the 4 GiB-aligned half: host pointer = base + CE address, and the low 32
 * bits of a host pointer are still its CE address. Reservations are PROT_NONE and
 * MAP_NORESERVE: they cost address space only. Pages become real through window_map(). A CE
 * program linked into the EXE area (proc/exe.c) is a hole the identity window leaves alone.
 *
 * window_release takes pages out of use with one mprotect, so the view stays a mapping of its
 * backing. The window remembers the last WINDOW_VIEWS mappings it made; mapping exactly the same
 * range of the same backing again (a buffer freed and allocated again, a page decommitted and
 * committed) is then one mprotect too, which is all the host needs. Any other change to a
 * remembered range forgets it. Every change to the window's pages goes through these calls,
 * under the machine lock (a forked child's views are replaced in place by the same offsets of
 * a same-numbered descriptor, core/fork.c), so a remembered view is never out of date.
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
#define WINDOW_PAGE   0x1000u

/* Reserve [lo, hi) at its own address. Return: 0, or -1 (errno EEXIST when it is taken). */
static int reserve_at(uintptr_t lo, uintptr_t hi)
{
    if (hi <= lo)
        return 0;
    void *p = host_mmap((void *)lo, hi - lo, PROT_NONE, RESERVE_FLAGS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    if (p != (void *)lo) {
        /* An old kernel ignoring MAP_FIXED_NOREPLACE gave us another place. */
        host_munmap(p, hi - lo);
        errno = EEXIST;
        return -1;
    }
    return 0;
}

static int try_identity(struct host_window *w, uintptr_t hole_lo, uintptr_t hole_hi)
{
    if (hole_hi <= hole_lo)
        hole_lo = hole_hi = IDENTITY_LOW;
    if (reserve_at(IDENTITY_LOW, hole_lo))
        return -1;
    if (reserve_at(hole_hi, WINDOW_SIZE)) {
        int e = errno;
        if (hole_lo > IDENTITY_LOW)
            host_munmap((void *)(uintptr_t)IDENTITY_LOW, hole_lo - IDENTITY_LOW);
        errno = e;
        return -1;
    }
    w->base = 0;
    w->mode = CEVM_WINDOW_IDENTITY;
    w->hole_lo = hole_lo;
    w->hole_hi = hole_hi;
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

cevm_status window_open(struct host_window *w, cevm_window_mode want, uintptr_t hole_lo,
                        uintptr_t hole_hi, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    if (want == CEVM_WINDOW_AUTO || want == CEVM_WINDOW_IDENTITY) {
        if (try_identity(w, hole_lo, hole_hi) == 0) {
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
    if (w->mode == CEVM_WINDOW_IDENTITY) {
        if (w->hole_lo > IDENTITY_LOW)
            host_munmap((void *)(uintptr_t)IDENTITY_LOW, w->hole_lo - IDENTITY_LOW);
        host_munmap((void *)w->hole_hi, WINDOW_SIZE - w->hole_hi);
    } else if (w->mode == CEVM_WINDOW_OFFSET)
        host_munmap((void *)w->base, WINDOW_SIZE);
    w->mode = CEVM_WINDOW_AUTO;
    w->base = 0;
    memset(w->views, 0, sizeof w->views);
}

/* ---- remembered views ------------------------------------------------------------------- */

static uint64_t view_end(const struct window_view *v)
{
    return v->ce + (uint64_t)v->pages * WINDOW_PAGE;
}

/* Forget the views overlapping [ce, ce + len); with keep_live, live views stay (a protection
 * change does not change what they map). */
static void forget_views(struct host_window *w, uint32_t ce, uint64_t len, int keep_live)
{
    for (unsigned i = 0; i < WINDOW_VIEWS; i++) {
        struct window_view *v = &w->views[i];
        if (v->pages && ce < view_end(v) && v->ce < ce + len && !(keep_live && !v->released))
            v->pages = 0;
    }
}

static void remember_view(struct host_window *w, uint32_t ce, uint64_t len, int fd, uint64_t off)
{
    forget_views(w, ce, len, 0);
    if (len % WINDOW_PAGE || len / WINDOW_PAGE > UINT32_MAX)
        return;
    struct window_view *v = &w->views[w->next_view++ % WINDOW_VIEWS];
    *v = (struct window_view){ce, (uint32_t)(len / WINDOW_PAGE), fd, 0, off};
}

int window_map(struct host_window *w, uint32_t ce, uint64_t len, int fd, uint64_t off, int prot)
{
    void *want = window_ptr(w, ce);
    for (unsigned i = 0; i < WINDOW_VIEWS; i++) {
        struct window_view *v = &w->views[i];
        if (!v->pages || !v->released || v->ce != ce || view_end(v) - ce != len || v->fd != fd ||
            v->off != off)
            continue;
        if (host_mprotect(want, (size_t)len, prot) == 0) {
            v->released = 0; /* the released view of this very backing is back */
            return 0;
        }
        v->pages = 0; /* the host refused: the call fails, as a refused mmap would */
        return -1;
    }
    void *p = host_mmap(want, (size_t)len, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off);
    if (p != want) {
        forget_views(w, ce, len, 0);
        return -1;
    }
    remember_view(w, ce, len, fd, off);
    return 0;
}

int window_unmap(struct host_window *w, uint32_t ce, uint64_t len)
{
    forget_views(w, ce, len, 0);
    void *want = window_ptr(w, ce);
    void *p = host_mmap(want, (size_t)len, PROT_NONE, RESERVE_FLAGS | MAP_FIXED, -1, 0);
    return p == want ? 0 : -1;
}

int window_map_scratch(struct host_window *w, uint32_t ce)
{
    forget_views(w, ce, WINDOW_PAGE, 0);
    void *want = window_ptr(w, ce);
    void *p = host_mmap(want, WINDOW_PAGE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    return p == want ? 0 : -1;
}

int window_release(struct host_window *w, uint32_t ce, uint64_t len)
{
    int rc = host_mprotect(window_ptr(w, ce), (size_t)len, PROT_NONE);
    for (unsigned i = 0; i < WINDOW_VIEWS; i++) {
        struct window_view *v = &w->views[i];
        if (!v->pages || ce >= view_end(v) || v->ce >= ce + len)
            continue;
        if (!rc && v->ce >= ce && view_end(v) <= ce + len)
            v->released = 1; /* wholly inside: that backing, PROT_NONE */
        else
            v->pages = 0; /* partly released, or the host refused: not one state */
    }
    return rc;
}

int window_protect(struct host_window *w, uint32_t ce, uint64_t len, int prot)
{
    forget_views(w, ce, len, 1);
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
