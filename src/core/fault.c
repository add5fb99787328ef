/*
 * fault.c — turns host SIGSEGVs in the window into CE behaviour.
 *
 * A fault in the window is resolved against the CE page tables (vm_fault): MEM_AUTO_COMMIT pages
 * are committed and the access retried; anything else becomes a CE access violation
 * (0xC0000005, [0] = write, [1] = CE address). The exception goes first to the process-wide
 * handler (CONTINUE_EXECUTION retries the access), then to the innermost cevm_try frame on this
 * thread (siglongjmp back to it), and otherwise is unhandled: one line on stderr, then death by
 * SIGSEGV with the default action. A guard page raises once: its guard state is cleared after the
 * exception has been dispatched to a handler (CE 5 GuardCommit, spec §15.2).
 *
 * Internal probes (cevm_probe_*) let the CE API write through caller pointers without crashing on
 * a wild one: a fault inside a probe that is not resolved returns to the probe.
 *
 * The handler runs with SA_NODEFER so a handler that faults again is handled too. It takes the
 * machine lock, which is safe because it refuses to run on a thread that already holds it.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/machine.h"

struct try_frame {
    sigjmp_buf jb;
    cevm_exception exc;
    struct try_frame *prev;
};

/* Read by the signal handler: volatile, and fenced where they are set, so the compiler keeps
 * every store (it cannot see the handler reading them). */
static CEVM_TLS struct try_frame *volatile t_try;
static CEVM_TLS sigjmp_buf *volatile t_probe;
static CEVM_TLS uintptr_t t_last_addr;
/* The reason of this thread's latest exception: cevm_exception.reason points here, so it
 * stays valid after the handler's frame is gone (cevm_try longjmps out of it). */
static CEVM_TLS char t_reason[160];
static CEVM_TLS unsigned t_repeats;

static cevm_exception_handler g_handler;
static void *g_handler_ctx;
static struct sigaction g_old_segv, g_old_trap;
static int g_installed;

void cevm_set_exception_handler(cevm_exception_handler handler, void *ctx)
{
    machine_lock();
    g_handler = handler;
    g_handler_ctx = ctx;
    machine_unlock();
}

int cevm_try(void (*fn)(void *ctx), void *ctx, cevm_exception *out)
{
    struct try_frame f;
    memset(&f, 0, sizeof f);
    f.prev = t_try;
    t_try = &f;
    atomic_signal_fence(memory_order_seq_cst);
    if (sigsetjmp(f.jb, 1) == 0) {
        fn(ctx);
        atomic_signal_fence(memory_order_seq_cst);
        t_try = f.prev;
        return 0;
    }
    t_try = f.prev;
    if (out)
        *out = f.exc;
    return 1;
}

int cevm_probe_copy(void *dst, const void *src, size_t len)
{
    sigjmp_buf jb;
    sigjmp_buf *volatile saved = t_probe;
    if (sigsetjmp(jb, 0)) {
        t_probe = saved;
        return -1;
    }
    t_probe = &jb;
    atomic_signal_fence(memory_order_seq_cst);
    memcpy(dst, src, len);
    atomic_signal_fence(memory_order_seq_cst);
    t_probe = saved;
    return 0;
}

