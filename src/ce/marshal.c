/*
 * marshal.c — CE 6's caller-buffer marshalling for kernel-mode drivers (spec driver-runtime
 * §2.5): CeOpenCallerBuffer / CeCloseCallerBuffer, CeAllocAsynchronousBuffer /
 * CeFreeAsynchronousBuffer and CeAllocDuplicateBuffer / CeFreeDuplicateBuffer.
 *
 * While a driver call runs, the calling application's user space is the one the window shows,
 * so CeOpenCallerBuffer checks the caller's pointer (user space only, when the caller is the
 * application; committed, and writable for an O or IO argument) and hands it back unchanged,
 * or a copy on the driver's heap when asked to duplicate. Asynchronous buffers are always heap
 * copies, as CE 6 makes them in the kernel on ARM's virtually tagged caches; duplicates are heap
 * copies by definition. Every copy is recorded with its source, so the matching close or free
 * writes O/IO data back and releases it (and a pointer that was never opened is refused).
 * No lock is held while caller memory is read or written: copies go through the fault probe.
 * On a ce5 machine the calls do not exist: E_NOTIMPL with ERROR_NOT_SUPPORTED, said once.
 */
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/fault.h"
#include "core/machine.h"
#include "pkfuncs.h"
#include "proc/caller.h"
#include "vm/profile.h"

#define ARG_IN  0x4u
#define ARG_OUT 0x8u

enum copy_kind { COPY_OPEN, COPY_ASYNC, COPY_DUP };

/* A heap copy some call made, for its close/free to find. */
struct copy {
    void *dup;
    void *src;
    uint32_t src_ce; /* CE address of src (0xFFFFFFFF: host memory) */
    DWORD cb;
    enum copy_kind kind;
};

#define MAX_COPIES 256
static pthread_mutex_t g_copies_lock = PTHREAD_MUTEX_INITIALIZER;
static struct copy g_copies[MAX_COPIES];
static size_t g_ncopies;

static int arg_valid(DWORD d)
{
    /* I_PTR 4, I_WSTR 5, I_ASTR 6, I_PDW 7, O_PTR 8, O_PDW 9, O_PI64 0xA, IO_PTR 0xC, IO_PDW 0xD,
     * IO_PI64 0xE: an I and/or O bit and a type in the low two bits (O has no string type). */
    return (d == 4 || d == 5 || d == 6 || d == 7 || d == 8 || d == 9 || d == 0xA || d == 0xC ||
            d == 0xD || d == 0xE);
}

static int arg_string(DWORD d)
{
    return d == 5 || d == 6;
}

/* On ce5 the calls are missing: say so once. Return: 1 on ce5. */
static int missing_on_ce5(const char *call)
{
    if (caller_slots() == 0)
        return 0;
    static int said;
    if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
        fprintf(stderr,
                "cevm: %s is a CE 6.0 call; profile ce5 has no caller-buffer marshalling (a CE 5 "
                "driver maps pointers with MapCallerPtr)\n",
                call);
    SetLastError(ERROR_NOT_SUPPORTED);
    return 1;
}

/* The length of a NUL-terminated string argument including its NUL, read through the probe.
 * Return: the length, or 0 if the string cannot be read. */
static DWORD string_size(const void *p, DWORD desc)
{
    size_t unit = desc == 5 ? 2 : 1; /* I_WSTR: 16-bit characters */
    for (DWORD n = 0; n < 0x100000u; n++) {
        uint16_t c = 0;
        if (cevm_probe_copy(&c, (const BYTE *)p + n * unit, unit))
            return 0;
        if (c == 0)
            return (DWORD)((n + 1) * unit);
    }
    return 0;
}

/* May the driver use [p, p + cb) on behalf of its caller (with write access for O/IO)? The
 * application's pointers must be its user space; a kernel caller's may be any CE memory or the
 * program's own. */
static int caller_access(const void *p, DWORD cb, int write, int from_app)
{
    struct machine *m = ce_acquire();
    if (!m)
        return 0;
    uint32_t ce;
    int ok;
    if (!ce_arg_addr(m, p, &ce))
        ok = !from_app; /* host memory of the program: a kernel caller's own */
    else
        ok = ce_range_usable(m, ce, cb, write, from_app);
    machine_unlock();
    return ok;
}

/* Record a copy. Return: 0, or -1 when the table is full. */
static int remember(void *dup, void *src, DWORD cb, enum copy_kind kind)
{
    uint32_t src_ce = cevm_ce_addr(src);
    pthread_mutex_lock(&g_copies_lock);
    int rc = -1;
    if (g_ncopies < MAX_COPIES) {
        g_copies[g_ncopies++] = (struct copy){dup, src, src_ce, cb, kind};
        rc = 0;
    }
    pthread_mutex_unlock(&g_copies_lock);
    return rc;
}

