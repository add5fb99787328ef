/*
 * echo.c — an example interrupt-driven serial driver (prefix ECH) for UART0 of an S3C6410 board,
 * written the way BSP serial drivers are:
 *   - MemBase/MemLen, Irq and SysIntr from its registry key (DDKReg_GetWindowInfo,
 *     DDKReg_GetIsrInfo), the registers through a struct overlay mapped with MmMapIoSpace;
 *   - an interrupt service thread: CreateEvent, InterruptInitialize, CeSetThreadPriority from the
 *     key's Priority256, then WaitForSingleObject in a loop; on each interrupt it echoes every
 *     received byte, acknowledges UINTSP then UINTP (write 1 to clear) and calls InterruptDone;
 *   - Deinit stops the thread with a flag and SetEvent, waits for it, InterruptDisable.
 * IOCTL_ECH_STATS returns { interrupts, bytes }. The DWORD context needs the identity window.
 */
#include <windows.h>
#include <ceddk.h>
#include <ddkreg.h>
#include <devload.h>
#include <nkintr.h>
#include <pkfuncs.h>
#include <winioctl.h>

#define IOCTL_ECH_STATS CTL_CODE(FILE_DEVICE_SERIAL_PORT, 0x810, METHOD_BUFFERED, FILE_ANY_ACCESS)

#define UINT_RXD 0x1u
#define UINT_ERR 0x2u
#define UINT_TXD 0x4u
#define UINT_MOD 0x8u

typedef struct {
    ULONG ULCON, UCON, UFCON, UMCON, UTRSTAT, UERSTAT, UFSTAT, UMSTAT;
    ULONG UTXH, URXH, UBRDIV, UDIVSLOT, UINTP, UINTSP, UINTM;
} UART_REGS;

typedef struct {
    volatile UART_REGS *pRegs;
    DWORD dwSysIntr;
    HANDLE hEvent, hThread;
    volatile BOOL bStop;
    DWORD dwPriority;
    DWORD dwInterrupts, dwBytes;
} ECH_CONTEXT;

static DWORD WINAPI ECH_IST(LPVOID pv)
{
    ECH_CONTEXT *pDev = (ECH_CONTEXT *)pv;
    CeSetThreadPriority(GetCurrentThread(), (int)pDev->dwPriority);
    for (;;) {
        DWORD r = WaitForSingleObject(pDev->hEvent, INFINITE);
        if (r != WAIT_OBJECT_0 || pDev->bStop)
            break;
        pDev->dwInterrupts++;
        while (pDev->pRegs->UTRSTAT & 0x1) {
            BYTE c = (BYTE)pDev->pRegs->URXH;
            while (!(pDev->pRegs->UTRSTAT & 0x2)) /* transmit buffer empty */
                ;
            pDev->pRegs->UTXH = c;
            pDev->dwBytes++;
        }
        pDev->pRegs->UINTSP = UINT_RXD | UINT_TXD;
        pDev->pRegs->UINTP = UINT_RXD | UINT_TXD;
        InterruptDone(pDev->dwSysIntr);
    }
    return 0;
}

