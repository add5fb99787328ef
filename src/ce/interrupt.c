/*
 * interrupt.c — CE's interrupt calls and the OAL behind them (spec driver-runtime §3):
 * KernelIoControl's HAL requests (REQUEST_SYSINTR, RELEASE_SYSINTR, TRANSLATE_IRQ),
 * InterruptInitialize, InterruptDone, InterruptDisable, InterruptMask, SetInterruptEvent, and
 * the native cevm_irq_* calls.
 *
 * A SYSINTR slot maps one IRQ and, once initialised, one auto-reset event. When a line is
 * asserted (dev/irq.c: intr_line) and its SYSINTR is enabled and unmasked, the OAL masks it and
 * sets the event, as CE's OAL ISR does; InterruptDone unmasks it and a line still asserted fires
 * again at once. Static mappings come from the board (`irq ... sysintr=N`); the first request
 * for an IRQ without one becomes its mapping, numbered from SYSINTR_FIRMWARE (16) up.
 * Everything here runs under the device lock; events are set under the object lock inside it.
 */
#define _GNU_SOURCE
#include "ce/trace.h"
#include "ce/interrupt.h"

#include <stdio.h>
#include <string.h>

#include "ce/ce_api.h"
#include "ce/clock.h"
#include "ce/objects.h"
#include "core/fault.h"
#include "core/machine.h"
#include "dev/device.h"
#include "nkintr.h"
#include "pkfuncs.h"
#include "winioctl.h"

#define SI_MAX        72  /* SYSINTR_MAXIMUM on CE 6 and later; CE 5 uses 40 */
#define SI_FIRST_FREE 16  /* SYSINTR_FIRMWARE: the first number handed out */
#define LOG_SIZE      256 /* interrupt events kept for cevm_interrupt_log */

struct sysintr {
    struct object *ev;  /* bound event (a reference), or NULL */
    uint64_t delivered; /* interrupts delivered */
    uint64_t done;      /* InterruptDone calls */
    int used;
    uint32_t irq;
    int is_static;   /* the IRQ's recorded mapping */
    int enabled;     /* InterruptInitialize */
    int masked;      /* fired, waiting for InterruptDone */
    int user_masked; /* InterruptMask(id, TRUE) */
    char who[128];   /* the driver call that initialised it (unimpl_context) */
};

static struct sysintr g_si[SI_MAX];
static uint32_t g_max = 40;              /* the profile's SYSINTR_MAXIMUM */
static int g_level[BOARD_MAX_IRQ];       /* the line levels */
static uint8_t g_soft[BOARD_MAX_IRQ];    /* VIC SOFTINT: a software source */
static uint8_t g_vic_off[BOARD_MAX_IRQ]; /* VIC INTENCLEAR written by CE code (until re-enabled) */
static uint8_t g_vic_on[BOARD_MAX_IRQ];  /* VIC INTENABLE written by CE code */
static int g_wired[BOARD_MAX_IRQ];       /* 1: a board line, 2: driven by cevm_irq_set */
static uint32_t g_static[BOARD_MAX_IRQ]; /* IRQ → its recorded SYSINTR (0: none) */
static cevm_interrupt_event g_log[LOG_SIZE];
static uint64_t g_nlog;

static void log_event(int kind, uint32_t sysintr, uint32_t irq)
{
    cevm_interrupt_event *e = &g_log[g_nlog++ % LOG_SIZE];
    e->time_ns = clock_now();
    e->kind = kind;
    e->sysintr = sysintr;
    e->irq = irq;
}

int intr_boot(const struct board *b, char *err, size_t errlen)
{
    memset(g_si, 0, sizeof g_si);
    memset(g_level, 0, sizeof g_level);
    memset(g_soft, 0, sizeof g_soft);
    memset(g_vic_off, 0, sizeof g_vic_off);
    memset(g_vic_on, 0, sizeof g_vic_on);
    memset(g_wired, 0, sizeof g_wired);
    memset(g_static, 0, sizeof g_static);
    g_nlog = 0;
    g_max = b->profile >= PROFILE_CE6 ? 72 : 40;
    for (size_t i = 0; i < b->nirqs; i++) {
        const struct board_irq *q = &b->irqs[i];
        g_wired[q->number] = 1;
        if (!q->sysintr)
            continue;
        if (q->sysintr >= g_max) {
            snprintf(err, errlen, "%s:%d: SYSINTR %u is not below SYSINTR_MAXIMUM (%u on ce%d)",
                     q->file, q->line, q->sysintr, g_max, (int)b->profile);
            return -1;
        }
        struct sysintr *s = &g_si[q->sysintr];
        s->used = 1;
        s->irq = q->number;
        s->is_static = 1;
        g_static[q->number] = q->sysintr;
    }
    return 0;
}

