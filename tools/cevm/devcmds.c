/*
 * devcmds.c — the device manager in the cevm language: `boot` loads the board's BuiltIn driver
 * set, `drivers` lists the active devices, and `open`, `read`, `write`, `seek`, `ioctl` and
 * `close` reach a device by name as a CE application does (CreateFile, ReadFile, WriteFile,
 * SetFilePointer, DeviceIoControl, CloseHandle); `power` sets a device's or the system's power
 * state (SetDevicePower, SetSystemPowerState). Results print as every CE call's does
 * ("NAME = RESULT  GetLastError = ..."), bytes read or returned as hex after it.
 */
#include <stdlib.h>
#include <string.h>

#include <cevm/cevm.h>
#include <pm.h>
#include <windows.h>

#include "lang.h"

static int report(struct session *s, uint64_t result, const char *text)
{
    s->have_result = 1;
    s->result = result;
    s->error = GetLastError();
    lang_report(s, NULL, text);
    return 0;
}

static void hex_line(const char *what, const unsigned char *b, DWORD n)
{
    printf("  %s %u byte%s:", what, (unsigned)n, n == 1 ? "" : "s");
    for (DWORD i = 0; i < n; i++)
        printf(" %02X", b[i]);
    printf("\n");
}

/* Evaluate argument i of raw into *v. Return: 0, or -1 (reported). */
static int arg(struct session *s, char **raw, int i, uint64_t *v)
{
    return lang_eval(s, raw[i], v);
}

static HANDLE handle_of(uint64_t v)
{
    return (HANDLE)(uintptr_t)(uint32_t)v;
}

int c_boot(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)s, (void)argc, (void)a, (void)raw;
    static cevm_boot_report rep;
    if (cevm_devices_boot(&rep) != CEVM_OK) {
        lang_error(s, "boot: no machine");
        return -1;
    }
    fputs(rep.text, stdout);
    printf("%u loaded, %u failed, %u not loaded (DEVFLAGS_NOLOAD)\n", rep.loaded, rep.failed,
           rep.skipped);
    s->have_result = 1;
    s->result = rep.loaded;
    s->error = 0;
    return 0;
}

int c_drivers(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)s, (void)argc, (void)a, (void)raw;
    cevm_device_info list[64];
    size_t n = cevm_devices(list, 64);
    printf("%zu active device%s\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < 64; i++) {
        char order[16] = "-";
        if (list[i].order != 0xFFFFFFFFu)
            snprintf(order, sizeof order, "%u", list[i].order);
        char power[16] = "";
        if (list[i].power_state >= 0)
            snprintf(power, sizeof power, "  D%d", list[i].power_state);
        printf("  %-6s Hnd 0x%08X  Order %-5s %-20s %s%s%s\n", list[i].name, list[i].handle, order,
               list[i].active, list[i].key, list[i].open_handles ? "  (open)" : "", power);
    }
    return 0;
}

int c_open(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)a;
    uint64_t access = GENERIC_READ | GENERIC_WRITE, share = 0;
    if ((argc > 1 && arg(s, raw, 1, &access)) || (argc > 2 && arg(s, raw, 2, &share)))
        return -1;
    WCHAR name[64];
    size_t i = 0;
    for (; raw[0][i] && i + 1 < 64; i++)
        name[i] = (WCHAR)(unsigned char)raw[0][i];
    name[i] = 0;
    SetLastError(0);
    HANDLE h = CreateFile(name, (DWORD)access, (DWORD)share, NULL, OPEN_EXISTING, 0, NULL);
    char v[32];
    if (h == INVALID_HANDLE_VALUE)
        snprintf(v, sizeof v, "INVALID_HANDLE_VALUE");
    else
        snprintf(v, sizeof v, "0x%08X", (uint32_t)(uintptr_t)h);
    return report(s, h == INVALID_HANDLE_VALUE ? 0xFFFFFFFFu : (uint32_t)(uintptr_t)h, v);
}

int c_read(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a;
    uint64_t h, len;
    if (arg(s, raw, 0, &h) || arg(s, raw, 1, &len))
        return -1;
    if (len > 4096) {
        lang_error(s, "read H LEN: at most 4096 bytes");
        return -1;
    }
    unsigned char buf[4096];
    DWORD got = 0;
    SetLastError(0);
    BOOL ok = ReadFile(handle_of(h), buf, (DWORD)len, &got, NULL);
    report(s, ok, ok ? "TRUE" : "FALSE");
    if (ok)
        hex_line("read", buf, got);
    return 0;
}

