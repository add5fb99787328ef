/*
 * map_io.c — MmMapIoSpace built by hand from the three kernel calls underneath it, as driver
 * writers did before CEDDK (and as CEDDK itself does):
 *   1. reserve virtual space for the page-rounded range (VirtualAlloc, MEM_RESERVE);
 *   2. point it at the physical pages (VirtualCopy with PAGE_PHYSICAL: the source is the
 *      physical address shifted right by 8, so 40-bit addresses fit in 32 bits);
 *   3. on failure, give the reservation back (VirtualFree, MEM_RELEASE).
 * MmMapIoSpace itself takes the full physical address: only VirtualCopy wants it shifted.
 */
#include <stdio.h>
#include <windows.h>

#include <ceddk.h>
#include <pkfuncs.h>

/* Map `size` bytes at physical address `pa`. Return: the address of pa, or NULL. */
PVOID MyMmMapIoSpace(ULONGLONG pa, ULONG size, BOOL cached)
{
    ULONGLONG page = pa & ~0xFFFull;
    ULONG offset = (ULONG)(pa & 0xFFF);
    BYTE *va = VirtualAlloc(NULL, size + offset, MEM_RESERVE, PAGE_NOACCESS);
    if (!va)
        return NULL;
    if (!VirtualCopy(va, (LPVOID)(UINT_PTR)(page >> 8), size + offset,
                     PAGE_PHYSICAL | PAGE_READWRITE | (cached ? 0 : PAGE_NOCACHE))) {
        VirtualFree(va, 0, MEM_RELEASE);
        return NULL;
    }
    return va + offset;
}

/* Undo MyMmMapIoSpace. */
BOOL MyMmUnmapIoSpace(PVOID p)
{
    return VirtualFree((LPVOID)((UINT_PTR)p & ~(UINT_PTR)0xFFF), 0, MEM_RELEASE);
}

#ifndef EXAMPLE_NO_MAIN
int main(void)
{
    /* A DMA buffer: AllocPhysMem gives its physical address; map it a second time by hand. */
    ULONG pa = 0;
    BYTE *dma = AllocPhysMem(0x2000, PAGE_READWRITE, 0xFFFF, 0, &pa);
    BYTE *mine = MyMmMapIoSpace(pa + 0x10, 0x100, FALSE);
    if (!dma || !mine) {
        printf("mapping failed: error %u\n", GetLastError());
        return 1;
    }
    dma[0x10] = 0xA5;
    printf("AllocPhysMem buffer at PA 0x%08X; byte 0x10 written through it\n", pa);
    printf("read back through MyMmMapIoSpace(PA + 0x10): 0x%02X\n", mine[0]);
    MyMmUnmapIoSpace(mine);
    FreePhysMem(dma);
    return 0;
}
#endif
