/*
 * uart.c — the built-in UART model (`model DEVICE uart` in a board file): four channels at
 * 0x400 apart, with the S3C6410 register layout. The data path is modelled; every other
 * register is whatever the board declares (control registers, the self-clearing FIFO-reset
 * bits of UFCON).
 *
 * Per channel: UTXH (0x20) writes append a byte to the transmit sink, which tests and the CLI
 * drain with cevm_uart_take; URXH (0x24) reads pop the next received byte (0 when none), queued
 * by cevm_uart_give; UTRSTAT (0x10) reads bit 0 = receive data ready, bits 1-2 = transmitter
 * empty (transmission is instant); UFSTAT (0x18) reads the receive count in bits 0-5 (bit 6 when
 * 64 or more are waiting) and an empty transmit FIFO.
 *
 * Interrupt sources (UINTSP, bit 0 RXD, bit 1 ERROR, bit 2 TXD, bit 3 MODEM): RXD is set while
 * received bytes wait, TXD when a byte written to UTXH has gone (at once), ERROR when a test
 * injects a line error (cevm_uart_error: UERSTAT bits, with UCON bit 6 set), MODEM when CTS
 * changes (cevm_uart_cts: UMSTAT bit 0, and bit 2 until UMSTAT is read). After every access UINTP
 * latches the sources UINTM does not mask (UINTP |= UINTSP & ~UINTM); both are w1c in the board, so
 * a driver clears UINTSP, then UINTP, as on the S3C6410, and a source still active pends again. The
 * board's `irq` line over UINTP raises the UART's interrupt.
 */
#include <stdlib.h>
#include <string.h>

#include "dev/device.h"
#include "host/host.h"

#define CHANNELS     4
#define CH_STRIDE    0x400u
#define UTRSTAT      0x10u
#define UFSTAT       0x18u
#define UTXH         0x20u
#define URXH         0x24u
#define UCON         0x04u
#define UERSTAT      0x14u
#define UMSTAT       0x1Cu
#define UINTP        0x30u
#define UINTSP       0x34u
#define UINTM        0x38u
#define INT_RXD      0x1u
#define INT_ERR      0x2u
#define INT_TXD      0x4u
#define INT_MOD      0x8u
#define UCON_ERR_IRQ 0x40u /* receive error status interrupt enable */
#define UMSTAT_CTS   0x1u
#define UMSTAT_DCTS  0x4u       /* CTS changed since UMSTAT was last read */
#define SINK_MAX     (1u << 20) /* bytes kept per direction; older ones are dropped */

struct queue {
    uint8_t *b;
    size_t head, len, cap;
};

struct uart {
    struct device *d;
    struct queue tx[CHANNELS], rx[CHANNELS];
};

/* Set source bits of channel ch and latch the unmasked ones into UINTP (device lock held). */
static void sources(struct uart *u, unsigned ch, uint32_t set)
{
    struct device *d = u->d;
    struct dev_reg *sp = dev_reg_at(d, ch * CH_STRIDE + UINTSP);
    struct dev_reg *p = dev_reg_at(d, ch * CH_STRIDE + UINTP);
    struct dev_reg *m = dev_reg_at(d, ch * CH_STRIDE + UINTM);
    if (!sp || !p)
        return;
    uint32_t src = dev_reg_get(d, sp) | set | (u->rx[ch].len ? INT_RXD : 0);
    dev_reg_put(d, sp, src);
    dev_reg_put(d, p, dev_reg_get(d, p) | (src & ~(m ? dev_reg_get(d, m) : 0)));
}

/* After a register write: sources stay latched (a cleared source still active pends again). */
static void uart_written(struct device *d, struct dev_reg *r)
{
    sources(d->builtin, r->d.offset / CH_STRIDE, 0);
}

static int q_push(struct queue *q, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (q->len == SINK_MAX) { /* drop the oldest */
            q->head = (q->head + 1) % q->cap;
            q->len--;
        }
        if (q->len == q->cap) {
            size_t nc = q->cap ? q->cap * 2 : 256;
            uint8_t *nb = host_malloc(nc);
            if (!nb)
                return -1;
            for (size_t k = 0; k < q->len; k++)
                nb[k] = q->b[(q->head + k) % q->cap];
            free(q->b);
            q->b = nb;
            q->head = 0;
            q->cap = nc;
        }
        q->b[(q->head + q->len) % q->cap] = src[i];
        q->len++;
    }
    return 0;
}

static size_t q_pop(struct queue *q, uint8_t *dst, size_t max)
{
    size_t n = 0;
    for (; n < max && q->len; n++) {
        dst[n] = q->b[q->head];
        q->head = (q->head + 1) % q->cap;
        q->len--;
    }
    return n;
}

