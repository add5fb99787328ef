/*
 * test_hardening.c — failures found by adversarial probing, each reproduced first and kept as
 * a class of test (docs/testing.md): a library that never exits, data the CE code reads before
 * its first call, memory shared with a forked child, hostile scripts and board files, and the
 * CE 5 rules the probes found bent.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cetest.h"
#include "ceddk.h"
#include "devload.h"
#include "oal_memory.h"
#include "pkfuncs.h"

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

/* ---- board files are input: paths, read-only devices, no echo of other files --------------- */

/* A temporary folder with a data file "dev.bin" (0x2000 bytes of 0x5A) of the given mode and
 * a board "board" naming it as `file` device SRAM with extra words (e.g. "rw"). */
struct board_dir {
    char dir[64], board[96], data[96];
};

static void make_board_dir(struct board_dir *bd, mode_t mode, const char *extra)
{
    snprintf(bd->dir, sizeof bd->dir, "/tmp/cevm-bd-XXXXXX");
    assert_non_null(mkdtemp(bd->dir));
    snprintf(bd->data, sizeof bd->data, "%s/dev.bin", bd->dir);
    snprintf(bd->board, sizeof bd->board, "%s/board", bd->dir);
    FILE *f = fopen(bd->data, "wb");
    assert_non_null(f);
    for (int i = 0; i < 0x2000; i++)
        fputc(0x5A, f);
    fclose(f);
    assert_int_equal(chmod(bd->data, mode), 0);
    f = fopen(bd->board, "w");
    assert_non_null(f);
    fprintf(f,
            "board files\nram DRAM 0x30000000 16M\n"
            "device SRAM 0x60000000 0x2000 file dev.bin %s\n"
            "oem 0x80000000 0x30000000 16 DRAM\noem 0x95000000 0x60000000 1 SRAM\n",
            extra);
    fclose(f);
}

static void remove_board_dir(struct board_dir *bd)
{
    unlink(bd->data);
    unlink(bd->board);
    rmdir(bd->dir);
}

static cevm_status boot_path(const char *path, unsigned flags, char *err, size_t cap)
{
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_path = path;
    cfg.flags = flags;
    return cevm_boot(&cfg, err, cap);
}

static void write_sram(void *ctx)
{
    *(volatile BYTE *)ctx = 0x11;
}

static void file_device_is_read_only_unless_rw(void **state)
{
    (void)state;
    struct board_dir bd;
    make_board_dir(&bd, 0644, "");
    char err[512];
    assert_int_equal(boot_path(bd.board, 0, err, sizeof err), CEVM_OK);
    /* Reads see the file; a write through the static window is an access violation that names
     * the device, and the file is unchanged. */
    assert_int_equal(PTR(0x95000010)[0], 0x5A);
    cevm_exception e;
    assert_int_equal(cevm_try(write_sram, PTR(0xB5000010), &e), 1);
    assert_int_equal(e.code, CEVM_EXCEPTION_ACCESS_VIOLATION);
    assert_int_equal(e.info[0], 1);
    assert_int_equal(e.info[1], 0xB5000010u);
    assert_non_null(strstr(e.reason, "device 'SRAM' is read-only"));
    /* The same through a VirtualCopy mapping the driver asked to be read-write. */
    BYTE *v = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(v);
    assert_true(VirtualCopy(v, (LPVOID)(0x60000000 >> 8), 0x1000, PAGE_PHYSICAL | PAGE_READWRITE));
    assert_int_equal(v[5], 0x5A);
    assert_int_equal(cevm_try(write_sram, v + 5, &e), 1);
    assert_non_null(strstr(e.reason, "read-only"));
    char inv[256];
    assert_int_equal(cevm_check_invariants(inv, sizeof inv), CEVM_OK);
    cevm_shutdown();
    FILE *f = fopen(bd.data, "rb");
    int c0 = fgetc(f);
    fseek(f, 0x10, SEEK_SET);
    int c1 = fgetc(f);
    fclose(f);
    assert_int_equal(c0, 0x5A);
    assert_int_equal(c1, 0x5A);
    remove_board_dir(&bd);

    /* `rw` on a file the user may write: writes land in the file. */
    make_board_dir(&bd, 0644, "rw");
    assert_int_equal(boot_path(bd.board, 0, err, sizeof err), CEVM_OK);
    PTR(0xB5000010)[0] = 0x11;
    cevm_shutdown();
    f = fopen(bd.data, "rb");
    fseek(f, 0x10, SEEK_SET);
    assert_int_equal(fgetc(f), 0x11);
    fclose(f);
    remove_board_dir(&bd);
}

static void rw_file_device_needs_write_permission_even_for_root(void **state)
{
    (void)state;
    struct board_dir bd;
    make_board_dir(&bd, 0444, "rw");
    char err[512], want[512];
    assert_int_equal(boot_path(bd.board, 0, err, sizeof err), CEVM_E_BOARD);
    snprintf(want, sizeof want,
             "%s:3: device SRAM: %s is marked rw but its mode does not let you write it", bd.board,
             bd.data);
    assert_string_equal(err, want);
    /* A check opens nothing for writing, so it passes. */
    assert_int_equal(boot_path(bd.board, CEVM_BOOT_NO_WRITE, err, sizeof err), CEVM_OK);
    cevm_shutdown();
    remove_board_dir(&bd);
}

