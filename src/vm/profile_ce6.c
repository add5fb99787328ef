/*
 * profile_ce6.c — the CE 6.0 and Compact 7 profiles: 2 GB per process and kernel VM, and their
 * rules of VirtualAlloc, VirtualFree, VirtualProtect, VirtualQuery and LockPages/UnlockPages
 * (spec §1.2, §3.3-§3.4, §4-§6, §9).
 *
 * Layout: the current process's user space is 0x10000..0x7FFFFFFF (VirtualAlloc with no address
 * from 0x10000 below 0x40000000, user DLLs from 0x40000000); the kernel owns 0x80000000 up: the
 * static windows (0x80000000..0xBFFFFFFF, no page tables), kernel-mode DLLs from 0xC0000000 and
 * kernel VM from 0xD0000000 to 0xEFFFFFFF. There are no slots, no slot-0 alias and no large area.
 * A kernel-mode caller's VirtualAlloc with no address takes kernel VM; with a user address it
 * acts on the current process's user space, which a kernel-mode caller may touch.
 *
 * Locks are a list of (page-aligned address, page count) ranges, as CE 6 keeps them: UnlockPages
 * must repeat a LockPages range exactly, and VirtualFree (87) and VirtualProtect (32) refuse
 * locked pages. Compact 7 differs in two values of the table: explicit reservations must be
 * 64 KB-aligned, and user addresses stop at dwMaxUserAllocAddr (0x40000000).
 */
#include "host/host.h"
#include "vm/vm_internal.h"

#include <stdlib.h>
#include <string.h>

#include "winerror.h"
#include "winnt.h"

#define PAGE_LO  0xFFFu
#define BLOCK_LO 0xFFFFu

#define LOCK_WRITE      0x1u
#define LOCK_QUERY_ONLY 0x2u
#define LOCK_VALID      0x7u /* LOCKFLAG_WRITE | LOCKFLAG_QUERY_ONLY | LOCKFLAG_READ */

static uint32_t pages_of(uint32_t ce, uint32_t size)
{
    uint64_t end = (uint64_t)ce + size, first = ce & ~PAGE_LO;
    return (uint32_t)((end - first + PAGE_LO) / CE_PAGE_SIZE);
}

/* User space is the caller's; kernel DLLs and kernel VM only a kernel-mode caller's. */
static int ce6_accessible(const struct vm *vm, uint32_t a)
{
    if (a < CE6_USER_BASE)
        return 0;
    if (a < CE_KERNEL_BASE)
        return 1;
    return vm->trusted && a >= vm->static_end;
}

/* Does locked range r belong to the address space in view (kernel, or the current process)? */
static int lock_here(const struct vm *vm, const struct vm_lock_range *r)
{
    return r->va >= CE_KERNEL_BASE || r->space == vm->cur_space;
}

int ce6_locked(const struct vm *vm, uint32_t a, uint32_t n)
{
    uint64_t end = (uint64_t)a + (uint64_t)n * CE_PAGE_SIZE;
    for (uint32_t i = 0; i < vm->nlockr; i++) {
        const struct vm_lock_range *r = &vm->lockr[i];
        if (!lock_here(vm, r))
            continue;
        uint64_t rend = (uint64_t)r->va + (uint64_t)r->pages * CE_PAGE_SIZE;
        if (r->va < end && a < rend)
            return 1;
    }
    return 0;
}

/* May an explicit address range of `pages` pages from page-aligned a be reserved or committed by
 * this caller: user space below the profile's limit (either mode), or kernel VM (kernel mode)? */
static int explicit_ok(const struct vm *vm, uint32_t a, uint32_t pages)
{
    uint64_t end = (uint64_t)a + (uint64_t)pages * CE_PAGE_SIZE;
    if (a < CE_KERNEL_BASE)
        return a >= CE6_USER_BASE && end <= vm->prof->user_explicit_limit;
    return vm->trusted && a >= vm->kvm_lo && end <= CE6_KVM_END;
}

/* ---- VirtualAlloc (spec §3.3, §3.4) ---------------------------------------------------- */

/* A reservation with no address: user space from 0x10000 (user mode) or kernel VM (kernel
 * mode), first fit. Return: 0 and *base, 87 (the user limit), 8 (no room). */
