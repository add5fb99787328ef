/*
 * heap.c — LocalAlloc, LocalFree, LocalReAlloc, LocalSize: the process heap, inside the CE
 * address space so that every block's address fits in a DWORD (drivers keep pointers in DWORDs;
 * spec's first fact of the driver surface).
 *
 * The heap takes 256 KB segments from VirtualAlloc (committed, read-write) and carves them
 * first-fit into blocks with a 16-byte header (size, magic, in-use); neighbouring free blocks
 * merge when a search walks over them. A request larger than a quarter of a segment gets its own
 * VirtualAlloc region. Blocks are 16-byte aligned. The heap is forgotten when the machine shuts
 * down (its memory went with the address space). heap_stats() serves the driver host's leak
 * report, heap_owns() lets it tell heap segments from a driver's own reservations.
 */
#include "ce/ce_api.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ce/heap.h"
#include "host/host.h"

#define SEGMENT   0x40000u
#define BIG       (SEGMENT / 4)
#define HDR       16u
#define MAGIC     0x4C4F4341u /* "LOCA" */
#define MAGIC_BIG 0x4C424947u

struct hdr {
    uint32_t size; /* bytes of the block including the header (big: the requested size) */
    uint32_t magic;
    uint32_t used;
    uint32_t pad;
};

struct segment {
    uint8_t *base; /* host pointer */
    uint32_t size;
    int big;
    struct segment *next;
};

static pthread_mutex_t g_heap = PTHREAD_MUTEX_INITIALIZER;
static struct segment *g_segs;
static uint32_t g_blocks, g_bytes;

static struct segment *new_segment(uint32_t size, int big)
{
    DWORD saved = GetLastError();
    uint8_t *p = VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!p)
        return NULL;
    SetLastError(saved);
    struct segment *s = host_calloc(1, sizeof *s);
    if (!s) {
        VirtualFree(p, 0, MEM_RELEASE);
        SetLastError(saved);
        return NULL;
    }
    s->base = p;
    s->size = size;
    s->big = big;
    s->next = g_segs;
    g_segs = s;
    struct hdr *h = (struct hdr *)p;
    h->size = big ? 0 : size;
    h->magic = big ? MAGIC_BIG : MAGIC;
    h->used = 0;
    return s;
}

/* The segment holding host pointer p (g_heap held). */
static struct segment *segment_of(const void *p)
{
    for (struct segment *s = g_segs; s; s = s->next)
        if ((const uint8_t *)p >= s->base && (const uint8_t *)p < s->base + s->size)
            return s;
    return NULL;
}

/* The live block whose data starts at p, or NULL (g_heap held). */
static struct hdr *block_of(const void *p, struct segment **seg)
{
    struct segment *s = segment_of(p);
    if (!s)
        return NULL;
    *seg = s;
    if (s->big) {
        struct hdr *h = (struct hdr *)s->base;
        return (const uint8_t *)p == s->base + HDR && h->used ? h : NULL;
    }
    /* Walk the blocks: p must be the data of one of them. */
    for (uint32_t off = 0; off < s->size;) {
        struct hdr *h = (struct hdr *)(s->base + off);
        if (h->magic != MAGIC || h->size < HDR)
            return NULL; /* corrupted by the program: refuse rather than follow */
        if ((const uint8_t *)p == s->base + off + HDR)
            return h->used ? h : NULL;
        off += h->size;
    }
    return NULL;
}

/* First fit in small segments; merges free neighbours on the way (g_heap held). */
static void *carve(uint32_t need)
{
    for (struct segment *s = g_segs; s; s = s->next) {
        if (s->big)
            continue;
        for (uint32_t off = 0; off < s->size;) {
            struct hdr *h = (struct hdr *)(s->base + off);
            if (!h->used) {
                while (off + h->size < s->size) {
                    struct hdr *n = (struct hdr *)(s->base + off + h->size);
                    if (n->used)
                        break;
                    h->size += n->size;
                }
                if (h->size >= need) {
                    if (h->size - need >= 2 * HDR) {
                        struct hdr *rest = (struct hdr *)(s->base + off + need);
                        rest->size = h->size - need;
                        rest->magic = MAGIC;
                        rest->used = 0;
                        h->size = need;
                    }
                    h->used = 1;
                    return s->base + off + HDR;
                }
            }
            off += h->size;
        }
    }
    return NULL;
}

