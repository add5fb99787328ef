/*
 * test_objects.c — CE kernel objects beyond events and threads: names (one name space per
 * type, ERROR_ALREADY_EXISTS), mutexes, semaphores, WaitForMultipleObjects, PulseEvent and
 * event data, and message queues with their documented errors (spec driver-runtime §1.7-1.8).
 */
#include "cetest.h"

#include <msgqueue.h>
#include <stdatomic.h>

static void names_are_per_type_and_reopen_with_183(void **state)
{
    (void)state;
    HANDLE e1 = CreateEvent(NULL, TRUE, FALSE, L"Shared");
    assert_non_null(e1);
    assert_int_equal(GetLastError(), 0);
    HANDLE e2 = CreateEvent(NULL, FALSE, TRUE, L"Shared");
    assert_ptr_equal(e2, e1);
    assert_int_equal(GetLastError(), ERROR_ALREADY_EXISTS);
    /* the second call's arguments were ignored: still manual-reset, not signalled */
    assert_int_equal(WaitForSingleObject(e2, 0), WAIT_TIMEOUT);
    HANDLE m = CreateMutex(NULL, FALSE, L"Shared"); /* another type: another name space */
    assert_non_null(m);
    assert_int_equal(GetLastError(), 0);
    SetLastError(0);
    assert_null(CreateEvent(NULL, FALSE, FALSE, L"a\\b"));
    assert_int_equal(GetLastError(), ERROR_INVALID_NAME);
    assert_null(CreateEvent((LPSECURITY_ATTRIBUTES)1, FALSE, FALSE, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_true(CloseHandle(e2));
    assert_true(CloseHandle(e1));
    assert_true(CloseHandle(m));
    assert_false(CloseHandle(e1));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

static HANDLE g_m;
static DWORD g_release_error;

static DWORD WINAPI release_foreign(LPVOID arg)
{
    (void)arg;
    g_release_error = ReleaseMutex(g_m) ? 0 : GetLastError();
    return 0;
}

static void mutexes_are_recursive_and_owned(void **state)
{
    (void)state;
    g_m = CreateMutex(NULL, TRUE, NULL);
    assert_non_null(g_m);
    assert_int_equal(WaitForSingleObject(g_m, 0), WAIT_OBJECT_0); /* recursive */
    HANDLE t = CreateThread(NULL, 0, release_foreign, NULL, 0, NULL);
    assert_int_equal(WaitForSingleObject(t, 5000), WAIT_OBJECT_0);
    assert_int_equal(g_release_error, ERROR_NOT_OWNER);
    assert_true(ReleaseMutex(g_m));
    assert_true(ReleaseMutex(g_m));
    assert_false(ReleaseMutex(g_m));
    assert_int_equal(GetLastError(), ERROR_NOT_OWNER);
    CloseHandle(t);
    CloseHandle(g_m);
}

static void semaphores_count_and_refuse_overflow(void **state)
{
    (void)state;
    assert_null(CreateSemaphore(NULL, 2, 1, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_null(CreateSemaphore(NULL, 0, 0, NULL));
    HANDLE s = CreateSemaphore(NULL, 1, 2, NULL);
    assert_non_null(s);
    assert_int_equal(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
    LONG prev = -1;
    assert_true(ReleaseSemaphore(s, 2, &prev));
    assert_int_equal(prev, 0);
    assert_false(ReleaseSemaphore(s, 1, &prev));
    assert_int_equal(GetLastError(), ERROR_TOO_MANY_POSTS);
    assert_int_equal(prev, 0); /* unchanged */
    assert_int_equal(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(s, 0), WAIT_TIMEOUT);
    CloseHandle(s);
}

static void wait_for_multiple_returns_the_lowest_and_refuses_wait_all(void **state)
{
    (void)state;
    HANDLE h[3] = {CreateEvent(NULL, FALSE, FALSE, NULL), CreateEvent(NULL, TRUE, TRUE, NULL),
                   CreateEvent(NULL, FALSE, TRUE, NULL)};
    assert_int_equal(WaitForMultipleObjects(3, h, FALSE, 0), WAIT_OBJECT_0 + 1);
    assert_int_equal(WaitForMultipleObjects(3, h, TRUE, 0), WAIT_FAILED);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_int_equal(WaitForMultipleObjects(65, h, FALSE, 0), WAIT_FAILED);
    assert_int_equal(WaitForMultipleObjects(0, h, FALSE, 0), WAIT_FAILED);
    ResetEvent(h[1]);
    assert_int_equal(WaitForMultipleObjects(3, h, FALSE, 0), WAIT_OBJECT_0 + 2);
    assert_int_equal(WaitForMultipleObjects(3, h, FALSE, 20),
                     WAIT_TIMEOUT); /* auto-reset took it */
    HANDLE bad[2] = {h[0], (HANDLE)0x1234};
    assert_int_equal(WaitForMultipleObjects(2, bad, FALSE, 0), WAIT_FAILED);
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_true(SetEventData(h[0], 0xABCD));
    assert_int_equal(GetEventData(h[0]), 0xABCD);
    for (int i = 0; i < 3; i++)
        CloseHandle(h[i]);
}

static HANDLE g_pulse;
static _Atomic DWORD g_pulse_result = 0xFFFF; /* polled by the main thread */

static DWORD WINAPI wait_pulse(LPVOID arg)
{
    (void)arg;
    g_pulse_result = WaitForSingleObject(g_pulse, 5000);
    return 0;
}

static void pulse_releases_a_waiter_and_leaves_the_event_reset(void **state)
{
    (void)state;
    g_pulse = CreateEvent(NULL, TRUE, FALSE, NULL);
    assert_true(PulseEvent(g_pulse)); /* no waiter: nothing to release */
    assert_int_equal(WaitForSingleObject(g_pulse, 0), WAIT_TIMEOUT);
    HANDLE t = CreateThread(NULL, 0, wait_pulse, NULL, 0, NULL);
    for (int i = 0; i < 200 && g_pulse_result == 0xFFFF; i++) {
        Sleep(5);
        PulseEvent(g_pulse);
    }
    assert_int_equal(WaitForSingleObject(t, 5000), WAIT_OBJECT_0);
    assert_int_equal(g_pulse_result, WAIT_OBJECT_0);
    assert_int_equal(WaitForSingleObject(g_pulse, 0), WAIT_TIMEOUT);
    CloseHandle(t);
    CloseHandle(g_pulse);
}

static void message_queues_queue_in_order_with_ce_errors(void **state)
{
    (void)state;
    MSGQUEUEOPTIONS o = {sizeof o, 0, 2, 8, TRUE};
    assert_int_equal(sizeof o, 20);
    assert_int_equal(sizeof(MSGQUEUEINFO), 28);
    HANDLE r = CreateMsgQueue(L"Q1", &o);
    assert_non_null(r);
    o.bReadAccess = FALSE;
    HANDLE w = CreateMsgQueue(L"Q1", &o);
    assert_non_null(w);
    assert_int_equal(GetLastError(), ERROR_ALREADY_EXISTS);
    DWORD got = 0, flags = 9;
    char buf[16];
    /* empty: a timeout of 0 does not block */
    assert_false(ReadMsgQueue(r, buf, sizeof buf, &got, 0, &flags));
    assert_int_equal(GetLastError(), ERROR_TIMEOUT);
    assert_true(WriteMsgQueue(w, "one", 4, 0, 0));
    assert_true(WriteMsgQueue(w, "two", 4, 0, 0));
    assert_false(WriteMsgQueue(w, "three", 6, 0, 0)); /* full (2 messages) */
    assert_int_equal(GetLastError(), ERROR_TIMEOUT);
    assert_false(WriteMsgQueue(w, "123456789", 9, 0, 0));
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    HANDLE both[2] = {w, r};
    assert_int_equal(WaitForMultipleObjects(2, both, FALSE, 0), WAIT_OBJECT_0 + 1);
    assert_true(ReadMsgQueue(r, buf, sizeof buf, &got, 0, &flags));
    assert_int_equal(got, 4);
    assert_string_equal(buf, "one");
    assert_int_equal(flags, 0);
    /* a short buffer: FALSE/122 after copying what fits */
    memset(buf, 0, sizeof buf);
    assert_false(ReadMsgQueue(r, buf, 2, &got, 0, &flags));
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(got, 2);
    assert_memory_equal(buf, "tw", 2);
    /* an alert jumps the queue */
    assert_true(WriteMsgQueue(w, "a", 2, 0, 0));
    assert_true(WriteMsgQueue(w, "!", 2, 0, MSGQUEUE_MSGALERT));
    assert_true(ReadMsgQueue(r, buf, sizeof buf, &got, 0, &flags));
    assert_string_equal(buf, "!");
    assert_int_equal(flags, MSGQUEUE_MSGALERT);
    MSGQUEUEINFO info;
    memset(&info, 0, sizeof info);
    info.dwSize = sizeof info;
    assert_true(GetMsgQueueInfo(r, &info));
    assert_int_equal(info.dwCurrentMessages, 1);
    assert_int_equal(info.dwMaxQueueMessages, 2); /* "one" and "two" were queued together */
    assert_int_equal(info.wNumReaders, 1);
    assert_int_equal(info.wNumWriters, 1);
    assert_false(ReadMsgQueue(r, NULL, 4, &got, 0, &flags));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_false(ReadMsgQueue(w, buf, sizeof buf, &got, 0, &flags));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    /* the writer leaves: the message still queued is read, then the pipe is broken */
    assert_true(CloseMsgQueue(w));
    assert_true(ReadMsgQueue(r, buf, sizeof buf, &got, 0, &flags));
    assert_string_equal(buf, "a");
    assert_false(ReadMsgQueue(r, buf, sizeof buf, &got, INFINITE, &flags));
    assert_int_equal(GetLastError(), ERROR_PIPE_NOT_CONNECTED);
    assert_true(CloseMsgQueue(r));
    assert_null(CreateMsgQueue(NULL, NULL));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

static HANDLE g_qw;

static DWORD WINAPI write_later(LPVOID arg)
{
    (void)arg;
    Sleep(30);
    WriteMsgQueue(g_qw, "late", 5, INFINITE, 0);
    return 0;
}

static void a_reader_blocks_until_a_message_arrives(void **state)
{
    (void)state;
    MSGQUEUEOPTIONS o = {sizeof o, 0, 0, 16, TRUE};
    HANDLE r = CreateMsgQueue(NULL, &o);
    o.bReadAccess = FALSE;
    g_qw = OpenMsgQueue(GetCurrentProcess(), r, &o);
    assert_non_null(g_qw);
    HANDLE t = CreateThread(NULL, 0, write_later, NULL, 0, NULL);
    char buf[16];
    DWORD got = 0, flags;
    assert_true(ReadMsgQueue(r, buf, sizeof buf, &got, 5000, &flags));
    assert_string_equal(buf, "late");
    WaitForSingleObject(t, 5000);
    CloseHandle(t);
    CloseMsgQueue(g_qw);
    CloseMsgQueue(r);
}

static DWORD WINAPI idle_thread(LPVOID arg)
{
    WaitForSingleObject((HANDLE)arg, 5000);
    return 0;
}

static void thread_priorities_and_the_performance_counter(void **state)
{
    (void)state;
    assert_int_equal(CeGetThreadPriority(GetCurrentThread()), 251);
    assert_int_equal(GetThreadPriority(GetCurrentThread()), THREAD_PRIORITY_NORMAL);
    HANDLE stop = CreateEvent(NULL, TRUE, FALSE, NULL);
    HANDLE t = CreateThread(NULL, 0, idle_thread, stop, 0, NULL);
    assert_true(CeSetThreadPriority(t, 100));
    assert_int_equal(CeGetThreadPriority(t), 100);
    assert_false(CeSetThreadPriority(t, 256));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_true(SetThreadPriority(t, THREAD_PRIORITY_HIGHEST));
    assert_int_equal(CeGetThreadPriority(t), 249);
    assert_false(CeSetThreadPriority((HANDLE)0x1234, 10));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_int_equal(CeGetThreadPriority((HANDLE)0x1234), THREAD_PRIORITY_ERROR_RETURN);
    SetEvent(stop);
    WaitForSingleObject(t, 5000);
    CloseHandle(t);
    CloseHandle(stop);
    LARGE_INTEGER f, a, b;
    assert_true(QueryPerformanceFrequency(&f));
    assert_int_equal(f.QuadPart, 1000);
    assert_true(QueryPerformanceCounter(&a));
    Sleep(20);
    assert_true(QueryPerformanceCounter(&b));
    assert_true(b.QuadPart - a.QuadPart >= 19);
}

static void heaps_hold_blocks_and_respect_their_limit(void **state)
{
    (void)state;
    BYTE *p = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 100);
    assert_non_null(p);
    assert_int_equal(p[99], 0);
    assert_int_equal(HeapSize(GetProcessHeap(), 0, p), 100);
    p = HeapReAlloc(GetProcessHeap(), 0, p, 200);
    assert_non_null(p);
    assert_true(HeapFree(GetProcessHeap(), 0, p));
    HANDLE h = HeapCreate(0, 0x1000, 0x2000);
    assert_non_null(h);
    BYTE *a = HeapAlloc(h, 0, 0x1000);
    assert_non_null(a);
    /* a CE address: fits a DWORD (user space on CE 5, kernel VM for a CE 6 kernel-mode caller) */
    assert_true(CE5 ? CEA(a) < 0x80000000u : IN_KERNEL_VM(CEA(a)));
    SetLastError(1234);
    assert_null(HeapAlloc(h, 0, 0x1001));             /* past the 0x2000 limit */
    assert_int_equal(GetLastError(), CE5 ? 1234 : 8); /* CE 5: unchanged; CE 6: 8 */
    BYTE *b = HeapAlloc(h, HEAP_ZERO_MEMORY, 0x800);
    assert_non_null(b);
    assert_false(HeapFree(h, 0, (BYTE *)b + 16));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_true(HeapFree(h, 0, b));
    assert_null(HeapReAlloc(h, 0, a, 0x3000)); /* would pass the limit */
    assert_true(HeapDestroy(h));               /* frees a too */
    assert_false(HeapDestroy(h));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_null(HeapCreate(0, 0x3000, 0x2000));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
}

static void tick_count_starts_at_the_program_start(void **state)
{
    (void)state;
    /* Counted from the program's start, not the host's: a test process is seconds old. */
    assert_true(GetTickCount() < 600000u);
}

static _Atomic int g_started;

static DWORD WINAPI counts_start(LPVOID arg)
{
    (void)arg;
    g_started = 1;
    return 7;
}

static DWORD WINAPI exits_early(LPVOID arg)
{
    (void)arg;
    __try {
        ExitThread(42);
    } __finally {
        g_started = 99; /* ExitThread skips __finally blocks, as on CE */
    }
    return 1;
}

static void threads_start_suspended_have_ids_and_exit(void **state)
{
    (void)state;
    g_started = 0;
    DWORD tid = 0;
    HANDLE t = CreateThread(NULL, 0, counts_start, NULL, CREATE_SUSPENDED, &tid);
    assert_non_null(t);
    assert_true(tid != 0);
    assert_true(tid != GetCurrentThreadId());
    assert_int_equal(WaitForSingleObject(t, 50), WAIT_TIMEOUT);
    assert_int_equal(g_started, 0);        /* still suspended */
    assert_int_equal(SuspendThread(t), 1); /* not started: the count goes up */
    assert_int_equal(ResumeThread(t), 2);
    assert_int_equal(ResumeThread(t), 1);
    assert_int_equal(WaitForSingleObject(t, 5000), WAIT_OBJECT_0);
    assert_int_equal(g_started, 1);
    DWORD code = 0;
    assert_true(GetExitCodeThread(t, &code));
    assert_int_equal(code, 7);
    assert_int_equal(ResumeThread(t), 0);
    CloseHandle(t);
    assert_int_equal(ResumeThread((HANDLE)0x1234), 0xFFFFFFFF);
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    t = CreateThread(NULL, 0, exits_early, NULL, 0, NULL);
    assert_int_equal(WaitForSingleObject(t, 5000), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(t, &code));
    assert_int_equal(code, 42);
    assert_int_equal(g_started, 1);
    CloseHandle(t);
}

static void a_bad_output_pointer_never_leaves_the_object_lock_held(void **state)
{
    (void)state;
    HANDLE s = CreateSemaphore(NULL, 0, 5, NULL);
    volatile int faulted = 0;
    __try {
        ReleaseSemaphore(s, 1, cetest_wild()); /* the previous count goes to nowhere */
    } __except (GetExceptionCode() == EXCEPTION_ACCESS_VIOLATION) {
        faulted = 1;
    }
    assert_int_equal(faulted, 1);
    /* Had the write happened with the object lock held, this would never return. */
    assert_int_equal(WaitForSingleObject(s, 0), WAIT_OBJECT_0);
    CloseHandle(s);
}

/* Run by its own ctest entry with CEVM_TICK_START=debug (tests/CMakeLists.txt). */
static void tick_count_debug_start(void **state)
{
    (void)state;
    const char *start = getenv("CEVM_TICK_START");
    if (!start || strcmp(start, "debug"))
        skip(); /* only meaningful under its ctest entry */
    DWORD t = GetTickCount();
    assert_true(t >= 0u - 180000u); /* CE debug builds: 180 s before the wrap */
    assert_true(t < 0u - 120000u);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(thread_priorities_and_the_performance_counter),
    CE_TEST(heaps_hold_blocks_and_respect_their_limit),
    CE_TEST(threads_start_suspended_have_ids_and_exit),
    CE_TEST(a_bad_output_pointer_never_leaves_the_object_lock_held),
    CE_TEST(tick_count_starts_at_the_program_start),
    {"tick_count_debug_start", tick_count_debug_start, NULL, NULL, NULL},
    CE_TEST(names_are_per_type_and_reopen_with_183),
    CE_TEST(mutexes_are_recursive_and_owned),
    CE_TEST(semaphores_count_and_refuse_overflow),
    CE_TEST(wait_for_multiple_returns_the_lowest_and_refuses_wait_all),
    CE_TEST(pulse_releases_a_waiter_and_leaves_the_event_reset),
    CE_TEST(message_queues_queue_in_order_with_ce_errors),
    CE_TEST(a_reader_blocks_until_a_message_arrives),
};

CETEST_MAIN(tests)
