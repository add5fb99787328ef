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

#define S_OK           ((HRESULT)0L)
#define S_FALSE        ((HRESULT)1L)
#define E_NOTIMPL      ((HRESULT)0x80004001L)
#define E_FAIL         ((HRESULT)0x80004005L)
#define E_OUTOFMEMORY  ((HRESULT)0x8007000EL)
#define E_INVALIDARG   ((HRESULT)0x80070057L)
#define E_ACCESSDENIED ((HRESULT)0x80070005L)
#define SUCCEEDED(hr)  (((HRESULT)(hr)) >= 0)
#define FAILED(hr)     (((HRESULT)(hr)) < 0)

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

/* Word and byte parts, as Windows defines them. */
#define LOBYTE(w)        ((BYTE)((DWORD_PTR)(w)&0xFF))
#define HIBYTE(w)        ((BYTE)(((DWORD_PTR)(w) >> 8) & 0xFF))
#define LOWORD(l)        ((WORD)((DWORD_PTR)(l)&0xFFFF))
#define HIWORD(l)        ((WORD)(((DWORD_PTR)(l) >> 16) & 0xFFFF))
#define MAKEWORD(lo, hi) ((WORD)(((BYTE)(lo)) | ((WORD)((BYTE)(hi))) << 8))
#define MAKELONG(lo, hi) ((LONG)(((WORD)(lo)) | ((DWORD)((WORD)(hi))) << 16))

/* min and max are macros in Windows' windef.h (define NOMINMAX to go without, as for C++ code
 * that uses std::min). */
#ifndef NOMINMAX
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#endif

/* Element counts: Windows' ARRAYSIZE and _countof, and CE's dim. */
#ifndef ARRAYSIZE
#define ARRAYSIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#ifndef _countof
#define _countof(a) (sizeof(a) / sizeof((a)[0]))
#endif
#ifndef dim
#define dim(a) (sizeof(a) / sizeof((a)[0]))
#endif

typedef UINT_PTR WPARAM;
typedef LONG_PTR LPARAM, LRESULT;
typedef HANDLE HWND, HDC, HBITMAP, HICON, HMENU, HFONT, HBRUSH, HRGN, HGDIOBJ;
typedef DWORD COLORREF;
typedef struct tagPOINT {
    LONG x;
    LONG y;
} POINT, *PPOINT, *LPPOINT;
typedef struct tagRECT {
    LONG left;
    LONG top;
    LONG right;
    LONG bottom;
} RECT, *PRECT, *LPRECT;
typedef const RECT *LPCRECT;

#define ZeroMemory(d, n)    memset((d), 0, (n))
#define FillMemory(d, n, c) memset((d), (c), (n))
#define CopyMemory(d, s, n) memcpy((d), (s), (n))
#define MoveMemory(d, s, n) memmove((d), (s), (n))

#endif
