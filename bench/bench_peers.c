/*
 * bench_peers.c — cevm's mapping calls, boot and memory accesses measured next to what a user
 * would otherwise use, in the same run: bare Linux system calls (mmap/munmap of a memfd, anonymous
 * mmap, mprotect, a volatile load) and, when built with Unicorn 2 (Debian's libunicorn-dev), the
 * same jobs in Unicorn (uc_mem_map/unmap, uc_mem_protect, emulated loads of RAM and of an
 * MMIO-callback region). Prints `name = value` lines: each figure is the median of ROUNDS
 * rounds, each ratio the median of the per-round ratios (so a slow moment of the machine hits
 * both sides of a ratio alike). Without Unicorn it says so once and prints the rest.
 *
 *   NAME_us / NAME_ns            cevm's figure;  linux_NAME_*  unicorn_NAME_*  the peers'
 *   NAME_vs_linux, NAME_vs_unicorn  cevm / peer (below 1: cevm is faster)
 *   boot_first_call_ms           a reboot in this process: shutdown, then the first call
 *   fresh_process_first_call_ms  the first call of a new process (this program, run again)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <windows.h>
#include <ceddk.h>
#include <pkfuncs.h>

#include <cevm/cevm.h>

#define BENCH_NAME "bench_peers"
#include "bench.h"

#ifdef CEVM_BENCH_UNICORN
#include <unicorn/unicorn.h>
#endif

#define ROUNDS 7
#define PAGE   0x1000u
#define RAM_PA 0x57000000u /* a page of the default board's mDDR, away from what boot uses */

/* One job timed: ns per iteration of fn(ctx) over iters iterations. */
typedef void (*job_fn)(void *ctx);
static double per_iter(job_fn fn, void *ctx, int iters)
{
    double t0 = now_ns();
    for (int i = 0; i < iters; i++)
        fn(ctx);
    return (now_ns() - t0) / iters;
}

/* Measure cevm's job and its peers round by round; print figures (in unit: 1e3 for us) and
 * ratios. peers[i] may be NULL (absent). */
struct side {
    const char *name; /* "linux", "unicorn" */
    job_fn fn;
    void *ctx;
};
static void compare(const char *name, job_fn fn, void *ctx, const struct side *peers, int npeers,
                    int iters, double unit, const char *unit_name)
{
    double own[ROUNDS], theirs[4][ROUNDS], ratio[4][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        own[r] = per_iter(fn, ctx, iters);
        for (int p = 0; p < npeers; p++)
            if (peers[p].fn) {
                theirs[p][r] = per_iter(peers[p].fn, peers[p].ctx, iters);
                ratio[p][r] = own[r] / theirs[p][r];
            }
    }
    printf("%s_%s = %.3f\n", name, unit_name, median(own, ROUNDS) / unit);
    for (int p = 0; p < npeers; p++)
        if (peers[p].fn) {
            printf("%s_%s_%s = %.3f\n", peers[p].name, name, unit_name,
                   median(theirs[p], ROUNDS) / unit);
            printf("%s_vs_%s = %.3f\n", name, peers[p].name, median(ratio[p], ROUNDS));
        }
}

/* ---- cevm's jobs ------------------------------------------------------------------------- */

struct cevm_map_ctx {
    DWORD size; /* bytes */
    int large;  /* in the large area (a >= 2 MB reservation) rather than the process slot */
    BYTE *large_base;
};

static void cevm_virtualcopy(void *v)
{
    struct cevm_map_ctx *c = v;
    void *p = c->large ? c->large_base : VirtualAlloc(NULL, c->size, MEM_RESERVE, PAGE_NOACCESS);
    if (!p ||
        !VirtualCopy(p, (LPVOID)(uintptr_t)(RAM_PA >> 8), c->size, PAGE_READWRITE | PAGE_PHYSICAL))
        die("VirtualCopy");
    if (c->large ? !VirtualFree(p, c->size, MEM_DECOMMIT) : !VirtualFree(p, 0, MEM_RELEASE))
        die("VirtualFree");
}

