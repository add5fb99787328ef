/*
 * host.h — the seam between cevm and the Linux host.
 *
 * Every system call cevm makes on memory goes through the counted wrappers here, so tests can
 * prove which CE calls reach the host (reserve and release of uncommitted memory must not) and a
 * later fault-injection hook has one place to act. The window is the 4 GiB host range in which
 * CE address X lives at host address base + X: base 0 (identity) when the low 4 GiB of the host
 * is free, otherwise a 4 GiB-aligned base (offset).
 */
#ifndef CEVM_HOST_H
#define CEVM_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cevm/cevm.h"

/* Counted wrappers: same contract as the libc calls they wrap. */
void *host_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
/* Is the program running under valgrind (which cannot resume an instruction whose registers a
 * signal handler changed: raw accesses are then not decoded)? */
int host_under_valgrind(void);
int host_munmap(void *addr, size_t len);
int host_mprotect(void *addr, size_t len, int prot);
/* memfd_create + ftruncate. Return: the descriptor, or -1 with errno set. */
int host_memfd(const char *name, uint64_t size);
uint64_t host_call_count(void);
/* Allocations the library makes: counted fault points (cevm_fail_host_call can refuse them). */
void *host_malloc(size_t n);
void *host_calloc(size_t n, size_t size);
void *host_realloc(void *p, size_t n);

#define WINDOW_SIZE  0x100000000ull
#define IDENTITY_LOW 0x10000u /* the host keeps the first 64 KB unmapped */

/* A mapping window_map made, remembered so that mapping the same range of the same backing
 * again after window_release costs one mprotect instead of a fresh mmap (the released view is
 * still that backing, PROT_NONE). Guarded by the machine lock, as every window_map caller is. */
struct window_view {
    uint32_t ce;
    uint32_t pages; /* 0: the entry is free */
    int fd;
    int released; /* PROT_NONE by window_release since; otherwise live */
    uint64_t off;
};
#define WINDOW_VIEWS 16

struct host_window {
    uintptr_t base;
    cevm_window_mode mode;
    uintptr_t hole_lo, hole_hi; /* identity: a range the window leaves to the CE program image */
    char reason[160];
    struct window_view views[WINDOW_VIEWS];
    unsigned next_view; /* round-robin replacement */
};

/*
 * Reserve the window (PROT_NONE, no backing). want: AUTO tries identity then offset. An identity
 * window leaves [hole_lo, hole_hi) alone (the CE program's image, proc/exe.c; equal: no hole);
 * window_close leaves it too.
 * Return: CEVM_OK, or CEVM_E_HOST with err set (identity forced but impossible, or no room).
 */
cevm_status window_open(struct host_window *w, cevm_window_mode want, uintptr_t hole_lo,
                        uintptr_t hole_hi, char *err, size_t errlen);
void window_close(struct host_window *w);

/* Map [ce, ce+len) to fd at off (MAP_SHARED) with prot: one mprotect when the range is a view
 * of exactly that backing that window_release took out of use, else one mmap. Return: 0, or -1
 * (errno). */
int window_map(struct host_window *w, uint32_t ce, uint64_t len, int fd, uint64_t off, int prot);
/* Return [ce, ce+len) to the reserved, inaccessible state. Return: 0 or -1. */
int window_unmap(struct host_window *w, uint32_t ce, uint64_t len);
/* Take CE pages out of use at the cost of one mprotect: the view stays mapped but
 * inaccessible (PROT_NONE), keeping the window's range reserved, until window_map replaces it.
 * Cheaper than window_unmap's fresh anonymous mapping (the VM's unmaps use it). Return: 0, -1. */
int window_release(struct host_window *w, uint32_t ce, uint64_t len);
int window_protect(struct host_window *w, uint32_t ce, uint64_t len, int prot);

/* Map a private zeroed page at CE page ce (the single-step scratch page of core/unimpl.c);
 * window_unmap takes it away. Return: 0 or -1. */
int window_map_scratch(struct host_window *w, uint32_t ce);

static inline void *window_ptr(const struct host_window *w, uint32_t ce)
{
    return (void *)(w->base + ce);
}

/* Does host address a fall in the window? If so, *ce receives the CE address. */
int window_contains(const struct host_window *w, uintptr_t a, uint32_t *ce);

#endif
