/*
 * vm.h — the CE kernel virtual-memory model (CE 5.0 slot layout; CE 6.0 / Compact 7 2 GB
 * processes and kernel VM, chosen by the profile, vm/profile.h).
 *
 * This layer is the truth about the CE address space: reservations, commit state and software
 * page-table entries. It makes no host calls itself; whenever pages become present, change
 * protection or go away it calls the vm_ops table, which the machine wires to the host window.
 *
 * Layout (spec §1.1): 32 MB sections ("slots") of 512 64 KB blocks of 16 4 KB pages. Slot 0
 * aliases the current process; processes live in slots 2..32; 0x42000000..0x7BFFFFFF is the
 * large (mapper) area that holds huge reservations; 0x7C000000 is the shared section,
 * 0x7E000000 the resource section; 0x80000000 and up is kernel space (static windows).
 *
 * Data structures (after CE's SectionTable/MEMBLOCK, spec §14): a flat table of block pointers
 * for the 2 GB user space (one per 64 KB block, NULL when free), a bitmap of used blocks for
 * first-fit searches and free-run lengths, and per block 16 page entries. Every block of a
 * reservation records the reservation's first block (base_block); pages past the end of a
 * reservation in its last block are PS_BAD. Lookups are O(1); nothing scales with the number of
 * reservations.
 *
 * Functions taking a CE address accept it as the caller gave it (slot 0 or absolute) and
 * return addresses in the same form. They return a CE error code: 0 on success, or the
 * GetLastError value (87, 8, 14, 50, ...). The caller holds the machine lock.
 */
#ifndef CEVM_VM_H
#define CEVM_VM_H

#include <stddef.h>
#include <stdint.h>

#include "phys/phys.h"

#define CE_PAGE_SIZE          0x1000u
#define CE_BLOCK_SIZE         0x10000u
#define CE_SECTION_SIZE       0x2000000u
#define CE_PAGES_PER_BLOCK    16u
#define CE_BLOCKS_PER_SECTION 512u
#define CE_USER_BLOCKS        32768u /* 0x00000000..0x7FFFFFFF */
#define CE_ALL_BLOCKS         65536u /* the whole 4 GB: CE 6 kernel VM lives above 0xC0000000 */
#define CE_FIRST_MAPPER       0x42000000u
#define CE_LAST_MAPPER        0x7C000000u
#define CE_MAPPER_SECTIONS    29u
#define CE_SHARED_SECTION     0x7C000000u
#define CE_RESOURCE_SECTION   0x7E000000u
#define CE_KERNEL_BASE        0x80000000u
/* NK's slot, the "secure section" 0x61: not a kernel VA for IsKernelVa (spec §1.1). */
#define CE_SECURE_SECTION_BASE 0xC2000000u
#define CE_SECURE_SECTION_END  0xC4000000u
#define CE_HUGE_THRESHOLD      0x200000u /* 2 MB: rounded size >= this goes to the large area */
#define CE_MAX_SLOT_ALLOC      0x2000000u

/* page state */
enum { PS_RESERVED = 0, PS_COMMITTED = 1, PS_BAD = 2 };
/* page flags */
enum {
    PF_GUARD = 0x01,      /* PAGE_GUARD: the first touch raises, then clears */
    PF_NOACCESS = 0x02,   /* committed PAGE_NOACCESS */
    PF_DEVICE = 0x04,     /* frame is not managed RAM: no reference held */
    PF_HOST = 0x08,       /* the host has this page mapped */
    PF_HOST_R = 0x10,     /* ... readable */
    PF_HOST_W = 0x20,     /* ... writable */
    PF_HOST_STALE = 0x40, /* a host operation on it failed: the host state is unknown */
    PF_NOBACKING = 0x80   /* the frame has no host backing: never mapped, touches fault */
};
#define PF_HOST_BITS  (PF_HOST | PF_HOST_R | PF_HOST_W | PF_HOST_STALE)
#define PF_FRAME_BITS (PF_DEVICE | PF_NOBACKING) /* properties of the frame, kept on re-protect */
#define BLOCK_MIXED   0xFFFFFFFFu
/* block flags */
enum {
    VB_AUTOCOMMIT = 0x1,
    VB_HUGE = 0x2,
    VB_ALLOCPHYS = 0x4,
    VB_IMAGE = 0x8,
    VB_STACK = 0x10,
    VB_HOST = 0x20 /* host memory the VM only describes (vm_hold): never committed or mapped */
};

