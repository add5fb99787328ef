/*
 * devmgr.c — the device manager (device.exe's role): ActivateDeviceEx / ActivateDevice /
 * DeactivateDevice / GetDeviceInformationByDeviceHandle, RegisterDevice / DeregisterDevice (a
 * device without a key: XXX_Init gets dwInfo), the boot of HKLM\Drivers\BuiltIn in
 * Order (with BusEnum-style keys loading their sub-keys), and the shutdown that deactivates
 * every device in reverse order. A device's IClass interfaces are advertised (AdvertiseInterface,
 * as "COM1:") when it is active and withdrawn before it goes; one of the power manager's classes
 * hands it to the power manager (powermgr.c).
 *
 * A device is a driver loaded through the driver host (host.c: the library at CE addresses,
 * Drivers\Active\NN, XXX_Init with the Active key path and the bus parameter, guarded entry
 * points, the leftover report at unload) plus its published name: legacy "COM1:" and
 * "\$device\COM1". Device handles are small tagged values (never heap pointers), so CloseHandle
 * and the file calls tell them from kernel objects. The table has its own mutex, never held while
 * an entry point runs: a device in use by a file call (devfile.c) has a count, and deactivation
 * waits for it to drop.
 */
#include "driver/devmgr.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ce/trace.h"
#include "core/fault.h"
#include "ce/ce_api.h"
#include "devload.h"
#include "driver/host.h"
#include "driver/powermgr.h"
#include "proc/caller.h"
#include "registry/regparse.h"

#define DEV_TAG 0x4D440000u /* "MD": device handles are DEV_TAG | (slot + 1) */

static struct active_device g_dev[DEVMGR_MAX];
static uint32_t g_seq;
pthread_mutex_t g_devmgr = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_devmgr_idle = PTHREAD_COND_INITIALIZER;

/* ---- small helpers ---------------------------------------------------------------------- */

static void widen16(const char *s, WCHAR *out, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        out[i] = (WCHAR)(unsigned char)s[i];
    out[i] = 0;
}

/* A DWORD or string value of key h (name in ASCII). Return: 0 found, -1 absent or wrong type. */
static int reg_dword(HKEY h, const char *name, DWORD *v)
{
    WCHAR wn[32];
    widen16(name, wn, 32);
    DWORD type = 0, size = sizeof *v;
    return RegQueryValueEx(h, wn, NULL, &type, (LPBYTE)v, &size) == ERROR_SUCCESS &&
                   type == REG_DWORD
               ? 0
               : -1;
}

static int reg_sz(HKEY h, const char *name, char *out, size_t cap)
{
    WCHAR wn[32], buf[260];
    widen16(name, wn, 32);
    DWORD type = 0, size = sizeof buf - sizeof(WCHAR);
    memset(buf, 0, sizeof buf);
    if (RegQueryValueEx(h, wn, NULL, &type, (LPBYTE)buf, &size) != ERROR_SUCCESS || type != REG_SZ)
        return -1;
    ce_narrow(buf, out, cap);
    return 0;
}

struct active_device *devmgr_device_of(HANDLE h)
{
    uintptr_t v = (uintptr_t)h;
    if ((v & 0xFFFF0000u) != DEV_TAG || (v & 0xFFFF) == 0 || (v & 0xFFFF) > DEVMGR_MAX)
        return NULL;
    struct active_device *d = &g_dev[(v & 0xFFFF) - 1];
    return d->used && !d->going ? d : NULL;
}

struct active_device *devmgr_find_name(const char *prefix, uint32_t index)
{
    for (size_t i = 0; i < DEVMGR_MAX; i++)
        if (g_dev[i].used && !g_dev[i].going && g_dev[i].index == index &&
            !strcasecmp(g_dev[i].prefix, prefix))
            return &g_dev[i];
    return NULL;
}

/* What ActivateDeviceEx returns on failure: NULL on CE 6+, INVALID_HANDLE_VALUE on CE 5. */
static HANDLE failure(DWORD err)
{
    SetLastError(err);
    return caller_slots() ? INVALID_HANDLE_VALUE : NULL;
}

/* ---- interfaces ------------------------------------------------------------------------- */

static int hexval(WCHAR c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* n hex digits at s into *v. Return: 0, or -1. */
static int hexn(const WCHAR *s, int n, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return -1;
        *v = *v << 4 | (uint32_t)h;
    }
    return 0;
}

/* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (what may follow, "=Description", is ignored).
 * Return: 0 with *g, or -1. */
