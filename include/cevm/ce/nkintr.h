/*
 * nkintr.h (cevm CE compatibility) — interrupt identifiers (spec §2.3; driver-runtime §3.2) and
 * the OAL_INTR_* flags of IOCTL_HAL_REQUEST_SYSINTR's extended form. Delivery: docs/devices.md.
 */
#ifndef CEVM_CE_NKINTR_H
#define CEVM_CE_NKINTR_H

#define SYSINTR_UNDEFINED      0xFFFFFFFF
#define SYSINTR_NOP            0
#define SYSINTR_RESCHED        1
#define SYSINTR_BREAK          2
#define SYSINTR_CHAIN          3
#define SYSINTR_IPI            4
#define SYSINTR_DEVICES        8
#define SYSINTR_PROFILE        (SYSINTR_DEVICES + 1)
#define SYSINTR_TIMING         (SYSINTR_DEVICES + 2)
#define SYSINTR_RTC_ALARM      13
#define SYSINTR_NETWORK_SHARED 14
#define SYSINTR_VMINI          15
#define SYSINTR_FIRMWARE       16

/* Device SYSINTRs are SYSINTR_DEVICES <= id < SYSINTR_MAXIMUM: 40 on CE 5, 72 on CE 6 and later. */
#if defined(_WIN32_WCE) && _WIN32_WCE >= 0x600
#define SYSINTR_MAX_DEVICES 64
#else
#define SYSINTR_MAX_DEVICES 32
#endif
#define SYSINTR_MAXIMUM (SYSINTR_DEVICES + SYSINTR_MAX_DEVICES)

/* IOCTL_HAL_REQUEST_SYSINTR's extended input {0xFFFFFFFF, flags, IRQ}. */
#define OAL_INTR_DYNAMIC      0x1 /* always a new SYSINTR */
#define OAL_INTR_STATIC       0x2 /* a new one, recorded as the IRQ's; fails if one is recorded */
#define OAL_INTR_FORCE_STATIC 0x4 /* a new one, recorded over any existing mapping */
#define OAL_INTR_TRANSLATE    0x8 /* the recorded mapping (IOCTL_HAL_TRANSLATE_IRQ) */

#define IRQ_UNSPECIFIED 0xFFFFFFFF

#endif
