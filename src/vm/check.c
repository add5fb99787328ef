/*
 * check.c — the invariant checker: walks the page tables and the frame table and proves they
 * agree. Every RAM frame's reference count must equal the number of page-table entries holding
 * a reference to it (committed pages not marked PF_DEVICE); no frame may be both free and
 * mapped; the free-frame counter must equal the number of frames at zero; every block of a
 * reservation must name an existing first block and be marked used. O(blocks + frames).
 */
#include <stdio.h>
#include <stdlib.h>

#include "vm/vm_internal.h"

#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), -1)

struct held_ctx {
    const struct phys_map *pm;
    uint32_t *held;
    uint64_t bad; /* a frame outside RAM that a page holds a reference on, or 0 */
};

static void count_held(const struct vm_page *pg, void *ctx)
{
    struct held_ctx *c = ctx;
    if (pg->state != PS_COMMITTED || (pg->flags & PF_DEVICE))
        return;
    int64_t f = frame_index(c->pm, vm_page_pa(pg));
    if (f < 0)
        c->bad = vm_page_pa(pg);
    else
        c->held[f]++;
}

int vm_check(const struct vm *vm, char *err, size_t errlen)
{
    const struct phys_map *pm = vm->pm;
    uint32_t *held = calloc(pm->nframes ? pm->nframes : 1, sizeof *held);
    if (!held)
        return FAIL("out of memory");
    int rc = 0;
    for (uint32_t b = 0; b < CE_ALL_BLOCKS && rc == 0; b++) {
        const struct vm_block *blk = vm->block[b];
        int used = (int)((vm->used[b / 64] >> (b % 64)) & 1);
        if (!blk) {
            if (used)
                rc = FAIL("block 0x%08X is marked used but has no entry", b << 16);
            continue;
        }
        if (!used)
            rc = FAIL("block 0x%08X has an entry but is marked free", b << 16);
        else if (blk->base_block > b || !vm->block[blk->base_block] ||
                 vm->block[blk->base_block]->base_block != blk->base_block)
            rc = FAIL("block 0x%08X names a first block 0x%08X that is not one", b << 16,
                      blk->base_block << 16);
        for (uint32_t p = 0; p < CE_PAGES_PER_BLOCK && rc == 0; p++) {
            const struct vm_page *pg = &blk->page[p];
            if (pg->state != PS_COMMITTED || (pg->flags & PF_DEVICE))
                continue;
            int64_t f = frame_index(pm, vm_page_pa(pg));
            if (f < 0)
                rc = FAIL("page 0x%08X holds a reference on 0x%llX, which is not RAM",
                          (b << 16) | (p << 12), (unsigned long long)vm_page_pa(pg));
            else
                held[f]++;
        }
    }
    /* CE 6+: the pages of processes that are not current hold their frames too. */
    struct held_ctx hc = {pm, held, 0};
    if (rc == 0)
        vm_space_each_page(vm, count_held, &hc);
    if (rc == 0 && hc.bad)
        rc = FAIL("a process that is not current holds a reference on 0x%llX, which is not RAM",
                  (unsigned long long)hc.bad);
    uint32_t zero = 0;
    for (uint32_t f = 0; f < pm->nframes && rc == 0; f++) {
        if (pm->ref[f] != held[f])
            rc = FAIL("frame %u has reference count %u but %u page-table entries hold it", f,
                      pm->ref[f], held[f]);
        zero += pm->ref[f] == 0;
    }
    if (rc == 0 && zero != pm->nfree)
        rc = FAIL("%u frames are free but the free counter says %u", zero, pm->nfree);
    free(held);
    return rc;
}