static void board_paths_stay_in_the_folder_and_errors_quote_no_foreign_text(void **state)
{
    (void)state;
    struct board_dir bd;
    make_board_dir(&bd, 0644, "");
    char path[128], err[512], want[512], rel[64], secret[128];
    /* A file beside the folder: ../cevm-bd-XXXXXX.secret */
    snprintf(rel, sizeof rel, "..%s.secret", strrchr(bd.dir, '/'));
    snprintf(secret, sizeof secret, "%s.secret", bd.dir);
    snprintf(path, sizeof path, "%s/top", bd.dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "include board\nregistry %s\n", rel);
    fclose(f);
    assert_int_equal(boot_path(path, 0, err, sizeof err), CEVM_E_BOARD);
    snprintf(want, sizeof want,
             "%s:2: path '%s' leaves the board's folder (absolute or '..'); allow it "
             "with --any-path or CEVM_BOARD_ANY_PATH=1",
             path, rel);
    assert_string_equal(err, want);
    /* Allowed, a file that is no registry file is named but never quoted. */
    f = fopen(secret, "w");
    fprintf(f, "root:$6$hashhashhash:19000:0:99999:7:::\n");
    fclose(f);
    assert_int_equal(boot_path(path, CEVM_BOOT_ANY_PATH, err, sizeof err), CEVM_E_BOARD);
    assert_null(strstr(err, "hashhash"));
    assert_non_null(strstr(err, ".secret:1: not a platform.reg file"));
    /* The same for a board file and for a registry file with a byte-order mark that is fine. */
    f = fopen(path, "w");
    fprintf(f, "include %s\n", rel);
    fclose(f);
    assert_int_equal(boot_path(path, CEVM_BOOT_ANY_PATH, err, sizeof err), CEVM_E_BOARD);
    assert_null(strstr(err, "hashhash"));
    assert_non_null(strstr(err, ".secret:1: not a board file"));
    f = fopen(secret, "w");
    fprintf(f, "\xEF\xBB\xBF[HKEY_LOCAL_MACHINE\\Drivers\\X]\n\"Prefix\"=\"XXX\"\n");
    fclose(f);
    f = fopen(path, "w");
    fprintf(f, "\xEF\xBB\xBFinclude board\nregistry %s\n", rel);
    fclose(f);
    assert_int_equal(boot_path(path, CEVM_BOOT_ANY_PATH, err, sizeof err), CEVM_OK);
    HKEY h;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, L"Drivers\\X", 0, 0, &h), ERROR_SUCCESS);
    RegCloseKey(h);
    cevm_shutdown();
    unlink(secret);
    unlink(path);
    remove_board_dir(&bd);
}

static void region_errors_name_the_included_file(void **state)
{
    (void)state;
    struct board_dir bd;
    make_board_dir(&bd, 0644, "");
    unlink(bd.data); /* the device's file is missing */
    char path[128], err[512], want[512];
    snprintf(path, sizeof path, "%s/top", bd.dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "# top\ninclude board\n");
    fclose(f);
    assert_int_equal(boot_path(path, 0, err, sizeof err), CEVM_E_HOST);
    snprintf(want, sizeof want, "%s:3: device SRAM: cannot open %s: No such file or directory",
             bd.board, bd.data);
    assert_string_equal(err, want);
    unlink(path);
    remove_board_dir(&bd);
}

/* ---- SIGBUS on a truncated file backing: CE's in-page error --------------------------------- */

static void read_word(void *ctx)
{
    (void)*(volatile DWORD *)ctx;
}

static void truncated_file_backing_raises_in_page_error(void **state)
{
    (void)state;
    struct board_dir bd;
    make_board_dir(&bd, 0644, "");
    char err[512];
    assert_int_equal(boot_path(bd.board, 0, err, sizeof err), CEVM_OK);
    assert_int_equal(PTR(0x95001010)[0], 0x5A);
    assert_int_equal(truncate(bd.data, 0x1000), 0); /* the file no longer holds page 1 */
    cevm_exception e;
    assert_int_equal(cevm_try(read_word, PTR(0x95001010), &e), 1);
    assert_int_equal(e.code, CEVM_EXCEPTION_IN_PAGE_ERROR);
    assert_int_equal(e.info[0], 0);
    assert_int_equal(e.info[1], 0x95001010u);
    assert_non_null(strstr(e.reason, "backing file cannot supply"));
    assert_string_equal(cevm_exception_name(e.code), "EXCEPTION_IN_PAGE_ERROR");
    assert_int_equal(cevm_try(read_word, PTR(0x95000010), &e), 0); /* page 0 is still there */
    /* Outside a frame: one line, then death by SIGBUS. */
    char out[512];
    int status = cetest_run_child(read_word, PTR(0xB5001000), out, sizeof out);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGBUS);
    assert_non_null(strstr(out, "cevm: unhandled exception EXCEPTION_IN_PAGE_ERROR (0xC0000006): "
                                "read at CE address 0xB5001000 (the backing file cannot supply"));
    cevm_shutdown();
    remove_board_dir(&bd);
}

