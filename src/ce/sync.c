/*
 * sync.c — critical sections, events, threads, Sleep, GetTickCount and thread ids for CE code,
 * on POSIX threads.
 *
 * Kernel objects (events, threads) are reference-counted records on one list; a HANDLE is the
 * record's address and is checked against the list, so a closed or invented handle gives
 * ERROR_INVALID_HANDLE instead of a crash. A thread's record holds a reference until the thread
 * ends, so closing its handle early is safe. Event names are ignored (documented in
 * docs/porting.md).
 */
#define _GNU_SOURCE
#include "ce/ce_api.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ce/heap.h"
#include "ce/wait.h"
#include "core/fault.h"
#include "host/host.h"

enum kind { K_EVENT = 1, K_THREAD };

struct object {
    enum kind kind;
    int refs;
    int signaled; /* event set, or thread ended */
    int manual;
    LPTHREAD_START_ROUTINE fn;
    LPVOID arg;
    DWORD exit_code;
    int running;       /* a thread that has not ended */
    char creator[128]; /* the driver call that created the thread ("" outside the host) */
    struct object *next;
};

static pthread_mutex_t g_obj = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_changed = PTHREAD_COND_INITIALIZER; /* any object became signaled */
static struct object *g_objects;
static DWORD g_next_tid = 0x100;
static __thread DWORD t_tid;

/* ---- critical sections ---------------------------------------------------------------- */

void WINAPI InitializeCriticalSection(LPCRITICAL_SECTION cs)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&cs->mutex, &a);
    pthread_mutexattr_destroy(&a);
    cs->OwnerThread = 0;
    cs->LockCount = 0;
}

void WINAPI DeleteCriticalSection(LPCRITICAL_SECTION cs)
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

void WINAPI EnterCriticalSection(LPCRITICAL_SECTION cs)
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

BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION cs)
{
    if (pthread_mutex_trylock(&cs->mutex))
        return FALSE;
    __atomic_store_n(&cs->OwnerThread, GetCurrentThreadId(), __ATOMIC_RELAXED);
    cs->LockCount++;
    return TRUE;
}

void WINAPI LeaveCriticalSection(LPCRITICAL_SECTION cs)
{
    if (--cs->LockCount == 0)
        __atomic_store_n(&cs->OwnerThread, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&cs->mutex);
}

/* ---- objects ---------------------------------------------------------------------------- */

static struct object *new_object(enum kind k)
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
static struct object *lookup(HANDLE h)
{
    for (struct object *o = g_objects; o; o = o->next)
        if (o == h && o->refs > 0)
            return o;
    return NULL;
}

/* Drop one reference (g_obj held); the record goes at zero. */
static void unref(struct object *o)
{
    if (--o->refs > 0)
        return;
    for (struct object **pp = &g_objects; *pp; pp = &(*pp)->next)
        if (*pp == o) {
            *pp = o->next;
            break;
        }
    free(o);
}

HANDLE WINAPI CreateEvent(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                          BOOL bInitialState, LPCWSTR lpName)
{
    (void)lpEventAttributes;
    (void)lpName;
    struct object *o = new_object(K_EVENT);
    if (!o) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    o->manual = bManualReset != 0;
    o->signaled = bInitialState != 0;
    return o;
}

static BOOL set_event(HANDLE h, int state)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(h);
    if (o && o->kind == K_EVENT) {
        o->signaled = state;
        if (state)
            pthread_cond_broadcast(&g_changed);
    }
    pthread_mutex_unlock(&g_obj);
    if (!o || o->kind != K_EVENT) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    return TRUE;
}

BOOL WINAPI SetEvent(HANDLE hEvent)
{
    return set_event(hEvent, 1);
}

BOOL WINAPI ResetEvent(HANDLE hEvent)
{
    return set_event(hEvent, 0);
}

