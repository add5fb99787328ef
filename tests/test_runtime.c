/*
 * test_runtime.c — the rest of the CE runtime a driver calls: libraries (LoadLibrary with CE
 * names, GetProcAddress of C++ exports, DllMain, FreeLibrary), the process and caller calls,
 * MapCallerPtr, thread permissions, VirtualAllocCopyEx, the cache log, power notifications and
 * device interface notifications.
 */
#define DEBUG 1 /* DEBUGCHK and DEBUGMSG are live, as in a debug build of a driver */
#include "cetest.h"

#include <msgqueue.h>
#include <pkfuncs.h>
#include <pm.h>
#include <pnp.h>

#define CXX_LIB CEVM_DRIVER_DIR "/libcxx_gpio.so"

static void widen_path(const char *s, WCHAR *w, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        w[i] = (WCHAR)s[i];
    w[i] = 0;
}

static void libraries_load_by_ce_name_and_count_their_loads(void **state)
{
    (void)state;
    WCHAR path[512];
    widen_path(CXX_LIB, path, 512);
    HMODULE a = LoadLibrary(path);
    assert_non_null(a);
    /* By CE name: "cxx_gpio.dll" is found as libcxx_gpio.so on CEVM_LIBRARY_PATH. */
    setenv("CEVM_LIBRARY_PATH", CEVM_DRIVER_DIR, 1);
    HMODULE b = LoadLibrary(L"cxx_gpio.dll");
    HMODULE c = LoadLibrary(L"cxx_gpio");
    unsetenv("CEVM_LIBRARY_PATH");
    assert_ptr_equal(b, a);
    assert_ptr_equal(c, a);
    /* C++ exports are found by their plain names, as a .def file exports them. */
    FARPROC init = GetProcAddress(a, L"GIO_Init");
    assert_non_null(init);
    assert_null(GetProcAddress(a, L"GIO_Nothing"));
    assert_int_equal(GetLastError(), ERROR_PROC_NOT_FOUND);
    assert_null(GetProcAddress(a, (LPCWSTR)(ULONG_PTR)1));
    assert_int_equal(GetLastError(), ERROR_PROC_NOT_FOUND);
    assert_true(FreeLibrary(c));
    assert_true(FreeLibrary(b));
    assert_true(FreeLibrary(a));
    assert_false(FreeLibrary(a));
    assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
    assert_null(LoadLibrary(L"no_such_library.dll"));
    assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
    assert_null(LoadLibrary(L"\\nowhere\\gpio.dll"));
    assert_int_equal(GetLastError(), ERROR_MOD_NOT_FOUND);
}

static void one_process_answers_every_process_call(void **state)
{
    (void)state;
    assert_ptr_equal(GetCurrentProcess(), CEVM_CURRENT_PROCESS_HANDLE);
    assert_int_equal((DWORD)(ULONG_PTR)GetOwnerProcess(), GetCurrentProcessId());
    assert_int_equal((DWORD)(ULONG_PTR)GetCallerProcess(), GetCurrentProcessId());
    assert_int_equal(GetDirectCallerProcessId(), GetCurrentProcessId());
    assert_int_equal(SetProcPermissions(0x3), 0xFFFFFFFF);
    assert_int_equal(GetCurrentPermissions(), 0x3);
    SetProcPermissions(0xFFFFFFFF);
    assert_false(SetKMode(TRUE));
    assert_true(SetKMode(FALSE));
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    /* Outside a driver call the caller is this process: a slot-0 pointer is mapped into its
     * slot (CE 5's mapped form), and UnMapPtr/CeZeroPointer give the slot-0 form back. */
    cevm_info in;
    assert_int_equal(cevm_get_info(&in), CEVM_OK);
    uint32_t slot = (in.current_process + 1) << 25;
    assert_true(cevm_ce_addr(p) < 0x02000000u);
    BYTE *mapped = cevm_host_ptr(slot | cevm_ce_addr(p));
    assert_ptr_equal(MapCallerPtr(p + 0x10, 0x1000), mapped + 0x10);
    assert_ptr_equal(MapCallerPtr(mapped + 0x10, 0x1000), mapped + 0x10); /* already mapped */
    assert_ptr_equal(MapPtrToProcess(p, GetCurrentProcess()), mapped);
    assert_ptr_equal(MapPtrToProcess(p, (HANDLE)(ULONG_PTR)GetCurrentProcessId()), mapped);
    assert_ptr_equal(UnMapPtr(mapped), p);
    assert_ptr_equal(CeZeroPointer(mapped + 4), p + 4);
    assert_ptr_equal(CeZeroPointer(p), p);
    SetLastError(0);
    assert_null(MapPtrToProcess(p, (HANDLE)(ULONG_PTR)0x1234)); /* no such process */
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    BYTE *r = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    SetLastError(0);
    assert_null(MapCallerPtr(r, 4));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_null(MapCallerPtr(p + 0x1000, 0x2000)); /* runs past the committed pages */
    VirtualFree(r, 0, MEM_RELEASE);
    /* VirtualAllocCopyEx: an alias of the whole pages, at the same page offset. */
    p[0x1234] = 0x5A;
    BYTE *alias =
        VirtualAllocCopyEx(GetCurrentProcess(), GetCurrentProcess(), p + 0x1234, 8, PAGE_READWRITE);
    assert_non_null(alias);
    assert_int_equal(((uintptr_t)alias & 0xFFF), 0x234);
    assert_int_equal(alias[0], 0x5A);
    alias[1] = 0xA5;
    assert_int_equal(p[0x1235], 0xA5);
    assert_true(VirtualFreeEx(GetCurrentProcess(), alias, 0, MEM_RELEASE));
    assert_null(VirtualAllocCopyEx(NULL, NULL, NULL, 8, PAGE_READWRITE));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    VirtualFree(p, 0, MEM_RELEASE);
}

