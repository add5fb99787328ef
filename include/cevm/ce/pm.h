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

#endif
