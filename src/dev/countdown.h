/*
 * countdown.h — a down-counter on the machine clock, as the S3C6410's timers are (pwm.c, wdt.c):
 * it holds a count at a start time and computes the count now from the tick length, expiring on
 * the tick after 0 (a period of count + 1 ticks) through a clock timer the model arms.
 *
 * Tick lengths are given as `tick` = 1e9 × prescaler × divider: one tick lasts tick / PCLK_HZ ns,
 * exact in integers.
 */
#ifndef CEVM_COUNTDOWN_H
#define CEVM_COUNTDOWN_H

#include <stdint.h>

#include "ce/clock.h"

#define PCLK_HZ 66500000u /* the SMDK6410's peripheral clock */

struct countdown {
    int running;
    uint32_t count; /* the count at t0 */
    uint64_t t0;
    struct clock_timer timer; /* the model sets fire and ctx */
};

/* The count now. */
uint32_t countdown_value(const struct countdown *c, uint64_t tick);
/* Load count from now on (re-armed when running). */
void countdown_load(struct countdown *c, uint32_t count, uint64_t tick);
/* Start counting from the current count, or stop and keep it. */
void countdown_run(struct countdown *c, int on, uint64_t tick);
/* At expiry: count again from count, starting when the timer fell due. */
void countdown_reload(struct countdown *c, uint32_t count, uint64_t tick);
/* At expiry without reload: stopped at 0. */
void countdown_stop_at_zero(struct countdown *c);

#endif
