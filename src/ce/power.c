/*
 * power.c — the power manager's and device manager's notification calls for CE code:
 * RequestPowerNotifications (POWER_BROADCAST messages the host raises with
 * cevm_power_broadcast), DevicePowerNotify/SetDevicePower/GetDevicePower (recorded requests),
 * SetSystemPowerState/GetSystemPowerState, and RequestDeviceNotifications/AdvertiseInterface
 * (DEVDETAIL messages). A device the device manager handed to the power manager
 * (driver/powermgr.c) gets IOCTL_POWER_SET from SetDevicePower and SetSystemPowerState.
 *
 * A registration keeps its own write end of the caller's message queue (OpenMsgQueue), so the
 * queue lives as long as the registration and a write never blocks (timeout 0: a full queue
 * drops the notification, as a non-waiting writer would).
 */
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cevm/cevm.h"
#include "driver/devmgr.h"
#include "driver/powermgr.h"
#include "msgqueue.h"
#include "pm.h"
#include "pnp.h"

enum reg_kind { REG_POWER = 1, REG_DEVICE };

struct registration {
    enum reg_kind kind;
    HANDLE q; /* our write end */
    DWORD flags;
    int any_class;
    GUID cls;
    struct registration *next;
};

struct iface {
    GUID cls;
    WCHAR name[MAX_DEVCLASS_NAMELEN + 1];
    struct iface *next;
};

#define POWER_LOG 64

static pthread_mutex_t g_pm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct registration *g_regs;
static struct iface *g_ifaces;
static cevm_power_request g_requests[POWER_LOG];
static uint64_t g_nrequests;

static HANDLE writer_for(HANDLE hMsgQ)
{
    MSGQUEUEOPTIONS o = {sizeof o, 0, 0, 0, FALSE};
    return OpenMsgQueue(GetCurrentProcess(), hMsgQ, &o);
}

