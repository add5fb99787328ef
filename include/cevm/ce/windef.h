/*
 * windef.h (cevm CE compatibility) — the basic Windows definitions CE code expects from
 * windows.h beyond winnt.h's types: module and instance handles, HRESULT and its tests, GUID,
 * MAX_PATH, the DLL entry-point reasons (spec driver-runtime §1.2), UNREFERENCED_PARAMETER and
 * the memory macros. Values are the documented ones.
 */
#ifndef CEVM_CE_WINDEF_H
#define CEVM_CE_WINDEF_H

#include <string.h>

#include "winnt.h"

typedef HANDLE HINSTANCE, HMODULE;
typedef UINT *PUINT;
typedef LONG HRESULT;

#define S_OK          ((HRESULT)0L)
#define S_FALSE       ((HRESULT)1L)
#define E_NOTIMPL     ((HRESULT)0x80004001L)
#define E_FAIL        ((HRESULT)0x80004005L)
#define E_OUTOFMEMORY ((HRESULT)0x8007000EL)
#define E_INVALIDARG  ((HRESULT)0x80070057L)
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr)    (((HRESULT)(hr)) < 0)

typedef struct _GUID {
    DWORD Data1;
    WORD Data2;
    WORD Data3;
    BYTE Data4[8];
} GUID, *LPGUID;

#ifndef MAX_PATH
#define MAX_PATH 260
#endif

/* Why DllMain (or DllEntry) is called; DLL_PROCESS_EXITING and DLL_SYSTEM_STARTED are CE's. */
#define DLL_PROCESS_DETACH  0
#define DLL_PROCESS_ATTACH  1
#define DLL_THREAD_ATTACH   2
#define DLL_THREAD_DETACH   3
#define DLL_PROCESS_EXITING 4
#define DLL_SYSTEM_STARTED  5

#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#endif

#define ZeroMemory(d, n)    memset((d), 0, (n))
#define FillMemory(d, n, c) memset((d), (c), (n))
#define CopyMemory(d, s, n) memcpy((d), (s), (n))
#define MoveMemory(d, s, n) memmove((d), (s), (n))

#endif
