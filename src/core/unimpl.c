/*
 * unimpl.c — raw accesses to unimplemented devices: they read 0, accept writes, and each one is
 * logged (device, physical and CE address, direction, bytes written).
 *
 * Unimplemented ranges have no backing, so the host keeps them inaccessible and every raw
 * access faults. The fault handler calls unimpl_begin(): it maps a fresh zero page at the
 * faulting page, sets the CPU's trap flag and returns, so exactly one instruction runs against
 * the zero page (reads see 0, writes land in it). The SIGTRAP that follows ends in
 * unimpl_finish(): it reads back what the instruction wrote, logs the access, returns the page
 * to its inaccessible state and clears the trap flag. No instruction is decoded, so every
 * instruction form works (loads, stores, read-modify-write, string moves one step at a time).
 * An access that crosses into a second unimplemented page maps that one too.
 *
 * One thread steps at a time (g_step, taken in the fault handler with trylock and released
 * when the step ends): a second thread faulting on an unimplemented page meanwhile waits and
 * retries its instruction, so two steps never share or unmap each other's scratch pages, and
 * the invariant checker waits for a step in flight (unimpl_quiesce).
 *
 * Limits: x86-64 hosts only (elsewhere the access raises an access violation); a thread that
 * touches the same page during another thread's one-instruction step sees the scratch page
 * instead of faulting (that access is not logged); the width of a read is not known (the log
 * records the address); valgrind does not support the trap flag.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/emulate.h"
#include "host/host.h"
#include "core/fault.h"
#include "core/machine.h"
#include "dev/device.h"

#define LOG_SIZE  64
#define TRAP_FLAG 0x100

struct single_step {
    int active;
    int npages;
    uint32_t page[2];
    uint32_t ce;
    uint64_t pa;
    int write;
    char device[32];
};

static CEVM_TLS struct single_step t_ss;
static pthread_mutex_t g_step = PTHREAD_MUTEX_INITIALIZER; /* held by the thread stepping */

static cevm_unimplemented_access g_log[LOG_SIZE];
static uint64_t g_count;
static int g_quiet; /* 1: do not print accesses to stderr */

/* Rate limit of the printed lines: the first g_limit accesses of each (device, address,
 * direction) are printed, then one line per power of ten says how many more there were, and
 * the run's end (or the next boot) sums up what was held back. CEVM_LOG_UNIMPLEMENTED=N sets
 * the limit, "all" lifts it, 0 prints nothing. The access log itself keeps every access. */
#define LIMIT_KEYS 512
struct limit_key {
    uint64_t pa;
    int write, used;
    char device[32];
    uint64_t count;
};
static struct limit_key g_keys[LIMIT_KEYS];
static unsigned g_limit = 5; /* 0: no limit */
static uint64_t g_held;      /* lines not printed since the last summary */

int unimpl_active(void)
{
    return t_ss.active;
}

void unimpl_wait_turn(void)
{
    pthread_mutex_lock(&g_step);
    pthread_mutex_unlock(&g_step);
}

void unimpl_quiesce(int hold)
{
    if (hold)
        pthread_mutex_lock(&g_step);
    else
        pthread_mutex_unlock(&g_step);
}

static int map_scratch(struct machine *m, uint32_t page)
{
    return window_map_scratch(&m->win, page);
}

int unimpl_begin(struct machine *m, uint32_t ce, int write, uint64_t pa, const char *device,
                 void *ucv)
{
#if defined(__x86_64__)
    uint32_t page = ce & ~(CE_PAGE_SIZE - 1);
    if (t_ss.active) {
        /* The same instruction reached a second page. */
        if (t_ss.npages == 2 || map_scratch(m, page))
            return -1;
        t_ss.page[t_ss.npages++] = page;
        return 0;
    }
    if (pthread_mutex_trylock(&g_step))
        return 1; /* another thread is stepping: wait for it, then retry */
    if (map_scratch(m, page)) {
        pthread_mutex_unlock(&g_step);
        return -1;
    }
    memset(&t_ss, 0, sizeof t_ss);
    t_ss.active = 1;
    t_ss.npages = 1;
    t_ss.page[0] = page;
    t_ss.ce = ce;
    t_ss.pa = pa;
    t_ss.write = write;
    snprintf(t_ss.device, sizeof t_ss.device, "%s", device);
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_EFL] |= TRAP_FLAG;
    return 0;
#else
    (void)m;
    (void)ce;
    (void)write;
    (void)pa;
    (void)device;
    (void)ucv;
    return -1;
#endif
}

/* ---- decoded accesses (emulate.c): one logged access of the instruction's width ---------- */

/* Record the n bytes (at most 8) a write left, up to the last non-zero one (at least one). */
static void set_written(cevm_unimplemented_access *a, const uint8_t *bytes, unsigned n)
{
    memcpy(a->bytes, bytes, n);
    a->nbytes = 1;
    for (unsigned i = 0; i < n; i++)
        if (bytes[i])
            a->nbytes = i + 1;
}