static struct registration *reg_new(enum reg_kind kind, HANDLE hMsgQ)
{
    HANDLE w = hMsgQ ? writer_for(hMsgQ) : NULL;
    if (!w) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    struct registration *r = calloc(1, sizeof *r);
    if (!r) {
        CloseMsgQueue(w);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    r->kind = kind;
    r->q = w;
    return r;
}

static BOOL reg_stop(HANDLE h, enum reg_kind kind)
{
    pthread_mutex_lock(&g_pm_lock);
    struct registration **pp = &g_regs;
    while (*pp && (*pp != h || (*pp)->kind != kind))
        pp = &(*pp)->next;
    struct registration *r = *pp;
    if (r)
        *pp = r->next;
    pthread_mutex_unlock(&g_pm_lock);
    if (!r) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    CloseMsgQueue(r->q);
    free(r);
    return TRUE;
}

static HANDLE impl_RequestPowerNotifications(HANDLE hMsgQ, DWORD Flags)
{
    if (!Flags) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    struct registration *r = reg_new(REG_POWER, hMsgQ);
    if (!r)
        return NULL;
    r->flags = Flags;
    pthread_mutex_lock(&g_pm_lock);
    r->next = g_regs;
    g_regs = r;
    pthread_mutex_unlock(&g_pm_lock);
    return r;
}

static DWORD impl_StopPowerNotifications(HANDLE h)
{
    return reg_stop(h, REG_POWER) ? ERROR_SUCCESS : ERROR_INVALID_PARAMETER;
}

int cevm_power_broadcast(uint32_t message, uint32_t flags, const char *state)
{
    union {
        POWER_BROADCAST pb;
        BYTE raw[sizeof(POWER_BROADCAST) + MAX_PATH * sizeof(WCHAR)];
    } m;
    memset(&m, 0, sizeof m);
    m.pb.Message = message;
    m.pb.Flags = flags;
    size_t n = 0;
    WCHAR *name = (WCHAR *)(m.raw + offsetof(POWER_BROADCAST, SystemPowerState));
    for (; state && state[n] && n < MAX_PATH - 1; n++)
        name[n] = (WCHAR)(unsigned char)state[n];
    m.pb.Length = (DWORD)((n + 1) * sizeof(WCHAR));
    DWORD size = (DWORD)(offsetof(POWER_BROADCAST, SystemPowerState) + m.pb.Length);
    int sent = 0;
    pthread_mutex_lock(&g_pm_lock);
    for (struct registration *r = g_regs; r; r = r->next)
        if (r->kind == REG_POWER && (r->flags & message) && WriteMsgQueue(r->q, m.raw, size, 0, 0))
            sent++;
    pthread_mutex_unlock(&g_pm_lock);
    return sent;
}

static DWORD record(PVOID pvDevice, CEDEVICE_POWER_STATE state, DWORD flags, int set)
{
    if (!pvDevice || state <= PwrDeviceUnspecified || state >= PwrDeviceMaximum)
        return ERROR_INVALID_PARAMETER;
    cevm_power_request q;
    memset(&q, 0, sizeof q);
    ce_narrow((const WCHAR *)pvDevice, q.device, sizeof q.device);
    q.state = (int)state;
    q.flags = flags;
    q.set = set;
    pthread_mutex_lock(&g_pm_lock);
    g_requests[g_nrequests % POWER_LOG] = q;
    g_nrequests++;
    pthread_mutex_unlock(&g_pm_lock);
    return ERROR_SUCCESS;
}

static DWORD impl_DevicePowerNotify(PVOID pvDevice, CEDEVICE_POWER_STATE DeviceState, DWORD Flags)
{
    return record(pvDevice, DeviceState, Flags, 0);
}

static DWORD impl_SetDevicePower(PVOID pvDevice, DWORD dwDeviceFlags, CEDEVICE_POWER_STATE dwState)
{
    DWORD err = record(pvDevice, dwState, dwDeviceFlags, 1);
    if (err)
        return err;
    char name[64];
    ce_narrow((const WCHAR *)pvDevice, name, sizeof name);
    pm_set_device(name, dwState, &err); /* a power-managed device gets IOCTL_POWER_SET */
    return err;
}

static DWORD impl_GetDevicePower(PVOID pvDevice, DWORD dwDeviceFlags, PCEDEVICE_POWER_STATE pDx)
{
    (void)dwDeviceFlags;
    if (!pvDevice || !pDx)
        return ERROR_INVALID_PARAMETER;
    char name[64];
    ce_narrow((const WCHAR *)pvDevice, name, sizeof name);
    CEDEVICE_POWER_STATE dx = D0;
    if (pm_get_device(name, &dx)) {
        *pDx = dx;
        return ERROR_SUCCESS;
    }
    pthread_mutex_lock(&g_pm_lock);
    uint64_t kept = g_nrequests < POWER_LOG ? g_nrequests : POWER_LOG;
    for (uint64_t i = 0; i < kept; i++) {
        const cevm_power_request *q = &g_requests[(g_nrequests - kept + i) % POWER_LOG];
        if (q->set && !strcmp(q->device, name))
            dx = (CEDEVICE_POWER_STATE)q->state;
    }
    pthread_mutex_unlock(&g_pm_lock);
    *pDx = dx;
    return ERROR_SUCCESS;
}

uint64_t cevm_power_requests(cevm_power_request *out, size_t max)
{
    pthread_mutex_lock(&g_pm_lock);
    uint64_t total = g_nrequests;
    size_t kept = total < POWER_LOG ? (size_t)total : POWER_LOG;
    for (size_t i = 0; i < kept && i < max; i++)
        out[i] = g_requests[(size_t)(total - kept + i) % POWER_LOG];
    pthread_mutex_unlock(&g_pm_lock);
    return total;
}

/* ---- system power states ------------------------------------------------------------------ */

static const struct {
    DWORD flag;
    const char *name;
} g_states[] = {{POWER_STATE_ON, "On"},
                {POWER_STATE_OFF, "Off"},
                {POWER_STATE_CRITICAL, "Critical"},
                {POWER_STATE_BOOT, "Boot"},
                {POWER_STATE_IDLE, "SystemIdle"},
                {POWER_STATE_SUSPEND, "Suspend"},
                {POWER_STATE_UNATTENDED, "Unattended"},
                {POWER_STATE_RESET, "Reset"},
                {POWER_STATE_USERIDLE, "UserIdle"},
                {POWER_STATE_BACKLIGHTON, "BacklightOff"}};

static char g_system[32] = "On";
static DWORD g_system_flag = POWER_STATE_ON;

static DWORD impl_SetSystemPowerState(LPCWSTR pwsSystemState, DWORD StateFlags, DWORD Options)
{
    (void)Options;
    char name[32] = "";
    DWORD flag = 0;
    if (pwsSystemState) {
        size_t n = cevm_wcsnlen(pwsSystemState, sizeof name);
        if (n == 0 || n >= sizeof name)
            return ERROR_INVALID_PARAMETER;
        ce_narrow(pwsSystemState, name, sizeof name);
        for (size_t i = 0; i < sizeof g_states / sizeof g_states[0]; i++)
            if (!strcasecmp(g_states[i].name, name)) {
                flag = g_states[i].flag;
                snprintf(name, sizeof name, "%s", g_states[i].name);
            }
    } else {
        for (size_t i = 0; i < sizeof g_states / sizeof g_states[0]; i++)
            if (StateFlags == g_states[i].flag) {
                flag = g_states[i].flag;
                snprintf(name, sizeof name, "%s", g_states[i].name);
            }
        if (!flag)
            return ERROR_INVALID_PARAMETER;
    }
    pthread_mutex_lock(&g_pm_lock);
    int was_suspended = g_system_flag == POWER_STATE_SUSPEND;
    char previous[32];
    memcpy(previous, g_system, sizeof previous);
    snprintf(g_system, sizeof g_system, "%s", name);
    g_system_flag = flag;
    pthread_mutex_unlock(&g_pm_lock);
    int suspend = flag == POWER_STATE_SUSPEND;
    if (was_suspended && !suspend) { /* resume: the kernel's PowerUp callbacks first */
        devmgr_power_callbacks(1);
        cevm_power_broadcast(PBT_RESUME, POWER_STATE_SUSPEND, previous);
    }
    pm_set_system(name);
    cevm_power_broadcast(PBT_TRANSITION, flag, name);
    if (suspend && !was_suspended) /* suspend: after the devices' power states, PowerDown */
        devmgr_power_callbacks(0);
    return ERROR_SUCCESS;
}

void power_reset(void)
{
    pthread_mutex_lock(&g_pm_lock);
    snprintf(g_system, sizeof g_system, "On");
    g_system_flag = POWER_STATE_ON;
    pthread_mutex_unlock(&g_pm_lock);
}

static DWORD impl_GetSystemPowerState(LPWSTR pBuffer, DWORD dwBufChars, PDWORD pdwFlags)
{
    if (!pBuffer && dwBufChars)
        return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_pm_lock);
    char name[32];
    memcpy(name, g_system, sizeof name);
    DWORD flag = g_system_flag;
    pthread_mutex_unlock(&g_pm_lock);
    size_t n = strlen(name);
    if (pBuffer) {
        if (dwBufChars <= n)
            return ERROR_INSUFFICIENT_BUFFER;
        for (size_t i = 0; i <= n; i++)
            pBuffer[i] = (WCHAR)(unsigned char)name[i];
    }
    if (pdwFlags)
        *pdwFlags = flag;
    return ERROR_SUCCESS;
}

