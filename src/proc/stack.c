/*
 * stack.c — thread stacks in the CE address space, so `(DWORD)&local` is a CE address.
 *
 * A CE stack is a VM reservation marked as a stack (vm_stack_reserve): first fit in the process
 * slot as CE 5 places stacks, its top committed, the rest committed page by page when the thread
 * touches it (vm_fault), its lowest 16 KB a stack overflow (0xC00000FD). VirtualFree and
 * VirtualProtect refuse stack addresses (87), as CE 5 does.
 *
 * Two ways onto a CE stack:
 *   - CreateThread starts the thread on one (pthread_attr_setstack). glibc puts the thread's
 *     control block at the top of the stack and touches it until the thread has fully exited, so
 *     the stack is released only after a join: each such thread is recorded when it is created,
 *     marks itself done as its last act, and the next CreateThread joins the done ones; the
 *     shutdown joins them all (stack_reap).
 *   - The driver host runs an entry point on the calling thread's CE stack (stack_run): a small
 *     trampoline switches the stack pointer, calls, and switches back; its unwind information
 *     names the old stack, so backtraces and C++ unwinding cross it. A longjmp out of it
 *     (cevm_try) simply lands on the old stack. Each host thread gets one such stack on first
 *     use, released by a thread-specific destructor when the thread ends.
 * Only in the identity window (stack_enabled says why not elsewhere).
 */
#define _GNU_SOURCE
#include "proc/stack.h"

#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "cevm/cevm.h"
#include "core/machine.h"
#include "winerror.h"

/* Bytes committed at the top of a new stack beyond the thread-local storage: glibc's thread
 * control block and the first frames. */
#define STACK_TOP_COMMIT 0x4000u

static unsigned g_gen = 1; /* changed with the machine lock held */

/* glibc puts a thread's static TLS at the top of a stack the program gives it: the PT_TLS
 * segments of every module loaded at start (a sanitizer runtime's can be hundreds of KB). */
static size_t g_tls_bytes;
static pthread_once_t g_tls_once = PTHREAD_ONCE_INIT;

static int add_tls(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_TLS)
            g_tls_bytes += info->dlpi_phdr[i].p_memsz + info->dlpi_phdr[i].p_align;
    return 0;
}

static void measure_tls(void)
{
    dl_iterate_phdr(add_tls, NULL);
}

int stack_enabled(void)
{
    const char *e = getenv("CEVM_STACKS");
    if (e && !strcmp(e, "host"))
        return 0;
    machine_lock();
    int on = g_machine && g_machine->win.mode == CEVM_WINDOW_IDENTITY;
    machine_unlock();
    return on;
}

uint32_t stack_create(uint32_t ce_size, struct ce_stack *out)
{
    memset(out, 0, sizeof *out);
    if (!ce_size)
        ce_size = CE_STACK_DEFAULT;
    if (ce_size > 0x1000000u) /* 16 MB: CE 5's slot could never hold more */
        return ERROR_NOT_ENOUGH_MEMORY;
    pthread_once(&g_tls_once, measure_tls);
    uint32_t top = (uint32_t)((g_tls_bytes + STACK_TOP_COMMIT + 0xFFFu) & ~(size_t)0xFFFu);
    uint32_t size = ((ce_size + 0xFFFFu) & ~0xFFFFu) * CE_STACK_HOST_FACTOR +
                    ((top + 0xFFFFu) & ~0xFFFFu),
             base = 0;
    machine_lock();
    uint32_t e =
        g_machine ? vm_stack_reserve(&g_machine->vm, size, top, &base) : ERROR_NOT_ENOUGH_MEMORY;
    if (!e) {
        out->base = base;
        out->size = size;
        out->lo = window_ptr(&g_machine->win, base);
        out->gen = g_gen;
    }
    machine_unlock();
    return e == ERROR_INVALID_PARAMETER ? ERROR_NOT_ENOUGH_MEMORY : e;
}

void stack_destroy(struct ce_stack *s)
{
    if (!s->base)
        return;
    machine_lock();
    if (g_machine && s->gen == g_gen)
        vm_stack_release(&g_machine->vm, s->base);
    machine_unlock();
    memset(s, 0, sizeof *s);
}

void stack_machine_gone(void)
{
    __atomic_add_fetch(&g_gen, 1, __ATOMIC_RELAXED);
}

