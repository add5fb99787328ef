/*
 * test_oracles.c — the test oracles of spec §16 numbered 1-38, run under every profile (ctest
 * names end in .ce6 / .ce7 for the CE 6.0 and Compact 7 runs). Each test is named after its
 * oracle number and asserts the return value, GetLastError and the VirtualQuery answer the
 * oracle gives for the profile; a [5] oracle asserts on CE 6+ what that version does instead
 * (docs/ce-semantics.md has the table).
 */
#include "cetest.h"

static MEMORY_BASIC_INFORMATION query(const void *p)
{
    MEMORY_BASIC_INFORMATION mbi;
    memset(&mbi, 0xAB, sizeof mbi);
    assert_int_equal(VirtualQuery(p, &mbi, sizeof mbi), sizeof mbi);
    return mbi;
}

/* 1 [all] */
static void oracle01_system_info(void **state)
{
    (void)state;
    SYSTEM_INFO si;
    memset(&si, 0xFF, sizeof si);
    GetSystemInfo(&si);
    assert_int_equal(si.dwPageSize, 0x1000);
    assert_int_equal(si.dwAllocationGranularity, 0x10000);
    assert_int_equal(CEA(si.lpMinimumApplicationAddress), 0x10000);
    assert_int_equal(CEA(si.lpMaximumApplicationAddress), 0x7FFFFFFF);
    assert_int_equal(si.dwNumberOfProcessors, 1);
}

/* 2 [all] */
static void oracle02_alloc_size_zero(void **state)
{
    (void)state;
    assert_error(VirtualAlloc(NULL, 0, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
}

/* 3 [all] */
static void oracle03_null_commit_reserves(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(p);
    assert_int_equal(CEA(p) % 0x10000, 0);
    assert_int_equal(*(DWORD *)p, 0);
    MEMORY_BASIC_INFORMATION m = query(p);
    assert_int_equal(m.State, MEM_COMMIT);
    assert_int_equal(m.Protect, PAGE_READWRITE);
    assert_ptr_equal(m.AllocationBase, p);
    assert_int_equal(m.RegionSize, 0x1000);
}

/* 4 [all] */
static void oracle04_reserve_query(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(p);
    MEMORY_BASIC_INFORMATION m = query(p);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.Protect, PAGE_NOACCESS);
    assert_int_equal(m.AllocationProtect, PAGE_NOACCESS);
    assert_int_equal(m.RegionSize, 0x3000);
    assert_ptr_equal(m.BaseAddress, p);
    assert_ptr_equal(m.AllocationBase, p);
    assert_int_equal(m.Type, MEM_PRIVATE);
    m = query(p + 0x3000);
    assert_int_equal(m.State, MEM_FREE);
    assert_null(m.AllocationBase);
}

/* 5 [all] */
static void oracle05_commit_rounds_to_page(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    BYTE *c = VirtualAlloc(p + 0x1234, 0x10, MEM_COMMIT, PAGE_READWRITE);
    assert_ptr_equal(c, p + 0x1000);
    MEMORY_BASIC_INFORMATION m = query(p);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.RegionSize, 0x1000);
    m = query(p + 0x1000);
    assert_int_equal(m.State, MEM_COMMIT);
    assert_int_equal(m.RegionSize, 0x1000);
    m = query(p + 0x2000);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.RegionSize, 0x1000);
}

/* 6 [all] */
static void oracle06_commit_past_end(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    struct snapshot *s = snapshot_take();
    assert_error(VirtualAlloc(p + 0x2000, 0x2000, MEM_COMMIT, PAGE_READWRITE) == NULL, 87);
    snapshot_same(s);
}

/* 7 [all] */
static void oracle07_commit_unreserved(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_take();
    assert_error(VirtualAlloc(PTR(0x00500000), 0x1000, MEM_COMMIT, PAGE_READWRITE) == NULL, 87);
    assert_error(VirtualAlloc(PTR(0x43000000), 0x1000, MEM_COMMIT, PAGE_READWRITE) == NULL, 87);
    snapshot_same(s);
}

/* 8 [all] */
static void oracle08_bad_protection_combinations(void **state)
{
    (void)state;
    assert_error(VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_NOACCESS | PAGE_NOCACHE) == NULL, 87);
    assert_error(VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READONLY | PAGE_READWRITE) == NULL,
                 87);
}

