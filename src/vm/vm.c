/*
 * vm.c — reservations, commit state and page-table entries of the CE address space: the
 * mechanics every CE version shares (spec §14). The rules of VirtualAlloc, VirtualFree,
 * VirtualProtect and VirtualQuery — their order of checks and errors — are the profile's
 * (profile_ce5.c, profile_ce6.c); the public vm_* calls hand over to them.
 *
 * Host effects are computed, not performed: vm_sync_pages() compares each page's wanted host state
 * (present, readable, writable) with what the host has (PF_HOST*) and calls vm_ops once per run
 * of pages needing the same change. Reserve and release of uncommitted pages change nothing the
 * host can see, so they make no system call.
 */
#include "host/host.h"
#include "vm/profile.h"
#include "vm/vm_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "winerror.h"
#include "winnt.h"

#define PAGE_MASK_LO  0xFFFu
#define BLOCK_MASK_LO 0xFFFFu

/* ---- small helpers ------------------------------------------------------------------- */

static void bit_set(uint64_t *bm, uint32_t i)
{
    bm[i / 64] |= 1ull << (i % 64);
}

static void bit_clear(uint64_t *bm, uint32_t i)
{
    bm[i / 64] &= ~(1ull << (i % 64));
}

/* First used block in [from, to), or `to`. */
uint32_t vm_next_used(const uint64_t *bm, uint32_t from, uint32_t to)
{
    uint32_t i = from;
    while (i < to) {
        uint64_t w = bm[i / 64] >> (i % 64);
        if (w)
            return i + (uint32_t)__builtin_ctzll(w) < to ? i + (uint32_t)__builtin_ctzll(w) : to;
        i = (i / 64 + 1) * 64;
    }
    return to;
}

/* First free block in [from, to), or `to`. */
uint32_t vm_next_free(const uint64_t *bm, uint32_t from, uint32_t to)
{
    uint32_t i = from;
    while (i < to) {
        uint64_t w = ~bm[i / 64] >> (i % 64);
        if (w)
            return i + (uint32_t)__builtin_ctzll(w) < to ? i + (uint32_t)__builtin_ctzll(w) : to;
        i = (i / 64 + 1) * 64;
    }
    return to;
}

uint32_t vm_slot_base(const struct vm *vm)
{
    return vm->prof->slots ? (vm->cur_proc + 1) << 25 : 0; /* CE 6+: no slots, no alias */
}

uint32_t vm_abs(const struct vm *vm, uint32_t ce)
{
    return ce < CE_SECTION_SIZE ? ce | vm_slot_base(vm) : ce;
}

int vm_is_static(const struct vm *vm, uint32_t ce)
{
    return ce >= CE_KERNEL_BASE && (vm->prof->slots || ce < vm->static_end);
}

void vm_set_static_end(struct vm *vm, uint32_t end)
{
    vm->static_end = end;
    vm->kdll_lo = vm->kvm_lo = end;
    vm->kdll_hi = CE6_KVM_END;
}

int vm_accessible(const struct vm *vm, uint32_t a)
{
    return vm->prof->rules->accessible(vm, a);
}

/* Present absolute address a in the form the caller used (slot 0 if the caller did). */
uint32_t vm_caller_form(const struct vm *vm, uint32_t a, int slot0)
{
    if (slot0 && (a & ~(CE_SECTION_SIZE - 1)) == vm_slot_base(vm))
        return a & (CE_SECTION_SIZE - 1);
    return a;
}

struct vm_page *vm_page_at(struct vm *vm, uint32_t a, struct vm_block **blk)
{
    struct vm_block *b = vm->block[a >> 16];
    if (blk)
        *blk = b;
    return b ? &b->page[(a >> 12) & 15] : NULL;
}

/* ---- protections --------------------------------------------------------------------- */

struct pte_format vm_pte = {0x2u, 0xFF0u, 0xFF0u, 0x000u, 0xCu, 0x0u, 0x0u}; /* ARM */

int vm_set_cpu(const char *cpu)
{
    static const struct pte_format arm = {0x2u, 0xFF0u, 0xFF0u, 0x000u, 0xCu, 0x0u, 0x0u};
    static const struct pte_format x86 = {0x1u, 0x6u, 0x6u, 0x4u, 0x18u, 0x10u, 0x8u};
    if (!strcmp(cpu, "arm"))
        vm_pte = arm;
    else if (!strcmp(cpu, "x86"))
        vm_pte = x86;
    else
        return -1;
    return 0;
}

/* CE 5 MakePagePerms: validate a protection and turn it into PTE bits (spec §3.1). */
int vm_make_perm(const struct vm *vm, uint32_t prot, struct vm_perm *p)
{
    uint32_t base = prot & 0xFF, mods = prot & ~0xFFu;
    uint32_t writethru = vm_pte.writethru ? PAGE_x86_WRITETHRU : 0; /* accepted on x86 only */
    if (mods & ~(uint32_t)(PAGE_GUARD | PAGE_NOCACHE | writethru))
        return PERM_BAD;
    if (base == 0 || (base & (base - 1)))
        return PERM_BAD;
    p->flags = 0;
    p->bits = (mods & PAGE_NOCACHE) ? vm_pte.uncached : vm->cache_bits;
    if (mods & writethru)
        p->bits |= vm_pte.writethru;
    switch (base) {
    case PAGE_NOACCESS:
        if (mods)
            return PERM_BAD;
        p->flags = PF_NOACCESS;
        p->bits = vm->cache_bits;
        return PERM_OK;
    case PAGE_READONLY:
    case PAGE_EXECUTE:
    case PAGE_EXECUTE_READ:
        p->bits |= vm_pte.ap_ro;
        break;
    case PAGE_READWRITE:
    case PAGE_EXECUTE_READWRITE:
        p->bits |= vm_pte.ap_rw;
        break;
    default: /* PAGE_WRITECOPY, PAGE_EXECUTE_WRITECOPY */
        return PERM_WRITECOPY;
    }
    if (mods & PAGE_GUARD)
        p->flags |= PF_GUARD;
    return PERM_OK;
}

