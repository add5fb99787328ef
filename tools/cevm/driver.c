/*
 * driver.c — `cevm driver`: run a CE stream driver under the driver host from the command line.
 *
 * After the common options and the boot, the arguments are LIBRARY KEY, then actions run in
 * order between XXX_Open and XXX_Close: write TEXT, read N, ioctl CODE [IN-HEX [OUT-LEN]],
 * ioctl-ptr CODE BYTES-HEX [OUT-LEN] (an input { pointer, length } whose pointer names the bytes
 * in the calling application's memory), seek AMOUNT TYPE, pin DEVICE PIN 0|1, give DEVICE CHANNEL
 * TEXT (bytes for a UART to receive), log DEVICE (print its register accesses at the end),
 * advance MS (move the virtual clock; real time passes on the real-time clock), waitirq IRQ MS
 * (advance until the IRQ fires), irqs (the interrupt lines and their SYSINTRs), reg DEVICE NAME
 * (a register's value). Each
 * driver call is printed with its result; the end shows the output pins, what each UART
 * transmitted, the logs, and what the driver left behind at unload. TEXT takes the escapes \n \r \t
 * \\ and \xNN.
 */
#include "driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cevm/cevm.h"
#include "windows.h"

#include "lang.h"

#define MAX_LOGS 8

static void print_bytes(const unsigned char *b, size_t n)
{
    printf("\"");
    for (size_t i = 0; i < n; i++)
        if (b[i] >= 0x20 && b[i] < 0x7F && b[i] != '"' && b[i] != '\\')
            putchar(b[i]);
        else
            printf("\\x%02X", b[i]);
    printf("\"");
}

static int number(const char *s, unsigned long *v)
{
    char *end;
    *v = strtoul(s, &end, 0);
    return *s && !*end ? 0 : -1;
}

static int bad(const char *what, const char *arg)
{
    fprintf(stderr, "cevm driver: %s '%s'\n", what, arg);
    return EX_USAGE;
}

/* One action at argv[*i] (dry: only check its words, run nothing; d may be NULL). Return: -1 to
 * go on, or an exit status. */
