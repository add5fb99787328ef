/*
 * omapled.c — an example CE 6 stream driver for the OMAP3530 EVM board (boards/omap3530evm),
 * written the way TI's BSP drivers are: the GPIO module as an OMAP_GPIO_REGS struct reached
 * with the INREG32/OUTREG32/SETREG32/CLRREG32 macros, its window from MemBase/MemLen.
 *
 * Init soft-resets the module (SYSCONFIG.SOFTRESET, then a spin on SYSSTATUS.RESETDONE and on
 * the SOFTRESET bit itself, which the module clears) and makes pins 0-3 outputs (OE bit 0) for
 * the LEDs. IOCTL_LED_SET/GET drive and read the LEDs through DATAOUT, IOCTL_LED_KEYS returns
 * pads 8-9 from DATAIN.
 */
#include <windows.h>
#include <ceddk.h>
#include <ddkreg.h>
#include <devload.h>
#include <oal_io.h>
#include <winioctl.h>

#include "led.h"

typedef volatile struct {
    UINT32 REVISION;
    UINT32 reserved0[3];
    UINT32 SYSCONFIG, SYSSTATUS, IRQSTATUS1, IRQENABLE1, WAKEUPENABLE;
    UINT32 reserved1;
    UINT32 IRQSTATUS2, IRQENABLE2, CTRL, OE, DATAIN, DATAOUT;
} OMAP_GPIO_REGS;

#define GPIO_SYSCONFIG_SOFTRESET (1u << 1)
#define GPIO_SYSSTATUS_RESETDONE (1u << 0)
#define LED_MASK                 0xFu
#define KEY_SHIFT                8
#define KEY_MASK                 (0x3u << KEY_SHIFT)

typedef struct {
    OMAP_GPIO_REGS *gpio;
    DWORD len;
} OMAPLED_DEVICE;

DWORD LED_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    (void)lpvBusContext;
    DDKWINDOWINFO wi;
    HKEY key = OpenDeviceKey(pContext);
    if (!key)
        return 0;
    wi.cbSize = sizeof wi;
    DWORD status = DDKReg_GetWindowInfo(key, &wi);
    RegCloseKey(key);
    if (status != ERROR_SUCCESS || wi.dwNumMemWindows < 1 ||
        wi.memWindows[0].dwLen < sizeof(OMAP_GPIO_REGS)) {
        SetLastError(ERROR_INVALID_DATA);
        return 0;
    }
    OMAPLED_DEVICE *dev = LocalAlloc(LPTR, sizeof *dev);
    if (!dev)
        return 0;
    PHYSICAL_ADDRESS pa = {wi.memWindows[0].dwBase, 0};
    dev->len = wi.memWindows[0].dwLen;
    dev->gpio = MmMapIoSpace(pa, dev->len, FALSE);
    if (!dev->gpio) {
        LocalFree(dev);
        return 0;
    }
    SETREG32(&dev->gpio->SYSCONFIG, GPIO_SYSCONFIG_SOFTRESET);
    while (!(INREG32(&dev->gpio->SYSSTATUS) & GPIO_SYSSTATUS_RESETDONE))
        ;
    while (dev->gpio->SYSCONFIG & GPIO_SYSCONFIG_SOFTRESET)
        ;
    CLRREG32(&dev->gpio->DATAOUT, LED_MASK);
    CLRREG32(&dev->gpio->OE, LED_MASK); /* 0 = output */
    RETAILMSG(1, (TEXT("OMAPLED: GPIO module revision 0x%02X reset\r\n"),
                  INREG32(&dev->gpio->REVISION) & 0xFF));
    return (DWORD)(UINT_PTR)dev;
}

BOOL LED_Deinit(DWORD hDeviceContext)
{
    OMAPLED_DEVICE *dev = (OMAPLED_DEVICE *)(UINT_PTR)hDeviceContext;
    CLRREG32(&dev->gpio->DATAOUT, LED_MASK);
    SETREG32(&dev->gpio->OE, LED_MASK);
    MmUnmapIoSpace((PVOID)dev->gpio, dev->len);
    LocalFree(dev);
    return TRUE;
}

DWORD LED_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    (void)AccessCode;
    (void)ShareMode;
    return hDeviceContext;
}

BOOL LED_Close(DWORD hOpenContext)
{
    (void)hOpenContext;
    return TRUE;
}

BOOL LED_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    OMAPLED_DEVICE *dev = (OMAPLED_DEVICE *)(UINT_PTR)hOpenContext;
    switch (dwCode) {
    case IOCTL_LED_SET:
        if (!pBufIn || dwLenIn < sizeof(DWORD))
            break;
        MASKREG32(&dev->gpio->DATAOUT, LED_MASK, *(DWORD *)pBufIn);
        return TRUE;
    case IOCTL_LED_GET:
    case IOCTL_LED_KEYS:
        if (!pBufOut || dwLenOut < sizeof(DWORD))
            break;
        *(DWORD *)pBufOut = dwCode == IOCTL_LED_GET
                                ? INREG32(&dev->gpio->DATAOUT) & LED_MASK
                                : (INREG32(&dev->gpio->DATAIN) & KEY_MASK) >> KEY_SHIFT;
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
