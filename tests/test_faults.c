/*
 * test_faults.c — touching memory the CE way: access violations with the CE exception record,
 * PAGE_GUARD firing once, MEM_AUTO_COMMIT committing on first touch, handlers that continue or
 * pass, and the one-line report of an unhandled exception (run in a child process).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cetest.h"

struct access {
    volatile BYTE *p;
    int write;
};

static void touch(void *ctx)
{
    struct access *a = ctx;
    if (a->write)
        *(volatile DWORD *)a->p = 0x11223344u;
    else
        (void)*(volatile DWORD *)a->p;
}

/* Touch p; return 1 and the exception if one was raised. */
static int try_touch(void *p, int write, cevm_exception *e)
{
    struct access a = {p, write};
    memset(e, 0, sizeof *e);
    return cevm_try(touch, &a, e);
}

static void assert_av(const cevm_exception *e, int write, const void *p)
{
    assert_int_equal(e->code, 0xC0000005u);
    assert_int_equal(e->info[0], (uint32_t)write);
    assert_int_equal(e->info[1], CEA(p));
    assert_non_null(e->reason);
}

static void av_on_reserved_free_and_noaccess(void **state)
{
    (void)state;
    cevm_exception e;
    BYTE *r = VirtualAlloc(NULL, 0x2000, MEM_RESERVE, PAGE_NOACCESS);
    assert_int_equal(try_touch(r + 4, 0, &e), 1);
    assert_av(&e, 0, r + 4);
    assert_non_null(strstr(e.reason, "not committed"));
    assert_int_equal(try_touch(r + 0x1FFC, 1, &e), 1);
    assert_av(&e, 1, r + 0x1FFC);
    /* Past the end of the reservation, in its last block. */
    assert_int_equal(try_touch(r + 0x2000, 0, &e), 1);
    assert_av(&e, 0, r + 0x2000);
    /* A free block. */
    assert_int_equal(try_touch(PTR(0x00700010), 1, &e), 1);
    assert_av(&e, 1, PTR(0x00700010));
    /* Committed PAGE_NOACCESS. */
    BYTE *n = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_NOACCESS);
    assert_non_null(n);
    assert_int_equal(try_touch(n, 0, &e), 1);
    assert_av(&e, 0, n);
    assert_non_null(strstr(e.reason, "NOACCESS"));
    /* Through the process slot's own address, the CE address reported is that one. */
    uint32_t abs = CEA(r) | 0x06000000u;
    assert_int_equal(try_touch(PTR(abs), 0, &e), 1);
    assert_int_equal(e.info[1], abs);
}

static void protection_changes_reach_the_host(void **state)
{
    (void)state;
    cevm_exception e;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    DWORD old;
    assert_int_equal(try_touch(p + 0x1000, 1, &e), 0);
    assert_true(VirtualProtect(p + 0x1000, 0x1000, PAGE_NOACCESS, &old));
    assert_int_equal(try_touch(p + 0x1000, 0, &e), 1);
    assert_int_equal(try_touch(p, 1, &e), 0); /* neighbours unchanged */
    assert_int_equal(try_touch(p + 0x2000, 1, &e), 0);
    assert_true(VirtualProtect(p + 0x1000, 0x1000, PAGE_READWRITE, &old));
    assert_int_equal(old, PAGE_NOACCESS);
    assert_int_equal(*(DWORD *)(p + 0x1000), 0x11223344u); /* data survived */
    assert_true(VirtualFree(p + 0x1000, 0x1000, MEM_DECOMMIT));
    assert_int_equal(try_touch(p + 0x1000, 0, &e), 1);
    assert_non_null(VirtualAlloc(p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    assert_int_equal(*(DWORD *)(p + 0x1000), 0); /* recommitted memory is zero */
}

static void guard_fires_once_under_try(void **state)
{
    (void)state;
    cevm_exception e;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    assert_int_equal(try_touch(p + 0x1008, 1, &e), 1);
    assert_av(&e, 1, p + 0x1008);
    assert_non_null(strstr(e.reason, "guard"));
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery(p, &m, sizeof m);
    assert_int_equal(m.Protect, PAGE_READWRITE | PAGE_GUARD); /* only the touched page cleared */
    assert_int_equal(m.RegionSize, 0x1000);
    VirtualQuery(p + 0x1000, &m, sizeof m);
    assert_int_equal(m.Protect, PAGE_READWRITE);
    assert_int_equal(try_touch(p + 0x1008, 1, &e), 0);
    assert_int_equal(try_touch(p, 0, &e), 1);
    assert_int_equal(try_touch(p, 0, &e), 0);
}

static void auto_commit_on_first_touch(void **state)
{
    (void)state;
    uint32_t free0, free1;
    cevm_ram_pages(NULL, &free0);
    BYTE *p = VirtualAlloc(NULL, 0x5000, MEM_RESERVE | MEM_AUTO_COMMIT, PAGE_READWRITE);
    assert_non_null(p);
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery(p, &m, sizeof m);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.RegionSize, 0x5000);
    assert_int_equal(*(volatile DWORD *)(p + 0x2010), 0); /* a read commits too */
    p[0x3000] = 7;
    VirtualQuery(p + 0x2000, &m, sizeof m);
    assert_int_equal(m.State, MEM_COMMIT);
    assert_int_equal(m.Protect, PAGE_READWRITE);
    assert_int_equal(m.RegionSize, 0x2000);
    VirtualQuery(p, &m, sizeof m);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.RegionSize, 0x2000);
    cevm_ram_pages(NULL, &free1);
    assert_int_equal(free0 - free1, 2);
    /* Past the reservation's end it is still an access violation. */
    cevm_exception e;
    assert_int_equal(try_touch(p + 0x5000, 1, &e), 1);
}

