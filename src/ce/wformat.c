/*
 * wformat.c — printf formatting of 16-bit text, as CE's wide printf family does it
 * (swprintf, wsprintf, StringCchPrintf, NKDbgPrintfW).
 *
 * The format is 16-bit text and so is the output. CE's conventions for wide printf: %s and %c
 * take 16-bit text, %S and %C take 8-bit text; %hs/%hc are 8-bit and %ls/%ws/%lc/%wc 16-bit
 * whatever the case. Numbers are formatted by the C library (each conversion is rebuilt as a
 * narrow conversion with the same flags, width and precision and fed the argument of the size
 * its length modifier names: h, l, ll, I64, I32, I, z) and widened. ICU's u_sprintf was
 * considered: it reads %s as 8-bit text, the opposite of CE, so every format would need
 * rewriting, for a library of 30 MB.
 */
#include "ce/ce_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ce/wcrt_internal.h"

struct sink {
    WCHAR *dst;
    size_t room; /* units of output dst takes (no terminator counted) */
    size_t need; /* units the whole output takes */
};

static void emit(struct sink *s, WCHAR c)
{
    if (s->dst && s->need < s->room)
        s->dst[s->need] = c;
    s->need++;
}

static void emit_narrow(struct sink *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        emit(s, (WCHAR)(unsigned char)p[i]);
}

static void pad(struct sink *s, long n, WCHAR c)
{
    for (; n > 0; n--)
        emit(s, c);
}

#define MAX_FIELD 1024 /* widths and precisions beyond are cut to it */

static int digits(const WCHAR **f)
{
    int v = 0;
    while (**f >= '0' && **f <= '9') {
        v = v >= MAX_FIELD ? MAX_FIELD : v * 10 + (**f - '0');
        (*f)++;
    }
    return v;
}

size_t ce_vwformat(WCHAR *dst, size_t cap, const WCHAR *f, va_list ap)
{
    size_t need = ce_vwformat_units(dst, cap ? cap - 1 : 0, f, ap);
    if (dst && cap)
        dst[need < cap ? need : cap - 1] = 0;
    return need;
}

size_t ce_vwformat_units(WCHAR *dst, size_t room, const WCHAR *f, va_list ap)
{
    struct sink s = {dst, room, 0};
    if (!f)
        return 0;
    va_list aq;
    va_copy(aq, ap);
    while (*f) {
        if (*f != '%') {
            emit(&s, *f++);
            continue;
        }
        f++;
        if (*f == '%') {
            emit(&s, '%');
            f++;
            continue;
        }
        char spec[40];
        size_t sn = 0;
        spec[sn++] = '%';
        int left = 0;
        while (*f && (*f == '-' || *f == '+' || *f == ' ' || *f == '#' || *f == '0') && sn < 8) {
            left |= *f == '-';
            spec[sn++] = (char)*f++;
        }
        int width = -1, prec = -1;
        if (*f == '*') {
            width = va_arg(aq, int);
            if (width < 0) {
                left = 1;
                spec[sn++] = '-';
                width = -width;
            }
            f++;
        } else if (*f >= '0' && *f <= '9')
            width = digits(&f);
        if (*f == '.') {
            f++;
            if (*f == '*') {
                prec = va_arg(aq, int);
                f++;
            } else
                prec = digits(&f);
        }
        if (width > MAX_FIELD)
            width = MAX_FIELD;
        if (prec > MAX_FIELD)
            prec = MAX_FIELD;
        /* size: -1 h (8-bit text), 1 l/w (16-bit text, long), 2 64-bit, 3 pointer-sized */
        int size = 0;
        if (*f == 'h')
            size = -1, f++;
        else if (*f == 'l' && f[1] == 'l')
            size = 2, f += 2;
        else if (*f == 'l' || *f == 'w')
            size = 1, f++;
        else if (*f == 'I' && f[1] == '6' && f[2] == '4')
            size = 2, f += 3;
        else if (*f == 'I' && f[1] == '3' && f[2] == '2')
            size = 0, f += 3;
        else if (*f == 'I' || *f == 'z')
            size = 3, f++;
        WCHAR conv = *f ? *f++ : 0;
        char tmp[MAX_FIELD + 400];
        int n = 0;
        switch (conv) {
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            spec[sn++] = '*';
            spec[sn++] = '.';
            spec[sn++] = '*';
            spec[sn++] = 'l';
            spec[sn++] = 'l';
            spec[sn++] = (char)conv;
            spec[sn] = '\0';
            long long v;
            int is_signed = conv == 'd' || conv == 'i';
            if (size == 2)
                v = va_arg(aq, long long);
            else if (size == 3)
                v = is_signed ? (long long)va_arg(aq, intptr_t) : (long long)va_arg(aq, uintptr_t);
            else if (is_signed)
                v = size == -1 ? (short)va_arg(aq, int) : (long long)va_arg(aq, int);
            else
                v = size == -1 ? (unsigned short)va_arg(aq, unsigned)
                               : (long long)va_arg(aq, unsigned);
                /* spec is built from a fixed set of characters: flags, '*', size and conversion. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            n = snprintf(tmp, sizeof tmp, spec, width < 0 ? 0 : width, prec, v);
#pragma GCC diagnostic pop
            break;
        }
        case 'p':
            n = snprintf(tmp, sizeof tmp, "%0*llX", (int)(2 * sizeof(void *)),
                         (unsigned long long)(uintptr_t)va_arg(aq, void *));
            break;
        case 'e':
        case 'E':
        case 'f':
        case 'g':
        case 'G': {
            spec[sn++] = '*';
            spec[sn++] = '.';
            spec[sn++] = '*';
            spec[sn++] = (char)conv;
            spec[sn] = '\0';
            double d = va_arg(aq, double);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            n = snprintf(tmp, sizeof tmp, spec, width < 0 ? 0 : width, prec < 0 ? 6 : prec, d);
#pragma GCC diagnostic pop
            break;
        }
        case 'c':
        case 'C': {
            int narrow = size == -1 || (conv == 'C' && size != 1);
            WCHAR c = narrow ? (WCHAR)(unsigned char)va_arg(aq, int) : (WCHAR)va_arg(aq, int);
            if (!left)
                pad(&s, width - 1, ' ');
            emit(&s, c);
            if (left)
                pad(&s, width - 1, ' ');
            continue;
        }
        case 's':
        case 'S': {
            int narrow = size == -1 || (conv == 'S' && size != 1);
            const void *p = va_arg(aq, const void *);
            size_t len;
            if (!p) {
                p = "(null)";
                narrow = 1;
            }
            if (narrow) {
                len = strlen(p);
            } else {
                const WCHAR *w = p;
                for (len = 0; (prec < 0 || len < (size_t)prec) && w[len]; len++)
                    ;
            }
            if (prec >= 0 && len > (size_t)prec)
                len = (size_t)prec;
            if (!left)
                pad(&s, width - (long)len, ' ');
            if (narrow)
                emit_narrow(&s, p, len);
            else
                for (size_t i = 0; i < len; i++)
                    emit(&s, ((const WCHAR *)p)[i]);
            if (left)
                pad(&s, width - (long)len, ' ');
            continue;
        }
        case 'n':
            /* Writing through %n is refused, as modern CRTs do. */
            (void)va_arg(aq, void *);
            continue;
        default:
            /* An unknown conversion is copied as text. */
            emit(&s, '%');
            if (conv)
                emit(&s, conv);
            continue;
        }
        if (n > 0)
            emit_narrow(&s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
    }
    va_end(aq);
    return s.need;
}
