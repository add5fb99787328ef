/*
 * test_board.c — board files: the built-in default board, errors that name file, line and
 * problem, the static windows as true aliases of RAM and of register files, and a device backed
 * by a plain host file at an offset (the code path /dev/mem takes on real hardware).
 */
#include <fcntl.h>
#include <unistd.h>

#include "cetest.h"
#include <ceddk.h>

/* Boot board text with CEVM_BOOT_* flags; return the status and leave the message in err. */
static cevm_status boot_text_flags(const char *text, unsigned flags, char *err, size_t cap)
{
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = flags;
    cfg.board_text = text;
    cfg.board_label = "test.board";
    err[0] = '\0';
    return cevm_boot(&cfg, err, cap);
}

static cevm_status boot_text(const char *text, char *err, size_t cap)
{
    return boot_text_flags(text, 0, err, cap);
}

#define RAM_LINE "ram DRAM 0x30000000 16M\n"

static void default_board_identity(void **state)
{
    (void)state;
    cevm_info in;
    assert_int_equal(cevm_get_info(&in), CEVM_OK);
    assert_string_equal(in.board_name, "smdk6410");
    assert_string_equal(in.board_source, "built-in");
    const char *prof = getenv("CEVM_PROFILE"); /* ctest runs the case under each profile */
    assert_string_equal(in.profile, prof && *prof ? prof : "ce5");
    assert_string_equal(in.cpu, "arm");
    assert_int_equal(in.ram_pages_total, 128 * 256);
    assert_int_equal(in.ram_pages_free, 128 * 256);
    assert_int_equal(in.current_process, 2);
    assert_int_equal(in.trusted, 1);
    assert_int_equal(in.caller_process, 5); /* app.exe: the driver host's calls come from it */
    assert_string_equal(in.caller_name, "app.exe");
    const char *want = getenv("CEVM_WINDOW");
    if (want && !strcmp(want, "offset"))
        assert_int_equal(in.window, CEVM_WINDOW_OFFSET);
    if (want && !strcmp(want, "identity"))
        assert_int_equal(in.window, CEVM_WINDOW_IDENTITY);
    assert_int_equal(in.window_base % 0x100000000ull, 0);
    assert_int_equal(cevm_window(), in.window);
}

static void the_default_caller_moves_out_of_the_process_slot(void **state)
{
    (void)state;
    char err[256];
    cevm_info in;
    /* A process on the default caller's index: the caller takes the next one. */
    assert_int_equal(boot_text(RAM_LINE "process device.exe 5\n", err, sizeof err), CEVM_OK);
    assert_int_equal(cevm_get_info(&in), CEVM_OK);
    assert_int_equal(in.current_process, 5);
    assert_int_equal(in.caller_process, 6);
    /* A caller the board names. */
    assert_int_equal(boot_text(RAM_LINE "caller tool.exe 9\n", err, sizeof err), CEVM_OK);
    assert_int_equal(cevm_get_info(&in), CEVM_OK);
    assert_int_equal(in.caller_process, 9);
    assert_string_equal(in.caller_name, "tool.exe");
    cevm_shutdown();
}

static void boot_twice_is_refused(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(cevm_boot(NULL, err, sizeof err), CEVM_E_STATE);
    assert_non_null(strstr(err, "already booted"));
}

struct bad_board {
    const char *text;
    cevm_status status;
    const char *message; /* expected message, exactly */
};

