/*
 * test_drivers.c — the driver host running the example drivers (examples/drivers/) and a
 * misbehaving one (tests/drivers/bad.c) against the default board's device models: register
 * state, GPIO pins, UART bytes, the self-clearing FIFO reset ending a spin-wait, the Active key,
 * and one clear message for every failure (missing entry point, failing Init, faults, accesses
 * to undeclared registers and unimplemented devices, leftovers at unload).
 *
 * The drivers keep pointers in DWORDs, as CE drivers do, so these cases run in the identity
 * window only (docs/porting.md).
 */
#include <sys/wait.h>
#include <unistd.h>

#include "cetest.h"
#include "ceddk.h"

#include <devload.h>

#include "../examples/drivers/led.h"
#include "../examples/drivers/uart.h"

#define LED_LIB     cetest_driver("led") /* the build for the running profile */
#define UART_LIB    cetest_driver("uart")
#define BAD_LIB     CEVM_TEST_DRIVER_DIR "/libbad.so"
#define NOENTRY_LIB CEVM_TEST_DRIVER_DIR "/libnoentry.so"

static char g_err[512];

/* Boot the examples' board (the default board plus examples/drivers/drivers.reg). */
static void boot_examples(const char *board_text)
{
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.window = CEVM_WINDOW_AUTO; /* $CEVM_WINDOW: ctest runs every case in both */
    cfg.board_path = board_text ? NULL : CEVM_SOURCE_DIR "/examples/drivers/board";
    cfg.board_text = board_text;
    assert_int_equal(cevm_boot(&cfg, g_err, sizeof g_err), CEVM_OK);
    cevm_set_unimplemented_log(0);
}

static uint32_t reg(const char *dev, const char *name)
{
    uint32_t v = 0xDEADBEEF;
    assert_int_equal(cevm_device_get(dev, name, &v), CEVM_OK);
    return v;
}

static int pin(const char *name)
{
    int level = -1;
    assert_int_equal(cevm_pin_get("GPIO", name, &level), CEVM_OK);
    return level;
}

