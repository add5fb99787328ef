/*
 * sync.c — critical sections, events, threads, Sleep, GetTickCount and thread ids for CE code,
 * on POSIX threads.
 *
 * Kernel objects (events, mutexes, semaphores, threads, message queues) are reference-counted
 * records on one list; a HANDLE is the record's address and is checked against the list, so a
 * closed or invented handle gives ERROR_INVALID_HANDLE instead of a crash. A thread's record
 * holds a reference until the thread ends, so closing its handle early is safe. Named objects
 * live in one name space per type, as on CE: creating an existing name returns that object with
 * ERROR_ALREADY_EXISTS. Waits (WaitForSingleObject, WaitForMultipleObjects) sleep on one
 * condition variable that every state change broadcasts.
 */
#define _GNU_SOURCE
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ce/clock.h"
#include "ce/heap.h"
#include "driver/devmgr.h"
#include "ce/objects.h"
#include "ce/wait.h"
#include "core/fault.h"
#include "core/seh.h"
#include "host/host.h"

#define CE_THREAD_PRIORITY_DEFAULT 251 /* 248 + THREAD_PRIORITY_NORMAL */

pthread_mutex_t g_obj = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_changed = PTHREAD_COND_INITIALIZER; /* any object became signaled */
static struct object *g_objects;
static DWORD g_next_tid = 0x100;
static __thread DWORD t_tid;

/* ---- critical sections ---------------------------------------------------------------- */

static void impl_InitializeCriticalSection(LPCRITICAL_SECTION cs)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&cs->mutex, &a);
    pthread_mutexattr_destroy(&a);
    cs->OwnerThread = 0;
    cs->LockCount = 0;
}

static void impl_DeleteCriticalSection(LPCRITICAL_SECTION cs)
{
    pthread_mutex_destroy(&cs->mutex);
}

/* ---- what this thread waits in (the watchdog's report) ----------------------------------- */

static __thread struct ce_wait t_wait;

const struct ce_wait *ce_wait_self(void)
{
    return &t_wait;
}

static void wait_enter(int kind, const void *obj, uint32_t arg)
{
    atomic_store_explicit(&t_wait.obj, (uintptr_t)obj, memory_order_relaxed);
    atomic_store_explicit(&t_wait.arg, arg, memory_order_relaxed);
    atomic_store_explicit(&t_wait.kind, kind, memory_order_release);
}

static void wait_leave(void)
{
    atomic_store_explicit(&t_wait.kind, WAIT_NONE, memory_order_release);
}

void ce_wait_describe(const struct ce_wait *w, char *buf, size_t cap)
{
    int kind = atomic_load_explicit(&w->kind, memory_order_acquire);
    uintptr_t obj = atomic_load_explicit(&w->obj, memory_order_relaxed);
    uint32_t arg = atomic_load_explicit(&w->arg, memory_order_relaxed);
    switch (kind) {
    case WAIT_CRITICAL_SECTION:
        snprintf(buf, cap, "blocked in EnterCriticalSection(%p), held by thread 0x%X", (void *)obj,
                 arg);
        break;
    case WAIT_OBJECT:
        if (arg == INFINITE)
            snprintf(buf, cap, "blocked in WaitForSingleObject(%p, INFINITE)", (void *)obj);
        else
            snprintf(buf, cap, "blocked in WaitForSingleObject(%p, %u ms)", (void *)obj, arg);
        break;
    case WAIT_SLEEP:
        snprintf(buf, cap, "in Sleep(%u)", arg);
        break;
    default:
        snprintf(buf, cap, "running (not in a CE wait call: a loop?)");
        break;
    }
}

/* ---- critical sections (continued) ------------------------------------------------------ */

static void impl_EnterCriticalSection(LPCRITICAL_SECTION cs)
{
    if (pthread_mutex_trylock(&cs->mutex)) {
        wait_enter(WAIT_CRITICAL_SECTION, cs,
                   (uint32_t)__atomic_load_n(&cs->OwnerThread, __ATOMIC_RELAXED));
        pthread_mutex_lock(&cs->mutex);
        wait_leave();
    }
    __atomic_store_n(&cs->OwnerThread, GetCurrentThreadId(), __ATOMIC_RELAXED);
    cs->LockCount++;
}

static BOOL impl_TryEnterCriticalSection(LPCRITICAL_SECTION cs)
{
    if (pthread_mutex_trylock(&cs->mutex))
        return FALSE;
    __atomic_store_n(&cs->OwnerThread, GetCurrentThreadId(), __ATOMIC_RELAXED);
    cs->LockCount++;
    return TRUE;
}

static void impl_LeaveCriticalSection(LPCRITICAL_SECTION cs)
{
    if (--cs->LockCount == 0)
        __atomic_store_n(&cs->OwnerThread, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&cs->mutex);
}

/* ---- objects ---------------------------------------------------------------------------- */

struct object *new_object(enum kind k)
{
    struct object *o = host_calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->kind = k;
    o->refs = 1;
    pthread_mutex_lock(&g_obj);
    o->next = g_objects;
    g_objects = o;
    pthread_mutex_unlock(&g_obj);
    return o;
}

