/*
 * noentry.c — a library with BAD_Init but no BAD_Deinit: the driver host must refuse it.
 */
#include <windows.h>

DWORD BAD_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    (void)pContext;
    (void)lpvBusContext;
    return 1;
}
