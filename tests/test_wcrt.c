/*
 * test_wcrt.c — the 16-bit C library and strsafe for code built with cevm-ce's flags: each
 * wcs* name reaches a 16-bit implementation (glibc's reads 32-bit units), CE's printf
 * conventions (%s wide, %S narrow, swprintf without a count, _snwprintf's -1), the _tcs* names,
 * and strsafe's documented results.
 */
#include "cetest.h"

#include <strsafe.h>

static void wcs_functions_work_on_16_bit_units(void **state)
{
    (void)state;
    WCHAR name[16];
    assert_int_equal(sizeof(L"A"[0]), 2);
    wcscpy(name, L"COM");
    wcscat(name, L"1:");
    assert_int_equal(wcslen(name), 5);
    assert_int_equal(name[3], '1');
    assert_int_equal(wcscmp(name, L"COM1:"), 0);
    assert_true(wcscmp(name, L"COM2:") < 0);
    assert_int_equal(_wcsicmp(L"com1:", name), 0);
    assert_int_equal(_wcsnicmp(L"cOmX", name, 3), 0);
    assert_ptr_equal(wcschr(name, ':'), name + 4);
    {
        const WCHAR *path = L"a\\b\\c";
        assert_ptr_equal(wcsrchr(path, L'\\'), path + 3);
    }
    assert_ptr_equal(wcsstr(name, L"M1"), name + 2);
    wcsncpy(name, L"LED", 8);
    assert_int_equal(name[5], 0);
    assert_int_equal(_wtoi(L"  -42x"), -42);
    WCHAR *end;
    assert_int_equal(wcstoul(L"0x7F008000 rest", &end, 16), 0x7F008000u);
    assert_int_equal(*end, ' ');
    assert_int_equal(towupper(L'a'), L'A');
    assert_int_equal(towlower(0xC9), 0xE9);
    WCHAR tok[] = L"a, b,,c";
    WCHAR *t1 = wcstok(tok, L", ");
    WCHAR *t2 = wcstok(NULL, L", ");
    WCHAR *t3 = wcstok(NULL, L", ");
    assert_int_equal(t1[0], 'a');
    assert_int_equal(t2[0], 'b');
    assert_int_equal(t3[0], 'c');
    assert_null(wcstok(NULL, L", "));
    char narrow[16];
    assert_int_equal(wcstombs(narrow, L"Init", sizeof narrow), 4);
    assert_string_equal(narrow, "Init");
    WCHAR back[8];
    assert_int_equal(mbstowcs(back, "ab", 8), 2);
    assert_int_equal(wcscmp(back, L"ab"), 0);
}

static void wide_printf_follows_ce_conventions(void **state)
{
    (void)state;
    WCHAR buf[64];
    int n = swprintf(buf, L"%s%d:", L"COM", 1);
    assert_int_equal(n, 5);
    assert_int_equal(wcscmp(buf, L"COM1:"), 0);
    swprintf(buf, L"[%S|%hs|%c|%C|%-4s|%04X|%p]", "ab", "cd", L'e', 'f', L"g", 0xBEu, (void *)0x10);
    assert_int_equal(wcscmp(buf, L"[ab|cd|e|f|g   |00BE|0000000000000010]"), 0);
    _stprintf(buf, _T("%s%u"), _T("LED"), 2u);
    assert_int_equal(_tcscmp(buf, _T("LED2")), 0);
    assert_int_equal(_tcslen(buf), 4);
    /* _snwprintf: the Microsoft CRT's results at and over the count. */
    WCHAR small[4];
    for (int i = 0; i < 4; i++)
        small[i] = 'x';
    assert_int_equal(_snwprintf(small, 4, L"%d", 123), 3);
    assert_int_equal(wcscmp(small, L"123"), 0);
    assert_int_equal(_snwprintf(small, 4, L"%d", 1234), 4);
    assert_int_equal(small[3], '4'); /* exactly count: no terminator */
    assert_int_equal(_snwprintf(small, 4, L"%d", 12345), -1);
    assert_int_equal(wsprintf(buf, L"%lu-%I64u", 7ul, 1ull << 40), 15);
    assert_int_equal(wcscmp(buf, L"7-1099511627776"), 0);
}

