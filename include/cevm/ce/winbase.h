/*
 * winbase.h (cevm CE compatibility) — the CE kernel memory calls cevm implements, with CE's
 * prototypes. Behaviour follows the selected CE profile (docs/ce-semantics.md). Pointers are
 * host pointers: in the identity window they equal CE addresses; in the offset window they are
 * window base + CE address (cevm_ce_addr() converts).
 */
#ifndef CEVM_CE_WINBASE_H
#define CEVM_CE_WINBASE_H

#include "winnt.h"
#include "winerror.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CEVM_CE_API
#define CEVM_CE_API __attribute__((visibility("default")))
#endif

typedef struct _SYSTEM_INFO {
    union {
        DWORD dwOemId;
        struct {
            WORD wProcessorArchitecture;
            WORD wReserved;
        };
    };
    DWORD dwPageSize;
    LPVOID lpMinimumApplicationAddress;
    LPVOID lpMaximumApplicationAddress;
    DWORD dwActiveProcessorMask;
    DWORD dwNumberOfProcessors;
    DWORD dwProcessorType;
    DWORD dwAllocationGranularity;
    WORD wProcessorLevel;
    WORD wProcessorRevision;
} SYSTEM_INFO, *LPSYSTEM_INFO;

#define PROCESSOR_ARCHITECTURE_ARM 5

typedef struct _MEMORYSTATUS {
    DWORD dwLength;
    DWORD dwMemoryLoad;
    DWORD dwTotalPhys;
    DWORD dwAvailPhys;
    DWORD dwTotalPageFile;
    DWORD dwAvailPageFile;
    DWORD dwTotalVirtual;
    DWORD dwAvailVirtual;
} MEMORYSTATUS, *LPMEMORYSTATUS;

/* Reserve and/or commit pages. Return: the base, or NULL with GetLastError 87, 8 or 14. */
CEVM_CE_API LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, DWORD dwSize, DWORD flAllocationType,
                                       DWORD flProtect);
/* Decommit (MEM_DECOMMIT) or release (MEM_RELEASE). Return: TRUE, or FALSE with 87. */
CEVM_CE_API BOOL WINAPI VirtualFree(LPVOID lpAddress, DWORD dwSize, DWORD dwFreeType);
/* Change protection of committed pages. Return: TRUE, or FALSE with 87 or 50. */
CEVM_CE_API BOOL WINAPI VirtualProtect(LPVOID lpAddress, DWORD dwSize, DWORD flNewProtect,
                                       PDWORD lpflOldProtect);
/* Describe the region at lpAddress. Return: sizeof(MEMORY_BASIC_INFORMATION), or 0 with 24/87. */
CEVM_CE_API DWORD WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                                      DWORD dwLength);
CEVM_CE_API void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo);
/* RAM in use and free (from the frame allocator) and the current slot's free address space. */
CEVM_CE_API void WINAPI GlobalMemoryStatus(LPMEMORYSTATUS lpBuffer);
CEVM_CE_API DWORD WINAPI GetLastError(void);
CEVM_CE_API void WINAPI SetLastError(DWORD dwErrCode);

#ifdef __cplusplus
}
#endif
#endif