/* The live object behind h (g_obj held), or NULL. */
struct object *sync_first_object(void)
{
    return g_objects;
}

struct object *lookup(HANDLE h)
{
    for (struct object *o = g_objects; o; o = o->next)
        if (o == h && o->refs > 0)
            return o;
    return NULL;
}

/* Drop one reference (g_obj held); the record goes at zero. */
void unref(struct object *o)
{
    if (--o->refs > 0)
        return;
    if (o->kind == K_MSGQ)
        msgq_handle_gone(o);
    free(o->name);
    for (struct object **pp = &g_objects; *pp; pp = &(*pp)->next)
        if (*pp == o) {
            *pp = o->next;
            break;
        }
    free(o);
}

/* Check a CE object name: NULL (unnamed) or at most MAX_PATH units with no backslash.
 * Return: 0, or the error to set. */
static DWORD check_name(LPCWSTR name)
{
    if (!name)
        return 0;
    size_t n = 0;
    for (; name[n]; n++) {
        if (n >= MAX_PATH)
            return ERROR_INVALID_PARAMETER;
        if (name[n] == '\\')
            return ERROR_INVALID_NAME;
    }
    return 0;
}

/* The live object of kind k named name (g_obj held), or NULL. */
static struct object *find_named(enum kind k, LPCWSTR name)
{
    if (!name)
        return NULL;
    for (struct object *o = g_objects; o; o = o->next)
        if (o->kind == k && o->refs > 0 && o->name && !cevm_wcscmp(o->name, name))
            return o;
    return NULL;
}

HANDLE sync_create(enum kind k, LPSECURITY_ATTRIBUTES sa, LPCWSTR name, int *existed)
{
    *existed = 0;
    DWORD err = sa ? ERROR_INVALID_PARAMETER : check_name(name);
    if (err) {
        SetLastError(err);
        return NULL;
    }
    /* The name is copied, and the record made, before the lock: the caller's memory is never
     * read with it held, and finding or adding the name is one step. */
    WCHAR *copy = name ? cevm_wcsdup(name) : NULL;
    struct object *fresh = host_calloc(1, sizeof *fresh);
    if ((name && !copy) || !fresh) {
        free(copy);
        free(fresh);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    fresh->kind = k;
    fresh->refs = 1;
    fresh->name = copy;
    pthread_mutex_lock(&g_obj);
    struct object *o = find_named(k, copy);
    if (o)
        o->refs++;
    else {
        fresh->next = g_objects;
        g_objects = fresh;
    }
    pthread_mutex_unlock(&g_obj);
    if (o) {
        free(copy);
        free(fresh);
        *existed = 1;
        SetLastError(ERROR_ALREADY_EXISTS);
        return o;
    }
    SetLastError(0);
    return fresh;
}

static HANDLE impl_CreateEvent(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                               BOOL bInitialState, LPCWSTR lpName)
{
    int existed;
    struct object *o = sync_create(K_EVENT, lpEventAttributes, lpName, &existed);
    if (!o || existed)
        return o;
    pthread_mutex_lock(&g_obj);
    o->manual = bManualReset != 0;
    o->signaled = bInitialState != 0;
    pthread_mutex_unlock(&g_obj);
    return o;
}

static HANDLE impl_CreateMutex(LPSECURITY_ATTRIBUTES lpsa, BOOL bInitialOwner, LPCWSTR lpName)
{
    int existed;
    struct object *o = sync_create(K_MUTEX, lpsa, lpName, &existed);
    if (!o || existed)
        return o;
    if (bInitialOwner) {
        DWORD me = GetCurrentThreadId();
        pthread_mutex_lock(&g_obj);
        o->owner = me;
        o->count = 1;
        pthread_mutex_unlock(&g_obj);
    }
    return o;
}

static BOOL impl_ReleaseMutex(HANDLE hMutex)
{
    DWORD me = GetCurrentThreadId(), err = 0;
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hMutex);
    if (!o || o->kind != K_MUTEX)
        err = ERROR_INVALID_HANDLE;
    else if (o->owner != me || !o->count)
        err = ERROR_NOT_OWNER;
    else if (--o->count == 0) {
        o->owner = 0;
        clock_changed();
    }
    pthread_mutex_unlock(&g_obj);
    return ce_bool(err);
}

static HANDLE impl_CreateSemaphore(LPSECURITY_ATTRIBUTES lpsa, LONG lInitialCount,
                                   LONG lMaximumCount, LPCWSTR lpName)
{
    if (lMaximumCount <= 0 || lInitialCount < 0 || lInitialCount > lMaximumCount) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    int existed;
    struct object *o = sync_create(K_SEMAPHORE, lpsa, lpName, &existed);
    if (!o || existed)
        return o;
    pthread_mutex_lock(&g_obj);
    o->count = lInitialCount;
    o->max = lMaximumCount;
    pthread_mutex_unlock(&g_obj);
    return o;
}