/* The page-table entry format of the board's CPU (one per process: vm_set_cpu at boot).
 * ARM small-page descriptor (v4/v5 access permissions, spec §8): valid 0x2, C/B 0xC (cached:
 * the board's cache bits; uncached 0), AP 0xFF0 (read-write) / 0x000 (read-only).
 * x86 (IA-32 page-table entry): P 0x1, R/W 0x2 and U/S 0x4 (0x6 read-write, 0x4 read-only),
 * PWT 0x8 (PAGE_x86_WRITETHRU), PCD 0x10 (uncached: PAGE_NOCACHE). The frame is 0xFFFFF000 on
 * both. */
struct pte_format {
    uint32_t valid;
    uint32_t ap_mask, ap_rw, ap_ro;
    uint32_t cache_mask; /* the bits that say how a page is cached */
    uint32_t uncached;   /* the cache bits of an uncached page */
    uint32_t writethru;  /* PAGE_x86_WRITETHRU's bit, 0 where the CPU has none */
};
extern struct pte_format vm_pte;
#define PTE_FRAME_MASK 0xFFFFF000u

/* Select the CPU's entry format: "arm" or "x86". Return: 0, or -1 for another name. */
int vm_set_cpu(const char *cpu);
static inline int pte_valid(uint32_t pte)
{
    return (pte & vm_pte.valid) != 0;
}
static inline int pte_writable(uint32_t pte)
{
    return (pte & vm_pte.ap_mask) == vm_pte.ap_rw;
}
static inline int pte_uncached(uint32_t pte)
{
    return (pte & vm_pte.cache_mask) == vm_pte.uncached;
}

struct vm_page {
    uint32_t pte;  /* ARM descriptor: frame PA[31:12] | AP | C/B | valid */
    uint8_t state; /* PS_* */
    uint8_t flags; /* PF_* */
    uint8_t pa_hi; /* frame PA[39:32] */
    uint8_t views; /* host views beyond the page's own, kept by the vm_ops (VIEW_*) */
};
/* vm_page.views: a page of the current process's slot has its slot view mapped (CE 5: where a
 * page also has a slot-0 alias, the alias, which programs use, is mapped with the page and the
 * slot view on its first touch). */
#define VIEW_SLOT 0x1u

struct vm_block {
    uint32_t base_block; /* first block of the reservation (CE's ixBase) */
    uint16_t flags;      /* VB_* */
    uint16_t locks;      /* LockPages count (CE's cLocks) */
    /* Query acceleration: `summary` is (state << 16 | protection) when all 16 pages share
     * them, else BLOCK_MIXED; `skip` counts this and the following blocks of the reservation
     * with the same uniform summary (at most 16: vm.c VM_SKIP_CAP), so VirtualQuery crosses a
     * uniform run in steps of up to 16 blocks. */
    uint32_t summary;
    uint32_t skip;
    struct vm_page page[CE_PAGES_PER_BLOCK];
    struct vm_block *next_free;
};

struct vm_ops {
    /* Map npages at absolute CE address va to physical pa.. (contiguous), host prot. 0 / -1. */
    int (*map)(void *ctx, uint32_t va, uint32_t npages, uint64_t pa, int prot);
    int (*unmap)(void *ctx, uint32_t va, uint32_t npages);
    int (*protect)(void *ctx, uint32_t va, uint32_t npages, int prot);
    /* Does physical frame pa have a host backing (RAM, register file, file)? */
    int (*backed)(void *ctx, uint64_t pa);
    /* Physical address behind a static-window VA (0x80000000..0xBFFFFFFF): 1 and *pa, or 0. */
    int (*static_pa)(void *ctx, uint32_t va, uint64_t *pa);
    void *ctx;
};

struct huge_res {
    uint32_t base;    /* absolute base */
    uint32_t claimed; /* bytes of the large area it holds (1 MB or 32 MB granules) */
};

struct vm_profile;

/* A CE 6 LockPages range (page-aligned address and page count): UnlockPages repeats it. A user
 * address belongs to the user space `space` that was current then. */
struct vm_lock_range {
    uint32_t va, pages, space;
};

/* CE 6+: the user space (0..2 GB) of a process that is not current: its half of the block table
 * and of the bitmap, kept aside while another process's is in vm->block (vm_space_switch). */
#define VM_MAX_SPACES 16
struct vm_space {
    struct vm_block *block[CE_USER_BLOCKS];
    uint64_t used[CE_USER_BLOCKS / 64];
};