static int action(cevm_driver *d, uint32_t h, int argc, char **argv, int *i, const char **logs,
                  int *nlogs, int dry)
{
    const char *a = argv[*i];
    char err[2048];
    unsigned char buf[4096];
    unsigned long v, w;
    uint32_t res = 0;
    cevm_status st = CEVM_OK;
    const char *pfx = dry ? "" : cevm_driver_name(d);
    static const struct {
        const char *name;
        int args;
    } actions[] = {{"write", 1}, {"read", 1},      {"log", 1},     {"advance", 1}, {"ioctl", 1},
                   {"seek", 2},  {"ioctl-ptr", 2}, {"waitirq", 2}, {"pin", 3},     {"give", 3},
                   {"mi", 0},    {"irqs", 0},      {"reg", 2}};
    int need = -1;
    for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++)
        if (!strcmp(a, actions[k].name))
            need = actions[k].args;
    if (need < 0)
        return bad("unknown action", a);
    if (*i + need >= argc)
        return bad("missing argument after", a);
    char **arg = argv + *i + 1;
    *i += need + 1;
    if (!strcmp(a, "write")) {
        int n = lang_unescape(arg[0], buf, sizeof buf);
        if (n < 0)
            return bad("bad text (escapes: \\n \\r \\t \\\\ \\xNN)", arg[0]);
        if (dry)
            return -1;
        st = cevm_driver_write(d, h, buf, (uint32_t)n, &res, err, sizeof err);
        if (!st)
            printf("%.3s_Write(%d bytes) -> %u\n", pfx, n, res);
    } else if (!strcmp(a, "read")) {
        if (number(arg[0], &v) || v > sizeof buf)
            return bad("bad read size", arg[0]);
        if (dry)
            return -1;
        st = cevm_driver_read(d, h, buf, (uint32_t)v, &res, err, sizeof err);
        if (!st) {
            printf("%.3s_Read(%lu) -> %u ", pfx, v, res);
            print_bytes(buf, res <= v ? res : v);
            printf("\n");
        }
    } else if (!strcmp(a, "seek")) {
        long amount = strtol(arg[0], NULL, 0);
        if (number(arg[1], &w))
            return bad("bad seek type", arg[1]);
        if (dry)
            return -1;
        st = cevm_driver_seek(d, h, (int32_t)amount, (uint16_t)w, &res, err, sizeof err);
        if (!st)
            printf("%.3s_Seek(%ld, %lu) -> %u\n", pfx, amount, w, res);
    } else if (!strcmp(a, "ioctl")) {
        if (number(arg[0], &v))
            return bad("bad ioctl code", arg[0]);
        size_t in_len = 0;
        unsigned long out_len = 0;
        /* Optional IN-HEX and OUT-LEN follow when they look like them. */
        if (*i < argc && strspn(argv[*i], "0123456789abcdefABCDEF-") == strlen(argv[*i]) &&
            (argv[*i][0] == '-' || strlen(argv[*i]) % 2 == 0)) {
            const char *hex = argv[(*i)++];
            for (; hex[0] != '-' && hex[in_len * 2]; in_len++) {
                char two[3] = {hex[in_len * 2], hex[in_len * 2 + 1], 0};
                buf[in_len] = (unsigned char)strtoul(two, NULL, 16);
            }
            if (*i < argc && !number(argv[*i], &out_len) && out_len <= 2048)
                (*i)++;
        }
        if (dry)
            return -1;
        unsigned char out[2048];
        uint32_t got = 0;
        int ok = 0;
        st = cevm_driver_ioctl(d, h, (uint32_t)v, in_len ? buf : NULL, (uint32_t)in_len,
                               out_len ? out : NULL, (uint32_t)out_len, &got, &ok, err, sizeof err);
        if (!st) {
            printf("%.3s_IOControl(0x%08lX, %zu in, %lu out) -> %s", pfx, v, in_len, out_len,
                   ok ? "TRUE" : "FALSE");
            if (!ok)
                printf(" (GetLastError %u)", (unsigned)GetLastError());
            for (uint32_t k = 0; ok && k < got && k < out_len; k++)
                printf("%s%02X", k ? " " : ", ", out[k]);
            printf("\n");
        }
    } else if (!strcmp(a, "ioctl-ptr")) {
        /* The CE 5 embedded-pointer pattern: the input is { pointer, length } and the bytes
         * live in the calling application's memory, where its pointer names them. */
        if (number(arg[0], &v))
            return bad("bad ioctl code", arg[0]);
        size_t n = strlen(arg[1]) / 2;
        if (strlen(arg[1]) % 2 || !n || n > sizeof buf ||
            strspn(arg[1], "0123456789abcdefABCDEF") != strlen(arg[1]))
            return bad("bad block bytes (hex, at least one byte)", arg[1]);
        for (size_t k = 0; k < n; k++) {
            char two[3] = {arg[1][k * 2], arg[1][k * 2 + 1], 0};
            buf[k] = (unsigned char)strtoul(two, NULL, 16);
        }
        unsigned long out_len = 0;
        if (*i < argc && !number(argv[*i], &out_len) && out_len <= 2048)
            (*i)++;
        if (dry)
            return -1;
        uint32_t app;
        void *host;
        if (cevm_caller_alloc(0, (uint32_t)n, &app, &host) != CEVM_OK)
            return fprintf(stderr, "cevm driver: no memory in the calling process\n"), EX_SOFTWARE;
        memcpy(host, buf, n);
        struct {
            void *data; /* the application's own (slot-0) pointer */
            DWORD len;
        } blk = {cevm_host_ptr(app), (DWORD)n};
        unsigned char out[2048];
        uint32_t got = 0;
        int ok = 0;
        st = cevm_driver_ioctl(d, h, (uint32_t)v, &blk, (uint32_t)sizeof blk, out_len ? out : NULL,
                               (uint32_t)out_len, &got, &ok, err, sizeof err);
        if (!st) {
            printf("%.3s_IOControl(0x%08lX, {pointer 0x%08X, %zu}, %lu out) -> %s", pfx, v, app, n,
                   out_len, ok ? "TRUE" : "FALSE");
            if (!ok)
                printf(" (GetLastError %u)", (unsigned)GetLastError());
            for (uint32_t k = 0; ok && k < got && k < out_len; k++)
                printf("%s%02X", k ? " " : ", ", out[k]);
            printf("\n  the block at 0x%08X now: ", app);
            print_bytes(host, n);
            printf("\n");
        }
        cevm_caller_free(app);
    } else if (!strcmp(a, "pin")) {
        if (number(arg[2], &v) || v > 1)
            return bad("bad pin level", arg[2]);
        if (dry)
            return -1;
        cevm_status ps = cevm_pin_set(arg[0], arg[1], (int)v);
        if (ps)
            return fprintf(stderr, "cevm driver: cannot drive pin %s %s: %s\n", arg[0], arg[1],
                           ps == CEVM_E_INVAL ? "not an input" : "no such pin"),
                   EX_USAGE;
        printf("pin %s %s = %lu\n", arg[0], arg[1], v);
    } else if (!strcmp(a, "give")) {
        int n = lang_unescape(arg[2], buf, sizeof buf);
        if (number(arg[1], &v) || n < 0)
            return bad("bad channel or text", arg[1]);
        if (dry)
            return -1;
        if (cevm_uart_give(arg[0], (unsigned)v, buf, (size_t)n))
            return bad("no uart model on device", arg[0]);
        printf("%s channel %lu receives %d bytes\n", arg[0], v, n);
    } else if (!strcmp(a, "mi")) {
        if (dry)
            return -1;
        view_mi(NULL, 1); /* the process's memory, the driver's image by name */
    } else if (!strcmp(a, "advance")) {
        if (number(arg[0], &v) || v > 0xFFFFFFFFul)
            return bad("bad time in ms", arg[0]);
        if (dry)
            return -1;
        if (cevm_clock_advance_ms((uint32_t)v) == CEVM_E_STATE)
            Sleep((DWORD)v); /* the real-time clock: the time passes */
        printf("clock +%lu ms: %llu ms since boot\n", v,
               (unsigned long long)(cevm_clock_now_ns() / 1000000u));
    } else if (!strcmp(a, "waitirq")) {
        if (number(arg[0], &v) || v > 127 || number(arg[1], &w) || w > WAIT_IRQ_MAX_MS)
            return bad("bad IRQ or time (at most 10000 ms)", arg[0]);
        if (dry)
            return -1;
        uint64_t waited;
        char name[32];
        if (wait_irq((uint32_t)v, w, &waited, name, sizeof name))
            return fprintf(stderr, "cevm driver: IRQ %lu did not fire within %lu ms\n", v, w),
                   EX_SOFTWARE;
        printf("IRQ %lu (%s) fired after %llu ms\n", v, name, (unsigned long long)waited);
    } else if (!strcmp(a, "reg")) {
        if (dry)
            return -1;
        uint32_t value;
        if (cevm_device_get(arg[0], arg[1], &value) != CEVM_OK)
            return fprintf(stderr, "cevm driver: device %s has no register %s\n", arg[0], arg[1]),
                   EX_USAGE;
        printf("%s.%s = 0x%08X\n", arg[0], arg[1], value);
    } else if (!strcmp(a, "irqs")) {
        if (dry)
            return -1;
        view_irqs();
    } else if (!strcmp(a, "log")) {
        if (dry)
            return -1;
        if (cevm_device_log(arg[0], 1) || *nlogs == MAX_LOGS)
            return bad("cannot log device", arg[0]);
        logs[(*nlogs)++] = arg[0];
    }
    if (st) {
        fprintf(stderr, "cevm driver: %s\n", err);
        return st == CEVM_E_DRIVER ? EX_SOFTWARE : EX_USAGE;
    }
    return -1;
}