static uint32_t reserve_anywhere(struct vm *vm, uint32_t pages, uint16_t bflags, uint32_t *base)
{
    uint32_t nb = (pages + 15) / 16, at;
    if (vm->trusted) {
        if (!vm_first_fit(vm, vm->kvm_lo >> 16, CE6_KVM_END >> 16, nb, &at))
            return ERROR_NOT_ENOUGH_MEMORY;
    } else {
        uint32_t lo = CE6_USER_BASE >> 16, hi = vm->prof->user_alloc_limit >> 16;
        /* The process's lowest free address plus the size must stay below the limit. */
        uint64_t lowest = (uint64_t)vm_next_free(vm->used, lo, hi) << 16;
        if (lowest + (uint64_t)pages * CE_PAGE_SIZE > vm->prof->user_alloc_limit)
            return ERROR_INVALID_PARAMETER;
        if (!vm_first_fit(vm, lo, hi, nb, &at))
            return ERROR_NOT_ENOUGH_MEMORY;
    }
    *base = at << 16;
    return vm_reserve_blocks(vm, *base, pages, bflags);
}

static uint32_t ce6_alloc(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type, uint32_t prot,
                          uint32_t *out)
{
    /* IsValidAllocType: TOP_DOWN ignored; the rest from a short list, MEM_MAPPED kernel-only. */
    type &= ~(uint32_t)MEM_TOP_DOWN;
    if (type == 0 ||
        (type & ~(uint32_t)(MEM_RESERVE | MEM_COMMIT | MEM_IMAGE | MEM_AUTO_COMMIT | MEM_MAPPED)))
        return ERROR_INVALID_PARAMETER;
    if ((type & MEM_MAPPED) && !vm->trusted)
        return ERROR_INVALID_PARAMETER;
    if (!(type & (MEM_RESERVE | MEM_COMMIT)))
        return ERROR_INVALID_PARAMETER;
    if ((int32_t)size <= 0)
        return ERROR_INVALID_PARAMETER;
    struct vm_perm p;
    if (vm_make_perm(vm, prot, &p) != PERM_OK)
        return ERROR_INVALID_PARAMETER;
    uint16_t bflags = (type & MEM_AUTO_COMMIT) ? VB_AUTOCOMMIT : 0;
    uint32_t pages = pages_of(ce, size), base, e;

    if (ce == 0) { /* no address: always a new reservation */
        if ((e = reserve_anywhere(vm, pages, bflags, &base)))
            return e;
    } else {
        uint32_t a = ce & ~PAGE_LO;
        if (!explicit_ok(vm, a, pages))
            return ERROR_INVALID_PARAMETER;
        if (!(type & MEM_RESERVE)) {
            /* Commit inside a recorded reservation (VMFindAlloc). */
            uint32_t first, n;
            if (!vm_reservation_range(vm, ce, size, &first, &n) ||
                (vm->block[first >> 16]->flags & VB_HOST))
                return ERROR_INVALID_PARAMETER;
            if ((e = vm_commit_pages(vm, first, n, &p)))
                return e;
            *out = first;
            return 0;
        }
        /* Compact 7 refuses an unaligned reservation; CE 6 rounds the base down to 64 KB but
         * keeps the page count from the page-aligned address (spec §15.1, oracles 19-20). */
        if (vm->prof->explicit_64k && (ce & BLOCK_LO))
            return ERROR_INVALID_PARAMETER;
        base = a & ~BLOCK_LO;
        uint32_t nb = (pages + 15) / 16;
        if (vm_next_used(vm->used, base >> 16, (base >> 16) + nb) != (base >> 16) + nb)
            return ERROR_INVALID_PARAMETER;
        if ((e = vm_reserve_blocks(vm, base, pages, bflags)))
            return e;
    }
    if (type & MEM_COMMIT) {
        if ((e = vm_commit_pages(vm, base, pages, &p))) {
            vm_release_reservation(vm, base >> 16);
            return e;
        }
    }
    *out = base;
    return 0;
}

/* ---- VirtualFree (spec §4) ------------------------------------------------------------- */

static uint32_t ce6_free(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type)
{
    int force = (type & VM_FREE_FORCE) != 0;
    type &= ~VM_FREE_FORCE;
    if (type != MEM_DECOMMIT && type != MEM_RELEASE)
        return ERROR_INVALID_PARAMETER;
    if (ce == 0 || !ce6_accessible(vm, ce))
        return ERROR_INVALID_PARAMETER;
    if (type == MEM_RELEASE) {
        uint32_t blk = ce >> 16;
        struct vm_block *b = vm->block[blk];
        if (size != 0 || !b || (ce & BLOCK_LO) || b->base_block != blk ||
            (b->flags & (VB_IMAGE | VB_STACK)))
            return ERROR_INVALID_PARAMETER;
        /* CE 6+: whatever is committed is decommitted; locked pages refuse (VMRelease). */
        uint32_t n = vm_reservation_blocks(vm, blk) * CE_PAGES_PER_BLOCK;
        if (!force && ce6_locked(vm, ce, n))
            return ERROR_INVALID_PARAMETER;
        return vm_release_forced(vm, blk);
    }
    uint32_t first, n;
    if (size == 0 || !vm_reservation_range(vm, ce, size, &first, &n) ||
        (vm->block[first >> 16]->flags & (VB_IMAGE | VB_STACK)) ||
        (!force && ce6_locked(vm, first, n)))
        return ERROR_INVALID_PARAMETER;
    return vm_decommit_range(vm, first, n, 0);
}

