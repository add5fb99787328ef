/*
 * device.c — device models over register files (device.h, docs/devices.md).
 *
 * The register file's memory is what raw pointers see; the shadow is what the model last left
 * there. A sync compares the two: a declared register whose memory differs from the shadow was
 * written through a raw pointer, and is handled as a write of the value found (so access kinds,
 * self-clearing bits and C models apply); any other byte that differs is a write to a register
 * the device does not declare, and is reported. The register accessors sync the device, then
 * perform their one access through the model and leave memory and shadow equal.
 *
 * Semantics of a write of v to a declared register holding old: rw → v (its w1c=MASK bits:
 * old & ~v); ro → old; wo → 0 (v kept for tests); w1c → old & ~v; rc → v. Then self-clearing bits
 * are cleared, and input-pin bits take the pins' levels. A read returns the value (wo: 0); rc then
 * clears the register.
 */
#define _GNU_SOURCE
#include "dev/device.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/emulate.h"
#include "core/fault.h"
#include "core/machine.h"
#include "host/host.h"

/* The device lock: recursive (models call cevm_device_* from their callbacks), held only for a
 * model access or a native call, never while CE code runs; a spin lock with an owner token
 * (the address of a thread-local) and a depth, so an uncontended access costs one atomic
 * exchange instead of a mutex round trip. A waiter spins briefly, then yields. */
static _Atomic uintptr_t g_dev_owner;
static unsigned g_dev_depth; /* written by the owner only */
static CEVM_TLS char t_dev_token;
/* Fast exit for the accessors on boards without register files (read without a lock). */
static _Atomic int g_have_devices;

void dev_lock(void)
{
    uintptr_t me = (uintptr_t)&t_dev_token;
    if (atomic_load_explicit(&g_dev_owner, memory_order_relaxed) == me) {
        g_dev_depth++;
        return;
    }
    for (unsigned spins = 0;; spins++) {
        uintptr_t free_ = 0;
        if (atomic_compare_exchange_weak_explicit(&g_dev_owner, &free_, me, memory_order_acquire,
                                                  memory_order_relaxed))
            break;
        if (spins >= 64)
            sched_yield();
    }
    g_dev_depth = 1;
}

void dev_unlock(void)
{
    if (--g_dev_depth == 0)
        atomic_store_explicit(&g_dev_owner, 0, memory_order_release);
}

/* Register memory, little-endian as the ARM boards. Loads and stores of an aligned width are
 * atomic (relaxed: the same instructions as plain ones on x86): a trapped file's whole
 * registers may be read and written without the device lock (dev_route), and every store into a
 * declared register is aligned (dev_reg_put). */
static uint32_t mem_get(const uint8_t *base, uint32_t off, unsigned width)
{
    if (width == 4 && !(off & 3))
        return __atomic_load_n((const uint32_t *)(const void *)(base + off), __ATOMIC_RELAXED);
    if (width == 2 && !(off & 1))
        return __atomic_load_n((const uint16_t *)(const void *)(base + off), __ATOMIC_RELAXED);
    if (width == 1)
        return __atomic_load_n(base + off, __ATOMIC_RELAXED);
    if (width == 4) {
        uint32_t v;
        memcpy(&v, base + off, 4);
        return v;
    }
    uint16_t v;
    memcpy(&v, base + off, 2);
    return v;
}

static void mem_put(uint8_t *base, uint32_t off, unsigned width, uint32_t v)
{
    if (width == 4 && !(off & 3)) {
        __atomic_store_n((uint32_t *)(void *)(base + off), v, __ATOMIC_RELAXED);
    } else if (width == 2 && !(off & 1)) {
        __atomic_store_n((uint16_t *)(void *)(base + off), (uint16_t)v, __ATOMIC_RELAXED);
    } else if (width == 1) {
        __atomic_store_n(base + off, (uint8_t)v, __ATOMIC_RELAXED);
    } else if (width == 4) {
        memcpy(base + off, &v, 4);
    } else {
        uint16_t h = (uint16_t)v;
        memcpy(base + off, &h, 2);
    }
}

static void log_record(struct device *d, uint32_t off, unsigned width, int write, uint32_t v,
                       int raw)
{
    cevm_device_access *a = &d->log[d->nlog % DEV_LOG_SIZE];
    memset(a, 0, sizeof *a);
    memcpy(a->device, d->name, sizeof a->device); /* both 32 bytes, NUL-terminated */
    a->offset = off;
    a->width = width;
    a->write = write;
    a->value = v;
    a->raw = raw;
    snprintf(a->context, sizeof a->context, "%s", unimpl_context());
    d->nlog++;
}

static inline void log_access(struct device *d, uint32_t off, unsigned width, int write, uint32_t v,
                              int raw)
{
    if (d->log_on)
        log_record(d, off, width, write, v, raw);
}

#define REG_SHARED 0xFFFFu   /* reg_index: more than one register in the word */
#define INDEX_MAX  0x100000u /* register files up to 1 MB get a word index */

/* The declared register holding [off, off + width), or NULL: one lookup in the word index (a
 * word with several narrow registers, or a file without an index, searches the list). */
