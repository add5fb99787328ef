/* uart.h — the serial example driver's I/O controls. */
#ifndef EXAMPLE_UART_H
#define EXAMPLE_UART_H

#include <winioctl.h>

#define IOCTL_COM_RX_COUNT                                                                         \
    CTL_CODE(FILE_DEVICE_SERIAL_PORT, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS)

#endif
