/*
 * mxled.c — an example CE 6 stream driver for an i.MX25 board (boards/imx25em9170), written
 * the way Freescale's BSP drivers are: register blocks as CSP_*_REGS structs, reached with the
 * INREG32/OUTREG32/SETREG32/CLRREG32 macros of oal_io.h, and two memory windows (GPIO1, PWM1)
 * from one multi_sz MemBase/MemLen pair read with DDKReg_GetWindowInfo.
 *
 * Init sets GPIO1 pins 0-3 as outputs (the LEDs) and resets PWM1 with PWMCR.SWR, spinning on
 * the bit through the struct pointer until the hardware clears it. IOCTL_LED_SET/GET drive and
 * read the LEDs, IOCTL_LED_KEYS returns the pad state of pins 8-9; IOCTL_MXLED_BACKLIGHT
 * programs PWM1 (period, duty) and clears its status events by writing them back.
 */
#include <windows.h>
#include <ceddk.h>
#include <ddkreg.h>
#include <devload.h>
#include <oal_io.h>
#include <winioctl.h>

#include "led.h"

#define IOCTL_MXLED_BACKLIGHT CTL_CODE(FILE_DEVICE_UNKNOWN, 0x810, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct {
    UINT32 DR, GDIR, PSR, ICR1, ICR2, IMR, ISR, EDGE_SEL;
} CSP_GPIO_REGS, *PCSP_GPIO_REGS;

typedef struct {
    UINT32 PWMCR, PWMSR, PWMIR, PWMSAR, PWMPR, PWMCNR;
} CSP_PWM_REGS, *PCSP_PWM_REGS;

#define PWM_PWMCR_EN_LSH 0
#define PWM_PWMCR_EN_WID 1
#define PWM_PWMCR_SWR    (1u << 3)
#define PWM_PWMSR_EVENTS 0x78u /* FE, ROV, CMP, FWE */
#define LED_MASK         0xFu
#define KEY_SHIFT        8
#define KEY_MASK         (0x3u << KEY_SHIFT)

typedef struct {
    PCSP_GPIO_REGS gpio;
    PCSP_PWM_REGS pwm;
    DWORD gpio_len, pwm_len;
} MXLED_DEVICE;

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
    if (status != ERROR_SUCCESS || wi.dwNumMemWindows < 2) {
        SetLastError(ERROR_INVALID_DATA);
        return 0;
    }
    MXLED_DEVICE *dev = LocalAlloc(LPTR, sizeof *dev);
    if (!dev)
        return 0;
    PHYSICAL_ADDRESS pa = {wi.memWindows[0].dwBase, 0};
    dev->gpio_len = wi.memWindows[0].dwLen;
    dev->gpio = MmMapIoSpace(pa, dev->gpio_len, FALSE);
    pa.LowPart = wi.memWindows[1].dwBase;
    dev->pwm_len = wi.memWindows[1].dwLen;
    dev->pwm = MmMapIoSpace(pa, dev->pwm_len, FALSE);
    if (!dev->gpio || !dev->pwm) {
        if (dev->gpio)
            MmUnmapIoSpace(dev->gpio, dev->gpio_len);
        LocalFree(dev);
        return 0;
    }
    SETREG32(&dev->gpio->GDIR, LED_MASK);
    CLRREG32(&dev->gpio->DR, LED_MASK);
    /* Software reset of the PWM: the bit reads 1 until the block has reset. */
    dev->pwm->PWMCR = PWM_PWMCR_SWR;
    while (*(volatile UINT32 *)&dev->pwm->PWMCR & PWM_PWMCR_SWR)
        ;
    RETAILMSG(1, (TEXT("MXLED: GPIO1 and PWM1 mapped, PWM reset\r\n")));
    return (DWORD)(UINT_PTR)dev;
}

BOOL LED_Deinit(DWORD hDeviceContext)
{
    MXLED_DEVICE *dev = (MXLED_DEVICE *)(UINT_PTR)hDeviceContext;
    CLRREG32(&dev->gpio->DR, LED_MASK);
    INSREG32BF(&dev->pwm->PWMCR, PWM_PWMCR_EN, 0);
    MmUnmapIoSpace(dev->gpio, dev->gpio_len);
    MmUnmapIoSpace(dev->pwm, dev->pwm_len);
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
    MXLED_DEVICE *dev = (MXLED_DEVICE *)(UINT_PTR)hOpenContext;
    switch (dwCode) {
    case IOCTL_LED_SET:
        if (!pBufIn || dwLenIn < sizeof(DWORD))
            break;
        MASKREG32(&dev->gpio->DR, LED_MASK, *(DWORD *)pBufIn);
        return TRUE;
    case IOCTL_LED_GET:
    case IOCTL_LED_KEYS:
        if (!pBufOut || dwLenOut < sizeof(DWORD))
            break;
        *(DWORD *)pBufOut = dwCode == IOCTL_LED_GET
                                ? INREG32(&dev->gpio->DR) & LED_MASK
                                : (INREG32(&dev->gpio->PSR) & KEY_MASK) >> KEY_SHIFT;
        if (pdwActualOut)
            *pdwActualOut = sizeof(DWORD);
        return TRUE;
    case IOCTL_MXLED_BACKLIGHT: {
        /* in: period, duty (both in PWM clocks) */
        if (!pBufIn || dwLenIn < 2 * sizeof(DWORD))
            break;
        const DWORD *arg = (const DWORD *)pBufIn;
        OUTREG32(&dev->pwm->PWMPR, arg[0]);
        OUTREG32(&dev->pwm->PWMSAR, arg[1]);
        OUTREG32(&dev->pwm->PWMSR, INREG32(&dev->pwm->PWMSR) & PWM_PWMSR_EVENTS);
        INSREG32BF(&dev->pwm->PWMCR, PWM_PWMCR_EN, 1);
        return TRUE;
    }
    default:
        SetLastError(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
}
