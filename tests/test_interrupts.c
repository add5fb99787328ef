/*
 * test_interrupts.c — interrupts, time and DMA (issue 13): the machine clock (real and virtual),
 * KernelIoControl's SYSINTR requests, InterruptInitialize/Done/Disable/Mask with CE's rules for
 * interrupt events, and interrupt service threads written the way BSP drivers write them (struct
 * overlays, registry SYSINTRs, the IST loop) receiving UART bytes, key edges and PWM timer
 * ticks on the deterministic clock; HalAllocateCommonBuffer memory seen by a bus master.
 */
#include "support/cetest.h"

#include <ceddk.h>
#include <ddkreg.h>
#include <nkintr.h>
#include <pkfuncs.h>
#include <winioctl.h>
#include <winreg.h>

/* Reboot the default board on the virtual clock. Drivers written with struct overlays need
 * trapped register files (a build with Capstone; docs/devices.md). */
static void boot_virtual(void)
{
    cevm_shutdown();
    setenv("CEVM_CLOCK", "virtual", 1);
    char err[256];
    cevm_status st = cevm_boot(NULL, err, sizeof err);
    unsetenv("CEVM_CLOCK");
    if (st != CEVM_OK)
        fail_msg("boot: %s", err);
    assert_true(cevm_clock_virtual());
}

/* ---- the clock ------------------------------------------------------------------------------ */

static void virtual_clock_moves_only_when_asked_or_all_wait(void **state)
{
    (void)state;
    boot_virtual();
    assert_int_equal(cevm_clock_now_ns(), 0);
    DWORD t0 = GetTickCount();
    Sleep(250); /* the only thread waits: the clock jumps to its deadline */
    assert_int_equal(GetTickCount() - t0, 250);
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    uint64_t before = cevm_clock_now_ns();
    assert_int_equal(WaitForSingleObject(ev, 40), WAIT_TIMEOUT);
    assert_true(cevm_clock_now_ns() - before == 40 * 1000000ull);
    assert_int_equal(cevm_clock_advance_ms(1000), CEVM_OK);
    assert_true(cevm_clock_now_ns() - before == 1040 * 1000000ull);
    CloseHandle(ev);
    /* On the real-time clock there is nothing to advance. */
    cevm_shutdown();
    assert_int_equal(cevm_clock_advance_ms(1), CEVM_E_STATE);
    assert_false(cevm_clock_virtual());
}

struct sleeper {
    DWORD ms;
    DWORD woke;
};

static DWORD WINAPI sleeper_main(LPVOID arg)
{
    struct sleeper *s = arg;
    Sleep(s->ms);
    s->woke = GetTickCount();
    return 0;
}

/* Threads waking in deadline order, each seeing exactly its deadline, whatever the host does. */
static void virtual_clock_orders_threads_by_deadline(void **state)
{
    (void)state;
    boot_virtual();
    struct sleeper s[3] = {{30, 0}, {10, 0}, {20, 0}};
    HANDLE h[3];
    for (int i = 0; i < 3; i++)
        assert_non_null(h[i] = CreateThread(NULL, 0, sleeper_main, &s[i], 0, NULL));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(WaitForSingleObject(h[i], INFINITE), WAIT_OBJECT_0);
        CloseHandle(h[i]);
    }
    assert_int_equal(s[0].woke, 30);
    assert_int_equal(s[1].woke, 10);
    assert_int_equal(s[2].woke, 20);
    /* A polling loop on GetTickCount ends: each read with nothing else to run moves 1 ms. */
    DWORD start = GetTickCount(), loops = 0;
    while (GetTickCount() - start < 5)
        loops++;
    assert_int_equal(loops, 4);
}

static DWORD WINAPI sleep_forever(LPVOID arg)
{
    Sleep(INFINITE);
    *(volatile LONG *)arg = 1;
    return 7;
}

