/*
 * seh.c — structured exception handling: the frames of __try (include/cevm/ce/excpt.h) and
 * cevm_try, and the dispatch of an exception through them in CE's two passes.
 *
 * Each thread has a chain of frames, innermost first. A __try frame comes from a per-thread free
 * list and holds the jmp_buf the macro setjmp()s into; a cevm_try frame lives on cevm_try's stack
 * and catches everything. Whether a __try frame is an __except or a __finally frame is learnt
 * the first time cevm lands in it (the macros know it only after the body).
 *
 * Dispatch. The fault handler (fault.c) or RaiseException hands the exception to
 * seh_dispatch() with the faulting context. It keeps the context and a copy of the stack from
 * the faulting stack pointer up to the outermost frame it may search, then:
 *   pass 1: for each frame from the innermost: a __finally frame is skipped; a cevm_try frame
 *     is the target; an __except frame (or one not yet known) is landed in with longjmp, where
 *     the macro evaluates the filter in its own function and calls cevm_seh_filter():
 *     EXECUTE_HANDLER makes it the target, CONTINUE_SEARCH goes on outwards, CONTINUE_EXECUTION
 *     puts the stack copy back and resumes the faulting context;
 *   pass 2: the __finally frames inside the target run innermost first (the stack copy is put
 *     back first if a filter ran below them), then the target's handler.
 * Putting the stack back cannot be done on that stack: cevm sends the thread a SIGSEGV (tgkill)
 * that runs on its alternate signal stack, copies the bytes back and returns into the saved
 * context (or longjmps into the next __finally frame). RaiseException uses the same signal to
 * enter the dispatcher with a context to resume.
 *
 * An exception raised inside a filter or a __finally block is dispatched on its own (up to
 * SEH_LEVELS deep); if it leaves that filter or block, the earlier exception is abandoned, with a
 * report. No lock is held while CE code (filters, handlers) runs: all state is per thread.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "ce/ce_api.h"
#include "proc/image.h"
#include "core/elfsyms.h"
#include "core/fault.h"
#include "core/machine.h"
#include "core/seh.h"
#include "core/signals.h"
#include "excpt.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SEH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SEH_ASAN 1
#endif
#ifdef SEH_ASAN
#include <sanitizer/asan_interface.h>
#endif

enum seh_kind { SEH_UNKNOWN, SEH_EXCEPT, SEH_FINALLY, SEH_CATCHALL };

struct seh_frame {
    jmp_buf jb;
    struct seh_frame *prev;
    uintptr_t cfa; /* the owning function's frame address */
    const char *file;
    int line;
    int kind;
    struct cevm_seh_site *site; /* the __try's static record (NULL for cevm_try) */
    sigjmp_buf *catch_jb;       /* SEH_CATCHALL: cevm_try's */
    cevm_exception *catch_exc;
    struct seh_frame *all; /* every frame this thread allocated (the pool's own list) */
    int in_use;
};

enum seh_mode { D_NONE, D_SEARCH, D_UNWIND, D_HANDLER };

#define SEH_LEVELS     4
#define SEH_IMAGE_SIZE 0x200000u /* stack copied per level, at most */
#define SEH_FP_SIZE    4096u

/* One exception being dispatched. */
struct seh_level {
    int mode;
    int landing;              /* a longjmp into cursor/target is in flight */
    int clobbered;            /* a filter ran below frames pass 2 still needs */
    int resumable;            /* the context and the stack copy are complete */
    struct seh_frame *cursor; /* the frame landed in */
    struct seh_frame *target; /* pass 2: the frame whose handler runs */
    struct seh_frame *hidden; /* the frames inside cursor, hidden while its filter runs */
    struct seh_frame *base;   /* the chain outside the filter or __finally now running */
    EXCEPTION_RECORD rec;
    CONTEXT ctx;
    EXCEPTION_POINTERS ptrs;
    cevm_exception exc;
    ucontext_t uc;
    sigset_t mask;
    unsigned char fp[SEH_FP_SIZE]; /* the xsave area, copied byte for byte */
    size_t fplen;
    uintptr_t image_lo;
    size_t image_len;
    uintptr_t live_lo;    /* the stack pointer of the function landed in: above it is live */
    unsigned char *image; /* SEH_IMAGE_SIZE bytes */
};

