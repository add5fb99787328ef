/*
 * commands.c — the commands of the cevm language: every CE memory call by name, memory reads
 * and writes by address, the views, echo, trust and help.
 *
 * Each CE call runs with GetLastError cleared first, so the code printed after it is that
 * call's: "NAME = RESULT  GetLastError = ERROR_X (n)" (or "$var = RESULT ..." when assigned).
 * Out parameters land in variables: $old (VirtualProtect, VirtualSetAttributes), $pa
 * (AllocPhysMem), $pfn0.. (LockPages). Memory is touched inside cevm_try, so an access violation
 * is printed, not fatal.
 */
#include <stdlib.h>
#include <string.h>

#include <cevm/cevm.h>
#include <ceddk.h>
#include <pkfuncs.h>
#include <windows.h>

#include "lang.h"

#define PTR(ce) cevm_host_ptr((uint32_t)(ce))

static uint32_t ce_of(const void *p)
{
    return p ? cevm_ce_addr(p) : 0;
}

/* Report a pointer result. */
static int ptr_result(struct session *s, const void *p)
{
    char v[32];
    s->have_result = 1;
    s->result = ce_of(p);
    s->error = GetLastError();
    if (p)
        snprintf(v, sizeof v, "0x%08X", (uint32_t)s->result);
    else
        snprintf(v, sizeof v, "NULL");
    lang_report(s, NULL, v);
    return 0;
}

static int bool_result(struct session *s, BOOL ok)
{
    s->have_result = 1;
    s->result = ok ? 1 : 0;
    s->error = GetLastError();
    lang_report(s, NULL, ok ? "TRUE" : "FALSE");
    return 0;
}

/* ---- CE calls ---------------------------------------------------------------------------- */

static int c_VirtualAlloc(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    SetLastError(0);
    return ptr_result(s,
                      VirtualAlloc(a[0] ? PTR(a[0]) : NULL, (DWORD)a[1], (DWORD)a[2], (DWORD)a[3]));
}

static int c_VirtualFree(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    SetLastError(0);
    return bool_result(s, VirtualFree(a[0] ? PTR(a[0]) : NULL, (DWORD)a[1], (DWORD)a[2]));
}

static int c_VirtualProtect(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    DWORD old = 0;
    SetLastError(0);
    BOOL ok = VirtualProtect(a[0] ? PTR(a[0]) : NULL, (DWORD)a[1], (DWORD)a[2], &old);
    bool_result(s, ok);
    if (old) {
        char buf[64];
        lang_set(s, "old", old);
        printf("  $old = %s\n", lang_protect_name(old, buf, sizeof buf));
    }
    return 0;
}

static int c_VirtualQuery(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    MEMORY_BASIC_INFORMATION m;
    SetLastError(0);
    DWORD n = VirtualQuery(a[0] ? PTR(a[0]) : NULL, &m, sizeof m);
    char v[16], p1[64], p2[64];
    s->have_result = 1;
    s->result = n;
    s->error = GetLastError();
    snprintf(v, sizeof v, "%u", n);
    lang_report(s, NULL, v);
    if (n)
        printf("  BaseAddress 0x%08X  AllocationBase 0x%08X  RegionSize 0x%X\n"
               "  State %s  Protect %s  AllocationProtect %s  Type %s\n",
               ce_of(m.BaseAddress), ce_of(m.AllocationBase), m.RegionSize,
               lang_state_name(m.State), lang_protect_name(m.Protect, p1, sizeof p1),
               lang_protect_name(m.AllocationProtect, p2, sizeof p2),
               m.Type == 0x20000 ? "MEM_PRIVATE"
               : m.Type          ? "?"
                                 : "0");
    return 0;
}

static int c_VirtualCopy(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    /* With PAGE_PHYSICAL the source is a number (PA >> 8), not an address. */
    LPVOID src = (a[3] & PAGE_PHYSICAL) ? (LPVOID)(uintptr_t)a[1] : a[1] ? PTR(a[1]) : NULL;
    SetLastError(0);
    return bool_result(s, VirtualCopy(a[0] ? PTR(a[0]) : NULL, src, (DWORD)a[2], (DWORD)a[3]));
}

static int c_VirtualSetAttributes(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    DWORD old = 0;
    SetLastError(0);
    BOOL ok =
        VirtualSetAttributes(a[0] ? PTR(a[0]) : NULL, (DWORD)a[1], (DWORD)a[2], (DWORD)a[3], &old);
    bool_result(s, ok);
    if (ok) {
        lang_set(s, "old", old);
        printf("  $old = 0x%08X\n", old);
    }
    return 0;
}