DWORD ECH_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    UNREFERENCED_PARAMETER(lpvBusContext);
    HKEY hKey = OpenDeviceKey(pContext);
    if (!hKey)
        return 0;
    DDKWINDOWINFO wi;
    DDKISRINFO ii;
    wi.cbSize = sizeof(wi);
    ii.cbSize = sizeof(ii);
    DWORD prio = 103, size = sizeof(prio), type;
    if (DDKReg_GetWindowInfo(hKey, &wi) != ERROR_SUCCESS || wi.dwNumMemWindows < 1 ||
        DDKReg_GetIsrInfo(hKey, &ii) != ERROR_SUCCESS) {
        RegCloseKey(hKey);
        SetLastError(ERROR_INVALID_DATA);
        return 0;
    }
    if (RegQueryValueEx(hKey, TEXT("Priority256"), NULL, &type, (LPBYTE)&prio, &size) !=
        ERROR_SUCCESS)
        prio = 103;
    RegCloseKey(hKey);
    /* A key without a SysIntr value asks the OAL for one. */
    if (ii.dwSysintr == SYSINTR_NOP &&
        !KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &ii.dwIrq, sizeof(DWORD), &ii.dwSysintr,
                         sizeof(DWORD), NULL))
        return 0;
    ECH_CONTEXT *pDev = (ECH_CONTEXT *)LocalAlloc(LPTR, sizeof(ECH_CONTEXT));
    if (!pDev)
        return 0;
    PHYSICAL_ADDRESS pa = {wi.memWindows[0].dwBase, 0};
    pDev->pRegs = (volatile UART_REGS *)MmMapIoSpace(pa, sizeof(UART_REGS), FALSE);
    pDev->dwSysIntr = ii.dwSysintr;
    pDev->dwPriority = prio;
    pDev->hEvent = CreateEvent(NULL, FALSE, FALSE, NULL);
    if (!pDev->pRegs || !pDev->hEvent ||
        !InterruptInitialize(pDev->dwSysIntr, pDev->hEvent, NULL, 0)) {
        if (pDev->hEvent)
            CloseHandle(pDev->hEvent);
        if (pDev->pRegs)
            MmUnmapIoSpace((PVOID)pDev->pRegs, sizeof(UART_REGS));
        LocalFree(pDev);
        return 0;
    }
    pDev->pRegs->ULCON = 0x3;  /* 8N1 */
    pDev->pRegs->UCON = 0x5;   /* interrupt/polling mode */
    pDev->pRegs->UFCON = 0x7;  /* FIFOs on, both reset */
    pDev->pRegs->UINTSP = 0xF; /* nothing pending from before */
    pDev->pRegs->UINTP = 0xF;
    pDev->pRegs->UINTM = ~UINT_RXD & 0xF; /* receive interrupts only */
    pDev->hThread = CreateThread(NULL, 0, ECH_IST, pDev, 0, NULL);
    if (!pDev->hThread) {
        InterruptDisable(pDev->dwSysIntr);
        CloseHandle(pDev->hEvent);
        MmUnmapIoSpace((PVOID)pDev->pRegs, sizeof(UART_REGS));
        LocalFree(pDev);
        return 0;
    }
    return (DWORD)pDev;
}

BOOL ECH_Deinit(DWORD hDeviceContext)
{
    ECH_CONTEXT *pDev = (ECH_CONTEXT *)hDeviceContext;
    pDev->pRegs->UINTM = 0xF;
    pDev->bStop = TRUE;
    SetEvent(pDev->hEvent);
    WaitForSingleObject(pDev->hThread, INFINITE);
    CloseHandle(pDev->hThread);
    InterruptDisable(pDev->dwSysIntr);
    CloseHandle(pDev->hEvent);
    MmUnmapIoSpace((PVOID)pDev->pRegs, sizeof(UART_REGS));
    LocalFree(pDev);
    return TRUE;
}

DWORD ECH_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    UNREFERENCED_PARAMETER(AccessCode);
    UNREFERENCED_PARAMETER(ShareMode);
    return hDeviceContext;
}

BOOL ECH_Close(DWORD hOpenContext)
{
    return hOpenContext != 0;
}

BOOL ECH_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    UNREFERENCED_PARAMETER(pBufIn);
    UNREFERENCED_PARAMETER(dwLenIn);
    ECH_CONTEXT *pDev = (ECH_CONTEXT *)hOpenContext;
    if (dwCode != IOCTL_ECH_STATS || !pBufOut || dwLenOut < 2 * sizeof(DWORD)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    DWORD stats[2] = {pDev->dwInterrupts, pDev->dwBytes};
    memcpy(pBufOut, stats, sizeof(stats));
    if (pdwActualOut)
        *pdwActualOut = sizeof(stats);
    return TRUE;
}
