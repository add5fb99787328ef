/*
 * test_threads.c — CE calls from several threads at once: private reservations, commits,
 * writes, protection changes, queries, faults caught with cevm_try and releases, interleaved.
 * Every result is checked, and at the end the RAM counters are back where they started.
 * (The ThreadSanitizer stress test with the invariant checker is a later, larger test.)
 */
#include <pthread.h>

#include "cetest.h"

#include <pkfuncs.h>

#define THREADS 4
#define ROUNDS  1500

struct worker {
    int id;
    int failures;
};

/* Deliberate read of an inaccessible page (named as in tests/valgrind.supp). */
static void touch(void *ctx)
{
    (void)*(volatile DWORD *)ctx;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < ROUNDS; i++) {
        BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
        if (!p) {
            w->failures++;
            continue;
        }
        BYTE *c = VirtualAlloc(p + 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE);
        if (c != p + 0x1000 || *(DWORD *)c != 0)
            w->failures++;
        *(DWORD *)c = (DWORD)(w->id << 16 | i);
        DWORD old = 0;
        if (!VirtualProtect(c, 0x1000, PAGE_READONLY, &old) || old != PAGE_READWRITE)
            w->failures++;
        MEMORY_BASIC_INFORMATION m;
        if (VirtualQuery(c, &m, sizeof m) != sizeof m || m.State != MEM_COMMIT ||
            m.Protect != PAGE_READONLY || m.AllocationBase != p)
            w->failures++;
        if (*(DWORD *)c != (DWORD)(w->id << 16 | i))
            w->failures++;
        cevm_exception e;
        if (i % 16 == 0 && (cevm_try(touch, p, &e) != 1 || e.info[1] != CEA(p)))
            w->failures++;
        if (!VirtualFree(c, 0x1000, MEM_DECOMMIT) || !VirtualFree(p, 0, MEM_RELEASE))
            w->failures++;
    }
    return NULL;
}

static void concurrent_calls_stay_exact(void **state)
{
    (void)state;
    uint32_t free0, free1;
    cevm_ram_pages(NULL, &free0);
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i].id = i + 1;
        w[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    cevm_ram_pages(NULL, &free1);
    assert_int_equal(free1, free0);
    MEMORY_BASIC_INFORMATION m;
    VirtualQuery(PTR(0x10000), &m, sizeof m);
    assert_int_equal(m.State, MEM_FREE);
    assert_int_equal(m.RegionSize, 0x2000000 - 0x10000);
}

static void *other_thread_errors(void *arg)
{
    DWORD *seen = arg;
    seen[0] = GetLastError(); /* a new thread starts with 0 */
    SetLastError(5);
    VirtualAlloc(NULL, 0, MEM_RESERVE, PAGE_NOACCESS);
    seen[1] = GetLastError();
    return NULL;
}

static void last_error_is_per_thread(void **state)
{
    (void)state;
    SetLastError(77);
    DWORD seen[2] = {0xFFFF, 0xFFFF};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread_errors, seen), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(seen[0], 0);
    assert_int_equal(seen[1], 87);
    assert_int_equal(GetLastError(), 77);
}

/* ---- 8 threads, shared and private reservations, phases checked by the invariant checker --- */

#define STRESS_THREADS 8
#define STRESS_PHASES  4
#define STRESS_OPS     400

static BYTE *g_shared;            /* 64 pages every thread commits, decommits and copies from */
static pthread_barrier_t g_phase; /* all threads + the checker */
static int g_stress_failures;
static pthread_mutex_t g_fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void stress_fail(const char *what, DWORD err)
{
    pthread_mutex_lock(&g_fail_lock);
    if (g_stress_failures++ < 10)
        fprintf(stderr, "stress: %s (error %u)\n", what, err);
    pthread_mutex_unlock(&g_fail_lock);
}

