/*
 * winnt.h (cevm CE compatibility) — CE base types and the memory constants and structures of
 * the public CE 5.0 SDK, written for cevm from the documented values (spec §2). Types keep CE's
 * widths: DWORD, ULONG and LONG are 32-bit even on a 64-bit host; pointers are the host's.
 */
#ifndef CEVM_CE_WINNT_H
#define CEVM_CE_WINNT_H

#include <stdint.h>
#include <stddef.h>

#ifndef WINAPI
#define WINAPI
#endif
#ifndef APIENTRY
#define APIENTRY
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef IN
#define IN
#define OUT
#define OPTIONAL
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef FAR
#define FAR
#define NEAR
#endif
#ifndef PASCAL
#define PASCAL
#endif
#ifndef CDECL
#define CDECL
#endif

/* MSVC keywords CE code uses. The calling-convention keywords mean nothing on the host; the
 * sized integer types are the host's; __declspec(x) maps the attributes that have a gcc
 * equivalent (dllexport, dllimport, noreturn, align(n), selectany, thread, noinline, nothrow,
 * naked; novtable and restrict are dropped). */
#if !defined(_MSC_VER)
#ifndef __cdecl
#define __cdecl
#endif
#ifndef __stdcall
#define __stdcall
#endif
#ifndef __fastcall
#define __fastcall
#endif
#ifndef __int64
#define __int64 long long
#define __int32 int
#define __int16 short
#define __int8 char
#endif
#ifndef __forceinline
#define __forceinline inline __attribute__((always_inline))
#endif
#ifndef __declspec
#define __declspec(x) CEVM_DECLSPEC_##x
#define CEVM_DECLSPEC_dllexport __attribute__((visibility("default")))
#define CEVM_DECLSPEC_dllimport
#define CEVM_DECLSPEC_noreturn  __attribute__((noreturn))
#define CEVM_DECLSPEC_align(n)  __attribute__((aligned(n)))
#define CEVM_DECLSPEC_selectany __attribute__((weak))
#define CEVM_DECLSPEC_thread    __thread
#define CEVM_DECLSPEC_noinline  __attribute__((noinline))
#define CEVM_DECLSPEC_nothrow   __attribute__((nothrow))
#define CEVM_DECLSPEC_naked     __attribute__((naked))
#define CEVM_DECLSPEC_novtable
#define CEVM_DECLSPEC_restrict
#endif
#ifndef __noop
#define __noop(...) ((void)0)
#endif
#ifndef _ReturnAddress
#define _ReturnAddress() __builtin_return_address(0)
#endif
#endif
#ifndef VOID
#define VOID void
#endif

typedef uint32_t DWORD, *PDWORD, *LPDWORD;
typedef uint32_t ULONG, *PULONG;
typedef int32_t LONG, *PLONG, *LPLONG;
typedef uint16_t WORD, *PWORD, *LPWORD;
typedef uint16_t USHORT, *PUSHORT;
typedef int16_t SHORT;
typedef uint8_t BYTE, *PBYTE, *LPBYTE;
typedef uint8_t UCHAR, *PUCHAR;
typedef char CHAR, *PCHAR, *LPSTR;
typedef const char *LPCSTR;
typedef int BOOL, *PBOOL, *LPBOOL;
typedef uint8_t BOOLEAN, *PBOOLEAN;
typedef int INT;
typedef unsigned int UINT;
typedef uint32_t UINT32;
typedef int32_t INT32;
typedef uint16_t UINT16;
typedef uint8_t UINT8;
typedef uint64_t UINT64, ULONGLONG, DWORD64;
typedef int64_t INT64, LONGLONG;
typedef uintptr_t UINT_PTR, ULONG_PTR, DWORD_PTR, SIZE_T;
typedef intptr_t INT_PTR, LONG_PTR;
typedef void *PVOID, *LPVOID, *HANDLE;
typedef const void *LPCVOID;
typedef HANDLE *PHANDLE;

/* CE strings are always 16-bit. With -fshort-wchar (the cevm-ce flags) L"" is 16-bit. */
#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
typedef wchar_t WCHAR;
#define __TEXT(s) L##s
#else
typedef uint16_t WCHAR;
#define __TEXT(s) u##s
#endif
typedef WCHAR *PWCHAR, *LPWSTR, *PWSTR;
typedef const WCHAR *LPCWSTR, *PCWSTR;
typedef WCHAR TCHAR, *PTCHAR, *LPTSTR;
typedef const WCHAR *LPCTSTR;
#define TEXT(s) __TEXT(s)

#ifndef TRUE
#define TRUE  1
#define FALSE 0
#endif

