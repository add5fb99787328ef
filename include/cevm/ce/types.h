/*
 * types.h (cevm CE compatibility) — CE's basic types header: the sized integer and pointer
 * types, which cevm keeps in winnt.h.
 */
#ifndef CEVM_CE_TYPES_H
#define CEVM_CE_TYPES_H

#include "winnt.h"

#endif