/* Sleep(INFINITE) suspends a CE thread until ResumeThread (spec driver-runtime §1.9). */
static void sleep_infinite_ends_with_resume_thread(void **state)
{
    (void)state;
    boot_virtual();
    volatile LONG woke = 0;
    HANDLE t = CreateThread(NULL, 0, sleep_forever, (LPVOID)&woke, 0, NULL);
    assert_int_equal(cevm_clock_advance_ms(1000), CEVM_OK); /* asleep: no timeout moves it */
    assert_int_equal(woke, 0);
    assert_int_equal(WaitForSingleObject(t, 0), WAIT_TIMEOUT);
    assert_int_equal(ResumeThread(t), 1);
    assert_int_equal(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
    assert_int_equal(woke, 1);
    DWORD code = 0;
    assert_true(GetExitCodeThread(t, &code) && code == 7);
    CloseHandle(t);
}

static void real_clock_sleeps_and_times_out(void **state)
{
    (void)state;
    assert_false(cevm_clock_virtual());
    DWORD t0 = GetTickCount();
    Sleep(20);
    DWORD dt = GetTickCount() - t0;
    assert_true(dt >= 20 && dt < 2000);
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    assert_int_equal(WaitForSingleObject(ev, 10), WAIT_TIMEOUT);
    CloseHandle(ev);
    LARGE_INTEGER f, c;
    assert_true(QueryPerformanceFrequency(&f) && f.QuadPart == 1000);
    assert_true(QueryPerformanceCounter(&c) && c.QuadPart >= 20);
}

/* ---- KernelIoControl ----------------------------------------------------------------------- */

static void request_sysintr_follows_the_mapping_rules(void **state)
{
    (void)state;
    DWORD irq = 37, id = 0, got = 0;
    /* The board maps UART0 (IRQ 37) statically to 16: the legacy request returns it. */
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &irq, sizeof irq, &id, sizeof id, &got));
    assert_int_equal(id, 16);
    assert_int_equal(got, 4);
    assert_true(KernelIoControl(IOCTL_HAL_TRANSLATE_IRQ, &irq, sizeof irq, &id, sizeof id, NULL));
    assert_int_equal(id, 16);
    /* An unmapped IRQ gets a new SYSINTR (from 16 up, skipping the board's), recorded. */
    DWORD irq24 = 24, a = 0, b = 0;
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &irq24, 4, &a, 4, NULL));
    assert_int_equal(a, 20); /* 16-19 are the board's static mappings */
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &irq24, 4, &b, 4, NULL));
    assert_int_equal(b, a);
    /* OAL_INTR_DYNAMIC: always a new one; STATIC fails on a mapped IRQ; TRANSLATE reads it. */
    DWORD ext[3] = {0xFFFFFFFFu, OAL_INTR_DYNAMIC, 24}, c = 0;
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, ext, sizeof ext, &c, 4, NULL));
    assert_int_equal(c, 21);
    ext[1] = OAL_INTR_STATIC;
    assert_error(!KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, ext, sizeof ext, &c, 4, NULL),
                 ERROR_INVALID_PARAMETER);
    ext[1] = OAL_INTR_TRANSLATE;
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, ext, sizeof ext, &c, 4, NULL));
    assert_int_equal(c, a);
    ext[1] = OAL_INTR_FORCE_STATIC;
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, ext, sizeof ext, &c, 4, NULL));
    assert_int_equal(c, 22);
    assert_true(KernelIoControl(IOCTL_HAL_TRANSLATE_IRQ, &irq24, 4, &b, 4, NULL));
    assert_int_equal(b, 22);
    /* Release frees the number for the next request. */
    assert_true(KernelIoControl(IOCTL_HAL_RELEASE_SYSINTR, &a, sizeof a, NULL, 0, NULL));
    assert_error(!KernelIoControl(IOCTL_HAL_RELEASE_SYSINTR, &a, sizeof a, NULL, 0, NULL),
                 ERROR_INVALID_PARAMETER);
    DWORD irq25 = 25;
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &irq25, 4, &b, 4, NULL));
    assert_int_equal(b, a);
    /* Bad input. */
    DWORD big = 128;
    assert_error(!KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &big, 4, &b, 4, NULL),
                 ERROR_INVALID_PARAMETER);
    assert_error(!KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &irq, 4, &b, 2, NULL),
                 ERROR_INVALID_PARAMETER);
    assert_error(!KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, NULL, 0, &b, 4, NULL),
                 ERROR_INVALID_PARAMETER);
    DWORD unmapped = 100;
    assert_error(!KernelIoControl(IOCTL_HAL_TRANSLATE_IRQ, &unmapped, 4, &b, 4, NULL),
                 ERROR_INVALID_PARAMETER);
    assert_error(!KernelIoControl(IOCTL_HAL_REBOOT, NULL, 0, NULL, 0, NULL), ERROR_NOT_SUPPORTED);
    /* CE 5 has SYSINTRs 8..39, CE 6+ 8..71: when none is left a request fails with 8 and
     * changes nothing. */
    const DWORD max = CE5 ? 40 : 72;
    DWORD dyn[3] = {0xFFFFFFFFu, OAL_INTR_DYNAMIC, 90}, got_id = 0;
    DWORD n = 0;
    while (KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, dyn, sizeof dyn, &got_id, 4, NULL))
        assert_true(++n < max && got_id >= 16 && got_id < max);
    assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    DWORD force[3] = {0xFFFFFFFFu, OAL_INTR_FORCE_STATIC, 24};
    assert_error(!KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, force, sizeof force, &b, 4, NULL),
                 ERROR_NOT_ENOUGH_MEMORY);
    assert_true(KernelIoControl(IOCTL_HAL_TRANSLATE_IRQ, &irq24, 4, &b, 4, NULL));
    assert_int_equal(b, 22); /* the mapping FORCE_STATIC made earlier stands */
}

static void interrupt_calls_check_their_arguments(void **state)
{
    (void)state;
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL), ev2 = CreateEvent(NULL, FALSE, FALSE, NULL);
    HANDLE mtx = CreateMutex(NULL, FALSE, NULL);
    assert_error(!InterruptInitialize(7, ev, NULL, 0), ERROR_INVALID_PARAMETER);  /* < DEVICES */
    assert_error(!InterruptInitialize(40, ev, NULL, 0), ERROR_INVALID_PARAMETER); /* CE 5 max */
    assert_error(!InterruptInitialize(30, ev, NULL, 0), ERROR_INVALID_PARAMETER); /* unmapped */
    assert_error(!InterruptInitialize(16, mtx, NULL, 0), ERROR_INVALID_PARAMETER);
    assert_error(!InterruptInitialize(16, (HANDLE)0x1234, NULL, 0), ERROR_INVALID_PARAMETER);
    assert_true(InterruptInitialize(16, ev, NULL, 0));
    assert_error(!InterruptInitialize(16, ev2, NULL, 0), ERROR_INVALID_PARAMETER); /* id bound */
    assert_error(!InterruptInitialize(17, ev, NULL, 0), ERROR_INVALID_PARAMETER);  /* ev bound */
    /* Only WaitForSingleObject may wait on an interrupt event. */
    HANDLE both[2] = {ev2, ev};
    assert_error(WaitForMultipleObjects(2, both, FALSE, 0) == WAIT_FAILED, ERROR_INVALID_PARAMETER);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    /* SetInterruptEvent signals it as if the source fired. */
    assert_true(SetInterruptEvent(16));
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    assert_error(!SetInterruptEvent(17), ERROR_INVALID_PARAMETER);
    /* InterruptDone on a SYSINTR never initialised is harmless. */
    InterruptDone(17);
    InterruptDone(39);
    InterruptDone(1000);
    InterruptDisable(16);
    assert_true(InterruptInitialize(16, ev2, NULL, 0)); /* free again */
    InterruptDisable(16);
    CloseHandle(ev);
    CloseHandle(ev2);
    CloseHandle(mtx);
}

struct waiter {
    HANDLE ev;
    DWORD result;
};

static DWORD WINAPI waiter_main(LPVOID arg)
{
    struct waiter *w = arg;
    w->result = WaitForSingleObject(w->ev, INFINITE);
    return 0;
}

/* A second thread waiting on an interrupt event gets WAIT_FAILED; an event a thread waits on
 * cannot be bound. */