/* ---- a handler the host installs after boot does not switch cevm off ------------------------ */

static sigjmp_buf g_host_jump;
static volatile sig_atomic_t g_host_hits;

static void host_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    g_host_hits++;
    siglongjmp(g_host_jump, 1);
}

static void host_handler_after_boot_keeps_cevm_working(void **state)
{
    (void)state;
    struct sigaction before;
    assert_int_equal(sigaction(SIGSEGV, NULL, &before), 0); /* what the program had (cmocka's) */
    char err[256];
    assert_int_equal(cevm_boot(NULL, err, sizeof err), CEVM_OK);
    struct sigaction mine, old;
    memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = host_segv;
    mine.sa_flags = SA_SIGINFO;
    sigemptyset(&mine.sa_mask);
    assert_int_equal(sigaction(SIGSEGV, &mine, &old), 0);
    /* The program sees its own earlier handler as the old one, not cevm's. */
    assert_true(old.sa_handler == before.sa_handler);
    /* cevm still resolves CE faults: auto-commit works, a CE access violation still reaches a
     * CE frame. */
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_RESERVE | MEM_AUTO_COMMIT, PAGE_READWRITE);
    assert_non_null(p);
    p[0x1000] = 5;
    assert_int_equal(p[0x1000], 5);
    BYTE *r = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    cevm_exception e;
    assert_int_equal(cevm_try(read_word, r, &e), 1);
    assert_int_equal(e.code, CEVM_EXCEPTION_ACCESS_VIOLATION);
    assert_int_equal(g_host_hits, 0);
    /* A fault cevm does not own goes to the program's handler. */
    if (sigsetjmp(g_host_jump, 1) == 0)
        read_word(cetest_wild());
    assert_int_equal(g_host_hits, 1);
    /* signal() behaves the same; shutdown leaves the program's latest handler installed. */
    assert_true(signal(SIGSEGV, SIG_DFL) != SIG_ERR);
    struct sigaction now;
    assert_int_equal(sigaction(SIGSEGV, &mine, NULL), 0);
    cevm_shutdown();
    assert_int_equal(sigaction(SIGSEGV, NULL, &now), 0);
    assert_true(now.sa_sigaction == host_segv);
    assert_int_equal(sigaction(SIGSEGV, &before, NULL), 0);
}

/* ---- threads on one unimplemented page ------------------------------------------------------ */

#define HAMMER_ROUNDS 500

static volatile int g_hammer_stop;

static void *hammer(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    volatile DWORD *reg = (volatile DWORD *)PTR(0x92B0B000u + 4 * (uint32_t)i); /* SPI: none */
    for (int k = 0; k < HAMMER_ROUNDS; k++) {
        *reg = (DWORD)k;
        (void)*reg;
    }
    return NULL;
}

static void *check_loop(void *arg)
{
    int *broken = arg;
    char err[256];
    while (!__atomic_load_n(&g_hammer_stop, __ATOMIC_RELAXED)) {
        if (cevm_check_invariants(err, sizeof err) != CEVM_OK)
            (*broken)++;
        usleep(5000); /* a check takes milliseconds with the machine locked */
    }
    return NULL;
}

static void hammer_with(unsigned nthreads)
{
    cevm_set_unimplemented_log(0);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    pthread_t t[8], checker;
    int broken = 0;
    g_hammer_stop = 0;
    assert_int_equal(pthread_create(&checker, NULL, check_loop, &broken), 0);
    for (unsigned i = 0; i < nthreads; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)(uintptr_t)i), 0);
    for (unsigned i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    __atomic_store_n(&g_hammer_stop, 1, __ATOMIC_RELAXED);
    pthread_join(checker, NULL);
    /* No abort, no false "broken" from the checker while accesses were in flight, and every
     * access was logged (decoded: no thread ever sees another's scratch page). */
    assert_int_equal(broken, 0);
    uint64_t logged = cevm_unimplemented_accesses(NULL, 0) - before;
#if defined(CEVM_TEST_HAVE_CAPSTONE) && defined(__x86_64__)
    assert_int_equal(logged, 2ull * HAMMER_ROUNDS * nthreads);
#else
    assert_true(logged > 0 && logged <= 2ull * HAMMER_ROUNDS * nthreads);
#endif
}

static void two_threads_on_one_unimplemented_page(void **state)
{
    (void)state;
    hammer_with(2);
}

static void eight_threads_on_one_unimplemented_page(void **state)
{
    (void)state;
    hammer_with(8);
}

