/*
 * cxx_gpio.cpp — an example stream driver in C++ as BSPs write them: a class behind the
 * entry points, no extern "C" (the .def file names the exports, as on CE), DllMain, a DWORD
 * context from Init, the device name built with _stprintf, caller buffers guarded with
 * __try/__except, (DWORD) casts of pointers, RETAILMSG with _T. Built with the cevm-ce flags
 * plus $(pkg-config --variable=cxxflags cevm-ce) (-fpermissive: g++ refuses (DWORD)pointer
 * casts otherwise). It drives GPM0-3 of the default board (its LEDs). Its
 * context is LocalAlloc'd (a CE address): in the identity window that fits a DWORD.
 */
#include <windows.h>
#include <ceddk.h>
#include <new>

#define IOCTL_GIO_NAME     CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_GIO_READ     CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_GIO_WRITE    CTL_CODE(FILE_DEVICE_UNKNOWN, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_GIO_ATTACHES CTL_CODE(FILE_DEVICE_UNKNOWN, 0x903, METHOD_BUFFERED, FILE_ANY_ACCESS)

struct GPIO_REGS { /* S3C6410 GPIO port M, at 0x7F008820 */
    DWORD GPMCON;
    DWORD GPMDAT;
    DWORD GPMPUD;
};

class GpioPort
{
  public:
    BOOL Map()
    {
        PHYSICAL_ADDRESS pa = {0x7F008000, 0};
        m_base = (BYTE *)MmMapIoSpace(pa, 0x1000, FALSE);
        if (!m_base)
            return FALSE;
        m_regs = (volatile GPIO_REGS *)(m_base + 0x820);
        m_regs->GPMCON = (m_regs->GPMCON & ~0xFFFFu) | 0x1111u; /* GPM0-3 outputs */
        _stprintf(m_name, _T("%s%d:"), _T("GIO"), 1);
        return TRUE;
    }
    void Unmap()
    {
        MmUnmapIoSpace(m_base, 0x1000);
    }
    DWORD Read() const
    {
        return m_regs->GPMDAT;
    }
    void Write(DWORD v)
    {
        m_regs->GPMDAT = v;
    }
    const WCHAR *Name() const
    {
        return m_name;
    }

  private:
    BYTE *m_base;
    volatile GPIO_REGS *m_regs;
    WCHAR m_name[8];
};

static DWORD g_attaches;

BOOL WINAPI DllMain(HANDLE hInstance, DWORD dwReason, LPVOID lpReserved)
{
    UNREFERENCED_PARAMETER(hInstance);
    UNREFERENCED_PARAMETER(lpReserved);
    if (dwReason == DLL_PROCESS_ATTACH)
        g_attaches++;
    return TRUE;
}

DWORD GIO_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    UNREFERENCED_PARAMETER(pContext);
    UNREFERENCED_PARAMETER(lpvBusContext);
    void *mem = LocalAlloc(LPTR, sizeof(GpioPort));
    if (!mem)
        return 0;
    GpioPort *port = new (mem) GpioPort;
    if (!port->Map()) {
        LocalFree(mem);
        return 0;
    }
    RETAILMSG(1, (_T("GIO_Init: %s mapped\r\n"), port->Name()));
    return (DWORD)port; /* the DWORD context CE drivers return */
}

BOOL GIO_Deinit(DWORD hDeviceContext)
{
    GpioPort *port = (GpioPort *)hDeviceContext;
    port->Unmap();
    port->~GpioPort();
    LocalFree(port);
    return TRUE;
}

DWORD GIO_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    UNREFERENCED_PARAMETER(AccessCode);
    UNREFERENCED_PARAMETER(ShareMode);
    return hDeviceContext;
}

BOOL GIO_Close(DWORD hOpenContext)
{
    UNREFERENCED_PARAMETER(hOpenContext);
    return TRUE;
}

BOOL GIO_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    GpioPort *port = (GpioPort *)hOpenContext;
    BOOL ok = FALSE;
    __try {
        switch (dwCode) {
        case IOCTL_GIO_NAME:
            if (dwLenOut < 6 * sizeof(WCHAR))
                break;
            wcscpy((WCHAR *)pBufOut, port->Name());
            *pdwActualOut = (wcslen(port->Name()) + 1) * sizeof(WCHAR);
            ok = TRUE;
            break;
        case IOCTL_GIO_READ:
            *(DWORD *)pBufOut = port->Read();
            *pdwActualOut = sizeof(DWORD);
            ok = TRUE;
            break;
        case IOCTL_GIO_WRITE:
            if (dwLenIn < sizeof(DWORD))
                break;
            port->Write(*(const DWORD *)pBufIn);
            ok = TRUE;
            break;
        case IOCTL_GIO_ATTACHES:
            *(DWORD *)pBufOut = g_attaches;
            ok = TRUE;
            break;
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (!ok)
        SetLastError(ERROR_INVALID_PARAMETER);
    return ok;
}