static void say(const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(2, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Pass a signal cevm does not handle to the handler installed before cevm's; with none, die
 * of it under the default action. */
static void chain(const struct sigaction *old, int sig, siginfo_t *si, void *uc)
{
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) {
            old->sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int fault_is_write(const void *ucv)
{
#if defined(__x86_64__)
    const ucontext_t *uc = ucv;
    return (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#else
    (void)ucv;
    return 0;
#endif
}

#define FAULT_EMULATE 100 /* an unimplemented device: emulate the access (unimpl.c) */

/* Resolve a fault at CE address ce. Return: FAULT_* (or FAULT_EMULATE with *pa and *dev set)
 * and the reason. */
static int resolve(struct machine *m, uint32_t ce, int write, const char **why, char *buf,
                   size_t buflen, uint64_t *pa, const char **dev)
{
    int r;
    if (ce >= CE_KERNEL_BASE && !m->vm.trusted) {
        snprintf(buf, buflen, "kernel address: an untrusted caller cannot touch it");
        *why = buf;
        return FAULT_RAISE;
    }
    if (write && m->pm.read_only_regions) {
        /* A write to a `file` device the board did not mark rw. */
        uint64_t at = 0;
        int mapped = 0;
        if (ce >= CE_KERNEL_BASE)
            mapped = machine_static_to_phys(m, ce, &at);
        else {
            const struct vm_page *pg = vm_page_at(&m->vm, vm_abs(&m->vm, ce), NULL);
            if ((mapped = pg && pg->state == PS_COMMITTED && (pg->pte & PTE_VALID)))
                at = vm_page_pa(pg);
        }
        const struct phys_region *reg = mapped ? phys_find(&m->pm, at) : NULL;
        if (reg && reg->read_only) {
            snprintf(buf, buflen, "device '%s' is read-only (its board line has no 'rw')",
                     reg->name);
            *why = buf;
            return FAULT_RAISE;
        }
    }
    if (ce < CE_KERNEL_BASE) {
        r = (int)vm_fault(&m->vm, ce, write, why, pa);
        if (r != FAULT_PHYSICAL)
            return r;
    } else if (!machine_static_to_phys(m, ce, pa)) {
        snprintf(buf, buflen, "kernel address with no static mapping");
        *why = buf;
        return FAULT_RAISE;
    }
    /* A physical frame with no host backing: an unimplemented device is emulated; a physical
     * address no board region covers is a bus error. */
    struct phys_region *reg = phys_find(&m->pm, *pa);
    if (!reg) {
        snprintf(buf, buflen, "bus error: no device at physical 0x%llX", (unsigned long long)*pa);
        *why = buf;
        return FAULT_RAISE;
    }
    *dev = reg->name;
    snprintf(buf, buflen, "unimplemented device '%s' at physical 0x%llX", *dev,
             (unsigned long long)*pa);
    *why = buf;
    return reg->kind == REGION_UNIMPLEMENTED ? FAULT_EMULATE : FAULT_RAISE;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    if (t_lock_depth > 0) {
        char line[160];
        snprintf(line, sizeof line,
                 "cevm: internal error: fault at host address %p inside a cevm call\n",
                 (void *)addr);
        say(line);
        abort();
    }
    machine_lock();
    struct machine *m = g_machine;
    uint32_t ce;
    int in_window =
        m &&
        (window_contains(&m->win, addr, &ce) ||
         (m->win.mode == CEVM_WINDOW_IDENTITY && addr < WINDOW_SIZE && (ce = (uint32_t)addr, 1)));
    if (!in_window) {
        machine_unlock();
        if (t_probe)
            siglongjmp(*t_probe, 1);
        if (t_try) {
            /* Inside a cevm_try frame (CE's __try, the driver host): a host address outside the
             * CE address space is still the CE code's access violation (a pointer truncated to
             * a DWORD, a wild pointer), not a crash of the process. */
            snprintf(t_reason, sizeof t_reason,
                     "host address %p is outside the CE address space (a wild or truncated "
                     "pointer)",
                     (void *)addr);
            memset(&t_try->exc, 0, sizeof t_try->exc);
            t_try->exc.code = CEVM_EXCEPTION_ACCESS_VIOLATION;
            t_try->exc.info[0] = (uint32_t)fault_is_write(uc);
            t_try->exc.info[1] = (uint32_t)addr;
            t_try->exc.reason = t_reason;
            siglongjmp(t_try->jb, 1);
        }
        chain(&g_old_segv, sig, si, uc);
        return;
    }
    int write = fault_is_write(uc);
    const char *why = "", *dev = "";
    char buf[160];
    uint64_t pa = 0;
    int r = resolve(m, ce, write, &why, buf, sizeof buf, &pa, &dev);
    if (r == FAULT_EMULATE) {
        if (!t_probe && unimpl_begin(m, ce, write, pa, dev, uc) == 0) {
            machine_unlock();
            return;
        }
        r = FAULT_RAISE;
    }
    if (r == FAULT_RETRY) {
        /* Guard against a host view that never converges (a bug): raise after a few tries. */
        if (addr == t_last_addr && ++t_repeats > 8) {
            why = "internal: the host mapping does not match the page table";
            r = FAULT_RAISE;
        } else {
            if (addr != t_last_addr)
                t_repeats = 0;
            t_last_addr = addr;
            machine_unlock();
            return;
        }
    }
    t_last_addr = 0;
    t_repeats = 0;
    machine_unlock();
    if (t_probe)
        siglongjmp(*t_probe, 1);

    cevm_exception e;
    memset(&e, 0, sizeof e);
    e.code = CEVM_EXCEPTION_ACCESS_VIOLATION;
    e.info[0] = (uint32_t)write;
    e.info[1] = ce;
    snprintf(t_reason, sizeof t_reason, "%s", why);
    e.reason = t_reason;

    cevm_exception_handler h = g_handler;
    if (h && h(&e, g_handler_ctx) == CEVM_EXCEPTION_CONTINUE_EXECUTION) {
        if (r == FAULT_RAISE_GUARD) {
            machine_lock();
            if (g_machine)
                vm_clear_guard(&g_machine->vm, ce);
            machine_unlock();
        }
        return;
    }
    if (t_try) {
        if (r == FAULT_RAISE_GUARD) {
            machine_lock();
            if (g_machine)
                vm_clear_guard(&g_machine->vm, ce);
            machine_unlock();
        }
        t_try->exc = e;
        siglongjmp(t_try->jb, 1);
    }
    char line[420];
    const char *ctx = unimpl_context();
    snprintf(line, sizeof line,
             "cevm: unhandled exception EXCEPTION_ACCESS_VIOLATION (0xC0000005): %s at CE address "
             "0x%08X (%s)%s%s\n",
             write ? "write" : "read", ce, why, ctx[0] ? ", in " : "", ctx);
    say(line);
    /* Die of SIGSEGV now (SA_NODEFER leaves it unblocked), so the exit status says so. */
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
}

static void on_trap(int sig, siginfo_t *si, void *uc)
{
    if (unimpl_active()) {
        unimpl_finish(uc);
        return;
    }
    chain(&g_old_trap, sig, si, uc);
}

static int arm(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &old))
        return -1;
    if (!(old.sa_flags & SA_SIGINFO) || old.sa_sigaction != on_segv)
        g_old_segv = old;
    sa.sa_sigaction = on_trap;
    if (sigaction(SIGTRAP, &sa, &old))
        return -1;
    if (!(old.sa_flags & SA_SIGINFO) || old.sa_sigaction != on_trap)
        g_old_trap = old;
    g_installed = 1;
    return 0;
}

int fault_install(void)
{
    return g_installed ? 0 : arm();
}

cevm_status cevm_install_fault_handler(void)
{
    machine_lock();
    cevm_status st = !g_machine ? CEVM_E_STATE : arm() ? CEVM_E_HOST : CEVM_OK;
    machine_unlock();
    return st;
}

void fault_uninstall(void)
{
    if (!g_installed)
        return;
    sigaction(SIGSEGV, &g_old_segv, NULL);
    sigaction(SIGTRAP, &g_old_trap, NULL);
    g_installed = 0;
}
