/*
 * process.c — the process and caller calls of a CE driver or program (kfuncs.h, pkfuncs.h):
 * current/owner/caller process, MapCallerPtr and MapPtrToProcess, thread permissions and
 * kernel mode, VirtualAllocCopyEx, and CacheSync/CacheRangeFlush, which are recorded for tests
 * (cevm_cache_log).
 *
 * cevm runs the current process and, around a driver host call, the calling application
 * (proc/caller.c) in a slot of its own. Slot-0 pointers are mapped as CE 5 maps them (slot base
 * added) for the caller or the named process; MapCallerPtr also checks the range is committed
 * CE memory (host memory of the program is passed through unchecked). CE 6.0 dropped the
 * pointer-mapping and permission calls: on a CE 6+ profile they say so once and fail.
 */
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cevm/cevm.h"
#include "pkfuncs.h"
#include "core/machine.h"
#include "proc/caller.h"

HANDLE WINAPI GetCurrentProcess(void)
{
    return CEVM_CURRENT_PROCESS_HANDLE;
}

/* The process id of the caller: the application during a driver call from it (caller.c), else
 * the current process. */
static DWORD caller_id(void)
{
    return caller_active() ? caller_process_id() : GetCurrentProcessId();
}

HANDLE WINAPI GetOwnerProcess(void)
{
    return (HANDLE)(ULONG_PTR)caller_id(); /* the application owns the migrated thread */
}

HANDLE WINAPI GetCallerProcess(void)
{
    return (HANDLE)(ULONG_PTR)caller_id();
}

DWORD WINAPI GetDirectCallerProcessId(void)
{
    return caller_id();
}

DWORD WINAPI GetCallerVMProcessId(void)
{
    return caller_id();
}

/* Is [p, p + len) usable by CE code: committed pages of the CE address space, or (outside the
 * window) the program's own memory? */
static int range_usable(const void *p, DWORD len)
{
    if (!p)
        return 0;
    const BYTE *b = p;
    uint32_t ce = cevm_ce_addr(p);
    if (cevm_host_ptr(ce) != p)
        return 1; /* a host pointer (the program's stack, globals, malloc): not CE-checked */
    uint32_t end = ce + (len ? len : 1);
    if (end < ce)
        return 0;
    while (b < (const BYTE *)p + (len ? len : 1)) {
        MEMORY_BASIC_INFORMATION mbi;
        ce_trace_quiet(1); /* a check of cevm's, not the program's call */
        DWORD got = VirtualQuery(b, &mbi, sizeof mbi);
        ce_trace_quiet(0);
        if (!got || mbi.State != MEM_COMMIT || (mbi.Protect & (PAGE_NOACCESS | PAGE_GUARD)))
            return 0;
        b = (const BYTE *)mbi.BaseAddress + mbi.RegionSize;
    }
    return 1;
}

/* The slot of process id `id` (the current process or the caller), or 0 for another id (and
 * for every process on CE 6+, which has no slots). */
static uint32_t slot_of(DWORD id)
{
    if (id == GetCurrentProcessId() || id == (DWORD)(ULONG_PTR)CEVM_CURRENT_PROCESS_HANDLE) {
        machine_lock();
        uint32_t slot = g_machine ? vm_slot_base(&g_machine->vm) : 0;
        machine_unlock();
        return slot;
    }
    if (id == caller_process_id())
        return caller_slots() ? (caller_index() + 1) << 25 : 0; /* CE 6+: no slots */
    return 0;
}

/* The mapped form of p in slot (a CE 5 slot-0 pointer, ZeroPtr form, gets the slot's base);
 * pointers already mapped, and host pointers outside the window, come back unchanged. */
static LPVOID map_to(LPVOID p, uint32_t slot)
{
    uint32_t ce = cevm_ce_addr(p);
    if (cevm_host_ptr(ce) != p || ce >= 0x02000000u || ce < 0x10000u)
        return p;
    return cevm_host_ptr(slot | ce);
}

/* CE 5 calls CE 6.0 no longer has ("Unsupported Kernel APIs"): on ce6 and ce7 each says once
 * what a CE 6 driver does instead, and fails (ERROR_NOT_SUPPORTED where it can say so).
 * Return: 1 on CE 6+. */
