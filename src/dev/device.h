/*
 * device.h — device models behind register files: registers declared in the board file (width,
 * access kind, reset value, self-clearing bits, input and output pins) and C models plugged in
 * through the native API (cevm_device_attach) or built in (the UART). The exact guarantee for
 * raw-pointer and accessor access is in docs/devices.md.
 */
#ifndef CEVM_DEVICE_H
#define CEVM_DEVICE_H

#include <stdatomic.h>
#include <stdint.h>

#include "board/board.h"
#include "phys/phys.h"

struct dev_reg {
    struct board_register d;
    uint32_t in_mask; /* bits driven by input pins */
    uint32_t in_bits; /* their levels */
    uint32_t written; /* the last value written (what a test reads back of a wo register) */
    int feeds_lines;  /* an interrupt line or pin trigger reads it (irq.c) */
    int oal_bits;     /* the OAL masks and unmasks an interrupt in it (irq.c dev_oal_mask) */
    /* A write is a plain store: rw without w1c or self-clearing bits, no input pins, nothing
     * reads or changes it behind the driver (lines, the OAL). Set at build (devices_build). */
    int plain_rw;
};

#define DEV_LOG_SIZE 256

/* An interrupt line the device drives (irq.c): a board `irq` line resolved to registers. */
struct dev_irq {
    struct board_irq b;
    struct dev_reg *pend, *gate, *oal;
    int level; /* asserted */
};

/* An input pin that sets a pending bit (a board `pinirq` line). */
struct dev_pinirq {
    struct board_pinirq b;
    struct dev_reg *pend, *cfg, *pin;
    uint32_t pin_bit;
    int prev; /* the pin's level at the last evaluation */
};

struct device;

/* A built-in model that keeps state beside the registers (pwm, wdt): read answers a register
 * it computes (return 1), written runs after a write reached a declared register. */
struct dev_builtin {
    int (*read)(struct device *d, uint32_t off, unsigned width, uint32_t *v);
    void (*written)(struct device *d, struct dev_reg *r);
    void (*destroy)(struct device *d);
    void *state;
};

struct device {
    char name[32];
    uint64_t pa, size;
    uint8_t *mem;    /* the register file (the region's private view): what raw pointers see */
    uint8_t *shadow; /* the register file as the model last left it (a trapped file: mem) */
    int trapped;     /* raw accesses are decoded, one model access each (no sync needed) */
    struct dev_reg *regs;
    size_t nregs;
    uint16_t *reg_index; /* per 4-byte word: 1 + the register there, 0 none, 0xFFFF several */
    struct board_pin *pins;
    size_t npins;
    cevm_device_ops ops; /* a C model, or zeroes */
    void *ctx;
    void *builtin;            /* state of a built-in model (uart.c), freed at shutdown */
    struct dev_builtin model; /* pwm.c, wdt.c */
    struct dev_irq *irqs;
    size_t nirqs;
    struct dev_pinirq *pinirqs;
    size_t npinirqs;
    int lines_dirty; /* a register the lines read changed since they were evaluated */
    int log_on;
    /* Reads may skip the device lock (dev_route): the file is trapped (only cevm writes its
     * memory, with atomic stores) and has no C model read, no built-in read model and no log,
     * so a read of a whole declared register that reading does not change is one load. Kept
     * by dev_update_lockfree under the lock; read with a relaxed atomic load. */
    _Atomic int lockfree_reads;
    /* Writes of a whole plain_rw register may skip the device lock (dev_route): the file is
     * trapped and has no C model write, no built-in model and no log, so such a write is one
     * atomic store; cevm's own partial writes of those registers merge with a compare-exchange.
     * Kept by dev_update_lockfree under the lock; read with a relaxed atomic load. */
    _Atomic int lockfree_writes;
    /* A plain file whose raw writes have no effect but memory (every register plain_rw, no
     * model, no lines, no log): an accessor syncs only what it accesses, the whole file is
     * compared at the next full sync (the end of a driver entry point, device_find, reading
     * the reports). Kept by dev_update_lockfree under the lock. */
    int sync_per_access;
    uint64_t nlog;
    cevm_device_access log[DEV_LOG_SIZE];
};

struct devices {
    struct device *d;
    size_t n;
};

/* Build a device for every register file of the board: reset values in memory, pins, built-in
 * models. Return: CEVM_OK, CEVM_E_NOMEM, or CEVM_E_BOARD (err set). */
cevm_status devices_build(struct devices *ds, const struct board *b, const struct phys_map *pm,
                          char *err, size_t errlen);
void devices_destroy(struct devices *ds);

/* The device named name, synced, with the device lock held (release it with dev_unlock), or
 * NULL (lock not held). Boots the default machine if none is booted. */
