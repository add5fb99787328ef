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

static const struct CMUnitTest tests[] = {
    CE_TEST(driver_pointers_round_trip_through_dwords),
    CE_TEST(images_load_top_down_below_the_slot_top),
    CE_TEST(cxx_driver_objects_are_at_ce_addresses),
    CE_TEST(libraries_cevm_cannot_place_are_refused_with_the_reason),
};

CETEST_MAIN(tests)
