/*
 * countdown.c — the down-counter of the timer models (countdown.h).
 */
#include "dev/countdown.h"

uint32_t countdown_value(const struct countdown *c, uint64_t tick)
{
    if (!c->running)
        return c->count;
    unsigned __int128 ticks = (unsigned __int128)(clock_now() - c->t0) * PCLK_HZ / tick;
    return ticks >= c->count ? 0 : c->count - (uint32_t)ticks;
}

/* Arm the expiry: count + 1 ticks after t0, rounded up to a whole nanosecond. */
static void arm(struct countdown *c, uint64_t tick)
{
    unsigned __int128 ns = (unsigned __int128)((uint64_t)c->count + 1) * tick;
    clock_timer_arm(&c->timer, c->t0 + (uint64_t)((ns + PCLK_HZ - 1) / PCLK_HZ));
}

void countdown_load(struct countdown *c, uint32_t count, uint64_t tick)
{
    c->count = count;
    c->t0 = clock_now();
    if (c->running)
        arm(c, tick);
}

void countdown_run(struct countdown *c, int on, uint64_t tick)
{
    if (on && !c->running) {
        c->running = 1;
        c->t0 = clock_now();
        arm(c, tick);
    } else if (!on && c->running) {
        c->count = countdown_value(c, tick);
        c->running = 0;
        clock_timer_cancel(&c->timer);
    }
}

void countdown_reload(struct countdown *c, uint32_t count, uint64_t tick)
{
    c->t0 = c->timer.when;
    c->count = count;
    arm(c, tick);
}

void countdown_stop_at_zero(struct countdown *c)
{
    c->t0 = c->timer.when;
    c->count = 0;
    c->running = 0;
}
