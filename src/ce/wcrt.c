/*
 * wcrt.c — the C library's 16-bit text functions for CE code (include/cevm/ce/wcrt.h) and the
 * strsafe.h functions.
 *
 * Each works on 16-bit units; case mapping and classification cover ASCII and Latin-1, the
 * range CE's "C" locale maps (docs/ce-semantics.md). Conversions to and from 8-bit text use
 * UTF-8, which is ASCII for ASCII. Numbers parse like the C library's (the text is narrowed
 * first: only ASCII can form a number).
 */
#define _GNU_SOURCE
#include "ce/ce_api.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ce/wcrt_internal.h"
#include "wcrt.h"

#define STRUNCATE_VALUE 80 /* the Microsoft CRT's STRUNCATE: copied, cut at the end */

size_t cevm_wcslen(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t cevm_wcsnlen(const WCHAR *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

WCHAR *cevm_wcscpy(WCHAR *d, const WCHAR *s)
{
    size_t i = 0;
    while ((d[i] = s[i]))
        i++;
    return d;
}

WCHAR *cevm_wcsncpy(WCHAR *d, const WCHAR *s, size_t n)
{
    size_t i = 0;
    for (; i < n && s[i]; i++)
        d[i] = s[i];
    for (; i < n; i++)
        d[i] = 0;
    return d;
}

WCHAR *cevm_wcscat(WCHAR *d, const WCHAR *s)
{
    cevm_wcscpy(d + cevm_wcslen(d), s);
    return d;
}

WCHAR *cevm_wcsncat(WCHAR *d, const WCHAR *s, size_t n)
{
    WCHAR *e = d + cevm_wcslen(d);
    size_t i = 0;
    for (; i < n && s[i]; i++)
        e[i] = s[i];
    e[i] = 0;
    return d;
}

int cevm_wcscmp(const WCHAR *a, const WCHAR *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (int)*a - (int)*b;
}

int cevm_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n)
{
    for (; n; n--, a++, b++)
        if (*a != *b || !*a)
            return (int)*a - (int)*b;
    return 0;
}

WCHAR cevm_towlower(WCHAR c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))
        return (WCHAR)(c + 0x20);
    return c;
}

WCHAR cevm_towupper(WCHAR c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7))
        return (WCHAR)(c - 0x20);
    return c;
}

int cevm_wcsicmp(const WCHAR *a, const WCHAR *b)
{
    return cevm_wcsnicmp(a, b, (size_t)-1);
}

int cevm_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n)
{
    for (; n; n--, a++, b++) {
        WCHAR x = cevm_towlower(*a), y = cevm_towlower(*b);
        if (x != y || !x)
            return (int)x - (int)y;
    }
    return 0;
}

WCHAR *cevm_wcschr(const WCHAR *s, WCHAR c)
{
    for (;; s++) {
        if (*s == c)
            return (WCHAR *)s;
        if (!*s)
            return NULL;
    }
}

WCHAR *cevm_wcsrchr(const WCHAR *s, WCHAR c)
{
    const WCHAR *hit = NULL;
    for (;; s++) {
        if (*s == c)
            hit = s;
        if (!*s)
            return (WCHAR *)hit;
    }
}

WCHAR *cevm_wcsstr(const WCHAR *s, const WCHAR *sub)
{
    size_t n = cevm_wcslen(sub);
    if (!n)
        return (WCHAR *)s;
    for (; *s; s++)
        if (*s == *sub && !cevm_wcsncmp(s, sub, n))
            return (WCHAR *)s;
    return NULL;
}

WCHAR *cevm_wcspbrk(const WCHAR *s, const WCHAR *set)
{
    for (; *s; s++)
        if (cevm_wcschr(set, *s))
            return (WCHAR *)s;
    return NULL;
}

size_t cevm_wcsspn(const WCHAR *s, const WCHAR *set)
{
    size_t n = 0;
    while (s[n] && cevm_wcschr(set, s[n]))
        n++;
    return n;
}

size_t cevm_wcscspn(const WCHAR *s, const WCHAR *set)
{
    size_t n = 0;
    while (s[n] && !cevm_wcschr(set, s[n]))
        n++;
    return n;
}

/* CE's wcstok keeps its position per thread. */
static __thread WCHAR *t_tok;

