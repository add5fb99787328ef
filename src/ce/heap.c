/*
 * heap.c — LocalAlloc, LocalFree, LocalReAlloc, LocalSize: the process heap, inside the CE
 * address space so that every block's address fits in a DWORD (drivers keep pointers in DWORDs;
 * spec's first fact of the driver surface).
 *
 * The heap takes 256 KB segments from VirtualAlloc (committed, read-write); a request larger than
 * a quarter of a segment gets a region of its own. Blocks are 16-byte aligned and carved first
 * fit; free neighbours merge when a block is freed.
 *
 * Hardening: the heap's bookkeeping lives in host memory, never in CE memory, so CE code that
 * overruns a block, zeroes RAM through a static window or frees a segment's pages cannot make
 * the allocator spin or crash. Every block is followed by a 16-byte guard filled with 0xFD
 * (CE's "no man's land" fill); LocalFree, LocalReAlloc and LocalSize check it and report an
 * overrun, naming the block and the driver call that found it. Freeing a block twice is
 * reported too. The heap lock is never held while CE memory is touched (guards, zero fill and
 * copies go through probes, outside the lock) nor across VirtualAlloc, so a fault there can
 * never leave it held. heap_stats() serves the driver host's leak report, heap_owns() lets it
 * tell heap segments from a driver's own reservations.
 */
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ce/heap.h"
#include "core/fault.h"
#include "host/host.h"

#define SEGMENT    0x40000u
#define BIG        (SEGMENT / 4)
#define GUARD      16u
#define GUARD_FILL 0xFDu
#define FREED_RING 64

struct block {
    uint32_t off, size; /* within the segment; size includes the guard, multiple of 16 */
    uint32_t bytes;     /* what the caller asked for (used blocks) */
    int used;
};

struct segment {
    uint8_t *base; /* host pointer */
    uint32_t size;
    int big;
    struct block *blocks; /* sorted by offset, covering the segment */
    size_t nblocks, cap;
    struct segment *next;
};

static pthread_mutex_t g_heap = PTHREAD_MUTEX_INITIALIZER;
static struct segment *g_segs;
static uint32_t g_blocks, g_bytes;
static const void *g_freed[FREED_RING]; /* recently freed block addresses (double frees) */
static size_t g_freed_next;

/* ---- bookkeeping (g_heap held; no CE memory touched) -------------------------------------- */

static struct segment *segment_of(const void *p)
{
    for (struct segment *s = g_segs; s; s = s->next)
        if ((const uint8_t *)p >= s->base && (const uint8_t *)p < s->base + s->size)
            return s;
    return NULL;
}

/* Index of the block starting at offset off, or -1. */
static long block_at(const struct segment *s, uint32_t off)
{
    size_t lo = 0, hi = s->nblocks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->blocks[mid].off < off)
            lo = mid + 1;
        else if (s->blocks[mid].off > off)
            hi = mid;
        else
            return (long)mid;
    }
    return -1;
}

/* The live block whose data starts at p. */
static struct block *live_block(const void *p, struct segment **seg)
{
    struct segment *s = segment_of(p);
    long i = s ? block_at(s, (uint32_t)((const uint8_t *)p - s->base)) : -1;
    if (i < 0 || !s->blocks[i].used)
        return NULL;
    *seg = s;
    return &s->blocks[i];
}

/* Make room for one more block record. Return: 0 or -1. */
static int reserve_record(struct segment *s)
{
    if (s->nblocks < s->cap)
        return 0;
    size_t cap = s->cap ? s->cap * 2 : 16;
    struct block *nb = host_realloc(s->blocks, cap * sizeof *nb);
    if (!nb)
        return -1;
    s->blocks = nb;
    s->cap = cap;
    return 0;
}

/* First fit in small segments. Return: the block's host pointer, or NULL. */
static uint8_t *carve(uint32_t need, uint32_t bytes)
{
    for (struct segment *s = g_segs; s; s = s->next) {
        if (s->big)
            continue;
        for (size_t i = 0; i < s->nblocks; i++) {
            struct block *b = &s->blocks[i];
            if (b->used || b->size < need)
                continue;
            if (b->size - need >= 32) { /* split: the rest stays free */
                if (reserve_record(s))
                    return NULL;
                b = &s->blocks[i];
                memmove(&s->blocks[i + 2], &s->blocks[i + 1],
                        (s->nblocks - i - 1) * sizeof *s->blocks);
                s->blocks[i + 1] = (struct block){b->off + need, b->size - need, 0, 0};
                s->nblocks++;
                b->size = need;
            }
            b->used = 1;
            b->bytes = bytes;
            return s->base + b->off;
        }
    }
    return NULL;
}