uint32_t vm_pte_from(uint64_t pa, const struct vm_perm *p)
{
    uint32_t pte = ((uint32_t)pa & PTE_FRAME_MASK) | p->bits;
    if (!(p->flags & (PF_GUARD | PF_NOACCESS)))
        pte |= vm_pte.valid;
    return pte;
}

uint32_t vm_page_protect(const struct vm_page *pg)
{
    if (pg->state != PS_COMMITTED || (pg->flags & PF_NOACCESS))
        return PAGE_NOACCESS;
    uint32_t prot = pte_writable(pg->pte) ? PAGE_READWRITE : PAGE_READONLY;
    if (pg->flags & PF_GUARD)
        prot |= PAGE_GUARD;
    if (pte_uncached(pg->pte))
        prot |= PAGE_NOCACHE;
    return prot;
}

/* Host protection a page should have. -1: not mapped. */
static int host_prot(const struct vm_page *pg)
{
    if (pg->state != PS_COMMITTED || (pg->flags & PF_NOBACKING))
        return -1;
    if (!pte_valid(pg->pte))
        return PROT_NONE;
    return pte_writable(pg->pte) ? PROT_READ | PROT_WRITE : PROT_READ;
}

/* Host protection the page has: -1 not mapped, -2 unknown (a host operation failed). */
static int current_host_prot(const struct vm_page *pg)
{
    if (pg->flags & PF_HOST_STALE)
        return -2;
    if (!(pg->flags & PF_HOST))
        return -1;
    return ((pg->flags & PF_HOST_R) ? PROT_READ : 0) | ((pg->flags & PF_HOST_W) ? PROT_WRITE : 0);
}

static void set_host_flags(struct vm_page *pg, int prot)
{
    pg->flags &= (uint8_t)~PF_HOST_BITS;
    if (prot < 0)
        return;
    pg->flags |= PF_HOST;
    if (prot & PROT_READ)
        pg->flags |= PF_HOST_R;
    if (prot & PROT_WRITE)
        pg->flags |= PF_HOST_W;
}

/* ---- block summaries (query acceleration) ------------------------------------------- */

uint32_t vm_page_summary(const struct vm_page *pg)
{
    return ((uint32_t)pg->state << 16) | vm_page_protect(pg);
}

static uint32_t block_summary(const struct vm_block *b)
{
    uint32_t s = vm_page_summary(&b->page[0]);
    if (b->page[0].state == PS_BAD)
        return BLOCK_MIXED;
    for (uint32_t i = 1; i < CE_PAGES_PER_BLOCK; i++)
        if (vm_page_summary(&b->page[i]) != s || b->page[i].state == PS_BAD)
            return BLOCK_MIXED;
    return s;
}

/* Recompute summaries of the blocks holding [va, va + n pages), then the skip counts from the
 * last of them back to the start of their uniform run. Skip counts stop at VM_SKIP_CAP, so a
 * change costs O(blocks touched + VM_SKIP_CAP) whatever the run's length (protecting one page
 * of a 64 MB region walked back 1,024 blocks), and a query crosses a long run in steps of
 * VM_SKIP_CAP blocks. */
#define VM_SKIP_CAP 16
void vm_refresh_blocks(struct vm *vm, uint32_t va, uint32_t n)
{
    if (n == 0)
        return;
    uint32_t first = va >> 16,
             last = (uint32_t)(((uint64_t)va + (uint64_t)n * CE_PAGE_SIZE - 1) >> 16);
    for (uint32_t b = first; b <= last; b++)
        if (vm->block[b])
            vm->block[b]->summary = block_summary(vm->block[b]);
    for (uint32_t b = last + 1; b-- > 0;) {
        struct vm_block *cur = vm->block[b];
        if (!cur)
            break;
        struct vm_block *next = b + 1 < CE_ALL_BLOCKS ? vm->block[b + 1] : NULL;
        uint32_t skip = cur->summary == BLOCK_MIXED ? 0 : 1;
        if (skip && next && next->base_block == cur->base_block && next->summary == cur->summary)
            skip += next->skip;
        if (skip > VM_SKIP_CAP)
            skip = VM_SKIP_CAP; /* so a change walks back at most VM_SKIP_CAP blocks */
        if (b < first && cur->skip == skip)
            break; /* nothing changes further back */
        cur->skip = skip;
        if (cur->base_block == b)
            break;
    }
}

/* ---- host synchronisation ------------------------------------------------------------ */

enum sync_op { OP_NONE, OP_MAP, OP_UNMAP, OP_PROTECT };

struct run {
    enum sync_op op;
    uint32_t va, n;
    uint64_t pa;
    int prot;
    int exec; /* PROT_EXEC added on the host: read-only pages of a module image */
};

