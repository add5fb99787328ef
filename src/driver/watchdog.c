/*
 * watchdog.c — no driver call hangs the host silently.
 *
 * Every driver entry point the host runs is registered here with a deadline (default 5 s;
 * $CEVM_WATCHDOG seconds, 0 turns it off; cevm_driver_set_watchdog). A watchdog thread sleeps
 * until the earliest deadline; when a call passes it, the watchdog says which call it is, what
 * the thread is blocked on (the CE wait call it is in, recorded by sync.c: a critical section,
 * an object wait, Sleep — or "running" for a loop), and the thread's call chain (the stuck
 * thread is asked for it with a signal, CEVM_WATCHDOG_SIGNAL, whose handler takes a backtrace),
 * then ends the process with exit status 124 (as timeout(1) does): a hung driver cannot be
 * stopped any other way without corrupting the host. Under a debugger (a tracer in
 * /proc/self/status) the watchdog stays off: a breakpoint is not a hang.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cevm/cevm.h"
#include "driver/watchdog.h"

#define MAX_CALLS       64
#define WATCHDOG_SIGNAL (SIGRTMIN + 3)

struct watched {
    int used;
    pthread_t thread;
    struct timespec deadline;
    char context[96];
    const struct ce_wait *wait; /* the thread's wait state (sync.c) */
};

static pthread_mutex_t g_wd = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wd_cond = PTHREAD_COND_INITIALIZER;
static struct watched g_calls[MAX_CALLS];
static uint32_t g_timeout_ms = 5000;
static int g_configured, g_started, g_traced;

/* The stuck thread's answer to the backtrace request. */
static void *g_frames[CEVM_EXCEPTION_FRAMES + 4];
static int g_nframes;
static sem_t g_frames_ready;

static void on_backtrace_request(int sig)
{
    (void)sig;
    g_nframes = backtrace(g_frames, CEVM_EXCEPTION_FRAMES + 4);
    sem_post(&g_frames_ready);
}

static int traced(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[128];
    int pid = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "TracerPid: %d", &pid) == 1)
            break;
    fclose(f);
    return pid != 0;
}

static void configure(void)
{
    if (g_configured)
        return;
    g_configured = 1;
    const char *e = getenv("CEVM_WATCHDOG");
    if (e && *e) {
        char *end;
        double s = strtod(e, &end);
        if (*end || s < 0)
            fprintf(stderr, "cevm: CEVM_WATCHDOG='%s' is not a number of seconds; using %u s\n", e,
                    g_timeout_ms / 1000);
        else
            g_timeout_ms = (uint32_t)(s * 1000.0);
    }
    g_traced = traced();
}

static int before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Report the stuck call and end the process (g_wd held). */
static void expire(const struct watched *w)
{
    char blocked[160];
    ce_wait_describe(w->wait, blocked, sizeof blocked);
    fprintf(stderr,
            "cevm: watchdog: %s has not returned after %.1f s; it is %s\n"
            "cevm: watchdog: where it is:\n",
            w->context, g_timeout_ms / 1000.0, blocked);
    cevm_exception e;
    memset(&e, 0, sizeof e);
    struct timespec limit;
    clock_gettime(CLOCK_REALTIME, &limit);
    limit.tv_sec += 1;
    if (pthread_kill(w->thread, WATCHDOG_SIGNAL) == 0 &&
        sem_timedwait(&g_frames_ready, &limit) == 0) {
        /* Drop the frames of the signal handler itself (up to the kernel's return stub). */
        int first = g_nframes > 2 ? 2 : 0;
        for (int i = first; i < g_nframes && e.nframes < CEVM_EXCEPTION_FRAMES; i++)
            e.frames[e.nframes++] = (uintptr_t)g_frames[i];
        if (e.nframes)
            e.ip = e.frames[0];
    }
    char where[2048];
    if (!cevm_exception_where(&e, where, sizeof where))
        snprintf(where, sizeof where, "  (no call chain: the thread did not answer)\n");
    fprintf(stderr, "%scevm: watchdog: ending the run (exit status %d)\n", where,
            CEVM_WATCHDOG_EXIT);
    fflush(stderr);
    _exit(CEVM_WATCHDOG_EXIT);
}

static void *watch(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_wd);
    for (;;) {
        struct timespec now, next = {0, 0};
        clock_gettime(CLOCK_REALTIME, &now);
        int have = 0;
        for (int i = 0; i < MAX_CALLS; i++) {
            if (!g_calls[i].used)
                continue;
            if (!before(&now, &g_calls[i].deadline))
                expire(&g_calls[i]);
            if (!have || before(&g_calls[i].deadline, &next))
                next = g_calls[i].deadline;
            have = 1;
        }
        if (have)
            pthread_cond_timedwait(&g_wd_cond, &g_wd, &next);
        else
            pthread_cond_wait(&g_wd_cond, &g_wd);
    }
    return NULL;
}

/* Start the watchdog thread (g_wd held). Return: 0 or -1. */
static int start(void)
{
    if (g_started)
        return 0;
    sem_init(&g_frames_ready, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_backtrace_request;
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(WATCHDOG_SIGNAL, &sa, NULL);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int e = pthread_create(&t, &a, watch, NULL);
    pthread_attr_destroy(&a);
    if (e)
        return -1;
    g_started = 1;
    return 0;
}

int watchdog_begin(const char *context, const struct ce_wait *wait)
{
    pthread_mutex_lock(&g_wd);
    configure();
    int slot = -1;
    if (g_timeout_ms && !g_traced && start() == 0) {
        for (int i = 0; i < MAX_CALLS && slot < 0; i++)
            if (!g_calls[i].used)
                slot = i;
        if (slot >= 0) {
            struct watched *w = &g_calls[slot];
            w->used = 1;
            w->thread = pthread_self();
            w->wait = wait;
            snprintf(w->context, sizeof w->context, "%s", context);
            clock_gettime(CLOCK_REALTIME, &w->deadline);
            w->deadline.tv_sec += g_timeout_ms / 1000;
            w->deadline.tv_nsec += (long)(g_timeout_ms % 1000) * 1000000L;
            if (w->deadline.tv_nsec >= 1000000000L) {
                w->deadline.tv_sec++;
                w->deadline.tv_nsec -= 1000000000L;
            }
            pthread_cond_signal(&g_wd_cond);
        }
    }
    pthread_mutex_unlock(&g_wd);
    return slot;
}

void watchdog_end(int slot)
{
    if (slot < 0)
        return;
    pthread_mutex_lock(&g_wd);
    g_calls[slot].used = 0;
    pthread_mutex_unlock(&g_wd);
}

void cevm_driver_set_watchdog(uint32_t ms)
{
    pthread_mutex_lock(&g_wd);
    configure();
    g_timeout_ms = ms;
    pthread_mutex_unlock(&g_wd);
}
