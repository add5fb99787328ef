/*
 * prop_vm.c — model-based property test: random sequences of CE calls run against cevm and
 * against the reference model (model.c); after every call the result, GetLastError, the
 * VirtualQuery answers for the pages touched and the bytes read must agree, and every 50 calls
 * the whole process slot (CE 6+: the first 32 MB of user space and kernel VM) is compared region
 * by region. The profile is $CEVM_PROFILE's (ce5 by default); the model follows it.
 *
 *   prop_vm [SEQUENCES [FIRST_SEED [CALLS]]]      (defaults: 200 sequences, seed 1, 200 calls)
 *
 * Each sequence is generated from its seed, so a failure is reproduced with
 * `prop_vm 1 SEED`. On a divergence the sequence is shrunk (calls removed while it still
 * diverges) and printed. At the end it prints how many calls of each kind it made.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cevm/cevm.h>
#include <ceddk.h>
#include <pkfuncs.h>
#include <windows.h>

#include "model.h"

enum kind {
    K_RESERVE,
    K_RESERVE_HUGE,
    K_RESERVE_COMMIT,
    K_RESERVE_AT,
    K_COMMIT,
    K_DECOMMIT,
    K_RELEASE,
    K_PROTECT,
    K_QUERY,
    K_COPY_VIRTUAL,
    K_COPY_GPIO,
    K_COPY_NODEVICE,
    K_COPY_STATIC,
    K_READ,
    K_WRITE,
    K_MAPIO,
    K_UNMAPIO,
    K_ALLOCPHYS,
    K_FREEPHYS,
    K_LOCK,
    K_UNLOCK,
    K_JUNK,
    K_COUNT
};
_Static_assert(K_COUNT == 22, "kind_name below lists every kind");

/* One name per enum kind, in order. */
static const char *const kind_name[K_COUNT] = {
    "VirtualAlloc reserve",
    "VirtualAlloc huge",
    "VirtualAlloc reserve+commit",
    "VirtualAlloc at",
    "VirtualAlloc commit",
    "VirtualFree decommit",
    "VirtualFree release",
    "VirtualProtect",
    "VirtualQuery",
    "VirtualCopy virtual",
    "VirtualCopy PAGE_PHYSICAL",
    "VirtualCopy no device",
    "VirtualCopy static",
    "read",
    "write",
    "MmMapIoSpace",
    "MmUnmapIoSpace",
    "AllocPhysMem",
    "FreePhysMem",
    "LockPages",
    "UnlockPages",
    "bad arguments",
};

struct op {
    uint8_t kind, slot, slot2;
    uint32_t off, size, prot, type, value;
};

#define SLOTS   12
#define MAX_OPS 1000

static const uint32_t prots[] = {0x04, 0x02, 0x01, 0x204, 0x104, 0x40, 0x20, 0x08, 0x10};

static uint64_t rng;
static uint32_t rnd(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33);
}

static void generate(uint64_t seed, struct op *ops, int n)
{
    rng = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; i < n; i++) {
        struct op *o = &ops[i];
        memset(o, 0, sizeof *o);
        o->kind = (uint8_t)(rnd() % K_COUNT);
        o->slot = (uint8_t)(rnd() % SLOTS);
        o->slot2 = (uint8_t)(rnd() % SLOTS);
        o->off = (rnd() % 24) * 0x1000 + ((rnd() % 4) == 0 ? rnd() % 0x1000 : 0);
        o->size = 1 + rnd() % 0x5000;
        o->prot = prots[rnd() % 9];
        o->type = rnd();
        o->value = rnd();
    }
}

struct run {
    struct model *m;
    uint32_t slot[SLOTS]; /* CE addresses earlier calls returned */
    /* MmMapIoSpace bases still mapped, and those MmUnmapIoSpace released (a second unmap of
     * one, not mapped again since, releases nothing: docs/ce-semantics.md). */
    uint32_t live[64], stale[64];
    char why[512];
    long counts[K_COUNT];
    long succeeded[K_COUNT];
    int version;                     /* the profile's CE version */
    uint32_t locked_at, locked_size; /* the last successful LockPages */
};

/* A set of up to 64 CE addresses (0 = empty entry). */
static int set_take(uint32_t *set, uint32_t a)
{
    for (int i = 0; i < 64; i++)
        if (set[i] == a) {
            set[i] = 0;
            return 1;
        }
    return 0;
}