static int g_calls;

static int fixing_handler(const cevm_exception *e, void *ctx)
{
    (void)ctx;
    g_calls++;
    DWORD old;
    if (!VirtualProtect(cevm_host_ptr(e->info[1]), 1, PAGE_READWRITE, &old))
        return CEVM_EXCEPTION_CONTINUE_SEARCH;
    return CEVM_EXCEPTION_CONTINUE_EXECUTION;
}

static int passing_handler(const cevm_exception *e, void *ctx)
{
    (void)e;
    (void)ctx;
    g_calls++;
    return CEVM_EXCEPTION_CONTINUE_SEARCH;
}

static void handler_can_fix_and_continue(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READONLY);
    g_calls = 0;
    cevm_set_exception_handler(fixing_handler, NULL);
    *(volatile DWORD *)(p + 0x40) = 99;
    assert_int_equal(g_calls, 1);
    assert_int_equal(*(DWORD *)(p + 0x40), 99);
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery(p, &m, sizeof m);
    assert_int_equal(m.Protect, PAGE_READWRITE);
}

static void handler_passes_to_try(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    g_calls = 0;
    cevm_set_exception_handler(passing_handler, NULL);
    cevm_exception e;
    assert_int_equal(try_touch(p, 1, &e), 1);
    assert_int_equal(g_calls, 1);
    assert_av(&e, 1, p);
}

struct nested {
    BYTE *p;
    int inner;
    cevm_exception e;
};

static void nested_inner(void *ctx)
{
    struct nested *n = ctx;
    n->inner = try_touch(n->p, 0, &n->e);
    struct access a = {n->p, 0};
    touch(&a); /* raises again, caught by the outer frame */
}

static void try_frames_nest(void **state)
{
    (void)state;
    struct nested n;
    memset(&n, 0, sizeof n);
    n.p = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    cevm_exception outer;
    assert_int_equal(cevm_try(nested_inner, &n, &outer), 1);
    assert_int_equal(n.inner, 1);
    assert_int_equal(outer.info[1], CEA(n.p));
}

static void *thread_touch(void *arg)
{
    cevm_exception e;
    static int result;
    result = try_touch(arg, 1, &e) == 1 && e.info[1] == CEA(arg) && e.info[0] == 1;
    return &result;
}

static void faults_on_another_thread(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    pthread_t t;
    void *res;
    assert_int_equal(pthread_create(&t, NULL, thread_touch, p), 0);
    assert_int_equal(pthread_join(t, &res), 0);
    assert_int_equal(*(int *)res, 1);
}

/* Run fn in a child with stderr captured; return the wait status and the text. */
/* The children below take no context. */
static void call_plain(void *fn)
{
    ((void (*)(void))fn)();
}