static int gone_in_ce6(const char *call, int *said)
{
    if (caller_slots())
        return 0;
    if (!__atomic_exchange_n(said, 1, __ATOMIC_RELAXED))
        fprintf(stderr,
                "cevm: %s is not supported as of CE 6.0 (this machine runs a CE 6+ profile): a "
                "kernel-mode driver uses its caller's pointers directly, and embedded or kept "
                "pointers through CeOpenCallerBuffer / CeAllocAsynchronousBuffer\n",
                call);
    SetLastError(ERROR_NOT_SUPPORTED);
    return 1;
}

static LPVOID impl_MapCallerPtr(LPVOID ptr, DWORD length)
{
    static int said;
    if (gone_in_ce6("MapCallerPtr", &said))
        return NULL;
    LPVOID mapped = ptr ? map_to(ptr, slot_of(caller_id())) : NULL;
    if (!range_usable(mapped, length)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    return mapped;
}

static LPVOID impl_MapPtrToProcess(LPVOID lpv, HANDLE hProc)
{
    static int said;
    if (gone_in_ce6("MapPtrToProcess", &said))
        return NULL;
    uint32_t slot = slot_of((DWORD)(ULONG_PTR)hProc);
    if (!lpv || !slot) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    return map_to(lpv, slot);
}

static LPVOID impl_UnMapPtr(LPVOID lpv)
{
    return CeZeroPointer(lpv);
}

LPVOID WINAPI CeZeroPointer(LPVOID ptr)
{
    static int said;
    if (gone_in_ce6("CeZeroPointer/UnMapPtr", &said))
        return ptr;
    uint32_t ce = cevm_ce_addr(ptr);
    /* A pointer into a process slot (slots 1..32) becomes its slot-0 form. */
    if (cevm_host_ptr(ce) != ptr || ce < 0x02000000u || ce >= 0x42000000u)
        return ptr;
    return cevm_host_ptr(ce & 0x01FFFFFFu);
}

static __thread DWORD t_perms = 0xFFFFFFFF;
static __thread BOOL t_kmode;

static DWORD impl_SetProcPermissions(DWORD newperms)
{
    static int said;
    if (gone_in_ce6("SetProcPermissions", &said))
        return 0;
    DWORD old = t_perms;
    t_perms = newperms;
    return old;
}

DWORD WINAPI GetCurrentPermissions(void)
{
    static int said;
    if (gone_in_ce6("GetCurrentPermissions", &said))
        return 0;
    return t_perms;
}

static BOOL impl_SetKMode(BOOL fMode)
{
    static int said;
    if (gone_in_ce6("SetKMode", &said))
        return FALSE;
    BOOL old = t_kmode;
    t_kmode = fMode ? TRUE : FALSE;
    return old;
}

static LPVOID impl_VirtualAllocCopyEx(HANDLE hSrcProc, HANDLE hDstProc, LPVOID lpAddress,
                                      DWORD cbSize, DWORD fdwProtect)
{
    (void)hSrcProc;
    (void)hDstProc;
    if (!lpAddress || !cbSize) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    uintptr_t base = (uintptr_t)lpAddress & ~(uintptr_t)0xFFF;
    DWORD offset = (DWORD)((uintptr_t)lpAddress - base);
    DWORD span = (offset + cbSize + 0xFFFu) & ~0xFFFu;
    if (span < cbSize) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    /* A CE 5 virtual-to-virtual copy keeps the offset within 64 KB: reserve 64 KB more and place
     * the alias at the source's offset in its 64 KB block. */
    if (span > 0xFFFFFFFFu - 0x10000u) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    BYTE *region = VirtualAlloc(NULL, span + 0x10000u, MEM_RESERVE, PAGE_NOACCESS);
    if (!region)
        return NULL;
    BYTE *alias = region + (cevm_ce_addr((void *)base) & 0xFFFFu);
    if (!VirtualCopy(alias, (LPVOID)base, span, fdwProtect)) {
        DWORD err = GetLastError();
        VirtualFree(region, 0, MEM_RELEASE);
        SetLastError(err);
        return NULL;
    }
    return alias + offset;
}

/* ---- the cache log ------------------------------------------------------------------------- */

#define CACHE_LOG 256
static pthread_mutex_t g_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cevm_cache_op g_cache_log[CACHE_LOG];
static uint64_t g_cache_count;

static void cache_record(uint32_t kind, const void *p, DWORD len, DWORD flags)
{
    cevm_cache_op op = {kind, p ? cevm_ce_addr(p) : 0, len, flags};
    pthread_mutex_lock(&g_cache_lock);
    g_cache_log[g_cache_count % CACHE_LOG] = op;
    g_cache_count++;
    pthread_mutex_unlock(&g_cache_lock);
}

void WINAPI CacheSync(int flags)
{
    cache_record(CEVM_CACHE_SYNC, NULL, 0, (DWORD)flags);
}

void WINAPI CacheRangeFlush(LPVOID pAddr, DWORD dwLength, DWORD dwFlags)
{
    cache_record(CEVM_CACHE_RANGE_FLUSH, pAddr, dwLength, dwFlags);
}

uint64_t cevm_cache_log(cevm_cache_op *out, size_t max)
{
    pthread_mutex_lock(&g_cache_lock);
    uint64_t total = g_cache_count;
    size_t kept = total < CACHE_LOG ? (size_t)total : CACHE_LOG;
    size_t first = (size_t)(total - kept);
    for (size_t i = 0; i < kept && i < max; i++)
        out[i] = g_cache_log[(first + i) % CACHE_LOG];
    pthread_mutex_unlock(&g_cache_lock);
    return total;
}

void cevm_cache_log_clear(void)
{
    pthread_mutex_lock(&g_cache_lock);
    g_cache_count = 0;
    pthread_mutex_unlock(&g_cache_lock);
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

LPVOID WINAPI MapCallerPtr(LPVOID ptr, DWORD length)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_MapCallerPtr(ptr, length);
    if (t0)
        ce_trace_done(t0, "MapCallerPtr", TR_PTR, (uint64_t)(uintptr_t)r, "ptr %s, length 0x%X",
                      ce_trace_ptr(ptr), (unsigned)length);
    return r;
}

LPVOID WINAPI MapPtrToProcess(LPVOID lpv, HANDLE hProc)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_MapPtrToProcess(lpv, hProc);
    if (t0)
        ce_trace_done(t0, "MapPtrToProcess", TR_PTR, (uint64_t)(uintptr_t)r, "lpv %s, hProc %s",
                      ce_trace_ptr(lpv), ce_trace_handle(hProc));
    return r;
}