struct vm {
    const struct vm_profile *prof; /* the CE version's layout and rules (vm/profile.h) */
    struct phys_map *pm;
    struct vm_ops ops;
    uint32_t cache_bits; /* C/B bits of a cached page */
    uint32_t cur_proc;   /* current process index: its slot is cur_proc + 1 */
    uint32_t aky;        /* access key: bit i set = process i's slot may be touched */
    int trusted;
    uint32_t dll_base; /* slot-relative DLL load base: untrusted callers stay below it */
    struct vm_block *block[CE_ALL_BLOCKS];
    uint64_t used[CE_ALL_BLOCKS / 64];
    uint32_t huge_units[CE_MAPPER_SECTIONS]; /* bit u = 1 MB unit u in use */
    struct huge_res *huge;
    uint32_t nhuge, caphuge;
    struct vm_block *pool;
    struct vm_lock_range *lockr; /* CE 6+: the locked ranges (CE 5 counts locks per block) */
    uint32_t nlockr, caplockr;
    /* CE 6+: user spaces. space[i] is NULL for the current one (cur_space, its blocks are in
     * block[]) and for unused indexes; `quiet` keeps host effects off while a call works on a
     * space that is not current (vm_space_enter). */
    struct vm_space *space[VM_MAX_SPACES];
    uint32_t cur_space, nspaces;
    int quiet, hide_user;
    /* CE 6+ kernel space: the static windows end at static_end; kernel DLLs are placed in
     * [kdll_lo, kdll_hi), kernel VM in [kvm_lo, 0xF0000000). Compact 7's new-style table moves
     * all three to the end of its static mappings (vm_set_static_end). */
    uint32_t static_end, kdll_lo, kdll_hi, kvm_lo;
};

struct vm_query {
    uint32_t base, alloc_base, alloc_protect, size, state, protect, type;
};

/* Set up an empty address space for process proc (1..31) under profile prof. vm must be
 * zeroed memory (calloc): vm_init does not clear its 512 KB block table again. */
void vm_init(struct vm *vm, const struct vm_profile *prof, struct phys_map *pm,
             const struct vm_ops *ops, uint32_t cache_bits, uint32_t proc);
/* Compact 7's new-style table: the static mappings end at `end` (1 MB-aligned), and kernel
 * DLLs and kernel VM take the space from there to 0xEFFFFFFF. */
void vm_set_static_end(struct vm *vm, uint32_t end);
/* Is ce in a static window (the OEMAddressTable's cached and uncached views, reached without
 * page tables)? On CE 5 every kernel address is; on CE 6+ 0x80000000..0xBFFFFFFF only (kernel
 * DLLs and kernel VM above are page-table memory). */
int vm_is_static(const struct vm *vm, uint32_t ce);
/* Release every reservation, whatever its state and locks (a machine back to its boot state;
 * the fuzz targets use it between inputs). Return: how many, or UINT32_MAX if the host refused
 * (the rest stay). */
uint32_t vm_release_all(struct vm *vm);
/* Free every block (frames are released through decommit). */
void vm_destroy(struct vm *vm);

uint32_t vm_slot_base(const struct vm *vm);
/* Slot-0 address -> absolute address of the current process (others unchanged). */
uint32_t vm_abs(const struct vm *vm, uint32_t ce);

uint32_t vm_alloc(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type, uint32_t prot,
                  uint32_t *out);
/* VirtualFree. type may add VM_FREE_FORCE (FreePhysMem's internal flag: locked blocks are
 * released too); the CE API refuses that bit from callers. */
#define VM_FREE_FORCE 0x80000000u
uint32_t vm_free(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type);
uint32_t vm_protect(struct vm *vm, uint32_t ce, uint32_t size, uint32_t prot, uint32_t *old);
uint32_t vm_query(struct vm *vm, uint32_t ce, struct vm_query *q);

/* Module images (the loader's reservations, MEM_IMAGE). vm_image_reserve reserves size bytes
 * top-down in the current process slot (as CE 5 places RAM DLLs, below the slot's top), commits
 * them read-write and lowers the DLL load base to them; host views of its read-only pages are
 * executable. *base gets the slot-0 form. Return: 0, or ERROR_NOT_ENOUGH_MEMORY (no free range
 * or no frames). vm_image_release releases the image at base whatever its state. Return: 0, or
 * ERROR_INVALID_PARAMETER (no image starts there), ERROR_NOT_ENOUGH_MEMORY (host refusal).
 * VirtualFree refuses image pages (87): only the loader releases them. */