/* ---- running a call on this thread's CE stack ------------------------------------------ */

#if defined(__x86_64__)
__asm__(".text\n"
        ".globl cevm_stack_call\n"
        ".hidden cevm_stack_call\n"
        ".type cevm_stack_call,@function\n"
        "cevm_stack_call:\n"
        ".cfi_startproc\n"
        "pushq %rbp\n"
        ".cfi_def_cfa_offset 16\n"
        ".cfi_offset %rbp, -16\n"
        "movq %rsp, %rbp\n"
        ".cfi_def_cfa_register %rbp\n" /* the caller's frame is found through rbp */
        "movq %rdx, %rsp\n"
        "movq %rdi, %rax\n"
        "movq %rsi, %rdi\n"
        "callq *%rax\n"
        "movq %rbp, %rsp\n"
        "popq %rbp\n"
        ".cfi_def_cfa %rsp, 8\n"
        "ret\n"
        ".cfi_endproc\n"
        ".size cevm_stack_call, .-cevm_stack_call\n");
#else
void cevm_stack_call(void (*fn)(void *), void *arg, void *top)
{
    (void)top;
    fn(arg);
}
#endif

static CEVM_TLS struct ce_stack t_call_stack;
static pthread_key_t g_call_key;
static pthread_once_t g_call_once = PTHREAD_ONCE_INIT;

static void call_stack_free(void *p)
{
    stack_destroy(p);
}

static void call_key_make(void)
{
    pthread_key_create(&g_call_key, call_stack_free);
}

void stack_run(void (*fn)(void *), void *arg)
{
    struct ce_stack *s = &t_call_stack;
    char here;
    uintptr_t sp = (uintptr_t)&here;
    if (s->base && s->gen != __atomic_load_n(&g_gen, __ATOMIC_RELAXED))
        memset(s, 0, sizeof *s); /* made by a machine that is gone */
    if (s->base && sp >= (uintptr_t)s->lo && sp < (uintptr_t)s->lo + s->size) {
        fn(arg); /* already on it (a driver call made from a driver call) */
        return;
    }
    if (!s->base) {
        if (!stack_enabled() || stack_create(0, s)) {
            fn(arg);
            return;
        }
        pthread_once(&g_call_once, call_key_make);
        pthread_setspecific(g_call_key, s);
    }
    cevm_stack_call(fn, arg, (char *)s->lo + s->size);
}

/* ---- threads started on a CE stack ------------------------------------------------------ */

struct stack_thread {
    pthread_t thread;
    struct ce_stack stack;
    int done; /* set by the thread as its last act (atomic) */
    struct stack_thread *next;
};

static pthread_mutex_t g_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stack_thread *g_threads;

struct stack_thread *stack_thread_new(const struct ce_stack *s)
{
    struct stack_thread *t = calloc(1, sizeof *t);
    if (t)
        t->stack = *s;
    return t;
}

void stack_thread_started(struct stack_thread *t, pthread_t thread)
{
    t->thread = thread;
    pthread_mutex_lock(&g_threads_lock);
    t->next = g_threads;
    g_threads = t;
    pthread_mutex_unlock(&g_threads_lock);
}

void stack_thread_failed(struct stack_thread *t)
{
    free(t);
}

void stack_thread_done(struct stack_thread *t)
{
    __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
}

void stack_reap(int everything)
{
    struct stack_thread *mine = NULL;
    pthread_mutex_lock(&g_threads_lock);
    for (struct stack_thread **pp = &g_threads; *pp;) {
        struct stack_thread *t = *pp;
        if (everything || __atomic_load_n(&t->done, __ATOMIC_ACQUIRE)) {
            *pp = t->next;
            t->next = mine;
            mine = t;
        } else
            pp = &t->next;
    }
    pthread_mutex_unlock(&g_threads_lock);
    while (mine) {
        struct stack_thread *next = mine->next;
        pthread_join(mine->thread, NULL);
        stack_destroy(&mine->stack);
        free(mine);
        mine = next;
    }
}

void stack_fork_child(void)
{
    pthread_mutex_init(&g_threads_lock, NULL);
    struct stack_thread *t = g_threads;
    g_threads = NULL;
    while (t) { /* no such thread here: its stack stays reserved in the child's copy */
        struct stack_thread *next = t->next;
        free(t);
        t = next;
    }
}