WCHAR *cevm_wcstok(WCHAR *s, const WCHAR *delim)
{
    if (!s)
        s = t_tok;
    if (!s)
        return NULL;
    s += cevm_wcsspn(s, delim);
    if (!*s) {
        t_tok = NULL;
        return NULL;
    }
    WCHAR *e = s + cevm_wcscspn(s, delim);
    if (*e) {
        *e = 0;
        t_tok = e + 1;
    } else
        t_tok = NULL;
    return s;
}

WCHAR *cevm_wcsdup(const WCHAR *s)
{
    size_t n = (cevm_wcslen(s) + 1) * sizeof(WCHAR);
    WCHAR *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

WCHAR *cevm_wcslwr(WCHAR *s)
{
    for (WCHAR *p = s; *p; p++)
        *p = cevm_towlower(*p);
    return s;
}

WCHAR *cevm_wcsupr(WCHAR *s)
{
    for (WCHAR *p = s; *p; p++)
        *p = cevm_towupper(*p);
    return s;
}

int cevm_iswspace(WCHAR c)
{
    return c == ' ' || (c >= 9 && c <= 13) || c == 0xA0;
}
int cevm_iswdigit(WCHAR c)
{
    return c >= '0' && c <= '9';
}
int cevm_iswxdigit(WCHAR c)
{
    return cevm_iswdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int cevm_iswupper(WCHAR c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7);
}
int cevm_iswlower(WCHAR c)
{
    return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xFF && c != 0xF7);
}
int cevm_iswalpha(WCHAR c)
{
    return cevm_iswupper(c) || cevm_iswlower(c) || c == 0xAA || c == 0xB5 || c == 0xBA;
}
int cevm_iswalnum(WCHAR c)
{
    return cevm_iswalpha(c) || cevm_iswdigit(c);
}

/* The leading number of s as 8-bit text (only ASCII can be part of a number). Return: how many
 * units were copied. */
static size_t narrow_number(const WCHAR *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; i + 1 < cap && s[i] && s[i] < 0x80; i++)
        buf[i] = (char)s[i];
    buf[i] = '\0';
    return i;
}

long cevm_wcstol(const WCHAR *s, WCHAR **end, int base)
{
    char buf[128], *e;
    narrow_number(s, buf, sizeof buf);
    long long v = strtoll(buf, &e, base);
    /* CE's long is 32-bit: clamp as its wcstol does. */
    if (v > INT32_MAX) {
        v = INT32_MAX;
        errno = ERANGE;
    } else if (v < INT32_MIN) {
        v = INT32_MIN;
        errno = ERANGE;
    }
    if (end)
        *end = (WCHAR *)s + (e - buf);
    return (long)v;
}

unsigned long cevm_wcstoul(const WCHAR *s, WCHAR **end, int base)
{
    char buf[128], *e;
    narrow_number(s, buf, sizeof buf);
    unsigned long long v = strtoull(buf, &e, base);
    int neg = 0;
    for (const char *p = buf; p < e; p++)
        if (*p == '-')
            neg = 1;
    if (!neg && v > UINT32_MAX) {
        v = UINT32_MAX;
        errno = ERANGE;
    }
    if (end)
        *end = (WCHAR *)s + (e - buf);
    return (unsigned long)(uint32_t)v;
}

int cevm_wtoi(const WCHAR *s)
{
    return (int)cevm_wcstol(s, NULL, 10);
}

long cevm_wtol(const WCHAR *s)
{
    return cevm_wcstol(s, NULL, 10);
}

static WCHAR *to_text(unsigned long long v, int neg, WCHAR *buf, int radix)
{
    char tmp[72];
    int n = 0;
    if (radix < 2 || radix > 36)
        radix = 10;
    do {
        int d = (int)(v % (unsigned)radix);
        tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= (unsigned)radix;
    } while (v);
    int i = 0;
    if (neg)
        buf[i++] = '-';
    while (n)
        buf[i++] = (WCHAR)tmp[--n];
    buf[i] = 0;
    return buf;
}

WCHAR *cevm_itow(int v, WCHAR *buf, int radix)
{
    if (radix == 10 && v < 0)
        return to_text((unsigned long long)(-(long long)v), 1, buf, radix);
    return to_text((uint32_t)v, 0, buf, radix);
}