static BOOL impl_ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount)
{
    DWORD err = 0;
    LONG prev = 0;
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hSemaphore);
    if (!o || o->kind != K_SEMAPHORE)
        err = ERROR_INVALID_HANDLE;
    else if (lReleaseCount <= 0)
        err = ERROR_INVALID_PARAMETER;
    else if (lReleaseCount > o->max - o->count)
        err = ERROR_TOO_MANY_POSTS;
    else {
        prev = o->count;
        o->count += lReleaseCount;
        clock_changed();
    }
    pthread_mutex_unlock(&g_obj);
    /* The caller's memory is written after the lock is released: a bad pointer faults in the
     * caller's code, never with the object lock held. */
    if (!err && lpPreviousCount)
        *lpPreviousCount = prev;
    return ce_bool(err);
}

static BOOL set_event(HANDLE h, int state)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(h);
    int ok = o && o->kind == K_EVENT; /* decided under the lock: o may go once it is released */
    if (ok) {
        o->signaled = state;
        if (state)
            clock_changed();
    }
    pthread_mutex_unlock(&g_obj);
    return ce_bool(ok ? 0 : ERROR_INVALID_HANDLE);
}

static BOOL impl_SetEvent(HANDLE hEvent)
{
    return set_event(hEvent, 1);
}

static BOOL impl_ResetEvent(HANDLE hEvent)
{
    return set_event(hEvent, 0);
}

static BOOL impl_PulseEvent(HANDLE hEvent)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hEvent);
    int ok = o && o->kind == K_EVENT;
    if (ok) {
        /* Waiters now blocked are released (all for a manual-reset event, one for an
         * auto-reset one); the event ends reset. */
        o->pulses++;
        o->pulse_tokens = o->manual ? o->waiters : (o->waiters ? 1 : 0);
        o->signaled = 0;
        clock_changed();
    }
    pthread_mutex_unlock(&g_obj);
    return ce_bool(ok ? 0 : ERROR_INVALID_HANDLE);
}

static BOOL impl_SetEventData(HANDLE hEvent, DWORD dwData)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hEvent);
    int ok = o && o->kind == K_EVENT;
    if (ok)
        o->data = dwData;
    pthread_mutex_unlock(&g_obj);
    return ce_bool(ok ? 0 : ERROR_INVALID_HANDLE);
}

static DWORD impl_GetEventData(HANDLE hEvent)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hEvent);
    DWORD v = o && o->kind == K_EVENT ? o->data : 0;
    pthread_mutex_unlock(&g_obj);
    if (!o)
        SetLastError(ERROR_INVALID_HANDLE);
    return v;
}

/* Is o signalled for this thread (g_obj held)? pulse: the pulse count when the wait began. */
static int ready(const struct object *o, DWORD me, unsigned pulse)
{
    switch (o->kind) {
    case K_EVENT:
        return o->signaled || (o->pulses != pulse && o->pulse_tokens > 0);
    case K_MUTEX:
        return !o->count || o->owner == me;
    case K_SEMAPHORE:
        return o->count > 0;
    case K_MSGQ:
        return msgq_ready(o);
    default:
        return o->signaled;
    }
}

/* A wait on o succeeded: take what it takes (g_obj held). */
static void consume(struct object *o, DWORD me, unsigned pulse)
{
    switch (o->kind) {
    case K_EVENT:
        if (!o->signaled && o->pulses != pulse)
            o->pulse_tokens--;
        else if (!o->manual)
            o->signaled = 0;
        break;
    case K_MUTEX:
        o->owner = me;
        o->count++;
        break;
    case K_SEMAPHORE:
        o->count--;
        break;
    default:
        break;
    }
}

/* Wait for any of n objects (g_obj not held). Return: WAIT_OBJECT_0 + the lowest ready index,
 * WAIT_TIMEOUT, or WAIT_FAILED with err set. */
/* Drop a wait's hold on os[0..n) (g_obj held). */
static void wait_release(struct object **os, DWORD n)
{
    for (DWORD k = 0; k < n; k++) {
        os[k]->waiters--;
        unref(os[k]);
    }
}

static DWORD wait_any(DWORD n, const HANDLE *hs, DWORD ms)
{
    DWORD me = GetCurrentThreadId();
    struct object *os[MAXIMUM_WAIT_OBJECTS];
    unsigned pulse[MAXIMUM_WAIT_OBJECTS];
    pthread_mutex_lock(&g_obj);
    for (DWORD i = 0; i < n; i++) {
        os[i] = lookup(hs[i]);
        /* An interrupt event takes one waiter, and only WaitForSingleObject (spec §3.4). */
        DWORD err = !os[i] ? ERROR_INVALID_HANDLE
                    : os[i]->kind == K_EVENT && os[i]->intr && (n > 1 || os[i]->waiters)
                        ? ERROR_INVALID_PARAMETER
                        : 0;
        if (err) {
            wait_release(os, i);
            pthread_mutex_unlock(&g_obj);
            SetLastError(err);
            return WAIT_FAILED;
        }
        os[i]->refs++; /* a CloseHandle during the wait must not free it under us */
        os[i]->waiters++;
        pulse[i] = os[i]->pulses;
    }
    DWORD r = WAIT_TIMEOUT;
    struct clock_wait cw;
    clock_wait_begin(&cw, ms);
    wait_enter(WAIT_OBJECT, hs[0], ms);
    /* Look, then sleep until a change or the deadline; one last look after the deadline. */
    for (int expired = 0;;) {
        for (DWORD i = 0; i < n && r == WAIT_TIMEOUT; i++)
            if (ready(os[i], me, pulse[i])) {
                consume(os[i], me, pulse[i]);
                r = WAIT_OBJECT_0 + i;
            }
        if (r != WAIT_TIMEOUT || ms == 0 || expired)
            break;
        expired = clock_wait_sleep(&cw);
    }
    wait_leave();
    wait_release(os, n);
    pthread_mutex_unlock(&g_obj);
    return r;
}

