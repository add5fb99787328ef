/*
 * strsafe.c — StringCch* and StringCb* (include/cevm/ce/strsafe.h), in 16-bit and 8-bit forms.
 *
 * One generic body per operation works on units of either width (copy_n, cat_n, vprintf); the
 * public functions check their sizes first, as strsafe does, then call it.
 */
#define _GNU_SOURCE
#include "ce/ce_api.h"

#include <stdio.h>
#include <string.h>

#include "ce/wcrt_internal.h"
#include "strsafe.h"

#define BAD_CCH(c) ((c) == 0 || (c) > STRSAFE_MAX_CCH)

/* Copy at most n units of s into d (cch units); always terminated. */
#define COPY_N(d, cch, s, n)                                                                       \
    do {                                                                                           \
        size_t i_ = 0;                                                                             \
        while (i_ < (n) && (s)[i_] && i_ + 1 < (cch)) {                                            \
            (d)[i_] = (s)[i_];                                                                     \
            i_++;                                                                                  \
        }                                                                                          \
        (d)[i_] = 0;                                                                               \
        return (i_ < (n) && (s)[i_]) ? STRSAFE_E_INSUFFICIENT_BUFFER : S_OK;                       \
    } while (0)

HRESULT StringCchCopyNW(LPWSTR d, size_t cch, LPCWSTR s, size_t n)
{
    if (BAD_CCH(cch) || n > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    COPY_N(d, cch, s, n);
}

HRESULT StringCchCopyNA(LPSTR d, size_t cch, LPCSTR s, size_t n)
{
    if (BAD_CCH(cch) || n > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    COPY_N(d, cch, s, n);
}

HRESULT StringCchCopyW(LPWSTR d, size_t cch, LPCWSTR s)
{
    return StringCchCopyNW(d, cch, s, STRSAFE_MAX_CCH);
}

HRESULT StringCchCopyA(LPSTR d, size_t cch, LPCSTR s)
{
    return StringCchCopyNA(d, cch, s, STRSAFE_MAX_CCH);
}

HRESULT StringCchCatNW(LPWSTR d, size_t cch, LPCWSTR s, size_t n)
{
    if (BAD_CCH(cch) || n > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    size_t len = cevm_wcsnlen(d, cch);
    if (len == cch)
        return STRSAFE_E_INVALID_PARAMETER;
    return StringCchCopyNW(d + len, cch - len, s, n);
}

HRESULT StringCchCatNA(LPSTR d, size_t cch, LPCSTR s, size_t n)
{
    if (BAD_CCH(cch) || n > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    size_t len = strnlen(d, cch);
    if (len == cch)
        return STRSAFE_E_INVALID_PARAMETER;
    return StringCchCopyNA(d + len, cch - len, s, n);
}

HRESULT StringCchCatW(LPWSTR d, size_t cch, LPCWSTR s)
{
    return StringCchCatNW(d, cch, s, STRSAFE_MAX_CCH);
}

HRESULT StringCchCatA(LPSTR d, size_t cch, LPCSTR s)
{
    return StringCchCatNA(d, cch, s, STRSAFE_MAX_CCH);
}

HRESULT StringCchVPrintfW(LPWSTR d, size_t cch, LPCWSTR fmt, va_list ap)
{
    if (BAD_CCH(cch))
        return STRSAFE_E_INVALID_PARAMETER;
    size_t need = ce_vwformat(d, cch, fmt, ap);
    return need >= cch ? STRSAFE_E_INSUFFICIENT_BUFFER : S_OK;
}

HRESULT StringCchVPrintfA(LPSTR d, size_t cch, LPCSTR fmt, va_list ap)
{
    if (BAD_CCH(cch))
        return STRSAFE_E_INVALID_PARAMETER;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int need = vsnprintf(d, cch, fmt, ap);
#pragma GCC diagnostic pop
    if (need < 0) {
        d[0] = '\0';
        return STRSAFE_E_INVALID_PARAMETER;
    }
    return (size_t)need >= cch ? STRSAFE_E_INSUFFICIENT_BUFFER : S_OK;
}

HRESULT StringCchPrintfW(LPWSTR d, size_t cch, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfW(d, cch, fmt, ap);
    va_end(ap);
    return hr;
}

HRESULT StringCchPrintfA(LPSTR d, size_t cch, LPCSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfA(d, cch, fmt, ap);
    va_end(ap);
    return hr;
}

HRESULT StringCchLengthW(LPCWSTR s, size_t max, size_t *len)
{
    size_t n = (s && max <= (size_t)STRSAFE_MAX_CCH) ? cevm_wcsnlen(s, max) : max;
    int ok = s && max <= STRSAFE_MAX_CCH && n < max;
    if (len)
        *len = ok ? n : 0;
    return ok ? S_OK : STRSAFE_E_INVALID_PARAMETER;
}

HRESULT StringCchLengthA(LPCSTR s, size_t max, size_t *len)
{
    size_t n = (s && max <= (size_t)STRSAFE_MAX_CCH) ? strnlen(s, max) : max;
    int ok = s && max <= STRSAFE_MAX_CCH && n < max;
    if (len)
        *len = ok ? n : 0;
    return ok ? S_OK : STRSAFE_E_INVALID_PARAMETER;
}

HRESULT StringCbCopyW(LPWSTR d, size_t cb, LPCWSTR s)
{
    return StringCchCopyW(d, cb / sizeof(WCHAR), s);
}

HRESULT StringCbCopyA(LPSTR d, size_t cb, LPCSTR s)
{
    return StringCchCopyA(d, cb, s);
}

HRESULT StringCbCopyNW(LPWSTR d, size_t cb, LPCWSTR s, size_t cbToCopy)
{
    return StringCchCopyNW(d, cb / sizeof(WCHAR), s, cbToCopy / sizeof(WCHAR));
}

HRESULT StringCbCatW(LPWSTR d, size_t cb, LPCWSTR s)
{
    return StringCchCatW(d, cb / sizeof(WCHAR), s);
}

HRESULT StringCbCatA(LPSTR d, size_t cb, LPCSTR s)
{
    return StringCchCatA(d, cb, s);
}

HRESULT StringCbVPrintfW(LPWSTR d, size_t cb, LPCWSTR fmt, va_list ap)
{
    return StringCchVPrintfW(d, cb / sizeof(WCHAR), fmt, ap);
}

HRESULT StringCbPrintfW(LPWSTR d, size_t cb, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfW(d, cb / sizeof(WCHAR), fmt, ap);
    va_end(ap);
    return hr;
}

HRESULT StringCbPrintfA(LPSTR d, size_t cb, LPCSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfA(d, cb, fmt, ap);
    va_end(ap);
    return hr;
}

HRESULT StringCbLengthW(LPCWSTR s, size_t maxcb, size_t *cb)
{
    size_t n = 0;
    HRESULT hr = StringCchLengthW(s, maxcb / sizeof(WCHAR), &n);
    if (cb)
        *cb = n * sizeof(WCHAR);
    return hr;
}

HRESULT StringCbLengthA(LPCSTR s, size_t maxcb, size_t *cb)
{
    return StringCchLengthA(s, maxcb, cb);
}
