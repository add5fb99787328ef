/*
 * test_static.c — static mappings and the OAL view of the OEMAddressTable (spec §11: oracles
 * 56, 57, 58), register and port accessors (exact width, one access per element), bus
 * translation, and GlobalMemoryStatus.
 */
#include "cetest.h"

#include <ceddk.h>
#include <oal_memory.h>

/* The table of oracles 56-57: {0x80000000, 0x30000000, 64}. */
static void boot_oracle_board(void)
{
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = "board bc-arm\nram DRAM 0x30000000 64M\noem 0x80000000 0x30000000 64 DRAM\n";
    cfg.board_label = "oracle56";
    char err[256];
    assert_int_equal(cevm_boot(&cfg, err, sizeof err), CEVM_OK);
}

/* 56 [BC ARM] */
static void oracle56_static_mapping_and_phys_to_virt(void **state)
{
    (void)state;
    boot_oracle_board();
    assert_int_equal(CEA(CreateStaticMapping(0x30100000 >> 8, 0x1000)), 0xA0100000u);
    assert_int_equal(CEA(NKPhysToVirt(0x30100000 >> 8, TRUE)), 0x80100000u);
    assert_int_equal(CEA(NKPhysToVirt(0x30100000 >> 8, FALSE)), 0xA0100000u);
    assert_null(NKPhysToVirt(0x30100800 >> 8, TRUE));
    assert_null(NKPhysToVirt(0x40000000 >> 8, TRUE));
}

/* 57 [all] */
static void oracle57_virt_to_phys(void **state)
{
    (void)state;
    boot_oracle_board();
    assert_int_equal(NKVirtToPhys(PTR(0x80100000)), 0x301000u);
    assert_int_equal(NKVirtToPhys(PTR(0xA0100000)), 0x301000u);
    assert_int_equal(NKVirtToPhys(PTR(0x90000000)), INVALID_PHYSICAL_ADDRESS);
    assert_int_equal(NKVirtToPhys(PTR(0x00010000)), INVALID_PHYSICAL_ADDRESS);
    assert_int_equal(OALVAtoPA(PTR(0x90000000)), 0);
    assert_int_equal(OALVAtoPA(PTR(0x80100123)), 0x30100123u);
    assert_int_equal(CEA(OALPAtoVA(0x30100123, FALSE)), 0xA0100123u);
    assert_int_equal(CEA(OALPAtoCA(0x30100123)), 0x80100123u);
    assert_null(OALPAtoVA(0x40000000, TRUE));
    assert_int_equal(CEA(OALCAtoUA(PTR(0x80100010))), 0xA0100010u);
    assert_int_equal(CEA(OALUAtoCA(PTR(0xA0100010))), 0x80100010u);
}

/* 58 [5 ARM] */
static void oracle58_no_new_static_mappings(void **state)
{
    (void)state;
    SetLastError(1234);
    assert_null(CreateStaticMapping(0x48000000 >> 8, 0x1000));
    assert_int_equal(GetLastError(), 1234); /* no error is set */
    assert_true(DeleteStaticMapping(PTR(0x80000000), 0x1000));
    assert_true(DeleteStaticMapping(NULL, 0));
    assert_true(DeleteStaticMapping(cetest_wild(), 0xFFFFFFFF));
    /* Inside a row: the uncached alias; starting inside but leaving the row: 87. */
    assert_int_equal(CEA(CreateStaticMapping(0x7F008000 >> 8, 0x1000)), 0xB2B08000u);
    assert_error(CreateStaticMapping(0x7F0FF000 >> 8, 0x2000) == NULL, 87);
    /* The static address is real: it reaches the GPIO register file. */
    volatile DWORD *gpio = CreateStaticMapping(0x7F008000 >> 8, 0x1000);
    gpio[1] = 0x77;
    assert_int_equal(*(volatile DWORD *)PTR(0x92B08004), 0x77);
}

