/*
 * irq.c — interrupt lines of the board's devices (board `irq` and `pinirq` lines, docs/boards.md).
 *
 * A line is a function of registers: asserted while (PENDING & mask) shifted down to bit 0, AND
 * the gate (the enable bits, or the mask bits inverted, shifted the same way) is not zero — so
 * one line can be a single source (PWM timer n: TINT_CSTAT bit 5+n gated by bit n) or a group
 * (EINT0_3: EINT0PEND bits 0-3, each gated by its EINT0MASK bit). Input pins with a trigger set
 * their pending bit on the level or edge the S3C6410 EINT code in a configuration field
 * selects; a level source sets it again after a clear while the level lasts. Lines are
 * re-evaluated after every change to a device (dev_lines_update) and a changed level goes to
 * the OAL (ce/interrupt.c), which delivers it. Only a change to a register the lines read
 * (feeds_lines) makes that evaluation do anything, so other accesses cost one test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ce/interrupt.h"
#include "core/machine.h"
#include "dev/device.h"
#include "host/host.h"

static unsigned low_bit(uint32_t m)
{
    return (unsigned)__builtin_ctz(m);
}

static cevm_status resolve(struct device *d, const char *name, struct dev_reg **out,
                           const char *file, int line, char *err, size_t errlen)
{
    if (!name[0])
        return CEVM_OK;
    if (!(*out = dev_reg_named(d, name))) {
        snprintf(err, errlen, "%s:%d: device %s has no register %s", file, line, d->name, name);
        return CEVM_E_BOARD;
    }
    return CEVM_OK;
}

static struct device *device_named(struct devices *ds, const char *name)
{
    for (size_t i = 0; i < ds->n; i++)
        if (!strcmp(ds->d[i].name, name))
            return &ds->d[i];
    return NULL;
}

cevm_status irq_build(struct devices *ds, const struct board *b, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->nirqs; i++) {
        const struct board_irq *q = &b->irqs[i];
        struct device *d = device_named(ds, q->device);
        if (!d) {
            snprintf(err, errlen, "%s:%d: IRQ %u names device %s, which has no register file",
                     q->file, q->line, q->number, q->device);
            return CEVM_E_BOARD;
        }
        struct dev_irq *n = host_realloc(d->irqs, (d->nirqs + 1) * sizeof *n);
        if (!n)
            return CEVM_E_NOMEM;
        d->irqs = n;
        struct dev_irq *x = &d->irqs[d->nirqs];
        memset(x, 0, sizeof *x);
        x->b = *q;
        cevm_status st;
        if ((st = resolve(d, q->pend_reg, &x->pend, q->file, q->line, err, errlen)) ||
            (st = resolve(d, q->gate_reg, &x->gate, q->file, q->line, err, errlen)) ||
            (st = resolve(d, q->oal_reg, &x->oal, q->file, q->line, err, errlen)))
            return st;
        d->nirqs++;
    }
    for (size_t i = 0; i < b->npinirqs; i++) {
        const struct board_pinirq *q = &b->pinirqs[i];
        struct device *d = device_named(ds, q->device);
        const struct board_pin *pin = NULL;
        for (size_t k = 0; d && k < d->npins; k++)
            if (!strcmp(d->pins[k].name, q->pin))
                pin = &d->pins[k];
        if (!d || !pin) {
            snprintf(err, errlen, "%s:%d: no pin %s on device %s", q->file, q->line, q->pin,
                     q->device);
            return CEVM_E_BOARD;
        }
        struct dev_pinirq *n = host_realloc(d->pinirqs, (d->npinirqs + 1) * sizeof *n);
        if (!n)
            return CEVM_E_NOMEM;
        d->pinirqs = n;
        struct dev_pinirq *x = &d->pinirqs[d->npinirqs];
        memset(x, 0, sizeof *x);
        x->b = *q;
        x->pin_bit = pin->bit;
        cevm_status st;
        if ((st = resolve(d, q->pend_reg, &x->pend, q->file, q->line, err, errlen)) ||
            (st = resolve(d, q->cfg_reg, &x->cfg, q->file, q->line, err, errlen)) ||
            (st = resolve(d, pin->reg, &x->pin, q->file, q->line, err, errlen)))
            return st;
        x->prev = (int)((dev_reg_get(d, x->pin) >> x->pin_bit) & 1);
        x->pend->feeds_lines = x->cfg->feeds_lines = x->pin->feeds_lines = 1;
        d->npinirqs++;
    }
    for (size_t i = 0; i < ds->n; i++) {
        struct device *d = &ds->d[i];
        for (size_t k = 0; k < d->nirqs; k++) {
            struct dev_irq *x = &d->irqs[k];
            x->pend->feeds_lines = 1;
            if (x->oal)
                x->oal->oal_bits = 1;
            if (x->gate)
                x->gate->feeds_lines = 1;
        }
        d->lines_dirty = 1; /* evaluated once at boot */
    }
    return CEVM_OK;
}