static void cache_calls_are_recorded(void **state)
{
    (void)state;
    cevm_cache_log_clear();
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    CacheSync(CACHE_SYNC_DISCARD | CACHE_SYNC_WRITEBACK);
    CacheRangeFlush(p, 0x100, CACHE_SYNC_WRITEBACK);
    CacheRangeFlush(NULL, 0, CACHE_SYNC_ALL);
    cevm_cache_op ops[4];
    assert_int_equal(cevm_cache_log(ops, 4), 3);
    assert_int_equal(ops[0].kind, CEVM_CACHE_SYNC);
    assert_int_equal(ops[0].flags, 0x5);
    assert_int_equal(ops[1].kind, CEVM_CACHE_RANGE_FLUSH);
    assert_int_equal(ops[1].addr, CEA(p));
    assert_int_equal(ops[1].len, 0x100);
    assert_int_equal(ops[2].addr, 0);
    assert_int_equal(ops[2].flags, 0x7F);
    VirtualFree(p, 0, MEM_RELEASE);
}

static void power_notifications_arrive_in_the_queue(void **state)
{
    (void)state;
    MSGQUEUEOPTIONS o = {sizeof o, MSGQUEUE_ALLOW_BROKEN, 0,
                         sizeof(POWER_BROADCAST) + MAX_PATH * sizeof(WCHAR), TRUE};
    HANDLE q = CreateMsgQueue(NULL, &o);
    assert_non_null(q);
    HANDLE n = RequestPowerNotifications(q, PBT_TRANSITION | PBT_RESUME);
    assert_non_null(n);
    assert_int_equal(cevm_power_broadcast(PBT_POWERINFOCHANGE, 0, ""), 0); /* not asked for */
    assert_int_equal(cevm_power_broadcast(PBT_TRANSITION, POWER_STATE_SUSPEND, "suspend"), 1);
    union {
        POWER_BROADCAST pb;
        BYTE raw[sizeof(POWER_BROADCAST) + MAX_PATH * sizeof(WCHAR)];
    } m;
    DWORD got = 0, flags = 0;
    assert_true(ReadMsgQueue(q, m.raw, sizeof m.raw, &got, 0, &flags));
    assert_int_equal(m.pb.Message, PBT_TRANSITION);
    assert_int_equal(m.pb.Flags, POWER_STATE_SUSPEND);
    assert_int_equal(m.pb.Length, 16);
    assert_int_equal(wcscmp(m.pb.SystemPowerState, L"suspend"), 0);
    assert_int_equal(StopPowerNotifications(n), ERROR_SUCCESS);
    assert_int_equal(cevm_power_broadcast(PBT_TRANSITION, POWER_STATE_ON, "on"), 0);
    assert_null(RequestPowerNotifications((HANDLE)0x1234, PBT_TRANSITION));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    CloseMsgQueue(q);
    /* Device power requests are recorded; SetDevicePower's state is what GetDevicePower says. */
    assert_int_equal(DevicePowerNotify(L"LED1:", D2, POWER_NAME), ERROR_SUCCESS);
    assert_int_equal(SetDevicePower(L"LED1:", POWER_NAME, D3), ERROR_SUCCESS);
    assert_int_equal(SetDevicePower(L"LED1:", POWER_NAME, PwrDeviceMaximum),
                     ERROR_INVALID_PARAMETER);
    CEDEVICE_POWER_STATE dx = PwrDeviceUnspecified;
    assert_int_equal(GetDevicePower(L"LED1:", POWER_NAME, &dx), ERROR_SUCCESS);
    assert_int_equal(dx, D3);
    cevm_power_request reqs[64];
    uint64_t total = cevm_power_requests(reqs, 64);
    assert_true(total >= 2);
    size_t last = (size_t)(total < 64 ? total : 64) - 1;
    assert_string_equal(reqs[last].device, "LED1:");
    assert_int_equal(reqs[last].state, D3);
    assert_int_equal(reqs[last].set, 1);
    assert_int_equal(reqs[last - 1].state, D2);
    assert_int_equal(reqs[last - 1].set, 0);
}