/* Take the record of dup made by kind. Return: 1 and *out, or 0. */
static int take(void *dup, enum copy_kind kind, struct copy *out)
{
    pthread_mutex_lock(&g_copies_lock);
    int found = 0;
    for (size_t i = 0; i < g_ncopies; i++)
        if (g_copies[i].dup == dup && g_copies[i].kind == kind) {
            *out = g_copies[i];
            g_copies[i] = g_copies[--g_ncopies];
            found = 1;
            break;
        }
    pthread_mutex_unlock(&g_copies_lock);
    return found;
}

/* The checks every call shares: a descriptor, a source and a size (a string's may be 0: its
 * length is measured). Return: S_OK with *cb set, or the HRESULT. */
static HRESULT check_args(const void *src, DWORD *cb, DWORD desc)
{
    if (!arg_valid(desc) || !src) /* ARG_DW (0) included: it is no buffer */
        return E_INVALIDARG;
    if (*cb == 0 && arg_string(desc) && !(*cb = string_size(src, desc)))
        return E_ACCESSDENIED;
    return *cb ? S_OK : E_INVALIDARG;
}

/* A heap copy of src (copied in for I and IO arguments, zeroed for O). */
static HRESULT make_copy(void **out, void *src, DWORD cb, DWORD desc, enum copy_kind kind)
{
    void *dup = LocalAlloc(LPTR, cb);
    if (!dup)
        return E_OUTOFMEMORY;
    if ((desc & ARG_IN) && cevm_probe_copy(dup, src, cb)) {
        LocalFree(dup);
        return E_ACCESSDENIED;
    }
    if (remember(dup, src, cb, kind)) {
        LocalFree(dup);
        return E_OUTOFMEMORY;
    }
    *out = dup;
    return S_OK;
}

/* Write an O/IO copy back to its source and free it. Return: S_OK, or failed if the source
 * could not be written (the copy is freed anyway). */
static HRESULT write_back(const struct copy *c, DWORD desc, HRESULT failed)
{
    HRESULT hr = S_OK;
    if ((desc & ARG_OUT) && cevm_probe_copy(c->src, c->dup, c->cb))
        hr = failed;
    LocalFree(c->dup);
    return hr;
}

static HRESULT impl_CeOpenCallerBuffer(PVOID *ppDestMarshalled, PVOID pSrcUnmarshalled, DWORD cbSrc,
                                       DWORD ArgumentDescriptor, BOOL ForceDuplicate)
{
    if (missing_on_ce5("CeOpenCallerBuffer"))
        return E_NOTIMPL;
    void *none = NULL;
    if (!ppDestMarshalled || cevm_probe_copy(ppDestMarshalled, &none, sizeof none))
        return E_INVALIDARG;
    HRESULT hr = check_args(pSrcUnmarshalled, &cbSrc, ArgumentDescriptor);
    if (hr != S_OK)
        return hr;
    if (!caller_access(pSrcUnmarshalled, cbSrc, (ArgumentDescriptor & ARG_OUT) != 0,
                       caller_active()))
        return E_ACCESSDENIED;
    if (ForceDuplicate)
        return make_copy(ppDestMarshalled, pSrcUnmarshalled, cbSrc, ArgumentDescriptor, COPY_OPEN);
    *ppDestMarshalled = pSrcUnmarshalled; /* the caller's space is the one mapped: direct access */
    return S_OK;
}

static HRESULT impl_CeCloseCallerBuffer(PVOID pDestMarshalled, PVOID pSrcUnmarshalled, DWORD cbSrc,
                                        DWORD ArgumentDescriptor)
{
    if (missing_on_ce5("CeCloseCallerBuffer"))
        return E_NOTIMPL;
    if (!pDestMarshalled || !pSrcUnmarshalled || !arg_valid(ArgumentDescriptor) ||
        (!cbSrc && !arg_string(ArgumentDescriptor)))
        return E_INVALIDARG;
    struct copy c;
    if (take(pDestMarshalled, COPY_OPEN, &c))
        return write_back(&c, ArgumentDescriptor, E_ACCESSDENIED);
    /* Not a duplicate: only the caller's own pointer may be closed. */
    return pDestMarshalled == pSrcUnmarshalled ? S_OK : E_INVALIDARG;
}