static void interrupt_event_takes_one_waiter(void **state)
{
    (void)state;
    boot_virtual();
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    struct waiter w = {ev, 0};
    HANDLE t = CreateThread(NULL, 0, waiter_main, &w, 0, NULL);
    assert_int_equal(cevm_clock_advance_ms(1), CEVM_OK); /* the thread is waiting now */
    assert_error(!InterruptInitialize(16, ev, NULL, 0), ERROR_INVALID_PARAMETER);
    SetEvent(ev);
    assert_int_equal(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
    CloseHandle(t);
    assert_int_equal(w.result, WAIT_OBJECT_0);
    assert_true(InterruptInitialize(16, ev, NULL, 0));
    t = CreateThread(NULL, 0, waiter_main, &w, 0, NULL);
    assert_int_equal(cevm_clock_advance_ms(1), CEVM_OK);
    assert_error(WaitForSingleObject(ev, 0) == WAIT_FAILED, ERROR_INVALID_PARAMETER);
    assert_true(SetInterruptEvent(16));
    assert_int_equal(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
    CloseHandle(t);
    InterruptDisable(16);
    CloseHandle(ev);
}

/* ---- an S3C6410 UART driver's IST ---------------------------------------------------------- */

typedef struct {
    volatile ULONG ULCON, UCON, UFCON, UMCON, UTRSTAT, UERSTAT, UFSTAT, UMSTAT;
    volatile ULONG UTXH, URXH, UBRDIV, UDIVSLOT, UINTP, UINTSP, UINTM;
} S3C6410_UART_REG;

#define UINT_RXD 0x1
#define UINT_TXD 0x4

struct uart_dev {
    S3C6410_UART_REG *regs;
    DWORD sysintr;
    HANDLE ev, ist, ready;
    volatile BOOL stop;
    DWORD interrupts, bytes;
};

static DWORD WINAPI uart_ist(LPVOID arg)
{
    struct uart_dev *u = arg;
    u->ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    if (!InterruptInitialize(u->sysintr, u->ev, NULL, 0))
        return 1;
    CeSetThreadPriority(GetCurrentThread(), 103);
    u->regs->UINTM = ~UINT_RXD & 0xF; /* receive interrupts only */
    SetEvent(u->ready);
    for (;;) {
        DWORD r = WaitForSingleObject(u->ev, 500);
        if (u->stop)
            break;
        if (r != WAIT_OBJECT_0)
            continue;
        u->interrupts++;
        while (u->regs->UTRSTAT & 0x1) { /* echo every byte waiting */
            u->regs->UTXH = u->regs->URXH & 0xFF;
            u->bytes++;
        }
        u->regs->UINTSP = UINT_RXD | UINT_TXD;
        u->regs->UINTP = UINT_RXD | UINT_TXD;
        InterruptDone(u->sysintr);
    }
    InterruptDisable(u->sysintr);
    CloseHandle(u->ev);
    return 0;
}

static void uart_open(struct uart_dev *u)
{
    memset(u, 0, sizeof *u);
    /* The SYSINTR comes from the device's registry key, as DDKReg_GetIsrInfo gives it. */
    HKEY k;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\BuiltIn\\UART"), 0, 0, &k),
                     ERROR_SUCCESS);
    DDKWINDOWINFO wi;
    DDKISRINFO ii;
    wi.cbSize = sizeof wi;
    ii.cbSize = sizeof ii;
    assert_int_equal(DDKReg_GetWindowInfo(k, &wi), ERROR_SUCCESS);
    assert_int_equal(DDKReg_GetIsrInfo(k, &ii), ERROR_SUCCESS);
    RegCloseKey(k);
    assert_int_equal(ii.dwIrq, 37);
    assert_int_equal(ii.dwSysintr, 16);
    PHYSICAL_ADDRESS pa = {{wi.memWindows[0].dwBase, 0}};
    u->regs = MmMapIoSpace(pa, sizeof *u->regs, FALSE);
    assert_non_null(u->regs);
    u->sysintr = ii.dwSysintr;
    u->ready = CreateEvent(NULL, TRUE, FALSE, NULL);
    u->ist = CreateThread(NULL, 0, uart_ist, u, 0, NULL);
    assert_int_equal(WaitForSingleObject(u->ready, INFINITE), WAIT_OBJECT_0);
}

static void uart_close(struct uart_dev *u)
{
    u->stop = TRUE;
    SetEvent(u->ev);
    assert_int_equal(WaitForSingleObject(u->ist, INFINITE), WAIT_OBJECT_0);
    DWORD code = 9;
    assert_true(GetExitCodeThread(u->ist, &code));
    assert_int_equal(code, 0);
    CloseHandle(u->ist);
    CloseHandle(u->ready);
    MmUnmapIoSpace(u->regs, sizeof *u->regs);
}

#ifdef CEVM_TEST_HAVE_CAPSTONE
#define NEEDS_TRAPS() ((void)0)
#else
#define NEEDS_TRAPS() skip()
#endif

static void uart_ist_echoes_fed_bytes(void **state)
{
    (void)state;
    NEEDS_TRAPS();
    boot_virtual();
    struct uart_dev u;
    uart_open(&u);
    for (int round = 0; round < 3; round++) {
        char msg[16];
        int n = snprintf(msg, sizeof msg, "hello %d", round);
        assert_int_equal(cevm_uart_give("UART", 0, msg, (size_t)n), CEVM_OK);
        assert_int_equal(cevm_clock_advance_ms(1), CEVM_OK); /* the IST runs until it waits */
        char got[32] = "";
        assert_int_equal(cevm_uart_take("UART", 0, got, sizeof got - 1), n);
        assert_string_equal(got, msg);
    }
    assert_int_equal(u.interrupts, 3);
    assert_int_equal(u.bytes, 21);
    cevm_irq_info info[64];
    size_t ni = cevm_irqs(info, 64), i = 0;
    while (i < ni && info[i].irq != 37)
        i++;
    assert_true(i < ni);
    assert_string_equal(info[i].name, "UART0");
    assert_int_equal(info[i].sysintr, 16);
    assert_true(info[i].enabled && !info[i].masked && !info[i].level);
    assert_true(info[i].delivered == 3 && info[i].done == 3);
    uart_close(&u);
    /* The log has each delivery and each InterruptDone, in order. */
    cevm_interrupt_event log[16];
    uint64_t total = cevm_interrupt_log(log, 16);
    assert_true(total >= 8);
    size_t n = total < 16 ? (size_t)total : 16, delivered = 0, done = 0;
    for (size_t k = 0; k < n; k++) {
        if (log[k].kind == CEVM_INTERRUPT_DELIVERED) {
            assert_int_equal(delivered, done); /* each delivery is followed by its Done */
            delivered++;
        }
        done += log[k].kind == CEVM_INTERRUPT_DONE;
    }
    assert_true(delivered == 3 && done == 3);
}

/* Without InterruptDone the source stays masked: no further interrupts, and it is reported. */
struct lazy {
    HANDLE ev;
    DWORD count;
};

static DWORD WINAPI lazy_ist(LPVOID arg)
{
    struct lazy *l = arg;
    while (WaitForSingleObject(l->ev, 100) == WAIT_OBJECT_0)
        l->count++; /* never calls InterruptDone */
    return 0;
}

static void no_interrupt_done_no_further_interrupts(void **state)
{
    (void)state;
    NEEDS_TRAPS();
    boot_virtual();
    struct lazy l = {CreateEvent(NULL, FALSE, FALSE, NULL), 0};
    assert_true(InterruptInitialize(16, l.ev, NULL, 0));
    PHYSICAL_ADDRESS pa = {{0x7F005000, 0}};
    S3C6410_UART_REG *r = MmMapIoSpace(pa, sizeof *r, FALSE);
    r->UINTM = 0xE;
    HANDLE t = CreateThread(NULL, 0, lazy_ist, &l, 0, NULL);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cevm_uart_give("UART", 0, "x", 1), CEVM_OK);
        assert_int_equal(cevm_clock_advance_ms(1), CEVM_OK);
        r->UINTSP = 0xF;
        r->UINTP = 0xF;
        (void)r->URXH;
    }
    assert_int_equal(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0); /* timed out at 100 ms */
    CloseHandle(t);
    assert_int_equal(l.count, 1);
    cevm_irq_info info[64];
    size_t ni = cevm_irqs(info, 64), i = 0;
    while (i < ni && info[i].irq != 37)
        i++;
    assert_true(i < ni && info[i].masked && info[i].delivered == 1 && info[i].done == 0);
    InterruptDisable(16);
    CloseHandle(l.ev);
    MmUnmapIoSpace(r, sizeof *r);
}

