/*
 * cmnintrin.h (cevm CE compatibility) — CE's processor-independent intrinsics, as inline
 * functions on the compiler's builtins: bit counts and the high half of 32x32 products.
 */
#ifndef CEVM_CE_CMNINTRIN_H
#define CEVM_CE_CMNINTRIN_H

#include "winnt.h"

/* Leading zero bits of a 32-bit value (32 for 0). */
static inline unsigned _CountLeadingZeros(long v)
{
    return (uint32_t)v ? (unsigned)__builtin_clz((uint32_t)v) : 32u;
}
static inline unsigned _CountLeadingZeros64(int64_t v)
{
    return (uint64_t)v ? (unsigned)__builtin_clzll((uint64_t)v) : 64u;
}
/* Leading bits equal to the sign bit, not counting the sign bit itself. */
static inline unsigned _CountLeadingSigns(long v)
{
    int32_t x = (int32_t)v;
    return _CountLeadingZeros((long)(uint32_t)(x < 0 ? ~x : x)) - 1u;
}
static inline unsigned _CountLeadingOnes(long v)
{
    return _CountLeadingZeros((long)~(uint32_t)v);
}
static inline unsigned _CountOneBits(long v)
{
    return (unsigned)__builtin_popcount((uint32_t)v);
}
static inline long _MulHigh(long a, long b)
{
    return (long)(int32_t)(((int64_t)(int32_t)a * (int32_t)b) >> 32);
}
static inline unsigned long _MulUnsignedHigh(unsigned long a, unsigned long b)
{
    return (unsigned long)(uint32_t)(((uint64_t)(uint32_t)a * (uint32_t)b) >> 32);
}

#endif
