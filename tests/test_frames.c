/*
 * test_frames.c — RAM frames behind committed pages: one reference per committed page, freed on
 * decommit and release, counted exactly by the free-page counter, and zero-filled when reused.
 */
#include "cetest.h"

static uint32_t free_pages(void)
{
    uint32_t f = 0;
    cevm_ram_pages(NULL, &f);
    return f;
}

static uint64_t pa_of(const void *p)
{
    uint64_t pa = 0;
    assert_int_equal(cevm_virt_to_phys(CEA(p), &pa), CEVM_OK);
    return pa;
}

static void commit_takes_and_free_returns_frames(void **state)
{
    (void)state;
    uint32_t f0 = free_pages();
    BYTE *p = VirtualAlloc(NULL, 0x8000, MEM_RESERVE, PAGE_NOACCESS);
    assert_int_equal(free_pages(), f0);
    assert_non_null(VirtualAlloc(p + 0x2000, 0x3000, MEM_COMMIT, PAGE_READWRITE));
    assert_int_equal(free_pages(), f0 - 3);
    for (int i = 2; i < 5; i++)
        assert_int_equal(cevm_frame_refcount(pa_of(p + i * 0x1000) & ~0xFFFull), 1);
    /* Re-committing committed pages takes no new frames. */
    assert_non_null(VirtualAlloc(p + 0x2000, 0x3000, MEM_COMMIT, PAGE_READONLY));
    assert_int_equal(free_pages(), f0 - 3);
    uint64_t pa = pa_of(p + 0x3000);
    assert_true(VirtualFree(p + 0x3000, 0x1000, MEM_DECOMMIT));
    assert_int_equal(free_pages(), f0 - 2);
    assert_int_equal(cevm_frame_refcount(pa & ~0xFFFull), 0);
    assert_true(VirtualFree(p, 0x8000, MEM_DECOMMIT));
    assert_int_equal(free_pages(), f0);
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
    /* Release of an all-committed region frees its frames. */
    BYTE *q = VirtualAlloc(NULL, 0x5000, MEM_COMMIT, PAGE_READWRITE);
    assert_int_equal(free_pages(), f0 - 5);
    assert_true(VirtualFree(q, 0, MEM_RELEASE));
    assert_int_equal(free_pages(), f0);
}

static void reused_frames_are_zero(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x4000, MEM_COMMIT, PAGE_READWRITE);
    memset(p, 0xCC, 0x4000);
    uint64_t pa = pa_of(p);
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
    /* Cycle through every frame so the dirty ones come back. */
    for (int round = 0; round < 2; round++) {
        BYTE *r[16];
        for (int i = 0; i < 16; i++) {
            r[i] = VirtualAlloc(NULL, 0x1000000, MEM_RESERVE, PAGE_NOACCESS);
            if (!r[i])
                r[i] = VirtualAlloc(NULL, 0x2000000, MEM_RESERVE, PAGE_NOACCESS);
        }
        int seen = 0;
        for (int i = 0; i < 8; i++) {
            assert_ptr_equal(VirtualAlloc(r[i], 0x1000000, MEM_COMMIT, PAGE_READWRITE), r[i]);
            for (uint32_t off = 0; off < 0x1000000; off += 0x1000) {
                if (pa_of(r[i] + off) == pa)
                    seen = 1;
                assert_int_equal(*(DWORD *)(r[i] + off), 0);
                assert_int_equal(*(DWORD *)(r[i] + off + 0xFFC), 0);
            }
        }
        assert_true(seen);
        for (int i = 0; i < 16; i++) {
            if (i < 8)
                assert_true(VirtualFree(r[i], 0x1000000, MEM_DECOMMIT));
            assert_true(VirtualFree(r[i], 0, MEM_RELEASE));
        }
    }
}

static void shutdown_and_boot_again_is_clean(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x10000, MEM_COMMIT, PAGE_READWRITE);
    p[0] = 1;
    cevm_shutdown();
    assert_int_equal(cevm_is_booted(), 0);
    /* The next CE call boots the default machine lazily. */
    BYTE *q = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(q);
    assert_int_equal(cevm_is_booted(), 1);
    assert_int_equal(*(DWORD *)q, 0);
    assert_int_equal(free_pages(), 32768 - 1);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(commit_takes_and_free_returns_frames),
    CE_TEST(reused_frames_are_zero),
    CE_TEST(shutdown_and_boot_again_is_clean),
};

CETEST_MAIN(tests)