/* The driver host names a SYSINTR its driver left masked (no InterruptDone) at unload. */
static void unload_reports_a_masked_sysintr(void **state)
{
    (void)state;
    HKEY k;
    assert_int_equal(RegCreateKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\BuiltIn\\NoDone"), 0, NULL,
                                    0, 0, NULL, &k, NULL),
                     ERROR_SUCCESS);
    static const WCHAR pfx[] = TEXT("NDN");
    RegSetValueEx(k, TEXT("Prefix"), 0, REG_SZ, (const BYTE *)pfx, sizeof pfx);
    RegCloseKey(k);
    char err[512];
    cevm_driver *d;
    assert_int_equal(cevm_driver_load(CEVM_TEST_DRIVER_DIR "/libnodone.so",
                                      "Drivers\\BuiltIn\\NoDone", &d, err, sizeof err),
                     CEVM_OK);
    uint32_t h;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, err, sizeof err), CEVM_OK);
    assert_int_equal(cevm_uart_give("UART", 0, "z", 1), CEVM_OK);
    DWORD r = 9;
    uint32_t got = 0;
    int ok = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, 1, NULL, 0, &r, 4, &got, &ok, err, sizeof err),
                     CEVM_OK);
    assert_true(ok && r == WAIT_OBJECT_0);
    assert_int_equal(cevm_driver_close(d, h, &ok, err, sizeof err), CEVM_OK);
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, err, sizeof err), CEVM_OK);
    if (!strstr(rep.text, "SYSINTR 16 (IRQ 37 UART0) is still masked: no InterruptDone"))
        fail_msg("report: %s", rep.text);
    InterruptDisable(16);
}

/* UART line errors and CTS changes raise the ERROR and MODEM sources (accessors only). */
static void uart_error_and_modem_sources(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS pa = {{0x7F005000, 0}};
    S3C6410_UART_REG *r = MmMapIoSpace(pa, sizeof *r, FALSE);
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    assert_true(InterruptInitialize(16, ev, NULL, 0));
    WRITE_REGISTER_ULONG((PULONG)&r->UINTM, 0xD);               /* ERROR only */
    WRITE_REGISTER_ULONG((PULONG)&r->UCON, 0x45);               /* receive error interrupts on */
    assert_int_equal(cevm_uart_error("UART", 0, 0x1), CEVM_OK); /* overrun */
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    assert_int_equal(READ_REGISTER_ULONG((PULONG)&r->UINTP), 0x2);
    assert_int_equal(READ_REGISTER_ULONG((PULONG)&r->UERSTAT), 0x1);
    assert_int_equal(READ_REGISTER_ULONG((PULONG)&r->UERSTAT), 0); /* cleared by the read */
    WRITE_REGISTER_ULONG((PULONG)&r->UINTSP, 0x2);
    WRITE_REGISTER_ULONG((PULONG)&r->UINTP, 0x2);
    InterruptDone(16);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    WRITE_REGISTER_ULONG((PULONG)&r->UCON, 0x05); /* error interrupts off: status only */
    assert_int_equal(cevm_uart_error("UART", 0, 0x4), CEVM_OK);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    assert_int_equal(READ_REGISTER_ULONG((PULONG)&r->UERSTAT), 0x4);
    WRITE_REGISTER_ULONG((PULONG)&r->UINTM, 0x7); /* MODEM only */
    assert_int_equal(cevm_uart_cts("UART", 0, 1), CEVM_OK);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    assert_int_equal(READ_REGISTER_ULONG((PULONG)&r->UMSTAT), 0x5); /* CTS, delta CTS */
    assert_int_equal(READ_REGISTER_ULONG((PULONG)&r->UMSTAT), 0x1);
    assert_int_equal(cevm_uart_cts("UART", 0, 1), CEVM_OK); /* no change: no delta */
    assert_int_equal(READ_REGISTER_ULONG((PULONG)&r->UMSTAT), 0x1);
    assert_int_equal(cevm_uart_error("UART", 0, 0x10), CEVM_E_INVAL);
    assert_int_equal(cevm_uart_error("UART", 0, 0), CEVM_E_INVAL);
    assert_int_equal(cevm_uart_error("UART", 4, 1), CEVM_E_INVAL);
    assert_int_equal(cevm_uart_error("GPIO", 0, 1), CEVM_E_NOTFOUND);
    assert_int_equal(cevm_uart_cts("UART", 0, 2), CEVM_E_INVAL);
    InterruptDisable(16);
    CloseHandle(ev);
    MmUnmapIoSpace(r, sizeof *r);
}

/* The VIC as CE code sees it: the OAL's enables, raw sources, SOFTINT, INTENCLEAR (accessors). */
#define VIC_REG(v, off) ((PULONG)((BYTE *)(v) + (off)))