static int uart_read(void *ctx, uint32_t off, unsigned width, uint32_t *value)
{
    struct uart *u = ctx;
    unsigned ch = off / CH_STRIDE;
    uint32_t reg = off % CH_STRIDE;
    if (ch >= CHANNELS)
        return 0;
    struct queue *rx = &u->rx[ch];
    switch (reg) {
    case UTRSTAT:
        *value = (rx->len ? 1u : 0u) | 0x6u;
        return 1;
    case UFSTAT:
        *value = rx->len >= 64 ? 0x40u : (uint32_t)rx->len;
        return 1;
    case URXH: {
        uint8_t c = 0;
        q_pop(rx, &c, 1);
        *value = c;
        sources(u, ch, 0);
        return 1;
    }
    case UMSTAT: { /* reading it clears the delta bit */
        struct dev_reg *r = dev_reg_at(u->d, off);
        if (!r)
            return 0;
        *value = dev_reg_get(u->d, r);
        dev_reg_put(u->d, r, *value & ~UMSTAT_DCTS);
        return 1;
    }
    default:
        (void)width;
        return 0;
    }
}

static int uart_write(void *ctx, uint32_t off, unsigned width, uint32_t value)
{
    struct uart *u = ctx;
    unsigned ch = off / CH_STRIDE;
    if (ch >= CHANNELS || off % CH_STRIDE != UTXH)
        return 0;
    (void)width;
    uint8_t c = (uint8_t)value;
    q_push(&u->tx[ch], &c, 1); /* out of memory: the byte is lost, as on an overrun */
    sources(u, ch, INT_TXD);   /* sent at once: the transmit FIFO is empty again */
    return 1;
}

cevm_status uart_attach(struct device *d)
{
    struct uart *u = host_calloc(1, sizeof *u);
    if (!u)
        return CEVM_E_NOMEM;
    u->d = d;
    d->builtin = u;
    d->model.written = uart_written;
    d->ops.read = uart_read;
    d->ops.write = uart_write;
    d->ctx = u;
    return CEVM_OK;
}

void uart_free(struct device *d)
{
    struct uart *u = d->builtin;
    if (!u)
        return;
    for (int i = 0; i < CHANNELS; i++) {
        free(u->tx[i].b);
        free(u->rx[i].b);
    }
    free(u);
    d->builtin = NULL;
    d->model.written = NULL;
    if (d->ctx == u) {
        memset(&d->ops, 0, sizeof d->ops);
        d->ctx = NULL;
    }
}

/* The uart state of a named device, with the device lock held (NULL: unlocked, none). */
static struct uart *uart_of(const char *name)
{
    struct device *d = device_find(name);
    if (d && d->builtin && d->ctx == d->builtin)
        return d->builtin;
    if (d)
        dev_unlock();
    return NULL;
}

size_t cevm_uart_take(const char *device, unsigned channel, void *buf, size_t max)
{
    if (channel >= CHANNELS || !buf)
        return 0;
    struct uart *u = uart_of(device);
    if (!u)
        return 0;
    size_t n = q_pop(&u->tx[channel], buf, max);
    dev_unlock();
    return n;
}

cevm_status cevm_uart_give(const char *device, unsigned channel, const void *bytes, size_t n)
{
    if (channel >= CHANNELS || (!bytes && n))
        return CEVM_E_INVAL;
    struct uart *u = uart_of(device);
    if (!u)
        return CEVM_E_NOTFOUND;
    int r = q_push(&u->rx[channel], bytes, n);
    sources(u, channel, 0);
    device_release(u->d);
    return r ? CEVM_E_NOMEM : CEVM_OK;
}

/* The uart state and channel registers of a named device for a line event (device lock held on
 * success). */
static struct uart *line_event(const char *device, unsigned channel, cevm_status *st)
{
    *st = CEVM_OK;
    if (channel >= CHANNELS) {
        *st = CEVM_E_INVAL;
        return NULL;
    }
    struct uart *u = uart_of(device);
    if (!u)
        *st = CEVM_E_NOTFOUND;
    return u;
}

cevm_status cevm_uart_error(const char *device, unsigned channel, uint32_t bits)
{
    if (!bits || (bits & ~0xFu))
        return CEVM_E_INVAL;
    cevm_status st;
    struct uart *u = line_event(device, channel, &st);
    if (!u)
        return st;
    struct dev_reg *e = dev_reg_at(u->d, channel * CH_STRIDE + UERSTAT);
    struct dev_reg *con = dev_reg_at(u->d, channel * CH_STRIDE + UCON);
    if (e)
        dev_reg_put(u->d, e, dev_reg_get(u->d, e) | bits);
    sources(u, channel, con && (dev_reg_get(u->d, con) & UCON_ERR_IRQ) ? INT_ERR : 0);
    device_release(u->d);
    return CEVM_OK;
}

cevm_status cevm_uart_cts(const char *device, unsigned channel, int level)
{
    if (level != 0 && level != 1)
        return CEVM_E_INVAL;
    cevm_status st;
    struct uart *u = line_event(device, channel, &st);
    if (!u)
        return st;
    struct dev_reg *m = dev_reg_at(u->d, channel * CH_STRIDE + UMSTAT);
    uint32_t v = m ? dev_reg_get(u->d, m) : 0;
    int changed = m && (int)(v & UMSTAT_CTS) != level;
    if (changed)
        dev_reg_put(u->d, m, (v & ~UMSTAT_CTS) | (uint32_t)level | UMSTAT_DCTS);
    sources(u, channel, changed ? INT_MOD : 0);
    device_release(u->d);
    return CEVM_OK;
}
