/*
 * kfuncs.h (cevm CE compatibility) — the kernel's process and caller calls CE code makes
 * (CE's winbase.h brings this header in): the current, owner and caller process, and
 * MapPtrToProcess.
 *
 * cevm runs one CE process (the program, or the driver host standing for device.exe), so the
 * caller and the owner of a driver call are that process too (docs/ce-semantics.md).
 */
#ifndef CEVM_CE_KFUNCS_H
#define CEVM_CE_KFUNCS_H

#include "winbase.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CE's pseudo-handle of the current process. */
#define CEVM_CURRENT_PROCESS_HANDLE ((HANDLE)(ULONG_PTR)0x42)

/* Return: CEVM_CURRENT_PROCESS_HANDLE (a pseudo-handle, as on CE). */
CEVM_CE_API HANDLE WINAPI GetCurrentProcess(void);
/* The process that owns the calling thread / that called into this one (PSL context) / its id
 * (CE 6). In cevm all are the current process: its id is GetCurrentProcessId(). */
CEVM_CE_API HANDLE WINAPI GetOwnerProcess(void);
CEVM_CE_API HANDLE WINAPI GetCallerProcess(void);
CEVM_CE_API DWORD WINAPI GetDirectCallerProcessId(void);
CEVM_CE_API DWORD WINAPI GetCallerVMProcessId(void);
/* Map a slot-0 pointer into process hProc (a handle or a process id). Return: the pointer (one
 * process: nothing moves), or NULL with 87 when it is not a valid address. */
CEVM_CE_API LPVOID WINAPI MapPtrToProcess(LPVOID lpv, HANDLE hProc);
/* The slot-0 form of a mapped pointer (one process: the same pointer). */
CEVM_CE_API LPVOID WINAPI UnMapPtr(LPVOID lpv);

#ifdef __cplusplus
}
#endif

#endif