static void unbind(struct sysintr *s)
{
    if (!s->ev)
        return;
    pthread_mutex_lock(&g_obj);
    s->ev->intr = 0;
    unref(s->ev);
    pthread_mutex_unlock(&g_obj);
    s->ev = NULL;
}

void intr_reset(void)
{
    for (uint32_t i = 0; i < SI_MAX; i++)
        unbind(&g_si[i]);
    memset(g_si, 0, sizeof g_si);
}

/* Set the event bound to s, as an interrupt does (device lock held). */
static void signal_bound(struct sysintr *s)
{
    pthread_mutex_lock(&g_obj);
    s->ev->signaled = 1;
    clock_changed();
    pthread_mutex_unlock(&g_obj);
}

/* Deliver SYSINTR id if its line is asserted and nothing masks it (device lock held). */
static void deliver(uint32_t id)
{
    struct sysintr *s = &g_si[id];
    if (!s->used || !s->enabled || s->masked || s->user_masked || !s->ev ||
        !(g_level[s->irq] || g_soft[s->irq]) || g_vic_off[s->irq])
        return;
    s->masked = 1;
    s->delivered++;
    log_event(CEVM_INTERRUPT_DELIVERED, id, s->irq);
    dev_oal_mask(s->irq, 1);
    signal_bound(s);
}

/* Deliver every SYSINTR of IRQ irq that can take an interrupt now. */
static void deliver_irq(uint32_t irq)
{
    for (uint32_t id = SYSINTR_DEVICES; id < g_max; id++)
        if (g_si[id].used && g_si[id].irq == irq)
            deliver(id);
}

void intr_line(uint32_t irq, int level)
{
    if (irq >= BOARD_MAX_IRQ)
        return;
    g_level[irq] = level;
    if (level)
        deliver_irq(irq);
}

/* ---- the VIC's view (dev/vic.c) ------------------------------------------------------------- */

/* Is IRQ irq enabled in the VIC: by the OAL (a SYSINTR enabled and not masked), or by CE code's
 * INTENABLE write; never after CE code's INTENCLEAR until something enables it again. */
static int vic_enabled(uint32_t irq)
{
    if (g_vic_off[irq])
        return 0;
    if (g_vic_on[irq])
        return 1;
    for (uint32_t id = SYSINTR_DEVICES; id < g_max; id++) {
        const struct sysintr *s = &g_si[id];
        if (s->used && s->irq == irq && s->enabled && !s->masked && !s->user_masked)
            return 1;
    }
    return 0;
}

uint32_t intr_vic_get(uint32_t base, int what)
{
    uint32_t v = 0;
    for (uint32_t n = 0; n < 32 && base + n < BOARD_MAX_IRQ; n++) {
        uint32_t irq = base + n;
        int bit = what == VIC_RAW    ? g_level[irq] || g_soft[irq]
                  : what == VIC_SOFT ? g_soft[irq]
                                     : vic_enabled(irq);
        v |= (uint32_t)(bit != 0) << n;
    }
    return v;
}

void intr_vic_set(uint32_t base, int what, uint32_t bits)
{
    for (uint32_t n = 0; n < 32 && base + n < BOARD_MAX_IRQ; n++) {
        if (!(bits >> n & 1))
            continue;
        uint32_t irq = base + n;
        switch (what) {
        case VIC_ENABLE:
            g_vic_on[irq] = 1;
            g_vic_off[irq] = 0;
            break;
        case VIC_DISABLE:
            g_vic_on[irq] = 0;
            g_vic_off[irq] = 1;
            break;
        case VIC_SOFT:
            g_soft[irq] = 1;
            break;
        default: /* VIC_SOFT_CLEAR */
            g_soft[irq] = 0;
            break;
        }
        deliver_irq(irq);
    }
}

/* Enter the OAL: boot the machine if none is (its board wires the IRQs), then take the device
 * lock. Return: 1 with the lock held, or 0 (no machine: GetLastError ERROR_NOT_READY when
 * set_error). */
static int oal_enter(int set_error)
{
    if (!machine_acquire()) {
        if (set_error)
            SetLastError(ERROR_NOT_READY);
        return 0;
    }
    machine_unlock();
    dev_lock();
    return 1;
}

/* The SYSINTR slot id names (device lock held), or NULL when id is no mapped device SYSINTR. */
static struct sysintr *slot(DWORD id)
{
    return id >= SYSINTR_DEVICES && id < g_max && g_si[id].used ? &g_si[id] : NULL;
}

