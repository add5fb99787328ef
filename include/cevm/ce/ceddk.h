/*
 * ceddk.h (cevm CE compatibility) — CEDDK helpers: MmMapIoSpace and register access.
 * Written for cevm from the documented behaviour (docs/physical-mapping.md).
 */
#ifndef CEVM_CE_CEDDK_H
#define CEVM_CE_CEDDK_H

#include "winbase.h"
#include "pm.h"

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

typedef PVOID *PPVOID;

/* Bus translation: identity on the modelled ARM boards; *AddressSpace 0 = memory, 1 = I/O.
 * Return: TRUE, or FALSE (87 for NULL pointers, an unknown interface or address space). */
CEVM_CE_API BOOLEAN HalTranslateBusAddress(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                                           PHYSICAL_ADDRESS BusAddress, PULONG AddressSpace,
                                           PPHYSICAL_ADDRESS TranslatedAddress);
/* Translate, then MmMapIoSpace (memory) or the port address itself (I/O). */
CEVM_CE_API BOOLEAN TransBusAddrToVirtual(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                                          PHYSICAL_ADDRESS BusAddress, ULONG Length,
                                          PULONG AddressSpace, PPVOID MappedAddress);
/* Translate, then CreateStaticMapping(address >> 8, Length) (memory) or the port address. */
CEVM_CE_API BOOLEAN TransBusAddrToStatic(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                                         PHYSICAL_ADDRESS BusAddress, ULONG Length,
                                         PULONG AddressSpace, PPVOID MappedAddress);

/* Register and port access: one volatile access of exactly the named width per element; the
 * _BUFFER_ forms access the same register or port Count times, stepping only the buffer. */
#define CEVM_CE_ACCESSORS(TYPE, NAME)                                                              \
    CEVM_CE_API TYPE READ_REGISTER_##NAME(volatile TYPE *Register);                                \
    CEVM_CE_API VOID WRITE_REGISTER_##NAME(volatile TYPE *Register, TYPE Value);                   \
    CEVM_CE_API VOID READ_REGISTER_BUFFER_##NAME(volatile TYPE *Register, TYPE *Buffer,            \
                                                 ULONG Count);                                     \
    CEVM_CE_API VOID WRITE_REGISTER_BUFFER_##NAME(volatile TYPE *Register, TYPE *Buffer,           \
                                                  ULONG Count);                                    \
    CEVM_CE_API TYPE READ_PORT_##NAME(volatile TYPE *Port);                                        \
    CEVM_CE_API VOID WRITE_PORT_##NAME(volatile TYPE *Port, TYPE Value);                           \
    CEVM_CE_API VOID READ_PORT_BUFFER_##NAME(volatile TYPE *Port, TYPE *Buffer, ULONG Count);      \
    CEVM_CE_API VOID WRITE_PORT_BUFFER_##NAME(volatile TYPE *Port, TYPE *Buffer, ULONG Count);
CEVM_CE_ACCESSORS(UCHAR, UCHAR)
CEVM_CE_ACCESSORS(USHORT, USHORT)
CEVM_CE_ACCESSORS(ULONG, ULONG)
#undef CEVM_CE_ACCESSORS

/* DMA (spec driver-runtime §3.6). */
typedef struct _DMA_ADAPTER_OBJECT {
    USHORT ObjectSize; /* sizeof(DMA_ADAPTER_OBJECT) */
    INTERFACE_TYPE InterfaceType;
    ULONG BusNumber;
} DMA_ADAPTER_OBJECT, *PDMA_ADAPTER_OBJECT;

/* Allocate Length bytes of locked, physically contiguous RAM (AllocPhysMem's rules), mapped
 * uncached whatever CacheEnabled says; *LogicalAddress gets the bus (physical) address.
 * Return: the CE address, or NULL (GetLastError: 87 for a NULL adapter, a wrong ObjectSize or a
 * NULL LogicalAddress; AllocPhysMem's errors otherwise). */
CEVM_CE_API PVOID HalAllocateCommonBuffer(PDMA_ADAPTER_OBJECT DmaAdapter, ULONG Length,
                                          PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled);
/* Free a HalAllocateCommonBuffer buffer; only VirtualAddress is used. */
CEVM_CE_API void HalFreeCommonBuffer(PDMA_ADAPTER_OBJECT DmaAdapter, ULONG Length,
                                     PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress,
                                     BOOLEAN CacheEnabled);
/* The system physical address of a bus address: the identity on cevm's one bus.
 * Return: TRUE, or FALSE with 87 (NULL TranslatedAddress, bad interface type). */
CEVM_CE_API BOOLEAN HalTranslateSystemAddress(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                                              PHYSICAL_ADDRESS SystemAddress,
                                              PPHYSICAL_ADDRESS TranslatedAddress);

#ifdef __cplusplus
}
#endif
#endif