#define MAX_PFN_VARS 64u

static int c_LockPages(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    uint64_t end = a[0] + a[1];
    uint32_t n =
        a[1] && end <= 0x100000000ull ? (uint32_t)(((end + 0xFFF) >> 12) - (a[0] >> 12)) : 0;
    /* LockPages writes one entry per page: the array holds them all; the first
     * MAX_PFN_VARS become variables. */
    DWORD *pfn = calloc(n ? n : 1, sizeof *pfn);
    if (!pfn)
        return -1;
    SetLastError(0);
    BOOL ok = LockPages(a[0] ? PTR(a[0]) : NULL, (DWORD)a[1], pfn, (int)a[2]);
    bool_result(s, ok);
    for (uint32_t i = 0; ok && i < n && i < MAX_PFN_VARS; i++) {
        char name[16];
        snprintf(name, sizeof name, "pfn%u", i);
        lang_set(s, name, pfn[i]);
        if (i < 16)
            printf("  $%s = 0x%08X\n", name, pfn[i]);
    }
    if (ok && n > MAX_PFN_VARS)
        printf("  ... %u entries ($pfn0..$pfn%u set)\n", n, MAX_PFN_VARS - 1);
    else if (ok && n > 16)
        printf("  ... %u entries\n", n);
    free(pfn);
    return 0;
}

static int c_UnlockPages(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    SetLastError(0);
    return bool_result(s, UnlockPages(a[0] ? PTR(a[0]) : NULL, (DWORD)a[1]));
}

static int c_AllocPhysMem(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    ULONG pa = 0;
    SetLastError(0);
    void *p = AllocPhysMem((DWORD)a[0], (DWORD)a[1], (DWORD)a[2], (DWORD)a[3], &pa);
    ptr_result(s, p);
    if (p) {
        lang_set(s, "pa", pa);
        printf("  $pa = 0x%08X\n", pa);
    }
    return 0;
}

static int c_FreePhysMem(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    SetLastError(0);
    return bool_result(s, FreePhysMem(a[0] ? PTR(a[0]) : NULL));
}

static int c_MmMapIoSpace(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = (LONGLONG)a[0];
    SetLastError(0);
    return ptr_result(s, MmMapIoSpace(pa, (ULONG)a[1], a[2] != 0));
}

static int c_MmUnmapIoSpace(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    SetLastError(0);
    MmUnmapIoSpace(a[0] ? PTR(a[0]) : NULL, (ULONG)a[1]);
    s->have_result = 1;
    s->result = 0;
    s->error = GetLastError();
    lang_report(s, NULL, "(void)");
    return 0;
}

static int c_CreateStaticMapping(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    SetLastError(0);
    return ptr_result(s, CreateStaticMapping((DWORD)a[0], (DWORD)a[1]));
}

static int c_DeleteStaticMapping(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    SetLastError(0);
    return bool_result(s, DeleteStaticMapping(a[0] ? PTR(a[0]) : NULL, (DWORD)a[1]));
}

static int c_GetSystemInfo(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a, (void)raw;
    SYSTEM_INFO si;
    SetLastError(0);
    GetSystemInfo(&si);
    s->error = GetLastError();
    printf("GetSystemInfo: dwPageSize 0x%X  dwAllocationGranularity 0x%X\n"
           "  lpMinimumApplicationAddress 0x%08X  lpMaximumApplicationAddress 0x%08X\n"
           "  dwNumberOfProcessors %u  wProcessorArchitecture %u\n",
           si.dwPageSize, si.dwAllocationGranularity, ce_of(si.lpMinimumApplicationAddress),
           ce_of(si.lpMaximumApplicationAddress), si.dwNumberOfProcessors,
           si.wProcessorArchitecture);
    return 0;
}

static int c_GlobalMemoryStatus(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a, (void)raw;
    MEMORYSTATUS ms;
    SetLastError(0);
    GlobalMemoryStatus(&ms);
    s->error = GetLastError();
    printf("GlobalMemoryStatus: dwMemoryLoad %u%%  dwTotalPhys 0x%X  dwAvailPhys 0x%X\n"
           "  dwTotalVirtual 0x%X  dwAvailVirtual 0x%X\n",
           ms.dwMemoryLoad, ms.dwTotalPhys, ms.dwAvailPhys, ms.dwTotalVirtual, ms.dwAvailVirtual);
    return 0;
}

