/*
 * space.c — CE 6+ processes: each has its own user space (0..2 GB), and the host shows the
 * current one's. The VM keeps the current process's user half of the block table in place
 * (vm->block[0..32767]) and every other process's in a struct vm_space of its own; switching
 * swaps the tables and moves the host: the outgoing process's pages are unmapped, the incoming
 * one's mapped (its frames were kept, so its data is as it left it). Kernel VM (0xC0000000 up)
 * is shared by all and never moves.
 *
 * A call that names a process that is not current (VirtualAllocEx, ReadProcessMemory ...) works
 * on its tables in place with host effects on user pages suppressed (vm_space_enter / leave):
 * its pages get their frames and page entries, and reach the host when it becomes current.
 */
#include "host/host.h"
#include "vm/vm_internal.h"

#include <stdlib.h>
#include <string.h>

#include "winerror.h"

/* Exchange the user half of the live tables with s. */
static void swap_tables(struct vm *vm, struct vm_space *s)
{
    for (uint32_t i = 0; i < CE_USER_BLOCKS; i++) {
        struct vm_block *t = vm->block[i];
        vm->block[i] = s->block[i];
        s->block[i] = t;
    }
    for (uint32_t i = 0; i < CE_USER_BLOCKS / 64; i++) {
        uint64_t t = vm->used[i];
        vm->used[i] = s->used[i];
        s->used[i] = t;
    }
}

uint32_t vm_space_create(struct vm *vm, uint32_t *idx)
{
    if (vm->nspaces >= VM_MAX_SPACES)
        return ERROR_NOT_ENOUGH_MEMORY;
    struct vm_space *s = host_calloc(1, sizeof *s);
    if (!s)
        return ERROR_NOT_ENOUGH_MEMORY;
    vm->space[vm->nspaces] = s;
    *idx = vm->nspaces++;
    return 0;
}

/* Bring the host in line with every used user block (unmap when hide_user, else map). */
static int sync_user(struct vm *vm)
{
    int rc = 0;
    for (uint32_t b = vm_next_used(vm->used, 0, CE_USER_BLOCKS); b < CE_USER_BLOCKS;
         b = vm_next_used(vm->used, b + 1, CE_USER_BLOCKS))
        rc |= vm_sync_pages(vm, b << 16, CE_PAGES_PER_BLOCK);
    return rc;
}

uint32_t vm_space_switch(struct vm *vm, uint32_t idx)
{
    if (idx >= vm->nspaces || vm->prof->slots)
        return ERROR_INVALID_PARAMETER;
    if (idx == vm->cur_space)
        return 0;
    vm->hide_user = 1; /* the outgoing process's pages leave the host */
    int rc = sync_user(vm);
    vm->hide_user = 0;
    swap_tables(vm, vm->space[vm->cur_space]);
    swap_tables(vm, vm->space[idx]);
    vm->cur_space = idx;
    rc |= sync_user(vm); /* the incoming one's arrive */
    return rc ? ERROR_NOT_ENOUGH_MEMORY : 0;
}

int vm_space_enter(struct vm *vm, uint32_t idx)
{
    if (idx >= vm->nspaces || idx == vm->cur_space)
        return -1;
    int prev = (int)vm->cur_space;
    swap_tables(vm, vm->space[prev]);
    swap_tables(vm, vm->space[idx]);
    vm->cur_space = idx;
    vm->quiet = 1;
    return prev;
}

void vm_space_leave(struct vm *vm, int entered)
{
    if (entered < 0)
        return;
    swap_tables(vm, vm->space[vm->cur_space]);
    swap_tables(vm, vm->space[entered]);
    vm->cur_space = (uint32_t)entered;
    vm->quiet = 0;
}

void vm_space_each_page(const struct vm *vm, void (*fn)(const struct vm_page *pg, void *ctx),
                        void *ctx)
{
    for (uint32_t s = 0; s < vm->nspaces; s++) {
        if (s == vm->cur_space || !vm->space[s])
            continue;
        for (uint32_t b = 0; b < CE_USER_BLOCKS; b++)
            for (uint32_t p = 0; vm->space[s]->block[b] && p < CE_PAGES_PER_BLOCK; p++)
                fn(&vm->space[s]->block[b]->page[p], ctx);
    }
}

uint32_t vm_space_release_all(struct vm *vm)
{
    uint32_t n = 0;
    for (uint32_t s = 0; s < vm->nspaces; s++) {
        if (s == vm->cur_space)
            continue;
        int e = vm_space_enter(vm, s);
        for (uint32_t b = 0; b < CE_USER_BLOCKS; b++) {
            struct vm_block *blk = vm->block[b];
            if (blk && blk->base_block == b && !(blk->flags & VB_HOST) &&
                vm_release_forced(vm, b) == 0)
                n++;
        }
        vm_space_leave(vm, e);
    }
    return n;
}

void vm_space_destroy(struct vm *vm)
{
    for (uint32_t s = 0; s < vm->nspaces; s++) {
        if (!vm->space[s])
            continue;
        for (uint32_t b = 0; b < CE_USER_BLOCKS; b++)
            free(vm->space[s]->block[b]);
        free(vm->space[s]);
        vm->space[s] = NULL;
    }
    vm->nspaces = 0;
    vm->cur_space = 0;
}
