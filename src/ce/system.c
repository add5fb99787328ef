/*
 * system.c — GetSystemInfo, GlobalMemoryStatus, GetLastError and SetLastError.
 *
 * The last error is per thread, as in CE. GetSystemInfo reports the values every CE version
 * gives (spec §13): 4 KB pages, 64 KB allocation granularity, application addresses
 * 0x10000..0x7FFFFFFF (as host pointers), one processor.
 */
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <string.h>

#include "core/fault.h"
#include "core/machine.h"

static __thread DWORD t_last_error;

DWORD WINAPI GetLastError(void)
{
    return t_last_error;
}

void WINAPI SetLastError(DWORD dwErrCode)
{
    t_last_error = dwErrCode;
}

static void impl_GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)
{
    struct machine *m = ce_acquire();
    if (!m)
        return;
    SYSTEM_INFO si;
    memset(&si, 0, sizeof si);
    si.wProcessorArchitecture = PROCESSOR_ARCHITECTURE_ARM;
    si.dwPageSize = CE_PAGE_SIZE;
    si.lpMinimumApplicationAddress = window_ptr(&m->win, 0x10000u);
    si.lpMaximumApplicationAddress = window_ptr(&m->win, 0x7FFFFFFFu);
    si.dwActiveProcessorMask = 1;
    si.dwNumberOfProcessors = 1;
    si.dwAllocationGranularity = CE_BLOCK_SIZE;
    machine_unlock();
    if (!lpSystemInfo || cevm_probe_copy(lpSystemInfo, &si, sizeof si))
        SetLastError(ERROR_INVALID_PARAMETER);
}

static void impl_GlobalMemoryStatus(LPMEMORYSTATUS lpBuffer)
{
    struct machine *m = ce_acquire();
    if (!m)
        return;
    MEMORYSTATUS ms;
    memset(&ms, 0, sizeof ms);
    ms.dwLength = sizeof ms;
    ms.dwTotalPhys = m->pm.nframes * CE_PAGE_SIZE;
    ms.dwAvailPhys = m->pm.nfree * CE_PAGE_SIZE;
    ms.dwMemoryLoad =
        m->pm.nframes ? (DWORD)(100ull * (m->pm.nframes - m->pm.nfree) / m->pm.nframes) : 0;
    /* The process's virtual space: its 32 MB slot (CE 5), or its 2 GB user space (CE 6+). */
    uint32_t first = vm_slot_base(&m->vm) >> 16, free_blocks = 0;
    uint32_t end = vm_slot_base(&m->vm) ? first + CE_BLOCKS_PER_SECTION : CE_USER_BLOCKS;
    ms.dwTotalVirtual = vm_slot_base(&m->vm) ? CE_SECTION_SIZE : CE_KERNEL_BASE;
    for (uint32_t b = first + 1; b < end; b++)
        free_blocks += m->vm.block[b] == NULL;
    ms.dwAvailVirtual = free_blocks * CE_BLOCK_SIZE;
    machine_unlock();
    if (!lpBuffer || cevm_probe_copy(lpBuffer, &ms, sizeof ms))
        SetLastError(ERROR_INVALID_PARAMETER);
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)
{
    uint64_t t0 = ce_trace_start();
    impl_GetSystemInfo(lpSystemInfo);
    if (t0)
        ce_trace_done(t0, "GetSystemInfo", TR_VOID, 0, "lpSystemInfo %s",
                      ce_trace_ptr(lpSystemInfo));
}

void WINAPI GlobalMemoryStatus(LPMEMORYSTATUS lpBuffer)
{
    uint64_t t0 = ce_trace_start();
    impl_GlobalMemoryStatus(lpBuffer);
    if (t0)
        ce_trace_done(t0, "GlobalMemoryStatus", TR_VOID, 0, "lpBuffer %s", ce_trace_ptr(lpBuffer));
}
