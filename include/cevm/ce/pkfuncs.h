/*
 * pkfuncs.h (cevm CE compatibility) — the kernel calls drivers use to reach physical memory:
 * VirtualCopy, AllocPhysMem, LockPages, VirtualSetAttributes, static mappings, UserKInfo.
 * Written for cevm from the documented constants and behaviour (docs/physical-mapping.md).
 */
#ifndef CEVM_CE_PKFUNCS_H
#define CEVM_CE_PKFUNCS_H

#include "winbase.h"

#ifdef __cplusplus
extern "C" {
#endif

/* LockPages options */
#define LOCKFLAG_WRITE      0x001
#define LOCKFLAG_QUERY_ONLY 0x002
#define LOCKFLAG_READ       0x004

/* UserKInfo indexes */
#define KINX_PAGESIZE  1
#define KINX_PFN_SHIFT 2
#define KINX_PFN_MASK  3

#define INVALID_PHYSICAL_ADDRESS 0xFFFFFFFF

/* UserKInfo[KINX_PAGESIZE] == 4096; [KINX_PFN_SHIFT] == 0 on ARM; [KINX_PFN_MASK] ==
 * 0xFFFFF000. */
extern CEVM_CE_API const long cevm_UserKInfo[32];
#define UserKInfo cevm_UserKInfo

/*
 * Map the pages of lpvSrc at the reserved, uncommitted lpvDest. lpvSrc is a user address, a
 * static-window address (0x80000000..0xBFFFFFFF), or with PAGE_PHYSICAL the physical address
 * shifted right by 8. Return: TRUE, or FALSE with GetLastError 5 (untrusted caller) or 87.
 */
CEVM_CE_API BOOL WINAPI VirtualCopy(LPVOID lpvDest, LPVOID lpvSrc, DWORD cbSize, DWORD fdwProtect);

/*
 * Allocate cbSize bytes of physically contiguous RAM, mapped uncached; *pPhysicalAddress gets
 * the physical address of the first byte, whose bits in dwAlignmentMask are 0.
 * Return: the VA, or NULL with 87 (size 0, NULL pPhysicalAddress, dwFlags != 0, bad protection)
 * or 8 (no such run of frames).
 */
CEVM_CE_API LPVOID WINAPI AllocPhysMem(DWORD cbSize, DWORD fdwProtect, DWORD dwAlignmentMask,
                                       DWORD dwFlags, PULONG pPhysicalAddress);
/* Free AllocPhysMem memory (VirtualFree(va, 0, MEM_RELEASE)). Return: TRUE, or FALSE with 87. */
CEVM_CE_API BOOL WINAPI FreePhysMem(LPVOID lpvAddress);

/*
 * Edit the page-table entries of committed pages: each becomes (old & ~dwMask) |
 * (dwNewFlags & dwMask); *lpdwOldFlags (may be NULL) gets the first page's entry before the
 * change. dwMask 0 only queries. ARM entries: frame 0xFFFFF000, access permissions 0xFF0,
 * C/B 0xC, small-page type 0x2. Return: TRUE, or FALSE with 5 (untrusted) or 87.
 */
CEVM_CE_API BOOL WINAPI VirtualSetAttributes(LPVOID lpvAddress, DWORD cbSize, DWORD dwNewFlags,
                                             DWORD dwMask, LPDWORD lpdwOldFlags);

/*
 * Bring in and pin every page touching [lpvAddress, lpvAddress + cbSize); pPFNs (may be NULL)
 * gets one entry per page: its physical address (UserKInfo[KINX_PFN_SHIFT] is 0 on ARM).
 * fOptions: LOCKFLAG_READ, LOCKFLAG_WRITE (needs write access), LOCKFLAG_QUERY_ONLY (report,
 * do not lock). Return: TRUE, or FALSE with 87, 998 (ERROR_NOACCESS) or 14.
 */
CEVM_CE_API BOOL WINAPI LockPages(LPVOID lpvAddress, DWORD cbSize, PDWORD pPFNs, int fOptions);
/* Undo LockPages. Return: TRUE, or FALSE with 87 (a block of the range is not locked). */
CEVM_CE_API BOOL WINAPI UnlockPages(LPVOID lpvAddress, DWORD cbSize);

/*
 * Kernel-only, process-independent VA for [dwPhysBase << 8, + dwSize) (ISRs use it). CE 5 on
 * ARM only aliases OEMAddressTable ranges: inside a row it returns the uncached static address;
 * a range that starts in a row but leaves it gives NULL with 87; any other address gives NULL
 * and sets no error.
 */
CEVM_CE_API LPVOID WINAPI CreateStaticMapping(DWORD dwPhysBase, DWORD dwSize);
/* Never frees anything (CE 5): always TRUE. */
CEVM_CE_API BOOL WINAPI DeleteStaticMapping(LPVOID lpvAddr, DWORD dwSize);

/* Static-window VA of the physical address dwShiftedPA << 8: cached, or uncached
 * (| 0x20000000). NULL if the address is not page-aligned or no OEMAddressTable row maps it. */
CEVM_CE_API LPVOID NKPhysToVirt(DWORD dwShiftedPA, BOOL fCached);
/* Physical address >> 8 behind a static-window VA, or INVALID_PHYSICAL_ADDRESS. */
CEVM_CE_API DWORD NKVirtToPhys(LPCVOID pVirtAddr);

/* ---- caller buffers and thread permissions (CE 5) -------------------------------------- */

/* Map a pointer the caller passed (a slot-0 pointer gets the caller's slot: during a driver
 * host call the calling application's, else the current process's) and check the caller may use
 * [ptr, ptr + length). Return: the mapped pointer (host memory outside the CE address space
 * unchanged), or NULL with 87 when part of the range is not committed CE memory. */
CEVM_CE_API LPVOID WINAPI MapCallerPtr(LPVOID ptr, DWORD length);
/* This thread's slot-access mask: SetProcPermissions returns the old one (0xFFFFFFFF = all, the
 * starting value in cevm). */
CEVM_CE_API DWORD WINAPI SetProcPermissions(DWORD newperms);
CEVM_CE_API DWORD WINAPI GetCurrentPermissions(void);
/* Switch this thread to kernel mode (TRUE) or back. Return: the old mode. Recorded only. */
CEVM_CE_API BOOL WINAPI SetKMode(BOOL fMode);
/* Commit in the current process an alias of the whole pages holding [lpAddress, +cbSize) of
 * hSrcProc (one process here: of this one), with protection fdwProtect. Return: the alias of
 * lpAddress (same page offset), or NULL with 87 (NULL address, zero size) or what VirtualAlloc
 * or VirtualCopy set. Free with VirtualFreeEx / VirtualFree. */
CEVM_CE_API LPVOID WINAPI VirtualAllocCopyEx(HANDLE hSrcProc, HANDLE hDstProc, LPVOID lpAddress,
                                             DWORD cbSize, DWORD fdwProtect);
CEVM_CE_API BOOL WINAPI VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize,
                                      DWORD dwFreeType);
