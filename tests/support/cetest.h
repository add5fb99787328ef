/*
 * cetest.h — shared helpers for cevm's cmocka tests.
 *
 * Every test case boots a fresh default machine (window mode from $CEVM_WINDOW, which ctest sets
 * to "identity" or "offset": the whole suite runs in both) and shuts it down afterwards, so
 * cases never see each other's state. CEA(p) gives the CE address of a host pointer, PTR(ce) the
 * host pointer of a CE address; in the identity window they are the same number.
 *
 * Each test program's main() takes an optional case name (how ctest runs one process per case);
 * without it, all cases run.
 */
#ifndef CEVM_CETEST_H
#define CEVM_CETEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cevm/cevm.h>
#include <windows.h>

#define CEA(p)  cevm_ce_addr((const void *)(p))
#define PTR(ce) ((BYTE *)cevm_host_ptr((uint32_t)(ce)))

/* A pointer no CE call may take for a CE address or a window pointer, whatever the host
 * layout: 4 GiB past the window base (above every CE address, outside the window). */
static inline void *cetest_wild(void)
{
    return (BYTE *)cevm_host_ptr(0) + 0x100001000ull;
}

static inline int cetest_boot(void **state)
{
    (void)state;
    char err[256];
    cevm_status st = cevm_boot(NULL, err, sizeof err);
    if (st != CEVM_OK) {
        fprintf(stderr, "boot failed: %s\n", err);
        return -1;
    }
    SetLastError(0);
    return 0;
}

/* Every case ends by walking the page and frame tables (if a machine is still up). */
static inline int cetest_shutdown(void **state)
{
    (void)state;
    cevm_set_exception_handler(NULL, NULL);
    int rc = 0;
    if (cevm_is_booted()) {
        char err[256];
        if (cevm_check_invariants(err, sizeof err) != CEVM_OK) {
            fprintf(stderr, "invariant broken: %s\n", err);
            rc = -1;
        }
    }
    cevm_shutdown();
    return rc;
}

/* cmocka installs its own SIGSEGV/SIGBUS/SIGILL/SIGFPE handlers around each test body, after
 * the setup booted cevm. cevm keeps its handlers in place by itself (it records cmocka's as the
 * chained ones), so the cases run with cmocka's handlers active and no extra call. Only under
 * ThreadSanitizer, whose own signal table is not reached that way, is cevm's handler re-armed
 * (docs/debugging.md). */
#if defined(__SANITIZE_THREAD__)
#define CETEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CETEST_TSAN 1
#endif
#endif

struct cetest_fn {
    void (*fn)(void **);
};

static inline void cetest_trampoline(void **state)
{
    const struct cetest_fn *f = *state;
#ifdef CETEST_TSAN
    assert_int_equal(cevm_install_fault_handler(), CEVM_OK);
#endif
    void *none = NULL;
    f->fn(&none);
}

#define CE_TEST(f)                                                                                 \
    {                                                                                              \
#f, cetest_trampoline, cetest_boot, cetest_shutdown, (void *)&(const struct cetest_fn)     \
        {                                                                                          \
            f                                                                                      \
        }                                                                                          \
    }

/* The CE version of the booted machine (5, 6 or 7; ctest runs cases under each profile with
 * $CEVM_PROFILE), and whether the caller is trusted (CE 5) or in kernel mode (CE 6+). */
static inline int cetest_profile(void)
{
    cevm_info info;
    return cevm_get_info(&info) == CEVM_OK ? info.profile[2] - '0' : 5;
}
#define CE5 (cetest_profile() == 5)
/* Kernel VM, where a kernel-mode caller's VirtualAlloc with no address lands on CE 6+. */
#define IN_KERNEL_VM(ce) ((ce) >= 0xD0000000u && (ce) < 0xF0000000u)

/* The path of example driver `name` (examples/drivers) built for the running profile:
 * libNAME.so (CE 5), libNAME_ce6.so, libNAME_ce7.so. The string lives until eight more calls. */
