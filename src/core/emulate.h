/*
 * emulate.h — performing a faulting instruction's memory access in software (emulate.c).
 */
#ifndef CEVM_CORE_EMULATE_H
#define CEVM_CORE_EMULATE_H

#include <stddef.h>
#include <stdint.h>

/* Where an emulated instruction's memory accesses go. Each is one access of width bytes (1, 2, 4
 * or 8) at CE address ce. Return: 0, or -1 (the access cannot be done: nothing was changed).
 * check (may be NULL: any access can be done) says before a move wider than 8 bytes (SSE, AVX)
 * whether all of [ce, ce + width) can be, so none is half done: 0 or -1. */
struct emu_bus {
    int (*read)(void *ctx, uint32_t ce, unsigned width, uint64_t *value);
    int (*write)(void *ctx, uint32_t ce, unsigned width, uint64_t value);
    void *ctx;
    int (*check)(void *ctx, uint32_t ce, unsigned width);
};

enum emu_result {
    EMU_DONE,        /* performed: registers, flags and the instruction pointer updated */
    EMU_UNSUPPORTED, /* an instruction form cevm does not emulate (why says which); untouched */
    EMU_BUS_ERROR    /* the bus refused an access; untouched */
};

/* Emulate the instruction at the signal context's instruction pointer, whose memory operand
 * faulted at host address fault_addr in the window based at window_base (host address of CE
 * address 0). x86-64 with Capstone: mov/movzx/movsx loads and stores, immediate stores,
 * (rep) stos and movs element by element (a movs's other side is the program's memory),
 * or/and/xor/add/adc/sub/sbb/cmp/test with memory, inc/dec/not/neg on memory, xchg, (lock)
 * cmpxchg and xadd, bt/bts/btr/btc with an immediate or a register bit offset (a register's
 * offset addresses a bit string: the unit holding the bit is accessed), and vector moves between
 * a register and memory (emulate_vec.c): SSE's of xmm0-15 (4, 8 or 16 bytes), AVX's VEX moves of
 * xmm/ymm0-15 and AVX-512's EVEX moves of xmm/ymm/zmm0-31, masked or not (4 to 64 bytes: what
 * glibc's memcpy and memset use on such hosts), as accesses of at most 8 bytes, low first (a
 * masked move: its enabled elements only). why (may
 * be NULL) names what was not supported. Safe in the SIGSEGV handler of the faulting thread (no
 * lock is held). */
enum emu_result emulate_access(void *ucontext, uintptr_t window_base, uintptr_t fault_addr,
                               const struct emu_bus *bus, char *why, size_t whylen);

/* Prepare this thread's decoder (called where a thread starts running CE code, so the handler
 * need not allocate). */
void emulate_thread_ready(void);

#endif