enum seh_signal { SIG_NONE, SIG_RAISE, SIG_RESUME, SIG_JUMP };

struct seh_thread {
    struct seh_frame *top;
    struct seh_frame *free;
    struct seh_frame *all; /* every pool frame (for drop_chain and the thread's end) */
    int depth;             /* levels in use */
    struct seh_level lv[SEH_LEVELS];
    EXCEPTION_RECORD last; /* the latest exception (GetExceptionCode in a handler) */
    EXCEPTION_POINTERS last_ptrs;
    CONTEXT last_ctx;
    volatile int signal;    /* enum seh_signal: what the next self-sent SIGSEGV is for */
    struct seh_frame *jump; /* SIG_JUMP: the frame to longjmp into after the copy-back */
    EXCEPTION_RECORD raise; /* SIG_RAISE */
    unsigned char *images;
};

static CEVM_TLS struct seh_thread *volatile t_seh;
static pthread_key_t g_seh_key;
static pthread_once_t g_seh_once = PTHREAD_ONCE_INIT;

/* ---- per-thread state -------------------------------------------------------------------- */

/* Forget the chain and give every frame back to the pool. The chain itself is not walked:
 * frames of functions that are gone (cevm_try's live on its stack) may be overwritten. */
static void drop_chain(struct seh_thread *t)
{
    t->top = NULL;
    t->depth = 0;
    t->free = NULL;
    for (struct seh_frame *f = t->all; f; f = f->all) {
        f->in_use = 0;
        f->prev = t->free;
        t->free = f;
    }
}

static void seh_thread_free(void *p)
{
    struct seh_thread *t = p;
    t_seh = NULL; /* this thread is ending: nothing may reach the freed state */
    while (t->all) {
        struct seh_frame *f = t->all;
        t->all = f->all;
        free(f);
    }
    if (t->images)
        munmap(t->images, (size_t)SEH_LEVELS * SEH_IMAGE_SIZE);
    free(t);
}

static void seh_key_make(void)
{
    pthread_key_create(&g_seh_key, seh_thread_free);
}

