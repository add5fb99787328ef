/*
 * test_devmgr.c — the device manager: a board whose registry lists several drivers (the example
 * LED, UART and SER drivers and the probe test driver, written the way BSP drivers are) boots in
 * Order, bad keys are reported and skipped, the Active keys carry Key, Name and Hnd, and CE code
 * reaches the drivers by name with CreateFile, ReadFile, WriteFile, SetFilePointer,
 * DeviceIoControl and CloseHandle, down to the device models' registers.
 */
#include "cetest.h"

#include <msgqueue.h>
#include <pm.h>
#include <pnp.h>
#include <windev.h>

/* Device keys as a BSP's platform.reg writes them (dword values are hex; the libraries are found
 * on CEVM_LIBRARY_PATH, as LoadLibrary finds them). */
static const char board[] =
    "include builtin\n"
    "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\LED]\n"
    "\"Prefix\"=\"LED\"\n\"Dll\"=\"libled.so\"\n\"Index\"=dword:1\n\"Order\"=dword:14\n"
    "\"MemBase\"=dword:7F008000\n\"MemLen\"=dword:1000\n"
    "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Serial]\n"
    "\"Prefix\"=\"COM\"\n\"Dll\"=\"libuart.so\"\n\"Index\"=dword:1\n\"Order\"=dword:0a\n"
    "\"MemBase\"=dword:7F005000\n\"MemLen\"=dword:400\n\"Irq\"=dword:25\n\"SysIntr\"=dword:20\n"
    "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Probe]\n"
    "\"Prefix\"=\"PRB\"\n\"Dll\"=\"libprobe.so\"\n\"Order\"=dword:1e\n"
    "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Off]\n"
    "\"Prefix\"=\"OFF\"\n\"Dll\"=\"libprobe.so\"\n\"Flags\"=dword:4\n\"Order\"=dword:5\n"
    "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\NoDll]\n"
    "\"Prefix\"=\"NDL\"\n\"Order\"=dword:6\n"
    "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Broken]\n"
    "\"Prefix\"=\"BRK\"\n\"Dll\"=\"libnothere.so\"\n\"Order\"=dword:7\n"
    "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Dup]\n"
    "\"Prefix\"=\"LED\"\n\"Dll\"=\"libled.so\"\n\"Index\"=dword:1\n\"Order\"=dword:28\n"
    "\"MemBase\"=dword:7F008000\n\"MemLen\"=dword:1000\n"
    "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Bus]\n"
    "\"Dll\"=\"BusEnum.dll\"\n\"Order\"=dword:32\n"
    "[HKEY_LOCAL_MACHINE\\Drivers\\BuiltIn\\Bus\\Ser]\n"
    "\"Prefix\"=\"SER\"\n\"Dll\"=\"libser.so\"\n\"Order\"=dword:1\n"
    "\"IClass\"=multi_sz:\"{A32942B7-920C-486b-B0E6-92A702A99B35}\",\"{12345678-9ABC-DEF0-1234-"
    "56789ABCDEF0}=Our class\",\"bogus\"\n"
    "[HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Control\\Power\\State\\Custom]\n"
    "\"Default\"=dword:0\n";

static char g_err[512];

static void boot_board(void)
{
    cevm_shutdown();
    char path[1024];
    snprintf(path, sizeof path, "%s:%s", CEVM_DRIVER_DIR, CEVM_TEST_DRIVER_DIR);
    setenv("CEVM_LIBRARY_PATH", path, 1);
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_text = board;
    cfg.board_label = "devmgr";
    assert_int_equal(cevm_boot(&cfg, g_err, sizeof g_err), CEVM_OK);
}

