/*
 * missing.c — a test driver that calls what cevm does not provide: one call another issue of the
 * plan brings (RegisterDevice, the device manager's legacy call) and one nobody provides (a vendor
 * library's).
 * Loading it must name both, with whether cevm plans each.
 */
#include <windows.h>

HANDLE RegisterDevice(LPCWSTR type, DWORD index, LPCWSTR lib, DWORD info);
DWORD VendorBoardRevision(void);

DWORD MIS_Init(LPCTSTR ctx, LPCVOID bus)
{
    (void)ctx;
    (void)bus;
    DWORD rev = VendorBoardRevision();
    return RegisterDevice(NULL, 0, NULL, rev) ? rev : 0;
}

BOOL MIS_Deinit(DWORD h)
{
    return h != 0;
}