struct device *device_find(const char *name);

/* The device holding physical address pa, or NULL. */
struct device *device_at(struct devices *ds, uint64_t pa);

/*
 * The register accessors' path (READ/WRITE_REGISTER_*, PORT forms): if p reaches a register file
 * through the CE address space, perform one access of width bytes through its model and return
 * 1 (reads set *value). Return 0 when p is not a device register (the caller accesses memory).
 */
int dev_route(const volatile void *p, unsigned width, int write, uint32_t *value);

/* Sync every plain register file (its raw writes reach the model now, in the calling thread's
 * report context): the driver host does it at the end of each entry point. */
void devices_sync_all(void);

/* A raw access to a trapped register file (phys_region.trapped): decode the faulting
 * instruction (core/emulate.c) and perform its access as model accesses of its width (an 8-byte
 * access as two 4-byte ones, low word first, as a 32-bit bus does), logged as raw. ce and pa are
 * the faulting address's. Call it without the machine lock. Return: 1 when done, or 0 with why
 * set (an instruction cevm does not decode, or an access outside the device or wider than its
 * register): nothing was performed. */
int dev_emulate(void *uc, uintptr_t window_base, uintptr_t fault_addr, uint32_t ce, uint64_t pa,
                char *why, size_t whylen);
/* One decoded access of width bytes to the trapped register file at physical address pa, as
 * dev_emulate performs them. Call it without the machine lock. Return: 0, or -1 with nothing
 * done and *problem set (outside one device, or not fitting a declared register). */
int dev_bus_access(uint64_t pa, unsigned width, int write, uint64_t *v, const char **problem);
/* Could it be done? Return: 0, or -1 with *problem set. */
int dev_bus_check(uint64_t pa, unsigned width, const char **problem);

/* Built-in UART (uart.c): attach its model to a device. Return: CEVM_OK or CEVM_E_NOMEM. */
cevm_status uart_attach(struct device *d);
void uart_free(struct device *d);

/* Interrupt lines (irq.c): resolve the board's irq and pinirq lines onto the devices.
 * Return: CEVM_OK, CEVM_E_NOMEM, or CEVM_E_BOARD (err set). */
cevm_status irq_build(struct devices *ds, const struct board *b, char *err, size_t errlen);
/* Re-evaluate the device's pin triggers and lines after its registers or pins changed (device
 * lock held); a changed line goes to the OAL (ce/interrupt.c). */
void dev_lines_update(struct device *d);
/* The OAL masks (1) or unmasks (0) IRQ irq in its device's oalmask bits (device lock held).
 * Return: 1 when the IRQ has oalmask bits. */
int dev_oal_mask(uint32_t irq, int masked);
/* Is IRQ irq wired on this machine; its line level; its name (device lock held). */
int dev_irq_info(uint32_t irq, int *level, const char **name, const char **device);

/* Built-in models of timers (pwm.c, wdt.c): attach to a device. Return: CEVM_OK or
 * CEVM_E_NOMEM. */
cevm_status pwm_attach(struct device *d);
cevm_status wdt_attach(struct device *d);
/* The PL080S DMA controller (pl080.c). Return: CEVM_OK. */
cevm_status pl080_attach(struct device *d);
/* A PL192 VIC whose source 0 is IRQ base (vic.c). Return: CEVM_OK or CEVM_E_NOMEM. */
cevm_status vic_attach(struct device *d, uint32_t base);

/* A declared register's value, and a store of one (memory and shadow, input pins forced);
 * device lock held. */
uint32_t dev_reg_get(const struct device *d, const struct dev_reg *r);
void dev_reg_put(struct device *d, struct dev_reg *r, uint32_t v);
struct dev_reg *dev_reg_named(struct device *d, const char *name);
struct dev_reg *dev_reg_at(struct device *d, uint32_t off);
/* The value of the declared register at offset off (0 when none is declared there), and a store
 * to it (nothing when none is); device lock held. For the built-in models. */
uint32_t dev_reg_value(struct device *d, uint32_t off);
void dev_reg_store(struct device *d, uint32_t off, uint32_t v);

/* Release a device found with device_find: its lines are re-evaluated, then the lock goes. */
void device_release(struct device *d);

/* The recursive device lock (models may call cevm_device_* from their callbacks). */
void dev_lock(void);
void dev_unlock(void);

/* Report an access to a register the device does not declare (device.c). */
void dev_report_undeclared(struct device *d, uint32_t off, unsigned width, int write,
                           uint32_t value);

/* fork(): the parent takes dev_lock() before the fork; the child makes the lock new. */
void dev_fork_child(void);

#endif