static void board_errors_name_file_line_problem(void **state)
{
    (void)state;
    static const struct bad_board cases[] = {
        {"board x\nfrobnicate 1\n" RAM_LINE, CEVM_E_BOARD,
         "test.board:2: unknown keyword 'frobnicate'"},
        {"ram DRAM 0x3000000Q 16M\n", CEVM_E_BOARD,
         "test.board:1: bad physical address '0x3000000Q' (a number below 2^40)"},
        {"ram DRAM 0x30000000 0\n", CEVM_E_BOARD,
         "test.board:1: bad size '0' (a non-zero number, K/M/G allowed)"},
        {"ram DRAM 0x30000800 16M\n", CEVM_E_BOARD,
         "test.board:1: ram DRAM is not page-aligned (address and size must be multiples of "
         "0x1000)"},
        {"ram DRAM 0x30000000\n", CEVM_E_BOARD, "test.board:1: 'ram' needs NAME PA SIZE"},
        {RAM_LINE "ram MORE 0x30800000 16M\n", CEVM_E_BOARD,
         "test.board:2: ram MORE overlaps DRAM (line 1)"},
        {RAM_LINE "device X 0x30001000 0x1000 regfile\n", CEVM_E_BOARD,
         "test.board:2: device X overlaps DRAM (line 1)"},
        {RAM_LINE "device X 0x40000000 0x1000 blinkenlights\n", CEVM_E_BOARD,
         "test.board:2: unknown device kind 'blinkenlights' (regfile or file)"},
        {RAM_LINE "oem 0x70000000 0x30000000 16\n", CEVM_E_BOARD,
         "test.board:2: VA 0x70000000 is outside the cached window 0x80000000-0x9FFFFFFF"},
        {RAM_LINE "oem 0x80080000 0x30000000 16\n", CEVM_E_BOARD,
         "test.board:2: VA and PA must be 1 MB-aligned"},
        {RAM_LINE "oem 0x9FF00000 0x30000000 16\n", CEVM_E_BOARD,
         "test.board:2: row runs past 0x9FFFFFFF"},
        {RAM_LINE "oem 0x80000000 0x30000000 16\noem 0x80400000 0x40000000 1\n", CEVM_E_BOARD,
         "test.board:3: row overlaps line 2 with a different physical address for the same VA"},
        {"board x\n", CEVM_E_BOARD,
         "test.board:1: the board has no 'ram' line (at least one RAM bank is needed)"},
        {RAM_LINE "profile ce9\n", CEVM_E_BOARD,
         "test.board:2: unknown profile 'ce9' (ce5, ce6 or ce7)"},
        {RAM_LINE "cpu mips\n", CEVM_E_BOARD, "test.board:2: 'cpu' must be 'arm' or 'x86'"},
        {"cpu x86\n" RAM_LINE "oem 0x80000000 0x50000000 0x500000\n", CEVM_E_BOARD,
         "test.board:3: bad size '0x500000' (cpu x86: bytes, a non-zero multiple of 4 MB "
         "(0x400000), at most 512 MB)"},
        {"cpu x86\ncache 0xC\n", CEVM_E_BOARD,
         "test.board:2: 'cache' needs the x86 bits of a cached page: 0x0 (write-back) or 0x8 "
         "(PWT, write-through)"},
        {RAM_LINE "cache 0x3\n", CEVM_E_BOARD,
         "test.board:2: 'cache' needs the ARM C/B bits: 0x0, 0x4, 0x8 or 0xC"},
        {RAM_LINE "process device.exe 40\n", CEVM_E_BOARD,
         "test.board:2: process index '40' must be 1 to 31 (slot = index + 1)"},
        {RAM_LINE "process device.exe 2\ncaller app.exe 2\n", CEVM_E_BOARD,
         "test.board:3: the caller and the process must be different processes (index 2)"},
        {RAM_LINE "caller app.exe 0\n", CEVM_E_BOARD,
         "test.board:2: process index '0' must be 1 to 31 (slot = index + 1)"},
        {RAM_LINE "device R 0x40000000 0x1000 regfile fast\n", CEVM_E_BOARD,
         "test.board:2: unexpected 'fast' after 'regfile' (only 'plain')"},
        {RAM_LINE "device F 0x40000000 0x1000 file nonexistent/cevm-test-file\n", CEVM_E_HOST,
         "test.board:2: device F: cannot open nonexistent/cevm-test-file: No such file or "
         "directory"},
        {RAM_LINE "device F 0x40000000 0x1000 file /etc/passwd\n", CEVM_E_BOARD,
         "test.board:2: path '/etc/passwd' leaves the board's folder (absolute or '..'); allow "
         "it with --any-path or CEVM_BOARD_ANY_PATH=1"},
        {RAM_LINE "registry sub/../../x.reg\n", CEVM_E_BOARD,
         "test.board:2: path 'sub/../../x.reg' leaves the board's folder (absolute or '..'); "
         "allow it with --any-path or CEVM_BOARD_ANY_PATH=1"},
        {RAM_LINE "device F 0x40000000 0x1000 file x 0x1000 rw extra\n", CEVM_E_BOARD,
         "test.board:2: unexpected 'rw' after the file offset (only 'rw' may follow)"},
        {"\xEF\xBB\xBF" RAM_LINE "frob\n", CEVM_E_BOARD, "test.board:2: unknown keyword 'frob'"},
        {"root:$6$secret:19000:0:99999:7:::\n" RAM_LINE, CEVM_E_BOARD,
         "test.board:1: not a board file (its first line is no board line; its text is not "
         "shown)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512];
        cevm_status st = boot_text(cases[i].text, err, sizeof err);
        if (st != cases[i].status || strcmp(err, cases[i].message))
            fail_msg("case %zu: status %d, message '%s'", i, (int)st, err);
        assert_int_equal(cevm_is_booted(), 0);
    }
}

static void board_file_errors_name_the_path(void **state)
{
    (void)state;
    cevm_shutdown();
    char path[] = "/tmp/cevm-board-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "board broken\n\nram DRAM 0x30000000 16M\noem 0x80000000 0x30000000\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_path = path;
    char err[512], want[512];
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_E_BOARD);
    snprintf(want, sizeof want, "%s:4: 'oem' needs VA PA SIZE-IN-MB [LABEL]", path);
    assert_string_equal(err, want);
    unlink(path);
    cfg.board_path = "/nonexistent/board";
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_E_HOST);
    assert_string_equal(err,
                        "/nonexistent/board: cannot open board file: No such file or directory");
}

