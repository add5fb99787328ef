/*
 * test_registry.c — the in-memory registry (documented Win32 results) and
 * DDKReg_GetWindowInfo (spec §12, oracle 60).
 */
#include "cetest.h"

#include <ddkreg.h>

static HKEY make_key(const WCHAR *path)
{
    HKEY k = NULL;
    DWORD disp = 0;
    assert_int_equal(RegCreateKeyEx(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, 0, NULL, &k, &disp),
                     ERROR_SUCCESS);
    return k;
}

static void set_dword(HKEY k, const WCHAR *name, DWORD v)
{
    assert_int_equal(RegSetValueEx(k, name, 0, REG_DWORD, (const BYTE *)&v, sizeof v),
                     ERROR_SUCCESS);
}

/* Set a REG_MULTI_SZ from a string literal (its size, final NUL included, is the value's). */
#define SET_MULTI(k, name, literal) set_multi(k, name, literal, sizeof(literal) / sizeof(WCHAR))

static void set_multi(HKEY k, const WCHAR *name, const WCHAR *list, DWORD units)
{
    assert_int_equal(
        RegSetValueEx(k, name, 0, REG_MULTI_SZ, (const BYTE *)list, units * sizeof(WCHAR)),
        ERROR_SUCCESS);
}

/* 60 [all] */
static void oracle60_get_window_info(void **state)
{
    (void)state;
    HKEY k = make_key(TEXT("Drivers\\BuiltIn\\Test"));
    set_dword(k, TEXT("IoBase"), 0x300);
    set_dword(k, TEXT("IoLen"), 0x20);
    DDKWINDOWINFO wi;
    memset(&wi, 0xAB, sizeof wi);
    wi.cbSize = sizeof wi;
    assert_int_equal(DDKReg_GetWindowInfo(k, &wi), ERROR_SUCCESS);
    assert_int_equal(wi.dwNumIoWindows, 1);
    assert_int_equal(wi.ioWindows[0].dwBase, 0x300);
    assert_int_equal(wi.ioWindows[0].dwLen, 0x20);
    assert_int_equal(wi.dwNumMemWindows, 0);
    assert_int_equal(wi.dwInterfaceType, 0xFFFFFFFFu);
    assert_int_equal(wi.dwBusNumber, 0);
    /* IoBase REG_DWORD but IoLen REG_MULTI_SZ */
    SET_MULTI(k, TEXT("IoLen"), TEXT("20\0"));
    assert_int_equal(DDKReg_GetWindowInfo(k, &wi), ERROR_INVALID_DATA);
    /* wrong cbSize, NULL key or info */
    wi.cbSize = sizeof wi - 1;
    assert_int_equal(DDKReg_GetWindowInfo(k, &wi), ERROR_INVALID_PARAMETER);
    wi.cbSize = sizeof wi;
    assert_int_equal(DDKReg_GetWindowInfo(NULL, &wi), ERROR_INVALID_PARAMETER);
    assert_int_equal(DDKReg_GetWindowInfo(k, NULL), ERROR_INVALID_PARAMETER);
    RegCloseKey(k);
}

