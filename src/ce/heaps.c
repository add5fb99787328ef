/*
 * heaps.c — HeapCreate, HeapAlloc, HeapReAlloc, HeapFree, HeapSize, HeapDestroy and
 * GetProcessHeap, over the LocalAlloc heap (heap.c), as on CE where LocalAlloc is HeapAlloc on
 * the process heap (spec driver-runtime §2.3).
 *
 * The process heap is a pseudo-handle whose calls go straight to LocalAlloc and friends. A
 * private heap is a checked handle holding the list of its blocks (host memory) and its size
 * limit; its blocks come from the same CE-address heap, so their addresses fit in DWORDs, and
 * HeapDestroy frees them all. A failing HeapAlloc leaves GetLastError unchanged, as CE 5 does;
 * on CE 6+ it sets ERROR_NOT_ENOUGH_MEMORY (a full heap) or ERROR_INVALID_PARAMETER (a block a
 * fixed-size heap can never hold: 0x7FFF8 bytes or more).
 */
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "proc/caller.h"

#define PROCESS_HEAP ((HANDLE)(ULONG_PTR)0x48454150) /* "HEAP" */

struct heap_block {
    void *p;
    DWORD bytes;
    struct heap_block *next;
};

struct private_heap {
    DWORD max;  /* 0: grows without limit */
    DWORD used; /* bytes in live blocks */
    struct heap_block *blocks;
    struct private_heap *next;
};

static pthread_mutex_t g_heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct private_heap *g_heaps;

HANDLE WINAPI GetProcessHeap(void)
{
    return PROCESS_HEAP;
}

/* The private heap behind h (lock held), or NULL. */
static struct private_heap *heap_of(HANDLE h)
{
    for (struct private_heap *p = g_heaps; p; p = p->next)
        if (p == h)
            return p;
    return NULL;
}

static HANDLE impl_HeapCreate(DWORD flOptions, DWORD dwInitialSize, DWORD dwMaximumSize)
{
    (void)flOptions; /* HEAP_NO_SERIALIZE is ignored, as on CE */
    if (dwMaximumSize && dwInitialSize > dwMaximumSize) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    struct private_heap *h = calloc(1, sizeof *h);
    if (!h) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    /* A fixed-size heap holds at least its initial size, rounded up to a page. */
    h->max = dwMaximumSize ? (dwMaximumSize + 0xFFFu) & ~0xFFFu : 0;
    pthread_mutex_lock(&g_heaps_lock);
    h->next = g_heaps;
    g_heaps = h;
    pthread_mutex_unlock(&g_heaps_lock);
    return h;
}

static LPVOID impl_HeapAlloc(HANDLE hHeap, DWORD dwFlags, DWORD dwBytes)
{
    UINT lflags = (dwFlags & HEAP_ZERO_MEMORY) ? LPTR : LMEM_FIXED;
    if (hHeap == PROCESS_HEAP)
        return LocalAlloc(lflags, dwBytes);
    struct heap_block *b = malloc(sizeof *b);
    if (!b)
        return NULL;
    pthread_mutex_lock(&g_heaps_lock);
    struct private_heap *h = heap_of(hHeap);
    int room = h && (!h->max || (dwBytes <= h->max && h->used <= h->max - dwBytes));
    if (room)
        h->used += dwBytes; /* claimed now, so two threads cannot both pass the limit */
    pthread_mutex_unlock(&g_heaps_lock);
    if (!room) {
        free(b);
        if (!h)
            SetLastError(ERROR_INVALID_HANDLE);
        else if (!caller_slots()) /* CE 6+ says why; CE 5 leaves GetLastError unchanged */
            SetLastError(dwBytes >= 0x7FFF8u ? ERROR_INVALID_PARAMETER : ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    DWORD saved = GetLastError();
    void *p = LocalAlloc(lflags, dwBytes);
    pthread_mutex_lock(&g_heaps_lock);
    h = heap_of(hHeap);
    if (p && h) {
        b->p = p;
        b->bytes = dwBytes;
        b->next = h->blocks;
        h->blocks = b;
        b = NULL;
    } else if (h)
        h->used -= dwBytes;
    pthread_mutex_unlock(&g_heaps_lock);
    if (b) {
        free(b);
        if (p)
            LocalFree(p); /* the heap was destroyed meanwhile */
        SetLastError(saved);
        return NULL;
    }
    return p;
}

/* Take block p out of heap h's list (lock held). Return: the record, or NULL. */
static struct heap_block *unlink_block(struct private_heap *h, const void *p)
{
    for (struct heap_block **bp = &h->blocks; *bp; bp = &(*bp)->next)
        if ((*bp)->p == p) {
            struct heap_block *b = *bp;
            *bp = b->next;
            h->used -= b->bytes;
            return b;
        }
    return NULL;
}

static BOOL impl_HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)
{
    (void)dwFlags;
    if (hHeap == PROCESS_HEAP)
        return LocalFree(lpMem) == NULL;
    pthread_mutex_lock(&g_heaps_lock);
    struct private_heap *h = heap_of(hHeap);
    struct heap_block *b = h ? unlink_block(h, lpMem) : NULL;
    pthread_mutex_unlock(&g_heaps_lock);
    if (!b) {
        SetLastError(h ? ERROR_INVALID_PARAMETER : ERROR_INVALID_HANDLE);
        return FALSE;
    }
    free(b);
    return LocalFree(lpMem) == NULL;
}

static DWORD impl_HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
    (void)dwFlags;
    if (hHeap != PROCESS_HEAP) {
        pthread_mutex_lock(&g_heaps_lock);
        struct private_heap *h = heap_of(hHeap);
        int mine = 0;
        for (struct heap_block *b = h ? h->blocks : NULL; b && !mine; b = b->next)
            mine = b->p == lpMem;
        pthread_mutex_unlock(&g_heaps_lock);
        if (!mine) {
            SetLastError(h ? ERROR_INVALID_PARAMETER : ERROR_INVALID_HANDLE);
            return (DWORD)-1;
        }
    }
    UINT n = LocalSize((HLOCAL)lpMem);
    return n ? n : (DWORD)-1;
}

