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
 * into it; touching its lowest 16 KB (or the free block below) raises STATUS_STACK_OVERFLOW.
 * Return: 0, or ERROR_NOT_ENOUGH_MEMORY (no room, no RAM, or no machine). */
uint32_t stack_create(uint32_t ce_size, struct ce_stack *out);
/* Release a stack no thread runs on (nothing if it belongs to a machine that is gone). */
void stack_destroy(struct ce_stack *s);

/* Run fn(arg) on this thread's CE stack, made on first use and released when the thread ends.
 * Runs fn directly when CE stacks are off, when the thread already runs on a CE stack, or when
 * the stack cannot be made. fn may leave by longjmp to a frame outside (cevm_try). */
void stack_run(void (*fn)(void *), void *arg);

/* Call fn(arg) with the stack pointer at top (16-byte aligned) and return on the old stack
 * (x86-64; elsewhere fn runs on the current stack). */
void cevm_stack_call(void (*fn)(void *), void *arg, void *top);

/* Threads started on a CE stack (pthread_attr_setstack, joinable). glibc keeps the thread's
 * control block at the top of its stack until the thread has fully exited, so the stack is
 * released only after a join. stack_thread_new records one before pthread_create (NULL: no
 * memory); stack_thread_started gives its pthread_t once created (or stack_thread_failed drops
 * it); the thread calls stack_thread_done as its last act. */
struct stack_thread;
struct stack_thread *stack_thread_new(const struct ce_stack *s);
void stack_thread_started(struct stack_thread *t, pthread_t thread);
void stack_thread_failed(struct stack_thread *t);
void stack_thread_done(struct stack_thread *t);
/* Join the recorded threads that are done and release their stacks; with everything set, join
 * every recorded thread (the caller knows none still runs CE code: each is at most finishing). */
void stack_reap(int everything);

/* The machine is going (the machine lock is held): every stack made so far goes with its
 * memory, and is never released. */
void stack_machine_gone(void);
/* fork() child: the exited threads of the parent do not exist here; forget them. */
void stack_fork_child(void);

#endif
