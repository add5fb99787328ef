/*
 * stack.h — thread stacks in the CE address space (stack.c): the stacks threads run CE code on.
 */
#ifndef CEVM_PROC_STACK_H
#define CEVM_PROC_STACK_H

#include <pthread.h>
#include <stdint.h>

/* CE's default stack reservation (/STACK, spec driver-runtime §2.3). */
#define CE_STACK_DEFAULT 0x10000u
/* cevm reserves this many times the CE size: x86-64 frames are about twice ARM's, and CE calls
 * run on the caller's stack here (CE runs them on a kernel stack). */
#define CE_STACK_HOST_FACTOR 4u

struct ce_stack {
    uint32_t base; /* CE address of the reservation (slot-0 form); 0 = none */
    uint32_t size; /* bytes reserved */
    void *lo;      /* host address of base */
    unsigned gen;  /* the machine it was made in (stack_machine_gone counts machines) */
};

/* Do threads that run CE code get CE stacks? Yes in the identity window, unless CEVM_STACKS=host
 * is set; no in the offset window (its CE addresses cannot be dereferenced from a DWORD anyway,
 * and the sanitizers and valgrind that need it track host stacks). The machine must be booted. */
int stack_enabled(void);

/* Reserve a stack for ce_size bytes of CE stack (0 = CE's default; rounded up to 64 KB) in the
 * current process: ce_size * CE_STACK_HOST_FACTOR reserved, plus room for the thread-local
 * storage glibc keeps at the top; that top committed, the rest committed as the thread grows
 * into it; touching the lowest page raises STATUS_STACK_OVERFLOW.
 * Return: 0, or ERROR_NOT_ENOUGH_MEMORY (no room, no RAM, or no machine). */
uint32_t stack_create(uint32_t ce_size, struct ce_stack *out);
/* Release a stack no thread runs on (nothing if it belongs to a machine that is gone). */
void stack_destroy(struct ce_stack *s);

/* Run fn(arg) on this thread's CE stack, made on first use and released when the thread ends.
 * Runs fn directly when CE stacks are off, when the thread already runs on a CE stack, or when
 * the stack cannot be made. fn may leave by longjmp to a frame outside (cevm_try). */
void stack_run(void (*fn)(void *), void *arg);

/* A thread started on stack s (pthread_attr_setstack, joinable) has returned from its start
 * routine: called by that thread as its last act. stack_reap joins it and releases s. */
void stack_thread_exited(pthread_t self, const struct ce_stack *s);
/* Join every thread that said it exited and release its stack. */
void stack_reap(void);

/* The machine is going (the machine lock is held): every stack made so far goes with its
 * memory, and is never released. */
void stack_machine_gone(void);
/* fork() child: the exited threads of the parent do not exist here; forget them. */
void stack_fork_child(void);

#endif