/* VirtualCopy and VirtualSetAttributes on named processes (CE 6.0 and later; kernel mode, or for
 * VirtualCopyEx user mode with virtual sources). Errors as the plain calls (vmex.c). */
CEVM_CE_API BOOL WINAPI VirtualCopyEx(HANDLE hDstProc, LPVOID lpvDest, HANDLE hSrcProc,
                                      LPVOID lpvSrc, DWORD cbSize, DWORD fdwProtect);
CEVM_CE_API BOOL WINAPI VirtualSetAttributesEx(HANDLE hProcess, LPVOID lpvAddress, DWORD cbSize,
                                               DWORD dwNewFlags, DWORD dwMask,
                                               LPDWORD lpdwOldFlags);

/* ---- caller buffers (CE 6.0 and later; spec driver-runtime §2.5) ------------------------- */

/* What a buffer argument is: in (I), out (O) or both, and its type. */
#define ARG_DW      0x0
#define ARG_I_PTR   0x4
#define ARG_I_WSTR  0x5
#define ARG_I_ASTR  0x6
#define ARG_I_PDW   0x7
#define ARG_O_PTR   0x8
#define ARG_O_PDW   0x9
#define ARG_O_PI64  0xA
#define ARG_IO_PTR  0xC
#define ARG_IO_PDW  0xD
#define ARG_IO_PI64 0xE

/* Check a caller's pointer for the call's duration (the application's user space, committed,
 * writable for O/IO) and give it back, or a heap copy (copied in for I/IO) when ForceDuplicate.
 * A string's cbSrc may be 0 (its length with the NUL is measured). Return: S_OK; E_INVALIDARG
 * (ARG_DW or an unknown descriptor, NULL pointers, size 0); E_ACCESSDENIED (bad address or
 * rights); E_OUTOFMEMORY. On ce5: E_NOTIMPL (the call is CE 6's). */
CEVM_CE_API HRESULT WINAPI CeOpenCallerBuffer(PVOID *ppDestMarshalled, PVOID pSrcUnmarshalled,
                                              DWORD cbSrc, DWORD ArgumentDescriptor,
                                              BOOL ForceDuplicate);
/* Close what CeOpenCallerBuffer opened: a copy is written back (O/IO) and freed. Return: S_OK,
 * E_ACCESSDENIED (the write-back faulted; freed anyway), E_INVALIDARG. */