static int c_GetLastError(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a, (void)raw;
    printf("GetLastError = %s (%u)\n", cevm_ce_error_name(s->error), s->error);
    return 0;
}

/* ---- memory by address ------------------------------------------------------------------- */

struct access {
    uint32_t addr;
    int width, write;
    uint64_t value;
};

static void do_access(void *ctx)
{
    struct access *x = ctx;
    void *p = PTR(x->addr);
    if (x->write) {
        if (x->width == 1)
            *(volatile uint8_t *)p = (uint8_t)x->value;
        else if (x->width == 2)
            *(volatile uint16_t *)p = (uint16_t)x->value;
        else
            *(volatile uint32_t *)p = (uint32_t)x->value;
    } else {
        x->value = x->width == 1   ? *(volatile uint8_t *)p
                   : x->width == 2 ? *(volatile uint16_t *)p
                                   : *(volatile uint32_t *)p;
    }
}

static int report_exception(const cevm_exception *e)
{
    printf("EXCEPTION_ACCESS_VIOLATION (0x%08X): %s at CE address 0x%08X (%s)\n", e->code,
           e->info[0] ? "write" : "read", e->info[1], e->reason ? e->reason : "");
    return 0;
}

static int memory(struct session *s, uint64_t addr, int width, int write, uint64_t value)
{
    if (addr >= 0x100000000ull || addr % (uint64_t)width) {
        lang_error(s, "address 0x%llX must be a %d-byte aligned CE address",
                   (unsigned long long)addr, width);
        return -1;
    }
    struct access x = {(uint32_t)addr, width, write, value};
    cevm_exception e;
    if (cevm_try(do_access, &x, &e))
        return report_exception(&e);
    s->have_result = 1;
    s->result = x.value;
    s->error = 0;
    int digits = width * 2;
    if (s->assign)
        lang_set(s, s->assign, x.value);
    if (s->assign)
        printf("$%s = ", s->assign);
    printf("%s 0x%08X %s 0x%0*llX\n", s->command, (uint32_t)addr, write ? "<-" : "->", digits,
           (unsigned long long)x.value);
    return 0;
}

#define RW(NAME, W, WRITE)                                                                         \
    static int c_##NAME(struct session *s, int argc, uint64_t *a, char **raw)                      \
    {                                                                                              \
        (void)argc, (void)raw;                                                                     \
        return memory(s, a[0], W, WRITE, a[1]);                                                    \
    }
RW(rd8, 1, 0)
RW(rd16, 2, 0)
RW(rd32, 4, 0)
RW(wr8, 1, 1)
RW(wr16, 2, 1)
RW(wr32, 4, 1)

static int c_dump(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)raw;
    uint64_t len = argc > 1 ? a[1] : 64;
    if (a[0] + len > 0x100000000ull || len > 0x10000) {
        lang_error(s, "dump ADDR [LEN]: at most 0x10000 bytes inside the 4 GB space");
        return -1;
    }
    for (uint64_t off = 0; off < len; off += 16) {
        uint8_t row[16];
        uint32_t n = (uint32_t)(len - off < 16 ? len - off : 16);
        for (uint32_t i = 0; i < n; i++) {
            struct access x = {(uint32_t)(a[0] + off + i), 1, 0, 0};
            cevm_exception e;
            if (cevm_try(do_access, &x, &e)) {
                printf("0x%08X: ", (uint32_t)(a[0] + off));
                return report_exception(&e);
            }
            row[i] = (uint8_t)x.value;
        }
        printf("0x%08X:", (uint32_t)(a[0] + off));
        for (uint32_t i = 0; i < n; i++)
            printf(" %02X", row[i]);
        printf("%*s  ", (int)(16 - n) * 3, "");
        for (uint32_t i = 0; i < n; i++)
            putchar(row[i] >= 0x20 && row[i] < 0x7F ? row[i] : '.');
        putchar('\n');
    }
    return 0;
}

/* ---- views and the rest ------------------------------------------------------------------ */

static int c_mi(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)a;
    if (argc == 1 && strcmp(raw[0], "full")) {
        lang_error(s, "mi [full]: unknown option '%s'", raw[0]);
        return -1;
    }
    return view_mi(s, argc == 1);
}

static int c_oem(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a, (void)raw;
    return view_oem(s);
}