static struct dev_reg *reg_at(struct device *d, uint32_t off, unsigned width)
{
    if (d->reg_index) {
        uint16_t k = d->reg_index[off / 4];
        if (k != REG_SHARED) {
            struct dev_reg *r = k ? &d->regs[k - 1] : NULL;
            return r && off >= r->d.offset && off + width <= r->d.offset + r->d.width ? r : NULL;
        }
    }
    for (size_t i = 0; i < d->nregs; i++) {
        struct dev_reg *r = &d->regs[i];
        if (off >= r->d.offset && off + width <= r->d.offset + r->d.width)
            return r;
    }
    return NULL;
}

/* Build the word index of a register file (its registers are known). Return: 0, or -1 when out
 * of memory (the list search still works). */
static int reg_index_build(struct device *d)
{
    if (d->size > INDEX_MAX || d->nregs >= REG_SHARED)
        return 0;
    if (!(d->reg_index = host_calloc(d->size / 4, sizeof *d->reg_index)))
        return -1;
    for (size_t i = 0; i < d->nregs; i++) {
        uint16_t *w = &d->reg_index[d->regs[i].d.offset / 4];
        *w = *w ? REG_SHARED : (uint16_t)(i + 1);
    }
    return 0;
}

struct dev_reg *dev_reg_named(struct device *d, const char *name)
{
    for (size_t i = 0; i < d->nregs; i++)
        if (!strcmp(d->regs[i].d.name, name))
            return &d->regs[i];
    return NULL;
}

/* Store a register's value in memory and shadow, with the input pins' bits forced. A change to
 * a register an interrupt line reads marks the lines for re-evaluation. */
void dev_reg_put(struct device *d, struct dev_reg *r, uint32_t v)
{
    v = (v & ~r->in_mask) | r->in_bits;
    if (r->feeds_lines && v != mem_get(d->shadow, r->d.offset, r->d.width))
        d->lines_dirty = 1;
    mem_put(d->mem, r->d.offset, r->d.width, v);
    if (d->shadow != d->mem)
        mem_put(d->shadow, r->d.offset, r->d.width, v);
}

uint32_t dev_reg_get(const struct device *d, const struct dev_reg *r)
{
    return mem_get(d->shadow, r->d.offset, r->d.width);
}

struct dev_reg *dev_reg_at(struct device *d, uint32_t off)
{
    struct dev_reg *r = off < d->size ? reg_at(d, off, 1) : NULL;
    return r && r->d.offset == off ? r : NULL;
}

uint32_t dev_reg_value(struct device *d, uint32_t off)
{
    struct dev_reg *r = dev_reg_at(d, off);
    return r ? dev_reg_get(d, r) : 0;
}

void dev_reg_store(struct device *d, uint32_t off, uint32_t v)
{
    struct dev_reg *r = dev_reg_at(d, off);
    if (r)
        dev_reg_put(d, r, v);
}

void device_release(struct device *d)
{
    if (d->lines_dirty) /* else the lines stand: no call */
        dev_lines_update(d);
    dev_unlock();
}

static void dev_update_lockfree(struct device *d)
{
    int ok = d->trapped && !d->log_on && d->reg_index;
    atomic_store_explicit(&d->lockfree_reads, ok && !d->ops.read && !d->model.read,
                          memory_order_relaxed);
    atomic_store_explicit(&d->lockfree_writes, ok && !d->ops.write && !d->model.written,
                          memory_order_relaxed);
    int quiet = !d->trapped && !d->log_on && !d->ops.read && !d->ops.write && !d->model.read &&
                !d->model.written && !d->nirqs && !d->npinirqs;
    for (size_t i = 0; quiet && i < d->nregs; i++)
        quiet = d->regs[i].plain_rw;
    d->sync_per_access = quiet;
}

/* Is a write of register r a plain store (struct dev_reg plain_rw)? */
static int plain_rw(const struct dev_reg *r)
{
    return r->d.access == ACCESS_RW && !r->d.w1c && !r->d.selfclear && !r->in_mask &&
           !r->feeds_lines && !r->oal_bits;
}

/* Merge the bits mask of val into the plain_rw register at p of width bytes with one
 * compare-exchange, so a lock-free store of the whole register (dev_route) is never lost
 * between the read and the write. Return: the register's new value. */