/* Threads on one trapped register file (the default board's GPIO): each thread's raw stores
 * and loads (decoded model accesses) on a register of its own (two threads' raw accesses to one
 * address would be the program's own data race), and the accessors on a shared one, GPMCON,
 * whose reads are lock-free when the log is off. Each value written repeats its low half in
 * its high half, so a torn read would show. With the log on every access is logged; the
 * invariants hold throughout. */
static const uint32_t g_own_regs[8] = {0x800, 0x804, 0x80C, 0x810, 0x814, 0x81C, 0x828, 0x838};

struct device_hammer {
    volatile DWORD *gpio;
    unsigned id;
    int torn, lost;
};

static void *hammer_device(void *arg)
{
    struct device_hammer *h = arg;
    volatile DWORD *own = &h->gpio[g_own_regs[h->id] / 4], *shared = &h->gpio[0x820 / 4];
    for (int k = 0; k < HAMMER_ROUNDS; k++) {
        DWORD v = ((h->id * HAMMER_ROUNDS + (DWORD)k) & 0xFFFFu) * 0x10001u;
        *own = v;
        if (*own != v)
            h->lost++;
        WRITE_REGISTER_ULONG(shared, v);
        DWORD got = READ_REGISTER_ULONG(shared);
        if ((got >> 16) != (got & 0xFFFF))
            h->torn++;
    }
    return NULL;
}

static void device_hammer_with(unsigned nthreads) __attribute__((unused));
static void device_hammer_with(unsigned nthreads)
{
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0x7F008000;
    volatile DWORD *gpio = MmMapIoSpace(pa, 0x1000, FALSE);
    assert_non_null((void *)gpio);
    for (int log = 1; log >= 0; log--) {
        WRITE_REGISTER_ULONG(&gpio[0x820 / 4], 0);
        assert_int_equal(cevm_device_log("GPIO", log), CEVM_OK);
        pthread_t t[8], checker;
        struct device_hammer h[8];
        int broken = 0;
        g_hammer_stop = 0;
        assert_int_equal(pthread_create(&checker, NULL, check_loop, &broken), 0);
        for (unsigned i = 0; i < nthreads; i++) {
            h[i] = (struct device_hammer){gpio, i, 0, 0};
            assert_int_equal(pthread_create(&t[i], NULL, hammer_device, &h[i]), 0);
        }
        for (unsigned i = 0; i < nthreads; i++)
            pthread_join(t[i], NULL);
        __atomic_store_n(&g_hammer_stop, 1, __ATOMIC_RELAXED);
        pthread_join(checker, NULL);
        assert_int_equal(broken, 0);
        for (unsigned i = 0; i < nthreads; i++) {
            assert_int_equal(h[i].torn, 0);
            assert_int_equal(h[i].lost, 0);
        }
        if (log) /* every access, raw or through an accessor, is one logged model access */
            assert_int_equal(cevm_device_log_read("GPIO", NULL, 0),
                             4ull * HAMMER_ROUNDS * nthreads);
    }
    MmUnmapIoSpace((PVOID)gpio, 0x1000);
}

/* One register written whole by one thread (WRITE_REGISTER_ULONG: a lock-free store on a
 * trapped file) and a byte at a time by another (a partial write, merged into the register):
 * the whole writes carry a rising count above the low byte, so no reader may ever see the
 * count fall — a byte write merged into a stale copy of the register would put an older count
 * back. */
#define MERGE_ROUNDS 200000

struct merge_hammer {
    volatile DWORD *reg;
    int byte_writer;
    int fell;
};

static void *merge_writer(void *arg)
{
    struct merge_hammer *h = arg;
    DWORD seen = 0;
    for (DWORD k = 1; k <= MERGE_ROUNDS; k++) {
        if (h->byte_writer)
            WRITE_REGISTER_UCHAR((volatile UCHAR *)h->reg, (UCHAR)k);
        else
            WRITE_REGISTER_ULONG(h->reg, k << 8);
        DWORD count = READ_REGISTER_ULONG(h->reg) >> 8;
        if (count < seen || (!h->byte_writer && count < k))
            h->fell++;
        seen = count;
    }
    return NULL;
}