/* This thread's state, created on first use (never in a signal handler). */
static __attribute__((noinline)) struct seh_thread *seh_self(void)
{
    struct seh_thread *t = t_seh;
    if (t)
        return t;
    t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    void *im = mmap(NULL, (size_t)SEH_LEVELS * SEH_IMAGE_SIZE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    t->images = im == MAP_FAILED ? NULL : im;
    for (int i = 0; i < SEH_LEVELS; i++)
        t->lv[i].image = t->images ? t->images + (size_t)i * SEH_IMAGE_SIZE : NULL;
    pthread_once(&g_seh_once, seh_key_make);
    pthread_setspecific(g_seh_key, t);
    t_seh = t;
    /* Faults must reach cevm's handlers, on an alternate stack (the copy-back needs one). */
    fault_thread_ready();
    if (!fault_installed()) {
        if (ce_acquire())
            machine_unlock();
    }
    return t;
}

static struct seh_frame *frame_new(struct seh_thread *t)
{
    struct seh_frame *f = t->free;
    if (f) {
        t->free = f->prev;
        f->in_use = 1;
        return f;
    }
    f = malloc(sizeof *f);
    if (!f) {
        fault_say("cevm: out of memory for a __try frame\n");
        abort();
    }
    f->all = t->all;
    t->all = f;
    f->in_use = 1;
    return f;
}

static void frame_release(struct seh_thread *t, struct seh_frame *f)
{
    if (f->kind == SEH_CATCHALL || !f->in_use)
        return; /* cevm_try's own, or already back */
    f->in_use = 0;
    f->prev = t->free;
    t->free = f;
}

/* Drop frames whose function has returned (left by a longjmp out of a __try body). */
static void drop_stale(struct seh_thread *t, uintptr_t cfa)
{
    while (t->top && t->top->cfa < cfa) {
        struct seh_frame *f = t->top;
        char line[320];
        if (f->kind != SEH_CATCHALL) {
            snprintf(line, sizeof line,
                     "cevm: the __try frame of %s:%d was left without ending (a longjmp out of "
                     "its body?); dropped\n",
                     f->file ? f->file : "?", f->line);
            fault_say(line);
        }
        t->top = f->prev;
        frame_release(t, f);
    }
}

/* ---- the frames ------------------------------------------------------------------------ */

jmp_buf *cevm_seh_push(const char *file, int line, void *frame_address)
{
    struct seh_thread *t = seh_self();
    if (!t) {
        fault_say("cevm: out of memory for exception handling\n");
        abort();
    }
    drop_stale(t, (uintptr_t)frame_address);
    struct seh_frame *f = frame_new(t);
    f->prev = t->top;
    f->cfa = (uintptr_t)frame_address;
    f->file = file;
    f->line = line;
    f->kind = SEH_UNKNOWN;
    f->site = NULL;
    f->catch_jb = NULL;
    f->catch_exc = NULL;
    atomic_signal_fence(memory_order_seq_cst);
    t->top = f;
    atomic_signal_fence(memory_order_seq_cst);
    return &f->jb;
}

struct cevm_seh_scope cevm_seh_scope_enter(struct cevm_seh_site *site)
{
    struct cevm_seh_scope s = {t_seh ? t_seh->top : NULL, site};
    if (s.frame)
        ((struct seh_frame *)s.frame)->site = site;
    return s;
}

/* Pop frame f (and anything left above it). */
static void pop_to(struct seh_thread *t, struct seh_frame *f)
{
    struct seh_frame *p = t->top;
    while (p) {
        struct seh_frame *prev = p->prev;
        atomic_signal_fence(memory_order_seq_cst);
        t->top = prev;
        frame_release(t, p);
        if (p == f)
            break;
        p = prev;
    }
}

static int on_chain(struct seh_thread *t, struct seh_frame *f)
{
    for (struct seh_frame *p = t->top; p; p = p->prev)
        if (p == f)
            return 1;
    return 0;
}

/* Is site a __try/__finally? Its kind is learnt when the construct ends normally; before that,
 * the marks __finally leaves in its library's cevm_seh_finally section say it (read once from
 * the library's file, then kept in the site). */
static int site_is_finally(struct cevm_seh_site *site)
{
    int kind = __atomic_load_n(&site->kind, __ATOMIC_RELAXED);
    if (kind)
        return kind == 2;
    struct module_addr di;
    char exe[512];
    uint64_t addr = 0, size = 0;
    int fixed = 0;
    kind = 1;
    if (image_dladdr(site, &di) && di.bias) {
        const char *path = di.path;
        if (!path || path[0] != '/') {
            ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
            exe[n > 0 ? n : 0] = '\0';
            path = exe;
        }
        if (!elf_section(path, "cevm_seh_finally", &addr, &size, &fixed)) {
            uintptr_t at = (fixed ? 0 : di.bias) + (uintptr_t)addr;
            struct cevm_seh_site *const *marks = (struct cevm_seh_site *const *)at;
            for (uint64_t i = 0; i < size / sizeof(void *); i++) /* an array of pointers */
                if (marks[i] == site)
                    kind = 2;
        }
    }
    __atomic_store_n(&site->kind, kind, __ATOMIC_RELAXED);
    return kind == 2;
}

void cevm_seh_body_end(struct cevm_seh_scope *s, int finally)
{
    struct seh_thread *t = t_seh;
    struct seh_frame *f = s->frame;
    s->frame = NULL;
    if (!t || !f)
        return;
    if (s->site)
        __atomic_store_n(&s->site->kind, finally ? 2 : 1, __ATOMIC_RELAXED);
    if (on_chain(t, f))
        pop_to(t, f);
}

void cevm_seh_scope_exit(struct cevm_seh_scope *s)
{
    struct seh_thread *t = t_seh;
    struct seh_frame *f = s->frame;
    if (!t || !f)
        return; /* ended normally (or by an exception, which popped it) */
    s->frame = NULL;
    if (!on_chain(t, f))
        return;
    if (f->kind == SEH_FINALLY || (s->site && site_is_finally(s->site))) {
        char line[320];
        snprintf(line, sizeof line,
                 "cevm: %s:%d: a return, break, continue or goto left this __try body; its "
                 "__finally block did not run (CE runs it; use __leave, docs/porting.md)\n",
                 f->file, f->line);
        fault_say(line);
    }
    pop_to(t, f);
}

/* ---- cevm_try: a frame that catches everything ------------------------------------------- */

int cevm_try(void (*fn)(void *ctx), void *ctx, cevm_exception *out)
{
    struct seh_thread *volatile t = seh_self();
    if (!t) {
        fn(ctx);
        return 0;
    }
    struct seh_frame f;
    sigjmp_buf jb;
    cevm_exception exc;
    memset(&f, 0, sizeof f);
    memset(&exc, 0, sizeof exc);
    drop_stale(t, (uintptr_t)__builtin_frame_address(0));
    f.kind = SEH_CATCHALL;
    f.cfa = (uintptr_t)__builtin_frame_address(0);
    f.catch_jb = &jb;
    f.catch_exc = &exc;
    f.file = "cevm_try";
    f.prev = t->top;
    if (sigsetjmp(jb, 1) == 0) {
        atomic_signal_fence(memory_order_seq_cst);
        t->top = &f;
        atomic_signal_fence(memory_order_seq_cst);
        fn(ctx);
        atomic_signal_fence(memory_order_seq_cst);
        if (on_chain(t, &f))
            pop_to(t, &f);
        return 0;
    }
    if (out)
        *out = exc;
    return 1;
}

void seh_thread_reset(void)
{
    struct seh_thread *t = t_seh;
    if (t)
        drop_chain(t);
}

int seh_has_frame(void)
{
    struct seh_thread *t = t_seh;
    return t && t->top;
}

/* ---- the dispatcher ---------------------------------------------------------------------- */

static struct seh_level *level(struct seh_thread *t)
{
    return &t->lv[t->depth - 1];
}

static void finish_level(struct seh_thread *t)
{
    struct seh_level *l = level(t);
    t->last = l->rec;
    t->last_ctx = l->ctx;
    t->last_ptrs.ExceptionRecord = &t->last;
    t->last_ptrs.ContextRecord = &t->last_ctx;
    l->mode = D_NONE;
    t->depth--;
}

static void restore_mask(struct seh_level *l)
{
    pthread_sigmask(SIG_SETMASK, &l->mask, NULL);
}

static void say_unhandled_level(struct seh_level *l) __attribute__((noreturn));
static void say_unhandled_level(struct seh_level *l)
{
    fault_say_unhandled(&l->exc, l->rec.ExceptionAddress);
    signals_die(SIGSEGV);
}

/* Copy the stack bytes without the sanitizers' checks (they cover dead frames' red zones). */
__attribute__((no_sanitize_address, no_sanitize("thread"))) static void
raw_copy(volatile unsigned char *dst, const volatile unsigned char *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

#if defined(__x86_64__)
static const int g_reg_order[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                    REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                    REG_R12, REG_R13, REG_R14, REG_R15};
#endif

/* Keep the faulting context and the stack from its stack pointer up to the outermost frame a
 * filter may run in (the first cevm_try frame ends the search). */
static void save_context(struct seh_thread *t, struct seh_level *l, const ucontext_t *uc)
{
    l->uc = *uc;
    l->mask = uc->uc_sigmask;
    l->resumable = 0;
    l->fplen = 0;
    memset(&l->ctx, 0, sizeof l->ctx);
#if defined(__x86_64__)
    const greg_t *g = uc->uc_mcontext.gregs;
    l->ctx.ContextFlags = 1;
    l->ctx.Pc = (ULONG_PTR)g[REG_RIP];
    l->ctx.Sp = (ULONG_PTR)g[REG_RSP];
    for (int i = 0; i < 16; i++)
        l->ctx.Reg[i] = (ULONG_PTR)g[g_reg_order[i]];
    if (uc->uc_mcontext.fpregs) {
        const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
        size_t len = 512;
        /* An xsave frame says its size in the software-reserved words (FP_XSTATE_MAGIC1). */
        const uint32_t *sw = (const uint32_t *)((const unsigned char *)fp + 464);
        if (sw[0] == 0x46505853u && sw[2] > 512 && sw[2] <= SEH_FP_SIZE)
            len = sw[2];
        memcpy(l->fp, fp, len);
        l->fplen = len;
    }
    uintptr_t lo = (uintptr_t)g[REG_RSP] - 128, hi = 0;
    for (struct seh_frame *f = t->top; f && f->kind != SEH_CATCHALL; f = f->prev)
        if (f->cfa + 16 > hi)
            hi = f->cfa + 16;
    l->image_lo = lo;
    l->image_len = hi > lo ? hi - lo : 0;
    if (l->image && l->image_len && l->image_len <= SEH_IMAGE_SIZE) {
        raw_copy(l->image, (const unsigned char *)lo, l->image_len);
        l->resumable = 1;
    } else if (!l->image_len)
        l->resumable = l->image != NULL;
#else
    (void)t;
#endif
}

static void search_from(struct seh_thread *t, struct seh_frame *f) __attribute__((noreturn));
static int unwind_next(struct seh_thread *t, int in_target);

/* Land in frame f (a __try frame) for the level's current purpose. */
static void land(struct seh_thread *t, struct seh_frame *f) __attribute__((noreturn));
static void land(struct seh_thread *t, struct seh_frame *f)
{
    struct seh_level *l = level(t);
    l->landing = 1;
    atomic_signal_fence(memory_order_seq_cst);
    longjmp(f->jb, 1);
}

/* Send this thread a SIGSEGV for the dispatcher (what: enum seh_signal); it runs now. */
static void send_self(struct seh_thread *t, int what)
{
    t->signal = what;
    atomic_signal_fence(memory_order_seq_cst);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSEGV);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGSEGV);
}

