/*
 * led.c — an example CE stream driver for the four LEDs on GPM0-3 of an S3C6410 board, written
 * the way CE drivers are: it finds its registers through the registry (MemBase/MemLen read with
 * DDKReg_GetWindowInfo on the key OpenDeviceKey returns), maps them with MmMapIoSpace, and
 * writes them through a struct pointer.
 *
 * Interface: LED_Write sets the LEDs from the low 4 bits of the last byte written; LED_Read
 * returns one byte, the LEDs' state; IOCTL_LED_SET / IOCTL_LED_GET do the same with a DWORD;
 * IOCTL_LED_KEYS returns the six keys on GPN0-5.
 */
#include <windows.h>
#include <ceddk.h>
#include <ddkreg.h>
#include <devload.h>
#include <winioctl.h>

#include "led.h"

/* The GPIO block from offset 0x800 (ports K to N), as the S3C6410 lays it out. */
typedef struct {
    ULONG GPKCON0, GPKCON1, GPKDAT, GPKPUD;
    ULONG GPLCON0, GPLCON1, GPLDAT, GPLPUD;
    ULONG GPMCON, GPMDAT, GPMPUD, reserved0;
    ULONG GPNCON, GPNDAT, GPNPUD;
} GPIO_PORTS;

#define PORTS_OFFSET 0x800
#define LED_MASK     0xF

typedef struct {
    volatile BYTE *base; /* the mapped window */
    DWORD length;
    volatile GPIO_PORTS *ports; /* base + 0x800 */
    CRITICAL_SECTION lock;
    LONG opens;
} LED_DEVICE;

DBGPARAM dpCurSettings = {TEXT("LED"), {TEXT("Init"), TEXT("Io")}, 0x0001};

DWORD LED_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    (void)lpvBusContext;
    DDKWINDOWINFO wi;
    HKEY key = OpenDeviceKey(pContext);
    if (!key) {
        ERRORMSG(1, (TEXT("LED: no device key for %s\r\n"), pContext));
        return 0;
    }
    wi.cbSize = sizeof wi;
    DWORD status = DDKReg_GetWindowInfo(key, &wi);
    RegCloseKey(key);
    if (status != ERROR_SUCCESS || wi.dwNumMemWindows < 1 ||
        wi.memWindows[0].dwLen < PORTS_OFFSET + sizeof(GPIO_PORTS)) {
        SetLastError(ERROR_INVALID_DATA);
        return 0;
    }
    LED_DEVICE *dev = LocalAlloc(LPTR, sizeof *dev);
    if (!dev)
        return 0;
    PHYSICAL_ADDRESS pa = {wi.memWindows[0].dwBase, 0};
    dev->length = wi.memWindows[0].dwLen;
    dev->base = MmMapIoSpace(pa, dev->length, FALSE);
    if (!dev->base) {
        LocalFree(dev);
        return 0;
    }
    dev->ports = (volatile GPIO_PORTS *)(dev->base + PORTS_OFFSET);
    InitializeCriticalSection(&dev->lock);
    /* GPM0-3 as outputs (0b0001 per pin), LEDs off; GPN0-5 as inputs (0b00 per pin). */
    dev->ports->GPMCON = (dev->ports->GPMCON & ~0xFFFFu) | 0x1111u;
    dev->ports->GPMDAT &= ~(ULONG)LED_MASK;
    dev->ports->GPNCON &= ~0xFFFu;
    RETAILMSG(
        1, (TEXT("LED: GPIO at physical 0x%08X mapped, %d LEDs\r\n"), wi.memWindows[0].dwBase, 4));
    return (DWORD)(UINT_PTR)dev;
}

BOOL LED_Deinit(DWORD hDeviceContext)
{
    LED_DEVICE *dev = (LED_DEVICE *)(UINT_PTR)hDeviceContext;
    dev->ports->GPMDAT &= ~(ULONG)LED_MASK;
    MmUnmapIoSpace((PVOID)dev->base, dev->length);
    DeleteCriticalSection(&dev->lock);
    LocalFree(dev);
    return TRUE;
}

DWORD LED_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    (void)AccessCode;
    (void)ShareMode;
    LED_DEVICE *dev = (LED_DEVICE *)(UINT_PTR)hDeviceContext;
    InterlockedIncrement(&dev->opens);
    return hDeviceContext;
}

BOOL LED_Close(DWORD hOpenContext)
{
    LED_DEVICE *dev = (LED_DEVICE *)(UINT_PTR)hOpenContext;
    InterlockedDecrement(&dev->opens);
    return TRUE;
}

static void set_leds(LED_DEVICE *dev, DWORD mask)
{
    EnterCriticalSection(&dev->lock);
    dev->ports->GPMDAT = (dev->ports->GPMDAT & ~(ULONG)LED_MASK) | (mask & LED_MASK);
    LeaveCriticalSection(&dev->lock);
}

DWORD LED_Write(DWORD hOpenContext, LPCVOID pBuffer, DWORD Count)
{
    if (!pBuffer || !Count)
        return 0;
    set_leds((LED_DEVICE *)(UINT_PTR)hOpenContext, ((const BYTE *)pBuffer)[Count - 1]);
    return Count;
}

DWORD LED_Read(DWORD hOpenContext, LPVOID pBuffer, DWORD Count)
{
    LED_DEVICE *dev = (LED_DEVICE *)(UINT_PTR)hOpenContext;
    if (!pBuffer || !Count)
        return 0;
    *(BYTE *)pBuffer = (BYTE)(dev->ports->GPMDAT & LED_MASK);
    return 1;
}

BOOL LED_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    LED_DEVICE *dev = (LED_DEVICE *)(UINT_PTR)hOpenContext;
    switch (dwCode) {
    case IOCTL_LED_SET:
        if (!pBufIn || dwLenIn < sizeof(DWORD))
            break;
        set_leds(dev, *(DWORD *)pBufIn);
        return TRUE;
    case IOCTL_LED_GET:
    case IOCTL_LED_KEYS:
        if (!pBufOut || dwLenOut < sizeof(DWORD))
            break;
        *(DWORD *)pBufOut =
            dwCode == IOCTL_LED_GET ? dev->ports->GPMDAT & LED_MASK : dev->ports->GPNDAT & 0x3Fu;
        if (pdwActualOut)
            *pdwActualOut = sizeof(DWORD);
        return TRUE;
    default:
        SetLastError(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
}
