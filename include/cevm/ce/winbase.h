/*
 * winbase.h (cevm CE compatibility) — the CE kernel memory calls cevm implements, with CE's
 * prototypes. Behaviour follows the selected CE profile (docs/ce-semantics.md). Pointers are
 * host pointers: in the identity window they equal CE addresses; in the offset window they are
 * window base + CE address (cevm_ce_addr() converts).
 */
#ifndef CEVM_CE_WINBASE_H
#define CEVM_CE_WINBASE_H

#include <pthread.h>

#include "winnt.h"
#include "winerror.h"
#include "windef.h"

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
/* The same calls on a named process (CE 6.0 and later): GetCurrentProcess() or
 * GetCurrentProcessId() (a kernel-mode caller's own memory is kernel VM), or the calling
 * application (GetCallerVMProcessId(), its user space). Errors as the plain calls, plus 6 for a
 * process cevm does not run, 5 for a user-mode caller naming another process, and 50 on ce5. */
CEVM_CE_API LPVOID WINAPI VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize,
                                         DWORD flAllocationType, DWORD flProtect);
CEVM_CE_API BOOL WINAPI VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize,
                                         DWORD flNewProtect, PDWORD lpflOldProtect);
CEVM_CE_API DWORD WINAPI VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress,
                                        PMEMORY_BASIC_INFORMATION lpBuffer, DWORD dwLength);
/* Copy n bytes between the caller's buffer and process hProcess's memory at lpBaseAddress. The
 * whole range must be committed (and writable, to write) or nothing is copied: FALSE with 998
 * (ERROR_NOACCESS); 87 for a wild buffer; 6 for an unknown process. The count may be NULL. */
CEVM_CE_API BOOL WINAPI ReadProcessMemory(HANDLE hProcess, LPCVOID lpBaseAddress, LPVOID lpBuffer,
                                          DWORD nSize, LPDWORD lpNumberOfBytesRead);
CEVM_CE_API BOOL WINAPI WriteProcessMemory(HANDLE hProcess, LPVOID lpBaseAddress, LPVOID lpBuffer,
                                           DWORD nSize, LPDWORD lpNumberOfBytesWritten);
CEVM_CE_API void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo);
/* RAM in use and free (from the frame allocator) and the current slot's free address space. */
CEVM_CE_API void WINAPI GlobalMemoryStatus(LPMEMORYSTATUS lpBuffer);
CEVM_CE_API DWORD WINAPI GetLastError(void);
CEVM_CE_API void WINAPI SetLastError(DWORD dwErrCode);

/* ---- local heap (memory inside the CE address space, so addresses fit in a DWORD) ---- */

typedef HANDLE HLOCAL;
#define LMEM_FIXED    0x0000
#define LMEM_MOVEABLE 0x0002
#define LMEM_ZEROINIT 0x0040
#define LPTR          (LMEM_FIXED | LMEM_ZEROINIT)
#define LHND          (LMEM_MOVEABLE | LMEM_ZEROINIT)

/* Allocate uBytes (0 allowed) from the process heap, in the CE address space. LMEM_MOVEABLE
 * memory does not move. Return: the block, or NULL with 87 (unknown flags) or 8 (no memory). */
CEVM_CE_API HLOCAL WINAPI LocalAlloc(UINT uFlags, UINT uBytes);
/* Return: NULL on success; hMem with GetLastError 6 when hMem is not a live block. NULL is
 * accepted and returns NULL. */
CEVM_CE_API HLOCAL WINAPI LocalFree(HLOCAL hMem);
/* Resize (moving the block if needed; LMEM_ZEROINIT zeroes the growth).
 * Return: the block, or NULL with 6 (not a block), 87 (flags) or 8 (no memory). */
CEVM_CE_API HLOCAL WINAPI LocalReAlloc(HLOCAL hMem, UINT uBytes, UINT uFlags);
/* Return: the block's size in bytes, or 0 with 6 when hMem is not a live block. */
CEVM_CE_API UINT WINAPI LocalSize(HLOCAL hMem);

/* ---- synchronisation, threads, time ------------------------------------------------- */

typedef struct _CRITICAL_SECTION {
    pthread_mutex_t mutex; /* recursive, as CE critical sections */
    DWORD OwnerThread;
    DWORD LockCount;
} CRITICAL_SECTION, *LPCRITICAL_SECTION, *PCRITICAL_SECTION;

