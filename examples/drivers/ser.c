/*
 * ser.c — an example stream driver (prefix SER) in the style of Samsung BSP drivers, built with
 * nothing but `pkg-config --cflags cevm-ce`:
 *   - UART0 registers through a struct overlay (pRegs->ULCON = ...), mapped with MmMapIoSpace;
 *   - DllEntry as the library entry point, DisableThreadLibraryCalls;
 *   - debug zones (dpCurSettings with _T names), DEBUGMSG and RETAILMSG;
 *   - a DWORD context from Init (a LocalAlloc'd block);
 *   - the device name built with wcscpy and _stprintf, read back with an IOCTL;
 *   - the power IOCTLs of pm.h (capabilities, set, get: the state in the output buffer);
 *   - an IOCTL whose input holds an embedded pointer, checked with MapCallerPtr (built for CE 5)
 *     or CeOpenCallerBuffer (built for CE 6 and later: `_WIN32_WCE >= 0x600`, as BSPs write
 *     it) and used inside __try/__except, so a bad pointer fails the call with
 *     ERROR_INVALID_PARAMETER instead of crashing the driver.
 * The DWORD context needs the identity window until CE code owns CE addresses everywhere.
 */
#include <windows.h>
#include <ceddk.h>
#include <pm.h>

#define IOCTL_SER_GET_NAME                                                                         \
    CTL_CODE(FILE_DEVICE_SERIAL_PORT, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_SER_SEND_BLOCK                                                                       \
    CTL_CODE(FILE_DEVICE_SERIAL_PORT, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

#define UART0_PA 0x7F005000

#define ZONE_INIT  DEBUGZONE(0)
#define ZONE_IOCTL DEBUGZONE(1)
#define ZONE_ERROR DEBUGZONE(15)

DBGPARAM dpCurSettings = {_T("SER"),
                          {_T("Init"), _T("IOCtl"), _T(""), _T(""), _T(""), _T(""), _T(""), _T(""),
                           _T(""), _T(""), _T(""), _T(""), _T(""), _T(""), _T(""), _T("Error")},
                          0x8001};

typedef struct {
    ULONG ULCON, UCON, UFCON, UMCON, UTRSTAT, UERSTAT, UFSTAT, UMSTAT;
    ULONG UTXH, URXH, UBRDIV, UDIVSLOT, UINTP, UINTSP, UINTM;
} UART_REGS;

typedef struct {
    volatile UART_REGS *pRegs;
    CEDEVICE_POWER_STATE dx;
    WCHAR szName[8];
    DWORD dwSent;
} SER_CONTEXT;

/* IOCTL_SER_SEND_BLOCK's input: the bytes live behind an embedded pointer (CE 5 style). */
typedef struct {
    const BYTE *pData;
    DWORD cbData;
} SER_BLOCK;

BOOL WINAPI DllEntry(HANDLE hInstDll, DWORD dwReason, LPVOID lpvReserved)
{
    UNREFERENCED_PARAMETER(lpvReserved);
    if (dwReason == DLL_PROCESS_ATTACH) {
        DEBUGREGISTER(hInstDll);
        DisableThreadLibraryCalls(hInstDll);
    }
    return TRUE;
}

DWORD SER_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    UNREFERENCED_PARAMETER(lpvBusContext);
    UNREFERENCED_PARAMETER(pContext); /* used by DEBUGMSG in debug builds only */
    DEBUGMSG(ZONE_INIT, (_T("SER_Init: %s\r\n"), pContext));
    SER_CONTEXT *pDev = (SER_CONTEXT *)LocalAlloc(LPTR, sizeof(SER_CONTEXT));
    if (!pDev)
        return 0;
    PHYSICAL_ADDRESS pa = {UART0_PA, 0};
    pDev->pRegs = (volatile UART_REGS *)MmMapIoSpace(pa, sizeof(UART_REGS), FALSE);
    if (!pDev->pRegs) {
        RETAILMSG(ZONE_ERROR, (_T("SER_Init: cannot map UART0\r\n")));
        LocalFree(pDev);
        return 0;
    }
    pDev->pRegs->ULCON = 0x3; /* 8N1 */
    pDev->pRegs->UCON = 0x5;  /* polling */
    pDev->pRegs->UBRDIV = 34; /* 115200 from 66 MHz */
    pDev->dx = D0;
    WCHAR szPrefix[4];
    wcscpy(szPrefix, L"SER");
    _stprintf(pDev->szName, _T("%s%d:"), szPrefix, 1);
    RETAILMSG(1, (_T("SER_Init: %s ready\r\n"), pDev->szName));
    return (DWORD)pDev;
}

BOOL SER_Deinit(DWORD hDeviceContext)
{
    SER_CONTEXT *pDev = (SER_CONTEXT *)hDeviceContext;
    pDev->pRegs->UCON = 0;
    MmUnmapIoSpace((PVOID)pDev->pRegs, sizeof(UART_REGS));
    LocalFree(pDev);
    return TRUE;
}

DWORD SER_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    UNREFERENCED_PARAMETER(AccessCode);
    UNREFERENCED_PARAMETER(ShareMode);
    return hDeviceContext;
}

