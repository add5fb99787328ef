/*
 * phys.h — the physical map: every physical region of the board with its backing, and the RAM
 * frame allocator.
 *
 * One backing per physical byte: RAM and register files are memfds, a `file` device is a host
 * file at an offset (the path /dev/mem, UIO and u-dma-buf take on real hardware). Every mapping
 * of a physical page anywhere in the CE address space is a MAP_SHARED view of that backing at
 * that offset, so aliases are real. Each region also has a private host view the library uses
 * to zero frames and inspect registers without going through CE addresses.
 *
 * RAM frames carry 16-bit reference counts (CE's limit is 0xFFFD): a commit takes one, an alias
 * takes another, and a frame returns to the free pool only at zero.
 */
#ifndef CEVM_PHYS_H
#define CEVM_PHYS_H

#include <stdint.h>

#include "board/board.h"

#define PHYS_PAGE     0x1000u
#define FRAME_REF_MAX 0xFFFDu

struct phys_region {
    char name[32];
    enum board_region_kind kind;
    uint64_t pa, size;
    int fd;                        /* backing descriptor, -1 for unimplemented */
    uint64_t fd_off;               /* offset of pa in the backing */
    uint8_t *view;                 /* private host view (NULL for unimplemented) */
    int read_only;                 /* a `file` device without `rw`: never mapped writable */
    uint32_t first_frame, nframes; /* RAM: indexes into the frame arrays */
    int trapped; /* a register file whose raw accesses are decoded, one model access each: the
                  * CE window never maps it (core/fault.c, dev/device.c) */
};

/* Is the region mapped into the CE window (backed, and not trapped)? */
static inline int phys_mapped(const struct phys_region *r)
{
    return r->fd >= 0 && !r->trapped;
}

struct phys_map {
    struct phys_region *r; /* sorted by pa */
    size_t n;
    size_t read_only_regions; /* `file` devices opened read-only */
    /* frame allocator over all RAM regions */
    uint32_t nframes, nfree, cursor;
    /* The last run of frames freed one after another (frame_unref): the next commit of no more
     * frames takes them again, so a page decommitted and committed gets its frame back and the
     * window maps it again with one mprotect (host/window.c). */
    uint32_t freed_at, freed_n;
    uint32_t contig_hint; /* every frame below this index is in use (frames_alloc_contig) */
    uint32_t min_free;    /* lowest nfree since boot */
    uint16_t *ref;        /* reference count per frame */
    uint8_t *dirty;       /* 1 if the frame may hold non-zero bytes */
};

/*
 * Create backings and views for every region of the board (after board_fill_unimplemented).
 * A `file` device is opened read-only unless the board says `rw`, and then only if its mode
 * bits let this user write it (even root); no_write opens every file read-only.
 * Return: CEVM_OK; CEVM_E_HOST (memfd, open or mmap failed; err says "file:line: ..." of the
 * region); CEVM_E_BOARD (a file backing is too small, or `rw` on a file this user may not
 * write); CEVM_E_NOMEM.
 */
cevm_status phys_build(struct phys_map *pm, const struct board *b, int no_write, char *err,
                       size_t errlen);

/* The host protection a mapping of region r may have: prot without PROT_WRITE for a read-only
 * region. */
int phys_prot(const struct phys_region *r, int prot);
void phys_destroy(struct phys_map *pm);

/* Return: the region holding physical address pa, or NULL. */
struct phys_region *phys_find(const struct phys_map *pm, uint64_t pa);

/* Host pointer to physical address pa through the region's private view, or NULL. */
void *phys_view(const struct phys_map *pm, uint64_t pa);

/*
 * Allocate n RAM frames (reference count 1 each), zero-filled, preferring a contiguous run.
 * All or nothing. Return: 0 with pa[0..n-1] set, or -1 when fewer than n frames are free.
 */
int frames_alloc(struct phys_map *pm, uint32_t n, uint64_t *pa);

/*
 * Allocate n physically contiguous RAM frames below 4 GB, inside one RAM region, whose first
 * frame satisfies (pa & align_mask) == 0; each gets reference count 1 and is zero-filled.
 * Return: 0 with *pa set, or -1 if no such run is free.
 */
int frames_alloc_contig(struct phys_map *pm, uint32_t n, uint32_t align_mask, uint64_t *pa);

/* Index of the RAM frame at pa, or -1 if pa is not managed RAM. */
int64_t frame_index(const struct phys_map *pm, uint64_t pa);

/* Take one more reference on a RAM frame. Return: 0, or -1 at the 0xFFFD limit. */
int frame_ref(struct phys_map *pm, uint64_t pa);
/* Drop one reference; the frame is freed at zero. Non-RAM addresses are ignored. */
void frame_unref(struct phys_map *pm, uint64_t pa);

#endif