WCHAR *cevm_ltow(long v, WCHAR *buf, int radix)
{
    return cevm_itow((int)v, buf, radix); /* CE's long is 32-bit */
}

WCHAR *cevm_ultow(unsigned long v, WCHAR *buf, int radix)
{
    return to_text((uint32_t)v, 0, buf, radix);
}

WCHAR *cevm_wmemcpy(WCHAR *d, const WCHAR *s, size_t n)
{
    return memcpy(d, s, n * sizeof(WCHAR));
}
WCHAR *cevm_wmemmove(WCHAR *d, const WCHAR *s, size_t n)
{
    return memmove(d, s, n * sizeof(WCHAR));
}
WCHAR *cevm_wmemset(WCHAR *d, WCHAR c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = c;
    return d;
}
int cevm_wmemcmp(const WCHAR *a, const WCHAR *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}
WCHAR *cevm_wmemchr(const WCHAR *s, WCHAR c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == c)
            return (WCHAR *)s + i;
    return NULL;
}

/* ---- printf --------------------------------------------------------------------------------- */

int cevm_vswprintf(WCHAR *buf, const WCHAR *fmt, va_list ap)
{
    return (int)ce_vwformat(buf, (size_t)INT_MAX, fmt, ap);
}

int cevm_swprintf(WCHAR *buf, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = cevm_vswprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

int cevm_vsnwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap)
{
    /* The Microsoft CRT: up to count units; terminated only when there is room. */
    size_t need = ce_vwformat_units(buf, count, fmt, ap);
    if (need < count)
        buf[need] = 0;
    return need <= count ? (int)need : -1;
}

int cevm_snwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = cevm_vsnwprintf(buf, count, fmt, ap);
    va_end(ap);
    return n;
}

int wvsprintfW(LPWSTR buf, LPCWSTR fmt, va_list ap)
{
    size_t need = ce_vwformat(buf, 1025, fmt, ap);
    return (int)(need > 1024 ? 1024 : need);
}

int wsprintfW(LPWSTR buf, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = wvsprintfW(buf, fmt, ap);
    va_end(ap);
    return n;
}

size_t cevm_wcstombs(char *d, const WCHAR *s, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; s[i]; i++) {
        uint32_t c = s[i];
        if (c >= 0xD800 && c < 0xDC00 && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
            c = 0x10000 + ((c - 0xD800) << 10) + (uint32_t)(s[i + 1] - 0xDC00);
            i++;
        }
        unsigned char u[4];
        size_t k;
        if (c < 0x80)
            u[0] = (unsigned char)c, k = 1;
        else if (c < 0x800)
            u[0] = (unsigned char)(0xC0 | c >> 6), u[1] = (unsigned char)(0x80 | (c & 0x3F)), k = 2;
        else if (c < 0x10000)
            u[0] = (unsigned char)(0xE0 | c >> 12),
            u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F)),
            u[2] = (unsigned char)(0x80 | (c & 0x3F)), k = 3;
        else
            u[0] = (unsigned char)(0xF0 | c >> 18),
            u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F)),
            u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F)),
            u[3] = (unsigned char)(0x80 | (c & 0x3F)), k = 4;
        if (d && out + k > n)
            return out;
        if (d)
            memcpy(d + out, u, k);
        out += k;
    }
    if (d && out < n)
        d[out] = '\0';
    return out;
}

size_t cevm_mbstowcs(WCHAR *d, const char *s, size_t n)
{
    size_t out = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c = *p++;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (more)
            c &= 0x3Fu >> more;
        for (; more && (*p & 0xC0) == 0x80; more--)
            c = (c << 6) | (*p++ & 0x3Fu);
        if (more)
            return (size_t)-1; /* not UTF-8 */
        size_t k = c >= 0x10000 ? 2 : 1;
        if (d && out + k > n)
            return out;
        if (d) {
            if (k == 2) {
                d[out] = (WCHAR)(0xD800 + ((c - 0x10000) >> 10));
                d[out + 1] = (WCHAR)(0xDC00 + ((c - 0x10000) & 0x3FF));
            } else
                d[out] = (WCHAR)c;
        }
        out += k;
    }
    if (d && out < n)
        d[out] = 0;
    return out;
}

