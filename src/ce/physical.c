/*
 * physical.c — the CE calls that reach physical memory: VirtualCopy, AllocPhysMem,
 * FreePhysMem, VirtualSetAttributes, LockPages, UnlockPages, and CEDDK's MmMapIoSpace /
 * MmUnmapIoSpace, plus UserKInfo. Caller buffers are proved writable before anything changes.
 *
 * MmMapIoSpace is built exactly as CEDDK builds it, from the public calls: reserve the
 * page-rounded range, VirtualCopy it with PAGE_PHYSICAL from the physical address >> 8, and
 * release the reservation if that fails. So its errors, addresses and rounding are those of
 * VirtualAlloc and VirtualCopy, and a driver's own copy of the pattern behaves the same.
 */
#include "ce/trace.h"
#include "host/host.h"
#include "ce/ce_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceddk.h"
#include "core/fault.h"
#include "core/machine.h"
#include "vm/profile.h"
#include "pkfuncs.h"

const long cevm_UserKInfo[32] = {
    [KINX_PAGESIZE] = 4096,
    [KINX_PFN_SHIFT] = 0,
    [KINX_PFN_MASK] = (long)0xFFFFF000u,
};

static BOOL WINAPI impl_VirtualCopy(LPVOID lpvDest, LPVOID lpvSrc, DWORD cbSize, DWORD fdwProtect)
{
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t dst, src, err;
    if (!ce_arg_addr(m, lpvDest, &dst))
        err = ERROR_INVALID_PARAMETER;
    else if (fdwProtect & PAGE_PHYSICAL) { /* a number: the physical address >> 8 */
        uint64_t pa = (uint64_t)(uintptr_t)lpvSrc << 8;
        /* CE 6+: a user-mode driver's physical copy inside its registry windows is performed
         * for it by the reflector (reflector.c); anything else stays kernel-only. */
        int reflect = !m->vm.trusted && !m->vm.prof->slots && reflector_allows(pa, cbSize, dst);
        if (reflect)
            m->vm.trusted = 1;
        err = (uintptr_t)lpvSrc >> 32
                  ? ERROR_INVALID_PARAMETER
                  : vm_copy(&m->vm, dst, (uint32_t)(uintptr_t)lpvSrc, cbSize, fdwProtect);
        if (reflect)
            m->vm.trusted = 0;
    } else if (!ce_arg_addr(m, lpvSrc, &src))
        err = ERROR_INVALID_PARAMETER;
    else
        err = vm_copy(&m->vm, dst, src, cbSize, fdwProtect);
    machine_unlock();
    return ce_bool(err);
}

static LPVOID WINAPI impl_AllocPhysMem(DWORD cbSize, DWORD fdwProtect, DWORD dwAlignmentMask,
                                       DWORD dwFlags, PULONG pPhysicalAddress)
{
    struct machine *m = ce_acquire();
    if (!m)
        return NULL;
    int trusted = m->vm.trusted;
    uint32_t denied = m->vm.prof->allocphys_denied;
    machine_unlock();
    /* The output must be writable before anything is allocated. */
    ULONG probe;
    if (!trusted) { /* a trusted API on CE 5 (5), kernel mode only on CE 6+ (87), checked first */
        SetLastError(denied);
        return NULL;
    }
    if (cbSize == 0 || !pPhysicalAddress || dwFlags != 0 ||
        cevm_probe_copy(&probe, pPhysicalAddress, sizeof probe) ||
        cevm_probe_copy(pPhysicalAddress, &probe, sizeof probe)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (!(m = ce_acquire()))
        return NULL;
    uint32_t va = 0;
    uint64_t pa = 0;
    uint32_t err = vm_alloc_phys(&m->vm, cbSize, fdwProtect, dwAlignmentMask, &va, &pa);
    void *ret = err ? NULL : window_ptr(&m->win, va);
    machine_unlock();
    if (err) {
        SetLastError(err);
        return NULL;
    }
    *pPhysicalAddress = (ULONG)pa;
    return ret;
}

static BOOL WINAPI impl_FreePhysMem(LPVOID lpvAddress)
{
    /* VirtualFree(MEM_RELEASE) with CE 5's force flag: AllocPhysMem's pages are locked. */
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce, err;
    if (!m->vm.trusted)
        err = m->vm.prof->denied; /* a trusted API on CE 5, kernel mode only on CE 6+ */
    else if (!ce_arg_addr(m, lpvAddress, &ce))
        err = ERROR_INVALID_PARAMETER;
    else
        err = vm_free(&m->vm, ce, 0, MEM_RELEASE | VM_FREE_FORCE);
    machine_unlock();
    return ce_bool(err);
}

/* ---- MmMapIoSpace bookkeeping: a second MmUnmapIoSpace of an address reused since ----------
 *
 * CEDDK's MmUnmapIoSpace is VirtualFree(MEM_RELEASE) of the page: unmapping the same pointer
 * twice, after the address went to another reservation (often the heap's next segment), would
 * silently release someone else's memory. cevm remembers which bases MmMapIoSpace returned
 * (live) and which MmUnmapIoSpace released (stale, the last IO_STALE_MAX): an unmap of a stale
 * base that MmMapIoSpace has not returned again is reported, naming the driver call, and
 * releases nothing. Any other address is released as CE releases it. */
#define IO_LIVE_MAX  1024
#define IO_STALE_MAX 256

static pthread_mutex_t g_io = PTHREAD_MUTEX_INITIALIZER;
static uint32_t g_live[IO_LIVE_MAX], g_stale[IO_STALE_MAX];
static size_t g_nlive, g_nstale_next;

/* Remove base from set (g_io held). Return: 1 if it was there. */
static int io_take(uint32_t *set, size_t n, uint32_t base)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == base) {
            set[i] = 0;
            return 1;
        }
    return 0;
}

