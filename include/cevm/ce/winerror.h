/*
 * winerror.h (cevm CE compatibility) — the Win32 error codes CE memory calls set, with the
 * values of the public CE 5.0 SDK. Written for cevm from the documented constants.
 */
#ifndef CEVM_CE_WINERROR_H
#define CEVM_CE_WINERROR_H

#define ERROR_SUCCESS              0L
#define NO_ERROR                   0L
#define ERROR_INVALID_FUNCTION     1L
#define ERROR_FILE_NOT_FOUND       2L
#define ERROR_ACCESS_DENIED        5L
#define ERROR_INVALID_HANDLE       6L
#define ERROR_NOT_ENOUGH_MEMORY    8L
#define ERROR_INVALID_ACCESS       12L
#define ERROR_INVALID_DATA         13L
#define ERROR_OUTOFMEMORY          14L
#define ERROR_NOT_READY            21L
#define ERROR_BAD_LENGTH           24L
#define ERROR_GEN_FAILURE          31L
#define ERROR_SHARING_VIOLATION    32L
#define ERROR_NOT_SUPPORTED        50L
#define ERROR_INVALID_PARAMETER    87L
#define ERROR_INSUFFICIENT_BUFFER  122L
#define ERROR_BUSY                 170L
#define ERROR_MORE_DATA            234L
#define ERROR_NO_MORE_ITEMS        259L
#define ERROR_INVALID_ADDRESS      487L
#define ERROR_IO_PENDING           997L
#define ERROR_NOACCESS             998L
#define ERROR_COMMITMENT_LIMIT     1455L
#define ERROR_DEVICE_NOT_AVAILABLE 4319L

#define STATUS_ACCESS_VIOLATION      0xC0000005L
#define STATUS_GUARD_PAGE_VIOLATION  0x80000001L
#define STATUS_DATATYPE_MISALIGNMENT 0x80000002L
#define STATUS_STACK_OVERFLOW        0xC00000FDL
#define EXCEPTION_ACCESS_VIOLATION   STATUS_ACCESS_VIOLATION
#define EXCEPTION_GUARD_PAGE         STATUS_GUARD_PAGE_VIOLATION

#endif
