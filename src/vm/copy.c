/*
 * copy.c — physical mappings: VirtualCopy (spec §7) and AllocPhysMem (spec §10), for every
 * profile (the CE 5 and CE 6 differences are values of the profile table: the error a
 * kernel-only call gives an untrusted or user-mode caller, the virtual-source offset rule).
 *
 * VirtualCopy maps frames that already exist into a destination the caller reserved: every
 * destination page must be reserved and uncommitted. The frames come from one of three
 * sources:
 *   - PAGE_PHYSICAL: lpvSrc is the physical address >> 8 (40-bit addresses fit in 32 bits);
 *     the page offset of the destination must equal that of the physical address;
 *   - a static-window VA (0x80000000..0xBFFFFFFF) without PAGE_PHYSICAL: the frames behind the
 *     OEMAddressTable mapping, page offsets equal;
 *   - a VA with page tables: every source page committed, and the same offset within the
 *     64 KB block (CE 5) or the page (CE 6+); each RAM frame gains a reference, so the alias
 *     outlives its source.
 * Physical and static sources take no reference (PF_DEVICE): they are not the caller's RAM.
 * A frame no board region backs is recorded as PF_NOBACKING: it is never host-mapped, and a
 * touch is emulated (unimplemented device) or reported (nothing there) by the machine.
 */
#include "host/host.h"
#include <stdlib.h>

#include "vm/vm_internal.h"
#include "winerror.h"
#include "winnt.h"

#define PAGE_LO 0xFFFu

/* Put frames pas[0..n) behind the reserved pages [a, a + n) with perm p; fl[i] adds per-page
 * flags. All or nothing: on a host refusal the pages are restored. Return: 0 or 8. */
static uint32_t map_frames(struct vm *vm, uint32_t a, uint32_t n, const struct vm_perm *p,
                           const uint64_t *pas, const uint8_t *fl)
{
    struct vm_page *saved = host_malloc((size_t)n * sizeof *saved);
    if (!saved)
        return ERROR_NOT_ENOUGH_MEMORY;
    for (uint32_t i = 0; i < n; i++) {
        struct vm_page *pg = vm_page_at(vm, a + i * CE_PAGE_SIZE, NULL);
        saved[i] = *pg;
        pg->state = PS_COMMITTED;
        pg->pte = vm_pte_from(pas[i], p);
        pg->pa_hi = (uint8_t)(pas[i] >> 32);
        pg->flags = (uint8_t)((pg->flags & PF_HOST_BITS) | p->flags | fl[i]);
    }
    uint32_t err = 0;
    if (vm_sync_pages(vm, a, n)) {
        vm_restore_pages(vm, a, n, saved);
        err = ERROR_NOT_ENOUGH_MEMORY;
    }
    vm_refresh_blocks(vm, a, n);
    free(saved);
    return err;
}

/* Are all pages [a, a + n) reserved and uncommitted? */
static int all_reserved(struct vm *vm, uint32_t a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (vm_page_at(vm, a + i * CE_PAGE_SIZE, NULL)->state != PS_RESERVED)
            return 0;
    return 1;
}

static uint8_t frame_flags(struct vm *vm, uint64_t pa, int device)
{
    uint8_t f = device ? PF_DEVICE : 0;
    if (!vm->ops.backed(vm->ops.ctx, pa))
        f |= PF_NOBACKING;
    return f;
}

/* Gather the source frames. Return: 0, or the CE error. */
static uint32_t source_frames(struct vm *vm, uint32_t a, uint32_t src, int physical, uint32_t n,
                              uint64_t *pas, uint8_t *fl)
{
    if (physical) {
        uint64_t pa = (uint64_t)src << 8;
        if ((pa & PAGE_LO) != (a & PAGE_LO))
            return ERROR_INVALID_PARAMETER;
        uint64_t frame = pa & ~(uint64_t)PAGE_LO;
        if (frame + (uint64_t)n * CE_PAGE_SIZE > (1ull << 40))
            return ERROR_INVALID_PARAMETER;
        for (uint32_t i = 0; i < n; i++) {
            pas[i] = frame + (uint64_t)i * CE_PAGE_SIZE;
            fl[i] = frame_flags(vm, pas[i], 1);
        }
        return 0;
    }
    if (vm_is_static(vm, src)) {
        /* A static-window VA: the frames behind the OEMAddressTable mapping. */
        if ((src & PAGE_LO) != (a & PAGE_LO) ||
            (uint64_t)(src & ~PAGE_LO) + (uint64_t)n * CE_PAGE_SIZE > 0xC0000000ull)
            return ERROR_INVALID_PARAMETER;
        for (uint32_t i = 0; i < n; i++) {
            if (!vm->ops.static_pa(vm->ops.ctx, (src & ~PAGE_LO) + i * CE_PAGE_SIZE, &pas[i]))
                return ERROR_INVALID_PARAMETER;
            fl[i] = frame_flags(vm, pas[i], 1);
        }
        return 0;
    }
    /* A VA with page tables: the same offset in the 64 KB block (CE 5) or the page (CE 6+),
     * every page committed. */
    if (src == 0 || ((a ^ src) & vm->prof->copy_offset_mask))
        return ERROR_INVALID_PARAMETER;
    uint32_t s = vm_abs(vm, src) & ~PAGE_LO;
    if ((uint64_t)s + (uint64_t)n * CE_PAGE_SIZE > 0x100000000ull || !vm_accessible(vm, s))
        return ERROR_INVALID_PARAMETER;
    for (uint32_t i = 0; i < n; i++) {
        struct vm_page *sp = vm_page_at(vm, s + i * CE_PAGE_SIZE, NULL);
        if (!sp || sp->state != PS_COMMITTED)
            return ERROR_INVALID_PARAMETER;
        pas[i] = vm_page_pa(sp);
        fl[i] = sp->flags & PF_FRAME_BITS;
    }
    return 0;
}

