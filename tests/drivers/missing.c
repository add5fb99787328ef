/*
 * missing.c — a test driver that calls what cevm does not provide: one call another issue of the
 * plan brings (FindFirstDevice, the device manager's search) and one nobody provides (a vendor
 * library's).
 * Loading it must name both, with whether cevm plans each.
 */
#include <windows.h>

HANDLE FindFirstDevice(DWORD type, const void *param, void *info);
DWORD VendorBoardRevision(void);

DWORD MIS_Init(LPCTSTR ctx, LPCVOID bus)
{
    (void)ctx;
    (void)bus;
    DWORD rev = VendorBoardRevision();
    return FindFirstDevice(0, NULL, NULL) ? rev : 0;
}

BOOL MIS_Deinit(DWORD h)
{
    return h != 0;
}