static HRESULT impl_CeAllocAsynchronousBuffer(PVOID *ppDestAsyncMarshalled,
                                              PVOID pSrcSyncMarshalled, DWORD cbSrc,
                                              DWORD ArgumentDescriptor)
{
    if (missing_on_ce5("CeAllocAsynchronousBuffer"))
        return E_NOTIMPL;
    void *none = NULL;
    if (!ppDestAsyncMarshalled || cevm_probe_copy(ppDestAsyncMarshalled, &none, sizeof none))
        return E_INVALIDARG;
    HRESULT hr = check_args(pSrcSyncMarshalled, &cbSrc, ArgumentDescriptor);
    if (hr != S_OK)
        return hr;
    if (!caller_access(pSrcSyncMarshalled, cbSrc, (ArgumentDescriptor & ARG_OUT) != 0, 0))
        return E_ACCESSDENIED;
    return make_copy(ppDestAsyncMarshalled, pSrcSyncMarshalled, cbSrc, ArgumentDescriptor,
                     COPY_ASYNC);
}

static HRESULT impl_CeFreeAsynchronousBuffer(PVOID pDestAsyncMarshalled, PVOID pSrcSyncMarshalled,
                                             DWORD cbSrc, DWORD ArgumentDescriptor)
{
    if (missing_on_ce5("CeFreeAsynchronousBuffer"))
        return E_NOTIMPL;
    if (!pDestAsyncMarshalled || !pSrcSyncMarshalled || !arg_valid(ArgumentDescriptor) ||
        (!cbSrc && !arg_string(ArgumentDescriptor)))
        return E_INVALIDARG;
    struct copy c;
    if (!take(pDestAsyncMarshalled, COPY_ASYNC, &c))
        return E_INVALIDARG;
    HRESULT hr = write_back(&c, ArgumentDescriptor, E_ACCESSDENIED);
    caller_unpin(c.src_ce); /* the call's buffers the driver host held for it can go */
    return hr;
}

int marshal_async_inside(uint32_t lo, uint32_t hi)
{
    pthread_mutex_lock(&g_copies_lock);
    int found = 0;
    for (size_t i = 0; i < g_ncopies && !found; i++)
        found =
            g_copies[i].kind == COPY_ASYNC && g_copies[i].src_ce >= lo && g_copies[i].src_ce < hi;
    pthread_mutex_unlock(&g_copies_lock);
    return found;
}

static HRESULT impl_CeAllocDuplicateBuffer(PVOID *ppDestDuplicate, PVOID pSrcMarshalled,
                                           DWORD cbSrc, DWORD ArgumentDescriptor)
{
    if (missing_on_ce5("CeAllocDuplicateBuffer"))
        return E_NOTIMPL;
    void *none = NULL;
    if (!ppDestDuplicate || cevm_probe_copy(ppDestDuplicate, &none, sizeof none))
        return E_INVALIDARG;
    HRESULT hr = check_args(pSrcMarshalled, &cbSrc, ArgumentDescriptor);
    if (hr != S_OK)
        return hr;
    if (!caller_access(pSrcMarshalled, cbSrc, (ArgumentDescriptor & ARG_OUT) != 0, 0))
        return E_ACCESSDENIED;
    return make_copy(ppDestDuplicate, pSrcMarshalled, cbSrc, ArgumentDescriptor, COPY_DUP);
}

static HRESULT impl_CeFreeDuplicateBuffer(PVOID pDestDuplicate, PVOID pSrcMarshalled, DWORD cbSrc,
                                          DWORD ArgumentDescriptor)
{
    if (missing_on_ce5("CeFreeDuplicateBuffer"))
        return E_NOTIMPL;
    if (!pDestDuplicate || !pSrcMarshalled || !arg_valid(ArgumentDescriptor) ||
        (!cbSrc && !arg_string(ArgumentDescriptor)))
        return E_INVALIDARG;
    struct copy c;
    if (!take(pDestDuplicate, COPY_DUP, &c))
        return E_INVALIDARG;
    return write_back(&c, ArgumentDescriptor, E_FAIL);
}