static void print_end(const char **logs, int nlogs)
{
    cevm_pin_info pins[64];
    size_t n = cevm_pins(pins, 64);
    const char *dev = NULL;
    for (size_t i = 0; i < n && i < 64; i++) {
        if (pins[i].input)
            continue;
        int same = dev && !strcmp(dev, pins[i].device);
        if (!same)
            printf("%soutput pins of %s:", dev ? "\n" : "", pins[i].device);
        printf(" %s=%d", pins[i].name, pins[i].level);
        dev = pins[i].device;
    }
    if (dev)
        printf("\n");
    cevm_board_region regs[128];
    size_t nr = cevm_board_regions(regs, 128);
    for (size_t i = 0; i < nr && i < 128; i++)
        for (unsigned ch = 0; ch < 4; ch++) {
            unsigned char out[4096];
            size_t got = cevm_uart_take(regs[i].name, ch, out, sizeof out);
            if (!got)
                continue;
            printf("%s channel %u sent %zu bytes: ", regs[i].name, ch, got);
            print_bytes(out, got);
            printf("\n");
        }
    for (int l = 0; l < nlogs; l++) {
        cevm_device_access acc[256];
        uint64_t total = cevm_device_log_read(logs[l], acc, 256);
        printf("%s: %llu register accesses\n", logs[l], (unsigned long long)total);
        for (size_t k = 0; k < total && k < 256; k++)
            printf("  %-5s 0x%03X %u bytes 0x%08X%s\n", acc[k].write ? "write" : "read",
                   acc[k].offset, acc[k].width, acc[k].value, acc[k].raw ? " (raw pointer)" : "");
    }
}

