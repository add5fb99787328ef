/*
 * oal_io.h (cevm CE compatibility) — the register macros BSPs layer over the CEDDK accessors:
 * INREG/OUTREG (8, 16, 32), SETREG/CLRREG/MASKREG, and the bit-field helpers CSP_BITFMASK,
 * CSP_BITFVAL, INSREG32, INSREG32BF, EXTREG32BF. Each expands to READ/WRITE_REGISTER_* calls,
 * so on cevm every one reaches the device model with exact width (docs/devices.md).
 */
#ifndef CEVM_CE_OAL_IO_H
#define CEVM_CE_OAL_IO_H

#include "ceddk.h"

#define INREG8(x)         READ_REGISTER_UCHAR((volatile UCHAR *)(x))
#define OUTREG8(x, y)     WRITE_REGISTER_UCHAR((volatile UCHAR *)(x), (UCHAR)(y))
#define SETREG8(x, y)     OUTREG8(x, INREG8(x) | (y))
#define CLRREG8(x, y)     OUTREG8(x, INREG8(x) & ~(y))
#define MASKREG8(x, m, v) OUTREG8(x, (INREG8(x) & ~(m)) | ((v) & (m)))

#define INREG16(x)         READ_REGISTER_USHORT((volatile USHORT *)(x))
#define OUTREG16(x, y)     WRITE_REGISTER_USHORT((volatile USHORT *)(x), (USHORT)(y))
#define SETREG16(x, y)     OUTREG16(x, INREG16(x) | (y))
#define CLRREG16(x, y)     OUTREG16(x, INREG16(x) & ~(y))
#define MASKREG16(x, m, v) OUTREG16(x, (INREG16(x) & ~(m)) | ((v) & (m)))

#define INREG32(x)         READ_REGISTER_ULONG((volatile ULONG *)(x))
#define OUTREG32(x, y)     WRITE_REGISTER_ULONG((volatile ULONG *)(x), (ULONG)(y))
#define SETREG32(x, y)     OUTREG32(x, INREG32(x) | (y))
#define CLRREG32(x, y)     OUTREG32(x, INREG32(x) & ~(y))
#define MASKREG32(x, m, v) OUTREG32(x, (INREG32(x) & ~(m)) | ((v) & (m)))

/* Bit fields: a field is named by NAME_LSH (its lowest bit) and NAME_WID (its width). */
#define CSP_BITFMASK(bit)          (((1U << (bit##_WID)) - 1) << (bit##_LSH))
#define CSP_BITFVAL(bit, val)      (((ULONG)(val) << (bit##_LSH)) & CSP_BITFMASK(bit))
#define INSREG32(addr, mask, val)  OUTREG32(addr, (INREG32(addr) & ~(mask)) | (val))
#define INSREG32BF(addr, bit, val) INSREG32(addr, CSP_BITFMASK(bit), CSP_BITFVAL(bit, val))
#define EXTREG32BF(addr, bit)      ((INREG32(addr) & CSP_BITFMASK(bit)) >> (bit##_LSH))

#endif
