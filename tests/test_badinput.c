/*
 * test_badinput.c — every CE call with bad input: NULL and wild pointers, zero and huge sizes,
 * unknown flag bits, kernel addresses and other processes' slots. Each must return the
 * documented error and leave the address space and the RAM counters exactly as they were
 * (checked with a VirtualQuery snapshot), and never crash.
 */
#include "cetest.h"

#define wild_pointer cetest_wild

static BYTE *reserve_at(uint32_t ce, DWORD size)
{
    BYTE *p = VirtualAlloc(PTR(ce), size, MEM_RESERVE, PAGE_NOACCESS);
    assert_ptr_equal(p, PTR(ce));
    return p;
}

static void alloc_wild_and_zero(void **state)
{
    (void)state;
    reserve_at(0x00400000, 0x3000);
    struct snapshot *s = snapshot_take();
    assert_error(VirtualAlloc(wild_pointer(), 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    assert_error(VirtualAlloc(wild_pointer(), 0x1000, MEM_COMMIT, PAGE_READWRITE) == NULL, 87);
    assert_error(VirtualAlloc(NULL, 0, MEM_COMMIT, PAGE_READWRITE) == NULL, 87);
    assert_error(VirtualAlloc(PTR(0x00400000), 0, MEM_COMMIT, PAGE_READWRITE) == NULL, 87);
    snapshot_same(s);
}

static void alloc_huge_sizes(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_take();
    /* >= 32 MB is only for NULL + MEM_RESERVE + PAGE_NOACCESS. */
    assert_error(VirtualAlloc(NULL, 0xFFFFFFFF, MEM_COMMIT, PAGE_READWRITE) == NULL, 87);
    assert_error(VirtualAlloc(NULL, 0x2000000, MEM_RESERVE, PAGE_READWRITE) == NULL, 87);
    assert_error(VirtualAlloc(PTR(0x00400000), 0x2000000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    /* The large area (29 x 32 MB) cannot hold 4 GB: ERROR_OUTOFMEMORY. */
    assert_error(VirtualAlloc(NULL, 0xFFFFFFFF, MEM_RESERVE, PAGE_NOACCESS) == NULL, 14);
    assert_error(VirtualAlloc(NULL, 0x3C000000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 14);
    /* A range that would leave the slot. */
    assert_error(VirtualAlloc(PTR(0x01FF0000), 0x20000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    assert_error(VirtualAlloc(PTR(0x7FFF0000), 0x20000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    snapshot_same(s);
}

static void alloc_unknown_type_bits(void **state)
{
    (void)state;
    static const DWORD bad[] = {0,
                                MEM_RESERVE | 0x1,
                                MEM_RESERVE | MEM_RESET,
                                MEM_RESERVE | MEM_DECOMMIT,
                                MEM_RELEASE,
                                MEM_DECOMMIT,
                                MEM_TOP_DOWN,
                                MEM_AUTO_COMMIT,
                                MEM_RESERVE | MEM_4MB_PAGES,
                                MEM_RESERVE | MEM_MAPPED,
                                MEM_RESERVE | MEM_IMAGE,
                                MEM_COMMIT | 0x80000000u};
    struct snapshot *s = snapshot_take();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* CE 6+ takes MEM_IMAGE from anyone and MEM_MAPPED from kernel mode (spec §3.3). */
        if (!CE5 && (bad[i] & (MEM_IMAGE | MEM_MAPPED)) &&
            !(bad[i] & ~(MEM_RESERVE | MEM_IMAGE | MEM_MAPPED)))
            continue;
        assert_error(VirtualAlloc(NULL, 0x1000, bad[i], PAGE_READWRITE) == NULL, 87);
    }
    snapshot_same(s);
}

static void alloc_unknown_protection_bits(void **state)
{
    (void)state;
    static const DWORD bad[] = {0,
                                0x1000,
                                PAGE_PHYSICAL | PAGE_READWRITE,
                                PAGE_ARM_MINICACHE | PAGE_READWRITE,
                                PAGE_x86_WRITETHRU | PAGE_READWRITE,
                                PAGE_GUARD,
                                PAGE_NOCACHE,
                                PAGE_NOACCESS | PAGE_GUARD,
                                PAGE_READWRITE | PAGE_EXECUTE,
                                0x80000004u};
    struct snapshot *s = snapshot_take();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_error(VirtualAlloc(NULL, 0x1000, MEM_COMMIT, bad[i]) == NULL, 87);
        assert_error(VirtualAlloc(NULL, 0x1000, MEM_RESERVE, bad[i]) == NULL, 87);
    }
    snapshot_same(s);
}

static void alloc_kernel_and_foreign_addresses(void **state)
{
    (void)state;
    static const uint32_t bad[] = {
        0x80000000,          0x80001000, 0xA0000000, 0xC2000000, 0xFFFF0000, /* kernel */
        0x02010000,                                                          /* slot 1: XIP DLLs */
        0x04010000,                                                          /* process 1's slot */
        0x08010000,          0x40010000,                                     /* other slots */
        0x43000000,                      /* large area, explicit */
        0x7C010000,                      /* shared section */
        0x7E010000,                      /* resource section */
        0x00000000 + 0x1000, 0x06001000, /* block 0 of the slot (0x06000000 is "NULL") */
    };
    struct snapshot *s = snapshot_take();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_error(VirtualAlloc(PTR(bad[i]), 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
        assert_error(VirtualAlloc(PTR(bad[i]), 0x1000, MEM_COMMIT, PAGE_READWRITE) == NULL, 87);
    }
    snapshot_same(s);
}

static void alloc_own_slot_absolute_address(void **state)
{
    (void)state;
    /* The process slot itself (0x06000000) is the same memory as slot 0. */
    BYTE *p = VirtualAlloc(PTR(0x06400000), 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_ptr_equal(p, PTR(0x06400000));
    *(DWORD *)p = 0xFEEDu;
    assert_int_equal(*(DWORD *)PTR(0x00400000), 0xFEEDu);
    MEMORY_BASIC_INFORMATION m;
    assert_int_equal(VirtualQuery(PTR(0x00400000), &m, sizeof m), sizeof m);
    assert_ptr_equal(m.AllocationBase, PTR(0x00400000));
    assert_int_equal(VirtualQuery(PTR(0x06400000), &m, sizeof m), sizeof m);
    assert_ptr_equal(m.AllocationBase, PTR(0x06400000));
    assert_true(VirtualFree(PTR(0x00400000), 0, MEM_RELEASE));
}

static void alloc_slot_full_not_enough_memory(void **state)
{
    (void)state;
    /* Blocks 1..511 of the slot: fill them (PAGE_READWRITE keeps it out of the large area). */
    BYTE *big = VirtualAlloc(NULL, 0x1FE0000, MEM_RESERVE, PAGE_READWRITE);
    assert_ptr_equal(big, PTR(0x10000));
    BYTE *last = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_ptr_equal(last, PTR(0x1FF0000));
    struct snapshot *s = snapshot_take();
    assert_error(VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 8);
    assert_error(VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE) == NULL, 8);
    snapshot_same(s);
    assert_true(VirtualFree(last, 0, MEM_RELEASE));
    assert_ptr_equal(VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS), last);
}

static void alloc_large_area_full_outofmemory(void **state)
{
    (void)state;
    for (int i = 0; i < 29; i++)
        assert_non_null(VirtualAlloc(NULL, 0x2000000, MEM_RESERVE, PAGE_NOACCESS));
    struct snapshot *s = snapshot_take();
    assert_error(VirtualAlloc(NULL, 0x2000000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 14);
    assert_error(VirtualAlloc(NULL, 0x200000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 14);
    snapshot_same(s);
}

static void alloc_out_of_ram_changes_nothing(void **state)
{
    (void)state;
    /* 128 MB of RAM: commit 4 x 32 MB in huge reservations, leaving a few frames short. */
    uint32_t total, before;
    cevm_ram_pages(&total, &before);
    assert_int_equal(total, 32768);
    BYTE *r[5];
    for (int i = 0; i < 5; i++) {
        r[i] = VirtualAlloc(NULL, 0x2000000, MEM_RESERVE, PAGE_NOACCESS);
        assert_non_null(r[i]);
    }
    /* An explicit commit of 32 MB or more is refused (spec §3.2), so commit in 16 MB halves. */
    assert_error(VirtualAlloc(r[0], 0x2000000, MEM_COMMIT, PAGE_READWRITE) == NULL, 87);
    for (int i = 0; i < 4; i++) {
        assert_ptr_equal(VirtualAlloc(r[i], 0x1000000, MEM_COMMIT, PAGE_READWRITE), r[i]);
        DWORD second = i == 3 ? 0xFF0000 : 0x1000000;
        assert_ptr_equal(VirtualAlloc(r[i] + 0x1000000, second, MEM_COMMIT, PAGE_READWRITE),
                         r[i] + 0x1000000);
    }
    struct snapshot *s = snapshot_take();
    assert_true(s->free_pages == 16);
    /* 17 pages needed, 16 free: nothing may be committed. */
    assert_error(VirtualAlloc(r[4], 0x11000, MEM_COMMIT, PAGE_READWRITE) == NULL, 8);
    snapshot_same(s);
    assert_ptr_equal(VirtualAlloc(r[4], 0x10000, MEM_COMMIT, PAGE_READWRITE), r[4]);
    uint32_t after;
    cevm_ram_pages(NULL, &after);
    assert_int_equal(after, 0);
    for (int i = 0; i < 5; i++) {
        assert_true(VirtualFree(r[i], i == 4 ? 0x10000 : 0x1FFFFFF, MEM_DECOMMIT));
        assert_true(VirtualFree(r[i], 0, MEM_RELEASE));
    }
    cevm_ram_pages(NULL, &after);
    assert_int_equal(after, before);
}

static void free_bad_input(void **state)
{
    (void)state;
    BYTE *p = reserve_at(0x00400000, 0x3000);
    assert_non_null(VirtualAlloc(p, 0x3000, MEM_COMMIT, PAGE_READWRITE));
    BYTE *q = reserve_at(0x00410000, 0x3000);
    struct snapshot *s = snapshot_take();
    static const DWORD bad_types[] = {0,          MEM_FREE,         MEM_RELEASE | MEM_DECOMMIT,
                                      0x1,        MEM_RESERVE,      MEM_COMMIT,
                                      0x80008000, MEM_RELEASE | 0x1};
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        assert_error(!VirtualFree(p, 0, bad_types[i]), 87);
        assert_error(!VirtualFree(p, 0x1000, bad_types[i]), 87);
    }
    assert_error(!VirtualFree(NULL, 0, MEM_RELEASE), 87);
    assert_error(!VirtualFree(NULL, 0x1000, MEM_DECOMMIT), 87);
    assert_error(!VirtualFree(wild_pointer(), 0, MEM_RELEASE), 87);
    assert_error(!VirtualFree(PTR(0x80000000), 0, MEM_RELEASE), 87);
    assert_error(!VirtualFree(PTR(0x80000000), 0x1000, MEM_DECOMMIT), 87);
    assert_error(!VirtualFree(PTR(0x04010000), 0, MEM_RELEASE), 87);
    assert_error(!VirtualFree(PTR(0x00500000), 0, MEM_RELEASE), 87);       /* free */
    assert_error(!VirtualFree(PTR(0x00500000), 0x1000, MEM_DECOMMIT), 87); /* free */
    assert_error(!VirtualFree(p + 0x10, 0, MEM_RELEASE), 87);
    assert_error(!VirtualFree(p, 0x3001, MEM_DECOMMIT), 87);     /* runs past the end */
    assert_error(!VirtualFree(p, 0x11000, MEM_DECOMMIT), 87);    /* into the next reservation */
    assert_error(!VirtualFree(p, 0xFFFFFFFF, MEM_DECOMMIT), 87); /* wraps */
    assert_error(!VirtualFree(q + 0x3000, 0x1000, MEM_DECOMMIT), 87); /* past the end */
    snapshot_same(s);
    assert_true(VirtualFree(q, 0, MEM_RELEASE));
    assert_error(!VirtualFree(q, 0, MEM_RELEASE), 87); /* twice */
}

static void protect_bad_input(void **state)
{
    (void)state;
    BYTE *p = reserve_at(0x00400000, 0x3000);
    assert_non_null(VirtualAlloc(p, 0x3000, MEM_COMMIT, PAGE_READWRITE));
    BYTE *q = reserve_at(0x00410000, 0x1000);
    assert_non_null(VirtualAlloc(q, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    struct snapshot *s = snapshot_take();
    DWORD old = 0x5555;
    assert_error(!VirtualProtect(NULL, 0x1000, PAGE_READONLY, &old), 87);
    assert_error(!VirtualProtect(wild_pointer(), 0x1000, PAGE_READONLY, &old), 87);
    assert_error(!VirtualProtect(p, 0, PAGE_READONLY, &old), 87);
    assert_error(!VirtualProtect(p, 0xFFFFFFFF, PAGE_READONLY, &old), 87);
    assert_error(!VirtualProtect(p, 0x3001, PAGE_READONLY, &old), 87);
    assert_error(!VirtualProtect(p, 0x11000, PAGE_READONLY, &old), 87); /* two reservations */
    assert_error(!VirtualProtect(PTR(0x80000000), 0x1000, PAGE_READONLY, &old), 87);
    assert_error(!VirtualProtect(PTR(0x04010000), 0x1000, PAGE_READONLY, &old), 87);
    assert_error(!VirtualProtect(PTR(0x00500000), 0x1000, PAGE_READONLY, &old), 87);
    if (CE5) /* CE 6 accepts a NULL old-protection pointer (oracle 34) */
        assert_error(!VirtualProtect(p, 0x1000, PAGE_READONLY, NULL), 87);
    /* A wild old-protection pointer fails before anything changes. */
    assert_error(!VirtualProtect(p, 0x1000, PAGE_READONLY, (PDWORD)(uintptr_t)0x10), 87);
    assert_error(!VirtualProtect(p, 0x1000, PAGE_READONLY, (PDWORD)PTR(0x00500000)), 87);
    assert_error(!VirtualProtect(p, 0x1000, 0, &old), 87);
    assert_error(!VirtualProtect(p, 0x1000, 0x1000, &old), 87);
    assert_error(!VirtualProtect(p, 0x1000, PAGE_PHYSICAL | PAGE_READWRITE, &old), 87);
    assert_error(!VirtualProtect(p, 0x1000, PAGE_NOACCESS | PAGE_NOCACHE, &old), 87);
    assert_error(!VirtualProtect(p, 0x1000, PAGE_WRITECOPY, &old), CE5 ? 50 : 87);
    assert_error(!VirtualProtect(p, 0x1000, PAGE_EXECUTE_WRITECOPY, &old), CE5 ? 50 : 87);
    assert_int_equal(old, 0x5555);
    snapshot_same(s);
}

static void query_bad_input(void **state)
{
    (void)state;
    BYTE *p = reserve_at(0x00400000, 0x1000);
    struct snapshot *s = snapshot_take();
    MEMORY_BASIC_INFORMATION m;
    assert_error(VirtualQuery(p, NULL, sizeof m) == 0, 87);
    assert_error(VirtualQuery(p, (PMEMORY_BASIC_INFORMATION)(uintptr_t)0x10, sizeof m) == 0, 87);
    assert_error(VirtualQuery(p, (PMEMORY_BASIC_INFORMATION)PTR(0x00500000), sizeof m) == 0, 87);
    assert_error(VirtualQuery(p, (PMEMORY_BASIC_INFORMATION)p, sizeof m) == 0, 87);
    assert_error(VirtualQuery(NULL, &m, sizeof m) == 0, 87);
    assert_error(VirtualQuery(wild_pointer(), &m, sizeof m) == 0, 87);
    assert_error(VirtualQuery(PTR(0x80000000), &m, sizeof m) == 0, 87);
    assert_error(VirtualQuery(PTR(0xFFFFF000), &m, sizeof m) == 0, 87);
    assert_error(VirtualQuery(p, &m, 0) == 0, 24);
    assert_error(VirtualQuery(NULL, NULL, 0) == 0, 24); /* the length is checked first */
    snapshot_same(s);
}

static void system_info_null(void **state)
{
    (void)state;
    SetLastError(0);
    GetSystemInfo(NULL);
    assert_int_equal(GetLastError(), 87);
    GetSystemInfo((LPSYSTEM_INFO)(uintptr_t)0x20);
    assert_int_equal(GetLastError(), 87);
}

static void last_error_is_per_thread_value(void **state)
{
    (void)state;
    SetLastError(1234);
    assert_int_equal(GetLastError(), 1234);
    /* A successful call leaves it alone. */
    assert_non_null(VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS));
    assert_int_equal(GetLastError(), 1234);
}

/* The host refusing an mmap or mprotect mid-call: the CE call fails with 8 and nothing
 * changes, whichever host call of it failed. */
static void host_refusal_changes_nothing(void **state)
{
    (void)state;
    BYTE *p = reserve_at(0x00400000, 0x8000);
    assert_non_null(VirtualAlloc(p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    p[0x1000] = 0x42;
    /* Each run of pages is one host mapping: on CE 5 the slot-0 alias, which the program
     * uses (the slot view is mapped only when touched), on CE 6+ the page itself. */
    const uint64_t views = 1;
    for (uint64_t n = 1; n <= 2 * views; n++) {
        struct snapshot *s = snapshot_take();
        cevm_fail_host_call(n);
        BYTE *c = VirtualAlloc(p, 0x8000, MEM_COMMIT, PAGE_READONLY);
        cevm_fail_host_call(0);
        assert_null(c);
        assert_int_equal(GetLastError(), 8);
        snapshot_same(s);
        assert_int_equal(p[0x1000], 0x42); /* the committed page still works and kept its data */
        p[0x1000] = 0x42;
    }
    for (uint64_t n = 1; n <= views; n++) {
        struct snapshot *s = snapshot_take();
        DWORD old = 0;
        cevm_fail_host_call(n);
        BOOL ok = VirtualProtect(p + 0x1000, 0x1000, PAGE_READONLY, &old);
        cevm_fail_host_call(0);
        assert_false(ok);
        assert_int_equal(GetLastError(), 8);
        snapshot_same(s);
        p[0x1000] = 0x43; /* still writable */
    }
    /* Decommit and release: the frames stay with their pages and the data survives. */
    BYTE *q = VirtualAlloc(PTR(0x00500000), 0x3000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(q);
    q[0x2000] = 0x99;
    for (uint64_t n = 1; n <= views; n++) {
        struct snapshot *s = snapshot_take();
        cevm_fail_host_call(n);
        BOOL ok = VirtualFree(q + 0x1000, 0x2000, MEM_DECOMMIT);
        cevm_fail_host_call(0);
        assert_false(ok);
        assert_int_equal(GetLastError(), 8);
        snapshot_same(s);
        assert_int_equal(q[0x2000], 0x99);
        s = snapshot_take();
        cevm_fail_host_call(n);
        ok = VirtualFree(q, 0, MEM_RELEASE);
        cevm_fail_host_call(0);
        assert_false(ok);
        assert_int_equal(GetLastError(), 8);
        snapshot_same(s);
        assert_int_equal(q[0x2000], 0x99);
    }
    assert_true(VirtualFree(q, 0, MEM_RELEASE));

    struct snapshot *s = snapshot_take();
    cevm_fail_host_call(1);
    assert_null(VirtualAlloc(NULL, 0x3000, MEM_COMMIT, PAGE_READWRITE));
    cevm_fail_host_call(0);
    assert_int_equal(GetLastError(), 8);
    snapshot_same(s);
    /* Once the host agrees again, the same calls work. */
    assert_ptr_equal(VirtualAlloc(p, 0x8000, MEM_COMMIT, PAGE_READWRITE), p);
    assert_int_equal(p[0x1000], 0x43);
    assert_int_equal(p[0x7FFF], 0);
}

static void boot_survives_host_refusals(void **state)
{
    (void)state;
    cevm_shutdown();
    char err[256];
    uint64_t n = 1;
    for (;; n++) {
        cevm_fail_host_call(n);
        cevm_status st = cevm_boot(NULL, err, sizeof err);
        cevm_fail_host_call(0);
        if (st == CEVM_OK)
            break;
        assert_true(st == CEVM_E_HOST || st == CEVM_E_NOMEM);
        assert_true(err[0] != '\0');
        assert_int_equal(cevm_is_booted(), 0);
        assert_true(n < 2000);
    }
    assert_true(n > 1); /* at least one refusal happened and was survived */
    assert_non_null(VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE));
}

static const struct CMUnitTest tests[] = {
    CE_TEST(host_refusal_changes_nothing),
    CE_TEST_RAW(boot_survives_host_refusals),
    CE_TEST(alloc_wild_and_zero),
    CE_TEST(alloc_huge_sizes),
    CE_TEST(alloc_unknown_type_bits),
    CE_TEST(alloc_unknown_protection_bits),
    CE_TEST(alloc_kernel_and_foreign_addresses),
    CE_TEST(alloc_own_slot_absolute_address),
    CE_TEST(alloc_slot_full_not_enough_memory),
    CE_TEST(alloc_large_area_full_outofmemory),
    CE_TEST(alloc_out_of_ram_changes_nothing),
    CE_TEST(free_bad_input),
    CE_TEST(protect_bad_input),
    CE_TEST(query_bad_input),
    CE_TEST(system_info_null),
    CE_TEST(last_error_is_per_thread_value),
};

CETEST_MAIN(tests)