static void io_mapped(uint32_t base)
{
    pthread_mutex_lock(&g_io);
    io_take(g_stale, IO_STALE_MAX, base);
    size_t i = 0;
    while (i < g_nlive && g_live[i])
        i++;
    if (i < IO_LIVE_MAX) {
        g_live[i] = base;
        if (i == g_nlive)
            g_nlive++;
    }
    pthread_mutex_unlock(&g_io);
}

/* Return: 1 to release base, 0 if it is a stale base (reported). */
static int io_unmapping(uint32_t base)
{
    pthread_mutex_lock(&g_io);
    int live = io_take(g_live, g_nlive, base);
    int stale = !live && io_take(g_stale, IO_STALE_MAX, base);
    if (stale)
        g_stale[(g_nstale_next + IO_STALE_MAX - 1) % IO_STALE_MAX] = base; /* stays stale */
    else if (live) {
        g_stale[g_nstale_next] = base;
        g_nstale_next = (g_nstale_next + 1) % IO_STALE_MAX;
    }
    pthread_mutex_unlock(&g_io);
    return !stale;
}

void ce_io_reset(void)
{
    pthread_mutex_lock(&g_io);
    memset(g_live, 0, sizeof g_live);
    memset(g_stale, 0, sizeof g_stale);
    g_nlive = g_nstale_next = 0;
    pthread_mutex_unlock(&g_io);
}

static PVOID impl_MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, ULONG NumberOfBytes,
                               BOOLEAN CacheEnable)
{
    ULONGLONG base = (ULONGLONG)PhysicalAddress.QuadPart & ~(ULONGLONG)(CE_PAGE_SIZE - 1);
    ULONG offset = PhysicalAddress.LowPart & (CE_PAGE_SIZE - 1);
    ULONG size = NumberOfBytes + offset;
    if (size < NumberOfBytes || base >> 40) { /* the length wraps, or beyond 40 bits */
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    BYTE *va = VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_NOACCESS);
    if (!va)
        return NULL;
    if (!VirtualCopy(va, (LPVOID)(uintptr_t)(base >> 8), size,
                     PAGE_PHYSICAL | PAGE_READWRITE | (CacheEnable ? 0 : PAGE_NOCACHE))) {
        DWORD err = GetLastError();
        VirtualFree(va, 0, MEM_RELEASE);
        SetLastError(err);
        return NULL;
    }
    io_mapped(cevm_ce_addr(va));
    return va + offset;
}