/* Send this thread the signal that copies the stack back (and resumes or jumps). */
static void self_signal(struct seh_thread *t, int what) __attribute__((noreturn));
static void self_signal(struct seh_thread *t, int what)
{
    send_self(t, what);
    fault_say("cevm: internal error: the exception dispatcher's signal did not arrive\n");
    abort();
}

/* Move the newest level into the slot of the one outside it. */
static void level_merge_down(struct seh_thread *t)
{
    struct seh_level *l = level(t), *outer = &t->lv[t->depth - 2];
    unsigned char *keep = outer->image;
    if (l->resumable && l->image_len)
        memcpy(keep, l->image, l->image_len);
    *outer = *l;
    outer->image = keep;
    outer->ptrs.ExceptionRecord = &outer->rec;
    outer->ptrs.ContextRecord = &outer->ctx;
    t->depth--;
}

/* The search of the newest level has reached frame f: if f is outside the filter or __finally
 * block that raised it, the exception that block was handling is abandoned (reported).
 * Return: the frame to look at next. */
static struct seh_frame *check_escape(struct seh_thread *t, struct seh_frame *f)
{
    while (t->depth > 1) {
        struct seh_level *outer = &t->lv[t->depth - 2];
        struct seh_frame *edge = outer->mode == D_SEARCH ? outer->cursor : outer->base;
        if (f != edge)
            break;
        char line[320];
        snprintf(line, sizeof line,
                 "cevm: exception 0x%08X left the %s of %s:%d, which was handling exception "
                 "0x%08X; that exception is abandoned\n",
                 (unsigned)level(t)->rec.ExceptionCode,
                 outer->mode == D_SEARCH ? "exception filter" : "__finally block",
                 outer->cursor && outer->cursor->file ? outer->cursor->file : "?",
                 outer->cursor ? outer->cursor->line : 0, (unsigned)outer->rec.ExceptionCode);
        fault_say(line);
        if (outer->mode == D_SEARCH && edge) {
            /* The frames inside the faulting filter's __try are dead, and so is its own. */
            for (struct seh_frame *h = outer->hidden; h && h != edge;) {
                struct seh_frame *n = h->prev;
                frame_release(t, h);
                h = n;
            }
            pop_to(t, edge);
            f = t->top;
        }
        level_merge_down(t);
    }
    return f;
}

