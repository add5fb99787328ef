/*
 * test_exe.c — a CE program built with the cevm-ce-exe flags (linked at the EXE base 0x10000):
 * its own globals, code and constants are CE memory in the identity window, so a pointer to a
 * global survives a DWORD, VirtualQuery describes the image as CE 5 does, VirtualAlloc hands out
 * memory above it, main's locals are on a stack in the EXE area (VirtualQuery: a stack), its own
 * malloc/calloc/realloc/strdup come from the CE heap while a machine is
 * up, the globals keep their values across a shutdown and a new boot, and a forked child gets its
 * own copy of them. cmocka runs it like every other test program.
 */
#include "cetest.h"

#include <stdint.h>

static DWORD g_counter = 7;         /* .data */
static DWORD g_table[1024];         /* .bss */
static const char g_name[] = "EXE"; /* .rodata */

static DWORD twice(DWORD v)
{
    return v * 2;
}

static void globals_are_ce_addresses(void **state)
{
    (void)state;
    DWORD a = (DWORD)(uintptr_t)&g_counter, t = (DWORD)(uintptr_t)g_table;
    assert_true(a >= 0x10000u && a < 0x02000000u);
    *(DWORD *)cevm_host_ptr(a) = 41; /* through the DWORD */
    assert_int_equal(g_counter, 41);
    ((DWORD *)(uintptr_t)t)[1023] = 5;
    assert_int_equal(g_table[1023], 5);
    /* The image is MEM_IMAGE from the EXE base, in the process slot seen through slot 0. */
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(&g_counter, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.Type, MEM_IMAGE);
    assert_int_equal(mbi.State, MEM_COMMIT);
    assert_int_equal(mbi.Protect, PAGE_READWRITE);
    assert_int_equal(cevm_ce_addr(mbi.AllocationBase), 0x10000u);
    assert_int_equal(VirtualQuery((LPCVOID)(uintptr_t)twice, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.Type, MEM_IMAGE);
    assert_int_equal(mbi.Protect, PAGE_READONLY); /* execute-read reads as PAGE_READONLY on ARM */
    assert_int_equal(VirtualQuery(g_name, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.Protect, PAGE_READONLY);
    /* The process-slot view is the same memory. */
    cevm_info in;
    assert_int_equal(cevm_get_info(&in), CEVM_OK);
    DWORD *slot = cevm_host_ptr(((in.current_process + 1) << 25) | a);
    assert_int_equal(*slot, 41);
    *slot = 43;
    assert_int_equal(g_counter, 43);
    cevm_page_info pi;
    assert_int_equal(cevm_page(a, &pi), CEVM_OK);
    assert_true(pi.flags & CEVM_PAGE_IMAGE);
    assert_true(pi.flags & CEVM_PAGE_RAM);
    /* Code runs from CE memory; CE code cannot release the image or write its code. */
    assert_int_equal(twice(21), 42);
    assert_false(VirtualFree(mbi.AllocationBase, 0, MEM_RELEASE));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    /* VirtualAlloc's first fit starts above the image. */
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(p);
    assert_true(cevm_ce_addr(p) > a);
    VirtualFree(p, 0, MEM_RELEASE);
    assert_string_equal(g_name, "EXE");
}

static void the_programs_malloc_is_the_ce_heap(void **state)
{
    (void)state;
    DWORD m = (DWORD)(uintptr_t)malloc(64), c = (DWORD)(uintptr_t)calloc(4, 4);
    assert_true(m >= 0x10000u && m < 0x80000000u);
    assert_int_equal(((DWORD *)(uintptr_t)c)[3], 0);
    ((DWORD *)(uintptr_t)m)[15] = 0x600D;
    DWORD r = (DWORD)(uintptr_t)realloc((void *)(uintptr_t)m, 4096);
    assert_int_equal(((DWORD *)(uintptr_t)r)[15], 0x600D);
    char *s = strdup("ce");
    assert_true((uintptr_t)s < 0x80000000u);
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery((LPCVOID)(uintptr_t)r, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.Type, MEM_PRIVATE);
    assert_int_equal(mbi.State, MEM_COMMIT);
    free(s);
    free((void *)(uintptr_t)c);
    free((void *)(uintptr_t)r);
    /* A block from before the boot is the C library's, and goes back to it. */
    cevm_shutdown();
    void *host = malloc(32);
    assert_true((uintptr_t)host >= 0x100000000ull);
    char err[256];
    assert_int_equal(cevm_boot(NULL, err, sizeof err), CEVM_OK);
    free(host);
    // cppcheck-suppress memleak ; m went to realloc through its DWORD, and r was freed
}

static void mains_locals_are_ce_addresses(void **state)
{
    (void)state;
    DWORD local = 0x10CA1, a = (DWORD)(uintptr_t)&local;
    /* main runs on a stack right above the image, in the EXE area. */
    assert_true(a > (DWORD)(uintptr_t)&g_table[1023] && a < 0x02000000u);
    assert_int_equal(*(DWORD *)cevm_host_ptr(a), 0x10CA1);
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(&local, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.Type, MEM_PRIVATE);
    assert_int_equal(mbi.State, MEM_COMMIT);
    assert_int_equal(mbi.Protect, PAGE_READWRITE);
    cevm_page_info pi;
    assert_int_equal(cevm_page(a, &pi), CEVM_OK);
    assert_true(pi.flags & CEVM_PAGE_STACK);
    /* CE 5 refuses stack addresses to VirtualFree and VirtualProtect. */
    DWORD old;
    assert_false(VirtualProtect(&local, 4, PAGE_READONLY, &old));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_false(VirtualFree((LPVOID)(uintptr_t)(a & ~0xFFFu), 0x1000, MEM_DECOMMIT));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_int_equal(local, 0x10CA1);
}

static void globals_keep_their_values_across_boots(void **state)
{
    (void)state;
    g_counter = 100;
    g_table[3] = 0xABCD;
    cevm_shutdown();
    /* Host memory again: still readable and writable. */
    assert_int_equal(g_counter, 100);
    g_counter++;
    char err[256];
    assert_int_equal(cevm_boot(NULL, err, sizeof err), CEVM_OK);
    assert_int_equal(g_counter, 101);
    assert_int_equal(g_table[3], 0xABCD);
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(&g_counter, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.Type, MEM_IMAGE);
    assert_int_equal(twice(g_counter), 202);
}

static void a_forked_child_has_its_own_globals(void **state)
{
    (void)state;
    g_counter = 1;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        g_counter = 2;
        _exit(g_counter == 2 ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(g_counter, 1);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(globals_are_ce_addresses),           CE_TEST(the_programs_malloc_is_the_ce_heap),
    CE_TEST(mains_locals_are_ce_addresses),      CE_TEST(globals_keep_their_values_across_boots),
    CE_TEST(a_forked_child_has_its_own_globals),
};

CETEST_MAIN(tests)
