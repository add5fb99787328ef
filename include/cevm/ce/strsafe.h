/*
 * strsafe.h (cevm CE compatibility) — the bounded string functions CE code uses: StringCch* (in
 * characters) and StringCb* (in bytes), Copy, CopyN, Cat, CatN, Printf, VPrintf and Length, in
 * 16-bit (W) and 8-bit (A) forms; the plain names are the W forms (CE is Unicode).
 *
 * As documented for strsafe: the destination is always terminated when its size is not zero;
 * output that does not fit is cut and STRSAFE_E_INSUFFICIENT_BUFFER returned; a size of zero or
 * above STRSAFE_MAX_CCH, or a destination that is not terminated within its size (Cat), is
 * STRSAFE_E_INVALID_PARAMETER; Length fails with STRSAFE_E_INVALID_PARAMETER when the string is
 * NULL or longer than the maximum, and then sets the length to 0.
 */
#ifndef CEVM_CE_STRSAFE_H
#define CEVM_CE_STRSAFE_H

#include <stdarg.h>

#include "winnt.h"
#include "windef.h"
#include "wcrt.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CEVM_CE_API
#define CEVM_CE_API __attribute__((visibility("default")))
#endif

#define STRSAFE_MAX_CCH               2147483647u
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007AL)
#define STRSAFE_E_INVALID_PARAMETER   ((HRESULT)0x80070057L)
#define STRSAFE_E_END_OF_FILE         ((HRESULT)0x80070026L)

typedef WCHAR *STRSAFE_LPWSTR;
typedef const WCHAR *STRSAFE_LPCWSTR;

CEVM_CE_API HRESULT StringCchCopyW(LPWSTR d, size_t cch, LPCWSTR s);
CEVM_CE_API HRESULT StringCchCopyA(LPSTR d, size_t cch, LPCSTR s);
CEVM_CE_API HRESULT StringCchCopyNW(LPWSTR d, size_t cch, LPCWSTR s, size_t n);
CEVM_CE_API HRESULT StringCchCopyNA(LPSTR d, size_t cch, LPCSTR s, size_t n);
CEVM_CE_API HRESULT StringCchCatW(LPWSTR d, size_t cch, LPCWSTR s);
CEVM_CE_API HRESULT StringCchCatA(LPSTR d, size_t cch, LPCSTR s);
CEVM_CE_API HRESULT StringCchCatNW(LPWSTR d, size_t cch, LPCWSTR s, size_t n);
CEVM_CE_API HRESULT StringCchCatNA(LPSTR d, size_t cch, LPCSTR s, size_t n);
CEVM_CE_API HRESULT StringCchVPrintfW(LPWSTR d, size_t cch, LPCWSTR fmt, va_list ap);
CEVM_CE_API HRESULT StringCchVPrintfA(LPSTR d, size_t cch, LPCSTR fmt, va_list ap);
CEVM_CE_API HRESULT StringCchPrintfW(LPWSTR d, size_t cch, LPCWSTR fmt, ...);
CEVM_CE_API HRESULT StringCchPrintfA(LPSTR d, size_t cch, LPCSTR fmt, ...)
    __attribute__((format(printf, 3, 4)));
CEVM_CE_API HRESULT StringCchLengthW(LPCWSTR s, size_t max, size_t *len);
CEVM_CE_API HRESULT StringCchLengthA(LPCSTR s, size_t max, size_t *len);
CEVM_CE_API HRESULT StringCbCopyW(LPWSTR d, size_t cb, LPCWSTR s);
CEVM_CE_API HRESULT StringCbCopyA(LPSTR d, size_t cb, LPCSTR s);
CEVM_CE_API HRESULT StringCbCopyNW(LPWSTR d, size_t cb, LPCWSTR s, size_t cbToCopy);
CEVM_CE_API HRESULT StringCbCatW(LPWSTR d, size_t cb, LPCWSTR s);
CEVM_CE_API HRESULT StringCbCatA(LPSTR d, size_t cb, LPCSTR s);
CEVM_CE_API HRESULT StringCbVPrintfW(LPWSTR d, size_t cb, LPCWSTR fmt, va_list ap);
CEVM_CE_API HRESULT StringCbPrintfW(LPWSTR d, size_t cb, LPCWSTR fmt, ...);
CEVM_CE_API HRESULT StringCbPrintfA(LPSTR d, size_t cb, LPCSTR fmt, ...)
    __attribute__((format(printf, 3, 4)));
CEVM_CE_API HRESULT StringCbLengthW(LPCWSTR s, size_t maxcb, size_t *cb);
CEVM_CE_API HRESULT StringCbLengthA(LPCSTR s, size_t maxcb, size_t *cb);

#define StringCchCopy    StringCchCopyW
#define StringCchCopyN   StringCchCopyNW
#define StringCchCat     StringCchCatW
#define StringCchCatN    StringCchCatNW
#define StringCchPrintf  StringCchPrintfW
#define StringCchVPrintf StringCchVPrintfW
#define StringCchLength  StringCchLengthW
#define StringCbCopy     StringCbCopyW
#define StringCbCopyN    StringCbCopyNW
#define StringCbCat      StringCbCatW
#define StringCbPrintf   StringCbPrintfW
#define StringCbVPrintf  StringCbVPrintfW
#define StringCbLength   StringCbLengthW

#ifdef __cplusplus
}
#endif

#endif