static int parse_guid(const WCHAR *s, GUID *g)
{
    uint32_t v;
    if (s[0] != '{' || hexn(s + 1, 8, &v) || s[9] != '-')
        return -1;
    g->Data1 = v;
    if (hexn(s + 10, 4, &v) || s[14] != '-')
        return -1;
    g->Data2 = (uint16_t)v;
    if (hexn(s + 15, 4, &v) || s[19] != '-')
        return -1;
    g->Data3 = (uint16_t)v;
    static const int at[8] = {20, 22, 25, 27, 29, 31, 33, 35};
    if (s[24] != '-')
        return -1;
    for (int i = 0; i < 8; i++) {
        if (hexn(s + at[i], 2, &v))
            return -1;
        g->Data4[i] = (uint8_t)v;
    }
    return s[37] == '}' ? 0 : -1;
}

/* The key's IClass (REG_SZ or REG_MULTI_SZ of "{GUID}" or "{GUID}=Description") into d. A
 * malformed entry is reported in bad (its text) and skipped. */
static void read_iclass(const char *key, struct active_device *d, char *bad, size_t badlen)
{
    WCHAR wkey[REGPARSE_KEY_MAX], name[8], buf[1024];
    widen16(key, wkey, REGPARSE_KEY_MAX);
    widen16("IClass", name, 8);
    HKEY h;
    bad[0] = '\0';
    if (RegOpenKeyEx(HKEY_LOCAL_MACHINE, wkey, 0, 0, &h) != ERROR_SUCCESS)
        return;
    DWORD type = 0, size = sizeof buf - 2 * sizeof(WCHAR);
    memset(buf, 0, sizeof buf);
    LONG r = RegQueryValueEx(h, name, NULL, &type, (LPBYTE)buf, &size);
    RegCloseKey(h);
    if (r != ERROR_SUCCESS || (type != REG_SZ && type != REG_MULTI_SZ))
        return;
    for (const WCHAR *s = buf; *s && d->niclass < DEVMGR_MAX_ICLASS;) {
        size_t n = 0;
        while (s[n])
            n++;
        GUID g;
        if (parse_guid(s, &g) == 0)
            d->iclass[d->niclass++] = g;
        else if (!bad[0])
            ce_narrow(s, bad, badlen);
        if (type == REG_SZ)
            break;
        s += n + 1;
    }
}

/* Advertise (on) or withdraw d's interfaces under its legacy name (g_devmgr not held). */
static void advertise(const struct active_device *d, const GUID *cls, int n, BOOL on)
{
    char legacy[8];
    WCHAR wlegacy[8];
    snprintf(legacy, sizeof legacy, "%.3s%u:", d->prefix, (unsigned)(d->index % 10));
    widen16(legacy, wlegacy, 8);
    for (int i = 0; i < n; i++)
        AdvertiseInterface(&cls[i], wlegacy, on);
}

/* ---- activation ------------------------------------------------------------------------- */

struct init_ctx {
    LPCREGINI ents;
    DWORD n;
    uint32_t handle;
    const struct active_device *d;
};

static uint32_t g_devid; /* DevID: unique while the process lives, never reused */

/* Before XXX_Init: Hnd, FullName ("COM1", the $device name), DevID and the caller's REGINI
 * values into the Active key. */
static void before_init(const char *active, void *vctx)
{
    struct init_ctx *c = vctx;
    WCHAR wpath[64];
    widen16(active, wpath, 64);
    HKEY h;
    if (RegOpenKeyEx(HKEY_LOCAL_MACHINE, wpath, 0, 0, &h) != ERROR_SUCCESS)
        return;
    WCHAR hnd[8];
    widen16("Hnd", hnd, 8);
    DWORD v = c->handle;
    RegSetValueEx(h, hnd, 0, REG_DWORD, (const BYTE *)&v, sizeof v);
    char full[8];
    WCHAR wname[16], wfull[8];
    snprintf(full, sizeof full, "%.3s%u", c->d->prefix, (unsigned)(c->d->index % 10));
    widen16(full, wfull, 8);
    widen16("FullName", wname, 16);
    RegSetValueEx(h, wname, 0, REG_SZ, (const BYTE *)wfull, (DWORD)(strlen(full) + 1) * 2);
    pthread_mutex_lock(&g_devmgr);
    v = ++g_devid;
    pthread_mutex_unlock(&g_devmgr);
    widen16("DevID", wname, 16);
    RegSetValueEx(h, wname, 0, REG_DWORD, (const BYTE *)&v, sizeof v);
    for (DWORD i = 0; c->ents && i < c->n; i++)
        if (c->ents[i].lpszVal)
            RegSetValueEx(h, c->ents[i].lpszVal, 0, c->ents[i].dwType, c->ents[i].pData,
                          c->ents[i].dwLen);
    RegCloseKey(h);
}

/* Hold a table slot and the name prefix + index for a device about to load (has_index 0: the
 * lowest free index from 1, then 0, written to *index). Return: the entry, marked loading, or
 * NULL with the error set (87 an index above 9, 2404 the name is taken, 8 the table is full)
 * and why filled. */