static void shipped_board_file_matches_builtin(void **state)
{
    (void)state;
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_path = CEVM_SOURCE_DIR "/boards/smdk6410";
    char err[256];
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    cevm_info in;
    cevm_get_info(&in);
    assert_string_equal(in.board_name, "smdk6410");
    assert_string_equal(in.board_source, CEVM_SOURCE_DIR "/boards/smdk6410");
    assert_int_equal(in.ram_pages_total, 32768);
}

static void static_windows_alias_ram(void **state)
{
    (void)state;
    /* 0x80000000 -> PA 0x50000000 (mDDR), uncached alias at 0xA0000000. */
    volatile DWORD *cached = (volatile DWORD *)PTR(0x80123450);
    volatile DWORD *uncached = (volatile DWORD *)PTR(0xA0123450);
    *cached = 0xA5A5F00Du;
    assert_int_equal(*uncached, 0xA5A5F00Du);
    uint64_t pa;
    assert_int_equal(cevm_virt_to_phys(0x80123450, &pa), CEVM_OK);
    assert_true(pa == 0x50123450ull);
    assert_int_equal(cevm_virt_to_phys(0xA0123450, &pa), CEVM_OK);
    assert_true(pa == 0x50123450ull);
    /* A committed page is a RAM frame: all three addresses are one page. */
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_int_equal(cevm_virt_to_phys(CEA(p) + 0x10, &pa), CEVM_OK);
    assert_true(pa >= 0x50000000ull && pa < 0x58000000ull);
    assert_int_equal(pa & 0xFFF, 0x10);
    uint32_t va = 0x80000000u + (uint32_t)(pa - 0x50000000ull);
    *(volatile DWORD *)(p + 0x10) = 0x600DCAFEu;
    assert_int_equal(*(volatile DWORD *)PTR(va), 0x600DCAFEu);
    assert_int_equal(*(volatile DWORD *)PTR(va | 0x20000000u), 0x600DCAFEu);
    *(volatile DWORD *)PTR(va | 0x20000000u) = 0x12345678u;
    assert_int_equal(*(volatile DWORD *)(p + 0x10), 0x12345678u);
    assert_int_equal(cevm_frame_refcount(pa & ~0xFFFull), 1);
    assert_int_equal(cevm_frame_refcount(0x7F008000), -1); /* GPIO is not RAM */
}

