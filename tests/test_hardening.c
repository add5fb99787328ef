/*
 * test_hardening.c — failures found by adversarial probing, each reproduced first and kept as
 * a class of test (docs/testing.md): a library that never exits, data the CE code reads before
 * its first call, memory shared with a forked child, hostile scripts and board files, and the
 * CE 5 rules the probes found bent.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cetest.h"
#include "oal_memory.h"

/* Run fn with stderr sent to a temporary file; return what it printed (malloc'd). */
static char *capture_stderr(void (*fn)(void *), void *ctx)
{
    char path[] = "/tmp/cevm-stderr-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn(ctx);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    char *out = calloc(1, (size_t)n + 1);
    assert_int_equal(pread(fd, out, (size_t)n, 0), n);
    close(fd);
    return out;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---- a library never exits: a failed lazy boot fails the call ----------------------------- */

static void two_calls_on_a_bad_board(void *ctx)
{
    DWORD *errs = ctx;
    SetLastError(0);
    assert_null(VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    errs[0] = GetLastError();
    SetLastError(0);
    assert_false(VirtualFree((LPVOID)0x10000, 0, MEM_RELEASE));
    errs[1] = GetLastError();
}

static void failed_lazy_boot_fails_the_call_and_retries(void **state)
{
    (void)state;
    setenv("CEVM_BOARD", "/nonexistent/board", 1);
    DWORD errs[2];
    char *said = capture_stderr(two_calls_on_a_bad_board, errs);
    assert_int_equal(errs[0], ERROR_NOT_READY);
    assert_int_equal(errs[1], ERROR_NOT_READY);
    /* The reason is printed once, not per call. */
    assert_int_equal(count_of(said, "cevm: cannot boot the machine: /nonexistent/board"), 1);
    free(said);
    char why[256];
    assert_int_equal(cevm_boot_error(why, sizeof why), CEVM_E_HOST);
    assert_non_null(strstr(why, "/nonexistent/board: cannot open board file"));
    cevm_info info;
    assert_int_equal(cevm_get_info(&info), CEVM_E_HOST);
    assert_null(info.board_name);
    assert_false(cevm_is_booted());
    /* The next call tries again, and succeeds once the board is there. */
    unsetenv("CEVM_BOARD");
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(p);
    assert_int_equal(cevm_boot_error(why, sizeof why), CEVM_OK);
    assert_string_equal(why, "");
}

static void bad_window_variable_fails_the_call(void **state)
{
    (void)state;
    const char *was = getenv("CEVM_WINDOW");
    char keep[32];
    snprintf(keep, sizeof keep, "%s", was ? was : "");
    setenv("CEVM_WINDOW", "sideways", 1);
    SetLastError(0);
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery((LPVOID)0x10000, &mbi, sizeof mbi), 0);
    assert_int_equal(GetLastError(), ERROR_NOT_READY);
    char why[256];
    assert_int_equal(cevm_boot_error(why, sizeof why), CEVM_E_INVAL);
    assert_non_null(strstr(why, "CEVM_WINDOW='sideways'"));
    setenv("CEVM_WINDOW", keep, 1);
}

/* ---- g_oalAddressTable holds the board's rows before the first CE call -------------------- */

static void oal_address_table_is_filled_before_boot(void **state)
{
    (void)state;
    assert_false(cevm_is_booted());
    /* The built-in board's first rows (boards/smdk6410). */
    assert_int_equal(g_oalAddressTable[0].CA, 0x80000000u);
    assert_int_equal(g_oalAddressTable[0].PA, 0x50000000u);
    assert_int_equal(g_oalAddressTable[0].size, 128);
    size_t rows = 0;
    while (g_oalAddressTable[rows].size)
        rows++;
    /* The same rows as the booted machine reports. */
    cevm_oem_row booted[70];
    size_t n = cevm_board_oem_rows(booted, 70);
    assert_int_equal(rows, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(g_oalAddressTable[i].CA, booted[i].va);
        assert_int_equal(g_oalAddressTable[i].PA, booted[i].pa);
        assert_int_equal(g_oalAddressTable[i].size, booted[i].mb);
    }
    /* A shutdown keeps the rows readable for the next lazy boot. */
    cevm_shutdown();
    assert_int_equal(g_oalAddressTable[0].CA, 0x80000000u);
}

/* ---- NKDbgPrintfW: 64-bit conversions and absurd widths ------------------------------------ */

static void print_64_bit_and_wide_fields(void *ctx)
{
    (void)ctx;
    NKDbgPrintfW(L"[%lld|%I64d|%I64x|%llu|%5d]\n", -5ll, 1234567890123ll, 0xDEADBEEFCAFEull,
                 18446744073709551615ull, 7);
    NKDbgPrintfW(L"<%99999999999999999999d>\n", 1);
    NKDbgPrintfW(L"<%.99999999999999999999d>\n", 2);
}

static void debug_printf_64_bit_and_huge_widths(void **state)
{
    (void)state;
    char *said = capture_stderr(print_64_bit_and_wide_fields, NULL);
    assert_non_null(strstr(said, "[-5|1234567890123|deadbeefcafe|18446744073709551615|    7]\n"));
    /* A width or precision too large to hold is cut, not overflowed: the number still ends
     * its field. */
    assert_non_null(strstr(said, "1>\n<"));
    assert_non_null(strstr(said, "2>\n"));
    free(said);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(debug_printf_64_bit_and_huge_widths),
    CE_TEST_RAW(failed_lazy_boot_fails_the_call_and_retries),
    CE_TEST_RAW(bad_window_variable_fails_the_call),
    CE_TEST_RAW(oal_address_table_is_filled_before_boot),
};

CETEST_MAIN(tests)