struct unimpl_target {
    uint64_t pa; /* physical address of the faulting CE address */
    uint32_t ce;
    const char *device;
};

void unimpl_bus_access(uint64_t pa, uint32_t ce, const char *device, unsigned width, int write,
                       uint64_t *v)
{
    cevm_unimplemented_access a;
    memset(&a, 0, sizeof a);
    a.pa = pa;
    a.ce = ce;
    a.write = write;
    a.width = width;
    snprintf(a.device, sizeof a.device, "%s", device);
    if (write) {
        uint8_t bytes[8] = {0};
        for (unsigned i = 0; i < width; i++)
            bytes[i] = (uint8_t)(*v >> (8 * i));
        set_written(&a, bytes, width);
    } else {
        *v = 0; /* an unimplemented device reads 0 */
    }
    unimpl_record(&a);
}

/* An access on the faulting page goes to its device; one elsewhere is resolved on its own. */
static int target_access(void *ctx, uint32_t ce, unsigned width, int write, uint64_t *v)
{
    const struct unimpl_target *t = ctx;
    const char *problem;
    if ((ce ^ t->ce) >> 12)
        return fault_bus_access(ce, width, write, v, &problem);
    unimpl_bus_access(t->pa + (ce - t->ce), ce, t->device, width, write, v);
    return 0;
}

static int target_read(void *ctx, uint32_t ce, unsigned width, uint64_t *v)
{
    return target_access(ctx, ce, width, 0, v);
}

static int target_write(void *ctx, uint32_t ce, unsigned width, uint64_t v)
{
    return target_access(ctx, ce, width, 1, &v);
}

/* emu_bus.check: the faulting page's part can always be done; any other is resolved. */
static int target_check(void *ctx, uint32_t ce, unsigned width)
{
    const struct unimpl_target *t = ctx;
    const char *problem;
    uint32_t at;
    return fault_bus_check_pages(t->ce, ce, width, NULL, NULL, &at, &problem) ? -1 : 0;
}

int unimpl_emulate(void *uc, uintptr_t window_base, uintptr_t fault_addr, uint32_t ce, uint64_t pa,
                   const char *device)
{
    if (host_under_valgrind()) /* it cannot resume a decoded instruction: single-step instead */
        return 0;
    struct unimpl_target t = {pa, ce, device};
    const struct emu_bus bus = {target_read, target_write, &t, target_check};
    return emulate_access(uc, window_base, fault_addr, &bus, NULL, 0) == EMU_DONE;
}

static void say(const char *s)
{
    ssize_t w = write(2, s, strlen(s));
    (void)w;
}

static CEVM_TLS char t_context[96];

void unimpl_set_context(const char *context)
{
    snprintf(t_context, sizeof t_context, "%s", context ? context : "");
}

const char *unimpl_context(void)
{
    return t_context;
}

/* One line describing an access, for stderr. */
static void describe(const cevm_unimplemented_access *a, char *line, size_t cap)
{
    int len;
    if (a->misfit)
        len = snprintf(line, cap,
                       "cevm: device '%s': %u-byte %s at offset 0x%X (physical 0x%llX) does not "
                       "fit register %s (%u bytes at 0x%X): misaligned or wider than the "
                       "register, not performed",
                       a->device, a->width, a->write ? "write" : "read", a->offset,
                       (unsigned long long)a->pa, a->reg, a->reg_width, a->reg_offset);
    else if (a->undeclared)
        len = snprintf(line, cap,
                       "cevm: device '%s': %s undeclared register at offset 0x%X (physical "
                       "0x%llX, %u bytes)",
                       a->device, a->write ? "write to an" : "read of an", a->offset,
                       (unsigned long long)a->pa, a->width);
    else
        len = snprintf(line, cap,
                       "cevm: unimplemented device '%s': %s at physical 0x%llX (CE 0x%08X)%s",
                       a->device, a->write ? "write" : "read", (unsigned long long)a->pa, a->ce,
                       a->write ? ", bytes" : ", reads 0");
    if (a->undeclared && a->write && len > 0 && (size_t)len < cap)
        len += snprintf(line + len, cap - (size_t)len, ", bytes");
    for (uint32_t i = 0; a->write && i < a->nbytes && len > 0 && (size_t)len < cap - 4; i++)
        len += snprintf(line + len, cap - (size_t)len, " %02X", a->bytes[i]);
    if (a->context[0] && len > 0 && (size_t)len < cap)
        len += snprintf(line + len, cap - (size_t)len, ", in %s", a->context);
    if (len > 0 && (size_t)len < cap)
        snprintf(line + len, cap - (size_t)len, "\n");
}

static struct limit_key *limit_slot(const cevm_unimplemented_access *a);