static int run_child(void (*fn)(void), char *out, size_t cap)
{
    return cetest_run_child(call_plain, (void *)fn, out, cap);
}

static void child_writes_reserved(void)
{
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    *(volatile DWORD *)(p + 0x20) = 1;
}

static void child_writes_unimplemented_device(void)
{
    *(volatile DWORD *)PTR(0x92B0B020) = 0x12345678u; /* SPI0 at PA 0x7F00B000: no model */
    (void)*(volatile DWORD *)PTR(0xB2B0B024);
}

static void child_reads_unmapped_kernel_address(void)
{
    (void)*(volatile DWORD *)PTR(0xC0000000);
}

static void unhandled_prints_one_line_and_dies(void **state)
{
    (void)state;
    char out[1024];
    int status = run_child(child_writes_reserved, out, sizeof out);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    /* One line: the exception, then where the instruction is (module+offset). */
    char want[256]; /* the first reservation: slot 0 on CE 5, kernel VM on CE 6+ */
    snprintf(want, sizeof want,
             "cevm: unhandled exception EXCEPTION_ACCESS_VIOLATION (0xC0000005): "
             "write at CE address 0x%08X (page is reserved but not committed), at test_faults+0x",
             CE5 ? 0x00010020u : 0xD0000020u);
    assert_memory_equal(out, want, strlen(want));
    assert_non_null(strchr(out, '\n'));
    assert_int_equal(strchr(out, '\n')[1], '\0');
}

static void unimplemented_device_reads_zero_accepts_writes(void **state)
{
    (void)state;
    cevm_set_unimplemented_log(0);
    volatile DWORD *uart = (volatile DWORD *)PTR(0x92B0B000);
    volatile BYTE *uart_uc = PTR(0xB2B0B010);
    assert_int_equal(uart[0], 0);
    uart[1] = 0x12345678u;
    assert_int_equal(uart[1], 0);
    *uart_uc = 0xAB;
    cevm_unimplemented_access log[8];
    assert_int_equal(cevm_unimplemented_accesses(log, 8), 4);
    assert_true(log[0].pa == 0x7F00B000ull);
    assert_int_equal(log[0].ce, 0x92B0B000u);
    assert_int_equal(log[0].write, 0);
    assert_string_equal(log[0].device, "I2C, UART0..3, PWM, GPIO, SPI");
    assert_true(log[1].pa == 0x7F00B004ull);
    assert_int_equal(log[1].write, 1);
    assert_int_equal(log[1].nbytes, 4);
    assert_memory_equal(log[1].bytes, "\x78\x56\x34\x12", 4);
    assert_int_equal(log[2].write, 0);
    assert_int_equal(log[3].ce, 0xB2B0B010u);
    assert_int_equal(log[3].nbytes, 1);
    assert_int_equal(log[3].bytes[0], 0xAB);
    /* Read-modify-write reads 0 and writes 0x80: one access per instruction, so one (or) or
     * two (load, store) depending on how the compiler built it. */
    uart[2] |= 0x80u;
    uint64_t total = cevm_unimplemented_accesses(NULL, 0);
    assert_true(total == 5 || total == 6);
    cevm_unimplemented_access last;
    cevm_unimplemented_accesses(&last, 1);
    assert_int_equal(last.write, 1);
    assert_int_equal(last.bytes[0], 0x80);
    assert_int_equal(last.ce, 0x92B0B008u);
    /* The GPIO register file beside it is a device with a model: its memory keeps what is
     * written, and a register it does not declare is reported as such at each access. */
    volatile DWORD *gpio = (volatile DWORD *)PTR(0x92B08000);
    gpio[0] = 7;
    assert_int_equal(gpio[0], 7);
#if defined(CEVM_TEST_HAVE_CAPSTONE) && defined(__x86_64__)
    assert_true(cevm_unimplemented_accesses(NULL, 0) == total + 2);
    cevm_unimplemented_accesses(&last, 1);
    assert_int_equal(last.undeclared, 1);
    assert_string_equal(last.device, "GPIO");
#endif
}

