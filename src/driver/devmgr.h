/*
 * devmgr.h — the device manager (devmgr.c) and the file calls on device names (devfile.c).
 */
#ifndef CEVM_DRIVER_DEVMGR_H
#define CEVM_DRIVER_DEVMGR_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cevm/cevm.h"
#include "devload.h"
#include "windev.h"
#include "registry/regparse.h"
#include "windows.h"

#define DEVMGR_MAX        64
#define DEVMGR_MAX_ICLASS 8
#define DEVMGR_NO_ORDER   0xFFFFFFFFu /* a key without Order loads after the ordered ones */

/* An active device (g_devmgr guards the table). */
struct active_device {
    cevm_driver *drv;
    int used, loading, going;
    char prefix[4];
    uint32_t index;
    char key[REGPARSE_KEY_MAX];
    uint32_t order, flags, handle, seq;
    int calls;                      /* file calls inside its entry points now */
    int opens;                      /* open file handles */
    GUID iclass[DEVMGR_MAX_ICLASS]; /* the interfaces its IClass advertised */
    int niclass;
};

extern pthread_mutex_t g_devmgr;
extern pthread_cond_t g_devmgr_idle;

/* The device a device handle names (g_devmgr held), or NULL. */
struct active_device *devmgr_device_of(HANDLE h);
/* The active device called prefix + index (case-insensitive prefix; g_devmgr held), or NULL. */
struct active_device *devmgr_find_name(const char *prefix, uint32_t index);

/* ActivateDeviceEx on key (ASCII, below HKLM); why gets a line on failure (and "ok").
 * Return: the device handle, or the profile's failure value with GetLastError set. */
HANDLE devmgr_activate(const char *key, LPCREGINI ents, DWORD n, const void *param, char *why,
                       size_t whylen);

/* Load every key under HKLM\Drivers\BuiltIn in Order (sub-keys of BusEnum keys in their own
 * Order), each through ActivateDeviceEx; a failure is reported and the rest still load
 * (cevm_devices_boot). */
void devmgr_report_add(cevm_boot_report *rep, const char *line);
/* XXX_PowerDown on every active device that exports it, the last activated first (up 0), or
 * XXX_PowerUp, the first activated first (up 1): the kernel's suspend and resume callbacks. A
 * fault is reported on stderr. */
void devmgr_power_callbacks(int up);
/* Deactivate every device, the last activated first (cevm_shutdown, before the memory goes). */
void devmgr_shutdown(void);

/* devfile.c: close every open handle of d (XXX_Close) before it goes (g_devmgr not held). */
void devfile_device_gone(struct active_device *d);
/* The device an open file handle is on (g_devmgr held), or NULL. */
struct active_device *devfile_device_of(HANDLE h);
/* CloseHandle of a device file handle. Return: 1 closed, 0 failed (error set), -1 not one. */
int devfile_close(HANDLE h);

#endif