uint32_t vm_copy(struct vm *vm, uint32_t dst, uint32_t src, uint32_t size, uint32_t prot)
{
    if (!vm->trusted) /* fully trusted (CE 5: 5) or kernel-mode (CE 6+: 50) callers only */
        return vm->prof->denied;
    if (size == 0 || dst == 0 || vm_is_static(vm, dst))
        return ERROR_INVALID_PARAMETER;
    int physical = (prot & PAGE_PHYSICAL) != 0;
    struct vm_perm p;
    if (vm_make_perm(vm, prot & ~(uint32_t)PAGE_PHYSICAL, &p) != PERM_OK)
        return ERROR_INVALID_PARAMETER;
    uint32_t a = vm_abs(vm, dst), first, n;
    if (!vm_accessible(vm, a) || !vm_reservation_range(vm, a, size, &first, &n) ||
        !all_reserved(vm, first, n))
        return ERROR_INVALID_PARAMETER;
    uint64_t *pas = host_malloc((size_t)n * sizeof *pas);
    uint8_t *fl = host_malloc(n);
    uint32_t err = ERROR_NOT_ENOUGH_MEMORY;
    if (!pas || !fl)
        goto out;
    err = source_frames(vm, a, src, physical, n, pas, fl);
    if (err)
        goto out;
    /* Virtual sources: each RAM frame gains a reference (CE's DupPhysPage). */
    uint32_t refs = 0;
    for (; refs < n; refs++)
        if (!(fl[refs] & PF_DEVICE) && frame_ref(vm->pm, pas[refs]))
            break;
    if (refs == n)
        err = map_frames(vm, first, n, &p, pas, fl);
    else
        err = ERROR_NOT_ENOUGH_MEMORY; /* a frame is at CE's 0xFFFD reference limit */
    if (err)
        for (uint32_t i = 0; i < refs; i++)
            if (!(fl[i] & PF_DEVICE))
                frame_unref(vm->pm, pas[i]);
out:
    free(pas);
    free(fl);
    return err;
}

uint32_t vm_commit_frames(struct vm *vm, uint32_t a, uint32_t n, uint32_t prot, const uint64_t *pas)
{
    struct vm_perm p;
    if (vm_make_perm(vm, prot, &p) != PERM_OK || !vm_in_one_reservation(vm, a, n) ||
        !all_reserved(vm, a, n))
        return ERROR_INVALID_PARAMETER;
    uint8_t *fl = host_calloc(n, 1);
    if (!fl)
        return ERROR_NOT_ENOUGH_MEMORY;
    uint32_t err = map_frames(vm, a, n, &p, pas, fl);
    free(fl);
    return err;
}

uint32_t vm_alloc_phys(struct vm *vm, uint32_t size, uint32_t prot, uint32_t align_mask,
                       uint32_t *va, uint64_t *pa)
{
    if (!vm->trusted) /* a trusted API on CE 5 (5), kernel mode only on CE 6+ (87) */
        return vm->prof->allocphys_denied;
    struct vm_perm p;
    prot |= PAGE_NOCACHE; /* always uncached */
    if (size == 0 || vm_make_perm(vm, prot, &p) != PERM_OK)
        return ERROR_INVALID_PARAMETER;
    uint32_t n = (uint32_t)(((uint64_t)size + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE);
    if ((uint64_t)n + VM_ALLOCPHYS_RESERVE > vm->pm->nfree) /* pages kept back (spec §10) */
        return ERROR_NOT_ENOUGH_MEMORY;
    uint64_t *pas = host_malloc((size_t)n * sizeof *pas);
    if (!pas)
        return ERROR_NOT_ENOUGH_MEMORY;
    uint64_t pa0;
    if (frames_alloc_contig(vm->pm, n, align_mask, &pa0)) {
        free(pas);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    for (uint32_t i = 0; i < n; i++)
        pas[i] = pa0 + (uint64_t)i * CE_PAGE_SIZE;
    /* The VA is a new reservation (64 KB-aligned; the large area from 2 MB on). */
    uint32_t base;
    uint32_t err = vm_alloc(vm, 0, n * CE_PAGE_SIZE, MEM_RESERVE, PAGE_NOACCESS, &base);
    if (!err) {
        uint32_t a = vm_abs(vm, base);
        err = vm_commit_frames(vm, a, n, prot, pas);
        if (err)
            vm_free(vm, base, 0, MEM_RELEASE);
        else
            for (uint32_t b = a >> 16; b <= (a + (n - 1) * CE_PAGE_SIZE) >> 16; b++) {
                vm->block[b]->flags |= VB_ALLOCPHYS;
                if (vm->prof->slots)
                    vm->block[b]->locks++; /* CE 5 locks the contiguous pages */
            }
    }
    if (err) {
        for (uint32_t i = 0; i < n; i++)
            frame_unref(vm->pm, pas[i]);
    } else {
        *va = base;
        *pa = pa0;
    }
    free(pas);
    return err;
}
