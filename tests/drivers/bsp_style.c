/*
 * bsp_style.c — a stream driver (prefix PWR) written the way BSP drivers are, using only what
 * a CE 5 BSP build's windows.h and ceddk.h give it: _T strings, UNREFERENCED_PARAMETER,
 * ZeroMemory and memset without <string.h>, the power IOCTLs and states from pm.h (through
 * ceddk.h), HRESULT tests, MAX_PATH, DLL_* reasons, UNDER_CE / _WIN32_WCE branches, and an OEM
 * call (VirtualCopy) visible through windows.h under WINCEOEM. It must build with nothing but
 * cevm-ce's flags; the driver host tests run it.
 */
#include <windows.h>
#include <ceddk.h>

#ifndef UNDER_CE
#error "a CE build defines UNDER_CE"
#endif
#if _WIN32_WCE < 0x500
#error "a CE 5 build defines _WIN32_WCE as 0x500"
#endif

#define IOCTL_BSP_VERSION CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct {
    CEDEVICE_POWER_STATE dx;
    WCHAR name[MAX_PATH];
    DWORD attach_reason;
} PWR_CONTEXT;

static PWR_CONTEXT g_ctx;

static HRESULT check_version(void)
{
    return _WIN32_WCE >= 0x500 ? S_OK : E_FAIL;
}

DWORD PWR_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    UNREFERENCED_PARAMETER(lpvBusContext);
    ZeroMemory(&g_ctx, sizeof g_ctx);
    memset(g_ctx.name, 0, sizeof g_ctx.name);
    const TCHAR *prefix = _T("PWR1:");
    for (int i = 0; prefix[i]; i++)
        g_ctx.name[i] = prefix[i];
    g_ctx.dx = D0;
    g_ctx.attach_reason = DLL_PROCESS_ATTACH;
    if (!pContext || FAILED(check_version()))
        return 0;
    /* An OEM call, declared by windows.h under WINCEOEM: a NULL destination is 87. */
    if (VirtualCopy(NULL, NULL, 0x1000, PAGE_READWRITE) ||
        GetLastError() != ERROR_INVALID_PARAMETER)
        return 0;
    return 1;
}

BOOL PWR_Deinit(DWORD hDeviceContext)
{
    UNREFERENCED_PARAMETER(hDeviceContext);
    return TRUE;
}

DWORD PWR_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    UNREFERENCED_PARAMETER(AccessCode);
    UNREFERENCED_PARAMETER(ShareMode);
    return hDeviceContext;
}

BOOL PWR_Close(DWORD hOpenContext)
{
    UNREFERENCED_PARAMETER(hOpenContext);
    return TRUE;
}

BOOL PWR_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    UNREFERENCED_PARAMETER(hOpenContext);
    UNREFERENCED_PARAMETER(pBufIn);
    UNREFERENCED_PARAMETER(dwLenIn);
    switch (dwCode) {
    case IOCTL_POWER_CAPABILITIES: {
        if (!pBufOut || dwLenOut < sizeof(POWER_CAPABILITIES))
            break;
        PPOWER_CAPABILITIES pc = (PPOWER_CAPABILITIES)pBufOut;
        ZeroMemory(pc, sizeof *pc);
        pc->DeviceDx = (UCHAR)(DX_MASK(D0) | DX_MASK(D4));
        pc->Power[D0] = 120;
        if (pdwActualOut)
            *pdwActualOut = sizeof *pc;
        return TRUE;
    }
    case IOCTL_POWER_GET:
        if (!pBufOut || dwLenOut < sizeof(CEDEVICE_POWER_STATE))
            break;
        *(PCEDEVICE_POWER_STATE)pBufOut = g_ctx.dx;
        if (pdwActualOut)
            *pdwActualOut = sizeof(CEDEVICE_POWER_STATE);
        return TRUE;
    case IOCTL_BSP_VERSION:
        if (!pBufOut || dwLenOut < 3 * sizeof(DWORD))
            break;
        ((DWORD *)pBufOut)[0] = _WIN32_WCE;
        ((DWORD *)pBufOut)[1] = g_ctx.attach_reason;
        ((DWORD *)pBufOut)[2] = (DWORD)(VALID_DX(D4) && !VALID_DX(PwrDeviceMaximum));
        if (pdwActualOut)
            *pdwActualOut = 3 * sizeof(DWORD);
        return TRUE;
    default:
        break;
    }
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
}
