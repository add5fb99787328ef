/*
 * nodone.c — a test driver (prefix NDN) whose interrupt handling forgets InterruptDone: Init
 * binds an event to UART0's SYSINTR (16) and unmasks its receive interrupt; IOControl 1 polls
 * the event (output: the wait result); Deinit leaves the SYSINTR as it is. The driver host must
 * name the masked SYSINTR at unload.
 */
#include <windows.h>
#include <ceddk.h>
#include <pkfuncs.h>

#define UART0_UINTM 0x7F005038

static HANDLE g_event;

DWORD NDN_Init(LPCTSTR ctx, LPCVOID bus)
{
    (void)ctx;
    (void)bus;
    PHYSICAL_ADDRESS pa = {{UART0_UINTM & ~0xFFFu, 0}};
    BYTE *regs = MmMapIoSpace(pa, 0x1000, FALSE);
    g_event = CreateEvent(NULL, FALSE, FALSE, NULL);
    if (!regs || !InterruptInitialize(16, g_event, NULL, 0))
        return 0;
    WRITE_REGISTER_ULONG((PULONG)(regs + (UART0_UINTM & 0xFFF)), 0xE); /* receive only */
    MmUnmapIoSpace(regs, 0x1000);
    return 1;
}

BOOL NDN_Deinit(DWORD h)
{
    return h != 0;
}

DWORD NDN_Open(DWORD h, DWORD access, DWORD share)
{
    (void)access;
    (void)share;
    return h;
}

BOOL NDN_Close(DWORD h)
{
    return h != 0;
}

BOOL NDN_IOControl(DWORD h, DWORD code, PBYTE in, DWORD nin, PBYTE out, DWORD nout, PDWORD got)
{
    (void)h;
    (void)in;
    (void)nin;
    if (code != 1 || !out || nout < 4)
        return FALSE;
    DWORD r = WaitForSingleObject(g_event, 0);
    memcpy(out, &r, 4);
    if (got)
        *got = 4;
    return TRUE;
}
