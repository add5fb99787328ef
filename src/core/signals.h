/*
 * signals.h — the signal handlers of fault.c and the signal layer of signals.c (internal; the
 * includer defines _GNU_SOURCE for siginfo_t).
 */
#ifndef CEVM_SIGNALS_H
#define CEVM_SIGNALS_H

#include <signal.h>

void fault_on_segv(int sig, siginfo_t *si, void *uc);
void fault_on_bus(int sig, siginfo_t *si, void *uc);
void fault_on_trap(int sig, siginfo_t *si, void *uc);
void fault_on_other(int sig, siginfo_t *si, void *uc);

/* Install cevm's handlers (keeping what was there as the chained handlers), put the chained
 * handlers back, pass a signal cevm does not resolve to its chained handler (or the default
 * action), and die of a signal now. */
int signals_install(void);
void signals_uninstall(void);
void signals_chain(int sig, siginfo_t *si, void *uc);
void signals_die(int sig) __attribute__((noreturn));

#endif