/* ---- device interfaces ---------------------------------------------------------------------- */

static void send_detail(const struct registration *r, const GUID *cls, const WCHAR *name, BOOL on)
{
    if (!r->any_class && memcmp(&r->cls, cls, sizeof *cls))
        return;
    union {
        DEVDETAIL d;
        BYTE raw[sizeof(DEVDETAIL) + MAX_DEVCLASS_NAMELEN * sizeof(WCHAR)];
    } m;
    memset(&m, 0, sizeof m);
    m.d.guidDevClass = *cls;
    m.d.fAttached = on;
    size_t n = cevm_wcslen(name);
    memcpy(m.raw + offsetof(DEVDETAIL, szName), name, (n + 1) * sizeof(WCHAR));
    m.d.cbName = (int)(n * sizeof(WCHAR));
    WriteMsgQueue(r->q, m.raw, (DWORD)(offsetof(DEVDETAIL, szName) + (n + 1) * sizeof(WCHAR)), 0,
                  0);
}

static HANDLE impl_RequestDeviceNotifications(const GUID *devclass, HANDLE hMsgQ, BOOL fAll)
{
    struct registration *r = reg_new(REG_DEVICE, hMsgQ);
    if (!r)
        return NULL;
    r->any_class = devclass == NULL;
    if (devclass)
        r->cls = *devclass;
    pthread_mutex_lock(&g_pm_lock);
    r->next = g_regs;
    g_regs = r;
    if (fAll)
        for (const struct iface *i = g_ifaces; i; i = i->next)
            send_detail(r, &i->cls, i->name, TRUE);
    pthread_mutex_unlock(&g_pm_lock);
    return r;
}

