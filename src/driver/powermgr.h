/*
 * powermgr.h — the power manager's side of the device manager (powermgr.c): power-managed devices,
 * their capabilities, and IOCTL_POWER_SET delivery for SetDevicePower and SetSystemPowerState.
 */
#ifndef CEVM_DRIVER_POWERMGR_H
#define CEVM_DRIVER_POWERMGR_H

#include <stddef.h>

#include "pm.h"
#include "windows.h"

/* Whether g is one of the power manager's device classes. Return: 1 or 0. */
int pm_is_class(const GUID *g);

/* A device advertising a power manager class was activated as name ("COM1:"): open it and ask
 * IOCTL_POWER_CAPABILITIES. why gets a line for the boot report ("power-managed, DeviceDx 0x11"
 * or why it is not). */
void pm_device_added(const char *name, char *why, size_t whylen);

/* The device is being deactivated: close the power manager's handle (waits for a call in
 * progress). Nothing happens for a device that is not power-managed. */
void pm_device_removed(const char *name);

/* SetDevicePower on a power-managed device ("COM1:" or "{GUID}\COM1:"): the requirement is kept
 * and IOCTL_POWER_SET delivers the supported state. Return: 1 with *err (ERROR_SUCCESS or the
 * driver's error), 0 when no power-managed device has that name. */
int pm_set_device(const char *name, CEDEVICE_POWER_STATE dx, DWORD *err);

/* The state a power-managed device last reported. Return: 1 with *dx, or 0 (no such device). */
int pm_get_device(const char *name, CEDEVICE_POWER_STATE *dx);

/* The system enters power state `state` ("On", "Suspend" ...): every power-managed device without
 * a SetDevicePower requirement gets its level for that state. Return: how many devices changed
 * state. */
int pm_set_system(const char *state);

#endif