/* Pass 1 from frame f outwards. */
static void search_from(struct seh_thread *t, struct seh_frame *f)
{
    struct seh_level *l;
    for (;; f = f->prev) {
        f = check_escape(t, f);
        l = level(t);
        if (!f)
            break;
        if (f->kind == SEH_FINALLY)
            continue;
        if (f->kind == SEH_CATCHALL) {
            l->target = f;
            unwind_next(t, 0);
        }
        l->mode = D_SEARCH;
        l->cursor = f;
        l->clobbered = 1;
        land(t, f);
    }
    say_unhandled_level(l);
}

/* Pass 2: run the next __finally frame inside the target, or enter the target. Return: 1 when
 * the caller is the target's own filter and the handler runs now. */
static int unwind_next(struct seh_thread *t, int in_target)
{
    struct seh_level *l = level(t);
    struct seh_frame *target = l->target;
    while (t->top && t->top != target) {
        struct seh_frame *f = t->top;
        t->top = f->prev;
        frame_release(t, f); /* not reused before the landing: nothing pushes in between */
        if (f->kind != SEH_FINALLY)
            continue;
        l->mode = D_UNWIND;
        l->cursor = f;
        l->base = t->top;
        if (l->clobbered && l->resumable) {
            l->clobbered = 0;
            t->jump = f;
            self_signal(t, SIG_JUMP);
        }
        land(t, f);
    }
    if (t->top == target) {
        t->top = target->prev;
        frame_release(t, target); /* (a cevm_try frame is its caller's); its jb stays intact */
    }
    if (target->kind == SEH_CATCHALL) {
        *target->catch_exc = l->exc;
        finish_level(t);
        siglongjmp(*target->catch_jb, 1);
    }
    if (in_target) {
        finish_level(t);
        return 1;
    }
    l->mode = D_HANDLER;
    l->cursor = target;
    land(t, target);
}