static void vic_shows_and_takes_the_oal_state(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS vpa = {{0x71300000, 0}}, upa = {{0x7F005000, 0}};
    BYTE *vic = MmMapIoSpace(vpa, 0x1000, FALSE);
    S3C6410_UART_REG *u = MmMapIoSpace(upa, sizeof *u, FALSE);
    const ULONG uart0 = 1u << 5; /* VIC1 source 5: IRQ 37 */
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x010)) & uart0, 0);
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x200)), 0xF); /* VECTPRIORITY0 */
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    assert_true(InterruptInitialize(16, ev, NULL, 0));
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x010)) & uart0, uart0); /* enabled */
    WRITE_REGISTER_ULONG((PULONG)&u->UINTM, 0xE);
    assert_int_equal(cevm_uart_give("UART", 0, "a", 1), CEVM_OK);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x008)) & uart0, uart0); /* RAWINTR */
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x010)) & uart0, 0);     /* the OAL masked */
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x000)) & uart0, 0);     /* IRQSTATUS */
    (void)READ_REGISTER_ULONG((PULONG)&u->URXH);
    WRITE_REGISTER_ULONG((PULONG)&u->UINTSP, 0xF);
    WRITE_REGISTER_ULONG((PULONG)&u->UINTP, 0xF);
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x008)) & uart0, 0);
    InterruptDone(16);
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x010)) & uart0, uart0);
    /* A software interrupt is delivered as the line would be. */
    WRITE_REGISTER_ULONG(VIC_REG(vic, 0x018), uart0);
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x018)), uart0);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    WRITE_REGISTER_ULONG(VIC_REG(vic, 0x01C), uart0); /* SOFTINTCLEAR */
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x018)), 0);
    InterruptDone(16);
    /* Writing back a value just read to a *CLEAR register changes only the bits written as 1. */
    ULONG en = READ_REGISTER_ULONG(VIC_REG(vic, 0x010));
    WRITE_REGISTER_ULONG(VIC_REG(vic, 0x014), en & ~uart0);
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x010)) & uart0, uart0);
    /* INTENCLEAR holds delivery back until INTENABLE. */
    WRITE_REGISTER_ULONG(VIC_REG(vic, 0x014), uart0);
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x010)) & uart0, 0);
    assert_int_equal(cevm_uart_give("UART", 0, "b", 1), CEVM_OK);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x008)) & uart0, uart0);
    assert_int_equal(READ_REGISTER_ULONG(VIC_REG(vic, 0x000)) & uart0, 0);
    WRITE_REGISTER_ULONG(VIC_REG(vic, 0x010), uart0);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    InterruptDisable(16);
    CloseHandle(ev);
    MmUnmapIoSpace(u, sizeof *u);
    MmUnmapIoSpace(vic, 0x1000);
}

/* ---- keys on EINT0-5 ---------------------------------------------------------------------- */

typedef struct {
    volatile ULONG EINT0CON0, EINT0CON1, pad0[2], EINT0FLTCON[4], EINT0MASK, EINT0PEND;
} EINT_REG;

struct keys {
    EINT_REG *eint;
    DWORD sysintr;
    HANDLE ev, ready;
    volatile BOOL stop;
    DWORD presses;
};

static DWORD WINAPI key_ist(LPVOID arg)
{
    struct keys *k = arg;
    k->ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    k->eint->EINT0CON0 = (k->eint->EINT0CON0 & ~0x7u) | 0x2; /* EINT0/1: falling edge */
    k->eint->EINT0PEND = 0x3;                                /* whatever pended at reset */
    if (!InterruptInitialize(k->sysintr, k->ev, NULL, 0))    /* the OAL unmasks EINT0 */
        return 1;
    SetEvent(k->ready);
    while (WaitForSingleObject(k->ev, INFINITE) == WAIT_OBJECT_0 && !k->stop) {
        k->presses++;
        k->eint->EINT0PEND = 0x1;
        InterruptDone(k->sysintr);
    }
    InterruptDisable(k->sysintr);
    CloseHandle(k->ev);
    return 0;
}

static void key_ist_counts_falling_edges(void **state)
{
    (void)state;
    NEEDS_TRAPS();
    boot_virtual();
    struct keys k;
    memset(&k, 0, sizeof k);
    PHYSICAL_ADDRESS pa = {{0x7F008900, 0}};
    k.eint = MmMapIoSpace(pa, sizeof *k.eint, FALSE);
    DWORD irq = 64;
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &irq, 4, &k.sysintr, 4, NULL));
    assert_int_equal(k.sysintr, 19);
    assert_int_equal(cevm_pin_set("GPIO", "KEY0", 1), CEVM_OK); /* released (pulled up) */
    k.ready = CreateEvent(NULL, TRUE, FALSE, NULL);
    HANDLE t = CreateThread(NULL, 0, key_ist, &k, 0, NULL);
    assert_int_equal(WaitForSingleObject(k.ready, INFINITE), WAIT_OBJECT_0);
    assert_int_equal(k.eint->EINT0MASK & 1, 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(cevm_pin_set("GPIO", "KEY0", 0), CEVM_OK); /* press: falling edge */
        assert_int_equal(cevm_clock_advance_ms(20), CEVM_OK);
        assert_int_equal(cevm_pin_set("GPIO", "KEY0", 1), CEVM_OK); /* release: rising */
        assert_int_equal(cevm_clock_advance_ms(20), CEVM_OK);
    }
    assert_int_equal(k.presses, 5);
    /* KEY1 shares the pair's trigger but its EINT stays masked: no interrupt for EINT0. */
    assert_int_equal(cevm_pin_set("GPIO", "KEY1", 1), CEVM_OK);
    assert_int_equal(cevm_pin_set("GPIO", "KEY1", 0), CEVM_OK);
    assert_int_equal(cevm_clock_advance_ms(1), CEVM_OK);
    assert_int_equal(k.presses, 5);
    assert_int_equal(k.eint->EINT0PEND & 2, 2); /* pending latches while masked */
    k.stop = TRUE;
    assert_true(SetInterruptEvent(k.sysintr));
    assert_int_equal(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
    CloseHandle(t);
    CloseHandle(k.ready);
    assert_int_equal(k.eint->EINT0MASK & 1, 1); /* InterruptDisable masked it again */
    MmUnmapIoSpace(k.eint, sizeof *k.eint);
}

/* A level-triggered source pends again after a clear while the level lasts. */
static void level_trigger_repends_while_held(void **state)
{
    (void)state;
    NEEDS_TRAPS();
    PHYSICAL_ADDRESS pa = {{0x7F008900, 0}};
    EINT_REG *e = MmMapIoSpace(pa, sizeof *e, FALSE);
    assert_int_equal(cevm_pin_set("GPIO", "KEY2", 1), CEVM_OK);
    e->EINT0CON0 = 1u << 4; /* EINT2/3: high level */
    e->EINT0PEND = 0xFFFFFFFF;
    assert_int_equal(e->EINT0PEND & 0x4, 0x4); /* still high: pending again at once */
    assert_int_equal(cevm_pin_set("GPIO", "KEY2", 0), CEVM_OK);
    e->EINT0PEND = 0x4;
    assert_int_equal(e->EINT0PEND & 0x4, 0);
    MmUnmapIoSpace(e, sizeof *e);
}

