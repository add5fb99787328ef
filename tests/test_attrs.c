/*
 * test_attrs.c — VirtualSetAttributes and LockPages/UnlockPages on the CE 5 profile: spec
 * oracles 47, 48 and 49; page-table bits reaching VirtualQuery and the host protection; locks
 * holding pages against decommit, release and protection changes; bad input.
 */
#include "cetest.h"

#include <pkfuncs.h>

static MEMORY_BASIC_INFORMATION query(const void *p)
{
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(p, &mbi, sizeof mbi), sizeof mbi);
    return mbi;
}

static uint64_t pa_of(const void *p)
{
    uint64_t pa = 0;
    assert_int_equal(cevm_virt_to_phys(CEA(p), &pa), CEVM_OK);
    return pa;
}

/* Deliberate write to a read-only page (named as in valgrind.supp). */
static void write_word(void *ctx)
{
    *(volatile DWORD *)ctx = 1;
}

/* 47 [all] */
static void oracle47_query_raw_pte(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(VirtualAlloc(p, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    DWORD old = 0;
    assert_true(VirtualSetAttributes(p, 0x1000, 0, 0, &old));
    assert_true((old & 0xFFFFF000u) == pa_of(p));
    assert_int_equal(old & 0xFFF, 0xFF0 | 0xC | 0x2); /* RW, cached (board 0xC), small page */
    assert_error(!VirtualSetAttributes(p + 0x1000, 0x1000, 0, 0, &old), 87);
    assert_error(!VirtualSetAttributes(p, 0x2000, 0, 0, &old), 87);
}

/* 48 [all] */
static void oracle48_masked_update(void **state)
{
    (void)state;
    uint32_t free0, free1;
    cevm_ram_pages(NULL, &free0);
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    uint64_t frame = pa_of(p);
    DWORD old = 0;
    /* Make the entry exactly 0x00100010 (a new frame: applied with a warning, no reference). */
    assert_true(VirtualSetAttributes(p, 0x1000, 0x00100010, 0xFFFFFFFF, &old));
    assert_int_equal(cevm_frame_refcount(frame), 0);
    cevm_ram_pages(NULL, &free1);
    assert_int_equal(free1, free0);
    assert_true(VirtualSetAttributes(p, 0x1000, 0x30, 0x30, &old));
    assert_int_equal(old, 0x00100010);
    assert_true(VirtualSetAttributes(p, 0x1000, 0, 0, &old));
    assert_int_equal(old, 0x00100030);
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
    cevm_ram_pages(NULL, &free1);
    assert_int_equal(free1, free0);
}

static void attribute_bits_reach_query_and_host(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    DWORD old;
    assert_true(VirtualSetAttributes(p, 0x1000, 0, 0xC, &old)); /* C/B off: uncached */
    assert_int_equal(query(p).Protect, PAGE_READWRITE | PAGE_NOCACHE);
    assert_int_equal(query(p).RegionSize, 0x1000);
    assert_true(VirtualSetAttributes(p, 0x2000, 0, 0xFF0, &old)); /* AP 0: read-only */
    assert_int_equal(query(p + 0x1000).Protect, PAGE_READONLY);
    cevm_exception e;
    assert_int_equal(cevm_try(write_word, p + 0x1000, &e), 1);
    assert_int_equal(e.info[0], 1);
    assert_true(VirtualSetAttributes(p, 0x2000, 0xFF0, 0xFF0, &old));
    assert_int_equal(cevm_try(write_word, p + 0x1000, &e), 0);
    assert_true(VirtualSetAttributes(p, 0x1000, 0, 0x2, &old)); /* not valid: inaccessible */
    assert_int_equal(cevm_try(write_word, p, &e), 1);
    assert_true(VirtualSetAttributes(p, 0x1000, 0x2, 0x2, &old));
    assert_int_equal(cevm_try(write_word, p, &e), 0);
}

static void set_attributes_bad_input(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    DWORD before;
    assert_true(VirtualSetAttributes(p, 0x1000, 0, 0, &before));
    DWORD old = 0x1234;
    assert_error(!VirtualSetAttributes(p, 0, 0, 0xC, &old), 87);
    assert_error(!VirtualSetAttributes(p, 0x80000000u, 0, 0xC, &old), 87);
    assert_error(!VirtualSetAttributes(PTR(0x8000), 0x1000, 0, 0xC, &old), 87);
    assert_error(!VirtualSetAttributes(PTR(0x80000000), 0x1000, 0, 0xC, &old), 87);
    assert_error(!VirtualSetAttributes(PTR(0x04010000), 0x1000, 0, 0xC, &old), 87);
    assert_error(!VirtualSetAttributes(cetest_wild(), 0x1000, 0, 0xC, &old), 87);
    assert_error(!VirtualSetAttributes(p, 0x1000, 0, 0xC, (LPDWORD)cetest_wild()), 87);
    cevm_set_trusted(0); /* untrusted (CE 5: 5) or user mode (CE 6+: 50) */
    assert_error(!VirtualSetAttributes(p, 0x1000, 0, 0xC, &old), CE5 ? 5 : 50);
    cevm_set_trusted(1);
    assert_int_equal(old, 0x1234);
    DWORD after;
    assert_true(VirtualSetAttributes(p, 0x1000, 0, 0, &after));
    assert_int_equal(after, before);
}

/* 49 [ARM] */
static void oracle49_lock_pages_physical_addresses(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    DWORD pfn[2] = {1, 1};
    assert_true(LockPages(p, 0x2000, pfn, LOCKFLAG_READ));
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pfn[i] & 0xFFF, 0);
        assert_true(pfn[i] == pa_of(p + i * 0x1000));
    }
    assert_int_equal(UserKInfo[KINX_PFN_SHIFT], 0);
    assert_true(UnlockPages(p, 0x2000));
    /* An unaligned range reports every page it touches. */
    DWORD three[3];
    assert_true(LockPages(p + 0xFFF, 2, three, LOCKFLAG_QUERY_ONLY));
    assert_true(three[0] == pa_of(p) && three[1] == pa_of(p + 0x1000));
}

