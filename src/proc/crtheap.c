/*
 * crtheap.c — the C and C++ allocators of CE modules: malloc, calloc, realloc, free, strdup,
 * _wcsdup and operator new/delete, bound by the module loader (image.c) in place of the C
 * library's, so that what a driver allocates has a CE address that fits in a DWORD, as on CE
 * where they come from the process heap. The host program's own allocator is untouched.
 *
 * Each is a thin layer over the LocalAlloc heap (heap.c: 16-byte aligned blocks in CE memory,
 * guard bytes, overrun and double-free reports naming the driver call). A pointer the C library
 * allocated (strdup inside libc, a buffer getline grew) that reaches free or realloc here goes
 * back to the C library: only pointers in the CE window are the CE heap's. Over-aligned requests
 * (posix_memalign, aligned_alloc, aligned new) are not bound: they stay host memory.
 */
#define _GNU_SOURCE
#include "proc/image.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ce/ce_api.h"
#include "cevm/cevm.h"
#include "core/machine.h"

/* Is p in the CE window (so the CE heap's, or a wild CE pointer it reports)? */
static int ce_pointer(const void *p)
{
    struct machine *m = __atomic_load_n(&g_machine, __ATOMIC_ACQUIRE);
    uint32_t ce;
    return m && window_contains(&m->win, (uintptr_t)p, &ce);
}

static void *ce_malloc(size_t n)
{
    if (n > UINT32_MAX)
        return NULL;
    return LocalAlloc(LMEM_FIXED, (UINT)(n ? n : 1));
}

static void *ce_calloc(size_t count, size_t size)
{
    if (size && count > UINT32_MAX / size)
        return NULL;
    size_t n = count * size;
    return LocalAlloc(LPTR, (UINT)(n ? n : 1));
}

static void ce_free(void *p)
{
    if (!p)
        return;
    if (ce_pointer(p))
        LocalFree(p);
    else
        free(p);
}

static void *ce_realloc(void *p, size_t n)
{
    if (!p)
        return ce_malloc(n);
    if (!ce_pointer(p))
        return realloc(p, n);
    if (!n) {
        LocalFree(p);
        return NULL;
    }
    if (n > UINT32_MAX)
        return NULL;
    return LocalReAlloc(p, (UINT)n, LMEM_MOVEABLE);
}

static char *ce_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ce_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static uint16_t *ce_wcsdup(const uint16_t *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    uint16_t *d = ce_malloc((n + 1) * sizeof *d);
    if (d)
        memcpy(d, s, (n + 1) * sizeof *d);
    return d;
}

/* operator new throws std::bad_alloc when memory runs out: libstdc++'s thrower does it. */
static void *ce_new(size_t n)
{
    void *p = ce_malloc(n);
    if (!p) {
        void (*thrower)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "_ZSt17__throw_bad_allocv");
        if (thrower)
            thrower();
        abort();
    }
    return p;
}

static void *ce_new_nothrow(size_t n, const void *tag)
{
    (void)tag;
    return ce_malloc(n);
}

static void ce_delete(void *p)
{
    ce_free(p);
}

static void ce_delete_sized(void *p, size_t n)
{
    (void)n;
    ce_free(p);
}

static void ce_delete_nothrow(void *p, const void *tag)
{
    (void)tag;
    ce_free(p);
}

static const struct {
    const char *name;
    void *fn;
} g_bindings[] = {
    {"malloc", (void *)ce_malloc},
    {"calloc", (void *)ce_calloc},
    {"realloc", (void *)ce_realloc},
    {"free", (void *)ce_free},
    {"strdup", (void *)ce_strdup},
    {"cevm_wcsdup", (void *)ce_wcsdup},              /* _wcsdup and wcsdup in wcrt.h */
    {"_Znwm", (void *)ce_new},                       /* operator new(size_t) */
    {"_Znam", (void *)ce_new},                       /* operator new[](size_t) */
    {"_ZnwmRKSt9nothrow_t", (void *)ce_new_nothrow}, /* new(size_t, nothrow_t) */
    {"_ZnamRKSt9nothrow_t", (void *)ce_new_nothrow}, /* new[](size_t, nothrow_t) */
    {"_ZdlPv", (void *)ce_delete},                   /* operator delete(void *) */
    {"_ZdaPv", (void *)ce_delete},                   /* operator delete[](void *) */
    {"_ZdlPvm", (void *)ce_delete_sized},            /* delete(void *, size_t) */
    {"_ZdaPvm", (void *)ce_delete_sized},            /* delete[](void *, size_t) */
    {"_ZdlPvRKSt9nothrow_t", (void *)ce_delete_nothrow},
    {"_ZdaPvRKSt9nothrow_t", (void *)ce_delete_nothrow},
};

void *crtheap_binding(const char *name)
{
    for (size_t i = 0; i < sizeof g_bindings / sizeof g_bindings[0]; i++)
        if (!strcmp(g_bindings[i].name, name))
            return g_bindings[i].fn;
    return NULL;
}

void *cevm_crt_function(const char *name)
{
    return name ? crtheap_binding(name) : NULL;
}