static void window_info_rules(void **state)
{
    (void)state;
    DDKWINDOWINFO wi;
    wi.cbSize = sizeof wi;
    /* Several memory windows as REG_MULTI_SZ hex strings, with and without 0x. */
    HKEY k = make_key(TEXT("Drivers\\BuiltIn\\Multi"));
    SET_MULTI(k, TEXT("MemBase"), TEXT("7F008000\0") TEXT("0x7F005000\0"));
    SET_MULTI(k, TEXT("MemLen"), TEXT("1000\0") TEXT("0X100\0"));
    set_dword(k, TEXT("InterfaceType"), 0);
    set_dword(k, TEXT("BusNumber"), 2);
    assert_int_equal(DDKReg_GetWindowInfo(k, &wi), ERROR_SUCCESS);
    assert_int_equal(wi.dwNumMemWindows, 2);
    assert_int_equal(wi.memWindows[0].dwBase, 0x7F008000u);
    assert_int_equal(wi.memWindows[1].dwBase, 0x7F005000u);
    assert_int_equal(wi.memWindows[1].dwLen, 0x100);
    assert_int_equal(wi.dwInterfaceType, 0);
    assert_int_equal(wi.dwBusNumber, 2);
    assert_int_equal(wi.dwNumIoWindows, 0);
    /* Counts must match. */
    SET_MULTI(k, TEXT("MemLen"), TEXT("1000\0"));
    assert_int_equal(DDKReg_GetWindowInfo(k, &wi), ERROR_INVALID_DATA);
    /* At most six windows. */
#define SEVEN TEXT("1\0") TEXT("2\0") TEXT("3\0") TEXT("4\0") TEXT("5\0") TEXT("6\0") TEXT("7\0")
    SET_MULTI(k, TEXT("MemBase"), SEVEN);
    SET_MULTI(k, TEXT("MemLen"), SEVEN);
    assert_int_equal(DDKReg_GetWindowInfo(k, &wi), ERROR_INVALID_DATA);
    /* Not hex. */
    SET_MULTI(k, TEXT("MemBase"), TEXT("7F00800G\0"));
    SET_MULTI(k, TEXT("MemLen"), TEXT("1000\0"));
    assert_int_equal(DDKReg_GetWindowInfo(k, &wi), ERROR_INVALID_DATA);
    /* A base without a length. */
    HKEY half = make_key(TEXT("Drivers\\BuiltIn\\Half"));
    set_dword(half, TEXT("MemBase"), 0x7F008000);
    assert_int_equal(DDKReg_GetWindowInfo(half, &wi), ERROR_INVALID_DATA);
    /* InterfaceType of the wrong type. */
    HKEY bad = make_key(TEXT("Drivers\\BuiltIn\\Bad"));
    assert_int_equal(RegSetValueEx(bad, TEXT("InterfaceType"), 0, REG_SZ, (const BYTE *)TEXT("0"),
                                   2 * sizeof(WCHAR)),
                     ERROR_SUCCESS);
    assert_int_equal(DDKReg_GetWindowInfo(bad, &wi), ERROR_INVALID_DATA);
    /* An empty key: no windows at all. */
    HKEY empty = make_key(TEXT("Drivers\\BuiltIn\\Empty"));
    assert_int_equal(DDKReg_GetWindowInfo(empty, &wi), ERROR_SUCCESS);
    assert_int_equal(wi.dwNumIoWindows + wi.dwNumMemWindows, 0);
    RegCloseKey(k);
    RegCloseKey(half);
    RegCloseKey(bad);
    RegCloseKey(empty);
}

static void registry_calls(void **state)
{
    (void)state;
    HKEY k = NULL, k2 = NULL;
    DWORD disp = 0;
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\X"), 0, 0, &k),
                     ERROR_FILE_NOT_FOUND);
    assert_int_equal(
        RegCreateKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\X"), 0, NULL, 0, 0, NULL, &k, &disp),
        ERROR_SUCCESS);
    assert_int_equal(disp, REG_CREATED_NEW_KEY);
    assert_int_equal(
        RegCreateKeyEx(HKEY_LOCAL_MACHINE, TEXT("drivers\\x"), 0, NULL, 0, 0, NULL, &k2, &disp),
        ERROR_SUCCESS);
    assert_int_equal(disp, REG_OPENED_EXISTING_KEY);
    set_dword(k, TEXT("Index"), 7);
    DWORD type = 0, v = 0, size = sizeof v;
    assert_int_equal(RegQueryValueEx(k2, TEXT("INDEX"), NULL, &type, (LPBYTE)&v, &size),
                     ERROR_SUCCESS);
    assert_int_equal(type, REG_DWORD);
    assert_int_equal(v, 7);
    /* Sizes: NULL buffer asks for it; a short buffer gets ERROR_MORE_DATA and the size. */
    const WCHAR prefix[] = TEXT("COM");
    assert_int_equal(
        RegSetValueEx(k, TEXT("Prefix"), 0, REG_SZ, (const BYTE *)prefix, sizeof prefix),
        ERROR_SUCCESS);
    size = 0;
    assert_int_equal(RegQueryValueEx(k, TEXT("Prefix"), NULL, &type, NULL, &size), ERROR_SUCCESS);
    assert_int_equal(size, 8);
    WCHAR buf[8];
    size = 4;
    assert_int_equal(RegQueryValueEx(k, TEXT("Prefix"), NULL, NULL, (LPBYTE)buf, &size),
                     ERROR_MORE_DATA);
    assert_int_equal(size, 8);
    size = sizeof buf;
    assert_int_equal(RegQueryValueEx(k, TEXT("Prefix"), NULL, NULL, (LPBYTE)buf, &size),
                     ERROR_SUCCESS);
    assert_memory_equal(buf, prefix, sizeof prefix);
    assert_int_equal(RegQueryValueEx(k, TEXT("Missing"), NULL, NULL, NULL, NULL),
                     ERROR_FILE_NOT_FOUND);
    assert_int_equal(RegQueryValueEx(k, TEXT("Index"), NULL, NULL, (LPBYTE)&v, NULL),
                     ERROR_INVALID_PARAMETER);
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers"), 1, 0, &k2),
                     ERROR_INVALID_PARAMETER);
    assert_int_equal(RegSetValueEx(k, TEXT("Index"), 0, REG_DWORD, (const BYTE *)&v, 2),
                     ERROR_INVALID_PARAMETER);
    /* Handles: closed or made-up ones are refused, not followed. */
    assert_int_equal(RegCloseKey(k), ERROR_SUCCESS);
    assert_int_equal(RegCloseKey(k), ERROR_INVALID_HANDLE);
    assert_int_equal(RegQueryValueEx(k, TEXT("Index"), NULL, NULL, NULL, NULL),
                     ERROR_INVALID_HANDLE);
    assert_int_equal(RegQueryValueEx((HKEY)cetest_wild(), TEXT("Index"), NULL, NULL, NULL, NULL),
                     ERROR_INVALID_HANDLE);
    assert_int_equal(RegCloseKey(k2), ERROR_SUCCESS);
    /* The registry goes with the machine. */
    cevm_shutdown();
    assert_int_equal(cevm_boot(NULL, NULL, 0), CEVM_OK);
    assert_int_equal(RegOpenKeyEx(HKEY_LOCAL_MACHINE, TEXT("Drivers\\X"), 0, 0, &k),
                     ERROR_FILE_NOT_FOUND);
}

