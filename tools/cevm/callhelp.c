/*
 * callhelp.c — what `help NAME` adds for a command that is a CE call: the call's CE signature
 * and the errors it sets, as docs/ce-semantics.md states them (the ce5 profile first; where
 * CE 6 differs it is said). One table, looked up by the command's name.
 */
#include <stdio.h>
#include <string.h>

#include "lang.h"

struct call_help {
    const char *name;
    const char *signature;
    const char *errors;
};

static const struct call_help calls[] = {
    {"VirtualAlloc",
     "LPVOID VirtualAlloc(LPVOID lpAddress, DWORD dwSize, DWORD flAllocationType, DWORD "
     "flProtect)",
     "87 bad type, protection, size 0 or >= 32 MB (CE 5, but for the large-area rule), range in "
     "use or not reserved; 8 no address space or RAM; 14 no room in the large area"},
    {"VirtualFree", "BOOL VirtualFree(LPVOID lpAddress, DWORD dwSize, DWORD dwFreeType)",
     "87 MEM_RELEASE with a size or not at a reservation base, MEM_DECOMMIT with size 0, any "
     "other type, a range across reservations, a partly committed release (CE 5), locked pages "
     "(CE 6)"},
    {"VirtualProtect",
     "BOOL VirtualProtect(LPVOID lpAddress, DWORD dwSize, DWORD flNewProtect, PDWORD "
     "lpflOldProtect)",
     "87 pages not all committed in one reservation, NULL lpflOldProtect or size 0 (CE 5); "
     "50 WRITECOPY (CE 5); 32 locked pages (CE 6)"},
    {"VirtualQuery",
     "DWORD VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, DWORD "
     "dwLength)",
     "24 dwLength below 28; 87 NULL buffer or address, kernel address (CE 5), address below "
     "0x10000 (CE 6)"},
    {"VirtualCopy",
     "BOOL VirtualCopy(LPVOID lpvDest, LPVOID lpvSrc, DWORD cbSize, DWORD fdwProtect)",
     "87 destination not reserved and uncommitted, size 0, bad protection, page offsets that "
     "differ (64 KB offsets for a virtual source on CE 5), uncommitted source; 5 untrusted "
     "caller (CE 5); 50 user mode (CE 6)"},
    {"VirtualSetAttributes",
     "BOOL VirtualSetAttributes(LPVOID lpvAddress, DWORD cbSize, DWORD dwNewFlags, DWORD "
     "dwMask, LPDWORD lpdwOldFlags)",
     "87 pages not all committed in one reservation, size 0, address below 0x10000 or in the "
     "kernel (CE 5); 5 untrusted caller (CE 5); 50 user mode (CE 6)"},
    {"LockPages", "BOOL LockPages(LPVOID lpvAddress, DWORD cbSize, PDWORD pPFNs, int fOptions)",
     "87 size 0, NULL or a bad range, flags outside 1|2|4 (CE 6); 998 a page cannot be brought "
     "in with the access asked (CE 5); 8 page-in failure (CE 6); 50 user mode (CE 6)"},
    {"UnlockPages", "BOOL UnlockPages(LPVOID lpvAddress, DWORD cbSize)",
     "87 a bad range, or (CE 6) not the exact range of an earlier LockPages; 50 user mode (CE 6)"},
    {"AllocPhysMem",
     "LPVOID AllocPhysMem(DWORD cbSize, DWORD fdwProtect, DWORD dwAlignmentMask, DWORD "
     "dwFlags, PULONG pPhysicalAddress)",
     "87 size 0, NULL pPhysicalAddress, dwFlags not 0, bad protection, user mode (CE 6); 8 not "
     "enough contiguous RAM"},
    {"FreePhysMem", "BOOL FreePhysMem(LPVOID lpvAddress)",
     "87 not the address AllocPhysMem returned"},
    {"MmMapIoSpace",
     "PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, ULONG NumberOfBytes, BOOLEAN "
     "CacheEnable)",
     "returns NULL with VirtualAlloc's or VirtualCopy's error (87 size 0, 8 no address space)"},
    {"MmUnmapIoSpace", "VOID MmUnmapIoSpace(PVOID BaseAddress, ULONG NumberOfBytes)",
     "none (no return value); a mapping unmapped already is reported on stderr and left alone"},
    {"CreateStaticMapping",
     "LPVOID CreateStaticMapping(DWORD dwPhysBase, DWORD dwSize) /* dwPhysBase = PA >> 8 */",
     "87 size 0 or a range that does not fit; 5 untrusted caller (CE 5); 50 user mode (CE 6)"},
    {"DeleteStaticMapping", "BOOL DeleteStaticMapping(LPVOID lpvAddress, DWORD dwSize)",
     "none on CE 5 (always TRUE)"},
    {"GetSystemInfo", "VOID GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)", "none"},
    {"GlobalMemoryStatus", "VOID GlobalMemoryStatus(LPMEMORYSTATUS lpBuffer)", "none"},
    {"GetLastError", "DWORD GetLastError(void)", "none (it reads the calling thread's value)"},
    {"open",
     "HANDLE CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode, "
     "LPSECURITY_ATTRIBUTES, DWORD dwCreationDisposition, DWORD, HANDLE)",
     "55 no such device; the driver's error when XXX_Open returns 0"},
    {"read",
     "BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPDWORD "
     "lpNumberOfBytesRead, LPOVERLAPPED)",
     "6 bad handle; 50 no XXX_Read; the driver's error when it returns -1"},
    {"write",
     "BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPDWORD "
     "lpNumberOfBytesWritten, LPOVERLAPPED)",
     "6 bad handle; 50 no XXX_Write; the driver's error when it returns -1"},
    {"seek",
     "DWORD SetFilePointer(HANDLE hFile, LONG lDistanceToMove, PLONG lpDistanceToMoveHigh, "
     "DWORD dwMoveMethod)",
     "6 bad handle; 50 no XXX_Seek; returns 0xFFFFFFFF with the driver's error"},
    {"ioctl",
     "BOOL DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer, DWORD "
     "nInBufferSize, LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesReturned, "
     "LPOVERLAPPED)",
     "6 bad handle; 50 no XXX_IOControl; the driver's error when it returns FALSE"},
    {"close", "BOOL CloseHandle(HANDLE hObject)", "6 not an open handle"},
    {"power",
     "DWORD SetDevicePower(PVOID pvDevice, DWORD dwDeviceFlags, CEDEVICE_POWER_STATE dwState) "
     "/ DWORD SetSystemPowerState(LPCWSTR pwsSystemState, DWORD StateFlags, DWORD Options)",
     "returns the error: 87 a NULL device or a state outside D0-D4; the driver's error from "
     "IOCTL_POWER_SET; SetSystemPowerState: 87 an unknown state"},
};

void lang_print_call_help(FILE *out, const char *name)
{
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (!strcmp(calls[i].name, name)) {
            fprintf(out, "  CE:     %s\n  errors: %s\n", calls[i].signature, calls[i].errors);
            return;
        }
}