/* Does trigger code cfg fire for a pin going from prev to now? */
static int triggered(uint32_t cfg, int prev, int now)
{
    switch (cfg & 7) {
    case 0:
        return !now; /* low level */
    case 1:
        return now; /* high level */
    case 2:
    case 3:
        return prev && !now; /* falling edge */
    case 4:
    case 5:
        return !prev && now; /* rising edge */
    default:
        return prev != now; /* both edges */
    }
}

void dev_lines_update(struct device *d)
{
    if (!d->lines_dirty) /* nothing they read changed: the levels stand */
        return;
    d->lines_dirty = 0;
    for (size_t i = 0; i < d->npinirqs; i++) {
        struct dev_pinirq *x = &d->pinirqs[i];
        int now = (int)((dev_reg_get(d, x->pin) >> x->pin_bit) & 1);
        uint32_t cfg = dev_reg_get(d, x->cfg) >> x->b.cfg_shift;
        if (triggered(cfg, x->prev, now))
            dev_reg_put(d, x->pend, dev_reg_get(d, x->pend) | 1u << x->b.pend_bit);
        x->prev = now;
    }
    for (size_t i = 0; i < d->nirqs; i++) {
        struct dev_irq *x = &d->irqs[i];
        uint32_t pm = x->b.pend_mask;
        uint32_t p = (dev_reg_get(d, x->pend) & pm) >> low_bit(pm), g = pm >> low_bit(pm);
        if (x->gate) {
            uint32_t gm = x->b.gate_mask, gv = dev_reg_get(d, x->gate);
            g = ((x->b.gate == GATE_MASK ? ~gv : gv) & gm) >> low_bit(gm);
        }
        int level = (p & g) != 0;
        if (level != x->level) {
            x->level = level;
            intr_line(x->b.number, level);
        }
    }
}

static struct dev_irq *irq_find(uint32_t irq, struct device **dev)
{
    struct devices *ds = g_machine ? &g_machine->devs : NULL;
    for (size_t i = 0; ds && i < ds->n; i++)
        for (size_t k = 0; k < ds->d[i].nirqs; k++)
            if (ds->d[i].irqs[k].b.number == irq) {
                *dev = &ds->d[i];
                return &ds->d[i].irqs[k];
            }
    return NULL;
}

int dev_oal_mask(uint32_t irq, int masked)
{
    struct device *d;
    struct dev_irq *x = irq_find(irq, &d);
    if (!x || !x->oal)
        return 0;
    uint32_t v = dev_reg_get(d, x->oal);
    dev_reg_put(d, x->oal, masked ? v | x->b.oal_mask : v & ~x->b.oal_mask);
    dev_lines_update(d);
    return 1;
}

int dev_irq_info(uint32_t irq, int *level, const char **name, const char **device)
{
    struct device *d;
    struct dev_irq *x = irq_find(irq, &d);
    if (!x)
        return 0;
    if (level)
        *level = x->level;
    if (name)
        *name = x->b.name;
    if (device)
        *device = d->name;
    return 1;
}
