/*
 * pm.h (cevm CE compatibility) — the power manager's device interface (spec driver-runtime
 * §1.4): device power states, POWER_CAPABILITIES, POWER_RELATIONSHIP and the IOCTL_POWER_*
 * codes a driver answers. The requested power state travels in the output buffer of
 * IOCTL_POWER_SET. ceddk.h includes this header, as CE's does.
 */
#ifndef CEVM_CE_PM_H
#define CEVM_CE_PM_H

#include "winioctl.h"
#include "winnt.h"

typedef enum _CEDEVICE_POWER_STATE {
    PwrDeviceUnspecified = -1,
    D0 = 0, /* full on */
    D1,
    D2,
    D3,
    D4, /* off */
    PwrDeviceMaximum
} CEDEVICE_POWER_STATE,
    *PCEDEVICE_POWER_STATE;

/* A state's bit in POWER_CAPABILITIES' masks, and whether a value is a real state. */
#define DX_MASK(d)  (1 << (d))
#define VALID_DX(d) ((d) > PwrDeviceUnspecified && (d) < PwrDeviceMaximum)

typedef struct _POWER_CAPABILITIES {
    UCHAR DeviceDx;   /* supported states, bit n = Dn */
    UCHAR WakeFromDx; /* states the device can wake the system from */
    UCHAR InrushDx;   /* states with inrush current */
    DWORD Power[5];   /* mW drawn in each state */
    DWORD Latency[5]; /* ms back to D0 from each state */
    DWORD Flags;
} POWER_CAPABILITIES, *PPOWER_CAPABILITIES;

typedef struct _POWER_RELATIONSHIP {
    HANDLE hParent;
    LPCWSTR pwsParent;
    HANDLE hChild;
    LPCWSTR pwsChild;
} POWER_RELATIONSHIP, *PPOWER_RELATIONSHIP;

#ifndef FILE_DEVICE_POWER
#define FILE_DEVICE_POWER 0x00000032 /* = FILE_DEVICE_ACPI */
#endif

#define IOCTL_POWER_CAPABILITIES                                                                   \
    CTL_CODE(FILE_DEVICE_POWER, 0x400, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_POWER_GET   CTL_CODE(FILE_DEVICE_POWER, 0x401, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_POWER_SET   CTL_CODE(FILE_DEVICE_POWER, 0x402, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_POWER_QUERY CTL_CODE(FILE_DEVICE_POWER, 0x403, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_REGISTER_POWER_RELATIONSHIP                                                          \
    CTL_CODE(FILE_DEVICE_POWER, 0x406, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* ---- power notifications and requests (the power manager's application side) ------------ */

#define PBT_TRANSITION        0x00000001 /* system power state transition */
#define PBT_RESUME            0x00000002 /* resume; names the previous state */
#define PBT_POWERSTATUSCHANGE 0x00000004 /* AC/DC switch */
#define PBT_POWERINFOCHANGE   0x00000008 /* a battery status field changed */
#define POWER_NOTIFY_ALL      0xFFFFFFFF

#define POWER_STATE_ON          0x00010000
#define POWER_STATE_OFF         0x00020000
#define POWER_STATE_CRITICAL    0x00040000
#define POWER_STATE_BOOT        0x00080000
#define POWER_STATE_IDLE        0x00100000
#define POWER_STATE_SUSPEND     0x00200000
#define POWER_STATE_UNATTENDED  0x00400000
#define POWER_STATE_RESET       0x00800000
#define POWER_STATE_USERIDLE    0x01000000
#define POWER_STATE_BACKLIGHTON 0x02000000

#define POWER_NAME  0x00000001 /* pvDevice is a device name */
#define POWER_FORCE 0x00001000

/* One notification in a message queue: SystemPowerState holds Length bytes of the state name. */
typedef struct _POWER_BROADCAST {
    DWORD Message; /* PBT_* */
    DWORD Flags;   /* POWER_STATE_* */
    DWORD Length;
    WCHAR SystemPowerState[1];
} POWER_BROADCAST, *PPOWER_BROADCAST;

#ifdef __cplusplus
extern "C" {
#endif
#ifndef CEVM_CE_API
#define CEVM_CE_API __attribute__((visibility("default")))
#endif

/* Deliver the PBT_* notifications in Flags to message queue hMsgQ (a write handle is opened on
 * it). Return: a notification handle, or NULL with 87 (not a message queue, Flags 0). The host
 * raises notifications with cevm_power_broadcast(). */
CEVM_CE_API HANDLE WINAPI RequestPowerNotifications(HANDLE hMsgQ, DWORD Flags);
CEVM_CE_API DWORD WINAPI StopPowerNotifications(HANDLE h);
/* Ask the power manager for a device state (DevicePowerNotify, from the driver) or set one
 * (SetDevicePower). cevm records each request (cevm_power_requests); there is no power manager
 * policy. Return: ERROR_SUCCESS, or 87 for a NULL device or an invalid state. */
CEVM_CE_API DWORD WINAPI DevicePowerNotify(PVOID pvDevice, CEDEVICE_POWER_STATE DeviceState,
                                           DWORD Flags);
CEVM_CE_API DWORD WINAPI SetDevicePower(PVOID pvDevice, DWORD dwDeviceFlags,
                                        CEDEVICE_POWER_STATE dwState);
/* The state last set for the device with SetDevicePower (D0 if none); for a device the device
 * manager hands to the power manager, the state its driver last entered. */
CEVM_CE_API DWORD WINAPI GetDevicePower(PVOID pvDevice, DWORD dwDeviceFlags,
                                        PCEDEVICE_POWER_STATE pDx);
/* Move the system to power state pwsSystemState ("On", "UserIdle", "SystemIdle", "Suspend" ...),
 * or, when it is NULL, the state StateFlags names (one POWER_STATE_* bit). Every power-managed
 * device without a SetDevicePower requirement gets IOCTL_POWER_SET with its level for the state
 * (HKLM\System\CurrentControlSet\Control\Power\State\<state>: a value named as the device,
 * else "Default"); PBT_TRANSITION goes to RequestPowerNotifications queues.
 * Return: ERROR_SUCCESS, or 87 (no name and no single known flag, or a name too long). */
CEVM_CE_API DWORD WINAPI SetSystemPowerState(LPCWSTR pwsSystemState, DWORD StateFlags,
                                             DWORD Options);
/* The current system power state's name into pBuffer (dwBufChars characters) and its
 * POWER_STATE_* flag into *pdwFlags. Return: ERROR_SUCCESS, 87 (NULL buffer with a size), or
 * ERROR_INSUFFICIENT_BUFFER. */
CEVM_CE_API DWORD WINAPI GetSystemPowerState(LPWSTR pBuffer, DWORD dwBufChars, PDWORD pdwFlags);

#ifdef __cplusplus
}
#endif

#endif
