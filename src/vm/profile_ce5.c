/*
 * profile_ce5.c — the CE 5.0 profile: the slot model's layout and the CE 5 rules of
 * VirtualAlloc, VirtualFree, VirtualProtect and VirtualQuery (spec §1.1, §3.2, §4-§6), with the
 * large (mapper) area for huge reservations. The order of checks follows the spec;
 * docs/ce-semantics.md lists the choices made where the spec is silent.
 */
#include "host/host.h"
#include "vm/vm_internal.h"

#include <stdlib.h>
#include <string.h>

#include "winerror.h"
#include "winnt.h"

#define PAGE_MASK_LO  0xFFFu
#define BLOCK_MASK_LO 0xFFFFu

/* May the caller change VM at absolute user address a? (spec §3.2: access keys) */
static int ce5_accessible(const struct vm *vm, uint32_t a)
{
    uint32_t sec = a >> 25;
    /* CE 5 CheckAccessToVM: an untrusted caller may not touch VM above the DLL load base. */
    if (!vm->trusted && sec == vm->cur_proc + 1 && (a & (CE_SECTION_SIZE - 1)) >= vm->dll_base)
        return 0;
    if (sec >= 2 && sec <= 32)
        return (int)((vm->aky >> (sec - 1)) & 1);
    return a >= CE_FIRST_MAPPER && a < CE_LAST_MAPPER;
}

/* The first free run of nb blocks in the current process slot from block 1 (0x10000) up, as
 * CE 5 places a reservation with no address (spec §3.2). Return: 1 and *at, or 0. */
static int first_fit(const struct vm *vm, uint32_t nb, uint32_t *at)
{
    uint32_t slot_first = vm_slot_base(vm) >> 16;
    return vm_first_fit(vm, slot_first + 1, slot_first + CE_BLOCKS_PER_SECTION, nb, at);
}

/* ---- the large area ------------------------------------------------------------------ */

static uint32_t huge_reserve(struct vm *vm, uint32_t pages, uint32_t *out)
{
    uint64_t bytes = (uint64_t)pages * CE_PAGE_SIZE;
    uint32_t sec = 0, unit = 0, claimed = 0;
    int found = 0;
    if (vm->nhuge == vm->caphuge) {
        uint32_t cap = vm->caphuge ? vm->caphuge * 2 : 32;
        struct huge_res *h = host_realloc(vm->huge, cap * sizeof *h);
        if (!h)
            return ERROR_OUTOFMEMORY;
        vm->huge = h;
        vm->caphuge = cap;
    }
    if (bytes < CE_SECTION_SIZE) {
        uint32_t units = (uint32_t)((bytes + 0xFFFFF) >> 20);
        uint32_t mask = units == 32 ? 0xFFFFFFFFu : ((1u << units) - 1);
        for (sec = 0; sec < CE_MAPPER_SECTIONS && !found; sec++)
            for (unit = 0; unit + units <= 32; unit++)
                if (!(vm->huge_units[sec] & (mask << unit))) {
                    vm->huge_units[sec] |= mask << unit;
                    found = 1;
                    break;
                }
        sec--;
        claimed = units << 20;
    } else {
        uint32_t nsec = (uint32_t)((bytes + CE_SECTION_SIZE - 1) / CE_SECTION_SIZE);
        for (sec = 0; sec + nsec <= CE_MAPPER_SECTIONS; sec++) {
            uint32_t k = 0;
            while (k < nsec && vm->huge_units[sec + k] == 0)
                k++;
            if (k == nsec) {
                for (k = 0; k < nsec; k++)
                    vm->huge_units[sec + k] = 0xFFFFFFFFu;
                found = 1;
                break;
            }
        }
        unit = 0;
        claimed = nsec * CE_SECTION_SIZE;
    }
    if (!found)
        return ERROR_OUTOFMEMORY;
    uint32_t base = CE_FIRST_MAPPER + sec * CE_SECTION_SIZE + (unit << 20);
    if (vm_reserve_blocks(vm, base, pages, VB_HUGE)) {
        for (uint32_t u = 0; u < claimed >> 20; u++) {
            uint32_t at = ((base - CE_FIRST_MAPPER) >> 20) + u;
            vm->huge_units[at / 32] &= ~(1u << (at % 32));
        }
        return ERROR_OUTOFMEMORY;
    }
    vm->huge[vm->nhuge++] = (struct huge_res){base, claimed};
    *out = base;
    return 0;
}