/* ---- VirtualProtect (spec §5) ---------------------------------------------------------- */

static uint32_t ce6_protect(struct vm *vm, uint32_t ce, uint32_t size, uint32_t prot, uint32_t *old)
{
    /* A NULL old-protection pointer is accepted (spec §5). */
    if (size == 0 || !ce6_accessible(vm, ce) || vm_is_stack(vm, ce))
        return ERROR_INVALID_PARAMETER;
    struct vm_perm p;
    if (vm_make_perm(vm, prot, &p) != PERM_OK) /* WRITECOPY included: IsValidProtect */
        return ERROR_INVALID_PARAMETER;
    uint32_t first, n;
    if (!vm_reservation_range(vm, ce, size, &first, &n))
        return ERROR_INVALID_PARAMETER;
    for (uint32_t i = 0; i < n; i++)
        if (vm_page_at(vm, first + i * CE_PAGE_SIZE, NULL)->state != PS_COMMITTED)
            return ERROR_INVALID_PARAMETER;
    if (ce6_locked(vm, first, n))
        return ERROR_SHARING_VIOLATION;
    uint32_t old_prot = vm_page_protect(vm_page_at(vm, first, NULL));
    struct vm_page *saved = host_malloc((size_t)n * sizeof *saved);
    if (!saved)
        return ERROR_NOT_ENOUGH_MEMORY;
    for (uint32_t i = 0; i < n; i++) {
        struct vm_page *pg = vm_page_at(vm, first + i * CE_PAGE_SIZE, NULL);
        saved[i] = *pg;
        pg->pte = vm_pte_from(vm_page_pa(pg), &p);
        pg->flags = (uint8_t)((pg->flags & (PF_FRAME_BITS | PF_HOST_BITS)) | p.flags);
    }
    uint32_t err = 0;
    if (vm_sync_pages(vm, first, n)) {
        vm_restore_pages(vm, first, n, saved);
        err = ERROR_NOT_ENOUGH_MEMORY;
    }
    vm_refresh_blocks(vm, first, n);
    free(saved);
    if (!err && old)
        *old = old_prot;
    return err;
}

/* ---- VirtualQuery (spec §6) ------------------------------------------------------------ */

static uint32_t ce6_query(struct vm *vm, uint32_t ce, struct vm_query *q)
{
    /* Below 0x10000: 87 (oracle 36). The static windows have no page tables to describe, the
     * CPU-specific top (0xF0000000 up) holds nothing cevm models, and a user-mode caller cannot
     * see kernel space: 87 (docs/ce-semantics.md). */
    if (ce < CE6_USER_BASE || vm_is_static(vm, ce) || ce >= CE6_KVM_END ||
        (!vm->trusted && ce >= CE_KERNEL_BASE))
        return ERROR_INVALID_PARAMETER;
    uint32_t a = ce & ~PAGE_LO;
    vm_describe(vm, a, (a < CE_KERNEL_BASE ? CE_KERNEL_BASE : CE6_KVM_END) >> 16, q);
    if (q->state == MEM_COMMIT)
        q->type = MEM_PRIVATE; /* CE 6 reports MEM_PRIVATE for every committed page */
    return 0;
}

/* ---- LockPages / UnlockPages (spec §9) ------------------------------------------------- */

static uint32_t ce6_lock_pages(struct vm *vm, uint32_t ce, uint32_t size, uint32_t *pfn,
                               uint32_t opts)
{
    if (!vm->trusted) /* a kernel-mode API: the user-mode entry is not supported */
        return vm->prof->denied;
    if (ce < CE6_USER_BASE || (int32_t)size <= 0 || (opts & ~LOCK_VALID))
        return ERROR_INVALID_PARAMETER;
    if (vm_is_static(vm, ce))
        return vm_lock_static(vm, ce, size, pfn);
    uint32_t first, n;
    if (!ce6_accessible(vm, ce) || !vm_reservation_range(vm, ce, size, &first, &n))
        return ERROR_INVALID_PARAMETER;
    /* Page in every page with the access asked for (auto-commit pages come in); a page that
     * cannot be brought in is ERROR_NOT_ENOUGH_MEMORY on CE 6. */
    for (uint32_t i = 0; i < n; i++) {
        struct vm_block *b;
        struct vm_page *pg = vm_page_at(vm, first + i * CE_PAGE_SIZE, &b);
        if (pg->state == PS_RESERVED
                ? !(b->flags & (VB_AUTOCOMMIT | VB_STACK))
                : (pg->flags & PF_NOACCESS) || ((opts & LOCK_WRITE) && !pte_writable(pg->pte)))
            return ERROR_NOT_ENOUGH_MEMORY;
    }
    if (!(opts & LOCK_QUERY_ONLY) && vm->nlockr == vm->caplockr) {
        uint32_t cap = vm->caplockr ? vm->caplockr * 2 : 16;
        struct vm_lock_range *r = host_realloc(vm->lockr, cap * sizeof *r);
        if (!r)
            return ERROR_NOT_ENOUGH_MEMORY;
        vm->lockr = r;
        vm->caplockr = cap;
    }
    if (vm_lock_bring_in(vm, first, n, pfn))
        return ERROR_NOT_ENOUGH_MEMORY;
    if (!(opts & LOCK_QUERY_ONLY))
        vm->lockr[vm->nlockr++] = (struct vm_lock_range){first, n, vm->cur_space};
    return 0;
}

