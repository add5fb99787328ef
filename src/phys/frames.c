/*
 * frames.c — the RAM frame allocator.
 *
 * Frames are numbered across all RAM regions in physical order. Allocation takes back the run
 * freed last when it is big enough (a page decommitted and committed again gets its frame, which
 * the window maps again with one mprotect), else scans the reference counts from a moving
 * cursor, so consecutive commits usually get consecutive frames (one host mmap per run). A frame
 * that was ever used is marked dirty and zeroed through the region's private view when it is handed
 * out again; a never-used frame of a fresh memfd is already zero. The contiguous allocator
 * (AllocPhysMem) is first fit from the lowest free frame, which contig_hint remembers (every frame
 * below it is in use), so it does not rescan the used ones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "phys/phys.h"

int64_t frame_index(const struct phys_map *pm, uint64_t pa)
{
    struct phys_region *r = phys_find(pm, pa);
    if (!r || r->kind != REGION_RAM)
        return -1;
    return (int64_t)r->first_frame + (int64_t)((pa - r->pa) / PHYS_PAGE);
}

/* Physical address of frame index i. */
static uint64_t frame_pa(const struct phys_map *pm, uint32_t i)
{
    for (size_t k = 0; k < pm->n; k++) {
        const struct phys_region *r = &pm->r[k];
        if (r->kind == REGION_RAM && i >= r->first_frame && i < r->first_frame + r->nframes)
            return r->pa + (uint64_t)(i - r->first_frame) * PHYS_PAGE;
    }
    return 0;
}

/* Hand out frame i: reference 1, zero-filled if it was used before. */
static void take(struct phys_map *pm, uint32_t i, uint64_t pa)
{
    pm->ref[i] = 1;
    if (pm->dirty[i])
        memset(phys_view(pm, pa), 0, PHYS_PAGE);
    pm->dirty[i] = 1;
    if (--pm->nfree < pm->min_free)
        pm->min_free = pm->nfree;
}

int frames_alloc(struct phys_map *pm, uint32_t n, uint64_t *pa)
{
    if (n > pm->nfree)
        return -1;
    if (n <= pm->freed_n) { /* the frames freed last, if all are still free */
        uint32_t k = 0;
        while (k < n && pm->ref[pm->freed_at + k] == 0)
            k++;
        if (k == n) {
            for (k = 0; k < n; k++) {
                pa[k] = frame_pa(pm, pm->freed_at + k);
                take(pm, pm->freed_at + k, pa[k]);
            }
            pm->freed_at += n;
            pm->freed_n -= n;
            return 0;
        }
        pm->freed_n = 0;
    }
    uint32_t got = 0, i = pm->cursor;
    for (uint32_t scanned = 0; got < n && scanned < pm->nframes; scanned++) {
        if (pm->ref[i] == 0) {
            pa[got] = frame_pa(pm, i);
            take(pm, i, pa[got++]);
        }
        if (++i == pm->nframes)
            i = 0;
    }
    pm->cursor = i;
    return 0;
}

/* A run of frames to hand out: a dirty frame that is a hole in its memfd (never written, or
 * given back to the host) reads as zero already, so it needs no zeroing. The holes are found
 * with lseek SEEK_DATA/SEEK_HOLE (a swapped-out page is data, not a hole); on any failure the
 * frames stay dirty and are zeroed. */
#define RESIDENT_CHECK_FRAMES 16
static void forget_clean(struct phys_map *pm, uint32_t first, uint64_t pa, uint32_t n)
{
    const struct phys_region *r = phys_find(pm, pa);
    if (!r || r->fd < 0)
        return;
    off_t lo = (off_t)(r->fd_off + (pa - r->pa)), hi = lo + (off_t)n * PHYS_PAGE;
    for (off_t at = lo; at < hi;) {
        off_t data = lseek(r->fd, at, SEEK_DATA);
        if (data < 0 && errno != ENXIO)
            return;
        off_t hole_end = data < 0 || data > hi ? hi : data; /* [at, hole_end) is a hole */
        for (off_t p = (at + PHYS_PAGE - 1) / PHYS_PAGE * PHYS_PAGE; p + PHYS_PAGE <= hole_end;
             p += PHYS_PAGE)
            pm->dirty[first + (uint32_t)((p - lo) / PHYS_PAGE)] = 0;
        if (hole_end >= hi)
            return;
        off_t next = lseek(r->fd, data, SEEK_HOLE);
        if (next < 0)
            return;
        at = next;
    }
}

int frames_alloc_contig(struct phys_map *pm, uint32_t n, uint32_t align_mask, uint64_t *pa)
{
    if (n == 0 || n > pm->nfree)
        return -1;
    int below_hint = 1; /* frames scanned so far were all in use: the hint may move up */
    for (size_t k = 0; k < pm->n; k++) {
        const struct phys_region *r = &pm->r[k];
        if (r->kind != REGION_RAM)
            continue;
        uint32_t i = 0;
        if (below_hint && pm->contig_hint > r->first_frame) {
            if (pm->contig_hint >= r->first_frame + r->nframes)
                continue; /* the whole region is in use */
            i = pm->contig_hint - r->first_frame;
        }
        if (below_hint) { /* first fit below the first free frame finds nothing: skip to it */
            while (i < r->nframes && pm->ref[r->first_frame + i])
                i++;
            if (i < r->nframes)
                below_hint = 0;
            pm->contig_hint = r->first_frame + i;
        }
        if (r->nframes < n)
            continue;
        while (i + n <= r->nframes) {
            uint64_t start = r->pa + (uint64_t)i * PHYS_PAGE;
            if (start + (uint64_t)n * PHYS_PAGE > 0x100000000ull)
                break;
            if (start & align_mask) {
                i++;
                continue;
            }
            uint32_t used = n;
            for (uint32_t j = 0; j < n; j++)
                if (pm->ref[r->first_frame + i + j]) {
                    used = j;
                    break;
                }
            if (used == n) {
                if (n >= RESIDENT_CHECK_FRAMES)
                    forget_clean(pm, r->first_frame + i, start, n);
                for (uint32_t j = 0; j < n; j++)
                    take(pm, r->first_frame + i + j, start + (uint64_t)j * PHYS_PAGE);
                *pa = start;
                return 0;
            }
            i += used + 1; /* no run can start at or before the used frame */
        }
    }
    return -1;
}

int frame_ref(struct phys_map *pm, uint64_t pa)
{
    int64_t i = frame_index(pm, pa);
    if (i < 0)
        return 0;
    if (pm->ref[i] >= FRAME_REF_MAX)
        return -1;
    if (pm->ref[i]++ == 0 && --pm->nfree < pm->min_free)
        pm->min_free = pm->nfree;
    return 0;
}

void frame_unref(struct phys_map *pm, uint64_t pa)
{
    int64_t i = frame_index(pm, pa);
    if (i < 0 || pm->ref[i] == 0)
        return;
    if (--pm->ref[i] == 0) {
        pm->nfree++;
        if ((uint32_t)i < pm->contig_hint)
            pm->contig_hint = (uint32_t)i;
        if (pm->freed_n && (uint32_t)i == pm->freed_at + pm->freed_n)
            pm->freed_n++;
        else {
            pm->freed_at = (uint32_t)i;
            pm->freed_n = 1;
        }
    }
}
