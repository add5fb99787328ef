/*
 * tick.c — an example timer driver (prefix TCK): PWM timer 0 of an S3C6410 board interrupts
 * every PeriodMs milliseconds (its registry key; default 10) and the IST counts the ticks.
 * Timer 0 runs at PCLK / (prescaler 0 + 1) / 16; Init sets prescaler 0 to 0 (timer 1 shares it),
 * loads TCNTB0 with one period's ticks - 1 (a period is TCNTB + 1 ticks), does a manual update,
 * then starts it with auto-reload and enables its interrupt in TINT_CSTAT. The IST acknowledges
 * with (enables | status bit 5), as Linux's driver does: TINT_CSTAT's status bits are write-1-
 * to-clear. The SYSINTR is the key's SysIntr. IOCTL_TCK_COUNT returns the count. The DWORD
 * context needs the identity window.
 */
#include <windows.h>
#include <ceddk.h>
#include <ddkreg.h>
#include <devload.h>
#include <pkfuncs.h>
#include <winioctl.h>

#define IOCTL_TCK_COUNT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

#define PCLK_HZ 66500000u

typedef struct {
    ULONG TCFG0, TCFG1, TCON, TCNTB0, TCMPB0, TCNTO0, TCNTB1, TCMPB1, TCNTO1;
    ULONG TCNTB2, TCMPB2, TCNTO2, TCNTB3, TCMPB3, TCNTO3, TCNTB4, TCNTO4, TINT_CSTAT;
} PWM_REGS;

typedef struct {
    volatile PWM_REGS *pRegs;
    DWORD dwSysIntr;
    HANDLE hEvent, hThread;
    volatile BOOL bStop;
    volatile DWORD dwTicks;
} TCK_CONTEXT;

static DWORD WINAPI TCK_IST(LPVOID pv)
{
    TCK_CONTEXT *pDev = (TCK_CONTEXT *)pv;
    while (WaitForSingleObject(pDev->hEvent, INFINITE) == WAIT_OBJECT_0 && !pDev->bStop) {
        pDev->dwTicks++;
        pDev->pRegs->TINT_CSTAT = (pDev->pRegs->TINT_CSTAT & 0x1F) | (1u << 5);
        InterruptDone(pDev->dwSysIntr);
    }
    return 0;
}

DWORD TCK_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    UNREFERENCED_PARAMETER(lpvBusContext);
    HKEY hKey = OpenDeviceKey(pContext);
    DDKWINDOWINFO wi;
    DDKISRINFO ii;
    wi.cbSize = sizeof(wi);
    ii.cbSize = sizeof(ii);
    DWORD period = 10, size = sizeof(period), type;
    if (!hKey)
        return 0;
    if (DDKReg_GetWindowInfo(hKey, &wi) != ERROR_SUCCESS || wi.dwNumMemWindows < 1 ||
        DDKReg_GetIsrInfo(hKey, &ii) != ERROR_SUCCESS) {
        RegCloseKey(hKey);
        return 0;
    }
    if (RegQueryValueEx(hKey, TEXT("PeriodMs"), NULL, &type, (LPBYTE)&period, &size) !=
            ERROR_SUCCESS ||
        period == 0 || period > 1000)
        period = 10;
    RegCloseKey(hKey);
    TCK_CONTEXT *pDev = (TCK_CONTEXT *)LocalAlloc(LPTR, sizeof(TCK_CONTEXT));
    if (!pDev)
        return 0;
    PHYSICAL_ADDRESS pa = {wi.memWindows[0].dwBase, 0};
    pDev->pRegs = (volatile PWM_REGS *)MmMapIoSpace(pa, sizeof(PWM_REGS), FALSE);
    pDev->dwSysIntr = ii.dwSysintr;
    pDev->hEvent = CreateEvent(NULL, FALSE, FALSE, NULL);
    if (!pDev->pRegs || !InterruptInitialize(pDev->dwSysIntr, pDev->hEvent, NULL, 0)) {
        CloseHandle(pDev->hEvent);
        if (pDev->pRegs)
            MmUnmapIoSpace((PVOID)pDev->pRegs, sizeof(PWM_REGS));
        LocalFree(pDev);
        return 0;
    }
    DWORD ticks = (PCLK_HZ / 16) / 1000 * period;            /* 4156 per ms at 1/16 */
    pDev->pRegs->TCFG0 &= ~0xFFu;                            /* prescaler 0: divide by 1 */
    pDev->pRegs->TCFG1 = (pDev->pRegs->TCFG1 & ~0xFu) | 0x4; /* timer 0: 1/16 */
    pDev->pRegs->TCNTB0 = ticks - 1;
    pDev->pRegs->TCON = (pDev->pRegs->TCON & ~0x1Fu) | 0x2; /* manual update */
    pDev->pRegs->TCON = (pDev->pRegs->TCON & ~0x1Fu) | 0x9; /* start, auto-reload */
    pDev->pRegs->TINT_CSTAT = (pDev->pRegs->TINT_CSTAT & 0x1F) | 0x1;
    pDev->hThread = CreateThread(NULL, 0, TCK_IST, pDev, 0, NULL);
    return (DWORD)pDev;
}

BOOL TCK_Deinit(DWORD hDeviceContext)
{
    TCK_CONTEXT *pDev = (TCK_CONTEXT *)hDeviceContext;
    pDev->pRegs->TCON &= ~0x1u;                               /* stop timer 0 */
    pDev->pRegs->TINT_CSTAT = pDev->pRegs->TINT_CSTAT & 0x1E; /* its interrupt off */
    pDev->bStop = TRUE;
    SetEvent(pDev->hEvent);
    WaitForSingleObject(pDev->hThread, INFINITE);
    CloseHandle(pDev->hThread);
    InterruptDisable(pDev->dwSysIntr);
    CloseHandle(pDev->hEvent);
    MmUnmapIoSpace((PVOID)pDev->pRegs, sizeof(PWM_REGS));
    LocalFree(pDev);
    return TRUE;
}

DWORD TCK_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    UNREFERENCED_PARAMETER(AccessCode);
    UNREFERENCED_PARAMETER(ShareMode);
    return hDeviceContext;
}

BOOL TCK_Close(DWORD hOpenContext)
{
    return hOpenContext != 0;
}

BOOL TCK_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    UNREFERENCED_PARAMETER(pBufIn);
    UNREFERENCED_PARAMETER(dwLenIn);
    TCK_CONTEXT *pDev = (TCK_CONTEXT *)hOpenContext;
    if (dwCode != IOCTL_TCK_COUNT || !pBufOut || dwLenOut < sizeof(DWORD)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    DWORD n = pDev->dwTicks;
    memcpy(pBufOut, &n, sizeof(n));
    if (pdwActualOut)
        *pdwActualOut = sizeof(n);
    return TRUE;
}
