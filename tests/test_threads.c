/*
 * test_threads.c — CE calls from several threads at once: private reservations, commits,
 * writes, protection changes, queries, faults caught with cevm_try and releases, interleaved.
 * Every result is checked, and at the end the RAM counters are back where they started.
 * (The ThreadSanitizer stress test with the invariant checker is a later, larger test.)
 */
#include <pthread.h>

#include "cetest.h"

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

static const struct CMUnitTest tests[] = {
    CE_TEST(concurrent_calls_stay_exact),
    CE_TEST(last_error_is_per_thread),
};

CETEST_MAIN(tests)
