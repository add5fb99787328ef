/*
 * all_headers.c — every CE compatibility header at once, as BSP sources include them, built
 * as C and as C++ (all_headers_cxx) with the cevm-ce flags and full warnings: the headers must
 * agree with each other and with the C library's, in both languages. Each name used below is
 * one a driver needs from that header.
 */
#include <windows.h>
#include <types.h>
#include <ceddk.h>
#include <ddkmacro.h>
#include <pkfuncs.h>
#include <kfuncs.h>
#include <nkintr.h>
#include <devload.h>
#include <ddkreg.h>
#include <windev.h>
#include <pm.h>
#include <pnp.h>
#include <msgqueue.h>
#include <winioctl.h>
#include <strsafe.h>
#include <tchar.h>
#include <excpt.h>
#include <cmnintrin.h>
#include <oal_io.h>
#include <oal_memory.h>
#include <wchar.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif
DWORD HDR_Init(LPCTSTR ctx, LPCVOID bus);
BOOL HDR_Deinit(DWORD h);
#ifdef __cplusplus
}
#endif

DWORD HDR_Init(LPCTSTR ctx, LPCVOID bus)
{
    UNREFERENCED_PARAMETER(bus);
    TCHAR name[16];
    StringCchPrintf(name, 16, _T("%s%u:"), _T("HDR"), 1u);
    MSGQUEUEOPTIONS o = {sizeof o, 0, 0, 4, TRUE};
    CEDEVICE_POWER_STATE dx = D0;
    DEVMGR_DEVICE_INFORMATION di;
    di.dwSize = sizeof di;
    DDKWINDOWINFO wi;
    wi.cbSize = sizeof wi;
    POWER_BROADCAST pb;
    pb.Message = PBT_TRANSITION;
    DEVDETAIL dd;
    dd.cbName = 0;
    DWORD r = 0;
    __try {
        r = (DWORD)_tcslen(name) + (DWORD)_CountLeadingZeros(1) + o.cbMaxMessage + (DWORD)dx +
            (DWORD)di.dwSize + (DWORD)wi.cbSize + pb.Message + (DWORD)dd.cbName + (ctx ? 1u : 0u) +
            CACHE_SYNC_DISCARD + (DWORD)wcslen(L"x") + DEVFLAGS_NOLOAD;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        r = 0;
    }
    return r;
}

BOOL HDR_Deinit(DWORD h)
{
    return h != 0;
}
