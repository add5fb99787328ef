/*
 * tchar.h (cevm CE compatibility) — generic-text names. CE is Unicode-only: TCHAR is WCHAR and
 * _T("x") / __T("x") are 16-bit literals (cevm-ce compiles with -fshort-wchar).
 */
#ifndef CEVM_CE_TCHAR_H
#define CEVM_CE_TCHAR_H

#include "winnt.h"

typedef WCHAR _TCHAR, _TSCHAR, _TUCHAR;

#ifndef __T
#define __T(x) __TEXT(x)
#endif
#ifndef _T
#define _T(x) __T(x)
#endif
#ifndef _TEXT
#define _TEXT(x) __T(x)
#endif

#endif
