/*
 * ddkreg.h (cevm CE compatibility) — device resources from the registry (spec §12).
 */
#ifndef CEVM_CE_DDKREG_H
#define CEVM_CE_DDKREG_H

#include "winreg.h"
#include "devload.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_DEVICE_WINDOWS 6

typedef struct _DEVICEWINDOW {
    DWORD dwBase;
    DWORD dwLen;
} DEVICEWINDOW, *PDEVICEWINDOW;

typedef struct _DDKWINDOWINFO {
    DWORD cbSize;
    DWORD dwBusNumber;
    DWORD dwInterfaceType;
    DWORD dwNumIoWindows;
    DEVICEWINDOW ioWindows[MAX_DEVICE_WINDOWS];
    DWORD dwNumMemWindows;
    DEVICEWINDOW memWindows[MAX_DEVICE_WINDOWS];
} DDKWINDOWINFO, *PDDKWINDOWINFO;

/*
 * Read a device's bus and its I/O and memory windows from key hk: "InterfaceType" and
 * "BusNumber" (REG_DWORD; defaults -1 and 0), and the pairs "IoBase"/"IoLen" and
 * "MemBase"/"MemLen" — both REG_DWORD (one window) or both REG_MULTI_SZ of hex numbers with
 * equal counts (up to 6 windows), or both absent (none).
 * Return: ERROR_SUCCESS; ERROR_INVALID_PARAMETER (NULL key or info, wrong cbSize);
 * ERROR_INVALID_DATA (wrong types, mismatched pairs or counts, bad hex, more than 6).
 */
CEVM_CE_API DWORD DDKReg_GetWindowInfo(HKEY hk, PDDKWINDOWINFO pWinInfo);

typedef struct _DDKISRINFO_tag {
    DWORD cbSize;
    DWORD dwIrq;
    DWORD dwSysintr;
    WCHAR szIsrDll[DEVDLL_LEN];
    WCHAR szIsrHandler[DEVENTRY_LEN];
} DDKISRINFO, *PDDKISRINFO;

/*
 * Read a device's interrupt settings from key hk: "Irq" (REG_DWORD, default IRQ_UNSPECIFIED),
 * "SysIntr" (REG_DWORD, default SYSINTR_NOP), "IsrDll" and "IsrHandler" (REG_SZ, default
 * empty); an IsrDll needs an IsrHandler and an Irq.
 * Return: ERROR_SUCCESS; ERROR_INVALID_PARAMETER (NULL key or info, wrong cbSize);
 * ERROR_INVALID_DATA (a wrong type, a string too long, an IsrDll without IsrHandler or Irq).
 */
CEVM_CE_API DWORD DDKReg_GetIsrInfo(HKEY hk, PDDKISRINFO pIsrInfo);

#ifdef __cplusplus
}
#endif
#endif
