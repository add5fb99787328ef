/*
 * test_devices.c — device models declared in board files (docs/devices.md): every access kind
 * through the register accessors, self-clearing bits, pins, raw-pointer writes noticed at the
 * next sync, reports of undeclared registers, C models with one callback per access, the access
 * log; the platform.reg loader; RegEnumValue and DDKReg_GetIsrInfo; and the file:line:cause
 * message of each malformed declaration.
 */
#include "cetest.h"

#include <ceddk.h>
#include <ddkreg.h>
#include <nkintr.h>

static const char g_board[] = "ram      DRAM  0x50000000 16M\n"
                              "device   DEV   0x7F008000 0x1000 regfile\n"
                              "device   PLAIN 0x7F009000 0x1000 regfile\n"
                              "register DEV   CTRL   0x00 32 rw  0x11 selfclear=0x100\n"
                              "register DEV   STATUS 0x04 32 ro  0xAB\n"
                              "register DEV   TX     0x08 32 wo  0\n"
                              "register DEV   PEND   0x0C 32 w1c 0\n"
                              "register DEV   DATA   0x10 32 rc  0\n"
                              "register DEV   BYTE   0x14 8  rw  0x7\n"
                              "register DEV   HALF   0x16 16 rw  0x1234\n"
                              "pin      DEV   IN0    STATUS 0 in\n"
                              "pin      DEV   OUT3   CTRL   3 out\n"
                              "oem      0x80000000 0x50000000 16 DRAM\n"
                              "oem      0x90000000 0x7F000000 1  peripherals\n"
                              "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Test]\n"
                              "  \"Prefix\"=\"TST\"        ; a comment\n"
                              "  \"Index\"=dword:2\n"
                              "  \"IClass\"=multi_sz:\"{A}\",\"B\\\\C\"\n"
                              "  \"Blob\"=hex:01,02,ff\n"
                              "  \"Irq\"=dword:19\n"
                              "  \"IsrDll\"=\"giisr.dll\"\n"
                              "  \"IsrHandler\"=\"ISRHandler\"\n"
                              "  @=\"default\"\n";

static void boot_board_text(const char *text)
{
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = text;
    cfg.board_label = "test-board";
    char err[256];
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    assert_int_equal(cevm_install_fault_handler(), CEVM_OK);
    cevm_set_unimplemented_log(0);
}

static void boot_board(void)
{
    boot_board_text(g_board);
}

/* Boot board text whose block BLK is at 0x7F008000, map BLK and turn its access log on.
 * Return: the mapping. */
static volatile BYTE *boot_and_log_block(const char *board) __attribute__((unused));
static volatile BYTE *boot_and_log_block(const char *board)
{
    boot_board_text(board);
    PHYSICAL_ADDRESS pa = {0x7F008000, 0};
    volatile BYTE *r = MmMapIoSpace(pa, 0x1000, FALSE);
    assert_non_null((void *)r);
    assert_int_equal(cevm_device_log("BLK", 1), CEVM_OK);
    return r;
}

static volatile ULONG *map_dev(void)
{
    PHYSICAL_ADDRESS pa = {0x7F008000, 0};
    volatile ULONG *p = MmMapIoSpace(pa, 0x1000, FALSE);
    assert_non_null((void *)p);
    return p;
}

static uint32_t get(const char *name)
{
    uint32_t v = 0xDEADBEEF;
    assert_int_equal(cevm_device_get("DEV", name, &v), CEVM_OK);
    return v;
}

