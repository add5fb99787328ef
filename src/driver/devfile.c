/*
 * devfile.c — devices reached by name from CE code: CreateFileW on "COM1:" or "\$device\COM1",
 * ReadFile, WriteFile, SetFilePointer, DeviceIoControl and CloseHandle on the handle, each one
 * call of the driver's XXX_Open / Read / Write / Seek / IOControl / Close through the driver
 * host (its guards, its reports).
 *
 * The calling CE code is the current process, so its pointers go to the driver as they are (no
 * caller frame: the thread does not migrate into another process here). Open file handles are
 * small tagged values in a table the device manager's mutex guards; the mutex is released while
 * an entry point runs, and counts keep the device and the handle alive meanwhile (a close or a
 * deactivation waits for them).
 */
#include "driver/devmgr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ce/trace.h"
#include "ce/ce_api.h"
#include "driver/host.h"

#define FILE_TAG  0x46440000u /* "FD": file handles are FILE_TAG | (slot + 1) */
#define MAX_FILES 256

struct open_file {
    struct active_device *dev;
    int used, closing, calls;
    DWORD ctx; /* what XXX_Open returned */
};

static struct open_file g_files[MAX_FILES];

/* The open file handle h names (g_devmgr held), or NULL. */
static struct open_file *file_of(HANDLE h)
{
    uintptr_t v = (uintptr_t)h;
    if ((v & 0xFFFF0000u) != FILE_TAG || (v & 0xFFFF) == 0 || (v & 0xFFFF) > MAX_FILES)
        return NULL;
    struct open_file *f = &g_files[(v & 0xFFFF) - 1];
    return f->used && !f->closing ? f : NULL;
}

/* "COM1:" or "\$device\COM1" (either slash, any letter case): prefix and index.
 * Return: 1, or 0 when the name is not a device name. */
static int device_name(LPCWSTR w, char *prefix, uint32_t *index)
{
    char s[64];
    ce_narrow(w, s, sizeof s);
    size_t n = strlen(s);
    const char *p = s;
    if (n >= 9 && (s[0] == '\\' || s[0] == '/') && !strncasecmp(s + 1, "$device", 7) &&
        (s[8] == '\\' || s[8] == '/'))
        p += 9;
    else if (n != 5 || s[4] != ':')
        return 0;
    if (strlen(p) < 4 || !isalpha((unsigned char)p[0]) || !isalpha((unsigned char)p[1]) ||
        !isalpha((unsigned char)p[2]) || !isdigit((unsigned char)p[3]) ||
        (p[4] && !(p[4] == ':' && !p[5] && p != s + 9)))
        return 0;
    memcpy(prefix, p, 3);
    prefix[3] = '\0';
    *index = (uint32_t)(p[3] - '0');
    return 1;
}

