/*
 * missing.c — a test driver that calls what cevm does not provide: one call another issue of the
 * plan brings (KernelIoControl) and one nobody provides (a vendor library's). Loading it must
 * name both, with whether cevm plans each.
 */
#include <windows.h>

BOOL KernelIoControl(DWORD code, LPVOID in, DWORD nin, LPVOID out, DWORD nout, LPDWORD got);
DWORD VendorBoardRevision(void);

DWORD MIS_Init(LPCTSTR ctx, LPCVOID bus)
{
    (void)ctx;
    (void)bus;
    DWORD rev = VendorBoardRevision();
    return KernelIoControl(0, NULL, 0, &rev, sizeof rev, NULL) ? rev : 0;
}

BOOL MIS_Deinit(DWORD h)
{
    return h != 0;
}
