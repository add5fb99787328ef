/*
 * fault.c — turns host faults into CE behaviour.
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
 * Inside a cevm_try frame (CE's __try, every driver entry point) other faults the CE code causes
 * become CE exceptions too: a wild host pointer (0xC0000005), a stack overflow (0xC00000FD, on
 * the thread's alternate signal stack), SIGBUS on a truncated file backing (0xC0000006, also
 * outside frames when the address is in the window), divide by zero, illegal instruction and
 * abort() (0x40000015). Each exception carries the host instruction pointer and the call chain
 * (glibc backtrace(), warmed up at boot so the handler does not load libgcc), which
 * cevm_exception_where() turns into module, function and source line (where.c).
 *
 * The handlers run with SA_NODEFER so a handler that faults again is handled too. They take the
 * machine lock, which is safe because they refuse to run on a thread that already holds it.
 * signals.c installs them and keeps them installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "proc/caller.h"
#include "proc/image.h"
#include "core/emulate.h"
#include "core/fault.h"
#include "core/machine.h"
#include "vm/profile.h"
#include "core/seh.h"
#include "core/signals.h"
#include "dev/device.h"

/* Read by the signal handler: volatile, and fenced where they are set, so the compiler keeps
 * every store (it cannot see the handler reading them). */
static CEVM_TLS sigjmp_buf *volatile t_probe;
static CEVM_TLS uintptr_t t_last_addr;
/* The reason of this thread's latest exception: cevm_exception.reason points here, so it
 * stays valid after the handler's frame is gone (cevm_try longjmps out of it). */
static CEVM_TLS char t_reason[360];
static CEVM_TLS unsigned t_repeats;

static cevm_exception_handler g_handler;
static void *g_handler_ctx;
static int g_installed; /* read by any thread (fault_installed): atomic accesses */

/* This thread's stack (for telling a stack overflow from a wild pointer) and its alternate
 * signal stack, set by fault_thread_ready(). */
static CEVM_TLS uintptr_t t_stack_lo, t_stack_hi;
static CEVM_TLS void *t_altstack;

