/*
 * pwm.c — the built-in S3C6410 PWM timer model (`model PWM pwm`; spec driver-runtime §4.3).
 *
 * Five 32-bit down-counters on the machine clock (countdown.c). A timer's tick is
 * PCLK / (prescaler + 1) / divider (TCFG0 prescaler 0 for timers 0-1, prescaler 1 for 2-4; TCFG1
 * mux 1/1 .. 1/16);
 * PCLK is the SMDK6410's 66.5 MHz. TCON's manual-update bit loads TCNTBn into the counter, its
 * start bit runs it; the counter goes TCNTB .. 0 and expires on the next tick (a period of
 * TCNTB + 1 ticks): TINT_CSTAT's status bit 5+n is set (w1c, declared in the board) and the
 * counter reloads from TCNTBn with auto-reload, or stops. TCNTOn reads the current count. The
 * interrupt lines are board `irq` lines over TINT_CSTAT.
 */
#include <stdlib.h>
#include <string.h>

#include "ce/clock.h"
#include "dev/countdown.h"
#include "dev/device.h"
#include "host/host.h"

#define TIMERS 5
#define TCFG0  0x00u
#define TCFG1  0x04u
#define TCON   0x08u
#define CSTAT  0x44u

struct pwm;

struct pwm_timer {
    struct pwm *pwm;
    unsigned n;
    struct countdown c;
};

struct pwm {
    struct device *d;
    uint32_t tcon;
    struct pwm_timer t[TIMERS];
};

static const unsigned start_bit[TIMERS] = {0, 8, 12, 16, 20};
static const unsigned reload_bit[TIMERS] = {3, 11, 15, 19, 22};

static uint32_t tcntb_off(unsigned n)
{
    return n < 4 ? 0x0Cu + 0xCu * n : 0x3Cu;
}

/* Timer n's tick length (countdown.h). */
static uint64_t tick_num(struct pwm *p, unsigned n)
{
    uint32_t cfg0 = dev_reg_value(p->d, TCFG0), cfg1 = dev_reg_value(p->d, TCFG1);
    uint32_t pre = n < 2 ? cfg0 & 0xFF : (cfg0 >> 8) & 0xFF;
    uint32_t mux = (cfg1 >> (4 * n)) & 0xF;
    uint32_t div = mux < 5 ? 1u << mux : 1u; /* 5-7: external TCLK, not modelled: 1/1 */
    return 1000000000ull * (pre + 1) * div;
}

static void expire(void *ctx)
{
    struct pwm_timer *t = ctx;
    struct pwm *p = t->pwm;
    dev_lock();
    if (t->c.running) {
        dev_reg_store(p->d, CSTAT, dev_reg_value(p->d, CSTAT) | 1u << (5 + t->n));
        if (p->tcon >> reload_bit[t->n] & 1)
            countdown_reload(&t->c, dev_reg_value(p->d, tcntb_off(t->n)), tick_num(p, t->n));
        else
            countdown_stop_at_zero(&t->c);
        dev_lines_update(p->d);
    }
    dev_unlock();
}

static int pwm_read(struct device *d, uint32_t off, unsigned width, uint32_t *v)
{
    struct pwm *p = d->model.state;
    for (unsigned n = 0; n < TIMERS; n++)
        if (off == tcntb_off(n) + (n < 4 ? 8u : 4u) && width == 4) {
            *v = countdown_value(&p->t[n].c, tick_num(p, n));
            return 1;
        }
    return 0;
}

static void pwm_written(struct device *d, struct dev_reg *r)
{
    if (r->d.offset != TCON)
        return;
    struct pwm *p = d->model.state;
    uint32_t v = dev_reg_get(d, r);
    for (unsigned n = 0; n < TIMERS; n++) {
        struct countdown *c = &p->t[n].c;
        if (v >> (start_bit[n] + 1) & 1) /* manual update: TCNTB into the counter */
            countdown_load(c, dev_reg_value(d, tcntb_off(n)), tick_num(p, n));
        countdown_run(c, v >> start_bit[n] & 1, tick_num(p, n));
    }
    p->tcon = v;
}

static void pwm_destroy(struct device *d)
{
    struct pwm *p = d->model.state;
    for (unsigned n = 0; p && n < TIMERS; n++)
        clock_timer_cancel(&p->t[n].c.timer);
    free(p);
    memset(&d->model, 0, sizeof d->model);
}

cevm_status pwm_attach(struct device *d)
{
    struct pwm *p = host_calloc(1, sizeof *p);
    if (!p)
        return CEVM_E_NOMEM;
    p->d = d;
    for (unsigned n = 0; n < TIMERS; n++) {
        p->t[n].pwm = p;
        p->t[n].n = n;
        p->t[n].c.timer.fire = expire;
        p->t[n].c.timer.ctx = &p->t[n];
    }
    d->model.read = pwm_read;
    d->model.written = pwm_written;
    d->model.destroy = pwm_destroy;
    d->model.state = p;
    return CEVM_OK;
}