/* The Hnd of the Active key whose Name is name, or 0. */
static DWORD active_handle(const char *name, char *key, size_t cap)
{
    HKEY act;
    if (RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\Active"), 0, 0, &act) != ERROR_SUCCESS)
        return 0;
    DWORD found = 0;
    for (DWORD i = 0; !found; i++) {
        WCHAR sub[32];
        DWORD len = 32;
        if (RegEnumKeyEx(act, i, sub, &len, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
            break;
        HKEY k;
        if (RegOpenKeyEx(act, sub, 0, 0, &k) != ERROR_SUCCESS)
            continue;
        WCHAR wname[16] = {0}, wkey[128] = {0};
        DWORD type, size = sizeof wname - 2, hnd = 0;
        RegQueryValueEx(k, TEXT("Name"), NULL, &type, (LPBYTE)wname, &size);
        size = sizeof hnd;
        RegQueryValueEx(k, TEXT("Hnd"), NULL, &type, (LPBYTE)&hnd, &size);
        size = sizeof wkey - 2;
        RegQueryValueEx(k, TEXT("Key"), NULL, &type, (LPBYTE)wkey, &size);
        RegCloseKey(k);
        char n[16];
        for (size_t c = 0; c < sizeof n; c++)
            n[c] = (char)wname[c];
        if (!strcmp(n, name)) {
            found = hnd;
            for (size_t c = 0; c + 1 < cap; c++)
                key[c] = (char)wkey[c], key[c + 1] = 0;
        }
    }
    RegCloseKey(act);
    return found;
}

static char *g_report;

static void boot_set(void *ctx)
{
    cevm_devices_boot((cevm_boot_report *)ctx);
}

static void builtin_set_loads_in_order_and_reports_bad_keys(void **state)
{
    (void)state;
    boot_board();
    cevm_boot_report rep;
    g_report = capture_stderr(boot_set, &rep);
    free(g_report);
    /* In Order: Off (5, NOLOAD), NoDll (6), Broken (7), Serial (10), LED (20), Probe (30),
     * Dup (40, name taken), then the bus's Ser. */
    const char *want[] = {"Drivers\\BuiltIn\\Off: Flags has DEVFLAGS_NOLOAD: not loaded",
                          "Drivers\\BuiltIn\\NoDll: no Dll value",
                          "Drivers\\BuiltIn\\Broken: driver 'BRK1:': cannot load",
                          "Drivers\\BuiltIn\\Serial: COM1: loaded, Order 10",
                          "Drivers\\BuiltIn\\LED: LED1: loaded, Order 20",
                          "Drivers\\BuiltIn\\Probe: PRB1: loaded, Order 30",
                          "Drivers\\BuiltIn\\Dup: LED1: is taken by another device",
                          "Drivers\\BuiltIn\\Bus: bus enumerator",
                          "Drivers\\BuiltIn\\Bus\\Ser: SER1: loaded, Order 1"};
    const char *at = rep.text;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *hit = strstr(at, want[i]);
        if (!hit)
            fprintf(stderr, "missing in order: %s\n--- report:\n%s", want[i], rep.text);
        assert_non_null(hit);
        at = hit;
    }
    assert_int_equal(rep.loaded, 4);
    assert_true(rep.failed >= 3); /* and the built-in board's configuration-only keys */
    assert_int_equal(rep.skipped, 1);
    /* The Active keys: Name, Key and Hnd. */
    char key[128];
    DWORD hnd = active_handle("LED1:", key, sizeof key);
    assert_int_not_equal(hnd, 0);
    assert_string_equal(key, "Drivers\\BuiltIn\\LED");
    DEVMGR_DEVICE_INFORMATION di;
    memset(&di, 0, sizeof di);
    di.dwSize = sizeof di;
    assert_true(GetDeviceInformationByDeviceHandle((HANDLE)(uintptr_t)hnd, &di));
    assert_int_equal(di.szLegacyName[0], 'L');
    assert_int_equal(di.szLegacyName[3], '1');
    assert_int_equal(di.szLegacyName[4], ':');
    assert_int_equal(di.szDeviceName[0], '$');
    di.dwSize = 4;
    assert_error(!GetDeviceInformationByDeviceHandle((HANDLE)(uintptr_t)hnd, &di), 87);
    di.dwSize = sizeof di;
    assert_error(!GetDeviceInformationByDeviceHandle((HANDLE)0x1234, &di), 6);
    /* A wild pointer is 87, read or written. */
    void *wild = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    assert_error(!GetDeviceInformationByDeviceHandle((HANDLE)(uintptr_t)hnd, wild), 87);
    void *ro = VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE);
    *(DWORD *)ro = sizeof di; /* a right dwSize in memory that cannot be written */
    DWORD oldp;
    assert_true(VirtualProtect(ro, 0x1000, PAGE_READONLY, &oldp));
    assert_error(!GetDeviceInformationByDeviceHandle((HANDLE)(uintptr_t)hnd, ro), 87);
    VirtualFree(ro, 0, MEM_RELEASE);
    VirtualFree(wild, 0, MEM_RELEASE);
}

static void applications_reach_drivers_by_name(void **state)
{
    (void)state;
    boot_board();
    cevm_boot_report rep;
    g_report = capture_stderr(boot_set, &rep);
    free(g_report);
    /* LED1: a write sets the LEDs through the GPIO register file, a read gives them back. */
    HANDLE led =
        CreateFile(TEXT("LED1:"), GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(led != INVALID_HANDLE_VALUE);
    BYTE b = 0x05, r = 0;
    DWORD n = 0;
    assert_true(WriteFile(led, &b, 1, &n, NULL));
    assert_int_equal(n, 1);
    uint32_t v = 0;
    assert_int_equal(cevm_device_get("GPIO", "GPMDAT", &v), CEVM_OK);
    assert_int_equal(v & 0xF, 0x5);
    assert_true(ReadFile(led, &r, 1, &n, NULL));
    assert_int_equal(r, 0x05);
    /* IOCTL_LED_SET / IOCTL_LED_GET (FILE_DEVICE_UNKNOWN 0x800 / 0x801), keys (0x802) on GPN. */
    DWORD leds = 0x0A, ret = 0;
    assert_true(DeviceIoControl(led, 0x222000, &leds, 4, NULL, 0, &ret, NULL));
    leds = 0;
    assert_true(DeviceIoControl(led, 0x222004, NULL, 0, &leds, 4, &ret, NULL));
    assert_int_equal(ret, 4);
    assert_int_equal(leds, 0x0A);
    assert_int_equal(cevm_pin_set("GPIO", "KEY2", 1), CEVM_OK);
    DWORD keys = 0;
    assert_true(DeviceIoControl(led, 0x222008, NULL, 0, &keys, 4, &ret, NULL));
    assert_int_equal(keys, 0x04);
    assert_error(!DeviceIoControl(led, 0x222FFC, NULL, 0, NULL, 0, &ret, NULL),
                 ERROR_NOT_SUPPORTED);
    assert_true(CloseHandle(led));
    assert_error(!CloseHandle(led), ERROR_INVALID_HANDLE);
    assert_error(!WriteFile(led, &b, 1, &n, NULL), ERROR_INVALID_HANDLE);
    /* Names: \$device\ form and any letter case; unknown devices and plain files. */
    HANDLE p = CreateFile(TEXT("\\$device\\prb1"), GENERIC_READ, FILE_SHARE_READ, NULL,
                          OPEN_EXISTING, 0, NULL);
    assert_true(p != INVALID_HANDLE_VALUE);
    assert_error(CreateFile(TEXT("LED9:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL) ==
                     INVALID_HANDLE_VALUE,
                 ERROR_DEV_NOT_EXIST);
    assert_error(CreateFile(TEXT("\\windows\\x.txt"), 0, 0, NULL, OPEN_EXISTING, 0, NULL) ==
                     INVALID_HANDLE_VALUE,
                 ERROR_FILE_NOT_FOUND);
    /* The probe sees what reached it: access and share modes, bytes, seeks, its errors. */
    BYTE w = 'Q';
    assert_true(WriteFile(p, &w, 1, &n, NULL));
    assert_int_equal(SetFilePointer(p, 12, NULL, FILE_END), 12 + 2000);
    char buf[4];
    assert_true(ReadFile(p, buf, 3, &n, NULL));
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "rrr", 3);
    DWORD seen[8];
    assert_true(DeviceIoControl(p, 1, NULL, 0, seen, sizeof seen, &ret, NULL));
    assert_int_equal(ret, sizeof seen);
    assert_int_equal(seen[2], GENERIC_READ);
    assert_int_equal(seen[3], FILE_SHARE_READ);
    assert_int_equal(seen[4], 'Q');
    assert_int_equal(seen[5], 0x101); /* the open context XXX_Open returned */
    assert_error(!DeviceIoControl(p, 2, NULL, 0, NULL, 0, &ret, NULL), 1234);
    /* Deactivation closes what is open (XXX_Close) and takes the name away. */
    char key[128];
    DWORD hnd = active_handle("PRB1:", key, sizeof key);
    assert_true(DeactivateDevice((HANDLE)(uintptr_t)hnd));
    assert_error(!DeviceIoControl(p, 1, NULL, 0, seen, sizeof seen, &ret, NULL),
                 ERROR_INVALID_HANDLE);
    assert_error(CreateFile(TEXT("PRB1:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL) ==
                     INVALID_HANDLE_VALUE,
                 ERROR_DEV_NOT_EXIST);
    assert_int_equal(active_handle("PRB1:", key, sizeof key), 0);
    assert_error(!DeactivateDevice((HANDLE)(uintptr_t)hnd), ERROR_INVALID_HANDLE);
}

static void activate_device_ex_passes_values_and_parameter(void **state)
{
    (void)state;
    boot_board();
    /* ActivateDeviceEx itself: REGINI values reach the Active key before Init, lpvParam is Init's
     * second argument, a second activation of a taken name fails, NOLOAD is not loaded. */
    DWORD marker = 0xC0FFEE;
    REGINI ent = {TEXT("Marker"), (const BYTE *)&marker, sizeof marker, REG_DWORD};
    HANDLE h = ActivateDeviceEx(TEXT("Drivers\\BuiltIn\\Probe"), &ent, 1, (LPVOID)0x1234);
    assert_true(h != NULL && h != INVALID_HANDLE_VALUE);
    HANDLE f = CreateFile(TEXT("PRB1:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL);
    DWORD seen[8], ret = 0;
    assert_true(DeviceIoControl(f, 1, NULL, 0, seen, sizeof seen, &ret, NULL));
    assert_int_equal(seen[0], 0xC0FFEE);
    assert_int_equal(seen[1], 0x1234);
    /* The Active key's FullName (the $device name) and DevID. */
    char key[128];
    assert_int_not_equal(active_handle("PRB1:", key, sizeof key), 0);
    HKEY act;
    WCHAR full[16] = {0};
    DWORD type = 0, size = sizeof full - 2, devid = 0;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\Active\\01"), 0, 0, &act),
                     ERROR_SUCCESS);
    assert_int_equal(RegQueryValueEx(act, TEXT("FullName"), NULL, &type, (LPBYTE)full, &size),
                     ERROR_SUCCESS);
    assert_int_equal(type, REG_SZ);
    assert_true(full[0] == 'P' && full[3] == '1' && full[4] == 0);
    size = sizeof devid;
    assert_int_equal(RegQueryValueEx(act, TEXT("DevID"), NULL, &type, (LPBYTE)&devid, &size),
                     ERROR_SUCCESS);
    assert_int_not_equal(devid, 0);
    RegCloseKey(act);
    assert_true(CloseHandle(f));
    HANDLE fail = CE5 ? INVALID_HANDLE_VALUE : NULL; /* CE 5 and CE 6 differ (docs) */
    SetLastError(0);
    assert_true(ActivateDeviceEx(TEXT("Drivers\\BuiltIn\\Probe"), NULL, 0, NULL) == fail);
    assert_int_equal(GetLastError(), ERROR_DEVICE_IN_USE);
    assert_true(ActivateDeviceEx(TEXT("Drivers\\BuiltIn\\Off"), NULL, 0, NULL) == fail);
    assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);
    assert_true(ActivateDeviceEx(TEXT("Drivers\\BuiltIn\\Nope"), NULL, 0, NULL) == fail);
    assert_int_equal(GetLastError(), ERROR_FILE_NOT_FOUND);
    assert_true(DeactivateDevice(h));
}

/* One DEVDETAIL from q (0 ms: it must be there). Return: fAttached, or -1 when none; name gets
 * its name. */
static int next_detail(HANDLE q, char *name, size_t cap)
{
    union {
        DEVDETAIL d;
        BYTE raw[sizeof(DEVDETAIL) + MAX_DEVCLASS_NAMELEN * sizeof(WCHAR)];
    } m;
    DWORD got = 0, flags = 0;
    if (!ReadMsgQueue(q, m.raw, sizeof m, &got, 0, &flags))
        return -1;
    size_t i = 0;
    for (; i + 1 < cap && i < (size_t)m.d.cbName / sizeof(WCHAR); i++)
        name[i] = (char)m.d.szName[i];
    name[i] = '\0';
    return m.d.fAttached;
}

/* The driver's own answer to IOCTL_POWER_GET: what IOCTL_POWER_SET really told it. */
static int driver_dx(void)
{
    HANDLE f = CreateFile(TEXT("SER1:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL);
    CEDEVICE_POWER_STATE dx = PwrDeviceUnspecified;
    DWORD ret = 0;
    BOOL ok = DeviceIoControl(f, IOCTL_POWER_GET, NULL, 0, &dx, sizeof dx, &ret, NULL);
    CloseHandle(f);
    return ok ? (int)dx : -1;
}

static int pm_dx(const WCHAR *name)
{
    CEDEVICE_POWER_STATE dx = PwrDeviceUnspecified;
    return GetDevicePower((PVOID)name, POWER_NAME, &dx) == ERROR_SUCCESS ? (int)dx : -1;
}

/* IClass: each {GUID} is advertised under the device's name while it is active (DEVDETAIL
 * messages), a malformed entry is reported; the generic power class hands the device to the
 * power manager, which asks its capabilities and delivers IOCTL_POWER_SET for SetDevicePower
 * and SetSystemPowerState, mapped to the states the device supports. */
static void interfaces_and_the_power_manager(void **state)
{
    (void)state;
    boot_board();
    static const GUID ours = {
        0x12345678, 0x9ABC, 0xDEF0, {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0}};
    MSGQUEUEOPTIONS o = {sizeof o, 0, 8, sizeof(DEVDETAIL) + MAX_DEVCLASS_NAMELEN * 2, TRUE};
    HANDLE q = CreateMsgQueue(NULL, &o);
    assert_non_null(q);
    HANDLE note = RequestDeviceNotifications(&ours, q, TRUE);
    assert_non_null(note);
    cevm_boot_report rep;
    g_report = capture_stderr(boot_set, &rep);
    free(g_report);
    assert_non_null(strstr(rep.text, "SER1: loaded, Order 1 (Drivers\\Active\\"));
    assert_non_null(strstr(rep.text, "power-managed, DeviceDx 0x11"));
    assert_non_null(strstr(rep.text, "IClass entry 'bogus' is no {GUID}: ignored"));
    char name[32];
    assert_int_equal(next_detail(q, name, sizeof name), TRUE);
    assert_string_equal(name, "SER1:");
    assert_int_equal(next_detail(q, name, sizeof name), -1); /* only our class, only once */
    /* The power manager: D0 at load; Suspend (D3) is not supported: D4, the next lower. */
    assert_int_equal(pm_dx(TEXT("SER1:")), D0);
    assert_int_equal(SetSystemPowerState(TEXT("Suspend"), 0, 0), ERROR_SUCCESS);
    assert_int_equal(pm_dx(TEXT("SER1:")), D4);
    assert_int_equal(driver_dx(), D4);
    WCHAR sys[16];
    DWORD flags = 0;
    assert_int_equal(GetSystemPowerState(sys, 16, &flags), ERROR_SUCCESS);
    assert_int_equal(flags, POWER_STATE_SUSPEND);
    assert_int_equal(sys[0], 'S');
    assert_int_equal(GetSystemPowerState(sys, 3, &flags), ERROR_INSUFFICIENT_BUFFER);
    /* A state the registry describes: State\Custom's Default is D0. */
    assert_int_equal(SetSystemPowerState(TEXT("Custom"), 0, 0), ERROR_SUCCESS);
    assert_int_equal(driver_dx(), D0);
    assert_int_equal(SetSystemPowerState(NULL, POWER_STATE_ON | POWER_STATE_OFF, 0),
                     ERROR_INVALID_PARAMETER);
    /* SetDevicePower with a class-qualified name: D1 becomes D4 and stays through On. */
    assert_int_equal(SetDevicePower((PVOID)TEXT("{A32942B7-920C-486b-B0E6-92A702A99B35}\\SER1:"),
                                    POWER_NAME, D1),
                     ERROR_SUCCESS);
    assert_int_equal(driver_dx(), D4);
    assert_int_equal(SetSystemPowerState(NULL, POWER_STATE_ON, 0), ERROR_SUCCESS);
    assert_int_equal(driver_dx(), D4);
    assert_int_equal(SetDevicePower((PVOID)TEXT("SER1:"), POWER_NAME, D0), ERROR_SUCCESS);
    assert_int_equal(driver_dx(), D0);
    /* cevm_devices shows it. */
    cevm_device_info list[16];
    size_t n = cevm_devices(list, 16);
    int seen = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i].name, "SER1:"))
            seen = list[i].power_state == 0;
        else
            assert_int_equal(list[i].power_state, -1);
    assert_true(seen);
    /* Deactivation withdraws the interface. */
    char key[128];
    DWORD hnd = active_handle("SER1:", key, sizeof key);
    assert_true(DeactivateDevice((HANDLE)(uintptr_t)hnd));
    assert_int_equal(next_detail(q, name, sizeof name), FALSE);
    assert_string_equal(name, "SER1:");
    assert_true(StopDeviceNotifications(note));
    assert_true(CloseMsgQueue(q));
}

static DWORD g_missing_err;

static void register_missing(void *ctx)
{
    (void)ctx;
    SetLastError(0);
    assert_null(RegisterDevice(TEXT("NOP"), 1, TEXT("libnothere.so"), 1));
    g_missing_err = GetLastError();
}

/* RegisterDevice: a device without a key, dwInfo as Init's context; its errors; Deregister.
 * EnumDeviceInterfaces on a device's IClass. */
static void register_device_and_enumerate_interfaces(void **state)
{
    (void)state;
    boot_board();
    HANDLE h = RegisterDevice(TEXT("PRB"), 4, TEXT("libprobe.so"), 0x4321);
    assert_non_null(h);
    HANDLE f = CreateFile(TEXT("PRB4:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(f != INVALID_HANDLE_VALUE);
    DWORD seen[8], ret = 0;
    assert_true(DeviceIoControl(f, 1, NULL, 0, seen, sizeof seen, &ret, NULL));
    assert_int_equal(seen[0], 0x4321);
    assert_true(CloseHandle(f));
    char key[128];
    assert_int_equal(active_handle("PRB4:", key, sizeof key), (DWORD)(uintptr_t)h);
    assert_string_equal(key, ""); /* no device key */
    SetLastError(0);
    assert_null(RegisterDevice(TEXT("PRB"), 4, TEXT("libprobe.so"), 1));
    assert_int_equal(GetLastError(), ERROR_DEVICE_IN_USE);
    assert_null(RegisterDevice(TEXT("PR"), 1, TEXT("libprobe.so"), 1));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    assert_null(RegisterDevice(TEXT("PRB"), 10, TEXT("libprobe.so"), 1));
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    g_report = capture_stderr(register_missing, NULL);
    assert_non_null(strstr(g_report, "RegisterDevice(NOP1:, libnothere.so)"));
    free(g_report);
    assert_int_equal(g_missing_err, ERROR_MOD_NOT_FOUND);
    assert_error(CreateFile(TEXT("NOP1:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL) ==
                     INVALID_HANDLE_VALUE,
                 ERROR_DEV_NOT_EXIST); /* nothing left registered */
    assert_true(DeregisterDevice(h));
    assert_error(!DeregisterDevice(h), ERROR_INVALID_HANDLE);
    /* EnumDeviceInterfaces: SER1's two good IClass entries, through either handle kind. */
    cevm_boot_report rep;
    g_report = capture_stderr(boot_set, &rep);
    free(g_report);
    DWORD ser = active_handle("SER1:", key, sizeof key);
    HANDLE dev = (HANDLE)(uintptr_t)ser;
    GUID cls;
    WCHAR name[8];
    DWORD size = sizeof name;
    assert_true(EnumDeviceInterfaces(dev, 0, &cls, name, &size));
    assert_int_equal(cls.Data1, 0xA32942B7);
    assert_int_equal(size, 6 * sizeof(WCHAR));
    assert_int_equal(name[0], 'S');
    assert_int_equal(name[4], ':');
    assert_int_equal(name[5], 0);
    f = CreateFile(TEXT("SER1:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL);
    size = 0;
    assert_true(EnumDeviceInterfaces(f, 1, &cls, NULL, &size));
    assert_int_equal(cls.Data1, 0x12345678);
    assert_int_equal(size, 12);
    size = 4;
    assert_error(!EnumDeviceInterfaces(f, 1, NULL, name, &size), ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(size, 12);
    assert_error(!EnumDeviceInterfaces(f, 2, &cls, NULL, NULL), ERROR_NO_MORE_ITEMS);
    assert_error(!EnumDeviceInterfaces((HANDLE)0x99, 0, &cls, NULL, NULL), ERROR_INVALID_HANDLE);
    assert_error(!EnumDeviceInterfaces(dev, 0, &cls, name, NULL), ERROR_INVALID_PARAMETER);
    void *wild = VirtualAlloc(NULL, 0x1000, MEM_RESERVE, PAGE_NOACCESS);
    size = sizeof name;
    assert_error(!EnumDeviceInterfaces(dev, 0, (GUID *)wild, name, &size), ERROR_INVALID_PARAMETER);
    assert_error(!EnumDeviceInterfaces(dev, 0, &cls, name, (LPDWORD)wild), ERROR_INVALID_PARAMETER);
    VirtualFree(wild, 0, MEM_RELEASE);
    assert_true(CloseHandle(f));
}

/* Bad keys in one set: an Init that fails, an Init that faults, bus enumerators nested past
 * eight levels (a loop in a real BSP). Each is a report line naming the key; the rest loads and
 * nothing of the failed ones stays registered. */
static void failing_and_faulting_inits_are_reported_and_skipped(void **state)
{
    (void)state;
    boot_board();
    HKEY k;
    static const WCHAR bad[] = TEXT("BAD"), dll[] = TEXT("libbad.so");
    static const char *keys[] = {"Drivers\\BuiltIn\\FailInit", "Drivers\\BuiltIn\\FaultInit"};
    for (int i = 0; i < 2; i++) {
        WCHAR wk[64];
        size_t n = 0;
        for (; keys[i][n]; n++)
            wk[n] = (WCHAR)keys[i][n];
        wk[n] = 0;
        assert_int_equal(RegCreateKeyEx(HKEY_LOCAL_MACHINE, wk, 0, NULL, 0, 0, NULL, &k, NULL),
                         ERROR_SUCCESS);
        DWORD one = 1, order = 2 + (DWORD)i;
        RegSetValueEx(k, TEXT("Prefix"), 0, REG_SZ, (const BYTE *)bad, sizeof bad);
        RegSetValueEx(k, TEXT("Dll"), 0, REG_SZ, (const BYTE *)dll, sizeof dll);
        RegSetValueEx(k, TEXT("Order"), 0, REG_DWORD, (const BYTE *)&order, 4);
        RegSetValueEx(k, i ? TEXT("FaultInit") : TEXT("FailInit"), 0, REG_DWORD, (const BYTE *)&one,
                      4);
        RegCloseKey(k);
    }
    /* Ten bus levels: Drivers\BuiltIn\Loop\B\B\... each with Dll BusEnum.dll. */
    WCHAR path[256] = TEXT("Drivers\\BuiltIn\\Loop");
    static const WCHAR busenum[] = TEXT("BusEnum.dll");
    for (int level = 0; level < 10; level++) {
        assert_int_equal(RegCreateKeyEx(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, 0, NULL, &k, NULL),
                         ERROR_SUCCESS);
        RegSetValueEx(k, TEXT("Dll"), 0, REG_SZ, (const BYTE *)busenum, sizeof busenum);
        RegCloseKey(k);
        size_t n = 0;
        while (path[n])
            n++;
        path[n] = '\\';
        path[n + 1] = 'B';
        path[n + 2] = 0;
    }
    cevm_boot_report rep;
    g_report = capture_stderr(boot_set, &rep);
    free(g_report);
    assert_non_null(strstr(rep.text, "access violation in BAD_Init")); /* the fault report */
    assert_non_null(strstr(rep.text, "Drivers\\BuiltIn\\FailInit: driver 'BAD1:'"));
    assert_non_null(strstr(rep.text, "BAD_Init(\"Drivers\\Active\\"));
    assert_non_null(strstr(rep.text, "returned 0"));
    assert_non_null(strstr(rep.text, "Drivers\\BuiltIn\\FaultInit: "));
    assert_non_null(strstr(rep.text, "nested too deep (a loop?): skipped"));
    assert_non_null(strstr(rep.text, "Drivers\\BuiltIn\\Serial: COM1: loaded"));
    assert_non_null(strstr(rep.text, "Drivers\\BuiltIn\\LED: LED1: loaded"));
    /* Nothing of them stays: no name, no Active key. */
    assert_error(CreateFile(TEXT("BAD1:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL) ==
                     INVALID_HANDLE_VALUE,
                 ERROR_DEV_NOT_EXIST);
    char key[128];
    assert_int_equal(active_handle("BAD1:", key, sizeof key), 0);
}

/* Drivers\RootKey chooses the key the boot loads. */
static void root_key_chooses_what_boots(void **state)
{
    (void)state;
    boot_board();
    HKEY k;
    static const WCHAR bus[] = TEXT("Drivers\\BuiltIn\\Bus");
    assert_int_equal(
        RegCreateKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers"), 0, NULL, 0, 0, NULL, &k, NULL),
        ERROR_SUCCESS);
    RegSetValueEx(k, TEXT("RootKey"), 0, REG_SZ, (const BYTE *)bus, sizeof bus);
    RegCloseKey(k);
    cevm_boot_report rep;
    g_report = capture_stderr(boot_set, &rep);
    free(g_report);
    assert_int_equal(rep.loaded, 1);
    assert_non_null(strstr(rep.text, "Drivers\\BuiltIn\\Bus\\Ser: SER1: loaded"));
    assert_null(strstr(rep.text, "LED1:"));
}

/* Suspend calls every driver's XXX_PowerDown (after the power manager's IOCTL_POWER_SET), and
 * leaving Suspend its XXX_PowerUp, each with Init's device context; other moves call neither.
 * CloseHandle calls XXX_PreClose before XXX_Close, DeactivateDevice XXX_PreDeinit before
 * XXX_Deinit. */
static void suspend_and_resume_call_power_down_and_up(void **state)
{
    (void)state;
    boot_board();
    HANDLE h = ActivateDeviceEx(TEXT("Drivers\\BuiltIn\\Probe"), NULL, 0, NULL);
    assert_true(h != NULL && h != INVALID_HANDLE_VALUE);
    HANDLE f = CreateFile(TEXT("PRB1:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL);
    DWORD counts[3], ret = 0;
    assert_int_equal(SetSystemPowerState(TEXT("UserIdle"), 0, 0), ERROR_SUCCESS);
    assert_true(DeviceIoControl(f, 3, NULL, 0, counts, sizeof counts, &ret, NULL));
    assert_true(counts[0] == 0 && counts[1] == 0);
    assert_int_equal(SetSystemPowerState(NULL, POWER_STATE_SUSPEND, 0), ERROR_SUCCESS);
    assert_int_equal(SetSystemPowerState(TEXT("Suspend"), 0, 0), ERROR_SUCCESS); /* still */
    assert_true(DeviceIoControl(f, 3, NULL, 0, counts, sizeof counts, &ret, NULL));
    assert_true(counts[0] == 1 && counts[1] == 0);
    assert_int_equal(SetSystemPowerState(TEXT("On"), 0, 0), ERROR_SUCCESS);
    assert_true(DeviceIoControl(f, 3, NULL, 0, counts, sizeof counts, &ret, NULL));
    assert_true(counts[0] == 1 && counts[1] == 1);
    assert_int_equal(counts[2], 0);
    assert_true(CloseHandle(f)); /* XXX_PreClose, then XXX_Close */
    f = CreateFile(TEXT("PRB1:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(DeviceIoControl(f, 3, NULL, 0, counts, sizeof counts, &ret, NULL));
    assert_int_equal(counts[2], 1);
    assert_true(DeactivateDevice(h)); /* XXX_PreDeinit, then XXX_Deinit */
    HKEY k;
    DWORD first = 0, size = sizeof first;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("ProbeLog"), 0, 0, &k), ERROR_SUCCESS);
    assert_int_equal(RegQueryValueEx(k, TEXT("PreDeinitFirst"), NULL, NULL, (LPBYTE)&first, &size),
                     ERROR_SUCCESS);
    RegCloseKey(k);
    assert_int_equal(first, 1);
}

/* A BSP folder as it is (tests/bsp: an oemaddrtab_cfg.inc, a platform.reg with IF blocks, a
 * deletion and an HKEY_CURRENT_USER key) boots its driver set; the build variables choose it. */
static void a_bsp_folder_boots_its_driver_set(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s:%s", CEVM_DRIVER_DIR, CEVM_TEST_DRIVER_DIR);
    setenv("CEVM_LIBRARY_PATH", path, 1);
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_path = CEVM_SOURCE_DIR "/tests/bsp/board";
    for (int serial = 0; serial < 2; serial++) {
        cevm_shutdown();
        if (serial)
            setenv("BSP_SERIAL", "1", 1);
        else
            unsetenv("BSP_SERIAL");
        unsetenv("BSP_NOLED");
        assert_int_equal(cevm_boot(&cfg, g_err, sizeof g_err), CEVM_OK);
        cevm_oem_row rows[16];
        assert_int_equal(cevm_board_oem_rows(rows, 16), 5);
        assert_int_equal(rows[4].va, 0x92B00000);
        assert_int_equal(rows[4].pa, 0x7F000000);
        cevm_boot_report rep;
        g_report = capture_stderr(boot_set, &rep);
        free(g_report);
        assert_int_equal(rep.loaded, 1 + serial);
        assert_int_equal(rep.failed, 0);
        assert_non_null(strstr(rep.text, "Drivers\\BuiltIn\\LED: LED1: loaded, Order 32"));
        assert_true((strstr(rep.text, "COM1: loaded") != NULL) == serial);
        assert_null(strstr(rep.text, "Obsolete")); /* deleted by [-...] */
        HKEY ledkey;
        DWORD inc = 0, isz = sizeof inc;
        assert_int_equal(
            RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\BuiltIn\\LED"), 0, 0, &ledkey),
            ERROR_SUCCESS);
        assert_int_equal(
            RegQueryValueEx(ledkey, TEXT("FromInclude"), NULL, NULL, (LPBYTE)&inc, &isz),
            ERROR_SUCCESS); /* from files\extra.reg, #included */
        assert_int_equal(inc, 1);
        RegCloseKey(ledkey);
        HKEY k;
        assert_int_equal(RegOpenKeyEx(HKEY_CURRENT_USER, TEXT("ControlPanel\\Backlight"), 0, 0, &k),
                         ERROR_SUCCESS);
        DWORD v = 0, type, size = sizeof v;
        assert_int_equal(RegQueryValueEx(k, TEXT("BatteryTimeout"), NULL, &type, (LPBYTE)&v, &size),
                         ERROR_SUCCESS);
        assert_int_equal(v, 0x3C);
        RegCloseKey(k);
        /* LED1: drives the GPIO model, seen through the table's static window too. */
        HANDLE led = CreateFile(TEXT("LED1:"), GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        BYTE b = 0x06;
        DWORD n = 0;
        assert_true(WriteFile(led, &b, 1, &n, NULL));
        assert_true(CloseHandle(led));
        assert_int_equal(*(volatile DWORD *)cevm_host_ptr(0xB2B08824) & 0xF, 0x6);
    }
    unsetenv("BSP_SERIAL");
}

static const struct CMUnitTest tests[] = {
    CE_TEST_RAW(builtin_set_loads_in_order_and_reports_bad_keys),
    CE_TEST_RAW(applications_reach_drivers_by_name),
    CE_TEST_RAW(activate_device_ex_passes_values_and_parameter),
    CE_TEST_RAW(interfaces_and_the_power_manager),
    CE_TEST_RAW(register_device_and_enumerate_interfaces),
    CE_TEST_RAW(failing_and_faulting_inits_are_reported_and_skipped),
    CE_TEST_RAW(root_key_chooses_what_boots),
    CE_TEST_RAW(suspend_and_resume_call_power_down_and_up),
    CE_TEST_RAW(a_bsp_folder_boots_its_driver_set),
};

CETEST_MAIN(tests)
