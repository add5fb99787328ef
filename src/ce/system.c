/*
 * system.c — GetSystemInfo, GetLastError and SetLastError.
 *
 * The last error is per thread, as in CE. GetSystemInfo reports the values every CE version
 * gives (spec §13): 4 KB pages, 64 KB allocation granularity, application addresses
 * 0x10000..0x7FFFFFFF (as host pointers), one processor.
 */
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

void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)
{
    struct machine *m = machine_acquire();
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