static DWORD impl_WaitForSingleObject(HANDLE h, DWORD ms)
{
    return wait_any(1, &h, ms);
}

static DWORD impl_WaitForMultipleObjects(DWORD nCount, CONST HANDLE *lpHandles, BOOL fWaitAll,
                                         DWORD dwMilliseconds)
{
    /* CE: at most MAXIMUM_WAIT_OBJECTS, and fWaitAll must be FALSE. */
    if (!nCount || nCount > MAXIMUM_WAIT_OBJECTS || !lpHandles || fWaitAll) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return WAIT_FAILED;
    }
    HANDLE hs[MAXIMUM_WAIT_OBJECTS]; /* read before wait_any takes the object lock */
    memcpy(hs, lpHandles, nCount * sizeof *hs);
    return wait_any(nCount, hs, dwMilliseconds);
}

struct thread_run {
    struct object *o;
    DWORD code;
};

/* The object of the CE thread running here (NULL on the program's own threads), and where
 * ExitThread jumps to. */
static __thread struct object *t_self;
static __thread sigjmp_buf *t_exit_jb;
static __thread DWORD t_exit_code;

static void thread_body(void *ctx)
{
    struct thread_run *r = ctx;
    r->code = r->o->fn(r->o->arg);
}

static void *thread_main(void *arg)
{
    struct object *o = arg;
    pthread_mutex_lock(&g_obj);
    t_tid = o->tid;
    t_self = o;
    while (o->suspend) /* CREATE_SUSPENDED: wait for ResumeThread (which registers it) */
        pthread_cond_wait(&g_changed, &g_obj);
    clock_thread_adopt();
    pthread_mutex_unlock(&g_obj);
    /* The thread runs in a CE exception frame, named after the driver call that created it, so
     * a fault in it is a report (and its exit code the exception code), not a dead process. */
    fault_thread_ready();
    char context[160] = "";
    if (o->creator[0])
        snprintf(context, sizeof context, "a thread created in %s", o->creator);
    unimpl_set_context(context);
    struct thread_run r = {o, 0};
    cevm_exception e;
    sigjmp_buf exit_jb;
    t_exit_jb = &exit_jb;
    if (sigsetjmp(exit_jb, 0)) {
        /* ExitThread: the frames it left are dropped. */
        seh_thread_reset();
        r.code = t_exit_code;
    } else if (cevm_try(thread_body, &r, &e)) {
        char where[1024];
        cevm_exception_where(&e, where, sizeof where);
        fprintf(stderr, "cevm: %s (0x%08X) in %s: %s; the thread ends with that code\n%s",
                cevm_exception_name(e.code), e.code, context[0] ? context : "a CE thread",
                e.reason ? e.reason : "", where);
        r.code = e.code;
    }
    t_exit_jb = NULL;
    unimpl_set_context(NULL);
    DWORD code = r.code;
    struct stack_thread *st = o->stack_t;
    pthread_mutex_lock(&g_obj);
    o->exit_code = code;
    o->running = 0;
    o->signaled = 1;
    clock_thread_ended();
    clock_changed();
    unref(o);
    pthread_mutex_unlock(&g_obj);
    if (st) /* its stack is released once the thread is gone (stack_reap joins it) */
        stack_thread_done(st);
    return NULL;
}