static VOID impl_MmUnmapIoSpace(PVOID BaseAddress, ULONG NumberOfBytes)
{
    (void)NumberOfBytes;
    LPVOID base = (LPVOID)((uintptr_t)BaseAddress & ~(uintptr_t)(CE_PAGE_SIZE - 1));
    uint32_t ce = cevm_ce_addr(base);
    if (ce != 0xFFFFFFFFu && !io_unmapping(ce)) {
        const char *ctx = unimpl_context();
        fprintf(stderr,
                "cevm: MmUnmapIoSpace(0x%08X)%s%s: this mapping was unmapped already and the "
                "address may belong to another reservation now; nothing is released\n",
                ce, ctx[0] ? " in " : "", ctx);
        return;
    }
    VirtualFree(base, 0, MEM_RELEASE);
}

/* Prove that n DWORDs at p can be read and written (p may be NULL). Return: 0 or -1. */
static int probe_dwords(DWORD *p, uint32_t n, DWORD *scratch)
{
    if (!p)
        return 0;
    return cevm_probe_copy(scratch, p, (size_t)n * sizeof *p) ||
                   cevm_probe_copy(p, scratch, (size_t)n * sizeof *p)
               ? -1
               : 0;
}

static BOOL WINAPI impl_VirtualSetAttributes(LPVOID lpvAddress, DWORD cbSize, DWORD dwNewFlags,
                                             DWORD dwMask, LPDWORD lpdwOldFlags)
{
    if (!ce_acquire())
        return FALSE;
    machine_unlock();
    DWORD scratch;
    if (probe_dwords(lpdwOldFlags, 1, &scratch)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce, err, old = 0;
    if (!ce_arg_addr(m, lpvAddress, &ce))
        err = ERROR_INVALID_PARAMETER;
    else
        err = vm_set_attributes(&m->vm, ce, cbSize, dwNewFlags, dwMask, &old);
    machine_unlock();
    if (err) {
        SetLastError(err);
        return FALSE;
    }
    if (lpdwOldFlags)
        *lpdwOldFlags = old;
    return TRUE;
}

static BOOL WINAPI impl_LockPages(LPVOID lpvAddress, DWORD cbSize, PDWORD pPFNs, int fOptions)
{
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce = 0;
    int ok = ce_arg_addr(m, lpvAddress, &ce), trusted = m->vm.trusted;
    uint32_t denied = m->vm.prof->denied;
    machine_unlock();
    if (!trusted) { /* a trusted API on CE 5 (5), kernel mode only on CE 6+ (50), checked first */
        SetLastError(denied);
        return FALSE;
    }
    uint64_t end = (uint64_t)ce + cbSize;
    if (!ok || cbSize == 0 || end > 0x100000000ull) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    uint32_t n = (uint32_t)(((end + CE_PAGE_SIZE - 1) >> 12) - (ce >> 12));
    DWORD *pfn = pPFNs ? host_malloc((size_t)n * sizeof *pfn) : NULL;
    uint32_t err = 0;
    if (pPFNs && !pfn)
        err = ERROR_NOT_ENOUGH_MEMORY;
    else if (probe_dwords(pPFNs, n, pfn))
        err = ERROR_INVALID_PARAMETER;
    if (!err) {
        if (!(m = ce_acquire()))
            err = ERROR_NOT_READY;
        else {
            err = vm_lock_pages(&m->vm, ce, cbSize, pfn, (uint32_t)fOptions);
            machine_unlock();
        }
    }
    if (!err && pPFNs)
        memcpy(pPFNs, pfn, (size_t)n * sizeof *pfn);
    free(pfn);
    return ce_bool(err);
}

static BOOL WINAPI impl_UnlockPages(LPVOID lpvAddress, DWORD cbSize)
{
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce, err;
    if (!ce_arg_addr(m, lpvAddress, &ce))
        err = ERROR_INVALID_PARAMETER;
    else
        err = vm_unlock_pages(&m->vm, ce, cbSize);
    machine_unlock();
    return ce_bool(err);
}

/* ---- the traced entry points (ce/trace.h) -------------------------------------------------- */

BOOL WINAPI VirtualCopy(LPVOID lpvDest, LPVOID lpvSrc, DWORD cbSize, DWORD fdwProtect)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_VirtualCopy(lpvDest, lpvSrc, cbSize, fdwProtect);
    if (t0)
        ce_trace_done(t0, "VirtualCopy", TR_BOOL, (uint64_t)r,
                      "lpvDest %s, lpvSrc 0x%08llX%s, cbSize 0x%X, fdwProtect %s",
                      ce_trace_ptr(lpvDest), (unsigned long long)(uintptr_t)lpvSrc,
                      (fdwProtect & PAGE_PHYSICAL) ? " (PA >> 8)" : "", cbSize,
                      ce_trace_flags(fdwProtect, TR_PROTECT));
    return r;
}

