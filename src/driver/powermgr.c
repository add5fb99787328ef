/*
 * powermgr.c — the power manager's side of the device manager: a device whose IClass names a power
 * manager class (generic {A32942B7-920C-486b-B0E6-92A702A99B35}, block, NDIS, display, touch,
 * backlight) is opened by the power manager when it loads, asked IOCTL_POWER_CAPABILITIES, and
 * from then on gets IOCTL_POWER_SET when SetDevicePower names it or SetSystemPowerState moves
 * the system to a state whose level for it differs.
 *
 * A requested state the device does not support (POWER_CAPABILITIES.DeviceDx) becomes the next
 * supported state of lower power (a higher D number; D4 when none is), as CE's power manager
 * maps it. The state travels in IOCTL_POWER_SET's output buffer and the driver writes back the
 * state it entered. The power manager talks to the driver as an application does (CreateFile,
 * DeviceIoControl, CloseHandle), so every call has the driver host's guards. A device's entry is
 * kept busy while a call runs; its removal (DeactivateDevice) waits for that. The table's mutex
 * is never held while driver code runs.
 */
#include "driver/powermgr.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ce/ce_api.h"
#include "driver/devmgr.h"
#include "registry/regparse.h"

struct pm_device {
    int used, busy, gone;
    char name[8]; /* "COM1:" */
    HANDLE h;     /* the power manager's own open handle */
    POWER_CAPABILITIES caps;
    CEDEVICE_POWER_STATE dx;       /* the state the driver last reported */
    CEDEVICE_POWER_STATE required; /* SetDevicePower's, or PwrDeviceUnspecified */
};

static struct pm_device g_pm[DEVMGR_MAX];
static pthread_mutex_t g_pm_dev = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_pm_idle = PTHREAD_COND_INITIALIZER;

/* The power manager's classes (Compact 7 documentation, "Power Manager Device Class GUIDs"). */
static const GUID pm_classes[] = {
    {0xA32942B7, 0x920C, 0x486b, {0xB0, 0xE6, 0x92, 0xA7, 0x02, 0xA9, 0x9B, 0x35}}, /* generic */
    {0x8DD679CE, 0x8AB4, 0x43c8, {0xA1, 0x4A, 0xEA, 0x49, 0x63, 0xFA, 0xA7, 0x15}}, /* block */
    {0x98C5250D, 0xC29A, 0x4985, {0xAE, 0x5F, 0xAF, 0xE5, 0x36, 0x7E, 0x50, 0x06}}, /* NDIS */
    {0xEB91C7C9, 0x8BF6, 0x4a2d, {0x9A, 0xB8, 0x69, 0x72, 0x4E, 0xED, 0x97, 0xD1}}, /* display */
    {0x7119776D, 0x9F23, 0x4e4e, {0x9D, 0x9B, 0x9A, 0xE9, 0x62, 0x73, 0x37, 0x70}}, /* touch */
    {0x0007AE3D, 0x413C, 0x4e7e, {0x87, 0x86, 0xE2, 0xA6, 0x96, 0xE7, 0x3A, 0x6E}}, /* backlight */
};

int pm_is_class(const GUID *g)
{
    for (size_t i = 0; i < sizeof pm_classes / sizeof pm_classes[0]; i++)
        if (!memcmp(g, &pm_classes[i], sizeof *g))
            return 1;
    return 0;
}

/* The entry of device name (g_pm_dev held), or NULL. */
static struct pm_device *find(const char *name)
{
    for (size_t i = 0; i < DEVMGR_MAX; i++)
        if (g_pm[i].used && !g_pm[i].gone && !strcasecmp(g_pm[i].name, name))
            return &g_pm[i];
    return NULL;
}

/* The state the device enters for a request: dx if it supports it, else the next supported
 * state of lower power, else D4. */
static CEDEVICE_POWER_STATE supported(const POWER_CAPABILITIES *caps, CEDEVICE_POWER_STATE dx)
{
    for (int d = (int)dx; d <= (int)D4; d++)
        if (caps->DeviceDx & DX_MASK(d))
            return (CEDEVICE_POWER_STATE)d;
    return D4;
}

void pm_device_added(const char *name, char *why, size_t whylen)
{
    WCHAR wname[8];
    why[0] = '\0';
    if (reg_widen(name, (uint16_t *)wname, 8) < 0) /* "COM1:": always fits */
        return;
    HANDLE h = CreateFileW(wname, 0, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        snprintf(why, whylen, "the power manager cannot open it (error %u %s)",
                 (unsigned)GetLastError(), cevm_ce_error_name(GetLastError()));
        return;
    }
    POWER_CAPABILITIES caps;
    memset(&caps, 0, sizeof caps);
    DWORD got = 0;
    if (!DeviceIoControl(h, IOCTL_POWER_CAPABILITIES, NULL, 0, &caps, sizeof caps, &got, NULL) ||
        got < sizeof caps) {
        DWORD e = GetLastError();
        CloseHandle(h);
        snprintf(why, whylen,
                 "IOCTL_POWER_CAPABILITIES failed (error %u %s, %u bytes): not power-managed",
                 (unsigned)e, cevm_ce_error_name(e), (unsigned)got);
        return;
    }
    pthread_mutex_lock(&g_pm_dev);
    size_t slot = 0;
    while (slot < DEVMGR_MAX && g_pm[slot].used)
        slot++;
    if (slot == DEVMGR_MAX) { /* cannot happen: one entry per device at most */
        pthread_mutex_unlock(&g_pm_dev);
        CloseHandle(h);
        return;
    }
    struct pm_device *p = &g_pm[slot];
    memset(p, 0, sizeof *p);
    p->used = 1;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->h = h;
    p->caps = caps;
    p->dx = D0;
    p->required = PwrDeviceUnspecified;
    pthread_mutex_unlock(&g_pm_dev);
    snprintf(why, whylen, "power-managed, DeviceDx 0x%02X", (unsigned)caps.DeviceDx);
}