static HANDLE impl_CreateThread(LPSECURITY_ATTRIBUTES lpsa, DWORD cbStack,
                                LPTHREAD_START_ROUTINE lpStartAddr, LPVOID lpvThreadParam,
                                DWORD fdwCreate, LPDWORD lpIDThread)
{
    (void)lpsa;
    if (!lpStartAddr) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    stack_reap(0); /* stacks of threads that have ended */
    struct ce_stack stack = {0, 0, NULL, 0};
    struct stack_thread *st = NULL;
    if (stack_enabled()) {
        /* cbStack counts only as a reservation size (spec driver-runtime §2.3). */
        uint32_t e =
            stack_create((fdwCreate & STACK_SIZE_PARAM_IS_A_RESERVATION) ? cbStack : 0, &stack);
        if (!e && !(st = stack_thread_new(&stack))) {
            stack_destroy(&stack);
            e = ERROR_NOT_ENOUGH_MEMORY;
        }
        if (e) {
            SetLastError(e);
            return NULL;
        }
    }
    struct object *o = new_object(K_THREAD);
    if (!o) {
        if (st)
            stack_thread_failed(st);
        stack_destroy(&stack);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    o->stack = stack;
    o->stack_t = st;
    o->fn = lpStartAddr;
    o->arg = lpvThreadParam;
    o->priority = CE_THREAD_PRIORITY_DEFAULT;
    o->exit_code = STILL_ACTIVE;
    o->running = 1;
    snprintf(o->creator, sizeof o->creator, "%s", unimpl_context());
    pthread_mutex_lock(&g_obj);
    o->refs++; /* the thread's own reference */
    o->tid = ++g_next_tid;
    o->suspend = (fdwCreate & CREATE_SUSPENDED) ? 1 : 0;
    if (!o->suspend) { /* it counts for the virtual clock from now */
        clock_thread_started();
        o->started = 1;
    }
    DWORD tid = o->tid;
    pthread_mutex_unlock(&g_obj);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    int e = 0;
    if (stack.base) /* joinable: the stack is released after a join (stack_reap) */
        e = pthread_attr_setstack(&attr, stack.lo, stack.size);
    else
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (!e)
        e = pthread_create(&t, &attr, thread_main, o);
    pthread_attr_destroy(&attr);
    if (!e && st)
        stack_thread_started(st, t);
    if (e) {
        if (st)
            stack_thread_failed(st);
        stack_destroy(&stack);
        pthread_mutex_lock(&g_obj);
        if (o->started)
            clock_thread_never_ran();
        o->running = 0;
        o->refs = 1; /* the thread never started: drop both references at once */
        unref(o);
        pthread_mutex_unlock(&g_obj);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (lpIDThread)
        *lpIDThread = tid;
    return o;
}

/* The thread object h names (g_obj held): a handle, or GetCurrentThread() on a CE thread. */
static struct object *thread_of(HANDLE h)
{
    if (h == CEVM_CURRENT_THREAD_HANDLE)
        return t_self;
    struct object *o = lookup(h);
    return o && o->kind == K_THREAD ? o : NULL;
}

static DWORD impl_ResumeThread(HANDLE hThread)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = thread_of(hThread);
    DWORD prev = o ? o->suspend : 0xFFFFFFFFu;
    if (o && o->suspend && --o->suspend == 0) {
        if (!o->started) /* created suspended: it counts for the virtual clock from now */
            clock_thread_started();
        o->started = 1;
        clock_changed();
    }
    pthread_mutex_unlock(&g_obj);
    if (!o)
        SetLastError(ERROR_INVALID_HANDLE);
    return prev;
}

static DWORD impl_SuspendThread(HANDLE hThread)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = thread_of(hThread);
    DWORD prev = 0xFFFFFFFFu, err = 0;
    if (!o)
        err = ERROR_INVALID_HANDLE;
    else if (o != t_self && o->running && o->suspend == 0)
        err = ERROR_NOT_SUPPORTED; /* stopping another running host thread: not modelled */
    else {
        prev = o->suspend++;
        if (o == t_self) { /* suspend ourselves until someone resumes us */
            struct clock_wait cw;
            clock_wait_begin(&cw, INFINITE);
            wait_enter(WAIT_OBJECT, o, INFINITE);
            while (o->suspend)
                clock_wait_sleep(&cw);
            wait_leave();
        }
    }
    pthread_mutex_unlock(&g_obj);
    if (err)
        SetLastError(err);
    return prev;
}

void WINAPI ExitThread(DWORD dwExitCode)
{
    if (t_exit_jb) {
        t_exit_code = dwExitCode;
        siglongjmp(*t_exit_jb, 1);
    }
    /* A thread cevm did not create (the program's own): end it. */
    pthread_exit(NULL);
}

static BOOL impl_GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    DWORD code = 0;
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hThread);
    int ok = o && o->kind == K_THREAD && lpExitCode;
    if (ok)
        code = o->exit_code;
    pthread_mutex_unlock(&g_obj);
    if (ok)
        *lpExitCode = code; /* outside the lock, as every write to caller memory */
    if (!ok)
        SetLastError(lpExitCode ? ERROR_INVALID_HANDLE : ERROR_INVALID_PARAMETER);
    return ok ? TRUE : FALSE;
}

static BOOL impl_CloseHandle(HANDLE hObject)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hObject);
    if (o)
        unref(o);
    pthread_mutex_unlock(&g_obj);
    if (!o) {
        int r = devfile_close(hObject); /* a device opened with CreateFile? */
        if (r >= 0)
            return r ? TRUE : FALSE;
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    return TRUE;
}

/* ---- thread priorities ------------------------------------------------------------------ */

/* The priority of a thread whose handle cevm did not create (the program's own threads, and
 * GetCurrentThread()). */
static __thread int t_priority = CE_THREAD_PRIORITY_DEFAULT;

HANDLE WINAPI GetCurrentThread(void)
{
    return CEVM_CURRENT_THREAD_HANDLE;
}

/* Where the priority of thread h lives (g_obj held), or NULL. */
static int *priority_of(HANDLE h)
{
    if (h == CEVM_CURRENT_THREAD_HANDLE)
        return &t_priority;
    struct object *o = lookup(h);
    return o && o->kind == K_THREAD ? &o->priority : NULL;
}