/* 9 [all] */
static void oracle09_alloc_writecopy(void **state)
{
    (void)state;
    assert_error(VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_WRITECOPY) == NULL, 87);
    assert_error(VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_EXECUTE_WRITECOPY) == NULL, 87);
}

/* 10 [5]; CE 6+ IsValidProtect refuses WRITECOPY with 87 */
static void oracle10_protect_writecopy(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    DWORD old = 0;
    assert_error(!VirtualProtect(p, 0x1000, PAGE_WRITECOPY, &old), CE5 ? 50 : 87);
    assert_int_equal(query(p).Protect, PAGE_READWRITE);
}

/* 11 [5]; CE 6+ has no slots: a kernel-mode caller's memory is kernel VM */
static void oracle11_just_under_2mb_in_slot(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1FF000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(p);
    assert_true(CE5 ? CEA(p) < 0x02000000 : IN_KERNEL_VM(CEA(p)));
}

/* 12 [5]; CE 6+ has no 2 MB rule (spec §15.3): the same kernel VM, 64 KB-aligned */
static void oracle12_over_2mb_in_large_area(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1FF001, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(p);
    if (!CE5) {
        assert_true(IN_KERNEL_VM(CEA(p)));
        assert_int_equal(CEA(p) % 0x10000, 0);
        assert_int_equal(query(p).RegionSize, 0x200000);
        return;
    }
    assert_true(CEA(p) >= 0x42000000 && CEA(p) < 0x7C000000);
    assert_int_equal(CEA(p) % 0x100000, 0);
    MEMORY_BASIC_INFORMATION m = query(p);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.RegionSize, 0x200000);
}

/* 13 [5] */
static void oracle13_2mb_commit_stays_in_slot(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x200000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (p)
        assert_true(CE5 ? CEA(p) < 0x02000000 : IN_KERNEL_VM(CEA(p)));
    else
        assert_int_equal(GetLastError(), 8);
    assert_non_null(p); /* the default board has room: it must succeed here */
}