BOOL SER_Close(DWORD hOpenContext)
{
    UNREFERENCED_PARAMETER(hOpenContext);
    return TRUE;
}

static BOOL SendBlock(SER_CONTEXT *pDev, const SER_BLOCK *pIn)
{
    BOOL ok = FALSE;
    __try {
#if _WIN32_WCE >= 0x600
        /* CE 6: the caller's memory is mapped during the call; an embedded pointer is checked
         * (and could be duplicated) with CeOpenCallerBuffer. */
        PVOID pMarshalled = NULL;
        if (FAILED(CeOpenCallerBuffer(&pMarshalled, (PVOID)pIn->pData, pIn->cbData, ARG_I_PTR,
                                      FALSE))) {
            SetLastError(ERROR_INVALID_PARAMETER);
            __leave;
        }
        const BYTE *p = (const BYTE *)pMarshalled;
#else
        /* CE 5: the pointer is the caller's slot-0 pointer: map it into the caller's slot. */
        const BYTE *p = (const BYTE *)MapCallerPtr((LPVOID)pIn->pData, pIn->cbData);
        if (!p) {
            SetLastError(ERROR_INVALID_PARAMETER);
            __leave;
        }
#endif
        for (DWORD i = 0; i < pIn->cbData; i++)
            pDev->pRegs->UTXH = p[i];
        pDev->dwSent += pIn->cbData;
#if _WIN32_WCE >= 0x600
        CeCloseCallerBuffer(pMarshalled, (PVOID)pIn->pData, pIn->cbData, ARG_I_PTR);
#endif
        ok = TRUE;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        RETAILMSG(ZONE_ERROR,
                  (_T("SER: exception 0x%08X reading the caller's block\r\n"), GetExceptionCode()));
        SetLastError(ERROR_INVALID_PARAMETER);
        ok = FALSE;
    }
    return ok;
}

BOOL SER_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    SER_CONTEXT *pDev = (SER_CONTEXT *)hOpenContext;
    DEBUGMSG(ZONE_IOCTL, (_T("SER_IOControl 0x%08X\r\n"), dwCode));
    switch (dwCode) {
    case IOCTL_POWER_CAPABILITIES: {
        if (!pBufOut || dwLenOut < sizeof(POWER_CAPABILITIES))
            break;
        POWER_CAPABILITIES *pc = (POWER_CAPABILITIES *)pBufOut;
        ZeroMemory(pc, sizeof *pc);
        pc->DeviceDx = DX_MASK(D0) | DX_MASK(D4);
        *pdwActualOut = sizeof *pc;
        return TRUE;
    }
    case IOCTL_POWER_SET: {
        if (!pBufOut || dwLenOut < sizeof(CEDEVICE_POWER_STATE))
            break;
        CEDEVICE_POWER_STATE dx = *(CEDEVICE_POWER_STATE *)pBufOut;
        if (!VALID_DX(dx))
            break;
        pDev->dx = dx == D0 ? D0 : D4; /* D1-D3 are not supported: the next lower, off */
        pDev->pRegs->UCON = pDev->dx == D0 ? 0x5 : 0;
        *(CEDEVICE_POWER_STATE *)pBufOut = pDev->dx;
        *pdwActualOut = sizeof(CEDEVICE_POWER_STATE);
        return TRUE;
    }
    case IOCTL_POWER_GET:
        if (!pBufOut || dwLenOut < sizeof(CEDEVICE_POWER_STATE))
            break;
        *(CEDEVICE_POWER_STATE *)pBufOut = pDev->dx;
        *pdwActualOut = sizeof(CEDEVICE_POWER_STATE);
        return TRUE;
    case IOCTL_SER_GET_NAME:
        if (!pBufOut || dwLenOut < (wcslen(pDev->szName) + 1) * sizeof(WCHAR))
            break;
        wcscpy((WCHAR *)pBufOut, pDev->szName);
        *pdwActualOut = (wcslen(pDev->szName) + 1) * sizeof(WCHAR);
        return TRUE;
    case IOCTL_SER_SEND_BLOCK:
        if (!pBufIn || dwLenIn < sizeof(SER_BLOCK))
            break;
        return SendBlock(pDev, (const SER_BLOCK *)pBufIn);
    }
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
}
