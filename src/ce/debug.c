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

#include "ce/wcrt_internal.h"

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
    char u[8];
    WCHAR pair[3] = {s[0], 0, 0};
    size_t used = 1;
    if (s[0] >= 0xD800 && s[0] < 0xDC00 && s[1] >= 0xDC00 && s[1] < 0xE000) {
        pair[1] = s[1];
        used = 2;
    }
    size_t n = cevm_wcstombs(u, pair, sizeof u - 1);
    put(o, u, n);
    return used;
}

void NKDbgPrintfW(LPCWSTR lpszFmt, ...)
{
    struct out o;
    o.n = 0;
    WCHAR text[OUT_MAX];
    va_list ap;
    va_start(ap, lpszFmt);
    ce_vwformat(text, OUT_MAX, lpszFmt, ap);
    va_end(ap);
    for (size_t i = 0; text[i];)
        i += put_unit(&o, text + i);
    ssize_t w = write(2, o.b, o.n);
    (void)w;
}

void cevm_ce_errormsg_prefix(const char *file, int line)
{
    fprintf(stderr, "ERROR: %s line %d: ", file, line);
    fflush(stderr);
}

void cevm_ce_debugchk_failed(LPCWSTR module, const char *file, int line, const char *expr)
{
    char name[128] = "";
    if (module)
        cevm_wcstombs(name, module, sizeof name - 1);
    fprintf(stderr, "DEBUGCHK failed%s%s in %s at line %d: %s\n", name[0] ? " in " : "", name, file,
            line, expr);
    fflush(stderr);
    const char *mode = getenv("CEVM_DEBUGCHK");
    if (mode && !strcmp(mode, "break"))
        RaiseException(EXCEPTION_BREAKPOINT, 0, 0, NULL);
}

void WINAPI OutputDebugStringW(LPCWSTR lpOutputString)
{
    static const WCHAR fmt[] = {'%', 's', 0}; /* the library is not built with 16-bit L"" */
    if (lpOutputString)
        NKDbgPrintfW(fmt, lpOutputString);
}

void WINAPI DebugBreak(void)
{
    RaiseException(EXCEPTION_BREAKPOINT, 0, 0, NULL);
}
