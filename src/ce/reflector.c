/*
 * reflector.c — CE 6's reflector for user-mode drivers (spec §7, §12): a driver hosted by
 * udevice.exe runs in user mode, where VirtualCopy and MmMapIoSpace are kernel-only, and the
 * device manager's reflector performs them for it only for PAGE_PHYSICAL copies that lie inside
 * the driver's registry windows (MemBase/MemLen) into a valid user pointer.
 *
 * The driver host marks the thread running a user-mode driver's entry point with that driver's
 * windows (reflector_enter/leave); VirtualCopy asks reflector_allows before refusing a user-mode
 * caller. The windows are read once, at load, with DDKReg_GetWindowInfo.
 */
#include "ce/ce_api.h"

#include "core/machine.h"

static CEVM_TLS const DDKWINDOWINFO *t_windows;

const DDKWINDOWINFO *reflector_enter(const DDKWINDOWINFO *windows)
{
    const DDKWINDOWINFO *prev = t_windows;
    t_windows = windows;
    return prev;
}

void reflector_leave(const DDKWINDOWINFO *previous)
{
    t_windows = previous;
}

int reflector_allows(uint64_t pa, uint32_t size, uint32_t dst)
{
    const DDKWINDOWINFO *w = t_windows;
    if (!w || size == 0 || dst < 0x10000u || (uint64_t)dst + size > 0x80000000ull)
        return 0;
    for (DWORD i = 0; i < w->dwNumMemWindows && i < MAX_DEVICE_WINDOWS; i++) {
        uint64_t lo = w->memWindows[i].dwBase, hi = lo + w->memWindows[i].dwLen;
        if (pa >= lo && pa + size <= hi)
            return 1;
    }
    return 0;
}