static const GUID g_cls = {0x12345678, 0x1, 0x2, {1, 2, 3, 4, 5, 6, 7, 8}};

static void advertised_interfaces_reach_registered_queues(void **state)
{
    (void)state;
    assert_true(AdvertiseInterface(&g_cls, L"GIO1:", TRUE));
    MSGQUEUEOPTIONS o = {sizeof o, MSGQUEUE_ALLOW_BROKEN, 0,
                         sizeof(DEVDETAIL) + MAX_DEVCLASS_NAMELEN * sizeof(WCHAR), TRUE};
    HANDLE q = CreateMsgQueue(NULL, &o);
    HANDLE n = RequestDeviceNotifications(&g_cls, q, TRUE); /* fAll: GIO1: now */
    assert_non_null(n);
    union {
        DEVDETAIL d;
        BYTE raw[sizeof(DEVDETAIL) + MAX_DEVCLASS_NAMELEN * sizeof(WCHAR)];
    } m;
    DWORD got, flags;
    assert_true(ReadMsgQueue(q, m.raw, sizeof m.raw, &got, 0, &flags));
    assert_true(m.d.fAttached);
    assert_int_equal(m.d.cbName, 10);
    assert_int_equal(wcscmp(m.d.szName, L"GIO1:"), 0);
    assert_true(AdvertiseInterface(&g_cls, L"GIO1:", FALSE));
    assert_true(ReadMsgQueue(q, m.raw, sizeof m.raw, &got, 0, &flags));
    assert_false(m.d.fAttached);
    const GUID other = {0x9, 0, 0, {0}};
    assert_true(AdvertiseInterface(&other, L"X1:", TRUE)); /* another class: not sent */
    assert_false(ReadMsgQueue(q, m.raw, sizeof m.raw, &got, 0, &flags));
    assert_int_equal(GetLastError(), ERROR_TIMEOUT);
    assert_true(AdvertiseInterface(&other, L"X1:", FALSE));
    assert_true(StopDeviceNotifications(n));
    assert_false(StopDeviceNotifications(n));
    CloseMsgQueue(q);
}

DBGPARAM dpCurSettings = {L"rtest", {L"Init"}, 0x1};

static void failing_check(void *ctx)
{
    (void)ctx;
    volatile int reached = 0;
    DEBUGCHK(1 == 2);
    DBGCHK(L"other", reached == 5);
    reached = 1;
    fprintf(stderr, "went on: %d\n", reached);
}

static void debugchk_reports_and_goes_on_or_breaks(void **state)
{
    (void)state;
    char *out = capture_stderr(failing_check, NULL);
    assert_non_null(strstr(out, "DEBUGCHK failed in rtest in "));
    assert_non_null(strstr(out, ": 1 == 2\n"));
    assert_non_null(strstr(out, "DEBUGCHK failed in other in "));
    assert_non_null(strstr(out, "went on: 1"));
    free(out);
    /* CEVM_DEBUGCHK=break: the check raises EXCEPTION_BREAKPOINT. */
    setenv("CEVM_DEBUGCHK", "break", 1);
    volatile DWORD code = 0;
    __try {
        failing_check(NULL);
    } __except (code = GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER) {
    }
    unsetenv("CEVM_DEBUGCHK");
    assert_int_equal(code, EXCEPTION_BREAKPOINT);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(debugchk_reports_and_goes_on_or_breaks),
    CE_TEST(libraries_load_by_ce_name_and_count_their_loads),
    CE_TEST(one_process_answers_every_process_call),
    CE_TEST(cache_calls_are_recorded),
    CE_TEST(power_notifications_arrive_in_the_queue),
    CE_TEST(advertised_interfaces_reach_registered_queues),
};

CETEST_MAIN(tests)