static LPVOID impl_HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, DWORD dwBytes)
{
    UINT lflags = (dwFlags & HEAP_ZERO_MEMORY ? LMEM_ZEROINIT : 0) |
                  (dwFlags & HEAP_REALLOC_IN_PLACE_ONLY ? 0 : LMEM_MOVEABLE);
    if (hHeap == PROCESS_HEAP)
        return LocalReAlloc(lpMem, dwBytes, lflags);
    pthread_mutex_lock(&g_heaps_lock);
    struct private_heap *h = heap_of(hHeap);
    struct heap_block *b = NULL;
    for (b = h ? h->blocks : NULL; b && b->p != lpMem;)
        b = b->next;
    int room = b && (!h->max || dwBytes <= b->bytes || dwBytes - b->bytes <= h->max - h->used);
    pthread_mutex_unlock(&g_heaps_lock);
    if (!b) {
        SetLastError(h ? ERROR_INVALID_PARAMETER : ERROR_INVALID_HANDLE);
        return NULL;
    }
    if (!room)
        return NULL;
    void *p = LocalReAlloc(lpMem, dwBytes, lflags);
    if (!p)
        return NULL;
    pthread_mutex_lock(&g_heaps_lock);
    h = heap_of(hHeap);
    for (b = h ? h->blocks : NULL; b && b->p != lpMem;)
        b = b->next;
    if (b) {
        h->used = h->used - b->bytes + dwBytes;
        b->p = p;
        b->bytes = dwBytes;
    }
    pthread_mutex_unlock(&g_heaps_lock);
    return p;
}

static BOOL impl_HeapDestroy(HANDLE hHeap)
{
    pthread_mutex_lock(&g_heaps_lock);
    struct private_heap **pp = &g_heaps;
    while (*pp && *pp != hHeap)
        pp = &(*pp)->next;
    struct private_heap *h = *pp;
    if (h)
        *pp = h->next;
    pthread_mutex_unlock(&g_heaps_lock);
    if (!h) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    while (h->blocks) {
        struct heap_block *b = h->blocks;
        h->blocks = b->next;
        LocalFree(b->p);
        free(b);
    }
    free(h);
    return TRUE;
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

HANDLE WINAPI HeapCreate(DWORD flOptions, DWORD dwInitialSize, DWORD dwMaximumSize)
{
    uint64_t t0 = ce_trace_start();
    HANDLE r = impl_HeapCreate(flOptions, dwInitialSize, dwMaximumSize);
    if (t0)
        ce_trace_done(t0, "HeapCreate", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "flOptions 0x%X, dwInitialSize 0x%X, dwMaximumSize 0x%X", (unsigned)flOptions,
                      (unsigned)dwInitialSize, (unsigned)dwMaximumSize);
    return r;
}

LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, DWORD dwBytes)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_HeapAlloc(hHeap, dwFlags, dwBytes);
    if (t0)
        ce_trace_done(t0, "HeapAlloc", TR_PTR, (uint64_t)(uintptr_t)r,
                      "hHeap %s, dwFlags 0x%X, dwBytes 0x%X", ce_trace_handle(hHeap),
                      (unsigned)dwFlags, (unsigned)dwBytes);
    return r;
}

BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_HeapFree(hHeap, dwFlags, lpMem);
    if (t0)
        ce_trace_done(t0, "HeapFree", TR_BOOL, (uint64_t)r, "hHeap %s, dwFlags 0x%X, lpMem %s",
                      ce_trace_handle(hHeap), (unsigned)dwFlags, ce_trace_ptr(lpMem));
    return r;
}

DWORD WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_HeapSize(hHeap, dwFlags, lpMem);
    if (t0)
        ce_trace_done(t0, "HeapSize", TR_DWORD, (uint64_t)r, "hHeap %s, dwFlags 0x%X, lpMem %s",
                      ce_trace_handle(hHeap), (unsigned)dwFlags, ce_trace_ptr(lpMem));
    return r;
}

LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, DWORD dwBytes)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_HeapReAlloc(hHeap, dwFlags, lpMem, dwBytes);
    if (t0)
        ce_trace_done(t0, "HeapReAlloc", TR_PTR, (uint64_t)(uintptr_t)r,
                      "hHeap %s, dwFlags 0x%X, lpMem %s, dwBytes 0x%X", ce_trace_handle(hHeap),
                      (unsigned)dwFlags, ce_trace_ptr(lpMem), (unsigned)dwBytes);
    return r;
}

BOOL WINAPI HeapDestroy(HANDLE hHeap)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_HeapDestroy(hHeap);
    if (t0)
        ce_trace_done(t0, "HeapDestroy", TR_BOOL, (uint64_t)r, "hHeap %s", ce_trace_handle(hHeap));
    return r;
}
