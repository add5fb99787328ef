/*
 * bench_vm.c — VM benchmarks, printed as `name = value`, one line per figure.
 *
 * Ratios compare cevm against a baseline measured in the same process, so they mean the same
 * on any machine: each figure is the median of several rounds of many iterations.
 *   reserve_release_vs_mmap_munmap  64 KB VirtualAlloc(MEM_RESERVE) + VirtualFree(MEM_RELEASE)
 *                                   over a 64 KB mmap(PROT_NONE) + munmap (target < 0.3)
 *   query_full_vs_10                VirtualQuery with the process slot and the large area full
 *                                   of reservations over the same with 10 (target < 2)
 *   host_calls_per_reserve_release  system calls made by one reserve + release (must be 0)
 *   reserve_release_full_vs_empty   reserve + release with the CE 5 slot full but for one
 *                                   reservation over the same in an empty one (target < 2)
 *   ce6_*_full_vs_empty             the same and VirtualQuery in a CE 6 user space holding
 *                                   10,000 reservations (target < 2)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <windows.h>
#include <ceddk.h>

#include <cevm/cevm.h>

#define BENCH_NAME "bench_vm"
#include "bench.h"

#define ROUNDS 31

/* ns per 64 KB reserve + release pair */
static double reserve_release(int iters)
{
    double t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        void *p = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
        if (!p || !VirtualFree(p, 0, MEM_RELEASE))
            die("reserve/release");
    }
    return (now_ns() - t0) / iters;
}

/* ns per 64 KB mmap + munmap pair */
static double mmap_munmap(int iters)
{
    double t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        void *p =
            mmap(NULL, 0x10000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED || munmap(p, 0x10000))
            die("mmap/munmap");
    }
    return (now_ns() - t0) / iters;
}

/* ns per VirtualQuery over the given addresses */
static double query_cost(void **addrs, int n, int iters)
{
    MEMORY_BASIC_INFORMATION m;
    unsigned x = 12345;
    double t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        x = x * 1103515245u + 12345u;
        if (!VirtualQuery(addrs[(x >> 8) % (unsigned)n], &m, sizeof m))
            die("VirtualQuery");
    }
    return (now_ns() - t0) / iters;
}

/* A C model that answers every read with a constant (the SYSCON register file). */
static int model_read(void *ctx, uint32_t off, unsigned width, uint32_t *value)
{
    (void)ctx, (void)off, (void)width;
    *value = 0x36410101u;
    return 1;
}

#if defined(__x86_64__)
/* The baseline of a trapped access: a bare SIGSEGV round trip (a handler that steps over a
 * 2-byte load from an inaccessible page), with cevm's handler set aside meanwhile. */
static void skip_load(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    ((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP] += 2; /* movl (%rbx), %eax */
}

static double signal_round_trip_ns(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = skip_load;
    sa.sa_flags = SA_SIGINFO;
    void *page = mmap(NULL, 0x1000, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED || sigaction(SIGSEGV, &sa, &old))
        die("signal baseline");
    double t0 = now_ns();
    for (int i = 0; i < 20000; i++) {
        uint32_t v;
        __asm__ volatile("movl (%1), %0" : "=a"(v) : "b"(page) : "memory"); /* 8b 03 */
        (void)v;
    }
    double ns = (now_ns() - t0) / 20000;
    sigaction(SIGSEGV, &old, NULL);
    munmap(page, 0x1000);
    return ns;
}
#else
static double signal_round_trip_ns(void)
{
    return 0;
}
#endif

/* Register access on the default board's GPIO register file (trapped): the accessor, a raw
 * read through the struct pointer (a decoded access: one signal round trip), and a plain read
 * of RAM for the baseline. */
static void register_access(void)
{
    cevm_set_unimplemented_log(0);
    PHYSICAL_ADDRESS gpio_pa;
    gpio_pa.QuadPart = 0x7F008000;
    volatile ULONG *gpio = MmMapIoSpace(gpio_pa, 0x1000, FALSE);
    if (!gpio)
        die("MmMapIoSpace");
    volatile ULONG sink = 0;
    double t0 = now_ns();
    for (int i = 0; i < 100000; i++)
        sink += READ_REGISTER_ULONG(&gpio[0x824 / 4]);
    printf("read_register_ulong_regfile_ns = %.1f\n", (now_ns() - t0) / 100000);
    const cevm_device_ops ops = {model_read, NULL};
    PHYSICAL_ADDRESS sys_pa;
    sys_pa.QuadPart = 0x7E00F000;
    volatile ULONG *sys = MmMapIoSpace(sys_pa, 0x1000, FALSE);
    if (!sys || cevm_device_attach("SYSCON", &ops, NULL))
        die("C model");
    t0 = now_ns();
    for (int i = 0; i < 100000; i++)
        sink += READ_REGISTER_ULONG(&sys[0x118 / 4]);
    printf("read_register_ulong_cmodel_ns = %.1f\n", (now_ns() - t0) / 100000);
    cevm_device_attach("SYSCON", NULL, NULL);
    MmUnmapIoSpace((PVOID)sys, 0x1000);
    t0 = now_ns();
    for (int i = 0; i < 20000; i++)
        sink += gpio[0x824 / 4];
    double trapped = (now_ns() - t0) / 20000, bare = signal_round_trip_ns();
    printf("raw_read_trapped_register_ns = %.1f\n", trapped);
    printf("linux_sigsegv_round_trip_ns = %.1f\nraw_read_trapped_vs_signal = %.2f\n", bare,
           trapped / bare);
    volatile ULONG *ram = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    if (!ram)
        die("VirtualAlloc");
    t0 = now_ns();
    for (int i = 0; i < 100000; i++)
        sink += ram[i & 1023];
    printf("raw_read_ram_ns = %.2f\n", (now_ns() - t0) / 100000);
    (void)sink;
    MmUnmapIoSpace((PVOID)gpio, 0x1000);
    VirtualFree((LPVOID)ram, 0, MEM_RELEASE);
}

/* CE 6: a process's 2 GB user space with 10,000 reservations against an empty one: reserve +
 * release (first fit from the lowest free address) and VirtualQuery. */
static void ce6_growth(void)
{
    static void *res[10000];
    setenv("CEVM_PROFILE", "ce6", 1);
    cevm_shutdown(); /* the next call boots the default board as CE 6 */
    double empty[ROUNDS], full[ROUNDS], q_empty[ROUNDS], q_full[ROUNDS];
    void *first = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    if (!first)
        die("ce6 boot");
    for (int i = 0; i < ROUNDS; i++) {
        empty[i] = reserve_release(5000);
        q_empty[i] = query_cost(&first, 1, 20000);
    }
    int n = 0;
    for (; n < 10000; n++)
        if (!(res[n] = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS)))
            break;
    VirtualFree(res[n - 1], 0, MEM_RELEASE); /* room at the top: first fit passes the rest */
    for (int i = 0; i < ROUNDS; i++) {
        full[i] = reserve_release(5000);
        q_full[i] = query_cost(res, n - 1, 20000);
    }
    printf("ce6_reservations = %d\n", n);
    printf("ce6_reserve_release_full_vs_empty = %.3f\n",
           median(full, ROUNDS) / median(empty, ROUNDS));
    printf("ce6_query_full_vs_empty = %.3f\n", median(q_full, ROUNDS) / median(q_empty, ROUNDS));
    cevm_shutdown();
    unsetenv("CEVM_PROFILE");
}

