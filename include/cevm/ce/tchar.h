/*
 * tchar.h (cevm CE compatibility) — generic-text names. CE is Unicode-only: TCHAR is WCHAR and
 * _T("x") / __T("x") are 16-bit literals (cevm-ce compiles with -fshort-wchar).
 */
#ifndef CEVM_CE_TCHAR_H
#define CEVM_CE_TCHAR_H

#include "winnt.h"
#include "wcrt.h"

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

/* The generic-text functions are the 16-bit ones (wcrt.h). */
#define _tcslen      wcslen
#define _tcsnlen     wcsnlen
#define _tcscpy      wcscpy
#define _tcsncpy     wcsncpy
#define _tcscat      wcscat
#define _tcsncat     wcsncat
#define _tcscmp      wcscmp
#define _tcsncmp     wcsncmp
#define _tcsicmp     _wcsicmp
#define _tcsnicmp    _wcsnicmp
#define _tcschr      wcschr
#define _tcsrchr     wcsrchr
#define _tcsstr      wcsstr
#define _tcspbrk     wcspbrk
#define _tcsspn      wcsspn
#define _tcscspn     wcscspn
#define _tcstok      wcstok
#define _tcsdup      _wcsdup
#define _tcslwr      _wcslwr
#define _tcsupr      _wcsupr
#define _tcstol      wcstol
#define _tcstoul     wcstoul
#define _ttoi        _wtoi
#define _ttol        _wtol
#define _itot        _itow
#define _ltot        _ltow
#define _ultot       _ultow
#define _totlower    towlower
#define _totupper    towupper
#define _istspace    iswspace
#define _istdigit    iswdigit
#define _istxdigit   iswxdigit
#define _istalpha    iswalpha
#define _istalnum    iswalnum
#define _istupper    iswupper
#define _istlower    iswlower
#define _stprintf    swprintf
#define _stprintf_s  swprintf_s
#define _sntprintf_s _snwprintf_s
#define _tcscpy_s    wcscpy_s
#define _tcsncpy_s   wcsncpy_s
#define _tcscat_s    wcscat_s
#define _tprintf     wprintf
#define _ftprintf    fwprintf
#define _vtprintf    vwprintf
#define _vftprintf   vfwprintf
#define _vstprintf   vswprintf
#define _sntprintf   _snwprintf
#define _vsntprintf  _vsnwprintf

#endif
