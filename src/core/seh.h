/*
 * seh.h — the exception dispatcher of seh.c for the fault handlers (internal).
 */
#ifndef CEVM_SEH_H
#define CEVM_SEH_H

#include "cevm/cevm.h"
#include "winnt.h"

/* Forget this thread's frames (ExitThread jumped past them). */
void seh_thread_reset(void);

/* Does this thread have an exception frame (__try or cevm_try)? */
int seh_has_frame(void);

/* Dispatch exception e, raised at context uc (a ucontext_t from a signal handler), through this
 * thread's frames. raised: RaiseException's record, or NULL to build one from e. Does not
 * return when a frame is found; return: 0 when the thread has no frame. */
int seh_dispatch(const cevm_exception *e, void *uc, const EXCEPTION_RECORD *raised);

/* Is the SIGSEGV this thread just received one the dispatcher sent itself? Then
 * seh_on_signal(uc) handles it (call it first thing in the handler). */
int seh_signal_pending(void);
void seh_on_signal(void *uc);

/* fault.c: fill e's instruction pointer and call chain from uc; print the unhandled-exception
 * line for e at host address ip; are the fault handlers installed? */
void fault_capture(cevm_exception *e, const void *uc);
/* Write s to stderr with write(2) (async-signal-safe). */
void fault_say(const char *s);
void fault_say_unhandled(const cevm_exception *e, const void *ip);
int fault_installed(void);

#endif