static void remember_freed(const void *p)
{
    g_freed[g_freed_next] = p;
    g_freed_next = (g_freed_next + 1) % FREED_RING;
}

static int recently_freed(const void *p)
{
    for (size_t i = 0; i < FREED_RING; i++)
        if (g_freed[i] == p)
            return 1;
    return 0;
}

static void forget_freed(const void *p)
{
    for (size_t i = 0; i < FREED_RING; i++)
        if (g_freed[i] == p)
            g_freed[i] = NULL;
}

/* Mark block b of s free and merge it with free neighbours. Return: the segment if it is a big
 * one that must now be released (unlinked already), else NULL. */
static struct segment *release_block(struct segment *s, struct block *b)
{
    g_blocks--;
    g_bytes -= b->bytes;
    b->used = 0;
    b->bytes = 0;
    remember_freed(s->base + b->off);
    if (s->big) {
        for (struct segment **pp = &g_segs; *pp; pp = &(*pp)->next)
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        return s;
    }
    size_t i = (size_t)(b - s->blocks);
    if (i + 1 < s->nblocks && !s->blocks[i + 1].used) {
        b->size += s->blocks[i + 1].size;
        memmove(&s->blocks[i + 1], &s->blocks[i + 2], (s->nblocks - i - 2) * sizeof *s->blocks);
        s->nblocks--;
    }
    if (i > 0 && !s->blocks[i - 1].used) {
        s->blocks[i - 1].size += s->blocks[i].size;
        memmove(&s->blocks[i], &s->blocks[i + 1], (s->nblocks - i - 1) * sizeof *s->blocks);
        s->nblocks--;
    }
    return NULL;
}

/* ---- CE memory (no lock held) ------------------------------------------------------------- */

/* A new segment of size bytes (a big one holds one block of `bytes`). Return: it, or NULL. */
static struct segment *new_segment(uint32_t size, int big, uint32_t bytes)
{
    DWORD saved = GetLastError();
    ce_trace_quiet(1); /* the heap's own segments are not the program's calls */
    uint8_t *p = VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    ce_trace_quiet(0);
    SetLastError(saved);
    if (!p)
        return NULL;
    struct segment *s = host_calloc(1, sizeof *s);
    if (!s || reserve_record(s)) {
        free(s);
        ce_trace_quiet(1);
        VirtualFree(p, 0, MEM_RELEASE);
        ce_trace_quiet(0);
        SetLastError(saved);
        return NULL;
    }
    s->base = p;
    s->size = size;
    s->big = big;
    s->blocks[0] = (struct block){0, size, big ? bytes : 0, big};
    s->nblocks = 1;
    return s;
}

static void free_segment(struct segment *s)
{
    DWORD saved = GetLastError();
    ce_trace_quiet(1);
    VirtualFree(s->base, 0, MEM_RELEASE);
    ce_trace_quiet(0);
    SetLastError(saved);
    free(s->blocks);
    free(s);
}

/* Fill the guard after a block of `bytes` at p. Return: 0, or -1 if its memory is gone. */
static int guard_set(uint8_t *p, uint32_t bytes)
{
    uint8_t fill[GUARD + 15];
    memset(fill, GUARD_FILL, sizeof fill);
    uint32_t end = (bytes + 15u) & ~15u; /* the guard covers the padding too */
    return cevm_probe_copy(p + bytes, fill, end - bytes + GUARD);
}

/* Is the guard after the block intact? */
static int guard_ok(const uint8_t *p, uint32_t bytes)
{
    uint8_t got[GUARD + 15];
    uint32_t n = ((bytes + 15u) & ~15u) - bytes + GUARD;
    if (cevm_probe_copy(got, p + bytes, n))
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (got[i] != GUARD_FILL)
            return 0;
    return 1;
}

