/*
 * host.h — what the device manager (devmgr.c, devfile.c) uses of the driver host (host.c)
 * beyond the native cevm_driver_* calls: a load with ActivateDeviceEx's extras, and entry-point
 * calls with the calling CE code's own pointers.
 */
#ifndef CEVM_DRIVER_HOST_H
#define CEVM_DRIVER_HOST_H

#include <stddef.h>

#include "cevm/cevm.h"
#include "windows.h"

struct host_load_opts {
    const void *bus_param; /* XXX_Init's second argument (ActivateDeviceEx's lpvParam) */
    int naked;             /* DEVFLAGS_NAKEDENTRIES: entry points without the prefix */
    /* Called with the Active key's path (Drivers\Active\NN) before XXX_Init runs. */
    void (*before_init)(const char *active_key, void *ctx);
    void *ctx;
    /* RegisterDevice: no device key (key is NULL); the prefix, index and library come from
     * here, and XXX_Init receives `info` instead of the Active key's path. */
    const char *prefix;
    uint32_t index;
    const char *dll;
    DWORD info;
};

/* cevm_driver_load with the options above (key NULL with opts->prefix: RegisterDevice's load).
 * Return and errors: as cevm_driver_load. */
cevm_status host_load(const char *library, const char *key, const struct host_load_opts *opts,
                      cevm_driver **out, char *err, size_t errlen);

enum { HOST_READ, HOST_WRITE, HOST_SEEK, HOST_IOCTL, HOST_OPEN };

/* Call XXX_Read (out, out_len), XXX_Write (in, in_len), XXX_Seek (amount, type) or
 * XXX_IOControl (code, in, out, returned) with the caller's pointers as they are: the caller is
 * CE code of the current process. *result gets what the entry point returned.
 * Return: CEVM_OK, CEVM_E_INVAL, CEVM_E_UNSUPPORTED (no such entry point), CEVM_E_STATE (the
 * driver faulted earlier), CEVM_E_DRIVER (it faulted now; err has the report). */
cevm_status host_call_direct(cevm_driver *d, int which, DWORD handle, DWORD code, void *in,
                             DWORD in_len, void *out, DWORD out_len, DWORD *returned, LONG amount,
                             WORD type, DWORD *result, char *err, size_t errlen);
/* XXX_PreClose (deinit 0) of open context handle, or XXX_PreDeinit (deinit 1, once), when the
 * driver exports it: CE calls them before waiting for the calls inside the driver to end, so a
 * thread blocked there can be released. Return: CEVM_OK (also when not exported, or when the
 * driver faulted earlier: the call after it reports that), CEVM_E_DRIVER (it faulted; err has the
 * report). */
cevm_status host_pre(cevm_driver *d, int deinit, uint32_t handle, char *err, size_t errlen);
/* XXX_Close alone (host_pre already ran). Return: as cevm_driver_close. */
cevm_status host_close(cevm_driver *d, uint32_t handle, int *result, char *err, size_t errlen);
/* Call XXX_PowerUp (up) or XXX_PowerDown with the device context Init returned, as CE does when
 * the system resumes or suspends. Return: CEVM_OK, CEVM_E_UNSUPPORTED (not exported; nothing
 * said), CEVM_E_STATE (faulted earlier), CEVM_E_DRIVER (it faulted now; err has the report). */
cevm_status host_call_power(cevm_driver *d, int up, char *err, size_t errlen);
/* The driver's registry prefix ("COM"), and whether it has entry point HOST_*. */
const char *host_prefix(const cevm_driver *d);
int host_has_entry(const cevm_driver *d, int which);

#endif