static int flush_run(struct vm *vm, struct run *r)
{
    int rc = 0;
    int host = r->exec ? r->prot | PROT_EXEC : r->prot;
    if (r->op == OP_MAP)
        rc = vm->ops.map(vm->ops.ctx, r->va, r->n, r->pa, host);
    else if (r->op == OP_UNMAP)
        rc = vm->ops.unmap(vm->ops.ctx, r->va, r->n);
    else if (r->op == OP_PROTECT)
        rc = vm->ops.protect(vm->ops.ctx, r->va, r->n, host);
    if (r->op != OP_NONE) {
        /* On failure part of the run may have changed (each page has two views: the process
         * slot and the slot-0 alias): mark it stale so the next sync redoes it whole. */
        for (uint32_t i = 0; i < r->n; i++) {
            struct vm_page *pg = vm_page_at(vm, r->va + i * CE_PAGE_SIZE, NULL);
            set_host_flags(pg, r->op == OP_UNMAP ? -1 : r->prot);
            if (rc)
                pg->flags |= PF_HOST_STALE;
        }
    }
    r->op = OP_NONE;
    r->n = 0;
    return rc;
}

/* Bring the host in line with the page entries of [va, va + n pages). Return: 0 or -1. */
int vm_sync_pages(struct vm *vm, uint32_t va, uint32_t n)
{
    struct run r = {OP_NONE, 0, 0, 0, 0, 0};
    int rc = 0;
    /* CE 6+: a call working on a process that is not current leaves the host alone (space.c);
     * a switch takes the outgoing process's pages out (hide_user). */
    if (vm->quiet && va < CE_KERNEL_BASE)
        return 0;
    int hide = vm->hide_user && va < CE_KERNEL_BASE;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = va + i * CE_PAGE_SIZE;
        struct vm_block *blk;
        struct vm_page *pg = vm_page_at(vm, a, &blk);
        if (!pg)
            continue;
        int want = hide ? -1 : host_prot(pg), have = current_host_prot(pg);
        int exec = (blk->flags & VB_IMAGE) && want == PROT_READ;
        enum sync_op op = OP_NONE;
        if (want >= 0 && have < 0)
            op = OP_MAP; /* absent or unknown: (re)map it whole */
        else if (want < 0 && have != -1)
            op = OP_UNMAP;
        else if (want >= 0 && want != have)
            op = OP_PROTECT;
        uint64_t pa = vm_page_pa(pg);
        int extend = r.op == op && r.n > 0 && r.va + r.n * CE_PAGE_SIZE == a &&
                     (op == OP_UNMAP || (r.prot == want && r.exec == exec)) &&
                     (op != OP_MAP || r.pa + (uint64_t)r.n * CE_PAGE_SIZE == pa);
        if (!extend) {
            if (flush_run(vm, &r))
                rc = -1;
            r.op = op;
            r.va = a;
            r.pa = pa;
            r.prot = want;
            r.exec = exec;
        }
        if (op != OP_NONE)
            r.n++;
    }
    if (flush_run(vm, &r))
        rc = -1;
    return rc;
}

/* ---- blocks and reservations --------------------------------------------------------- */

static struct vm_block *block_new(struct vm *vm)
{
    struct vm_block *b = vm->pool;
    if (b)
        vm->pool = b->next_free;
    else
        b = host_malloc(sizeof *b);
    return b;
}

static void block_put(struct vm *vm, struct vm_block *b)
{
    b->next_free = vm->pool;
    vm->pool = b;
}

/* Create the blocks of a reservation of `pages` pages at block-aligned absolute va. */
uint32_t vm_reserve_blocks(struct vm *vm, uint32_t va, uint32_t pages, uint16_t bflags)
{
    uint32_t first = va >> 16, nblocks = (pages + 15) / 16;
    for (uint32_t i = 0; i < nblocks; i++) {
        struct vm_block *b = block_new(vm);
        if (!b) {
            for (uint32_t k = 0; k < i; k++) {
                block_put(vm, vm->block[first + k]);
                vm->block[first + k] = NULL;
                bit_clear(vm->used, first + k);
            }
            return ERROR_NOT_ENOUGH_MEMORY;
        }
        memset(b, 0, sizeof *b);
        b->base_block = first;
        b->flags = bflags;
        for (uint32_t p = 0; p < CE_PAGES_PER_BLOCK; p++)
            b->page[p].state = i * 16 + p < pages ? PS_RESERVED : PS_BAD;
        vm->block[first + i] = b;
        bit_set(vm->used, first + i);
    }
    vm_refresh_blocks(vm, va, nblocks * CE_PAGES_PER_BLOCK);
    return 0;
}

/* Number of blocks of the reservation starting at block `first`. */
uint32_t vm_reservation_blocks(const struct vm *vm, uint32_t first)
{
    uint32_t b = first;
    while (b < CE_ALL_BLOCKS && vm->block[b] && vm->block[b]->base_block == first)
        b++;
    return b - first;
}

static void release_blocks(struct vm *vm, uint32_t first, uint32_t nblocks)
{
    for (uint32_t i = 0; i < nblocks; i++) {
        block_put(vm, vm->block[first + i]);
        vm->block[first + i] = NULL;
        bit_clear(vm->used, first + i);
    }
}

/* Is [a, a + n pages) inside one reservation, with no page past its end? */
int vm_in_one_reservation(const struct vm *vm, uint32_t a, uint32_t n)
{
    if (n == 0 || (uint64_t)a + (uint64_t)n * CE_PAGE_SIZE > 0x100000000ull)
        return 0;
    const struct vm_block *first = vm->block[a >> 16];
    if (!first)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = a + i * CE_PAGE_SIZE;
        const struct vm_block *b = vm->block[p >> 16];
        if (!b || b->base_block != first->base_block || b->page[(p >> 12) & 15].state == PS_BAD)
            return 0;
    }
    return 1;
}