static void enumerate_query_and_delete(void **state)
{
    (void)state;
    HKEY root, k;
    assert_int_equal(
        RegCreateKeyEx(HKEY_LOCAL_MACHINE, L"Drivers\\BusEnum", 0, NULL, 0, 0, NULL, &root, NULL),
        ERROR_SUCCESS);
    const WCHAR *names[3] = {L"Alpha", L"Beta", L"Gamma"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(RegCreateKeyEx(root, names[i], 0, NULL, 0, 0, NULL, &k, NULL),
                         ERROR_SUCCESS);
        set_dword(k, L"Order", (DWORD)i);
        RegCloseKey(k);
    }
    set_dword(root, L"Flags", 1);
    set_dword(root, L"LongerName", 2);
    WCHAR name[16];
    DWORD cch;
    for (DWORD i = 0; i < 3; i++) { /* in creation order */
        cch = 16;
        assert_int_equal(RegEnumKeyEx(root, i, name, &cch, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
        assert_int_equal(wcscmp(name, names[i]), 0);
        assert_int_equal(cch, wcslen(names[i]));
    }
    cch = 16;
    assert_int_equal(RegEnumKeyEx(root, 3, name, &cch, NULL, NULL, NULL, NULL),
                     ERROR_NO_MORE_ITEMS);
    cch = 3;
    assert_int_equal(RegEnumKeyEx(root, 0, name, &cch, NULL, NULL, NULL, NULL), ERROR_MORE_DATA);
    DWORD subkeys = 0, maxsub = 0, values = 0, maxname = 0, maxdata = 0;
    assert_int_equal(RegQueryInfoKey(root, NULL, NULL, NULL, &subkeys, &maxsub, NULL, &values,
                                     &maxname, &maxdata, NULL, NULL),
                     ERROR_SUCCESS);
    assert_int_equal(subkeys, 3);
    assert_int_equal(maxsub, 5);
    assert_int_equal(values, 2);
    assert_int_equal(maxname, 10);
    assert_int_equal(maxdata, 4);
    assert_int_equal(RegDeleteValue(root, L"Flags"), ERROR_SUCCESS);
    assert_int_equal(RegDeleteValue(root, L"Flags"), ERROR_FILE_NOT_FOUND);
    DWORD v = 0, size = sizeof v, type = 0;
    assert_int_equal(RegQueryValueEx(root, L"LongerName", NULL, &type, (BYTE *)&v, &size),
                     ERROR_SUCCESS);
    assert_int_equal(v, 2);
    /* A subkey goes with its own subkeys; handles into it become invalid. */
    HKEY deep;
    assert_int_equal(RegCreateKeyEx(root, L"Beta\\Child", 0, NULL, 0, 0, NULL, &deep, NULL),
                     ERROR_SUCCESS);
    assert_int_equal(RegDeleteKey(root, L"Beta"), ERROR_SUCCESS);
    assert_int_equal(RegOpenKeyEx(root, L"Beta", 0, 0, &k), ERROR_FILE_NOT_FOUND);
    assert_int_equal(RegFlushKey(deep), ERROR_INVALID_HANDLE);
    assert_int_equal(RegDeleteKey(root, L"Beta"), ERROR_FILE_NOT_FOUND);
    cch = 16;
    assert_int_equal(RegEnumKeyEx(root, 1, name, &cch, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
    assert_int_equal(wcscmp(name, L"Gamma"), 0);
    assert_int_equal(RegFlushKey(root), ERROR_SUCCESS);
    RegCloseKey(root);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(oracle60_get_window_info),
    CE_TEST(window_info_rules),
    CE_TEST(registry_calls),
    CE_TEST(enumerate_query_and_delete),
};

CETEST_MAIN(tests)