/* ---- KernelIoControl ---------------------------------------------------------------------- */

static DWORD new_sysintr(uint32_t irq, int record)
{
    for (uint32_t id = SI_FIRST_FREE; id < g_max; id++)
        if (!g_si[id].used) {
            memset(&g_si[id], 0, sizeof g_si[id]);
            g_si[id].used = 1;
            g_si[id].irq = irq;
            if (record) {
                g_si[id].is_static = 1;
                g_static[irq] = id;
            }
            return id;
        }
    return 0;
}

static void warn_unwired(uint32_t irq)
{
    static uint64_t warned[BOARD_MAX_IRQ / 64];
    if (g_wired[irq] || (warned[irq / 64] >> (irq % 64) & 1))
        return;
    warned[irq / 64] |= 1ull << (irq % 64);
    fprintf(stderr, "cevm: IRQ %u is wired to no device on this board: its SYSINTR never fires\n",
            irq);
}

/* IOCTL_HAL_REQUEST_SYSINTR: in is one IRQ, or {0xFFFFFFFF, OAL_INTR_* flags, IRQ}.
 * Return: the SYSINTR, or 0 with *err set. */
static DWORD request_sysintr(const DWORD *in, DWORD words, DWORD *err)
{
    DWORD flags = 0, irq = in[0];
    if (in[0] == 0xFFFFFFFFu) {
        if (words < 3) {
            *err = ERROR_INVALID_PARAMETER;
            return 0;
        }
        flags = in[1];
        irq = in[2];
    }
    if (irq >= BOARD_MAX_IRQ) {
        *err = ERROR_INVALID_PARAMETER;
        return 0;
    }
    warn_unwired(irq);
    DWORD id = 0, have = g_static[irq];
    if (flags & OAL_INTR_TRANSLATE)
        id = have;
    else if (flags & OAL_INTR_FORCE_STATIC) {
        if ((id = new_sysintr(irq, 1)) && have) /* the new one is recorded over the old */
            g_si[have].is_static = 0;
    } else if (flags & OAL_INTR_STATIC)
        id = have ? 0 : new_sysintr(irq, 1);
    else if (flags & OAL_INTR_DYNAMIC)
        id = new_sysintr(irq, 0);
    else /* the legacy form: an existing mapping is returned, the first one is recorded */
        id = have ? have : new_sysintr(irq, 1);
    if (!id)
        *err = (flags & (OAL_INTR_TRANSLATE | OAL_INTR_STATIC)) ? ERROR_INVALID_PARAMETER
                                                                : ERROR_NOT_ENOUGH_MEMORY;
    return id;
}

