/*
 * ceddk.h (cevm CE compatibility) — CEDDK helpers: MmMapIoSpace and register access.
 * Written for cevm from the documented behaviour (docs/physical-mapping.md).
 */
#ifndef CEVM_CE_CEDDK_H
#define CEVM_CE_CEDDK_H

#include "winbase.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef enum _INTERFACE_TYPE {
    InterfaceTypeUndefined = -1,
    Internal = 0,
    Isa,
    Eisa,
    MicroChannel,
    TurboChannel,
    PCIBus,
    VMEBus,
    NuBus,
    PCMCIABus,
    CBus,
    MPIBus,
    MPSABus,
    ProcessorInternal,
    InternalPowerBus,
    PNPISABus,
    PNPBus,
    MaximumInterfaceType
} INTERFACE_TYPE,
    *PINTERFACE_TYPE;

/*
 * Map NumberOfBytes at PhysicalAddress (a full physical address, not shifted) and return the
 * VA of its first byte: VirtualAlloc(MEM_RESERVE) of the page-rounded range, then
 * VirtualCopy(PAGE_PHYSICAL | PAGE_READWRITE | (CacheEnable ? 0 : PAGE_NOCACHE)).
 * Return: the VA, or NULL with the GetLastError of the failing step.
 */
CEVM_CE_API PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, ULONG NumberOfBytes,
                               BOOLEAN CacheEnable);
/* Release a mapping made by MmMapIoSpace. */
CEVM_CE_API VOID MmUnmapIoSpace(PVOID BaseAddress, ULONG NumberOfBytes);

#ifdef __cplusplus
}
#endif
#endif