static void cevm_mmmapiospace(void *v)
{
    (void)v;
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = RAM_PA;
    void *p = MmMapIoSpace(pa, PAGE, FALSE);
    if (!p)
        die("MmMapIoSpace");
    MmUnmapIoSpace(p, PAGE);
}

static void cevm_allocphysmem(void *v)
{
    (void)v;
    ULONG pa;
    void *p = AllocPhysMem(0x10000, PAGE_READWRITE, 0, 0, &pa);
    if (!p || !FreePhysMem(p))
        die("AllocPhysMem");
}

static void cevm_commit(void *v)
{
    volatile BYTE *c = v;
    if (!VirtualAlloc((LPVOID)c, PAGE, MEM_COMMIT, PAGE_READWRITE))
        die("commit");
    c[0] = 1;
    if (!VirtualFree((LPVOID)c, PAGE, MEM_DECOMMIT))
        die("decommit");
}

struct protect_ctx {
    BYTE *p;
    int flip;
};

static void cevm_protect(void *v)
{
    struct protect_ctx *c = v;
    DWORD old;
    c->flip ^= 1;
    if (!VirtualProtect(c->p + 0x1000000, PAGE, c->flip ? PAGE_READONLY : PAGE_READWRITE, &old))
        die("VirtualProtect");
}

/* ns from nothing to the first CE call done (VirtualAlloc boots the default board), the
 * shutdown before it not counted: the median of 20 boots per round. */
static double cevm_boot_ns(void)
{
    double t[20];
    for (int i = 0; i < 20; i++) {
        cevm_shutdown();
        double t0 = now_ns();
        void *p = VirtualAlloc(NULL, PAGE, MEM_RESERVE, PAGE_NOACCESS);
        t[i] = now_ns() - t0;
        if (!p)
            die("boot");
        VirtualFree(p, 0, MEM_RELEASE);
    }
    return median(t, 20);
}

/* ---- the Linux peers ----------------------------------------------------------------------- */

struct linux_ctx {
    int fd;
    BYTE *at; /* a place for MAP_FIXED mappings */
    size_t size;
};

static void linux_memfd_map(void *v)
{
    struct linux_ctx *c = v;
    void *p = mmap(c->at, c->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, c->fd, 0);
    if (p != c->at || munmap(p, c->size))
        die("mmap memfd");
}

static void linux_commit(void *v)
{
    (void)v;
    volatile BYTE *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap anonymous");
    p[0] = 1;
    munmap((void *)p, PAGE);
}

static void linux_protect(void *v)
{
    struct protect_ctx *c = v;
    c->flip ^= 1;
    if (mprotect(c->p + 0x1000000, PAGE, c->flip ? PROT_READ : PROT_READ | PROT_WRITE))
        die("mprotect");
}

/* ---- the Unicorn peers --------------------------------------------------------------------- */

#ifdef CEVM_BENCH_UNICORN
struct uc_ctx {
    uc_engine *uc;
    uint64_t at;
    size_t size;
    int flip;
};

static uc_engine *uc_new(void)
{
    uc_engine *uc;
    if (uc_open(UC_ARCH_ARM, UC_MODE_ARM, &uc) != UC_ERR_OK)
        die("uc_open");
    return uc;
}