static void gpio_register_file_is_memory(void **state)
{
    (void)state;
    /* GPIO at PA 0x7F008000: row 0x92B00000 -> 0x7F000000. */
    volatile DWORD *gpio = (volatile DWORD *)PTR(0x92B08000);
    volatile DWORD *ugpio = (volatile DWORD *)PTR(0xB2B08000);
    assert_int_equal(gpio[0x20 / 4], 0);
    gpio[0x20 / 4] = 0x1F;
    assert_int_equal(ugpio[0x20 / 4], 0x1F);
    uint64_t pa;
    assert_int_equal(cevm_virt_to_phys(0x92B08824, &pa), CEVM_OK);
    assert_true(pa == 0x7F008824ull);
    assert_int_equal(cevm_virt_to_phys(0xC0000000, &pa), CEVM_E_NOTFOUND);
    assert_int_equal(cevm_virt_to_phys(0x92C00000, &pa), CEVM_E_NOTFOUND); /* a hole */
}

static void file_backed_device(void **state)
{
    (void)state;
    char path[] = "/tmp/cevm-dev-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    BYTE buf[0x3000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (BYTE)(i * 7);
    assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    char text[512];
    snprintf(text, sizeof text,
             "board filetest\n" RAM_LINE "device SRAM 0x60000000 0x2000 file %s 0x1000\n"
             "oem 0x80000000 0x30000000 16 DRAM\n"
             "oem 0x95000000 0x60000000 1  SRAM\n",
             path);
    char err[256];
    /* An absolute path needs the user's permission; `rw` makes the device writable. */
    assert_int_equal(boot_text(text, err, sizeof err), CEVM_E_BOARD);
    char rw[600];
    snprintf(rw, sizeof rw,
             "board filetest\n" RAM_LINE "device SRAM 0x60000000 0x2000 file %s 0x1000 rw\n"
             "oem 0x80000000 0x30000000 16 DRAM\n"
             "oem 0x95000000 0x60000000 1  SRAM\n",
             path);
    assert_int_equal(boot_text_flags(rw, CEVM_BOOT_ANY_PATH, err, sizeof err), CEVM_OK);
    /* The window shows the file from offset 0x1000; writes land in the file. */
    assert_int_equal(PTR(0x95000000)[0], buf[0x1000]);
    assert_int_equal(PTR(0x95001FFF)[0], buf[0x2FFF]);
    PTR(0xB5000010)[0] = 0xEE;
    BYTE back = 0;
    assert_int_equal(pread(fd, &back, 1, 0x1010), 1);
    assert_int_equal(back, 0xEE);
    close(fd);
    unlink(path);
    cevm_info in;
    cevm_get_info(&in);
    assert_int_equal(in.ram_pages_total, 16 * 256);
}

static void file_backing_too_small(void **state)
{
    (void)state;
    char path[] = "/tmp/cevm-dev-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 0x1000), 0);
    close(fd);
    char text[512], err[256], want[512];
    snprintf(text, sizeof text, RAM_LINE "device SRAM 0x60000000 0x2000 file %s\n", path);
    assert_int_equal(boot_text_flags(text, CEVM_BOOT_ANY_PATH, err, sizeof err), CEVM_E_BOARD);
    snprintf(want, sizeof want,
             "test.board:2: device SRAM: %s is 4096 bytes, too small for 0x2000 bytes at offset "
             "0x0",
             path);
    assert_string_equal(err, want);
    unlink(path);
}

