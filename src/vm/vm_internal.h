/*
 * vm_internal.h — helpers shared by the files of the VM layer (vm.c: reservations, commit,
 * protect, query; copy.c: VirtualCopy and physical mappings; attrs.c: VirtualSetAttributes and
 * LockPages). Not part of any public interface. The caller holds the machine lock.
 */
#ifndef CEVM_VM_INTERNAL_H
#define CEVM_VM_INTERNAL_H

#include "vm/profile.h"
#include "vm/vm.h"

/* A validated protection: PTE bits and page flags. */
struct vm_perm {
    uint32_t bits; /* AP | C/B (the valid type is added for accessible pages) */
    uint8_t flags; /* PF_GUARD / PF_NOACCESS */
};

enum { PERM_OK = 0, PERM_BAD = 1, PERM_WRITECOPY = 2 };

/* CE 5 MakePagePerms: PERM_OK and *p, PERM_BAD, or PERM_WRITECOPY. */
int vm_make_perm(const struct vm *vm, uint32_t prot, struct vm_perm *p);
/* The descriptor for frame pa with protection p. */
uint32_t vm_pte_from(uint64_t pa, const struct vm_perm *p);
/* Absolute address a in the form the caller used (slot 0 when slot0). */
uint32_t vm_caller_form(const struct vm *vm, uint32_t a, int slot0);
/* May the caller change VM at absolute user address a (access key)? */
int vm_accessible(const struct vm *vm, uint32_t a);
/* Pages touched by [a, a + size) inside one reservation: 1 and *first, *n; else 0. */
int vm_reservation_range(const struct vm *vm, uint32_t a, uint32_t size, uint32_t *first,
                         uint32_t *n);
int vm_in_one_reservation(const struct vm *vm, uint32_t a, uint32_t n);
/* First used (free) block in [from, to) of bitmap bm, or `to`. */
uint32_t vm_next_used(const uint64_t *bm, uint32_t from, uint32_t to);
uint32_t vm_next_free(const uint64_t *bm, uint32_t from, uint32_t to);
/* The lowest (highest) free run of nb blocks in [lo, hi): 1 and *at (first block), or 0. */
int vm_first_fit(const struct vm *vm, uint32_t lo, uint32_t hi, uint32_t nb, uint32_t *at);
int vm_last_fit(const struct vm *vm, uint32_t lo, uint32_t hi, uint32_t nb, uint32_t *at);
/* Create the blocks of a reservation of `pages` pages at block-aligned absolute va (its blocks
 * free). Return: 0 or ERROR_NOT_ENOUGH_MEMORY. */
uint32_t vm_reserve_blocks(struct vm *vm, uint32_t va, uint32_t pages, uint16_t bflags);
/* Release the whole reservation starting at block first: decommit, free its blocks. Return: 0,
 * or ERROR_NOT_ENOUGH_MEMORY with nothing changed if the host refused. */
uint32_t vm_release_reservation(struct vm *vm, uint32_t first);
/* The same whatever its locks (the owner's release, FreePhysMem, the machine's end). */
uint32_t vm_release_forced(struct vm *vm, uint32_t first);
/* The large area's bookkeeping of a huge reservation at base goes (profile_ce5.c). */
void vm_huge_release(struct vm *vm, uint32_t base);
/* Forget every CE 6 locked range starting inside pages [a, a + n). */
void vm_unlock_all(struct vm *vm, uint32_t a, uint32_t n);
/* Release every reservation of the user spaces that are not current (space.c). Return: how
 * many. vm_space_destroy frees their blocks and tables (the machine is going). */
uint32_t vm_space_release_all(struct vm *vm);
void vm_space_destroy(struct vm *vm);
/* LockPages' paging in: commit the reserved (auto-commit) pages of [first, first + n pages)
 * read-write and write each page's physical address to pfn[i] (if pfn). Return: 0, or -1 when
 * RAM ran out (what this call committed is undone). */
int vm_lock_bring_in(struct vm *vm, uint32_t first, uint32_t n, uint32_t *pfn);
/* (state << 16) | protection of a page: what VirtualQuery's runs compare. */
uint32_t vm_page_summary(const struct vm_page *pg);
/* VirtualQuery's answer for page-aligned absolute address a, in absolute addresses: free space
 * runs to the next used block before block end_blk (Type: the profile's free_type); otherwise
 * the run of a's reservation with the same state and protection (MEM_IMAGE for images, else
 * MEM_PRIVATE). */
void vm_describe(struct vm *vm, uint32_t a, uint32_t end_blk, struct vm_query *q);
/* Bring the host in line with pages [va, va + n). Return: 0, or -1 if the host refused. */
int vm_sync_pages(struct vm *vm, uint32_t va, uint32_t n);
/* Put pages back as saved (keeping the host bits) and sync. */
void vm_restore_pages(struct vm *vm, uint32_t a, uint32_t n, struct vm_page *saved);
/* Recompute the query summaries of the blocks holding [va, va + n pages). */
void vm_refresh_blocks(struct vm *vm, uint32_t va, uint32_t n);
/* Commit [a, a + n pages) of one reservation with p: new frames for reserved pages, new
 * protection for committed ones. All or nothing. Return: 0 or ERROR_NOT_ENOUGH_MEMORY. */
uint32_t vm_commit_pages(struct vm *vm, uint32_t a, uint32_t n, const struct vm_perm *p);
/* Decommit [a, a + n pages), all or nothing. Return: 0 or ERROR_NOT_ENOUGH_MEMORY. */
uint32_t vm_decommit_range(struct vm *vm, uint32_t a, uint32_t n, int honour_locks);

#endif