uint32_t vm_image_reserve(struct vm *vm, uint32_t size, uint32_t *base);
uint32_t vm_image_release(struct vm *vm, uint32_t base);
/* The CE program's image (proc/exe.c): size bytes at slot-relative rel (64 KB-aligned, from
 * 0x10000) in the current process slot, MEM_IMAGE, committed read-write; the DLL load base is
 * not moved. Return: 0, or ERROR_INVALID_PARAMETER (bad place, or in use), ERROR_NOT_ENOUGH_MEMORY.
 */
uint32_t vm_image_reserve_at(struct vm *vm, uint32_t rel, uint32_t size);

/* Thread stacks (CE 5: a reservation in the process, first fit from 0x10000). vm_stack_reserve
 * reserves size bytes, commits the top `commit` bytes read-write and returns the slot-0 form of
 * the base in *base; the rest commits page by page as the thread touches it (vm_fault), except
 * the lowest 16 KB and a free block below, whose touch is a stack overflow. Return: 0, or
 * ERROR_NOT_ENOUGH_MEMORY (no room or no frames), ERROR_INVALID_PARAMETER (size 0 or
 * commit > size). vm_stack_release releases the
 * stack at base. Return: 0, or ERROR_INVALID_PARAMETER (no stack starts there). VirtualFree and
 * VirtualProtect refuse stack pages (87, spec §4, §5): only the thread's owner releases them. */
uint32_t vm_stack_reserve(struct vm *vm, uint32_t size, uint32_t commit, uint32_t *base);
uint32_t vm_stack_release(struct vm *vm, uint32_t base);
/* Memory of another process (the CE 5 caller of a driver, proc 1..31, not the current one):
 * size bytes at slot-relative address at (0 = first fit from 0x10000; the whole 64 KB blocks
 * it touches are reserved), committed read-write. *abs gets the absolute address of at (or of
 * the reservation). Return: 0, or ERROR_INVALID_PARAMETER (bad process, size or address, or
 * the blocks are in use), ERROR_NOT_ENOUGH_MEMORY. vm_proc_release releases the reservation
 * holding abs. Return: 0, or ERROR_INVALID_PARAMETER (nothing there, or the current process). */
uint32_t vm_proc_alloc(struct vm *vm, uint32_t proc, uint32_t at, uint32_t size, uint32_t *abs);
uint32_t vm_proc_release(struct vm *vm, uint32_t abs);
/* The CE program's main stack (proc/exe.c): size bytes at slot-relative rel (64 KB-aligned) in
 * the current process slot, a stack reservation with all but its overflow zone committed.
 * Return: 0, or ERROR_INVALID_PARAMETER (bad place, or in use), ERROR_NOT_ENOUGH_MEMORY. */
uint32_t vm_stack_reserve_at(struct vm *vm, uint32_t rel, uint32_t size);
/* Describe user range [a, a + size) (a 64 KB-aligned, its blocks free) as a reservation of
 * kind flag (VB_IMAGE, VB_STACK) that the host owns: never committed or mapped, refused by
 * VirtualAlloc, VirtualFree and VirtualProtect (the CE program's image and main stack on CE 6+,
 * which have no slot view to move into). Released by vm_image_release / vm_stack_release.
 * Return: 0, ERROR_INVALID_PARAMETER (bad range, in use) or ERROR_NOT_ENOUGH_MEMORY. */
uint32_t vm_hold(struct vm *vm, uint32_t a, uint32_t size, uint16_t flag);
/* CE 6+ processes. vm_space_create makes an empty user space. Return: 0 and *idx, or
 * ERROR_NOT_ENOUGH_MEMORY (no memory or all VM_MAX_SPACES in use). vm_space_switch makes space
 * idx the one the host shows at 0..2 GB: the current one's pages leave the host, idx's arrive.
 * Return: 0, ERROR_INVALID_PARAMETER (no such space), ERROR_NOT_ENOUGH_MEMORY (host refusal).
 * vm_space_enter puts space idx's tables in place without host effects, so a call can work on a
 * process that is not current; vm_space_leave puts the current one back (pass enter's result). */
uint32_t vm_space_create(struct vm *vm, uint32_t *idx);
uint32_t vm_space_switch(struct vm *vm, uint32_t idx);
int vm_space_enter(struct vm *vm, uint32_t idx);
void vm_space_leave(struct vm *vm, int entered);
/* The committed frames of every user space that is not current (vm_check counts them). */
void vm_space_each_page(const struct vm *vm, void (*fn)(const struct vm_page *pg, void *ctx),
                        void *ctx);