static struct active_device *reserve(const char *prefix, int has_index, DWORD *index, char *why,
                                     size_t whylen)
{
    pthread_mutex_lock(&g_devmgr);
    if (!has_index) {
        *index = 1;
        while (*index < 10 && devmgr_find_name(prefix, *index))
            (*index)++;
        if (*index == 10)
            *index = 0;
    }
    size_t slot = 0;
    while (slot < DEVMGR_MAX && g_dev[slot].used)
        slot++;
    int taken = *index <= 9 && devmgr_find_name(prefix, *index) != NULL;
    if (taken || slot == DEVMGR_MAX || *index > 9) {
        pthread_mutex_unlock(&g_devmgr);
        if (*index > 9)
            snprintf(why, whylen, "Index %u: a device index is 0 to 9", (unsigned)*index);
        else
            snprintf(why, whylen, taken ? "%s%u: is taken by another device" : "too many devices",
                     prefix, (unsigned)*index);
        SetLastError(*index > 9 ? ERROR_INVALID_PARAMETER
                     : taken    ? ERROR_DEVICE_IN_USE
                                : ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    struct active_device *d = &g_dev[slot];
    memset(d, 0, sizeof *d);
    d->used = 1;
    d->loading = 1;               /* the slot and the name are held while the driver loads */
    memcpy(d->prefix, prefix, 3); /* 3 letters: checked by the callers */
    d->prefix[3] = '\0';
    d->index = *index;
    d->handle = DEV_TAG | (uint32_t)(slot + 1);
    pthread_mutex_unlock(&g_devmgr);
    return d;
}

/* After host_load (st, drv, and the error Init left): a failed load frees the entry, leaving
 * nothing registered; a loaded device gets its IClass interfaces and the power manager, then
 * becomes usable. Return: the device handle, or NULL with the error set. */
static HANDLE complete(struct active_device *d, cevm_status st, cevm_driver *drv, DWORD init_err,
                       char *why, size_t whylen)
{
    pthread_mutex_lock(&g_devmgr);
    if (st) {
        memset(d, 0, sizeof *d);
        pthread_mutex_unlock(&g_devmgr);
        SetLastError(st == CEVM_E_DRIVER  ? (init_err ? init_err : ERROR_GEN_FAILURE)
                     : st == CEVM_E_INVAL ? ERROR_INVALID_PARAMETER
                                          : ERROR_MOD_NOT_FOUND);
        return NULL;
    }
    d->drv = drv;
    d->seq = ++g_seq;
    HANDLE ret = (HANDLE)(uintptr_t)d->handle;
    pthread_mutex_unlock(&g_devmgr);
    /* Its interfaces (still loading: no one else touches d), then it is usable. */
    char bad[64] = "";
    if (d->key[0])
        read_iclass(d->key, d, bad, sizeof bad);
    GUID cls[DEVMGR_MAX_ICLASS];
    int ncls = d->niclass, pm = 0;
    memcpy(cls, d->iclass, sizeof cls);
    pthread_mutex_lock(&g_devmgr);
    d->loading = 0;
    pthread_mutex_unlock(&g_devmgr);
    advertise(d, cls, ncls, TRUE);
    for (int i = 0; i < ncls; i++)
        pm |= pm_is_class(&cls[i]);
    if (pm) {
        char legacy[8];
        snprintf(legacy, sizeof legacy, "%.3s%u:", d->prefix, (unsigned)(d->index % 10));
        pm_device_added(legacy, why, whylen);
    }
    if (bad[0]) {
        if (!strcmp(why, "ok"))
            why[0] = '\0';
        size_t have = strlen(why);
        snprintf(why + have, whylen - have, "%sIClass entry '%s' is no {GUID}: ignored",
                 have ? "; " : "", bad);
    }
    return ret;
}

HANDLE devmgr_activate(const char *key, LPCREGINI ents, DWORD n, const void *param, char *why,
                       size_t whylen)
{
    snprintf(why, whylen, "ok");
    WCHAR wkey[REGPARSE_KEY_MAX];
    widen16(key, wkey, REGPARSE_KEY_MAX);
    HKEY h;
    if (RegOpenKeyEx(HKEY_LOCAL_MACHINE, wkey, 0, 0, &h) != ERROR_SUCCESS) {
        snprintf(why, whylen, "no such registry key");
        return failure(ERROR_FILE_NOT_FOUND);
    }
    char prefix[8] = "", dll[256] = "";
    DWORD index = 0, flags = 0, order = DEVMGR_NO_ORDER;
    int has_index = reg_dword(h, "Index", &index) == 0,
        has_prefix = !reg_sz(h, "Prefix", prefix, 8);
    int has_dll = !reg_sz(h, "Dll", dll, sizeof dll);
    reg_dword(h, "Flags", &flags);
    reg_dword(h, "Order", &order);
    RegCloseKey(h);
    if (flags & DEVFLAGS_NOLOAD) {
        snprintf(why, whylen, "Flags has DEVFLAGS_NOLOAD: not loaded");
        return failure(ERROR_NOT_SUPPORTED);
    }
    if (!has_dll || !has_prefix || strlen(prefix) != 3) {
        snprintf(why, whylen, !has_dll ? "no Dll value" : "the Prefix must be 3 letters");
        return failure(ERROR_INVALID_PARAMETER);
    }
    struct active_device *d = reserve(prefix, has_index, &index, why, whylen);
    if (!d)
        return failure(GetLastError());
    snprintf(d->key, sizeof d->key, "%s", key);
    d->order = order;
    d->flags = flags;

    /* The host reads Prefix, Index and Dll from the key too; an index the device manager chose
     * is written there first, as CE records it. */
    if (!has_index && RegOpenKeyEx(HKEY_LOCAL_MACHINE, wkey, 0, 0, &h) == ERROR_SUCCESS) {
        WCHAR wi[8];
        widen16("Index", wi, 8);
        RegSetValueEx(h, wi, 0, REG_DWORD, (const BYTE *)&index, sizeof index);
        RegCloseKey(h);
    }
    struct init_ctx ic = {ents, n, d->handle, d};
    struct host_load_opts o = {.bus_param = param,
                               .naked = (flags & DEVFLAGS_NAKEDENTRIES) != 0,
                               .before_init = before_init,
                               .ctx = &ic};
    cevm_driver *drv = NULL;
    SetLastError(0);
    cevm_status st = host_load(NULL, key, &o, &drv, why, whylen);
    HANDLE ret = complete(d, st, drv, GetLastError(), why, whylen);
    return ret ? ret : failure(GetLastError());
}

static HANDLE WINAPI impl_ActivateDeviceEx(LPCWSTR lpszDevKey, LPCREGINI lpRegEnts, DWORD cRegEnts,
                                           LPVOID lpvParam)
{
    if (!lpszDevKey)
        return failure(ERROR_INVALID_PARAMETER);
    char key[REGPARSE_KEY_MAX], why[512];
    ce_narrow(lpszDevKey, key, sizeof key);
    HANDLE h = devmgr_activate(key, lpRegEnts, cRegEnts, lpvParam, why, sizeof why);
    if (!devmgr_device_of(h)) { /* say why on stderr: CE code only sees the error code */
        DWORD e = GetLastError();
        fprintf(stderr, "cevm: ActivateDeviceEx(%s): %s\n", key, why);
        SetLastError(e);
    }
    return h;
}

static HANDLE impl_ActivateDevice(LPCWSTR lpszDevKey, DWORD dwClientInfo)
{
    WCHAR name[16];
    widen16("ClientInfo", name, 16);
    REGINI ent = {name, (LPBYTE)&dwClientInfo, sizeof dwClientInfo, REG_DWORD};
    return ActivateDeviceEx(lpszDevKey, &ent, 1, NULL);
}

static HANDLE impl_RegisterDevice(LPCWSTR lpszType, DWORD dwIndex, LPCWSTR lpszLib, DWORD dwInfo)
{
    char prefix[8], dll[256], why[512] = "ok";
    if (!lpszType || !lpszLib || cevm_wcsnlen(lpszType, 4) != 3 || dwIndex > 9) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    ce_narrow(lpszType, prefix, sizeof prefix);
    ce_narrow(lpszLib, dll, sizeof dll);
    struct active_device *d = reserve(prefix, 1, &dwIndex, why, sizeof why);
    if (!d)
        return NULL;
    d->order = DEVMGR_NO_ORDER;
    struct init_ctx ic = {NULL, 0, d->handle, d};
    struct host_load_opts o = {.before_init = before_init,
                               .ctx = &ic,
                               .prefix = d->prefix,
                               .index = dwIndex,
                               .dll = dll,
                               .info = dwInfo};
    cevm_driver *drv = NULL;
    SetLastError(0);
    cevm_status st = host_load(NULL, NULL, &o, &drv, why, sizeof why);
    HANDLE ret = complete(d, st, drv, GetLastError(), why, sizeof why);
    if (!ret) {
        DWORD e = GetLastError();
        fprintf(stderr, "cevm: RegisterDevice(%s%u:, %s): %s\n", prefix, (unsigned)dwIndex, dll,
                why);
        SetLastError(e);
    }
    return ret;
}

/* The active device h names (also_files: or the device a file handle h is open on), with
 * g_devmgr taken. Return: it, or NULL with ERROR_INVALID_HANDLE set and the lock not held. */
static struct active_device *lock_device(HANDLE h, int also_files)
{
    pthread_mutex_lock(&g_devmgr);
    struct active_device *d = devmgr_device_of(h);
    if (!d && also_files)
        d = devfile_device_of(h);
    if (!d || d->loading) {
        pthread_mutex_unlock(&g_devmgr);
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    return d;
}

/* ---- deactivation ----------------------------------------------------------------------- */

/* Take device d out (g_devmgr held; released while its entry points run): its open handles are
 * closed, then XXX_Deinit and the unload report. */
static void deactivate_locked(struct active_device *d, char *report, size_t cap)
{
    d->going = 1; /* no new file call reaches it */
    /* XXX_PreDeinit before waiting: it may release threads blocked in the driver. */
    d->calls++;
    pthread_mutex_unlock(&g_devmgr);
    char pre[1024];
    if (host_pre(d->drv, 1, 0, pre, sizeof pre) != CEVM_OK && strstr(pre, "fault"))
        fprintf(stderr, "cevm: %s\n", pre);
    pthread_mutex_lock(&g_devmgr);
    d->calls--;
    while (d->calls)
        pthread_cond_wait(&g_devmgr_idle, &g_devmgr);
    pthread_mutex_unlock(&g_devmgr);
    char legacy[8];
    snprintf(legacy, sizeof legacy, "%.3s%u:", d->prefix, (unsigned)(d->index % 10));
    pm_device_removed(legacy);
    advertise(d, d->iclass, d->niclass, FALSE);
    devfile_device_gone(d);
    cevm_driver_report rep;
    char err[512] = "";
    cevm_status st = cevm_driver_unload(d->drv, &rep, err, sizeof err);
    if (report && cap)
        snprintf(report, cap, "%s", st ? err : rep.text);
    pthread_mutex_lock(&g_devmgr);
    memset(d, 0, sizeof *d);
}

static BOOL WINAPI impl_DeactivateDevice(HANDLE hDevice)
{
    struct active_device *d = lock_device(hDevice, 0);
    if (!d)
        return FALSE;
    char report[2048];
    deactivate_locked(d, report, sizeof report);
    pthread_mutex_unlock(&g_devmgr);
    if (report[0])
        fprintf(stderr, "%s", report); /* what the driver left behind */
    return TRUE;
}

static BOOL impl_DeregisterDevice(HANDLE hDevice)
{
    return DeactivateDevice(hDevice);
}

void devmgr_power_callbacks(int up)
{
    /* The active devices, each kept by a call count while its callback runs. */
    struct active_device *list[DEVMGR_MAX];
    size_t n = 0;
    pthread_mutex_lock(&g_devmgr);
    for (size_t i = 0; i < DEVMGR_MAX; i++)
        if (g_dev[i].used && !g_dev[i].loading && !g_dev[i].going) {
            list[n++] = &g_dev[i];
            g_dev[i].calls++;
        }
    pthread_mutex_unlock(&g_devmgr);
    for (size_t i = 1; i < n; i++) /* activation order */
        for (size_t j = i; j > 0 && list[j]->seq < list[j - 1]->seq; j--) {
            struct active_device *t = list[j];
            list[j] = list[j - 1];
            list[j - 1] = t;
        }
    for (size_t k = 0; k < n; k++) { /* PowerDown the last activated first, PowerUp the first */
        struct active_device *d = list[up ? k : n - 1 - k];
        char err[1024];
        cevm_status st = host_call_power(d->drv, up, err, sizeof err);
        if (st && st != CEVM_E_UNSUPPORTED)
            fprintf(stderr, "cevm: %s\n", err);
    }
    pthread_mutex_lock(&g_devmgr);
    for (size_t k = 0; k < n; k++)
        list[k]->calls--;
    pthread_cond_broadcast(&g_devmgr_idle);
    pthread_mutex_unlock(&g_devmgr);
}

static void devmgr_shutdown_work(void)
{
    /* Every device, the last activated first. */
    pthread_mutex_lock(&g_devmgr);
    for (;;) {
        struct active_device *last = NULL;
        for (size_t i = 0; i < DEVMGR_MAX; i++)
            if (g_dev[i].used && !g_dev[i].loading && !g_dev[i].going &&
                (!last || g_dev[i].seq > last->seq))
                last = &g_dev[i];
        if (!last)
            break;
        char report[2048];
        deactivate_locked(last, report, sizeof report);
        if (report[0])
            fprintf(stderr, "%s", report);
    }
    pthread_mutex_unlock(&g_devmgr);
}

static BOOL impl_GetDeviceInformationByDeviceHandle(HANDLE hDevice, PDEVMGR_DEVICE_INFORMATION pdi)
{
    /* The caller's structure is read and written through probes, never with the table locked:
     * a wild pointer is 87. */
    DWORD size = 0;
    if (!pdi || cevm_probe_copy(&size, &pdi->dwSize, sizeof size) || size != sizeof *pdi) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    struct active_device *d = lock_device(hDevice, 0);
    if (!d)
        return FALSE;
    DEVMGR_DEVICE_INFORMATION di;
    memset(&di, 0, sizeof di);
    char legacy[8], name[32];
    snprintf(legacy, sizeof legacy, "%s%u:", d->prefix, (unsigned)d->index);
    snprintf(name, sizeof name, "$device\\%s%u", d->prefix, (unsigned)d->index);
    di.dwSize = size;
    di.hDevice = hDevice;
    di.hParentDevice = NULL;
    widen16(legacy, di.szLegacyName, 6);
    widen16(d->key, di.szDeviceKey, MAX_PATH);
    widen16(name, di.szDeviceName, MAX_PATH);
    pthread_mutex_unlock(&g_devmgr);
    if (cevm_probe_copy(pdi, &di, sizeof di)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    return TRUE;
}

static BOOL impl_EnumDeviceInterfaces(HANDLE h, DWORD dwIndex, GUID *pClass, LPWSTR pszNameBuf,
                                      LPDWORD lpdwNameBufSize)
{
    if (pszNameBuf && !lpdwNameBufSize) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    struct active_device *d = lock_device(h, 1);
    if (!d)
        return FALSE;
    if ((int)dwIndex >= d->niclass || dwIndex >= DEVMGR_MAX_ICLASS) {
        pthread_mutex_unlock(&g_devmgr);
        SetLastError(ERROR_NO_MORE_ITEMS);
        return FALSE;
    }
    GUID cls = d->iclass[dwIndex];
    char legacy[8];
    snprintf(legacy, sizeof legacy, "%.3s%u:", d->prefix, (unsigned)(d->index % 10));
    pthread_mutex_unlock(&g_devmgr);
    /* The caller's memory is read and written with the table unlocked, through probes: a wild
     * pointer is 87. */
    DWORD need = (DWORD)((strlen(legacy) + 1) * sizeof(WCHAR)), have = 0;
    WCHAR wname[8];
    widen16(legacy, wname, 8);
    if (lpdwNameBufSize && cevm_probe_copy(&have, lpdwNameBufSize, sizeof have)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (pszNameBuf && have < need) {
        if (cevm_probe_copy(lpdwNameBufSize, &need, sizeof need) == 0)
            SetLastError(ERROR_INSUFFICIENT_BUFFER);
        else
            SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if ((pClass && cevm_probe_copy(pClass, &cls, sizeof cls)) ||
        (pszNameBuf && cevm_probe_copy(pszNameBuf, wname, need)) ||
        (lpdwNameBufSize && cevm_probe_copy(lpdwNameBufSize, &need, sizeof need))) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    return TRUE;
}

/* ---- the BuiltIn set -------------------------------------------------------------------- */

struct child {
    char key[REGPARSE_KEY_MAX];
    DWORD order;
    size_t seen; /* enumeration order, for equal Orders */
};

static int by_order(const void *a, const void *b)
{
    const struct child *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return x->seen < y->seen ? -1 : x->seen > y->seen;
}

/* Is this key a bus enumerator whose sub-keys are devices (Dll BusEnum.dll)? */
static int is_bus_enum(const char *key)
{
    WCHAR wkey[REGPARSE_KEY_MAX];
    widen16(key, wkey, REGPARSE_KEY_MAX);
    HKEY h;
    if (RegOpenKeyEx(HKEY_LOCAL_MACHINE, wkey, 0, 0, &h) != ERROR_SUCCESS)
        return 0;
    char dll[64] = "";
    reg_sz(h, "Dll", dll, sizeof dll);
    RegCloseKey(h);
    return !strcasecmp(dll, "BusEnum.dll") || !strcasecmp(dll, "libbusenum.so");
}

/* Load the device sub-keys of `key` in Order (depth: bus levels), appending a line per key to
 * the report. */
static void load_children(const char *key, int depth, cevm_boot_report *rep)
{
    WCHAR wkey[REGPARSE_KEY_MAX];
    widen16(key, wkey, REGPARSE_KEY_MAX);
    HKEY h;
    if (RegOpenKeyEx(HKEY_LOCAL_MACHINE, wkey, 0, 0, &h) != ERROR_SUCCESS)
        return;
    struct child *kids = NULL;
    size_t n = 0;
    for (DWORD i = 0;; i++) {
        WCHAR sub[128];
        DWORD len = 128;
        if (RegEnumKeyEx(h, i, sub, &len, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
            break;
        struct child *k = realloc(kids, (n + 1) * sizeof *kids);
        if (!k)
            break;
        kids = k;
        char s[128];
        ce_narrow(sub, s, sizeof s);
        snprintf(kids[n].key, sizeof kids[n].key, "%s\\%s", key, s);
        kids[n].order = DEVMGR_NO_ORDER;
        kids[n].seen = n;
        WCHAR wsub[REGPARSE_KEY_MAX];
        widen16(kids[n].key, wsub, REGPARSE_KEY_MAX);
        HKEY hk;
        if (RegOpenKeyEx(HKEY_LOCAL_MACHINE, wsub, 0, 0, &hk) == ERROR_SUCCESS) {
            reg_dword(hk, "Order", &kids[n].order);
            RegCloseKey(hk);
        }
        n++;
    }
    RegCloseKey(h);
    if (n)
        qsort(kids, n, sizeof *kids, by_order);
    for (size_t i = 0; i < n; i++) {
        char line[REGPARSE_KEY_MAX + 1200], why[512];
        int bus = is_bus_enum(kids[i].key);
        if (bus && depth >= 8) {
            snprintf(line, sizeof line, "%s: bus enumeration nested too deep (a loop?): skipped\n",
                     kids[i].key);
        } else if (bus) {
            snprintf(line, sizeof line, "%s: bus enumerator: its sub-keys follow\n", kids[i].key);
            devmgr_report_add(rep, line);
            load_children(kids[i].key, depth + 1, rep);
            continue;
        } else {
            HANDLE d = devmgr_activate(kids[i].key, NULL, 0, NULL, why, sizeof why);
            struct active_device *dev = devmgr_device_of(d);
            if (dev) {
                rep->loaded++;
                char note[600] = "";
                if (strcmp(why, "ok"))
                    snprintf(note, sizeof note, "; %s", why);
                if (kids[i].order == DEVMGR_NO_ORDER)
                    snprintf(line, sizeof line, "%s: %s%u: loaded (%s%s)\n", kids[i].key,
                             dev->prefix, (unsigned)dev->index, cevm_driver_active_key(dev->drv),
                             note);
                else
                    snprintf(line, sizeof line, "%s: %s%u: loaded, Order %u (%s%s)\n", kids[i].key,
                             dev->prefix, (unsigned)dev->index, (unsigned)kids[i].order,
                             cevm_driver_active_key(dev->drv), note);
            } else {
                DWORD e = GetLastError();
                if (e == ERROR_NOT_SUPPORTED && strstr(why, "NOLOAD"))
                    rep->skipped++;
                else
                    rep->failed++;
                snprintf(line, sizeof line, "%s: %s\n", kids[i].key, why);
            }
        }
        devmgr_report_add(rep, line);
    }
    free(kids);
}

void devmgr_report_add(cevm_boot_report *rep, const char *line)
{
    size_t have = strlen(rep->text), add = strlen(line);
    if (have + add < sizeof rep->text)
        memcpy(rep->text + have, line, add + 1);
}

static cevm_status cevm_devices_boot_work(cevm_boot_report *rep)
{
    if (!rep)
        return CEVM_E_INVAL;
    memset(rep, 0, sizeof *rep);
    cevm_info info;
    cevm_status st = cevm_get_info(&info); /* boots the default machine if none is up */
    if (st)
        return st;
    /* Drivers\RootKey names the key the boot loads (Drivers\BuiltIn when absent). */
    char root[REGPARSE_KEY_MAX] = "Drivers\\BuiltIn";
    HKEY h;
    WCHAR wdrivers[8];
    widen16("Drivers", wdrivers, 8);
    if (RegOpenKeyEx(HKEY_LOCAL_MACHINE, wdrivers, 0, 0, &h) == ERROR_SUCCESS) {
        char named[REGPARSE_KEY_MAX];
        if (!reg_sz(h, "RootKey", named, sizeof named) && named[0])
            memcpy(root, named, sizeof root);
        RegCloseKey(h);
    }
    load_children(root, 0, rep);
    return CEVM_OK;
}

size_t cevm_devices(cevm_device_info *out, size_t max)
{
    pthread_mutex_lock(&g_devmgr);
    const struct active_device *list[DEVMGR_MAX];
    size_t n = 0;
    for (size_t i = 0; i < DEVMGR_MAX; i++)
        if (g_dev[i].used && !g_dev[i].loading && !g_dev[i].going)
            list[n++] = &g_dev[i];
    for (size_t i = 1; i < n; i++) /* activation order */
        for (size_t j = i; j > 0 && list[j]->seq < list[j - 1]->seq; j--) {
            const struct active_device *t = list[j];
            list[j] = list[j - 1];
            list[j - 1] = t;
        }
    for (size_t i = 0; out && i < n && i < max; i++) {
        const struct active_device *d = list[i];
        memset(&out[i], 0, sizeof out[i]);
        snprintf(out[i].name, sizeof out[i].name, "%.3s%u:", d->prefix, (unsigned)(d->index % 10));
        snprintf(out[i].key, sizeof out[i].key, "%s", d->key);
        snprintf(out[i].active, sizeof out[i].active, "%s", cevm_driver_active_key(d->drv));
        out[i].handle = d->handle;
        out[i].order = d->order;
        out[i].open_handles = d->opens;
        out[i].power_state = -1;
    }
    pthread_mutex_unlock(&g_devmgr);
    for (size_t i = 0; out && i < n && i < max; i++) { /* the power manager's own lock */
        CEDEVICE_POWER_STATE dx;
        if (pm_get_device(out[i].name, &dx))
            out[i].power_state = (int)dx;
    }
    return n;
}

/* ---- the traced entry points (ce/trace.h) -------------------------------------------------- */

HANDLE WINAPI ActivateDeviceEx(LPCWSTR lpszDevKey, LPCREGINI lpRegEnts, DWORD cRegEnts,
                               LPVOID lpvParam)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    HANDLE r = impl_ActivateDeviceEx(lpszDevKey, lpRegEnts, cRegEnts, lpvParam);
    ce_trace_quiet(0);
    if (t0) {
        char key[REGPARSE_KEY_MAX];
        ce_narrow(lpszDevKey, key, sizeof key);
        ce_trace_done(t0, "ActivateDeviceEx", TR_HANDLE, (uintptr_t)r,
                      "lpszDevKey \"%s\", lpRegEnts %s, cRegEnts %u, lpvParam %s", key,
                      ce_trace_ptr(lpRegEnts), (unsigned)cRegEnts, ce_trace_ptr(lpvParam));
    }
    return r;
}

BOOL WINAPI DeactivateDevice(HANDLE hDevice)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    BOOL r = impl_DeactivateDevice(hDevice);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "DeactivateDevice", TR_BOOL, (uint64_t)r, "hDevice 0x%08llX",
                      (unsigned long long)(uintptr_t)hDevice);
    return r;
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

HANDLE WINAPI ActivateDevice(LPCWSTR lpszDevKey, DWORD dwClientInfo)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    HANDLE r = impl_ActivateDevice(lpszDevKey, dwClientInfo);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "ActivateDevice", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "lpszDevKey %s, dwClientInfo 0x%X", ce_trace_wstr(lpszDevKey),
                      (unsigned)dwClientInfo);
    return r;
}

HANDLE WINAPI RegisterDevice(LPCWSTR lpszType, DWORD dwIndex, LPCWSTR lpszLib, DWORD dwInfo)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    HANDLE r = impl_RegisterDevice(lpszType, dwIndex, lpszLib, dwInfo);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "RegisterDevice", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "lpszType %s, dwIndex 0x%X, lpszLib %s, dwInfo 0x%X", ce_trace_wstr(lpszType),
                      (unsigned)dwIndex, ce_trace_wstr(lpszLib), (unsigned)dwInfo);
    return r;
}

BOOL WINAPI DeregisterDevice(HANDLE hDevice)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    BOOL r = impl_DeregisterDevice(hDevice);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "DeregisterDevice", TR_BOOL, (uint64_t)r, "hDevice %s",
                      ce_trace_handle(hDevice));
    return r;
}

