/*
 * trace.h — CEVM_TRACE: one line per CE call of any program or driver (trace.c). Each traced
 * call is a wrapper around its implementation:
 *
 *     uint64_t t0 = ce_trace_start();            // 0 when tracing is off: one relaxed load
 *     LPVOID r = virtual_alloc(...);
 *     if (t0)
 *         ce_trace_done(t0, "VirtualAlloc", TR_PTR, (uintptr_t)r, "lpAddress %s, ...", ...);
 *
 * The line: `trace: VirtualAlloc(lpAddress NULL, dwSize 0x1000, flAllocationType MEM_RESERVE,
 * flProtect PAGE_NOACCESS) = 0x00010000, GetLastError ERROR_SUCCESS (0), 3.1 us in LED_Init of
 * driver 'LED1:'`; a call made inside another traced call (MmMapIoSpace's VirtualAlloc) is
 * indented under it.
 */
#ifndef CEVM_CE_TRACE_H
#define CEVM_CE_TRACE_H

#include <stdint.h>

/* How the result prints: a CE address, TRUE/FALSE, hex, nothing, a handle, an error code
 * (the registry's LONG results: "ERROR_SUCCESS (0)"), a registry key by its path. */
enum ce_trace_result { TR_PTR, TR_BOOL, TR_DWORD, TR_VOID, TR_HANDLE, TR_ERROR, TR_HKEY };
enum ce_trace_flags { TR_ALLOC, TR_FREE, TR_PROTECT, TR_LOCK, TR_ACCESS };

/* Return: the start time (never 0) when tracing is on, else 0. Opens the trace the first time
 * ($CEVM_TRACE). Counts the call's nesting while it runs. */
uint64_t ce_trace_start(void);
/* cevm's own uses of the CE calls (the heap's segments, scans of the address space) are not
 * the program's: ce_trace_quiet(1) ... ce_trace_quiet(0) around them hides them. */
void ce_trace_quiet(int on);
/* Print the line of a call started at t0 (GetLastError is read, never changed). */
void ce_trace_done(uint64_t t0, const char *call, enum ce_trace_result kind, uint64_t result,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A flag word by its names ("MEM_RESERVE|MEM_TOP_DOWN"), in a per-thread buffer. */
const char *ce_trace_flags(uint32_t v, enum ce_trace_flags kind);
/* A pointer as its CE address ("0x00010000", "NULL"), in a per-thread buffer. */
const char *ce_trace_ptr(const void *p);
/* A handle's value ("0x80000002", "NULL"): handles are not addresses. Per-thread buffer. */
const char *ce_trace_handle(const void *h);
/* A registry key by its path ("HKEY_LOCAL_MACHINE\\Drivers\\Active\\01"), or its value and
 * "not an open key" (registry.c). Per-thread buffer. */
const char *ce_trace_hkey(const void *h);
/* One of the per-thread buffers (128 bytes, eight live at once) the formatters above use. */
char *ce_trace_scratch(void);
/* A string argument, quoted and cut at 60 characters ("\"Drivers\\BuiltIn\\LED\"", NULL);
 * 16-bit (wstr) or 8-bit (str). Per-thread buffer. The string is read through a probe: a wild
 * pointer prints as its address. */
const char *ce_trace_wstr(const unsigned short *s);
const char *ce_trace_str(const char *s);
/* The driver host runs driver code: its calls are traced even inside a quiet cevm operation
 * (the device manager's own registry work is quiet, the XXX_Init it calls is not). Return: the
 * thread's trace state, for ce_trace_driver_leave to restore (also after a fault). */
int ce_trace_driver_enter(void);
void ce_trace_driver_leave(int saved);

#endif