static void reset_values_and_access_kinds(void **state)
{
    (void)state;
    boot_board();
    volatile ULONG *r = map_dev();
    /* Reset values are in memory: raw pointers see them. */
    assert_int_equal(r[0], 0x11);
    assert_int_equal(r[1], 0xAB);
    assert_int_equal(((volatile BYTE *)r)[0x14], 0x7);
    assert_int_equal(((volatile USHORT *)r)[0x16 / 2], 0x1234);
    /* ro: a write changes nothing. */
    WRITE_REGISTER_ULONG(&r[1], 0);
    assert_int_equal(READ_REGISTER_ULONG(&r[1]), 0xAB);
    /* wo: reads give 0, the test sees the value written. */
    WRITE_REGISTER_ULONG(&r[2], 0x55);
    assert_int_equal(READ_REGISTER_ULONG(&r[2]), 0);
    assert_int_equal(get("TX"), 0x55);
    /* w1c: writing 1 clears that bit only. */
    assert_int_equal(cevm_device_set("DEV", "PEND", 0x7), CEVM_OK);
    WRITE_REGISTER_ULONG(&r[3], 0x2);
    assert_int_equal(READ_REGISTER_ULONG(&r[3]), 0x5);
    /* rc: a read returns the value, then 0. */
    assert_int_equal(cevm_device_set("DEV", "DATA", 0x99), CEVM_OK);
    assert_int_equal(READ_REGISTER_ULONG(&r[4]), 0x99);
    assert_int_equal(READ_REGISTER_ULONG(&r[4]), 0);
    /* Narrow registers through the byte and halfword accessors. */
    WRITE_REGISTER_UCHAR((volatile UCHAR *)r + 0x14, 0xEE);
    assert_int_equal(READ_REGISTER_UCHAR((volatile UCHAR *)r + 0x14), 0xEE);
    WRITE_REGISTER_USHORT((volatile USHORT *)r + 0x16 / 2, 0xBEEF);
    assert_int_equal(get("HALF"), 0xBEEF);
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

static void self_clearing_bit_ends_a_spin_wait(void **state)
{
    (void)state;
    boot_board();
    volatile ULONG *r = map_dev();
    WRITE_REGISTER_ULONG(&r[0], 0x100 | 0x1);
    int polls = 0;
    while ((READ_REGISTER_ULONG(&r[0]) & 0x100) && polls < 1000)
        polls++;
    assert_int_equal(polls, 0);
    assert_int_equal(get("CTRL"), 0x1);
    /* A raw write of the bit is cleared at the next sync (here: the accessor's read). */
    r[0] = 0x101;
    assert_int_equal(READ_REGISTER_ULONG(&r[0]), 0x1);
    assert_int_equal(r[0], 0x1);
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

static void pins_drive_and_show_bits(void **state)
{
    (void)state;
    boot_board();
    volatile ULONG *r = map_dev();
    int level = -1;
    assert_int_equal(cevm_pin_get("DEV", "IN0", &level), CEVM_OK);
    assert_int_equal(level, 1); /* STATUS resets to 0xAB: bit 0 set */
    assert_int_equal(cevm_pin_set("DEV", "IN0", 0), CEVM_OK);
    assert_int_equal(r[1], 0xAA);
    assert_int_equal(cevm_pin_set("DEV", "IN0", 1), CEVM_OK);
    assert_int_equal(READ_REGISTER_ULONG(&r[1]), 0xAB);
    r[0] = 0x8; /* raw write: OUT3 is bit 3 of CTRL */
    assert_int_equal(cevm_pin_get("DEV", "OUT3", &level), CEVM_OK);
    assert_int_equal(level, 1);
    assert_int_equal(cevm_pin_set("DEV", "OUT3", 0), CEVM_E_INVAL); /* an output */
    assert_int_equal(cevm_pin_set("DEV", "IN0", 2), CEVM_E_INVAL);
    assert_int_equal(cevm_pin_set("DEV", "NOPE", 1), CEVM_E_NOTFOUND);
    assert_int_equal(cevm_pin_get("NODEV", "IN0", &level), CEVM_E_NOTFOUND);
    cevm_pin_info pins[4];
    assert_int_equal(cevm_pins(pins, 4), 2);
    assert_string_equal(pins[0].name, "IN0");
    assert_int_equal(pins[1].input, 0);
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

static void raw_writes_reach_the_model_at_sync(void **state)
{
    (void)state;
    /* The same board with DEV as a `plain` register file: raw accesses are plain memory, found
     * by comparing it with the model's copy at the next sync. */
    static char text[sizeof g_board + 16];
    const char *at = strstr(g_board, "0x1000 regfile\n");
    size_t head = (size_t)(at - g_board) + strlen("0x1000 regfile");
    snprintf(text, sizeof text, "%.*s plain%s", (int)head, g_board, g_board + head);
    boot_board_text(text);
    volatile ULONG *r = map_dev();
    assert_int_equal(cevm_device_log("DEV", 1), CEVM_OK);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    r[1] = 0;        /* ro: undone at the sync */
    r[0x200] = 0x77; /* offset 0x800: undeclared */
    assert_int_equal(cevm_device_sync("DEV"), CEVM_OK);
    assert_int_equal(r[1], 0xAB);
    cevm_unimplemented_access a;
    assert_true(cevm_unimplemented_accesses(&a, 1) == before + 1);
    assert_true(a.undeclared && a.write && a.offset == 0x800 && a.width == 4);
    cevm_device_access log[8];
    assert_int_equal(cevm_device_log_read("DEV", log, 8), 2);
    assert_true(log[0].raw && log[0].offset == 0x4 && log[0].value == 0);
    assert_true(log[1].raw && log[1].offset == 0x800 && log[1].value == 0x77);
    /* A plain register file (no declarations) is just memory: no reports. */
    PHYSICAL_ADDRESS pa = {0x7F009000, 0};
    volatile ULONG *plain = MmMapIoSpace(pa, 0x1000, FALSE);
    WRITE_REGISTER_ULONG(&plain[0x10], 5);
    assert_int_equal(plain[0x10], 5);
    assert_true(cevm_unimplemented_accesses(NULL, 0) == before + 1);
    MmUnmapIoSpace((PVOID)plain, 0x1000);
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

/* A plain register file of rw registers only: raw writes have no effect but memory. */
static const char g_quiet_board[] = "ram      DRAM  0x50000000 16M\n"
                                    "device   QDEV  0x7F008000 0x1000 regfile plain\n"
                                    "register QDEV  A    0x00 32 rw 0\n"
                                    "register QDEV  B    0x04 32 rw 0\n"
                                    "register QDEV  H    0x08 16 rw 0\n"
                                    "oem      0x80000000 0x50000000 16 DRAM\n";

/* On such a file an accessor syncs only what it reaches (no comparison of the whole file per
 * call): its results are what a whole sync gives, a raw write elsewhere reaches the model at the
 * next whole sync (reading the reports is one), and with the log on every accessor syncs the
 * whole file again, so the log keeps the program's order. */
static void a_quiet_plain_file_syncs_what_each_accessor_reaches(void **state)
{
    (void)state;
    boot_board_text(g_quiet_board);
    PHYSICAL_ADDRESS pa = {0x7F008000, 0};
    volatile ULONG *r = MmMapIoSpace(pa, 0x1000, FALSE);
    assert_non_null((void *)r);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    r[0] = 5;        /* A, raw */
    r[0x100] = 0x99; /* offset 0x400: undeclared, raw */
    assert_int_equal(READ_REGISTER_ULONG(&r[0]), 5);
    WRITE_REGISTER_ULONG(&r[1], 7);
    WRITE_REGISTER_USHORT((volatile USHORT *)&r[2], 0x1234);
    assert_int_equal(r[1], 7);
    uint32_t v = 0;
    assert_int_equal(cevm_device_get("QDEV", "A", &v), CEVM_OK);
    assert_int_equal(v, 5);
    r[0] = 0xAABB0000u; /* raw, then an accessor writes its low half: merged with the raw value */
    WRITE_REGISTER_USHORT((volatile USHORT *)&r[0], 0x1234);
    assert_int_equal(READ_REGISTER_ULONG(&r[0]), 0xAABB1234u);
    /* The undeclared raw write is reported once, when the reports are read. */
    cevm_unimplemented_access a;
    assert_true(cevm_unimplemented_accesses(&a, 1) == before + 1);
    assert_true(a.undeclared && a.write && a.offset == 0x400 && a.width == 4);
    /* An accessor at a raw-written undeclared offset: the raw write first, then its own. */
    r[0x101] = 0x55;
    assert_int_equal(READ_REGISTER_ULONG(&r[0x101]), 0x55);
    cevm_unimplemented_access two[2];
    assert_true(cevm_unimplemented_accesses(two, 2) == before + 3);
    assert_true(two[0].write && two[0].offset == 0x404 && !two[1].write && two[1].offset == 0x404);
    /* With the log on: a raw write before an accessor call is logged before it. */
    assert_int_equal(cevm_device_log("QDEV", 1), CEVM_OK);
    r[0] = 6;
    WRITE_REGISTER_ULONG(&r[1], 8);
    cevm_device_access log[4];
    assert_int_equal(cevm_device_log_read("QDEV", log, 4), 2);
    assert_true(log[0].raw && log[0].offset == 0 && log[0].value == 6);
    assert_true(!log[1].raw && log[1].offset == 4 && log[1].value == 8);
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

struct counter {
    int reads, writes;
    int asked; /* every callback, declined or not */
    uint32_t last;
    unsigned width;
};

static int model_read(void *ctx, uint32_t off, unsigned width, uint32_t *value)
{
    struct counter *c = ctx;
    c->asked++;
    if (off != 0x20)
        return 0;
    c->reads++;
    c->width = width;
    *value = 0xC0DE0000u | (uint32_t)c->reads;
    return 1;
}

static int model_write(void *ctx, uint32_t off, unsigned width, uint32_t value)
{
    struct counter *c = ctx;
    c->asked++;
    if (off != 0x20)
        return 0;
    c->writes++;
    c->width = width;
    c->last = value;
    return 1;
}

static void c_model_gets_one_callback_per_access(void **state)
{
    (void)state;
    boot_board();
    struct counter c = {0};
    cevm_device_ops ops = {model_read, model_write};
    assert_int_equal(cevm_device_attach("DEV", &ops, &c), CEVM_OK);
    assert_int_equal(cevm_device_attach("DEV", &ops, &c), CEVM_E_STATE);
    assert_int_equal(cevm_device_attach("NODEV", &ops, &c), CEVM_E_NOTFOUND);
    volatile ULONG *r = map_dev();
    ULONG buf[3] = {1, 2, 3};
    WRITE_REGISTER_BUFFER_ULONG(&r[8], buf, 3);
    assert_int_equal(c.writes, 3);
    assert_int_equal(c.last, 3);
    assert_int_equal(READ_REGISTER_USHORT((volatile USHORT *)&r[8]), 0x0001);
    assert_int_equal(c.width, 2);
    READ_REGISTER_BUFFER_ULONG(&r[8], buf, 2);
    assert_int_equal(c.reads, 3);
    assert_int_equal(buf[1], 0xC0DE0003u);
    /* Offsets the model declines fall to the declared registers, the model asked once. */
    int asked = c.asked;
    assert_int_equal(READ_REGISTER_ULONG(&r[1]), 0xAB);
    assert_int_equal(c.asked, asked + 1);
    WRITE_REGISTER_USHORT((volatile USHORT *)r + 0x16 / 2, 0xBEEF);
    assert_int_equal(c.asked, asked + 2);
    assert_int_equal(get("HALF"), 0xBEEF);
    assert_int_equal(READ_REGISTER_USHORT((volatile USHORT *)r + 0x16 / 2), 0xBEEF);
    assert_int_equal(c.asked, asked + 3);
    assert_int_equal(c.reads, 3);
    assert_int_equal(c.writes, 3);
    assert_int_equal(cevm_device_attach("DEV", NULL, NULL), CEVM_OK);
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

static void registry_loaded_from_board_text(void **state)
{
    (void)state;
    boot_board();
    HKEY k;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\BuiltIn\\Test"), 0, 0, &k),
                     ERROR_SUCCESS);
    WCHAR buf[32];
    BYTE data[32];
    DWORD type, size = sizeof data, n = 32;
    assert_int_equal(RegQueryValueEx(k, TEXT("IClass"), NULL, &type, data, &size), ERROR_SUCCESS);
    static const WCHAR multi[] = TEXT("{A}\0B\\C\0");
    assert_int_equal(type, REG_MULTI_SZ);
    assert_int_equal(size, sizeof multi);
    assert_memory_equal(data, multi, sizeof multi);
    size = sizeof data;
    assert_int_equal(RegQueryValueEx(k, TEXT("Blob"), NULL, &type, data, &size), ERROR_SUCCESS);
    assert_true(type == REG_BINARY && size == 3 && data[2] == 0xFF);
    size = sizeof data;
    assert_int_equal(RegQueryValueEx(k, TEXT(""), NULL, &type, data, &size), ERROR_SUCCESS);
    assert_int_equal(type, REG_SZ);
    /* RegEnumValue walks the values in the order they were set. */
    assert_int_equal(RegEnumValue(k, 0, buf, &n, NULL, &type, NULL, NULL), ERROR_SUCCESS);
    assert_int_equal(n, 6);
    assert_memory_equal(buf, TEXT("Prefix"), 7 * sizeof(WCHAR));
    n = 32;
    size = sizeof data;
    assert_int_equal(RegEnumValue(k, 1, buf, &n, NULL, &type, data, &size), ERROR_SUCCESS);
    assert_true(type == REG_DWORD && size == 4 && *(DWORD *)data == 2);
    n = 3;
    assert_int_equal(RegEnumValue(k, 0, buf, &n, NULL, NULL, NULL, NULL), ERROR_MORE_DATA);
    n = 32;
    assert_int_equal(RegEnumValue(k, 8, buf, &n, NULL, NULL, NULL, NULL), ERROR_NO_MORE_ITEMS);
    assert_int_equal(RegEnumValue(k, 0, NULL, &n, NULL, NULL, NULL, NULL), ERROR_INVALID_PARAMETER);
    assert_int_equal(RegEnumValue((HKEY)cetest_wild(), 0, buf, &n, NULL, NULL, NULL, NULL),
                     ERROR_INVALID_HANDLE);
    /* DDKReg_GetIsrInfo (documented defaults and rules). */
    DDKISRINFO ii;
    ii.cbSize = sizeof ii;
    assert_int_equal(DDKReg_GetIsrInfo(k, &ii), ERROR_SUCCESS);
    assert_int_equal(ii.dwIrq, 0x19);
    assert_int_equal(ii.dwSysintr, SYSINTR_NOP);
    assert_memory_equal(ii.szIsrDll, TEXT("giisr.dll"), 10 * sizeof(WCHAR));
    assert_memory_equal(ii.szIsrHandler, TEXT("ISRHandler"), 11 * sizeof(WCHAR));
    ii.cbSize = sizeof ii - 1;
    assert_int_equal(DDKReg_GetIsrInfo(k, &ii), ERROR_INVALID_PARAMETER);
    assert_int_equal(DDKReg_GetIsrInfo(NULL, &ii), ERROR_INVALID_PARAMETER);
    RegCloseKey(k);
}

static void isr_info_rules(void **state)
{
    (void)state;
    HKEY k;
    assert_int_equal(
        RegCreateKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\Isr"), 0, NULL, 0, 0, NULL, &k, NULL),
        ERROR_SUCCESS);
    DDKISRINFO ii;
    ii.cbSize = sizeof ii;
    assert_int_equal(DDKReg_GetIsrInfo(k, &ii), ERROR_SUCCESS);
    assert_int_equal(ii.dwIrq, IRQ_UNSPECIFIED);
    assert_int_equal(ii.dwSysintr, SYSINTR_NOP);
    assert_int_equal(ii.szIsrDll[0], 0);
    static const WCHAR dll[] = TEXT("isr.dll");
    RegSetValueEx(k, TEXT("IsrDll"), 0, REG_SZ, (const BYTE *)dll, sizeof dll);
    assert_int_equal(DDKReg_GetIsrInfo(k, &ii), ERROR_INVALID_DATA); /* no handler, no Irq */
    RegSetValueEx(k, TEXT("IsrHandler"), 0, REG_SZ, (const BYTE *)dll, sizeof dll);
    assert_int_equal(DDKReg_GetIsrInfo(k, &ii), ERROR_INVALID_DATA); /* still no Irq */
    DWORD irq = 5;
    RegSetValueEx(k, TEXT("Irq"), 0, REG_DWORD, (const BYTE *)&irq, 4);
    assert_int_equal(DDKReg_GetIsrInfo(k, &ii), ERROR_SUCCESS);
    RegSetValueEx(k, TEXT("SysIntr"), 0, REG_SZ, (const BYTE *)dll, sizeof dll);
    assert_int_equal(DDKReg_GetIsrInfo(k, &ii), ERROR_INVALID_DATA); /* wrong type */
    RegCloseKey(k);
}

/* Each malformed declaration is refused with file:line: cause, and nothing boots. */
static void malformed_declarations_name_line_and_cause(void **state)
{
    (void)state;
    static const char head[] = "ram DRAM 0x50000000 16M\n"
                               "device DEV 0x7F008000 0x1000 regfile\n";
    static const struct {
        const char *line, *msg;
    } cases[] = {
        {"register NODEV R 0 32 rw 0", "b:3: no device named 'NODEV' is declared above"},
        {"register DRAM R 0 32 rw 0", "b:3: no device named 'DRAM'"},
        {"register DEV R 0x2 32 rw 0", "b:3: register R at offset 0x2 is not aligned"},
        {"register DEV R 0x1000 32 rw 0", "b:3: register R at offset 0x1000 lies outside"},
        {"register DEV R 0 24 rw 0", "b:3: register width '24' must be 8, 16 or 32"},
        {"register DEV R 0 32 rx 0", "b:3: unknown access 'rx' (rw, ro, wo, w1c or rc)"},
        {"register DEV R 0 8 rw 0x100", "b:3: bad reset value '0x100' (a number that fits in 8"},
        {"register DEV R 0 32 rw 0 clear=1", "b:3: expected selfclear=MASK or w1c=MASK"},
        {"register DEV R 0 32 ro 0 w1c=1", "b:3: w1c=MASK marks write-1-to-clear bits of an rw"},
        {"register DEV R 0 32 rw 0 w1c=1 w1c=2", "b:3: expected selfclear=MASK or w1c=MASK"},
        {"register DEV R 0 32 rw", "b:3: 'register' needs DEVICE NAME OFFSET"},
        {"register DEV R 0 32 rw 0\nregister DEV S 2 16 rw 0",
         "b:4: register S overlaps register R (line 3)"},
        {"register DEV R 0 32 rw 0\nregister DEV R 4 32 rw 0",
         "b:4: register R is already declared for DEV (line 3)"},
        {"pin DEV P R 0 in", "b:3: device DEV has no register 'R' declared above"},
        {"register DEV R 0 8 rw 0\npin DEV P R 8 in", "b:4: bit '8' is not a bit of the 8-bit"},
        {"register DEV R 0 8 rw 0\npin DEV P R 1 up", "b:4: pin direction 'up' must be"},
        {"model DEV modem",
         "b:3: unknown model 'modem' (built-in models: uart, pwm, wdt, pl080s, vic)"},
        {"register DEV P 0 32 w1c 0\nirq 5 A DEV P 1\nirq 5 B DEV P 2",
         "b:5: IRQ 5 is already wired to DEV (line 4)"},
        {"irq 5 A NODEV P 1", "b:3: no device named 'NODEV' is declared above"},
        {"irq 5 A DRAM P 1", "b:3: no device named 'DRAM'"},
        {"irq 128 A DEV P 1", "b:3: IRQ number '128' must be 0 to 127"},
        {"irq 5 A DEV P 1", "b:3: device DEV has no register 'P' declared above"},
        {"register DEV P 0 8 w1c 0\nirq 5 A DEV P 0x100", "b:4: pending mask '0x100' is not"},
        {"register DEV P 0 32 w1c 0\nirq 5 A DEV P 1 enable=P", "b:4: enable 'P' must be"},
        {"register DEV P 0 32 w1c 0\nirq 5 A DEV P 1 enable=P:1 mask=P:1",
         "b:4: an IRQ has one gate"},
        {"register DEV P 0 32 w1c 0\nirq 5 A DEV P 1 sysintr=7", "b:4: SYSINTR '7' must be"},
        {"register DEV P 0 32 w1c 0\nirq 5 A DEV P 1 sysintr=40",
         "b:4: SYSINTR 40 is not below SYSINTR_MAXIMUM (40 on ce5)"},
        {"register DEV P 0 32 w1c 0\nirq 5 A DEV P 1 sysintr=9\nirq 6 B DEV P 2 sysintr=9",
         "b:5: SYSINTR 9 is already mapped to IRQ 5 (line 4)"},
        {"register DEV P 0 32 w1c 0\nirq 5 A DEV P 1 level=1", "b:4: unknown irq option"},
        {"register DEV P 0 32 w1c 0\nirq 5 A DEV P", "b:4: 'irq' needs NUMBER NAME DEVICE"},
        {"register DEV P 0 32 w1c 0\npinirq DEV K P 0 P 0", "b:4: device DEV has no input pin 'K'"},
        {"register DEV P 0 32 w1c 0\npin DEV K P 9 in\npinirq DEV K P 0 C 0",
         "b:5: device DEV has no register 'C'"},
        {"register DEV P 0 32 w1c 0\npin DEV K P 9 in\npinirq DEV K P 0 P 30",
         "b:5: shift '30' leaves no 3-bit trigger field"},
        {"register DEV P 0 32 w1c 0\npin DEV K P 9 in\npinirq DEV K P 0 P 0\n"
         "pinirq DEV K P 1 P 0",
         "b:6: pin K already raises an interrupt (line 5)"},
        {"clock fast", "b:3: 'clock' needs 'real' or 'virtual'"},
        {"model DEV vic", "b:3: 'model DEVICE vic' needs the IRQ of the VIC's source 0"},
        {"model DEV vic 97", "b:3: VIC base IRQ '97' must be 0 to 96"},
        {"[HKEY_DYN_DATA\\X]", "b:3: a key must start with HKEY_LOCAL_MACHINE, HKEY_CURRENT"},
        {"[-HKEY_LOCAL_MACHINE]", "b:3: a root key cannot be deleted"},
        {"[-HKEY_LOCAL_MACHINE\\X]\n\"A\"=dword:1", "b:4: a value before any"},
        {"IF", "b:3: IF needs a build variable"},
        {"[HKEY_LOCAL_MACHINE\\X]\n\"A\"=- junk", "b:4: unexpected 'junk' after '=-'"},
        {"ELSE", "b:3: ELSE without IF"},
        {"ENDIF X", "b:3: ENDIF without IF"},
        {"IF A\nELSE\nELSE\nENDIF", "b:5: a second ELSE for the IF of line 3"},
        {"IF A\n[HKEY_LOCAL_MACHINE\\X]", "b:3: IF without its ENDIF"},
        {"\"A\"=dword:1", "b:3: a value before any [HKEY_LOCAL_MACHINE\\...] key"},
        {"[HKEY_LOCAL_MACHINE\\X]\n\"A\"=dword:123456789", "b:4: dword: needs 1 to 8 hex"},
        {"[HKEY_LOCAL_MACHINE\\X]\n\"A\"=qword:1", "b:4: unknown value type 'qword'"},
        {"[HKEY_LOCAL_MACHINE\\X]\n\"A=\"x\"", "b:4: expected '=' after the value name"},
        {"[HKEY_LOCAL_MACHINE\\X]\n\"A\"=\"x", "b:4: string: missing closing quote"},
        {"[HKEY_LOCAL_MACHINE\\X]\n\"A\"=\"a\\q\"", "b:4: string: unknown escape '\\q'"},
        {"[HKEY_LOCAL_MACHINE\\X]\n\"A\"=hex:1,zz", "b:4: hex: bytes are one or two hex"},
        {"[HKEY_LOCAL_MACHINE\\X]\n\"A\"=hex:01,\\", "b:4: value continued with '\\' but"},
        {"[HKEY_LOCAL_MACHINE\\X]\n\"A\"=dword:1 junk", "b:4: unexpected 'junk' after the value"},
        {"[HKEY_LOCAL_MACHINE\\X\\\\Y]", "b:3: malformed key path"},
        {"registry nonexistent.reg", "b:3: nonexistent.reg: cannot open registry file"},
        {"oemtable " CEVM_SOURCE_DIR "/tests/bsp/bad_symbol.inc",
         "bad_symbol.inc:2: 'CSP_BASE_MEM_PA_CSD0' is not a number (a symbol"},
        {"oemtable " CEVM_SOURCE_DIR "/tests/bsp/bad_short.c",
         "bad_short.c:1: a row needs three numbers"},
        {"oemtable " CEVM_SOURCE_DIR "/tests/bsp/empty.inc", "empty.inc: no rows"},
        {"oemtable " CEVM_SOURCE_DIR "/tests/bsp/overlap.inc", "overlap.inc:2: row overlaps line"},
        {"oemtable", "b:3: 'oemtable' needs one PATH"},
        {"oemtable nonexistent.inc", "b:3: nonexistent.inc: cannot open OEMAddressTable file"},
        {"include nonexistent.board", "b:3: nonexistent.board: cannot open board file"},
        {"registry /etc/passwd", "b:3: path '/etc/passwd' leaves the board's folder"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512], err[256] = "";
        snprintf(text, sizeof text, "%s%s\n", head, cases[i].line);
        cevm_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.board_text = text;
        cfg.board_label = "b";
        if (strstr(cases[i].line, CEVM_SOURCE_DIR)) /* the BSP-style fixtures */
            cfg.flags = CEVM_BOOT_ANY_PATH;
        assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_E_BOARD);
        if (!strstr(err, cases[i].msg))
            fail_msg("case %zu: got '%s', expected '%s'", i, err, cases[i].msg);
        assert_int_equal(cevm_is_booted(), 0);
    }
}

/* A hex value may continue over lines; the whole board's registry is loaded. */
static void reg_continuation_lines(void **state)
{
    (void)state;
    cevm_shutdown();
    static const char text[] = "ram DRAM 0x50000000 16M\n"
                               "[HKEY_LOCAL_MACHINE\\X]\n"
                               "\"A\"=hex:01,02,\\\n"
                               "      03,04\n"
                               "\"B\"=hex(7):41,00,00,00,00,00\n";
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = text;
    char err[256];
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    HKEY k;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("X"), 0, 0, &k), ERROR_SUCCESS);
    BYTE data[8];
    DWORD type, size = sizeof data;
    assert_int_equal(RegQueryValueEx(k, TEXT("A"), NULL, &type, data, &size), ERROR_SUCCESS);
    assert_true(size == 4 && data[3] == 4 && type == REG_BINARY);
    size = sizeof data;
    assert_int_equal(RegQueryValueEx(k, TEXT("B"), NULL, &type, data, &size), ERROR_SUCCESS);
    assert_true(type == REG_MULTI_SZ && size == 6);
    RegCloseKey(k);
}

/* Reads a DWORD value; returns -1 when the key or the value is missing. */
static long reg_dword(HKEY root, const WCHAR *key, const WCHAR *name)
{
    HKEY k;
    if (RegOpenKeyEx(root, key, 0, 0, &k) != ERROR_SUCCESS)
        return -1;
    DWORD v = 0, type, size = sizeof v;
    LONG r = RegQueryValueEx(k, name, NULL, &type, (BYTE *)&v, &size);
    RegCloseKey(k);
    return r == ERROR_SUCCESS ? (long)v : -1;
}

/* #include in a platform.reg: relative to the including file, $(VAR) from the environment,
 * Windows separators; an unset variable or a missing file is an error naming the line. */
static void reg_include_takes_build_variables(void **state)
{
    (void)state;
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = "ram DRAM 0x50000000 16M\nregistry " CEVM_SOURCE_DIR "/tests/bsp/vars.reg\n";
    cfg.board_label = "b";
    cfg.flags = CEVM_BOOT_ANY_PATH;
    char err[512] = "";
    unsetenv("CEVM_TEST_REGDIR");
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_E_BOARD);
    assert_non_null(
        strstr(err, "vars.reg:2: #include: build variable CEVM_TEST_REGDIR is not set"));
    setenv("CEVM_TEST_REGDIR", CEVM_SOURCE_DIR "/tests/bsp/nowhere", 1);
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_E_BOARD);
    assert_non_null(strstr(err, "vars.reg:2: "));
    assert_non_null(strstr(err, "cannot open registry file"));
    setenv("CEVM_TEST_REGDIR", CEVM_SOURCE_DIR "/tests/bsp/files", 1);
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    assert_int_equal(
        reg_dword(HKEY_LOCAL_MACHINE, TEXT("Drivers\\BuiltIn\\LED"), TEXT("FromInclude")), 1);
    unsetenv("CEVM_TEST_REGDIR");
}

