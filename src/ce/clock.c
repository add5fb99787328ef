/*
 * clock.c — the machine clock (clock.h), in real time or virtual time.
 *
 * Real time: the clock is CLOCK_MONOTONIC since boot; waits sleep with a deadline; one clock
 * thread, started with the first timer, fires the device models' timers when they fall due.
 *
 * Virtual time: the clock is a counter. It moves when a thread asks (clock_advance), or when
 * every registered thread (the booting thread and every CE thread) is blocked in a CE wait: the
 * clock thread then jumps to the earliest wait deadline or timer. Counting blocked threads
 * exactly is what makes the result independent of the host's scheduling: clock_changed() wakes
 * every waiter and counts them all as running again (a generation number tells a waiter that
 * it was already uncounted), so the clock never moves while a woken thread has not yet looked at
 * its objects. Each step fires the timers due, then waits until the system is quiet again (every
 * registered thread but the stepper blocked) before the next step.
 *
 * Locks: the waits and the counts live under the object lock g_obj (sync.c); the timer list has
 * its own lock, taken inside g_obj or alone. Timers fire with no lock held.
 */
#define _GNU_SOURCE
#include "ce/clock.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "ce/objects.h"

#define QUIET_PATIENCE_S 20 /* real seconds a step waits for threads to block before moving on */

static _Atomic int g_virtual;
static _Atomic uint64_t g_now;      /* virtual: the clock */
static uint64_t g_base;             /* real: CLOCK_MONOTONIC ns at boot */
static int g_registered, g_blocked; /* registered threads, and how many are blocked (g_obj) */
static int g_advancers;             /* threads inside clock_advance (g_obj) */
static unsigned g_gen;              /* clock_changed generation (g_obj) */
static struct clock_wait *g_waits;  /* blocked waits (g_obj) */
static pthread_cond_t g_quiet = PTHREAD_COND_INITIALIZER; /* a thread blocked (g_obj) */

static pthread_mutex_t g_tlock = PTHREAD_MUTEX_INITIALIZER;
static struct clock_timer *g_timers; /* armed, by when (g_tlock) */

static pthread_t g_thread;
static int g_thread_on, g_stop; /* g_obj */

static __thread int t_registered;
static __thread uint64_t t_last_read = CLOCK_NEVER; /* clock_read: the last value read */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Real time counts from the program's start (the device's boot), so GetTickCount never steps
 * back when the machine boots after the program has read it. */
__attribute__((constructor)) static void clock_init(void)
{
    g_base = mono_ns();
}

int clock_is_virtual(void)
{
    return g_virtual;
}

uint64_t clock_now(void)
{
    return g_virtual ? atomic_load(&g_now) : mono_ns() - g_base;
}

/* ---- timers ---------------------------------------------------------------------------- */