static int c_pte(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)raw;
    return view_pte(s, (uint32_t)a[0], argc > 1 ? (uint32_t)a[1] : 0x1000);
}

static int c_who(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    return view_who(s, a[0]);
}

static int c_frames(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a, (void)raw;
    return view_frames(s);
}

static int c_devices(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a, (void)raw;
    return view_devices(s);
}

static int c_irqs(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)s, (void)argc, (void)a, (void)raw;
    return view_irqs();
}

static int c_advance(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)raw;
    if (a[0] > 0xFFFFFFFFu) {
        lang_error(s, "advance: %llu ms is more than a DWORD of milliseconds",
                   (unsigned long long)a[0]);
        return -1;
    }
    if (cevm_clock_advance_ms((uint32_t)a[0]) != CEVM_OK) {
        lang_error(s, "advance: the clock is real time (use --clock virtual, or Sleep)");
        return -1;
    }
    printf("clock: %llu ms since boot\n", (unsigned long long)(cevm_clock_now_ns() / 1000000u));
    return 0;
}

static int c_pin(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a;
    if (strcmp(raw[2], "0") && strcmp(raw[2], "1")) {
        lang_error(s, "pin: level '%s' must be 0 or 1", raw[2]);
        return -1;
    }
    cevm_status st = cevm_pin_set(raw[0], raw[1], raw[2][0] - '0');
    if (st) {
        lang_error(s, "pin: %s %s: %s", raw[0], raw[1],
                   st == CEVM_E_INVAL ? "not an input pin" : "no such pin");
        return -1;
    }
    printf("pin %s %s = %s\n", raw[0], raw[1], raw[2]);
    return 0;
}

static int c_uart(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a;
    unsigned char buf[1024];
    char *end;
    unsigned long ch = strtoul(raw[1], &end, 0);
    int n = lang_unescape(raw[2], buf, sizeof buf);
    if (*end || end == raw[1] || ch > 3 || n < 0) {
        lang_error(s, "uart: needs DEVICE CHANNEL(0-3) TEXT (escapes \\n \\r \\t \\\\ \\xNN)");
        return -1;
    }
    if (cevm_uart_give(raw[0], (unsigned)ch, buf, (size_t)n)) {
        lang_error(s, "uart: device %s has no uart model", raw[0]);
        return -1;
    }
    printf("%s channel %lu receives %d bytes\n", raw[0], ch, n);
    return 0;
}

static int c_waitirq(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)raw;
    uint64_t limit = argc > 1 ? a[1] : 1000, waited;
    char name[32];
    if (limit > WAIT_IRQ_MAX_MS) {
        lang_error(s, "waitirq: at most %d ms", WAIT_IRQ_MAX_MS);
        return -1;
    }
    if (a[0] > 127 || wait_irq((uint32_t)a[0], limit, &waited, name, sizeof name)) {
        lang_error(s, "waitirq: IRQ %llu was not asserted within %llu ms", (unsigned long long)a[0],
                   (unsigned long long)limit);
        return -1;
    }
    printf("IRQ %llu (%s) asserted after %llu ms\n", (unsigned long long)a[0], name,
           (unsigned long long)waited);
    return 0;
}

static int c_reg(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a;
    uint32_t v;
    if (cevm_device_get(raw[0], raw[1], &v) != CEVM_OK) {
        lang_error(s, "reg: device %s has no register %s", raw[0], raw[1]);
        return -1;
    }
    s->have_result = 1; /* `expect VALUE` checks it, `$x = reg ...` keeps it */
    s->result = v;
    s->error = 0;
    if (s->assign) {
        lang_set(s, s->assign, v);
        printf("$%s = ", s->assign);
    }
    printf("%s.%s = 0x%08X\n", raw[0], raw[1], v);
    return 0;
}

/* echo TEXT...: the words as written, each $variable word replaced by its value. */
static int c_echo(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)a;
    for (int i = 0; i < argc; i++) {
        uint64_t v;
        if (raw[i][0] == '$' && raw[i][1]) {
            char text[40];
            if (lang_eval(s, raw[i], &v))
                return -1;
            printf("%s%s", i ? " " : "", lang_value_text(v, text, sizeof text));
        } else {
            printf("%s%s", i ? " " : "", raw[i]);
        }
    }
    printf("\n");
    return 0;
}

