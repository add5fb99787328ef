/*
 * windev.h (cevm CE compatibility) — the device manager's calls and structures drivers and
 * applications use: ActivateDeviceEx, DeactivateDevice, RegisterDevice, DeregisterDevice,
 * GetDeviceInformationByDeviceHandle, DEVMGR_DEVICE_INFORMATION, and the DEVFLAGS_* bits of a
 * driver's Flags value.
 *
 * The device manager itself is planned (docs/porting.md): these calls are declared so drivers
 * build; a driver that calls one fails to load with a report naming it as planned.
 */
#ifndef CEVM_CE_WINDEV_H
#define CEVM_CE_WINDEV_H

#include "windows.h"
#include "devload.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DEVFLAGS_NONE              0x00000000
#define DEVFLAGS_UNLOAD            0x00000001
#define DEVFLAGS_LOADLIBRARY       0x00000002
#define DEVFLAGS_NOLOAD            0x00000004
#define DEVFLAGS_NAKEDENTRIES      0x00000008
#define DEVFLAGS_BOOTPHASE_1       0x00001000
#define DEVFLAGS_IRQ_EXCLUSIVE     0x00000100
#define DEVFLAGS_TRUSTEDCALLERONLY 0x00010000

typedef struct _DEVMGR_DEVICE_INFORMATION {
    DWORD dwSize;
    HANDLE hDevice;
    HANDLE hParentDevice;
    WCHAR szLegacyName[6];
    WCHAR szDeviceKey[MAX_PATH];
    WCHAR szDeviceName[MAX_PATH];
    WCHAR szBusName[MAX_PATH];
} DEVMGR_DEVICE_INFORMATION, *PDEVMGR_DEVICE_INFORMATION;

typedef struct _REGINI {
    const BYTE *lpszVal;
    const BYTE *pData;
    DWORD dwLen;
    DWORD dwType;
} REGINI, *LPCREGINI;

CEVM_CE_API HANDLE WINAPI ActivateDeviceEx(LPCWSTR lpszDevKey, LPCREGINI lpReg, DWORD cReg,
                                           LPVOID lpvParam);
CEVM_CE_API HANDLE WINAPI ActivateDevice(LPCWSTR lpszDevKey, DWORD dwClientInfo);
CEVM_CE_API BOOL WINAPI DeactivateDevice(HANDLE hDevice);
CEVM_CE_API HANDLE WINAPI RegisterDevice(LPCWSTR lpszType, DWORD dwIndex, LPCWSTR lpszLib,
                                         DWORD dwInfo);
CEVM_CE_API BOOL WINAPI DeregisterDevice(HANDLE hDevice);
CEVM_CE_API BOOL WINAPI GetDeviceInformationByDeviceHandle(HANDLE hDevice,
                                                           PDEVMGR_DEVICE_INFORMATION pdi);

#ifdef __cplusplus
}
#endif

#endif
