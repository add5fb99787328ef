/*
 * registers.c — CEDDK register and port access: READ/WRITE_REGISTER_{UCHAR,USHORT,ULONG}, the
 * PORT forms (the same on ARM), and their _BUFFER_ forms, which access the same register or port
 * `count` times, stepping only through the buffer (spec §12).
 *
 * Each element is exactly one access of the named width. On a register file it goes through
 * the device model (dev_route: one model access per element, with its side effects); on RAM it
 * is a plain volatile load or store; on unimplemented devices the fault path emulates and logs
 * it, so a log shows one entry per element.
 */
#include "ce/ce_api.h"

#include "ceddk.h"
#include "dev/device.h"

static inline uint32_t reg_read(volatile void *p, unsigned width)
{
    uint32_t v;
    if (dev_route(p, width, 0, &v))
        return v;
    switch (width) {
    case 1:
        return *(volatile uint8_t *)p;
    case 2:
        return *(volatile uint16_t *)p;
    default:
        return *(volatile uint32_t *)p;
    }
}

static inline void reg_write(volatile void *p, unsigned width, uint32_t v)
{
    if (dev_route(p, width, 1, &v))
        return;
    switch (width) {
    case 1:
        *(volatile uint8_t *)p = (uint8_t)v;
        break;
    case 2:
        *(volatile uint16_t *)p = (uint16_t)v;
        break;
    default:
        *(volatile uint32_t *)p = v;
        break;
    }
}

#define ACCESSORS(TYPE, NAME)                                                                      \
    TYPE READ_REGISTER_##NAME(volatile TYPE *Register)                                             \
    {                                                                                              \
        return (TYPE)reg_read(Register, sizeof(TYPE));                                             \
    }                                                                                              \
    VOID WRITE_REGISTER_##NAME(volatile TYPE *Register, TYPE Value)                                \
    {                                                                                              \
        reg_write(Register, sizeof(TYPE), Value);                                                  \
    }                                                                                              \
    VOID READ_REGISTER_BUFFER_##NAME(volatile TYPE *Register, TYPE *Buffer, ULONG Count)           \
    {                                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                          \
            Buffer[i] = (TYPE)reg_read(Register, sizeof(TYPE));                                    \
    }                                                                                              \
    VOID WRITE_REGISTER_BUFFER_##NAME(volatile TYPE *Register, TYPE *Buffer, ULONG Count)          \
    {                                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                          \
            reg_write(Register, sizeof(TYPE), Buffer[i]);                                          \
    }                                                                                              \
    TYPE READ_PORT_##NAME(volatile TYPE *Port)                                                     \
    {                                                                                              \
        return (TYPE)reg_read(Port, sizeof(TYPE));                                                 \
    }                                                                                              \
    VOID WRITE_PORT_##NAME(volatile TYPE *Port, TYPE Value)                                        \
    {                                                                                              \
        reg_write(Port, sizeof(TYPE), Value);                                                      \
    }                                                                                              \
    VOID READ_PORT_BUFFER_##NAME(volatile TYPE *Port, TYPE *Buffer, ULONG Count)                   \
    {                                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                          \
            Buffer[i] = (TYPE)reg_read(Port, sizeof(TYPE));                                        \
    }                                                                                              \
    VOID WRITE_PORT_BUFFER_##NAME(volatile TYPE *Port, TYPE *Buffer, ULONG Count)                  \
    {                                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                          \
            reg_write(Port, sizeof(TYPE), Buffer[i]);                                              \
    }

ACCESSORS(UCHAR, UCHAR)
ACCESSORS(USHORT, USHORT)
ACCESSORS(ULONG, ULONG)