LPVOID WINAPI AllocPhysMem(DWORD cbSize, DWORD fdwProtect, DWORD dwAlignmentMask, DWORD dwFlags,
                           PULONG pPhysicalAddress)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_AllocPhysMem(cbSize, fdwProtect, dwAlignmentMask, dwFlags, pPhysicalAddress);
    if (t0)
        ce_trace_done(t0, "AllocPhysMem", TR_PTR, (uintptr_t)r,
                      "cbSize 0x%X, fdwProtect %s, dwAlignmentMask 0x%X, dwFlags 0x%X, "
                      "pPhysicalAddress %s -> 0x%08X",
                      cbSize, ce_trace_flags(fdwProtect, TR_PROTECT), dwAlignmentMask, dwFlags,
                      ce_trace_ptr(pPhysicalAddress),
                      r && pPhysicalAddress ? (unsigned)*pPhysicalAddress : 0u);
    return r;
}

BOOL WINAPI FreePhysMem(LPVOID lpvAddress)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_FreePhysMem(lpvAddress);
    if (t0)
        ce_trace_done(t0, "FreePhysMem", TR_BOOL, (uint64_t)r, "lpvAddress %s",
                      ce_trace_ptr(lpvAddress));
    return r;
}

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, ULONG NumberOfBytes, BOOLEAN CacheEnable)
{
    uint64_t t0 = ce_trace_start();
    PVOID r = impl_MmMapIoSpace(PhysicalAddress, NumberOfBytes, CacheEnable);
    if (t0)
        ce_trace_done(t0, "MmMapIoSpace", TR_PTR, (uintptr_t)r,
                      "PhysicalAddress 0x%llX, NumberOfBytes 0x%X, CacheEnable %s",
                      (unsigned long long)PhysicalAddress.QuadPart, (unsigned)NumberOfBytes,
                      CacheEnable ? "TRUE" : "FALSE");
    return r;
}

VOID MmUnmapIoSpace(PVOID BaseAddress, ULONG NumberOfBytes)
{
    uint64_t t0 = ce_trace_start();
    impl_MmUnmapIoSpace(BaseAddress, NumberOfBytes);
    if (t0)
        ce_trace_done(t0, "MmUnmapIoSpace", TR_VOID, 0, "BaseAddress %s, NumberOfBytes 0x%X",
                      ce_trace_ptr(BaseAddress), (unsigned)NumberOfBytes);
}

BOOL WINAPI VirtualSetAttributes(LPVOID lpvAddress, DWORD cbSize, DWORD dwNewFlags, DWORD dwMask,
                                 LPDWORD lpdwOldFlags)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_VirtualSetAttributes(lpvAddress, cbSize, dwNewFlags, dwMask, lpdwOldFlags);
    if (t0)
        ce_trace_done(t0, "VirtualSetAttributes", TR_BOOL, (uint64_t)r,
                      "lpvAddress %s, cbSize 0x%X, dwNewFlags 0x%X, dwMask 0x%X, lpdwOldFlags %s",
                      ce_trace_ptr(lpvAddress), cbSize, dwNewFlags, dwMask,
                      ce_trace_ptr(lpdwOldFlags));
    return r;
}

BOOL WINAPI LockPages(LPVOID lpvAddress, DWORD cbSize, PDWORD pPFNs, int fOptions)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_LockPages(lpvAddress, cbSize, pPFNs, fOptions);
    if (t0)
        ce_trace_done(t0, "LockPages", TR_BOOL, (uint64_t)r,
                      "lpvAddress %s, cbSize 0x%X, pPFNs %s, fOptions %s", ce_trace_ptr(lpvAddress),
                      cbSize, ce_trace_ptr(pPFNs), ce_trace_flags((uint32_t)fOptions, TR_LOCK));
    return r;
}

BOOL WINAPI UnlockPages(LPVOID lpvAddress, DWORD cbSize)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_UnlockPages(lpvAddress, cbSize);
    if (t0)
        ce_trace_done(t0, "UnlockPages", TR_BOOL, (uint64_t)r, "lpvAddress %s, cbSize 0x%X",
                      ce_trace_ptr(lpvAddress), cbSize);
    return r;
}