int c_write(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a;
    uint64_t h;
    unsigned char buf[4096];
    int n;
    if (arg(s, raw, 0, &h))
        return -1;
    if ((n = lang_unescape(raw[1], buf, sizeof buf)) < 0) {
        lang_error(s, "write H TEXT: bad escape in '%s'", raw[1]);
        return -1;
    }
    DWORD done = 0;
    SetLastError(0);
    BOOL ok = WriteFile(handle_of(h), buf, (DWORD)n, &done, NULL);
    report(s, ok, ok ? "TRUE" : "FALSE");
    if (ok)
        printf("  wrote %u byte%s\n", (unsigned)done, done == 1 ? "" : "s");
    return 0;
}

int c_seek(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a;
    uint64_t h, dist, method;
    if (arg(s, raw, 0, &h) || arg(s, raw, 1, &dist) || arg(s, raw, 2, &method))
        return -1;
    SetLastError(0);
    DWORD pos = SetFilePointer(handle_of(h), (LONG)dist, NULL, (DWORD)method);
    char v[32];
    snprintf(v, sizeof v, "0x%08X", pos);
    return report(s, pos, v);
}

int c_ioctl(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)a;
    uint64_t h, code, outlen = 0;
    unsigned char in[4096], out[4096];
    int n = 0;
    if (arg(s, raw, 0, &h) || arg(s, raw, 1, &code) || (argc > 3 && arg(s, raw, 3, &outlen)))
        return -1;
    if (argc > 2 && strcmp(raw[2], "-") && (n = lang_unescape(raw[2], in, sizeof in)) < 0) {
        lang_error(s, "ioctl H CODE [IN|-] [OUTLEN]: bad escape in '%s'", raw[2]);
        return -1;
    }
    if (outlen > sizeof out) {
        lang_error(s, "ioctl: OUTLEN at most 4096");
        return -1;
    }
    memset(out, 0, sizeof out);
    DWORD ret = 0;
    SetLastError(0);
    BOOL ok = DeviceIoControl(handle_of(h), (DWORD)code, n ? in : NULL, (DWORD)n,
                              outlen ? out : NULL, (DWORD)outlen, &ret, NULL);
    report(s, ok, ok ? "TRUE" : "FALSE");
    if (ok && ret)
        hex_line("returned", out, ret <= outlen ? ret : (DWORD)outlen);
    return 0;
}

int c_close(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a;
    uint64_t h;
    if (arg(s, raw, 0, &h))
        return -1;
    SetLastError(0);
    BOOL ok = CloseHandle(handle_of(h));
    return report(s, ok, ok ? "TRUE" : "FALSE");
}

int c_power(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a;
    WCHAR name[64];
    size_t i = 0;
    for (; raw[1][i] && i + 1 < 64; i++)
        name[i] = (WCHAR)(unsigned char)raw[1][i];
    name[i] = 0;
    DWORD r;
    if (!strcmp(raw[0], "system")) {
        r = SetSystemPowerState(name, 0, 0);
    } else {
        const char *d = raw[1];
        if ((d[0] != 'D' && d[0] != 'd') || d[1] < '0' || d[1] > '4' || d[2]) {
            lang_error(s, "power NAME D0..D4, or power system STATE: '%s' is no device state", d);
            return -1;
        }
        for (i = 0; raw[0][i] && i + 1 < 64; i++)
            name[i] = (WCHAR)(unsigned char)raw[0][i];
        name[i] = 0;
        r = SetDevicePower(name, POWER_NAME, (CEDEVICE_POWER_STATE)(d[1] - '0'));
    }
    SetLastError(r);
    char v[64];
    snprintf(v, sizeof v, "%u %s", (unsigned)r, cevm_ce_error_name(r));
    report(s, r, v);
    if (r == ERROR_SUCCESS && strcmp(raw[0], "system")) {
        CEDEVICE_POWER_STATE dx = D0;
        GetDevicePower(name, POWER_NAME, &dx);
        printf("  %s is in D%d\n", raw[0], (int)dx);
    }
    return 0;
}