void vm_huge_release(struct vm *vm, uint32_t base)
{
    for (uint32_t i = 0; i < vm->nhuge; i++) {
        if (vm->huge[i].base != base)
            continue;
        for (uint32_t u = 0; u < vm->huge[i].claimed >> 20; u++) {
            uint32_t at = ((base - CE_FIRST_MAPPER) >> 20) + u;
            vm->huge_units[at / 32] &= ~(1u << (at % 32));
        }
        vm->huge[i] = vm->huge[--vm->nhuge];
        return;
    }
}

/* ---- VirtualAlloc -------------------------------------------------------------------- */

static uint32_t ce5_alloc(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type, uint32_t prot,
                          uint32_t *out)
{
    /* MEM_TOP_DOWN is stripped for callers outside the kernel (spec §3.1). */
    type &= ~(uint32_t)MEM_TOP_DOWN;
    /* The process slot's base is slot-relative 0: the call is a NULL-address call (spec §3.2),
     * answered in the process-slot form. */
    int slot_null = ce != 0 && ce == vm_slot_base(vm);
    if (slot_null)
        ce = 0;
    /* Up-front checks, in CE 5 order (spec §3.2). */
    if (ce >= CE_KERNEL_BASE)
        return ERROR_INVALID_PARAMETER;
    if (size == 0)
        return ERROR_INVALID_PARAMETER;
    if (size >= CE_MAX_SLOT_ALLOC && !(ce == 0 && type == MEM_RESERVE && prot == PAGE_NOACCESS))
        return ERROR_INVALID_PARAMETER;
    struct vm_perm p;
    if (vm_make_perm(vm, prot, &p) != PERM_OK)
        return ERROR_INVALID_PARAMETER;
    if (type & ~(uint32_t)(MEM_COMMIT | MEM_RESERVE | MEM_AUTO_COMMIT))
        return ERROR_INVALID_PARAMETER;
    if (!(type & (MEM_COMMIT | MEM_RESERVE)))
        return ERROR_INVALID_PARAMETER;

    uint64_t end = (uint64_t)vm_abs(vm, ce) + size;
    uint32_t pages = (uint32_t)(((uint64_t)size + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE);
    uint16_t bflags = (type & MEM_AUTO_COMMIT) ? VB_AUTOCOMMIT : 0;

    if (ce == 0) {
        /* NULL address: always reserve. */
        uint32_t base;
        if ((uint64_t)pages * CE_PAGE_SIZE >= CE_HUGE_THRESHOLD && type == MEM_RESERVE &&
            prot == PAGE_NOACCESS) {
            uint32_t e = huge_reserve(vm, pages, &base);
            if (e)
                return e;
            *out = base;
            return 0;
        }
        uint32_t at;
        if (!first_fit(vm, (pages + 15) / 16, &at))
            return ERROR_NOT_ENOUGH_MEMORY;
        uint32_t e = vm_reserve_blocks(vm, at << 16, pages, bflags);
        if (e)
            return e;
        base = at << 16;
        if (type & MEM_COMMIT) {
            e = vm_commit_pages(vm, base, pages, &p);
            if (e) {
                vm_release_reservation(vm, at);
                return e;
            }
        }
        *out = vm_caller_form(vm, base, !slot_null);
        return 0;
    }

    uint32_t a = vm_abs(vm, ce);
    int slot0 = ce < CE_SECTION_SIZE;
    if (!vm_accessible(vm, a) || end > CE_KERNEL_BASE)
        return ERROR_INVALID_PARAMETER;
    if (type & MEM_RESERVE) {
        /* Explicit reservation: base rounded down to 64 KB, range covered to a + size. */
        uint32_t base = a & ~BLOCK_MASK_LO;
        if ((base & (CE_SECTION_SIZE - 1)) == 0) /* block 0 of a slot is never handed out */
            return ERROR_INVALID_PARAMETER;
        if (base >= CE_FIRST_MAPPER) /* the large area is reserved only through the NULL path */
            return ERROR_INVALID_PARAMETER;
        if ((end - 1) >> 25 != base >> 25) /* must stay inside the slot */
            return ERROR_INVALID_PARAMETER;
        uint32_t n = (uint32_t)((end - base + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE);
        uint32_t nb = (n + 15) / 16;
        if (vm_next_used(vm->used, base >> 16, (base >> 16) + nb) != (base >> 16) + nb)
            return ERROR_INVALID_PARAMETER;
        uint32_t e = vm_reserve_blocks(vm, base, n, bflags);
        if (e)
            return e;
        if (type & MEM_COMMIT) {
            e = vm_commit_pages(vm, base, n, &p);
            if (e) {
                vm_release_reservation(vm, base >> 16);
                return e;
            }
        }
        *out = vm_caller_form(vm, base, slot0);
        return 0;
    }
    /* Commit inside an existing reservation: every page touched by [a, a + size). */
    uint32_t first, n;
    if (!vm_reservation_range(vm, a, size, &first, &n))
        return ERROR_INVALID_PARAMETER;
    uint32_t e = vm_commit_pages(vm, first, n, &p);
    if (e)
        return e;
    *out = vm_caller_form(vm, first, slot0);
    return 0;
}

/* ---- VirtualFree --------------------------------------------------------------------- */

static uint32_t ce5_free(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type)
{
    int force = (type & VM_FREE_FORCE) != 0;
    type &= ~VM_FREE_FORCE;
    if (type != MEM_DECOMMIT && type != MEM_RELEASE)
        return ERROR_INVALID_PARAMETER;
    if (ce == 0 || ce >= CE_KERNEL_BASE)
        return ERROR_INVALID_PARAMETER;
    uint32_t a = vm_abs(vm, ce);
    if (!vm_accessible(vm, a))
        return ERROR_INVALID_PARAMETER;
    if (type == MEM_RELEASE) {
        if (size != 0)
            return ERROR_INVALID_PARAMETER;
        uint32_t blk = a >> 16;
        struct vm_block *b = vm->block[blk];
        if (!b || (a & BLOCK_MASK_LO) || b->base_block != blk || (b->flags & (VB_IMAGE | VB_STACK)))
            return ERROR_INVALID_PARAMETER;
        /* CE <= 5: all reserved or all committed (spec §4, oracle 30). */
        uint32_t nb = vm_reservation_blocks(vm, blk), committed = 0, reserved = 0;
        for (uint32_t i = 0; i < nb; i++)
            for (uint32_t p = 0; p < CE_PAGES_PER_BLOCK; p++) {
                uint8_t st = vm->block[blk + i]->page[p].state;
                committed += st == PS_COMMITTED;
                reserved += st == PS_RESERVED;
            }
        if (committed && reserved)
            return ERROR_INVALID_PARAMETER;
        for (uint32_t i = 0; i < nb && !force; i++)
            if (vm->block[blk + i]->locks) /* LockPages or AllocPhysMem still holds it */
                return ERROR_INVALID_PARAMETER;
        return vm_release_forced(vm, blk);
    }
    uint32_t first, n;
    if (size == 0 || !vm_reservation_range(vm, a, size, &first, &n) ||
        (vm->block[first >> 16]->flags & (VB_IMAGE | VB_STACK)))
        return ERROR_INVALID_PARAMETER;
    return vm_decommit_range(vm, first, n, !force);
}

/* ---- VirtualProtect ------------------------------------------------------------------ */

static uint32_t ce5_protect(struct vm *vm, uint32_t ce, uint32_t size, uint32_t prot, uint32_t *old)
{
    /* CE 5 order (spec §5): arguments, then the protection, then the range. */
    if (!old || size == 0 || ce == 0 || ce >= CE_KERNEL_BASE || vm_is_stack(vm, ce))
        return ERROR_INVALID_PARAMETER;
    struct vm_perm p;
    int pr = vm_make_perm(vm, prot, &p);
    if (pr == PERM_WRITECOPY)
        return ERROR_NOT_SUPPORTED;
    if (pr != PERM_OK)
        return ERROR_INVALID_PARAMETER;
    uint32_t a = vm_abs(vm, ce);
    uint32_t first, n;
    if (!vm_accessible(vm, a) || !vm_reservation_range(vm, a, size, &first, &n))
        return ERROR_INVALID_PARAMETER;
    for (uint32_t i = 0; i < n; i++)
        if (vm_page_at(vm, first + i * CE_PAGE_SIZE, NULL)->state != PS_COMMITTED)
            return ERROR_INVALID_PARAMETER;
    struct vm_page *pg0 = vm_page_at(vm, first, NULL);
    uint32_t old_prot = vm_page_protect(pg0);
    struct vm_page *saved = host_malloc((size_t)(n ? n : 1) * sizeof *saved); /* n >= 1 here */
    if (!saved)
        return ERROR_NOT_ENOUGH_MEMORY;
    uint32_t skipped = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct vm_block *b;
        struct vm_page *pg = vm_page_at(vm, first + i * CE_PAGE_SIZE, &b);
        saved[i] = *pg;
        if (b->locks) { /* locked pages keep their access (spec §5) */
            skipped++;
            continue;
        }
        pg->pte = vm_pte_from(vm_page_pa(pg), &p);
        pg->flags = (uint8_t)((pg->flags & (PF_FRAME_BITS | PF_HOST_BITS)) | p.flags);
    }
    if (vm_sync_pages(vm, first, n)) {
        vm_restore_pages(vm, first, n, saved);
        vm_refresh_blocks(vm, first, n);
        free(saved);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    vm_refresh_blocks(vm, first, n);
    free(saved);
    *old = old_prot;
    if (skipped && size == CE_PAGE_SIZE)
        return ERROR_INVALID_PARAMETER;
    return 0;
}

/* ---- VirtualQuery -------------------------------------------------------------------- */

static uint32_t ce5_query(struct vm *vm, uint32_t ce, struct vm_query *q)
{
    if (ce >= CE_SECURE_SECTION_BASE && ce < CE_SECURE_SECTION_END) {
        /* NK's slot (section 0x61) is not a kernel VA for IsKernelVa (spec §1.1): it is
         * queried like another process's slot, and cevm models nothing in it. */
        memset(q, 0, sizeof *q);
        q->base = ce & ~PAGE_MASK_LO;
        q->alloc_protect = PAGE_NOACCESS;
        q->size = CE_SECURE_SECTION_END - q->base;
        q->state = MEM_FREE;
        q->protect = PAGE_NOACCESS;
        return 0;
    }
    if (ce == 0 || ce >= CE_KERNEL_BASE)
        return ERROR_INVALID_PARAMETER;
    int slot0 = ce < CE_SECTION_SIZE;
    uint32_t a = vm_abs(vm, ce) & ~PAGE_MASK_LO;
    /* Free space runs to the end of the section at most. */
    vm_describe(vm, a, ((a >> 25) + 1) * CE_BLOCKS_PER_SECTION, q);
    q->base = vm_caller_form(vm, q->base, slot0);
    if (q->state == MEM_FREE)
        q->type = 0; /* CE 5: 0 (oracle 37) */
    else
        q->alloc_base = vm_caller_form(vm, q->alloc_base, slot0);
    return 0;
}

/* ---- placement ----------------------------------------------------------------------- */

/* CE 5 places RAM DLLs top-down below the slot's top, stacks first fit from 0x10000, and a
 * caller's memory in that process's own slot. */
static void ce5_area(const struct vm *vm, enum vm_area what, uint32_t proc, uint32_t *lo,
                     uint32_t *hi, int *top_down)
{
    uint32_t slot_first = (what == AREA_CALLER ? (proc + 1) << 25 : vm_slot_base(vm)) >> 16;
    *lo = slot_first + 1;
    *hi = slot_first + CE_BLOCKS_PER_SECTION;
    *top_down = what == AREA_IMAGE;
}

static const struct vm_rules ce5_rules = {ce5_alloc,      ce5_free,       ce5_protect,
                                          ce5_query,      ce5_lock_pages, ce5_unlock_pages,
                                          ce5_accessible, ce5_area};

const struct vm_profile vm_profile_ce5 = {
    .version = 5,
    .name = "ce5",
    .title = "Windows CE 5.0",
    .wce = 0x500,
    .slots = 1,
    .denied = ERROR_ACCESS_DENIED,
    .allocphys_denied = ERROR_ACCESS_DENIED,
    .copy_offset_mask = 0xFFFFu,
    .free_type = 0,
    .sysintr_max = 40,
    .rules = &ce5_rules,
};
