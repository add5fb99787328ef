/*
 * fault.h — internal helpers of the fault handler for the CE API layer.
 */
#ifndef CEVM_FAULT_H
#define CEVM_FAULT_H

#include <stddef.h>
#include <stdint.h>

/* Copy len bytes from src to dst, surviving a wild pointer on either side.
 * Return: 0, or -1 if an address was not accessible (nothing is raised). Call it without the
 * machine lock. */
int cevm_probe_copy(void *dst, const void *src, size_t len);

/* Prepare this thread to run CE code: note its stack bounds (stack overflows are told from wild
 * pointers by them) and give it an alternate signal stack if it has none (freed when the
 * thread ends). Cheap after the first call on a thread. */
void fault_thread_ready(void);

/* Copy a NUL-terminated 16-bit string of at most max units (plus its NUL) from src into dst
 * (room for max + 1 units), surviving a wild pointer; reads stop at the NUL. Return: its length
 * (dst is terminated), max when it is longer (dst holds max units, unterminated), or -1 if src
 * was not readable. Call it without the machine lock. */
long cevm_probe_wstr(uint16_t *dst, const uint16_t *src, size_t max);

/* A decoded instruction's access at CE address ce that is not on the faulting page (a string
 * move's other side, a string or vector access running onto the next page): wherever ce lies —
 * a trapped register file (one model access), an unimplemented device (logged; reads give 0),
 * or memory the program may touch — as that access would be performed had it faulted itself.
 * Return: 0, or -1 with *problem set (what the access would raise; nothing was done). Call it
 * without the machine lock. */
int fault_bus_access(uint32_t ce, unsigned width, int write, uint64_t *v, const char **problem);
/* Could an access of width bytes at ce be done (fault_bus_access without doing it)? Return: 0,
 * or -1 with *problem set. */
int fault_bus_check(uint32_t ce, unsigned width, int write, const char **problem);
/* emu_bus.check for a bus whose device lies on the page of CE address fault_ce: check each
 * page's piece of [ce, ce + width), those on that page with here(ctx, ce, width) (NULL: they can
 * be done), any other with fault_bus_check. Return: 0; -1 when a piece on the faulting page was
 * refused; 1 when another was (its CE address in *refused_at, *problem set). */
int fault_bus_check_pages(uint32_t fault_ce, uint32_t ce, unsigned width,
                          int (*here)(void *ctx, uint32_t ce, unsigned width), void *ctx,
                          uint32_t *refused_at, const char **problem);

/* Unimplemented-device emulation (unimpl.c). */
struct machine;
/* Perform the faulting instruction's access to an unimplemented device by decoding it
 * (emulate.c): reads give 0, each access is logged with its width. fault_addr is the host
 * address that faulted, ce and pa its CE and physical address. Call it without the machine lock.
 * Return: 1 when done (the context moved past the instruction), 0 when the instruction is not
 * one cevm decodes (then single-step it with unimpl_begin). */
int unimpl_emulate(void *uc, uintptr_t window_base, uintptr_t fault_addr, uint32_t ce, uint64_t pa,
                   const char *device);
/* One decoded access of width bytes to the unimplemented device `device` at physical address
 * pa, CE address ce: logged (a read gives 0). */
void unimpl_bus_access(uint64_t pa, uint32_t ce, const char *device, unsigned width, int write,
                       uint64_t *v);
/* Start emulating one access at CE address ce (lock held). Return: 0; 1 when another thread is
 * stepping (release the lock, unimpl_wait_turn(), and retry the instruction); -1 if
 * impossible. */
int unimpl_begin(struct machine *m, uint32_t ce, int write, uint64_t pa, const char *device,
                 void *uc);
/* Finish it from the SIGTRAP handler: log, restore the page, clear the trap flag. */
void unimpl_finish(void *uc);
/* Wait until no thread is stepping (call it without the machine lock). */
void unimpl_wait_turn(void);
/* Hold (1) or release (0) the stepping lock: no emulated access is in flight while held. Take
 * it before the machine lock. */
void unimpl_quiesce(int hold);
/* Is this thread in the middle of an emulated access? */
int unimpl_active(void);
/* Log an access (unimplemented device or undeclared register), print it unless quiet; the
 * calling thread's driver-call context is added. Call it without the machine lock. */
#include "cevm/cevm.h"
void unimpl_record(cevm_unimplemented_access *a);
/* The driver call this thread is in ("LED_Init of driver 'led'"), named in reports; NULL
 * clears it. Set by the driver host. */
void unimpl_set_context(const char *context);
const char *unimpl_context(void);
/* Say how many access lines the rate limit held back (at shutdown and exit). */
void unimpl_summary(void);
/* Clear the log; read $CEVM_LOG_UNIMPLEMENTED (0 = print nothing, N = print the first N
 * accesses of each address, all = every one; default 5). At boot. */
void unimpl_reset(void);

#endif