static void uc_map_unmap(void *v)
{
    struct uc_ctx *c = v;
    if (uc_mem_map(c->uc, c->at, c->size, UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK ||
        uc_mem_unmap(c->uc, c->at, c->size) != UC_ERR_OK)
        die("uc_mem_map");
}

static void uc_protect(void *v)
{
    struct uc_ctx *c = v;
    c->flip ^= 1;
    if (uc_mem_protect(c->uc, c->at + 0x1000000, PAGE,
                       c->flip ? UC_PROT_READ : UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK)
        die("uc_mem_protect");
}

static void uc_boot(void *v)
{
    (void)v;
    uc_engine *uc = uc_new();
    if (uc_mem_map(uc, 0x50000000, 128u << 20, UC_PROT_ALL) != UC_ERR_OK)
        die("uc_mem_map 128 MB");
    uc_close(uc);
}

static uint64_t uc_mmio_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    (void)uc, (void)off, (void)size, (void)ud;
    return 0x36410101u;
}

static void uc_mmio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t value, void *ud)
{
    (void)uc, (void)off, (void)size, (void)value, (void)ud;
}

#define UC_LOADS 4096
/* ns per emulated 4-byte load (ARM `ldr r1, [r0]`) from base: RAM or an MMIO-callback page. */
static double uc_loads(int mmio)
{
    uc_engine *uc = uc_new();
    const uint64_t code = 0x10000, base = 0x40000000;
    static uint32_t text[UC_LOADS];
    for (int i = 0; i < UC_LOADS; i++)
        text[i] = 0xE5901000u; /* ldr r1, [r0] */
    if (uc_mem_map(uc, code, sizeof text, UC_PROT_ALL) ||
        uc_mem_write(uc, code, text, sizeof text) ||
        (mmio ? uc_mmio_map(uc, base, PAGE, uc_mmio_read, NULL, uc_mmio_write, NULL)
              : uc_mem_map(uc, base, PAGE, UC_PROT_READ | UC_PROT_WRITE)))
        die("unicorn load setup");
    uint32_t r0 = (uint32_t)base;
    uc_reg_write(uc, UC_ARM_REG_R0, &r0);
    uc_emu_start(uc, code, code + sizeof text, 0, 0); /* translate once */
    double best[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now_ns();
        for (int k = 0; k < 10; k++)
            if (uc_emu_start(uc, code, code + sizeof text, 0, 0) != UC_ERR_OK)
                die("uc_emu_start");
        best[r] = (now_ns() - t0) / (10.0 * UC_LOADS);
    }
    uc_close(uc);
    return median(best, ROUNDS);
}
#endif

/* ---- accesses ------------------------------------------------------------------------------ */

static int model_read(void *ctx, uint32_t off, unsigned width, uint32_t *value)
{
    (void)ctx, (void)off, (void)width;
    *value = 0x36410101u;
    return 1;
}

/* ns per access of p over ROUNDS rounds: a raw load (through 256 words), READ_REGISTER_ULONG
 * or WRITE_REGISTER_ULONG. */
enum access_kind { RAW_LOAD, REGISTER_READ, REGISTER_WRITE };

static double loop_access(volatile ULONG *p, enum access_kind kind)
{
    volatile ULONG sink = 0;
    double best[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now_ns();
        for (int i = 0; i < 200000; i++) {
            if (kind == REGISTER_WRITE)
                WRITE_REGISTER_ULONG(p, (ULONG)i);
            else
                sink += kind == REGISTER_READ ? READ_REGISTER_ULONG(p) : p[i & 255];
        }
        best[r] = (now_ns() - t0) / 200000;
    }
    (void)sink;
    return median(best, ROUNDS);
}

/* A board whose GPIO block is a plain register file of 64 rw registers, booted for the two
 * accessor figures, then the default board again. */
static void plain_file_accesses(double *read_ns, double *write_ns)
{
    static char text[8192];
    int n = snprintf(text, sizeof text,
                     "ram DRAM 0x50000000 64M\n"
                     "device GPIO 0x7F008000 0x1000 regfile plain\n");
    for (unsigned i = 0; i < 64; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "register GPIO R%u 0x%X 32 rw 0\n", i,
                      0x800 + 4 * i);
    snprintf(text + n, sizeof text - (size_t)n, "oem 0x80000000 0x50000000 64 DRAM\n");
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = text;
    cfg.board_label = "bench-plain";
    char err[256];
    cevm_shutdown();
    if (cevm_boot(&cfg, err, sizeof err) != CEVM_OK)
        die(err);
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0x7F008000;
    volatile ULONG *gpio = MmMapIoSpace(pa, PAGE, FALSE);
    if (!gpio)
        die("plain GPIO");
    *read_ns = loop_access(&gpio[0x824 / 4], REGISTER_READ);
    *write_ns = loop_access(&gpio[0x820 / 4], REGISTER_WRITE);
    MmUnmapIoSpace((PVOID)gpio, PAGE);
    cevm_shutdown();
}

