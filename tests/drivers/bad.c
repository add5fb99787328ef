/*
 * bad.c — a stream driver (prefix BAD) that misbehaves on request, for the driver host's tests.
 * Init fails when the key has "FailInit"; IOControl code 1 writes to an address nothing is
 * committed at, 2 writes to an undeclared GPIO register and reads it back through the accessor,
 * 3 touches an unimplemented device, 4 writes through a pointer outside the CE address space,
 * 5 maps GPIO and allocates a heap block that Deinit will not release.
 */
#include <windows.h>
#include <ceddk.h>
#include <devload.h>

static PVOID g_leak_map;

DWORD BAD_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    (void)lpvBusContext;
    HKEY key = OpenDeviceKey(pContext);
    if (!key)
        return 0;
    DWORD v = 0, size = sizeof v;
    LONG e = RegQueryValueEx(key, TEXT("FailInit"), NULL, NULL, (LPBYTE)&v, &size);
    RegCloseKey(key);
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
        p[0x900 / 4] = 0x5A;                      /* EINT register: not declared on the board */
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
    default:
        SetLastError(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
}