static inline const char *cetest_driver(const char *name)
{
    static char paths[8][512];
    static unsigned next;
    char *p = paths[next++ % 8];
    int v = cetest_profile();
    if (v == 5)
        snprintf(p, sizeof paths[0], "%s/lib%s.so", CEVM_DRIVER_DIR, name);
    else
        snprintf(p, sizeof paths[0], "%s/lib%s_ce%d.so", CEVM_DRIVER_DIR, name, v);
    return p;
}

/* Assert a call failed with the given GetLastError value. */
#define assert_error(expr_failed, err)                                                             \
    do {                                                                                           \
        SetLastError(0xDEADu);                                                                     \
        assert_true(expr_failed);                                                                  \
        assert_int_equal(GetLastError(), (err));                                                   \
    } while (0)

/* A case that boots its own machine (or none): only the shutdown is done for it. */
#define CE_TEST_RAW(f)                                                                             \
    {                                                                                              \
#f, f, NULL, cetest_shutdown, NULL                                                         \
    }

/* Run the case named argv[1] (it must exist), or every case. */
static inline int cetest_run(const struct CMUnitTest *tests, size_t n, int argc, char **argv)
{
    if (argc > 1) {
        size_t i = 0;
        while (i < n && strcmp(tests[i].name, argv[1]))
            i++;
        if (i == n) {
            fprintf(stderr, "no test case named '%s'\n", argv[1]);
            return 1;
        }
        cmocka_set_test_filter(argv[1]);
    }
    return _cmocka_run_group_tests("cevm", tests, n, NULL, NULL);
}

#define CETEST_MAIN(tests)                                                                         \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        return cetest_run(tests, sizeof tests / sizeof tests[0], argc, argv);                      \
    }

/* Run fn with stderr sent to a temporary file; return what it printed (malloc'd). */
static inline char *capture_stderr(void (*fn)(void *), void *ctx)
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

static inline size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Run fn(ctx) in a child process with its stderr captured into out (cap bytes, NUL-terminated).
 * The child exits 0 if fn returns. Return: the child's wait status. */
static inline int cetest_run_child(void (*fn)(void *), void *ctx, char *out, size_t cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn(ctx);
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(fds[0], out + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

/* A fingerprint of the observable state: every region VirtualQuery reports in the process
 * slot (through slot 0), the large area, the other slots' first blocks, and the RAM counters. */
struct snapshot {
    uint32_t nregions;
    uint32_t free_pages;
    uint32_t regions[4096][5];
};

static inline void snapshot_range(struct snapshot *s, uint32_t lo, uint32_t hi)
{
    uint32_t a = lo;
    while (a < hi && s->nregions < 4096) {
        MEMORY_BASIC_INFORMATION mbi;
        if (!VirtualQuery(PTR(a), &mbi, sizeof mbi))
            break;
        uint32_t *r = s->regions[s->nregions++];
        r[0] = CEA(mbi.BaseAddress);
        r[1] = mbi.AllocationBase ? CEA(mbi.AllocationBase) : 0;
        r[2] = mbi.RegionSize;
        r[3] = mbi.State;
        r[4] = mbi.Protect;
        if (mbi.RegionSize == 0)
            break;
        a += mbi.RegionSize;
    }
}

static inline struct snapshot *snapshot_take(void)
{
    struct snapshot *s = calloc(1, sizeof *s);
    DWORD saved = GetLastError();
    snapshot_range(s, 0x10000, 0x02000000);
    snapshot_range(s, 0x42000000, 0x7C000000);
    cevm_ram_pages(NULL, &s->free_pages);
    SetLastError(saved);
    return s;
}

/* Assert the state equals an earlier snapshot, then free both. */
static inline void snapshot_same(struct snapshot *before)
{
    struct snapshot *now = snapshot_take();
    assert_int_equal(now->free_pages, before->free_pages);
    assert_int_equal(now->nregions, before->nregions);
    assert_memory_equal(now->regions, before->regions, sizeof(now->regions[0]) * now->nregions);
    free(now);
    free(before);
}

#endif