/* platform.reg's IF/ELSE/ENDIF take the environment's build variables; keys load under all four
 * roots; a [-KEY] line deletes what earlier lines made, with its subtree. */
static void reg_conditionals_roots_and_deletions(void **state)
{
    (void)state;
    cevm_shutdown();
    static const char text[] = "ram DRAM 0x50000000 16M\n"
                               "IF CEVM_TEST_NOSERIAL !\n"
                               "[HKEY_LOCAL_MACHINE\\Serial]\n"
                               "  \"On\"=dword:1\n"
                               "  IF CEVM_TEST_FAST\n"
                               "  \"Fast\"=dword:1\n"
                               "  ELSE\n"
                               "  \"Fast\"=dword:0\n"
                               "  ENDIF\n"
                               "ELSE\n"
                               "[HKEY_LOCAL_MACHINE\\NoSerial]\n"
                               "  \"On\"=dword:1\n"
                               "ENDIF CEVM_TEST_NOSERIAL !\n"
                               "[HKEY_CURRENT_USER\\ControlPanel\\Keybd]\n"
                               "  \"Delay\"=dword:250\n"
                               "[HKEY_LOCAL_MACHINE\\Gone\\Sub]\n"
                               "  \"V\"=dword:3\n"
                               "[-HKEY_LOCAL_MACHINE\\Gone]\n"
                               "[-HKEY_LOCAL_MACHINE\\NeverThere]\n"
                               "[HKEY_LOCAL_MACHINE\\Values]\n"
                               "\"Keep\"=dword:1\n"
                               "\"Drop\"=dword:2\n"
                               "\"Drop\"=-\n"
                               "\"Never\"=-\n"
                               "IF CEVM_TEST_NEVER_SET\n"
                               "no such board line\n"
                               "ENDIF\n";
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = text;
    char err[256];
    unsetenv("CEVM_TEST_NOSERIAL");
    setenv("CEVM_TEST_FAST", "1", 1);
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("Serial"), TEXT("On")), 1);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("Serial"), TEXT("Fast")), 1);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("NoSerial"), TEXT("On")), -1);
    assert_int_equal(reg_dword(HKEY_CURRENT_USER, TEXT("ControlPanel\\Keybd"), TEXT("Delay")),
                     0x250);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("ControlPanel\\Keybd"), TEXT("Delay")), -1);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("Gone\\Sub"), TEXT("V")), -1);
    HKEY k;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Gone"), 0, 0, &k),
                     ERROR_FILE_NOT_FOUND);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("Values"), TEXT("Keep")), 1);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("Values"), TEXT("Drop")), -1);
    cevm_shutdown();
    /* An empty variable is not set; a set one takes the other branches. */
    setenv("CEVM_TEST_FAST", "", 1);
    setenv("CEVM_TEST_NOSERIAL", "1", 1);
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("Serial"), TEXT("On")), -1);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("NoSerial"), TEXT("On")), 1);
    cevm_shutdown();
    unsetenv("CEVM_TEST_NOSERIAL");
    setenv("CEVM_TEST_FAST", "", 1);
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    assert_int_equal(reg_dword(HKEY_LOCAL_MACHINE, TEXT("Serial"), TEXT("Fast")), 0);
    unsetenv("CEVM_TEST_FAST");
}