static void locks_hold_pages(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    assert_true(LockPages(p, 0x2000, NULL, LOCKFLAG_WRITE));
    DWORD old = 0;
    /* Decommit skips locked blocks; release is refused. */
    assert_true(VirtualFree(p, 0x2000, MEM_DECOMMIT));
    assert_int_equal(query(p).State, MEM_COMMIT);
    assert_error(!VirtualFree(p, 0, MEM_RELEASE), 87);
    /* Access cannot change: skipped silently, FALSE only for exactly one page. */
    assert_error(!VirtualProtect(p, 0x1000, PAGE_READONLY, &old), 87);
    assert_int_equal(old, PAGE_READWRITE);
    assert_true(VirtualProtect(p, 0x2000, PAGE_READONLY, &old));
    assert_int_equal(query(p).Protect, PAGE_READWRITE);
    /* Locks count: two locks need two unlocks. */
    assert_true(LockPages(p, 0x1000, NULL, LOCKFLAG_READ));
    assert_true(UnlockPages(p, 0x2000));
    assert_error(!VirtualFree(p, 0, MEM_RELEASE), 87);
    assert_true(UnlockPages(p, 0x2000));
    assert_error(!UnlockPages(p, 0x2000), 87);
    assert_true(VirtualFree(p, 0x2000, MEM_DECOMMIT));
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
}