static BOOL WINAPI impl_KernelIoControl(DWORD dwIoControlCode, LPVOID lpInBuf, DWORD nInBufSize,
                                        LPVOID lpOutBuf, DWORD nOutBufSize, LPDWORD lpBytesReturned)
{
    int request = dwIoControlCode == IOCTL_HAL_REQUEST_SYSINTR;
    int release = dwIoControlCode == IOCTL_HAL_RELEASE_SYSINTR;
    int translate = dwIoControlCode == IOCTL_HAL_TRANSLATE_IRQ;
    if (!request && !release && !translate) {
        SetLastError(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
    DWORD in[3] = {0, 0, 0}, words = nInBufSize / sizeof(DWORD);
    if (!lpInBuf || words < 1 || ((request || translate) && (!lpOutBuf || nOutBufSize < 4))) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    memcpy(in, lpInBuf, (words > 3 ? 3 : words) * sizeof(DWORD));
    if (!oal_enter(1))
        return FALSE;
    DWORD err = 0, out = 0;
    if (request) {
        out = request_sysintr(in, words, &err);
    } else if (translate) {
        if (in[0] >= BOARD_MAX_IRQ || !(out = g_static[in[0]]))
            err = ERROR_INVALID_PARAMETER;
    } else {
        struct sysintr *s = slot(in[0]);
        if (!s)
            err = ERROR_INVALID_PARAMETER;
        else {
            if (s->is_static && g_static[s->irq] == in[0])
                g_static[s->irq] = 0;
            unbind(s);
            memset(s, 0, sizeof *s);
        }
    }
    dev_unlock();
    if (err) {
        SetLastError(err);
        return FALSE;
    }
    if (!release) {
        memcpy(lpOutBuf, &out, sizeof out);
        if (lpBytesReturned)
            *lpBytesReturned = sizeof out;
    } else if (lpBytesReturned) {
        *lpBytesReturned = 0;
    }
    return TRUE;
}

/* ---- the interrupt calls ----------------------------------------------------------------------
 */

static BOOL WINAPI impl_InterruptInitialize(DWORD idInt, HANDLE hEvent, LPVOID pvData, DWORD cbData)
{
    (void)pvData; /* passed to OEMInterruptEnable on CE; no OAL of cevm reads it */
    (void)cbData;
    if (!oal_enter(1))
        return FALSE;
    struct sysintr *s = slot(idInt);
    DWORD err = 0;
    pthread_mutex_lock(&g_obj);
    struct object *o = lookup(hEvent);
    if (!s || !o || o->kind != K_EVENT || o->intr || s->ev || o->waiters)
        err = ERROR_INVALID_PARAMETER;
    else {
        o->refs++;
        o->intr = idInt;
        s->ev = o;
    }
    pthread_mutex_unlock(&g_obj);
    if (!err) {
        s->enabled = 1;
        s->masked = 0;
        s->user_masked = 0;
        snprintf(s->who, sizeof s->who, "%s", unimpl_context());
        g_vic_off[s->irq] = 0; /* the OAL enables the source in the VIC */
        log_event(CEVM_INTERRUPT_INITIALIZE, idInt, s->irq);
        dev_oal_mask(s->irq, 0);
        deliver(idInt);
    }
    dev_unlock();
    if (err)
        SetLastError(err);
    return err ? FALSE : TRUE;
}

static void WINAPI impl_InterruptDone(DWORD idInt)
{
    if (!oal_enter(0))
        return;
    devices_sync_all(); /* an IST's raw acknowledgement reaches plain register files first */
    struct sysintr *s = slot(idInt);
    if (s && s->enabled) { /* on a SYSINTR never initialised it is harmless, as on CE */
        s->masked = 0;
        s->done++;
        g_vic_off[s->irq] = 0;
        log_event(CEVM_INTERRUPT_DONE, idInt, s->irq);
        if (!s->user_masked)
            dev_oal_mask(s->irq, 0);
        deliver(idInt);
    }
    dev_unlock();
}

static void WINAPI impl_InterruptDisable(DWORD idInt)
{
    if (!oal_enter(0))
        return;
    struct sysintr *s = slot(idInt);
    if (s && (s->enabled || s->ev)) {
        s->enabled = 0;
        s->masked = 0;
        log_event(CEVM_INTERRUPT_DISABLE, idInt, s->irq);
        dev_oal_mask(s->irq, 1);
        unbind(s);
    }
    dev_unlock();
}

static void WINAPI impl_InterruptMask(DWORD idInt, BOOL fDisable)
{
    if (!oal_enter(0))
        return;
    struct sysintr *s = slot(idInt);
    if (s) {
        s->user_masked = fDisable ? 1 : 0;
        log_event(fDisable ? CEVM_INTERRUPT_MASK : CEVM_INTERRUPT_UNMASK, idInt, s->irq);
        if (s->enabled && !s->masked)
            dev_oal_mask(s->irq, fDisable ? 1 : 0);
        deliver(idInt);
    }
    dev_unlock();
}

BOOL WINAPI SetInterruptEvent(DWORD idInt)
{
    if (!oal_enter(1))
        return FALSE;
    struct sysintr *s = slot(idInt);
    int ok = s && s->ev;
    if (ok)
        signal_bound(s);
    dev_unlock();
    if (!ok)
        SetLastError(ERROR_INVALID_PARAMETER);
    return ok ? TRUE : FALSE;
}

size_t intr_report_masked(const char *marker, char *buf, size_t cap)
{
    size_t n = 0, len = 0;
    if (cap)
        buf[0] = '\0';
    dev_lock();
    for (uint32_t id = SYSINTR_DEVICES; id < g_max; id++) {
        const struct sysintr *s = &g_si[id];
        if (!s->used || !s->enabled || !s->masked || !strstr(s->who, marker))
            continue;
        const char *name = NULL;
        dev_irq_info(s->irq, NULL, &name, NULL);
        if (len < cap)
            len += (size_t)snprintf(buf + len, cap - len,
                                    "  SYSINTR %u (IRQ %u%s%s) is still masked: no InterruptDone "
                                    "after its last interrupt\n",
                                    id, s->irq, name ? " " : "", name ? name : "");
        n++;
    }
    dev_unlock();
    return n;
}

/* ---- native API ------------------------------------------------------------------------------ */

cevm_status cevm_irq_set(uint32_t irq, int level)
{
    if (irq >= BOARD_MAX_IRQ || (level != 0 && level != 1))
        return CEVM_E_INVAL;
    if (!oal_enter(0))
        return cevm_boot_error(NULL, 0);
    cevm_status st = CEVM_OK;
    if (g_wired[irq] == 1)
        st = CEVM_E_STATE; /* a board line follows its registers */
    else {
        g_wired[irq] = 2;
        intr_line(irq, level);
    }
    dev_unlock();
    return st;
}

size_t cevm_irqs(cevm_irq_info *out, size_t max)
{
    if (!oal_enter(0))
        return 0;
    size_t n = 0;
    for (uint32_t irq = 0; irq < BOARD_MAX_IRQ; irq++) {
        uint32_t id = g_static[irq];
        for (uint32_t k = SYSINTR_DEVICES; !id && k < g_max; k++)
            if (g_si[k].used && g_si[k].irq == irq)
                id = k;
        if (!g_wired[irq] && !id)
            continue;
        if (out && n < max) {
            cevm_irq_info *i = &out[n];
            memset(i, 0, sizeof *i);
            const char *name = NULL, *dev = NULL;
            dev_irq_info(irq, NULL, &name, &dev);
            i->irq = irq;
            snprintf(i->name, sizeof i->name, "%s", name ? name : "");
            snprintf(i->device, sizeof i->device, "%s", dev ? dev : "");
            i->level = g_level[irq];
            i->sysintr = id;
            if (id) {
                i->enabled = g_si[id].enabled;
                i->masked = g_si[id].masked || g_si[id].user_masked;
                i->delivered = g_si[id].delivered;
                i->done = g_si[id].done;
            }
        }
        n++;
    }
    dev_unlock();
    return n;
}

uint64_t cevm_interrupt_log(cevm_interrupt_event *out, size_t max)
{
    dev_lock();
    uint64_t total = g_nlog;
    size_t have = total < LOG_SIZE ? (size_t)total : LOG_SIZE;
    size_t n = max < have ? max : have;
    for (size_t i = 0; out && i < n; i++)
        out[i] = g_log[(total - n + i) % LOG_SIZE];
    dev_unlock();
    return total;
}

/* ---- the traced entry points (ce/trace.h) -------------------------------------------------- */

BOOL WINAPI KernelIoControl(DWORD dwIoControlCode, LPVOID lpInBuf, DWORD nInBufSize,
                            LPVOID lpOutBuf, DWORD nOutBufSize, LPDWORD lpBytesReturned)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_KernelIoControl(dwIoControlCode, lpInBuf, nInBufSize, lpOutBuf, nOutBufSize,
                                  lpBytesReturned);
    if (t0)
        ce_trace_done(t0, "KernelIoControl", TR_BOOL, (uint64_t)r,
                      "dwIoControlCode 0x%08X, lpInBuf %s, nInBufSize 0x%X, lpOutBuf %s, "
                      "nOutBufSize 0x%X",
                      dwIoControlCode, ce_trace_ptr(lpInBuf), nInBufSize, ce_trace_ptr(lpOutBuf),
                      nOutBufSize);
    return r;
}

BOOL WINAPI InterruptInitialize(DWORD idInt, HANDLE hEvent, LPVOID pvData, DWORD cbData)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_InterruptInitialize(idInt, hEvent, pvData, cbData);
    if (t0)
        ce_trace_done(t0, "InterruptInitialize", TR_BOOL, (uint64_t)r,
                      "idInt %u, hEvent 0x%llX, pvData %s, cbData 0x%X", (unsigned)idInt,
                      (unsigned long long)(uintptr_t)hEvent, ce_trace_ptr(pvData), cbData);
    return r;
}

void WINAPI InterruptDone(DWORD idInt)
{
    uint64_t t0 = ce_trace_start();
    impl_InterruptDone(idInt);
    if (t0)
        ce_trace_done(t0, "InterruptDone", TR_VOID, 0, "idInt %u", (unsigned)idInt);
}

void WINAPI InterruptMask(DWORD idInt, BOOL fDisable)
{
    uint64_t t0 = ce_trace_start();
    impl_InterruptMask(idInt, fDisable);
    if (t0)
        ce_trace_done(t0, "InterruptMask", TR_VOID, 0, "idInt %u, fDisable %s", (unsigned)idInt,
                      fDisable ? "TRUE" : "FALSE");
}

void WINAPI InterruptDisable(DWORD idInt)
{
    uint64_t t0 = ce_trace_start();
    impl_InterruptDisable(idInt);
    if (t0)
        ce_trace_done(t0, "InterruptDisable", TR_VOID, 0, "idInt %u", (unsigned)idInt);
}
