/*
 * emulate_vec.h — vector moves of register blocks for the instruction emulator (emulate_vec.c):
 * SSE, AVX (VEX) and AVX-512 (EVEX, masked or not) moves between a vector register of the
 * signal context and memory. Internal to src/core; only built with Capstone on x86-64.
 */
#ifndef CEVM_CORE_EMULATE_VEC_H
#define CEVM_CORE_EMULATE_VEC_H

#include <capstone/capstone.h>
#include <stdint.h>
#include <ucontext.h>

#include "core/emulate.h"

/* How a vector move uses its register and memory. */
enum vec_rest { VEC_ZERO, VEC_KEEP_HIGH, VEC_KEEP_LOW };

struct vec_form {
    unsigned bytes;     /* bytes of memory the operand spans */
    unsigned at;        /* where in the register (8 for the high-half moves) */
    enum vec_rest rest; /* a legacy SSE load: the register's other bytes of its low 16 */
    int vex;            /* VEX or EVEX: a load zeroes the register above what it loaded */
    unsigned reg;       /* the register's number, 0..31 */
    unsigned elem;      /* a masked move's element size (1, 2, 4 or 8); 0: not masked */
    unsigned kreg;      /* the mask register k1..k7 */
    int zeroing;        /* {z}: a masked load zeroes the elements it does not load */
};

/* The vector move instruction in is, or 0 when it is none cevm performs (f filled on 1). */
int vec_form(const cs_insn *in, struct vec_form *f);

/* Perform the move f between its register in the signal context uc and the bus at CE address ce
 * (x: the decoded operands): accesses of at most 8 bytes, low first (the device layer splits
 * each into 4-byte bus accesses); a masked move accesses its enabled elements only, a run of
 * them at a time. Everything it will access is checked first (bus->check), so none is half done.
 * Return: EMU_DONE, EMU_BUS_ERROR, or EMU_UNSUPPORTED with *reason set. */
enum emu_result vec_move(ucontext_t *uc, const cs_x86 *x, const struct vec_form *f, uint32_t ce,
                         const struct emu_bus *bus, const char **reason);

/* Read the XSAVE layout from CPUID once (called before any thread can fault). */
void vec_layout_init(void);

#endif
