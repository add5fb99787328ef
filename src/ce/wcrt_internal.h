/*
 * wcrt_internal.h — the 16-bit formatter shared by the wide printf family and NKDbgPrintfW.
 */
#ifndef CEVM_WCRT_INTERNAL_H
#define CEVM_WCRT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "winnt.h"

/* Format f with ap into dst (cap units, NUL included; dst may be NULL with cap 0). The output is
 * cut at cap - 1 units and always terminated when cap > 0. Return: the units the whole output
 * takes (without the NUL), as vsnprintf does. */
size_t ce_vwformat(WCHAR *dst, size_t cap, const WCHAR *f, va_list ap);
/* The same without a terminator: at most room units are written. Return: the units the whole
 * output takes. */
size_t ce_vwformat_units(WCHAR *dst, size_t room, const WCHAR *f, va_list ap);

#endif