static BOOL impl_StopDeviceNotifications(HANDLE h)
{
    return reg_stop(h, REG_DEVICE);
}

static BOOL impl_AdvertiseInterface(const GUID *devclass, LPCWSTR name, BOOL fAdd)
{
    if (!devclass || !name || cevm_wcsnlen(name, MAX_DEVCLASS_NAMELEN + 1) > MAX_DEVCLASS_NAMELEN) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    /* Copied before the lock: the caller's memory is never read with it held. */
    const GUID cls_copy = *devclass;
    WCHAR name_copy[MAX_DEVCLASS_NAMELEN + 1];
    cevm_wcscpy(name_copy, name);
    devclass = &cls_copy;
    name = name_copy;
    pthread_mutex_lock(&g_pm_lock);
    struct iface **pp = &g_ifaces;
    while (*pp &&
           (memcmp(&(*pp)->cls, devclass, sizeof *devclass) || cevm_wcscmp((*pp)->name, name)))
        pp = &(*pp)->next;
    if (fAdd && !*pp) {
        struct iface *i = calloc(1, sizeof *i);
        if (i) {
            i->cls = *devclass;
            cevm_wcscpy(i->name, name);
            *pp = i;
        }
    } else if (!fAdd && *pp) {
        struct iface *i = *pp;
        *pp = i->next;
        free(i);
    }
    for (const struct registration *r = g_regs; r; r = r->next)
        if (r->kind == REG_DEVICE)
            send_detail(r, devclass, name, fAdd);
    pthread_mutex_unlock(&g_pm_lock);
    return TRUE;
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

HANDLE WINAPI RequestPowerNotifications(HANDLE hMsgQ, DWORD Flags)
{
    uint64_t t0 = ce_trace_start();
    HANDLE r = impl_RequestPowerNotifications(hMsgQ, Flags);
    if (t0)
        ce_trace_done(t0, "RequestPowerNotifications", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "hMsgQ %s, Flags 0x%X", ce_trace_handle(hMsgQ), (unsigned)Flags);
    return r;
}

DWORD WINAPI StopPowerNotifications(HANDLE h)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_StopPowerNotifications(h);
    if (t0)
        ce_trace_done(t0, "StopPowerNotifications", TR_DWORD, (uint64_t)r, "h %s",
                      ce_trace_handle(h));
    return r;
}

