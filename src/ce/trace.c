/*
 * trace.c — CEVM_TRACE (trace.h): a line per traced CE call with its arguments by name, its
 * result, GetLastError, its duration and the driver entry point it ran in.
 *
 * $CEVM_TRACE=1 (or "stderr") writes to stderr, any other value but "0" names a file (appended);
 * cevm_trace_open() does the same at run time. The switch is one atomic flag read with relaxed
 * order on every traced call, so an untraced call pays one load. A line is formatted in a
 * thread's own buffer and written with one stdio call under the stream's lock, so lines from
 * threads never interleave. Nesting depth is per thread.
 */
#define _GNU_SOURCE
#include "ce/trace.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cevm/cevm.h"
#include "core/fault.h"
#include "windows.h"

static atomic_int g_on;
static FILE *g_out;
static pthread_mutex_t g_trace_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_env_once = PTHREAD_ONCE_INIT;
static _Thread_local int t_depth, t_quiet;

/* Open target: NULL or "0" off, "1"/"stderr" stderr, else a file (appended).
 * Return: 0, or -1 when the file cannot be opened (tracing stays as it was). */
static int open_target(const char *target)
{
    FILE *f = NULL;
    int on = target && *target && strcmp(target, "0");
    if (on && strcmp(target, "1") && strcmp(target, "stderr")) {
        if (!(f = fopen(target, "a")))
            return -1;
        setvbuf(f, NULL, _IOLBF, 0);
    }
    if (!f && on)
        f = stderr;
    pthread_mutex_lock(&g_trace_lock);
    if (g_out && g_out != stderr)
        fclose(g_out);
    g_out = f; /* the trace keeps the file open until it is switched or ended */
    atomic_store(&g_on, on);
    pthread_mutex_unlock(&g_trace_lock);
    return 0;
}

static void from_env(void)
{
    const char *t = getenv("CEVM_TRACE");
    if (t && open_target(t))
        fprintf(stderr, "cevm: CEVM_TRACE: cannot open '%s': tracing is off\n", t);
}

