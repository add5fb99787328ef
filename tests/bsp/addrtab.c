/*
 * addrtab.c — the same table as oemaddrtab_cfg.inc in the C form BSPs also use
 * (OAL_ADDRESS_TABLE rows of cached VA, PA, size in MB), for cevm's tests.
 */
#include <windows.h>
#include <oal_memory.h>

/* Laid out as a BSP lays it out. */
// clang-format off
const OAL_ADDRESS_TABLE g_oalAddressTable[] = {
    { 0x80000000, 0x50000000, 128 },    // 128 MB DRAM
    { 0x90400000, 0x71000000,   4 },    // TZIC/VIC
    { 0x90E00000, 0x75000000,   2 },    // DMA0/1
    { 0x92A00000, 0x7E000000,   1 },    // DMC, WDT, SYSCON
    { 0x92B00000, 0x7F000000,   1 },    /* UART, PWM, GPIO */
    { 0x00000000, 0x00000000,   0 }
};
// clang-format on
