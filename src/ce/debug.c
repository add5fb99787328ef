/*
 * debug.c — NKDbgPrintfW and the helpers of the dbgapi.h macros (ERRORMSG, DEBUGCHK).
 *
 * The format is 16-bit text, formatted by the wide printf engine every CE printf shares
 * (wformat.c: %s and %c take 16-bit text, %hs/%S/%hc 8-bit); the line is converted to UTF-8,
 * carriage returns are dropped, and it is written to stderr in one call.
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

void NKDbgPrintfW(LPCWSTR lpszFmt, ...)
{
    struct out o;
    o.n = 0;
    WCHAR text[OUT_MAX];
    va_list ap;
    va_start(ap, lpszFmt);
    ce_vwformat(text, OUT_MAX, lpszFmt, ap);
    va_end(ap);
    char utf8[OUT_MAX * 3 + 1]; /* a 16-bit unit takes at most 3 bytes */
    size_t n = cevm_wcstombs(utf8, text, sizeof utf8 - 1);
    put(&o, utf8, n);
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
