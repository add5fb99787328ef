/*
 * winreg.h (cevm CE compatibility) — the registry calls drivers use, with the documented Win32
 * behaviour: keys under the four root keys, case-insensitive names, typed values.
 */
#ifndef CEVM_CE_WINREG_H
#define CEVM_CE_WINREG_H

#include "winbase.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cevm_hkey *HKEY, **PHKEY;
typedef DWORD REGSAM;

#define HKEY_CLASSES_ROOT  ((HKEY)(ULONG_PTR)0x80000000)
#define HKEY_CURRENT_USER  ((HKEY)(ULONG_PTR)0x80000001)
#define HKEY_LOCAL_MACHINE ((HKEY)(ULONG_PTR)0x80000002)
#define HKEY_USERS         ((HKEY)(ULONG_PTR)0x80000003)

#define REG_NONE      0
#define REG_SZ        1
#define REG_EXPAND_SZ 2
#define REG_BINARY    3
#define REG_DWORD     4
#define REG_MULTI_SZ  7

#define REG_CREATED_NEW_KEY     1
#define REG_OPENED_EXISTING_KEY 2

#define KEY_QUERY_VALUE 0x0001
#define KEY_SET_VALUE   0x0002
#define KEY_ALL_ACCESS  0xF003F
#define KEY_READ        0x20019
#define KEY_WRITE       0x20006

/* Open an existing key. Return: ERROR_SUCCESS, ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE,
 * ERROR_INVALID_PARAMETER. */
CEVM_CE_API LONG WINAPI RegOpenKeyEx(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions,
                                     REGSAM samDesired, PHKEY phkResult);
/* Open or create a key and the keys on its path. */
CEVM_CE_API LONG WINAPI RegCreateKeyEx(HKEY hKey, LPCWSTR lpSubKey, DWORD Reserved, LPWSTR lpClass,
                                       DWORD dwOptions, REGSAM samDesired,
                                       LPSECURITY_ATTRIBUTES lpSecurityAttributes, PHKEY phkResult,
                                       LPDWORD lpdwDisposition);
/* Set a value (replacing one of the same name). */
CEVM_CE_API LONG WINAPI RegSetValueEx(HKEY hKey, LPCWSTR lpValueName, DWORD Reserved, DWORD dwType,
                                      const BYTE *lpData, DWORD cbData);
/* Read a value: *lpcbData in = buffer size, out = value size; ERROR_MORE_DATA when the buffer
 * is too small; lpType, lpData and lpcbData may be NULL as documented. */
CEVM_CE_API LONG WINAPI RegQueryValueEx(HKEY hKey, LPCWSTR lpValueName, LPDWORD lpReserved,
                                        LPDWORD lpType, LPBYTE lpData, LPDWORD lpcbData);
CEVM_CE_API LONG WINAPI RegCloseKey(HKEY hKey);
/* The dwIndex-th value of a key (in the order values were first set). *lpcchValueName is in:
 * the name buffer's size in characters, out: the name's length without its NUL; *lpcbData as
 * in RegQueryValueEx. Return: ERROR_SUCCESS, ERROR_NO_MORE_ITEMS, ERROR_MORE_DATA (a buffer is
 * too small), ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER. */
CEVM_CE_API LONG WINAPI RegEnumValue(HKEY hKey, DWORD dwIndex, LPWSTR lpValueName,
                                     LPDWORD lpcchValueName, LPDWORD lpReserved, LPDWORD lpType,
                                     LPBYTE lpData, LPDWORD lpcbData);

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;

/* The dwIndex-th subkey, in creation order; *lpcchName in: the buffer's size in characters,
 * out: the name's length. Keys have no class (empty) and no write time (0). Return:
 * ERROR_SUCCESS, ERROR_NO_MORE_ITEMS, ERROR_MORE_DATA, ERROR_INVALID_HANDLE,
 * ERROR_INVALID_PARAMETER. */
CEVM_CE_API LONG WINAPI RegEnumKeyEx(HKEY hKey, DWORD dwIndex, LPWSTR lpName, LPDWORD lpcchName,
                                     LPDWORD lpReserved, LPWSTR lpClass, LPDWORD lpcchClass,
                                     PFILETIME lpftLastWriteTime);
/* Counts and maximum sizes of a key's subkeys and values (each output optional). */
CEVM_CE_API LONG WINAPI RegQueryInfoKey(HKEY hKey, LPWSTR lpClass, LPDWORD lpcchClass,
                                        LPDWORD lpReserved, LPDWORD lpcSubKeys,
                                        LPDWORD lpcchMaxSubKeyLen, LPDWORD lpcchMaxClassLen,
                                        LPDWORD lpcValues, LPDWORD lpcchMaxValueNameLen,
                                        LPDWORD lpcbMaxValueLen, LPDWORD lpcbSecurityDescriptor,
                                        PFILETIME lpftLastWriteTime);
/* Delete a value (ERROR_FILE_NOT_FOUND if absent) / a subkey with all its subkeys and values,
 * as CE does; open handles into it become invalid. */
CEVM_CE_API LONG WINAPI RegDeleteValue(HKEY hKey, LPCWSTR lpValueName);
CEVM_CE_API LONG WINAPI RegDeleteKey(HKEY hKey, LPCWSTR lpSubKey);
#define RegOpenKeyExW    RegOpenKeyEx
#define RegCreateKeyExW  RegCreateKeyEx
#define RegSetValueExW   RegSetValueEx
#define RegQueryValueExW RegQueryValueEx
#define RegEnumValueW    RegEnumValue
#define RegEnumKeyExW    RegEnumKeyEx
#define RegQueryInfoKeyW RegQueryInfoKey
#define RegDeleteValueW  RegDeleteValue
#define RegDeleteKeyW    RegDeleteKey

/* The registry is in memory: nothing to flush. ERROR_SUCCESS or ERROR_INVALID_HANDLE. */
CEVM_CE_API LONG WINAPI RegFlushKey(HKEY hKey);

#ifdef __cplusplus
}
#endif
#endif