static HANDLE WINAPI impl_CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                                      LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                      DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes,
                                      HANDLE hTemplateFile)
{
    (void)lpSecurityAttributes;
    (void)dwCreationDisposition;
    (void)dwFlagsAndAttributes;
    (void)hTemplateFile;
    char prefix[4];
    uint32_t index;
    if (!lpFileName || !device_name(lpFileName, prefix, &index)) {
        SetLastError(ERROR_FILE_NOT_FOUND); /* cevm has no file system: devices only */
        return INVALID_HANDLE_VALUE;
    }
    pthread_mutex_lock(&g_devmgr);
    struct active_device *d = devmgr_find_name(prefix, index);
    size_t slot = 0;
    while (slot < MAX_FILES && g_files[slot].used)
        slot++;
    DWORD err = !d || d->loading                     ? ERROR_DEV_NOT_EXIST
                : !host_has_entry(d->drv, HOST_OPEN) ? ERROR_NOT_SUPPORTED
                : slot == MAX_FILES                  ? ERROR_TOO_MANY_OPEN_FILES
                                                     : 0;
    if (err) {
        pthread_mutex_unlock(&g_devmgr);
        SetLastError(err);
        return INVALID_HANDLE_VALUE;
    }
    struct open_file *f = &g_files[slot];
    memset(f, 0, sizeof *f);
    f->used = 1;
    f->closing = 1; /* not usable until XXX_Open has answered */
    f->dev = d;
    d->calls++;
    pthread_mutex_unlock(&g_devmgr);
    char why[512];
    uint32_t ctx = 0;
    SetLastError(0);
    cevm_status st = cevm_driver_open(d->drv, dwDesiredAccess, dwShareMode, &ctx, why, sizeof why);
    DWORD e = GetLastError();
    pthread_mutex_lock(&g_devmgr);
    d->calls--;
    pthread_cond_broadcast(&g_devmgr_idle);
    if (st) {
        memset(f, 0, sizeof *f);
    } else {
        f->ctx = ctx;
        f->closing = 0;
        d->opens++;
    }
    pthread_mutex_unlock(&g_devmgr);
    if (st) {
        if (st != CEVM_E_DRIVER || strstr(why, "faulted") || strstr(why, "access violation"))
            fprintf(stderr, "cevm: CreateFile: %s\n", why);
        SetLastError(st == CEVM_E_DRIVER && e ? e : ERROR_GEN_FAILURE);
        return INVALID_HANDLE_VALUE;
    }
    return (HANDLE)(uintptr_t)(FILE_TAG | (uint32_t)(slot + 1));
}

/* One entry-point call on an open file. Return: 1 with *result, or 0 with the error set. */
static int file_call(HANDLE h, int which, DWORD code, void *in, DWORD in_len, void *out,
                     DWORD out_len, DWORD *returned, LONG amount, WORD type, DWORD *result)
{
    pthread_mutex_lock(&g_devmgr);
    struct open_file *f = file_of(h);
    struct active_device *d = f ? f->dev : NULL;
    if (!f || d->going) {
        pthread_mutex_unlock(&g_devmgr);
        SetLastError(ERROR_INVALID_HANDLE);
        return 0;
    }
    if (!host_has_entry(d->drv, which)) {
        pthread_mutex_unlock(&g_devmgr);
        SetLastError(ERROR_NOT_SUPPORTED);
        return 0;
    }
    f->calls++;
    d->calls++;
    DWORD ctx = f->ctx;
    pthread_mutex_unlock(&g_devmgr);
    char why[1024];
    cevm_status st = host_call_direct(d->drv, which, ctx, code, in, in_len, out, out_len, returned,
                                      amount, type, result, why, sizeof why);
    pthread_mutex_lock(&g_devmgr);
    f->calls--;
    d->calls--;
    pthread_cond_broadcast(&g_devmgr_idle);
    pthread_mutex_unlock(&g_devmgr);
    if (st) { /* the driver faulted (now or earlier): its report, and a failed call */
        fprintf(stderr, "cevm: %s\n", why);
        SetLastError(ERROR_GEN_FAILURE);
        return 0;
    }
    return 1;
}

static BOOL WINAPI impl_ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                                 LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped)
{
    (void)lpOverlapped;
    DWORD r = 0;
    SetLastError(0);
    int ok =
        file_call(hFile, HOST_READ, 0, NULL, 0, lpBuffer, nNumberOfBytesToRead, NULL, 0, 0, &r) &&
        r != (DWORD)-1;
    if (lpNumberOfBytesRead)
        *lpNumberOfBytesRead = ok ? r : 0;
    return ok ? TRUE : FALSE;
}

static BOOL WINAPI impl_WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                                  LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped)
{
    (void)lpOverlapped;
    DWORD r = 0;
    SetLastError(0);
    int ok = file_call(hFile, HOST_WRITE, 0, (void *)(uintptr_t)lpBuffer, nNumberOfBytesToWrite,
                       NULL, 0, NULL, 0, 0, &r) &&
             r != (DWORD)-1;
    if (lpNumberOfBytesWritten)
        *lpNumberOfBytesWritten = ok ? r : 0;
    return ok ? TRUE : FALSE;
}

