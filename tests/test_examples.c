/*
 * test_examples.c — the two mapping patterns of examples/ (static_copy.c: reserve, then
 * VirtualCopy from a static address; map_io.c: MmMapIoSpace built from VirtualAlloc,
 * VirtualCopy(PAGE_PHYSICAL) and VirtualFree) map the same bytes as cevm's own MmMapIoSpace,
 * AllocPhysMem's pages and the static windows, for a register file and for RAM.
 */
#define EXAMPLE_NO_MAIN
#include "../examples/map_io.c"
#include "../examples/static_copy.c"

#include "cetest.h"

/* Every pointer in ptrs[] must see what is written through any of them. */
static void all_alias(volatile BYTE **ptrs, size_t n, const char **names)
{
    for (size_t w = 0; w < n; w++) {
        DWORD v = 0x5EED0000u + (DWORD)w;
        *(volatile DWORD *)ptrs[w] = v;
        for (size_t r = 0; r < n; r++)
            if (*(volatile DWORD *)ptrs[r] != v)
                fail_msg("written through %s, read through %s", names[w], names[r]);
    }
}

static void examples_map_the_gpio_block(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS pa = {0x7F008824, 0};
    const char *names[] = {"MapFromStatic (cached)", "MapFromStatic (uncached)",
                           "MyMmMapIoSpace",         "MmMapIoSpace",
                           "static cached window",   "static uncached window"};
    volatile BYTE *p[] = {
        MapFromStatic(0x92B08824, 4, TRUE),
        MapFromStatic(0xB2B08824, 4, FALSE),
        MyMmMapIoSpace(0x7F008824, 4, FALSE),
        MmMapIoSpace(pa, 4, FALSE),
        PTR(0x92B08824),
        PTR(0xB2B08824),
    };
    for (size_t i = 0; i < 6; i++)
        assert_non_null((void *)p[i]);
    all_alias(p, 6, names);
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery((LPCVOID)p[1], &m, sizeof m);
    assert_int_equal(m.Protect, PAGE_READWRITE | PAGE_NOCACHE);
    VirtualQuery((LPCVOID)p[0], &m, sizeof m);
    assert_int_equal(m.Protect, PAGE_READWRITE);
    assert_true(UnmapFromStatic((PVOID)p[0]));
    assert_true(UnmapFromStatic((PVOID)p[1]));
    assert_true(MyMmUnmapIoSpace((PVOID)p[2]));
    MmUnmapIoSpace((PVOID)p[3], 4);
}

static void examples_map_alloc_phys_memory(void **state)
{
    (void)state;
    ULONG pa = 0;
    BYTE *dma = AllocPhysMem(0x2000, PAGE_READWRITE, 0, 0, &pa);
    assert_non_null(dma);
    uint32_t cached = 0x80000000u + (pa - 0x50000000u) + 0x1100;
    PHYSICAL_ADDRESS full = {pa + 0x1100, 0};
    const char *names[] = {"AllocPhysMem", "MyMmMapIoSpace", "MapFromStatic", "MmMapIoSpace",
                           "static uncached window"};
    volatile BYTE *p[] = {
        dma + 0x1100,
        MyMmMapIoSpace(pa + 0x1100, 8, FALSE),
        MapFromStatic(cached, 8, FALSE),
        MmMapIoSpace(full, 8, TRUE),
        PTR(cached | 0x20000000u),
    };
    for (size_t i = 0; i < 5; i++)
        assert_non_null((void *)p[i]);
    all_alias(p, 5, names);
    /* Frames: held once, by AllocPhysMem; the physical and static copies take none. */
    assert_int_equal(cevm_frame_refcount(pa + 0x1000), 1);
    assert_true(MyMmUnmapIoSpace((PVOID)p[1]));
    assert_true(UnmapFromStatic((PVOID)p[2]));
    MmUnmapIoSpace((PVOID)p[3], 8);
    assert_true(FreePhysMem(dma));
    assert_int_equal(cevm_frame_refcount(pa + 0x1000), 0);
}

static void example_failures_release_their_reservation(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_take();
    assert_null(MapFromStatic(0x92C00000, 0x1000, FALSE)); /* no OEMAddressTable row */
    assert_int_equal(GetLastError(), 87);
    assert_null(MyMmMapIoSpace(0x7F008000, 0, FALSE)); /* VirtualAlloc of 0 bytes */
    assert_int_equal(GetLastError(), 87);
    snapshot_same(s);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(examples_map_the_gpio_block),
    CE_TEST(examples_map_alloc_phys_memory),
    CE_TEST(example_failures_release_their_reservation),
};

CETEST_MAIN(tests)
