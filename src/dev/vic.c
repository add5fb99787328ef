/*
 * vic.c — the built-in vectored interrupt controller model (`model VIC0 vic 0`): the S3C6410's
 * two ARM PL192 VICs (spec driver-runtime §4.1) as CE code sees them while the OAL owns them.
 *
 * RAWINTR shows the sources (the lines of IRQs BASE..BASE+31, or a SOFTINT bit); INTENABLE
 * shows what is enabled — what the OAL enabled (a SYSINTR initialised and not masked since its
 * last interrupt; the OAL masks as it delivers, as CE's OAL ISR does) or CE code enabled;
 * IRQSTATUS = RAWINTR & INTENABLE & ~INTSELECT, FIQSTATUS the same with INTSELECT. CE code's
 * writes: INTENABLE 1 bits enable, INTENCLEAR 1 bits disable (no delivery until the OAL's next
 * InterruptInitialize/InterruptDone or an INTENABLE write), SOFTINT 1 bits raise a software
 * source (delivered as the line would be), SOFTINTCLEAR 1 bits drop it; 0 bits do nothing.
 * INTSELECT, PROTECTION, VECTADDR, VECTPRIORITY and ADDRESS are plain registers: vectors are
 * not used (the OAL dispatches).
 */
#include <stdlib.h>
#include <string.h>

#include "ce/interrupt.h"
#include "dev/device.h"
#include "host/host.h"

#define IRQSTATUS    0x000u
#define FIQSTATUS    0x004u
#define RAWINTR      0x008u
#define INTSELECT    0x00Cu
#define INTENABLE    0x010u
#define INTENCLEAR   0x014u
#define SOFTINT      0x018u
#define SOFTINTCLEAR 0x01Cu

struct vic {
    uint32_t base; /* IRQ of source 0 */
};

static uint32_t select_bits(struct device *d)
{
    struct dev_reg *r = dev_reg_at(d, INTSELECT);
    return r ? dev_reg_get(d, r) : 0;
}

static int vic_read(struct device *d, uint32_t off, unsigned width, uint32_t *v)
{
    const struct vic *c = d->model.state;
    if (width != 4)
        return 0;
    uint32_t raw = intr_vic_get(c->base, VIC_RAW), en = intr_vic_get(c->base, VIC_ENABLE);
    switch (off) {
    case IRQSTATUS:
        *v = raw & en & ~select_bits(d);
        return 1;
    case FIQSTATUS:
        *v = raw & en & select_bits(d);
        return 1;
    case RAWINTR:
        *v = raw;
        return 1;
    case INTENABLE:
        *v = en;
        return 1;
    case SOFTINT:
        *v = intr_vic_get(c->base, VIC_SOFT);
        return 1;
    default:
        return 0;
    }
}

static void vic_written(struct device *d, struct dev_reg *r)
{
    const struct vic *c = d->model.state;
    static const struct {
        uint32_t off;
        int what;
    } acts[] = {{INTENABLE, VIC_ENABLE},
                {INTENCLEAR, VIC_DISABLE},
                {SOFTINT, VIC_SOFT},
                {SOFTINTCLEAR, VIC_SOFT_CLEAR}};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (r->d.offset == acts[i].off && r->d.width == 4)
            intr_vic_set(c->base, acts[i].what, r->written);
}

static void vic_destroy(struct device *d)
{
    free(d->model.state);
    memset(&d->model, 0, sizeof d->model);
}

cevm_status vic_attach(struct device *d, uint32_t base)
{
    struct vic *c = host_calloc(1, sizeof *c);
    if (!c)
        return CEVM_E_NOMEM;
    c->base = base;
    d->model.read = vic_read;
    d->model.written = vic_written;
    d->model.destroy = vic_destroy;
    d->model.state = c;
    return CEVM_OK;
}
