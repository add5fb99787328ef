/*
 * missing.c — a test driver that calls what cevm does not provide: one call another issue of the
 * plan brings (ActivateDeviceEx, the device manager) and one nobody provides (a vendor library's).
 * Loading it must name both, with whether cevm plans each.
 */
#include <windows.h>

HANDLE ActivateDeviceEx(LPCWSTR key, LPCVOID regs, DWORD n, LPVOID ctx);
DWORD VendorBoardRevision(void);

DWORD MIS_Init(LPCTSTR ctx, LPCVOID bus)
{
    (void)ctx;
    (void)bus;
    DWORD rev = VendorBoardRevision();
    return ActivateDeviceEx(NULL, NULL, 0, &rev) ? rev : 0;
}

BOOL MIS_Deinit(DWORD h)
{
    return h != 0;
}