void pm_device_removed(const char *name)
{
    pthread_mutex_lock(&g_pm_dev);
    struct pm_device *p = find(name);
    if (!p) {
        pthread_mutex_unlock(&g_pm_dev);
        return;
    }
    p->gone = 1;
    while (p->busy)
        pthread_cond_wait(&g_pm_idle, &g_pm_dev);
    HANDLE h = p->h;
    memset(p, 0, sizeof *p);
    pthread_mutex_unlock(&g_pm_dev);
    CloseHandle(h);
}

/* IOCTL_POWER_SET to p (busy taken by the caller, g_pm_dev not held). Return: ERROR_SUCCESS
 * or the driver's error. */
static DWORD deliver(struct pm_device *p, CEDEVICE_POWER_STATE dx)
{
    CEDEVICE_POWER_STATE state = supported(&p->caps, dx);
    DWORD got = 0;
    if (!DeviceIoControl(p->h, IOCTL_POWER_SET, NULL, 0, &state, sizeof state, &got, NULL)) {
        DWORD e = GetLastError();
        return e ? e : ERROR_GEN_FAILURE;
    }
    pthread_mutex_lock(&g_pm_dev);
    p->dx = VALID_DX(state) ? state : supported(&p->caps, dx);
    pthread_mutex_unlock(&g_pm_dev);
    return ERROR_SUCCESS;
}

/* A power manager device name: "COM1:" or class-qualified "{GUID}\COM1:". Return: the device
 * part. */
static const char *device_part(const char *name)
{
    if (name[0] == '{') {
        const char *close = strchr(name, '}');
        if (close && close[1] == '\\')
            return close + 2;
    }
    return name;
}

int pm_set_device(const char *name, CEDEVICE_POWER_STATE dx, DWORD *err)
{
    pthread_mutex_lock(&g_pm_dev);
    struct pm_device *p = find(device_part(name));
    if (!p) {
        pthread_mutex_unlock(&g_pm_dev);
        return 0;
    }
    p->busy++;
    p->required = dx;
    pthread_mutex_unlock(&g_pm_dev);
    *err = deliver(p, dx);
    pthread_mutex_lock(&g_pm_dev);
    p->busy--;
    pthread_cond_broadcast(&g_pm_idle);
    pthread_mutex_unlock(&g_pm_dev);
    return 1;
}

int pm_get_device(const char *name, CEDEVICE_POWER_STATE *dx)
{
    pthread_mutex_lock(&g_pm_dev);
    struct pm_device *p = find(device_part(name));
    if (p)
        *dx = p->dx;
    pthread_mutex_unlock(&g_pm_dev);
    return p != NULL;
}

/* The device level of system state `state` for device `name`: the registry's
 * System\CurrentControlSet\Control\Power\State\<state> value named as the device, else its
 * "Default", else CE's defaults (On D0, UserIdle D1, SystemIdle D2, Suspend D3, others D4). */
static CEDEVICE_POWER_STATE level_of(const char *state, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "System\\CurrentControlSet\\Control\\Power\\State\\%s", state);
    WCHAR wkey[128];
    HKEY h;
    if (reg_widen(key, (uint16_t *)wkey, 128) >= 0 &&
        RegOpenKeyEx(HKEY_LOCAL_MACHINE, wkey, 0, 0, &h) == ERROR_SUCCESS) {
        const char *names[] = {name, "Default"};
        for (int n = 0; n < 2; n++) {
            WCHAR wn[16];
            DWORD v = 0, type = 0, size = sizeof v;
            if (reg_widen(names[n], (uint16_t *)wn, 16) >= 0 &&
                RegQueryValueEx(h, wn, NULL, &type, (LPBYTE)&v, &size) == ERROR_SUCCESS &&
                type == REG_DWORD && v <= (DWORD)D4) {
                RegCloseKey(h);
                return (CEDEVICE_POWER_STATE)v;
            }
        }
        RegCloseKey(h);
    }
    static const struct {
        const char *state;
        CEDEVICE_POWER_STATE dx;
    } defaults[] = {{"On", D0},         {"BacklightOff", D0}, {"UserIdle", D1},
                    {"SystemIdle", D2}, {"Unattended", D2},   {"Suspend", D3}};
    for (size_t k = 0; k < sizeof defaults / sizeof defaults[0]; k++)
        if (!strcasecmp(defaults[k].state, state))
            return defaults[k].dx;
    return D4;
}

int pm_set_system(const char *state)
{
    int moved = 0;
    for (size_t i = 0; i < DEVMGR_MAX; i++) {
        pthread_mutex_lock(&g_pm_dev);
        struct pm_device *p = &g_pm[i];
        if (!p->used || p->gone || p->required != PwrDeviceUnspecified) {
            pthread_mutex_unlock(&g_pm_dev); /* a SetDevicePower requirement wins */
            continue;
        }
        char name[8];
        memcpy(name, p->name, sizeof name);
        POWER_CAPABILITIES caps = p->caps;
        CEDEVICE_POWER_STATE now = p->dx;
        p->busy++;
        pthread_mutex_unlock(&g_pm_dev);
        CEDEVICE_POWER_STATE want = supported(&caps, level_of(state, name));
        if (want != now && deliver(p, want) == ERROR_SUCCESS)
            moved++;
        pthread_mutex_lock(&g_pm_dev);
        p->busy--;
        pthread_cond_broadcast(&g_pm_idle);
        pthread_mutex_unlock(&g_pm_dev);
    }
    return moved;
}