/* ---- output to streams ------------------------------------------------------------------ */

int cevm_vfwprintf(FILE *f, const WCHAR *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    size_t need = ce_vwformat(NULL, 0, fmt, aq);
    va_end(aq);
    WCHAR *w = malloc((need + 1) * sizeof *w);
    char *u = w ? malloc(need * 4 + 1) : NULL;
    if (!w || !u) {
        free(w);
        return -1;
    }
    ce_vwformat(w, need + 1, fmt, ap);
    size_t n = cevm_wcstombs(u, w, need * 4 + 1);
    int r = fwrite(u, 1, n, f) == n ? (int)need : -1;
    free(u);
    free(w);
    return r;
}

int cevm_fwprintf(FILE *f, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = cevm_vfwprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int cevm_vwprintf(const WCHAR *fmt, va_list ap)
{
    return cevm_vfwprintf(stdout, fmt, ap);
}

int cevm_wprintf(const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = cevm_vfwprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- lstr* ------------------------------------------------------------------------------- */

int WINAPI lstrlenW(LPCWSTR s)
{
    return s ? (int)cevm_wcslen(s) : 0;
}

LPWSTR WINAPI lstrcpyW(LPWSTR d, LPCWSTR s)
{
    return cevm_wcscpy(d, s);
}

LPWSTR WINAPI lstrcpynW(LPWSTR d, LPCWSTR s, int n)
{
    if (n <= 0)
        return d;
    int i = 0;
    for (; i < n - 1 && s[i]; i++)
        d[i] = s[i];
    d[i] = 0;
    return d;
}

LPWSTR WINAPI lstrcatW(LPWSTR d, LPCWSTR s)
{
    return cevm_wcscat(d, s);
}

int WINAPI lstrcmpW(LPCWSTR a, LPCWSTR b)
{
    int r = cevm_wcscmp(a, b);
    return r < 0 ? -1 : r > 0;
}

int WINAPI lstrcmpiW(LPCWSTR a, LPCWSTR b)
{
    int r = cevm_wcsicmp(a, b);
    return r < 0 ? -1 : r > 0;
}

/* ---- the secure CRT forms ------------------------------------------------------------------- */

#define COPY_S(d, n, s, count)                                                                     \
    do {                                                                                           \
        if (!(d) || !(n))                                                                          \
            return EINVAL;                                                                         \
        if (!(s)) {                                                                                \
            (d)[0] = 0;                                                                            \
            return EINVAL;                                                                         \
        }                                                                                          \
        size_t i_ = 0;                                                                             \
        for (; i_ < (count) && (s)[i_]; i_++) {                                                    \
            if (i_ + 1 >= (n)) {                                                                   \
                (d)[0] = 0;                                                                        \
                return ERANGE;                                                                     \
            }                                                                                      \
            (d)[i_] = (s)[i_];                                                                     \
        }                                                                                          \
        (d)[i_] = 0;                                                                               \
        return 0;                                                                                  \
    } while (0)

errno_t wcscpy_s(WCHAR *d, size_t n, const WCHAR *s)
{
    COPY_S(d, n, s, (size_t)-1);
}

errno_t wcsncpy_s(WCHAR *d, size_t n, const WCHAR *s, size_t count)
{
    if (count == _TRUNCATE && d && n && s && cevm_wcslen(s) >= n) {
        cevm_wcsncpy(d, s, n - 1);
        d[n - 1] = 0;
        return STRUNCATE_VALUE;
    }
    COPY_S(d, n, s, count);
}

/* Append s to the string in d (n units): EINVAL when d is not terminated within n. */
#define CAT_S(d, n, s, lenfn, copyfn)                                                              \
    do {                                                                                           \
        if (!(d) || !(n))                                                                          \
            return EINVAL;                                                                         \
        size_t len_ = lenfn((d), (n));                                                             \
        errno_t e_ = len_ == (n) ? EINVAL : copyfn((d) + len_, (n)-len_, (s));                     \
        if (e_)                                                                                    \
            (d)[0] = 0;                                                                            \
        return e_;                                                                                 \
    } while (0)

errno_t wcscat_s(WCHAR *d, size_t n, const WCHAR *s)
{
    CAT_S(d, n, s, cevm_wcsnlen, wcscpy_s);
}

errno_t strcpy_s(char *d, size_t n, const char *s)
{
    COPY_S(d, n, s, (size_t)-1);
}

errno_t strncpy_s(char *d, size_t n, const char *s, size_t count)
{
    if (count == _TRUNCATE && d && n && s && strlen(s) >= n) {
        memcpy(d, s, n - 1);
        d[n - 1] = '\0';
        return STRUNCATE_VALUE;
    }
    COPY_S(d, n, s, count);
}

errno_t strcat_s(char *d, size_t n, const char *s)
{
    CAT_S(d, n, s, strnlen, strcpy_s);
}

errno_t memcpy_s(void *d, size_t n, const void *s, size_t count)
{
    if (!count)
        return 0;
    if (!d)
        return EINVAL;
    if (!s || n < count) {
        memset(d, 0, n);
        return s ? ERANGE : EINVAL;
    }
    memcpy(d, s, count);
    return 0;
}

errno_t memmove_s(void *d, size_t n, const void *s, size_t count)
{
    if (!count)
        return 0;
    if (!d || !s)
        return EINVAL;
    if (n < count)
        return ERANGE;
    memmove(d, s, count);
    return 0;
}

int swprintf_s(WCHAR *d, size_t n, const WCHAR *fmt, ...)
{
    if (!d || !n || !fmt)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    size_t need = ce_vwformat(d, n, fmt, ap);
    va_end(ap);
    if (need >= n) {
        d[0] = 0;
        return -1;
    }
    return (int)need;
}

int _snwprintf_s(WCHAR *d, size_t n, size_t count, const WCHAR *fmt, ...)
{
    if (!d || !n || !fmt)
        return -1;
    size_t cap = count == _TRUNCATE || count + 1 > n ? n : count + 1;
    va_list ap;
    va_start(ap, fmt);
    size_t need = ce_vwformat(d, cap, fmt, ap);
    va_end(ap);
    if (need < cap)
        return (int)need;
    if (count == _TRUNCATE || count < n)
        return -1; /* cut at the limit, terminated */
    d[0] = 0;
    return -1;
}

int sprintf_s(char *d, size_t n, const char *fmt, ...)
{
    if (!d || !n || !fmt)
        return -1;
    va_list ap;
    va_start(ap, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int need = vsnprintf(d, n, fmt, ap);
#pragma GCC diagnostic pop
    va_end(ap);
    if (need < 0 || (size_t)need >= n) {
        d[0] = '\0';
        return -1;
    }
    return need;
}

int _vsnprintf(char *d, size_t n, const char *fmt, va_list ap)
{
    if (!n)
        return -1;
    char *tmp = malloc(n + 1);
    if (!tmp)
        return -1;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int need = vsnprintf(tmp, n + 1, fmt, ap);
#pragma GCC diagnostic pop
    if (need < 0) {
        free(tmp);
        return -1;
    }
    /* Up to n characters, terminated only when there is room (the Microsoft CRT). */
    size_t put = (size_t)need < n ? (size_t)need + 1 : n;
    memcpy(d, tmp, put);
    free(tmp);
    return (size_t)need <= n ? need : -1;
}

int _snprintf(char *d, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = _vsnprintf(d, n, fmt, ap);
    va_end(ap);
    return r;
}

static char *narrow_text(const WCHAR *w, char *buf)
{
    size_t i = 0;
    for (; w[i]; i++)
        buf[i] = (char)w[i];
    buf[i] = '\0';
    return buf;
}

char *_itoa(int v, char *buf, int radix)
{
    WCHAR w[40];
    return narrow_text(cevm_itow(v, w, radix), buf);
}

char *_ltoa(long v, char *buf, int radix)
{
    WCHAR w[40];
    return narrow_text(cevm_ltow(v, w, radix), buf);
}

char *_ultoa(unsigned long v, char *buf, int radix)
{
    WCHAR w[40];
    return narrow_text(cevm_ultow(v, w, radix), buf);
}

void ce_narrow(const WCHAR *w, char *out, size_t cap)
{
    size_t i = 0;
    for (; w && w[i] && i + 1 < cap; i++)
        out[i] = w[i] < 0x80 ? (char)w[i] : '?';
    if (cap)
        out[i] = '\0';
}