static void report(const char *what, const void *p, uint32_t bytes)
{
    const char *ctx = unimpl_context();
    fprintf(stderr, "cevm: heap: %s 0x%08X", what, cevm_ce_addr(p));
    if (bytes)
        fprintf(stderr, " (%u bytes)", bytes);
    fprintf(stderr, "%s%s\n", ctx[0] ? ", in " : "", ctx);
}

/* ---- the calls ----------------------------------------------------------------------------- */

static void *heap_alloc(UINT bytes, uint32_t *err)
{
    if (bytes > 0x7FFF0000u) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    uint32_t need = ((bytes + 15u) & ~15u) + GUARD;
    uint8_t *p = NULL;
    if (bytes > BIG) {
        struct segment *s = new_segment((need + 0xFFFu) & ~0xFFFu, 1, bytes);
        if (s) {
            pthread_mutex_lock(&g_heap);
            s->next = g_segs;
            g_segs = s;
            p = s->base;
            g_blocks++;
            g_bytes += bytes;
            forget_freed(p);
            pthread_mutex_unlock(&g_heap);
        }
    } else {
        for (int tries = 0; tries < 2 && !p; tries++) {
            pthread_mutex_lock(&g_heap);
            if ((p = carve(need, bytes)) != NULL) {
                g_blocks++;
                g_bytes += bytes;
                forget_freed(p);
            }
            pthread_mutex_unlock(&g_heap);
            if (p || tries)
                break;
            struct segment *s = new_segment(SEGMENT, 0, 0); /* VirtualAlloc: no lock held */
            if (!s)
                break;
            pthread_mutex_lock(&g_heap);
            s->next = g_segs;
            g_segs = s;
            pthread_mutex_unlock(&g_heap);
        }
    }
    if (!p) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    if (guard_set(p, bytes)) {
        report("the program made a heap segment inaccessible; block lost at", p, bytes);
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    return p;
}

static HLOCAL impl_LocalAlloc(UINT uFlags, UINT uBytes)
{
    if (uFlags & ~(UINT)(LMEM_MOVEABLE | LMEM_ZEROINIT)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    uint32_t err = 0;
    void *p = heap_alloc(uBytes, &err);
    if (!p) {
        SetLastError(err);
        return NULL;
    }
    /* Fresh segments are zero, reused blocks are not: zero on request, as CE. */
    if ((uFlags & LMEM_ZEROINIT) && uBytes) {
        static const uint8_t zero[256];
        for (UINT at = 0; at < uBytes; at += sizeof zero) {
            UINT n = uBytes - at < sizeof zero ? uBytes - at : (UINT)sizeof zero;
            if (cevm_probe_copy((uint8_t *)p + at, zero, n)) {
                report("the program made a heap segment inaccessible; block lost at", p, uBytes);
                SetLastError(ERROR_NOT_ENOUGH_MEMORY);
                return NULL;
            }
        }
    }
    return p;
}

/* Check the guard of the live block at p (found under the lock); report an overrun. */
static void check_guard(const void *p, uint32_t bytes, const char *by)
{
    if (!guard_ok(p, bytes)) {
        char what[160];
        snprintf(what, sizeof what, "%s found a block written past its end:", by);
        report(what, p, bytes);
    }
}

static HLOCAL impl_LocalFree(HLOCAL hMem)
{
    if (!hMem)
        return NULL;
    pthread_mutex_lock(&g_heap);
    struct segment *s;
    struct block *b = live_block(hMem, &s);
    uint32_t bytes = b ? b->bytes : 0;
    int twice = !b && recently_freed(hMem);
    pthread_mutex_unlock(&g_heap);
    if (!b) {
        if (twice)
            report("LocalFree of a block already freed (a double free):", hMem, 0);
        SetLastError(ERROR_INVALID_HANDLE);
        return hMem;
    }
    check_guard(hMem, bytes, "LocalFree");
    pthread_mutex_lock(&g_heap);
    struct segment *big = (b = live_block(hMem, &s)) ? release_block(s, b) : NULL;
    pthread_mutex_unlock(&g_heap);
    if (big)
        free_segment(big);
    return NULL;
}

static UINT impl_LocalSize(HLOCAL hMem)
{
    pthread_mutex_lock(&g_heap);
    struct segment *s;
    struct block *b = hMem ? live_block(hMem, &s) : NULL;
    UINT n = b ? b->bytes : 0;
    pthread_mutex_unlock(&g_heap);
    if (!b) {
        SetLastError(ERROR_INVALID_HANDLE);
        return 0;
    }
    check_guard(hMem, n, "LocalSize");
    return n;
}

static HLOCAL impl_LocalReAlloc(HLOCAL hMem, UINT uBytes, UINT uFlags)
{
    if (uFlags & ~(UINT)(LMEM_MOVEABLE | LMEM_ZEROINIT)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    pthread_mutex_lock(&g_heap);
    struct segment *s;
    struct block *b = hMem ? live_block(hMem, &s) : NULL;
    UINT old = b ? b->bytes : 0;
    pthread_mutex_unlock(&g_heap);
    if (!b) {
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    check_guard(hMem, old, "LocalReAlloc");
    HLOCAL n = LocalAlloc(uFlags & LMEM_ZEROINIT, uBytes);
    if (!n)
        return NULL;
    if (cevm_probe_copy(n, hMem, old < uBytes ? old : uBytes)) {
        LocalFree(n);
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    LocalFree(hMem);
    return n;
}

void heap_stats(uint32_t *blocks, uint32_t *bytes)
{
    pthread_mutex_lock(&g_heap);
    *blocks = g_blocks;
    *bytes = g_bytes;
    pthread_mutex_unlock(&g_heap);
}

int heap_owns(const void *p)
{
    pthread_mutex_lock(&g_heap);
    int r = segment_of(p) != NULL;
    pthread_mutex_unlock(&g_heap);
    return r;
}

void heap_reset(void)
{
    pthread_mutex_lock(&g_heap);
    while (g_segs) {
        struct segment *s = g_segs;
        g_segs = s->next;
        free(s->blocks);
        free(s);
    }
    g_blocks = g_bytes = 0;
    memset(g_freed, 0, sizeof g_freed);
    g_freed_next = 0;
    pthread_mutex_unlock(&g_heap);
}

void heap_fork_prepare(void)
{
    pthread_mutex_lock(&g_heap);
}

void heap_fork_parent(void)
{
    pthread_mutex_unlock(&g_heap);
}

void heap_fork_child(void)
{
    pthread_mutex_init(&g_heap, NULL);
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

HLOCAL WINAPI LocalAlloc(UINT uFlags, UINT uBytes)
{
    uint64_t t0 = ce_trace_start();
    HLOCAL r = impl_LocalAlloc(uFlags, uBytes);
    if (t0)
        ce_trace_done(t0, "LocalAlloc", TR_PTR, (uint64_t)(uintptr_t)r, "uFlags 0x%X, uBytes 0x%X",
                      (unsigned)uFlags, (unsigned)uBytes);
    return r;
}

HLOCAL WINAPI LocalFree(HLOCAL hMem)
{
    uint64_t t0 = ce_trace_start();
    HLOCAL r = impl_LocalFree(hMem);
    if (t0)
        ce_trace_done(t0, "LocalFree", TR_PTR, (uint64_t)(uintptr_t)r, "hMem %s",
                      ce_trace_ptr(hMem));
    return r;
}

UINT WINAPI LocalSize(HLOCAL hMem)
{
    uint64_t t0 = ce_trace_start();
    UINT r = impl_LocalSize(hMem);
    if (t0)
        ce_trace_done(t0, "LocalSize", TR_DWORD, (uint64_t)r, "hMem %s", ce_trace_ptr(hMem));
    return r;
}

HLOCAL WINAPI LocalReAlloc(HLOCAL hMem, UINT uBytes, UINT uFlags)
{
    uint64_t t0 = ce_trace_start();
    HLOCAL r = impl_LocalReAlloc(hMem, uBytes, uFlags);
    if (t0)
        ce_trace_done(t0, "LocalReAlloc", TR_PTR, (uint64_t)(uintptr_t)r,
                      "hMem %s, uBytes 0x%X, uFlags 0x%X", ce_trace_ptr(hMem), (unsigned)uBytes,
                      (unsigned)uFlags);
    return r;
}
