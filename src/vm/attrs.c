/*
 * attrs.c — page-table level calls for the CE 5 profile: VirtualSetAttributes (spec §8) and
 * LockPages / UnlockPages (spec §9).
 *
 * VirtualSetAttributes edits the ARM small-page descriptors directly. Changes to the valid,
 * access-permission and C/B bits are reflected in the host protection and in VirtualQuery.
 * Changing frame bits (outside the changeable 0xFFF) is applied, as CE applied it, with a
 * warning: the page then maps that frame without holding a reference (like PAGE_PHYSICAL).
 *
 * LockPages keeps CE 5's per-64 KB-block lock counts: locked blocks are skipped by decommit and
 * by protection changes, and a reservation holding a locked block cannot be released.
 */
#include "host/host.h"
#include <stdio.h>
#include <stdlib.h>

#include "vm/vm_internal.h"
#include "winerror.h"
#include "winnt.h"

#define PAGE_LO         0xFFFu
#define PG_CHANGEABLE   0xFFFu
#define LOCK_WRITE      0x1u
#define LOCK_QUERY_ONLY 0x2u

/* The committed pages of one reservation touched by [ce, ce + size). Return: 0 or 87. */
static uint32_t committed_range(struct vm *vm, uint32_t ce, uint32_t size, uint32_t *first,
                                uint32_t *n)
{
    uint32_t a = vm_abs(vm, ce);
    if (!vm_accessible(vm, a) || !vm_reservation_range(vm, a, size, first, n))
        return ERROR_INVALID_PARAMETER;
    for (uint32_t i = 0; i < *n; i++)
        if (vm_page_at(vm, *first + i * CE_PAGE_SIZE, NULL)->state != PS_COMMITTED)
            return ERROR_INVALID_PARAMETER;
    return 0;
}

/* Give page pg the descriptor pte, keeping flags and references consistent with it. */
static void apply_pte(struct vm *vm, struct vm_page *pg, uint32_t pte)
{
    if ((pte ^ pg->pte) & PTE_FRAME_MASK) {
        /* Another frame: drop ours, hold none on the new one. */
        if (!(pg->flags & PF_DEVICE))
            frame_unref(vm->pm, vm_page_pa(pg));
        uint64_t pa = ((uint64_t)pg->pa_hi << 32) | (pte & PTE_FRAME_MASK);
        pg->flags |= PF_DEVICE | PF_HOST_STALE;
        pg->flags &= (uint8_t)~PF_NOBACKING;
        if (!vm->ops.backed(vm->ops.ctx, pa))
            pg->flags |= PF_NOBACKING;
    }
    if (pte_valid(pte))
        pg->flags &= (uint8_t) ~(PF_GUARD | PF_NOACCESS);
    pg->pte = pte;
}

uint32_t vm_set_attributes(struct vm *vm, uint32_t ce, uint32_t size, uint32_t new_bits,
                           uint32_t mask, uint32_t *old)
{
    if (!vm->trusted) /* trusted (CE 5) or kernel-mode (CE 6+) callers only */
        return vm->prof->denied;
    /* CE 5 also refuses these up front; CE 6 finds them outside every reservation (87). */
    if (size == 0 || (int32_t)size < 0 || ce < 0x10000u || vm_is_static(vm, ce))
        return ERROR_INVALID_PARAMETER;
    uint32_t first, n;
    uint32_t err = committed_range(vm, ce, size, &first, &n);
    if (err)
        return err;
    if (old)
        *old = vm_page_at(vm, first, NULL)->pte;
    if (mask == 0)
        return 0; /* a query */
    if (mask & ~PG_CHANGEABLE)
        fprintf(stderr,
                "cevm: VirtualSetAttributes at CE 0x%08X changes bits outside 0xFFF (mask "
                "0x%08X): applied, as CE applies them\n",
                ce, mask);
    struct vm_page *saved = host_malloc((size_t)n * sizeof *saved);
    if (!saved)
        return ERROR_NOT_ENOUGH_MEMORY;
    for (uint32_t i = 0; i < n; i++) {
        struct vm_page *pg = vm_page_at(vm, first + i * CE_PAGE_SIZE, NULL);
        saved[i] = *pg;
        apply_pte(vm, pg, (pg->pte & ~mask) | (new_bits & mask));
    }
    if (vm_sync_pages(vm, first, n)) {
        for (uint32_t i = 0; i < n; i++) /* take back the references apply_pte dropped */
            if (!(saved[i].flags & PF_DEVICE) &&
                (vm_page_at(vm, first + i * CE_PAGE_SIZE, NULL)->flags & PF_DEVICE))
                frame_ref(vm->pm, vm_page_pa(&saved[i]));
        vm_restore_pages(vm, first, n, saved);
        err = ERROR_NOT_ENOUGH_MEMORY;
    }
    vm_refresh_blocks(vm, first, n);
    free(saved);
    return err;
}