/* print EXPR: its value in hexadecimal and decimal (words may be spaced: $p + 0x1000). */
static int c_print(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)a;
    uint64_t v;
    if (lang_eval_words(s, argc, raw, &v))
        return -1;
    char text[40];
    if ((int64_t)v < 0)
        printf("%s\n", lang_value_text(v, text, sizeof text));
    else
        printf("0x%llX (%llu)\n", (unsigned long long)v, (unsigned long long)v);
    return 0;
}

static int c_trust(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)argc, (void)a;
    if (strcmp(raw[0], "on") && strcmp(raw[0], "off")) {
        lang_error(s, "trust on|off: expected on or off, not '%s'", raw[0]);
        return -1;
    }
    cevm_set_trusted(!strcmp(raw[0], "on"));
    printf("caller is %s\n", cevm_trusted() ? "fully trusted" : "untrusted");
    return 0;
}

static int c_help(struct session *s, int argc, uint64_t *a, char **raw)
{
    (void)a;
    if (argc == 1 && !lang_find_cmd(raw[0]) && strcmp(raw[0], "expect")) {
        lang_error(s, "help: unknown command '%s'", raw[0]);
        return -1;
    }
    lang_print_help(stdout, argc ? raw[0] : NULL);
    return 0;
}

static const struct lang_cmd commands[] = {
    {"VirtualAlloc", 4, 4, "ADDR SIZE TYPE PROTECT", "reserve and/or commit pages", c_VirtualAlloc,
     0, 0},
    {"VirtualFree", 3, 3, "ADDR SIZE TYPE", "decommit or release", c_VirtualFree, 0, 0},
    {"VirtualProtect", 3, 3, "ADDR SIZE PROTECT", "change protection ($old)", c_VirtualProtect, 0,
     0},
    {"VirtualQuery", 1, 1, "ADDR", "describe the region at ADDR", c_VirtualQuery, 0, 0},
    {"VirtualCopy", 4, 4, "DEST SRC SIZE PROTECT",
     "map SRC's pages (with PAGE_PHYSICAL: SRC = PA>>8) at DEST", c_VirtualCopy, 0, 0},
    {"VirtualSetAttributes", 4, 4, "ADDR SIZE NEW MASK", "edit page-table entries ($old)",
     c_VirtualSetAttributes, 0, 0},
    {"LockPages", 3, 3, "ADDR SIZE FLAGS", "lock pages, physical addresses in $pfn0..", c_LockPages,
     0, 0},
    {"UnlockPages", 2, 2, "ADDR SIZE", "unlock pages", c_UnlockPages, 0, 0},
    {"AllocPhysMem", 4, 4, "SIZE PROTECT ALIGNMASK FLAGS", "contiguous RAM ($pa)", c_AllocPhysMem,
     0, 0},
    {"FreePhysMem", 1, 1, "ADDR", "free AllocPhysMem memory", c_FreePhysMem, 0, 0},
    {"MmMapIoSpace", 3, 3, "PA SIZE CACHED", "map a physical range (full PA, not shifted)",
     c_MmMapIoSpace, 0, 1},
    {"MmUnmapIoSpace", 2, 2, "ADDR SIZE", "unmap an MmMapIoSpace range", c_MmUnmapIoSpace, 0, 0},
    {"CreateStaticMapping", 2, 2, "PA>>8 SIZE", "static (uncached) address of a PA",
     c_CreateStaticMapping, 0, 0},
    {"DeleteStaticMapping", 2, 2, "ADDR SIZE", "always TRUE on CE 5", c_DeleteStaticMapping, 0, 0},
    {"GetSystemInfo", 0, 0, "", "page size, granularity, application range", c_GetSystemInfo, 0, 0},
    {"GlobalMemoryStatus", 0, 0, "", "RAM and virtual memory in use", c_GlobalMemoryStatus, 0, 0},
    {"GetLastError", 0, 0, "", "the last call's error", c_GetLastError, 0, 0},
    {"rd8", 1, 1, "ADDR", "read a byte", c_rd8, 0, 0},
    {"rd16", 1, 1, "ADDR", "read 16 bits", c_rd16, 0, 0},
    {"rd32", 1, 1, "ADDR", "read 32 bits", c_rd32, 0, 0},
    {"wr8", 2, 2, "ADDR VALUE", "write a byte", c_wr8, 0, 0},
    {"wr16", 2, 2, "ADDR VALUE", "write 16 bits", c_wr16, 0, 0},
    {"wr32", 2, 2, "ADDR VALUE", "write 32 bits", c_wr32, 0, 0},
    {"dump", 1, 2, "ADDR [LEN]", "hex dump (default 64 bytes)", c_dump, 0, 0},
    {"mi", 0, 1, "[full]", "memory usage, as CE's mi (full: one character per page)", c_mi, 1, 0},
    {"oem", 0, 0, "", "the OEMAddressTable's static windows", c_oem, 0, 0},
    {"pte", 1, 2, "ADDR [SIZE]", "page-table entries of a range", c_pte, 0, 0},
    {"who", 1, 1, "PA", "every address that maps physical page PA", c_who, 0, 1},
    {"frames", 0, 0, "", "RAM frame usage", c_frames, 0, 0},
    {"devices", 0, 0, "", "the board's physical regions, asserted or masked IRQs", c_devices, 0, 0},
    {"irqs", 0, 0, "", "interrupt lines, SYSINTRs and counts", c_irqs, 0, 0},
    {"reg", 2, 2, "DEVICE NAME", "a device register's value (the model's, no access made)", c_reg,
     1, 0},
    {"advance", 1, 1, "MS", "move the virtual clock (timers fire, waits time out)", c_advance, 0,
     0},
    {"pin", 3, 3, "DEVICE PIN 0|1", "drive an input pin (edges raise interrupts)", c_pin, 1, 0},
    {"uart", 3, 3, "DEVICE CHANNEL TEXT", "bytes for a UART channel to receive", c_uart, 1, 0},
    {"waitirq", 1, 2, "IRQ [MS]", "advance until the IRQ fires or is asserted (1000 ms)", c_waitirq,
     0, 0},
    {"boot", 0, 0, "", "load the board's BuiltIn drivers in Order (the device manager)", c_boot, 1,
     0},
    {"drivers", 0, 0, "", "the active devices: name, Hnd, Order, Active key, device key", c_drivers,
     1, 0},
    {"open", 1, 3, "NAME [ACCESS [SHARE]]", "CreateFile on a device name (COM1:)", c_open, 1, 0},
    {"read", 2, 2, "H LEN", "ReadFile from an open device", c_read, 1, 0},
    {"write", 2, 2, "H TEXT", "WriteFile (escapes \\xNN \\r \\n)", c_write, 1, 0},
    {"seek", 3, 3, "H DIST METHOD", "SetFilePointer (0 FILE_BEGIN, 1 CURRENT, 2 END)", c_seek, 1,
     0},
    {"ioctl", 2, 4, "H CODE [IN|-] [OUTLEN]", "DeviceIoControl, the output bytes after it", c_ioctl,
     1, 0},
    {"close", 1, 1, "H", "CloseHandle", c_close, 1, 0},
    {"power", 2, 2, "NAME Dn | system STATE",
     "SetDevicePower (IOCTL_POWER_SET to a power-managed device) or SetSystemPowerState", c_power,
     1, 0},
    {"echo", 0, 63, "TEXT...", "print text ($variables replaced by their values)", c_echo, 1, 0},
    {"print", 1, 63, "EXPR", "an expression's value, hex and decimal ($p + 0x1000, -1)", c_print, 1,
     0},
    {"trust", 1, 1, "on|off", "make the caller fully trusted or untrusted", c_trust, 1, 0},
    {"help", 0, 1, "[COMMAND]", "list the commands, or describe one", c_help, 1, 0},
};

const struct lang_cmd *lang_find_cmd(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

const char *lang_cmd_name(size_t i)
{
    static const char *const extra[] = {"expect", "quit", "exit"};
    size_t n = sizeof commands / sizeof commands[0];
    if (i < n)
        return commands[i].name;
    return i - n < sizeof extra / sizeof extra[0] ? extra[i - n] : NULL;
}

void lang_print_help(FILE *out, const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!name || !strcmp(name, commands[i].name)) {
            fprintf(out, "  %-20s %-28s %s\n", commands[i].name, commands[i].usage,
                    commands[i].help);
            if (name)
                lang_print_call_help(out, name);
        }
    if (!name || !strcmp(name, "expect"))
        fprintf(out, "  %-20s %-28s %s\n", "expect", "ok | error ERR | VALUE | A == B",
                "check the last call or a value (cevm run: exit 1 if one fails)");
    if (!name)
        fprintf(out, "\n  $var = COMMAND ...  keeps a result; $var = EXPR sets one.\n"
                     "  Arguments: numbers, $vars, CE names (MEM_RESERVE, PAGE_NOCACHE, NULL),\n"
                     "  joined without spaces by | & + - << >> (left to right). # comments.\n");
}