static void whole_and_byte_writes_of_one_register_merge(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0x7F008000;
    volatile DWORD *gpio = MmMapIoSpace(pa, 0x1000, FALSE);
    assert_non_null((void *)gpio);
    volatile DWORD *reg = &gpio[0x820 / 4]; /* GPMCON: rw, no pins */
    WRITE_REGISTER_ULONG(reg, 0);
    struct merge_hammer h[2] = {{reg, 0, 0}, {reg, 1, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, merge_writer, &h[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(h[0].fell, 0);
    assert_int_equal(h[1].fell, 0);
    assert_int_equal(READ_REGISTER_ULONG(reg) >> 8, MERGE_ROUNDS);
    MmUnmapIoSpace((PVOID)gpio, 0x1000);
}

static void two_threads_on_one_trapped_device(void **state)
{
    (void)state;
#if defined(CEVM_TEST_HAVE_CAPSTONE) && defined(__x86_64__)
    device_hammer_with(2);
#else
    skip(); /* without the decoder register files are plain memory */
#endif
}

static void eight_threads_on_one_trapped_device(void **state)
{
    (void)state;
#if defined(CEVM_TEST_HAVE_CAPSTONE) && defined(__x86_64__)
    device_hammer_with(8);
#else
    skip();
#endif
}

/* ---- the heap: its bookkeeping is out of the program's reach ------------------------------- */

static void overrun_and_free(void *ctx)
{
    (void)ctx;
    BYTE *p = LocalAlloc(LMEM_FIXED, 10);
    p[10] = 0x41; /* one past the end */
    LocalFree(p);
    LocalFree(p); /* and again */
}

static void heap_overrun_and_double_free_are_reported(void **state)
{
    (void)state;
    char *said = capture_stderr(overrun_and_free, NULL);
    assert_non_null(strstr(said, "cevm: heap: LocalFree found a block written past its end: 0x"));
    assert_non_null(strstr(said, " (10 bytes)\n"));
    assert_non_null(strstr(said, "cevm: heap: LocalFree of a block already freed (a double "
                                 "free): 0x"));
    free(said);
    /* The heap still works, and reuses the block. */
    BYTE *q = LocalAlloc(LPTR, 10);
    assert_non_null(q);
    assert_null(LocalFree(q));
}

static void free_block(void *p)
{
    LocalFree(p);
}

static void alloc_zeroed(void *ctx)
{
    void **out = ctx;
    SetLastError(0);
    out[0] = LocalAlloc(LPTR, 16);
    out[1] = (void *)(uintptr_t)GetLastError();
}

static void heap_survives_the_program_wiping_its_memory(void **state)
{
    (void)state;
    BYTE *a = LocalAlloc(LPTR, 100), *b = LocalAlloc(LPTR, 100);
    assert_non_null(a);
    assert_non_null(b);
    /* Zero the heap segment's RAM through the static window (a driver clearing "its" buffer). */
    uint64_t pa;
    assert_int_equal(cevm_virt_to_phys(CEA(a) & ~0xFFFu, &pa), CEVM_OK);
    memset(PTR(0x80000000u + (uint32_t)(pa - 0x50000000u)), 0, 0x1000);
    /* Allocation and freeing go on (no spin, no crash); the wiped guard is reported. */
    BYTE *c = LocalAlloc(LPTR, 100);
    assert_non_null(c);
    char *said = capture_stderr(free_block, a);
    assert_non_null(strstr(said, "written past its end"));
    free(said);
    said = capture_stderr(free_block, b);
    free(said);
    LocalFree(c);
    /* The program decommits the page of a heap block: the next allocation there fails cleanly
     * (NULL, 8, a report) instead of faulting. */
    BYTE *d = LocalAlloc(LMEM_FIXED, 16);
    assert_ptr_equal(d, a); /* first fit: the segment is empty again */
    assert_true(VirtualFree(d, 0x1000, MEM_DECOMMIT));
    void *out[2];
    said = capture_stderr(alloc_zeroed, out);
    assert_null(out[0]);
    assert_int_equal((uintptr_t)out[1], ERROR_NOT_ENOUGH_MEMORY);
    assert_non_null(strstr(said, "the program made a heap segment inaccessible"));
    free(said);
}

/* ---- the registry: hostile pointers never leave it locked; it scales ------------------------ */

static void registry_calls_survive_wild_pointers(void **state)
{
    (void)state;
    void *wild = cetest_wild();
    HKEY h;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, (LPCWSTR)wild, 0, 0, &h),
                     ERROR_INVALID_PARAMETER);
    assert_int_equal(RegCreateKeyEx(HKEY_LOCAL_MACHINE, L"Drivers\\Wild", 0, NULL, 0, 0, NULL,
                                    (PHKEY)wild, NULL),
                     ERROR_INVALID_PARAMETER);
    SetLastError(0);
    assert_null(OpenDeviceKey((LPCWSTR)wild));
    assert_int_equal(
        RegCreateKeyEx(HKEY_LOCAL_MACHINE, L"Drivers\\Wild", 0, NULL, 0, 0, NULL, &h, NULL),
        ERROR_SUCCESS);
    assert_int_equal(RegSetValueEx(h, (LPCWSTR)wild, 0, REG_DWORD, (const BYTE *)"abcd", 4),
                     ERROR_INVALID_PARAMETER);
    assert_int_equal(RegSetValueEx(h, L"V", 0, REG_BINARY, (const BYTE *)wild, 8),
                     ERROR_INVALID_PARAMETER);
    DWORD v = 7, size = sizeof v, type;
    assert_int_equal(RegSetValueEx(h, L"V", 0, REG_DWORD, (const BYTE *)&v, 4), ERROR_SUCCESS);
    assert_int_equal(RegQueryValueEx(h, (LPCWSTR)wild, NULL, &type, (LPBYTE)&v, &size),
                     ERROR_INVALID_PARAMETER);
    assert_int_equal(RegQueryValueEx(h, L"V", NULL, &type, (LPBYTE)wild, &size),
                     ERROR_INVALID_PARAMETER);
    assert_int_equal(RegQueryValueEx(h, L"V", NULL, (LPDWORD)wild, (LPBYTE)&v, &size),
                     ERROR_INVALID_PARAMETER);
    WCHAR name[8];
    DWORD cch = 8;
    assert_int_equal(RegEnumValue(h, 0, (LPWSTR)wild, &cch, NULL, NULL, NULL, NULL),
                     ERROR_INVALID_PARAMETER);
    assert_int_equal(RegEnumValue(h, 0, name, (LPDWORD)wild, NULL, NULL, NULL, NULL),
                     ERROR_INVALID_PARAMETER);
    /* Nothing was left locked: another thread's calls would hang otherwise; this one's work. */
    v = 0;
    size = sizeof v;
    assert_int_equal(RegQueryValueEx(h, L"V", NULL, &type, (LPBYTE)&v, &size), ERROR_SUCCESS);
    assert_int_equal(v, 7);
    assert_int_equal(RegCloseKey(h), ERROR_SUCCESS);
}

static void registry_with_100000_values_loads_fast(void **state)
{
    (void)state;
    size_t cap = 100000 * 32 + 256, n = 0;
    char *text = malloc(cap);
    n +=
        (size_t)snprintf(text + n, cap - n, "ram DRAM 0x30000000 16M\n[HKEY_LOCAL_MACHINE\\Big]\n");
    for (int i = 0; i < 100000; i++)
        n += (size_t)snprintf(text + n, cap - n, "\"v%d\"=dword:%x\n", i, i);
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = text;
    char err[256];
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    free(text);
    HKEY h;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, L"Big", 0, 0, &h), ERROR_SUCCESS);
    DWORD v = 0, size = sizeof v;
    assert_int_equal(RegQueryValueEx(h, L"V99999", NULL, NULL, (LPBYTE)&v, &size), ERROR_SUCCESS);
    assert_int_equal(v, 99999);
    WCHAR name[16];
    DWORD cch = 16;
    assert_int_equal(RegEnumValue(h, 5, name, &cch, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
    assert_int_equal(name[0], 'v');
    assert_int_equal(name[1], '5'); /* creation order */
    RegCloseKey(h);
}

static void registry_with_300000_nested_keys_shuts_down(void **state)
{
    (void)state;
    HKEY h = HKEY_LOCAL_MACHINE;
    for (int i = 0; i < 300000; i++) {
        HKEY c;
        assert_int_equal(RegCreateKeyEx(h, L"k", 0, NULL, 0, 0, NULL, &c, NULL), ERROR_SUCCESS);
        if (h != HKEY_LOCAL_MACHINE)
            RegCloseKey(h);
        h = c;
    }
    RegCloseKey(h);
    cevm_shutdown(); /* frees the tree without recursion */
}

/* ---- fork(): the child gets its own copy of CE memory ------------------------------------- */

static void forked_child_has_its_own_memory(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(p);
    p[0] = 1;
    uint64_t pa;
    assert_int_equal(cevm_virt_to_phys(CEA(p), &pa), CEVM_OK);
    volatile BYTE *alias = PTR(0x80000000u + (uint32_t)(pa - 0x50000000u)); /* static window */
    volatile DWORD *gpio = (volatile DWORD *)PTR(0xB2B08020);               /* GPIO register file */
    *gpio = 0x11;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int bad = 0;
        bad |= p[0] != 1 || *alias != 1; /* the child starts with the parent's data */
        p[0] = 2;
        bad |= *alias != 2; /* its aliases are still aliases */
        *gpio = 0x22;
        BYTE *q = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
        bad |= !q || q[0] != 0;
        if (q)
            q[0] = 3;
        char err[256];
        bad |= cevm_check_invariants(err, sizeof err) != CEVM_OK;
        _exit(bad ? 1 : 0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* Nothing the child did reached the parent. */
    assert_int_equal(p[0], 1);
    assert_int_equal(*alias, 1);
    assert_int_equal(*gpio, 0x11);
    BYTE *r = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(r);
    assert_int_equal(r[0], 0); /* the frame the child used for q is still zero here */
    /* Forking again works (the handlers left every lock free in both). */
    pid = fork();
    if (pid == 0)
        _exit(VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE) ? 0 : 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- CE 5 rules the probes found bent ---------------------------------------------------- */

static void alloc_phys_pages_are_locked(void **state)
{
    (void)state;
    uint32_t free0;
    cevm_ram_pages(NULL, &free0);
    ULONG pa = 0;
    BYTE *p = AllocPhysMem(0x3000, PAGE_READWRITE, 0, 0, &pa);
    assert_non_null(p);
    p[0x1000] = 0x77;
    /* Decommit skips locked blocks: the page stays, with its frame and data (spec §4). */
    assert_true(VirtualFree(p + 0x1000, 0x1000, MEM_DECOMMIT));
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(p + 0x1000, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.State, MEM_COMMIT);
    assert_int_equal(p[0x1000], 0x77);
    assert_int_equal(cevm_frame_refcount(pa + 0x1000), 1);
    /* Access to locked pages cannot be reduced (spec §5). */
    DWORD old = 0;
    assert_error(!VirtualProtect(p, 0x1000, PAGE_READONLY, &old), ERROR_INVALID_PARAMETER);
    p[0] = 1; /* still writable */
    /* A plain release is refused; the caller cannot pass the force flag; FreePhysMem can. */
    assert_error(!VirtualFree(p, 0, MEM_RELEASE), ERROR_INVALID_PARAMETER);
    assert_error(!VirtualFree(p, 0, MEM_RELEASE | 0x80000000u), ERROR_INVALID_PARAMETER);
    assert_true(FreePhysMem(p));
    uint32_t free1;
    cevm_ram_pages(NULL, &free1);
    assert_int_equal(free1, free0);
    assert_int_equal(VirtualQuery(p, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.State, MEM_FREE);
}

static void alloc_phys_keeps_pages_back(void **state)
{
    (void)state;
    uint32_t free0;
    cevm_ram_pages(NULL, &free0);
    ULONG pa = 0;
    /* Taking all but 19 pages would leave fewer than the 20 kept back: 8, nothing taken. */
    assert_error(AllocPhysMem((free0 - 19) * 0x1000, PAGE_READWRITE, 0, 0, &pa) == NULL,
                 ERROR_NOT_ENOUGH_MEMORY);
    uint32_t free1;
    cevm_ram_pages(NULL, &free1);
    assert_int_equal(free1, free0);
    BYTE *p = AllocPhysMem((free0 - 20) * 0x1000, PAGE_READWRITE, 0, 0, &pa);
    assert_non_null(p);
    cevm_ram_pages(NULL, &free1);
    assert_int_equal(free1, 20);
    /* The pages kept back still serve ordinary commits. */
    BYTE *q = VirtualAlloc(NULL, 0x4000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(q);
    assert_true(VirtualFree(q, 0, MEM_RELEASE));
    assert_true(FreePhysMem(p));
}

static void process_slot_base_counts_as_null(void **state)
{
    (void)state;
    /* Slot-relative 0 is NULL (spec §3.2): 32 MB MEM_RESERVE/PAGE_NOACCESS takes the large
     * area; smaller calls reserve by first fit and answer in the process-slot form. */
    BYTE *big = VirtualAlloc(PTR(0x06000000), 0x2000000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(big);
    assert_true(CEA(big) >= 0x42000000u && CEA(big) < 0x7C000000u);
    assert_int_equal((CEA(big) - 0x42000000u) % 0x2000000u, 0);
    assert_true(VirtualFree(big, 0, MEM_RELEASE));
    assert_error(
        VirtualAlloc(PTR(0x06000000), 0x2000000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == NULL,
        ERROR_INVALID_PARAMETER);
    BYTE *p = VirtualAlloc(PTR(0x06000000), 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(p);
    assert_int_equal(CEA(p), 0x06010000u);
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
}

static void secure_section_is_not_a_kernel_address(void **state)
{
    (void)state;
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(PTR(0xC2001234), &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(CEA(mbi.BaseAddress), 0xC2001000u);
    assert_int_equal(mbi.State, MEM_FREE);
    assert_int_equal(mbi.RegionSize, 0xC4000000u - 0xC2001000u);
    assert_int_equal(mbi.Type, 0);
    /* Its neighbours are kernel addresses. */
    assert_error(VirtualQuery(PTR(0xC1FFF000), &mbi, sizeof mbi) == 0, ERROR_INVALID_PARAMETER);
    assert_error(VirtualQuery(PTR(0xC4000000), &mbi, sizeof mbi) == 0, ERROR_INVALID_PARAMETER);
    /* It is NK's slot, not the caller's: no allocation there. */
    assert_error(VirtualAlloc(PTR(0xC2010000), 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL,
                 ERROR_INVALID_PARAMETER);
}

/* ---- the CE 5 trust model ------------------------------------------------------------------ */

static void read_static(void *ctx)
{
    *(volatile BYTE *)ctx += 0;
}

static void untrusted_caller_is_refused_every_trusted_api(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    BYTE *r = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    ULONG pa = 0;
    BYTE *phys = AllocPhysMem(0x1000, PAGE_READWRITE, 0, 0, &pa);
    assert_non_null(phys);
    struct snapshot *s = snapshot_take();
    /* CE 5: an untrusted caller gets 5; CE 6+: a user-mode caller gets 50 from the kernel-mode
     * APIs and 87 from AllocPhysMem (spec §7, §10, oracles 46 and 54). */
    const DWORD denied = CE5 ? ERROR_ACCESS_DENIED : ERROR_NOT_SUPPORTED;
    cevm_set_trusted(0);
    DWORD pfn[2], old;
    assert_error(!LockPages(p, 0x2000, pfn, LOCKFLAG_READ), denied);
    assert_error(!UnlockPages(p, 0x2000), denied);
    assert_error(AllocPhysMem(0x1000, PAGE_READWRITE, 0, 0, &pa) == NULL,
                 CE5 ? ERROR_ACCESS_DENIED : ERROR_INVALID_PARAMETER);
    assert_error(!FreePhysMem(phys), denied);
    assert_error(CreateStaticMapping(0x7F008000 >> 8, 0x1000) == NULL, denied);
    assert_error(!VirtualCopy(r, (LPVOID)(0x7F008000 >> 8), 0x1000,
                              PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE),
                 denied);
    assert_error(!VirtualSetAttributes(p, 0x1000, 0, 0, &old), denied);
    PHYSICAL_ADDRESS gpio = {{0x7F008000, 0}};
    assert_error(MmMapIoSpace(gpio, 0x100, FALSE) == NULL, denied);
    /* The kernel's static windows are out of reach: an access violation. */
    cevm_exception e;
    assert_int_equal(cevm_try(read_static, PTR(0x92B08000), &e), 1);
    assert_int_equal(e.code, CEVM_EXCEPTION_ACCESS_VIOLATION);
    assert_int_equal(e.info[1], 0x92B08000u);
    assert_non_null(strstr(e.reason, CE5 ? "untrusted" : "user-mode"));
    char inv[256];
    assert_int_equal(cevm_check_invariants(inv, sizeof inv), CEVM_OK);
    cevm_set_trusted(1);
    snapshot_same(s);
    assert_int_equal(cevm_try(read_static, PTR(0x92B08000), &e), 0);
    assert_true(FreePhysMem(phys));
}

static void untrusted_caller_stays_below_the_dll_base(void **state)
{
    (void)state;
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = "ram DRAM 0x30000000 16M\ndllbase 0x01800000\n";
    char err[256];
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
    cevm_set_trusted(0);
    BYTE *low = VirtualAlloc(PTR(0x017F0000), 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(low);
    assert_error(VirtualAlloc(PTR(0x01800000), 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL,
                 ERROR_INVALID_PARAMETER);
    assert_error(VirtualAlloc(PTR(0x07800000), 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL,
                 ERROR_INVALID_PARAMETER);
    /* Memory a trusted caller reserved above the base is out of the untrusted one's reach. */
    cevm_set_trusted(1);
    BYTE *high = VirtualAlloc(PTR(0x01800000), 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(high);
    cevm_set_trusted(0);
    assert_error(!VirtualFree(high, 0, MEM_RELEASE), ERROR_INVALID_PARAMETER);
    assert_true(VirtualFree(low, 0, MEM_RELEASE));
    cevm_set_trusted(1);
    assert_true(VirtualFree(high, 0, MEM_RELEASE));
    /* A bad value is a board error. */
    cevm_shutdown();
    cfg.board_text = "ram DRAM 0x30000000 16M\ndllbase 0x01801000\n";
    cfg.board_label = "b";
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_E_BOARD);
    assert_string_equal(err, "b:2: 'dllbase' needs a slot-relative address, 64 KB-aligned, "
                             "0x10000 to 0x2000000");
}

static const struct CMUnitTest tests[] = {
    CE_TEST(two_threads_on_one_unimplemented_page),
    CE_TEST(eight_threads_on_one_unimplemented_page),
    CE_TEST(whole_and_byte_writes_of_one_register_merge),
    CE_TEST(two_threads_on_one_trapped_device),
    CE_TEST(eight_threads_on_one_trapped_device),
    CE_TEST(heap_overrun_and_double_free_are_reported),
    CE_TEST(heap_survives_the_program_wiping_its_memory),
    CE_TEST(registry_calls_survive_wild_pointers),
    CE_TEST_RAW(registry_with_100000_values_loads_fast),
    CE_TEST(registry_with_300000_nested_keys_shuts_down),
    CE_TEST_RAW(truncated_file_backing_raises_in_page_error),
    CE_TEST_RAW(host_handler_after_boot_keeps_cevm_working),
    CE_TEST(forked_child_has_its_own_memory),
    CE_TEST(alloc_phys_pages_are_locked),
    CE_TEST(alloc_phys_keeps_pages_back),
    CE_TEST(process_slot_base_counts_as_null),
    CE_TEST(secure_section_is_not_a_kernel_address),
    CE_TEST(untrusted_caller_is_refused_every_trusted_api),
    CE_TEST(untrusted_caller_stays_below_the_dll_base),
    CE_TEST_RAW(file_device_is_read_only_unless_rw),
    CE_TEST_RAW(rw_file_device_needs_write_permission_even_for_root),
    CE_TEST_RAW(board_paths_stay_in_the_folder_and_errors_quote_no_foreign_text),
    CE_TEST_RAW(region_errors_name_the_included_file),
    CE_TEST(debug_printf_64_bit_and_huge_widths),
    CE_TEST_RAW(failed_lazy_boot_fails_the_call_and_retries),
    CE_TEST_RAW(bad_window_variable_fails_the_call),
    CE_TEST_RAW(oal_address_table_is_filled_before_boot),
};

CETEST_MAIN(tests)