uint32_t vm_lock_static(struct vm *vm, uint32_t ce, uint32_t size, uint32_t *pfn)
{
    /* Static windows are not locked: report their frames (both CE versions). */
    uint64_t end = (uint64_t)ce + size;
    uint32_t page = ce & ~PAGE_LO;
    uint32_t n = (uint32_t)((end - page + PAGE_LO) / CE_PAGE_SIZE);
    uint64_t pa;
    for (uint32_t i = 0; i < n; i++) {
        if (end > 0xC0000000ull || !vm->ops.static_pa(vm->ops.ctx, page + i * CE_PAGE_SIZE, &pa))
            return ERROR_INVALID_PARAMETER;
        if (pfn)
            pfn[i] = (uint32_t)pa;
    }
    return 0;
}

int vm_lock_bring_in(struct vm *vm, uint32_t first, uint32_t n, uint32_t *pfn)
{
    struct vm_perm rw;
    vm_make_perm(vm, PAGE_READWRITE, &rw);
    uint32_t done = 0;
    for (; done < n; done++) {
        uint32_t va = first + done * CE_PAGE_SIZE;
        if (vm_page_at(vm, va, NULL)->state == PS_RESERVED && vm_commit_pages(vm, va, 1, &rw))
            break;
    }
    if (done < n) { /* out of RAM: undo what this call committed */
        vm_decommit_range(vm, first, done, 0);
        return -1;
    }
    for (uint32_t i = 0; pfn && i < n; i++)
        pfn[i] = (uint32_t)vm_page_pa(vm_page_at(vm, first + i * CE_PAGE_SIZE, NULL));
    return 0;
}

uint32_t ce5_lock_pages(struct vm *vm, uint32_t ce, uint32_t size, uint32_t *pfn, uint32_t opts)
{
    if (!vm->trusted) /* a trusted API on CE 5 */
        return ERROR_ACCESS_DENIED;
    if (size == 0 || ce == 0)
        return ERROR_INVALID_PARAMETER;
    if (ce >= CE_KERNEL_BASE)
        return vm_lock_static(vm, ce, size, pfn);
    uint32_t a = vm_abs(vm, ce), first, n;
    if (!vm_accessible(vm, a) || !vm_reservation_range(vm, a, size, &first, &n))
        return ERROR_INVALID_PARAMETER;
    /* Every page must be present with the access asked for (auto-commit pages come in). */
    for (uint32_t i = 0; i < n; i++) {
        struct vm_block *b;
        struct vm_page *pg = vm_page_at(vm, first + i * CE_PAGE_SIZE, &b);
        if (pg->state == PS_RESERVED) {
            if (!(b->flags & VB_AUTOCOMMIT))
                return ERROR_NOACCESS;
        } else if ((pg->flags & PF_NOACCESS) || ((opts & LOCK_WRITE) && !pte_writable(pg->pte))) {
            return ERROR_NOACCESS;
        }
    }
    if (vm_lock_bring_in(vm, first, n, pfn))
        return ERROR_OUTOFMEMORY; /* CE 5: auto-commit failed */
    if (!(opts & LOCK_QUERY_ONLY))
        for (uint32_t b = first >> 16; b <= (first + (n - 1) * CE_PAGE_SIZE) >> 16; b++)
            vm->block[b]->locks++;
    return 0;
}

uint32_t ce5_unlock_pages(struct vm *vm, uint32_t ce, uint32_t size)
{
    if (!vm->trusted) /* a trusted API on CE 5 */
        return ERROR_ACCESS_DENIED;
    if (size == 0 || ce == 0 || ce >= CE_KERNEL_BASE)
        return ERROR_INVALID_PARAMETER;
    uint32_t a = vm_abs(vm, ce), first, n;
    if (!vm_accessible(vm, a) || !vm_reservation_range(vm, a, size, &first, &n))
        return ERROR_INVALID_PARAMETER;
    uint32_t lo = first >> 16, hi = (first + (n - 1) * CE_PAGE_SIZE) >> 16;
    for (uint32_t b = lo; b <= hi; b++)
        if (vm->block[b]->locks == 0)
            return ERROR_INVALID_PARAMETER;
    for (uint32_t b = lo; b <= hi; b++)
        vm->block[b]->locks--;
    return 0;
}
