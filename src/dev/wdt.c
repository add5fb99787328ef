/*
 * wdt.c — the built-in S3C6410 watchdog model (`model WDT wdt`; spec driver-runtime §4.5).
 *
 * WTCNT counts down on the machine clock while WTCON bit 5 is set, one tick per PCLK /
 * (prescaler + 1) / divider (WTCON[15:8], [4:3] → 16/32/64/128; PCLK 66.5 MHz). At 0 it
 * reloads from WTDAT; with WTCON bit 2 it raises its interrupt, kept pending in WTCLRINT's
 * stored value (a write-only register: any write clears it, as the silicon's WTCLRINT does;
 * the board's `irq` line gates it with WTCON bit 2); with WTCON bit 0 it would reset the SoC:
 * cevm reports that on stderr and counts on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ce/clock.h"
#include "dev/device.h"
#include "host/host.h"

#define PCLK_HZ  66500000u
#define WTCON    0x00u
#define WTDAT    0x04u
#define WTCNT    0x08u
#define WTCLRINT 0x0Cu

struct wdt {
    struct device *d;
    int running;
    uint32_t count; /* WTCNT at t0 */
    uint64_t t0;
    struct clock_timer timer;
};

static uint32_t reg(struct device *d, uint32_t off)
{
    struct dev_reg *r = dev_reg_at(d, off);
    return r ? dev_reg_get(d, r) : 0;
}

static uint64_t tick_num(struct wdt *w)
{
    uint32_t con = reg(w->d, WTCON);
    return 1000000000ull * (((con >> 8) & 0xFF) + 1) * (16u << ((con >> 3) & 3));
}

static uint32_t current(struct wdt *w)
{
    if (!w->running)
        return w->count;
    unsigned __int128 ticks = (unsigned __int128)(clock_now() - w->t0) * PCLK_HZ / tick_num(w);
    return ticks >= w->count ? 0 : w->count - (uint32_t)ticks;
}

static void arm(struct wdt *w)
{
    unsigned __int128 ns = (unsigned __int128)((uint64_t)w->count + 1) * tick_num(w);
    clock_timer_arm(&w->timer, w->t0 + (uint64_t)((ns + PCLK_HZ - 1) / PCLK_HZ));
}

static void expire(void *ctx)
{
    struct wdt *w = ctx;
    dev_lock();
    if (w->running) {
        uint32_t con = reg(w->d, WTCON);
        struct dev_reg *clr = dev_reg_at(w->d, WTCLRINT);
        if ((con & 0x4) && clr)
            dev_reg_put(w->d, clr, 1);
        if (con & 0x1)
            fprintf(stderr,
                    "cevm: the watchdog (%s) expired with reset enabled (WTCON 0x%X) at "
                    "%llu ms: the SoC would reset now\n",
                    w->d->name, con, (unsigned long long)(w->timer.when / 1000000u));
        w->t0 = w->timer.when;
        w->count = reg(w->d, WTDAT) & 0xFFFF;
        arm(w);
        dev_lines_update(w->d);
    }
    dev_unlock();
}

static int wdt_read(struct device *d, uint32_t off, unsigned width, uint32_t *v)
{
    if (off != WTCNT || width != 4)
        return 0;
    *v = current(d->model.state);
    return 1;
}

static void wdt_written(struct device *d, struct dev_reg *r)
{
    struct wdt *w = d->model.state;
    if (r->d.offset == WTCNT) {
        w->count = dev_reg_get(d, r) & 0xFFFF;
        w->t0 = clock_now();
        if (w->running)
            arm(w);
    } else if (r->d.offset == WTCON) {
        int on = (dev_reg_get(d, r) >> 5) & 1;
        if (on && !w->running) {
            w->running = 1;
            w->t0 = clock_now();
            arm(w);
        } else if (!on && w->running) {
            w->count = current(w);
            w->running = 0;
            clock_timer_cancel(&w->timer);
        }
    }
}

static void wdt_destroy(struct device *d)
{
    struct wdt *w = d->model.state;
    if (w)
        clock_timer_cancel(&w->timer);
    free(w);
    memset(&d->model, 0, sizeof d->model);
}

cevm_status wdt_attach(struct device *d)
{
    struct wdt *w = host_calloc(1, sizeof *w);
    if (!w)
        return CEVM_E_NOMEM;
    w->d = d;
    w->timer.fire = expire;
    w->timer.ctx = w;
    w->count = reg(d, WTCNT) & 0xFFFF;
    d->model.read = wdt_read;
    d->model.written = wdt_written;
    d->model.destroy = wdt_destroy;
    d->model.state = w;
    return CEVM_OK;
}