#ifndef FIELD_OFFSET
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#endif
#ifndef CONTAINING_RECORD
#define CONTAINING_RECORD(address, type, field)                                                    \
    ((type *)((PCHAR)(address) - (ULONG_PTR)offsetof(type, field)))
#endif

typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    };
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

/* Memory allocation types (spec §2). */
#define MEM_COMMIT      0x1000
#define MEM_RESERVE     0x2000
#define MEM_DECOMMIT    0x4000
#define MEM_RELEASE     0x8000
#define MEM_FREE        0x10000
#define MEM_PRIVATE     0x20000
#define MEM_MAPPED      0x40000
#define MEM_RESET       0x80000
#define MEM_TOP_DOWN    0x100000
#define MEM_AUTO_COMMIT 0x200000
#define SEC_IMAGE       0x1000000
#define MEM_IMAGE       SEC_IMAGE
#define MEM_4MB_PAGES   0x80000000

/* Page protections (spec §2). PAGE_PHYSICAL is VirtualCopy's; PAGE_WRITECOMBINE shares it. */
#define PAGE_NOACCESS          0x01
#define PAGE_READONLY          0x02
#define PAGE_READWRITE         0x04
#define PAGE_WRITECOPY         0x08
#define PAGE_EXECUTE           0x10
#define PAGE_EXECUTE_READ      0x20
#define PAGE_EXECUTE_READWRITE 0x40
#define PAGE_EXECUTE_WRITECOPY 0x80
#define PAGE_GUARD             0x100
#define PAGE_NOCACHE           0x200
#define PAGE_PHYSICAL          0x400
#define PAGE_WRITECOMBINE      0x400
#define PAGE_ARM_MINICACHE     0x800
#define PAGE_x86_WRITETHRU     0x40000000

/* Field order as CE defines it; on a 64-bit host the pointer fields are 8 bytes, so
 * sizeof(MEMORY_BASIC_INFORMATION) is 40 there (28 on CE). See docs/ce-semantics.md. */
typedef struct _MEMORY_BASIC_INFORMATION {
    PVOID BaseAddress;
    PVOID AllocationBase;
    DWORD AllocationProtect;
    DWORD RegionSize;
    DWORD State;
    DWORD Protect;
    DWORD Type;
} MEMORY_BASIC_INFORMATION, *PMEMORY_BASIC_INFORMATION;

#define EXCEPTION_MAXIMUM_PARAMETERS 15
#define EXCEPTION_EXECUTE_HANDLER    1
#define EXCEPTION_CONTINUE_SEARCH    0
#define EXCEPTION_CONTINUE_EXECUTION (-1)
#define EXCEPTION_NONCONTINUABLE     0x1

/* What an exception filter sees (GetExceptionInformation). For an access violation
 * ExceptionInformation[0] is 1 for a write, 0 for a read, and [1] the CE address. */
typedef struct _EXCEPTION_RECORD {
    DWORD ExceptionCode;
    DWORD ExceptionFlags;
    struct _EXCEPTION_RECORD *ExceptionRecord;
    PVOID ExceptionAddress;
    DWORD NumberParameters;
    ULONG_PTR ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS];
} EXCEPTION_RECORD, *PEXCEPTION_RECORD;

/* The faulting thread's registers. cevm runs CE code natively on the host, so these are the
 * host's (x86-64: Reg[] in the order rax rcx rdx rbx rsp rbp rsi rdi r8..r15). A filter that
 * changes them and returns EXCEPTION_CONTINUE_EXECUTION resumes with the changes, as on CE. */
typedef struct _CONTEXT {
    DWORD ContextFlags;
    ULONG_PTR Pc;
    ULONG_PTR Sp;
    ULONG_PTR Reg[16];
} CONTEXT, *PCONTEXT;

typedef struct _EXCEPTION_POINTERS {
    PEXCEPTION_RECORD ExceptionRecord;
    PCONTEXT ContextRecord;
} EXCEPTION_POINTERS, *PEXCEPTION_POINTERS, *LPEXCEPTION_POINTERS;

/* The CE version this code is built for, recorded in the module (a weak definition per
 * translation unit, merged by the linker): cevm's loader and boot compare it with the running
 * profile and warn once when they differ, because the code's `#if _WIN32_WCE >= 0x600` branches
 * are then the other version's. Define CEVM_NO_PROFILE_MARK to leave it out. */
#if defined(_WIN32_WCE) && !defined(CEVM_NO_PROFILE_MARK)
#ifdef __cplusplus
extern "C" {
__attribute__((weak, used, visibility("default"))) extern const unsigned int cevm_built_for_wce =
    _WIN32_WCE;
}
#else
__attribute__((weak, used, visibility("default"))) const unsigned int cevm_built_for_wce =
    _WIN32_WCE;
#endif
#endif

#endif