static uint32_t ce6_unlock_pages(struct vm *vm, uint32_t ce, uint32_t size)
{
    if (!vm->trusted)
        return vm->prof->denied;
    if (ce < CE6_USER_BASE || (int32_t)size <= 0)
        return ERROR_INVALID_PARAMETER;
    if (vm_is_static(vm, ce))
        return 0; /* static windows were never locked */
    uint32_t a = ce & ~PAGE_LO, n = pages_of(ce, size);
    for (uint32_t i = 0; i < vm->nlockr; i++)
        if (vm->lockr[i].va == a && vm->lockr[i].pages == n && lock_here(vm, &vm->lockr[i])) {
            vm->lockr[i] = vm->lockr[--vm->nlockr];
            return 0;
        }
    return ERROR_INVALID_PARAMETER; /* not the exact range of an earlier LockPages */
}

/* ---- placement ------------------------------------------------------------------------- */

/* Kernel-mode modules load in the kernel DLL area and user-mode ones in the DLL area; kernel
 * threads' stacks are kernel VM; a caller's buffers are the current process's user memory. */
static void ce6_area(const struct vm *vm, enum vm_area what, uint32_t proc, uint32_t *lo,
                     uint32_t *hi, int *top_down)
{
    (void)proc;
    *top_down = 0;
    uint32_t l = CE6_USER_BASE, h = vm->prof->user_alloc_limit;
    if (what == AREA_IMAGE && vm->trusted) {
        l = vm->kdll_lo;
        h = vm->kdll_hi;
    } else if (what == AREA_IMAGE) {
        l = CE6_DLL_BASE;
        h = CE6_RAM_MAP_BASE;
    } else if (what == AREA_STACK && vm->trusted) {
        l = vm->kvm_lo;
        h = CE6_KVM_END;
    }
    *lo = l >> 16;
    *hi = h >> 16;
}

static const struct vm_rules ce6_rules = {ce6_alloc,      ce6_free,       ce6_protect,
                                          ce6_query,      ce6_lock_pages, ce6_unlock_pages,
                                          ce6_accessible, ce6_area};

const struct vm_profile vm_profile_ce6 = {
    .version = 6,
    .name = "ce6",
    .title = "Windows Embedded CE 6.0",
    .wce = 0x600,
    .slots = 0,
    .denied = ERROR_NOT_SUPPORTED,
    .allocphys_denied = ERROR_INVALID_PARAMETER,
    .copy_offset_mask = PAGE_LO,
    .free_type = MEM_PRIVATE,
    .sysintr_max = 72,
    .user_alloc_limit = CE6_DLL_BASE,
    .user_explicit_limit = CE6_SHARED_HEAP,
    .explicit_64k = 0,
    .rules = &ce6_rules,
};

const struct vm_profile vm_profile_ce7 = {
    .version = 7,
    .name = "ce7",
    .title = "Windows Embedded Compact 7",
    .wce = 0x700,
    .slots = 0,
    .denied = ERROR_NOT_SUPPORTED,
    .allocphys_denied = ERROR_INVALID_PARAMETER,
    .copy_offset_mask = PAGE_LO,
    .free_type = MEM_PRIVATE,
    .sysintr_max = 72,
    .user_alloc_limit = CE7_MAX_USER_ALLOC,
    .user_explicit_limit = CE7_MAX_USER_ALLOC, /* dwMaxUserAllocAddr */
    .explicit_64k = 1,
    .rules = &ce6_rules,
};

const struct vm_profile *vm_profile_find(int version)
{
    return version == 5   ? &vm_profile_ce5
           : version == 6 ? &vm_profile_ce6
           : version == 7 ? &vm_profile_ce7
                          : NULL;
}

const struct vm_profile *vm_profile_named(const char *name)
{
    if (!name || strlen(name) != 3 || strncmp(name, "ce", 2))
        return NULL;
    return vm_profile_find(name[2] - '0');
}