DWORD WINAPI DevicePowerNotify(PVOID pvDevice, CEDEVICE_POWER_STATE DeviceState, DWORD Flags)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_DevicePowerNotify(pvDevice, DeviceState, Flags);
    if (t0)
        ce_trace_done(t0, "DevicePowerNotify", TR_DWORD, (uint64_t)r,
                      "pvDevice %s, DeviceState 0x%X, Flags 0x%X", ce_trace_ptr(pvDevice),
                      (unsigned)DeviceState, (unsigned)Flags);
    return r;
}

DWORD WINAPI SetDevicePower(PVOID pvDevice, DWORD dwDeviceFlags, CEDEVICE_POWER_STATE dwState)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    DWORD r = impl_SetDevicePower(pvDevice, dwDeviceFlags, dwState);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "SetDevicePower", TR_DWORD, (uint64_t)r,
                      "pvDevice %s, dwDeviceFlags 0x%X, dwState 0x%X", ce_trace_ptr(pvDevice),
                      (unsigned)dwDeviceFlags, (unsigned)dwState);
    return r;
}

DWORD WINAPI GetDevicePower(PVOID pvDevice, DWORD dwDeviceFlags, PCEDEVICE_POWER_STATE pDx)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    DWORD r = impl_GetDevicePower(pvDevice, dwDeviceFlags, pDx);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "GetDevicePower", TR_DWORD, (uint64_t)r,
                      "pvDevice %s, dwDeviceFlags 0x%X, pDx %s", ce_trace_ptr(pvDevice),
                      (unsigned)dwDeviceFlags, ce_trace_ptr(pDx));
    return r;
}

DWORD WINAPI SetSystemPowerState(LPCWSTR pwsSystemState, DWORD StateFlags, DWORD Options)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    DWORD r = impl_SetSystemPowerState(pwsSystemState, StateFlags, Options);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "SetSystemPowerState", TR_DWORD, (uint64_t)r,
                      "pwsSystemState %s, StateFlags 0x%X, Options 0x%X",
                      ce_trace_wstr(pwsSystemState), (unsigned)StateFlags, (unsigned)Options);
    return r;
}

DWORD WINAPI GetSystemPowerState(LPWSTR pBuffer, DWORD dwBufChars, PDWORD pdwFlags)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    DWORD r = impl_GetSystemPowerState(pBuffer, dwBufChars, pdwFlags);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "GetSystemPowerState", TR_DWORD, (uint64_t)r,
                      "pBuffer %s, dwBufChars 0x%X, pdwFlags %s", ce_trace_ptr(pBuffer),
                      (unsigned)dwBufChars, ce_trace_ptr(pdwFlags));
    return r;
}

HANDLE WINAPI RequestDeviceNotifications(const GUID *devclass, HANDLE hMsgQ, BOOL fAll)
{
    uint64_t t0 = ce_trace_start();
    HANDLE r = impl_RequestDeviceNotifications(devclass, hMsgQ, fAll);
    if (t0)
        ce_trace_done(t0, "RequestDeviceNotifications", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "devclass %s, hMsgQ %s, fAll 0x%X", ce_trace_ptr(devclass),
                      ce_trace_handle(hMsgQ), (unsigned)fAll);
    return r;
}

BOOL WINAPI StopDeviceNotifications(HANDLE h)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_StopDeviceNotifications(h);
    if (t0)
        ce_trace_done(t0, "StopDeviceNotifications", TR_BOOL, (uint64_t)r, "h %s",
                      ce_trace_handle(h));
    return r;
}

BOOL WINAPI AdvertiseInterface(const GUID *devclass, LPCWSTR name, BOOL fAdd)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_AdvertiseInterface(devclass, name, fAdd);
    if (t0)
        ce_trace_done(t0, "AdvertiseInterface", TR_BOOL, (uint64_t)r,
                      "devclass %s, name %s, fAdd 0x%X", ce_trace_ptr(devclass),
                      ce_trace_wstr(name), (unsigned)fAdd);
    return r;
}