void marshal_reset(void)
{
    pthread_mutex_lock(&g_copies_lock);
    g_ncopies = 0; /* the heap they were on is emptied at shutdown */
    pthread_mutex_unlock(&g_copies_lock);
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

HRESULT WINAPI CeOpenCallerBuffer(PVOID *ppDestMarshalled, PVOID pSrcUnmarshalled, DWORD cbSrc,
                                  DWORD ArgumentDescriptor, BOOL ForceDuplicate)
{
    uint64_t t0 = ce_trace_start();
    HRESULT r = impl_CeOpenCallerBuffer(ppDestMarshalled, pSrcUnmarshalled, cbSrc,
                                        ArgumentDescriptor, ForceDuplicate);
    if (t0)
        ce_trace_done(t0, "CeOpenCallerBuffer", TR_DWORD, (uint64_t)r,
                      "ppDestMarshalled %s, pSrcUnmarshalled %s, cbSrc 0x%X, ArgumentDescriptor "
                      "0x%X, ForceDuplicate 0x%X",
                      ce_trace_ptr(ppDestMarshalled), ce_trace_ptr(pSrcUnmarshalled),
                      (unsigned)cbSrc, (unsigned)ArgumentDescriptor, (unsigned)ForceDuplicate);
    return r;
}

HRESULT WINAPI CeCloseCallerBuffer(PVOID pDestMarshalled, PVOID pSrcUnmarshalled, DWORD cbSrc,
                                   DWORD ArgumentDescriptor)
{
    uint64_t t0 = ce_trace_start();
    HRESULT r =
        impl_CeCloseCallerBuffer(pDestMarshalled, pSrcUnmarshalled, cbSrc, ArgumentDescriptor);
    if (t0)
        ce_trace_done(
            t0, "CeCloseCallerBuffer", TR_DWORD, (uint64_t)r,
            "pDestMarshalled %s, pSrcUnmarshalled %s, cbSrc 0x%X, ArgumentDescriptor 0x%X",
            ce_trace_ptr(pDestMarshalled), ce_trace_ptr(pSrcUnmarshalled), (unsigned)cbSrc,
            (unsigned)ArgumentDescriptor);
    return r;
}

HRESULT WINAPI CeAllocAsynchronousBuffer(PVOID *ppDestAsyncMarshalled, PVOID pSrcSyncMarshalled,
                                         DWORD cbSrc, DWORD ArgumentDescriptor)
{
    uint64_t t0 = ce_trace_start();
    HRESULT r = impl_CeAllocAsynchronousBuffer(ppDestAsyncMarshalled, pSrcSyncMarshalled, cbSrc,
                                               ArgumentDescriptor);
    if (t0)
        ce_trace_done(
            t0, "CeAllocAsynchronousBuffer", TR_DWORD, (uint64_t)r,
            "ppDestAsyncMarshalled %s, pSrcSyncMarshalled %s, cbSrc 0x%X, ArgumentDescriptor 0x%X",
            ce_trace_ptr(ppDestAsyncMarshalled), ce_trace_ptr(pSrcSyncMarshalled), (unsigned)cbSrc,
            (unsigned)ArgumentDescriptor);
    return r;
}

HRESULT WINAPI CeFreeAsynchronousBuffer(PVOID pDestAsyncMarshalled, PVOID pSrcSyncMarshalled,
                                        DWORD cbSrc, DWORD ArgumentDescriptor)
{
    uint64_t t0 = ce_trace_start();
    HRESULT r = impl_CeFreeAsynchronousBuffer(pDestAsyncMarshalled, pSrcSyncMarshalled, cbSrc,
                                              ArgumentDescriptor);
    if (t0)
        ce_trace_done(
            t0, "CeFreeAsynchronousBuffer", TR_DWORD, (uint64_t)r,
            "pDestAsyncMarshalled %s, pSrcSyncMarshalled %s, cbSrc 0x%X, ArgumentDescriptor 0x%X",
            ce_trace_ptr(pDestAsyncMarshalled), ce_trace_ptr(pSrcSyncMarshalled), (unsigned)cbSrc,
            (unsigned)ArgumentDescriptor);
    return r;
}

HRESULT WINAPI CeAllocDuplicateBuffer(PVOID *ppDestDuplicate, PVOID pSrcMarshalled, DWORD cbSrc,
                                      DWORD ArgumentDescriptor)
{
    uint64_t t0 = ce_trace_start();
    HRESULT r =
        impl_CeAllocDuplicateBuffer(ppDestDuplicate, pSrcMarshalled, cbSrc, ArgumentDescriptor);
    if (t0)
        ce_trace_done(t0, "CeAllocDuplicateBuffer", TR_DWORD, (uint64_t)r,
                      "ppDestDuplicate %s, pSrcMarshalled %s, cbSrc 0x%X, ArgumentDescriptor 0x%X",
                      ce_trace_ptr(ppDestDuplicate), ce_trace_ptr(pSrcMarshalled), (unsigned)cbSrc,
                      (unsigned)ArgumentDescriptor);
    return r;
}

HRESULT WINAPI CeFreeDuplicateBuffer(PVOID pDestDuplicate, PVOID pSrcMarshalled, DWORD cbSrc,
                                     DWORD ArgumentDescriptor)
{
    uint64_t t0 = ce_trace_start();
    HRESULT r =
        impl_CeFreeDuplicateBuffer(pDestDuplicate, pSrcMarshalled, cbSrc, ArgumentDescriptor);
    if (t0)
        ce_trace_done(t0, "CeFreeDuplicateBuffer", TR_DWORD, (uint64_t)r,
                      "pDestDuplicate %s, pSrcMarshalled %s, cbSrc 0x%X, ArgumentDescriptor 0x%X",
                      ce_trace_ptr(pDestDuplicate), ce_trace_ptr(pSrcMarshalled), (unsigned)cbSrc,
                      (unsigned)ArgumentDescriptor);
    return r;
}
