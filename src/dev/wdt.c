/*
 * wdt.c — the built-in S3C6410 watchdog model (`model WDT wdt`; spec driver-runtime §4.5).
 *
 * WTCNT counts down on the machine clock (countdown.c) while WTCON bit 5 is set, one tick per
 * PCLK / (prescaler + 1) / divider (WTCON[15:8], [4:3] → 16/32/64/128; PCLK 66.5 MHz). At 0 it
 * reloads from WTDAT; with WTCON bit 2 it raises its interrupt, kept pending in WTCLRINT's
 * stored value (a write-only register: any write clears it, as the silicon's WTCLRINT does; the
 * board's `irq` line gates it with WTCON bit 2); with WTCON bit 0 it would reset the SoC: cevm
 * reports that on stderr and counts on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ce/clock.h"
#include "dev/countdown.h"
#include "dev/device.h"
#include "host/host.h"

#define WTCON    0x00u
#define WTDAT    0x04u
#define WTCNT    0x08u
#define WTCLRINT 0x0Cu

struct wdt {
    struct device *d;
    struct countdown c; /* WTCNT */
};

static uint64_t tick_num(struct wdt *w)
{
    uint32_t con = dev_reg_value(w->d, WTCON);
    return 1000000000ull * (((con >> 8) & 0xFF) + 1) * (16u << ((con >> 3) & 3));
}

static void expire(void *ctx)
{
    struct wdt *w = ctx;
    dev_lock();
    if (w->c.running) {
        uint32_t con = dev_reg_value(w->d, WTCON);
        if (con & 0x4)
            dev_reg_store(w->d, WTCLRINT, 1);
        if (con & 0x1)
            fprintf(stderr,
                    "cevm: the watchdog (%s) expired with reset enabled (WTCON 0x%X) at "
                    "%llu ms: the SoC would reset now\n",
                    w->d->name, con, (unsigned long long)(w->c.timer.when / 1000000u));
        countdown_reload(&w->c, dev_reg_value(w->d, WTDAT) & 0xFFFF, tick_num(w));
        dev_lines_update(w->d);
    }
    dev_unlock();
}

static int wdt_read(struct device *d, uint32_t off, unsigned width, uint32_t *v)
{
    if (off != WTCNT || width != 4)
        return 0;
    struct wdt *w = d->model.state;
    *v = countdown_value(&w->c, tick_num(w));
    return 1;
}

static void wdt_written(struct device *d, struct dev_reg *r)
{
    struct wdt *w = d->model.state;
    if (r->d.offset == WTCNT)
        countdown_load(&w->c, dev_reg_get(d, r) & 0xFFFF, tick_num(w));
    else if (r->d.offset == WTCON)
        countdown_run(&w->c, (dev_reg_get(d, r) >> 5) & 1, tick_num(w));
}

static void wdt_destroy(struct device *d)
{
    struct wdt *w = d->model.state;
    if (w)
        clock_timer_cancel(&w->c.timer);
    free(w);
    memset(&d->model, 0, sizeof d->model);
}

cevm_status wdt_attach(struct device *d)
{
    struct wdt *w = host_calloc(1, sizeof *w);
    if (!w)
        return CEVM_E_NOMEM;
    w->d = d;
    w->c.timer.fire = expire;
    w->c.timer.ctx = w;
    w->c.count = dev_reg_value(d, WTCNT) & 0xFFFF;
    d->model.read = wdt_read;
    d->model.written = wdt_written;
    d->model.destroy = wdt_destroy;
    d->model.state = w;
    return CEVM_OK;
}
