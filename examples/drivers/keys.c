/*
 * keys.c — an example key driver (prefix KEY) for KEY0-KEY3 on GPN0-3 of an S3C6410 board: the
 * keys are EINT0-3, one interrupt group (EINT0_3, IRQ 0). Init asks the OAL for a SYSINTR for the
 * group's IRQ (KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR)), programs falling-edge triggers in
 * EINT0CON0, clears stale pending bits and unmasks the four EINTs; the IST reads EINT0PEND,
 * counts a press for each pending key, clears those bits (write 1 to clear) and calls
 * InterruptDone. IOCTL_KEY_COUNTS returns four DWORD counts. Deinit stops the IST, masks the
 * keys, InterruptDisable and IOCTL_HAL_RELEASE_SYSINTR. The DWORD context needs the identity
 * window.
 */
#include <windows.h>
#include <ceddk.h>
#include <nkintr.h>
#include <pkfuncs.h>
#include <winioctl.h>

#define IOCTL_KEY_COUNTS CTL_CODE(FILE_DEVICE_KEYBOARD, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

#define GPIO_PA     0x7F008000
#define IRQ_EINT0_3 0
#define KEYS        4

typedef struct {
    ULONG GPNCON, GPNDAT, GPNPUD;
} GPN_REGS; /* at 0x830 */

typedef struct {
    ULONG EINT0CON0, EINT0CON1, reserved[2], EINT0FLTCON[4], EINT0MASK, EINT0PEND;
} EINT_REGS; /* at 0x900 */

typedef struct {
    volatile BYTE *pGpio;
    volatile GPN_REGS *pGPN;
    volatile EINT_REGS *pEINT;
    DWORD dwSysIntr;
    HANDLE hEvent, hThread;
    volatile BOOL bStop;
    DWORD dwCount[KEYS];
} KEY_CONTEXT;

static DWORD WINAPI KEY_IST(LPVOID pv)
{
    KEY_CONTEXT *pDev = (KEY_CONTEXT *)pv;
    while (WaitForSingleObject(pDev->hEvent, INFINITE) == WAIT_OBJECT_0 && !pDev->bStop) {
        ULONG pend = pDev->pEINT->EINT0PEND & ((1u << KEYS) - 1);
        for (int k = 0; k < KEYS; k++)
            if (pend & (1u << k))
                pDev->dwCount[k]++;
        pDev->pEINT->EINT0PEND = pend; /* write 1 to clear just those */
        InterruptDone(pDev->dwSysIntr);
    }
    return 0;
}

DWORD KEY_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    UNREFERENCED_PARAMETER(pContext);
    UNREFERENCED_PARAMETER(lpvBusContext);
    KEY_CONTEXT *pDev = (KEY_CONTEXT *)LocalAlloc(LPTR, sizeof(KEY_CONTEXT));
    if (!pDev)
        return 0;
    DWORD irq = IRQ_EINT0_3;
    PHYSICAL_ADDRESS pa = {GPIO_PA, 0};
    pDev->pGpio = (volatile BYTE *)MmMapIoSpace(pa, 0x1000, FALSE);
    if (!pDev->pGpio || !KernelIoControl(IOCTL_HAL_REQUEST_SYSINTR, &irq, sizeof(irq),
                                         &pDev->dwSysIntr, sizeof(DWORD), NULL)) {
        if (pDev->pGpio)
            MmUnmapIoSpace((PVOID)pDev->pGpio, 0x1000);
        LocalFree(pDev);
        return 0;
    }
    pDev->pGPN = (volatile GPN_REGS *)(pDev->pGpio + 0x830);
    pDev->pEINT = (volatile EINT_REGS *)(pDev->pGpio + 0x900);
    pDev->pGPN->GPNCON = (pDev->pGPN->GPNCON & ~0xFFu) | 0xAA;         /* GPN0-3: EINT function */
    pDev->pEINT->EINT0CON0 = (pDev->pEINT->EINT0CON0 & ~0x77u) | 0x22; /* falling edges */
    pDev->pEINT->EINT0PEND = (1u << KEYS) - 1;
    pDev->pEINT->EINT0MASK &= ~((1u << KEYS) - 1);
    pDev->hEvent = CreateEvent(NULL, FALSE, FALSE, NULL);
    if (!InterruptInitialize(pDev->dwSysIntr, pDev->hEvent, NULL, 0) ||
        !(pDev->hThread = CreateThread(NULL, 0, KEY_IST, pDev, 0, NULL))) {
        InterruptDisable(pDev->dwSysIntr);
        KernelIoControl(IOCTL_HAL_RELEASE_SYSINTR, &pDev->dwSysIntr, sizeof(DWORD), NULL, 0, NULL);
        CloseHandle(pDev->hEvent);
        MmUnmapIoSpace((PVOID)pDev->pGpio, 0x1000);
        LocalFree(pDev);
        return 0;
    }
    return (DWORD)pDev;
}

BOOL KEY_Deinit(DWORD hDeviceContext)
{
    KEY_CONTEXT *pDev = (KEY_CONTEXT *)hDeviceContext;
    pDev->bStop = TRUE;
    SetEvent(pDev->hEvent);
    WaitForSingleObject(pDev->hThread, INFINITE);
    CloseHandle(pDev->hThread);
    pDev->pEINT->EINT0MASK |= (1u << KEYS) - 1;
    InterruptDisable(pDev->dwSysIntr);
    KernelIoControl(IOCTL_HAL_RELEASE_SYSINTR, &pDev->dwSysIntr, sizeof(DWORD), NULL, 0, NULL);
    CloseHandle(pDev->hEvent);
    MmUnmapIoSpace((PVOID)pDev->pGpio, 0x1000);
    LocalFree(pDev);
    return TRUE;
}

DWORD KEY_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    UNREFERENCED_PARAMETER(AccessCode);
    UNREFERENCED_PARAMETER(ShareMode);
    return hDeviceContext;
}

BOOL KEY_Close(DWORD hOpenContext)
{
    return hOpenContext != 0;
}

BOOL KEY_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    UNREFERENCED_PARAMETER(pBufIn);
    UNREFERENCED_PARAMETER(dwLenIn);
    KEY_CONTEXT *pDev = (KEY_CONTEXT *)hOpenContext;
    if (dwCode != IOCTL_KEY_COUNTS || !pBufOut || dwLenOut < sizeof(pDev->dwCount)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    memcpy(pBufOut, pDev->dwCount, sizeof(pDev->dwCount));
    if (pdwActualOut)
        *pdwActualOut = sizeof(pDev->dwCount);
    return TRUE;
}
