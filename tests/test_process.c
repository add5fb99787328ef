/*
 * test_process.c — the CE process around driver code: a driver's code, globals and malloc'd
 * memory have CE addresses that survive a trip through a DWORD, VirtualQuery describes them as
 * CE does (MEM_IMAGE with per-segment protection, heap blocks MEM_PRIVATE), the Active key
 * reaches XXX_Init as a CE address, the image is released at unload, and libraries cevm cannot
 * place are refused with the reason.
 */
#include "cetest.h"

#include <stdint.h>

#define GLB_LIB CEVM_TEST_DRIVER_DIR "/libglobals.so"
#define TLS_LIB CEVM_TEST_DRIVER_DIR "/libtls.so"
#define GLX_LIB CEVM_TEST_DRIVER_DIR "/libglobals_cxx.so"
#define CXX_LIB CEVM_DRIVER_DIR "/libcxx_gpio.so"

static char g_err[512];

static void register_driver(const char *key, const WCHAR *prefix, size_t prefix_size)
{
    HKEY k;
    WCHAR wkey[64];
    size_t i = 0;
    for (; key[i]; i++)
        wkey[i] = (WCHAR)key[i];
    wkey[i] = 0;
    assert_int_equal(RegCreateKeyEx(HKEY_LOCAL_MACHINE, wkey, 0, NULL, 0, 0, NULL, &k, NULL),
                     ERROR_SUCCESS);
    assert_int_equal(
        RegSetValueEx(k, TEXT("Prefix"), 0, REG_SZ, (const BYTE *)prefix, (DWORD)prefix_size),
        ERROR_SUCCESS);
    RegCloseKey(k);
}

