/*
 * test_profiles.c — what differs between the CE 5.0, CE 6.0 and Compact 7 profiles: choosing a
 * profile and a caller mode, the CE 6 address space (kernel VM, user space, the Compact 7 user
 * limit), the oracles of spec §16 tagged [6] and [6+] that test_oracles.c, test_attrs.c and
 * test_static.c do not hold (50, 51, 54, 55, 58 on CE 6), the calls on named processes, caller
 * buffers, CE 6 drivers in kernel space, and the calls one version has and the other not.
 * Like every case, each runs under ce5, ce6 and ce7 (ctest), asserting that profile's answer.
 */
#include "cetest.h"

#include <oal_memory.h>
#include <pkfuncs.h>

static MEMORY_BASIC_INFORMATION query(const void *p)
{
    MEMORY_BASIC_INFORMATION mbi;
    memset(&mbi, 0xAB, sizeof mbi);
    assert_int_equal(VirtualQuery(p, &mbi, sizeof mbi), sizeof mbi);
    return mbi;
}

static char g_err[512];

/* A BuiltIn key for a test driver with this prefix. */
static void make_key(const WCHAR *key, const WCHAR *prefix, size_t prefix_bytes)
{
    HKEY k;
    assert_int_equal(RegCreateKeyEx(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, 0, NULL, &k, NULL),
                     ERROR_SUCCESS);
    RegSetValueEx(k, TEXT("Prefix"), 0, REG_SZ, (const BYTE *)prefix, (DWORD)prefix_bytes);
    RegCloseKey(k);
}

static cevm_driver *load_keeper(void)
{
    static const WCHAR pfx[] = TEXT("KPR");
    make_key(TEXT("Drivers\\BuiltIn\\Keeper"), pfx, sizeof pfx);
    char path[512];
    snprintf(path, sizeof path, "%s/libkeeper.so", CEVM_TEST_DRIVER_DIR);
    cevm_driver *d = NULL;
    assert_int_equal(cevm_driver_load(path, "Drivers\\BuiltIn\\Keeper", &d, g_err, sizeof g_err),
                     CEVM_OK);
    return d;
}

/* Boot the default board under profile/caller (NULL: the environment's). Return: the status. */
static cevm_status boot_as(const char *profile, const char *caller)
{
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.profile = profile;
    cfg.caller = caller;
    g_err[0] = '\0';
    return cevm_boot(&cfg, g_err, sizeof g_err);
}

/* ---- choosing a profile and a caller mode ------------------------------------------------- */

