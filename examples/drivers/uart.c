/*
 * uart.c — an example CE serial stream driver (prefix COM) for UART0 of an S3C6410 board. It
 * maps its registers from the registry's MemBase/MemLen and reaches every register through
 * the CEDDK accessors (INREG32/OUTREG32 over READ/WRITE_REGISTER_ULONG), as Freescale- and
 * TI-style drivers do.
 *
 * Init programs 8N1 polling mode, enables the FIFOs and resets both of them, then waits for the
 * hardware to clear the two self-clearing reset bits of UFCON (giving up after a bounded number
 * of polls). COM_Write sends bytes one by one when the transmitter is empty; COM_Read returns
 * what has been received; IOCTL_COM_RX_COUNT returns the receive FIFO count.
 */
#include <windows.h>
#include <ceddk.h>
#include <ddkreg.h>
#include <devload.h>
#include <oal_io.h>
#include <winioctl.h>

#include "uart.h"

typedef struct {
    ULONG ULCON, UCON, UFCON, UMCON, UTRSTAT, UERSTAT, UFSTAT, UMSTAT;
    ULONG UTXH, URXH, UBRDIV, UDIVSLOT, UINTP, UINTSP, UINTM;
} UART_REGS;

#define UFCON_FIFO_ENABLE 0x1u
#define UFCON_RX_RESET    0x2u
#define UFCON_TX_RESET    0x4u
#define UTRSTAT_RX_READY  0x1u
#define UTRSTAT_TX_EMPTY  0x4u
#define RESET_POLLS       100000

typedef struct {
    volatile UART_REGS *regs;
    DWORD length;
} COM_DEVICE;

DBGPARAM dpCurSettings = {TEXT("COM"), {TEXT("Init")}, 0x0001};

DWORD COM_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    (void)lpvBusContext;
    DDKWINDOWINFO wi;
    HKEY key = OpenDeviceKey(pContext);
    if (!key)
        return 0;
    wi.cbSize = sizeof wi;
    DWORD status = DDKReg_GetWindowInfo(key, &wi);
    RegCloseKey(key);
    if (status != ERROR_SUCCESS || wi.dwNumMemWindows != 1 ||
        wi.memWindows[0].dwLen < sizeof(UART_REGS)) {
        SetLastError(ERROR_INVALID_DATA);
        return 0;
    }
    COM_DEVICE *dev = LocalAlloc(LPTR, sizeof *dev);
    if (!dev)
        return 0;
    PHYSICAL_ADDRESS pa = {wi.memWindows[0].dwBase, 0};
    dev->length = wi.memWindows[0].dwLen;
    dev->regs = MmMapIoSpace(pa, dev->length, FALSE);
    if (!dev->regs) {
        LocalFree(dev);
        return 0;
    }
    OUTREG32(&dev->regs->ULCON, 0x3); /* 8 data bits, no parity, 1 stop bit */
    OUTREG32(&dev->regs->UCON, 0x5);  /* transmit and receive by polling */
    OUTREG32(&dev->regs->UBRDIV, 34); /* 115200 baud from 66 MHz */
    OUTREG32(&dev->regs->UFCON, UFCON_FIFO_ENABLE | UFCON_RX_RESET | UFCON_TX_RESET);
    int polls = 0;
    while (INREG32(&dev->regs->UFCON) & (UFCON_RX_RESET | UFCON_TX_RESET))
        if (++polls == RESET_POLLS) {
            ERRORMSG(1, (TEXT("COM: FIFO reset did not complete\r\n")));
            MmUnmapIoSpace((PVOID)dev->regs, dev->length);
            LocalFree(dev);
            SetLastError(ERROR_GEN_FAILURE);
            return 0;
        }
    return (DWORD)(UINT_PTR)dev;
}

BOOL COM_Deinit(DWORD hDeviceContext)
{
    COM_DEVICE *dev = (COM_DEVICE *)(UINT_PTR)hDeviceContext;
    OUTREG32(&dev->regs->UCON, 0);
    MmUnmapIoSpace((PVOID)dev->regs, dev->length);
    LocalFree(dev);
    return TRUE;
}

DWORD COM_Open(DWORD hDeviceContext, DWORD AccessCode, DWORD ShareMode)
{
    (void)AccessCode;
    (void)ShareMode;
    return hDeviceContext;
}

BOOL COM_Close(DWORD hOpenContext)
{
    (void)hOpenContext;
    return TRUE;
}

DWORD COM_Write(DWORD hOpenContext, LPCVOID pBuffer, DWORD Count)
{
    COM_DEVICE *dev = (COM_DEVICE *)(UINT_PTR)hOpenContext;
    const BYTE *p = pBuffer;
    for (DWORD i = 0; i < Count; i++) {
        while (!(INREG32(&dev->regs->UTRSTAT) & UTRSTAT_TX_EMPTY)) {
        }
        OUTREG32(&dev->regs->UTXH, p[i]);
    }
    return Count;
}

DWORD COM_Read(DWORD hOpenContext, LPVOID pBuffer, DWORD Count)
{
    COM_DEVICE *dev = (COM_DEVICE *)(UINT_PTR)hOpenContext;
    BYTE *p = pBuffer;
    DWORD n = 0;
    while (n < Count && (INREG32(&dev->regs->UTRSTAT) & UTRSTAT_RX_READY))
        p[n++] = (BYTE)INREG32(&dev->regs->URXH);
    return n;
}

BOOL COM_IOControl(DWORD hOpenContext, DWORD dwCode, PBYTE pBufIn, DWORD dwLenIn, PBYTE pBufOut,
                   DWORD dwLenOut, PDWORD pdwActualOut)
{
    (void)pBufIn;
    (void)dwLenIn;
    COM_DEVICE *dev = (COM_DEVICE *)(UINT_PTR)hOpenContext;
    if (dwCode != IOCTL_COM_RX_COUNT) {
        SetLastError(ERROR_NOT_SUPPORTED);
        return FALSE;
    }
    if (!pBufOut || dwLenOut < sizeof(DWORD)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    *(DWORD *)pBufOut = INREG32(&dev->regs->UFSTAT) & 0x3Fu;
    if (pdwActualOut)
        *pdwActualOut = sizeof(DWORD);
    return TRUE;
}
