/* A driver source written on Windows: header names in other letter cases, a backslash path. */
#include <Windows.h>
#include <CEDDK.h>
#include "..\..\INC\bsp_cfg.h"

DWORD LED_Init(LPCTSTR ctx, LPCVOID bus)
{
    UNREFERENCED_PARAMETER(ctx);
    UNREFERENCED_PARAMETER(bus);
    return BSP_LED_PA;
}

BOOL LED_Deinit(DWORD h)
{
    return h != 0;
}
