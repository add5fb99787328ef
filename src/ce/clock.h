/*
 * clock.h — the machine clock: nanoseconds since boot behind Sleep, GetTickCount, wait timeouts
 * and device-model timers, in real time or on a deterministic virtual clock (docs/ARCHITECTURE.md,
 * "Time and interrupts"; docs/devices.md for users).
 *
 * Waits: every CE wait sleeps on the object lock's condition variable (g_obj, g_changed) through
 * clock_wait_sleep, which counts the thread as blocked for the virtual clock. Whoever changes an
 * object's state calls clock_changed() (g_obj held) instead of broadcasting g_changed itself.
 */
#ifndef CEVM_CLOCK_H
#define CEVM_CLOCK_H

#include <stdint.h>

#define CLOCK_NEVER UINT64_MAX
#define CLOCK_MS    1000000ull /* nanoseconds */

/* A device model's timer: fire(ctx) runs once the clock reaches when, with no cevm lock held,
 * on the thread that advances the virtual clock or on the clock thread (real time). */
struct clock_timer {
    uint64_t when;
    void (*fire)(void *ctx);
    void *ctx;
    int armed;
    struct clock_timer *next;
};

/* One wait in progress (on the waiting thread's stack). */
struct clock_wait {
    uint64_t deadline; /* CLOCK_NEVER: no timeout */
    unsigned gen;      /* clock_changed generation when it went to sleep */
    int counted;       /* counted as a blocked registered thread */
    struct clock_wait *next;
};

/* At boot (machine lock held, no CE thread running): virtual selects the virtual clock (else
 * real time); the clock starts at 0; the calling thread is registered. */
void clock_boot(int virtual_clock);
/* At shutdown: the clock thread stops; armed timers are forgotten. */
void clock_shutdown(void);
/* After fork(), in the child: one thread, no clock thread, locks new. */
void clock_fork_child(void);

int clock_is_virtual(void);
/* Nanoseconds since boot. */
uint64_t clock_now(void);
/* As clock_now, for CE code reading the time (GetTickCount, QueryPerformanceCounter): on the
 * virtual clock, a thread that reads again without having waited, while no other registered
 * thread can run, moves the clock 1 ms first (so a polling loop with a timeout ends). */
uint64_t clock_read(void);

void clock_timer_arm(struct clock_timer *t, uint64_t when);
void clock_timer_cancel(struct clock_timer *t);

/* ---- waits (g_obj held for all of these) ------------------------------------------------- */

/* Start a wait of ms milliseconds (0xFFFFFFFF: none). */
void clock_wait_begin(struct clock_wait *w, uint32_t ms);
/* Has the wait's deadline passed? */
int clock_wait_expired(const struct clock_wait *w);
/* Sleep until an object changes or the deadline passes. Return: clock_wait_expired(w). */
int clock_wait_sleep(struct clock_wait *w);
/* An object may have become signalled: wake every waiter. */
void clock_changed(void);
/* A CE thread starts (or is resumed) / ends: it counts, or stops counting, for the virtual
 * clock's "every thread is blocked". clock_thread_started is called by the creator; the new
 * thread then calls clock_thread_adopt() (no lock needed) so its waits count. */
void clock_thread_started(void);
void clock_thread_adopt(void);
void clock_thread_ended(void);
/* A thread counted by clock_thread_started could not be created after all. */
void clock_thread_never_ran(void);

/* Advance the virtual clock by ns, firing every timer and expiring every wait on the way in
 * order, and letting the CE threads run after each event until they block again. g_obj not
 * held. Return: 0, or -1 on the real-time clock. */
int clock_advance(uint64_t ns);

#endif
