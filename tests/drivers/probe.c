/*
 * probe.c — a test driver (prefix PRB) that records what the device manager hands it: Init's
 * Active key path (and a "Marker" value ActivateDeviceEx wrote there, or RegisterDevice's dwInfo
 * as the marker) and bus parameter, Open's
 * access and share modes, the bytes written, the seek arguments; IOControl 1 reports them,
 * IOControl 2 fails with error 1234, IOControl 3 gives how often PowerDown, PowerUp (with Init's
 * context) and PreClose (before its Close) ran, Read fills the buffer with 'r'. Deinit records in
 * HKLM\ProbeLog whether PreDeinit ran before it.
 */
#include <windows.h>

static DWORD g_marker, g_bus, g_access, g_share, g_written, g_opens, g_closes, g_downs, g_ups,
    g_precloses, g_predeinit;

DWORD PRB_Init(LPCTSTR ctx, LPCVOID bus)
{
    HKEY k;
    if ((UINT_PTR)ctx < 0x10000) /* RegisterDevice's dwInfo, not an Active key path */
        g_marker = (DWORD)(UINT_PTR)ctx;
    else if (RegOpenKeyEx(HKEY_LOCAL_MACHINE, ctx, 0, 0, &k) == ERROR_SUCCESS) {
        DWORD type = 0, size = sizeof g_marker;
        RegQueryValueEx(k, TEXT("Marker"), NULL, &type, (LPBYTE)&g_marker, &size);
        RegCloseKey(k);
    }
    g_bus = (DWORD)(UINT_PTR)bus;
    return 0x7E57;
}

BOOL PRB_PreDeinit(DWORD h)
{
    g_predeinit = h == 0x7E57;
    return TRUE;
}

BOOL PRB_Deinit(DWORD h)
{
    HKEY k;
    if (RegCreateKeyEx(HKEY_LOCAL_MACHINE, TEXT("ProbeLog"), 0, NULL, 0, 0, NULL, &k, NULL) ==
        ERROR_SUCCESS) {
        RegSetValueEx(k, TEXT("PreDeinitFirst"), 0, REG_DWORD, (const BYTE *)&g_predeinit,
                      sizeof g_predeinit);
        RegCloseKey(k);
    }
    return h == 0x7E57;
}

BOOL PRB_PreClose(DWORD h)
{
    if (h > 0x100)
        g_precloses++;
    return TRUE;
}

DWORD PRB_Open(DWORD h, DWORD access, DWORD share)
{
    g_access = access;
    g_share = share;
    return h == 0x7E57 ? 0x100 + ++g_opens : 0;
}

BOOL PRB_Close(DWORD h)
{
    g_closes++;
    return h > 0x100;
}

DWORD PRB_Read(DWORD h, LPVOID buf, DWORD n)
{
    (void)h;
    for (DWORD i = 0; i < n; i++)
        ((BYTE *)buf)[i] = 'r';
    return n;
}

DWORD PRB_Write(DWORD h, LPCVOID buf, DWORD n)
{
    (void)h;
    g_written = n ? ((const BYTE *)buf)[0] : 0;
    return n;
}

DWORD PRB_Seek(DWORD h, long amount, WORD type)
{
    (void)h;
    return (DWORD)amount + type * 1000u;
}

BOOL PRB_IOControl(DWORD h, DWORD code, PBYTE in, DWORD in_len, PBYTE out, DWORD out_len,
                   PDWORD got)
{
    (void)in;
    (void)in_len;
    if (code == 3 && out && out_len >= 3 * sizeof(DWORD)) {
        ((DWORD *)out)[0] = g_downs;
        ((DWORD *)out)[1] = g_ups;
        ((DWORD *)out)[2] = g_precloses;
        *got = 3 * sizeof(DWORD);
        return TRUE;
    }
    if (code == 2) {
        SetLastError(1234);
        return FALSE;
    }
    if (code != 1 || !out || out_len < 8 * sizeof(DWORD))
        return FALSE;
    DWORD v[8] = {g_marker, g_bus, g_access, g_share, g_written, h, g_opens, g_closes};
    for (int i = 0; i < 8; i++)
        ((DWORD *)out)[i] = v[i];
    *got = sizeof v;
    return TRUE;
}

/* The kernel's suspend and resume callbacks: no system calls allowed, only counting. */
void PRB_PowerDown(DWORD h)
{
    if (h == 0x7E57)
        g_downs++;
}

void PRB_PowerUp(DWORD h)
{
    if (h == 0x7E57)
        g_ups++;
}