/* A new exception while another is being dispatched on this thread: if it is raised in the
 * filter or __finally block now running, it gets a level of its own. */
static struct seh_level *new_level(struct seh_thread *t)
{
    if (t->depth >= SEH_LEVELS) {
        fault_say("cevm: exceptions nested too deeply (an exception in a filter or __finally block "
                  "of an exception in a filter ...); stopping\n");
        signals_die(SIGSEGV);
    }
    struct seh_level *l = &t->lv[t->depth++];
    l->mode = D_NONE;
    l->landing = 0;
    l->clobbered = 0;
    l->cursor = l->target = l->hidden = l->base = NULL;
    return l;
}

int seh_dispatch(const cevm_exception *e, void *ucv, const EXCEPTION_RECORD *raised)
{
    struct seh_thread *t = t_seh;
    if (!t || !t->top || !t->images)
        return 0;
    ucontext_t *uc = ucv;
    struct seh_level *l;
    if (t->depth > 0 && level(t)->mode != D_SEARCH && level(t)->mode != D_UNWIND)
        t->depth = 0; /* a finished dispatch left in the middle: start afresh */
    l = new_level(t);
    memset(&l->rec, 0, sizeof l->rec);
    if (raised) {
        l->rec = *raised;
    } else {
        l->rec.ExceptionCode = e->code;
        if (e->code == CEVM_EXCEPTION_ACCESS_VIOLATION || e->code == CEVM_EXCEPTION_IN_PAGE_ERROR) {
            l->rec.NumberParameters = 2;
            l->rec.ExceptionInformation[0] = e->info[0];
            l->rec.ExceptionInformation[1] = e->info[1];
        }
    }
    l->rec.ExceptionAddress = (PVOID)e->ip;
    l->exc = *e;
    save_context(t, l, uc);
    l->ptrs.ExceptionRecord = &l->rec;
    l->ptrs.ContextRecord = &l->ctx;
    l->mode = D_SEARCH;
    struct seh_frame *start = t->top;
    search_from(t, start);
}

/* Called at a landing: the frame the dispatcher jumped to. */
static struct seh_level *landed(struct seh_thread *t)
{
    if (!t || t->depth == 0)
        return NULL;
    struct seh_level *l = level(t);
    if (!l->landing)
        return NULL;
    l->landing = 0;
    restore_mask(l);
    return l;
}

/* The bytes of the stack copy below the function landed in (the rest is live and may have been
 * changed by its filter on purpose). */