/* Is user address ce inside a thread stack? */
int vm_is_stack(const struct vm *vm, uint32_t ce);

/* The number of 64 KB blocks of the reservation whose first block is `first`. */
uint32_t vm_reservation_blocks(const struct vm *vm, uint32_t first);

/* CE protection of a page as VirtualQuery reports it. */
uint32_t vm_page_protect(const struct vm_page *pg);

/* The page entry for absolute user address abs, or NULL if its block is free. */
struct vm_page *vm_page_at(struct vm *vm, uint32_t abs, struct vm_block **blk);

/* Physical address of the frame behind a committed page. */
static inline uint64_t vm_page_pa(const struct vm_page *pg)
{
    return ((uint64_t)pg->pa_hi << 32) | (pg->pte & PTE_FRAME_MASK);
}

/* Fault resolution for a touch of user address ce. FAULT_PHYSICAL: the page maps a frame with
 * no host backing; *pa is the physical address touched (the machine emulates or reports). */
enum vm_fault_result {
    FAULT_RETRY,
    FAULT_RAISE,
    FAULT_RAISE_GUARD,
    FAULT_PHYSICAL,
    FAULT_STACK_OVERFLOW /* below what a thread stack may commit */
};
enum vm_fault_result vm_fault(struct vm *vm, uint32_t ce, int write, const char **reason,
                              uint64_t *pa);
/* Clear the guard state of the page at ce (after the exception was dispatched). */
void vm_clear_guard(struct vm *vm, uint32_t ce);

/* VirtualCopy (copy.c): map the pages of src (a user VA, a static-window VA, or with
 * PAGE_PHYSICAL a physical address >> 8) at the reserved, uncommitted dst. Return: 0 or the CE
 * error (5 untrusted, 87 bad arguments or ranges, 8 out of memory or host refusal). */
uint32_t vm_copy(struct vm *vm, uint32_t dst, uint32_t src, uint32_t size, uint32_t prot);

/* VirtualSetAttributes (attrs.c): each PTE of [ce, ce + size) becomes (old & ~mask) | (new &
 * mask); *old (if old) gets the first page's PTE before the change. Return: 0, 5 (untrusted),
 * 87 (bad range, uncommitted pages), 8 (host refusal). */
uint32_t vm_set_attributes(struct vm *vm, uint32_t ce, uint32_t size, uint32_t new_bits,
                           uint32_t mask, uint32_t *old);

/* LockPages (attrs.c): bring in and pin [ce, ce + size); pfn[i] (if pfn) gets each page's
 * physical address. Static-window addresses report their frames and lock nothing.
 * Return: 0, 5 (untrusted), 87 (bad range), 998 (a page lacks the access asked for), 14
 * (auto-commit failed). */
uint32_t vm_lock_pages(struct vm *vm, uint32_t ce, uint32_t size, uint32_t *pfn, uint32_t opts);
/* UnlockPages: every 64 KB block of the range must be locked. Return: 0, 5 (untrusted) or
 * 87. */
uint32_t vm_unlock_pages(struct vm *vm, uint32_t ce, uint32_t size);

/* Check the page tables against the frame table (check.c). Return: 0, or -1 with err set. */
int vm_check(const struct vm *vm, char *err, size_t errlen);

/* AllocPhysMem keeps this many RAM pages free for the rest of the system (spec §10; the number
 * is CE's default critical-memory level, cpCritical = 20 pages, see docs/ce-semantics.md). */
#define VM_ALLOCPHYS_RESERVE 20u

/* AllocPhysMem: n = ceil(size / 4 KB) physically contiguous RAM frames, (PA & align_mask) == 0,
 * mapped uncached at a new reservation whose blocks are locked (as CE 5 locks them: decommit
 * skips them, VirtualProtect cannot reduce them, only FreePhysMem's forced release frees them).
 * Return: 0 with *va (caller form) and *pa, 5 untrusted, 87 for a bad size or protection, 8
 * when no run is free or fewer than VM_ALLOCPHYS_RESERVE pages would stay free, 14 if the
 * large area is full. */
uint32_t vm_alloc_phys(struct vm *vm, uint32_t size, uint32_t prot, uint32_t align_mask,
                       uint32_t *va, uint64_t *pa);

/* Commit pages [a, a + n) of one reservation, all reserved, onto the given frames, each with
 * its reference already taken (AllocPhysMem). Return: 0 or 8 (nothing changed). */
uint32_t vm_commit_frames(struct vm *vm, uint32_t a, uint32_t n, uint32_t prot,
                          const uint64_t *pas);

#endif
