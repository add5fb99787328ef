/*
 * devload.h (cevm CE compatibility) — the registry names the device manager and drivers use
 * (spec §2.3), and OpenDeviceKey.
 */
#ifndef CEVM_CE_DEVLOAD_H
#define CEVM_CE_DEVLOAD_H

#include "winreg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DEVLOAD_ACTIVE_KEY            TEXT("Drivers\\Active")
#define DEVLOAD_BUILT_IN_KEY          TEXT("Drivers\\BuiltIn")
#define DEVLOAD_DLLNAME_VALNAME       TEXT("Dll")
#define DEVLOAD_PREFIX_VALNAME        TEXT("Prefix")
#define DEVLOAD_INDEX_VALNAME         TEXT("Index")
#define DEVLOAD_LOADORDER_VALNAME     TEXT("Order")
#define DEVLOAD_ICLASS_VALNAME        TEXT("IClass")
#define DEVLOAD_FLAGS_VALNAME         TEXT("Flags")
#define DEVLOAD_CONTEXT_VALNAME       TEXT("Context")
#define DEVLOAD_MEMBASE_VALNAME       TEXT("MemBase")
#define DEVLOAD_MEMLEN_VALNAME        TEXT("MemLen")
#define DEVLOAD_IOBASE_VALNAME        TEXT("IoBase")
#define DEVLOAD_IOLEN_VALNAME         TEXT("IoLen")
#define DEVLOAD_SYSINTR_VALNAME       TEXT("SysIntr")
#define DEVLOAD_IRQ_VALNAME           TEXT("Irq")
#define DEVLOAD_INTERFACETYPE_VALNAME TEXT("InterfaceType")
#define DEVLOAD_BUSNUMBER_VALNAME     TEXT("BusNumber")
#define DEVLOAD_ISRDLL_VALNAME        TEXT("IsrDll")
#define DEVLOAD_ISRHANDLER_VALNAME    TEXT("IsrHandler")
#define DEVLOAD_DEVKEY_VALNAME        TEXT("Key")
#define DEVLOAD_DEVNAME_VALNAME       TEXT("Name")
#define DEVLOAD_HANDLE_VALNAME        TEXT("Hnd")
#define DEVLOAD_CLIENTINFO_VALNAME    TEXT("ClientInfo")

#define DEVDLL_LEN   64 /* characters of szIsrDll (cevm's choice, docs/porting.md) */
#define DEVENTRY_LEN 64 /* characters of szIsrHandler */

/*
 * Open the device key of an Active key: read its "Key" value (the driver's BuiltIn key) and open
 * that key. ActiveKey is the path XXX_Init received.
 * Return: the key (close it with RegCloseKey), or NULL with GetLastError set: 87 (NULL),
 * 2 (no such Active key, no Key value, or no such device key), 13 (Key is not a string).
 */
CEVM_CE_API HKEY WINAPI OpenDeviceKey(LPCWSTR ActiveKey);

#ifdef __cplusplus
}
#endif
#endif