static size_t dead_len(const struct seh_level *l)
{
    if (l->live_lo <= l->image_lo)
        return 0;
    size_t n = l->live_lo - l->image_lo;
    return n < l->image_len ? n : l->image_len;
}

int cevm_seh_handler_turn(void)
{
    struct seh_thread *t = t_seh;
    struct seh_level *l = landed(t);
    if (l)
        l->live_lo = (uintptr_t)__builtin_frame_address(0) + 16;
    if (!l) {
        fault_say("cevm: internal error: an __except clause was entered without an exception\n");
        abort();
    }
    if (l->mode == D_HANDLER) {
        finish_level(t);
        return 1;
    }
    /* Pass 1: evaluate this frame's filter, with the frames inside it hidden. */
    l->cursor->kind = SEH_EXCEPT;
    l->hidden = t->top;
    t->top = l->cursor;
    return 0;
}

int cevm_seh_filter(long disposition)
{
    struct seh_thread *t = t_seh;
    struct seh_level *l = level(t);
    struct seh_frame *f = l->cursor;
    t->top = l->hidden; /* the frames inside come back for pass 2 */
    if (disposition == EXCEPTION_EXECUTE_HANDLER) {
        l->target = f;
        return unwind_next(t, 1);
    }
    if (disposition == EXCEPTION_CONTINUE_SEARCH) {
        /* What the filter changed in its own function stays changed in the stack copy. */
        size_t dead = dead_len(l);
        if (l->resumable && dead < l->image_len)
            raw_copy(l->image + dead, (const unsigned char *)l->image_lo + dead,
                     l->image_len - dead);
        search_from(t, f->prev);
    }
    if (disposition == EXCEPTION_CONTINUE_EXECUTION) {
        if (l->rec.ExceptionFlags & EXCEPTION_NONCONTINUABLE) {
            EXCEPTION_RECORD inner = l->rec;
            memset(&l->rec, 0, sizeof l->rec);
            l->rec.ExceptionCode = (DWORD)STATUS_NONCONTINUABLE_EXCEPTION;
            l->rec.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
            l->rec.ExceptionAddress = inner.ExceptionAddress;
            l->exc.code = (uint32_t)STATUS_NONCONTINUABLE_EXCEPTION;
            l->exc.reason = "a filter continued a non-continuable exception";
            search_from(t, f->prev);
        }
        if (!l->resumable) {
            char line[200];
            snprintf(line, sizeof line,
                     "cevm: %s:%d: EXCEPTION_CONTINUE_EXECUTION cannot resume (the stack to "
                     "restore is over %u bytes); handled as EXECUTE_HANDLER\n",
                     f->file, f->line, SEH_IMAGE_SIZE);
            fault_say(line);
            l->target = f;
            return unwind_next(t, 1);
        }
        self_signal(t, SIG_RESUME);
    }
    l->rec.ExceptionCode = (DWORD)STATUS_INVALID_DISPOSITION;
    l->exc.code = (uint32_t)STATUS_INVALID_DISPOSITION;
    l->exc.reason = "an exception filter returned an invalid disposition";
    search_from(t, f->prev);
}

struct cevm_seh_fin cevm_seh_finally_enter(void)
{
    struct cevm_seh_fin r = {1, 0};
    struct seh_thread *t = t_seh;
    struct seh_level *l = landed(t);
    if (!l)
        return r; /* the body ended normally */
    if (l->mode == D_SEARCH) {
        /* Pass 1 landed in a __finally frame: remember it, look further out. */
        l->cursor->kind = SEH_FINALLY;
        search_from(t, l->cursor->prev);
    }
    r.abnormal = 1;
    return r;
}

void cevm_seh_finally_exit(struct cevm_seh_fin *f)
{
    f->run = 0;
    if (!f->abnormal)
        return;
    struct seh_thread *t = t_seh;
    if (!t || t->depth == 0 || level(t)->mode != D_UNWIND)
        return;
    unwind_next(t, 0);
}

DWORD cevm_seh_code(void)
{
    struct seh_thread *t = t_seh;
    if (!t)
        return 0;
    if (t->depth > 0 && level(t)->mode == D_SEARCH)
        return level(t)->rec.ExceptionCode;
    return t->last.ExceptionCode;
}