static void set_put(uint32_t *set, uint32_t a)
{
    for (int i = 0; i < 64; i++)
        if (!set[i]) {
            set[i] = a;
            return;
        }
}

static int diverge(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int diverge(struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof r->why, fmt, ap);
    va_end(ap);
    return -1;
}

static uint32_t ce(const void *p)
{
    return p ? cevm_ce_addr(p) : 0;
}

static int compare_query(struct run *r, uint32_t a)
{
    if (model_index(r->m, a) < 0 || a == 0)
        return 0;
    struct mquery q;
    uint32_t merr;
    MEMORY_BASIC_INFORMATION mbi;
    if (!model_query(r->m, a, &q, &merr)) { /* refused: cevm must refuse it the same way */
        SetLastError(0);
        if (VirtualQuery(cevm_host_ptr(a), &mbi, sizeof mbi) != 0 || GetLastError() != merr)
            return diverge(r, "VirtualQuery(0x%08X): cevm error %u, model error %u", a,
                           GetLastError(), merr);
        return 0;
    }
    if (VirtualQuery(cevm_host_ptr(a), &mbi, sizeof mbi) != sizeof mbi)
        return diverge(r, "VirtualQuery(0x%08X) failed (%u)", a, GetLastError());
    if (ce(mbi.BaseAddress) != q.base || ce(mbi.AllocationBase) != q.alloc_base ||
        mbi.RegionSize != q.size || mbi.State != q.state || mbi.Protect != q.protect ||
        mbi.Type != q.type)
        return diverge(r,
                       "VirtualQuery(0x%08X): cevm base 0x%X alloc 0x%X size 0x%X state 0x%X "
                       "protect 0x%X type 0x%X; model base 0x%X alloc 0x%X size 0x%X state 0x%X "
                       "protect 0x%X type 0x%X",
                       a, ce(mbi.BaseAddress), ce(mbi.AllocationBase), mbi.RegionSize, mbi.State,
                       mbi.Protect, mbi.Type, q.base, q.alloc_base, q.size, q.state, q.protect,
                       q.type);
    return 0;
}

/* Compare [lo, hi) region by region. */
static int compare_range(struct run *r, uint32_t lo, uint64_t hi)
{
    for (uint64_t a = lo; a < hi;) {
        if (compare_query(r, (uint32_t)a))
            return -1;
        struct mquery q;
        uint32_t e;
        model_query(r->m, (uint32_t)a, &q, &e);
        a += q.size ? q.size : 0x1000;
    }
    return 0;
}

/* Compare the whole process slot (CE 6+: the user space the generator uses, and kernel VM). */
static int compare_slot(struct run *r)
{
    if (r->m->version >= 6)
        return compare_range(r, 0x10000, 0x2000000) ||
               compare_range(r, M6_KVM_BASE, M6_KVM_BASE + (uint64_t)M6_KVM_PAGES * 0x1000);
    return compare_range(r, 0x10000, 0x2000000);
}

struct touch_ctx {
    uint32_t addr;
    int write;
    uint32_t value;
};

static void touch(void *p)
{
    struct touch_ctx *t = p;
    volatile uint32_t *w = cevm_host_ptr(t->addr);
    if (t->write)
        *w = t->value;
    else
        t->value = *w;
}