static void oal_address_table_is_exported(void **state)
{
    (void)state;
    assert_int_equal(g_oalAddressTable[0].CA, 0x80000000u);
    assert_int_equal(g_oalAddressTable[0].PA, 0x50000000u);
    assert_int_equal(g_oalAddressTable[0].size, 128);
    size_t n = 0;
    while (g_oalAddressTable[n].size)
        n++;
    assert_int_equal(n, 19);
    assert_int_equal(g_oalAddressTable[16].CA, 0x92B00000u);
    assert_int_equal(g_oalAddressTable[16].PA, 0x7F000000u);
    assert_int_equal(g_oalAddressTable[n].CA, 0);
    assert_int_equal(g_oalAddressTable[n].PA, 0);
    cevm_shutdown();
    assert_int_equal(g_oalAddressTable[0].size, 128); /* kept for the next lazy boot */
}

static void register_accessors_on_register_file(void **state)
{
    (void)state;
    volatile BYTE *gpio = (volatile BYTE *)PTR(0x92B08000);
    WRITE_REGISTER_ULONG((volatile ULONG *)(gpio + 0x20), 0xA5A5F0F0u);
    assert_int_equal(READ_REGISTER_ULONG((volatile ULONG *)(gpio + 0x20)), 0xA5A5F0F0u);
    WRITE_REGISTER_USHORT((volatile USHORT *)(gpio + 0x20), 0x1234);
    WRITE_REGISTER_UCHAR(gpio + 0x23, 0x9C);
    assert_int_equal(READ_REGISTER_ULONG((volatile ULONG *)(gpio + 0x20)), 0x9CA51234u);
    assert_int_equal(READ_REGISTER_USHORT((volatile USHORT *)(gpio + 0x22)), 0x9CA5);
    assert_int_equal(READ_REGISTER_UCHAR(gpio + 0x21), 0x12);
    ULONG in[3] = {1, 2, 3}, out[3] = {0, 0, 0};
    WRITE_REGISTER_BUFFER_ULONG((volatile ULONG *)(gpio + 0x30), in, 3);
    assert_int_equal(*(volatile ULONG *)(gpio + 0x30), 3); /* same register, last value */
    assert_int_equal(*(volatile ULONG *)(gpio + 0x34), 0); /* the neighbour untouched */
    READ_REGISTER_BUFFER_ULONG((volatile ULONG *)(gpio + 0x30), out, 3);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[2], 3);
    WRITE_PORT_UCHAR(gpio + 0x40, 0x5A);
    assert_int_equal(READ_PORT_UCHAR(gpio + 0x40), 0x5A);
    USHORT s[2] = {0x1111, 0x2222};
    WRITE_PORT_BUFFER_USHORT((volatile USHORT *)(gpio + 0x44), s, 2);
    assert_int_equal(READ_PORT_USHORT((volatile USHORT *)(gpio + 0x44)), 0x2222);
}

static void buffer_forms_hit_one_register_count_times(void **state)
{
    (void)state;
    cevm_set_unimplemented_log(0);
    volatile UCHAR *port = PTR(0x92B0B024); /* SPI0: unimplemented, every access logged */
    UCHAR buf[4] = {9, 9, 9, 9};
    READ_PORT_BUFFER_UCHAR(port, buf, 4);
    cevm_unimplemented_access log[8];
    assert_int_equal(cevm_unimplemented_accesses(log, 8), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(buf[i], 0);
        assert_true(log[i].pa == 0x7F00B024ull);
        assert_int_equal(log[i].write, 0);
    }
    USHORT w[3] = {0x1234, 0x0056, 0x7800};
    WRITE_REGISTER_BUFFER_USHORT((volatile USHORT *)PTR(0x92B0B020), w, 3);
    assert_int_equal(cevm_unimplemented_accesses(log, 3), 7);
    assert_int_equal(log[0].nbytes, 2);
    assert_memory_equal(log[0].bytes, "\x34\x12", 2);
    assert_int_equal(log[1].bytes[0], 0x56);
    assert_memory_equal(log[2].bytes, "\x00\x78", 2);
    for (int i = 0; i < 3; i++)
        assert_true(log[i].pa == 0x7F00B020ull && log[i].write);
}