/* The pages touched by [a, a + size): *first and *n. Return: 1 if they lie inside one
 * reservation (none past the reservation's end), else 0. */
int vm_reservation_range(const struct vm *vm, uint32_t a, uint32_t size, uint32_t *first,
                         uint32_t *n)
{
    uint64_t end = (uint64_t)a + size;
    if (end > 0x100000000ull)
        return 0;
    *first = a & ~PAGE_MASK_LO;
    *n = (uint32_t)((end - *first + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE);
    return vm_in_one_reservation(vm, *first, *n);
}

/* Put pages [a, a + n) back as saved, keeping what the host has now (PF_HOST*), then bring
 * the host in line again. Used to undo a change the host refused. */
void vm_restore_pages(struct vm *vm, uint32_t a, uint32_t n, struct vm_page *saved)
{
    const uint8_t hostbits = PF_HOST_BITS;
    for (uint32_t i = 0; i < n; i++) {
        struct vm_page *pg = vm_page_at(vm, a + i * CE_PAGE_SIZE, NULL);
        uint8_t host = pg->flags & hostbits;
        *pg = saved[i];
        pg->flags = (uint8_t)((pg->flags & ~hostbits) | host);
    }
    vm_sync_pages(vm, a, n);
}

/* ---- commit and decommit ------------------------------------------------------------- */

/* Drop a page's frame and make it reserved (the host is synced by the caller). */
static void decommit_page(struct vm *vm, struct vm_page *pg)
{
    if (pg->state != PS_COMMITTED)
        return;
    if (!(pg->flags & PF_DEVICE))
        frame_unref(vm->pm, vm_page_pa(pg));
    pg->state = PS_RESERVED;
    pg->pte = 0;
    pg->pa_hi = 0;
    pg->flags &= PF_HOST_BITS;
}

/* Decommit [a, a + n pages) of one reservation, skipping locked blocks when honour_locks.
 * All or nothing: if the host refuses to unmap, the frames are taken back and every page is
 * restored. Return: 0 or ERROR_NOT_ENOUGH_MEMORY. */
uint32_t vm_decommit_range(struct vm *vm, uint32_t a, uint32_t n, int honour_locks)
{
    if (n == 0)
        return 0;
    struct vm_page *saved = host_malloc((size_t)n * sizeof *saved);
    if (!saved)
        return ERROR_NOT_ENOUGH_MEMORY;
    for (uint32_t i = 0; i < n; i++) {
        struct vm_block *b;
        struct vm_page *pg = vm_page_at(vm, a + i * CE_PAGE_SIZE, &b);
        saved[i] = *pg;
        if (honour_locks && b->locks) /* locked blocks are not decommitted (spec §4) */
            continue;
        decommit_page(vm, pg);
    }
    uint32_t err = 0;
    if (vm_sync_pages(vm, a, n)) {
        for (uint32_t i = 0; i < n; i++)
            if (saved[i].state == PS_COMMITTED && !(saved[i].flags & PF_DEVICE) &&
                vm_page_at(vm, a + i * CE_PAGE_SIZE, NULL)->state != PS_COMMITTED)
                frame_ref(vm->pm, vm_page_pa(&saved[i]));
        vm_restore_pages(vm, a, n, saved);
        err = ERROR_NOT_ENOUGH_MEMORY;
    }
    vm_refresh_blocks(vm, a, n);
    free(saved);
    return err;
}

/* Commit [a, a + n pages) of one reservation with perm p: new frames for reserved pages, new
 * protection for committed ones (frames and data kept). All or nothing. Return: 0 or 8. */
#define COMMIT_ON_STACK 16 /* pages whose bookkeeping fits on the stack */

static void commit_free(struct vm_page *saved, uint64_t *pas, uint32_t n)
{
    if (n > COMMIT_ON_STACK) {
        free(saved);
        free(pas);
    }
}

uint32_t vm_commit_pages(struct vm *vm, uint32_t a, uint32_t n, const struct vm_perm *p)
{
    /* Small commits (the fault handler's MEM_AUTO_COMMIT page among them) allocate nothing:
     * malloc is not for signal handlers. */
    struct vm_page saved_small[COMMIT_ON_STACK];
    uint64_t pas_small[COMMIT_ON_STACK];
    struct vm_page *saved =
        n <= COMMIT_ON_STACK ? saved_small : host_malloc((size_t)n * sizeof *saved);
    uint64_t *pas = n <= COMMIT_ON_STACK ? pas_small : host_malloc((size_t)n * sizeof *pas);
    if (!saved || !pas) {
        if (n > COMMIT_ON_STACK) {
            free(saved);
            free(pas);
        }
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    uint32_t need = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct vm_page *pg = vm_page_at(vm, a + i * CE_PAGE_SIZE, NULL);
        saved[i] = *pg;
        need += pg->state == PS_RESERVED;
    }
    if (frames_alloc(vm->pm, need, pas)) {
        commit_free(saved, pas, n);
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct vm_page *pg = vm_page_at(vm, a + i * CE_PAGE_SIZE, NULL);
        uint8_t keep = pg->flags & PF_HOST_BITS;
        if (pg->state == PS_RESERVED) {
            pg->state = PS_COMMITTED;
            pg->pte = vm_pte_from(pas[k], p);
            pg->pa_hi = (uint8_t)(pas[k] >> 32);
            k++;
        } else {
            keep |= pg->flags & PF_FRAME_BITS;
            pg->pte = vm_pte_from(vm_page_pa(pg), p);
        }
        pg->flags = keep | p->flags;
    }
    uint32_t err = 0;
    if (vm_sync_pages(vm, a, n)) {
        /* The host refused: free the new frames and put every page back as it was. */
        for (uint32_t i = 0; i < n; i++)
            if (saved[i].state == PS_RESERVED)
                frame_unref(vm->pm, vm_page_pa(vm_page_at(vm, a + i * CE_PAGE_SIZE, NULL)));
        vm_restore_pages(vm, a, n, saved);
        err = ERROR_NOT_ENOUGH_MEMORY;
    }
    vm_refresh_blocks(vm, a, n);
    commit_free(saved, pas, n);
    return err;
}

/* ---- VirtualAlloc -------------------------------------------------------------------- */

/* Release a whole reservation: decommit, free its blocks and large-area bookkeeping.
 * Return: 0, or ERROR_NOT_ENOUGH_MEMORY with nothing changed if the host refused. */
uint32_t vm_release_reservation(struct vm *vm, uint32_t first)
{
    uint32_t nb = vm_reservation_blocks(vm, first);
    int huge = (vm->block[first]->flags & VB_HUGE) != 0;
    uint32_t err = vm_decommit_range(vm, first << 16, nb * CE_PAGES_PER_BLOCK, 0);
    if (err)
        return err;
    release_blocks(vm, first, nb);
    if (huge)
        vm_huge_release(vm, first << 16);
    return 0;
}

int vm_first_fit(const struct vm *vm, uint32_t lo, uint32_t hi, uint32_t nb, uint32_t *at)
{
    uint32_t b = vm_next_free(vm->used, lo, hi);
    while (b + nb <= hi) {
        uint32_t u = vm_next_used(vm->used, b, b + nb);
        if (u == b + nb)
            break;
        b = vm_next_free(vm->used, u, hi);
    }
    if (nb == 0 || b + nb > hi)
        return 0;
    *at = b;
    return 1;
}

int vm_last_fit(const struct vm *vm, uint32_t lo, uint32_t hi, uint32_t nb, uint32_t *at)
{
    uint32_t top = hi;
    for (;;) {
        if (nb == 0 || top < lo + nb)
            return 0;
        uint32_t u = vm_next_used(vm->used, top - nb, top);
        if (u == top)
            break;
        top = u;
    }
    *at = top - nb;
    return 1;
}

/* Place nb blocks in area `what` of process proc (the profile says where). */
static int place(const struct vm *vm, enum vm_area what, uint32_t proc, uint32_t nb, uint32_t *at)
{
    uint32_t lo, hi;
    int top_down;
    vm->prof->rules->area(vm, what, proc, &lo, &hi, &top_down);
    return top_down ? vm_last_fit(vm, lo, hi, nb, at) : vm_first_fit(vm, lo, hi, nb, at);
}

/* Release the reservation whose first block is first whatever its locks (LockPages,
 * AllocPhysMem): the owner's release or the machine's end. Return: as release_reservation. */
uint32_t vm_release_forced(struct vm *vm, uint32_t first)
{
    for (uint32_t i = 0, nb = vm_reservation_blocks(vm, first); i < nb; i++)
        vm->block[first + i]->locks = 0;
    vm_unlock_all(vm, first << 16, vm_reservation_blocks(vm, first) * CE_PAGES_PER_BLOCK);
    return vm_release_reservation(vm, first);
}

uint32_t vm_release_all(struct vm *vm)
{
    uint32_t n = vm_space_release_all(vm);
    for (uint32_t b = 0; b < CE_ALL_BLOCKS; b++) {
        struct vm_block *blk = vm->block[b];
        if (!blk || blk->base_block != b || (blk->flags & VB_HOST)) /* held since boot */
            continue;
        if (vm_release_forced(vm, b))
            return UINT32_MAX;
        n++;
    }
    return n;
}

/* ---- VirtualFree --------------------------------------------------------------------- */

/* ---- module images ------------------------------------------------------------------- */

/* Reserve pages pages at absolute a (its blocks free) with block flags bflags, and commit pages
 * [first, first + n) of it read-write. Return: 0, or the error (nothing left reserved). */
static uint32_t reserve_and_commit(struct vm *vm, uint32_t a, uint32_t pages, uint16_t bflags,
                                   uint32_t first, uint32_t n)
{
    uint32_t e = vm_reserve_blocks(vm, a, pages, bflags);
    if (e)
        return e;
    struct vm_perm p;
    vm_make_perm(vm, PAGE_READWRITE, &p);
    if (n && (e = vm_commit_pages(vm, a + first * CE_PAGE_SIZE, n, &p)))
        vm_release_reservation(vm, a >> 16);
    return e;
}

uint32_t vm_image_reserve(struct vm *vm, uint32_t size, uint32_t *base)
{
    uint32_t pages = (uint32_t)(((uint64_t)size + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE), at;
    if (size == 0 || !place(vm, AREA_IMAGE, vm->cur_proc, (pages + 15) / 16, &at))
        return ERROR_NOT_ENOUGH_MEMORY;
    uint32_t e = reserve_and_commit(vm, at << 16, pages, VB_IMAGE, 0, pages);
    if (e)
        return e;
    if (!vm->prof->slots) {
        *base = at << 16;
        return 0;
    }
    uint32_t rel = (at << 16) & (CE_SECTION_SIZE - 1);
    if (rel < vm->dll_base)
        vm->dll_base = rel;
    *base = rel;
    return 0;
}

/* Can nb blocks be reserved at slot-relative rel of the slot at slot_base (rel 64 KB-aligned,
 * from 0x10000, the blocks inside the slot and free)? */
static int free_at(const struct vm *vm, uint32_t slot_base, uint32_t rel, uint32_t nb)
{
    uint32_t first = (slot_base | rel) >> 16;
    return nb && !(rel & BLOCK_MASK_LO) && rel >= CE_BLOCK_SIZE &&
           (uint64_t)rel + (uint64_t)nb * CE_BLOCK_SIZE <= CE_SECTION_SIZE &&
           vm_next_used(vm->used, first, first + nb) == first + nb;
}

uint32_t vm_image_reserve_at(struct vm *vm, uint32_t rel, uint32_t size)
{
    uint32_t a = vm_slot_base(vm) | rel;
    uint32_t pages = (uint32_t)(((uint64_t)size + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE);
    if (!free_at(vm, vm_slot_base(vm), rel, (pages + 15) / 16))
        return ERROR_INVALID_PARAMETER;
    return reserve_and_commit(vm, a, pages, VB_IMAGE, 0, pages);
}

uint32_t vm_hold(struct vm *vm, uint32_t a, uint32_t size, uint16_t flag)
{
    uint32_t pages = (uint32_t)(((uint64_t)size + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE);
    uint32_t nb = (pages + 15) / 16;
    if ((a & BLOCK_MASK_LO) || !pages ||
        (uint64_t)a + (uint64_t)nb * CE_BLOCK_SIZE > CE_KERNEL_BASE ||
        vm_next_used(vm->used, a >> 16, (a >> 16) + nb) != (a >> 16) + nb)
        return ERROR_INVALID_PARAMETER;
    return vm_reserve_blocks(vm, a, pages, (uint16_t)(flag | VB_HOST));
}

/* Release the reservation starting at base (CE form) whose blocks carry flag, whatever its
 * state and locks: how the loader and the stack owner let go of what VirtualFree refuses. */
static uint32_t release_owned(struct vm *vm, uint32_t base, uint16_t flag)
{
    uint32_t a = vm_abs(vm, base), blk = a >> 16;
    struct vm_block *b = vm->block[blk];
    if (!b || (a & BLOCK_MASK_LO) || b->base_block != blk || !(b->flags & flag))
        return ERROR_INVALID_PARAMETER;
    return vm_release_forced(vm, blk);
}

uint32_t vm_image_release(struct vm *vm, uint32_t base)
{
    return release_owned(vm, base, VB_IMAGE);
}

/* ---- thread stacks ------------------------------------------------------------------- */

/* The lowest bytes of a stack are never committed: touching them is the overflow (CE keeps 2 KB
 * on CE 5 for overflow handling; x86-64 frames are larger). */
#define STACK_OVERFLOW_ZONE (4 * CE_PAGE_SIZE)

uint32_t vm_stack_reserve(struct vm *vm, uint32_t size, uint32_t commit, uint32_t *base)
{
    if (size == 0 || commit > size || size >= CE_MAX_SLOT_ALLOC)
        return ERROR_INVALID_PARAMETER;
    uint32_t pages = (uint32_t)(((uint64_t)size + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE);
    uint32_t top_pages = (commit + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE, at;
    if (!place(vm, AREA_STACK, vm->cur_proc, (pages + 15) / 16, &at))
        return ERROR_NOT_ENOUGH_MEMORY;
    uint32_t e = reserve_and_commit(vm, at << 16, pages, VB_STACK, pages - top_pages, top_pages);
    if (e)
        return e;
    *base = vm_caller_form(vm, at << 16, 1);
    return 0;
}

/* ---- another process's memory ---------------------------------------------------------- */

uint32_t vm_proc_alloc(struct vm *vm, uint32_t proc, uint32_t at, uint32_t size, uint32_t *abs)
{
    /* CE 6+: the caller's user space is the one the window shows (no slots). */
    uint32_t slot = vm->prof->slots ? (proc + 1) << 25 : 0;
    if (proc < 1 || proc > 31 || (vm->prof->slots && proc == vm->cur_proc) || size == 0 ||
        size >= CE_MAX_SLOT_ALLOC || (at && (at < CE_BLOCK_SIZE || at >= CE_SECTION_SIZE)))
        return ERROR_INVALID_PARAMETER;
    uint32_t pages =
        (uint32_t)(((uint64_t)size + (at & PAGE_MASK_LO) + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE);
    uint32_t nb = (((at & BLOCK_MASK_LO) >> 12) + pages + 15) / 16, first;
    if (at) {
        first = (slot | at) >> 16;
        if (!free_at(vm, slot, at & ~BLOCK_MASK_LO, nb))
            return ERROR_INVALID_PARAMETER;
    } else if (!place(vm, AREA_CALLER, proc, nb, &first))
        return ERROR_NOT_ENOUGH_MEMORY;
    uint32_t n = nb * CE_PAGES_PER_BLOCK;
    uint32_t e = reserve_and_commit(vm, first << 16, n, 0, 0, n);
    if (e)
        return e;
    *abs = at ? (slot | at) : first << 16;
    return 0;
}

uint32_t vm_proc_release(struct vm *vm, uint32_t abs)
{
    uint32_t blk = abs >> 16, sec = abs >> 25;
    struct vm_block *b = vm->block[blk];
    if (!b || (vm->prof->slots ? sec < 2 || sec > 32 || sec == vm->cur_proc + 1
                               : abs >= CE_KERNEL_BASE || (b->flags & (VB_IMAGE | VB_STACK))))
        return ERROR_INVALID_PARAMETER;
    return vm_release_forced(vm, b->base_block);
}

uint32_t vm_stack_reserve_at(struct vm *vm, uint32_t rel, uint32_t size)
{
    uint32_t a = vm_slot_base(vm) | rel;
    uint32_t pages = (uint32_t)(((uint64_t)size + CE_PAGE_SIZE - 1) / CE_PAGE_SIZE);
    uint32_t zone = STACK_OVERFLOW_ZONE / CE_PAGE_SIZE;
    if (pages <= zone || !free_at(vm, vm_slot_base(vm), rel, (pages + 15) / 16))
        return ERROR_INVALID_PARAMETER;
    return reserve_and_commit(vm, a, pages, VB_STACK, zone, pages - zone);
}

int vm_is_stack(const struct vm *vm, uint32_t ce)
{
    if (vm_is_static(vm, ce))
        return 0;
    const struct vm_block *b = vm->block[vm_abs(vm, ce) >> 16];
    return b && (b->flags & VB_STACK);
}

uint32_t vm_stack_release(struct vm *vm, uint32_t base)
{
    return release_owned(vm, base, VB_STACK);
}

/* ---- VirtualQuery's answer ----------------------------------------------------------- */

void vm_describe(struct vm *vm, uint32_t a, uint32_t end_blk, struct vm_query *q)
{
    uint32_t blk = a >> 16;
    struct vm_block *b = vm->block[blk];
    memset(q, 0, sizeof *q);
    q->base = a;
    q->alloc_protect = PAGE_NOACCESS;
    if (!b || b->page[(a >> 12) & 15].state == PS_BAD) {
        /* Free: to the end of this block, then any following free blocks. */
        uint64_t end = (uint64_t)vm_next_used(vm->used, blk + 1, end_blk) << 16;
        q->size = (uint32_t)(end - a);
        q->state = MEM_FREE;
        q->protect = PAGE_NOACCESS;
        q->type = vm->prof->free_type;
        return;
    }
    struct vm_page *pg = &b->page[(a >> 12) & 15];
    uint8_t state = pg->state;
    uint32_t prot = vm_page_protect(pg), want = vm_page_summary(pg);
    uint32_t n = 0;
    uint64_t at = a;
    while (at < 0x100000000ull) {
        struct vm_block *cb = vm->block[at >> 16];
        if (!cb || cb->base_block != b->base_block)
            break;
        if ((at & BLOCK_MASK_LO) == 0 && cb->summary == want && cb->skip) {
            /* A uniform run of whole blocks: cross it in one step. */
            n += cb->skip * CE_PAGES_PER_BLOCK;
            at += (uint64_t)cb->skip * CE_BLOCK_SIZE;
            continue;
        }
        if (vm_page_summary(&cb->page[(at >> 12) & 15]) != want)
            break;
        n++;
        at += CE_PAGE_SIZE;
    }
    q->size = n * CE_PAGE_SIZE;
    q->alloc_base = b->base_block << 16;
    q->state = state == PS_COMMITTED ? MEM_COMMIT : MEM_RESERVE;
    q->protect = state == PS_COMMITTED ? prot : PAGE_NOACCESS;
    q->type = (b->flags & VB_IMAGE) ? MEM_IMAGE : MEM_PRIVATE;
}

/* ---- the calls whose rules are the profile's ------------------------------------------ */

uint32_t vm_alloc(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type, uint32_t prot,
                  uint32_t *out)
{
    return vm->prof->rules->alloc(vm, ce, size, type, prot, out);
}

uint32_t vm_free(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type)
{
    return vm->prof->rules->free(vm, ce, size, type);
}

uint32_t vm_protect(struct vm *vm, uint32_t ce, uint32_t size, uint32_t prot, uint32_t *old)
{
    return vm->prof->rules->protect(vm, ce, size, prot, old);
}

uint32_t vm_query(struct vm *vm, uint32_t ce, struct vm_query *q)
{
    return vm->prof->rules->query(vm, ce, q);
}

uint32_t vm_lock_pages(struct vm *vm, uint32_t ce, uint32_t size, uint32_t *pfn, uint32_t opts)
{
    return vm->prof->rules->lock(vm, ce, size, pfn, opts);
}

uint32_t vm_unlock_pages(struct vm *vm, uint32_t ce, uint32_t size)
{
    return vm->prof->rules->unlock(vm, ce, size);
}

/* Forget every CE 6 locked range inside pages [a, a + n) (their reservation is going). */
void vm_unlock_all(struct vm *vm, uint32_t a, uint32_t n)
{
    uint64_t end = (uint64_t)a + (uint64_t)n * CE_PAGE_SIZE;
    for (uint32_t i = 0; i < vm->nlockr;) {
        const struct vm_lock_range *r = &vm->lockr[i];
        if (r->va >= a && r->va < end && (r->va >= CE_KERNEL_BASE || r->space == vm->cur_space))
            vm->lockr[i] = vm->lockr[--vm->nlockr];
        else
            i++;
    }
}

/* ---- faults -------------------------------------------------------------------------- */

enum vm_fault_result vm_fault(struct vm *vm, uint32_t ce, int write, const char **reason,
                              uint64_t *pa)
{
    uint32_t a = vm_abs(vm, ce);
    struct vm_block *b;
    struct vm_page *pg = vm_page_at(vm, a, &b);
    if (!pg) {
        /* A free block just below a thread stack: a frame larger than the stack's overflow
         * zone jumped past it. */
        const struct vm_block *up = (a >> 16) + 1 < CE_ALL_BLOCKS ? vm->block[(a >> 16) + 1] : NULL;
        if (up && (up->flags & VB_STACK) && up->base_block == (a >> 16) + 1) {
            *reason = "stack overflow: a frame reached below the thread's stack";
            return FAULT_STACK_OVERFLOW;
        }
        *reason = "address is not reserved (MEM_FREE)";
        return FAULT_RAISE;
    }
    if (pg->state == PS_BAD) {
        *reason = "address is past the end of its reservation";
        return FAULT_RAISE;
    }
    if (pg->state == PS_RESERVED) {
        /* MEM_AUTO_COMMIT and thread stacks commit a read-write page on touch. A stack grows
         * down to its overflow zone (CE commits behind a guard page; cevm commits any page of
         * the stack, as if every frame were probed). */
        int stack = (b->flags & VB_STACK) != 0;
        if (stack || (b->flags & VB_AUTOCOMMIT)) {
            if (stack && (a >> 16) == b->base_block && (a & BLOCK_MASK_LO) < STACK_OVERFLOW_ZONE) {
                *reason = "stack overflow: the thread used its whole stack reservation";
                return FAULT_STACK_OVERFLOW;
            }
            if (b->flags & VB_HOST) {
                *reason = "host memory the VM only describes";
                return FAULT_RAISE;
            }
            struct vm_perm p;
            vm_make_perm(vm, PAGE_READWRITE, &p);
            if (vm_commit_pages(vm, a & ~PAGE_MASK_LO, 1, &p) == 0)
                return FAULT_RETRY;
            *reason = stack ? "the stack found no free RAM to grow into"
                            : "MEM_AUTO_COMMIT found no free RAM";
            return stack ? FAULT_STACK_OVERFLOW : FAULT_RAISE;
        }
        *reason = "page is reserved but not committed";
        return FAULT_RAISE;
    }
    if (pg->flags & PF_GUARD) {
        *reason = "guard page (PAGE_GUARD fires once)";
        return FAULT_RAISE_GUARD;
    }
    if ((pg->flags & PF_NOBACKING) && !(pg->flags & PF_NOACCESS) && pte_valid(pg->pte) &&
        (!write || pte_writable(pg->pte))) {
        *pa = vm_page_pa(pg) | (ce & PAGE_MASK_LO);
        *reason = "no device at this physical address";
        return FAULT_PHYSICAL;
    }
    if (pg->flags & PF_NOACCESS) {
        *reason = "page is PAGE_NOACCESS";
        return FAULT_RAISE;
    }
    if (!pte_valid(pg->pte)) {
        *reason = "page-table entry is not valid";
        return FAULT_RAISE;
    }
    if (write && !pte_writable(pg->pte)) {
        *reason = "page is read-only";
        return FAULT_RAISE;
    }
    /* The page allows the access, so the host view is out of date (another thread changed
     * it, or a host operation failed): redo the page's mapping whole. */
    pg->flags |= PF_HOST_STALE;
    vm_sync_pages(vm, a & ~PAGE_MASK_LO, 1);
    return FAULT_RETRY;
}

void vm_clear_guard(struct vm *vm, uint32_t ce)
{
    uint32_t a = vm_abs(vm, ce);
    struct vm_page *pg = vm_page_at(vm, a, NULL);
    if (!pg || pg->state != PS_COMMITTED || !(pg->flags & PF_GUARD))
        return;
    pg->flags &= (uint8_t)~PF_GUARD;
    pg->pte |= vm_pte.valid;
    vm_sync_pages(vm, a & ~PAGE_MASK_LO, 1);
    vm_refresh_blocks(vm, a & ~PAGE_MASK_LO, 1);
}

/* ---- life cycle ---------------------------------------------------------------------- */

void vm_init(struct vm *vm, const struct vm_profile *prof, struct phys_map *pm,
             const struct vm_ops *ops, uint32_t cache_bits, uint32_t proc)
{
    /* vm arrives zeroed (the machine is calloc'ed): its 512 KB block table is not written here,
     * so a fresh process does not fault in pages it has not used yet (0.3 ms of a boot). */
    vm->prof = prof;
    vm->static_end = CE6_STATIC_END;
    vm->kdll_lo = CE6_KDLL_BASE;
    vm->kdll_hi = CE6_OBJSTORE_BASE;
    vm->kvm_lo = CE6_KVM_BASE;
    vm->pm = pm;
    vm->ops = *ops;
    vm->cache_bits = cache_bits;
    vm->cur_proc = proc;
    vm->aky = 1u | (1u << proc); /* NK and the process itself */
    if (!prof->slots) {          /* CE 6+: the first user space is the calling application's */
        uint32_t idx;
        vm_space_create(vm, &idx); /* storage for it while another process is current */
    }
    vm->trusted = 1;
    vm->dll_base = CE_SECTION_SIZE; /* no RAM DLLs loaded: nothing above it */
}

void vm_destroy(struct vm *vm)
{
    /* The machine unmaps the whole window and drops every frame next: only the block
     * structures need freeing here. */
    vm_space_destroy(vm);
    for (uint32_t i = 0; i < CE_ALL_BLOCKS; i++)
        free(vm->block[i]);
    while (vm->pool) {
        struct vm_block *b = vm->pool;
        vm->pool = b->next_free;
        free(b);
    }
    free(vm->huge);
    free(vm->lockr);
    memset(vm->block, 0, sizeof vm->block);
    vm->huge = NULL;
    vm->nhuge = vm->caphuge = 0;
    vm->lockr = NULL;
    vm->nlockr = vm->caplockr = 0;
}
