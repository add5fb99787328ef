/*
 * oal_memory.h (cevm CE compatibility) — the OEMAddressTable as OAL code and driver libraries
 * read it, and the OAL address conversions (ARM). Written for cevm from the documented
 * behaviour (spec §11; docs/physical-mapping.md).
 */
#ifndef CEVM_CE_OAL_MEMORY_H
#define CEVM_CE_OAL_MEMORY_H

#include "pkfuncs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One OEMAddressTable row: cached VA, physical base, size in MB. The table ends with a row
 * of zeros. */
typedef struct {
    UINT32 CA;
    UINT32 PA;
    UINT32 size;
} OAL_ADDRESS_TABLE, *POAL_ADDRESS_TABLE;

/* The board's OEMAddressTable, filled when the machine boots (the first CE call or
 * cevm_boot); all zeros before that. */
extern CEVM_CE_API OAL_ADDRESS_TABLE g_oalAddressTable[65];

#define OAL_MEMORY_CACHE_BIT 0x20000000
#define OALCAtoUA(va)        ((VOID *)((UINT_PTR)(va) | OAL_MEMORY_CACHE_BIT))
#define OALUAtoCA(va)        ((VOID *)((UINT_PTR)(va) & ~(UINT_PTR)OAL_MEMORY_CACHE_BIT))

/* Static-window VA of physical address pa (cached or not), or NULL if no row maps it. */
CEVM_CE_API VOID *OALPAtoVA(UINT32 pa, BOOL cached);
/* Physical address behind a static-window VA, or 0 if no row maps it. */
CEVM_CE_API UINT32 OALVAtoPA(VOID *va);
#define OALPAtoCA(pa) OALPAtoVA((pa), TRUE)
#define OALPAtoUA(pa) OALPAtoVA((pa), FALSE)

#ifdef __cplusplus
}
#endif
#endif
