/*
 * virtual.c — the CE calls VirtualAlloc, VirtualFree, VirtualProtect and VirtualQuery.
 *
 * Each call converts its pointer arguments to CE addresses (a value below 4 GiB is taken as a
 * CE address, a pointer into the window is translated, anything else is a wild pointer: 87),
 * runs the CE rules in the VM under the machine lock, converts results back to host pointers
 * and sets GetLastError on failure. Results are written through caller pointers with a probe,
 * so a wild output pointer fails with 87 instead of crashing.
 */
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <string.h>

#include "core/fault.h"
#include "core/machine.h"

int ce_arg_addr(const struct machine *m, const void *p, uint32_t *ce)
{
    uintptr_t v = (uintptr_t)p;
    if (v < WINDOW_SIZE) {
        *ce = (uint32_t)v;
        return 1;
    }
    return window_contains(&m->win, v, ce);
}

struct machine *ce_acquire(void)
{
    struct machine *m = machine_acquire();
    if (!m)
        SetLastError(ERROR_NOT_READY);
    return m;
}

static void *ce_ptr(const struct machine *m, uint32_t ce)
{
    return window_ptr(&m->win, ce);
}

static void fill_mbi(const struct machine *m, const struct vm_query *q,
                     MEMORY_BASIC_INFORMATION *mbi)
{
    mbi->BaseAddress = ce_ptr(m, q->base);
    mbi->AllocationBase = q->alloc_base ? ce_ptr(m, q->alloc_base) : NULL;
    mbi->AllocationProtect = q->alloc_protect;
    mbi->RegionSize = q->size;
    mbi->State = q->state;
    mbi->Protect = q->protect;
    mbi->Type = q->type;
}

DWORD ce_query_reply(struct machine *m, uint32_t err, const struct vm_query *q,
                     PMEMORY_BASIC_INFORMATION out)
{
    MEMORY_BASIC_INFORMATION mbi;
    memset(&mbi, 0, sizeof mbi);
    if (!err)
        fill_mbi(m, q, &mbi);
    machine_unlock();
    if (!err && cevm_probe_copy(out, &mbi, sizeof mbi)) /* the caller's memory, lock released */
        err = ERROR_INVALID_PARAMETER;
    if (err) {
        SetLastError(err);
        return 0;
    }
    return sizeof(MEMORY_BASIC_INFORMATION);
}

static LPVOID WINAPI impl_VirtualAlloc(LPVOID lpAddress, DWORD dwSize, DWORD flAllocationType,
                                       DWORD flProtect)
{
    struct machine *m = ce_acquire();
    if (!m)
        return NULL;
    uint32_t ce, out = 0, err;
    if (!ce_arg_addr(m, lpAddress, &ce))
        err = ERROR_INVALID_PARAMETER;
    else
        err = vm_alloc(&m->vm, ce, dwSize, flAllocationType, flProtect, &out);
    void *ret = err ? NULL : ce_ptr(m, out);
    machine_unlock();
    if (err)
        SetLastError(err);
    return ret;
}

static BOOL WINAPI impl_VirtualFree(LPVOID lpAddress, DWORD dwSize, DWORD dwFreeType)
{
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce, err;
    if (!ce_arg_addr(m, lpAddress, &ce) || (dwFreeType & VM_FREE_FORCE))
        err = ERROR_INVALID_PARAMETER; /* the force flag is FreePhysMem's, not the caller's */
    else
        err = vm_free(&m->vm, ce, dwSize, dwFreeType);
    machine_unlock();
    return ce_bool(err);
}

static BOOL WINAPI impl_VirtualProtect(LPVOID lpAddress, DWORD dwSize, DWORD flNewProtect,
                                       PDWORD lpflOldProtect)
{
    /* A wild old-protection pointer must fail before anything changes: prove it writable by
     * reading and rewriting its current value (the machine must be up for the probe). */
    if (!ce_acquire())
        return FALSE;
    machine_unlock();
    DWORD probe;
    if (lpflOldProtect && (cevm_probe_copy(&probe, lpflOldProtect, sizeof probe) ||
                           cevm_probe_copy(lpflOldProtect, &probe, sizeof probe))) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce, err, old = 0;
    if (!ce_arg_addr(m, lpAddress, &ce))
        err = ERROR_INVALID_PARAMETER;
    else
        err = vm_protect(&m->vm, ce, dwSize, flNewProtect, lpflOldProtect ? &old : NULL);
    machine_unlock();
    /* The old protection is stored even when locked pages made the call fail (spec §5). */
    if (old)
        *lpflOldProtect = old;
    return ce_bool(err);
}

static DWORD WINAPI impl_VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                                      DWORD dwLength)
{
    /* CE order (spec §6): length first, then the buffer and the address. */
    if (dwLength < sizeof(MEMORY_BASIC_INFORMATION)) {
        SetLastError(ERROR_BAD_LENGTH);
        return 0;
    }
    if (!lpBuffer) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return 0;
    }
    struct machine *m = ce_acquire();
    if (!m)
        return 0;
    uint32_t ce, err;
    struct vm_query q;
    if (!ce_arg_addr(m, lpAddress, &ce))
        err = ERROR_INVALID_PARAMETER;
    else
        err = vm_query(&m->vm, ce, &q);
    return ce_query_reply(m, err, &q, lpBuffer);
}

/* ---- the traced entry points (ce/trace.h) -------------------------------------------------- */

LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, DWORD dwSize, DWORD flAllocationType, DWORD flProtect)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_VirtualAlloc(lpAddress, dwSize, flAllocationType, flProtect);
    if (t0)
        ce_trace_done(t0, "VirtualAlloc", TR_PTR, (uintptr_t)r,
                      "lpAddress %s, dwSize 0x%X, flAllocationType %s, flProtect %s",
                      ce_trace_ptr(lpAddress), dwSize, ce_trace_flags(flAllocationType, TR_ALLOC),
                      ce_trace_flags(flProtect, TR_PROTECT));
    return r;
}

BOOL WINAPI VirtualFree(LPVOID lpAddress, DWORD dwSize, DWORD dwFreeType)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_VirtualFree(lpAddress, dwSize, dwFreeType);
    if (t0)
        ce_trace_done(t0, "VirtualFree", TR_BOOL, (uint64_t)r,
                      "lpAddress %s, dwSize 0x%X, dwFreeType %s", ce_trace_ptr(lpAddress), dwSize,
                      ce_trace_flags(dwFreeType, TR_FREE));
    return r;
}

BOOL WINAPI VirtualProtect(LPVOID lpAddress, DWORD dwSize, DWORD flNewProtect,
                           PDWORD lpflOldProtect)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_VirtualProtect(lpAddress, dwSize, flNewProtect, lpflOldProtect);
    if (t0)
        ce_trace_done(t0, "VirtualProtect", TR_BOOL, (uint64_t)r,
                      "lpAddress %s, dwSize 0x%X, flNewProtect %s, lpflOldProtect %s",
                      ce_trace_ptr(lpAddress), dwSize, ce_trace_flags(flNewProtect, TR_PROTECT),
                      ce_trace_ptr(lpflOldProtect));
    return r;
}

DWORD WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, DWORD dwLength)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_VirtualQuery(lpAddress, lpBuffer, dwLength);
    if (t0)
        ce_trace_done(t0, "VirtualQuery", TR_DWORD, r, "lpAddress %s, lpBuffer %s, dwLength 0x%X",
                      ce_trace_ptr(lpAddress), ce_trace_ptr(lpBuffer), dwLength);
    return r;
}