/* Run one op on both sides. Return: 0 agree, -1 diverged (r->why). */
static int step(struct run *r, const struct op *o)
{
    uint32_t target = r->slot[o->slot] + o->off, got, want, merr, cerr;
    uint32_t size = o->size;
    void *p = NULL;
    DWORD old = 0;
    uint32_t mold = 0;
    r->counts[o->kind]++;
    SetLastError(0);
    switch (o->kind) {
    case K_RESERVE:
    case K_RESERVE_HUGE:
    case K_RESERVE_COMMIT: {
        uint32_t type = o->kind == K_RESERVE_COMMIT ? 0x3000
                        : (o->type & 3) == 0        ? 0x202000 /* auto-commit */
                                                    : 0x2000;
        uint32_t prot = o->kind == K_RESERVE_COMMIT ? o->prot : (o->type & 4) ? 0x04 : 0x01;
        if (o->kind == K_RESERVE_HUGE) {
            size = 0x1FF000 + (o->type >> 8) % 0x2800000;
            type = 0x2000;
            prot = 0x01;
        } else {
            size = 1 + o->value % 0x30000;
        }
        p = VirtualAlloc(NULL, size, type, prot);
        want = model_alloc(r->m, 0, size, type, prot, &merr);
        got = ce(p);
        break;
    }
    case K_RESERVE_AT:
        target = (o->value % 512) * 0x10000 + (o->off & 0xFFFF);
        p = VirtualAlloc(cevm_host_ptr(target), size, 0x2000 | (o->type & 0x1000), o->prot);
        want = model_alloc(r->m, target, size, 0x2000 | (o->type & 0x1000), o->prot, &merr);
        got = ce(p);
        break;
    case K_COMMIT:
        p = VirtualAlloc(target ? cevm_host_ptr(target) : NULL, size, 0x1000, o->prot);
        want = model_alloc(r->m, target, size, 0x1000, o->prot, &merr);
        got = ce(p);
        break;
    case K_DECOMMIT:
        got = VirtualFree(cevm_host_ptr(target), size, 0x4000);
        want = model_free(r->m, target, size, 0x4000, &merr);
        break;
    case K_RELEASE:
        target = r->slot[o->slot] + ((o->type & 7) == 0 ? o->off : 0);
        got = VirtualFree(cevm_host_ptr(target), 0, 0x8000);
        want = model_free(r->m, target, 0, 0x8000, &merr);
        break;
    case K_PROTECT:
        got = VirtualProtect(cevm_host_ptr(target), size, o->prot, &old);
        want = model_protect(r->m, target, size, o->prot, &mold, &merr);
        if (got && old != mold)
            return diverge(r, "VirtualProtect(0x%08X) old: cevm 0x%X, model 0x%X", target, old,
                           mold);
        break;
    case K_QUERY:
        if (compare_query(r, target))
            return -1;
        r->succeeded[K_QUERY] += model_index(r->m, target) >= 0 && target != 0;
        return 0;
    case K_COPY_VIRTUAL: {
        uint32_t src = r->slot[o->slot2] + (target & 0xFFFF) - (r->slot[o->slot2] & 0xFFFF);
        if ((o->type & 3) == 0)
            src += 0x1000; /* a different offset in the 64 KB block: refused on CE 5 */
        size &= 0x3FFF;
        got = VirtualCopy(cevm_host_ptr(target), cevm_host_ptr(src), size, o->prot);
        want = model_copy(r->m, target, src, size, o->prot, &merr);
        break;
    }
    case K_COPY_GPIO:
    case K_COPY_NODEVICE: {
        uint32_t pa = (o->kind == K_COPY_GPIO ? 0x7F008000u : 0x48000000u) + (target & 0xFFF);
        uint32_t src = (o->type & 7) == 0 ? pa : pa >> 8; /* sometimes forget the shift */
        size &= 0xFFF;
        got = VirtualCopy(cevm_host_ptr(target), (LPVOID)(uintptr_t)src, size, o->prot | 0x400);
        want = model_copy(r->m, target, src, size, o->prot | 0x400, &merr);
        break;
    }
    case K_COPY_STATIC: {
        uint32_t src = 0x92B08000u + (target & 0xFFF);
        size &= 0xFFF;
        got = VirtualCopy(cevm_host_ptr(target), cevm_host_ptr(src), size, o->prot);
        want = model_copy(r->m, target, src, size, o->prot, &merr);
        break;
    }
    case K_READ:
    case K_WRITE: {
        target &= ~0xFFFu;
        struct touch_ctx t = {target, o->kind == K_WRITE, o->value};
        cevm_exception e;
        int fault = cevm_try(touch, &t, &e);
        uint32_t mv = o->value;
        int mfault = model_touch(r->m, target, o->kind == K_WRITE, &mv);
        if (fault != mfault)
            return diverge(r, "%s 0x%08X: cevm %s, model %s", kind_name[o->kind], target,
                           fault ? "faulted" : "did not fault", mfault ? "faulted" : "did not");
        if (!fault && o->kind == K_READ && t.value != mv)
            return diverge(r, "read 0x%08X: cevm 0x%X, model 0x%X", target, t.value, mv);
        r->succeeded[o->kind] += !fault;
        return compare_query(r, target);
    }
    case K_MAPIO: { /* CEDDK's pattern: reserve, VirtualCopy(PAGE_PHYSICAL), release on failure */
        uint32_t pa = ((o->type & 1) ? 0x48000000u : 0x7F008000u) + (o->value & 0xFFF);
        size &= 0x1FFF;
        PHYSICAL_ADDRESS ppa;
        ppa.QuadPart = pa;
        p = MmMapIoSpace(ppa, size, (BOOLEAN)(o->type & 2 ? 1 : 0));
        got = ce(p);
        uint32_t len = size + (pa & 0xFFF), copy_err;
        want = model_alloc(r->m, 0, len, 0x2000, 0x01, &merr);
        if (want) {
            if (model_copy(r->m, want, (pa & ~0xFFFu) >> 8, len,
                           0x400 | 0x04 | (o->type & 2 ? 0 : 0x200), &copy_err)) {
                set_take(r->stale, want);
                set_put(r->live, want);
                want += pa & 0xFFF;
            } else {
                model_free(r->m, want, 0, 0x8000, &merr);
                merr = copy_err;
                want = 0;
            }
        }
        break;
    }
    case K_UNMAPIO: {
        uint32_t base = target & ~0xFFFu;
        int live = set_take(r->live, base), stale = !live && set_take(r->stale, base);
        MmUnmapIoSpace(cevm_host_ptr(target), size);
        merr = 0;
        if (stale)
            set_put(r->stale, base);
        else
            model_free(r->m, base, 0, 0x8000, &merr);
        if (live)
            set_put(r->stale, base);
        r->succeeded[K_UNMAPIO] += merr == 0;
        return compare_query(r, target);
    }
    case K_ALLOCPHYS: {
        ULONG pa = 0;
        uint32_t mask = (o->type & 4) ? 0xFFFF : 0, flags = (o->type & 0x70) == 0 ? 1 : 0;
        size &= 0x7FFF;
        p = AllocPhysMem(size, o->prot, mask, flags, &pa);
        got = ce(p);
        if (p && (pa & mask))
            return diverge(r, "AllocPhysMem: PA 0x%X breaks the mask 0x%X", pa, mask);
        /* Model: the checks, then a new reservation committed uncached. */
        uint32_t shown_ok = model_alloc(r->m, 0x0, size ? size : 1, 0x1000, o->prot | 0x200,
                                        &merr); /* a NULL commit validates size and protection */
        if (shown_ok)
            model_free(r->m, shown_ok, 0, 0x8000, &cerr);
        if (size == 0 || flags || merr) {
            want = 0;
            merr = 87;
        } else {
            want = model_alloc(r->m, 0, size, 0x2000, 0x01, &merr);
            if (want && !model_alloc(r->m, want, size, 0x1000, o->prot | 0x200, &merr))
                want = 0;
            if (want && r->m->version == 5) /* CE 5 locks the contiguous pages (spec §10) */
                model_lock_blocks(r->m, want, size);
        }
        break;
    }
    case K_FREEPHYS:
        got = FreePhysMem(cevm_host_ptr(target));
        want = model_free(r->m, target, 0, 0x8000 | MODEL_FREE_FORCE, &merr);
        break;
    case K_LOCK: {
        DWORD pfn[32];
        size &= 0x7FFF;
        got = LockPages(cevm_host_ptr(target), size, pfn, (int)(o->type & 7));
        want = model_lock(r->m, target, size, o->type & 7, &merr);
        if (got && want) { /* UnlockPages often repeats it (CE 6 wants the exact range) */
            r->locked_at = target;
            r->locked_size = size;
        }
        break;
    }
    case K_UNLOCK:
        if ((o->type & 3) != 0 && r->locked_size) {
            target = r->locked_at;
            size = r->locked_size;
        }
        size &= 0x7FFF;
        got = UnlockPages(cevm_host_ptr(target), size);
        want = model_unlock(r->m, target, size, &merr);
        break;
    default: { /* bad arguments: wild sizes, unknown bits, foreign addresses */
        uint32_t a = (o->type & 1) ? o->value : target;
        uint32_t type = 0x1000u << (o->type % 6);
        p = VirtualAlloc(a && a < 0x80000000u ? cevm_host_ptr(a) : (LPVOID)(uintptr_t)a, o->value,
                         type | (o->type & 0x80000000u), o->prot | (o->type & 0x800));
        want = model_alloc(r->m, a, o->value, type | (o->type & 0x80000000u),
                           o->prot | (o->type & 0x800), &merr);
        got = ce(p);
        break;
    }
    }
    cerr = GetLastError();
    if (got != want || (!got && cerr != merr))
        return diverge(r,
                       "%s at 0x%08X size 0x%X prot 0x%X: cevm 0x%X (error %u), model 0x%X "
                       "(error %u)",
                       kind_name[o->kind], target, size, o->prot, got, cerr, want, merr);
    if (got)
        r->succeeded[o->kind]++;
    if (p && got)
        r->slot[o->slot2] = got;
    return compare_query(r, target) || compare_query(r, target + 0x1000) ||
           compare_query(r, target & ~0xFFFFu);
}

