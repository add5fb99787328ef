/*
 * dbgapi.h (cevm CE compatibility) — CE debug output and zones: DEBUGMSG, RETAILMSG, ERRORMSG,
 * DEBUGZONE, DBGPARAM, DEBUGREGISTER, RETAILREGISTERZONES, DEBUGCHK, DBGCHK, NKDbgPrintfW.
 * DEBUGMSG and DEBUGCHK compile away unless DEBUG is defined, as in CE. Output goes to stderr
 * (docs/porting.md).
 */
#ifndef CEVM_CE_DBGAPI_H
#define CEVM_CE_DBGAPI_H

#include "winnt.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CEVM_CE_API
#define CEVM_CE_API __attribute__((visibility("default")))
#endif

typedef struct _DBGPARAM {
    WCHAR lpszName[32];
    WCHAR rglpszZones[16][32];
    ULONG ulZoneMask;
} DBGPARAM, *LPDBGPARAM;

/* Defined by the driver (its zone names and the zones switched on). */
extern DBGPARAM dpCurSettings;

/* printf-style output with a 16-bit format: %s and %c take 16-bit strings and characters
 * (%hs, %S and %hc take 8-bit ones); d i u x X o p c s with flags, width, precision and the
 * h, l, ll and I64 sizes. Carriage returns are dropped. */
CEVM_CE_API void NKDbgPrintfW(LPCWSTR lpszFmt, ...);
/* Helpers of the macros below. */
CEVM_CE_API void cevm_ce_errormsg_prefix(const char *file, int line);
/* A failed DEBUGCHK/DBGCHK: one line on stderr naming the module, file, line and expression,
 * then the code goes on (CE would stop in the debugger). With CEVM_DEBUGCHK=break in the
 * environment it raises EXCEPTION_BREAKPOINT (0x80000003) instead: a driver call ends there with
 * a report, other code stops unless a __try catches it. */
CEVM_CE_API void cevm_ce_debugchk_failed(LPCWSTR module, const char *file, int line,
                                         const char *expr);

#define DEBUGZONE(n) (dpCurSettings.ulZoneMask & (0x00000001UL << (n)))

#define RETAILMSG(cond, printf_exp) ((void)((cond) ? (NKDbgPrintfW printf_exp), 1 : 0))
#define ERRORMSG(cond, printf_exp)                                                                 \
    ((void)((cond) ? (cevm_ce_errormsg_prefix(__FILE__, __LINE__), NKDbgPrintfW printf_exp), 1 : 0))
#define RETAILREGISTERZONES(hMod) ((void)(hMod))

#ifdef DEBUG
#define DEBUGMSG(cond, printf_exp) ((void)((cond) ? (NKDbgPrintfW printf_exp), 1 : 0))
#define DEBUGREGISTER(hMod)        ((void)(hMod), (void)&dpCurSettings)
/* A failed check says where it failed and goes on (cevm_ce_debugchk_failed). */
#define DBGCHK(module, exp)                                                                        \
    ((void)((exp) ? 1 : (cevm_ce_debugchk_failed((module), __FILE__, __LINE__, #exp), 0)))
#define DEBUGCHK(exp) DBGCHK(dpCurSettings.lpszName, exp)
#else
#define DEBUGMSG(cond, printf_exp) ((void)0)
#define DEBUGREGISTER(hMod)        ((void)0)
#define DBGCHK(module, exp)        ((void)0)
#define DEBUGCHK(exp)              ((void)0)
#endif

#ifdef __cplusplus
}
#endif
/* CE's ASSERT is DEBUGCHK. */
#ifndef ASSERT
#define ASSERT(exp) DEBUGCHK(exp)
#endif

#endif
