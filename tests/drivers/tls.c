/*
 * tls.c — a driver (prefix TLS) with a thread-local variable: cevm cannot place such a library
 * at CE addresses, and its load must say so.
 */
#include <windows.h>

static __thread DWORD t_calls;

DWORD TLS_Init(LPCTSTR pContext, LPCVOID lpvBusContext)
{
    UNREFERENCED_PARAMETER(pContext);
    UNREFERENCED_PARAMETER(lpvBusContext);
    return ++t_calls;
}

BOOL TLS_Deinit(DWORD hDeviceContext)
{
    return hDeviceContext != 0;
}