CEVM_CE_API HRESULT WINAPI CeCloseCallerBuffer(PVOID pDestMarshalled, PVOID pSrcUnmarshalled,
                                               DWORD cbSrc, DWORD ArgumentDescriptor);
/* A copy of a marshalled buffer usable after the call returns (an IST's, a worker thread's),
 * made before returning; the free writes O/IO back to the source and frees it. Errors as
 * CeOpenCallerBuffer. */
CEVM_CE_API HRESULT WINAPI CeAllocAsynchronousBuffer(PVOID *ppDestAsyncMarshalled,
                                                     PVOID pSrcSyncMarshalled, DWORD cbSrc,
                                                     DWORD ArgumentDescriptor);
CEVM_CE_API HRESULT WINAPI CeFreeAsynchronousBuffer(PVOID pDestAsyncMarshalled,
                                                    PVOID pSrcSyncMarshalled, DWORD cbSrc,
                                                    DWORD ArgumentDescriptor);
/* A heap copy valid until the call returns (copied in for I/IO); the free writes O/IO back and
 * returns E_FAIL when that failed (the copy is freed anyway). */
CEVM_CE_API HRESULT WINAPI CeAllocDuplicateBuffer(PVOID *ppDestDuplicate, PVOID pSrcMarshalled,
                                                  DWORD cbSrc, DWORD ArgumentDescriptor);
CEVM_CE_API HRESULT WINAPI CeFreeDuplicateBuffer(PVOID pDestDuplicate, PVOID pSrcMarshalled,
                                                 DWORD cbSrc, DWORD ArgumentDescriptor);

/* ---- caches (recorded: cevm_cache_log reads them back) ----------------------------------- */

#define CACHE_SYNC_DISCARD      0x001
#define CACHE_SYNC_INSTRUCTIONS 0x002
#define CACHE_SYNC_WRITEBACK    0x004
#define CACHE_SYNC_FLUSH_I_TLB  0x008
#define CACHE_SYNC_FLUSH_D_TLB  0x010
#define CACHE_SYNC_FLUSH_TLB    (CACHE_SYNC_FLUSH_I_TLB | CACHE_SYNC_FLUSH_D_TLB)
#define CACHE_SYNC_L2_WRITEBACK 0x020
#define CACHE_SYNC_L2_DISCARD   0x040
#define CACHE_SYNC_ALL          0x07F

CEVM_CE_API void WINAPI CacheSync(int flags);
/* (NULL, 0) means all memory. */
CEVM_CE_API void WINAPI CacheRangeFlush(LPVOID pAddr, DWORD dwLength, DWORD dwFlags);

/*
 * Interrupts (spec driver-runtime §3; docs/devices.md). KernelIoControl forwards to the OAL:
 * IOCTL_HAL_REQUEST_SYSINTR (in: DWORD IRQ, or {0xFFFFFFFF, OAL_INTR_* flags, IRQ}; out: DWORD
 * SYSINTR), IOCTL_HAL_RELEASE_SYSINTR (in: DWORD SYSINTR) and IOCTL_HAL_TRANSLATE_IRQ (in: DWORD
 * IRQ; out: its recorded SYSINTR). Errors: 87 (a missing or short buffer, an IRQ out of range, an
 * unmapped SYSINTR), 8 (no SYSINTR left), 50 (any other code).
 */
CEVM_CE_API BOOL WINAPI KernelIoControl(DWORD dwIoControlCode, LPVOID lpInBuf, DWORD nInBufSize,
                                        LPVOID lpOutBuf, DWORD nOutBufSize,
                                        LPDWORD lpBytesReturned);
/* Bind hEvent (an auto-reset event) to SYSINTR idInt and enable it. FALSE with 87: idInt is no
 * mapped device SYSINTR, hEvent is no event, either is already bound, or a thread waits on
 * hEvent. */
CEVM_CE_API BOOL WINAPI InterruptInitialize(DWORD idInt, HANDLE hEvent, LPVOID pvData,
                                            DWORD cbData);
/* Unmask idInt after an interrupt (harmless on a SYSINTR never initialised). */
CEVM_CE_API void WINAPI InterruptDone(DWORD idInt);
/* Disable idInt and unbind its event. */
CEVM_CE_API void WINAPI InterruptDisable(DWORD idInt);
/* Mask (fDisable TRUE) or unmask idInt, keeping the binding. */
CEVM_CE_API void WINAPI InterruptMask(DWORD idInt, BOOL fDisable);
/* Set idInt's event as if the interrupt fired. FALSE with 87 when nothing is bound. */
CEVM_CE_API BOOL WINAPI SetInterruptEvent(DWORD idInt);

#ifdef __cplusplus
}
#endif
#endif
