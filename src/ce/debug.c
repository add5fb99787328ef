/*
 * debug.c — NKDbgPrintfW and the helpers of the dbgapi.h macros (ERRORMSG, DEBUGCHK).
 *
 * The format is 16-bit text. Literal text is converted to UTF-8; each conversion is rebuilt as a
 * narrow printf conversion with the same flags, width and precision, fed the argument of the
 * size its length modifier names; %s and %c take 16-bit text (CE's convention for wide
 * printf), %hs/%S/%hc take 8-bit text. One line is assembled, carriage returns are dropped, and
 * it is written to stderr in one call.
 */
#include "ce/ce_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_MAX 2048

struct out {
    char b[OUT_MAX];
    size_t n;
};

static void put(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->n < OUT_MAX - 1; i++)
        if (s[i] != '\r')
            o->b[o->n++] = s[i];
}

/* Append one 16-bit unit (or a surrogate pair) as UTF-8. Return: units consumed. */
static size_t put_unit(struct out *o, const WCHAR *s)
{
    uint32_t c = (uint16_t)s[0];
    size_t used = 1;
    if (c >= 0xD800 && c < 0xDC00 && (uint16_t)s[1] >= 0xDC00 && (uint16_t)s[1] < 0xE000) {
        c = 0x10000 + ((c - 0xD800) << 10) + ((uint16_t)s[1] - 0xDC00);
        used = 2;
    }
    char u[4] = {0};
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | c >> 6);
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | c >> 12);
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | c >> 18);
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    put(o, u, n);
    return used;
}

/* A 16-bit string as UTF-8 (at most max units; NULL prints "(null)"). */
static void wide_to_utf8(const WCHAR *s, long max, char *dst, size_t cap)
{
    struct out o;
    o.n = 0;
    if (!s) {
        snprintf(dst, cap, "(null)");
        return;
    }
    for (long i = 0; s[i] && (max < 0 || i < max);)
        i += (long)put_unit(&o, s + i);
    size_t n = o.n < cap - 1 ? o.n : cap - 1;
    memcpy(dst, o.b, n);
    dst[n] = '\0';
}

#define MAX_FIELD 400

static void vformat(struct out *o, const WCHAR *f, va_list ap)
{
    if (!f)
        return;
    while (*f) {
        if (*f != '%') {
            f += put_unit(o, f);
            continue;
        }
        f++;
        if (*f == '%') {
            put(o, "%", 1);
            f++;
            continue;
        }
        char spec[32];
        size_t sn = 0;
        spec[sn++] = '%';
        while (*f && strchr("-+ #0", (int)*f) && sn < 8)
            spec[sn++] = (char)*f++;
        /* Widths and precisions beyond MAX_FIELD are cut to it (the line holds less anyway),
         * so no digit string can overflow an int. */
        int width = -1, prec = -1;
        if (*f == '*') {
            width = va_arg(ap, int);
            f++;
        } else
            for (width = *f >= '0' && *f <= '9' ? 0 : -1; *f >= '0' && *f <= '9'; f++)
                width = width >= MAX_FIELD ? MAX_FIELD : width * 10 + (*f - '0');
        if (*f == '.') {
            f++;
            if (*f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else
                for (prec = 0; *f >= '0' && *f <= '9'; f++)
                    prec = prec >= MAX_FIELD ? MAX_FIELD : prec * 10 + (*f - '0');
        }
        if (width > MAX_FIELD)
            width = MAX_FIELD;
        if (prec > MAX_FIELD)
            prec = MAX_FIELD;
        int size = 0; /* -1 h, 1 l, 2 ll / I64 */
        if (*f == 'h')
            size = -1, f++;
        else if (*f == 'l' && f[1] == 'l')
            size = 2, f += 2;
        else if (*f == 'l')
            size = 1, f++;
        else if (*f == 'I' && f[1] == '6' && f[2] == '4')
            size = 2, f += 3;
        WCHAR conv = *f ? *f++ : 0;
        char tmp[512] = "";
        int n = 0;
        int w = width < 0 ? 0 : width;
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
            if (size == 2) { /* %lld, %I64d: the length modifier goes after the precision */
                spec[sn++] = 'l';
                spec[sn++] = 'l';
            }
            spec[sn++] = (char)conv;
            spec[sn] = '\0';
            /* spec is built from a fixed set of characters: flags, '*', size and conversion. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            if (size == 2)
                n = snprintf(tmp, sizeof tmp, spec, w, prec, va_arg(ap, long long));
            else
                n = snprintf(tmp, sizeof tmp, spec, w, prec, va_arg(ap, int));
#pragma GCC diagnostic pop
            break;
        }
        case 'p':
            n = snprintf(tmp, sizeof tmp, "%*p", w, va_arg(ap, void *));
            break;
        case 'c':
        case 'C': {
            int c = va_arg(ap, int);
            if (conv == 'c' && size != -1) {
                WCHAR wc[2] = {(WCHAR)c, 0};
                wide_to_utf8(wc, 1, tmp, sizeof tmp);
            } else {
                tmp[0] = (char)c;
                tmp[1] = '\0';
            }
            n = (int)strlen(tmp);
            break;
        }
        case 's':
        case 'S': {
            char text[400] = "";
            if (conv == 's' && size != -1)
                wide_to_utf8(va_arg(ap, const WCHAR *), prec, text, sizeof text);
            else {
                const char *s = va_arg(ap, const char *);
                snprintf(text, sizeof text, "%.*s", prec < 0 ? 399 : prec, s ? s : "(null)");
            }
            n = snprintf(tmp, sizeof tmp, strchr(spec, '-') ? "%-*s" : "%*s", w, text);
            break;
        }
        default:
            n = snprintf(tmp, sizeof tmp, "%%%c", conv ? (char)conv : '?');
            break;
        }
        if (n > 0)
            put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
    }
}

void NKDbgPrintfW(LPCWSTR lpszFmt, ...)
{
    struct out o;
    o.n = 0;
    va_list ap;
    va_start(ap, lpszFmt);
    vformat(&o, lpszFmt, ap);
    va_end(ap);
    ssize_t w = write(2, o.b, o.n);
    (void)w;
}

void cevm_ce_errormsg_prefix(const char *file, int line)
{
    fprintf(stderr, "ERROR: %s line %d: ", file, line);
    fflush(stderr);
}

void cevm_ce_debugchk_failed(const char *module, const char *file, int line, const char *expr)
{
    fprintf(stderr, "DEBUGCHK failed%s%s in %s at line %d: %s\n", module ? " in " : "",
            module ? module : "", file, line, expr);
    abort();
}
