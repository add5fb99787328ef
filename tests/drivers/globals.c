/*
 * globals.c — a stream driver (prefix GLB) that keeps its pointers in DWORDs the way CE 5 drivers
 * do: Init(DWORD dwContext) hands the DWORD to OpenDeviceKey and returns (DWORD)&g_dev; Open
 * returns (DWORD)malloc(...); Close frees it through the DWORD. IOControl 1 reports those
 * addresses and what VirtualQuery says about each; 2 round-trips calloc, realloc, strdup and
 * LocalAlloc pointers through DWORDs; 3 reports the address of a local.
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
        DWORD local = 0x10CA1;
        if (dwLenOut < sizeof(DWORD))
            return FALSE;
        out[0] = (DWORD)&local;
        return ((DWORD *)out[0])[0] == 0x10CA1;
    }
    default:
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
}