static void accesses(void)
{
    volatile ULONG *ram = VirtualAlloc(NULL, PAGE, MEM_COMMIT, PAGE_READWRITE);
    static volatile ULONG native[1024];
    if (!ram)
        die("VirtualAlloc");
    double cram = loop_access(ram, RAW_LOAD), lram = loop_access(native, RAW_LOAD);
    printf("read_ram_4byte_ns = %.2f\nlinux_read_ram_4byte_ns = %.2f\n", cram, lram);
    printf("read_ram_4byte_vs_linux = %.3f\n", cram / lram);
    const cevm_device_ops ops = {model_read, NULL};
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0x7E00F000;
    volatile ULONG *sys = MmMapIoSpace(pa, PAGE, FALSE);
    if (!sys || cevm_device_attach("SYSCON", &ops, NULL))
        die("C model");
    double cmmio = loop_access(&sys[0x118 / 4], REGISTER_READ);
    printf("read_register_ulong_cmodel_ns = %.1f\n", cmmio);
    cevm_device_attach("SYSCON", NULL, NULL);
    MmUnmapIoSpace((PVOID)sys, PAGE);
    /* A register file with no model: the GPIO block's GPMCON (rw) and GPMDAT. */
    pa.QuadPart = 0x7F008000;
    volatile ULONG *gpio = MmMapIoSpace(pa, PAGE, FALSE);
    if (!gpio)
        die("GPIO");
    double creg = loop_access(&gpio[0x824 / 4], REGISTER_READ),
           wreg = loop_access(&gpio[0x820 / 4], REGISTER_WRITE);
    printf("read_register_ulong_regfile_ns = %.1f\nwrite_register_ulong_regfile_ns = %.1f\n", creg,
           wreg);
    MmUnmapIoSpace((PVOID)gpio, PAGE);
    /* The same registers in a `plain` register file (raw accesses plain memory, as under
     * valgrind or without the decoder): the accessor syncs the register it reaches. */
    double preg, pwreg;
    plain_file_accesses(&preg, &pwreg);
    printf("read_register_ulong_plain_ns = %.1f\nwrite_register_ulong_plain_ns = %.1f\n", preg,
           pwreg);
#ifdef CEVM_BENCH_UNICORN
    double uram = uc_loads(0), ummio = uc_loads(1);
    printf("unicorn_read_ram_4byte_ns = %.2f\nread_ram_4byte_vs_unicorn = %.3f\n", uram,
           cram / uram);
    printf("unicorn_read_mmio_callback_ns = %.1f\nread_register_ulong_cmodel_vs_unicorn = %.3f\n",
           ummio, cmmio / ummio);
    printf("read_register_ulong_regfile_vs_unicorn = %.3f\n", creg / ummio);
    printf("write_register_ulong_regfile_vs_unicorn = %.3f\n", wreg / ummio);
    printf("read_register_ulong_plain_vs_unicorn = %.3f\n", preg / ummio);
    printf("write_register_ulong_plain_vs_unicorn = %.3f\n", pwreg / ummio);
#endif
    VirtualFree((LPVOID)ram, 0, MEM_RELEASE);
}

/* ---- main ---------------------------------------------------------------------------------- */

