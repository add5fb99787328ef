/*
 * test_seh.c — structured exception handling as CE code writes it (excpt.h): __try/__except
 * with each filter result, __finally on every way out, __leave, nesting across functions,
 * RaiseException with arguments, GetExceptionInformation, the two-pass order, and the reports
 * for a filter that faults, an exception inside __finally, a jump out of a __finally-guarded
 * body and a frame left behind by longjmp.
 *
 * Locals changed inside a __try body or a filter and read after an exception are volatile, as
 * setjmp-based SEH needs (docs/porting.md).
 */
#include "cetest.h"

/* Read through p (a pointer to nothing: cetest_wild(), not NULL, which UBSan would catch
 * before the fault). */
static int read_through(void *p)
{
    return *(int *volatile)p;
}

static void access_violation_reaches_the_filter_with_its_information(void **state)
{
    (void)state;
    volatile DWORD code = 0;
    volatile ULONG_PTR write = 9, addr = 9;
    volatile int handled = 0;
    BYTE *p = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(p);
    __try {
        p[0x20] = 1;
    } __except (code = GetExceptionCode(),
                write = GetExceptionInformation()->ExceptionRecord->ExceptionInformation[0],
                addr = GetExceptionInformation()->ExceptionRecord->ExceptionInformation[1],
                EXCEPTION_EXECUTE_HANDLER) {
        handled = 1;
    }
    assert_int_equal(handled, 1);
    assert_int_equal(code, EXCEPTION_ACCESS_VIOLATION);
    assert_int_equal(write, 1);
    assert_int_equal(addr, CEA(p) + 0x20);
    VirtualFree(p, 0, MEM_RELEASE);
}

static void fault_in_a_called_function_unwinds_to_the_caller(void **state)
{
    (void)state;
    volatile int r = 0;
    __try {
        r = read_through(cetest_wild());
        r = 5;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        r = -1;
    }
    assert_int_equal(r, -1);
    /* A handled exception leaves no frame behind: the next fault still reaches a handler. */
    __try {
        r = read_through(cetest_wild());
    } __except (GetExceptionCode() == EXCEPTION_ACCESS_VIOLATION) {
        r = -2;
    }
    assert_int_equal(r, -2);
}

/* The sparse-array pattern of Microsoft's VirtualAlloc documentation: the filter commits the
 * page that faulted and continues execution. */
static BYTE *g_sparse;
static volatile int g_commits;