void unimpl_record(cevm_unimplemented_access *a)
{
    snprintf(a->context, sizeof a->context, "%s", t_context);
    machine_lock();
    g_log[g_count % LOG_SIZE] = *a;
    g_count++;
    int quiet = g_quiet;
    uint64_t seen = 0;
    if (!quiet && g_limit) {
        struct limit_key *k = limit_slot(a);
        seen = k ? ++k->count : 0;
        if (seen > g_limit)
            __atomic_add_fetch(&g_held, 1, __ATOMIC_RELAXED);
    }
    machine_unlock();
    if (quiet)
        return;
    char line[400];
    if (seen > g_limit) {
        /* Held back; a line at each power of ten says the access goes on. */
        uint64_t p = 10;
        while (p < seen)
            p *= 10;
        if (seen != p)
            return;
        snprintf(line, sizeof line,
                 "cevm: %s %s at physical 0x%llX: %llu times so far (lines after the first %u "
                 "are held back; CEVM_LOG_UNIMPLEMENTED=all prints every one)\n",
                 a->device, a->write ? "write" : "read", (unsigned long long)a->pa,
                 (unsigned long long)seen, g_limit);
        say(line);
        return;
    }
    describe(a, line, sizeof line);
    say(line);
}

/* The counter of a's (device, address, direction), found or made (machine lock held); NULL
 * when the table is full (the access is then printed). */
static struct limit_key *limit_slot(const cevm_unimplemented_access *a)
{
    uint64_t h = (a->pa * 0x9E3779B97F4A7C15ull) ^ (uint64_t)a->write;
    for (const char *c = a->device; *c; c++)
        h = (h ^ (unsigned char)*c) * 0x100000001B3ull;
    for (unsigned i = 0; i < LIMIT_KEYS; i++) {
        struct limit_key *k = &g_keys[(h + i) % LIMIT_KEYS];
        if (!k->used) {
            k->used = 1;
            k->pa = a->pa;
            k->write = a->write;
            snprintf(k->device, sizeof k->device, "%s", a->device);
            return k;
        }
        if (k->pa == a->pa && k->write == a->write && !strcmp(k->device, a->device))
            return k;
    }
    return NULL;
}

void unimpl_summary(void)
{
    /* No lock: this also runs at exit, where another thread may hold the machine lock. */
    uint64_t held = __atomic_exchange_n(&g_held, 0, __ATOMIC_RELAXED);
    if (!held)
        return;
    char line[200];
    snprintf(line, sizeof line,
             "cevm: %llu more accesses to unimplemented devices or undeclared registers were "
             "not printed (CEVM_LOG_UNIMPLEMENTED=all prints every one)\n",
             (unsigned long long)held);
    say(line);
}

void unimpl_finish(void *ucv)
{
#if defined(__x86_64__)
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
#else
    (void)ucv;
#endif
    machine_lock();
    struct machine *m = g_machine;
    cevm_unimplemented_access a;
    memset(&a, 0, sizeof a);
    a.pa = t_ss.pa;
    a.ce = t_ss.ce;
    a.write = t_ss.write;
    snprintf(a.device, sizeof a.device, "%s", t_ss.device);
    if (m) {
        /* What the instruction left at the address: up to 8 bytes, to the end of the page. */
        const uint8_t *at = window_ptr(&m->win, t_ss.ce);
        uint32_t room = CE_PAGE_SIZE - (t_ss.ce & (CE_PAGE_SIZE - 1));
        uint32_t n = room < 8 ? room : 8;
        if (t_ss.write)
            set_written(&a, at, n);
        for (int i = 0; i < t_ss.npages; i++)
            window_unmap(&m->win, t_ss.page[i], CE_PAGE_SIZE);
    }
    t_ss.active = 0;
    machine_unlock();
    pthread_mutex_unlock(&g_step);
    if (m)
        unimpl_record(&a);
}

uint64_t cevm_unimplemented_accesses(cevm_unimplemented_access *out, size_t max)
{
    devices_sync_all(); /* plain register files' raw writes are reported first */
    machine_lock();
    uint64_t total = g_count;
    size_t have = total < LOG_SIZE ? (size_t)total : LOG_SIZE;
    size_t n = max < have ? max : have;
    for (size_t i = 0; out && i < n; i++)
        out[i] = g_log[(total - n + i) % LOG_SIZE];
    machine_unlock();
    return total;
}

void cevm_set_unimplemented_log(int to_stderr)
{
    machine_lock();
    g_quiet = !to_stderr;
    machine_unlock();
}

static void summary_at_exit(void)
{
    unimpl_summary();
}

void unimpl_reset(void)
{
    static int hooked;
    const char *e = getenv("CEVM_LOG_UNIMPLEMENTED");
    g_count = 0;
    g_quiet = e && !strcmp(e, "0");
    g_limit = !e || !*e ? 5 : !strcmp(e, "all") ? 0 : (unsigned)strtoul(e, NULL, 10);
    if (!g_limit && e && strcmp(e, "all"))
        g_limit = 5; /* not a number: the default */
    memset(g_log, 0, sizeof g_log);
    memset(g_keys, 0, sizeof g_keys);
    __atomic_store_n(&g_held, 0, __ATOMIC_RELAXED);
    if (!hooked) {
        hooked = 1;
        atexit(summary_at_exit);
    }
}
