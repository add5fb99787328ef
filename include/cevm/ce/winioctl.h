/*
 * winioctl.h (cevm CE compatibility) — I/O control codes: CTL_CODE and its fields
 * (dev << 16 | access << 14 | function << 2 | method, spec §2.3).
 */
#ifndef CEVM_CE_WINIOCTL_H
#define CEVM_CE_WINIOCTL_H

#define CTL_CODE(DeviceType, Function, Method, Access)                                             \
    (((DeviceType) << 16) | ((Access) << 14) | ((Function) << 2) | (Method))

#define METHOD_BUFFERED   0
#define METHOD_IN_DIRECT  1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER    3

#define FILE_ANY_ACCESS     0
#define FILE_READ_ACCESS    0x0001
#define FILE_WRITE_ACCESS   0x0002
#define FILE_SPECIAL_ACCESS FILE_ANY_ACCESS

#define FILE_DEVICE_CONTROLLER  0x00000004
#define FILE_DEVICE_SERIAL_PORT 0x0000001b
#define FILE_DEVICE_UNKNOWN     0x00000022
#define FILE_DEVICE_HAL         0x00000101

#define IOCTL_HAL_REQUEST_SYSINTR   CTL_CODE(FILE_DEVICE_HAL, 38, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_HAL_RELEASE_SYSINTR   CTL_CODE(FILE_DEVICE_HAL, 54, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_HAL_REQUEST_IRQ       CTL_CODE(FILE_DEVICE_HAL, 36, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_PROCESSOR_INFORMATION CTL_CODE(FILE_DEVICE_HAL, 25, METHOD_BUFFERED, FILE_ANY_ACCESS)

#endif