BOOL WINAPI GetDeviceInformationByDeviceHandle(HANDLE hDevice, PDEVMGR_DEVICE_INFORMATION pdi)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    BOOL r = impl_GetDeviceInformationByDeviceHandle(hDevice, pdi);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "GetDeviceInformationByDeviceHandle", TR_BOOL, (uint64_t)r,
                      "hDevice %s, pdi %s", ce_trace_handle(hDevice), ce_trace_ptr(pdi));
    return r;
}

BOOL WINAPI EnumDeviceInterfaces(HANDLE h, DWORD dwIndex, GUID *pClass, LPWSTR pszNameBuf,
                                 LPDWORD lpdwNameBufSize)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    BOOL r = impl_EnumDeviceInterfaces(h, dwIndex, pClass, pszNameBuf, lpdwNameBufSize);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "EnumDeviceInterfaces", TR_BOOL, (uint64_t)r,
                      "h %s, dwIndex 0x%X, pClass %s, pszNameBuf %s, lpdwNameBufSize %s",
                      ce_trace_handle(h), (unsigned)dwIndex, ce_trace_ptr(pClass),
                      ce_trace_ptr(pszNameBuf), ce_trace_ptr(lpdwNameBufSize));
    return r;
}

/* ---- the API: cevm's own CE calls in these are quiet in CEVM_TRACE (the driver's, made
 * inside its entry points, are traced) ---- */

cevm_status cevm_devices_boot(cevm_boot_report *rep)
{
    ce_trace_quiet(1);
    cevm_status st = cevm_devices_boot_work(rep);
    ce_trace_quiet(0);
    return st;
}

void devmgr_shutdown(void)
{
    ce_trace_quiet(1);
    devmgr_shutdown_work();
    ce_trace_quiet(0);
}
