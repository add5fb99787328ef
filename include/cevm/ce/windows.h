/*
 * windows.h (cevm CE compatibility) — the umbrella header CE code includes. It brings in the
 * types (winnt.h, windef.h), error codes (winerror.h), kernel calls (winbase.h), generic text
 * (tchar.h: CE's windows.h brings _T), the registry and debug zones, and the C headers CE's
 * windows.h makes visible (string.h, stdlib.h, ctype.h, stdarg.h: drivers call memset and
 * friends without including them). With WINCEOEM defined (cevm-ce defines it, as every BSP build
 * does) the OEM calls of pkfuncs.h are visible too. Build CE code with
 * `pkg-config --cflags --libs cevm-ce`.
 */
#ifndef CEVM_CE_WINDOWS_H
#define CEVM_CE_WINDOWS_H

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "winnt.h"
#include "windef.h"
#include "winerror.h"
#include "winbase.h"
#include "kfuncs.h"
#include "excpt.h"
#include "wcrt.h"
#include "tchar.h"
#include "winreg.h"
#include "dbgapi.h"
#ifdef WINCEOEM
#include "pkfuncs.h"
#endif

#endif
