/*
 * windows.h (cevm CE compatibility) — the umbrella header CE code includes. It brings in the
 * types (winnt.h), error codes (winerror.h) and kernel calls (winbase.h) cevm provides.
 * Build CE code with `pkg-config --cflags --libs cevm-ce`.
 */
#ifndef CEVM_CE_WINDOWS_H
#define CEVM_CE_WINDOWS_H

#include "winnt.h"
#include "winerror.h"
#include "winbase.h"
#include "winreg.h"
#include "dbgapi.h"

#endif
