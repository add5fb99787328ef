/*
 * pl080.c — the built-in DMA controller model (`model DMA0 pl080s`): the S3C6410's PL080S, the
 * Samsung variant of ARM's PL080 (eight channels at 0x100 + 0x20·n with SrcAddr, DestAddr, LLI,
 * Control, Control2 — the transfer size, 25 bits — and Config at +0x14).
 *
 * Memory-to-memory channels run: when a channel's Config enable bit (0) is written as 1 while
 * the controller is enabled (Configuration bit 0) and its flow control (Config [13:11]) is 0,
 * the whole transfer happens at once on the bus-master view of RAM (docs/devices.md, "DMA"):
 * Control2 source-width elements (Control [20:18]: 8/16/32 bits) from SrcAddr, incrementing with
 * Control bit 26, to DestAddr in destination-width elements (bits [23:21], incrementing with bit
 * 27); then the next linked-list item at LLI (physical, 5 words: src, dst, next, control,
 * control2; 0 ends the chain). At the end the channel's enable bit clears, RawIntTCStatus gets
 * its bit when the last item's Control bit 31 asked for it, and IntTCStatus shows it when the
 * channel's Config bit 15 unmasks it; IntTCClear clears it. A source or destination outside RAM
 * stops the channel with its RawIntErrorStatus bit (IntErrorStatus with Config bit 14). Channels
 * with peripheral flow control stay enabled and idle: no peripheral model requests DMA yet.
 * IntStatus is IntTCStatus | IntErrorStatus; EnbldChns lists the enabled channels. The
 * interrupt line is a board `irq` over DMACIntStatus.
 */
#include <stdlib.h>
#include <string.h>

#include "dev/device.h"
#include "host/host.h"

#define INT_STATUS  0x000u
#define TC_STATUS   0x004u
#define TC_CLEAR    0x008u
#define ERR_STATUS  0x00Cu
#define ERR_CLEAR   0x010u
#define RAW_TC      0x014u
#define RAW_ERR     0x018u
#define EN_CHAN     0x01Cu
#define CONFIG      0x030u
#define CH_BASE     0x100u
#define CH_STRIDE   0x20u
#define CHANNELS    8
#define CH_SRC      0x00u
#define CH_DST      0x04u
#define CH_LLI      0x08u
#define CH_CONTROL  0x0Cu
#define CH_CONTROL2 0x10u
#define CH_CONFIG   0x14u

#define CTL_TC_IRQ   (1u << 31)
#define CTL_DST_INCR (1u << 27)
#define CTL_SRC_INCR (1u << 26)
#define CFG_TC_MASK  (1u << 15) /* 1: the terminal-count interrupt reaches IntTCStatus */
#define CFG_ERR_MASK (1u << 14)
#define CFG_ENABLE   1u
#define SIZE_MASK    0x1FFFFFFu

/* Recompute the masked status registers and the enabled-channel list. */
static void status(struct device *d)
{
    uint32_t tc = 0, err = 0, en = 0;
    for (unsigned n = 0; n < CHANNELS; n++) {
        uint32_t cfg = dev_reg_value(d, CH_BASE + CH_STRIDE * n + CH_CONFIG);
        tc |= (cfg & CFG_TC_MASK) ? dev_reg_value(d, RAW_TC) & (1u << n) : 0;
        err |= (cfg & CFG_ERR_MASK) ? dev_reg_value(d, RAW_ERR) & (1u << n) : 0;
        en |= (cfg & CFG_ENABLE) << n;
    }
    dev_reg_store(d, TC_STATUS, tc);
    dev_reg_store(d, ERR_STATUS, err);
    dev_reg_store(d, INT_STATUS, tc | err);
    dev_reg_store(d, EN_CHAN, en);
}