static void led_driver_drives_gpio_outputs(void **state)
{
    (void)state;
    boot_examples(NULL);
    cevm_driver *d;
    assert_int_equal(cevm_driver_load(LED_LIB, "Drivers\\BuiltIn\\LED", &d, g_err, sizeof g_err),
                     CEVM_OK);
    assert_string_equal(cevm_driver_name(d), "LED1:");
    /* Init configured GPM0-3 as outputs through its struct pointer, LEDs off. */
    assert_int_equal(reg("GPIO", "GPMCON"), 0x00221111u);
    uint32_t h;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, g_err, sizeof g_err), CEVM_OK);
    uint32_t n = 0;
    BYTE five = 0x5;
    assert_int_equal(cevm_device_log("GPIO", 1), CEVM_OK);
    uint64_t logged = cevm_device_log_read("GPIO", NULL, 0);
    assert_int_equal(cevm_driver_write(d, h, &five, 1, &n, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(n, 1);
    /* The struct-pointer read-modify-write of GPMDAT: a raw read and a raw write (on a plain
     * file, without Capstone, the write the end-of-call sync finds), each naming the entry point
     * it happened in. */
    cevm_device_access acc[8];
    uint64_t total = cevm_device_log_read("GPIO", acc, 8);
#if defined(CEVM_TEST_HAVE_CAPSTONE)
    assert_true(total - logged >= 2);
#else
    assert_true(total - logged >= 1);
#endif
    for (uint64_t i = logged; i < total && i < 8; i++) {
        assert_true(acc[i].raw);
        assert_string_equal(acc[i].context, "LED_Write of driver 'LED1:'");
    }
    assert_int_equal(cevm_device_log("GPIO", 0), CEVM_OK);
    assert_int_equal(pin("LED0"), 1);
    assert_int_equal(pin("LED1"), 0);
    assert_int_equal(pin("LED2"), 1);
    assert_int_equal(pin("LED3"), 0);
    DWORD mask = 0xA, got = 0, ret = 0;
    int ok = 0;
    assert_int_equal(
        cevm_driver_ioctl(d, h, IOCTL_LED_SET, &mask, 4, NULL, 0, NULL, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_true(ok);
    assert_int_equal(reg("GPIO", "GPMDAT") & 0xF, 0xA);
    assert_int_equal(
        cevm_driver_ioctl(d, h, IOCTL_LED_GET, NULL, 0, &got, 4, &ret, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_true(ok && ret == 4 && got == 0xA);
    /* Keys are inputs a test drives; the driver reads them through its mapping. */
    assert_int_equal(cevm_pin_set("GPIO", "KEY1", 1), CEVM_OK);
    assert_int_equal(cevm_pin_set("GPIO", "KEY4", 1), CEVM_OK);
    assert_int_equal(
        cevm_driver_ioctl(d, h, IOCTL_LED_KEYS, NULL, 0, &got, 4, &ret, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_int_equal(got, 0x12);
    /* An unknown code: FALSE with the driver's error. */
    assert_int_equal(
        cevm_driver_ioctl(d, h, 0x1234, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err), CEVM_OK);
    assert_false(ok);
    assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);
    BYTE b = 0xFF;
    assert_int_equal(cevm_driver_read(d, h, &b, 1, &n, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(b, 0xA);
    assert_int_equal(cevm_driver_close(d, h, &ok, g_err, sizeof g_err), CEVM_OK);
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(rep.regions, 0);
    assert_int_equal(rep.heap_blocks, 0);
    assert_string_equal(rep.text, "");
    assert_int_equal(pin("LED1") | pin("LED3"), 0); /* Deinit switched them off */
}

static void uart_driver_sends_receives_and_resets_fifos(void **state)
{
    (void)state;
    boot_examples(NULL);
    assert_int_equal(cevm_device_log("UART", 1), CEVM_OK);
    cevm_driver *d;
    assert_int_equal(
        cevm_driver_load(UART_LIB, "Drivers\\BuiltIn\\Serial", &d, g_err, sizeof g_err), CEVM_OK);
    /* The self-clearing reset bits ended Init's spin-wait: written 0x7, reads back 0x1. */
    assert_int_equal(reg("UART", "UFCON0"), 0x1);
    assert_int_equal(reg("UART", "ULCON0"), 0x3);
    assert_int_equal(reg("UART", "UBRDIV0"), 34);
    cevm_device_access log[256];
    uint64_t total = cevm_device_log_read("UART", log, 256);
    int wrote = 0, read_back = 0;
    for (uint64_t i = 0; i < total && i < 256; i++) {
        if (log[i].offset == 0x08 && log[i].write && log[i].value == 0x7)
            wrote = 1;
        if (wrote && log[i].offset == 0x08 && !log[i].write && log[i].value == 0x1)
            read_back = 1;
        assert_int_equal(log[i].width, 4); /* OUTREG32/INREG32: one 32-bit access each */
        assert_int_equal(log[i].raw, 0);
    }
    assert_true(wrote && read_back);
    uint32_t h, n = 0;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(cevm_driver_write(d, h, "hello\r\n", 7, &n, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(n, 7);
    char out[16] = {0};
    assert_int_equal(cevm_uart_take("UART", 0, out, sizeof out), 7);
    assert_string_equal(out, "hello\r\n");
    assert_int_equal(cevm_uart_take("UART", 0, out, sizeof out), 0);
    assert_int_equal(cevm_uart_give("UART", 0, "ok!", 3), CEVM_OK);
    DWORD count = 0;
    int ok = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, IOCTL_COM_RX_COUNT, NULL, 0, &count, 4, NULL, &ok,
                                       g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    assert_int_equal(count, 3);
    char in[8] = {0};
    assert_int_equal(cevm_driver_read(d, h, in, 8, &n, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(in, "ok!", 3);
    assert_int_equal(cevm_driver_close(d, h, &ok, g_err, sizeof g_err), CEVM_OK);
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
    assert_string_equal(rep.text, "");
    assert_int_equal(reg("UART", "UCON0"), 0);
}

/* Without selfclear on UFCON0 the reset bits stay set: the driver's bounded spin gives up and
 * Init fails, so the self-clearing declaration is what ends the wait above. */
static void uart_spin_wait_needs_the_self_clearing_bits(void **state)
{
    (void)state;
    static const char board[] = "ram    DRAM  0x50000000 16M\n"
                                "device UART  0x7F005000 0x1000 regfile\n"
                                "model  UART  uart\n"
                                "register UART UFCON0 0x08 32 rw 0\n"
                                "oem    0x80000000 0x50000000 16 DRAM\n"
                                "oem    0x92B00000 0x7F000000 1  peripherals\n"
                                "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Serial]\n"
                                "  \"Prefix\"=\"COM\"\n"
                                "  \"MemBase\"=dword:7F005000\n"
                                "  \"MemLen\"=dword:400\n";
    boot_examples(board);
    cevm_driver *d = (cevm_driver *)1;
    assert_int_equal(
        cevm_driver_load(UART_LIB, "Drivers\\BuiltIn\\Serial", &d, g_err, sizeof g_err),
        CEVM_E_DRIVER);
    assert_null(d);
    assert_non_null(strstr(g_err, "COM_Init(\"Drivers\\Active\\01\") returned 0"));
    assert_non_null(strstr(g_err, "ERROR_GEN_FAILURE"));
    assert_int_equal(reg("UART", "UFCON0"), 0x7);
    /* Nothing stays behind: no Active key. */
    HKEY k;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\Active\\01"), 0, 0, &k),
                     ERROR_FILE_NOT_FOUND);
}

static void active_key_points_at_the_builtin_key(void **state)
{
    (void)state;
    boot_examples(NULL);
    cevm_driver *d;
    assert_int_equal(cevm_driver_load(LED_LIB, "Drivers\\BuiltIn\\LED", &d, g_err, sizeof g_err),
                     CEVM_OK);
    assert_string_equal(cevm_driver_active_key(d), "Drivers\\Active\\01");
    HKEY dev = OpenDeviceKey(TEXT("Drivers\\Active\\01"));
    assert_non_null(dev);
    WCHAR prefix[8];
    DWORD size = sizeof prefix, type = 0;
    assert_int_equal(RegQueryValueEx(dev, TEXT("Prefix"), NULL, &type, (LPBYTE)prefix, &size),
                     ERROR_SUCCESS);
    assert_int_equal(type, REG_SZ);
    assert_memory_equal(prefix, TEXT("LED"), 4 * sizeof(WCHAR));
    RegCloseKey(dev);
    /* A second driver gets the next Active key. */
    cevm_driver *d2;
    assert_int_equal(
        cevm_driver_load(UART_LIB, "Drivers\\BuiltIn\\Serial", &d2, g_err, sizeof g_err), CEVM_OK);
    assert_string_equal(cevm_driver_active_key(d2), "Drivers\\Active\\02");
    assert_int_equal(cevm_driver_unload(d2, NULL, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
    assert_error(OpenDeviceKey(TEXT("Drivers\\Active\\01")) == NULL, ERROR_FILE_NOT_FOUND);
    assert_error(OpenDeviceKey(NULL) == NULL, ERROR_INVALID_PARAMETER);
}

static void register_bad_driver(int fail_init)
{
    HKEY k;
    assert_int_equal(RegCreateKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\BuiltIn\\Bad"), 0, NULL, 0,
                                    0, NULL, &k, NULL),
                     ERROR_SUCCESS);
    static const WCHAR bad[] = TEXT("BAD");
    assert_int_equal(RegSetValueEx(k, TEXT("Prefix"), 0, REG_SZ, (const BYTE *)bad, sizeof bad),
                     ERROR_SUCCESS);
    if (fail_init) {
        DWORD one = 1;
        RegSetValueEx(k, TEXT("FailInit"), 0, REG_DWORD, (const BYTE *)&one, 4);
    }
    RegCloseKey(k);
}

static void load_errors_name_the_cause(void **state)
{
    (void)state;
    boot_examples(NULL);
    cevm_driver *d;
    assert_int_equal(cevm_driver_load(LED_LIB, "Drivers\\BuiltIn\\Nope", &d, g_err, sizeof g_err),
                     CEVM_E_NOTFOUND);
    assert_non_null(strstr(g_err, "no registry key HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Nope"));
    assert_int_equal(
        cevm_driver_load("/nonexistent/lib.so", "Drivers\\BuiltIn\\LED", &d, g_err, sizeof g_err),
        CEVM_E_NOTFOUND);
    assert_non_null(strstr(g_err, "cannot load /nonexistent/lib.so"));
    register_bad_driver(0);
    assert_int_equal(
        cevm_driver_load(NOENTRY_LIB, "Drivers\\BuiltIn\\Bad", &d, g_err, sizeof g_err),
        CEVM_E_UNSUPPORTED);
    assert_non_null(strstr(g_err, "missing entry point BAD_Deinit"));
    /* The LED library has no BAD_ entry points at all. */
    assert_int_equal(cevm_driver_load(LED_LIB, "Drivers\\BuiltIn\\Bad", &d, g_err, sizeof g_err),
                     CEVM_E_UNSUPPORTED);
    assert_non_null(strstr(g_err, "missing entry point BAD_Init"));
    register_bad_driver(1);
    assert_int_equal(cevm_driver_load(BAD_LIB, "Drivers\\BuiltIn\\Bad", &d, g_err, sizeof g_err),
                     CEVM_E_DRIVER);
    assert_non_null(strstr(g_err, "BAD_Init(\"Drivers\\Active\\01\") returned 0"));
    assert_non_null(strstr(g_err, "ERROR_FILE_NOT_FOUND"));
    /* A library that calls what cevm does not provide: every such symbol is named. */
    assert_int_equal(cevm_driver_load(CEVM_TEST_DRIVER_DIR "/libmissing.so",
                                      "Drivers\\BuiltIn\\Bad", &d, g_err, sizeof g_err),
                     CEVM_E_UNSUPPORTED);
    assert_non_null(strstr(g_err, "FindFirstDevice (planned: device manager)"));
    assert_non_null(strstr(g_err, "VendorBoardRevision (not planned)"));
}

static cevm_driver *load_bad(uint32_t *h)
{
    boot_examples(NULL);
    register_bad_driver(0);
    cevm_driver *d;
    assert_int_equal(cevm_driver_load(BAD_LIB, "Drivers\\BuiltIn\\Bad", &d, g_err, sizeof g_err),
                     CEVM_OK);
    assert_int_equal(cevm_driver_open(d, 0, 0, h, g_err, sizeof g_err), CEVM_OK);
    return d;
}

static void fault_in_a_driver_call_is_reported(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_bad(&h);
    int ok;
    assert_int_equal(cevm_driver_ioctl(d, h, 1, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err),
                     CEVM_E_DRIVER);
    assert_non_null(strstr(g_err, "driver 'BAD1:'"));
    assert_non_null(strstr(g_err, "access violation in BAD_IOControl: write at address 0x"));
    assert_non_null(strstr(g_err, "not committed"));
    /* The driver is now unusable, and unload says Deinit was skipped. */
    assert_int_equal(cevm_driver_ioctl(d, h, 2, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err),
                     CEVM_E_STATE);
    assert_non_null(strstr(g_err, "faulted in BAD_IOControl earlier"));
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_E_DRIVER);
    assert_non_null(strstr(rep.text, "BAD_Deinit was not called"));
    assert_int_equal(rep.regions, 1); /* the reservation the driver made before faulting */
}

static void wild_pointer_in_a_driver_is_reported(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_bad(&h);
    int ok;
    DWORD out;
    assert_int_equal(cevm_driver_ioctl(d, h, 4, NULL, 0, &out, 4, NULL, &ok, g_err, sizeof g_err),
                     CEVM_E_DRIVER);
    assert_non_null(strstr(g_err, "access violation in BAD_IOControl"));
    assert_non_null(strstr(g_err, "outside the CE address space"));
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_E_DRIVER);
}

static void undeclared_register_access_names_the_driver_call(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_bad(&h);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    int ok = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, 2, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    cevm_unimplemented_access a[4];
    uint64_t total = cevm_unimplemented_accesses(a, 1);
    assert_true(total == before + 1);
    assert_int_equal(a[0].undeclared, 1);
    assert_string_equal(a[0].device, "GPIO");
    assert_int_equal(a[0].offset, 0x940);
    assert_true(a[0].pa == 0x7F008940ull && a[0].write);
    assert_string_equal(a[0].context, "BAD_IOControl of driver 'BAD1:'");
    assert_int_equal(cevm_driver_close(d, h, &ok, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
}

static void unimplemented_device_access_names_the_driver_call(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_bad(&h);
    int ok = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, 3, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    cevm_unimplemented_access a;
    cevm_unimplemented_accesses(&a, 1);
    assert_int_equal(a.undeclared, 0);
    assert_true(a.pa == 0x7F00B008ull && a.write);
    assert_string_equal(a.context, "BAD_IOControl of driver 'BAD1:'");
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
}

static void leftovers_are_reported_at_unload(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_bad(&h);
    int ok = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, 5, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(rep.regions, 1);
    assert_int_equal(rep.heap_blocks, 1);
    assert_non_null(strstr(rep.text, "a mapping of physical memory at physical 0x7F008000"));
    assert_non_null(strstr(rep.text, "1 LocalAlloc block(s) not freed"));
}

/* ---- reports for every way a driver call can die -------------------------------------------- */

/* Run ioctl code on a fresh BAD driver; expect it to fail as CEVM_E_DRIVER. */
static void bad_ioctl_fails(uint32_t code)
{
    uint32_t h;
    cevm_driver *d = load_bad(&h);
    int ok;
    assert_int_equal(
        cevm_driver_ioctl(d, h, code, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err),
        CEVM_E_DRIVER);
    cevm_driver_report rep;
    char err2[256];
    assert_int_equal(cevm_driver_unload(d, &rep, err2, sizeof err2), CEVM_E_DRIVER);
    assert_non_null(strstr(rep.text, "BAD_Deinit was not called"));
}

static void divide_by_zero_is_reported_with_function_and_line(void **state)
{
    (void)state;
    bad_ioctl_fails(6);
    assert_non_null(strstr(g_err, "driver 'BAD1:'"));
    assert_non_null(strstr(g_err,
                           "EXCEPTION_INT_DIVIDE_BY_ZERO (0xC0000094) in BAD_IOControl: integer "
                           "divide by zero"));
    /* Where: the faulting instruction first, in the driver's module and function, with the
     * source line (libdw), then its callers. */
    assert_non_null(strstr(g_err, "\n  #0 0x"));
    assert_non_null(strstr(g_err, "libbad.so+0x"));
    assert_non_null(strstr(g_err, " divide"));
#if defined(CEVM_TEST_HAVE_LIBDW) && !defined(CETEST_TSAN)
    /* (libdw finds no line tables in ThreadSanitizer builds: docs/debugging.md) */
    assert_non_null(strstr(g_err, "(bad.c:"));
#endif
    assert_non_null(strstr(g_err, "BAD_IOControl"));
}

static void abort_in_a_driver_is_reported(void **state)
{
    (void)state;
    bad_ioctl_fails(7);
    assert_non_null(strstr(g_err, "STATUS_FATAL_APP_EXIT (0x40000015) in BAD_IOControl: abort()"));
    assert_non_null(strstr(g_err, "libbad.so+0x"));
}

static void illegal_instruction_is_reported(void **state)
{
    (void)state;
    bad_ioctl_fails(8);
    assert_non_null(
        strstr(g_err, "EXCEPTION_ILLEGAL_INSTRUCTION (0xC000001D) in BAD_IOControl: illegal"));
}

static void stack_overflow_is_reported(void **state)
{
    (void)state;
    bad_ioctl_fails(9);
    assert_non_null(
        strstr(g_err, "EXCEPTION_STACK_OVERFLOW (0xC00000FD) in BAD_IOControl: stack overflow"));
    assert_non_null(strstr(g_err, " recurse"));
}

/* In a child: load the BAD driver and run ioctl *(uint32_t *)ctx. */
static void bad_ioctl_in_child(void *ctx)
{
    uint32_t h;
    cevm_driver *d = load_bad(&h);
    cevm_driver_set_watchdog(300);
    int ok;
    cevm_driver_ioctl(d, h, *(uint32_t *)ctx, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err);
    _exit(99); /* not reached: the driver exits, or the watchdog ends the run */
}

static void exit_in_a_driver_is_reported(void **state)
{
    (void)state;
    uint32_t code = 10;
    char out[512];
    int status = cetest_run_child(bad_ioctl_in_child, &code, out, sizeof out);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    assert_non_null(
        strstr(out, "cevm: BAD_IOControl of driver 'BAD1:' called exit(3): the process ends\n"));
}

static void thread_running_after_unload_is_reported(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_bad(&h);
    int ok = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, 11, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(rep.threads, 1);
    assert_non_null(strstr(rep.text, "1 thread(s) the driver created still running (the first "
                                     "created in BAD_IOControl of driver 'BAD1:'): the library "
                                     "stays loaded"));
    /* The thread keeps running on mapped code: the process is fine. */
    Sleep(20);
}

struct ioctl_call {
    cevm_driver *d;
    uint32_t h, code;
    int ok;
    cevm_status st;
};

static void run_ioctl(void *ctx)
{
    struct ioctl_call *c = ctx;
    c->st =
        cevm_driver_ioctl(c->d, c->h, c->code, NULL, 0, NULL, 0, NULL, &c->ok, g_err, sizeof g_err);
}

static void second_unmap_of_a_reused_address_is_reported(void **state)
{
    (void)state;
    struct ioctl_call c = {.code = 12};
    c.d = load_bad(&c.h);
    char *said = capture_stderr(run_ioctl, &c);
    assert_int_equal(c.st, CEVM_OK);
    assert_true(c.ok); /* the address was reused, the second unmap released nothing */
    assert_non_null(strstr(said, "cevm: MmUnmapIoSpace(0x"));
    assert_non_null(strstr(said, ") in BAD_IOControl of driver 'BAD1:': this mapping was "
                                 "unmapped already and the address may belong to another "
                                 "reservation now; nothing is released\n"));
    free(said);
    cevm_driver *d = c.d;
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(rep.regions, 0);
}

static void fault_in_a_driver_thread_is_reported(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_bad(&h);
    int ok = 0;
    DWORD code = 0;
    uint32_t ret = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, 13, NULL, 0, &code, 4, &ret, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_int_equal(ret, 0xC0000005u); /* the thread's exit code is the exception code */
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
}

/* Run ioctl code in a child with a short watchdog; return its stderr (malloc'd), *status its
 * exit status. */
static char *hang_in_child(uint32_t code, int *status)
{
    char *out = calloc(1, 8192);
    *status = cetest_run_child(bad_ioctl_in_child, &code, out, 8192);
    return out;
}

static void watchdog_reports_a_driver_loop(void **state)
{
    (void)state;
    int status;
    char *out = hang_in_child(14, &status);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 124);
    assert_non_null(strstr(out, "cevm: watchdog: BAD_IOControl of driver 'BAD1:' has not "
                                "returned after 0.3 s; it is running (not in a CE wait call"));
    assert_non_null(strstr(out, "libbad.so+0x"));
    assert_non_null(strstr(out, "BAD_IOControl"));
    assert_non_null(strstr(out, "cevm: watchdog: ending the run (exit status 124)"));
    free(out);
}

static void watchdog_says_what_a_deadlocked_call_waits_for(void **state)
{
    (void)state;
    int status;
    char *out = hang_in_child(15, &status);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 124);
    assert_non_null(strstr(out, "has not returned after 0.3 s; it is blocked in "
                                "EnterCriticalSection(0x"));
    assert_non_null(strstr(out, "), held by thread 0x"));
    assert_non_null(strstr(out, "EnterCriticalSection"));
    free(out);
}

/* Boot the example board, give the driver a BuiltIn key with its Prefix, load library. */
static cevm_driver *load_with_prefix(const char *library, const WCHAR *key, const char *key8,
                                     const WCHAR *prefix)
{
    boot_examples(NULL);
    HKEY k;
    assert_int_equal(RegCreateKeyEx(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, 0, NULL, &k, NULL),
                     ERROR_SUCCESS);
    RegSetValueEx(k, TEXT("Prefix"), 0, REG_SZ, (const BYTE *)prefix,
                  (DWORD)((wcslen(prefix) + 1) * sizeof(WCHAR)));
    RegCloseKey(k);
    cevm_driver *d = NULL;
    if (cevm_driver_load(library, key8, &d, g_err, sizeof g_err) != CEVM_OK)
        fail_msg("%s", g_err);
    return d;
}

/* ---- a driver written against a BSP build's headers ------------------------------------------ */

#define BSP_LIB CEVM_TEST_DRIVER_DIR "/libbsp_style.so"

static void bsp_style_driver_builds_and_answers_power_ioctls(void **state)
{
    (void)state;
    cevm_driver *d = load_with_prefix(BSP_LIB, TEXT("Drivers\\BuiltIn\\Pwr"),
                                      "Drivers\\BuiltIn\\Pwr", TEXT("PWR"));
    uint32_t h, got = 0;
    int ok = 0;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, g_err, sizeof g_err), CEVM_OK);
    POWER_CAPABILITIES pc;
    assert_int_equal(sizeof pc, 48); /* CE's layout: 3 bytes, padding, 5 + 5 DWORDs, Flags */
    assert_int_equal(cevm_driver_ioctl(d, h, IOCTL_POWER_CAPABILITIES, NULL, 0, &pc, sizeof pc,
                                       &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    assert_int_equal(got, 48);
    assert_int_equal(pc.DeviceDx, 0x11); /* D0 and D4 */
    assert_int_equal(pc.Power[0], 120);
    CEDEVICE_POWER_STATE dx = PwrDeviceUnspecified;
    assert_int_equal(cevm_driver_ioctl(d, h, IOCTL_POWER_GET, NULL, 0, &dx, sizeof dx, &got, &ok,
                                       g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    assert_int_equal(dx, D0);
    DWORD v[3] = {0, 0, 0};
    assert_int_equal(
        cevm_driver_ioctl(d, h,
                          CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS),
                          NULL, 0, v, sizeof v, &got, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_int_equal(v[0], 0x500);              /* _WIN32_WCE of a CE 5 build */
    assert_int_equal(v[1], DLL_PROCESS_ATTACH); /* 1 */
    assert_int_equal(v[2], 1);                  /* VALID_DX */
    /* The documented codes. */
    assert_int_equal(IOCTL_POWER_CAPABILITIES, 0x00321000);
    assert_int_equal(IOCTL_POWER_GET, 0x00321004);
    assert_int_equal(IOCTL_POWER_SET, 0x00321008);
    assert_int_equal(IOCTL_POWER_QUERY, 0x0032100C);
    cevm_driver_close(d, h, &ok, g_err, sizeof g_err);
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
}

#define CXX_LIB CEVM_DRIVER_DIR "/libcxx_gpio.so"

/* examples/drivers/cxx_gpio.cpp: C++ without extern "C", a .def file, DllMain, _stprintf,
 * wcscpy and __try/__except in IOControl. */
static void cxx_driver_loads_by_its_entry_points_cxx_names(void **state)
{
    (void)state;
    cevm_driver *d = load_with_prefix(CXX_LIB, TEXT("Drivers\\BuiltIn\\Gio"),
                                      "Drivers\\BuiltIn\\Gio", TEXT("GIO"));
    uint32_t h, got = 0;
    int ok = 0;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, g_err, sizeof g_err), CEVM_OK);
    WCHAR name[8];
    assert_int_equal(cevm_driver_ioctl(d, h, CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, 0, 0), NULL, 0,
                                       name, sizeof name, &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    assert_int_equal(got, 12);
    assert_int_equal(wcscmp(name, L"GIO1:"), 0);
    DWORD v = 0x5;
    assert_int_equal(cevm_driver_ioctl(d, h, CTL_CODE(FILE_DEVICE_UNKNOWN, 0x902, 0, 0), &v,
                                       sizeof v, NULL, 0, &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    assert_int_equal(reg("GPIO", "GPMDAT") & 0xF, 0x5);
    DWORD attaches = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, CTL_CODE(FILE_DEVICE_UNKNOWN, 0x903, 0, 0), NULL, 0,
                                       &attaches, sizeof attaches, &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_int_equal(attaches, 1); /* DllMain saw DLL_PROCESS_ATTACH once */
    /* An output buffer too small: the driver's own check, ERROR_INVALID_PARAMETER. */
    assert_int_equal(cevm_driver_ioctl(d, h, CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, 0, 0), NULL, 0,
                                       name, 4, &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_false(ok);
    assert_int_equal(cevm_driver_close(d, h, &ok, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
}

#define SER_LIB cetest_driver("ser")

/* examples/drivers/ser.c: struct overlay, DllEntry, zones, power IOCTLs, a name built with
 * wcscpy/_stprintf, and an embedded caller pointer guarded by MapCallerPtr and __try. */
static void ser_driver_guards_its_caller_pointers(void **state)
{
    (void)state;
    cevm_driver *d = load_with_prefix(SER_LIB, TEXT("Drivers\\BuiltIn\\Ser"),
                                      "Drivers\\BuiltIn\\Ser", TEXT("SER"));
    assert_int_equal(reg("UART", "ULCON0"), 0x3);
    assert_int_equal(reg("UART", "UBRDIV0"), 34);
    uint32_t h, got = 0;
    int ok = 0;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, g_err, sizeof g_err), CEVM_OK);
    WCHAR name[8];
    assert_int_equal(cevm_driver_ioctl(d, h, CTL_CODE(FILE_DEVICE_SERIAL_PORT, 0x800, 0, 0), NULL,
                                       0, name, sizeof name, &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    assert_int_equal(wcscmp(name, L"SER1:"), 0);
    /* Power: D2 is not supported, the driver goes to D4 and says so in the output buffer. */
    CEDEVICE_POWER_STATE dx = D2;
    assert_int_equal(cevm_driver_ioctl(d, h, IOCTL_POWER_SET, NULL, 0, &dx, sizeof dx, &got, &ok,
                                       g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    assert_int_equal(dx, D4);
    assert_int_equal(reg("UART", "UCON0"), 0);
    dx = D0;
    assert_int_equal(cevm_driver_ioctl(d, h, IOCTL_POWER_SET, NULL, 0, &dx, sizeof dx, &got, &ok,
                                       g_err, sizeof g_err),
                     CEVM_OK);
    assert_int_equal(reg("UART", "UCON0"), 0x5);
    /* An embedded pointer to the calling application's memory (its slot-0 pointer), which the
     * driver maps with MapCallerPtr: sent. */
    struct {
        const BYTE *p;
        DWORD n;
    } blk;
    uint32_t app_data;
    void *data;
    assert_int_equal(cevm_caller_alloc(0, 0x1000, &app_data, &data), CEVM_OK);
    memcpy(data, "abc", 3);
    blk.p = cevm_host_ptr(app_data); /* the pointer value CE code holds for that address */
    blk.n = 3;
    assert_int_equal(cevm_driver_ioctl(d, h, CTL_CODE(FILE_DEVICE_SERIAL_PORT, 0x801, 0, 0), &blk,
                                       sizeof blk, NULL, 0, &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    /* To an address where the application has nothing: MapCallerPtr refuses it. */
    blk.p = cevm_host_ptr(0x01F00000u);
    assert_int_equal(cevm_driver_ioctl(d, h, CTL_CODE(FILE_DEVICE_SERIAL_PORT, 0x801, 0, 0), &blk,
                                       sizeof blk, NULL, 0, &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_false(ok);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    /* A wild pointer: the access faults inside the driver's __try, its handler fails the call
     * and the driver stays usable (not a driver fault). */
    blk.p = cetest_wild();
    assert_int_equal(cevm_driver_ioctl(d, h, CTL_CODE(FILE_DEVICE_SERIAL_PORT, 0x801, 0, 0), &blk,
                                       sizeof blk, NULL, 0, &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_false(ok);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_int_equal(cevm_driver_ioctl(d, h, CTL_CODE(FILE_DEVICE_SERIAL_PORT, 0x800, 0, 0), NULL,
                                       0, name, sizeof name, &got, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    assert_int_equal(cevm_caller_free(app_data), CEVM_OK);
    assert_int_equal(cevm_driver_close(d, h, &ok, g_err, sizeof g_err), CEVM_OK);
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
    assert_string_equal(rep.text, "");
}

static const struct CMUnitTest tests[] = {
    CE_TEST_RAW(bsp_style_driver_builds_and_answers_power_ioctls),
    CE_TEST_RAW(cxx_driver_loads_by_its_entry_points_cxx_names),
    CE_TEST_RAW(ser_driver_guards_its_caller_pointers),
    CE_TEST_RAW(watchdog_reports_a_driver_loop),
    CE_TEST_RAW(watchdog_says_what_a_deadlocked_call_waits_for),
    CE_TEST_RAW(divide_by_zero_is_reported_with_function_and_line),
    CE_TEST_RAW(abort_in_a_driver_is_reported),
    CE_TEST_RAW(illegal_instruction_is_reported),
    CE_TEST_RAW(stack_overflow_is_reported),
    CE_TEST_RAW(exit_in_a_driver_is_reported),
    CE_TEST_RAW(thread_running_after_unload_is_reported),
    CE_TEST_RAW(second_unmap_of_a_reused_address_is_reported),
    CE_TEST_RAW(fault_in_a_driver_thread_is_reported),
    CE_TEST_RAW(led_driver_drives_gpio_outputs),
    CE_TEST_RAW(uart_driver_sends_receives_and_resets_fifos),
    CE_TEST_RAW(uart_spin_wait_needs_the_self_clearing_bits),
    CE_TEST_RAW(active_key_points_at_the_builtin_key),
    CE_TEST_RAW(load_errors_name_the_cause),
    CE_TEST_RAW(fault_in_a_driver_call_is_reported),
    CE_TEST_RAW(wild_pointer_in_a_driver_is_reported),
    CE_TEST_RAW(undeclared_register_access_names_the_driver_call),
    CE_TEST_RAW(unimplemented_device_access_names_the_driver_call),
    CE_TEST_RAW(leftovers_are_reported_at_unload),
};

CETEST_MAIN(tests)