int cevm_trace_open(const char *target)
{
    pthread_once(&g_env_once, from_env);
    return open_target(target);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ce_trace_quiet(int on)
{
    t_quiet += on ? 1 : -1;
}

uint64_t ce_trace_start(void)
{
    pthread_once(&g_env_once, from_env);
    if (!atomic_load_explicit(&g_on, memory_order_relaxed) || t_quiet > 0)
        return 0;
    t_depth++;
    uint64_t t = now_ns();
    return t ? t : 1;
}

/* Per-thread buffers for formatted arguments: eight live at once. */
char *ce_trace_scratch(void)
{
    static _Thread_local char bufs[8][128];
    static _Thread_local unsigned next;
    return bufs[next++ % 8];
}

const char *ce_trace_ptr(const void *p)
{
    char *b = ce_trace_scratch();
    if (!p)
        snprintf(b, 128, "NULL");
    else {
        uint32_t ce = cevm_ce_addr(p);
        if (ce == 0xFFFFFFFFu)
            snprintf(b, 128, "%p (not a CE address)", p);
        else
            snprintf(b, 128, "0x%08X", ce);
    }
    return b;
}

const char *ce_trace_handle(const void *h)
{
    char *b = ce_trace_scratch();
    if (!h)
        snprintf(b, 128, "NULL");
    else
        snprintf(b, 128, "0x%08llX", (unsigned long long)(uintptr_t)h);
    return b;
}

/* Quote up to 60 characters of a string of 1- or 2-byte units, read through probes. */
static const char *quote(const void *s, size_t unit)
{
    char *b = ce_trace_scratch();
    if (!s) {
        snprintf(b, 128, "NULL");
        return b;
    }
    size_t n = 0;
    b[n++] = '"';
    for (size_t i = 0; i < 60; i++) {
        uint16_t c = 0;
        if (cevm_probe_copy(&c, (const char *)s + i * unit, unit)) {
            snprintf(b, 128, "%s", ce_trace_ptr(s));
            return b;
        }
        if (!c)
            break;
        if (c == '"' || c == '\\')
            b[n++] = '\\';
        b[n++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
        if (i == 59) {
            memcpy(b + n, "...", 3);
            n += 3;
        }
    }
    b[n++] = '"';
    b[n] = '\0';
    return b;
}

const char *ce_trace_wstr(const unsigned short *s)
{
    return quote(s, 2);
}

const char *ce_trace_str(const char *s)
{
    return quote(s, 1);
}

int ce_trace_driver_enter(void)
{
    int saved = (t_quiet & 0xFFFF) | (t_depth << 16);
    t_quiet = 0;
    return saved;
}

void ce_trace_driver_leave(int saved)
{
    t_quiet = saved & 0xFFFF;
    t_depth = saved >> 16;
}

struct flag {
    uint32_t bit;
    const char *name;
};

static const struct flag alloc_flags[] = {{0x1000, "MEM_COMMIT"},        {0x2000, "MEM_RESERVE"},
                                          {0x80000, "MEM_RESET"},        {0x100000, "MEM_TOP_DOWN"},
                                          {0x200000, "MEM_AUTO_COMMIT"}, {0x400000, "MEM_SHAREMEM"},
                                          {0x80000000u, "MEM_4MB_PAGES"}};
static const struct flag free_flags[] = {{0x4000, "MEM_DECOMMIT"}, {0x8000, "MEM_RELEASE"}};
static const struct flag protect_flags[] = {
    {0x01, "PAGE_NOACCESS"},          {0x02, "PAGE_READONLY"},          {0x04, "PAGE_READWRITE"},
    {0x08, "PAGE_WRITECOPY"},         {0x10, "PAGE_EXECUTE"},           {0x20, "PAGE_EXECUTE_READ"},
    {0x40, "PAGE_EXECUTE_READWRITE"}, {0x80, "PAGE_EXECUTE_WRITECOPY"}, {0x100, "PAGE_GUARD"},
    {0x200, "PAGE_NOCACHE"},          {0x400, "PAGE_PHYSICAL"}};
static const struct flag lock_flags[] = {
    {1, "LOCKFLAG_WRITE"}, {2, "LOCKFLAG_QUERY_ONLY"}, {4, "LOCKFLAG_READ"}};
static const struct flag access_flags[] = {{0x80000000u, "GENERIC_READ"},
                                           {0x40000000u, "GENERIC_WRITE"}};

const char *ce_trace_flags(uint32_t v, enum ce_trace_flags kind)
{
    const struct flag *t = kind == TR_ALLOC     ? alloc_flags
                           : kind == TR_FREE    ? free_flags
                           : kind == TR_PROTECT ? protect_flags
                           : kind == TR_LOCK    ? lock_flags
                                                : access_flags;
    size_t n = kind == TR_ALLOC     ? sizeof alloc_flags / sizeof *t
               : kind == TR_FREE    ? sizeof free_flags / sizeof *t
               : kind == TR_PROTECT ? sizeof protect_flags / sizeof *t
               : kind == TR_LOCK    ? sizeof lock_flags / sizeof *t
                                    : sizeof access_flags / sizeof *t;
    char *b = ce_trace_scratch();
    size_t len = 0;
    b[0] = '\0';
    uint32_t left = v;
    for (size_t i = 0; i < n; i++)
        if ((v & t[i].bit) == t[i].bit && len < 120) {
            len += (size_t)snprintf(b + len, 128 - len, "%s%s", len ? "|" : "", t[i].name);
            left &= ~t[i].bit;
        }
    if (left || !v)
        snprintf(b + len, 128 - len, "%s0x%X", len ? "|" : "", left);
    return b;
}

void ce_trace_done(uint64_t t0, const char *call, enum ce_trace_result kind, uint64_t result,
                   const char *fmt, ...)
{
    DWORD err = GetLastError();
    uint64_t ns = now_ns() - t0;
    int depth = t_depth > 0 ? --t_depth : 0;
    char args[512], res[160], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    switch (kind) {
    case TR_PTR:
        snprintf(res, sizeof res, "%s", ce_trace_ptr((const void *)(uintptr_t)result));
        break;
    case TR_BOOL:
        snprintf(res, sizeof res, "%s", result ? "TRUE" : "FALSE");
        break;
    case TR_HANDLE:
        snprintf(res, sizeof res, "%s",
                 result == (uint64_t)(uintptr_t)INVALID_HANDLE_VALUE ? "INVALID_HANDLE_VALUE"
                 : result                                            ? ""
                                                                     : "NULL");
        if (!res[0])
            snprintf(res, sizeof res, "0x%08llX", (unsigned long long)result);
        break;
    case TR_VOID:
        res[0] = '\0';
        break;
    case TR_HKEY:
        snprintf(res, sizeof res, "%s", ce_trace_hkey((const void *)(uintptr_t)result));
        break;
    case TR_ERROR:
        snprintf(res, sizeof res, "%s (%u)", cevm_ce_error_name((uint32_t)result),
                 (unsigned)result);
        break;
    default:
        snprintf(res, sizeof res, "0x%llX", (unsigned long long)result);
    }
    const char *ctx = unimpl_context();
    snprintf(line, sizeof line, "trace: %*s%s(%s)%s%s, GetLastError %s (%u), %.1f us%s%s\n",
             depth * 2, "", call, args, kind == TR_VOID ? "" : " = ", res, cevm_ce_error_name(err),
             (unsigned)err, (double)ns / 1000.0, ctx[0] ? " in " : "", ctx);
    pthread_mutex_lock(&g_trace_lock);
    if (g_out)
        fputs(line, g_out);
    pthread_mutex_unlock(&g_trace_lock);
    SetLastError(err);
}
