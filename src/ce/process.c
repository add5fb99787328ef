/*
 * process.c — the process and caller calls of a CE driver or program (kfuncs.h, pkfuncs.h):
 * current/owner/caller process, MapCallerPtr and MapPtrToProcess, thread permissions and
 * kernel mode, VirtualAllocCopyEx, and CacheSync/CacheRangeFlush, which are recorded for tests
 * (cevm_cache_log).
 *
 * cevm runs one CE process, so every process handle or id names it; pointers need no mapping
 * and are only checked (a range must be committed CE memory, or host memory of the program).
 */
#include "ce/ce_api.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "cevm/cevm.h"
#include "pkfuncs.h"

HANDLE WINAPI GetCurrentProcess(void)
{
    return CEVM_CURRENT_PROCESS_HANDLE;
}

HANDLE WINAPI GetOwnerProcess(void)
{
    return (HANDLE)(ULONG_PTR)GetCurrentProcessId();
}

HANDLE WINAPI GetCallerProcess(void)
{
    return (HANDLE)(ULONG_PTR)GetCurrentProcessId();
}

DWORD WINAPI GetDirectCallerProcessId(void)
{
    return GetCurrentProcessId();
}

DWORD WINAPI GetCallerVMProcessId(void)
{
    return GetCurrentProcessId();
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
        if (!VirtualQuery(b, &mbi, sizeof mbi) || mbi.State != MEM_COMMIT ||
            (mbi.Protect & (PAGE_NOACCESS | PAGE_GUARD)))
            return 0;
        b = (const BYTE *)mbi.BaseAddress + mbi.RegionSize;
    }
    return 1;
}

LPVOID WINAPI MapCallerPtr(LPVOID ptr, DWORD length)
{
    if (!range_usable(ptr, length)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    return ptr;
}

LPVOID WINAPI MapPtrToProcess(LPVOID lpv, HANDLE hProc)
{
    (void)hProc;
    if (!lpv) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    return lpv;
}

LPVOID WINAPI UnMapPtr(LPVOID lpv)
{
    return lpv;
}

static __thread DWORD t_perms = 0xFFFFFFFF;
static __thread BOOL t_kmode;

DWORD WINAPI SetProcPermissions(DWORD newperms)
{
    DWORD old = t_perms;
    t_perms = newperms;
    return old;
}

DWORD WINAPI GetCurrentPermissions(void)
{
    return t_perms;
}

BOOL WINAPI SetKMode(BOOL fMode)
{
    BOOL old = t_kmode;
    t_kmode = fMode ? TRUE : FALSE;
    return old;
}

LPVOID WINAPI VirtualAllocCopyEx(HANDLE hSrcProc, HANDLE hDstProc, LPVOID lpAddress, DWORD cbSize,
                                 DWORD fdwProtect)
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

BOOL WINAPI VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize, DWORD dwFreeType)
{
    (void)hProcess;
    /* An alias from VirtualAllocCopyEx is released from its region's base, its pages decommitted
     * first (CE 5 releases only a region that is wholly reserved or wholly committed). */
    if (dwFreeType == MEM_RELEASE && !dwSize && lpAddress) {
        MEMORY_BASIC_INFORMATION mbi;
        if (VirtualQuery(lpAddress, &mbi, sizeof mbi) && mbi.AllocationBase &&
            mbi.AllocationBase != lpAddress) {
            BYTE *base = mbi.AllocationBase, *p = base;
            while (VirtualQuery(p, &mbi, sizeof mbi) && mbi.AllocationBase == base) {
                if (mbi.State == MEM_COMMIT)
                    VirtualFree(p, mbi.RegionSize, MEM_DECOMMIT);
                p = (BYTE *)mbi.BaseAddress + mbi.RegionSize;
            }
            lpAddress = base;
        }
    }
    return VirtualFree(lpAddress, dwSize, dwFreeType);
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
