/*
 * keeper.c — a CE 6 test driver (prefix KPR, built with _WIN32_WCE 0x600) that keeps its
 * caller's buffers past the call, the right way and the wrong way:
 *   IOControl 1: keep a pointer to the input's last DWORD as it came (the wrong way);
 *   IOControl 2: read the DWORD through the kept pointer into the output;
 *   IOControl 3: keep an asynchronous copy of the in/out buffer (CeAllocAsynchronousBuffer);
 *   IOControl 4: add 1 to the first DWORD of the asynchronous copy; output: its value;
 *   IOControl 5: free the asynchronous copy (CeFreeAsynchronousBuffer); output: the HRESULT;
 *   IOControl 6: output the kept pointer's value.
 * A CE 6 kernel-mode driver reaches its caller's memory only during the call, so IOControl 2
 * after IOControl 1 faults; the asynchronous copy stays usable.
 */
#include <windows.h>
#include <pkfuncs.h>

static DWORD *g_kept;
static PVOID g_async, g_async_src;
static DWORD g_async_cb;

DWORD KPR_Init(LPCTSTR ctx, LPCVOID bus)
{
    (void)ctx;
    (void)bus;
    return 1;
}

BOOL KPR_Deinit(DWORD h)
{
    return h != 0;
}

DWORD KPR_Open(DWORD h, DWORD access, DWORD share)
{
    (void)access;
    (void)share;
    return h;
}

BOOL KPR_Close(DWORD h)
{
    return h != 0;
}

BOOL KPR_IOControl(DWORD h, DWORD code, PBYTE in, DWORD in_len, PBYTE out, DWORD out_len,
                   PDWORD got)
{
    (void)h;
    HRESULT hr;
    switch (code) {
    case 1: /* the last DWORD of the input */
        g_kept = in_len >= 4 ? (DWORD *)(in + in_len - 4) : NULL;
        return TRUE;
    case 2:
        if (!out || out_len < 4)
            return FALSE;
        *(DWORD *)out = *g_kept; /* the caller's buffer of an earlier call */
        *got = 4;
        return TRUE;
    case 3:
        g_async_src = in;
        g_async_cb = in_len;
        hr = CeAllocAsynchronousBuffer(&g_async, in, in_len, ARG_IO_PTR);
        return SUCCEEDED(hr);
    case 4:
        if (!g_async || !out || out_len < 4)
            return FALSE;
        *(DWORD *)out = ++*(DWORD *)g_async;
        *got = 4;
        return TRUE;
    case 5:
        hr = CeFreeAsynchronousBuffer(g_async, g_async_src, g_async_cb, ARG_IO_PTR);
        g_async = NULL;
        if (out && out_len >= 4) {
            *(DWORD *)out = (DWORD)hr;
            *got = 4;
        }
        return TRUE;
    case 6:
        if (!out || out_len < 4)
            return FALSE;
        *(DWORD *)out = (DWORD)(UINT_PTR)g_kept;
        *got = 4;
        return TRUE;
    default:
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
}