/* Run ops on a fresh machine. Return: index of the diverging op, or -1. */
static int run_ops(struct run *r, const struct op *ops, int n)
{
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (cevm_boot(&cfg, NULL, 0) != CEVM_OK) {
        fprintf(stderr, "boot failed\n");
        exit(2);
    }
    cevm_set_unimplemented_log(0);
    model_reset(r->m, r->version);
    memset(r->live, 0, sizeof r->live);
    r->locked_at = r->locked_size = 0;
    memset(r->stale, 0, sizeof r->stale);
    for (int i = 0; i < SLOTS; i++)
        r->slot[i] = 0x10000u * (uint32_t)(i + 1);
    int bad = -1;
    for (int i = 0; i < n && bad < 0; i++) {
        if (step(r, &ops[i]) || (i % 50 == 49 && compare_slot(r)))
            bad = i;
    }
    char err[256];
    if (bad < 0 && cevm_check_invariants(err, sizeof err) != CEVM_OK) {
        diverge(r, "invariant broken: %s", err);
        bad = n - 1;
    }
    cevm_shutdown();
    return bad;
}

static void print_op(const struct op *o)
{
    fprintf(stderr, "  %-28s slot %u/%u off 0x%X size 0x%X prot 0x%X type 0x%X value 0x%X\n",
            kind_name[o->kind], o->slot, o->slot2, o->off, o->size, o->prot, o->type, o->value);
}