static void unimplemented_device_access_is_printed(void **state)
{
    (void)state;
    char out[1024];
    int status = run_child(child_writes_unimplemented_device, out, sizeof out);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(out, "cevm: unimplemented device 'I2C, UART0..3, PWM, GPIO, SPI': write at "
                             "physical 0x7F00B020 (CE 0x92B0B020), bytes 78 56 34 12\n"
                             "cevm: unimplemented device 'I2C, UART0..3, PWM, GPIO, SPI': read at "
                             "physical 0x7F00B024 (CE 0xB2B0B024), reads 0\n");
}

static void poll_unimplemented_register(void *ctx)
{
    (void)ctx;
    for (int i = 0; i < 50; i++)
        (void)*(volatile DWORD *)PTR(0xB2B0B024); /* a polling loop on a device with no model */
    cevm_shutdown();                              /* the summary of what was held back */
}

static void a_polling_loop_prints_a_few_lines_and_a_count(void **state)
{
    (void)state;
    unsetenv("CEVM_LOG_UNIMPLEMENTED");
    cevm_shutdown();
    assert_int_equal(cetest_boot(NULL), 0); /* the default rate limit: 5 per address */
    char *out = capture_stderr(poll_unimplemented_register, NULL);
    assert_int_equal(count_of(out, "reads 0"), 5);
    assert_int_equal(count_of(out, "read at physical 0x7F00B024: 10 times so far"), 1);
    assert_non_null(strstr(out, "cevm: 45 more accesses to unimplemented devices or undeclared "
                                "registers were not printed"));
    free(out);
    assert_int_equal(cetest_boot(NULL), 0);
}

static void unmapped_kernel_address_is_reported(void **state)
{
    (void)state;
    char out[1024];
    int status = run_child(child_reads_unmapped_kernel_address, out, sizeof out);
    assert_true(WIFSIGNALED(status));
    /* CE 6+ has page tables above the static windows: the kernel DLL area, empty here. */
    const char *want = CE5 ? "cevm: unhandled exception EXCEPTION_ACCESS_VIOLATION (0xC0000005): "
                             "read at CE address 0xC0000000 (kernel address with no static "
                             "mapping), at test_faults+0x"
                           : "cevm: unhandled exception EXCEPTION_ACCESS_VIOLATION (0xC0000005): "
                             "read at CE address 0xC0000000 (address is not reserved "
                             "(MEM_FREE)), at test_faults+0x";
    assert_memory_equal(out, want, strlen(want));
}

static void previous_handler(int sig)
{
    (void)sig;
    _exit(3);
}

/* A fault on host memory outside the window, after cevm booted. */
static void child_touches_host_page(int with_previous)
{
    if (with_previous)
        signal(SIGSEGV, previous_handler);
    else
        signal(SIGSEGV, SIG_DFL);
    if (cevm_boot(NULL, NULL, 0) != CEVM_OK)
        _exit(10);
    volatile BYTE *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED || cevm_ce_addr((const void *)page) != 0xFFFFFFFFu)
        _exit(11); /* must be a host page outside the window */
    (void)page[0];
    _exit(12);
}

static void child_with_previous_handler(void)
{
    child_touches_host_page(1);
}

static void child_without_previous_handler(void)
{
    child_touches_host_page(0);
}

static void foreign_faults_go_to_previous_handler(void **state)
{
    (void)state;
    cevm_shutdown();
    char out[256];
    int status = run_child(child_with_previous_handler, out, sizeof out);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    status = run_child(child_without_previous_handler, out, sizeof out);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    assert_string_equal(out, ""); /* not a CE exception: cevm says nothing */
}

static const struct CMUnitTest tests[] = {
    CE_TEST_RAW(foreign_faults_go_to_previous_handler),
    CE_TEST(av_on_reserved_free_and_noaccess),
    CE_TEST(protection_changes_reach_the_host),
    CE_TEST(guard_fires_once_under_try),
    CE_TEST(auto_commit_on_first_touch),
    CE_TEST(handler_can_fix_and_continue),
    CE_TEST(handler_passes_to_try),
    CE_TEST(try_frames_nest),
    CE_TEST(faults_on_another_thread),
    CE_TEST(unhandled_prints_one_line_and_dies),
    CE_TEST(unimplemented_device_reads_zero_accepts_writes),
    CE_TEST(unimplemented_device_access_is_printed),
    CE_TEST(a_polling_loop_prints_a_few_lines_and_a_count),
    CE_TEST(unmapped_kernel_address_is_reported),
};

CETEST_MAIN(tests)