static void window_mode_can_be_forced(void **state)
{
    (void)state;
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.window = CEVM_WINDOW_OFFSET;
    char err[256];
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    assert_int_equal(cevm_window(), CEVM_WINDOW_OFFSET);
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_true((uintptr_t)p >= 0x100000000ull);
    assert_int_equal((uint32_t)(uintptr_t)p, CEA(p)); /* low 32 bits are the CE address */
    p[0] = 1;
    cevm_shutdown();
    setenv("CEVM_WINDOW", "sideways", 1);
    cfg.window = CEVM_WINDOW_AUTO;
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_E_INVAL);
    assert_string_equal(err, "CEVM_WINDOW='sideways': expected identity, offset or auto");
}

/* A reboot in the same process reuses the built-in board its shutdown kept (machine.c), and
 * must give exactly what a first boot gives: the profile from the board's own line (not the
 * one the environment forced on the previous boot), the registry and the registers at their
 * reset values, the same RAM and static windows. */
static void a_reboot_gives_the_built_in_board_afresh(void **state)
{
    (void)state;
    const char *env = getenv("CEVM_PROFILE"); /* ctest's variant */
    char had_env[8];
    snprintf(had_env, sizeof had_env, "%s", env ? env : "");
    cevm_info info;
    assert_int_equal(cevm_get_info(&info), CEVM_OK);
    uint32_t ram = info.ram_pages_total;
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0x7F008000;
    for (int round = 0; round < 3; round++) {
        volatile ULONG *gpio = MmMapIoSpace(pa, 0x1000, FALSE);
        assert_non_null(gpio);
        assert_int_equal(READ_REGISTER_ULONG(&gpio[0x820 / 4]), 0x00222222); /* GPMCON reset */
        WRITE_REGISTER_ULONG(&gpio[0x820 / 4], 0x1111);
        HKEY k;
        DWORD v = 0, type = 0, size = sizeof v;
        assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, L"Drivers\\BuiltIn\\PWM", 0, 0, &k), 0);
        assert_int_equal(RegQueryValueEx(k, L"MemBase", NULL, &type, (BYTE *)&v, &size), 0);
        assert_int_equal(v, 0x7F006000);
        v = 0x12345678;
        assert_int_equal(RegSetValueEx(k, L"MemBase", 0, REG_DWORD, (BYTE *)&v, sizeof v), 0);
        RegCloseKey(k);
        *(volatile DWORD *)PTR(0x80000000u) = 0xC0FFEE; /* RAM through the static window */
        cevm_shutdown();
        setenv("CEVM_PROFILE", round == 1 ? "ce7" : "ce6", 1); /* the environment's version */
        assert_int_equal(cetest_boot(NULL), 0);
        assert_int_equal(cevm_get_info(&info), CEVM_OK);
        assert_string_equal(info.profile, round == 1 ? "ce7" : "ce6");
        cevm_shutdown();
        unsetenv("CEVM_PROFILE"); /* now the board's own line says */
        assert_int_equal(cetest_boot(NULL), 0);
        assert_int_equal(cevm_get_info(&info), CEVM_OK);
        assert_string_equal(info.profile, "ce5");
        assert_string_equal(info.board_source, "built-in");
        assert_int_equal(info.ram_pages_total, ram);
        assert_int_equal(*(volatile DWORD *)PTR(0x80000000u), 0); /* fresh RAM */
    }
    if (had_env[0])
        setenv("CEVM_PROFILE", had_env, 1);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(default_board_identity),
    CE_TEST(boot_twice_is_refused),
    CE_TEST_RAW(the_default_caller_moves_out_of_the_process_slot),
    CE_TEST_RAW(board_errors_name_file_line_problem),
    CE_TEST_RAW(board_file_errors_name_the_path),
    CE_TEST_RAW(shipped_board_file_matches_builtin),
    CE_TEST(static_windows_alias_ram),
    CE_TEST(gpio_register_file_is_memory),
    CE_TEST_RAW(file_backed_device),
    CE_TEST_RAW(file_backing_too_small),
    CE_TEST_RAW(window_mode_can_be_forced),
    CE_TEST(a_reboot_gives_the_built_in_board_afresh),
};

CETEST_MAIN(tests)
