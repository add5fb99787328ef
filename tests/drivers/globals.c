/*
 * globals.c — a stream driver (prefix GLB) that keeps its pointers in DWORDs the way CE 5 drivers
 * do: Init(DWORD dwContext) hands the DWORD to OpenDeviceKey and returns (DWORD)&g_dev; Open
 * returns (DWORD)malloc(...); Close frees it through the DWORD. IOControl 1 reports those
 * addresses and what VirtualQuery says about each; 2 round-trips calloc, realloc, strdup and
 * LocalAlloc pointers through DWORDs; 3 reports the address of a local, what VirtualQuery says of
 * it and how VirtualFree and VirtualProtect answer a stack address; 4 overflows its stack; 5 does
 * 3's round trip on a CreateThread thread; 6, 7 and 8 read a block through an embedded pointer
 * mapped with MapCallerPtr, not mapped, and mapped with MapPtrToProcess.
 */
#include <windows.h>
#include <ceddk.h>
#include <devload.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    DWORD magic;
    DWORD opens;
    DWORD init_ctx;
} GLB_DEVICE;

typedef struct {
    GLB_DEVICE *dev;
    DWORD serial;
} GLB_OPEN;

#define GLB_MAGIC 0x474C4221

/* IOControl 6-8's input: a block of the caller's bytes behind an embedded pointer. */
typedef struct {
    const BYTE *pData;
    DWORD cbData;
} GLB_BLOCK;

static GLB_DEVICE g_dev;
static const DWORD g_table[4] = {1, 2, 3, 4};

DWORD GLB_Init(DWORD dwContext, LPCVOID lpvBusContext)
{
    UNREFERENCED_PARAMETER(lpvBusContext);
    HKEY h = OpenDeviceKey((LPCTSTR)dwContext);
    if (!h)
        return 0;
    RegCloseKey(h);
    g_dev.magic = GLB_MAGIC;
    g_dev.init_ctx = dwContext;
    return (DWORD)&g_dev;
}

BOOL GLB_Deinit(DWORD hDeviceContext)
{
    return ((GLB_DEVICE *)hDeviceContext)->magic == GLB_MAGIC;
}

DWORD GLB_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    UNREFERENCED_PARAMETER(AccessCode);
    UNREFERENCED_PARAMETER(ShareMode);
    GLB_DEVICE *dev = (GLB_DEVICE *)hDeviceContext;
    if (dev->magic != GLB_MAGIC)
        return 0;
    GLB_OPEN *o = (GLB_OPEN *)malloc(sizeof *o);
    if (!o)
        return 0;
    o->dev = dev;
    o->serial = ++dev->opens;
    return (DWORD)o; // cppcheck-suppress memleak ; Close frees it through the DWORD
}

BOOL GLB_Close(DWORD hOpenContext)
{
    free((void *)hOpenContext);
    return TRUE;
}

static void query(DWORD addr, DWORD *type, DWORD *protect, DWORD *base)
{
    MEMORY_BASIC_INFORMATION mbi;
    memset(&mbi, 0, sizeof mbi);
    VirtualQuery((LPCVOID)addr, &mbi, sizeof mbi);
    *type = mbi.Type;
    *protect = mbi.Protect;
    *base = (DWORD)mbi.AllocationBase;
}

static BOOL round_trips(void)
{
    /* Each pointer lives only in a DWORD (cppcheck cannot follow that: memleak suppressed). */
    BOOL ok = TRUE;
    DWORD c = (DWORD)calloc(4, sizeof(DWORD));
    ok = ok && c && ((DWORD *)c)[3] == 0;
    if (c)
        ((DWORD *)c)[3] = 7;
    DWORD r = c ? (DWORD)realloc((void *)c, 64 * sizeof(DWORD)) : 0;
    ok = ok && r && ((DWORD *)r)[3] == 7;
    DWORD s = (DWORD)strdup("ce");
    ok = ok && s && !strcmp((const char *)s, "ce");
    DWORD l = (DWORD)LocalAlloc(LPTR, 32);
    if (l) {
        ((BYTE *)l)[31] = 0x5A;
        ok = ok && ((BYTE *)l)[31] == 0x5A;
        LocalFree((HLOCAL)l);
    }
    free((void *)s);
    free((void *)(r ? r : c));
    return ok && l; // cppcheck-suppress memleak
}

