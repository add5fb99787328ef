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
 * (CE 6). During a driver host call that is the calling application (board `caller`, a process
 * id of its own); otherwise the current process, whose id is GetCurrentProcessId(). */
CEVM_CE_API HANDLE WINAPI GetOwnerProcess(void);
CEVM_CE_API HANDLE WINAPI GetCallerProcess(void);
CEVM_CE_API DWORD WINAPI GetDirectCallerProcessId(void);
CEVM_CE_API DWORD WINAPI GetCallerVMProcessId(void);
/* Map a slot-0 pointer into process hProc (GetCallerProcess(), GetCurrentProcessId() or
 * GetCurrentProcess()): its slot's base is added. A pointer already mapped (in a slot or the
 * large area) or outside the CE address space comes back unchanged. Return: the pointer, or NULL
 * with 87 (lpv NULL, or hProc names no process cevm runs). */
CEVM_CE_API LPVOID WINAPI MapPtrToProcess(LPVOID lpv, HANDLE hProc);
/* The slot-0 form of a pointer mapped into a process slot (CeZeroPointer); others unchanged. */
CEVM_CE_API LPVOID WINAPI UnMapPtr(LPVOID lpv);

#ifdef __cplusplus
}
#endif

#endif