static BOOL impl_CeSetThreadPriority(HANDLE hThread, int nPriority)
{
    if (nPriority < 0 || nPriority > 255) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    pthread_mutex_lock(&g_obj);
    int *p = priority_of(hThread);
    if (p)
        *p = nPriority;
    pthread_mutex_unlock(&g_obj);
    return ce_bool(p ? 0 : ERROR_INVALID_HANDLE);
}

int WINAPI CeGetThreadPriority(HANDLE hThread)
{
    pthread_mutex_lock(&g_obj);
    int *p = priority_of(hThread);
    int v = p ? *p : THREAD_PRIORITY_ERROR_RETURN;
    pthread_mutex_unlock(&g_obj);
    if (!p)
        SetLastError(ERROR_INVALID_HANDLE);
    return v;
}

static BOOL impl_SetThreadPriority(HANDLE hThread, int nPriority)
{
    if (nPriority < THREAD_PRIORITY_TIME_CRITICAL || nPriority > THREAD_PRIORITY_IDLE) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    return CeSetThreadPriority(hThread, 248 + nPriority);
}

int WINAPI GetThreadPriority(HANDLE hThread)
{
    int v = CeGetThreadPriority(hThread);
    return v == THREAD_PRIORITY_ERROR_RETURN ? v
           : v >= 248                        ? v - 248
                                             : THREAD_PRIORITY_TIME_CRITICAL;
}

/* ---- time and ids ---------------------------------------------------------------------- */

BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency)
{
    if (!lpFrequency) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    lpFrequency->QuadPart = 1000; /* no OAL counter: the millisecond tick (spec §1.9) */
    return TRUE;
}

BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount)
{
    if (!lpPerformanceCount) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    lpPerformanceCount->QuadPart = (LONGLONG)(clock_read() / CLOCK_MS);
    return TRUE;
}

static void impl_Sleep(DWORD dwMilliseconds)
{
    if (dwMilliseconds == 0) { /* yield to ready threads, else return (spec §1.9) */
        sched_yield();
        return;
    }
    pthread_mutex_lock(&g_obj);
    struct clock_wait cw;
    clock_wait_begin(&cw, dwMilliseconds);
    wait_enter(WAIT_SLEEP, NULL, dwMilliseconds);
    if (dwMilliseconds == INFINITE && t_self) {
        /* Sleep(INFINITE) suspends a CE thread until ResumeThread (spec §1.9). */
        t_self->suspend++;
        while (t_self->suspend)
            clock_wait_sleep(&cw);
    } else {
        while (!clock_wait_sleep(&cw)) {
        }
    }
    wait_leave();
    pthread_mutex_unlock(&g_obj);
}

/* GetTickCount counts from boot on the machine clock (ce/clock.c), from the value
 * $CEVM_TICK_START names: a number, or "debug" for CE debug builds' start 180 s before the
 * 32-bit wrap (spec driver-runtime §1.9), which brings wrap bugs out early. */
static DWORD g_tick_start;

__attribute__((constructor)) static void tick_init(void)
{
    const char *s = getenv("CEVM_TICK_START");
    if (s && !strcmp(s, "debug"))
        g_tick_start = 0u - 180000u;
    else if (s && *s)
        g_tick_start = (DWORD)strtoul(s, NULL, 0);
}

DWORD WINAPI GetTickCount(void)
{
    return g_tick_start + (DWORD)(clock_read() / CLOCK_MS);
}

DWORD WINAPI GetCurrentThreadId(void)
{
    if (!t_tid) {
        pthread_mutex_lock(&g_obj);
        t_tid = ++g_next_tid;
        pthread_mutex_unlock(&g_obj);
    }
    return t_tid;
}

DWORD WINAPI GetCurrentProcessId(void)
{
    return (DWORD)getpid();
}

BOOL WINAPI DisableThreadLibraryCalls(HANDLE hLibModule)
{
    (void)hLibModule;
    return TRUE;
}

size_t sync_threads_running(const char *marker, char *creator, size_t cap)
{
    size_t n = 0;
    pthread_mutex_lock(&g_obj);
    for (struct object *o = g_objects; o; o = o->next)
        if (o->kind == K_THREAD && o->running && strstr(o->creator, marker)) {
            if (!n++ && creator && cap)
                snprintf(creator, cap, "%s", o->creator);
        }
    pthread_mutex_unlock(&g_obj);
    return n;
}

size_t sync_threads_on_ce_stacks(void)
{
    size_t n = 0;
    pthread_mutex_lock(&g_obj);
    for (struct object *o = g_objects; o; o = o->next)
        n += o->kind == K_THREAD && o->running && o->stack.base;
    pthread_mutex_unlock(&g_obj);
    return n;
}

void sync_fork_prepare(void)
{
    pthread_mutex_lock(&g_obj);
}

void sync_fork_parent(void)
{
    pthread_mutex_unlock(&g_obj);
}

