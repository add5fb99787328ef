/*
 * ddkmacro.h (cevm CE compatibility) — the register and port accessors
 * (READ/WRITE_REGISTER_*, READ/WRITE_PORT_*), which cevm declares in ceddk.h.
 */
#ifndef CEVM_CE_DDKMACRO_H
#define CEVM_CE_DDKMACRO_H

#include "ceddk.h"

#endif