static void strsafe_results_are_the_documented_ones(void **state)
{
    (void)state;
    WCHAR d[6];
    assert_int_equal(StringCchCopy(d, 6, L"COM1:"), S_OK);
    assert_int_equal(StringCchCopy(d, 6, L"COM10:"), STRSAFE_E_INSUFFICIENT_BUFFER);
    assert_int_equal(wcscmp(d, L"COM10"), 0); /* cut and terminated */
    assert_int_equal(StringCchCopy(d, 0, L"x"), STRSAFE_E_INVALID_PARAMETER);
    assert_int_equal(StringCchCopy(d, 6, L"ab"), S_OK);
    assert_int_equal(StringCchCat(d, 6, L"cd"), S_OK);
    assert_int_equal(StringCchCat(d, 6, L"ef"), STRSAFE_E_INSUFFICIENT_BUFFER);
    assert_int_equal(wcscmp(d, L"abcde"), 0);
    WCHAR full[3] = {'a', 'b', 'c'};
    assert_int_equal(StringCchCat(full, 3, L"x"), STRSAFE_E_INVALID_PARAMETER);
    assert_int_equal(StringCchPrintf(d, 6, L"%s%d", L"LED", 12), S_OK);
    assert_int_equal(StringCchPrintf(d, 6, L"%s%d", L"LED", 123), STRSAFE_E_INSUFFICIENT_BUFFER);
    assert_int_equal(wcscmp(d, L"LED12"), 0);
    size_t len = 99;
    assert_int_equal(StringCchLength(L"abc", 10, &len), S_OK);
    assert_int_equal(len, 3);
    assert_int_equal(StringCchLength(L"abc", 3, &len), STRSAFE_E_INVALID_PARAMETER);
    assert_int_equal(len, 0);
    assert_int_equal(StringCchLength(NULL, 3, &len), STRSAFE_E_INVALID_PARAMETER);
    assert_int_equal(StringCbLength(L"abc", 100, &len), S_OK);
    assert_int_equal(len, 6);
    assert_int_equal(StringCbCopy(d, sizeof d, L"abcdefg"), STRSAFE_E_INSUFFICIENT_BUFFER);
    assert_int_equal(wcslen(d), 5);
    char a[4];
    assert_int_equal(StringCchPrintfA(a, sizeof a, "%d", 12345), STRSAFE_E_INSUFFICIENT_BUFFER);
    assert_string_equal(a, "123");
}

static void print_wide(void *ctx)
{
    (void)ctx;
    fwprintf(stderr, L"%s=%d %S\n", L"COM", 1, "narrow");
    _ftprintf(stderr, _T("[%5s]\n"), _T("ab"));
    OutputDebugString(L"debug text\n");
}

static void windows_and_secure_crt_forms(void **state)
{
    (void)state;
    char *out = capture_stderr(print_wide, NULL);
    assert_non_null(strstr(out, "COM=1 narrow\n"));
    assert_non_null(strstr(out, "[   ab]\n"));
    assert_non_null(strstr(out, "debug text\n"));
    free(out);
    WCHAR w[8];
    assert_int_equal(lstrlen(L"abc"), 3);
    lstrcpyn(w, L"abcdefghij", 4);
    assert_int_equal(wcscmp(w, L"abc"), 0);
    assert_int_equal(lstrcmpi(L"ABC", L"abc"), 0);
    assert_int_equal(lstrcmp(L"a", L"b"), -1);
    assert_int_equal(wcscpy_s(w, 8, L"COM1:"), 0);
    assert_int_equal(wcscat_s(w, 8, L"xx"), 0);
    assert_int_equal(wcscmp(w, L"COM1:xx"), 0);
    assert_int_equal(wcscat_s(w, 8, L"y"), ERANGE);
    assert_int_equal(w[0], 0); /* emptied */
    assert_int_equal(wcscpy_s(NULL, 8, L"x"), EINVAL);
    assert_int_equal(swprintf_s(w, 8, L"%d", 1234567), 7);
    assert_int_equal(swprintf_s(w, 8, L"%d", 12345678), -1);
    assert_int_equal(w[0], 0);
    assert_int_equal(_snwprintf_s(w, 8, _TRUNCATE, L"%s", L"abcdefghij"), -1);
    assert_int_equal(wcscmp(w, L"abcdefg"), 0);
    char a[6];
    assert_int_equal(strcpy_s(a, sizeof a, "hello"), 0);
    assert_int_equal(strcpy_s(a, sizeof a, "hello!"), ERANGE);
    assert_int_equal(sprintf_s(a, sizeof a, "%d", 42), 2);
    assert_int_equal(memcpy_s(a, sizeof a, "xyz", 4), 0);
    assert_int_equal(memcpy_s(a, 2, "xyz", 4), ERANGE);
    memset(a, '#', sizeof a);
    assert_int_equal(_snprintf(a, 3, "%s", "abcdef"), -1);
    assert_memory_equal(a, "abc###", 6); /* not terminated, as the Microsoft CRT */
    assert_int_equal(_snprintf(a, 6, "%s", "ab"), 2);
    assert_string_equal(a, "ab");
    assert_string_equal(_itoa(-42, a, 10), "-42");
    assert_int_equal(_stricmp("ABC", "abc"), 0);
    /* Windows' macros */
    assert_int_equal(min(3, 5), 3);
    assert_int_equal(max(3, 5), 5);
    assert_int_equal(LOWORD(0x12345678), 0x5678);
    assert_int_equal(HIWORD(0x12345678), 0x1234);
    assert_int_equal(MAKELONG(0x5678, 0x1234), 0x12345678);
    int arr[7];
    assert_int_equal(dim(arr), 7);
    assert_int_equal(ARRAYSIZE(arr), 7);
    unsigned __int64 big = 1ull << 40;
    assert_int_equal(sizeof big, 8);
    struct rec {
        int a;
        int b;
    } r;
    assert_ptr_equal(CONTAINING_RECORD(&r.b, struct rec, b), &r);
    assert_int_equal(FIELD_OFFSET(struct rec, b), 4);
}

static const struct CMUnitTest tests[] = {
    CE_TEST(wcs_functions_work_on_16_bit_units),
    CE_TEST(wide_printf_follows_ce_conventions),
    CE_TEST(strsafe_results_are_the_documented_ones),
    CE_TEST(windows_and_secure_crt_forms),
};

CETEST_MAIN(tests)
