/*
 * profile.h — what differs between CE versions in the VM: a profile is a table of layout
 * constants and error values plus the rule functions of the calls whose order of checks differs
 * (spec §3-§10, §15). profile_ce5.c holds the CE 5.0 slot model's rules, profile_ce6.c those of
 * CE 6.0 and Compact 7 (2 GB per process, kernel VM above 0xC0000000); vm.c, copy.c and attrs.c
 * hold the mechanics every version shares (blocks, page entries, commit, host sync).
 */
#ifndef CEVM_VM_PROFILE_H
#define CEVM_VM_PROFILE_H

#include "vm/vm.h"

/* CE 6 / Compact 7 layout (spec §1.2). */
#define CE6_USER_BASE      0x00010000u /* VM_USER_BASE */
#define CE6_DLL_BASE       0x40000000u /* VM_DLL_BASE: user DLLs */
#define CE6_RAM_MAP_BASE   0x60000000u /* RAM-backed mapped files */
#define CE6_SHARED_HEAP    0x70000000u /* user read-only, kernel read-write */
#define CE6_USER_GUARD     0x7FF00000u /* 1 MB never mapped */
#define CE6_STATIC_END     0xC0000000u /* end of the cached and uncached static windows */
#define CE6_KDLL_BASE      0xC0000000u /* VM_KDLL_BASE: kernel-mode DLLs */
#define CE6_OBJSTORE_BASE  0xC8000000u
#define CE6_KVM_BASE       0xD0000000u /* VM_NKVM_BASE: kernel VirtualAlloc */
#define CE6_KVM_END        0xF0000000u /* VM_CPU_SPECIFIC_BASE */
#define CE7_MAX_USER_ALLOC 0x40000000u /* dwMaxUserAllocAddr's default */

/* Where the loader, the thread code and the driver host place memory of their own. */
enum vm_area {
    AREA_IMAGE,  /* a loaded module (MEM_IMAGE) */
    AREA_STACK,  /* a thread stack */
    AREA_CALLER, /* the calling application's memory (buffers handed to a driver) */
};

struct vm_rules {
    uint32_t (*alloc)(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type, uint32_t prot,
                      uint32_t *out);
    uint32_t (*free)(struct vm *vm, uint32_t ce, uint32_t size, uint32_t type);
    uint32_t (*protect)(struct vm *vm, uint32_t ce, uint32_t size, uint32_t prot, uint32_t *old);
    uint32_t (*query)(struct vm *vm, uint32_t ce, struct vm_query *q);
    uint32_t (*lock)(struct vm *vm, uint32_t ce, uint32_t size, uint32_t *pfn, uint32_t opts);
    uint32_t (*unlock)(struct vm *vm, uint32_t ce, uint32_t size);
    /* May the caller change VM at absolute address a? */
    int (*accessible)(const struct vm *vm, uint32_t a);
    /* The blocks [*lo, *hi) area `what` is placed in for process proc, and whether the search
     * runs top-down. */
    void (*area)(const struct vm *vm, enum vm_area what, uint32_t proc, uint32_t *lo, uint32_t *hi,
                 int *top_down);
};

struct vm_profile {
    int version;      /* 5, 6 or 7 */
    const char *name; /* "ce5", "ce6", "ce7" */
    const char *title;
    uint32_t wce;    /* _WIN32_WCE of code built for this version */
    int slots;       /* the CE 5 slot model: slot-0 alias, process slots, large area */
    uint32_t denied; /* kernel-only call from an untrusted (CE 5: 5) or user (50) caller */
    uint32_t allocphys_denied; /* AllocPhysMem from such a caller (CE 5: 5, CE 6+: 87) */
    uint32_t copy_offset_mask; /* virtual VirtualCopy: (dst ^ src) & mask must be 0 */
    uint32_t free_type;        /* VirtualQuery's Type of free memory (0, or MEM_PRIVATE) */
    uint32_t sysintr_max;      /* SYSINTR_MAXIMUM */
    /* CE 6+: user VirtualAlloc with no address stays below user_alloc_limit; an explicit one
     * below user_explicit_limit; explicit_64k: an explicit reservation must be 64 KB-aligned. */
    uint32_t user_alloc_limit, user_explicit_limit;
    int explicit_64k;
    const struct vm_rules *rules;
};

extern const struct vm_profile vm_profile_ce5, vm_profile_ce6, vm_profile_ce7;

/* The profile of CE version 5, 6 or 7, or NULL. */
const struct vm_profile *vm_profile_find(int version);
/* The profile called name ("ce5", "ce6", "ce7"), or NULL. */
const struct vm_profile *vm_profile_named(const char *name);

/* CE 5 rules (profile_ce5.c, attrs.c) reused by nobody else; CE 6 ones (profile_ce6.c). */
uint32_t ce5_lock_pages(struct vm *vm, uint32_t ce, uint32_t size, uint32_t *pfn, uint32_t opts);
uint32_t ce5_unlock_pages(struct vm *vm, uint32_t ce, uint32_t size);
/* The static-window part of LockPages, the same in every version (spec §9). */
uint32_t vm_lock_static(struct vm *vm, uint32_t ce, uint32_t size, uint32_t *pfn);
/* Does any CE 6 locked range overlap pages [a, a + n)? */
int ce6_locked(const struct vm *vm, uint32_t a, uint32_t n);

#endif