static DWORD impl_SetFilePointer(HANDLE hFile, LONG lDistanceToMove, PLONG lpDistanceToMoveHigh,
                                 DWORD dwMoveMethod)
{
    DWORD r = 0;
    if (!file_call(hFile, HOST_SEEK, 0, NULL, 0, NULL, 0, NULL, lDistanceToMove, (WORD)dwMoveMethod,
                   &r))
        return INVALID_SET_FILE_POINTER;
    if (lpDistanceToMoveHigh)
        *lpDistanceToMoveHigh = 0; /* stream drivers seek in 32 bits */
    return r;
}

static BOOL WINAPI impl_DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer,
                                        DWORD nInBufferSize, LPVOID lpOutBuffer,
                                        DWORD nOutBufferSize, LPDWORD lpBytesReturned,
                                        LPOVERLAPPED lpOverlapped)
{
    (void)lpOverlapped;
    DWORD r = 0, none = 0;
    return file_call(hDevice, HOST_IOCTL, dwIoControlCode, lpInBuffer, nInBufferSize, lpOutBuffer,
                     nOutBufferSize, lpBytesReturned ? lpBytesReturned : &none, 0, 0, &r) &&
                   r
               ? TRUE
               : FALSE;
}

/* XXX_Close of open file f (g_devmgr not held), then its slot goes. */
static void close_file(struct open_file *f)
{
    char why[512];
    int result = 0;
    if (host_close(f->dev->drv, f->ctx, &result, why, sizeof why) != CEVM_OK &&
        !strstr(why, "no XXX_Close") && strstr(why, "fault"))
        fprintf(stderr, "cevm: CloseHandle: %s\n", why);
}

struct active_device *devfile_device_of(HANDLE h)
{
    struct open_file *f = file_of(h);
    return f && !f->dev->going ? f->dev : NULL;
}

int devfile_close(HANDLE h)
{
    pthread_mutex_lock(&g_devmgr);
    struct open_file *f = file_of(h);
    if (!f) {
        pthread_mutex_unlock(&g_devmgr);
        return -1;
    }
    f->closing = 1;
    struct active_device *d = f->dev;
    d->calls++;
    pthread_mutex_unlock(&g_devmgr);
    /* XXX_PreClose before waiting: a thread blocked in the driver on this handle may need it. */
    char why[512];
    if (host_pre(d->drv, 0, f->ctx, why, sizeof why) != CEVM_OK && strstr(why, "fault"))
        fprintf(stderr, "cevm: CloseHandle: %s\n", why);
    pthread_mutex_lock(&g_devmgr);
    while (f->calls)
        pthread_cond_wait(&g_devmgr_idle, &g_devmgr);
    pthread_mutex_unlock(&g_devmgr);
    close_file(f);
    pthread_mutex_lock(&g_devmgr);
    d->calls--;
    d->opens--;
    memset(f, 0, sizeof *f);
    pthread_cond_broadcast(&g_devmgr_idle);
    pthread_mutex_unlock(&g_devmgr);
    return 1;
}

void devfile_device_gone(struct active_device *d)
{
    for (size_t i = 0; i < MAX_FILES; i++) {
        pthread_mutex_lock(&g_devmgr);
        struct open_file *f = &g_files[i];
        int mine = f->used && !f->closing && f->dev == d;
        if (mine)
            f->closing = 1;
        pthread_mutex_unlock(&g_devmgr);
        if (!mine)
            continue;
        char why[512];
        if (host_pre(d->drv, 0, f->ctx, why, sizeof why) != CEVM_OK && strstr(why, "fault"))
            fprintf(stderr, "cevm: %s\n", why);
        close_file(f); /* the device has no call running: deactivation waited for that */
        pthread_mutex_lock(&g_devmgr);
        d->opens--;
        memset(f, 0, sizeof *f);
        pthread_mutex_unlock(&g_devmgr);
    }
}

/* ---- the traced entry points (ce/trace.h) -------------------------------------------------- */

/* A device name for the trace ("COM1:"), in ASCII. */
static const char *trace_name(LPCWSTR w, char *buf, size_t cap)
{
    ce_narrow(w, buf, cap);
    return w ? buf : "NULL";
}

HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                          LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                          DWORD dwFlagsAndAttributes, HANDLE hTemplateFile)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    HANDLE r = impl_CreateFileW(lpFileName, dwDesiredAccess, dwShareMode, lpSecurityAttributes,
                                dwCreationDisposition, dwFlagsAndAttributes, hTemplateFile);
    ce_trace_quiet(0);
    if (t0) {
        char name[64];
        ce_trace_done(t0, "CreateFileW", TR_HANDLE, (uintptr_t)r,
                      "lpFileName \"%s\", dwDesiredAccess %s, dwShareMode 0x%X",
                      trace_name(lpFileName, name, sizeof name),
                      ce_trace_flags(dwDesiredAccess, TR_ACCESS), dwShareMode);
    }
    return r;
}

BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                     LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    BOOL r =
        impl_ReadFile(hFile, lpBuffer, nNumberOfBytesToRead, lpNumberOfBytesRead, lpOverlapped);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "ReadFile", TR_BOOL, (uint64_t)r,
                      "hFile 0x%08llX, lpBuffer %s, nNumberOfBytesToRead 0x%X -> %u",
                      (unsigned long long)(uintptr_t)hFile, ce_trace_ptr(lpBuffer),
                      nNumberOfBytesToRead,
                      r && lpNumberOfBytesRead ? (unsigned)*lpNumberOfBytesRead : 0u);
    return r;
}

BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                      LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    BOOL r = impl_WriteFile(hFile, lpBuffer, nNumberOfBytesToWrite, lpNumberOfBytesWritten,
                            lpOverlapped);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "WriteFile", TR_BOOL, (uint64_t)r,
                      "hFile 0x%08llX, lpBuffer %s, nNumberOfBytesToWrite 0x%X -> %u",
                      (unsigned long long)(uintptr_t)hFile, ce_trace_ptr(lpBuffer),
                      nNumberOfBytesToWrite,
                      r && lpNumberOfBytesWritten ? (unsigned)*lpNumberOfBytesWritten : 0u);
    return r;
}

BOOL WINAPI DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer,
                            DWORD nInBufferSize, LPVOID lpOutBuffer, DWORD nOutBufferSize,
                            LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    BOOL r = impl_DeviceIoControl(hDevice, dwIoControlCode, lpInBuffer, nInBufferSize, lpOutBuffer,
                                  nOutBufferSize, lpBytesReturned, lpOverlapped);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "DeviceIoControl", TR_BOOL, (uint64_t)r,
                      "hDevice 0x%08llX, dwIoControlCode 0x%08X, lpInBuffer %s, nInBufferSize "
                      "0x%X, lpOutBuffer %s, nOutBufferSize 0x%X -> %u",
                      (unsigned long long)(uintptr_t)hDevice, dwIoControlCode,
                      ce_trace_ptr(lpInBuffer), nInBufferSize, ce_trace_ptr(lpOutBuffer),
                      nOutBufferSize, r && lpBytesReturned ? (unsigned)*lpBytesReturned : 0u);
    return r;
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

DWORD WINAPI SetFilePointer(HANDLE hFile, LONG lDistanceToMove, PLONG lpDistanceToMoveHigh,
                            DWORD dwMoveMethod)
{
    uint64_t t0 = ce_trace_start();
    ce_trace_quiet(1); /* the device manager's own calls are not the program's */
    DWORD r = impl_SetFilePointer(hFile, lDistanceToMove, lpDistanceToMoveHigh, dwMoveMethod);
    ce_trace_quiet(0);
    if (t0)
        ce_trace_done(t0, "SetFilePointer", TR_DWORD, (uint64_t)r,
                      "hFile %s, lDistanceToMove 0x%X, lpDistanceToMoveHigh %s, dwMoveMethod 0x%X",
                      ce_trace_handle(hFile), (unsigned)lDistanceToMove,
                      ce_trace_ptr(lpDistanceToMoveHigh), (unsigned)dwMoveMethod);
    return r;
}