static void profile_comes_from_config_then_environment_then_board(void **state)
{
    (void)state;
    const char *saved = getenv("CEVM_PROFILE");
    char keep[16] = "";
    if (saved)
        snprintf(keep, sizeof keep, "%s", saved);
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = "ram DRAM 0x30000000 16M\nprofile ce7\n";
    cevm_info info;
    /* The board's line. */
    unsetenv("CEVM_PROFILE");
    assert_int_equal(cevm_boot(&cfg, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(cevm_get_info(&info), CEVM_OK);
    assert_string_equal(info.profile, "ce7");
    assert_string_equal(info.profile_title, "Windows Embedded Compact 7");
    assert_int_equal(info.wce, 0x700);
    assert_string_equal(info.caller_mode, "kernel");
    cevm_shutdown();
    /* The environment wins over the board. */
    setenv("CEVM_PROFILE", "ce5", 1);
    assert_int_equal(cevm_boot(&cfg, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(cevm_get_info(&info), CEVM_OK);
    assert_string_equal(info.profile, "ce5");
    assert_int_equal(info.wce, 0x500);
    assert_string_equal(info.caller_mode, "trusted");
    cevm_shutdown();
    /* The config wins over both. */
    cfg.profile = "ce6";
    assert_int_equal(cevm_boot(&cfg, g_err, sizeof g_err), CEVM_OK);
    assert_int_equal(cevm_get_info(&info), CEVM_OK);
    assert_string_equal(info.profile, "ce6");
    assert_int_equal(info.wce, 0x600);
    cevm_shutdown();
    /* Unknown names: refused with a message, nothing booted. */
    setenv("CEVM_PROFILE", "ce8", 1);
    cfg.profile = NULL;
    assert_int_equal(cevm_boot(&cfg, g_err, sizeof g_err), CEVM_E_INVAL);
    assert_string_equal(g_err, "CEVM_PROFILE='ce8': use ce5, ce6 or ce7");
    assert_false(cevm_is_booted());
    cfg.profile = "6";
    assert_int_equal(cevm_boot(&cfg, g_err, sizeof g_err), CEVM_E_INVAL);
    assert_string_equal(g_err, "profile='6': use ce5, ce6 or ce7");
    if (keep[0])
        setenv("CEVM_PROFILE", keep, 1);
    else
        unsetenv("CEVM_PROFILE");
}

static void caller_mode_words_are_the_profiles(void **state)
{
    (void)state;
    cevm_info info;
    assert_int_equal(boot_as("ce6", "user"), CEVM_OK);
    assert_int_equal(cevm_get_info(&info), CEVM_OK);
    assert_string_equal(info.caller_mode, "user");
    assert_int_equal(info.trusted, 0);
    assert_int_equal(boot_as("ce5", "untrusted"), CEVM_OK);
    assert_int_equal(cevm_get_info(&info), CEVM_OK);
    assert_string_equal(info.caller_mode, "untrusted");
    /* Each profile takes its own words only. */
    assert_int_equal(boot_as("ce5", "kernel"), CEVM_E_INVAL);
    assert_string_equal(g_err, "caller='kernel': profile ce5 takes trusted or untrusted");
    assert_int_equal(boot_as("ce7", "trusted"), CEVM_E_INVAL);
    assert_string_equal(g_err, "caller='trusted': profile ce7 takes kernel or user");
    setenv("CEVM_CALLER", "root", 1);
    assert_int_equal(boot_as("ce6", NULL), CEVM_E_INVAL);
    assert_string_equal(g_err, "CEVM_CALLER='root': profile ce6 takes kernel or user");
    unsetenv("CEVM_CALLER");
    assert_false(cevm_is_booted());
}

/* ---- the CE 6 address space ---------------------------------------------------------------- */

static void kernel_and_user_memory_have_their_places(void **state)
{
    (void)state;
    BYTE *k = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(k);
    cevm_set_trusted(0);
    BYTE *u = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(u);
    if (CE5) { /* both in the process slot's slot-0 form */
        assert_true(CEA(k) < 0x02000000u && CEA(u) < 0x02000000u);
        cevm_set_trusted(1);
        return;
    }
    /* CE 6+: a kernel-mode caller's memory is kernel VM, a user-mode caller's user space from
     * 0x10000 below 0x40000000. */
    assert_true(IN_KERNEL_VM(CEA(k)));
    assert_true(CEA(u) >= 0x10000u && CEA(u) < 0x40000000u);
    *u = 1;
    /* User mode: kernel addresses are out of reach. */
    assert_error(VirtualAlloc(PTR(0xD8000000), 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    assert_error(!VirtualFree(k, 0, MEM_RELEASE), 87);
    MEMORY_BASIC_INFORMATION m;
    assert_error(VirtualQuery(k, &m, sizeof m) == 0, 87);
    cevm_set_trusted(1);
    /* Kernel mode reaches the current process's user space at explicit addresses. */
    BYTE *e = VirtualAlloc(PTR(0x00400000), 0x2000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_ptr_equal(e, PTR(0x00400000));
    assert_int_equal(query(u).State, MEM_COMMIT);
    /* Kernel VM only at its own addresses: not in the static windows or above 0xF0000000. */
    assert_error(VirtualAlloc(PTR(0x80100000), 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    assert_error(VirtualAlloc(PTR(0xF0000000), 0x1000, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    assert_error(VirtualQuery(PTR(0x80100000), &m, sizeof m) == 0, 87);
    /* A free stretch of kernel VM runs to the next reservation or the end of kernel VM. */
    BYTE *hole = k + 0x10000;
    assert_int_equal(query(hole).State, MEM_FREE);
    assert_int_equal(query(hole).Type, MEM_PRIVATE);
    assert_true(VirtualFree(k, 0, MEM_RELEASE));
    assert_true(VirtualFree(e, 0, MEM_RELEASE));
}

static void compact7_stops_user_addresses_at_max_user_alloc(void **state)
{
    (void)state;
    cevm_set_trusted(0);
    BYTE *p = VirtualAlloc(PTR(0x40000000), 0x10000, MEM_RESERVE, PAGE_NOACCESS);
    int v = cetest_profile();
    if (v == 7) { /* dwMaxUserAllocAddr, default 0x40000000 */
        assert_null(p);
        assert_int_equal(GetLastError(), 87);
    } else if (v == 6) { /* CE 6 lets a user reserve below the shared heap */
        assert_ptr_equal(p, PTR(0x40000000));
        assert_error(VirtualAlloc(PTR(0x70000000), 0x10000, MEM_RESERVE, PAGE_NOACCESS) == NULL,
                     87);
    } else { /* CE 5: 0x40000000 is another process's slot (32): 87 */
        assert_null(p);
        assert_int_equal(GetLastError(), 87);
    }
    /* A user reservation with no address that would pass 0x40000000: 87 on CE 6+. */
    if (v >= 6)
        assert_error(VirtualAlloc(NULL, 0x40000000u, MEM_RESERVE, PAGE_NOACCESS) == NULL, 87);
    cevm_set_trusted(1);
}

/* ---- oracles 50, 51, 54, 55 and 58 per profile -------------------------------------------- */

/* 50 [6]: LockPages with an unknown option is 87; CE 5 ignores the bit. */
static void oracle50_lock_options(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    DWORD pfn[2];
    if (CE5) {
        assert_true(LockPages(p, 0x2000, pfn, 8));
        assert_true(UnlockPages(p, 0x2000));
        return;
    }
    assert_error(!LockPages(p, 0x2000, pfn, 8), 87);
    assert_error(!LockPages(PTR(0x8000), 0x1000, pfn, LOCKFLAG_READ), 87);
    assert_error(!LockPages(p, 0, pfn, LOCKFLAG_READ), 87);
}

/* 51 [6]: UnlockPages repeats the exact range; locked pages refuse protection (32) and release
 * (87). CE 5 counts locks per 64 KB block. */
static void oracle51_unlock_exact_range(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x2000, MEM_COMMIT, PAGE_READWRITE);
    DWORD pfn[2], old;
    assert_true(LockPages(p, 0x2000, pfn, LOCKFLAG_READ));
    if (CE5) {
        assert_true(UnlockPages(p, 0x1000)); /* the block's count */
        return;
    }
    assert_error(!UnlockPages(p, 0x1000), 87);
    assert_error(!VirtualProtect(p, 0x1000, PAGE_READONLY, &old), 32);
    assert_error(!VirtualFree(p, 0, MEM_RELEASE), 87);
    assert_error(!VirtualFree(p, 0x1000, MEM_DECOMMIT), 87);
    assert_int_equal(query(p).Protect, PAGE_READWRITE);
    assert_true(UnlockPages(p, 0x2000));
    assert_error(!UnlockPages(p, 0x2000), 87); /* once */
    assert_true(VirtualProtect(p, 0x1000, PAGE_READONLY, &old));
    assert_true(VirtualFree(p, 0, MEM_RELEASE));
}

/* 54 [6]: AllocPhysMem from user mode is 87 (CE 5's untrusted caller: 5). */
static void oracle54_user_alloc_phys(void **state)
{
    (void)state;
    ULONG pa = 0;
    cevm_set_trusted(0);
    assert_error(AllocPhysMem(0x1000, PAGE_READWRITE, 0, 0, &pa) == NULL, CE5 ? 5 : 87);
    cevm_set_trusted(1);
    BYTE *va = AllocPhysMem(0x1000, PAGE_READWRITE, 0, 0, &pa);
    assert_non_null(va);
    assert_true(CE5 ? CEA(va) < 0x02000000u : IN_KERNEL_VM(CEA(va)));
    assert_int_equal(*(volatile DWORD *)va, 0);
    assert_true(FreePhysMem(va));
}

/* 55 [6] and 58 [5]: CreateStaticMapping outside the OEMAddressTable makes a new mapping on CE 6
 * (in kernel VM, the same one for the same range), nothing on CE 5. */
static void oracle55_static_mapping_outside_the_table(void **state)
{
    (void)state;
    if (CE5) {
        SetLastError(1234);
        assert_null(CreateStaticMapping(0x48000000 >> 8, 0x1000));
        assert_int_equal(GetLastError(), 1234);
        return;
    }
    assert_error(CreateStaticMapping(0x48000800 >> 8, 0x1000) == NULL, 87);
    assert_error(CreateStaticMapping(0x48000000 >> 8, 0) == NULL, 87);
    BYTE *a = CreateStaticMapping(0x48000000 >> 8, 0x1000);
    assert_non_null(a);
    assert_ptr_equal(CreateStaticMapping(0x48000000 >> 8, 0x1000), a);
    assert_true(IN_KERNEL_VM(CEA(a)));
    MEMORY_BASIC_INFORMATION m = query(a);
    assert_int_equal(m.State, MEM_COMMIT);
    assert_int_equal(m.Protect, PAGE_READWRITE | PAGE_NOCACHE);
    uint64_t pa = 0;
    assert_int_equal(cevm_virt_to_phys(CEA(a) + 0x10, &pa), CEVM_OK);
    assert_int_equal(pa, 0x48000010u);
    /* Inside the table: the uncached static alias, as on CE 5. */
    assert_int_equal(CEA(CreateStaticMapping(0x7F008000 >> 8, 0x1000)), 0xB2B08000u);
    /* Compact 7's NKPhysToVirt also finds the new mapping for an uncached request. */
    if (cetest_profile() >= 7)
        assert_ptr_equal(NKPhysToVirt(0x48000000 >> 8, FALSE), a);
    else
        assert_null(NKPhysToVirt(0x48000000 >> 8, FALSE));
    /* DeleteStaticMapping never frees: TRUE for kernel addresses, 87 for others. */
    assert_true(DeleteStaticMapping(a, 0x1000));
    assert_int_equal(query(a).State, MEM_COMMIT);
    assert_error(!DeleteStaticMapping(PTR(0x00400000), 0x1000), 87);
}

/* ---- calls on named processes -------------------------------------------------------------- */

static void ex_calls_name_the_kernel_or_the_application(void **state)
{
    (void)state;
    HANDLE self = GetCurrentProcess();
    HANDLE app = (HANDLE)(ULONG_PTR)cevm_caller_process();
    if (CE5) { /* the CE 6 calls are not there: 50, said once */
        assert_error(VirtualAllocEx(self, NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE) == NULL, 50);
        DWORD v = 0;
        assert_error(!VirtualProtectEx(self, PTR(0x10000), 0x1000, PAGE_READONLY, &v), 50);
        return;
    }
    BYTE *k = VirtualAllocEx(self, NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    BYTE *u = VirtualAllocEx(app, NULL, 0x3000, MEM_COMMIT, PAGE_READWRITE);
    assert_true(IN_KERNEL_VM(CEA(k)));
    assert_true(CEA(u) >= 0x10000u && CEA(u) < 0x40000000u);
    assert_error(
        VirtualAllocEx((HANDLE)(ULONG_PTR)0x1234, NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE) == NULL,
        ERROR_INVALID_HANDLE);
    MEMORY_BASIC_INFORMATION m;
    assert_int_equal(VirtualQueryEx(app, u, &m, sizeof m), sizeof m);
    assert_int_equal(m.RegionSize, 0x3000);
    assert_error(VirtualQueryEx(app, u, &m, 27) == 0, 24);
    DWORD old = 0;
    assert_true(VirtualProtectEx(app, u + 0x1000, 0x1000, PAGE_READONLY, &old));
    assert_int_equal(old, PAGE_READWRITE);
    /* Read/WriteProcessMemory: all or nothing, counts optional. */
    DWORD word = 0x11223344, got = 0, n = 0;
    assert_true(WriteProcessMemory(app, u + 0x10, &word, 4, &n));
    assert_int_equal(n, 4);
    assert_true(ReadProcessMemory(app, u + 0x10, &got, 4, NULL));
    assert_int_equal(got, 0x11223344u);
    n = 99;
    assert_error(!WriteProcessMemory(app, u + 0x1000, &word, 4, &n), ERROR_NOACCESS);
    assert_int_equal(n, 0); /* read-only page: nothing written */
    assert_error(!ReadProcessMemory(app, u + 0x2FFE, &got, 4, NULL), ERROR_NOACCESS);
    assert_error(!ReadProcessMemory(app, k, &got, 4, NULL), ERROR_NOACCESS); /* kernel memory */
    assert_true(ReadProcessMemory(self, k, &got, 4, NULL));
    /* VirtualCopyEx: an alias of the application's page in kernel VM. */
    BYTE *alias = VirtualAllocEx(self, NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_true(VirtualCopyEx(self, alias, app, u, 0x1000, PAGE_READWRITE));
    assert_int_equal(*(DWORD *)(alias + 0x10), 0x11223344u);
    DWORD pte = 0;
    uint64_t pa = 0;
    assert_int_equal(cevm_virt_to_phys(CEA(u), &pa), CEVM_OK);
    assert_true(VirtualSetAttributesEx(self, alias, 0x1000, 0, 0, &pte));
    assert_int_equal(pte & 0xFFFFF000u, (DWORD)pa); /* the application's frame */
    assert_true(VirtualFreeEx(self, alias, 0, MEM_RELEASE));
    /* A user-mode caller reaches its own memory only; kernel-mode calls stay refused. */
    cevm_set_trusted(0);
    assert_error(VirtualAllocEx(app, NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE) == NULL,
                 ERROR_ACCESS_DENIED);
    BYTE *own = VirtualAllocEx(self, NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_true(CEA(own) < 0x40000000u);
    assert_error(!VirtualSetAttributesEx(self, own, 0x1000, 0, 0, &pte), 50);
    assert_error(!VirtualCopyEx(self, own, self, (LPVOID)(0x7F008000 >> 8), 0x1000,
                                PAGE_PHYSICAL | PAGE_READWRITE),
                 50);
    assert_true(VirtualFreeEx(self, own, 0, MEM_RELEASE));
    cevm_set_trusted(1);
    assert_true(VirtualFreeEx(app, u, 0, MEM_RELEASE));
    assert_true(VirtualFreeEx(self, k, 0, MEM_RELEASE));
}

/* ---- caller buffers ----------------------------------------------------------------------- */

static void caller_buffers_are_checked_and_copied(void **state)
{
    (void)state;
    PVOID out = NULL;
    if (CE5) {
        BYTE b[4];
        assert_int_equal(CeOpenCallerBuffer(&out, b, 4, ARG_I_PTR, FALSE), E_NOTIMPL);
        assert_int_equal(GetLastError(), 50);
        return;
    }
    BYTE *u = VirtualAllocEx((HANDLE)(ULONG_PTR)cevm_caller_process(), NULL, 0x2000, MEM_COMMIT,
                             PAGE_READWRITE);
    DWORD old;
    assert_true(VirtualProtect(u + 0x1000, 0x1000, PAGE_READONLY, &old));
    memcpy(u, "abcd", 5);
    /* Direct access: the pointer itself. */
    assert_int_equal(CeOpenCallerBuffer(&out, u, 5, ARG_I_PTR, FALSE), S_OK);
    assert_ptr_equal(out, u);
    assert_int_equal(CeCloseCallerBuffer(out, u, 5, ARG_I_PTR), S_OK);
    /* Bad arguments and rights. */
    assert_int_equal(CeOpenCallerBuffer(&out, u, 4, ARG_DW, FALSE), E_INVALIDARG);
    assert_int_equal(CeOpenCallerBuffer(&out, u, 4, 3, FALSE), E_INVALIDARG);
    assert_int_equal(CeOpenCallerBuffer(&out, NULL, 4, ARG_I_PTR, FALSE), E_INVALIDARG);
    assert_int_equal(CeOpenCallerBuffer(&out, u, 0, ARG_I_PTR, FALSE), E_INVALIDARG);
    assert_int_equal(CeOpenCallerBuffer(NULL, u, 4, ARG_I_PTR, FALSE), E_INVALIDARG);
    assert_int_equal(CeOpenCallerBuffer(&out, u + 0x1000, 4, ARG_O_PTR, FALSE), E_ACCESSDENIED);
    assert_int_equal(CeOpenCallerBuffer(&out, u + 0x1FFE, 4, ARG_I_PTR, FALSE), E_ACCESSDENIED);
    assert_int_equal(CeOpenCallerBuffer(&out, PTR(0x00700000), 4, ARG_I_PTR, FALSE),
                     E_ACCESSDENIED);
    /* A string's size may be 0: measured with its NUL. */
    assert_int_equal(CeOpenCallerBuffer(&out, u, 0, ARG_I_ASTR, TRUE), S_OK);
    assert_ptr_not_equal(out, u);
    assert_string_equal((char *)out, "abcd");
    assert_int_equal(CeCloseCallerBuffer(out, u, 0, ARG_I_ASTR), S_OK);
    /* A duplicate of an IO buffer is written back on close. */
    assert_int_equal(CeOpenCallerBuffer(&out, u, 4, ARG_IO_PTR, TRUE), S_OK);
    assert_ptr_not_equal(out, u);
    memcpy(out, "wxyz", 4);
    assert_int_equal(u[0], 'a');
    assert_int_equal(CeCloseCallerBuffer(out, u, 4, ARG_IO_PTR), S_OK);
    assert_memory_equal(u, "wxyz", 4);
    assert_int_equal(CeCloseCallerBuffer(out, u, 4, ARG_IO_PTR), E_INVALIDARG); /* closed */
    /* Duplicates: a failed write-back is E_FAIL, the copy freed anyway. */
    PVOID dup = NULL;
    assert_int_equal(CeAllocDuplicateBuffer(&dup, u, 4, ARG_O_PTR), S_OK);
    assert_true(VirtualProtect(u, 0x1000, PAGE_READONLY, &old));
    assert_int_equal(CeFreeDuplicateBuffer(dup, u, 4, ARG_O_PTR), E_FAIL);
    assert_int_equal(CeFreeDuplicateBuffer(dup, u, 4, ARG_O_PTR), E_INVALIDARG);
    assert_true(VirtualFree(u, 0, MEM_RELEASE));
}

/* ---- drivers ---------------------------------------------------------------------------- */

static char *g_out;

/* Load and unload the example SER driver build named by ctx ("libser.so", "libser_ce6.so"). */
static void load_ser(void *ctx)
{
    static const WCHAR pfx[] = TEXT("SER");
    make_key(TEXT("Drivers\\BuiltIn\\Ser"), pfx, sizeof pfx);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CEVM_DRIVER_DIR, (const char *)ctx);
    cevm_driver *d = NULL;
    assert_int_equal(cevm_driver_load(path, "Drivers\\BuiltIn\\Ser", &d, g_err, sizeof g_err),
                     CEVM_OK);
    cevm_driver_unload(d, NULL, g_err, sizeof g_err);
}

static void a_driver_built_for_another_version_is_reported(void **state)
{
    (void)state;
    int v = cetest_profile();
    g_out = capture_stderr(load_ser, "libser.so");
    if (v == 5)
        assert_null(strstr(g_out, "was built for"));
    else
        assert_non_null(strstr(g_out, "libser.so was built for _WIN32_WCE 0x500 and runs on "
                                      "profile ce"));
    free(g_out);
    g_out = capture_stderr(load_ser, "libser_ce6.so");
    if (v == 6)
        assert_null(strstr(g_out, "was built for"));
    else
        assert_non_null(strstr(g_out, "libser_ce6.so was built for _WIN32_WCE 0x600"));
    free(g_out);
}

static void ce5_pointer_calls_are_gone_on_ce6(void **state)
{
    (void)state;
    BYTE *p = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    if (CE5) { /* mapped into the current process's slot */
        assert_int_equal(CEA(MapCallerPtr(p, 16)), CEA(p) | (uint32_t)(3 << 25));
        return;
    }
    assert_error(MapCallerPtr(p, 16) == NULL, 50);
    assert_error(MapPtrToProcess(p, GetCurrentProcess()) == NULL, 50);
    assert_int_equal(SetProcPermissions(0xFFFFFFFF), 0);
}

/* A CE 6 driver lives in kernel space: its image at the kernel DLL area, its heap and its call
 * stacks in kernel VM; its caller's buffers are the application's user space. */
static void a_ce6_driver_lives_in_kernel_space(void **state)
{
    (void)state;
    cevm_driver *d = load_keeper();
    cevm_module_info mi[16];
    size_t n = cevm_modules(mi, 16), i = 0;
    while (i < n && !strstr(mi[i].path, "libkeeper.so"))
        i++;
    assert_true(i < n);
    if (CE5)
        assert_true(mi[i].base < 0x02000000u);
    else
        assert_true(mi[i].base >= 0xC0000000u && mi[i].base < 0xC8000000u);
    uint32_t h = 0;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, g_err, sizeof g_err), CEVM_OK);
    /* A kept raw pointer faults after the call (CE 6), with the likely cause named; on CE 5
     * the released slot page is gone as well. The input is large, so the next call's buffers do
     * not take the place of the kept word. */
    static DWORD big[0x8000];
    DWORD got = 0;
    uint32_t ret = 0;
    int ok = 0;
    big[0x7FFF] = 0x5A5A;
    assert_int_equal(
        cevm_driver_ioctl(d, h, 1, big, sizeof big, NULL, 0, &ret, &ok, g_err, sizeof g_err),
        CEVM_OK);
    cevm_status st = cevm_driver_ioctl(d, h, 2, NULL, 0, &got, 4, &ret, &ok, g_err, sizeof g_err);
    assert_int_equal(st, CEVM_E_DRIVER);
    assert_non_null(strstr(g_err, "access violation in KPR_IOControl"));
    if (!CE5)
        assert_non_null(strstr(g_err, "without CeAllocAsynchronousBuffer"));
    cevm_driver_unload(d, NULL, g_err, sizeof g_err);
}

static void an_asynchronous_buffer_outlives_the_call(void **state)
{
    (void)state;
    if (CE5)
        return; /* CeAllocAsynchronousBuffer is CE 6's (caller_buffers_are_checked_and_copied) */
    cevm_driver *d = load_keeper();
    uint32_t h = 0, ret = 0;
    int ok = 0;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, g_err, sizeof g_err), CEVM_OK);
    DWORD word = 41, got = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, 3, &word, 4, NULL, 0, &ret, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(ok);
    assert_int_equal(cevm_driver_ioctl(d, h, 4, NULL, 0, &got, 4, &ret, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_int_equal(got, 42);
    /* The application keeps its buffer until the asynchronous buffer is freed (the driver host
     * holds the call's buffers while one is outstanding): the write-back lands there. */
    assert_int_equal(cevm_driver_ioctl(d, h, 5, NULL, 0, &got, 4, &ret, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_int_equal(got, (DWORD)S_OK);
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
}

/* A user-mode driver (udevice, CE 6+): its MmMapIoSpace goes through the reflector, which maps
 * only what its registry windows (MemBase/MemLen) name. SER's Init maps UART0 (0x7F005000). */
static void a_user_mode_driver_maps_only_its_windows(void **state)
{
    (void)state;
    int v = cetest_profile();
    char v_name[8];
    snprintf(v_name, sizeof v_name, "ce%d", v);
    assert_int_equal(boot_as(v_name, v == 5 ? "untrusted" : "user"), CEVM_OK);
    static const WCHAR pfx[] = TEXT("SER");
    make_key(TEXT("Drivers\\BuiltIn\\Ser"), pfx, sizeof pfx);
    cevm_driver *d = NULL;
    /* No windows: the mapping is refused, so Init fails. */
    cevm_status st0 =
        cevm_driver_load(cetest_driver("ser"), "Drivers\\BuiltIn\\Ser", &d, g_err, sizeof g_err);
    assert_int_equal(st0, CEVM_E_DRIVER);
    /* A window holding UART0: on CE 6+ the reflector maps it (into user space); CE 5's untrusted
     * caller is refused whatever the registry says. */
    HKEY k;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\BuiltIn\\Ser"), 0, 0, &k),
                     ERROR_SUCCESS);
    DWORD base = 0x7F005000, len = 0x1000;
    RegSetValueEx(k, TEXT("MemBase"), 0, REG_DWORD, (const BYTE *)&base, sizeof base);
    RegSetValueEx(k, TEXT("MemLen"), 0, REG_DWORD, (const BYTE *)&len, sizeof len);
    RegCloseKey(k);
    cevm_status st =
        cevm_driver_load(cetest_driver("ser"), "Drivers\\BuiltIn\\Ser", &d, g_err, sizeof g_err);
    if (v == 5) {
        assert_int_equal(st, CEVM_E_DRIVER);
        return;
    }
    assert_int_equal(st, CEVM_OK);
    uint32_t ulcon = 0;
    assert_int_equal(cevm_device_get("UART", "UBRDIV0", &ulcon), CEVM_OK);
    assert_int_equal(ulcon, 34); /* Init's write reached the register through the mapping */
    cevm_module_info mi[16];
    size_t n = cevm_modules(mi, 16), i = 0;
    while (i < n && !strstr(mi[i].path, "libser"))
        i++;
    assert_true(i < n && mi[i].base >= 0x40000000u && mi[i].base < 0x60000000u); /* user DLLs */
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
    /* Outside the driver's calls nothing is reflected. */
    BYTE *r = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_error(!VirtualCopy(r, (LPVOID)(0x7F005000 >> 8), 0x1000, PAGE_PHYSICAL | PAGE_READWRITE),
                 50);
}

/* CE 6+ processes: each its own user space, the host showing the current one's. */
static void processes_have_their_own_user_space(void **state)
{
    (void)state;
    uint32_t other = 0;
    if (CE5) {
        assert_int_equal(cevm_process_create("other.exe", &other), CEVM_E_UNSUPPORTED);
        return;
    }
    uint32_t app = cevm_caller_process();
    HANDLE happ = (HANDLE)(uintptr_t)app;
    volatile DWORD *p =
        VirtualAlloc(PTR(0x00400000), 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(p);
    *p = 0x1111;
    DWORD *k = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE); /* kernel VM: shared */
    *k = 0x4444;
    assert_int_equal(cevm_process_create("other.exe", &other), CEVM_OK);
    assert_int_not_equal(other, app);
    HANDLE hother = (HANDLE)(uintptr_t)other;
    /* The other process has nothing at 0x00400000: its own reservation lands there. */
    assert_ptr_equal(
        VirtualAllocEx(hother, PTR(0x00400000), 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
        PTR(0x00400000));
    DWORD v = 0x2222, got = 0;
    assert_true(WriteProcessMemory(hother, PTR(0x00400010), &v, 4, NULL));
    assert_true(ReadProcessMemory(hother, PTR(0x00400010), &got, 4, NULL));
    assert_int_equal(got, 0x2222);
    assert_int_equal(*p, 0x1111); /* the window still shows the application */
    MEMORY_BASIC_INFORMATION m;
    assert_int_equal(VirtualQueryEx(hother, PTR(0x00400000), &m, sizeof m), sizeof m);
    assert_int_equal(m.State, MEM_COMMIT);
    assert_int_equal(VirtualQueryEx(hother, PTR(0x00500000), &m, sizeof m), sizeof m);
    assert_int_equal(m.State, MEM_FREE);
    /* A lock belongs to its process. */
    DWORD pfn[1];
    assert_true(LockPages((LPVOID)p, 0x1000, pfn, LOCKFLAG_READ));
    /* Switch: the other process's page is at 0x00400000 now, the kernel's VM unchanged. */
    assert_int_equal(cevm_process_switch(other), CEVM_OK);
    assert_int_equal(cevm_caller_process(), other);
    cevm_info info;
    assert_int_equal(cevm_get_info(&info), CEVM_OK);
    assert_string_equal(info.caller_name, "other.exe");
    assert_int_equal(p[4], 0x2222);
    assert_int_equal(*k, 0x4444);
    assert_true(ReadProcessMemory(happ, PTR(0x00400000), &got, 4, NULL));
    assert_int_equal(got, 0x1111);
    assert_true(VirtualFree((LPVOID)p, 0, MEM_RELEASE)); /* the other's: not locked */
    assert_int_equal(query(PTR(0x00400000)).State, MEM_FREE);
    assert_int_equal(cevm_process_switch(app), CEVM_OK);
    assert_int_equal(*p, 0x1111);
    assert_error(!VirtualFree((LPVOID)p, 0, MEM_RELEASE), 87); /* the application's: locked */
    assert_true(UnlockPages((LPVOID)p, 0x1000));
    assert_int_equal(cevm_process_switch(0x1234), CEVM_E_INVAL);
}

/* A kernel-mode driver that keeps a caller's pointer past the call reaches whatever process is
 * current when it uses it: here another process's memory at that address, as on CE 6. */
static void a_kept_pointer_reaches_the_current_process(void **state)
{
    (void)state;
    if (CE5)
        return; /* CE 5's processes are slots: test_process.c has its caller */
    cevm_driver *d = load_keeper();
    uint32_t h = 0, ret = 0;
    int ok = 0;
    assert_int_equal(cevm_driver_open(d, 0, 0, &h, g_err, sizeof g_err), CEVM_OK);
    static DWORD big[0x8000];
    assert_int_equal(
        cevm_driver_ioctl(d, h, 1, big, sizeof big, NULL, 0, &ret, &ok, g_err, sizeof g_err),
        CEVM_OK);
    DWORD kept = 0, got = 0;
    assert_int_equal(cevm_driver_ioctl(d, h, 6, NULL, 0, &kept, 4, &ret, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_true(kept >= 0x10000u && kept < 0x40000000u);
    uint32_t other = 0;
    assert_int_equal(cevm_process_create("other.exe", &other), CEVM_OK);
    HANDLE hother = (HANDLE)(uintptr_t)other;
    assert_non_null(VirtualAllocEx(hother, PTR(kept & ~0xFFFFu), 0x10000, MEM_RESERVE | MEM_COMMIT,
                                   PAGE_READWRITE));
    DWORD marker = 0x0DD0DD0D;
    assert_true(WriteProcessMemory(hother, PTR(kept), &marker, 4, NULL));
    assert_int_equal(cevm_process_switch(other), CEVM_OK);
    assert_int_equal(cevm_driver_ioctl(d, h, 2, NULL, 0, &got, 4, &ret, &ok, g_err, sizeof g_err),
                     CEVM_OK);
    assert_int_equal(got, marker); /* the other process's memory */
    assert_int_equal(cevm_driver_unload(d, NULL, g_err, sizeof g_err), CEVM_OK);
}

/* Compact 7's new-style table: the marker row 0x87654321, OEMAddressTable rows mapped cached
 * only, devices from the OEMDeviceTable, kernel VM from the end of the static mappings. */
static const char new_style_board[] = "board new-style\n"
                                      "ram DRAM 0x50000000 64M\n"
                                      "device GPIO 0x7F008000 0x1000 regfile\n"
                                      "register GPIO GPKDAT 0x808 32 rw 0\n"
                                      "oem 0x87654321\n"
                                      "oem 0x80000000 0x50000000 64 DRAM\n"
                                      "devtable 0x90000000 0x7F000000 0x100000 0 PERI\n"
                                      "devtable 0x90100000 0x7F008000 0x1000 4 GPIO uncached\n";

static cevm_status boot_new_style(const char *profile)
{
    cevm_shutdown();
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = new_style_board;
    cfg.board_label = "new-style";
    cfg.profile = profile;
    g_err[0] = '\0';
    return cevm_boot(&cfg, g_err, sizeof g_err);
}

static void compact7_new_style_table(void **state)
{
    (void)state;
    /* Only Compact 7 has it. */
    assert_int_equal(boot_new_style("ce6"), CEVM_E_BOARD);
    assert_non_null(strstr(g_err, "needs profile ce7, not ce6"));
    assert_int_equal(boot_new_style("ce7"), CEVM_OK);
    /* g_oalAddressTable starts with the marker row. */
    assert_int_equal(g_oalAddressTable[0].CA, 0x87654321u);
    assert_int_equal(g_oalAddressTable[1].CA, 0x80000000u);
    assert_int_equal(g_oalAddressTable[1].PA, 0x50000000u);
    /* RAM cached only: no uncached alias. */
    assert_int_equal(NKVirtToPhys(PTR(0x80001000)), 0x500010u);
    assert_int_equal(NKVirtToPhys(PTR(0xA0001000)), INVALID_PHYSICAL_ADDRESS);
    assert_int_equal(CEA(NKPhysToVirt(0x50001000 >> 8, TRUE)), 0x80001000u);
    assert_null(NKPhysToVirt(0x50001000 >> 8, FALSE));
    /* Devices: the device table first, whatever the cache request. */
    assert_int_equal(CEA(NKPhysToVirt(0x7F008000 >> 8, FALSE)), 0x90008000u);
    assert_int_equal(CEA(CreateStaticMapping(0x7F008000 >> 8, 0x1000)), 0x90008000u);
    volatile DWORD *gpk = (volatile DWORD *)PTR(0x90100808);
    *gpk = 0x5A;
    uint32_t v = 0;
    assert_int_equal(cevm_device_get("GPIO", "GPKDAT", &v), CEVM_OK);
    assert_int_equal(v, 0x5A);
    cevm_page_info pi;
    assert_int_equal(cevm_page(0x90100000u, &pi), CEVM_OK);
    assert_int_equal(pi.protect, PAGE_READWRITE | PAGE_NOCACHE); /* Attributes 4 */
    assert_int_equal(cevm_page(0x90000000u, &pi), CEVM_OK);
    assert_int_equal(pi.protect, PAGE_READWRITE); /* Attributes 0: cached */
    /* Kernel VM starts where the static mappings end (0x90101000, rounded to 1 MB). */
    BYTE *k = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    assert_int_equal(CEA(k), 0x90200000u);
    cevm_info info;
    assert_int_equal(cevm_get_info(&info), CEVM_OK);
    assert_int_equal(info.kernel_vm_base, 0x90200000u);
    MEMORY_BASIC_INFORMATION m;
    assert_error(VirtualQuery(PTR(0x90100000), &m, sizeof m) == 0, 87);
    assert_int_equal(query(k).State, MEM_COMMIT);
    /* A new static mapping outside both tables lands in kernel VM and is found again. */
    BYTE *n = CreateStaticMapping(0x48000000 >> 8, 0x1000);
    assert_true(CEA(n) >= 0x90200000u && CEA(n) < 0xF0000000u);
    assert_ptr_equal(NKPhysToVirt(0x48000000 >> 8, FALSE), n);
    char err[256];
    assert_int_equal(cevm_check_invariants(err, sizeof err), CEVM_OK);
}

static void new_style_table_errors_name_the_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"ram R 0x30000000 16M\ndevtable 0x90000000 0x7F000000 0x1000 0\n",
         "t:2: 'devtable' rows need the new-style table: 'oem 0x87654321' first"},
        {"ram R 0x30000000 16M\noem 0x80000000 0x30000000 16\noem 0x87654321\n",
         "t:3: the new-style marker row 0x87654321 must be the first oem row"},
        {"ram R 0x30000000 16M\noem 0x87654321\ndevtable 0x90000800 0x7F000000 0x1000 0\n",
         "t:3: bad VA '0x90000800' (page-aligned, 0x80000000 to 0xEFFFFFFF)"},
        {"ram R 0x30000000 16M\noem 0x87654321\ndevtable 0x90000000 0x7F000000 0x1800 0\n",
         "t:3: bad size '0x1800' (bytes, a multiple of 4 KB)"},
        {"ram R 0x30000000 16M\noem 0x87654321\noem 0x90000000 0x30000000 1\n"
         "devtable 0x90000000 0x7F000000 0x1000 0\n",
         "t:4: row overlaps line 3 with a different physical address for the same VA"},
        {"ram R 0x30000000 16M\noem 0x87654321\ndevtable 0x90000000 0x7F000000 0x1000\n",
         "t:3: 'devtable' needs VA PA SIZE-IN-BYTES ATTRIBUTES [LABEL]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cevm_shutdown();
        cevm_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.board_text = bad[i].text;
        cfg.board_label = "t";
        cfg.profile = "ce7";
        assert_int_equal(cevm_boot(&cfg, g_err, sizeof g_err), CEVM_E_BOARD);
        assert_string_equal(g_err, bad[i].msg);
    }
}

static const struct CMUnitTest tests[] = {
    CE_TEST_RAW(profile_comes_from_config_then_environment_then_board),
    CE_TEST_RAW(caller_mode_words_are_the_profiles),
    CE_TEST(kernel_and_user_memory_have_their_places),
    CE_TEST(compact7_stops_user_addresses_at_max_user_alloc),
    CE_TEST(oracle50_lock_options),
    CE_TEST(oracle51_unlock_exact_range),
    CE_TEST(oracle54_user_alloc_phys),
    CE_TEST(oracle55_static_mapping_outside_the_table),
    CE_TEST(ex_calls_name_the_kernel_or_the_application),
    CE_TEST(caller_buffers_are_checked_and_copied),
    CE_TEST(a_driver_built_for_another_version_is_reported),
    CE_TEST(ce5_pointer_calls_are_gone_on_ce6),
    CE_TEST(a_ce6_driver_lives_in_kernel_space),
    CE_TEST(an_asynchronous_buffer_outlives_the_call),
    CE_TEST(a_user_mode_driver_maps_only_its_windows),
    CE_TEST(processes_have_their_own_user_space),
    CE_TEST(a_kept_pointer_reaches_the_current_process),
    CE_TEST_RAW(compact7_new_style_table),
    CE_TEST_RAW(new_style_table_errors_name_the_line),
};

CETEST_MAIN(tests)