/* ---- a PWM timer driver ------------------------------------------------------------------- */

typedef struct {
    volatile ULONG TCFG0, TCFG1, TCON, TCNTB0, TCMPB0, TCNTO0, TCNTB1, TCMPB1, TCNTO1;
    volatile ULONG TCNTB2, TCMPB2, TCNTO2, TCNTB3, TCMPB3, TCNTO3, TCNTB4, TCNTO4, TINT_CSTAT;
} PWM_REG;

struct ticker {
    PWM_REG *pwm;
    DWORD sysintr;
    HANDLE ev, ready;
    volatile BOOL stop;
    DWORD ticks;
};

static DWORD WINAPI timer_ist(LPVOID arg)
{
    struct ticker *t = arg;
    t->ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    if (!InterruptInitialize(t->sysintr, t->ev, NULL, 0))
        return 1;
    /* 66.5 MHz / (65 + 1) / 2 = 503787.87 Hz: 504 ticks ≈ 1 ms; use 1/16 and 4156 for 1 ms. */
    t->pwm->TCFG0 = (t->pwm->TCFG0 & ~0xFFu) | 0;  /* prescaler 0: /1 */
    t->pwm->TCFG1 = (t->pwm->TCFG1 & ~0xFu) | 0x4; /* mux 1/16: 4.15625 MHz */
    t->pwm->TCNTB0 = 4156 - 1;                     /* period TCNTB + 1 = 4156 ticks: 1 ms */
    t->pwm->TCON = (t->pwm->TCON & ~0x1Fu) | 0x2;  /* manual update */
    t->pwm->TCON = (t->pwm->TCON & ~0x1Fu) | 0x9;  /* start, auto-reload */
    t->pwm->TINT_CSTAT = (t->pwm->TINT_CSTAT & 0x1F) | 0x1;
    SetEvent(t->ready);
    while (WaitForSingleObject(t->ev, INFINITE) == WAIT_OBJECT_0 && !t->stop) {
        t->ticks++;
        t->pwm->TINT_CSTAT = (t->pwm->TINT_CSTAT & 0x1F) | (1u << 5); /* w1c: only timer 0 */
        InterruptDone(t->sysintr);
    }
    t->pwm->TCON &= ~0x1u;
    InterruptDisable(t->sysintr);
    CloseHandle(t->ev);
    return 0;
}

static void timer_ist_ticks_at_its_period(void **state)
{
    (void)state;
    NEEDS_TRAPS();
    boot_virtual();
    struct ticker t;
    memset(&t, 0, sizeof t);
    PHYSICAL_ADDRESS pa = {{0x7F006000, 0}};
    t.pwm = MmMapIoSpace(pa, sizeof *t.pwm, FALSE);
    t.sysintr = 17; /* the board's static mapping of TIMER0 (IRQ 23) */
    t.ready = CreateEvent(NULL, TRUE, FALSE, NULL);
    HANDLE th = CreateThread(NULL, 0, timer_ist, &t, 0, NULL);
    assert_int_equal(WaitForSingleObject(t.ready, INFINITE), WAIT_OBJECT_0);
    uint64_t start = cevm_clock_now_ns();
    assert_int_equal(cevm_clock_advance_ms(100), CEVM_OK);
    assert_int_equal(t.ticks, 100);
    /* The counter counts down between interrupts. */
    assert_int_equal(cevm_clock_advance_ns(500000), CEVM_OK); /* half a period */
    ULONG c = t.pwm->TCNTO0;
    assert_true(c > 2000 && c < 2200);
    assert_true(cevm_clock_now_ns() - start == 100500000ull);
    t.stop = TRUE;
    assert_int_equal(cevm_clock_advance_ms(1), CEVM_OK);
    assert_int_equal(WaitForSingleObject(th, INFINITE), WAIT_OBJECT_0);
    CloseHandle(th);
    CloseHandle(t.ready);
    assert_int_equal(t.ticks, 100);
    /* Stopped: no more interrupts, the count stays. */
    ULONG stopped = t.pwm->TCNTO0;
    assert_int_equal(cevm_clock_advance_ms(10), CEVM_OK);
    assert_int_equal(t.pwm->TCNTO0, stopped);
    MmUnmapIoSpace(t.pwm, sizeof *t.pwm);
}

/* The same driver gives the same count in every run (checked by running it twice here). */
static void timer_count_is_the_same_every_run(void **state)
{
    (void)state;
    NEEDS_TRAPS();
    DWORD counts[2];
    for (int run = 0; run < 2; run++) {
        boot_virtual();
        struct ticker t;
        memset(&t, 0, sizeof t);
        PHYSICAL_ADDRESS pa = {{0x7F006000, 0}};
        t.pwm = MmMapIoSpace(pa, sizeof *t.pwm, FALSE);
        t.sysintr = 17;
        t.ready = CreateEvent(NULL, TRUE, FALSE, NULL);
        HANDLE th = CreateThread(NULL, 0, timer_ist, &t, 0, NULL);
        WaitForSingleObject(t.ready, INFINITE);
        Sleep(37); /* the main thread waits: the clock runs the timer meanwhile */
        counts[run] = t.ticks;
        t.stop = TRUE;
        Sleep(2);
        WaitForSingleObject(th, INFINITE);
        CloseHandle(th);
        CloseHandle(t.ready);
        MmUnmapIoSpace(t.pwm, sizeof *t.pwm);
    }
    assert_int_equal(counts[0], 37);
    assert_int_equal(counts[1], 37);
}

/* ---- the watchdog -------------------------------------------------------------------------- */