/* Recurses with a page of locals per call until the stack overflows. */
static DWORD deep(DWORD n)
{
    BYTE page[4096];
    memset(page, (int)n, sizeof page);
    __asm__ volatile("" : : "r"(page) : "memory"); /* the frame keeps its whole page */
    if (n > 100000)                                /* 400 MB: far beyond any stack */
        return n;
    return deep(n + 1) + page[0] + page[4095];
}

/* A CreateThread thread: its local's address goes out through a DWORD and back. */
static DWORD WINAPI thread_local_address(LPVOID arg)
{
    DWORD local = 0x7EAD, *out = (DWORD *)arg;
    out[0] = (DWORD)&local;
    query(out[0], &out[1], &out[2], &out[3]);
    return ((DWORD *)out[0])[0] == 0x7EAD;
}

BOOL GLB_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    UNREFERENCED_PARAMETER(pBufIn);
    UNREFERENCED_PARAMETER(dwLenIn);
    GLB_OPEN *o = (GLB_OPEN *)hOpenContext;
    DWORD *out = (DWORD *)pBufOut;
    switch (dwCode) {
    case 1:
        if (dwLenOut < 16 * sizeof(DWORD) || o->dev != &g_dev)
            return FALSE;
        out[0] = (DWORD)&g_dev;
        out[1] = hOpenContext;
        out[2] = (DWORD)&GLB_Init;
        out[3] = (DWORD)g_table;
        query(out[0], &out[4], &out[5], &out[6]);
        query(out[2], &out[7], &out[8], &out[9]);
        query(out[3], &out[10], &out[11], &out[12]);
        query(out[1], &out[13], &out[14], &out[15]);
        *pdwActualOut = 16 * sizeof(DWORD);
        return TRUE;
    case 2:
        return round_trips();
    case 3: {
        DWORD local = 0x10CA1, old = 0;
        if (dwLenOut < 8 * sizeof(DWORD))
            return FALSE;
        out[0] = (DWORD)&local;
        query(out[0], &out[1], &out[2], &out[3]);
        /* CE 5 refuses stack addresses to VirtualFree and VirtualProtect (87). */
        SetLastError(0);
        out[4] = VirtualFree((LPVOID)(out[0] & ~0xFFFu), 0x1000, MEM_DECOMMIT);
        out[5] = GetLastError();
        SetLastError(0);
        out[6] = VirtualProtect((LPVOID)out[0], 4, PAGE_READONLY, &old);
        out[7] = GetLastError();
        return ((DWORD *)out[0])[0] == 0x10CA1;
    }
    case 4: /* runs until the stack is gone */
        return deep(1) != 0;
    case 5: {
        DWORD tid = 0, code = 0;
        if (dwLenOut < 4 * sizeof(DWORD))
            return FALSE;
        HANDLE t = CreateThread(NULL, 0, thread_local_address, out, 0, &tid);
        if (!t)
            return FALSE;
        WaitForSingleObject(t, INFINITE);
        GetExitCodeThread(t, &code);
        CloseHandle(t);
        return code == 1;
    }
    case 6:   /* an embedded pointer, mapped as CE 5 drivers must */
    case 7:   /* ... forgotten: read as it arrived */
    case 8: { /* ... mapped with MapPtrToProcess(GetCallerProcess()) */
        const GLB_BLOCK *blk = (const GLB_BLOCK *)pBufIn;
        if (dwLenIn < sizeof *blk || dwLenOut < 5 * sizeof(DWORD) || blk->cbData < 4)
            return FALSE;
        const BYTE *p = blk->pData;
        if (dwCode == 6)
            p = (const BYTE *)MapCallerPtr((LPVOID)blk->pData, blk->cbData);
        else if (dwCode == 8)
            p = (const BYTE *)MapPtrToProcess((LPVOID)blk->pData, GetCallerProcess());
        if (!p)
            return FALSE;
        memcpy(&out[0], p, sizeof(DWORD));
        out[1] = (DWORD)p;
        out[2] = (DWORD)pBufIn;
        out[3] = (DWORD)GetCallerProcess();
        out[4] = GetCurrentProcessId();
        *pdwActualOut = 5 * sizeof(DWORD);
        return TRUE;
    }
    default:
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
}
