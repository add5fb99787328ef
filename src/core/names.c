/*
 * names.c — names for native status codes and CE error codes.
 */
#include "cevm/cevm.h"

const char *cevm_strerror(cevm_status status)
{
    switch (status) {
    case CEVM_OK:
        return "success";
    case CEVM_E_INVAL:
        return "invalid argument";
    case CEVM_E_NOMEM:
        return "out of host memory";
    case CEVM_E_BOARD:
        return "malformed board file";
    case CEVM_E_HOST:
        return "the host refused an operation";
    case CEVM_E_STATE:
        return "wrong machine state";
    case CEVM_E_UNSUPPORTED:
        return "not implemented in this build";
    case CEVM_E_NOTFOUND:
        return "not found";
    case CEVM_E_DRIVER:
        return "the driver failed (the message names the call and the cause)";
    }
    return "unknown status";
}

const char *cevm_ce_error_name(uint32_t err)
{
    switch (err) {
    case 0:
        return "ERROR_SUCCESS";
    case 1:
        return "ERROR_INVALID_FUNCTION";
    case 2:
        return "ERROR_FILE_NOT_FOUND";
    case 5:
        return "ERROR_ACCESS_DENIED";
    case 6:
        return "ERROR_INVALID_HANDLE";
    case 8:
        return "ERROR_NOT_ENOUGH_MEMORY";
    case 12:
        return "ERROR_INVALID_ACCESS";
    case 13:
        return "ERROR_INVALID_DATA";
    case 14:
        return "ERROR_OUTOFMEMORY";
    case 21:
        return "ERROR_NOT_READY";
    case 24:
        return "ERROR_BAD_LENGTH";
    case 31:
        return "ERROR_GEN_FAILURE";
    case 32:
        return "ERROR_SHARING_VIOLATION";
    case 50:
        return "ERROR_NOT_SUPPORTED";
    case 55:
        return "ERROR_DEV_NOT_EXIST";
    case 87:
        return "ERROR_INVALID_PARAMETER";
    case 122:
        return "ERROR_INSUFFICIENT_BUFFER";
    case 126:
        return "ERROR_MOD_NOT_FOUND";
    case 170:
        return "ERROR_BUSY";
    case 234:
        return "ERROR_MORE_DATA";
    case 259:
        return "ERROR_NO_MORE_ITEMS";
    case 487:
        return "ERROR_INVALID_ADDRESS";
    case 997:
        return "ERROR_IO_PENDING";
    case 998:
        return "ERROR_NOACCESS";
    case 1455:
        return "ERROR_COMMITMENT_LIMIT";
    case 2404:
        return "ERROR_DEVICE_IN_USE";
    case 4319:
        return "ERROR_DEVICE_NOT_AVAILABLE";
    }
    return "ERROR_?";
}
