/*
 * inspect.c — the native inspection calls the cevm command draws its views from: one page's
 * page-table facts, the board's regions and OEMAddressTable rows.
 */
#include <string.h>

#include "core/machine.h"
#include "vm/vm_internal.h"
#include "winnt.h"

static const char *kind_name(enum board_region_kind k)
{
    switch (k) {
    case REGION_RAM:
        return "ram";
    case REGION_REGFILE:
        return "regfile";
    case REGION_FILE:
        return "file";
    default:
        return "unimplemented";
    }
}

cevm_status cevm_page(uint32_t ce, cevm_page_info *out)
{
    if (!out)
        return CEVM_E_INVAL;
    memset(out, 0, sizeof *out);
    out->state = MEM_FREE;
    out->protect = PAGE_NOACCESS;
    struct machine *m = machine_acquire();
    if (!m)
        return cevm_boot_error(NULL, 0);
    uint64_t pa;
    if (vm_is_static(&m->vm, ce)) {
        if (machine_static_to_phys(m, ce, &pa)) {
            out->state = MEM_COMMIT;
            out->pa = pa & ~0xFFFull;
            out->protect = PAGE_READWRITE | (machine_static_uncached(m, ce) ? PAGE_NOCACHE : 0);
            out->flags = CEVM_PAGE_STATIC;
            if (frame_index(&m->pm, out->pa) >= 0)
                out->flags |= CEVM_PAGE_RAM;
        }
        machine_unlock();
        return CEVM_OK;
    }
    struct vm_block *b;
    struct vm_page *pg = vm_page_at(&m->vm, vm_abs(&m->vm, ce), &b);
    if (pg && pg->state != PS_BAD) {
        out->alloc_base = b->base_block << 16;
        out->state = pg->state == PS_COMMITTED ? MEM_COMMIT : MEM_RESERVE;
        out->protect = vm_page_protect(pg);
        if (b->locks)
            out->flags |= CEVM_PAGE_LOCKED;
        if (b->flags & VB_AUTOCOMMIT)
            out->flags |= CEVM_PAGE_AUTOCOMMIT;
        if (b->flags & VB_HUGE)
            out->flags |= CEVM_PAGE_HUGE;
        if (b->flags & VB_ALLOCPHYS)
            out->flags |= CEVM_PAGE_ALLOCPHYS;
        if (b->flags & VB_IMAGE)
            out->flags |= CEVM_PAGE_IMAGE;
        if (b->flags & VB_STACK)
            out->flags |= CEVM_PAGE_STACK;
        if (pg->state == PS_COMMITTED) {
            out->pte = pg->pte;
            out->pa = vm_page_pa(pg);
            int64_t f = frame_index(&m->pm, out->pa);
            if (f >= 0)
                out->flags |= CEVM_PAGE_RAM;
            if (pg->flags & PF_DEVICE)
                out->flags |= CEVM_PAGE_DEVICE;
            const struct phys_region *r = phys_find(&m->pm, out->pa);
            if (r && r->trapped)
                out->flags |= CEVM_PAGE_TRAPPED; /* a device, decoded: not "nothing there" */
            else if (pg->flags & PF_NOBACKING)
                out->flags |= CEVM_PAGE_NOBACKING;
            if (f >= 0 && m->pm.ref[f] > 1)
                out->flags |= CEVM_PAGE_SHARED;
        }
    }
    machine_unlock();
    return CEVM_OK;
}

size_t cevm_board_regions(cevm_board_region *out, size_t max)
{
    struct machine *m = machine_acquire();
    if (!m)
        return 0;
    size_t n = m->pm.n;
    for (size_t i = 0; out && i < n && i < max; i++) {
        const struct phys_region *r = &m->pm.r[i];
        memset(&out[i], 0, sizeof out[i]);
        memcpy(out[i].name, r->name, sizeof out[i].name);
        out[i].kind = r->trapped ? "regfile, trapped" : kind_name(r->kind);
        out[i].pa = r->pa;
        out[i].size = r->size;
    }
    machine_unlock();
    return n;
}

size_t cevm_board_oem_rows(cevm_oem_row *out, size_t max)
{
    struct machine *m = machine_acquire();
    if (!m)
        return 0;
    size_t n = m->board.noem;
    for (size_t i = 0; out && i < n && i < max; i++) {
        out[i].va = m->board.oem[i].va;
        out[i].pa = m->board.oem[i].pa;
        out[i].mb = m->board.oem[i].mb;
        memcpy(out[i].label, m->board.oem[i].label, sizeof out[i].label);
        out[i].bytes = m->board.oem[i].bytes;
        out[i].device = m->board.oem[i].device;
        out[i].attr = m->board.oem[i].attr;
        out[i].alias = (uint32_t)machine_static_alias(m, &m->board.oem[i]);
    }
    machine_unlock();
    return n;
}