int main(void)
{
    double a[ROUNDS], b[ROUNDS], r[ROUNDS];
    reserve_release(1000); /* boot and warm up */
    register_access();
    for (int i = 0; i < ROUNDS; i++) {
        a[i] = reserve_release(5000);
        b[i] = mmap_munmap(5000);
        r[i] = a[i] / b[i];
    }
    double ra = median(a, ROUNDS), rb = median(b, ROUNDS);
    printf("reserve_release_64k_ns = %.1f\n", ra);
    printf("mmap_munmap_64k_ns = %.1f\n", rb);
    printf("reserve_release_vs_mmap_munmap = %.3f\n", median(r, ROUNDS));

    uint64_t calls = cevm_host_calls();
    reserve_release(1000);
    printf("host_calls_per_reserve_release = %.3f\n", (double)(cevm_host_calls() - calls) / 1000.0);

    /* VirtualQuery with 10 reservations ... */
    static void *addrs[2048];
    int n = 0;
    for (int i = 0; i < 10; i++)
        if (!(addrs[n++] = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS)))
            die("reserve 10");
    double q10[ROUNDS], qfull[ROUNDS], qr[ROUNDS];
    for (int i = 0; i < ROUNDS; i++)
        q10[i] = query_cost(addrs, n, 20000);
    /* ... and with the slot (64 KB each) and the large area (2 MB each) full. */
    void *p;
    while ((p = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS)))
        addrs[n++] = p;
    int slot = n;
    while (n < 2048 && (p = VirtualAlloc(NULL, 0x200000, MEM_RESERVE, PAGE_NOACCESS)))
        addrs[n++] = p;
    for (int i = 0; i < ROUNDS; i++)
        qfull[i] = query_cost(addrs, n, 20000);
    for (int i = 0; i < ROUNDS; i++)
        qr[i] = qfull[i] / q10[i];
    printf("reservations_full = %d (slot %d, large area %d)\n", n, slot, n - slot);
    printf("query_10_ns = %.1f\n", median(q10, ROUNDS));
    printf("query_full_ns = %.1f\n", median(qfull, ROUNDS));
    printf("query_full_vs_10 = %.3f\n", median(qr, ROUNDS));

    /* Growth: reserve + release with the slot full but for its last reservation (first fit
     * must pass every used block), against the same in an empty space (above). */
    VirtualFree(addrs[slot - 1], 0, MEM_RELEASE);
    double full[ROUNDS];
    for (int i = 0; i < ROUNDS; i++)
        full[i] = reserve_release(5000);
    printf("reserve_release_full_ns = %.1f\n", median(full, ROUNDS));
    printf("reserve_release_full_vs_empty = %.3f\n", median(full, ROUNDS) / ra);
    addrs[slot - 1] = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS);

    /* Commit + touch + decommit of one page, against the mprotect-commit baseline. */
    BYTE *c = addrs[0];
    double t0 = now_ns();
    for (int i = 0; i < 2000; i++) {
        if (!VirtualAlloc(c, 0x1000, MEM_COMMIT, PAGE_READWRITE))
            die("commit");
        c[0] = 1;
        if (!VirtualFree(c, 0x1000, MEM_DECOMMIT))
            die("decommit");
    }
    printf("commit_touch_decommit_4k_ns = %.1f\n", (now_ns() - t0) / 2000);

    ce6_growth();
    return 0;
}