static uint32_t merge_store(uint8_t *p, unsigned width, uint32_t mask, uint32_t val)
{
    if (width == 2) {
        uint16_t *h = (uint16_t *)(void *)p, old = __atomic_load_n(h, __ATOMIC_RELAXED), nv;
        do
            nv = (uint16_t)((old & ~mask) | (val & mask));
        while (!__atomic_compare_exchange_n(h, &old, nv, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
        return nv;
    }
    uint32_t *w = (uint32_t *)(void *)p, old = __atomic_load_n(w, __ATOMIC_RELAXED), nv;
    do
        nv = (old & ~mask) | (val & mask);
    while (!__atomic_compare_exchange_n(w, &old, nv, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return nv;
}

static int modelled(const struct device *d)
{
    return d->nregs || d->ops.read || d->ops.write || d->model.read;
}

/* A declared register [off, off + width) overlaps without holding it (the access is
 * misaligned for it or wider than it), or NULL. */
static struct dev_reg *reg_misfit(struct device *d, uint32_t off, unsigned width)
{
    for (size_t i = 0; i < d->nregs; i++) {
        struct dev_reg *r = &d->regs[i];
        if (off < r->d.offset + r->d.width && r->d.offset < off + width &&
            !(off >= r->d.offset && off + width <= r->d.offset + r->d.width))
            return r;
    }
    return NULL;
}

/* Report an access to an undeclared register, or (r not NULL) one that does not fit register
 * r, which is not performed. */
static void report_access(struct device *d, const struct dev_reg *r, uint32_t off, unsigned width,
                          int write, uint32_t value)
{
    cevm_unimplemented_access a;
    memset(&a, 0, sizeof a);
    a.pa = d->pa + off;
    a.ce = 0xFFFFFFFFu;
    a.write = write;
    a.undeclared = 1;
    a.offset = off;
    a.width = width;
    a.nbytes = write ? width : 0;
    memcpy(a.bytes, &value, width);
    snprintf(a.device, sizeof a.device, "%s", d->name);
    if (r) {
        a.misfit = 1;
        snprintf(a.reg, sizeof a.reg, "%s", r->d.name);
        a.reg_offset = r->d.offset;
        a.reg_width = r->d.width;
    }
    unimpl_record(&a);
}

/* One write of width bytes at off: the C model first, then the declared register. */
static void dev_write_regs(struct device *d, uint32_t off, unsigned width, uint32_t v);

static void dev_write(struct device *d, uint32_t off, unsigned width, uint32_t v, int raw)
{
    log_access(d, off, width, 1, v, raw);
    if (d->ops.write && d->ops.write(d->ctx, off, width, v))
        return;
    dev_write_regs(d, off, width, v);
}

/* A write the C model left to the declared registers (dev_write after the model). */
static void dev_write_regs(struct device *d, uint32_t off, unsigned width, uint32_t v)
{
    struct dev_reg *r = reg_at(d, off, width), *m;
    if (!r && (m = reg_misfit(d, off, width))) {
        report_access(d, m, off, width, 1, v);
        return;
    }
    if (!r) {
        mem_put(d->mem, off, width, v);
        if (d->shadow != d->mem)
            mem_put(d->shadow, off, width, v);
        if (modelled(d))
            dev_report_undeclared(d, off, width, 1, v);
        return;
    }
    unsigned shift = (off - r->d.offset) * 8;
    uint32_t mask = width == 4 ? 0xFFFFFFFFu : ((1u << (width * 8)) - 1) << shift;
    uint32_t val = v << shift;
    if (r->plain_rw && d->trapped && width < r->d.width) {
        r->written = merge_store(d->mem + r->d.offset, r->d.width, mask, val);
        if (d->model.written)
            d->model.written(d, r);
        return;
    }
    uint32_t old = mem_get(d->shadow, r->d.offset, r->d.width);
    uint32_t merged = (old & ~mask) | (val & mask), nv;
    r->written = merged;
    switch (r->d.access) {
    case ACCESS_RW:
    case ACCESS_RC: /* w1c bits of an rw register: 1 clears, 0 keeps */
        nv = (merged & ~r->d.w1c) | (old & r->d.w1c & ~(val & mask));
        break;
    case ACCESS_RO:
        nv = old;
        break;
    case ACCESS_WO:
        nv = 0;
        break;
    case ACCESS_W1C:
    default:
        nv = old & ~(val & mask);
        break;
    }
    dev_reg_put(d, r, nv & ~r->d.selfclear);
    if (d->model.written)
        d->model.written(d, r);
}

/* One read of width bytes at off (raw: a decoded raw-pointer access, for the log). */
static uint32_t dev_read_regs(struct device *d, uint32_t off, unsigned width, int raw);

static uint32_t dev_read(struct device *d, uint32_t off, unsigned width, int raw)
{
    uint32_t v = 0;
    if (d->ops.read && d->ops.read(d->ctx, off, width, &v)) {
        log_access(d, off, width, 0, v, raw);
        return v;
    }
    return dev_read_regs(d, off, width, raw);
}

/* A read the C model left to the built-in model and the declared registers (dev_read after
 * the C model). */
static uint32_t dev_read_regs(struct device *d, uint32_t off, unsigned width, int raw)
{
    uint32_t v = 0;
    if (d->model.read && d->model.read(d, off, width, &v)) {
        log_access(d, off, width, 0, v, raw);
        return v;
    }
    struct dev_reg *r = reg_at(d, off, width), *m;
    if (!r && (m = reg_misfit(d, off, width))) {
        report_access(d, m, off, width, 0, 0);
        log_access(d, off, width, 0, 0, raw);
        return 0;
    }
    v = mem_get(d->mem, off, width);
    if (!r && modelled(d))
        dev_report_undeclared(d, off, width, 0, v);
    if (r && r->d.access == ACCESS_WO)
        v = 0;
    if (r && r->d.access == ACCESS_RC)
        dev_reg_put(d, r, 0);
    log_access(d, off, width, 0, v, raw);
    return v;
}

/* Bring the model up to date with raw-pointer writes (device lock held). */
static void dev_sync(struct device *d)
{
    if (d->trapped || !memcmp(d->mem, d->shadow, d->size))
        return; /* a trapped device's raw accesses went through the model already */
    for (size_t i = 0; i < d->nregs; i++) {
        struct dev_reg *r = &d->regs[i];
        uint32_t now = mem_get(d->mem, r->d.offset, r->d.width);
        if (now != mem_get(d->shadow, r->d.offset, r->d.width))
            dev_write(d, r->d.offset, r->d.width, now, 1);
    }
    /* Whatever still differs lies outside the declared registers: a word at a time, or byte by
     * byte in a word that also holds a declared register. */
    for (uint32_t off = 0; off < d->size; off += 4) {
        uint32_t now = mem_get(d->mem, off, 4);
        if (now == mem_get(d->shadow, off, 4))
            continue;
        if (!reg_misfit(d, off, 4)) {
            dev_write(d, off, 4, now, 1);
            continue;
        }
        for (uint32_t b = off; b < off + 4; b++)
            if (d->mem[b] != d->shadow[b] && !reg_at(d, b, 1))
                dev_write(d, b, 1, d->mem[b], 1);
    }
    dev_lines_update(d);
}

/* Bring the model up to date before an access of [off, off + width) (device lock held): on a
 * sync_per_access file, only the register holding it (the whole file when the access is not
 * in one register and its bytes changed); on any other, the whole file. */
static void dev_sync_for(struct device *d, uint32_t off, unsigned width)
{
    if (!d->sync_per_access) {
        dev_sync(d);
        return;
    }
    const struct dev_reg *r = reg_at(d, off, width);
    if (!r) {
        if (memcmp(d->mem + off, d->shadow + off, width))
            dev_sync(d);
        return;
    }
    uint32_t now = mem_get(d->mem, r->d.offset, r->d.width);
    if (now != mem_get(d->shadow, r->d.offset, r->d.width))
        dev_write(d, r->d.offset, r->d.width, now, 1);
}

/* ---- building ------------------------------------------------------------------------ */

cevm_status devices_build(struct devices *ds, const struct board *b, const struct phys_map *pm,
                          char *err, size_t errlen)
{
    memset(ds, 0, sizeof *ds);
    size_t n = 0;
    for (size_t i = 0; i < pm->n; i++)
        n += pm->r[i].kind == REGION_REGFILE;
    if (!n)
        return CEVM_OK;
    if (!(ds->d = host_calloc(n, sizeof *ds->d)))
        return CEVM_E_NOMEM;
    for (size_t i = 0; i < pm->n; i++) {
        const struct phys_region *pr = &pm->r[i];
        if (pr->kind != REGION_REGFILE)
            continue;
        struct device *d = &ds->d[ds->n++];
        snprintf(d->name, sizeof d->name, "%s", pr->name);
        d->trapped = pr->trapped;
        d->pa = pr->pa;
        d->size = pr->size;
        d->mem = pr->view;
        /* Only cevm writes a trapped file's memory: it is its own shadow. */
        if (!(d->shadow = d->trapped ? d->mem : host_calloc(1, pr->size))) {
            devices_destroy(ds);
            return CEVM_E_NOMEM;
        }
        /* The device's registers: the board's chain of them (board.h reg_tail, reg_prev), from
         * the last declared back, stored in declaration order. */
        size_t tail = 0, nr = 0, np = 0;
        for (size_t k = 0; k < b->nregions && !tail; k++)
            if (b->regions[k].kind == REGION_REGFILE && !strcmp(b->regions[k].name, d->name))
                tail = b->regions[k].reg_tail;
        for (size_t at = tail; at; at = b->regs[at - 1].reg_prev)
            nr++;
        for (size_t k = 0; k < b->npins; k++)
            np += !strcmp(b->pins[k].device, d->name);
        if ((nr && !(d->regs = host_calloc(nr, sizeof *d->regs))) ||
            (np && !(d->pins = host_calloc(np, sizeof *d->pins)))) {
            devices_destroy(ds);
            return CEVM_E_NOMEM;
        }
        d->nregs = nr;
        for (size_t at = tail, k = nr; at; at = b->regs[at - 1].reg_prev)
            d->regs[--k].d = b->regs[at - 1];
        for (size_t k = 0; k < b->npins; k++) {
            if (strcmp(b->pins[k].device, d->name))
                continue;
            d->pins[d->npins] = b->pins[k];
            struct dev_reg *r = dev_reg_named(d, b->pins[k].reg);
            if (r && b->pins[k].input)
                r->in_mask |= 1u << b->pins[k].bit;
            d->npins++;
        }
        memset(d->mem, 0, d->size);
        for (size_t k = 0; k < d->nregs; k++) {
            /* Input pins start at the levels the reset value gives their bits. */
            d->regs[k].in_bits = d->regs[k].d.reset & d->regs[k].in_mask;
            dev_reg_put(d, &d->regs[k], d->regs[k].d.reset);
        }
        if (d->shadow != d->mem)
            memcpy(d->shadow, d->mem, d->size);
        if (reg_index_build(d)) {
            devices_destroy(ds);
            return CEVM_E_NOMEM;
        }
    }
    for (size_t k = 0; k < b->nmodels; k++) {
        struct device *d = NULL;
        for (size_t i = 0; i < ds->n; i++)
            if (!strcmp(ds->d[i].name, b->models[k].device))
                d = &ds->d[i];
        if (!d) {
            snprintf(err, errlen, "%s:%d: model for unknown device %s", b->models[k].file,
                     b->models[k].line, b->models[k].device);
            devices_destroy(ds);
            return CEVM_E_BOARD;
        }
        const char *kind = b->models[k].kind;
        cevm_status ms = !strcmp(kind, "pwm")      ? pwm_attach(d)
                         : !strcmp(kind, "wdt")    ? wdt_attach(d)
                         : !strcmp(kind, "pl080s") ? pl080_attach(d)
                         : !strcmp(kind, "vic")    ? vic_attach(d, b->models[k].base_irq)
                                                   : uart_attach(d);
        if (ms) {
            devices_destroy(ds);
            return ms;
        }
    }
    cevm_status st = irq_build(ds, b, err, errlen);
    if (st) {
        devices_destroy(ds);
        return st;
    }
    for (size_t i = 0; i < ds->n; i++) { /* timers enabled at reset start; pins pend */
        struct device *d = &ds->d[i];
        for (size_t k = 0; k < d->nregs; k++)
            d->regs[k].plain_rw = plain_rw(&d->regs[k]);
        dev_update_lockfree(d);
        for (size_t k = 0; d->model.written && k < d->nregs; k++)
            d->model.written(d, &d->regs[k]);
        dev_lines_update(d);
    }
    g_have_devices = 1;
    return CEVM_OK;
}

void devices_destroy(struct devices *ds)
{
    /* No lock taken here: at shutdown the caller holds dev_lock() (taken before the machine
     * lock, the library's one order); a failed boot never published the devices. */
    g_have_devices = 0;
    for (size_t i = 0; i < ds->n; i++) {
        struct device *d = &ds->d[i];
        uart_free(d);
        if (d->model.destroy)
            d->model.destroy(d);
        free(d->irqs);
        free(d->pinirqs);
        free(d->reg_index);
        if (d->shadow != d->mem)
            free(d->shadow);
        free(d->regs);
        free(d->pins);
    }
    free(ds->d);
    memset(ds, 0, sizeof *ds);
}

struct device *device_at(struct devices *ds, uint64_t pa)
{
    for (size_t i = 0; i < ds->n; i++)
        if (pa >= ds->d[i].pa && pa - ds->d[i].pa < ds->d[i].size)
            return &ds->d[i];
    return NULL;
}

/* ---- the accessors' path ---------------------------------------------------------------- */

/* One access of width bytes at offset off of device d through its model (device lock held;
 * released here): an 8-byte access as two 4-byte ones, low word first, as a 32-bit bus does it;
 * raw marks a decoded raw-pointer access in the log. */
static void dev_access_at(struct device *d, uint32_t off, unsigned width, int write, uint64_t *v,
                          int raw)
{
    dev_sync_for(d, off, width);
    unsigned part = width > 4 ? 4 : width;
    for (unsigned done = 0; done < width; done += part) {
        if (write)
            dev_write(d, off + done, part, (uint32_t)(*v >> (8 * done)), raw);
        else {
            uint64_t got = dev_read(d, off + done, part, raw);
            *v = done ? *v | got << (8 * done) : got;
        }
    }
    device_release(d);
}

/* The device holding [pa, pa + width) and the offset in it, with the device lock held; or
 * NULL, unlocked. */
static struct device *dev_holding(uint64_t pa, unsigned width, uint32_t *off)
{
    dev_lock();
    struct device *d = g_machine ? device_at(&g_machine->devs, pa) : NULL;
    *off = d ? (uint32_t)(pa - d->pa) : 0;
    if (!d || *off + width > d->size) {
        dev_unlock();
        return NULL;
    }
    return d;
}

/* The accessors' translation cache: the last host page this thread reached a device through,
 * good while the address-space generation it was read under stands (any machine-lock holder
 * bumps it; the device list only changes under that lock with the device lock held). */
struct route_cache {
    uintptr_t page;
    unsigned long gen;
    struct device *d;
    uint32_t off; /* the page's offset in the device */
};

static CEVM_TLS struct route_cache t_route;

/* The declared register that [off, off + width) is exactly (its offset and width), found in
 * the word index (d->reg_index set), or NULL. */
static struct dev_reg *whole_reg(struct device *d, uint32_t off, unsigned width)
{
    uint16_t k = d->reg_index[off / 4];
    if (!k || k == REG_SHARED)
        return NULL;
    struct dev_reg *r = &d->regs[k - 1];
    return r->d.offset == off && r->d.width == width ? r : NULL;
}

/* A read of a whole declared register that reading does not change (not wo, not rc), on a
 * device whose lockfree_reads conditions hold: one atomic load of its memory, with or without
 * the device lock. The value is the register's at some instant of the read, as a bus read
 * gives. Return: 1, or 0 (nothing done). */
static int lockfree_read(struct device *d, uint32_t off, unsigned width, uint32_t *value)
{
    const struct dev_reg *r = whole_reg(d, off, width);
    if (!r || r->d.access == ACCESS_WO || r->d.access == ACCESS_RC)
        return 0;
    *value = mem_get(d->mem, off, width);
    return 1;
}

/* A write of a whole plain_rw register on a device whose lockfree_writes conditions hold: one
 * atomic store, with or without the device lock. Return: 1, or 0 (nothing done). */
static int lockfree_write(struct device *d, uint32_t off, unsigned width, uint32_t value)
{
    const struct dev_reg *r = whole_reg(d, off, width);
    if (!r || !r->plain_rw)
        return 0;
    mem_put(d->mem, off, width, value);
    return 1;
}

/* The accessors' common cases, done here without the general path's steps (device lock held):
 * on a trapped register file (no sync needed) without an access log, a C model's read or
 * write (what it leaves goes to the registers as dev_read/dev_write would send it), or, with
 * no model at all, a read of a whole declared register that reading does not change (not wo,
 * not rc) and a write of a whole rw register without w1c or self-clearing bits. These give
 * exactly what dev_read/dev_write give. Return: 1 when done, 0 for the general path (nothing
 * done). */
static int fast_access(struct device *d, uint32_t off, unsigned width, int write, uint32_t *value)
{
    if (!d->trapped || d->log_on || width > 4)
        return 0;
    if (write && d->ops.write) {
        if (!d->ops.write(d->ctx, off, width, *value))
            dev_write_regs(d, off, width, *value); /* not asking the model twice */
        return 1;
    }
    if (!write && d->ops.read) {
        uint32_t v = 0;
        *value = d->ops.read(d->ctx, off, width, &v) ? v : dev_read_regs(d, off, width, 0);
        return 1;
    }
    if (d->model.read || !d->reg_index)
        return 0;
    if (!write) /* what dev_route does without the lock once the route is cached */
        return lockfree_read(d, off, width, value);
    struct dev_reg *r = whole_reg(d, off, width);
    if (!r || r->d.access != ACCESS_RW || r->d.w1c || r->d.selfclear || d->model.written)
        return 0;
    uint32_t v = width == 4 ? *value : *value & ((1u << (8 * width)) - 1);
    r->written = v;
    dev_reg_put(d, r, v);
    return 1;
}

int dev_route(const volatile void *p, unsigned width, int write, uint32_t *value)
{
    if (!g_have_devices)
        return 0;
    uintptr_t a = (uintptr_t)p, page = a & ~(uintptr_t)0xFFF;
    struct device *d;
    uint32_t off;
    if (t_route.page == page && (d = t_route.d) &&
        t_route.gen == atomic_load_explicit(&g_map_gen, memory_order_acquire) &&
        (off = t_route.off + (uint32_t)(a & 0xFFF)) + width <= d->size &&
        (write ? atomic_load_explicit(&d->lockfree_writes, memory_order_relaxed) &&
                     lockfree_write(d, off, width, *value)
               : atomic_load_explicit(&d->lockfree_reads, memory_order_relaxed) &&
                     lockfree_read(d, off, width, value)))
        return 1;
    dev_lock();
    if (t_route.page == page && t_route.d &&
        t_route.gen == atomic_load_explicit(&g_map_gen, memory_order_relaxed) &&
        t_route.off + (a & 0xFFF) + width <= t_route.d->size) {
        d = t_route.d;
        off = t_route.off + (uint32_t)(a & 0xFFF);
    } else {
        dev_unlock();
        uint64_t pa;
        unsigned long gen;
        if (!machine_ptr_to_phys((const void *)p, &pa, &gen) || !(d = dev_holding(pa, width, &off)))
            return 0;
        if ((off & 0xFFF) == (a & 0xFFF)) /* a device page behind a host page: remember it */
            t_route = (struct route_cache){page, gen, d, off & ~0xFFFu};
    }
    if (fast_access(d, off, width, write, value)) {
        device_release(d);
        return 1;
    }
    uint64_t v = *value;
    dev_access_at(d, off, width, write, &v, 0);
    if (!write)
        *value = (uint32_t)v;
    return 1;
}

void devices_sync_all(void)
{
    dev_lock();
    struct devices *ds = g_machine ? &g_machine->devs : NULL;
    for (size_t i = 0; ds && i < ds->n; i++)
        dev_sync(&ds->d[i]);
    dev_unlock();
}

/* ---- trapped register files: raw accesses decoded -------------------------------------- */

struct trap_target {
    uint64_t pa; /* physical address of the faulting CE address */
    uint32_t ce;
    const char *problem; /* why an access was refused */
};

static CEVM_TLS char t_misfit[160]; /* the text of a misfit refusal */

/* The device holding a decoded access of width bytes at physical address pa, with the device
 * lock held, its offset in *off. Return: the device, or NULL (outside one device, or not
 * fitting a declared register: *problem says which) with the lock not held. */
static struct device *trap_device(uint64_t pa, unsigned width, uint32_t *off, const char **problem)
{
    struct device *d = dev_holding(pa, width, off);
    if (!d) {
        *problem = "the access runs past the device";
        return NULL;
    }
    /* An access that does not fit a declared register is not performed: the instruction is an
     * access violation naming it (as a data abort on the device would be). */
    struct dev_reg *m = NULL;
    unsigned part = width > 4 ? 4 : width;
    for (unsigned done = 0; done < width && !m; done += part)
        if (!d->ops.read && !d->ops.write && !reg_at(d, *off + done, part))
            m = reg_misfit(d, *off + done, part);
    if (m) {
        snprintf(t_misfit, sizeof t_misfit,
                 "a %u-byte access at offset 0x%X does not fit register %s (%u bytes at 0x%X): "
                 "misaligned or wider than the register",
                 width, *off, m->d.name, m->d.width, m->d.offset);
        *problem = t_misfit;
        dev_unlock();
        return NULL;
    }
    return d;
}

int dev_bus_access(uint64_t pa, unsigned width, int write, uint64_t *v, const char **problem)
{
    uint32_t off;
    struct device *d = trap_device(pa, width, &off, problem);
    if (!d)
        return -1;
    dev_access_at(d, off, width, write, v, 1);
    return 0;
}

int dev_bus_check(uint64_t pa, unsigned width, const char **problem)
{
    uint32_t off;
    if (!trap_device(pa, width, &off, problem))
        return -1;
    dev_unlock();
    return 0;
}

/* An access off the faulting page was refused: say where it went. Return: -1. */
static int off_the_page(struct trap_target *t, uint32_t ce)
{
    static CEVM_TLS char text[240];
    snprintf(text, sizeof text, "the access runs past the device to CE 0x%08X: %s", ce, t->problem);
    t->problem = text;
    return -1;
}

/* One decoded access: on the faulting page, to its device; elsewhere (a string move's other
 * side, an access running onto the next page), wherever that address lies. Return: 0, or -1
 * with nothing done and t->problem set. */
static int trap_access(struct trap_target *t, uint32_t ce, unsigned width, int write, uint64_t *v)
{
    if (!((ce ^ t->ce) >> 12))
        return dev_bus_access(t->pa + (ce - t->ce), width, write, v, &t->problem);
    if (!fault_bus_access(ce, width, write, v, &t->problem))
        return 0;
    return off_the_page(t, ce);
}

/* The part of a wide move on the faulting page: could it be done? */
static int trap_check_here(void *ctx, uint32_t ce, unsigned width)
{
    struct trap_target *t = ctx;
    return dev_bus_check(t->pa + (ce - t->ce), width, &t->problem);
}

/* emu_bus.check: could all of a wide move be done? Each page of it is checked where it lies. */
static int trap_check(void *ctx, uint32_t ce, unsigned width)
{
    struct trap_target *t = ctx;
    uint32_t at;
    int r = fault_bus_check_pages(t->ce, ce, width, trap_check_here, t, &at, &t->problem);
    return r > 0 ? off_the_page(t, at) : r;
}

static int trap_read(void *ctx, uint32_t ce, unsigned width, uint64_t *v)
{
    return trap_access(ctx, ce, width, 0, v);
}

static int trap_write(void *ctx, uint32_t ce, unsigned width, uint64_t v)
{
    return trap_access(ctx, ce, width, 1, &v);
}

int dev_emulate(void *uc, uintptr_t window_base, uintptr_t fault_addr, uint32_t ce, uint64_t pa,
                char *why, size_t whylen)
{
    struct trap_target t = {pa, ce, NULL};
    const struct emu_bus bus = {trap_read, trap_write, &t, trap_check};
    char text[240] = "";
    enum emu_result r = emulate_access(uc, window_base, fault_addr, &bus, text, sizeof text);
    if (r == EMU_DONE)
        return 1;
    snprintf(why, whylen, "%s on a trapped device register",
             r != EMU_BUS_ERROR ? text
             : t.problem        ? t.problem
                                : "a string move whose other side is outside the CE address space");
    return 0;
}

/* ---- reports -------------------------------------------------------------------------- */

void dev_report_undeclared(struct device *d, uint32_t off, unsigned width, int write,
                           uint32_t value)
{
    report_access(d, NULL, off, width, write, value);
}

/* ---- native API ----------------------------------------------------------------------- */

struct device *device_find(const char *name)
{
    if (!name)
        return NULL;
    if (!machine_acquire()) /* boots the default machine if none is booted */
        return NULL;
    machine_unlock();
    dev_lock();
    struct devices *ds = g_machine ? &g_machine->devs : NULL;
    for (size_t i = 0; ds && i < ds->n; i++)
        if (!strcmp(ds->d[i].name, name)) {
            dev_sync(&ds->d[i]);
            return &ds->d[i];
        }
    dev_unlock();
    return NULL;
}

cevm_status cevm_device_attach(const char *device, const cevm_device_ops *ops, void *ctx)
{
    struct device *d = device_find(device);
    if (!d)
        return CEVM_E_NOTFOUND;
    cevm_status st = CEVM_OK;
    if (ops && (d->ops.read || d->ops.write)) {
        st = CEVM_E_STATE;
    } else if (ops) {
        d->ops = *ops;
        d->ctx = ctx;
    } else {
        uart_free(d);
        memset(&d->ops, 0, sizeof d->ops);
        d->ctx = NULL;
    }
    dev_update_lockfree(d);
    dev_unlock();
    return st;
}

cevm_status cevm_device_sync(const char *device)
{
    if (!device) {
        if (!machine_acquire()) /* boots the default machine if none is booted */
            return cevm_boot_error(NULL, 0);
        machine_unlock();
        dev_lock();
        for (size_t i = 0; g_machine && i < g_machine->devs.n; i++)
            dev_sync(&g_machine->devs.d[i]);
        dev_unlock();
        return CEVM_OK;
    }
    struct device *d = device_find(device);
    if (!d)
        return CEVM_E_NOTFOUND;
    dev_unlock();
    return CEVM_OK;
}

cevm_status cevm_device_get(const char *device, const char *reg, uint32_t *value)
{
    if (!reg || !value)
        return CEVM_E_INVAL;
    struct device *d = device_find(device);
    if (!d)
        return CEVM_E_NOTFOUND;
    struct dev_reg *r = dev_reg_named(d, reg);
    if (r)
        *value = r->d.access == ACCESS_WO ? r->written : mem_get(d->mem, r->d.offset, r->d.width);
    dev_unlock();
    return r ? CEVM_OK : CEVM_E_NOTFOUND;
}

cevm_status cevm_device_set(const char *device, const char *reg, uint32_t value)
{
    if (!reg)
        return CEVM_E_INVAL;
    struct device *d = device_find(device);
    if (!d)
        return CEVM_E_NOTFOUND;
    struct dev_reg *r = dev_reg_named(d, reg);
    if (r)
        dev_reg_put(d, r, value);
    device_release(d);
    return r ? CEVM_OK : CEVM_E_NOTFOUND;
}

static const struct board_pin *pin_named(struct device *d, const char *name)
{
    for (size_t i = 0; name && i < d->npins; i++)
        if (!strcmp(d->pins[i].name, name))
            return &d->pins[i];
    return NULL;
}

cevm_status cevm_pin_get(const char *device, const char *pin, int *level)
{
    if (!level)
        return CEVM_E_INVAL;
    struct device *d = device_find(device);
    if (!d)
        return CEVM_E_NOTFOUND;
    const struct board_pin *p = pin_named(d, pin);
    struct dev_reg *r = p ? dev_reg_named(d, p->reg) : NULL;
    if (r)
        *level = (int)((mem_get(d->mem, r->d.offset, r->d.width) >> p->bit) & 1);
    dev_unlock();
    return r ? CEVM_OK : CEVM_E_NOTFOUND;
}

cevm_status cevm_pin_set(const char *device, const char *pin, int level)
{
    struct device *d = device_find(device);
    if (!d)
        return CEVM_E_NOTFOUND;
    cevm_status st = CEVM_OK;
    const struct board_pin *p = pin_named(d, pin);
    struct dev_reg *r = p ? dev_reg_named(d, p->reg) : NULL;
    if (!r)
        st = CEVM_E_NOTFOUND;
    else if (!p->input || (level != 0 && level != 1))
        st = CEVM_E_INVAL;
    else {
        uint32_t bit = 1u << p->bit;
        r->in_bits = level ? r->in_bits | bit : r->in_bits & ~bit;
        dev_reg_put(d, r, mem_get(d->shadow, r->d.offset, r->d.width));
    }
    device_release(d);
    return st;
}

cevm_status cevm_device_log(const char *device, int on)
{
    struct device *d = device_find(device);
    if (!d)
        return CEVM_E_NOTFOUND;
    if (on && !d->log_on)
        d->nlog = 0;
    d->log_on = on != 0;
    dev_update_lockfree(d);
    dev_unlock();
    return CEVM_OK;
}

uint64_t cevm_device_log_read(const char *device, cevm_device_access *out, size_t max)
{
    struct device *d = device_find(device);
    if (!d)
        return 0;
    uint64_t total = d->nlog;
    size_t have = total < DEV_LOG_SIZE ? (size_t)total : DEV_LOG_SIZE;
    size_t n = max < have ? max : have;
    for (size_t i = 0; out && i < n; i++)
        out[i] = d->log[(total - n + i) % DEV_LOG_SIZE];
    dev_unlock();
    return total;
}

size_t cevm_pins(cevm_pin_info *out, size_t max)
{
    cevm_device_sync(NULL); /* boots the machine if needed */
    dev_lock();
    size_t n = 0;
    for (size_t i = 0; g_machine && i < g_machine->devs.n; i++) {
        struct device *d = &g_machine->devs.d[i];
        for (size_t k = 0; k < d->npins; k++, n++) {
            if (!out || n >= max)
                continue;
            const struct board_pin *p = &d->pins[k];
            struct dev_reg *r = dev_reg_named(d, p->reg);
            memset(&out[n], 0, sizeof out[n]);
            snprintf(out[n].device, sizeof out[n].device, "%s", d->name);
            snprintf(out[n].name, sizeof out[n].name, "%s", p->name);
            out[n].input = p->input;
            out[n].level = r ? (int)((mem_get(d->mem, r->d.offset, r->d.width) >> p->bit) & 1) : 0;
        }
    }
    dev_unlock();
    return n;
}

void dev_fork_child(void)
{
    /* The forking thread held the lock across the fork (fork.c): the child starts it free. */
    atomic_store_explicit(&g_dev_owner, 0, memory_order_relaxed);
    g_dev_depth = 0;
}
