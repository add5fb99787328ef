/*
 * registers.c — CEDDK register and port access: READ/WRITE_REGISTER_{UCHAR,USHORT,ULONG}, the
 * PORT forms (the same on ARM), and their _BUFFER_ forms, which access the same register or port
 * `count` times, stepping only through the buffer (spec §12).
 *
 * Each element is exactly one volatile access of the named width. On RAM and register files it
 * is a plain load or store; on unimplemented devices the fault path emulates and logs it, so a
 * log shows one entry per element. (Device models with callbacks come with the device issue.)
 */
#include "ce/ce_api.h"

#include "ceddk.h"

#define ACCESSORS(TYPE, NAME)                                                                      \
    TYPE READ_REGISTER_##NAME(volatile TYPE *Register)                                             \
    {                                                                                              \
        return *Register;                                                                          \
    }                                                                                              \
    VOID WRITE_REGISTER_##NAME(volatile TYPE *Register, TYPE Value)                                \
    {                                                                                              \
        *Register = Value;                                                                         \
    }                                                                                              \
    VOID READ_REGISTER_BUFFER_##NAME(volatile TYPE *Register, TYPE *Buffer, ULONG Count)           \
    {                                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                          \
            Buffer[i] = *Register;                                                                 \
    }                                                                                              \
    VOID WRITE_REGISTER_BUFFER_##NAME(volatile TYPE *Register, TYPE *Buffer, ULONG Count)          \
    {                                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                          \
            *Register = Buffer[i];                                                                 \
    }                                                                                              \
    TYPE READ_PORT_##NAME(volatile TYPE *Port)                                                     \
    {                                                                                              \
        return *Port;                                                                              \
    }                                                                                              \
    VOID WRITE_PORT_##NAME(volatile TYPE *Port, TYPE Value)                                        \
    {                                                                                              \
        *Port = Value;                                                                             \
    }                                                                                              \
    VOID READ_PORT_BUFFER_##NAME(volatile TYPE *Port, TYPE *Buffer, ULONG Count)                   \
    {                                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                          \
            Buffer[i] = *Port;                                                                     \
    }                                                                                              \
    VOID WRITE_PORT_BUFFER_##NAME(volatile TYPE *Port, TYPE *Buffer, ULONG Count)                  \
    {                                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                          \
            *Port = Buffer[i];                                                                     \
    }

ACCESSORS(UCHAR, UCHAR)
ACCESSORS(USHORT, USHORT)
ACCESSORS(ULONG, ULONG)