void sync_fork_child(void)
{
    pthread_mutex_init(&g_obj, NULL);
    pthread_cond_init(&g_changed, NULL);
    clock_fork_child();
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

void WINAPI InitializeCriticalSection(LPCRITICAL_SECTION cs)
{
    uint64_t t0 = ce_trace_start();
    impl_InitializeCriticalSection(cs);
    if (t0)
        ce_trace_done(t0, "InitializeCriticalSection", TR_VOID, 0, "cs %s", ce_trace_ptr(cs));
}

void WINAPI DeleteCriticalSection(LPCRITICAL_SECTION cs)
{
    uint64_t t0 = ce_trace_start();
    impl_DeleteCriticalSection(cs);
    if (t0)
        ce_trace_done(t0, "DeleteCriticalSection", TR_VOID, 0, "cs %s", ce_trace_ptr(cs));
}

void WINAPI EnterCriticalSection(LPCRITICAL_SECTION cs)
{
    uint64_t t0 = ce_trace_start();
    impl_EnterCriticalSection(cs);
    if (t0)
        ce_trace_done(t0, "EnterCriticalSection", TR_VOID, 0, "cs %s", ce_trace_ptr(cs));
}

BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION cs)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_TryEnterCriticalSection(cs);
    if (t0)
        ce_trace_done(t0, "TryEnterCriticalSection", TR_BOOL, (uint64_t)r, "cs %s",
                      ce_trace_ptr(cs));
    return r;
}

void WINAPI LeaveCriticalSection(LPCRITICAL_SECTION cs)
{
    uint64_t t0 = ce_trace_start();
    impl_LeaveCriticalSection(cs);
    if (t0)
        ce_trace_done(t0, "LeaveCriticalSection", TR_VOID, 0, "cs %s", ce_trace_ptr(cs));
}

HANDLE WINAPI CreateEvent(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                          BOOL bInitialState, LPCWSTR lpName)
{
    uint64_t t0 = ce_trace_start();
    HANDLE r = impl_CreateEvent(lpEventAttributes, bManualReset, bInitialState, lpName);
    if (t0)
        ce_trace_done(t0, "CreateEvent", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "lpEventAttributes %s, bManualReset 0x%X, bInitialState 0x%X, lpName %s",
                      ce_trace_ptr(lpEventAttributes), (unsigned)bManualReset,
                      (unsigned)bInitialState, ce_trace_wstr(lpName));
    return r;
}

HANDLE WINAPI CreateMutex(LPSECURITY_ATTRIBUTES lpsa, BOOL bInitialOwner, LPCWSTR lpName)
{
    uint64_t t0 = ce_trace_start();
    HANDLE r = impl_CreateMutex(lpsa, bInitialOwner, lpName);
    if (t0)
        ce_trace_done(t0, "CreateMutex", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "lpsa %s, bInitialOwner 0x%X, lpName %s", ce_trace_ptr(lpsa),
                      (unsigned)bInitialOwner, ce_trace_wstr(lpName));
    return r;
}

BOOL WINAPI ReleaseMutex(HANDLE hMutex)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_ReleaseMutex(hMutex);
    if (t0)
        ce_trace_done(t0, "ReleaseMutex", TR_BOOL, (uint64_t)r, "hMutex %s",
                      ce_trace_handle(hMutex));
    return r;
}

HANDLE WINAPI CreateSemaphore(LPSECURITY_ATTRIBUTES lpsa, LONG lInitialCount, LONG lMaximumCount,
                              LPCWSTR lpName)
{
    uint64_t t0 = ce_trace_start();
    HANDLE r = impl_CreateSemaphore(lpsa, lInitialCount, lMaximumCount, lpName);
    if (t0)
        ce_trace_done(t0, "CreateSemaphore", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "lpsa %s, lInitialCount 0x%X, lMaximumCount 0x%X, lpName %s",
                      ce_trace_ptr(lpsa), (unsigned)lInitialCount, (unsigned)lMaximumCount,
                      ce_trace_wstr(lpName));
    return r;
}

BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount, LPLONG lpPreviousCount)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_ReleaseSemaphore(hSemaphore, lReleaseCount, lpPreviousCount);
    if (t0)
        ce_trace_done(t0, "ReleaseSemaphore", TR_BOOL, (uint64_t)r,
                      "hSemaphore %s, lReleaseCount 0x%X, lpPreviousCount %s",
                      ce_trace_handle(hSemaphore), (unsigned)lReleaseCount,
                      ce_trace_ptr(lpPreviousCount));
    return r;
}

BOOL WINAPI SetEvent(HANDLE hEvent)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_SetEvent(hEvent);
    if (t0)
        ce_trace_done(t0, "SetEvent", TR_BOOL, (uint64_t)r, "hEvent %s", ce_trace_handle(hEvent));
    return r;
}

BOOL WINAPI ResetEvent(HANDLE hEvent)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_ResetEvent(hEvent);
    if (t0)
        ce_trace_done(t0, "ResetEvent", TR_BOOL, (uint64_t)r, "hEvent %s", ce_trace_handle(hEvent));
    return r;
}

