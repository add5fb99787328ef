/*
 * globals_cxx.cpp — a C++ stream driver (prefix GLX) as C++ BSP drivers are written: a global
 * object with a constructor, `new` for each open context returned as a DWORD, `(DWORD)this`,
 * and a C++ exception thrown and caught inside the driver. IOControl 1 reports what it saw.
 */
#include <windows.h>

class Counter
{
  public:
    Counter() : m_magic(0x43545221), m_opens(0)
    {
    }
    DWORD Magic() const
    {
        return m_magic;
    }
    DWORD Open()
    {
        return ++m_opens;
    }

  private:
    DWORD m_magic;
    DWORD m_opens;
};

static Counter g_counter; /* constructed when the library loads */

struct OpenContext {
    Counter *counter;
    DWORD serial;
    DWORD Self() const
    {
        return (DWORD)this;
    }
};

static DWORD throws_and_catches()
{
    try {
        throw 42;
    } catch (int v) {
        return (DWORD)v;
    }
    return 0;
}

extern "C" DWORD GLX_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    UNREFERENCED_PARAMETER(pContext);
    UNREFERENCED_PARAMETER(lpvBusContext);
    return g_counter.Magic() == 0x43545221 ? (DWORD)&g_counter : 0;
}

extern "C" BOOL GLX_Deinit(DWORD hDeviceContext)
{
    return ((Counter *)hDeviceContext)->Magic() == 0x43545221;
}

extern "C" DWORD GLX_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    UNREFERENCED_PARAMETER(AccessCode);
    UNREFERENCED_PARAMETER(ShareMode);
    OpenContext *o = new OpenContext;
    o->counter = (Counter *)hDeviceContext;
    o->serial = o->counter->Open();
    return (DWORD)o; // cppcheck-suppress memleak ; Close deletes it through the DWORD
}

extern "C" BOOL GLX_Close(DWORD hOpenContext)
{
    delete (OpenContext *)hOpenContext;
    return TRUE;
}

extern "C" BOOL GLX_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn,
                              PBYTE pBufOut, DWORD dwLenOut, PDWORD pdwActualOut)
{
    UNREFERENCED_PARAMETER(pBufIn);
    UNREFERENCED_PARAMETER(dwLenIn);
    OpenContext *o = (OpenContext *)hOpenContext;
    DWORD *out = (DWORD *)pBufOut;
    if (dwCode != 1 || dwLenOut < 6 * sizeof(DWORD))
        return FALSE;
    MEMORY_BASIC_INFORMATION mbi;
    VirtualQuery((LPCVOID)hOpenContext, &mbi, sizeof mbi);
    out[0] = o->Self();
    out[1] = mbi.Type;
    out[2] = o->serial;
    out[3] = throws_and_catches();
    DWORD *arr = new DWORD[8];
    out[4] = (DWORD)arr;
    arr[7] = 7;
    out[5] = ((DWORD *)out[4])[7];
    delete[] arr;
    *pdwActualOut = 6 * sizeof(DWORD);
    return TRUE;
}