int main(int argc, char **argv)
{
    long sequences = argc > 1 ? atol(argv[1]) : 200;
    uint64_t first = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
    int calls = argc > 3 ? atoi(argv[3]) : 200;
    if (calls < 1 || calls > MAX_OPS)
        calls = 200;
    static struct op ops[MAX_OPS], trial[MAX_OPS];
    struct run r;
    memset(&r, 0, sizeof r);
    r.m = calloc(1, sizeof *r.m);
    if (!r.m)
        return 2;
    const char *prof = getenv("CEVM_PROFILE");
    r.version = prof && !strcmp(prof, "ce6") ? 6 : prof && !strcmp(prof, "ce7") ? 7 : 5;
    for (long s = 0; s < sequences; s++) {
        uint64_t seed = first + (uint64_t)s;
        generate(seed, ops, calls);
        int bad = run_ops(&r, ops, calls);
        if (bad < 0)
            continue;
        fprintf(stderr, "divergence: seed %llu, call %d: %s\n", (unsigned long long)seed, bad,
                r.why);
        /* Shrink: drop calls while the sequence still diverges. */
        int n = bad + 1;
        memcpy(trial, ops, sizeof ops[0] * (size_t)n);
        for (int i = n - 1; i >= 0; i--) {
            struct op keep[MAX_OPS];
            memcpy(keep, trial, sizeof trial[0] * (size_t)n);
            memmove(&trial[i], &trial[i + 1], sizeof trial[0] * (size_t)(n - i - 1));
            int b = run_ops(&r, trial, n - 1);
            if (b >= 0)
                n = b + 1;
            else
                memcpy(trial, keep, sizeof trial[0] * (size_t)n);
        }
        run_ops(&r, trial, n);
        fprintf(stderr, "shrunk to %d calls (reproduce: prop_vm 1 %llu %d): %s\n", n,
                (unsigned long long)seed, calls, r.why);
        for (int i = 0; i < n; i++)
            print_op(&trial[i]);
        return 1;
    }
    long total = 0;
    for (int k = 0; k < K_COUNT; k++)
        total += r.counts[k];
    printf("model-based test (ce%d): %ld sequences of %d calls (seeds %llu..%llu), %ld calls, no "
           "divergence\n",
           r.version, sequences, calls, (unsigned long long)first,
           (unsigned long long)(first + (uint64_t)sequences - 1), total);
    for (int k = 0; k < K_COUNT; k++)
        printf("  %-28s %8ld calls, %8ld succeeded\n", kind_name[k], r.counts[k], r.succeeded[k]);
    free(r.m->value);
    free(r.m);
    return 0;
}
