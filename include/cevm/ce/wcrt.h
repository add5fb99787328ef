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

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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

/* Formatted 16-bit output to a stream (written as UTF-8). Return: characters, or -1. */
CEVM_CE_API int cevm_wprintf(const WCHAR *fmt, ...);
CEVM_CE_API int cevm_vwprintf(const WCHAR *fmt, va_list ap);
CEVM_CE_API int cevm_fwprintf(FILE *f, const WCHAR *fmt, ...);
CEVM_CE_API int cevm_vfwprintf(FILE *f, const WCHAR *fmt, va_list ap);

/* The Windows string calls (lstr*) and the secure CRT (_s) forms CE 6 code uses. The _s forms
 * return 0, EINVAL (a NULL pointer or a zero size) or ERANGE (does not fit: the destination is
 * emptied); they do not call an invalid-parameter handler. */
CEVM_CE_API int WINAPI lstrlenW(LPCWSTR s);
CEVM_CE_API LPWSTR WINAPI lstrcpyW(LPWSTR d, LPCWSTR s);
CEVM_CE_API LPWSTR WINAPI lstrcpynW(LPWSTR d, LPCWSTR s, int n);
CEVM_CE_API LPWSTR WINAPI lstrcatW(LPWSTR d, LPCWSTR s);
CEVM_CE_API int WINAPI lstrcmpW(LPCWSTR a, LPCWSTR b);
CEVM_CE_API int WINAPI lstrcmpiW(LPCWSTR a, LPCWSTR b);
#define lstrlen  lstrlenW
#define lstrcpy  lstrcpyW
#define lstrcpyn lstrcpynW
#define lstrcat  lstrcatW
#define lstrcmp  lstrcmpW
#define lstrcmpi lstrcmpiW

typedef int errno_t;
#ifndef _TRUNCATE
#define _TRUNCATE ((size_t)-1)
#endif
CEVM_CE_API errno_t wcscpy_s(WCHAR *d, size_t n, const WCHAR *s);
CEVM_CE_API errno_t wcsncpy_s(WCHAR *d, size_t n, const WCHAR *s, size_t count);
CEVM_CE_API errno_t wcscat_s(WCHAR *d, size_t n, const WCHAR *s);
CEVM_CE_API int swprintf_s(WCHAR *d, size_t n, const WCHAR *fmt, ...);
CEVM_CE_API int _snwprintf_s(WCHAR *d, size_t n, size_t count, const WCHAR *fmt, ...);
CEVM_CE_API errno_t strcpy_s(char *d, size_t n, const char *s);
CEVM_CE_API errno_t strncpy_s(char *d, size_t n, const char *s, size_t count);
CEVM_CE_API errno_t strcat_s(char *d, size_t n, const char *s);
CEVM_CE_API int sprintf_s(char *d, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
CEVM_CE_API errno_t memcpy_s(void *d, size_t n, const void *s, size_t count);
CEVM_CE_API errno_t memmove_s(void *d, size_t n, const void *s, size_t count);
/* The Microsoft CRT's 8-bit extras: _snprintf returns -1 (and does not terminate) when the
 * output does not fit. */
CEVM_CE_API int _snprintf(char *d, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
CEVM_CE_API int _vsnprintf(char *d, size_t n, const char *fmt, va_list ap);
CEVM_CE_API char *_itoa(int v, char *buf, int radix);
CEVM_CE_API char *_ltoa(long v, char *buf, int radix);
CEVM_CE_API char *_ultoa(unsigned long v, char *buf, int radix);
#define _stricmp  strcasecmp
#define _strnicmp strncasecmp
#define _strdup   strdup
/* POSIX names CE code uses as C library calls (hidden by a strict -std=c11 otherwise). */
char *strdup(const char *s);
int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);

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
#define wprintf     cevm_wprintf
#define vwprintf    cevm_vwprintf
#define fwprintf    cevm_fwprintf
#define vfwprintf   cevm_vfwprintf
#endif

#ifdef __cplusplus
}
#endif

#endif