int driver_run(int argc, char **argv, int trace)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cevm driver [OPTIONS] LIBRARY KEY [ACTION...]\n");
        return EX_USAGE;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep driver messages (stderr) in order with ours */
    /* The whole action list is checked before the driver is loaded. */
    for (int i = 2, n = 0; i < argc;) {
        int rc = action(NULL, 0, argc, argv, &i, NULL, &n, 1);
        if (rc >= 0)
            return rc;
    }
    char err[2048];
    cevm_driver *d;
    cevm_status st = cevm_driver_load(argv[0], argv[1], &d, err, sizeof err);
    if (st) {
        fprintf(stderr, "cevm driver: %s\n", err);
        return st == CEVM_E_DRIVER ? EX_SOFTWARE : st == CEVM_E_NOTFOUND ? EX_NOINPUT : EX_CONFIG;
    }
    char pfx[16]; /* the name outlives the driver (printed after the unload) */
    snprintf(pfx, sizeof pfx, "%s", cevm_driver_name(d));
    const char *base = strrchr(argv[0], '/');
    printf("%.3s_Init(\"%s\") ok: driver %s from %s\n", pfx, cevm_driver_active_key(d), pfx,
           base ? base + 1 : argv[0]);
    uint32_t h = 0;
    int rc = -1;
    if ((st = cevm_driver_open(d, 0xC0000000u, 0, &h, err, sizeof err))) {
        fprintf(stderr, "cevm driver: %s\n", err);
        rc = st == CEVM_E_DRIVER ? EX_SOFTWARE : -1;
    } else {
        printf("%.3s_Open ok\n", pfx);
    }
    const char *logs[MAX_LOGS];
    int nlogs = 0;
    uint64_t seen = 0;
    if (trace)
        trace_interrupts(&seen); /* what Init started */
    for (int i = 2; i < argc && rc < 0 && !st;) {
        rc = action(d, h, argc, argv, &i, logs, &nlogs, 0);
        if (trace)
            trace_interrupts(&seen);
    }
    if (!st && rc != EX_SOFTWARE) {
        int ok = 0;
        if (!cevm_driver_close(d, h, &ok, err, sizeof err))
            printf("%.3s_Close -> %s\n", pfx, ok ? "TRUE" : "FALSE");
    }
    print_end(logs, nlogs);
    cevm_driver_report rep;
    st = cevm_driver_unload(d, &rep, err, sizeof err);
    if (trace)
        trace_interrupts(&seen);
    if (st == CEVM_OK)
        printf("%.3s_Deinit ok\n", pfx);
    if (rep.text[0])
        printf("left behind after unload:\n%s", rep.text);
    else
        printf("nothing left behind after unload\n");
    if (st && rc < 0)
        rc = EX_SOFTWARE;
    return rc < 0 ? EX_OK : rc;
}
