/*
 * bad.c — a stream driver (prefix BAD) that misbehaves on request, for the driver host's tests.
 * Init fails when the key has "FailInit" and faults (a write at CE address 0x10) when it has
 * "FaultInit"; IOControl code 1 writes to an address nothing is
 * committed at, 2 writes to an undeclared GPIO register and reads it back through the accessor,
 * 3 touches an unimplemented device, 4 writes through a pointer outside the CE address space,
 * 5 maps GPIO and allocates a heap block that Deinit will not release, 6 divides by zero, 7 calls
 * abort(), 8 executes an illegal instruction, 9 recurses until the stack overflows, 10 calls
 * exit(3), 11 starts a thread that never ends, 12 unmaps an MmMapIoSpace mapping twice after its
 * address went to a buffer, 13 faults in a thread it starts (and waits for it), 14 loops for
 * ever, 15 waits for a critical section a thread it started holds for ever.
 */
#include <windows.h>
#include <ceddk.h>
#include <devload.h>
#include <stdlib.h>

static PVOID g_leak_map;
/* CE address 0x10: never mapped (a variable, so the compiler cannot see the constant). */
static volatile UINT_PTR g_nowhere = 0x10;

DWORD BAD_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    (void)lpvBusContext;
    HKEY key = OpenDeviceKey(pContext);
    if (!key)
        return 0;
    DWORD v = 0, size = sizeof v;
    LONG e = RegQueryValueEx(key, TEXT("FailInit"), NULL, NULL, (LPBYTE)&v, &size);
    size = sizeof v;
    LONG fault = RegQueryValueEx(key, TEXT("FaultInit"), NULL, NULL, (LPBYTE)&v, &size);
    RegCloseKey(key);
    if (fault == ERROR_SUCCESS)
        *(volatile DWORD *)g_nowhere = 1; /* nothing is ever mapped there */
    if (e == ERROR_SUCCESS) {
        SetLastError(ERROR_FILE_NOT_FOUND);
        return 0;
    }
    return 0x1234;
}

BOOL BAD_Deinit(DWORD hDeviceContext)
{
    return hDeviceContext == 0x1234;
}

DWORD BAD_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    (void)AccessCode;
    (void)ShareMode;
    return hDeviceContext;
}

BOOL BAD_Close(DWORD hOpenContext)
{
    (void)hOpenContext;
    return TRUE;
}

static volatile int g_zero;
static volatile LONG g_forever = 1;

__attribute__((noinline)) static int divide(int x)
{
    return x / g_zero;
}

static DWORD recurse(DWORD depth)
{
    volatile BYTE frame[512];
    frame[0] = (BYTE)depth;
    if (g_forever) /* always: the compiler cannot know */
        return recurse(depth + 1) + frame[0];
    return frame[0];
}

static DWORD WINAPI spin(LPVOID arg)
{
    (void)arg;
    while (g_forever)
        Sleep(1);
    return 0;
}

static CRITICAL_SECTION g_cs;

static DWORD WINAPI hold(LPVOID arg)
{
    EnterCriticalSection(&g_cs);
    SetEvent((HANDLE)arg);
    while (g_forever)
        Sleep(1000);
    return 0;
}

static DWORD WINAPI crash(LPVOID arg)
{
    *(volatile DWORD *)arg = 1; /* arg points at reserved, uncommitted memory */
    return 0;
}

BOOL BAD_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    (void)hOpenContext;
    (void)pBufIn;
    (void)dwLenIn;
    (void)pBufOut;
    (void)dwLenOut;
    (void)pdwActualOut;
    PHYSICAL_ADDRESS gpio = {0x7F008000, 0}, spi = {0x7F00B000, 0};
    volatile ULONG *p;
    switch (dwCode) {
    case 1: {
        BYTE *r = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
        *(volatile DWORD *)(r + 0x10) = 1; /* reserved, not committed */
        return TRUE;
    }
    case 2:
        p = MmMapIoSpace(gpio, 0x1000, FALSE);
        p[0x940 / 4] = 0x5A;                      /* EINT register: not declared on the board */
        (void)READ_REGISTER_ULONG(p + 0x820 / 4); /* GPMCON: the accessor syncs the device */
        MmUnmapIoSpace((PVOID)p, 0x1000);
        return TRUE;
    case 3:
        p = MmMapIoSpace(spi, 0x100, FALSE);
        p[2] = 7;
        MmUnmapIoSpace((PVOID)p, 0x100);
        return TRUE;
    case 4:
        *(volatile DWORD *)((UINT_PTR)pBufOut + 0x300000000000ull) = 1;
        return TRUE;
    case 5:
        g_leak_map = MmMapIoSpace(gpio, 0x1000, FALSE);
        return LocalAlloc(LPTR, 100) != NULL && g_leak_map != NULL;
    case 6:
        return divide(7) == 3;
    case 7:
        abort();
    case 8:
        __builtin_trap();
    case 9:
        return recurse(0) != 0;
    case 10:
        exit(3);
    case 11: {
        HANDLE t = CreateThread(NULL, 0, spin, NULL, 0, NULL);
        return t && CloseHandle(t);
    }
    case 12: {
        volatile ULONG *a = MmMapIoSpace(gpio, 0x1000, FALSE);
        MmUnmapIoSpace((PVOID)a, 0x1000);
        /* First fit hands a's address to the next reservation (here a buffer; often the heap's
         * next segment). */
        volatile ULONG *buf = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
        MmUnmapIoSpace((PVOID)a, 0x1000); /* the bug: a, twice */
        buf[0] = 1;                       /* the buffer is still there */
        VirtualFree((PVOID)buf, 0, MEM_RELEASE);
        return a == buf;
    }
    case 14:
        while (g_forever) {
        }
        return TRUE;
    case 15: {
        InitializeCriticalSection(&g_cs);
        HANDLE held = CreateEvent(NULL, FALSE, FALSE, NULL);
        HANDLE t = CreateThread(NULL, 0, hold, held, 0, NULL);
        WaitForSingleObject(held, INFINITE);
        EnterCriticalSection(&g_cs); /* never returns */
        CloseHandle(t);
        return TRUE;
    }
    case 13: {
        BYTE *r = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
        HANDLE t = CreateThread(NULL, 0, crash, r, 0, NULL);
        DWORD code = 0;
        WaitForSingleObject(t, INFINITE);
        GetExitCodeThread(t, &code);
        CloseHandle(t);
        VirtualFree(r, 0, MEM_RELEASE);
        if (pdwActualOut)
            *pdwActualOut = code;
        return TRUE;
    }
    default:
        SetLastError(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
}