static void timer_unlink(struct clock_timer *t)
{
    for (struct clock_timer **p = &g_timers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    t->armed = 0;
}

static uint64_t next_timer(void)
{
    pthread_mutex_lock(&g_tlock);
    uint64_t w = g_timers ? g_timers->when : CLOCK_NEVER;
    pthread_mutex_unlock(&g_tlock);
    return w;
}

/* The earliest timer due at or before now, unlinked, or NULL. */
static struct clock_timer *take_due(uint64_t now)
{
    pthread_mutex_lock(&g_tlock);
    struct clock_timer *t = g_timers && g_timers->when <= now ? g_timers : NULL;
    if (t)
        timer_unlink(t);
    pthread_mutex_unlock(&g_tlock);
    return t;
}

static void start_thread(void);

void clock_timer_arm(struct clock_timer *t, uint64_t when)
{
    pthread_mutex_lock(&g_tlock);
    if (t->armed)
        timer_unlink(t);
    t->when = when;
    t->armed = 1;
    struct clock_timer **p = &g_timers;
    while (*p && (*p)->when <= when) /* equal times fire in arming order */
        p = &(*p)->next;
    t->next = *p;
    *p = t;
    pthread_mutex_unlock(&g_tlock);
    pthread_mutex_lock(&g_obj); /* the clock thread learns of it */
    start_thread();
    pthread_cond_broadcast(&g_quiet);
    pthread_mutex_unlock(&g_obj);
}

void clock_timer_cancel(struct clock_timer *t)
{
    pthread_mutex_lock(&g_tlock);
    if (t->armed)
        timer_unlink(t);
    pthread_mutex_unlock(&g_tlock);
}

/* ---- counting threads (g_obj held) ---------------------------------------------------------- */

static int quiet(int self)
{
    return g_registered - g_blocked <= self;
}

/* Wait until every registered thread but the caller (self) is blocked. A thread that never
 * blocks (a busy loop) would stop the clock for good: after QUIET_PATIENCE_S real seconds the
 * step goes on, and says so once. */
static void wait_quiet(int self)
{
    static int warned;
    struct timespec limit;
    clock_gettime(CLOCK_REALTIME, &limit);
    limit.tv_sec += QUIET_PATIENCE_S;
    while (!quiet(self) && !g_stop)
        if (pthread_cond_timedwait(&g_quiet, &g_obj, &limit) == ETIMEDOUT) {
            if (!warned++)
                fprintf(stderr,
                        "cevm: the virtual clock waited %d s for a CE thread that runs "
                        "without waiting; it moves on (the result may now depend on "
                        "timing)\n",
                        QUIET_PATIENCE_S);
            break;
        }
}

/* The earliest deadline of a blocked wait still in the future (one already passed is being
 * woken). */
static uint64_t next_deadline(void)
{
    uint64_t d = CLOCK_NEVER, now = atomic_load(&g_now);
    for (struct clock_wait *w = g_waits; w; w = w->next)
        if (w->deadline > now && w->deadline < d)
            d = w->deadline;
    return d;
}

void clock_changed(void)
{
    if (g_virtual) {
        g_gen++;
        g_blocked = 0; /* every waiter wakes: each counts as running until it sleeps again */
    }
    pthread_cond_broadcast(&g_changed);
}

static void key_gone(void *arg);
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void key_make(void)
{
    pthread_key_create(&g_key, key_gone);
}

void clock_thread_started(void)
{
    g_registered++;
}

void clock_thread_adopt(void)
{
    t_registered = 1;
}

void clock_thread_ended(void)
{
    if (!t_registered)
        return;
    t_registered = 0;
    g_registered--;
    pthread_cond_broadcast(&g_quiet);
}

void clock_thread_never_ran(void)
{
    g_registered--;
    pthread_cond_broadcast(&g_quiet);
}

/* A registered host thread (the one that booted the machine) ended. */
static void key_gone(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_obj);
    clock_thread_ended();
    pthread_mutex_unlock(&g_obj);
}

/* ---- stepping the virtual clock (g_obj held) ------------------------------------------------ */

/* Move the clock to t (never back), firing the timers due on the way, each followed by a quiet
 * wait when settle is set; then wake the waiters whose deadline passed. */
static void step_to(uint64_t t, int self, int settle)
{
    for (;;) {
        uint64_t now = atomic_load(&g_now);
        struct clock_timer *tm = take_due(t);
        if (!tm)
            break;
        if (tm->when > now)
            atomic_store(&g_now, tm->when);
        pthread_mutex_unlock(&g_obj);
        tm->fire(tm->ctx);
        pthread_mutex_lock(&g_obj);
        clock_changed();
        if (settle)
            wait_quiet(self);
    }
    if (t > atomic_load(&g_now))
        atomic_store(&g_now, t);
    clock_changed();
}

static uint64_t next_event(void)
{
    uint64_t d = next_deadline(), t = next_timer();
    return d < t ? d : t;
}

int clock_advance(uint64_t ns)
{
    if (!g_virtual)
        return -1;
    pthread_mutex_lock(&g_obj);
    g_advancers++;
    int self = t_registered;
    uint64_t target = atomic_load(&g_now) + ns;
    wait_quiet(self);
    for (;;) {
        uint64_t next = next_event();
        if (next > target)
            break;
        step_to(next, self, 1);
        wait_quiet(self);
    }
    step_to(target, self, 1);
    wait_quiet(self);
    g_advancers--;
    pthread_cond_broadcast(&g_quiet);
    pthread_mutex_unlock(&g_obj);
    return 0;
}

uint64_t clock_read(void)
{
    if (!g_virtual)
        return clock_now();
    pthread_mutex_lock(&g_obj);
    uint64_t now = atomic_load(&g_now);
    if (now == t_last_read && !g_advancers && quiet(t_registered)) {
        step_to(now + CLOCK_MS, t_registered, 0);
        now = atomic_load(&g_now);
    }
    t_last_read = now;
    pthread_mutex_unlock(&g_obj);
    return now;
}

/* ---- the clock thread ------------------------------------------------------------------------ */

