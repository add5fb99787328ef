/*
 * caller.h — the CE 5 calling process (caller.c): the application on the other side of a driver
 * call, in a slot of its own.
 */
#ifndef CEVM_PROC_CALLER_H
#define CEVM_PROC_CALLER_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* The driver host marks the calling thread as running a call from the caller process
 * (caller_enter returns the previous state for caller_leave). While marked, GetCallerProcess,
 * GetOwnerProcess and MapCallerPtr answer for the caller. */
int caller_enter(void);
void caller_leave(int previous);
/* Is this thread in a call from the caller process? */
int caller_active(void);

/* The caller's process index (board `caller` line) and its process id (a value distinct from
 * GetCurrentProcessId()). The machine must be booted for the index (0 otherwise). */
uint32_t caller_index(void);
uint32_t caller_process_id(void);
/* CE 6+ processes: the id of user space `space` (0: the calling application), the space of a
 * process id (-1: none; takes the machine lock), and its name (NULL for the application: the
 * board's `caller`). */
uint32_t caller_space_id(uint32_t space);
int caller_space_of(uint32_t id);
const char *caller_space_name(uint32_t space);

/* Does the machine use CE 5's slots (1), or one flat user space per process (CE 6+: 0, where
 * a kernel-mode driver reaches the caller's pointers as they are)? 1 when no machine is up. */
int caller_slots(void);

/* Host and CE view of caller memory for the driver host: size bytes in the caller's slot,
 * committed read-write. *mapped gets the absolute (slot) address a driver receives for a
 * top-level buffer. Return: 0, or a CE error (8 no room). caller_free releases it. */
uint32_t caller_buffer(uint32_t size, uint32_t *mapped);
void caller_free(uint32_t mapped);

/* An asynchronous buffer whose source was at CE address src was freed: release the call buffers
 * caller_free kept for it, unless another one still needs them. */
void caller_unpin(uint32_t src);
/* Forget the released caller buffers (machine lock held; at shutdown). */
void caller_forget(void);

/* For the fault report (machine lock held): a fault at slot-0 address ce during a call from the
 * caller, where the caller has memory at that slot-0 address, is most likely an embedded pointer
 * the driver did not map. Return: 1 with a hint in buf, or 0. */
int caller_fault_hint(struct vm *vm, uint32_t ce, char *buf, size_t len);

#endif
