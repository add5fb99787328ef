/*
 * signals.c — the host signals cevm handles, and keeping its handlers in place.
 *
 * At boot cevm installs its handlers for SIGSEGV and SIGBUS (CE faults, in-page errors), SIGTRAP
 * (unimplemented-device emulation) and SIGFPE, SIGILL, SIGABRT (turned into CE exceptions
 * inside CE exception frames: driver calls, __try). What was installed before is kept as the
 * signal's "chained" handler: signals cevm does not resolve go there, and cevm_shutdown puts it
 * back.
 *
 * Test frameworks and other libraries install their own handlers after boot (cmocka does, around
 * every test). So that cevm's fault handling survives without extra calls, libcevm interposes
 * sigaction() and signal(), as JVMs do with libjsig: while cevm handles a signal, a call that
 * sets its handler records the new handler as the chained one (it still runs for every fault
 * cevm does not resolve) and reports the previously chained one as the old handler; cevm's own
 * stays installed. For other signals, and when no machine is booted, the calls go straight to
 * the C library. Limit: ThreadSanitizer keeps its own table of user handlers in front of the C
 * library and is not reached through this path; under TSan call cevm_install_fault_handler()
 * after installing another handler (docs/debugging.md).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/machine.h"
#include "core/signals.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

struct slot {
    struct sigaction chained; /* the handler the program believes is installed */
    void (*handler)(int, siginfo_t *, void *);
    int sig;
    int ours; /* cevm's handler is the one installed */
};

static struct slot g_slots[] = {
    {.sig = SIGSEGV, .handler = fault_on_segv}, {.sig = SIGBUS, .handler = fault_on_bus},
    {.sig = SIGTRAP, .handler = fault_on_trap}, {.sig = SIGFPE, .handler = fault_on_other},
    {.sig = SIGILL, .handler = fault_on_other}, {.sig = SIGABRT, .handler = fault_on_other},
};
#define NSLOTS (sizeof g_slots / sizeof g_slots[0])

static pthread_mutex_t g_sig_lock = PTHREAD_MUTEX_INITIALIZER;

static int libc_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    static sigaction_fn real;
    if (!real)
        real = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    if (!real)
        real = (sigaction_fn)dlsym(RTLD_DEFAULT, "__sigaction");
    return real ? real(sig, act, old) : -1;
}

static struct slot *slot_of(int sig)
{
    for (size_t i = 0; i < NSLOTS; i++)
        if (g_slots[i].sig == sig)
            return &g_slots[i];
    return NULL;
}

int signals_install(void)
{
    pthread_mutex_lock(&g_sig_lock);
    int rc = 0;
    for (size_t i = 0; i < NSLOTS && rc == 0; i++) {
        struct slot *s = &g_slots[i];
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = s->handler;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        if (libc_sigaction(s->sig, &sa, &old)) {
            rc = -1;
            break;
        }
        /* Re-installing over our own handler keeps the chained one. */
        if (!(old.sa_flags & SA_SIGINFO) || old.sa_sigaction != s->handler)
            s->chained = old;
        __atomic_store_n(&s->ours, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&g_sig_lock);
    return rc;
}

void signals_uninstall(void)
{
    pthread_mutex_lock(&g_sig_lock);
    for (size_t i = 0; i < NSLOTS; i++) {
        struct slot *s = &g_slots[i];
        if (!s->ours)
            continue;
        /* Put back what the program last asked for (its handler from before the boot, or the
         * one it set since). */
        libc_sigaction(s->sig, &s->chained, NULL);
        __atomic_store_n(&s->ours, 0, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&g_sig_lock);
}

void signals_chain(int sig, siginfo_t *si, void *uc)
{
    struct slot *s = slot_of(sig);
    struct sigaction old;
    if (s)
        old = s->chained;
    else
        memset(&old, 0, sizeof old);
    if (old.sa_flags & SA_SIGINFO) {
        if (old.sa_sigaction) {
            old.sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {
        old.sa_handler(sig);
        return;
    }
    signals_die(sig);
}

void signals_die(int sig)
{
    /* The default action, now (SA_NODEFER leaves the signal unblocked). */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    libc_sigaction(sig, &dfl, NULL);
    raise(sig);
    _exit(128 + sig);
}

/* ---- the interposed C library calls ------------------------------------------------------- */

__attribute__((visibility("default"))) int sigaction(int sig, const struct sigaction *act,
                                                     struct sigaction *old)
{
    struct slot *s = slot_of(sig);
    /* Sanitizer runtimes call this while they start, before any lock may be taken: only a
     * signal cevm handles now takes the lock. */
    if (s && __atomic_load_n(&s->ours, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&g_sig_lock);
        if (s->ours) {
            if (old)
                *old = s->chained;
            if (act)
                s->chained = *act;
            pthread_mutex_unlock(&g_sig_lock);
            return 0;
        }
        pthread_mutex_unlock(&g_sig_lock);
    }
    return libc_sigaction(sig, act, old);
}

__attribute__((visibility("default"))) sighandler_t signal(int sig, sighandler_t handler)
{
    /* The C library's signal(): BSD semantics. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, &old))
        return SIG_ERR;
    return old.sa_handler;
}
