/*
 * devices_app.c — a CE application that drives the example board's drivers by name, the way a
 * BSP's test application does once device.exe has loaded the BuiltIn set: it watches for
 * power-managed devices (RequestDeviceNotifications), opens LED1: and sets and reads the LEDs
 * (WriteFile, DeviceIoControl), sends a line through COM1:, and moves SER1: through power states
 * (SetDevicePower, SetSystemPowerState). The one native call is cevm_devices_boot, which plays
 * device.exe's part.
 *
 * Run it from the build folder (ser.c keeps pointers in DWORDs, so the identity window):
 *   CEVM_BOARD=../examples/drivers/board CEVM_LIBRARY_PATH=examples CEVM_WINDOW=identity \
 *       examples/devices_app
 */
#include <stdio.h>
#include <windows.h>

#include <cevm/cevm.h>
#include <msgqueue.h>
#include <pm.h>
#include <pnp.h>

#include "drivers/led.h"

/* {A32942B7-920C-486b-B0E6-92A702A99B35}: the power manager's generic device class. */
static const GUID PmGeneric = {
    0xA32942B7, 0x920C, 0x486b, {0xB0, 0xE6, 0x92, 0xA7, 0x02, 0xA9, 0x9B, 0x35}};

static int g_failures;

static void check(const char *what, BOOL ok)
{
    printf("  %-50s %s", what, ok ? "ok\n" : "FAILED");
    if (!ok) {
        printf(" (GetLastError %s)\n", cevm_ce_error_name(GetLastError()));
        g_failures++;
    }
}

static void narrow(const WCHAR *w, char *out, size_t cap)
{
    size_t i = 0;
    for (; w[i] && i + 1 < cap; i++)
        out[i] = (char)w[i];
    out[i] = '\0';
}

int main(void)
{
    /* Watch the generic power class before the drivers load. */
    MSGQUEUEOPTIONS mq = {sizeof mq, 0, 16, sizeof(DEVDETAIL) + MAX_DEVCLASS_NAMELEN * 2, TRUE};
    HANDLE queue = CreateMsgQueue(NULL, &mq);
    HANDLE watch = RequestDeviceNotifications(&PmGeneric, queue, TRUE);
    check("RequestDeviceNotifications", watch != NULL);

    cevm_boot_report report;
    if (cevm_devices_boot(&report) != CEVM_OK) {
        printf("the board did not boot\n");
        return 1;
    }
    printf("device manager: %u drivers loaded\n", report.loaded);

    union {
        DEVDETAIL d;
        BYTE raw[sizeof(DEVDETAIL) + MAX_DEVCLASS_NAMELEN * sizeof(WCHAR)];
    } msg;
    DWORD got = 0, flags = 0;
    while (ReadMsgQueue(queue, msg.raw, sizeof msg, &got, 0, &flags)) {
        char name[MAX_DEVCLASS_NAMELEN + 1];
        narrow(msg.d.szName, name, sizeof name);
        printf("  power-managed device %s %s\n", name, msg.d.fAttached ? "arrived" : "left");
    }

    printf("LED1:\n");
    HANDLE led =
        CreateFile(TEXT("LED1:"), GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    check("CreateFile(LED1:)", led != INVALID_HANDLE_VALUE);
    BYTE pattern = 0x09;
    DWORD done = 0;
    check("WriteFile 0x09", WriteFile(led, &pattern, 1, &done, NULL) && done == 1);
    DWORD leds = 0;
    check("IOCTL_LED_GET gives 0x09",
          DeviceIoControl(led, IOCTL_LED_GET, NULL, 0, &leds, sizeof leds, &done, NULL) &&
              leds == 0x09);
    uint32_t gpmdat = 0;
    cevm_device_get("GPIO", "GPMDAT", &gpmdat);
    printf("  the GPIO model's GPMDAT is now 0x%X\n", gpmdat & 0xF);
    check("CloseHandle(LED1:)", CloseHandle(led));

    printf("COM1:\n");
    HANDLE com = CreateFile(TEXT("COM1:"), GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    check("CreateFile(COM1:)", com != INVALID_HANDLE_VALUE);
    static const char line[] = "hello from devices_app\r\n";
    check("WriteFile a line", WriteFile(com, line, sizeof line - 1, &done, NULL));
    check("CloseHandle(COM1:)", CloseHandle(com));
    check("CreateFile(XYZ1:) fails with ERROR_DEV_NOT_EXIST",
          CreateFile(TEXT("XYZ1:"), 0, 0, NULL, OPEN_EXISTING, 0, NULL) == INVALID_HANDLE_VALUE &&
              GetLastError() == ERROR_DEV_NOT_EXIST);

    printf("SER1: and the power manager\n");
    CEDEVICE_POWER_STATE dx = PwrDeviceUnspecified;
    check("SetSystemPowerState(Suspend)",
          SetSystemPowerState(TEXT("Suspend"), 0, 0) == ERROR_SUCCESS);
    GetDevicePower((PVOID)TEXT("SER1:"), POWER_NAME, &dx);
    printf("  SER1: is in D%d (it supports D0 and D4 only)\n", (int)dx);
    check("SetSystemPowerState(On)", SetSystemPowerState(TEXT("On"), 0, 0) == ERROR_SUCCESS);
    GetDevicePower((PVOID)TEXT("SER1:"), POWER_NAME, &dx);
    printf("  SER1: is in D%d\n", (int)dx);

    StopDeviceNotifications(watch);
    CloseMsgQueue(queue);
    printf("%s\n", g_failures ? "FAILED" : "all checks passed");
    return g_failures != 0;
}