/* A fresh process's first CE call: this program run again with --first-call, 15 times. */
static void fresh_first_call(void)
{
    char self[512], cmd[600];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0 || memchr(self, '\'', (size_t)len))
        return;
    self[len] = '\0';
    snprintf(cmd, sizeof cmd, "'%s' --first-call", self);
    double t[15];
    int n = 0;
    for (int i = 0; i < 15; i++) {
        FILE *f = popen(cmd, "r");
        if (f && fscanf(f, "%lf", &t[n]) == 1)
            n++;
        if (f)
            pclose(f);
    }
    if (n)
        printf("fresh_process_first_call_ms = %.3f\n", median(t, n));
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--first-call")) {
        double t0 = now_ns();
        void *p = VirtualAlloc(NULL, PAGE, MEM_RESERVE, PAGE_NOACCESS);
        printf("%.3f\n", (now_ns() - t0) / 1e6);
        return p == NULL;
    }
    fresh_first_call();
    cevm_set_unimplemented_log(0);
#ifdef CEVM_BENCH_UNICORN
    unsigned major, minor;
    uc_version(&major, &minor);
    printf("unicorn = %u.%u\n", major, minor);
#else
    printf("unicorn = absent (install libunicorn-dev and rebuild to compare with it)\n");
#endif
    /* Boot: the first CE call on the default board, from nothing. */
    double boot[ROUNDS];
    for (int r = 0; r < ROUNDS; r++)
        boot[r] = cevm_boot_ns();
    printf("boot_first_call_ms = %.3f\n", median(boot, ROUNDS) / 1e6);
#ifdef CEVM_BENCH_UNICORN
    double ub[ROUNDS];
    for (int r = 0; r < ROUNDS; r++)
        ub[r] = per_iter(uc_boot, NULL, 20);
    printf("unicorn_boot_first_call_ms = %.3f\nboot_first_call_vs_unicorn = %.3f\n",
           median(ub, ROUNDS) / 1e6, median(boot, ROUNDS) / median(ub, ROUNDS));