static uint32_t data_size(const struct segment *s, const struct hdr *h)
{
    return s->big ? h->size : h->size - HDR;
}

static void *heap_alloc(UINT bytes, uint32_t *err)
{
    void *p = NULL;
    if (bytes > 0x7FFF0000u) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    if (bytes > BIG) {
        uint32_t size = (bytes + HDR + 0xFFFu) & ~0xFFFu;
        struct segment *s = new_segment(size, 1);
        if (s) {
            struct hdr *h = (struct hdr *)s->base;
            h->size = bytes;
            h->used = 1;
            p = s->base + HDR;
        }
    } else {
        uint32_t need = (bytes + HDR + 15u) & ~15u;
        if (!(p = carve(need)) && new_segment(SEGMENT, 0))
            p = carve(need);
    }
    if (!p) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    g_blocks++;
    g_bytes += bytes;
    return p;
}

static void heap_free(struct segment *s, struct hdr *h)
{
    g_blocks--;
    g_bytes -= data_size(s, h);
    h->used = 0;
    if (s->big) {
        for (struct segment **pp = &g_segs; *pp; pp = &(*pp)->next)
            if (*pp == s) {
                *pp = s->next;
                break;
            }
        DWORD saved = GetLastError();
        VirtualFree(s->base, 0, MEM_RELEASE);
        SetLastError(saved);
        free(s);
    }
}

HLOCAL WINAPI LocalAlloc(UINT uFlags, UINT uBytes)
{
    if (uFlags & ~(UINT)(LMEM_MOVEABLE | LMEM_ZEROINIT)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    uint32_t err = 0;
    pthread_mutex_lock(&g_heap);
    void *p = heap_alloc(uBytes, &err);
    pthread_mutex_unlock(&g_heap);
    if (!p) {
        SetLastError(err);
        return NULL;
    }
    /* Fresh segments are zero, reused blocks are not: zero on request, as CE. */
    if (uFlags & LMEM_ZEROINIT)
        memset(p, 0, uBytes);
    return p;
}

HLOCAL WINAPI LocalFree(HLOCAL hMem)
{
    if (!hMem)
        return NULL;
    pthread_mutex_lock(&g_heap);
    struct segment *s;
    struct hdr *h = block_of(hMem, &s);
    if (h)
        heap_free(s, h);
    pthread_mutex_unlock(&g_heap);
    if (!h) {
        SetLastError(ERROR_INVALID_HANDLE);
        return hMem;
    }
    return NULL;
}

UINT WINAPI LocalSize(HLOCAL hMem)
{
    pthread_mutex_lock(&g_heap);
    struct segment *s;
    struct hdr *h = hMem ? block_of(hMem, &s) : NULL;
    UINT n = h ? data_size(s, h) : 0;
    pthread_mutex_unlock(&g_heap);
    if (!h)
        SetLastError(ERROR_INVALID_HANDLE);
    return n;
}

HLOCAL WINAPI LocalReAlloc(HLOCAL hMem, UINT uBytes, UINT uFlags)
{
    if (uFlags & ~(UINT)(LMEM_MOVEABLE | LMEM_ZEROINIT)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    pthread_mutex_lock(&g_heap);
    struct segment *s;
    struct hdr *h = hMem ? block_of(hMem, &s) : NULL;
    UINT old = h ? data_size(s, h) : 0;
    pthread_mutex_unlock(&g_heap);
    if (!h) {
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    HLOCAL n = LocalAlloc(uFlags & LMEM_ZEROINIT, uBytes);
    if (!n)
        return NULL;
    memcpy(n, hMem, old < uBytes ? old : uBytes);
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
        free(s);
    }
    g_blocks = g_bytes = 0;
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
