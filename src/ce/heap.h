/*
 * heap.h — the LocalAlloc heap's internal interface (heap.c).
 */
#ifndef CEVM_HEAP_H
#define CEVM_HEAP_H

#include <stdint.h>

/* Live blocks and their bytes. */
void heap_stats(uint32_t *blocks, uint32_t *bytes);
/* Is host pointer p inside one of the heap's segments? */
int heap_owns(const void *p);
/* Forget every segment (the machine is shutting down: the memory is gone). */
void heap_reset(void);

/* fork(): hold the lock across the fork, release it in the parent, make it new in the child
 * (core/fork.c calls these in a fixed order). */
void heap_fork_prepare(void);
void heap_fork_parent(void);
void heap_fork_child(void);
/* CE threads still running whose creating driver call contains marker ("of driver 'LED1:'");
 * creator receives the first one's creating call. Return: how many (sync.c). */
#include <stddef.h>
size_t sync_threads_running(const char *marker, char *creator, size_t cap);
/* How many CE threads still run on CE stacks. */
size_t sync_threads_on_ce_stacks(void);

/* Forget LoadLibrary's module list (the machine is shutting down; module.c). */
void modules_reset(void);

/* The same for the kernel objects of sync.c (events, threads). */
void sync_fork_prepare(void);
void sync_fork_parent(void);
void sync_fork_child(void);

#endif
