/*
 * dma.c — CEDDK's DMA helpers and the bus-master view of RAM (spec driver-runtime §3.6):
 * HalAllocateCommonBuffer is AllocPhysMem (contiguous, locked, uncached), HalFreeCommonBuffer
 * is FreePhysMem, HalTranslateSystemAddress is the identity; cevm_phys_read/write let a C model
 * read and write RAM by physical address through the physical map's private views, as a DMA
 * engine does.
 */
#include <string.h>

#include "ce/ce_api.h"
#include "ceddk.h"
#include "core/machine.h"
#include "phys/phys.h"
#include "pkfuncs.h"

PVOID HalAllocateCommonBuffer(PDMA_ADAPTER_OBJECT DmaAdapter, ULONG Length,
                              PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled)
{
    (void)CacheEnabled; /* the buffer is uncached whatever the caller asks (CE documents it) */
    if (!DmaAdapter || DmaAdapter->ObjectSize != sizeof(DMA_ADAPTER_OBJECT) || !LogicalAddress) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    ULONG pa = 0;
    PVOID va = AllocPhysMem(Length, PAGE_READWRITE | PAGE_NOCACHE, 0, 0, &pa);
    if (va) {
        LogicalAddress->QuadPart = 0;
        LogicalAddress->LowPart = pa;
    }
    return va;
}

void HalFreeCommonBuffer(PDMA_ADAPTER_OBJECT DmaAdapter, ULONG Length,
                         PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress,
                         BOOLEAN CacheEnabled)
{
    (void)DmaAdapter;
    (void)Length;
    (void)LogicalAddress;
    (void)CacheEnabled;
    FreePhysMem(VirtualAddress);
}

BOOLEAN HalTranslateSystemAddress(INTERFACE_TYPE InterfaceType, ULONG BusNumber,
                                  PHYSICAL_ADDRESS SystemAddress,
                                  PPHYSICAL_ADDRESS TranslatedAddress)
{
    (void)BusNumber;
    if (!TranslatedAddress || InterfaceType < InterfaceTypeUndefined ||
        InterfaceType >= MaximumInterfaceType) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    *TranslatedAddress = SystemAddress;
    return TRUE;
}

/* Copy between buf and RAM at pa (write: into RAM). Every byte must be board RAM. */
static cevm_status phys_copy(uint64_t pa, void *buf, size_t len, int write)
{
    if (!buf && len)
        return CEVM_E_INVAL;
    struct machine *m = machine_acquire();
    if (!m)
        return cevm_boot_error(NULL, 0);
    cevm_status st = CEVM_OK;
    for (size_t done = 0; done < len && !st;) {
        const struct phys_region *r = phys_find(&m->pm, pa + done);
        if (!r || r->kind != REGION_RAM || !r->view) {
            st = CEVM_E_NOTFOUND;
            break;
        }
        uint64_t off = pa + done - r->pa, n = r->size - off;
        if (n > len - done)
            n = len - done;
        if (write)
            memcpy(r->view + off, (const uint8_t *)buf + done, n);
        else
            memcpy((uint8_t *)buf + done, r->view + off, n);
        done += n;
    }
    machine_unlock();
    return st;
}

cevm_status cevm_phys_read(uint64_t pa, void *buf, size_t len)
{
    return phys_copy(pa, buf, len, 0);
}

cevm_status cevm_phys_write(uint64_t pa, const void *buf, size_t len)
{
    return phys_copy(pa, (void *)(uintptr_t)buf, len, 1);
}
