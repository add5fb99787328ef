/*
 * test_window.c — the host window and the address-space bookkeeping around it: reserve and
 * release of uncommitted memory make no system call, the slot-0 alias and the process slot are
 * one memory, CE addresses and host pointers convert both ways, and VirtualQuery's free-region
 * sizes follow the CE 5 block and section layout.
 */
#include "cetest.h"
#include <pkfuncs.h>

static void reserve_release_make_no_system_call(void **state)
{
    (void)state;
    /* Warm up: the first reservations may allocate block structures. */
    for (int i = 0; i < 64; i++)
        VirtualFree(VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS), 0, MEM_RELEASE);
    uint64_t before = cevm_host_calls();
    for (int i = 0; i < 1000; i++) {
        BYTE *p = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
        BYTE *h = VirtualAlloc(NULL, 0x300000, MEM_RESERVE, PAGE_NOACCESS);
        assert_non_null(p);
        assert_non_null(h);
        MEMORY_BASIC_INFORMATION m;
        assert_int_equal(VirtualQuery(p, &m, sizeof m), sizeof m);
        assert_true(VirtualFree(p, 0x1000, MEM_DECOMMIT));
        assert_true(VirtualFree(p, 0, MEM_RELEASE));
        assert_true(VirtualFree(h, 0, MEM_RELEASE));
    }
    assert_true(cevm_host_calls() == before);
    /* A commit does reach the host (so the counter can move). */
    BYTE *c = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(c);
    assert_true(cevm_host_calls() > before);
}

static void slot_zero_is_the_process_slot(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    uint32_t abs = CEA(p) | 0x06000000u;
    p[0x1004] = 0x5A;
    assert_int_equal(PTR(abs)[0x1004], 0x5A);
    PTR(abs)[8] = 0x77;
    assert_int_equal(p[8], 0x77);
    DWORD old;
    assert_true(VirtualProtect(PTR(abs), 0x1000, PAGE_READONLY, &old));
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery(p, &m, sizeof m);
    assert_int_equal(m.Protect, PAGE_READONLY);
    assert_int_equal(m.RegionSize, 0x1000);
    assert_true(VirtualFree(PTR(abs) + 0x1000, 0x1000, MEM_DECOMMIT));
    VirtualQuery(p + 0x1000, &m, sizeof m);
    assert_int_equal(m.State, MEM_RESERVE);
}

static void touch_word(void *ctx)
{
    *(volatile DWORD *)ctx = 0x11223344u;
}

static void read_word(void *ctx)
{
    (void)*(volatile DWORD *)ctx;
}

/* The slot view of a page is mapped on its first touch (the alias with the page: one host
 * mapping per mapping call). Whatever the order, the two views stay one memory with one
 * protection: a protection change, a decommit and a new frame reach a slot view that was
 * touched, and one that was not is mapped as the page is when it is touched. */
