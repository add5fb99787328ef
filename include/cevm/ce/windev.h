/*
 * windev.h (cevm CE compatibility) — the device manager's calls and structures drivers and
 * applications use: ActivateDeviceEx, DeactivateDevice, RegisterDevice, DeregisterDevice,
 * GetDeviceInformationByDeviceHandle, DEVMGR_DEVICE_INFORMATION, and the DEVFLAGS_* bits of a
 * driver's Flags value.
 *
 * The device manager is cevm's driver/devmgr.c (docs/porting.md, "A board's driver set").
 * RegisterDevice and DeregisterDevice are obsolete since CE 6 but provided.
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
#define DEVFLAGS_LOAD_AS_USERPROC  0x00000010
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

/* A value ActivateDeviceEx writes into the Active key before XXX_Init (a bus driver's). */
typedef struct _REGINI {
    LPCWSTR lpszVal;
    const BYTE *pData;
    DWORD dwLen;
    DWORD dwType;
} REGINI, *PREGINI;
typedef const REGINI *LPCREGINI;

/* Load the driver of device key lpszDevKey (below HKEY_LOCAL_MACHINE: Dll, Prefix, Index,
 * Flags ...): create its Drivers\\Active\\NN key (Key, Name, Hnd, and the REGINI values of
 * lpRegEnts), call XXX_Init(active key path, lpvParam) and publish its name. Return: the device
 * handle for DeactivateDevice, or failure — NULL on CE 6+, INVALID_HANDLE_VALUE on CE 5 — with
 * 2 (no such key), 87 (no Prefix or Dll, a bad prefix), 2404 (the name is taken), 50 (Flags has
 * DEVFLAGS_NOLOAD), 126 (the library does not load or lacks XXX_Init/XXX_Deinit) or the error
 * XXX_Init left (31 when it left none). */
CEVM_CE_API HANDLE WINAPI ActivateDeviceEx(LPCWSTR lpszDevKey, LPCREGINI lpRegEnts, DWORD cRegEnts,
                                           LPVOID lpvParam);
CEVM_CE_API HANDLE WINAPI ActivateDevice(LPCWSTR lpszDevKey, DWORD dwClientInfo);
/* Close the device's open handles (XXX_Close), call XXX_Deinit, unload it and remove its Active
 * key. Return: TRUE, or FALSE with 6 (not a device handle). */
CEVM_CE_API BOOL WINAPI DeactivateDevice(HANDLE hDevice);

/* Load library lpszLib as device lpszType + dwIndex ("COM" 2 -> COM2:) without a device key:
 * XXX_Init receives dwInfo; the Active key has Name and Hnd only. Obsolete since CE 6 (use
 * ActivateDeviceEx), still provided. Return: the device handle, or 0 (every version) with 87
 * (a prefix that is not 3 characters, an index above 9, NULL strings), 2404 (the name is
 * taken), 126 (the library does not load or lacks XXX_Init/XXX_Deinit), or Init's error. */
CEVM_CE_API HANDLE WINAPI RegisterDevice(LPCWSTR lpszType, DWORD dwIndex, LPCWSTR lpszLib,
                                         DWORD dwInfo);
/* DeactivateDevice for a RegisterDevice device. Return: as DeactivateDevice. */
CEVM_CE_API BOOL WINAPI DeregisterDevice(HANDLE hDevice);
/* Describe an active device: legacy name "COM1:", device key, "$device\\COM1", no bus.
 * Return: TRUE, or FALSE with 87 (NULL, wrong dwSize) or 6 (not a device handle). */
CEVM_CE_API BOOL WINAPI GetDeviceInformationByDeviceHandle(HANDLE hDevice,
                                                           PDEVMGR_DEVICE_INFORMATION pdi);

#ifdef __cplusplus
}
#endif

#endif
