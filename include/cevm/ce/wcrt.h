/*
 * wcrt.h (cevm CE compatibility) — the C library's 16-bit text functions as CE code calls them:
 * the wcs* family, _wcsicmp, _wtoi, wcstol, towlower, swprintf (CE's form, without a count),
 * _snwprintf, wsprintf, and the conversions to and from 8-bit text.
 *
 * CE's wchar_t is 16-bit (cevm-ce compiles with -fshort-wchar) but the host C library's wcs*
 * functions read 32-bit units. When wchar_t is 16-bit, this header (through windows.h, tchar.h
 * and strsafe.h) sends each of those names to cevm's 16-bit implementation, so wcscpy(name,
 * L"COM1:") works as on CE. The C library's <wchar.h> is included first, so including it again
 * later changes nothing. Behaviour follows the Microsoft CRT: swprintf(buf, fmt, ...) has no
 * count; _snwprintf returns -1 when the output does not fit (and then does not terminate it);
 * %s in a wide format is 16-bit text and %S 8-bit.
 */
#ifndef CEVM_CE_WCRT_H
#define CEVM_CE_WCRT_H

#include <stdarg.h>
#include <stddef.h>
#include <wchar.h>
#include <wctype.h>

#include "winnt.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CEVM_CE_API
#define CEVM_CE_API __attribute__((visibility("default")))
#endif

CEVM_CE_API size_t cevm_wcslen(const WCHAR *s);
CEVM_CE_API size_t cevm_wcsnlen(const WCHAR *s, size_t max);
CEVM_CE_API WCHAR *cevm_wcscpy(WCHAR *d, const WCHAR *s);
CEVM_CE_API WCHAR *cevm_wcsncpy(WCHAR *d, const WCHAR *s, size_t n);
CEVM_CE_API WCHAR *cevm_wcscat(WCHAR *d, const WCHAR *s);
CEVM_CE_API WCHAR *cevm_wcsncat(WCHAR *d, const WCHAR *s, size_t n);
CEVM_CE_API int cevm_wcscmp(const WCHAR *a, const WCHAR *b);
CEVM_CE_API int cevm_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n);
CEVM_CE_API int cevm_wcsicmp(const WCHAR *a, const WCHAR *b);
CEVM_CE_API int cevm_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n);
CEVM_CE_API WCHAR *cevm_wcschr(const WCHAR *s, WCHAR c);
CEVM_CE_API WCHAR *cevm_wcsrchr(const WCHAR *s, WCHAR c);
CEVM_CE_API WCHAR *cevm_wcsstr(const WCHAR *s, const WCHAR *sub);
CEVM_CE_API WCHAR *cevm_wcspbrk(const WCHAR *s, const WCHAR *set);
CEVM_CE_API size_t cevm_wcsspn(const WCHAR *s, const WCHAR *set);
CEVM_CE_API size_t cevm_wcscspn(const WCHAR *s, const WCHAR *set);
CEVM_CE_API WCHAR *cevm_wcstok(WCHAR *s, const WCHAR *delim);
CEVM_CE_API WCHAR *cevm_wcsdup(const WCHAR *s);
CEVM_CE_API WCHAR *cevm_wcslwr(WCHAR *s);
CEVM_CE_API WCHAR *cevm_wcsupr(WCHAR *s);
CEVM_CE_API long cevm_wcstol(const WCHAR *s, WCHAR **end, int base);
CEVM_CE_API unsigned long cevm_wcstoul(const WCHAR *s, WCHAR **end, int base);
CEVM_CE_API int cevm_wtoi(const WCHAR *s);
CEVM_CE_API long cevm_wtol(const WCHAR *s);
CEVM_CE_API WCHAR *cevm_itow(int v, WCHAR *buf, int radix);
CEVM_CE_API WCHAR *cevm_ltow(long v, WCHAR *buf, int radix);
CEVM_CE_API WCHAR *cevm_ultow(unsigned long v, WCHAR *buf, int radix);
CEVM_CE_API WCHAR cevm_towlower(WCHAR c);
CEVM_CE_API WCHAR cevm_towupper(WCHAR c);
CEVM_CE_API int cevm_iswspace(WCHAR c);
CEVM_CE_API int cevm_iswdigit(WCHAR c);
CEVM_CE_API int cevm_iswxdigit(WCHAR c);
CEVM_CE_API int cevm_iswalpha(WCHAR c);
CEVM_CE_API int cevm_iswalnum(WCHAR c);
CEVM_CE_API int cevm_iswupper(WCHAR c);
CEVM_CE_API int cevm_iswlower(WCHAR c);
CEVM_CE_API WCHAR *cevm_wmemcpy(WCHAR *d, const WCHAR *s, size_t n);
CEVM_CE_API WCHAR *cevm_wmemmove(WCHAR *d, const WCHAR *s, size_t n);
CEVM_CE_API WCHAR *cevm_wmemset(WCHAR *d, WCHAR c, size_t n);
CEVM_CE_API int cevm_wmemcmp(const WCHAR *a, const WCHAR *b, size_t n);
CEVM_CE_API WCHAR *cevm_wmemchr(const WCHAR *s, WCHAR c, size_t n);
/* CE's swprintf/vswprintf: no count (the caller's buffer is trusted). */
CEVM_CE_API int cevm_swprintf(WCHAR *buf, const WCHAR *fmt, ...);
CEVM_CE_API int cevm_vswprintf(WCHAR *buf, const WCHAR *fmt, va_list ap);
/* Return: characters written; -1 when more than count were needed (buf holds count units,
 * not terminated); count when exactly count (not terminated), as the Microsoft CRT. */