static void slot_view_follows_its_page(void **state)
{
    (void)state;
    cevm_exception e;
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(p);
    assert_non_null(VirtualAlloc(p, 0x3000, MEM_COMMIT, PAGE_READWRITE));
    BYTE *slot = PTR(CEA(p) | 0x06000000u);
    uint64_t before = cevm_host_calls();
    p[0] = 1;                                 /* the alias is mapped already: no host call */
    assert_true(cevm_host_calls() == before); /* (a fault would have mapped something) */
    assert_int_equal(slot[0], 1);             /* the slot view's first touch maps it */
    slot[0x1000] = 2;
    assert_int_equal(p[0x1000], 2);
    /* Read-only: the touched slot view follows; the untouched third page is mapped read-only. */
    DWORD old;
    assert_true(VirtualProtect(p, 0x3000, PAGE_READONLY, &old));
    assert_int_equal(cevm_try(touch_word, slot, &e), 1);
    assert_int_equal(e.code, 0xC0000005u);
    assert_int_equal(cevm_try(touch_word, slot + 0x2000, &e), 1);
    assert_int_equal(cevm_try(read_word, slot + 0x2000, &e), 0);
    assert_true(VirtualProtect(p, 0x3000, PAGE_READWRITE, &old));
    slot[0x2000] = 3;
    assert_int_equal(p[0x2000], 3);
    /* Decommit: neither view reaches the old frame; a new commit is a zeroed frame in both. */
    assert_true(VirtualFree(p, 0x1000, MEM_DECOMMIT));
    assert_int_equal(cevm_try(read_word, slot, &e), 1);
    assert_int_equal(cevm_try(read_word, p, &e), 1);
    assert_non_null(VirtualAlloc(p, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    assert_int_equal(slot[0], 0);
    slot[4] = 9;
    assert_int_equal(p[4], 9);
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
    assert_int_equal(cevm_try(read_word, slot + 0x1000, &e), 1);
}

/* window.c remembers the views it mapped: a range mapped again with exactly the backing a
 * release left there costs one mprotect instead of a new mapping. Whatever the order, a view
 * must be exactly the newest mapping: the same frames zeroed again, another frame at the same
 * address, another protection, inaccessible once freed; a forked child's view of a frame is
 * its own copy; a page committed again gets its frame back, zeroed. */
static void a_view_mapped_again_is_exactly_the_new_mapping(void **state)
{
    (void)state;
    cevm_exception e;
    ULONG pa, pa2;
    BYTE *p = AllocPhysMem(0x10000, PAGE_READWRITE, 0, 0, &pa);
    assert_non_null(p);
    memset(p, 0xAB, 0x10000);
    assert_true(FreePhysMem(p));
    assert_int_equal(cevm_try(read_word, p, &e), 1);
    BYTE *q = AllocPhysMem(0x10000, PAGE_READWRITE, 0, 0, &pa2);
    assert_true(q == p && pa2 == pa); /* first fit: the same frames at the same address */
    for (int i = 0; i < 0x10000; i += 0x800)
        assert_int_equal(q[i], 0);
    q[0x1000] = 0x5A;
    /* Two frames taken in turns through one address. */
    BYTE *v = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(v);
    for (int round = 0; round < 3; round++) {
        for (int f = 0; f < 2; f++) {
            LPVOID frame = (LPVOID)(uintptr_t)((pa + (DWORD)f * 0x1000) >> 8);
            DWORD prot = round == 1 ? PAGE_READONLY : PAGE_READWRITE;
            assert_true(VirtualCopy(v, frame, 0x1000, prot | PAGE_PHYSICAL));
            assert_int_equal(v[0], f ? 0x5A : 0);
            assert_int_equal(cevm_try(touch_word, v + 8, &e), round == 1);
            assert_true(VirtualFree(v, 0x1000, MEM_DECOMMIT));
            assert_int_equal(cevm_try(read_word, v, &e), 1);
        }
    }
    assert_true(VirtualCopy(v, (LPVOID)(uintptr_t)((pa + 0x1000) >> 8), 0x1000,
                            PAGE_READWRITE | PAGE_PHYSICAL));
    assert_true(VirtualFree(v, 0x1000, MEM_DECOMMIT)); /* a released view of q's second page */
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) { /* the same view mapped again: the child's copy of the frame */
        int ok = VirtualCopy(v, (LPVOID)(uintptr_t)((pa + 0x1000) >> 8), 0x1000,
                             PAGE_READWRITE | PAGE_PHYSICAL) &&
                 v[0] == 0x5A;
        v[0] = 0x77;
        _exit(ok && q[0x1000] == 0x77 ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(q[0x1000], 0x5A); /* the parent's frame is untouched */
    assert_true(VirtualFree(v, 0, MEM_RELEASE));
    assert_true(FreePhysMem(q));
    /* The host refusing any fault point of AllocPhysMem over a remembered view (the mprotect
     * that maps it again among them) fails the call with 8, as a refused mmap does: a call
     * that succeeds never reached the armed point. */
    for (uint64_t n = 1; n <= 8; n++) {
        p = AllocPhysMem(0x10000, PAGE_READWRITE, 0, 0, &pa);
        assert_non_null(p);
        assert_true(FreePhysMem(p));
        uint64_t before = cevm_fault_points();
        cevm_fail_host_call(n);
        SetLastError(0);
        q = AllocPhysMem(0x10000, PAGE_READWRITE, 0, 0, &pa2);
        cevm_fail_host_call(0);
        if (q) {
            assert_true(cevm_fault_points() - before < n);
            assert_true(FreePhysMem(q));
        } else
            assert_int_equal(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
    }
    q = AllocPhysMem(0x10000, PAGE_READWRITE, 0, 0, &pa2);
    assert_non_null(q);
    assert_int_equal(q[0x1000], 0);
    assert_true(FreePhysMem(q));
    /* A page decommitted and committed again gets its frame back (frames.c), zeroed; a larger
     * commit does not take a smaller freed run. */
    BYTE *c = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(VirtualAlloc(c, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    uint64_t f1 = 0, f2 = 0;
    assert_int_equal(cevm_virt_to_phys(CEA(c), &f1), CEVM_OK);
    for (int round = 0; round < 3; round++) {
        memset(c, 0xEE, 0x1000);
        assert_true(VirtualFree(c, 0x1000, MEM_DECOMMIT));
        assert_int_equal(cevm_frame_refcount(f1), 0);
        assert_non_null(VirtualAlloc(c, 0x1000, MEM_COMMIT, PAGE_READWRITE));
        assert_int_equal(cevm_virt_to_phys(CEA(c), &f2), CEVM_OK);
        assert_true(f2 == f1);
        assert_int_equal(c[0], 0);
        assert_int_equal(c[0xFFF], 0);
    }
    assert_true(VirtualFree(c, 0x1000, MEM_DECOMMIT));
    assert_non_null(VirtualAlloc(c, 0x2000, MEM_COMMIT, PAGE_READWRITE));
    assert_int_equal(c[0] | c[0x1FFF], 0);
    assert_true(
        VirtualFree(c, 0x2000, MEM_DECOMMIT)); /* CE 5 releases no partly committed region */
    assert_true(VirtualFree(c, 0, MEM_RELEASE));
}

static void address_conversions(void **state)
{
    (void)state;
    for (uint32_t ce = 0x10000; ce < 0xF0000000u; ce += 0x0FFF1000u)
        assert_int_equal(CEA(PTR(ce)), ce);
    int host_local = 0;
    if (cevm_window() == CEVM_WINDOW_OFFSET) {
        assert_int_equal(CEA(&host_local), 0xFFFFFFFFu);
        assert_true((uintptr_t)PTR(0x10000) - 0x10000 == (uintptr_t)PTR(0));
    } else {
        assert_ptr_equal(PTR(0x80000000), (void *)(uintptr_t)0x80000000u);
        assert_int_equal(CEA(&host_local), 0xFFFFFFFFu); /* host stacks live above 4 GiB */
    }
}

static void free_region_sizes(void **state)
{
    (void)state;
    MEMORY_BASIC_INFORMATION m;
    /* An empty slot: free from 0x10000 to the end of the 32 MB section. */
    VirtualQuery(PTR(0x10000), &m, sizeof m);
    assert_int_equal(m.State, MEM_FREE);
    assert_int_equal(m.RegionSize, 0x2000000 - 0x10000);
    VirtualQuery(PTR(0x12345), &m, sizeof m);
    assert_ptr_equal(m.BaseAddress, PTR(0x12000));
    assert_int_equal(m.RegionSize, 0x2000000 - 0x12000);
    BYTE *p = VirtualAlloc(PTR(0x400000), 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(p);
    VirtualQuery(PTR(0x10000), &m, sizeof m);
    assert_int_equal(m.RegionSize, 0x3F0000);
    /* The tail of the reservation's last block reads as free, up to the next used block. */
    VirtualQuery(p + 0x3000, &m, sizeof m);
    assert_int_equal(m.State, MEM_FREE);
    assert_null(m.AllocationBase);
    assert_int_equal(m.RegionSize, 0x2000000 - 0x403000);
    /* The tail can never be reserved: its block is taken. */
    assert_error(VirtualAlloc(p + 0x3000, 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    /* The large area, a section at a time. */
    VirtualQuery(PTR(0x42000000), &m, sizeof m);
    assert_int_equal(m.State, MEM_FREE);
    assert_int_equal(m.RegionSize, 0x2000000);
}

static void region_runs_cross_blocks(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x30000, MEM_RESERVE, PAGE_NOACCESS);
    assert_ptr_equal(VirtualAlloc(p + 0xF000, 0x12000, MEM_COMMIT, PAGE_READWRITE), p + 0xF000);
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery(p, &m, sizeof m);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.RegionSize, 0xF000);
    VirtualQuery(p + 0xF000, &m, sizeof m);
    assert_int_equal(m.State, MEM_COMMIT);
    assert_int_equal(m.RegionSize, 0x12000);
    assert_ptr_equal(m.AllocationBase, p);
    VirtualQuery(p + 0x10000, &m, sizeof m);
    assert_int_equal(m.RegionSize, 0x11000);
    VirtualQuery(p + 0x21000, &m, sizeof m);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.RegionSize, 0xF000);
    /* A protection change splits the run. */
    DWORD old;
    assert_true(VirtualProtect(p + 0x18000, 0x2000, PAGE_READONLY, &old));
    VirtualQuery(p + 0xF000, &m, sizeof m);
    assert_int_equal(m.RegionSize, 0x9000);
    VirtualQuery(p + 0x18000, &m, sizeof m);
    assert_int_equal(m.RegionSize, 0x2000);
    assert_int_equal(m.Protect, PAGE_READONLY);
    /* Adjacent reservations are separate regions even with equal state. */
    BYTE *q = VirtualAlloc(p + 0x30000, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    assert_ptr_equal(q, p + 0x30000);
    VirtualQuery(p + 0x21000, &m, sizeof m);
    assert_int_equal(m.RegionSize, 0xF000);
}

/* Random commits, decommits and protection changes on one reservation; after each, every
 * page's VirtualQuery must match a flat per-page model (state, protection, run length). */
static uint32_t rnd(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*x >> 33);
}

static void check_model(BYTE *base, uint32_t npages, const DWORD *state, const DWORD *prot)
{
    for (uint32_t i = 0; i < npages; i++) {
        MEMORY_BASIC_INFORMATION m;
        assert_int_equal(VirtualQuery(base + i * 0x1000, &m, sizeof m), sizeof m);
        uint32_t run = 1;
        while (i + run < npages && state[i + run] == state[i] && prot[i + run] == prot[i])
            run++;
        if (m.State != state[i] || m.Protect != prot[i] || m.RegionSize != run * 0x1000)
            fail_msg("page %u: state 0x%x/0x%x protect 0x%x/0x%x size 0x%x/0x%x", i, m.State,
                     state[i], m.Protect, prot[i], m.RegionSize, run * 0x1000);
        assert_ptr_equal(m.AllocationBase, base);
    }
}

static void query_runs_match_page_model(void **state)
{
    (void)state;
    static const DWORD prots[] = {PAGE_READWRITE, PAGE_READONLY, PAGE_NOACCESS,
                                  PAGE_READWRITE | PAGE_NOCACHE, PAGE_READWRITE | PAGE_GUARD};
    enum { NPAGES = 40 * 16 + 5 };
    static DWORD st[NPAGES], pr[NPAGES];
    BYTE *base = VirtualAlloc(NULL, NPAGES * 0x1000, MEM_RESERVE, PAGE_READWRITE);
    assert_non_null(base);
    for (int i = 0; i < NPAGES; i++) {
        st[i] = MEM_RESERVE;
        pr[i] = PAGE_NOACCESS;
    }
    uint64_t seed = 0xCE5CE5u;
    for (int op = 0; op < 300; op++) {
        uint32_t first = rnd(&seed) % NPAGES;
        uint32_t len = 1 + rnd(&seed) % (rnd(&seed) % 4 == 0 ? NPAGES - first : 40);
        if (first + len > NPAGES)
            len = NPAGES - first;
        DWORD p = prots[rnd(&seed) % 5], old;
        switch (rnd(&seed) % 3) {
        case 0:
            assert_non_null(VirtualAlloc(base + first * 0x1000, len * 0x1000, MEM_COMMIT, p));
            for (uint32_t i = first; i < first + len; i++) {
                st[i] = MEM_COMMIT;
                pr[i] = p;
            }
            break;
        case 1:
            assert_true(VirtualFree(base + first * 0x1000, len * 0x1000, MEM_DECOMMIT));
            for (uint32_t i = first; i < first + len; i++) {
                st[i] = MEM_RESERVE;
                pr[i] = PAGE_NOACCESS;
            }
            break;
        default: {
            int all = 1;
            for (uint32_t i = first; i < first + len; i++)
                all &= st[i] == MEM_COMMIT;
            BOOL ok = VirtualProtect(base + first * 0x1000, len * 0x1000, p, &old);
            assert_int_equal(ok, all);
            if (ok) {
                assert_int_equal(old, pr[first]);
                for (uint32_t i = first; i < first + len; i++)
                    pr[i] = p;
            }
        }
        }
        check_model(base, NPAGES, st, pr);
    }
}

static const struct CMUnitTest tests[] = {
    CE_TEST(query_runs_match_page_model),   CE_TEST(reserve_release_make_no_system_call),
    CE_TEST(slot_zero_is_the_process_slot), CE_TEST(slot_view_follows_its_page),
    CE_TEST(address_conversions),           CE_TEST(free_region_sizes),
    CE_TEST(region_runs_cross_blocks),      CE_TEST(a_view_mapped_again_is_exactly_the_new_mapping),
};

CETEST_MAIN(tests)
