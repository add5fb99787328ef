/*
 * test_faultinject.c — the fault-injection sweep: a scenario of CE calls is run once for every
 * N, with the N-th fault point (a memory system call or an allocation) made to fail. The call that
 * meets the failure must fail with ERROR_NOT_ENOUGH_MEMORY (8) or ERROR_OUTOFMEMORY (14), leave the
 * address space and the RAM counters as they were, and leave the page tables, frame table and host
 * window consistent (cevm_check_invariants); the ASan run checks nothing leaks. The sweep ends when
 * a run no longer reaches N host calls.
 */
#include "cetest.h"

#include <ceddk.h>
#include <pkfuncs.h>

struct scenario {
    BYTE *p, *q, *auto_r, *io, *dma;
    ULONG pa;
};

/* Step i of the scenario. Return: 1 ok, 0 failed (GetLastError set), -1 no more steps. */
static int step(struct scenario *s, int i)
{
    DWORD old;
    PHYSICAL_ADDRESS gpio = {0x7F008000, 0};
    switch (i) {
    case 0:
        return (s->p = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS)) != NULL;
    case 1:
        return VirtualAlloc(s->p, 0x3000, MEM_COMMIT, PAGE_READWRITE) != NULL;
    case 2:
        s->p[0x10] = 1;
        s->p[0x2010] = 3;
        return 1;
    case 3:
        return VirtualProtect(s->p + 0x1000, 0x1000, PAGE_READONLY, &old);
    case 4:
        return (s->q = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS)) != NULL;
    case 5:
        return VirtualCopy(s->q, s->p, 0x3000, PAGE_READWRITE);
    case 6:
        return (s->io = MmMapIoSpace(gpio, 0x1000, FALSE)) != NULL;
    case 7:
        return (s->dma = AllocPhysMem(0x3000, PAGE_READWRITE, 0xFFFF, 0, &s->pa)) != NULL;
    case 8:
        return VirtualSetAttributes(s->p, 0x1000, 0, 0xC, &old);
    case 9:
        return (s->auto_r = VirtualAlloc(NULL, 0x2000, MEM_RESERVE | MEM_AUTO_COMMIT,
                                         PAGE_READWRITE)) != NULL;
    case 10:
        return LockPages(s->auto_r, 0x2000, NULL, LOCKFLAG_WRITE);
    case 11:
        return UnlockPages(s->auto_r, 0x2000);
    case 12:
        return VirtualProtect(s->p, 0x3000, PAGE_READWRITE | PAGE_GUARD, &old);
    case 13:
        return VirtualFree(s->p, 0x2000, MEM_DECOMMIT);
    case 14:
        return VirtualFree(s->q, 0, MEM_RELEASE);
    case 15:
        return FreePhysMem(s->dma);
    case 16:
        MmUnmapIoSpace(s->io, 0x1000);
        return 1;
    case 17:
        return VirtualAlloc(s->p, 0x10000, MEM_COMMIT, PAGE_READWRITE) != NULL;
    case 18:
        return VirtualFree(s->p, 0x10000, MEM_DECOMMIT);
    case 19:
        return VirtualFree(s->p, 0, MEM_RELEASE);
    default:
        return -1;
    }
}

/* Run the scenario; with fail_at, until the injected failure. *failed_step is the step that
 * failed, *survived_step the step whose host calls included the failure yet succeeded.
 * Return: the failing step or -1. */
static int run_scenario(uint64_t fail_at, int *failed_step, int *survived_step)
{
    struct scenario s;
    memset(&s, 0, sizeof s);
    *failed_step = *survived_step = -1;
    uint64_t base = cevm_fault_points();
    cevm_fail_host_call(fail_at);
    for (int i = 0;; i++) {
        struct snapshot *before = snapshot_take();
        SetLastError(0);
        uint64_t made = cevm_fault_points() - base;
        int r = step(&s, i);
        if (r == 1 && fail_at > made && fail_at <= cevm_fault_points() - base)
            *survived_step = i;
        if (r < 0) {
            free(before);
            break;
        }
        if (r == 0) {
            cevm_fail_host_call(0);
            DWORD err = GetLastError();
            if (err != 8 && err != 14)
                fail_msg("step %d failed with %u under injection %llu", i, err,
                         (unsigned long long)fail_at);
            snapshot_same(before);
            char msg[256];
            if (cevm_check_invariants(msg, sizeof msg) != CEVM_OK)
                fail_msg("step %d, injection %llu: %s", i, (unsigned long long)fail_at, msg);
            *failed_step = i;
            return i;
        }
        free(before);
    }
    cevm_fail_host_call(0);
    return -1;
}

static void sweep_every_host_call(void **state)
{
    (void)state;
    /* A clean run first: how many host calls does the scenario make? */
    uint64_t c0 = cevm_fault_points();
    int failed, survived;
    assert_int_equal(run_scenario(0, &failed, &survived), -1);
    uint64_t calls = cevm_fault_points() - c0;
    assert_true(calls > 20);
    int hit = 0;
    for (uint64_t n = 1; n <= calls; n++) {
        cevm_shutdown();
        assert_int_equal(cevm_boot(NULL, NULL, 0), CEVM_OK);
        assert_int_equal(cevm_install_fault_handler(), CEVM_OK);
        run_scenario(n, &failed, &survived);
        hit += failed >= 0;
        /* Only MmUnmapIoSpace may meet a refusal and go on: it returns VOID, so a refused
         * release leaves the mapping in place (consistent, as the checks below show). */
        if (failed < 0 && survived != 16)
            fail_msg("injection %llu was not reported by any CE call (step %d)",
                     (unsigned long long)n, survived);
        char msg[256];
        if (cevm_check_invariants(msg, sizeof msg) != CEVM_OK)
            fail_msg("after injection %llu: %s", (unsigned long long)n, msg);
    }
    printf("fault injection: %llu fault points swept, %d CE calls failed cleanly\n",
           (unsigned long long)calls, hit);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(sweep_every_host_call),
};

CETEST_MAIN(tests)