CEVM_CE_API int cevm_snwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, ...);
CEVM_CE_API int cevm_vsnwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap);
/* wsprintfW: at most 1024 characters, like Windows. */
CEVM_CE_API int wsprintfW(LPWSTR buf, LPCWSTR fmt, ...);
CEVM_CE_API int wvsprintfW(LPWSTR buf, LPCWSTR fmt, va_list ap);
/* 8-bit text is taken as UTF-8 (ASCII is the same on every CE code page). */
CEVM_CE_API size_t cevm_wcstombs(char *d, const WCHAR *s, size_t n);
CEVM_CE_API size_t cevm_mbstowcs(WCHAR *d, const char *s, size_t n);

#define wsprintf  wsprintfW
#define wvsprintf wvsprintfW

#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
#define wcslen      cevm_wcslen
#define wcsnlen     cevm_wcsnlen
#define wcscpy      cevm_wcscpy
#define wcsncpy     cevm_wcsncpy
#define wcscat      cevm_wcscat
#define wcsncat     cevm_wcsncat
#define wcscmp      cevm_wcscmp
#define wcsncmp     cevm_wcsncmp
#define _wcsicmp    cevm_wcsicmp
#define wcsicmp     cevm_wcsicmp
#define _wcsnicmp   cevm_wcsnicmp
#define wcsnicmp    cevm_wcsnicmp
#define wcschr      cevm_wcschr
#define wcsrchr     cevm_wcsrchr
#define wcsstr      cevm_wcsstr
#define wcspbrk     cevm_wcspbrk
#define wcsspn      cevm_wcsspn
#define wcscspn     cevm_wcscspn
#define wcstok      cevm_wcstok
#define _wcsdup     cevm_wcsdup
#define wcsdup      cevm_wcsdup
#define _wcslwr     cevm_wcslwr
#define _wcsupr     cevm_wcsupr
#define wcstol      cevm_wcstol
#define wcstoul     cevm_wcstoul
#define _wtoi       cevm_wtoi
#define _wtol       cevm_wtol
#define _itow       cevm_itow
#define _ltow       cevm_ltow
#define _ultow      cevm_ultow
#define towlower    cevm_towlower
#define towupper    cevm_towupper
#define iswspace    cevm_iswspace
#define iswdigit    cevm_iswdigit
#define iswxdigit   cevm_iswxdigit
#define iswalpha    cevm_iswalpha
#define iswalnum    cevm_iswalnum
#define iswupper    cevm_iswupper
#define iswlower    cevm_iswlower
#define wmemcpy     cevm_wmemcpy
#define wmemmove    cevm_wmemmove
#define wmemset     cevm_wmemset
#define wmemcmp     cevm_wmemcmp
#define wmemchr     cevm_wmemchr
#define swprintf    cevm_swprintf
#define vswprintf   cevm_vswprintf
#define _snwprintf  cevm_snwprintf
#define _vsnwprintf cevm_vsnwprintf
#define wcstombs    cevm_wcstombs
#define mbstowcs    cevm_mbstowcs
#endif

#ifdef __cplusplus
}
#endif

#endif
