/*
 * bus.c — CEDDK bus translation: HalTranslateBusAddress, TransBusAddrToVirtual and
 * TransBusAddrToStatic (spec §12). On the ARM boards cevm models every bus is the system bus:
 * translation is the identity and the address space (0 memory, 1 I/O) is kept. A memory address
 * is then mapped with MmMapIoSpace (virtual) or CreateStaticMapping (static); an I/O address is
 * returned as the port address itself.
 */
#include "ce/ce_api.h"

#include "ceddk.h"
#include "pkfuncs.h"

BOOLEAN HalTranslateBusAddress(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                               PHYSICAL_ADDRESS BusAddress, PULONG AddressSpace,
                               PPHYSICAL_ADDRESS TranslatedAddress)
{
    (void)BusNumber;
    if (!AddressSpace || !TranslatedAddress || InterfaceType < InterfaceTypeUndefined ||
        InterfaceType >= MaximumInterfaceType || *AddressSpace > 1) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    *TranslatedAddress = BusAddress;
    return TRUE;
}

/* Translate for the Trans* calls. Return: 0 failed, 1 done (I/O space: *mapped is the port
 * address), 2 memory space: *pa is the system physical address to map. */
static int translate(INTERFACE_TYPE type, ULONG bus, PHYSICAL_ADDRESS address, PULONG space,
                     PPVOID mapped, PHYSICAL_ADDRESS *pa)
{
    if (!mapped || !HalTranslateBusAddress(type, bus, address, space, pa))
        return 0;
    if (*space == 1) {
        *mapped = (PVOID)(UINT_PTR)pa->LowPart;
        return 1;
    }
    return 2;
}

BOOLEAN TransBusAddrToVirtual(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                              PHYSICAL_ADDRESS BusAddress, ULONG Length, PULONG AddressSpace,
                              PPVOID MappedAddress)
{
    PHYSICAL_ADDRESS pa;
    int t = translate(InterfaceType, BusNumber, BusAddress, AddressSpace, MappedAddress, &pa);
    if (t != 2)
        return t == 1;
    *MappedAddress = MmMapIoSpace(pa, Length, FALSE);
    return *MappedAddress != NULL;
}

BOOLEAN TransBusAddrToStatic(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                             PHYSICAL_ADDRESS BusAddress, ULONG Length, PULONG AddressSpace,
                             PPVOID MappedAddress)
{
    PHYSICAL_ADDRESS pa;
    int t = translate(InterfaceType, BusNumber, BusAddress, AddressSpace, MappedAddress, &pa);
    if (t != 2)
        return t == 1;
    /* CreateStaticMapping takes the address >> 8; the low 8 bits are added back so that
     * MappedAddress is the VA of the bus address itself (docs/physical-mapping.md). */
    ULONG low = pa.LowPart & 0xFF;
    BYTE *va = CreateStaticMapping((DWORD)((ULONGLONG)pa.QuadPart >> 8), Length + low);
    *MappedAddress = va ? va + low : NULL;
    return va != NULL;
}