static void global_memory_status(void **state)
{
    (void)state;
    MEMORYSTATUS ms;
    memset(&ms, 0xFF, sizeof ms);
    GlobalMemoryStatus(&ms);
    assert_int_equal(ms.dwLength, sizeof ms);
    assert_int_equal(ms.dwTotalPhys, 128u * 1024 * 1024);
    assert_int_equal(ms.dwAvailPhys, 128u * 1024 * 1024);
    assert_int_equal(ms.dwMemoryLoad, 0);
    /* The process's slot (CE 5) or its 2 GB user space (CE 6+), less the first 64 KB. */
    const DWORD total = CE5 ? 0x2000000 : 0x80000000u;
    assert_int_equal(ms.dwTotalVirtual, total);
    assert_int_equal(ms.dwAvailVirtual, total - 0x10000);
    ULONG pa;
    BYTE *dma = AllocPhysMem(0x3000, PAGE_READWRITE, 0, 0, &pa);
    PHYSICAL_ADDRESS gpio;
    gpio.QuadPart = 0x7F008000;
    PVOID io = MmMapIoSpace(gpio, 0x1000, FALSE);
    GlobalMemoryStatus(&ms);
    assert_int_equal(ms.dwAvailPhys, 128u * 1024 * 1024 - 0x3000); /* device memory: no RAM */
    /* CE 6: a kernel-mode caller's mappings are kernel VM, not the user space */
    assert_int_equal(ms.dwAvailVirtual, total - 0x10000 - (CE5 ? 2 * 0x10000 : 0));
    MmUnmapIoSpace(io, 0x1000);
    assert_true(FreePhysMem(dma));
    GlobalMemoryStatus(&ms);
    assert_int_equal(ms.dwAvailPhys, 128u * 1024 * 1024);
    SetLastError(0);
    GlobalMemoryStatus(NULL);
    assert_int_equal(GetLastError(), 87);
}

static void bus_translation(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS bus, out;
    bus.QuadPart = 0x7F008010;
    ULONG space = 0;
    assert_true(HalTranslateBusAddress(Internal, 0, bus, &space, &out));
    assert_true(out.QuadPart == 0x7F008010);
    PVOID va = NULL;
    assert_true(TransBusAddrToVirtual(Internal, 0, bus, 0x10, &space, &va));
    assert_int_equal(CEA(va) & 0xFFF, 0x010);
    *(volatile DWORD *)va = 0x42;
    assert_int_equal(*(volatile DWORD *)PTR(0x92B08010), 0x42);
    MmUnmapIoSpace(va, 0x10);
    assert_true(TransBusAddrToStatic(Internal, 0, bus, 0x10, &space, &va));
    assert_int_equal(CEA(va), 0xB2B08010u);
    space = 1; /* I/O space: the port address itself */
    bus.QuadPart = 0x3F8;
    assert_true(TransBusAddrToVirtual(Isa, 0, bus, 8, &space, &va));
    assert_ptr_equal(va, (PVOID)0x3F8);
    assert_error(!HalTranslateBusAddress(Internal, 0, bus, NULL, &out), 87);
    assert_error(!HalTranslateBusAddress(Internal, 0, bus, &space, NULL), 87);
    assert_error(!HalTranslateBusAddress((INTERFACE_TYPE)99, 0, bus, &space, &out), 87);
    space = 2;
    assert_error(!HalTranslateBusAddress(Internal, 0, bus, &space, &out), 87);
    assert_false(TransBusAddrToVirtual(Internal, 0, bus, 8, &space, NULL));
}

static const struct CMUnitTest tests[] = {
    CE_TEST_RAW(oracle56_static_mapping_and_phys_to_virt),
    CE_TEST_RAW(oracle57_virt_to_phys),
    CE_TEST(oracle58_no_new_static_mappings),
    CE_TEST(oal_address_table_is_exported),
    CE_TEST(register_accessors_on_register_file),
    CE_TEST(buffer_forms_hit_one_register_count_times),
    CE_TEST(global_memory_status),
    CE_TEST(bus_translation),
};

CETEST_MAIN(tests)
