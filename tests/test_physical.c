/*
 * test_physical.c — VirtualCopy, MmMapIoSpace and AllocPhysMem on the default board (CE 5):
 * spec oracles 39-46, 52, 53 and 59; aliasing between every way of reaching one physical page;
 * RAM accounting; mappings of device memory and of physical addresses nothing backs; bad
 * input with state unchanged.
 */
#include "cetest.h"

#include <ceddk.h>
#include <pkfuncs.h>

static MEMORY_BASIC_INFORMATION query(const void *p)
{
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery(p, &mbi, sizeof mbi), sizeof mbi);
    return mbi;
}

static uint32_t free_pages(void)
{
    uint32_t f = 0;
    cevm_ram_pages(NULL, &f);
    return f;
}

static PHYSICAL_ADDRESS phys(uint64_t pa)
{
    PHYSICAL_ADDRESS p;
    p.QuadPart = (LONGLONG)pa;
    return p;
}

/* 39 [all] */
static void oracle39_copy_onto_committed_page(void **state)
{
    (void)state;
    BYTE *dst = VirtualAlloc(NULL, 0x2000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(VirtualAlloc(dst + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    struct snapshot *s = snapshot_take();
    assert_error(!VirtualCopy(dst, (LPVOID)(0x50000000 >> 8), 0x2000,
                              PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE),
                 87);
    snapshot_same(s);
}

/* 40 [all] */
static void oracle40_physical_copy(void **state)
{
    (void)state;
    BYTE *dst = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_true(VirtualCopy(dst, (LPVOID)(0x48000000 >> 8), 0x1000,
                            PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE));
    MEMORY_BASIC_INFORMATION m = query(dst);
    assert_int_equal(m.State, MEM_COMMIT);
    assert_int_equal(m.Protect, 0x204);
    uint64_t pa;
    assert_int_equal(cevm_virt_to_phys(CEA(dst) + 0x10, &pa), CEVM_OK);
    assert_true(pa == 0x48000010ull);
}

/* 41 [all] */
static void oracle41_page_offset_mismatch(void **state)
{
    (void)state;
    BYTE *dst = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    struct snapshot *s = snapshot_take();
    assert_error(!VirtualCopy(dst, (LPVOID)(0x48000200 >> 8), 0x1000,
                              PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE),
                 87);
    snapshot_same(s);
    /* Matching offsets are fine. */
    assert_true(VirtualCopy(dst + 0x200, (LPVOID)(0x48000200 >> 8), 0x10,
                            PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE));
}

/* 42 [all] */
static void oracle42_size_zero(void **state)
{
    (void)state;
    BYTE *dst = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_error(!VirtualCopy(dst, (LPVOID)(0x48000000 >> 8), 0, PAGE_PHYSICAL | PAGE_READWRITE),
                 87);
}

/* 43 [5] */
static void oracle43_virtual_copy_same_block_offset(void **state)
{
    (void)state;
    BYTE *src = VirtualAlloc(NULL, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    BYTE *dst = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    if (!CE5) { /* 43 [6]: only the page offset must match */
        assert_true(VirtualCopy(dst, src + 0x1000, 0x1000, PAGE_READWRITE));
        src[0x1008] = 0x5C;
        assert_int_equal(dst[8], 0x5C);
        assert_error(!VirtualCopy(dst + 0x1000, src + 0x10, 0x1000, PAGE_READWRITE), 87);
        return;
    }
    assert_error(!VirtualCopy(dst, src + 0x1000, 0x1000, PAGE_READWRITE), 87);
    assert_error(!VirtualCopy(dst + 0x1000, src, 0x1000, PAGE_READWRITE), 87);
    assert_int_equal(query(dst).State, MEM_RESERVE);
    assert_true(VirtualCopy(dst + 0x1000, src + 0x1000, 0x2000, PAGE_READWRITE));
    src[0x1008] = 0x5C;
    assert_int_equal(dst[0x1008], 0x5C);
}

/* 44 [all] */
static void oracle44_alias_outlives_source(void **state)
{
    (void)state;
    uint32_t f0 = free_pages();
    BYTE *src = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    BYTE *dst = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    memcpy(src, "old data", 9);
    uint64_t pa;
    assert_int_equal(cevm_virt_to_phys(CEA(src), &pa), CEVM_OK);
    assert_true(VirtualCopy(dst, src, 0x1000, PAGE_READWRITE));
    assert_int_equal(cevm_frame_refcount(pa), 2);
    assert_true(VirtualFree(src, 0, MEM_RELEASE));
    assert_string_equal((char *)dst, "old data");
    assert_int_equal(cevm_frame_refcount(pa), 1);
    assert_int_equal(free_pages(), f0 - 1);
    assert_true(VirtualFree(dst, 0, MEM_RELEASE));
    assert_int_equal(cevm_frame_refcount(pa), 0);
    assert_int_equal(free_pages(), f0);
}

/* 45 [all] */
static void oracle45_free_device_mapping_keeps_ram(void **state)
{
    (void)state;
    uint32_t f0 = free_pages();
    BYTE *dst = VirtualAlloc(NULL, 0x4000, MEM_RESERVE, PAGE_NOACCESS);
    assert_true(VirtualCopy(dst, (LPVOID)(0x7F008000 >> 8), 0x1000,
                            PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE));
    assert_true(VirtualCopy(dst + 0x1000, (LPVOID)(0x7F00B000 >> 8), 0x1000,
                            PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE));
    assert_int_equal(free_pages(), f0);
    assert_true(VirtualFree(dst, 0x2000, MEM_DECOMMIT));
    assert_int_equal(free_pages(), f0);
    assert_true(VirtualFree(dst, 0, MEM_RELEASE));
    assert_int_equal(free_pages(), f0);
}

/* 46 [5] */
static void oracle46_untrusted_copy_denied(void **state)
{
    (void)state;
    BYTE *dst = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    cevm_set_trusted(0); /* 46: [5] 5, [6+] the user-mode entry is not supported: 50 */
    assert_error(
        !VirtualCopy(dst, (LPVOID)(0x7F008000 >> 8), 0x1000, PAGE_PHYSICAL | PAGE_READWRITE),
        CE5 ? 5 : 50);
    cevm_set_trusted(1);
    assert_int_equal(query(dst).State, MEM_RESERVE);
}

/* 52 [all] */
static void oracle52_alloc_phys_bad_arguments(void **state)
{
    (void)state;
    ULONG pa = 0xAAAA;
    struct snapshot *s = snapshot_take();
    assert_error(AllocPhysMem(0, PAGE_READWRITE, 0, 0, &pa) == NULL, 87);
    assert_error(AllocPhysMem(0x1000, PAGE_READWRITE, 0, 1, &pa) == NULL, 87);
    assert_error(AllocPhysMem(0x1000, PAGE_READWRITE, 0, 0, NULL) == NULL, 87);
    assert_error(AllocPhysMem(0x1000, PAGE_READWRITE, 0, 0, (PULONG)cetest_wild()) == NULL, 87);
    assert_error(AllocPhysMem(0x1000, PAGE_WRITECOPY, 0, 0, &pa) == NULL, 87);
    assert_error(AllocPhysMem(0x1000, 0, 0, 0, &pa) == NULL, 87);
    assert_int_equal(pa, 0xAAAA);
    snapshot_same(s);
}

/* 53 [all] */
static void oracle53_alloc_phys_aligned_uncached(void **state)
{
    (void)state;
    uint32_t f0 = free_pages();
    BYTE *used = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE); /* takes frame 0 */
    ULONG pa = 0;
    BYTE *va = AllocPhysMem(0x3000, PAGE_READWRITE, 0xFFFF, 0, &pa);
    assert_non_null(va);
    assert_int_equal(CEA(va) % 0x10000, 0);
    assert_int_equal(pa & 0xFFFF, 0);
    assert_true(pa >= 0x50000000u && pa < 0x58000000u);
    assert_int_equal(free_pages(), f0 - 1 - 3);
    MEMORY_BASIC_INFORMATION m = query(va);
    assert_int_equal(m.State, MEM_COMMIT);
    assert_true(m.Protect & PAGE_NOCACHE);
    assert_int_equal(m.RegionSize, 0x3000);
    /* Physically contiguous. */
    for (uint32_t i = 0; i < 3; i++) {
        uint64_t p;
        assert_int_equal(cevm_virt_to_phys(CEA(va) + i * 0x1000, &p), CEVM_OK);
        assert_true(p == (uint64_t)pa + i * 0x1000);
        assert_int_equal(cevm_frame_refcount(p), 1);
    }
    assert_true(FreePhysMem(va));
    assert_int_equal(free_pages(), f0 - 1);
    assert_int_equal(query(va).State, MEM_FREE);
    assert_true(VirtualFree(used, 0, MEM_RELEASE));
}

/* 59 [all] */
static void oracle59_mm_map_io_space_offset(void **state)
{
    (void)state;
    uint32_t f0 = free_pages();
    BYTE *p = MmMapIoSpace(phys(0x48001234), 0x10, FALSE);
    assert_non_null(p);
    assert_int_equal(CEA(p) & 0xFFF, 0x234);
    MEMORY_BASIC_INFORMATION m = query(p);
    assert_int_equal(m.State, MEM_COMMIT);
    assert_true(m.Protect & PAGE_NOCACHE);
    assert_int_equal(free_pages(), f0); /* device memory consumes no RAM */
    MmUnmapIoSpace(p, 0x10);
    assert_int_equal(query(p).State, MEM_FREE);
    /* Cached mappings have no PAGE_NOCACHE; a range over a page boundary maps both pages. */
    p = MmMapIoSpace(phys(0x7F008FFC), 8, TRUE);
    assert_non_null(p);
    m = query(p);
    assert_int_equal(m.Protect, PAGE_READWRITE);
    assert_int_equal(m.RegionSize, 0x2000);
    MmUnmapIoSpace(p, 8);
}

struct alias_case {
    BYTE *ptr;
    const char *how;
};

static void aliases_of_one_page_agree(void **state)
{
    (void)state;
    ULONG pa = 0;
    BYTE *dma = AllocPhysMem(0x1000, PAGE_READWRITE, 0, 0, &pa);
    assert_non_null(dma);
    uint32_t cached = 0x80000000u + (pa - 0x50000000u);
    BYTE *io = MmMapIoSpace(phys(pa), 0x1000, FALSE);
    BYTE *io_c = MmMapIoSpace(phys(pa), 0x1000, TRUE);
    BYTE *from_static = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_true(VirtualCopy(from_static, PTR(cached), 0x1000, PAGE_READWRITE | PAGE_NOCACHE));
    BYTE *from_phys = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_true(VirtualCopy(from_phys, (LPVOID)(uintptr_t)(pa >> 8), 0x1000,
                            PAGE_PHYSICAL | PAGE_READWRITE));
    BYTE *from_virt = VirtualAlloc(PTR(CEA(dma) + 0x400000), 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(from_virt);
    assert_true(VirtualCopy(from_virt, dma, 0x1000, PAGE_READWRITE));
    struct alias_case all[] = {
        {dma, "AllocPhysMem"},
        {PTR(cached), "cached window"},
        {PTR(cached | 0x20000000u), "uncached window"},
        {io, "MmMapIoSpace uncached"},
        {io_c, "MmMapIoSpace cached"},
        {from_static, "VirtualCopy from a static VA"},
        {from_phys, "VirtualCopy PAGE_PHYSICAL"},
        {from_virt, "VirtualCopy from a virtual VA"},
        {PTR(CEA(dma) | 0x06000000u), "process slot"},
    };
    size_t n = sizeof all / sizeof all[0];
    for (size_t w = 0; w < n; w++) {
        DWORD v = 0xA1100000u + (DWORD)w;
        *(volatile DWORD *)(all[w].ptr + 0x7F0) = v;
        for (size_t r = 0; r < n; r++)
            if (*(volatile DWORD *)(all[r].ptr + 0x7F0) != v)
                fail_msg("written through %s, read through %s", all[w].how, all[r].how);
    }
    /* Every way resolves to the same physical page. */
    for (size_t i = 0; i < n; i++) {
        uint64_t p;
        assert_int_equal(cevm_virt_to_phys(CEA(all[i].ptr), &p), CEVM_OK);
        assert_true(p == pa);
    }
    assert_int_equal(cevm_frame_refcount(pa), 2); /* AllocPhysMem + the virtual-source copy */
    MmUnmapIoSpace(io, 0x1000);
    MmUnmapIoSpace(io_c, 0x1000);
    assert_true(VirtualFree(from_static, 0, MEM_RELEASE));
    assert_true(VirtualFree(from_phys, 0, MEM_RELEASE));
    assert_true(FreePhysMem(dma));
    assert_int_equal(cevm_frame_refcount(pa), 1);
    assert_true(VirtualFree(from_virt, 0, MEM_RELEASE));
    assert_int_equal(cevm_frame_refcount(pa), 0);
}

static void gpio_through_mm_map_io_space(void **state)
{
    (void)state;
    volatile DWORD *gpio = MmMapIoSpace(phys(0x7F008000), 0x1000, FALSE);
    assert_non_null(gpio);
    gpio[0x824 / 4] = 0x3C;
    assert_int_equal(*(volatile DWORD *)PTR(0x92B08824), 0x3C);
    assert_int_equal(*(volatile DWORD *)PTR(0xB2B08824), 0x3C);
    MmUnmapIoSpace((PVOID)gpio, 0x1000);
}

struct touch_ctx {
    volatile DWORD *p;
};

/* Deliberate access to a physical address nothing backs (named as in valgrind.supp). */
static void touch(void *ctx)
{
    (void)*((struct touch_ctx *)ctx)->p;
}

static void unbacked_physical_address_is_a_bus_error(void **state)
{
    (void)state;
    BYTE *p = MmMapIoSpace(phys(0x48000010), 4, FALSE);
    assert_non_null(p);
    struct touch_ctx t = {(volatile DWORD *)p};
    cevm_exception e;
    assert_int_equal(cevm_try(touch, &t, &e), 1);
    assert_int_equal(e.code, 0xC0000005u);
    assert_int_equal(e.info[1], CEA(p));
    assert_string_equal(e.reason, "bus error: no device at physical 0x48000010");
    MmUnmapIoSpace(p, 4);
}

static void unimplemented_device_through_mm_map_io_space(void **state)
{
    (void)state;
    cevm_set_unimplemented_log(0);
    volatile DWORD *uart = MmMapIoSpace(phys(0x7F00B000), 0x100, FALSE);
    assert_non_null(uart);
    uart[8] = 0x41; /* UTXH0 */
    assert_int_equal(uart[4], 0);
    cevm_unimplemented_access log[2];
    assert_int_equal(cevm_unimplemented_accesses(log, 2), 2);
    assert_true(log[0].pa == 0x7F00B020ull);
    assert_int_equal(log[0].write, 1);
    assert_int_equal(log[0].bytes[0], 0x41);
    assert_true(log[1].pa == 0x7F00B010ull);
    assert_int_equal(log[1].write, 0);
    MmUnmapIoSpace((PVOID)uart, 0x100);
}

/* AllocPhysMem hands out zeroed memory every time, whether the frames it reuses were written
 * (zeroed again) or not (still holes in the backing: nothing to zero). */
static void alloc_phys_reused_frames_are_zero(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        ULONG pa1 = 0, pa2 = 0;
        DWORD *p = AllocPhysMem(0x20000, PAGE_READWRITE, 0, 0, &pa1);
        assert_non_null(p);
        for (int i = 0; i < 0x20000 / 4; i++)
            assert_int_equal(p[i], 0);
        if (round != 1) /* round 1 leaves the frames untouched */
            for (int i = 0; i < 0x20000 / 4; i += 97)
                p[i] = 0xA5A5A5A5u;
        assert_true(FreePhysMem(p));
        DWORD *q = AllocPhysMem(0x20000, PAGE_READWRITE, 0, 0, &pa2);
        assert_non_null(q);
        assert_int_equal(pa1, pa2); /* first fit: the same frames */
        for (int i = 0; i < 0x20000 / 4; i++)
            assert_int_equal(q[i], 0);
        q[5] = 1;
        assert_true(FreePhysMem(q));
    }
}

static void alloc_phys_out_of_memory(void **state)
{
    (void)state;
    ULONG pa = 0;
    struct snapshot *s = snapshot_take();
    assert_error(AllocPhysMem(0x8001000, PAGE_READWRITE, 0, 0, &pa) == NULL, 8);
    snapshot_same(s);
    /* Fragment RAM: every other frame taken, no run of two left. */
    BYTE *big = VirtualAlloc(NULL, 0x2000000, MEM_RESERVE, PAGE_NOACCESS);
    BYTE *r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = VirtualAlloc(NULL, 0x2000000, MEM_RESERVE, PAGE_NOACCESS);
        assert_non_null(r[i]);
        for (uint32_t o = 0; o < 0x2000000; o += 0x1000000)
            assert_non_null(VirtualAlloc(r[i] + o, 0x1000000, MEM_COMMIT, PAGE_READWRITE));
    }
    assert_int_equal(free_pages(), 0);
    for (int i = 0; i < 4; i++)
        for (uint32_t o = 0; o < 0x2000000; o += 0x2000)
            assert_true(VirtualFree(r[i] + o, 0x1000, MEM_DECOMMIT));
    assert_int_equal(free_pages(), 16384);
    s = snapshot_take();
    assert_error(AllocPhysMem(0x2000, PAGE_READWRITE, 0, 0, &pa) == NULL, 8);
    snapshot_same(s);
    assert_non_null(AllocPhysMem(0x1000, PAGE_READWRITE, 0, 0, &pa));
    (void)big;
}

static void copy_bad_input(void **state)
{
    (void)state;
    BYTE *dst = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    BYTE *src = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(VirtualAlloc(src, 0x1000, MEM_COMMIT, PAGE_READWRITE));
    struct snapshot *s = snapshot_take();
    DWORD rw = PAGE_READWRITE, phys_rw = PAGE_PHYSICAL | PAGE_READWRITE;
    LPVOID gpio = (LPVOID)(0x7F008000 >> 8);
    assert_error(!VirtualCopy(NULL, gpio, 0x1000, phys_rw), 87);
    assert_error(!VirtualCopy(cetest_wild(), gpio, 0x1000, phys_rw), 87);
    assert_error(!VirtualCopy(PTR(0x80000000), gpio, 0x1000, phys_rw), 87);
    assert_error(!VirtualCopy(PTR(0x00500000), gpio, 0x1000, phys_rw), 87); /* not reserved */
    assert_error(!VirtualCopy(PTR(0x04010000), gpio, 0x1000, phys_rw), 87); /* other slot */
    assert_error(!VirtualCopy(dst, gpio, 0x3001, phys_rw), 87);             /* past the end */
    assert_error(!VirtualCopy(dst, gpio, 0xFFFFFFFF, phys_rw), 87);
    assert_error(!VirtualCopy(dst, gpio, 0x1000, PAGE_PHYSICAL), 87);
    assert_error(!VirtualCopy(dst, gpio, 0x1000, phys_rw | 0x1000), 87);
    assert_error(!VirtualCopy(dst, gpio, 0x1000, PAGE_PHYSICAL | PAGE_WRITECOPY), 87);
    assert_error(!VirtualCopy(dst, (LPVOID)(uintptr_t)0x1FFFFFFFFull, 0x1000, phys_rw), 87);
    assert_error(!VirtualCopy(dst, (LPVOID)(uintptr_t)0xFFFFFFF0u, 0x20000, phys_rw), 87);
    /* A physical address passed without PAGE_PHYSICAL is taken as a virtual one. */
    assert_error(!VirtualCopy(dst, PTR(0x7F008000), 0x1000, rw), 87);
    /* An unshifted physical address with PAGE_PHYSICAL fails the page-offset check when its
     * low nibble is not 0 (0x7F008804 << 8 has page offset 0x400). */
    assert_error(!VirtualCopy(dst, (LPVOID)0x7F008804, 0x1000, phys_rw), 87);
    assert_error(!VirtualCopy(dst, PTR(0x92C00000), 0x1000, rw), 87); /* hole in the table */
    assert_error(!VirtualCopy(dst, PTR(0xC0000000), 0x1000, rw), 87);
    assert_error(!VirtualCopy(dst, PTR(0xBFFFF000), 0x2000, rw), 87);
    assert_error(!VirtualCopy(dst, cetest_wild(), 0x1000, rw), 87);
    assert_error(!VirtualCopy(dst, src, 0x2000, rw), 87); /* second source page uncommitted */
    assert_error(!VirtualCopy(dst, PTR(0x04010000), 0x1000, rw), 87);
    assert_error(!VirtualCopy(dst, NULL, 0x1000, rw), 87);
    snapshot_same(s);
}

/* The seed confusion "when to shift by 8": VirtualCopy with PAGE_PHYSICAL and an unshifted,
 * page-aligned address maps physical 0x7F00800000 (as CE would); the first touch says so. */
static void unshifted_physical_address_is_reported(void **state)
{
    (void)state;
    BYTE *dst = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_true(VirtualCopy(dst, (LPVOID)0x7F008000, 0x1000,
                            PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE));
    struct touch_ctx t = {(volatile DWORD *)dst};
    cevm_exception e;
    assert_int_equal(cevm_try(touch, &t, &e), 1);
    assert_string_equal(e.reason, "bus error: no device at physical 0x7F00800000");
    /* Shifted, it is the GPIO block. */
    BYTE *ok = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_true(VirtualCopy(ok, (LPVOID)(0x7F008000 >> 8), 0x1000,
                            PAGE_PHYSICAL | PAGE_READWRITE | PAGE_NOCACHE));
    *(volatile DWORD *)ok = 9;
    assert_int_equal(*(volatile DWORD *)PTR(0x92B08000), 9);
}

static void mm_map_io_space_bad_input(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_take();
    assert_error(MmMapIoSpace(phys(0x7F008000), 0, FALSE) == NULL, 87);
    assert_error(MmMapIoSpace(phys(0x7F008010), 0xFFFFFFFF, FALSE) == NULL, 87);
    assert_error(MmMapIoSpace(phys(0x10000000000ull), 0x10, FALSE) == NULL, 87);
    snapshot_same(s);
    /* 40-bit addresses work (and nothing is there). */
    BYTE *p = MmMapIoSpace(phys(0xFF00001000ull), 0x10, FALSE);
    assert_non_null(p);
    uint64_t pa;
    assert_int_equal(cevm_virt_to_phys(CEA(p), &pa), CEVM_OK);
    assert_true(pa == 0xFF00001000ull);
    MmUnmapIoSpace(p, 0x10);
}

static void user_kinfo(void **state)
{
    (void)state;
    assert_int_equal(UserKInfo[KINX_PAGESIZE], 4096);
    assert_int_equal(UserKInfo[KINX_PFN_SHIFT], 0);
    assert_int_equal((DWORD)UserKInfo[KINX_PFN_MASK], 0xFFFFF000u);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(oracle39_copy_onto_committed_page),
    CE_TEST(oracle40_physical_copy),
    CE_TEST(oracle41_page_offset_mismatch),
    CE_TEST(oracle42_size_zero),
    CE_TEST(oracle43_virtual_copy_same_block_offset),
    CE_TEST(oracle44_alias_outlives_source),
    CE_TEST(oracle45_free_device_mapping_keeps_ram),
    CE_TEST(oracle46_untrusted_copy_denied),
    CE_TEST(oracle52_alloc_phys_bad_arguments),
    CE_TEST(oracle53_alloc_phys_aligned_uncached),
    CE_TEST(oracle59_mm_map_io_space_offset),
    CE_TEST(aliases_of_one_page_agree),
    CE_TEST(gpio_through_mm_map_io_space),
    CE_TEST(unbacked_physical_address_is_a_bus_error),
    CE_TEST(unimplemented_device_through_mm_map_io_space),
    CE_TEST(alloc_phys_reused_frames_are_zero),
    CE_TEST(alloc_phys_out_of_memory),
    CE_TEST(copy_bad_input),
    CE_TEST(unshifted_physical_address_is_reported),
    CE_TEST(mm_map_io_space_bad_input),
    CE_TEST(user_kinfo),
};

CETEST_MAIN(tests)