/* 14 [5]; CE 6+ refuses only (int)size <= 0: 32 MB commits (from the 128 MB board) */
static void oracle14_32mb_commit_rejected(void **state)
{
    (void)state;
    if (!CE5) {
        BYTE *p = VirtualAlloc(NULL, 0x2000000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        assert_non_null(p);
        assert_int_equal(query(p).RegionSize, 0x2000000);
        assert_true(VirtualFree(p, 0, MEM_RELEASE));
        assert_error(VirtualAlloc(NULL, 0x80000000u, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
        return;
    }
    assert_error(VirtualAlloc(NULL, 0x2000000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) == NULL,
                 87);
}

/* 15 [5]; CE 6+: kernel VM, 64 KB-aligned */
static void oracle15_32mb_reserve_section_aligned(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(p);
    if (!CE5) {
        assert_true(IN_KERNEL_VM(CEA(p)) && CEA(p) % 0x10000 == 0);
        return;
    }
    assert_true(CEA(p) >= 0x42000000 && CEA(p) < 0x7C000000);
    assert_int_equal((CEA(p) - 0x42000000) % 0x2000000, 0);
    /* A smaller huge reservation first, then 32 MB: still on a section boundary. */
    BYTE *q = VirtualAlloc(NULL, 0x300000, MEM_RESERVE, PAGE_NOACCESS);
    BYTE *r = VirtualAlloc(NULL, 0x2000000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(q);
    assert_non_null(r);
    assert_int_equal((CEA(r) - 0x42000000) % 0x2000000, 0);
    assert_true(CEA(r) != CEA(p));
}

/* 16 [5] */
static void oracle16_huge_release_only_at_base(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1FF001, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(p);
    assert_error(!VirtualFree(p + 0x100000, 0, MEM_RELEASE), 87);
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
    assert_int_equal(query(p).State, MEM_FREE);
    assert_error(!VirtualFree(p + 0x100000, 0, MEM_RELEASE), 87);
    /* The area is reusable. */
    assert_ptr_equal(VirtualAlloc(NULL, 0x1FF001, MEM_RESERVE, PAGE_NOACCESS), p);
}

/* 17 [5] */
static void oracle17_kernel_va_rejected(void **state)
{
    (void)state;
    assert_error(VirtualAlloc(PTR(0x80001000), 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
}

/* 18 [5], 19 [6], 20 [7+]: one call, three answers (spec §15.1) */
static void oracle18_unaligned_reserve_covers_range(void **state)
{
    (void)state;
    BYTE *b = PTR(0x00400000);
    assert_int_equal(query(b).State, MEM_FREE);
    if (cetest_profile() >= 7) { /* 20: Compact 7 refuses an unaligned reservation */
        assert_error(VirtualAlloc(b + 0x5000, 0x2000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
        assert_int_equal(query(b).State, MEM_FREE);
        return;
    }
    BYTE *p = VirtualAlloc(b + 0x5000, 0x2000, MEM_RESERVE, PAGE_NOACCESS);
    assert_ptr_equal(p, b);
    /* 18: CE 5 covers the requested range; 19: CE 6 keeps the page count from b + 0x5000 */
    assert_int_equal(query(b).RegionSize, CE5 ? 0x7000 : 0x2000);
    assert_int_equal(query(b).State, MEM_RESERVE);
}

/* 21 [all] */
static void oracle21_reserve_taken_block(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(PTR(0x00400000), 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_ptr_equal(p, PTR(0x00400000));
    struct snapshot *s = snapshot_take();
    assert_error(VirtualAlloc(p, 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    assert_error(VirtualAlloc(p + 0x8000, 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    /* A range that only ends in a taken block. */
    assert_error(VirtualAlloc(p - 0x10000, 0x10001, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    snapshot_same(s);
}

/* 22 [all] */
static void oracle22_top_down_ignored(void **state)
{
    (void)state;
    BYTE *a = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_true(VirtualFree(a, 0, MEM_RELEASE));
    BYTE *b = VirtualAlloc(NULL, 0x3000, MEM_RESERVE | MEM_TOP_DOWN, PAGE_NOACCESS);
    assert_ptr_equal(a, b);
    BYTE *c = VirtualAlloc(NULL, 0x1FF001, MEM_RESERVE | MEM_TOP_DOWN, PAGE_NOACCESS);
    assert_true(CEA(c) >= 0x42000000); /* still the huge rule: TOP_DOWN was stripped */
}

/* 23 [6]: MEM_RESET is no allocation type; MEM_MAPPED is refused from an application (a
 * user-mode caller). CE 5 refuses both type bits too. */
static void oracle23_reset_and_mapped_types(void **state)
{
    (void)state;
    assert_error(VirtualAlloc(NULL, 0x1000, MEM_RESERVE | MEM_RESET, PAGE_NOACCESS) == NULL, 87);
    cevm_set_trusted(0);
    assert_error(VirtualAlloc(NULL, 0x1000, MEM_RESERVE | MEM_MAPPED, PAGE_NOACCESS) == NULL, 87);
    cevm_set_trusted(1);
}

/* 24 [all] */
static void oracle24_recommit_changes_protection_keeps_data(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    uint64_t pa1, pa2;
    assert_int_equal(cevm_virt_to_phys(CEA(p), &pa1), CEVM_OK);
    *(DWORD *)p = 0x12345678;
    assert_non_null(VirtualAlloc(p, 0x1000, MEM_COMMIT, PAGE_READONLY));
    assert_int_equal(*(DWORD *)p, 0x12345678);
    assert_int_equal(query(p).Protect, PAGE_READONLY);
    assert_int_equal(cevm_virt_to_phys(CEA(p), &pa2), CEVM_OK);
    assert_true(pa1 == pa2);
}

/* 25 [ARM] */
static void oracle25_arm_protections(void **state)
{
    (void)state;
    BYTE *a = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_EXECUTE_READWRITE);
    BYTE *b = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_EXECUTE_READ);
    BYTE *c = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_NOCACHE);
    BYTE *d = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_EXECUTE);
    assert_int_equal(query(a).Protect, PAGE_READWRITE);
    assert_int_equal(query(b).Protect, PAGE_READONLY);
    assert_int_equal(query(c).Protect, 0x204);
    assert_int_equal(query(d).Protect, PAGE_READONLY);
}

/* 26 [all] */
static void oracle26_release_with_size(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_error(!VirtualFree(p, 0x1000, MEM_RELEASE), 87);
    assert_int_equal(query(p).State, MEM_RESERVE);
}

/* 27 [all] */
static void oracle27_release_not_at_base(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_error(!VirtualFree(p + 0x1000, 0, MEM_RELEASE), 87);
    assert_int_equal(query(p).RegionSize, 0x3000);
}

/* 28 [all] */
static void oracle28_bad_free_types(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_error(!VirtualFree(p, 0, MEM_DECOMMIT), 87);
    assert_error(!VirtualFree(p, 0, MEM_DECOMMIT | MEM_RELEASE), 87);
    assert_int_equal(query(p).State, MEM_RESERVE);
}

/* 29 [all] */
static void oracle29_decommit_reserved_pages(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_true(VirtualFree(p, 0x3000, MEM_DECOMMIT));
    MEMORY_BASIC_INFORMATION m = query(p);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.RegionSize, 0x3000);
}

/* 30 [5] */
static void oracle30_release_partly_committed(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(VirtualAlloc(p, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    if (!CE5) { /* 31 [6+]: the release decommits and frees the whole region */
        uint32_t f0, f1;
        cevm_ram_pages(NULL, &f0);
        assert_true(VirtualFree(p, 0, MEM_RELEASE));
        cevm_ram_pages(NULL, &f1);
        assert_int_equal(f1, f0 + 1);
        assert_int_equal(query(p).State, MEM_FREE);
        return;
    }
    assert_error(!VirtualFree(p, 0, MEM_RELEASE), 87);
    assert_int_equal(query(p).State, MEM_COMMIT);
    assert_true(VirtualFree(p, 0x1000, MEM_DECOMMIT));
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
    assert_int_equal(query(p).State, MEM_FREE);
}

struct write_ctx {
    volatile DWORD *p;
};

static void write_word(void *ctx)
{
    *((struct write_ctx *)ctx)->p = 1;
}

static void read_word(void *ctx)
{
    DWORD v = *((struct write_ctx *)ctx)->p;
    (void)v;
}

/* 32 [all] */
static void oracle32_readonly_write_faults(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    DWORD old = 0;
    assert_true(VirtualProtect(p, 0x1000, PAGE_READONLY, &old));
    assert_int_equal(old, PAGE_READWRITE);
    struct write_ctx w = {(volatile DWORD *)(p + 8)};
    cevm_exception e;
    assert_int_equal(cevm_try(read_word, &w, &e), 0);
    assert_int_equal(cevm_try(write_word, &w, &e), 1);
    assert_int_equal(e.code, 0xC0000005u);
    assert_int_equal(e.info[0], 1);
    assert_int_equal(e.info[1], CEA(p + 8));
    assert_int_equal(*(DWORD *)(p + 8), 0);
}

/* 33 [all] */
static void oracle33_protect_over_uncommitted(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(VirtualAlloc(p, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    DWORD old = 0xAAAA;
    assert_error(!VirtualProtect(p, 0x2000, PAGE_READONLY, &old), 87);
    assert_int_equal(old, 0xAAAA);
    assert_int_equal(query(p).Protect, PAGE_READWRITE);
}

/* 34 [5] */
static void oracle34_protect_null_old(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    if (!CE5) { /* CE 6: the kernel accepts a NULL old-protection pointer */
        assert_true(VirtualProtect(p, 0x1000, PAGE_READONLY, NULL));
        assert_int_equal(query(p).Protect, PAGE_READONLY);
        return;
    }
    assert_error(!VirtualProtect(p, 0x1000, PAGE_READONLY, NULL), 87);
    assert_int_equal(query(p).Protect, PAGE_READWRITE);
}

/* 35 [all]: on CE sizeof(MEMORY_BASIC_INFORMATION) is 28; on a 64-bit host it is 48. The rule
 * under test is "shorter than the structure: 0 and ERROR_BAD_LENGTH; success returns its size". */
static void oracle35_query_length(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    MEMORY_BASIC_INFORMATION mbi;
    assert_error(VirtualQuery(p, &mbi, 27) == 0, 24);
    assert_error(VirtualQuery(p, &mbi, sizeof mbi - 1) == 0, 24);
    assert_error(VirtualQuery(p, &mbi, 0) == 0, 24);
    assert_int_equal(VirtualQuery(p, &mbi, sizeof mbi), sizeof mbi);
    assert_int_equal(VirtualQuery(p, &mbi, sizeof mbi + 100), sizeof mbi);
    /* docs/ce-semantics.md: 28 bytes on CE, 40 with 8-byte pointers. */
    assert_int_equal(sizeof mbi, sizeof(void *) == 8 ? 40 : 28);
}

/* 37 [5] */
static void oracle37_free_type_zero(void **state)
{
    (void)state;
    MEMORY_BASIC_INFORMATION m = query(PTR(0x00500000));
    assert_int_equal(m.State, MEM_FREE);
    assert_int_equal(m.Type, CE5 ? 0 : MEM_PRIVATE); /* 37: [5] 0, [6+] MEM_PRIVATE */
    assert_int_equal(m.Protect, PAGE_NOACCESS);
    assert_null(m.AllocationBase);
}

static int g_calls;
static cevm_exception g_last;

static int continue_handler(const cevm_exception *e, void *ctx)
{
    (void)ctx;
    g_calls++;
    g_last = *e;
    return CEVM_EXCEPTION_CONTINUE_EXECUTION;
}

/* 36 [6+]: an address below 0x10000 is 87; CE 5 answers for slot 0's first block (free) */
static void oracle36_query_below_64k(void **state)
{
    (void)state;
    MEMORY_BASIC_INFORMATION m;
    if (!CE5) {
        assert_error(VirtualQuery(PTR(0x8000), &m, sizeof m) == 0, 87);
        return;
    }
    assert_int_equal(VirtualQuery(PTR(0x8000), &m, sizeof m), sizeof m);
    assert_int_equal(m.State, MEM_FREE);
}

/* 38 [ARM 5/6] */
static void oracle38_guard_page_fires_once(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    assert_non_null(p);
    assert_int_equal(query(p).Protect, 0x104);
    g_calls = 0;
    cevm_set_exception_handler(continue_handler, NULL);
    DWORD v = *(volatile DWORD *)(p + 0x10);
    assert_int_equal(v, 0);
    assert_int_equal(g_calls, 1);
    assert_int_equal(g_last.code, 0xC0000005u); /* not STATUS_GUARD_PAGE_VIOLATION */
    assert_int_equal(g_last.info[0], 0);
    assert_int_equal(g_last.info[1], CEA(p + 0x10));
    assert_int_equal(query(p).Protect, PAGE_READWRITE);
    v = *(volatile DWORD *)(p + 0x20);
    *(volatile DWORD *)(p + 0x20) = 5;
    assert_int_equal(g_calls, 1);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(oracle01_system_info),
    CE_TEST(oracle02_alloc_size_zero),
    CE_TEST(oracle03_null_commit_reserves),
    CE_TEST(oracle04_reserve_query),
    CE_TEST(oracle05_commit_rounds_to_page),
    CE_TEST(oracle06_commit_past_end),
    CE_TEST(oracle07_commit_unreserved),
    CE_TEST(oracle08_bad_protection_combinations),
    CE_TEST(oracle09_alloc_writecopy),
    CE_TEST(oracle10_protect_writecopy),
    CE_TEST(oracle11_just_under_2mb_in_slot),
    CE_TEST(oracle12_over_2mb_in_large_area),
    CE_TEST(oracle13_2mb_commit_stays_in_slot),
    CE_TEST(oracle14_32mb_commit_rejected),
    CE_TEST(oracle15_32mb_reserve_section_aligned),
    CE_TEST(oracle16_huge_release_only_at_base),
    CE_TEST(oracle17_kernel_va_rejected),
    CE_TEST(oracle18_unaligned_reserve_covers_range),
    CE_TEST(oracle21_reserve_taken_block),
    CE_TEST(oracle22_top_down_ignored),
    CE_TEST(oracle23_reset_and_mapped_types),
    CE_TEST(oracle24_recommit_changes_protection_keeps_data),
    CE_TEST(oracle25_arm_protections),
    CE_TEST(oracle26_release_with_size),
    CE_TEST(oracle27_release_not_at_base),
    CE_TEST(oracle28_bad_free_types),
    CE_TEST(oracle29_decommit_reserved_pages),
    CE_TEST(oracle30_release_partly_committed),
    CE_TEST(oracle32_readonly_write_faults),
    CE_TEST(oracle33_protect_over_uncommitted),
    CE_TEST(oracle34_protect_null_old),
    CE_TEST(oracle35_query_length),
    CE_TEST(oracle37_free_type_zero),
    CE_TEST(oracle36_query_below_64k),
    CE_TEST(oracle38_guard_page_fires_once),
};

CETEST_MAIN(tests)