CEVM_CE_API void WINAPI InitializeCriticalSection(LPCRITICAL_SECTION lpcs);
CEVM_CE_API void WINAPI DeleteCriticalSection(LPCRITICAL_SECTION lpcs);
CEVM_CE_API void WINAPI EnterCriticalSection(LPCRITICAL_SECTION lpcs);
CEVM_CE_API void WINAPI LeaveCriticalSection(LPCRITICAL_SECTION lpcs);
CEVM_CE_API BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION lpcs);

static inline LONG InterlockedIncrement(LONG volatile *p)
{
    return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedDecrement(LONG volatile *p)
{
    return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchange(LONG volatile *p, LONG v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline LONG InterlockedExchangeAdd(LONG volatile *p, LONG v)
{
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
/* Store exchange in *p if it holds comperand. Return: the value *p held. */
static inline LONG InterlockedCompareExchange(LONG volatile *p, LONG exchange, LONG comperand)
{
    __atomic_compare_exchange_n(p, &comperand, exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return comperand;
}
static inline PVOID InterlockedExchangePointer(PVOID volatile *p, PVOID v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline PVOID InterlockedCompareExchangePointer(PVOID volatile *p, PVOID exchange,
                                                      PVOID comperand)
{
    __atomic_compare_exchange_n(p, &comperand, exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return comperand;
}
/* CE's older form: store newValue if *p holds oldValue. Return: the value *p held. */
static inline LONG InterlockedTestExchange(LONG volatile *p, LONG oldValue, LONG newValue)
{
    return InterlockedCompareExchange(p, newValue, oldValue);
}

#define INFINITE                          0xFFFFFFFF
#define WAIT_OBJECT_0                     0x00000000
#define WAIT_TIMEOUT                      0x00000102
#define WAIT_FAILED                       0xFFFFFFFF
#define WAIT_ABANDONED                    0x00000080
#define MAXIMUM_WAIT_OBJECTS              64
#define INVALID_HANDLE_VALUE              ((HANDLE)(LONG_PTR)-1)
#define CREATE_SUSPENDED                  0x00000004
#define STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000
#define STILL_ACTIVE                      0x00000103

typedef DWORD(WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;
typedef void *LPSECURITY_ATTRIBUTES;

/* An event. A name (at most MAX_PATH units, no backslash) that exists returns that event with
 * GetLastError() 183 and the other arguments ignored; each object type has its own names.
 * Return: the handle, or NULL with 87 (attributes not NULL, name too long), 123 (backslash in
 * the name) or 8. */
CEVM_CE_API HANDLE WINAPI CreateEvent(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                                      BOOL bInitialState, LPCWSTR lpName);
/* Return: TRUE, or FALSE with 6 when h is not an event. */
CEVM_CE_API BOOL WINAPI SetEvent(HANDLE hEvent);
CEVM_CE_API BOOL WINAPI ResetEvent(HANDLE hEvent);
/* Wait for an event to be set (an auto-reset event is reset by the wait that sees it) or a
 * thread to end. Return: WAIT_OBJECT_0, WAIT_TIMEOUT, or WAIT_FAILED with 6. */
CEVM_CE_API DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
/* Start a thread, CREATE_SUSPENDED or running. It runs on a CE stack in the process (identity
 * window): cbStack is its size only with STACK_SIZE_PARAM_IS_A_RESERVATION, else 64 KB; cevm
 * reserves four times that for x86-64 frames. Return: the handle, or NULL with 87 (no start
 * routine) or 8 (no room for the stack, or no host thread). */
CEVM_CE_API HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpsa, DWORD cbStack,
                                       LPTHREAD_START_ROUTINE lpStartAddr, LPVOID lpvThreadParam,
                                       DWORD fdwCreate, LPDWORD lpIDThread);
/* Return: TRUE with the exit code (STILL_ACTIVE while it runs), or FALSE with 6. */
CEVM_CE_API BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
/* Resume a thread created with CREATE_SUSPENDED (or suspended itself). Return: the previous
 * suspend count, or 0xFFFFFFFF with 6. */
CEVM_CE_API DWORD WINAPI ResumeThread(HANDLE hThread);
/* Suspend a thread not yet started, or the calling thread itself (it waits for ResumeThread).
 * Another running thread cannot be stopped here: 0xFFFFFFFF with ERROR_NOT_SUPPORTED (50).
 * Return: the previous suspend count. */
CEVM_CE_API DWORD WINAPI SuspendThread(HANDLE hThread);
/* End the calling thread with dwExitCode (its __finally blocks do not run, as on CE). */
CEVM_CE_API void WINAPI ExitThread(DWORD dwExitCode) __attribute__((noreturn));
/* Return: TRUE, or FALSE with 6 when h is not a live handle. */
CEVM_CE_API BOOL WINAPI CloseHandle(HANDLE hObject);
/* Release the waiters blocked now (all for a manual-reset event, one for auto-reset) and leave
 * the event reset. Return: TRUE, or FALSE with 6. */
CEVM_CE_API BOOL WINAPI PulseEvent(HANDLE hEvent);
/* A DWORD carried by an event. Return: TRUE / the value; FALSE / 0 with 6 for a bad handle. */
CEVM_CE_API BOOL WINAPI SetEventData(HANDLE hEvent, DWORD dwData);
CEVM_CE_API DWORD WINAPI GetEventData(HANDLE hEvent);
/* A recursive mutex; bInitialOwner makes the creator (only) the owner. Names as CreateEvent.
 * ReleaseMutex by a thread that does not own it fails with 288. */
CEVM_CE_API HANDLE WINAPI CreateMutex(LPSECURITY_ATTRIBUTES lpsa, BOOL bInitialOwner,
                                      LPCWSTR lpName);
CEVM_CE_API BOOL WINAPI ReleaseMutex(HANDLE hMutex);
/* A semaphore: 0 <= lInitialCount <= lMaximumCount, lMaximumCount > 0 (else 87). A release
 * that would pass the maximum fails with 298 and changes nothing; lpPreviousCount may be
 * NULL. */
CEVM_CE_API HANDLE WINAPI CreateSemaphore(LPSECURITY_ATTRIBUTES lpsa, LONG lInitialCount,
                                          LONG lMaximumCount, LPCWSTR lpName);
CEVM_CE_API BOOL WINAPI ReleaseSemaphore(HANDLE hSemaphore, LONG lReleaseCount,
                                         LPLONG lpPreviousCount);
/* Wait for any of nCount (1..64) objects. CE has no wait-all: fWaitAll TRUE fails with 87.
 * Return: WAIT_OBJECT_0 + the lowest signalled index, WAIT_TIMEOUT, or WAIT_FAILED (87, or 6
 * for a bad handle). */
CEVM_CE_API DWORD WINAPI WaitForMultipleObjects(DWORD nCount, CONST HANDLE *lpHandles,
                                                BOOL fWaitAll, DWORD dwMilliseconds);
CEVM_CE_API void WINAPI Sleep(DWORD dwMilliseconds);
/* Milliseconds since an arbitrary start, wrapping at 2^32. */
CEVM_CE_API DWORD WINAPI GetTickCount(void);
CEVM_CE_API DWORD WINAPI GetCurrentThreadId(void);
CEVM_CE_API DWORD WINAPI GetCurrentProcessId(void);
/* The slot-0 (unmapped) form of a pointer mapped into a process slot; other pointers come back
 * unchanged. */
CEVM_CE_API LPVOID WINAPI CeZeroPointer(LPVOID ptr);
/* A no-op on cevm (no DLL notifications). Return: TRUE. */
CEVM_CE_API BOOL WINAPI DisableThreadLibraryCalls(HANDLE hLibModule);

/* ---- heaps (LocalAlloc is HeapAlloc on the process heap) ------------------------------- */

#define HEAP_NO_SERIALIZE          0x00000001
#define HEAP_GENERATE_EXCEPTIONS   0x00000004
#define HEAP_ZERO_MEMORY           0x00000008
#define HEAP_REALLOC_IN_PLACE_ONLY 0x00000010

/* The process heap (a pseudo-handle). */
CEVM_CE_API HANDLE WINAPI GetProcessHeap(void);
/* A private heap; dwMaximumSize != 0 makes it fixed-size (rounded up to a page). Return: the
 * heap, or NULL with 87 (initial size over the maximum) or 8. */
CEVM_CE_API HANDLE WINAPI HeapCreate(DWORD flOptions, DWORD dwInitialSize, DWORD dwMaximumSize);
/* A block (HEAP_ZERO_MEMORY: zeroed). NULL when the heap is full or memory is short, with
 * GetLastError unchanged (CE 5); 6 for a bad heap. */
CEVM_CE_API LPVOID WINAPI HeapAlloc(HANDLE hHeap, DWORD dwFlags, DWORD dwBytes);
/* Resize (HEAP_REALLOC_IN_PLACE_ONLY: without moving). NULL on failure, the block unchanged. */
CEVM_CE_API LPVOID WINAPI HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, DWORD dwBytes);
/* Free a block: FALSE with 87 when it is not one of this heap's, 6 for a bad heap. */
CEVM_CE_API BOOL WINAPI HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem);
/* The block's size, or (DWORD)-1. */
CEVM_CE_API DWORD WINAPI HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem);
/* Free the heap and every block in it. */
CEVM_CE_API BOOL WINAPI HeapDestroy(HANDLE hHeap);

/* ---- thread priorities and the performance counter ------------------------------------ */

#define THREAD_PRIORITY_TIME_CRITICAL 0
#define THREAD_PRIORITY_HIGHEST       1
#define THREAD_PRIORITY_ABOVE_NORMAL  2
#define THREAD_PRIORITY_NORMAL        3
#define THREAD_PRIORITY_BELOW_NORMAL  4
#define THREAD_PRIORITY_LOWEST        5
#define THREAD_PRIORITY_ABOVE_IDLE    6
#define THREAD_PRIORITY_IDLE          7
#define THREAD_PRIORITY_ERROR_RETURN  0x7FFFFFFF

/* CE's pseudo-handle of the calling thread. */
#define CEVM_CURRENT_THREAD_HANDLE ((HANDLE)(ULONG_PTR)0x41)
CEVM_CE_API HANDLE WINAPI GetCurrentThread(void);
/* A thread's CE priority, 0 (highest) to 255; new threads start at 251. Recorded: host threads
 * are not scheduled by it. Errors: 87 (out of range), 6 (not a thread). CeGetThreadPriority
 * returns THREAD_PRIORITY_ERROR_RETURN on error. */
CEVM_CE_API BOOL WINAPI CeSetThreadPriority(HANDLE hThread, int nPriority);
CEVM_CE_API int WINAPI CeGetThreadPriority(HANDLE hThread);
/* The eight application levels THREAD_PRIORITY_* = CE priorities 248..255. */
CEVM_CE_API BOOL WINAPI SetThreadPriority(HANDLE hThread, int nPriority);
CEVM_CE_API int WINAPI GetThreadPriority(HANDLE hThread);
/* With no OAL counter, CE's performance counter is GetTickCount at 1000 Hz (spec §1.9). */
CEVM_CE_API BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency);
CEVM_CE_API BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount);

/* The W names CE's headers map the plain names to (CE is Unicode-only). */
#define CreateEventW     CreateEvent
#define CreateMutexW     CreateMutex
#define CreateSemaphoreW CreateSemaphore

/* ---- debugging ------------------------------------------------------------------------ */

/* Text to the debugger: stderr here (as NKDbgPrintfW). */
CEVM_CE_API void WINAPI OutputDebugStringW(LPCWSTR lpOutputString);
#define OutputDebugString OutputDebugStringW
/* Stop in the debugger: raises EXCEPTION_BREAKPOINT (0x80000003), which a debugger or a __try
 * takes; unhandled, it ends the process (a driver call: the call, with a report). */
CEVM_CE_API void WINAPI DebugBreak(void);

/* ---- libraries (other cevm-built shared libraries; docs/porting.md) ------------------- */

typedef intptr_t(WINAPI *FARPROC)(void);

/* Load a library by CE name ("gpio.dll", "gpio", or a path): NAME, libBASE.so or BASE.so in the
 * calling library's folder, $CEVM_LIBRARY_PATH, the program's folder, then the loader's path.
 * The first load calls DllMain(DLL_PROCESS_ATTACH). Return: the module, or NULL with 126 (not
 * found), 1114 (DllMain returned FALSE) or 87 (no name). */
CEVM_CE_API HMODULE WINAPI LoadLibraryW(LPCWSTR lpLibFileName);
CEVM_CE_API HMODULE WINAPI LoadLibraryExW(LPCWSTR lpLibFileName, HANDLE hFile, DWORD dwFlags);
/* An export by name (C++ functions too, as a .def file exports them). Return: its address, or
 * NULL with 127 (no such export; ordinals are not supported) or 6 (not a loaded module). */
CEVM_CE_API FARPROC WINAPI GetProcAddressW(HMODULE hModule, LPCWSTR lpProcName);
CEVM_CE_API FARPROC WINAPI GetProcAddressA(HMODULE hModule, LPCSTR lpProcName);
/* Drop one load; the last calls DllMain(DLL_PROCESS_DETACH) and unloads. Return: TRUE, or
 * FALSE with 6. */
CEVM_CE_API BOOL WINAPI FreeLibrary(HMODULE hLibModule);
#define LoadLibrary    LoadLibraryW
#define LoadLibraryEx  LoadLibraryExW
#define GetProcAddress GetProcAddressW

/* ---- device interface notifications (pnp.h has DEVDETAIL) ------------------------------ */

/* Send a DEVDETAIL to message queue hMsgQ each time an interface of class devclass (NULL: any)
 * is advertised or withdrawn; fAll also sends the ones advertised already. Return: a handle for
 * StopDeviceNotifications, or NULL with 87 (not a message queue). */
CEVM_CE_API HANDLE WINAPI RequestDeviceNotifications(const GUID *devclass, HANDLE hMsgQ, BOOL fAll);
CEVM_CE_API BOOL WINAPI StopDeviceNotifications(HANDLE h);
/* Announce (fAdd TRUE) or withdraw interface name of class devclass. Return: TRUE, or FALSE
 * with 87 (NULL class or name, name over MAX_DEVCLASS_NAMELEN). */
CEVM_CE_API BOOL WINAPI AdvertiseInterface(const GUID *devclass, LPCWSTR name, BOOL fAdd);
/* The dwIndex-th interface a device's IClass advertised: its class into *pClass (if not NULL)
 * and its name (the device's "COM1:") into pszNameBuf, *lpdwNameBufSize bytes. h is a device
 * handle (ActivateDeviceEx) or a file handle open on the device (CreateFile).
 * Return: TRUE; FALSE with ERROR_NO_MORE_ITEMS (259) past the last one,
 * ERROR_INSUFFICIENT_BUFFER (122, *lpdwNameBufSize gets the size needed), 6 (not such a handle)
 * or 87 (a buffer without a size). With pszNameBuf NULL it only gives the size. */
CEVM_CE_API BOOL WINAPI EnumDeviceInterfaces(HANDLE h, DWORD dwIndex, GUID *pClass,
                                             LPWSTR pszNameBuf, LPDWORD lpdwNameBufSize);

/* ---- devices by name (the device manager: driver/devmgr.c, driver/devfile.c) ------------ */

#define GENERIC_READ             0x80000000
#define GENERIC_WRITE            0x40000000
#define FILE_SHARE_READ          0x00000001
#define FILE_SHARE_WRITE         0x00000002
#define CREATE_NEW               1
#define CREATE_ALWAYS            2
#define OPEN_EXISTING            3
#define OPEN_ALWAYS              4
#define TRUNCATE_EXISTING        5
#define FILE_ATTRIBUTE_NORMAL    0x00000080
#define FILE_BEGIN               0
#define FILE_CURRENT             1
#define FILE_END                 2
#define INVALID_SET_FILE_POINTER ((DWORD)-1)

typedef struct _OVERLAPPED {
    DWORD Internal, InternalHigh, Offset, OffsetHigh;
    HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

/* Open a device by its name: legacy "COM1:" or "\\$device\\COM1" (the prefix in any letter
 * case). XXX_Open receives dwDesiredAccess and dwShareMode. Return: a handle for ReadFile,
 * WriteFile, SetFilePointer, DeviceIoControl and CloseHandle, or INVALID_HANDLE_VALUE with 2
 * (not a device name: cevm has no file system), 55 (no such device), 50 (the driver has no
 * Open) or the error XXX_Open left (31 when it left none). */
CEVM_CE_API HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                                      LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                      DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
                                      HANDLE hTemplateFile);
#define CreateFile CreateFileW
/* XXX_Read / XXX_Write / XXX_Seek / XXX_IOControl of an open device with the caller's pointers.
 * Return: FALSE (INVALID_SET_FILE_POINTER) with 6 for a handle that is not an open device, 50
 * when the driver lacks the entry point, 31 when it faulted, else what the driver set. */
CEVM_CE_API BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                                 LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped);
CEVM_CE_API BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                                  LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped);
CEVM_CE_API DWORD WINAPI SetFilePointer(HANDLE hFile, LONG lDistanceToMove,
                                        PLONG lpDistanceToMoveHigh, DWORD dwMoveMethod);
CEVM_CE_API BOOL WINAPI DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer,
                                        DWORD nInBufferSize, LPVOID lpOutBuffer,
                                        DWORD nOutBufferSize, LPDWORD lpBytesReturned,
                                        LPOVERLAPPED lpOverlapped);

/* Raise a software exception on this thread (excpt.h): dwExceptionFlags EXCEPTION_NONCONTINUABLE
 * forbids EXCEPTION_CONTINUE_EXECUTION; up to EXCEPTION_MAXIMUM_PARAMETERS arguments are
 * copied into ExceptionInformation. Returns when a filter continues execution. */
CEVM_CE_API void WINAPI RaiseException(DWORD dwExceptionCode, DWORD dwExceptionFlags,
                                       DWORD nNumberOfArguments, CONST DWORD *lpArguments);

#ifdef __cplusplus
}
#endif
#endif