#endif

    /* Linux's place for MAP_FIXED mappings: a reservation of its own. */
    int fd = memfd_create("bench-peers", MFD_CLOEXEC);
    BYTE *at = mmap(NULL, 0x100000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (fd < 0 || ftruncate(fd, 0x100000) || at == MAP_FAILED)
        die("memfd");
    struct linux_ctx l4 = {fd, at, PAGE}, l64 = {fd, at, 0x10000};

    /* Map + unmap with 0, 90, 270 and 810 other regions (64 KB reservations in the slot and
     * 2 MB ones in the large area, half each; Unicorn: 4 KB regions). */
    static void *others[810];
    int nothers = 0;
    BYTE *large = VirtualAlloc(NULL, 0x200000, MEM_RESERVE, PAGE_NOACCESS);
    if (!large)
        die("large-area reservation");
#ifdef CEVM_BENCH_UNICORN
    uc_engine *uc = uc_new();
    struct uc_ctx u4 = {uc, 0x20000000, PAGE, 0};
    int uothers = 0;
#endif
    const int counts[4] = {0, 90, 270, 810};
    for (int k = 0; k < 4; k++) {
        while (nothers < counts[k]) {
            others[nothers] =
                VirtualAlloc(NULL, nothers % 2 ? 0x200000 : 0x10000, MEM_RESERVE, PAGE_NOACCESS);
            if (!others[nothers++])
                die("other regions");
        }
#ifdef CEVM_BENCH_UNICORN
        for (; uothers < counts[k]; uothers++)
            if (uc_mem_map(uc, 0x60000000 + (uint64_t)uothers * 0x10000, PAGE, UC_PROT_READ))
                die("unicorn other regions");
#endif
        char name[64];
        struct cevm_map_ctx slot4 = {PAGE, 0, NULL}, large4 = {PAGE, 1, large};
        struct side peers[2] = {{"linux", linux_memfd_map, &l4}, {"unicorn", NULL, NULL}};
#ifdef CEVM_BENCH_UNICORN
        peers[1].fn = uc_map_unmap;
        peers[1].ctx = &u4;
#endif
        snprintf(name, sizeof name, "virtualcopy_free_4k_%d", counts[k]);
        compare(name, cevm_virtualcopy, &slot4, peers, 2, 200, 1e3, "us");
        snprintf(name, sizeof name, "virtualcopy_free_4k_large_area_%d", counts[k]);
        compare(name, cevm_virtualcopy, &large4, peers, 1, 200, 1e3, "us");
    }
    for (int i = 0; i < nothers; i++)
        VirtualFree(others[i], 0, MEM_RELEASE);
    VirtualFree(large, 0, MEM_RELEASE);

    struct side map4[2] = {{"linux", linux_memfd_map, &l4}, {"unicorn", NULL, NULL}};
    struct side map64[2] = {{"linux", linux_memfd_map, &l64}, {"unicorn", NULL, NULL}};
#ifdef CEVM_BENCH_UNICORN
    struct uc_ctx u64 = {uc, 0x20000000, 0x10000, 0};
    map4[1] = (struct side){"unicorn", uc_map_unmap, &u4};
    map64[1] = (struct side){"unicorn", uc_map_unmap, &u64};
#endif
    compare("mmmapiospace_unmap_4k", cevm_mmmapiospace, NULL, map4, 2, 200, 1e3, "us");
    compare("allocphysmem_free_64k", cevm_allocphysmem, NULL, map64, 2, 200, 1e3, "us");

    BYTE *res = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    struct side commit_peers[1] = {{"linux", linux_commit, NULL}};
    if (!res)
        die("reserve");
    compare("commit_touch_decommit_4k", cevm_commit, res, commit_peers, 1, 500, 1e3, "us");
    VirtualFree(res, 0, MEM_RELEASE);

    /* Protect one page of a committed 64 MB region. */
    /* CE 5 takes 64 MB only as a large-area reservation, committed in parts below 32 MB. */
    struct protect_ctx cp = {VirtualAlloc(NULL, 64u << 20, MEM_RESERVE, PAGE_NOACCESS), 0};
    for (int i = 0; cp.p && i < 4; i++)
        if (!VirtualAlloc(cp.p + (size_t)i * (16u << 20), 16u << 20, MEM_COMMIT, PAGE_READWRITE))
            die("commit 16 MB");
    /* Linux: mprotect of one page of a 64 MB shared memfd mapping, the kind of mapping cevm's
     * RAM is (an anonymous private mapping's mprotect is cheaper for the kernel). */
    int fd64 = memfd_create("bench-peers-64m", MFD_CLOEXEC);
    if (fd64 < 0 || ftruncate(fd64, 64u << 20))
        die("memfd 64 MB");
    struct protect_ctx lp = {mmap(NULL, 64u << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd64, 0), 0};
    if (!cp.p || lp.p == MAP_FAILED)
        die("64 MB");
    struct side prot_peers[2] = {{"linux", linux_protect, &lp}, {"unicorn", NULL, NULL}};
#ifdef CEVM_BENCH_UNICORN
    struct uc_ctx up = {uc, 0x80000000u, 64u << 20, 0};
    if (uc_mem_map(uc, up.at, up.size, UC_PROT_READ | UC_PROT_WRITE))
        die("unicorn 64 MB");
    prot_peers[1] = (struct side){"unicorn", uc_protect, &up};
#endif
    compare("protect_1_page_of_64m", cevm_protect, &cp, prot_peers, 2, 2000, 1e3, "us");
    VirtualFree(cp.p, 0, MEM_RELEASE);
    munmap(lp.p, 64u << 20);
    close(fd64);
#ifdef CEVM_BENCH_UNICORN
    uc_close(uc);
#endif

    accesses();
    munmap(at, 0x100000);
    close(fd);
    cevm_shutdown();
    return 0;
}