static int commit_on_fault(LPEXCEPTION_POINTERS ep)
{
    if (ep->ExceptionRecord->ExceptionCode != EXCEPTION_ACCESS_VIOLATION)
        return EXCEPTION_EXECUTE_HANDLER;
    BYTE *at = PTR(ep->ExceptionRecord->ExceptionInformation[1]);
    if (!VirtualAlloc(at, 1, MEM_COMMIT, PAGE_READWRITE))
        return EXCEPTION_EXECUTE_HANDLER;
    g_commits++;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void continue_execution_retries_the_faulting_instruction(void **state)
{
    (void)state;
    g_sparse = VirtualAlloc(NULL, 16 * 4096, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(g_sparse);
    g_commits = 0;
    volatile int failed = 0;
    DWORD *d = (DWORD *)g_sparse;
    __try {
        for (DWORD i = 0; i < 16 * 1024; i++)
            d[i] = i * 3;
    } __except (commit_on_fault(GetExceptionInformation())) {
        failed = 1;
    }
    assert_int_equal(failed, 0);
    assert_int_equal(g_commits, 16);
    for (DWORD i = 0; i < 16 * 1024; i += 1000)
        assert_int_equal(d[i], i * 3);
    VirtualFree(g_sparse, 0, MEM_RELEASE);
}

static volatile int g_order;

static void raise_inside_finally(void)
{
    __try {
        RaiseException(0xE0000001, 0, 0, NULL);
    } __finally {
        g_order = g_order * 10 + (AbnormalTermination() ? 2 : 9);
    }
}

static void filters_run_first_then_finally_blocks_then_the_handler(void **state)
{
    (void)state;
    g_order = 0;
    __try {
        __try {
            raise_inside_finally();
        } __except (g_order = g_order * 10 + 1, EXCEPTION_CONTINUE_SEARCH) {
            g_order = 99;
        }
    } __except (g_order = g_order * 10 + 3, GetExceptionCode() == 0xE0000001) {
        g_order = g_order * 10 + 4;
    }
    /* pass 1: inner filter (1), outer filter (3); pass 2: __finally (2); handler (4) */
    assert_int_equal(g_order, 1324);
}

static void raise_exception_passes_its_arguments_and_can_continue(void **state)
{
    (void)state;
    DWORD args[3] = {7, 8, 9};
    volatile DWORD n = 0, a2 = 0, flags = 1;
    volatile int after = 0;
    __try {
        RaiseException(0xE0000123, 0, 3, args);
        after = 1;
    } __except (n = GetExceptionInformation()->ExceptionRecord->NumberParameters,
                a2 = (DWORD)GetExceptionInformation()->ExceptionRecord->ExceptionInformation[2],
                flags = GetExceptionInformation()->ExceptionRecord->ExceptionFlags,
                EXCEPTION_CONTINUE_EXECUTION) {
        after = -1;
    }
    assert_int_equal(after, 1);
    assert_int_equal(n, 3);
    assert_int_equal(a2, 9);
    assert_int_equal(flags, 0);
    /* Bit 28 of the code is reserved: RaiseException clears it. */
    volatile DWORD code = 0;
    __try {
        RaiseException(0xFFFFFFFF, 0, 0, NULL);
    } __except (code = GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER) {
    }
    assert_int_equal(code, 0xEFFFFFFF);
}

static void noncontinuable_exception_cannot_be_continued(void **state)
{
    (void)state;
    volatile DWORD second = 0;
    __try {
        __try {
            RaiseException(0xE0000001, EXCEPTION_NONCONTINUABLE, 0, NULL);
        } __except (EXCEPTION_CONTINUE_EXECUTION) {
        }
    } __except (second = GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER) {
    }
    assert_int_equal(second, EXCEPTION_NONCONTINUABLE_EXCEPTION);
}

static void finally_runs_on_normal_exit_and_leave(void **state)
{
    (void)state;
    volatile int n = 0;
    __try {
        n = 1;
    } __finally {
        n += 10;
        assert_int_equal(AbnormalTermination(), 0);
    }
    assert_int_equal(n, 11);
    __try {
        n = 1;
        __leave;
        n = 2;
    } __finally {
        n += 20;
    }
    assert_int_equal(n, 21);
    __try {
        n = 1;
        __leave;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        n = 99;
    }
    assert_int_equal(n, 1);
}

static int returns_from_inside(int x)
{
    __try {
        if (x)
            return 7;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return -1;
    }
    return 0;
}

static void break_continue_and_return_leave_the_body(void **state)
{
    (void)state;
    volatile int seen = 0;
    for (volatile int i = 0; i < 5; i++) {
        __try {
            if (i == 1)
                continue;
            if (i == 3)
                break;
            seen = seen * 10 + i;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
        }
    }
    assert_int_equal(seen, 2); /* 0, then 2; 1 skipped; 3 ended the loop */
    assert_int_equal(returns_from_inside(1), 7);
    assert_int_equal(returns_from_inside(0), 0);
    /* No frame was left behind by those exits: a fault goes to the right handler. */
    volatile int r = 0;
    __try {
        r = read_through(cetest_wild());
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        r = -5;
    }
    assert_int_equal(r, -5);
}

static void hardware_exceptions_have_their_codes(void **state)
{
    (void)state;
    volatile DWORD code = 0;
    volatile int zero = 0;
    __try {
        code = (DWORD)(10 / zero);
    } __except (code = GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER) {
    }
    assert_int_equal(code, EXCEPTION_INT_DIVIDE_BY_ZERO);
}

static void raise_unhandled(void *ctx)
{
    (void)ctx;
    __try {
        RaiseException(0xE0000042, 0, 0, NULL);
    } __except (EXCEPTION_CONTINUE_SEARCH) {
    }
}

static void continue_search_with_no_outer_frame_is_unhandled(void **state)
{
    (void)state;
    /* In a child: the exception nobody handles ends the process with cevm's report. */
    char out[1024];
    int st = cetest_run_child(raise_unhandled, NULL, out, sizeof out);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGSEGV);
    assert_non_null(strstr(out, "unhandled exception"));
    assert_non_null(strstr(out, "0xE0000042"));
}

static void filter_faults(void *ctx)
{
    (void)ctx;
    volatile int outer = 0;
    __try {
        __try {
            RaiseException(0xE0000001, 0, 0, NULL);
        } __except (read_through(cetest_wild())) {
            outer = 100;
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        outer = (int)GetExceptionCode();
    }
    fprintf(stderr, "outer handler saw 0x%X\n", (unsigned)outer);
}

static void a_filter_that_faults_is_reported_and_the_fault_goes_outwards(void **state)
{
    (void)state;
    char *out = capture_stderr(filter_faults, NULL);
    assert_non_null(strstr(out, "left the exception filter"));
    assert_non_null(strstr(out, "outer handler saw 0xC0000005"));
    free(out);
}

static void finally_raises(void *ctx)
{
    (void)ctx;
    volatile DWORD seen = 0;
    __try {
        __try {
            RaiseException(0xE0000001, 0, 0, NULL);
        } __finally {
            RaiseException(0xE0000002, 0, 0, NULL);
        }
    } __except (seen = GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER) {
    }
    fprintf(stderr, "handler saw 0x%X\n", (unsigned)seen);
}

static void an_exception_inside_finally_replaces_the_unwinding_one(void **state)
{
    (void)state;
    char *out = capture_stderr(finally_raises, NULL);
    assert_non_null(strstr(out, "left the __finally block"));
    /* pass 1 saw the first exception; the handler runs for the one raised in __finally */
    assert_non_null(strstr(out, "handler saw 0xE0000002"));
    free(out);
}

static int leaves_finally_by_return(int leave)
{
    __try {
        if (leave)
            return 1;
    } __finally {
        g_order++;
    }
    return 0;
}

static void return_out_of_finally_body(void *ctx)
{
    (void)ctx;
    g_order = 0;
    /* Reported from the first time: __finally marks its __try in the library's
     * cevm_seh_finally section. */
    leaves_finally_by_return(1);
    leaves_finally_by_return(0);
    leaves_finally_by_return(1);
}

static void a_return_out_of_a_finally_body_is_reported(void **state)
{
    (void)state;
    char *out = capture_stderr(return_out_of_finally_body, NULL);
    assert_int_equal(g_order, 1); /* the documented difference: the block ran only once */
    assert_int_equal(count_of(out, "its __finally block did not run"), 2);
    free(out);
}

static jmp_buf g_escape;

static void escapes_by_longjmp(void)
{
    __try {
        longjmp(g_escape, 1);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
    }
}

static void stale_frame(void *ctx)
{
    (void)ctx;
    if (!setjmp(g_escape))
        escapes_by_longjmp();
    volatile int r = 0;
    __try {
        r = read_through(cetest_wild());
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        r = -1;
    }
    fprintf(stderr, "r=%d\n", r);
}

static void a_frame_left_by_longjmp_is_reported_and_dropped(void **state)
{
    (void)state;
    char *out = capture_stderr(stale_frame, NULL);
    assert_non_null(strstr(out, "was left without ending"));
    assert_non_null(strstr(out, "r=-1"));
    free(out);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(access_violation_reaches_the_filter_with_its_information),
    CE_TEST(fault_in_a_called_function_unwinds_to_the_caller),
    CE_TEST(continue_execution_retries_the_faulting_instruction),
    CE_TEST(filters_run_first_then_finally_blocks_then_the_handler),
    CE_TEST(raise_exception_passes_its_arguments_and_can_continue),
    CE_TEST(noncontinuable_exception_cannot_be_continued),
    CE_TEST(finally_runs_on_normal_exit_and_leave),
    CE_TEST(break_continue_and_return_leave_the_body),
    CE_TEST(hardware_exceptions_have_their_codes),
    CE_TEST(continue_search_with_no_outer_frame_is_unhandled),
    CE_TEST(a_filter_that_faults_is_reported_and_the_fault_goes_outwards),
    CE_TEST(an_exception_inside_finally_replaces_the_unwinding_one),
    CE_TEST(a_return_out_of_a_finally_body_is_reported),
    CE_TEST(a_frame_left_by_longjmp_is_reported_and_dropped),
};

CETEST_MAIN(tests)