static cevm_driver *load_globals(uint32_t *h)
{
    static const WCHAR glb[] = TEXT("GLB");
    register_driver("Drivers\\BuiltIn\\Globals", glb, sizeof glb);
    cevm_driver *d;
    assert_int_equal(
        cevm_driver_load(GLB_LIB, "Drivers\\BuiltIn\\Globals", &d, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(cevm_driver_open(d, 0, 0, h, g_err, sizeof g_err), CEVM_OK);
    return d;
}

static void driver_pointers_round_trip_through_dwords(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_globals(&h);
    DWORD out[16] = {0}, got = 0;
    int ok = 0;
    assert_int_equal(
        cevm_driver_ioctl(d, h, 1, NULL, 0, out, sizeof out, &got, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_true(ok);
    assert_int_equal(got, sizeof out);
    /* The open context is the DWORD Open returned: a malloc block in CE memory. */
    assert_int_equal(out[1], h);
    /* Globals, code and constants are in the image, in the process slot (slot-0 form). */
    uint32_t image = out[6];
    assert_true(image >= 0x10000u && image < 0x02000000u);
    assert_int_equal(out[4], MEM_IMAGE);
    assert_int_equal(out[5], PAGE_READWRITE); /* .data/.bss */
    assert_int_equal(out[7], MEM_IMAGE);
    assert_int_equal(out[8], PAGE_READONLY); /* code: CE 5 on ARM reports EXECUTE_READ so */
    assert_int_equal(out[9], image);
    assert_int_equal(out[10], MEM_IMAGE);
    assert_int_equal(out[11], PAGE_READONLY); /* constants */
    assert_int_equal(out[12], image);
    assert_true(out[0] > image && out[2] > image && out[3] > image);
    /* The heap block: committed private memory, and what Open stored there. */
    assert_int_equal(out[13], MEM_PRIVATE);
    assert_int_equal(out[14], PAGE_READWRITE);
    const uint8_t *open = cevm_host_ptr(out[1]);
    uint64_t dev;
    memcpy(&dev, open, sizeof dev);
    assert_int_equal(dev, (uint64_t)(uintptr_t)cevm_host_ptr(out[0]));
    assert_int_equal(*(const DWORD *)(open + 8), 1); /* first open */
    /* Init's DWORD context was the Active key's path, a CE address. */
    const DWORD *g_dev = cevm_host_ptr(out[0]);
    assert_int_equal(g_dev[0], 0x474C4221);
    uint32_t ctx = g_dev[2];
    assert_true(ctx >= 0x10000u && ctx < 0x80000000u);
    const WCHAR *active = cevm_host_ptr(ctx);
    char narrow[32] = "";
    for (int i = 0; i < 31 && active[i]; i++)
        narrow[i] = (char)active[i];
    assert_string_equal(narrow, cevm_driver_active_key(d));
    /* What malloc, calloc, realloc, strdup and LocalAlloc return round-trips too. */
    assert_int_equal(cevm_driver_ioctl(d, h, 2, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    /* CE code cannot release the image. */
    assert_false(VirtualFree(cevm_host_ptr(image), 0, MEM_RELEASE));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_false(VirtualFree(cevm_host_ptr(out[0]), 0x1000, MEM_DECOMMIT));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    int closed = 0;
    assert_int_equal(cevm_driver_close(d, h, &closed, g_err, sizeof g_err), CEVM_OK);
    assert_true(closed);
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(rep.regions, 0);
    assert_int_equal(rep.heap_blocks, 0); /* Close freed the malloc block */
    /* Unload released the image. */
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(cevm_host_ptr(image), &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.State, MEM_FREE);
}

static void images_load_top_down_below_the_slot_top(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_globals(&h);
    WCHAR path[512];
    size_t i = 0;
    for (; CXX_LIB[i]; i++)
        path[i] = (WCHAR)CXX_LIB[i];
    path[i] = 0;
    HMODULE cxx = LoadLibrary(path);
    assert_non_null(cxx);
    /* The module handle is the image's base: a CE address, below the driver's image. */
    uint32_t cxx_base = cevm_ce_addr(cxx);
    assert_true(cxx_base < 0x02000000u);
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(cxx, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.Type, MEM_IMAGE);
    assert_ptr_equal(mbi.AllocationBase, cxx);
    FARPROC init = GetProcAddress(cxx, L"GIO_Init");
    assert_non_null(init);
    assert_true(cevm_ce_addr((void *)init) > cxx_base &&
                cevm_ce_addr((void *)init) < cxx_base + 0x01000000u);
    DWORD out[16] = {0};
    int ok = 0;
    assert_int_equal(
        cevm_driver_ioctl(d, h, 1, NULL, 0, out, sizeof out, NULL, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_true(cxx_base < out[6]); /* loaded later: lower */
    assert_true(FreeLibrary(cxx));
    assert_int_equal(VirtualQuery(cevm_host_ptr(cxx_base), &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.State, MEM_FREE);
    cevm_driver_close(d, h, NULL, g_err, sizeof g_err);
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
}

static void cxx_driver_objects_are_at_ce_addresses(void **state)
{
    (void)state;
    static const WCHAR glx[] = TEXT("GLX");
    register_driver("Drivers\\BuiltIn\\GlobalsCxx", glx, sizeof glx);
    cevm_driver *d;
    assert_int_equal(
        cevm_driver_load(GLX_LIB, "Drivers\\BuiltIn\\GlobalsCxx", &d, g_err, sizeof g_err),
        CEVM_OK); /* Init saw its global object constructed */
    uint32_t h;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, g_err, sizeof g_err), CEVM_OK);
    DWORD out[6] = {0}, got = 0;
    int ok = 0;
    assert_int_equal(
        cevm_driver_ioctl(d, h, 1, NULL, 0, out, sizeof out, &got, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_true(ok);
    assert_int_equal(out[0], h);           /* (DWORD)this is the DWORD Open returned */
    assert_int_equal(out[1], MEM_PRIVATE); /* new: the CE heap */
    assert_int_equal(out[2], 1);
    assert_int_equal(out[3], 42); /* a C++ exception thrown and caught inside the driver */
    assert_true(out[4] >= 0x10000u && out[4] < 0x80000000u); /* new[] */
    assert_int_equal(out[5], 7);
    assert_int_equal(cevm_driver_close(d, h, NULL, g_err, sizeof g_err), CEVM_OK);
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(rep.heap_blocks, 0); /* delete and delete[] freed the CE blocks */
}

static void libraries_cevm_cannot_place_are_refused_with_the_reason(void **state)
{
    (void)state;
    static const WCHAR tls[] = TEXT("TLS");
    register_driver("Drivers\\BuiltIn\\Tls", tls, sizeof tls);
    cevm_driver *d = NULL;
    assert_int_not_equal(
        cevm_driver_load(TLS_LIB, "Drivers\\BuiltIn\\Tls", &d, g_err, sizeof g_err), CEVM_OK);
    assert_null(d);
    assert_non_null(strstr(g_err, "thread-local variables"));
    /* Not an ELF library at all: this source file. */
    assert_int_not_equal(cevm_driver_load(CEVM_SOURCE_DIR "/tests/test_process.c",
                                          "Drivers\\BuiltIn\\Tls", &d, g_err, sizeof g_err),
                         CEVM_OK);
    assert_non_null(strstr(g_err, "not an x86-64 shared library"));
    /* Nothing was left reserved by the failed loads. */
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(cevm_host_ptr(0x01FF0000u), &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.State, MEM_FREE);
}

static void driver_calls_run_on_ce_stacks(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_globals(&h);
    DWORD out[8] = {0};
    int ok = 0;
    assert_int_equal(
        cevm_driver_ioctl(d, h, 3, NULL, 0, out, sizeof out, NULL, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_true(ok); /* the local was read back through its DWORD */
    /* A stack in the process slot (slot-0 form): committed, private, read-write. */
    assert_true(out[0] >= 0x10000u && out[0] < 0x02000000u);
    assert_int_equal(out[1], MEM_PRIVATE);
    assert_int_equal(out[2], PAGE_READWRITE);
    assert_true(out[3] <= out[0] && out[0] - out[3] < 0x100000u);
    cevm_page_info pi;
    assert_int_equal(cevm_page(out[0], &pi), CEVM_OK);
    assert_true(pi.flags & CEVM_PAGE_STACK);
    /* CE 5 refuses stack addresses to VirtualFree and VirtualProtect. */
    assert_int_equal(out[4], FALSE);
    assert_int_equal(out[5], ERROR_INVALID_PARAMETER);
    assert_int_equal(out[6], FALSE);
    assert_int_equal(out[7], ERROR_INVALID_PARAMETER);
    /* A thread the driver creates runs on a CE stack of its own. */
    memset(out, 0, sizeof out);
    assert_int_equal(
        cevm_driver_ioctl(d, h, 5, NULL, 0, out, sizeof out, NULL, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_true(ok);
    assert_true(out[0] >= 0x10000u && out[0] < 0x02000000u);
    assert_int_equal(out[1], MEM_PRIVATE);
    assert_int_equal(out[2], PAGE_READWRITE);
    assert_int_not_equal(out[3], pi.alloc_base & 0x01FFFFFFu); /* not the caller's stack */
    assert_int_equal(cevm_driver_close(d, h, NULL, g_err, sizeof g_err), CEVM_OK);
    cevm_driver_report rep;
    assert_int_equal(cevm_driver_unload(d, &rep, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(rep.regions, 0); /* stacks are not the driver's leftovers */
}

static void a_stack_overflow_in_a_driver_call_is_reported(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_globals(&h);
    int ok = 1;
    assert_int_equal(cevm_driver_ioctl(d, h, 4, NULL, 0, NULL, 0, NULL, &ok, g_err, sizeof g_err),
                     CEVM_E_DRIVER);
    assert_non_null(strstr(g_err, "(0xC00000FD) in GLB_IOControl"));
    assert_non_null(strstr(g_err, "stack overflow"));
    /* The driver is marked faulted; unloading it still works, and the host thread's stack is
     * usable for the next driver. */
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_E_DRIVER);
    d = load_globals(&h);
    DWORD out[8] = {0};
    assert_int_equal(
        cevm_driver_ioctl(d, h, 3, NULL, 0, out, sizeof out, NULL, &ok, g_err, sizeof g_err),
        CEVM_OK);
    assert_true(ok);
    cevm_driver_close(d, h, NULL, g_err, sizeof g_err);
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
}

static DWORD WINAPI local_address(LPVOID arg)
{
    DWORD local = 0x51AC;
    *(DWORD *)arg = (DWORD)(uintptr_t)&local;
    return *(DWORD *)cevm_host_ptr(*(DWORD *)arg) == 0x51AC;
}

static DWORD WINAPI overflow(LPVOID arg)
{
    BYTE page[4096];
    memset(page, 1, sizeof page);
    __asm__ volatile("" : : "r"(page) : "memory"); /* the frame keeps its whole page */
    DWORD n = *(volatile DWORD *)arg + 1;
    *(volatile DWORD *)arg = n;
    return n > 100000 ? n : overflow(arg) + page[0] + page[4095];
}

static void ce_threads_run_on_ce_stacks(void **state)
{
    (void)state;
    DWORD where = 0, code = 0;
    HANDLE t = CreateThread(NULL, 0, local_address, &where, 0, NULL);
    assert_non_null(t);
    assert_int_equal(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(t, &code));
    assert_int_equal(code, 1);
    CloseHandle(t);
    assert_true(where >= 0x10000u && where < 0x02000000u);
    /* A 64 KB reservation asked for (CE counts cbStack only with the flag): the overflow comes
     * after four times that, and ends the thread with 0xC00000FD. */
    DWORD depth = 0;
    t = CreateThread(NULL, 0x10000, overflow, &depth, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    assert_non_null(t);
    assert_int_equal(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(t, &code));
    assert_int_equal(code, 0xC00000FDu);
    /* Each frame holds a page: the 256 KB (and the thread's TLS room) ran out after that many. */
    assert_true(depth > 32 && depth < 128);
    CloseHandle(t);
    /* An absurd reservation is refused with 8, nothing created. */
    assert_null(
        CreateThread(NULL, 0x40000000u, overflow, &depth, STACK_SIZE_PARAM_IS_A_RESERVATION, NULL));
    assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
}

struct block {
    const BYTE *data;
    DWORD len;
};

/* The globals driver's IOControl code (6 MapCallerPtr, 7 unmapped, 8 MapPtrToProcess) on blk:
 * out[0] the first bytes read, out[1] the pointer used, out[2] the input buffer's address,
 * out[3] GetCallerProcess(), out[4] GetCurrentProcessId(). Return: the driver host's status. */
static cevm_status read_block(cevm_driver *d, uint32_t h, DWORD code, const struct block *blk,
                              DWORD out[5])
{
    DWORD got = 0;
    int ok = 0;
    cevm_status st = cevm_driver_ioctl(d, h, code, blk, sizeof *blk, out, 5 * sizeof(DWORD), &got,
                                       &ok, g_err, sizeof g_err);
    if (st == CEVM_OK)
        assert_true(ok);
    return st;
}

static void embedded_pointers_come_from_the_calling_process(void **state)
{
    (void)state;
    uint32_t h;
    cevm_driver *d = load_globals(&h);
    uint32_t app_slot = 6u << 25; /* app.exe, process 5 */
    /* The application's bytes, at a slot-0 address where the driver's process has memory too
     * (a page of 0xDE there). */
    BYTE *own = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(own);
    memset(own, 0xDE, 0x1000);
    uint32_t at = cevm_ce_addr(own), app;
    assert_true(at < 0x02000000u);
    void *host;
    assert_int_equal(cevm_caller_alloc(at, 0x1000, &app, &host), CEVM_OK);
    assert_int_equal(app, at);
    memcpy(host, "APP!", 4);
    struct block blk = {cevm_host_ptr(app), 4};
    DWORD out[5] = {0};
    /* Mapped with MapCallerPtr: the application's bytes, at its slot address. */
    assert_int_equal(read_block(d, h, 6, &blk, out), CEVM_OK);
    assert_memory_equal(&out[0], "APP!", 4);
    assert_int_equal(out[1], app_slot | app);
    /* The top-level buffer arrived mapped into the caller's slot; the caller is another
     * process. */
    assert_int_equal(out[2] & ~0x01FFFFFFu, app_slot);
    assert_int_not_equal(out[3], out[4]);
    assert_int_equal(out[4], GetCurrentProcessId());
    /* MapPtrToProcess(p, GetCallerProcess()) does the same. */
    assert_int_equal(read_block(d, h, 8, &blk, out), CEVM_OK);
    assert_memory_equal(&out[0], "APP!", 4);
    assert_int_equal(out[1], app_slot | app);
    /* Forgotten: the slot-0 pointer names the driver's own process — its 0xDE page, as on CE. */
    assert_int_equal(read_block(d, h, 7, &blk, out), CEVM_OK);
    assert_int_equal(out[0], 0xDEDEDEDEu);
    assert_int_equal(out[1], app);
    /* Where the driver's process has nothing, the forgotten mapping faults, and the report says
     * the likely cause. */
    uint32_t far = 0x01800000u, app_far;
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(cevm_host_ptr(far), &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(mbi.State, MEM_FREE);
    assert_int_equal(cevm_caller_alloc(far, 0x1000, &app_far, &host), CEVM_OK);
    memcpy(host, "FAR!", 4);
    blk.data = cevm_host_ptr(app_far);
    assert_int_equal(read_block(d, h, 6, &blk, out), CEVM_OK);
    assert_memory_equal(&out[0], "FAR!", 4);
    assert_int_equal(read_block(d, h, 7, &blk, out), CEVM_E_DRIVER);
    assert_non_null(strstr(g_err, "access violation in GLB_IOControl"));
    assert_non_null(strstr(g_err, "without MapCallerPtr"));
    assert_int_equal(cevm_caller_free(app_far), CEVM_OK);
    assert_int_equal(cevm_caller_free(app), CEVM_OK);
    assert_int_equal(cevm_caller_free(app), CEVM_E_INVAL); /* already released */
    VirtualFree(own, 0, MEM_RELEASE);
    cevm_driver_unload(d, NULL, g_err, sizeof g_err);
}

static void caller_memory_refuses_bad_requests(void **state)
{
    (void)state;
    uint32_t a;
    void *host;
    assert_int_equal(cevm_caller_alloc(0, 0, &a, &host), CEVM_E_INVAL);
    assert_int_equal(cevm_caller_alloc(0, 16, NULL, &host), CEVM_E_INVAL);
    assert_int_equal(cevm_caller_alloc(0x8000, 16, &a, &host), CEVM_E_INVAL); /* below 64 KB */
    assert_int_equal(cevm_caller_alloc(0x02000000u, 16, &a, &host), CEVM_E_INVAL);
    assert_int_equal(cevm_caller_alloc(0, 0x02000000u, &a, &host), CEVM_E_INVAL);
    assert_int_equal(cevm_caller_alloc(0x20000, 16, &a, &host), CEVM_OK);
    assert_int_equal(a, 0x20000);
    assert_int_equal(cevm_caller_alloc(0x20010, 16, &a, &host), CEVM_E_INVAL); /* in use */
    assert_int_equal(cevm_caller_free(0x20000), CEVM_OK);
    assert_int_equal(cevm_caller_free(0x20000), CEVM_E_INVAL);
    assert_int_equal(cevm_caller_free(0x04000000u), CEVM_E_INVAL);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(driver_pointers_round_trip_through_dwords),
    CE_TEST(images_load_top_down_below_the_slot_top),
    CE_TEST(cxx_driver_objects_are_at_ce_addresses),
    CE_TEST(libraries_cevm_cannot_place_are_refused_with_the_reason),
    CE_TEST(driver_calls_run_on_ce_stacks),
    CE_TEST(a_stack_overflow_in_a_driver_call_is_reported),
    CE_TEST(ce_threads_run_on_ce_stacks),
    CE_TEST(embedded_pointers_come_from_the_calling_process),
    CE_TEST(caller_memory_refuses_bad_requests),
};

CETEST_MAIN(tests)