void cevm_set_exception_handler(cevm_exception_handler handler, void *ctx)
{
    machine_lock();
    g_handler = handler;
    g_handler_ctx = ctx;
    machine_unlock();
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

long cevm_probe_wstr(uint16_t *dst, const uint16_t *src, size_t max)
{
    sigjmp_buf jb;
    sigjmp_buf *volatile saved = t_probe;
    if (sigsetjmp(jb, 0)) {
        t_probe = saved;
        return -1;
    }
    t_probe = &jb;
    atomic_signal_fence(memory_order_seq_cst);
    volatile long n = 0;
    for (; n < (long)max; n++) {
        dst[n] = ((const volatile uint16_t *)src)[n];
        if (!dst[n])
            break;
    }
    atomic_signal_fence(memory_order_seq_cst);
    t_probe = saved;
    return n;
}

void fault_say(const char *s)
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
#define FAULT_DEVICE  101 /* a trapped register file: one model access (dev/device.c) */

/* Resolve a fault at CE address ce. Return: FAULT_* (or FAULT_EMULATE with *pa and *dev set)
 * and the reason. */
static int resolve(struct machine *m, uint32_t ce, int write, const char **why, char *buf,
                   size_t buflen, uint64_t *pa, const char **dev)
{
    int r;
    if (ce >= CE_KERNEL_BASE && !m->vm.trusted) {
        snprintf(buf, buflen, "kernel address: %s caller cannot touch it",
                 m->vm.prof->slots ? "an untrusted" : "a user-mode");
        *why = buf;
        return FAULT_RAISE;
    }
    if (write && m->pm.read_only_regions) {
        /* A write to a `file` device the board did not mark rw. */
        uint64_t at = 0;
        int mapped = 0;
        if (vm_is_static(&m->vm, ce))
            mapped = machine_static_to_phys(m, ce, &at);
        else {
            const struct vm_page *pg = vm_page_at(&m->vm, vm_abs(&m->vm, ce), NULL);
            if ((mapped = pg && pg->state == PS_COMMITTED && pte_valid(pg->pte)))
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
    if (vm_is_static(&m->vm, ce) && machine_map_static_part(m, ce))
        return FAULT_RETRY; /* the first touch of a static window's part */
    if (!vm_is_static(&m->vm, ce)) {
        if (machine_map_slot_view(m, ce))
            return FAULT_RETRY; /* the first touch of a slot view */
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
    if (reg->trapped) {
        *why = "a trapped device register"; /* the decoder says more when it cannot go on */
        return FAULT_DEVICE;
    }
    snprintf(buf, buflen, "unimplemented device '%s' at physical 0x%llX", *dev,
             (unsigned long long)*pa);
    *why = buf;
    return reg->kind == REGION_UNIMPLEMENTED ? FAULT_EMULATE : FAULT_RAISE;
}

static uintptr_t fault_ip(const void *ucv)
{
#if defined(__x86_64__)
    const ucontext_t *uc = ucv;
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
    (void)ucv;
    return 0;
#endif
}

/* Fill e's instruction pointer and call chain (innermost first, starting at the faulting
 * instruction; the handler's own frames are dropped). */
void fault_capture(cevm_exception *e, const void *uc)
{
    e->ip = fault_ip(uc);
    void *raw[CEVM_EXCEPTION_FRAMES + 8];
    int n = backtrace(raw, CEVM_EXCEPTION_FRAMES + 8), first = 0;
    for (int i = 0; i < n; i++)
        if ((uintptr_t)raw[i] == e->ip) {
            first = i;
            break;
        }
    e->nframes = 0;
    if (!first && e->ip)
        e->frames[e->nframes++] = e->ip;
    for (int i = first; i < n && e->nframes < CEVM_EXCEPTION_FRAMES; i++)
        e->frames[e->nframes++] = (uintptr_t)raw[i];
}

/* Hand exception e to this thread's exception frames (__try, cevm_try). Return only when it has
 * none. */
static void to_frame(const cevm_exception *e, void *uc)
{
    cevm_exception x = *e;
    fault_capture(&x, uc);
    seh_dispatch(&x, uc, NULL);
}

void fault_say_unhandled(const cevm_exception *e, const void *at)
{
    char line[480];
    const char *ctx = unimpl_context();
    uintptr_t ip = (uintptr_t)at;
    struct module_addr di;
    char where[200] = "";
    if (ip && image_dladdr((void *)ip, &di)) {
        const char *mod = strrchr(di.path, '/');
        snprintf(where, sizeof where, ", at %s+0x%lx%s%s", mod ? mod + 1 : di.path,
                 (unsigned long)(ip - di.bias), di.sname ? " in " : "", di.sname ? di.sname : "");
    }
    if (e->code == CEVM_EXCEPTION_ACCESS_VIOLATION || e->code == CEVM_EXCEPTION_IN_PAGE_ERROR)
        snprintf(line, sizeof line,
                 "cevm: unhandled exception %s (0x%08X): %s at CE address 0x%08X (%s)%s%s%s\n",
                 cevm_exception_name(e->code), e->code, e->info[0] ? "write" : "read", e->info[1],
                 e->reason, ctx[0] ? ", in " : "", ctx, where);
    else
        snprintf(line, sizeof line, "cevm: unhandled exception %s (0x%08X): %s%s%s%s\n",
                 cevm_exception_name(e->code), e->code, e->reason, ctx[0] ? ", in " : "", ctx,
                 where);
    fault_say(line);
}

/* ---- a decoded instruction's accesses off the faulting page ------------------------------- */

static CEVM_TLS char t_bus_why[160];

/* Resolve CE address ce as a fault there would be (machine lock taken and released). Return:
 * FAULT_DEVICE or FAULT_EMULATE (*pa, device set), FAULT_RETRY (memory the program may touch
 * at *host), or -1 with *problem set. */
static int bus_resolve(uint32_t ce, int write, uint64_t *pa, char *device, size_t devlen,
                       uintptr_t *host, const char **problem)
{
    machine_lock();
    struct machine *m = g_machine;
    if (!m) {
        machine_unlock();
        *problem = "no machine is booted";
        return -1;
    }
    const char *why = "", *dev = "";
    int r = resolve(m, ce, write, &why, t_bus_why, sizeof t_bus_why, pa, &dev);
    *host = m->win.base + ce;
    snprintf(device, devlen, "%s", dev);
    if (r != FAULT_DEVICE && r != FAULT_EMULATE && r != FAULT_RETRY) {
        if (why != t_bus_why)
            snprintf(t_bus_why, sizeof t_bus_why, "%s", why);
        *problem = t_bus_why;
        r = -1;
    }
    machine_unlock();
    return r;
}

int fault_bus_access(uint32_t ce, unsigned width, int write, uint64_t *v, const char **problem)
{
    for (int tries = 0; tries < 4; tries++) {
        uint64_t pa = 0;
        uintptr_t host = 0;
        char device[32];
        int r = bus_resolve(ce, write, &pa, device, sizeof device, &host, problem);
        if (r == FAULT_DEVICE)
            return dev_bus_access(pa, width, write, v, problem);
        if (r == FAULT_EMULATE) {
            unimpl_bus_access(pa, ce, device, width, write, v);
            return 0;
        }
        if (r < 0)
            return -1;
        /* Memory (mapped now, if this was its first touch). */
        if (!(write ? cevm_probe_copy((void *)host, v, width)
                    : cevm_probe_copy(v, (const void *)host, width)))
            return 0;
    }
    *problem = "the memory does not settle (internal)";
    return -1;
}

int fault_bus_check(uint32_t ce, unsigned width, int write, const char **problem)
{
    uint64_t pa = 0;
    uintptr_t host = 0;
    char device[32];
    int r = bus_resolve(ce, write, &pa, device, sizeof device, &host, problem);
    if (r == FAULT_DEVICE)
        return dev_bus_check(pa, width, problem);
    return r < 0 ? -1 : 0;
}

int fault_bus_check_pages(uint32_t fault_ce, uint32_t ce, unsigned width,
                          int (*here)(void *ctx, uint32_t ce, unsigned width), void *ctx,
                          uint32_t *refused_at, const char **problem)
{
    for (uint32_t at = ce, end = ce + width; at != end;) {
        uint32_t next = (at | 0xFFFu) + 1, piece = (end - at < next - at ? end : next) - at;
        if (!((at ^ fault_ce) >> 12)) {
            if (here && here(ctx, at, piece))
                return -1;
        } else if (fault_bus_check(at, piece, 0, problem)) {
            *refused_at = at;
            return 1;
        }
        at += piece;
    }
    return 0;
}

/* Is addr just below (or at the bottom of) this thread's stack: a stack overflow? */
static int stack_overflow_at(uintptr_t addr)
{
    return t_stack_lo && addr < t_stack_lo + CE_PAGE_SIZE && addr + 0x100000u >= t_stack_lo;
}

void fault_on_segv(int sig, siginfo_t *si, void *uc)
{
    if (si->si_code == SI_TKILL && seh_signal_pending()) {
        seh_on_signal(uc); /* RaiseException, or the dispatcher restoring a stack */
        return;
    }
    uintptr_t addr = (uintptr_t)si->si_addr;
    if (t_lock_depth > 0) {
        char line[160];
        snprintf(line, sizeof line,
                 "cevm: internal error: fault at host address %p inside a cevm call\n",
                 (void *)addr);
        fault_say(line);
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
        if (seh_has_frame()) {
            /* Inside a cevm_try frame (CE's __try, the driver host): a host address outside the
             * CE address space is still the CE code's exception (a stack overflow, a pointer
             * truncated to a DWORD, a wild pointer), not a crash of the process. */
            cevm_exception e;
            memset(&e, 0, sizeof e);
            if (stack_overflow_at(addr)) {
                e.code = CEVM_EXCEPTION_STACK_OVERFLOW;
                snprintf(t_reason, sizeof t_reason, "stack overflow (host stack 0x%lx-0x%lx)",
                         (unsigned long)t_stack_lo, (unsigned long)t_stack_hi);
            } else {
                e.code = CEVM_EXCEPTION_ACCESS_VIOLATION;
                e.info[0] = (uint32_t)fault_is_write(uc);
                e.info[1] = (uint32_t)addr;
                snprintf(t_reason, sizeof t_reason,
                         "host address %p is outside the CE address space (a wild or truncated "
                         "pointer)",
                         (void *)addr);
            }
            e.reason = t_reason;
            to_frame(&e, uc);
        }
        signals_chain(sig, si, uc);
        return;
    }
    int write = fault_is_write(uc);
    const char *why = "", *dev = "";
    char buf[160];
    uint64_t pa = 0;
    int r = resolve(m, ce, write, &why, buf, sizeof buf, &pa, &dev);
    char hint[200] = "";
    if (r == FAULT_RAISE)
        caller_fault_hint(&m->vm, ce, hint, sizeof hint);
    if (r == FAULT_EMULATE && !t_probe) {
        /* Decode and perform the access; an instruction cevm does not decode runs one step
         * against a scratch page instead. */
        uintptr_t base = m->win.base;
        char device[32];
        snprintf(device, sizeof device, "%s", dev);
        machine_unlock();
        if (unimpl_emulate(uc, base, addr, ce, pa, device))
            return;
        machine_lock();
        if (g_machine != m) {
            machine_unlock();
            return; /* the machine went meanwhile: retry the instruction against the new one */
        }
        int b = unimpl_begin(m, ce, write, pa, dev, uc);
        if (b >= 0) {
            machine_unlock();
            if (b == 1) /* another thread is stepping: wait, then retry the instruction */
                unimpl_wait_turn();
            return;
        }
    }
    char devwhy[300] = "";
    if (r == FAULT_DEVICE && !t_probe) {
        /* A trapped register file: the instruction's access is one model access, or, for an
         * instruction cevm cannot decode, an exception that says so (never a guess). */
        uintptr_t base = m->win.base;
        machine_unlock();
        if (dev_emulate(uc, base, addr, ce, pa, devwhy, sizeof devwhy))
            return;
        machine_lock();
        why = devwhy;
    }
    if (r == FAULT_EMULATE || r == FAULT_DEVICE)
        r = FAULT_RAISE;
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
    if (r == FAULT_STACK_OVERFLOW) {
        e.code = CEVM_EXCEPTION_STACK_OVERFLOW; /* no parameters */
        snprintf(t_reason, sizeof t_reason, "%s (CE address 0x%08X)", why, ce);
    } else {
        e.code = CEVM_EXCEPTION_ACCESS_VIOLATION;
        e.info[0] = (uint32_t)write;
        e.info[1] = ce;
        snprintf(t_reason, sizeof t_reason, "%s%s", why, hint);
    }
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
    if (seh_has_frame()) {
        if (r == FAULT_RAISE_GUARD) {
            machine_lock();
            if (g_machine)
                vm_clear_guard(&g_machine->vm, ce);
            machine_unlock();
        }
        to_frame(&e, uc);
    }
    fault_say_unhandled(&e, (const void *)fault_ip(uc));
    /* Die of SIGSEGV now, so the exit status says so. */
    signals_die(SIGSEGV);
}

void fault_on_bus(int sig, siginfo_t *si, void *uc)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    struct machine *m = g_machine; /* read without the lock: a fault cannot race a shutdown */
    uint32_t ce;
    int in_window = m && t_lock_depth == 0 && window_contains(&m->win, addr, &ce);
    if (in_window && m->win.mode == CEVM_WINDOW_IDENTITY)
        ce = (uint32_t)addr;
    if (t_probe && (in_window || t_lock_depth == 0))
        siglongjmp(*t_probe, 1);
    if (!in_window && !seh_has_frame()) {
        signals_chain(sig, si, uc);
        return;
    }
    cevm_exception e;
    memset(&e, 0, sizeof e);
    if (si->si_code == BUS_ADRALN) {
        e.code = CEVM_EXCEPTION_DATATYPE_MISALIGNMENT;
        snprintf(t_reason, sizeof t_reason, "misaligned access at host address %p", (void *)addr);
    } else {
        /* A page of a file backing that the file cannot supply (it was truncated): CE's in-page
         * error, as when a pager cannot bring a page in. */
        e.code = CEVM_EXCEPTION_IN_PAGE_ERROR;
        e.info[0] = (uint32_t)fault_is_write(uc);
        e.info[1] = in_window ? ce : (uint32_t)addr;
        snprintf(t_reason, sizeof t_reason,
                 "the backing file cannot supply this page (truncated below it?)");
    }
    e.reason = t_reason;
    if (seh_has_frame())
        to_frame(&e, uc);
    fault_say_unhandled(&e, (const void *)fault_ip(uc));
    signals_die(SIGBUS);
}

void fault_on_other(int sig, siginfo_t *si, void *uc)
{
    if (!seh_has_frame() || t_lock_depth > 0) {
        signals_chain(sig, si, uc);
        return;
    }
    cevm_exception e;
    memset(&e, 0, sizeof e);
    if (sig == SIGFPE) {
        e.code = si->si_code == FPE_INTDIV   ? CEVM_EXCEPTION_INT_DIVIDE_BY_ZERO
                 : si->si_code == FPE_INTOVF ? CEVM_EXCEPTION_INT_OVERFLOW
                 : si->si_code == FPE_FLTDIV ? CEVM_EXCEPTION_FLT_DIVIDE_BY_ZERO
                                             : CEVM_EXCEPTION_FLT_INVALID_OPERATION;
        snprintf(t_reason, sizeof t_reason, "%s",
                 si->si_code == FPE_INTDIV   ? "integer divide by zero"
                 : si->si_code == FPE_INTOVF ? "integer overflow"
                                             : "floating-point exception");
    } else if (sig == SIGILL) {
        e.code = CEVM_EXCEPTION_ILLEGAL_INSTRUCTION;
        snprintf(t_reason, sizeof t_reason, "illegal instruction");
    } else {
        e.code = CEVM_EXCEPTION_FATAL_APP_EXIT;
        snprintf(t_reason, sizeof t_reason, "abort() was called");
    }
    e.reason = t_reason;
    to_frame(&e, uc);
    signals_chain(sig, si, uc);
}

void fault_on_trap(int sig, siginfo_t *si, void *uc)
{
    if (unimpl_active()) {
        unimpl_finish(uc);
        return;
    }
    signals_chain(sig, si, uc);
}

/* ---- per-thread set-up ----------------------------------------------------------------- */

#define ALTSTACK_SIZE 0x10000u

static pthread_key_t g_altstack_key;
static pthread_once_t g_altstack_once = PTHREAD_ONCE_INIT;

static void altstack_free(void *p)
{
    stack_t none;
    memset(&none, 0, sizeof none);
    none.ss_flags = SS_DISABLE;
    sigaltstack(&none, NULL);
    munmap(p, ALTSTACK_SIZE);
}

static void altstack_key_make(void)
{
    pthread_key_create(&g_altstack_key, altstack_free);
}

void fault_thread_ready(void)
{
    emulate_thread_ready(); /* the decoder, so the handler allocates nothing */
    if (t_altstack)
        return;
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        void *lo;
        size_t size;
        if (pthread_attr_getstack(&a, &lo, &size) == 0) {
            t_stack_lo = (uintptr_t)lo;
            t_stack_hi = (uintptr_t)lo + size;
        }
        pthread_attr_destroy(&a);
    }
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE)) {
        t_altstack = cur.ss_sp; /* the program has one already */
        return;
    }
    void *p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = p;
    ss.ss_size = ALTSTACK_SIZE;
    if (sigaltstack(&ss, NULL)) {
        munmap(p, ALTSTACK_SIZE);
        return;
    }
    t_altstack = p;
    pthread_once(&g_altstack_once, altstack_key_make);
    pthread_setspecific(g_altstack_key, p); /* freed when the thread ends */
}

/* ---- installation ------------------------------------------------------------------------ */

int fault_installed(void)
{
    return __atomic_load_n(&g_installed, __ATOMIC_ACQUIRE);
}

int fault_install(void)
{
    if (__atomic_load_n(&g_installed, __ATOMIC_ACQUIRE))
        return 0;
    /* backtrace() loads the unwinder on first use: do it here, not in a signal handler. */
    void *warm[2];
    backtrace(warm, 2);
    fault_thread_ready();
    if (signals_install())
        return -1;
    __atomic_store_n(&g_installed, 1, __ATOMIC_RELEASE);
    return 0;
}

cevm_status cevm_install_fault_handler(void)
{
    machine_lock();
    cevm_status st = !g_machine ? CEVM_E_STATE : signals_install() ? CEVM_E_HOST : CEVM_OK;
    machine_unlock();
    return st;
}

void fault_uninstall(void)
{
    if (!__atomic_load_n(&g_installed, __ATOMIC_ACQUIRE))
        return;
    signals_uninstall();
    __atomic_store_n(&g_installed, 0, __ATOMIC_RELEASE);
}
