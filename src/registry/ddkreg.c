/*
 * ddkreg.c — DDKReg_GetWindowInfo: a device's bus and its I/O and memory windows from its
 * registry key, in the order and with the errors of spec §12 (oracle 60).
 */
#include <string.h>

#include "ce/trace.h"
#include "nkintr.h"

#include "registry/registry.h"

/* Optional REG_DWORD value: 0 (absent or read), or ERROR_INVALID_DATA (another type). */
static DWORD optional_dword(HKEY hk, const uint16_t *name, DWORD *out)
{
    DWORD type = 0, v = 0, size = sizeof v;
    LONG e = RegQueryValueEx(hk, (LPCWSTR)name, NULL, &type, (LPBYTE)&v, &size);
    if (e == ERROR_FILE_NOT_FOUND)
        return 0;
    if (e != ERROR_SUCCESS || type != REG_DWORD || size != sizeof v)
        return ERROR_INVALID_DATA;
    *out = v;
    return 0;
}

/* Parse the hex numbers of a REG_MULTI_SZ (optional 0x, at most MAX_DEVICE_WINDOWS). */
static DWORD parse_hex_list(const uint16_t *s, DWORD units, DWORD *vals, DWORD *count)
{
    DWORD n = 0, i = 0;
    while (i < units && s[i]) {
        if (n == MAX_DEVICE_WINDOWS)
            return ERROR_INVALID_DATA;
        if (s[i] == '0' && i + 1 < units && (s[i + 1] == 'x' || s[i + 1] == 'X'))
            i += 2;
        DWORD v = 0, digits = 0;
        for (; i < units && s[i]; i++, digits++) {
            uint16_t c = s[i];
            DWORD d = c >= '0' && c <= '9'   ? (DWORD)(c - '0')
                      : c >= 'a' && c <= 'f' ? (DWORD)(c - 'a' + 10)
                      : c >= 'A' && c <= 'F' ? (DWORD)(c - 'A' + 10)
                                             : 16;
            if (d == 16 || digits == 8)
                return ERROR_INVALID_DATA;
            v = v << 4 | d;
        }
        if (digits == 0 || i == units)
            return ERROR_INVALID_DATA;
        vals[n++] = v;
        i++; /* the string's NUL */
    }
    *count = n;
    return 0;
}

/* One pair of values (base, length) into windows[]: ERROR_INVALID_DATA if they disagree. */
static DWORD read_windows(HKEY hk, const uint16_t *base_name, const uint16_t *len_name,
                          DEVICEWINDOW *win, DWORD *nwin)
{
    union {
        uint16_t s[512];
        DWORD d;
    } base, len;
    DWORD tb = 0, tl = 0, sb = sizeof base, sl = sizeof len;
    LONG eb = RegQueryValueEx(hk, (LPCWSTR)base_name, NULL, &tb, (LPBYTE)&base, &sb);
    LONG el = RegQueryValueEx(hk, (LPCWSTR)len_name, NULL, &tl, (LPBYTE)&len, &sl);
    *nwin = 0;
    if (eb == ERROR_FILE_NOT_FOUND && el == ERROR_FILE_NOT_FOUND)
        return 0;
    if (eb != ERROR_SUCCESS || el != ERROR_SUCCESS || tb != tl)
        return ERROR_INVALID_DATA;
    if (tb == REG_DWORD) {
        win[0].dwBase = base.d;
        win[0].dwLen = len.d;
        *nwin = 1;
        return 0;
    }
    if (tb != REG_MULTI_SZ)
        return ERROR_INVALID_DATA;
    DWORD bv[MAX_DEVICE_WINDOWS], lv[MAX_DEVICE_WINDOWS], nb, nl;
    if (parse_hex_list(base.s, sb / 2, bv, &nb) || parse_hex_list(len.s, sl / 2, lv, &nl) ||
        nb != nl)
        return ERROR_INVALID_DATA;
    for (DWORD i = 0; i < nb; i++) {
        win[i].dwBase = bv[i];
        win[i].dwLen = lv[i];
    }
    *nwin = nb;
    return 0;
}

#define W(s) ((const uint16_t *)u##s)

static DWORD impl_DDKReg_GetWindowInfo(HKEY hk, PDDKWINDOWINFO pWinInfo)
{
    if (!hk || !pWinInfo || pWinInfo->cbSize != sizeof(DDKWINDOWINFO))
        return ERROR_INVALID_PARAMETER;
    /* As CE does: zero it, set the defaults, then fill it in (a failure leaves what was read). */
    memset(pWinInfo, 0, sizeof *pWinInfo);
    pWinInfo->cbSize = sizeof *pWinInfo;
    pWinInfo->dwInterfaceType = (DWORD)-1; /* InterfaceTypeUndefined */
    pWinInfo->dwBusNumber = 0;
    DWORD err = optional_dword(hk, W("InterfaceType"), &pWinInfo->dwInterfaceType);
    if (!err)
        err = optional_dword(hk, W("BusNumber"), &pWinInfo->dwBusNumber);
    if (!err)
        err = read_windows(hk, W("IoBase"), W("IoLen"), pWinInfo->ioWindows,
                           &pWinInfo->dwNumIoWindows);
    if (!err)
        err = read_windows(hk, W("MemBase"), W("MemLen"), pWinInfo->memWindows,
                           &pWinInfo->dwNumMemWindows);
    return err;
}