LPVOID WINAPI UnMapPtr(LPVOID lpv)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_UnMapPtr(lpv);
    if (t0)
        ce_trace_done(t0, "UnMapPtr", TR_PTR, (uint64_t)(uintptr_t)r, "lpv %s", ce_trace_ptr(lpv));
    return r;
}

DWORD WINAPI SetProcPermissions(DWORD newperms)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_SetProcPermissions(newperms);
    if (t0)
        ce_trace_done(t0, "SetProcPermissions", TR_DWORD, (uint64_t)r, "newperms 0x%X",
                      (unsigned)newperms);
    return r;
}

BOOL WINAPI SetKMode(BOOL fMode)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_SetKMode(fMode);
    if (t0)
        ce_trace_done(t0, "SetKMode", TR_BOOL, (uint64_t)r, "fMode 0x%X", (unsigned)fMode);
    return r;
}

LPVOID WINAPI VirtualAllocCopyEx(HANDLE hSrcProc, HANDLE hDstProc, LPVOID lpAddress, DWORD cbSize,
                                 DWORD fdwProtect)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_VirtualAllocCopyEx(hSrcProc, hDstProc, lpAddress, cbSize, fdwProtect);
    if (t0)
        ce_trace_done(t0, "VirtualAllocCopyEx", TR_PTR, (uint64_t)(uintptr_t)r,
                      "hSrcProc %s, hDstProc %s, lpAddress %s, cbSize 0x%X, fdwProtect 0x%X",
                      ce_trace_handle(hSrcProc), ce_trace_handle(hDstProc), ce_trace_ptr(lpAddress),
                      (unsigned)cbSize, (unsigned)fdwProtect);
    return r;
}
