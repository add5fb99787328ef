/*
 * static_copy.c — reach a device through its static address, the older CE driver pattern:
 * reserve virtual space, then VirtualCopy from the kernel's static (OEMAddressTable) address of
 * the device. No PAGE_PHYSICAL and no shift: the source is a virtual address, 0x92B08000 being
 * where the OEMAddressTable put the GPIO block (PA 0x7F008000) on the SMDK6410 board.
 *
 * Portable drivers read the physical address from the registry and use MmMapIoSpace instead
 * (see map_io.c); this pattern only works for devices the OEMAddressTable maps.
 */
#include <stdio.h>
#include <windows.h>

#include <ceddk.h>
#include <pkfuncs.h>

#define GPIO_STATIC_VA 0x92B08000u /* cached static address of the GPIO block */
#define GPMDAT         0x824       /* a data register inside it */

/* Map `size` bytes at static address `static_va`. Return: the mapped address, or NULL. */
PVOID MapFromStatic(DWORD static_va, DWORD size, BOOL cached)
{
    DWORD offset = static_va & 0xFFF;
    BYTE *va = VirtualAlloc(NULL, size + offset, MEM_RESERVE, PAGE_NOACCESS);
    if (!va)
        return NULL;
    if (!VirtualCopy(va, (LPVOID)(UINT_PTR)(static_va - offset), size + offset,
                     PAGE_READWRITE | (cached ? 0 : PAGE_NOCACHE))) {
        VirtualFree(va, 0, MEM_RELEASE);
        return NULL;
    }
    return va + offset;
}

/* Undo MapFromStatic. */
BOOL UnmapFromStatic(PVOID p)
{
    return VirtualFree((LPVOID)((UINT_PTR)p & ~(UINT_PTR)0xFFF), 0, MEM_RELEASE);
}

#ifndef EXAMPLE_NO_MAIN
int main(void)
{
    volatile BYTE *gpio = MapFromStatic(GPIO_STATIC_VA, 0x1000, FALSE);
    if (!gpio) {
        printf("MapFromStatic failed: error %u\n", GetLastError());
        return 1;
    }
    WRITE_REGISTER_ULONG((volatile ULONG *)(gpio + GPMDAT), 0x15);
    PHYSICAL_ADDRESS pa = {0x7F008000, 0}; /* LowPart, HighPart, as drivers write it */
    volatile BYTE *io = MmMapIoSpace(pa, 0x1000, FALSE);
    printf("GPMDAT written through the static-address copy: 0x%X\n",
           READ_REGISTER_ULONG((volatile ULONG *)(gpio + GPMDAT)));
    printf("GPMDAT read through MmMapIoSpace(0x7F008000):  0x%X\n",
           READ_REGISTER_ULONG((volatile ULONG *)(io + GPMDAT)));
    MmUnmapIoSpace((PVOID)io, 0x1000);
    UnmapFromStatic((PVOID)gpio);
    return 0;
}
#endif