/* Optional REG_SZ value into buf (cap units): 0 (absent: empty, or read) or ERROR_INVALID_DATA.
 * *present tells whether it existed. */
static DWORD optional_sz(HKEY hk, const uint16_t *name, WCHAR *buf, DWORD cap, int *present)
{
    DWORD type = 0, size = cap * sizeof(WCHAR);
    buf[0] = 0;
    *present = 0;
    LONG e = RegQueryValueEx(hk, (LPCWSTR)name, NULL, &type, (LPBYTE)buf, &size);
    if (e == ERROR_FILE_NOT_FOUND)
        return 0;
    if (e != ERROR_SUCCESS || type != REG_SZ || size < sizeof(WCHAR) || size % sizeof(WCHAR)) {
        buf[0] = 0;
        return ERROR_INVALID_DATA;
    }
    buf[size / sizeof(WCHAR) - 1] = 0;
    *present = 1;
    return 0;
}

static DWORD impl_DDKReg_GetIsrInfo(HKEY hk, PDDKISRINFO pii)
{
    if (!hk || !pii || pii->cbSize != sizeof(DDKISRINFO))
        return ERROR_INVALID_PARAMETER;
    DDKISRINFO info;
    memset(&info, 0, sizeof info);
    info.cbSize = sizeof info;
    info.dwIrq = IRQ_UNSPECIFIED;
    info.dwSysintr = SYSINTR_NOP;
    int have_dll, have_handler;
    DWORD e;
    if ((e = optional_dword(hk, W("Irq"), &info.dwIrq)))
        return e;
    int have_irq = RegQueryValueEx(hk, (LPCWSTR)W("Irq"), NULL, NULL, NULL, NULL) == ERROR_SUCCESS;
    if ((e = optional_dword(hk, W("SysIntr"), &info.dwSysintr)))
        return e;
    if ((e = optional_sz(hk, W("IsrDll"), info.szIsrDll, DEVDLL_LEN, &have_dll)) ||
        (e = optional_sz(hk, W("IsrHandler"), info.szIsrHandler, DEVENTRY_LEN, &have_handler)))
        return e;
    if (have_dll && (!have_handler || !have_irq))
        return ERROR_INVALID_DATA;
    *pii = info;
    return ERROR_SUCCESS;
}

static HKEY impl_OpenDeviceKey(LPCWSTR ActiveKey)
{
    if (!ActiveKey) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    HKEY active, dev = NULL;
    LONG e = RegOpenKeyEx(HKEY_LOCAL_MACHINE, ActiveKey, 0, 0, &active);
    if (e != ERROR_SUCCESS) {
        SetLastError(ERROR_FILE_NOT_FOUND);
        return NULL;
    }
    WCHAR path[REGPARSE_KEY_MAX];
    DWORD type = 0, size = sizeof path;
    e = RegQueryValueEx(active, (LPCWSTR)W("Key"), NULL, &type, (LPBYTE)path, &size);
    RegCloseKey(active);
    if (e == ERROR_SUCCESS && (type != REG_SZ || size < sizeof(WCHAR)))
        e = ERROR_INVALID_DATA;
    else if (e == ERROR_SUCCESS) {
        path[size / sizeof(WCHAR) - 1] = 0;
        e = RegOpenKeyEx(HKEY_LOCAL_MACHINE, path, 0, 0, &dev);
    }
    if (e != ERROR_SUCCESS) {
        SetLastError(e == ERROR_INVALID_DATA ? ERROR_INVALID_DATA : ERROR_FILE_NOT_FOUND);
        return NULL;
    }
    return dev;
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

HKEY WINAPI OpenDeviceKey(LPCWSTR ActiveKey)
{
    uint64_t t0 = ce_trace_start();
    HKEY r = impl_OpenDeviceKey(ActiveKey);
    if (t0)
        ce_trace_done(t0, "OpenDeviceKey", TR_HKEY, (uint64_t)(uintptr_t)r, "ActiveKey %s",
                      ce_trace_wstr(ActiveKey));
    return r;
}

DWORD DDKReg_GetWindowInfo(HKEY hk, PDDKWINDOWINFO pWinInfo)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_DDKReg_GetWindowInfo(hk, pWinInfo);
    if (t0)
        ce_trace_done(t0, "DDKReg_GetWindowInfo", TR_ERROR, r, "hk %s, pWinInfo %s",
                      ce_trace_hkey(hk), ce_trace_ptr(pWinInfo));
    return r;
}

DWORD DDKReg_GetIsrInfo(HKEY hk, PDDKISRINFO pii)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_DDKReg_GetIsrInfo(hk, pii);
    if (t0)
        ce_trace_done(t0, "DDKReg_GetIsrInfo", TR_ERROR, r, "hk %s, pii %s", ce_trace_hkey(hk),
                      ce_trace_ptr(pii));
    return r;
}