BOOL WINAPI PulseEvent(HANDLE hEvent)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_PulseEvent(hEvent);
    if (t0)
        ce_trace_done(t0, "PulseEvent", TR_BOOL, (uint64_t)r, "hEvent %s", ce_trace_handle(hEvent));
    return r;
}

BOOL WINAPI SetEventData(HANDLE hEvent, DWORD dwData)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_SetEventData(hEvent, dwData);
    if (t0)
        ce_trace_done(t0, "SetEventData", TR_BOOL, (uint64_t)r, "hEvent %s, dwData 0x%X",
                      ce_trace_handle(hEvent), (unsigned)dwData);
    return r;
}

DWORD WINAPI GetEventData(HANDLE hEvent)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_GetEventData(hEvent);
    if (t0)
        ce_trace_done(t0, "GetEventData", TR_DWORD, (uint64_t)r, "hEvent %s",
                      ce_trace_handle(hEvent));
    return r;
}

DWORD WINAPI WaitForSingleObject(HANDLE h, DWORD ms)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_WaitForSingleObject(h, ms);
    if (t0)
        ce_trace_done(t0, "WaitForSingleObject", TR_DWORD, (uint64_t)r, "h %s, ms 0x%X",
                      ce_trace_handle(h), (unsigned)ms);
    return r;
}

DWORD WINAPI WaitForMultipleObjects(DWORD nCount, CONST HANDLE *lpHandles, BOOL fWaitAll,
                                    DWORD dwMilliseconds)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_WaitForMultipleObjects(nCount, lpHandles, fWaitAll, dwMilliseconds);
    if (t0)
        ce_trace_done(t0, "WaitForMultipleObjects", TR_DWORD, (uint64_t)r,
                      "nCount 0x%X, lpHandles %s, fWaitAll 0x%X, dwMilliseconds 0x%X",
                      (unsigned)nCount, ce_trace_ptr(lpHandles), (unsigned)fWaitAll,
                      (unsigned)dwMilliseconds);
    return r;
}

HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpsa, DWORD cbStack,
                           LPTHREAD_START_ROUTINE lpStartAddr, LPVOID lpvThreadParam,
                           DWORD fdwCreate, LPDWORD lpIDThread)
{
    uint64_t t0 = ce_trace_start();
    HANDLE r = impl_CreateThread(lpsa, cbStack, lpStartAddr, lpvThreadParam, fdwCreate, lpIDThread);
    if (t0)
        ce_trace_done(t0, "CreateThread", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "lpsa %s, cbStack 0x%X, lpStartAddr %s, lpvThreadParam %s, fdwCreate 0x%X, "
                      "lpIDThread %s",
                      ce_trace_ptr(lpsa), (unsigned)cbStack,
                      ce_trace_ptr((const void *)(uintptr_t)lpStartAddr),
                      ce_trace_ptr(lpvThreadParam), (unsigned)fdwCreate, ce_trace_ptr(lpIDThread));
    return r;
}

DWORD WINAPI ResumeThread(HANDLE hThread)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_ResumeThread(hThread);
    if (t0)
        ce_trace_done(t0, "ResumeThread", TR_DWORD, (uint64_t)r, "hThread %s",
                      ce_trace_handle(hThread));
    return r;
}

DWORD WINAPI SuspendThread(HANDLE hThread)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_SuspendThread(hThread);
    if (t0)
        ce_trace_done(t0, "SuspendThread", TR_DWORD, (uint64_t)r, "hThread %s",
                      ce_trace_handle(hThread));
    return r;
}

BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_GetExitCodeThread(hThread, lpExitCode);
    if (t0)
        ce_trace_done(t0, "GetExitCodeThread", TR_BOOL, (uint64_t)r, "hThread %s, lpExitCode %s",
                      ce_trace_handle(hThread), ce_trace_ptr(lpExitCode));
    return r;
}

BOOL WINAPI CloseHandle(HANDLE hObject)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_CloseHandle(hObject);
    if (t0)
        ce_trace_done(t0, "CloseHandle", TR_BOOL, (uint64_t)r, "hObject %s",
                      ce_trace_handle(hObject));
    return r;
}

BOOL WINAPI CeSetThreadPriority(HANDLE hThread, int nPriority)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_CeSetThreadPriority(hThread, nPriority);
    if (t0)
        ce_trace_done(t0, "CeSetThreadPriority", TR_BOOL, (uint64_t)r, "hThread %s, nPriority 0x%X",
                      ce_trace_handle(hThread), (unsigned)nPriority);
    return r;
}

BOOL WINAPI SetThreadPriority(HANDLE hThread, int nPriority)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_SetThreadPriority(hThread, nPriority);
    if (t0)
        ce_trace_done(t0, "SetThreadPriority", TR_BOOL, (uint64_t)r, "hThread %s, nPriority 0x%X",
                      ce_trace_handle(hThread), (unsigned)nPriority);
    return r;
}

void WINAPI Sleep(DWORD dwMilliseconds)
{
    uint64_t t0 = ce_trace_start();
    impl_Sleep(dwMilliseconds);
    if (t0)
        ce_trace_done(t0, "Sleep", TR_VOID, 0, "dwMilliseconds 0x%X", (unsigned)dwMilliseconds);
}