static void watchdog_counts_and_interrupts(void **state)
{
    (void)state;
    NEEDS_TRAPS();
    boot_virtual();
    PHYSICAL_ADDRESS pa = {{0x7E004000, 0}};
    volatile ULONG *wdt = MmMapIoSpace(pa, 16, FALSE);
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    assert_true(InterruptInitialize(18, ev, NULL, 0));
    /* prescaler 65, divider 16 (66.5 MHz / 66 / 16 = 62973 Hz): 63 ticks ≈ 1 ms. */
    wdt[1] = 629;                     /* WTDAT */
    wdt[2] = 629;                     /* WTCNT */
    wdt[0] = (65u << 8) | 0x20 | 0x4; /* enable, interrupt, no reset */
    assert_int_equal(WaitForSingleObject(ev, 5), WAIT_TIMEOUT);
    assert_true(wdt[2] < 629 && wdt[2] > 300); /* counting down */
    assert_int_equal(WaitForSingleObject(ev, 20), WAIT_OBJECT_0);
    uint64_t t = cevm_clock_now_ns();
    assert_true(t > 9900000ull && t < 10100000ull); /* 630 ticks of 15.88 us: 10.0 ms */
    wdt[3] = 0;                                     /* WTCLRINT */
    InterruptDone(18);
    assert_int_equal(WaitForSingleObject(ev, 11), WAIT_OBJECT_0); /* reloaded from WTDAT */
    wdt[0] = 0;
    InterruptDisable(18);
    CloseHandle(ev);
    MmUnmapIoSpace((PVOID)wdt, 16);
}

/* A board whose watchdog runs from reset (its timer is armed while the board boots), on the
 * virtual clock the board itself asks for. */
static void a_timer_running_from_reset_fires_on_the_boards_virtual_clock(void **state)
{
    (void)state;
    static const char board[] = "ram      DRAM 0x50000000 16M\n"
                                "device   WDT  0x7E004000 0x1000 regfile\n"
                                "clock    virtual\n"
                                "model    WDT  wdt\n"
                                "register WDT  WTCON    0x00 32 rw 0x0024\n" /* on, IRQ, no reset */
                                "register WDT  WTDAT    0x04 32 rw 0x0100\n"
                                "register WDT  WTCNT    0x08 32 rw 0x0100\n"
                                "register WDT  WTCLRINT 0x0C 32 wo 0\n"
                                "irq 26 WDT WDT WTCLRINT 0x1 enable=WTCON:0x4 sysintr=18\n"
                                "oem      0x80000000 0x50000000 16 DRAM\n"
                                "oem      0x92A00000 0x7E000000 1  WDT\n";
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = board;
    char err[256];
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    assert_true(cevm_clock_virtual());
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    assert_true(InterruptInitialize(18, ev, NULL, 0));
    /* PCLK 66.5 MHz / (0 + 1) / 16: 257 ticks of 240.6 ns = 61.8 us */
    assert_int_equal(WaitForSingleObject(ev, 1), WAIT_OBJECT_0);
    uint64_t t = cevm_clock_now_ns();
    assert_true(t > 61000 && t < 62500);
    InterruptDisable(18);
    CloseHandle(ev);
}

/* ---- C models drive lines ------------------------------------------------------------------- */

static void c_model_drives_a_line(void **state)
{
    (void)state;
    assert_int_equal(cevm_irq_set(37, 1), CEVM_E_STATE); /* a board line follows registers */
    assert_int_equal(cevm_irq_set(128, 1), CEVM_E_INVAL);
    assert_int_equal(cevm_irq_set(90, 2), CEVM_E_INVAL);
    DWORD irq = 90, id = 0;
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &irq, 4, &id, 4, NULL));
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    assert_true(InterruptInitialize(id, ev, NULL, 0));
    assert_int_equal(cevm_irq_set(90, 1), CEVM_OK);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    InterruptDone(id); /* still asserted: fires again at once */
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    assert_int_equal(cevm_irq_set(90, 0), CEVM_OK);
    InterruptDone(id);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    /* InterruptMask holds it back while keeping the binding. */
    InterruptMask(id, TRUE);
    assert_int_equal(cevm_irq_set(90, 1), CEVM_OK);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    InterruptMask(id, FALSE);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    InterruptDisable(id);
    CloseHandle(ev);
}

/* ---- DMA ----------------------------------------------------------------------------------- */

static void common_buffer_is_contiguous_uncached_and_seen_by_bus_masters(void **state)
{
    (void)state;
    DMA_ADAPTER_OBJECT ad = {sizeof ad, Internal, 0};
    PHYSICAL_ADDRESS la;
    BYTE *va = HalAllocateCommonBuffer(&ad, 3 * 4096 + 100, &la, TRUE);
    assert_non_null(va);
    assert_int_equal(la.HighPart, 0);
    /* Contiguous: each page's frame follows the previous one. */
    DWORD pfns[4];
    assert_true(LockPages(va, 4 * 4096, pfns, LOCKFLAG_QUERY_ONLY));
    for (int i = 1; i < 4; i++)
        assert_int_equal(pfns[i], pfns[0] + (DWORD)i * 4096);
    assert_int_equal(pfns[0], la.LowPart);
    /* Uncached whatever was asked. */
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(va, &mbi, sizeof mbi), sizeof mbi);
    assert_true(mbi.Protect & PAGE_NOCACHE);
    /* A bus master sees what the driver wrote, and the driver what it wrote. */
    memcpy(va + 4000, "descriptor", 11);
    char seen[11];
    assert_int_equal(cevm_phys_read(la.LowPart + 4000, seen, sizeof seen), CEVM_OK);
    assert_string_equal(seen, "descriptor");
    assert_int_equal(cevm_phys_write(la.LowPart + 8192, "done", 5), CEVM_OK);
    assert_string_equal((char *)va + 8192, "done");
    assert_int_equal(cevm_phys_read(0x7F005000, seen, 4), CEVM_E_NOTFOUND); /* not RAM */
    assert_int_equal(cevm_phys_read(la.LowPart, NULL, 4), CEVM_E_INVAL);
    PHYSICAL_ADDRESS sys;
    assert_true(HalTranslateSystemAddress(Internal, 0, la, &sys));
    assert_true(sys.QuadPart == la.QuadPart);
    assert_error(!HalTranslateSystemAddress(Internal, 0, la, NULL), ERROR_INVALID_PARAMETER);
    HalFreeCommonBuffer(&ad, 3 * 4096 + 100, la, va, TRUE);
    assert_int_equal(VirtualQuery(va, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.State, MEM_FREE);
    /* Bad adapters. */
    DMA_ADAPTER_OBJECT bad = {3, Internal, 0};
    assert_error(HalAllocateCommonBuffer(&bad, 4096, &la, FALSE) == NULL, ERROR_INVALID_PARAMETER);
    assert_error(HalAllocateCommonBuffer(NULL, 4096, &la, FALSE) == NULL, ERROR_INVALID_PARAMETER);
    assert_error(HalAllocateCommonBuffer(&ad, 4096, NULL, FALSE) == NULL, ERROR_INVALID_PARAMETER);
}