/* Copy one item's elements through the bus-master view. Return: 0, or -1 (not RAM). */
static int copy_item(uint32_t src, uint32_t dst, uint32_t ctl, uint32_t count)
{
    unsigned sw = 1u << ((ctl >> 18) & 3), dw = 1u << ((ctl >> 21) & 3);
    if (sw > 4 || dw > 4)
        return -1;
    uint64_t bytes = (uint64_t)count * sw;
    uint8_t *buf = host_malloc(bytes ? (size_t)bytes : 1);
    if (!buf)
        return -1;
    int bad = 0;
    for (uint64_t i = 0; i < bytes && !bad; i += sw) /* gather source elements */
        bad = cevm_phys_read(src + ((ctl & CTL_SRC_INCR) ? i : 0), buf + i, sw) != CEVM_OK;
    for (uint64_t i = 0; i + dw <= bytes && !bad; i += dw) /* scatter destination elements */
        bad = cevm_phys_write(dst + ((ctl & CTL_DST_INCR) ? i : 0), buf + i, dw) != CEVM_OK;
    free(buf);
    return bad ? -1 : 0;
}

/* Run channel n's memory-to-memory transfer to its end (device lock held). */
static void run(struct device *d, unsigned n)
{
    uint32_t base = CH_BASE + CH_STRIDE * n;
    uint32_t src = dev_reg_value(d, base + CH_SRC), dst = dev_reg_value(d, base + CH_DST),
             lli = dev_reg_value(d, base + CH_LLI);
    uint32_t ctl = dev_reg_value(d, base + CH_CONTROL),
             count = dev_reg_value(d, base + CH_CONTROL2) & SIZE_MASK;
    int error = 0;
    for (unsigned items = 0;; items++) {
        if (items > 1000000 || copy_item(src, dst, ctl, count)) { /* a looping chain: an error */
            error = 1;
            break;
        }
        if (!(lli & ~3u))
            break;
        uint32_t next[5];
        if (cevm_phys_read(lli & ~3u, next, sizeof next) != CEVM_OK) {
            error = 1;
            break;
        }
        src = next[0];
        dst = next[1];
        lli = next[2];
        ctl = next[3];
        count = next[4] & SIZE_MASK;
    }
    dev_reg_store(d, base + CH_SRC, src);
    dev_reg_store(d, base + CH_DST, dst);
    dev_reg_store(d, base + CH_LLI, error ? lli : 0);
    dev_reg_store(d, base + CH_CONTROL, ctl);
    dev_reg_store(d, base + CH_CONTROL2, error ? count : 0);
    dev_reg_store(d, base + CH_CONFIG, dev_reg_value(d, base + CH_CONFIG) & ~CFG_ENABLE);
    if (error)
        dev_reg_store(d, RAW_ERR, dev_reg_value(d, RAW_ERR) | 1u << n);
    else if (ctl & CTL_TC_IRQ)
        dev_reg_store(d, RAW_TC, dev_reg_value(d, RAW_TC) | 1u << n);
}

static void pl080_written(struct device *d, struct dev_reg *r)
{
    uint32_t off = r->d.offset;
    if (off == TC_CLEAR || off == ERR_CLEAR) { /* write-only: the bits written clear */
        uint32_t raw = off == TC_CLEAR ? RAW_TC : RAW_ERR;
        dev_reg_store(d, raw, dev_reg_value(d, raw) & ~r->written);
    } else if (off >= CH_BASE && (off - CH_BASE) % CH_STRIDE == CH_CONFIG &&
               (off - CH_BASE) / CH_STRIDE < CHANNELS) {
        uint32_t cfg = dev_reg_get(d, r);
        if ((cfg & CFG_ENABLE) && (dev_reg_value(d, CONFIG) & 1) && ((cfg >> 11) & 7) == 0)
            run(d, (off - CH_BASE) / CH_STRIDE);
    }
    status(d);
}

cevm_status pl080_attach(struct device *d)
{
    d->model.written = pl080_written;
    return CEVM_OK;
}