PEXCEPTION_POINTERS cevm_seh_info(void)
{
    struct seh_thread *t = t_seh;
    if (!t)
        return NULL;
    if (t->depth > 0 && level(t)->mode == D_SEARCH)
        return &level(t)->ptrs;
    return &t->last_ptrs;
}

/* ---- the self-sent signal ------------------------------------------------------------------ */

int seh_signal_pending(void)
{
    struct seh_thread *t = t_seh;
    return t && t->signal != SIG_NONE;
}

void seh_on_signal(void *ucv)
{
    struct seh_thread *t = t_seh;
    ucontext_t *uc = ucv;
    int what = t->signal;
    t->signal = SIG_NONE;
    if (what == SIG_RAISE) {
        cevm_exception e;
        memset(&e, 0, sizeof e);
        e.code = t->raise.ExceptionCode;
        e.reason = "raised by RaiseException";
        if (t->raise.NumberParameters >= 2) {
            e.info[0] = (uint32_t)t->raise.ExceptionInformation[0];
            e.info[1] = (uint32_t)t->raise.ExceptionInformation[1];
        }
        fault_capture(&e, uc);
        if (!seh_dispatch(&e, uc, &t->raise)) {
            fault_say_unhandled(&e, (void *)e.ip);
            signals_die(SIGSEGV);
        }
        return;
    }
    struct seh_level *l = level(t);
#ifdef SEH_ASAN
    /* The frames below the landed function (the filter's calls, up to the self-signal) end
     * without returning: clear their red zones, and the restored range's. */
    {
        uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] - 256;
        uintptr_t lo = sp < l->image_lo ? sp : l->image_lo;
        if (l->live_lo > lo)
            __asan_unpoison_memory_region((void *)lo, l->live_lo - lo);
    }
#endif
    /* Put the stack back as it was at the fault. */
    size_t dead = dead_len(l);
    if (dead)
        raw_copy((unsigned char *)l->image_lo, l->image, dead);
    if (what == SIG_JUMP) {
        l->landing = 1;
        atomic_signal_fence(memory_order_seq_cst);
        longjmp(t->jump->jb, 1);
    }
    /* SIG_RESUME: return into the faulting context, with the filter's CONTEXT changes. */
#if defined(__x86_64__)
    greg_t *g = uc->uc_mcontext.gregs;
    memcpy(g, l->uc.uc_mcontext.gregs, sizeof l->uc.uc_mcontext.gregs);
    g[REG_RIP] = (greg_t)l->ctx.Pc;
    for (int i = 0; i < 16; i++)
        g[g_reg_order[i]] = (greg_t)l->ctx.Reg[i];
    g[REG_RSP] = (greg_t)l->ctx.Sp;
    if (uc->uc_mcontext.fpregs && l->fplen)
        memcpy(uc->uc_mcontext.fpregs, l->fp, l->fplen);
#endif
    uc->uc_sigmask = l->mask;
    finish_level(t);
}

void WINAPI RaiseException(DWORD dwExceptionCode, DWORD dwExceptionFlags, DWORD nNumberOfArguments,
                           CONST DWORD *lpArguments)
{
    struct seh_thread *t = seh_self();
    if (!t)
        abort();
    memset(&t->raise, 0, sizeof t->raise);
    t->raise.ExceptionCode = dwExceptionCode & ~0x10000000u; /* CE clears bit 28 */
    t->raise.ExceptionFlags = dwExceptionFlags & EXCEPTION_NONCONTINUABLE;
    if (nNumberOfArguments > EXCEPTION_MAXIMUM_PARAMETERS)
        nNumberOfArguments = EXCEPTION_MAXIMUM_PARAMETERS;
    if (!lpArguments)
        nNumberOfArguments = 0;
    t->raise.NumberParameters = nNumberOfArguments;
    for (DWORD i = 0; i < nNumberOfArguments; i++)
        t->raise.ExceptionInformation[i] = lpArguments[i];
    send_self(t, SIG_RAISE);
    /* EXCEPTION_CONTINUE_EXECUTION returns here. */
}