DWORD WINAPI WaitForSingleObject(HANDLE h, DWORD ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(h);
    if (!o) {
        pthread_mutex_unlock(&g_obj);
        SetLastError(ERROR_INVALID_HANDLE);
        return WAIT_FAILED;
    }
    o->refs++; /* a CloseHandle during the wait must not free it under us */
    DWORD r = WAIT_OBJECT_0;
    wait_enter(WAIT_OBJECT, h, ms);
    while (!o->signaled) {
        int e = ms == INFINITE ? pthread_cond_wait(&g_changed, &g_obj)
                               : pthread_cond_timedwait(&g_changed, &g_obj, &until);
        if (e == ETIMEDOUT && !o->signaled) {
            r = WAIT_TIMEOUT;
            break;
        }
    }
    wait_leave();
    if (r == WAIT_OBJECT_0 && o->kind == K_EVENT && !o->manual)
        o->signaled = 0;
    unref(o);
    pthread_mutex_unlock(&g_obj);
    return r;
}

struct thread_run {
    struct object *o;
    DWORD code;
};

static void thread_body(void *ctx)
{
    struct thread_run *r = ctx;
    r->code = r->o->fn(r->o->arg);
}

static void *thread_main(void *arg)
{
    struct object *o = arg;
    pthread_mutex_lock(&g_obj);
    t_tid = ++g_next_tid;
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
    if (cevm_try(thread_body, &r, &e)) {
        char where[1024];
        cevm_exception_where(&e, where, sizeof where);
        fprintf(stderr, "cevm: %s (0x%08X) in %s: %s; the thread ends with that code\n%s",
                cevm_exception_name(e.code), e.code, context[0] ? context : "a CE thread",
                e.reason ? e.reason : "", where);
        r.code = e.code;
    }
    unimpl_set_context(NULL);
    DWORD code = r.code;
    pthread_mutex_lock(&g_obj);
    o->exit_code = code;
    o->running = 0;
    o->signaled = 1;
    pthread_cond_broadcast(&g_changed);
    unref(o);
    pthread_mutex_unlock(&g_obj);
    return NULL;
}

HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpsa, DWORD cbStack,
                           LPTHREAD_START_ROUTINE lpStartAddr, LPVOID lpvThreadParam,
                           DWORD fdwCreate, LPDWORD lpIDThread)
{
    (void)lpsa;
    (void)cbStack;
    if (!lpStartAddr || (fdwCreate & CREATE_SUSPENDED)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    struct object *o = new_object(K_THREAD);
    if (!o) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    o->fn = lpStartAddr;
    o->arg = lpvThreadParam;
    o->exit_code = STILL_ACTIVE;
    o->running = 1;
    snprintf(o->creator, sizeof o->creator, "%s", unimpl_context());
    pthread_mutex_lock(&g_obj);
    o->refs++; /* the thread's own reference */
    pthread_mutex_unlock(&g_obj);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int e = pthread_create(&t, &attr, thread_main, o);
    pthread_attr_destroy(&attr);
    if (e) {
        pthread_mutex_lock(&g_obj);
        o->running = 0;
        o->refs = 1; /* the thread never started: drop both references at once */
        unref(o);
        pthread_mutex_unlock(&g_obj);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if (lpIDThread)
        *lpIDThread = 0; /* the id is assigned inside the thread; CE callers rarely use it */
    return o;
}

BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hThread);
    int ok = o && o->kind == K_THREAD && lpExitCode;
    if (ok)
        *lpExitCode = o->exit_code;
    pthread_mutex_unlock(&g_obj);
    if (!ok)
        SetLastError(lpExitCode ? ERROR_INVALID_HANDLE : ERROR_INVALID_PARAMETER);
    return ok ? TRUE : FALSE;
}

BOOL WINAPI CloseHandle(HANDLE hObject)
{
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hObject);
    if (o)
        unref(o);
    pthread_mutex_unlock(&g_obj);
    if (!o) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    return TRUE;
}

/* ---- time and ids ---------------------------------------------------------------------- */

void WINAPI Sleep(DWORD dwMilliseconds)
{
    struct timespec ts = {(time_t)(dwMilliseconds / 1000),
                          (long)(dwMilliseconds % 1000) * 1000000L};
    wait_enter(WAIT_SLEEP, NULL, dwMilliseconds);
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
    wait_leave();
}

DWORD WINAPI GetTickCount(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (DWORD)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
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
}