static void lock_pages_brings_pages_in(void **state)
{
    (void)state;
    uint32_t f0, f1;
    cevm_ram_pages(NULL, &f0);
    BYTE *a = VirtualAlloc(NULL, 0x3000, MEM_RESERVE | MEM_AUTO_COMMIT, PAGE_READWRITE);
    DWORD pfn[3];
    assert_true(LockPages(a, 0x3000, pfn, LOCKFLAG_WRITE | LOCKFLAG_QUERY_ONLY));
    assert_int_equal(query(a).State, MEM_COMMIT);
    assert_int_equal(query(a).RegionSize, 0x3000);
    cevm_ram_pages(NULL, &f1);
    assert_int_equal(f0 - f1, 3);
    assert_true(pfn[2] == pa_of(a + 0x2000));
    /* QUERY_ONLY locked nothing. */
    assert_true(VirtualFree(a, 0, MEM_RELEASE));
    /* Pages that cannot come in with the access asked for: ERROR_NOACCESS (CE 5) or
     * ERROR_NOT_ENOUGH_MEMORY (CE 6's page-in failure), nothing locked. */
    DWORD noaccess = CE5 ? 998 : 8;
    BYTE *r = VirtualAlloc(NULL, 0x2000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(VirtualAlloc(r, 0x1000, MEM_COMMIT, PAGE_READONLY));
    assert_error(!LockPages(r, 0x2000, pfn, LOCKFLAG_READ), noaccess);
    assert_error(!LockPages(r, 0x1000, pfn, LOCKFLAG_WRITE), noaccess);
    assert_true(LockPages(r, 0x1000, pfn, LOCKFLAG_READ));
    assert_true(UnlockPages(r, 0x1000));
    BYTE *n = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_NOACCESS);
    assert_error(!LockPages(n, 0x1000, pfn, LOCKFLAG_READ), noaccess);
}

static void lock_pages_static_window(void **state)
{
    (void)state;
    DWORD pfn[2];
    assert_true(LockPages(PTR(0x80001000), 0x2000, pfn, LOCKFLAG_READ));
    assert_int_equal(pfn[0], 0x50001000u);
    assert_int_equal(pfn[1], 0x50002000u);
    assert_true(LockPages(PTR(0xB2B08000), 0x10, pfn, LOCKFLAG_READ));
    assert_int_equal(pfn[0], 0x7F008000u);
    assert_error(!LockPages(PTR(0xC0000000), 0x1000, pfn, LOCKFLAG_READ), 87);
    assert_error(!LockPages(PTR(0x92C00000), 0x1000, pfn, LOCKFLAG_READ), 87);
}

static void lock_pages_bad_input(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    struct snapshot *s = snapshot_take();
    DWORD pfn[4];
    assert_error(!LockPages(p, 0, pfn, LOCKFLAG_READ), 87);
    assert_error(!LockPages(NULL, 0x1000, pfn, LOCKFLAG_READ), 87);
    assert_error(!LockPages(cetest_wild(), 0x1000, pfn, LOCKFLAG_READ), 87);
    assert_error(!LockPages(p, 0x2001, pfn, LOCKFLAG_READ), 87); /* past the end */
    assert_error(!LockPages(p, 0xFFFFFFFF, pfn, LOCKFLAG_READ), 87);
    assert_error(!LockPages(PTR(0x04010000), 0x1000, pfn, LOCKFLAG_READ), 87);
    assert_error(!LockPages(p, 0x1000, (PDWORD)cetest_wild(), LOCKFLAG_READ), 87);
    assert_error(!UnlockPages(p, 0x1000), 87);
    assert_error(!UnlockPages(NULL, 0x1000), 87);
    assert_error(!UnlockPages(p, 0), 87);
    snapshot_same(s);
    /* Nothing was left locked by the failures. */
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
}

static const struct CMUnitTest tests[] = {
    CE_TEST(oracle47_query_raw_pte),
    CE_TEST(oracle48_masked_update),
    CE_TEST(attribute_bits_reach_query_and_host),
    CE_TEST(set_attributes_bad_input),
    CE_TEST(oracle49_lock_pages_physical_addresses),
    CE_TEST(locks_hold_pages),
    CE_TEST(lock_pages_brings_pages_in),
    CE_TEST(lock_pages_static_window),
    CE_TEST(lock_pages_bad_input),
};

CETEST_MAIN(tests)