/* A driver's descriptor setup on the PL080S: a two-item linked list in a common buffer moves
 * two blocks, and the terminal-count interrupt arrives through the SYSINTR of IRQ 41. */
typedef struct {
    volatile ULONG SrcAddr, DestAddr, LLI, Control, Control2, Configuration, pad[2];
} DMAC_CH;

typedef struct {
    volatile ULONG IntStatus, IntTCStatus, IntTCClear, IntErrorStatus, IntErrClr, RawIntTCStatus;
    volatile ULONG RawIntErrorStatus, EnbldChns, SoftBReq, SoftSReq, SoftLBReq, SoftLSReq;
    volatile ULONG Configuration, Sync, pad[50];
    DMAC_CH ch[8];
} DMAC_REG;

typedef struct {
    ULONG src, dst, next, control, control2;
} DMA_LLI;

#define CTL_WORDS (2u << 18 | 2u << 21 | 1u << 26 | 1u << 27) /* 32-bit, both incrementing */

static void dma_descriptor_chain_moves_blocks_and_interrupts(void **state)
{
    (void)state;
    NEEDS_TRAPS();
    PHYSICAL_ADDRESS pa = {{0x75000000, 0}};
    DMAC_REG *dmac = MmMapIoSpace(pa, sizeof *dmac, FALSE);
    assert_non_null(dmac);
    DMA_ADAPTER_OBJECT ad = {sizeof ad, Internal, 0};
    PHYSICAL_ADDRESS la;
    BYTE *buf = HalAllocateCommonBuffer(&ad, 3 * 4096, &la, FALSE);
    assert_non_null(buf);
    ULONG base = la.LowPart;
    for (int i = 0; i < 1024; i++) /* source blocks at +0 (256 bytes) and +1024 (64 bytes) */
        buf[i] = (BYTE)(i * 7);
    DMA_LLI *lli = (DMA_LLI *)(buf + 8192);
    lli->src = base + 1024;
    lli->dst = base + 4096 + 512;
    lli->next = 0;
    lli->control = CTL_WORDS | 1u << 31; /* the last item asks for the interrupt */
    lli->control2 = 16;                  /* 16 words */
    DWORD irq = 41, sysintr = 0;
    assert_true(KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &irq, 4, &sysintr, 4, NULL));
    HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
    assert_true(InterruptInitialize(sysintr, ev, NULL, 0));
    dmac->Configuration = 1; /* controller on */
    dmac->ch[0].SrcAddr = base;
    dmac->ch[0].DestAddr = base + 4096;
    dmac->ch[0].LLI = base + 8192;
    dmac->ch[0].Control = CTL_WORDS;
    dmac->ch[0].Control2 = 64;                           /* 64 words: 256 bytes */
    dmac->ch[0].Configuration = 1u << 15 | 1u << 14 | 1; /* TC and error unmasked, enable */
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    assert_memory_equal(buf + 4096, buf, 256);
    assert_memory_equal(buf + 4096 + 512, buf + 1024, 64);
    assert_int_equal(buf[4096 + 256], 0); /* nothing past the first block */
    assert_int_equal(dmac->IntTCStatus, 1);
    assert_int_equal(dmac->IntStatus, 1);
    assert_int_equal(dmac->EnbldChns, 0);
    assert_int_equal(dmac->ch[0].Configuration & 1, 0);
    assert_int_equal(dmac->ch[0].LLI, 0);
    dmac->IntTCClear = 1;
    assert_int_equal(dmac->RawIntTCStatus, 0);
    InterruptDone(sysintr);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
    /* A source outside RAM stops the channel with an error interrupt. */
    dmac->ch[1].SrcAddr = 0x7F005000;
    dmac->ch[1].DestAddr = base + 4096;
    dmac->ch[1].LLI = 0;
    dmac->ch[1].Control = CTL_WORDS | 1u << 31;
    dmac->ch[1].Control2 = 4;
    dmac->ch[1].Configuration = 1u << 15 | 1u << 14 | 1;
    assert_int_equal(dmac->RawIntErrorStatus, 2);
    assert_int_equal(dmac->IntStatus, 2);
    assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    dmac->IntErrClr = 2;
    assert_int_equal(dmac->IntStatus, 0);
    InterruptDone(sysintr);
    /* With the controller off nothing moves. */
    dmac->Configuration = 0;
    memset(buf + 4096, 0, 256);
    dmac->ch[0].Control2 = 64;
    dmac->ch[0].LLI = 0;
    dmac->ch[0].SrcAddr = base;
    dmac->ch[0].DestAddr = base + 4096;
    dmac->ch[0].Configuration = 1;
    assert_int_equal(buf[4097], 0);
    assert_int_equal(dmac->EnbldChns, 1);
    dmac->ch[0].Configuration = 0;
    InterruptDisable(sysintr);
    CloseHandle(ev);
    HalFreeCommonBuffer(&ad, 3 * 4096, la, buf, FALSE);
    MmUnmapIoSpace(dmac, sizeof *dmac);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(virtual_clock_moves_only_when_asked_or_all_wait),
    CE_TEST(virtual_clock_orders_threads_by_deadline),
    CE_TEST(real_clock_sleeps_and_times_out),
    CE_TEST(sleep_infinite_ends_with_resume_thread),
    CE_TEST(request_sysintr_follows_the_mapping_rules),
    CE_TEST(interrupt_calls_check_their_arguments),
    CE_TEST(interrupt_event_takes_one_waiter),
    CE_TEST(uart_ist_echoes_fed_bytes),
    CE_TEST(no_interrupt_done_no_further_interrupts),
    CE_TEST(unload_reports_a_masked_sysintr),
    CE_TEST(uart_error_and_modem_sources),
    CE_TEST(vic_shows_and_takes_the_oal_state),
    CE_TEST(key_ist_counts_falling_edges),
    CE_TEST(level_trigger_repends_while_held),
    CE_TEST(timer_ist_ticks_at_its_period),
    CE_TEST(timer_count_is_the_same_every_run),
    CE_TEST(watchdog_counts_and_interrupts),
    CE_TEST(a_timer_running_from_reset_fires_on_the_boards_virtual_clock),
    CE_TEST(c_model_drives_a_line),
    CE_TEST(common_buffer_is_contiguous_uncached_and_seen_by_bus_masters),
    CE_TEST(dma_descriptor_chain_moves_blocks_and_interrupts),
};

CETEST_MAIN(tests)