static void real_deadline(uint64_t at, struct timespec *ts)
{
    uint64_t now = clock_now(), wait = at > now ? at - now : 0;
    clock_gettime(CLOCK_REALTIME, ts);
    uint64_t ns = (uint64_t)ts->tv_nsec + wait % 1000000000u;
    ts->tv_sec += (time_t)(wait / 1000000000u + ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

static void *clock_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_obj);
    while (!g_stop) {
        if (g_virtual) {
            uint64_t next;
            if (!g_advancers && quiet(0) && (next = next_event()) != CLOCK_NEVER)
                step_to(next, 0, 1);
            else
                pthread_cond_wait(&g_quiet, &g_obj);
            continue;
        }
        struct clock_timer *tm = take_due(clock_now());
        if (tm) {
            pthread_mutex_unlock(&g_obj);
            tm->fire(tm->ctx);
            pthread_mutex_lock(&g_obj);
            continue;
        }
        uint64_t next = next_timer();
        if (next == CLOCK_NEVER) {
            pthread_cond_wait(&g_quiet, &g_obj);
        } else {
            struct timespec ts;
            real_deadline(next, &ts);
            pthread_cond_timedwait(&g_quiet, &g_obj, &ts);
        }
    }
    pthread_mutex_unlock(&g_obj);
    return NULL;
}

/* Start the clock thread if it is not running (g_obj held). */
static void start_thread(void)
{
    if (g_thread_on || g_stop)
        return;
    if (pthread_create(&g_thread, NULL, clock_main, NULL) == 0)
        g_thread_on = 1;
    else
        fprintf(stderr, "cevm: cannot start the clock thread: timers will not fire\n");
}

/* ---- waits (g_obj held) -----------------------------------------------------------------------
 */

void clock_wait_begin(struct clock_wait *w, uint32_t ms)
{
    w->deadline = ms == 0xFFFFFFFFu ? CLOCK_NEVER : clock_now() + (uint64_t)ms * CLOCK_MS;
    w->counted = 0;
    w->next = NULL;
    t_last_read = CLOCK_NEVER;
}

int clock_wait_expired(const struct clock_wait *w)
{
    return w->deadline != CLOCK_NEVER && clock_now() >= w->deadline;
}

int clock_wait_sleep(struct clock_wait *w)
{
    if (clock_wait_expired(w))
        return 1;
    if (!g_virtual) {
        if (w->deadline == CLOCK_NEVER) {
            pthread_cond_wait(&g_changed, &g_obj);
        } else {
            struct timespec ts;
            real_deadline(w->deadline, &ts);
            pthread_cond_timedwait(&g_changed, &g_obj, &ts);
        }
        return clock_wait_expired(w);
    }
    if (w->deadline != CLOCK_NEVER)
        start_thread();
    w->next = g_waits;
    g_waits = w;
    if (t_registered) {
        g_blocked++;
        w->counted = 1;
        w->gen = g_gen;
        pthread_cond_broadcast(&g_quiet);
    }
    pthread_cond_wait(&g_changed, &g_obj);
    for (struct clock_wait **p = &g_waits; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    if (w->counted && w->gen == g_gen)
        g_blocked--; /* a spurious wake: still counted */
    w->counted = 0;
    return clock_wait_expired(w);
}

/* ---- boot, shutdown, fork ------------------------------------------------------------------- */

void clock_boot(int virtual_clock)
{
    pthread_once(&g_key_once, key_make);
    pthread_mutex_lock(&g_obj);
    g_virtual = virtual_clock;
    atomic_store(&g_now, 0);
    g_stop = 0;
    if (!t_registered) {
        t_registered = 1;
        g_registered++;
        pthread_setspecific(g_key, &t_registered);
    }
    pthread_mutex_unlock(&g_obj);
}

void clock_shutdown(void)
{
    pthread_mutex_lock(&g_obj);
    int on = g_thread_on;
    g_stop = 1;
    pthread_cond_broadcast(&g_quiet);
    pthread_mutex_unlock(&g_obj);
    if (on)
        pthread_join(g_thread, NULL);
    pthread_mutex_lock(&g_tlock);
    while (g_timers)
        timer_unlink(g_timers);
    pthread_mutex_unlock(&g_tlock);
    pthread_mutex_lock(&g_obj);
    g_thread_on = 0;
    g_virtual = 0;
    pthread_mutex_unlock(&g_obj);
}

void clock_fork_child(void)
{
    pthread_mutex_init(&g_tlock, NULL);
    pthread_cond_init(&g_quiet, NULL);
    g_thread_on = 0;
    g_registered = t_registered;
    g_blocked = 0;
    g_advancers = 0;
    g_waits = NULL;
}