static void *stress_worker(void *arg)
{
    unsigned x = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    for (int phase = 0; phase < STRESS_PHASES; phase++) {
        BYTE *mine = VirtualAlloc(NULL, 0x8000, MEM_RESERVE, PAGE_NOACCESS);
        BYTE *alias = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
        if (!mine || !alias)
            stress_fail("reserve", GetLastError());
        for (int op = 0; op < STRESS_OPS && mine && alias; op++) {
            x = x * 1103515245u + 12345u;
            uint32_t page = (x >> 8) % 64, r = (x >> 16) % 8;
            BYTE *sp = g_shared + page * 0x1000;
            DWORD old;
            MEMORY_BASIC_INFORMATION m;
            switch (r) {
            case 0: /* shared: commit (already committed is fine) */
                if (VirtualAlloc(sp, 0x1000, MEM_COMMIT, PAGE_READWRITE) != sp)
                    stress_fail("shared commit", GetLastError());
                break;
            case 1: /* shared: decommit */
                if (!VirtualFree(sp, 0x1000, MEM_DECOMMIT))
                    stress_fail("shared decommit", GetLastError());
                break;
            case 2: /* shared: query sees one of two states */
                if (VirtualQuery(sp, &m, sizeof m) != sizeof m ||
                    (m.State != MEM_COMMIT && m.State != MEM_RESERVE) ||
                    m.AllocationBase != g_shared)
                    stress_fail("shared query", GetLastError());
                break;
            case 3: { /* shared: copy a page (its source may have just been decommitted) */
                BYTE *dst = alias + (page % 16) * 0x1000;
                BOOL ok = VirtualCopy(dst, sp, 0x1000, PAGE_READWRITE);
                if (!ok && GetLastError() != ERROR_INVALID_PARAMETER)
                    stress_fail("shared copy", GetLastError());
                if (ok && !VirtualFree(dst, 0x1000, MEM_DECOMMIT))
                    stress_fail("alias decommit", GetLastError());
                break;
            }
            case 4: /* private: commit, write, check */
                if (VirtualAlloc(mine + (page % 8) * 0x1000, 0x1000, MEM_COMMIT, PAGE_READWRITE)) {
                    *(volatile DWORD *)(mine + (page % 8) * 0x1000) = x;
                    if (*(volatile DWORD *)(mine + (page % 8) * 0x1000) != x)
                        stress_fail("private data", 0);
                } else {
                    stress_fail("private commit", GetLastError());
                }
                break;
            case 5: /* private: protect (fails only on an uncommitted page) */
                if (!VirtualProtect(mine + (page % 8) * 0x1000, 0x1000, PAGE_READONLY, &old) &&
                    GetLastError() != ERROR_INVALID_PARAMETER)
                    stress_fail("private protect", GetLastError());
                break;
            case 6:
                if (!VirtualFree(mine + (page % 8) * 0x1000, 0x1000, MEM_DECOMMIT))
                    stress_fail("private decommit", GetLastError());
                break;
            default: { /* whole reserve/commit/release cycles */
                BYTE *t = VirtualAlloc(NULL, 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
                if (!t || !VirtualFree(t, 0, MEM_RELEASE))
                    stress_fail("cycle", GetLastError());
            }
            }
        }
        VirtualFree(alias, 0x10000, MEM_DECOMMIT);
        if (!VirtualFree(alias, 0, MEM_RELEASE))
            stress_fail("alias release", GetLastError());
        VirtualFree(mine, 0x8000, MEM_DECOMMIT);
        if (!VirtualFree(mine, 0, MEM_RELEASE))
            stress_fail("private release", GetLastError());
        pthread_barrier_wait(&g_phase); /* phase done */
        pthread_barrier_wait(&g_phase); /* checked */
    }
    return NULL;
}

static void stress_eight_threads_shared_and_private(void **state)
{
    (void)state;
    uint32_t free0, free1;
    cevm_ram_pages(NULL, &free0);
    g_shared = VirtualAlloc(NULL, 64 * 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(g_shared);
    g_stress_failures = 0;
    assert_int_equal(pthread_barrier_init(&g_phase, NULL, STRESS_THREADS + 1), 0);
    pthread_t t[STRESS_THREADS];
    for (int i = 0; i < STRESS_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, stress_worker, (void *)(uintptr_t)i), 0);
    for (int phase = 0; phase < STRESS_PHASES; phase++) {
        pthread_barrier_wait(&g_phase);
        char msg[256];
        cevm_status st = cevm_check_invariants(msg, sizeof msg);
        if (st != CEVM_OK)
            fprintf(stderr, "phase %d: %s\n", phase, msg);
        assert_int_equal(st, CEVM_OK);
        pthread_barrier_wait(&g_phase);
    }
    for (int i = 0; i < STRESS_THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    pthread_barrier_destroy(&g_phase);
    assert_int_equal(g_stress_failures, 0);
    assert_true(VirtualFree(g_shared, 64 * 0x1000, MEM_DECOMMIT));
    assert_true(VirtualFree(g_shared, 0, MEM_RELEASE));
    cevm_ram_pages(NULL, &free1);
    assert_int_equal(free1, free0);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(stress_eight_threads_shared_and_private),
    CE_TEST(concurrent_calls_stay_exact),
    CE_TEST(last_error_is_per_thread),
};

CETEST_MAIN(tests)