static void raw_accesses_to_a_trapped_device_are_model_accesses(void **state)
{
    (void)state;
#if !defined(CEVM_TEST_HAVE_CAPSTONE) || !defined(__x86_64__)
    skip(); /* no decoder: register files are plain memory */
#endif
    boot_board(); /* DEV is trapped: every raw access is one model access */
    volatile ULONG *r = map_dev();
    volatile BYTE *b = (volatile BYTE *)r;
    assert_int_equal(cevm_device_log("DEV", 1), CEVM_OK);
    /* A pulse inside one call: two writes, both in the log. */
    r[0] = 0x11 | 0x8;
    r[0] = 0x11;
    /* A self-clearing bit: a raw spin on it ends. */
    r[0] |= 0x100;
    int spins = 0;
    while ((r[0] & 0x100) && spins < 1000)
        spins++;
    assert_int_equal(spins, 0);
    /* w1c: writing 1 over a set bit clears it; rc: a raw read clears it; ro: a write is undone. */
    assert_int_equal(cevm_device_set("DEV", "PEND", 0x5), CEVM_OK);
    r[3] = 0x1;
    assert_int_equal(get("PEND"), 0x4);
    assert_int_equal(cevm_device_set("DEV", "DATA", 0x99), CEVM_OK);
    assert_int_equal(r[4], 0x99);
    assert_int_equal(get("DATA"), 0);
    r[1] = 0;
    assert_int_equal(r[1], 0xAB);
    /* Byte and half-word registers take accesses of their width. */
    b[0x14] = 0x42;
    assert_int_equal(get("BYTE"), 0x42);
    cevm_device_access log[64];
    uint64_t n = cevm_device_log_read("DEV", log, 64);
    /* From the start: the pulse's two writes, each raw, with its value. */
    assert_true(log[0].write && log[0].raw && log[0].value == 0x19);
    assert_true(log[1].write && log[1].raw && log[1].value == 0x11);
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(log[i].raw, 1);
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

static void interlocked_on_a_trapped_register_is_one_read_and_one_write(void **state)
{
    (void)state;
#if !defined(CEVM_TEST_HAVE_CAPSTONE) || !defined(__x86_64__)
    skip(); /* no decoder: register files are plain memory */
#endif
    boot_board();
    volatile ULONG *r = map_dev();
    assert_int_equal(cevm_device_log("DEV", 1), CEVM_OK);
    assert_int_equal(InterlockedCompareExchange((volatile LONG *)&r[0], 0x33, 0x11), 0x11);
    assert_int_equal(get("CTRL"), 0x33);
    /* Not equal: only the read. */
    assert_int_equal(InterlockedCompareExchange((volatile LONG *)&r[0], 0x44, 0x11), 0x33);
    assert_int_equal(get("CTRL"), 0x33);
    cevm_device_access log[4];
    assert_int_equal(cevm_device_log_read("DEV", log, 4), 3);
    assert_true(!log[0].write && log[1].write && log[1].value == 0x33 && !log[2].write);
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

static void straddle(void *ctx) __attribute__((unused));
static void straddle(void *ctx)
{
    /* 8 bytes from 4 below the end of the 4 KB register file: half of it is past the device
     * (an unaligned store, as a CPU does it: written in assembly, not C). */
#if defined(__x86_64__)
    uint64_t v = 0x1122334455667788ull;
    __asm__ volatile("movq %[v], (%[p])"
                     :
                     : [v] "r"(v), [p] "r"((volatile BYTE *)ctx + 0xFFC)
                     : "memory");
#else
    (void)ctx;
#endif
}

/* rep movsl of n dwords from src to dst, both possibly device registers. */
static void rep_movsl(volatile void *dst, const volatile void *src, uint64_t n)
    __attribute__((unused));
static void rep_movsl(volatile void *dst, const volatile void *src, uint64_t n)
{
#if defined(__x86_64__)
    __asm__ volatile("rep movsl" : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
#else
    (void)dst, (void)src, (void)n;
#endif
}

static void string_copy(void *ctx) __attribute__((unused));
static void string_copy(void *ctx)
{
    static const ULONG src[2] = {1, 2};
    rep_movsl(ctx, src, 2);
}

static void raw_string_moves_and_bad_accesses(void **state)
{
    (void)state;
    boot_board();
    volatile ULONG *r = map_dev();
    assert_int_equal(cevm_device_log("DEV", 1), CEVM_OK);
#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
    cevm_exception e;
    assert_int_equal(cevm_try(straddle, (void *)r, &e), 1);
    assert_int_equal(e.code, CEVM_EXCEPTION_ACCESS_VIOLATION);
    assert_non_null(strstr(e.reason, "runs past the device"));
#endif
    /* Nothing was performed: no log entry. */
    assert_int_equal(cevm_device_log_read("DEV", NULL, 0), 0);
#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
    /* A memcpy over registers (rep movsl) is one write per element, in order. */
    string_copy((void *)&r[0x08 / 4]); /* TX (wo) = 1, PEND (w1c) = 2 */
    cevm_device_access log[4];
    assert_int_equal(cevm_device_log_read("DEV", log, 4), 2);
    assert_true(log[0].write && log[0].offset == 0x08 && log[0].value == 1 && log[0].width == 4);
    assert_true(log[1].write && log[1].offset == 0x0C && log[1].value == 2 && log[1].raw);
#endif
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

/* Two register blocks and, past them, an unimplemented device (the IO row's rest). */
static const char g_two_blocks_board[] __attribute__((unused)) =
    "ram      DRAM  0x50000000 16M\n"
    "device   BLK   0x7F008000 0x1000 regfile\n"
    "register BLK   R0   0x00 32 rw 0\n"
    "register BLK   R1   0x04 32 rw 0\n"
    "register BLK   R2   0x08 32 rw 0\n"
    "register BLK   R3   0x0C 32 rw 0\n"
    "device   BLK2  0x7F009000 0x1000 regfile\n"
    "register BLK2  S0   0x00 32 rw 0\n"
    "register BLK2  S1   0x04 32 rw 0\n"
    "register BLK2  S2   0x08 32 rw 0\n"
    "register BLK2  S3   0x0C 32 rw 0\n"
    "oem      0x80000000 0x50000000 16 DRAM\n"
    "oem      0x90000000 0x7F000000 1 IO\n";

/* A string move whose both sides are device memory: between two register files, within one
 * (overlapping: element by element, as the CPU copies), and from a register file to an
 * unimplemented device. Each element is one read of its source and one write of its
 * destination, in order, each where its own address lies. */
static void string_moves_between_devices(void **state)
{
    (void)state;
#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
    boot_board_text(g_two_blocks_board);
    PHYSICAL_ADDRESS pa = {0x7F008000, 0}, pb = {0x7F009000, 0}, pu = {0x7F00A000, 0};
    volatile ULONG *a = MmMapIoSpace(pa, 0x1000, FALSE), *b = MmMapIoSpace(pb, 0x1000, FALSE),
                   *u = MmMapIoSpace(pu, 0x1000, FALSE);
    assert_true(a && b && u);
    for (ULONG i = 0; i < 4; i++)
        WRITE_REGISTER_ULONG(&a[i], i + 1);
    assert_int_equal(cevm_device_log("BLK", 1), CEVM_OK);
    assert_int_equal(cevm_device_log("BLK2", 1), CEVM_OK);
    rep_movsl(b, a, 4);
    cevm_device_access la[8], lb[8];
    assert_int_equal(cevm_device_log_read("BLK", la, 8), 4);
    assert_int_equal(cevm_device_log_read("BLK2", lb, 8), 4);
    for (int i = 0; i < 4; i++) {
        assert_true(!la[i].write && la[i].raw && la[i].offset == (uint32_t)(4 * i));
        assert_true(lb[i].write && lb[i].raw && lb[i].offset == (uint32_t)(4 * i));
        assert_int_equal(lb[i].value, i + 1);
        assert_int_equal(READ_REGISTER_ULONG(&b[i]), i + 1);
    }
    /* Within one block, overlapping: R0 is copied up the block one element at a time. */
    assert_int_equal(cevm_device_log("BLK", 0), CEVM_OK);
    assert_int_equal(cevm_device_log("BLK", 1), CEVM_OK);
    rep_movsl(&a[1], &a[0], 3);
    assert_int_equal(cevm_device_log_read("BLK", la, 8), 6);
    for (int i = 0; i < 3; i++) {
        assert_true(!la[2 * i].write && la[2 * i].offset == (uint32_t)(4 * i));
        assert_true(la[2 * i + 1].write && la[2 * i + 1].offset == (uint32_t)(4 * i + 4));
        assert_int_equal(la[2 * i + 1].value, 1);
        assert_int_equal(READ_REGISTER_ULONG(&a[i + 1]), 1);
    }
    /* To an unimplemented device: each write logged there with its value. */
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    rep_movsl(u, b, 2);
    cevm_unimplemented_access w[2];
    assert_true(cevm_unimplemented_accesses(w, 2) == before + 2);
    for (int i = 0; i < 2; i++) {
        assert_true(w[i].write && w[i].width == 4 && w[i].pa == 0x7F00A000u + 4u * (unsigned)i);
        assert_int_equal(w[i].bytes[0], i + 1);
    }
    /* BLK2: 4 raw writes, 4 accessor reads, then the 2 raw reads of this move. */
    assert_int_equal(cevm_device_log_read("BLK2", lb, 2), 10);
    assert_true(!lb[0].write && lb[0].raw && lb[0].offset == 0 && lb[1].offset == 4);
    MmUnmapIoSpace((PVOID)u, 0x1000);
    MmUnmapIoSpace((PVOID)b, 0x1000);
    MmUnmapIoSpace((PVOID)a, 0x1000);
#else
    skip();
#endif
}

/* An x87 load from a register (a long double overlay): not a form cevm emulates. */
static void x87_load(void *ctx) __attribute__((unused));
static void x87_load(void *ctx)
{
#if defined(__x86_64__)
    __asm__ volatile("flds (%[r])\n\tfstp %%st(0)" : : [r] "r"(ctx) : "memory");
#else
    (void)ctx;
#endif
}

/* An instruction cevm does not emulate on a trapped register is an access violation whose
 * reason names the instruction and gives its bytes; nothing is performed. */
static void an_instruction_cevm_cannot_emulate_is_reported(void **state)
{
    (void)state;
#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
    volatile ULONG *a = (volatile ULONG *)boot_and_log_block(g_two_blocks_board);
    cevm_exception e;
    assert_int_equal(cevm_try(x87_load, (void *)&a[1], &e), 1);
    assert_int_equal(e.code, CEVM_EXCEPTION_ACCESS_VIOLATION);
    assert_non_null(strstr(e.reason, "fld dword ptr"));
    assert_non_null(strstr(e.reason, "[bytes d9 "));
    assert_non_null(strstr(e.reason, "trapped device register"));
    assert_int_equal(cevm_device_log_read("BLK", NULL, 0), 0);
    MmUnmapIoSpace((PVOID)a, 0x1000);
#else
    skip();
#endif
}

/* A 16-byte SSE copy of a register block, in and out (what memcpy of a register struct compiles
 * to): written in assembly so the instructions are known. */
static void sse_block_copy(volatile BYTE *regs, BYTE *in, const BYTE *out) __attribute__((unused));
static void sse_block_copy(volatile BYTE *regs, BYTE *in, const BYTE *out)
{
#if defined(__x86_64__)
    __asm__ volatile("movdqu (%[r]), %%xmm1\n\tmovdqu %%xmm1, (%[in])\n\t"
                     "movdqu (%[out]), %%xmm2\n\tmovdqu %%xmm2, (%[r])\n\t"
                     "movq 4(%[r]), %%xmm3\n\tmovdqu %%xmm3, 16(%[in])"
                     :
                     : [r] "r"(regs), [in] "r"(in), [out] "r"(out)
                     : "xmm1", "xmm2", "xmm3", "memory");
#else
    (void)regs, (void)in, (void)out;
#endif
}

/* SSE moves over a trapped register file: one model access per 32-bit word, low word first. */
static void sse_moves_are_word_accesses(void **state)
{
    (void)state;
#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
    boot_board();
    volatile ULONG *r = map_dev();
    assert_int_equal(cevm_device_log("DEV", 1), CEVM_OK);
    BYTE in[32];
    memset(in, 0xEE, sizeof in);
    const ULONG out[4] = {0x22, 0x55, 0x77, 0x0};
    sse_block_copy((volatile BYTE *)r, in, (const BYTE *)out);
    ULONG got[8];
    memcpy(got, in, sizeof got);
    assert_true(got[0] == 0x11 && got[1] == 0xAB && got[2] == 0 && got[3] == 0); /* wo reads 0 */
    assert_true(got[4] == 0xAB && got[5] == 0 && got[6] == 0 && got[7] == 0);    /* movq zeroes */
    assert_int_equal(get("CTRL"), 0x22);
    assert_int_equal(get("STATUS"), 0xAB); /* ro */
    assert_int_equal(get("TX"), 0x77);     /* wo: the value written */
    cevm_device_access log[16];
    assert_int_equal(cevm_device_log_read("DEV", log, 16), 10);
    for (int i = 0; i < 4; i++) {
        assert_true(!log[i].write && log[i].offset == (uint32_t)(4 * i) && log[i].width == 4);
        assert_true(log[4 + i].write && log[4 + i].offset == (uint32_t)(4 * i) && log[4 + i].raw);
        assert_int_equal(log[4 + i].value, out[i]);
    }
    assert_true(!log[8].write && log[8].offset == 4 && !log[9].write && log[9].offset == 8);
    MmUnmapIoSpace((PVOID)r, 0x1000);
#else
    skip();
#endif
}

/* A block of eight rw registers, an rc one and a last register at the end of the page: what
 * AVX moves and glibc's memcpy (which uses them on an AVX host) meet. */
static const char g_avx_board[] __attribute__((unused)) =
    "ram      DRAM  0x50000000 16M\n"
    "device   BLK   0x7F008000 0x1000 regfile\n"
    "register BLK   R0   0x00 32 rw 0\n"
    "register BLK   R1   0x04 32 rw 0\n"
    "register BLK   R2   0x08 32 rw 0\n"
    "register BLK   R3   0x0C 32 rw 0\n"
    "register BLK   R4   0x10 32 rw 0\n"
    "register BLK   R5   0x14 32 rw 0\n"
    "register BLK   R6   0x18 32 rw 0\n"
    "register BLK   R7   0x1C 32 rw 0\n"
    "register BLK   DATA 0x20 32 rc 0x5A\n"
    "register BLK   LAST 0xFF8 32 rw 0x77\n"
    "oem      0x80000000 0x50000000 16 DRAM\n";

#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
/* ymm store, ymm load, a VEX xmm load (zeroes the upper half), a legacy SSE load (keeps it),
 * a VEX dword load; the registers after each load are written to out[0..39]. */
static void avx_moves(volatile BYTE *regs, const ULONG *in, ULONG *out)
{
    __asm__ volatile("vmovdqu (%[in]), %%ymm1\n\t"
                     "vmovdqu %%ymm1, (%[r])\n\t" /* 8 writes */
                     "vmovdqu (%[r]), %%ymm2\n\t" /* 8 reads */
                     "vmovdqu %%ymm2, (%[out])\n\t"
                     "vpcmpeqd %%ymm3, %%ymm3, %%ymm3\n\t"
                     "vmovdqu 16(%[r]), %%xmm3\n\t" /* 4 reads, upper half zeroed */
                     "vmovdqu %%ymm3, 32(%[out])\n\t"
                     "vpcmpeqd %%ymm4, %%ymm4, %%ymm4\n\t"
                     "movdqu (%[r]), %%xmm4\n\t" /* 4 reads, upper half kept */
                     "vmovdqu %%ymm4, 64(%[out])\n\t"
                     "vpcmpeqd %%ymm5, %%ymm5, %%ymm5\n\t"
                     "vmovd 32(%[r]), %%xmm5\n\t" /* 1 read of the rc register */
                     "vmovdqu %%ymm5, 96(%[out])\n\t"
                     "vzeroupper"
                     :
                     : [r] "r"(regs), [in] "r"(in), [out] "r"(out)
                     : "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "memory");
}

static void avx_store_past_the_end(void *ctx)
{
    __asm__ volatile("vpcmpeqd %%ymm1, %%ymm1, %%ymm1\n\t"
                     "vmovdqu %%ymm1, 0xFF0(%[r])\n\t"
                     "vzeroupper"
                     :
                     : [r] "r"(ctx)
                     : "xmm1", "memory");
}

static volatile size_t g_runtime_size = 0x20; /* a size the compiler cannot see: glibc runs */
#endif

/* AVX moves over a trapped register file (glibc's memcpy and memset use them): one model access
 * per 32-bit word, low word first, the destination register as the CPU leaves it; a move
 * running past the device is refused whole. */
static void avx_moves_are_word_accesses(void **state)
{
    (void)state;
#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
    if (!__builtin_cpu_supports("avx"))
        skip();
    volatile BYTE *r = boot_and_log_block(g_avx_board);
    const ULONG in[8] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17};
    ULONG out[32];
    memset(out, 0xCC, sizeof out);
    avx_moves(r, in, out);
    char name[4] = "R0";
    for (int i = 0; i < 8; i++) {
        name[1] = (char)('0' + i);
        uint32_t v = 0;
        assert_int_equal(cevm_device_get("BLK", name, &v), CEVM_OK);
        assert_int_equal(v, in[i]);
        assert_int_equal(out[i], in[i]); /* ymm load */
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(out[8 + i], in[4 + i]);     /* VEX xmm load ... */
        assert_int_equal(out[12 + i], 0);            /* ... zeroes the upper half */
        assert_int_equal(out[16 + i], in[i]);        /* legacy SSE load ... */
        assert_int_equal(out[20 + i], 0xFFFFFFFFu);  /* ... keeps it */
        assert_int_equal(out[24 + i], i ? 0 : 0x5A); /* vmovd: one dword, the rest zero */
        assert_int_equal(out[28 + i], 0);
    }
    uint32_t data = 1;
    assert_int_equal(cevm_device_get("BLK", "DATA", &data), CEVM_OK);
    assert_int_equal(data, 0); /* the rc register was read once */
    cevm_device_access log[40];
    assert_int_equal(cevm_device_log_read("BLK", log, 40), 8 + 8 + 4 + 4 + 1);
    for (int i = 0; i < 8; i++) {
        assert_true(log[i].write && log[i].raw && log[i].width == 4);
        assert_int_equal(log[i].offset, 4 * i);
        assert_int_equal(log[i].value, in[i]);
        assert_true(!log[8 + i].write && log[8 + i].offset == (uint32_t)(4 * i));
    }
    assert_true(log[16].offset == 0x10 && log[20].offset == 0 && log[24].offset == 0x20);
    /* Past the end of the device: an access violation, nothing performed. */
    cevm_exception e;
    assert_int_equal(cevm_try(avx_store_past_the_end, (void *)r, &e), 1);
    assert_int_equal(e.code, CEVM_EXCEPTION_ACCESS_VIOLATION);
    assert_non_null(strstr(e.reason, "runs past the device"));
    assert_int_equal(cevm_device_log_read("BLK", log, 40), 8 + 8 + 4 + 4 + 1);
    uint32_t last = 0;
    assert_int_equal(cevm_device_get("BLK", "LAST", &last), CEVM_OK);
    assert_int_equal(last, 0x77);
    /* glibc's memcpy with a size the compiler cannot see, both ways. */
    ULONG back[8] = {0};
    const ULONG again[8] = {7, 6, 5, 4, 3, 2, 1, 0};
    memcpy((void *)r, again, g_runtime_size);
    memcpy(back, (const void *)r, g_runtime_size);
    assert_memory_equal(back, again, sizeof back);
    MmUnmapIoSpace((PVOID)r, 0x1000);
#else
    skip();
#endif
}

/* Sixteen rw registers (a zmm register's 64 bytes), two more, an rc one and two at the end of
 * the page: what AVX-512's moves and glibc's memcpy and memset on such a host meet. */
static const char g_avx512_board[] __attribute__((unused)) =
    "ram      DRAM  0x50000000 16M\n"
    "device   BLK   0x7F008000 0x1000 regfile\n"
    "register BLK   R0   0x00 32 rw 0\n"
    "register BLK   R1   0x04 32 rw 0\n"
    "register BLK   R2   0x08 32 rw 0\n"
    "register BLK   R3   0x0C 32 rw 0\n"
    "register BLK   R4   0x10 32 rw 0\n"
    "register BLK   R5   0x14 32 rw 0\n"
    "register BLK   R6   0x18 32 rw 0\n"
    "register BLK   R7   0x1C 32 rw 0\n"
    "register BLK   R8   0x20 32 rw 0\n"
    "register BLK   R9   0x24 32 rw 0\n"
    "register BLK   RA   0x28 32 rw 0\n"
    "register BLK   RB   0x2C 32 rw 0\n"
    "register BLK   RC   0x30 32 rw 0\n"
    "register BLK   RD   0x34 32 rw 0\n"
    "register BLK   RE   0x38 32 rw 0\n"
    "register BLK   RF   0x3C 32 rw 0\n"
    "register BLK   B0   0x40 32 rw 0\n"
    "register BLK   B1   0x44 32 rw 0xAAAAAAAA\n"
    "register BLK   DATA 0x48 32 rc 0x5A\n"
    "register BLK   LAST 0xFF8 32 rw 0x77\n"
    "register BLK   END  0xFFC 32 rw 0\n"
    "oem      0x80000000 0x50000000 16 DRAM\n";

#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
/* EVEX moves, each register written to out (64 bytes each) after its load: a zmm store and load,
 * a 6-byte masked byte store (k1), a merging and a zeroing masked dword load of elements 0 and
 * 2 (k2) into registers that were all ones, a VEX ymm load into a zmm register that was all ones
 * (it zeroes the upper 32 bytes too), a ymm16 load of the rc register and what follows. */
__attribute__((target("avx512f,avx512bw,avx512vl"))) static void
avx512_moves(volatile BYTE *regs, const ULONG *in, ULONG *out)
{
    __asm__ volatile("movl $0x3F, %%eax\n\tkmovq %%rax, %%k1\n\t"
                     "movl $0x5, %%eax\n\tkmovq %%rax, %%k2\n\t"
                     "vmovdqu64 (%[in]), %%zmm17\n\t"
                     "vmovdqu64 %%zmm17, (%[r])\n\t" /* 16 writes */
                     "vmovdqu64 (%[r]), %%zmm18\n\t" /* 16 reads */
                     "vmovdqu64 %%zmm18, (%[out])\n\t"
                     "vmovdqu8 %%zmm17, 0x40(%[r]) %{%%k1%}\n\t" /* B0 whole, B1's low half */
                     "vpternlogd $0xFF, %%zmm19, %%zmm19, %%zmm19\n\t"
                     "vmovdqu32 (%[r]), %%zmm19 %{%%k2%}\n\t" /* R0 and R2, the rest kept */
                     "vmovdqu64 %%zmm19, 64(%[out])\n\t"
                     "vpternlogd $0xFF, %%zmm20, %%zmm20, %%zmm20\n\t"
                     "vmovdqu32 (%[r]), %%zmm20 %{%%k2%}%{z%}\n\t" /* R0 and R2, the rest zero */
                     "vmovdqu64 %%zmm20, 128(%[out])\n\t"
                     "vpternlogd $0xFF, %%zmm1, %%zmm1, %%zmm1\n\t"
                     "vmovdqu 32(%[r]), %%ymm1\n\t" /* VEX: 8 reads, bytes 32-63 zeroed */
                     "vmovdqu64 %%zmm1, 192(%[out])\n\t"
                     "vmovdqu64 0x48(%[r]), %%xmm16\n\t" /* DATA (rc), undeclared 0x4C-0x57 */
                     "vmovdqu64 %%zmm16, 256(%[out])\n\t"
                     "vzeroupper"
                     :
                     : [r] "r"(regs), [in] "r"(in), [out] "r"(out)
                     : "rax", "k1", "k2", "xmm1", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20",
                       "memory");
}

/* A masked store of END only: the zmm operand runs 60 bytes past the device, masked off. */
__attribute__((target("avx512f,avx512bw,avx512vl"))) static void avx512_masked_at_the_end(void *ctx)
{
    __asm__ volatile("movl $0xF, %%eax\n\tkmovq %%rax, %%k3\n\t"
                     "vpternlogd $0xFF, %%zmm21, %%zmm21, %%zmm21\n\t"
                     "vmovdqu8 %%zmm21, 0xFFC(%[r]) %{%%k3%}\n\t"
                     "vzeroupper"
                     :
                     : [r] "r"(ctx)
                     : "rax", "k3", "xmm21", "memory");
}

/* An unmasked zmm store running past the device: refused whole. */
__attribute__((target("avx512f"))) static void avx512_store_past_the_end(void *ctx)
{
    __asm__ volatile("vpternlogd $0xFF, %%zmm22, %%zmm22, %%zmm22\n\t"
                     "vmovdqu64 %%zmm22, 0xFC8(%[r])\n\t"
                     "vzeroupper"
                     :
                     : [r] "r"(ctx)
                     : "xmm22", "memory");
}
#endif

/* AVX-512 moves over a trapped register file: 32-bit model accesses low word first, a masked
 * move's enabled elements only (a run in the widest aligned pieces), the destination as the CPU
 * leaves it (merged or zeroed elements, zeroed upper bytes); glibc's memcpy and memset, which
 * use these on such a host, with sizes the compiler cannot see. */
static void avx512_moves_are_word_accesses(void **state)
{
    (void)state;
#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl"))
        skip();
    volatile BYTE *r = boot_and_log_block(g_avx512_board);
    ULONG in[16], out[80];
    for (int i = 0; i < 16; i++)
        in[i] = 0x100u + (ULONG)i;
    memset(out, 0xCC, sizeof out);
    avx512_moves(r, in, out);
    static const char names[] = "0123456789ABCDEF";
    char name[3] = "R0";
    for (int i = 0; i < 16; i++) {
        name[1] = names[i];
        uint32_t v = 0;
        assert_int_equal(cevm_device_get("BLK", name, &v), CEVM_OK);
        assert_int_equal(v, in[i]);
        assert_int_equal(out[i], in[i]); /* zmm load */
    }
    uint32_t b0 = 0, b1 = 0, data = 1;
    assert_int_equal(cevm_device_get("BLK", "B0", &b0), CEVM_OK);
    assert_int_equal(cevm_device_get("BLK", "B1", &b1), CEVM_OK);
    assert_int_equal(b0, in[0]);
    assert_int_equal(b1, 0xAAAA0000u | (in[1] & 0xFFFF)); /* the 2-byte piece merged */
    for (int i = 0; i < 16; i++) {
        ULONG loaded = i == 0 ? in[0] : i == 2 ? in[2] : 0;
        assert_int_equal(out[16 + i], i == 0 || i == 2 ? loaded : 0xFFFFFFFFu); /* merged */
        assert_int_equal(out[32 + i], loaded);                                  /* {z} */
        assert_int_equal(out[48 + i], i < 8 ? in[8 + i] : 0); /* VEX: upper bytes zeroed */
    }
    assert_int_equal(out[64], 0x5A);
    for (int i = 65; i < 80; i++)
        assert_int_equal(out[i], 0); /* an xmm load zeroes the rest of zmm16 */
    assert_int_equal(cevm_device_get("BLK", "DATA", &data), CEVM_OK);
    assert_int_equal(data, 0); /* the rc register was read once */
    cevm_device_access log[80];
    /* 16 writes, 16 reads, B0 and B1's half, R0 and R2 twice, 8 reads, DATA and 0x4C-0x54. */
    int n = cevm_device_log_read("BLK", log, 80);
    assert_int_equal(n, 16 + 16 + 2 + 4 + 8 + 4);
    for (int i = 0; i < 16; i++) {
        assert_true(log[i].write && log[i].raw && log[i].width == 4);
        assert_int_equal(log[i].offset, 4 * i);
        assert_true(!log[16 + i].write && log[16 + i].offset == (uint32_t)(4 * i));
    }
    assert_true(log[32].write && log[32].offset == 0x40 && log[32].width == 4);
    assert_true(log[33].write && log[33].offset == 0x44 && log[33].width == 2);
    assert_true(log[34].offset == 0 && log[35].offset == 8 && log[36].offset == 0 &&
                log[37].offset == 8 && !log[34].write);
    assert_true(log[38].offset == 0x20 && log[45].offset == 0x3C);
    assert_true(log[46].offset == 0x48 && log[47].offset == 0x4C && log[49].offset == 0x54);
    /* Masked-off bytes past the device are not accessed; an unmasked move past it is refused. */
    cevm_exception e;
    assert_int_equal(cevm_try(avx512_masked_at_the_end, (void *)r, &e), 0);
    uint32_t end = 0, last = 0;
    assert_int_equal(cevm_device_get("BLK", "END", &end), CEVM_OK);
    assert_int_equal(end, 0xFFFFFFFFu);
    assert_int_equal(cevm_device_log_read("BLK", log, 80), n + 1);
    assert_int_equal(cevm_try(avx512_store_past_the_end, (void *)r, &e), 1);
    assert_int_equal(e.code, CEVM_EXCEPTION_ACCESS_VIOLATION);
    assert_non_null(strstr(e.reason, "runs past the device"));
    assert_int_equal(cevm_device_log_read("BLK", log, 80), n + 1);
    assert_int_equal(cevm_device_get("BLK", "LAST", &last), CEVM_OK);
    assert_int_equal(last, 0x77);
    /* glibc's memcpy and memset with sizes the compiler cannot see. */
    ULONG back[16] = {0}, again[16];
    for (int i = 0; i < 16; i++)
        again[i] = 0xF0u - (ULONG)i;
    memcpy((void *)r, again, 2 * g_runtime_size);
    memcpy(back, (const void *)r, 2 * g_runtime_size);
    assert_memory_equal(back, again, sizeof back);
    memset((void *)r, 0x5A, g_runtime_size - 10); /* 22 bytes: R0-R4, R5's low half */
    const ULONG want[6] = {0x5A5A5A5Au, 0x5A5A5A5Au, 0x5A5A5A5Au,
                           0x5A5A5A5Au, 0x5A5A5A5Au, (again[5] & 0xFFFF0000u) | 0x5A5Au};
    for (int i = 0; i < 6; i++) {
        name[1] = names[i];
        uint32_t v = 0;
        assert_int_equal(cevm_device_get("BLK", name, &v), CEVM_OK);
        assert_int_equal(v, want[i]);
    }
    MmUnmapIoSpace((PVOID)r, 0x1000);
#else
    skip();
#endif
}

#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
/* Bit tests with a register bit offset (InterlockedBitTestAndSet's lock bts): the offset
 * addresses a bit string from the operand, signed. Each returns the carry flag. */
#define BIT_TEST(NAME, INSN, TYPE)                                                                 \
    static int NAME(volatile BYTE *base, TYPE bit)                                                 \
    {                                                                                              \
        unsigned char cf;                                                                          \
        __asm__ volatile(INSN " %[b], (%[p])\n\tsetc %[cf]"                                        \
                         : [cf] "=q"(cf)                                                           \
                         : [b] "r"(bit), [p] "r"(base)                                             \
                         : "memory", "cc");                                                        \
        return cf;                                                                                 \
    }
BIT_TEST(bts32, "lock btsl", int32_t)
BIT_TEST(btr32, "btrl", int32_t)
BIT_TEST(bt64, "btq", int64_t)
#endif

/* bt* with a register bit offset on a trapped register block: the register-sized unit holding
 * the bit is read (and written), once, wherever the offset points. */
static void bit_tests_with_a_register_offset(void **state)
{
    (void)state;
#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
    volatile BYTE *r = boot_and_log_block(g_avx_board);
    assert_int_equal(bts32(r, 35), 0); /* R1 bit 3, was clear */
    assert_int_equal(bts32(r, 35), 1);
    uint32_t v = 0;
    assert_int_equal(cevm_device_get("BLK", "R1", &v), CEVM_OK);
    assert_int_equal(v, 0x8);
    assert_int_equal(btr32(r + 8, -29), 1); /* 8 bytes on, 29 bits back: R1 bit 3 again */
    assert_int_equal(cevm_device_get("BLK", "R1", &v), CEVM_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cevm_device_set("BLK", "R3", 0x100), CEVM_OK);
    assert_int_equal(bt64(r, 64 + 32 + 8), 1); /* the quadword R2:R3, bit 40: R3 bit 8 */
    cevm_device_access log[16];
    assert_int_equal(cevm_device_log_read("BLK", log, 16), 2 + 2 + 2 + 2);
    for (int i = 0; i < 6; i++)
        assert_int_equal(log[i].offset, 4); /* each bts/btr: one read, one write of R1 */
    assert_true(!log[6].write && log[6].offset == 8 && !log[7].write && log[7].offset == 12);
    MmUnmapIoSpace((PVOID)r, 0x1000);
#else
    skip();
#endif
}

static void misfit_store(void *ctx) __attribute__((unused));
static void misfit_store(void *ctx)
{
    /* A 4-byte store at 0x16, where HALF is 16 bits (unaligned: written in assembly, not C). */
#if defined(__x86_64__)
    uint32_t v = 0xAABBCCDD;
    __asm__ volatile("movl %[v], (%[p])"
                     :
                     : [v] "r"(v), [p] "r"((volatile BYTE *)ctx + 0x16)
                     : "memory");
#else
    (void)ctx;
#endif
}

/* An access that does not fit the register it touches (misaligned, or wider than the register)
 * is reported with the register and the driver call, and not performed: accessors give 0 and
 * change nothing; a raw access is an access violation naming it. */
static void misaligned_or_wider_accesses_are_refused(void **state)
{
    (void)state;
    boot_board();
    volatile ULONG *r = map_dev();
    BYTE *b = (BYTE *)r;
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    WRITE_REGISTER_ULONG((PULONG)(b + 0x16), 0xAABBCCDD);
    assert_int_equal(get("HALF"), 0x1234);
    assert_int_equal(get("BYTE"), 0x7);
    assert_int_equal(READ_REGISTER_ULONG((PULONG)(b + 0x02)), 0);   /* misaligned for CTRL */
    assert_int_equal(READ_REGISTER_USHORT((PUSHORT)(b + 0x14)), 0); /* BYTE is 8 bits */
    cevm_unimplemented_access a[3];
    assert_true(cevm_unimplemented_accesses(a, 3) == before + 3);
    assert_true(a[0].misfit && a[0].write && a[0].width == 4 && a[0].offset == 0x16);
    assert_string_equal(a[0].reg, "HALF");
    assert_true(a[0].reg_offset == 0x16 && a[0].reg_width == 2);
    assert_true(a[1].misfit && !a[1].write && a[1].offset == 0x02);
    assert_string_equal(a[1].reg, "CTRL");
    assert_true(a[2].misfit && a[2].width == 2);
    assert_string_equal(a[2].reg, "BYTE");
#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)
    assert_int_equal(cevm_device_log("DEV", 1), CEVM_OK);
    cevm_exception e;
    assert_int_equal(cevm_try(misfit_store, (void *)r, &e), 1);
    assert_int_equal(e.code, CEVM_EXCEPTION_ACCESS_VIOLATION);
    if (!strstr(e.reason, "a 4-byte access at offset 0x16 does not fit register HALF (2 bytes at "
                          "0x16): misaligned or wider than the register"))
        fail_msg("reason: %s", e.reason);
    assert_int_equal(get("HALF"), 0x1234);
    assert_int_equal(cevm_device_log_read("DEV", NULL, 0), 0); /* nothing performed */
#endif
    MmUnmapIoSpace((PVOID)r, 0x1000);
}

/* On a plain register file, a raw write to the undeclared byte between BYTE (0x14) and HALF
 * (0x16) is one undeclared 1-byte write at the next sync, applied, and reported once. */
static void plain_undeclared_byte_beside_registers(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "%s", g_board);
    char *dev = strstr(text, "0x1000 regfile\n");
    assert_non_null(dev);
    memmove(dev + strlen("0x1000 regfile plain"), dev + strlen("0x1000 regfile"),
            strlen(dev + strlen("0x1000 regfile")) + 1);
    memcpy(dev, "0x1000 regfile plain", strlen("0x1000 regfile plain"));
    boot_board_text(text);
    volatile BYTE *b = (volatile BYTE *)map_dev();
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    b[0x15] = 0x5A; /* plain memory: seen at the next sync */
    assert_int_equal(cevm_device_sync("DEV"), CEVM_OK);
    assert_int_equal(cevm_device_sync("DEV"), CEVM_OK);
    cevm_unimplemented_access a;
    assert_true(cevm_unimplemented_accesses(&a, 1) == before + 1);
    assert_true(a.undeclared && !a.misfit && a.write && a.offset == 0x15 && a.width == 1);
    assert_int_equal(get("BYTE"), 0x7);
    assert_int_equal(get("HALF"), 0x1234);
    MmUnmapIoSpace((PVOID)b, 0x1000);
}

static const struct CMUnitTest tests[] = {
    CE_TEST_RAW(reset_values_and_access_kinds),
    CE_TEST_RAW(self_clearing_bit_ends_a_spin_wait),
    CE_TEST_RAW(misaligned_or_wider_accesses_are_refused),
    CE_TEST_RAW(sse_moves_are_word_accesses),
    CE_TEST_RAW(avx_moves_are_word_accesses),
    CE_TEST_RAW(avx512_moves_are_word_accesses),
    CE_TEST_RAW(string_moves_between_devices),
    CE_TEST_RAW(an_instruction_cevm_cannot_emulate_is_reported),
    CE_TEST_RAW(bit_tests_with_a_register_offset),
    CE_TEST_RAW(plain_undeclared_byte_beside_registers),
    CE_TEST_RAW(pins_drive_and_show_bits),
    CE_TEST_RAW(raw_writes_reach_the_model_at_sync),
    CE_TEST_RAW(a_quiet_plain_file_syncs_what_each_accessor_reaches),
    CE_TEST_RAW(raw_accesses_to_a_trapped_device_are_model_accesses),
    CE_TEST_RAW(interlocked_on_a_trapped_register_is_one_read_and_one_write),
    CE_TEST_RAW(raw_string_moves_and_bad_accesses),
    CE_TEST_RAW(c_model_gets_one_callback_per_access),
    CE_TEST_RAW(registry_loaded_from_board_text),
    CE_TEST(isr_info_rules),
    CE_TEST_RAW(malformed_declarations_name_line_and_cause),
    CE_TEST_RAW(reg_continuation_lines),
    CE_TEST_RAW(reg_conditionals_roots_and_deletions),
    CE_TEST_RAW(reg_include_takes_build_variables),
};

CETEST_MAIN(tests)
