/*
 * wait.h — what a thread running CE code is waiting in (sync.c records it; the driver host's
 * watchdog reports it when a call hangs). One record per thread, written by its own thread and
 * read by the watchdog with atomic accesses.
 */
#ifndef CEVM_WAIT_H
#define CEVM_WAIT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum ce_wait_kind { WAIT_NONE, WAIT_CRITICAL_SECTION, WAIT_OBJECT, WAIT_SLEEP };

struct ce_wait {
    _Atomic int kind;      /* enum ce_wait_kind */
    _Atomic uintptr_t obj; /* the critical section or handle */
    _Atomic uint32_t arg;  /* a timeout in ms, or a critical section's owner thread id */
};

/* This thread's record. */
const struct ce_wait *ce_wait_self(void);

/* "blocked in EnterCriticalSection(0x...) held by thread 0x103" / "running (not in a CE wait
 * call)" ... */
void ce_wait_describe(const struct ce_wait *w, char *buf, size_t cap);

#endif
