/*
 * emulate.c — performs a faulting instruction's memory access in software, so that an access to
 * device memory cevm does not map (an unimplemented device) is one bus access of the
 * instruction's own width, with its result in the destination register and the flags the CPU
 * would have set, instead of a run of the instruction against a scratch page.
 *
 * The instruction is decoded with Capstone (Debian's libcapstone: a maintained decoder for x86-64
 * and AArch64 alike, so an AArch64 host can follow with its own operand mapping). The memory
 * operand's address is computed from the signal context's registers and must contain the
 * faulting address. Arithmetic is not re-implemented: each ALU operation runs as the same x86
 * instruction on registers, between a popfq of the thread's flags and a pushfq of the result,
 * so every flag is what the CPU computes. Only the forms register code is compiled to are
 * covered (emulate.h); any other is EMU_UNSUPPORTED, never a guess.
 *
 * Decoding allocates nothing in the handler: each thread's Capstone handle and instruction
 * buffer are made by emulate_thread_ready (or on the first fault of a thread that did not call
 * it) and kept until the thread ends.
 */
#define _GNU_SOURCE
#include "core/emulate.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#include "core/fault.h"
#include "core/machine.h"

#if defined(__x86_64__) && defined(CEVM_HAVE_CAPSTONE)
#include <capstone/capstone.h>

#include "core/emulate_vec.h"

#define FLAGS_ARITH 0x8D5u /* OF SF ZF AF PF CF */

static CEVM_TLS csh t_cs;
static CEVM_TLS cs_insn *t_insn;
static pthread_key_t g_cs_key;
static pthread_once_t g_cs_once = PTHREAD_ONCE_INIT;

static void cs_free_thread(void *p)
{
    (void)p;
    if (t_insn)
        cs_free(t_insn, 1);
    if (t_cs)
        cs_close(&t_cs);
    t_insn = NULL;
    t_cs = 0;
}

static void cs_key_make(void)
{
    pthread_key_create(&g_cs_key, cs_free_thread);
}

/* Capstone fills some shared tables on first use (a sort of its register tables, without a
 * lock): decode one of each form once, before any thread decodes on its own. */
static pthread_once_t g_warm_once = PTHREAD_ONCE_INIT;

static void warm_up(void)
{
    static const uint8_t forms[] = {
        0x8b, 0x07,                                  /* mov eax, [rdi] */
        0x89, 0x07,                                  /* mov [rdi], eax */
        0xc7, 0x07, 1,    0,    0,    0,             /* mov dword [rdi], 1 */
        0x0f, 0xb6, 0x07,                            /* movzx eax, byte [rdi] */
        0x83, 0x0f, 0x10,                            /* or dword [rdi], 0x10 */
        0xff, 0x07,                                  /* inc dword [rdi] */
        0x87, 0x07,                                  /* xchg [rdi], eax */
        0xf0, 0x0f, 0xb1, 0x0f,                      /* lock cmpxchg [rdi], ecx */
        0xf0, 0x0f, 0xc1, 0x07,                      /* lock xadd [rdi], eax */
        0x0f, 0xba, 0x2f, 3,                         /* bts dword [rdi], 3 */
        0xf3, 0xab,                                  /* rep stosd */
        0xf3, 0xa4,                                  /* rep movsb */
        0xa1, 0,    0,    0,    0,    0,    0, 0, 0, /* mov eax, [moffs64] */
        0xc5, 0xfe, 0x6f, 0x07,                      /* vmovdqu ymm0, [rdi] */
        0x62, 0xe1, 0x7f, 0x49, 0x7f, 0x07,          /* vmovdqu8 [rdi] {k1}, zmm16 */
    };
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
        return;
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn *in = cs_malloc(h);
    const uint8_t *p = forms;
    size_t size = sizeof forms;
    uint64_t addr = 0x1000;
    while (in && cs_disasm_iter(h, &p, &size, &addr, in))
        ;
    if (in)
        cs_free(in, 1);
    cs_close(&h);
    vec_layout_init();
}

void emulate_thread_ready(void)
{
    if (t_insn)
        return;
    pthread_once(&g_warm_once, warm_up);
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &t_cs) != CS_ERR_OK)
        return;
    cs_option(t_cs, CS_OPT_DETAIL, CS_OPT_ON);
    t_insn = cs_malloc(t_cs);
    if (!t_insn) {
        cs_close(&t_cs);
        return;
    }
    pthread_once(&g_cs_once, cs_key_make);
    pthread_setspecific(g_cs_key, &t_cs); /* closed when the thread ends */
}

/* ---- registers of the signal context ------------------------------------------------------ */

struct reg_ref {
    int greg;  /* REG_RAX ... index into gregs, or -1 */
    int width; /* bytes */
    int high;  /* AH, BH, CH, DH */
};

static int reg_ref(x86_reg r, struct reg_ref *out)
{
    static const struct {
        x86_reg r8, r8h, r16, r32, r64;
        int greg;
    } map[] = {
        {X86_REG_AL, X86_REG_AH, X86_REG_AX, X86_REG_EAX, X86_REG_RAX, REG_RAX},
        {X86_REG_BL, X86_REG_BH, X86_REG_BX, X86_REG_EBX, X86_REG_RBX, REG_RBX},
        {X86_REG_CL, X86_REG_CH, X86_REG_CX, X86_REG_ECX, X86_REG_RCX, REG_RCX},
        {X86_REG_DL, X86_REG_DH, X86_REG_DX, X86_REG_EDX, X86_REG_RDX, REG_RDX},
        {X86_REG_SIL, 0, X86_REG_SI, X86_REG_ESI, X86_REG_RSI, REG_RSI},
        {X86_REG_DIL, 0, X86_REG_DI, X86_REG_EDI, X86_REG_RDI, REG_RDI},
        {X86_REG_BPL, 0, X86_REG_BP, X86_REG_EBP, X86_REG_RBP, REG_RBP},
        {X86_REG_SPL, 0, X86_REG_SP, X86_REG_ESP, X86_REG_RSP, REG_RSP},
        {X86_REG_R8B, 0, X86_REG_R8W, X86_REG_R8D, X86_REG_R8, REG_R8},
        {X86_REG_R9B, 0, X86_REG_R9W, X86_REG_R9D, X86_REG_R9, REG_R9},
        {X86_REG_R10B, 0, X86_REG_R10W, X86_REG_R10D, X86_REG_R10, REG_R10},
        {X86_REG_R11B, 0, X86_REG_R11W, X86_REG_R11D, X86_REG_R11, REG_R11},
        {X86_REG_R12B, 0, X86_REG_R12W, X86_REG_R12D, X86_REG_R12, REG_R12},
        {X86_REG_R13B, 0, X86_REG_R13W, X86_REG_R13D, X86_REG_R13, REG_R13},
        {X86_REG_R14B, 0, X86_REG_R14W, X86_REG_R14D, X86_REG_R14, REG_R14},
        {X86_REG_R15B, 0, X86_REG_R15W, X86_REG_R15D, X86_REG_R15, REG_R15},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        int w = r == map[i].r8 || (map[i].r8h && r == map[i].r8h) ? 1
                : r == map[i].r16                                 ? 2
                : r == map[i].r32                                 ? 4
                : r == map[i].r64                                 ? 8
                                                                  : 0;
        if (w) {
            out->greg = map[i].greg;
            out->width = w;
            out->high = map[i].r8h && r == map[i].r8h;
            return 0;
        }
    }
    return -1;
}

static uint64_t reg_get(const ucontext_t *uc, const struct reg_ref *r)
{
    uint64_t v = (uint64_t)uc->uc_mcontext.gregs[r->greg];
    if (r->high)
        return (v >> 8) & 0xFF;
    return r->width == 8 ? v : v & ((1ull << (r->width * 8)) - 1);
}

/* Write a register as the CPU does: a 32-bit write clears the upper half, 8- and 16-bit writes
 * keep the rest. */
static void reg_set(ucontext_t *uc, const struct reg_ref *r, uint64_t v)
{
    uint64_t old = (uint64_t)uc->uc_mcontext.gregs[r->greg], nv;
    if (r->high)
        nv = (old & ~0xFF00ull) | ((v & 0xFF) << 8);
    else if (r->width == 8)
        nv = v;
    else if (r->width == 4)
        nv = v & 0xFFFFFFFFull;
    else {
        uint64_t mask = (1ull << (r->width * 8)) - 1;
        nv = (old & ~mask) | (v & mask);
    }
    uc->uc_mcontext.gregs[r->greg] = (greg_t)nv;
}

/* ---- arithmetic, run by the CPU ---------------------------------------------------------------
 */

enum alu_op { A_ADD, A_ADC, A_SUB, A_SBB, A_AND, A_OR, A_XOR, A_INC, A_DEC, A_NEG, A_BT };

/* One ALU instruction on registers between the thread's flags and the result's. The red zone
 * below the stack pointer belongs to the compiled code: step over it before pushing. */
#define ALU_ASM(insn, A, B)                                                                        \
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[f]\n\tpopfq\n\t" insn                       \
                     "\n\tpushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"                             \
                     : [x] "+r"(A), [f] "+r"(f)                                                    \
                     : [y] "r"(B)                                                                  \
                     : "cc", "memory")
#define ALU_WIDTHS(insn)                                                                           \
    switch (width) {                                                                               \
    case 1:                                                                                        \
        ALU_ASM(insn "b %b[y], %b[x]", a, b);                                                      \
        break;                                                                                     \
    case 2:                                                                                        \
        ALU_ASM(insn "w %w[y], %w[x]", a, b);                                                      \
        break;                                                                                     \
    case 4:                                                                                        \
        ALU_ASM(insn "l %k[y], %k[x]", a, b);                                                      \
        break;                                                                                     \
    default:                                                                                       \
        ALU_ASM(insn "q %q[y], %q[x]", a, b);                                                      \
        break;                                                                                     \
    }
#define ALU_WIDTHS1(insn)                                                                          \
    switch (width) {                                                                               \
    case 1:                                                                                        \
        ALU_ASM(insn "b %b[x]", a, b);                                                             \
        break;                                                                                     \
    case 2:                                                                                        \
        ALU_ASM(insn "w %w[x]", a, b);                                                             \
        break;                                                                                     \
    case 4:                                                                                        \
        ALU_ASM(insn "l %k[x]", a, b);                                                             \
        break;                                                                                     \
    default:                                                                                       \
        ALU_ASM(insn "q %q[x]", a, b);                                                             \
        break;                                                                                     \
    }

/* a op= b at width bytes; *flags in (CF for adc/sbb) and out (the arithmetic flags). */
static uint64_t alu(enum alu_op op, unsigned width, uint64_t a, uint64_t b, uint64_t *flags)
{
    uint64_t f = *flags & ~0x100ull; /* never the trap flag */
    switch (op) {
    case A_ADD:
        ALU_WIDTHS("add");
        break;
    case A_ADC:
        ALU_WIDTHS("adc");
        break;
    case A_SUB:
        ALU_WIDTHS("sub");
        break;
    case A_SBB:
        ALU_WIDTHS("sbb");
        break;
    case A_AND:
        ALU_WIDTHS("and");
        break;
    case A_OR:
        ALU_WIDTHS("or");
        break;
    case A_XOR:
        ALU_WIDTHS("xor");
        break;
    case A_INC:
        ALU_WIDTHS1("inc");
        break;
    case A_DEC:
        ALU_WIDTHS1("dec");
        break;
    case A_NEG:
        ALU_WIDTHS1("neg");
        break;
    case A_BT: /* CF = bit b of a; the other flags as the CPU leaves them */
        if (width == 2)
            ALU_ASM("btw %w[y], %w[x]", a, b);
        else if (width == 4)
            ALU_ASM("btl %k[y], %k[x]", a, b);
        else
            ALU_ASM("btq %q[y], %q[x]", a, b);
        break;
    }
    *flags = (*flags & ~(uint64_t)FLAGS_ARITH) | (f & FLAGS_ARITH);
    return width == 8 ? a : a & ((1ull << (width * 8)) - 1);
}

/* ---- the instruction --------------------------------------------------------------------------
 */

struct access {
    ucontext_t *uc;
    const cs_x86 *x;
    const struct emu_bus *bus;
    uint32_t ce;    /* the memory operand's CE address */
    unsigned width; /* its width in bytes */
    int reg_bit;    /* bt* with a register bit offset: the bit in the unit at ce; else -1 */
};

static int sign_extend_into(unsigned from, uint64_t v, uint64_t *out)
{
    switch (from) {
    case 1:
        *out = (uint64_t)(int64_t)(int8_t)v;
        return 0;
    case 2:
        *out = (uint64_t)(int64_t)(int16_t)v;
        return 0;
    case 4:
        *out = (uint64_t)(int64_t)(int32_t)v;
        return 0;
    default:
        *out = v;
        return 0;
    }
}

/* The value of a register or immediate operand, at width bytes. Return: 0, or -1. */
static int operand_value(const struct access *a, const cs_x86_op *op, unsigned width, uint64_t *v)
{
    if (op->type == X86_OP_IMM) {
        uint64_t mask = width == 8 ? ~0ull : (1ull << (width * 8)) - 1;
        *v = (uint64_t)op->imm & mask; /* Capstone gives it sign-extended */
        return 0;
    }
    struct reg_ref r;
    if (op->type != X86_OP_REG || reg_ref(op->reg, &r))
        return -1;
    *v = reg_get(a->uc, &r);
    return 0;
}

static int dest_reg(const cs_x86_op *op, struct reg_ref *r)
{
    return op->type == X86_OP_REG ? reg_ref(op->reg, r) : -1;
}

#define NOT_SUPPORTED(why)                                                                         \
    do {                                                                                           \
        *reason = why;                                                                             \
        return EMU_UNSUPPORTED;                                                                    \
    } while (0)

static enum emu_result run(const struct access *a, unsigned id, const char **reason)
{
    const cs_x86 *x = a->x;
    ucontext_t *uc = a->uc;
    const struct emu_bus *bus = a->bus;
    const cs_x86_op *o0 = &x->operands[0], *o1 = x->op_count > 1 ? &x->operands[1] : NULL;
    int mem0 = o0->type == X86_OP_MEM;
    uint64_t fl = (uint64_t)uc->uc_mcontext.gregs[REG_EFL], v, w;
    struct reg_ref r;
    unsigned width = a->width;
    switch (id) {
    case X86_INS_MOV:
        if (mem0) { /* store */
            if (!o1 || operand_value(a, o1, width, &v))
                NOT_SUPPORTED("a store of this source");
            return bus->write(bus->ctx, a->ce, width, v) ? EMU_BUS_ERROR : EMU_DONE;
        }
        if (dest_reg(o0, &r) || bus->read(bus->ctx, a->ce, width, &v))
            NOT_SUPPORTED("a load into this register");
        reg_set(uc, &r, v);
        return EMU_DONE;
    case X86_INS_MOVZX:
    case X86_INS_MOVSX:
    case X86_INS_MOVSXD:
        if (mem0 || dest_reg(o0, &r))
            NOT_SUPPORTED("a widening load of this form");
        if (bus->read(bus->ctx, a->ce, width, &v))
            return EMU_BUS_ERROR;
        if (id != X86_INS_MOVZX)
            sign_extend_into(width, v, &v);
        reg_set(uc, &r, v);
        return EMU_DONE;
    case X86_INS_ADD:
    case X86_INS_ADC:
    case X86_INS_SUB:
    case X86_INS_SBB:
    case X86_INS_AND:
    case X86_INS_OR:
    case X86_INS_XOR:
    case X86_INS_CMP:
    case X86_INS_TEST: {
        enum alu_op op = id == X86_INS_ADD   ? A_ADD
                         : id == X86_INS_ADC ? A_ADC
                         : id == X86_INS_SUB ? A_SUB
                         : id == X86_INS_CMP ? A_SUB
                         : id == X86_INS_SBB ? A_SBB
                         : id == X86_INS_OR  ? A_OR
                         : id == X86_INS_XOR ? A_XOR
                                             : A_AND;
        int store = id != X86_INS_CMP && id != X86_INS_TEST;
        if (!o1)
            NOT_SUPPORTED("an ALU instruction without two operands");
        if (bus->read(bus->ctx, a->ce, width, &v))
            return EMU_BUS_ERROR;
        if (mem0) { /* mem op= reg/imm */
            if (operand_value(a, o1, width, &w))
                NOT_SUPPORTED("an ALU source of this form");
            uint64_t res = alu(op, width, v, w, &fl);
            if (store && bus->write(bus->ctx, a->ce, width, res))
                return EMU_BUS_ERROR;
        } else { /* reg op= mem */
            if (dest_reg(o0, &r))
                NOT_SUPPORTED("an ALU destination of this form");
            uint64_t res = alu(op, width, reg_get(uc, &r), v, &fl);
            if (store)
                reg_set(uc, &r, res);
        }
        uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fl;
        return EMU_DONE;
    }
    case X86_INS_INC:
    case X86_INS_DEC:
    case X86_INS_NEG:
    case X86_INS_NOT: {
        if (!mem0)
            NOT_SUPPORTED("a one-operand instruction on a register");
        if (bus->read(bus->ctx, a->ce, width, &v))
            return EMU_BUS_ERROR;
        uint64_t res;
        if (id == X86_INS_NOT)
            res = ~v & (width == 8 ? ~0ull : (1ull << (width * 8)) - 1); /* no flags */
        else
            res = alu(id == X86_INS_INC   ? A_INC
                      : id == X86_INS_DEC ? A_DEC
                                          : A_NEG,
                      width, v, 0, &fl);
        if (bus->write(bus->ctx, a->ce, width, res))
            return EMU_BUS_ERROR;
        uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fl;
        return EMU_DONE;
    }
    case X86_INS_XCHG: {
        const cs_x86_op *reg_op = mem0 ? o1 : o0;
        if (!reg_op || dest_reg(reg_op, &r))
            NOT_SUPPORTED("an exchange of this form");
        if (bus->read(bus->ctx, a->ce, width, &v) ||
            bus->write(bus->ctx, a->ce, width, reg_get(uc, &r)))
            return EMU_BUS_ERROR;
        reg_set(uc, &r, v);
        return EMU_DONE;
    }
    case X86_INS_CMPXCHG: { /* compare with rAX; equal: store the source, else load rAX */
        struct reg_ref acc = {REG_RAX, (int)width, 0};
        if (!mem0 || !o1 || dest_reg(o1, &r))
            NOT_SUPPORTED("a compare-exchange of this form");
        if (bus->read(bus->ctx, a->ce, width, &v))
            return EMU_BUS_ERROR;
        alu(A_SUB, width, reg_get(uc, &acc), v, &fl);
        if (fl & 0x40) { /* ZF */
            if (bus->write(bus->ctx, a->ce, width, reg_get(uc, &r)))
                return EMU_BUS_ERROR;
        } else
            reg_set(uc, &acc, v);
        uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fl;
        return EMU_DONE;
    }
    case X86_INS_XADD: {
        if (!mem0 || !o1 || dest_reg(o1, &r))
            NOT_SUPPORTED("an exchange-add of this form");
        if (bus->read(bus->ctx, a->ce, width, &v))
            return EMU_BUS_ERROR;
        uint64_t res = alu(A_ADD, width, v, reg_get(uc, &r), &fl);
        if (bus->write(bus->ctx, a->ce, width, res))
            return EMU_BUS_ERROR;
        reg_set(uc, &r, v);
        uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fl;
        return EMU_DONE;
    }
    case X86_INS_BT:
    case X86_INS_BTS:
    case X86_INS_BTR:
    case X86_INS_BTC: {
        if (!mem0 || !o1 || width < 2 || (o1->type != X86_OP_IMM && a->reg_bit < 0))
            NOT_SUPPORTED("a bit test of this form");
        unsigned bit =
            o1->type == X86_OP_IMM ? (unsigned)o1->imm & (width * 8 - 1) : (unsigned)a->reg_bit;
        if (bus->read(bus->ctx, a->ce, width, &v))
            return EMU_BUS_ERROR;
        alu(A_BT, width, v, bit, &fl);
        if (id != X86_INS_BT) {
            uint64_t m = 1ull << bit;
            uint64_t res = id == X86_INS_BTS ? v | m : id == X86_INS_BTR ? v & ~m : v ^ m;
            if (bus->write(bus->ctx, a->ce, width, res))
                return EMU_BUS_ERROR;
        }
        uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fl;
        return EMU_DONE;
    }
    default:
        NOT_SUPPORTED("an instruction cevm does not emulate");
    }
}

/* ---- string moves: memset and memcpy over registers, element by element ------------------ */

/* Is this a string store or move (stos, or the string form of movs — not SSE's movsd)? Return:
 * its element width, or 0. */
static unsigned string_width(const cs_insn *in)
{
    const cs_x86 *x = &in->detail->x86;
    switch (in->id) {
    case X86_INS_STOSB:
    case X86_INS_MOVSB:
        return 1;
    case X86_INS_STOSW:
    case X86_INS_MOVSW:
        return 2;
    case X86_INS_STOSD:
        return 4;
    case X86_INS_MOVSD: /* the string move has two memory operands; SSE's has an xmm register */
        return x->op_count == 2 && x->operands[0].type == X86_OP_MEM &&
                       x->operands[1].type == X86_OP_MEM
                   ? 4
                   : 0;
    case X86_INS_STOSQ:
    case X86_INS_MOVSQ:
        return 8;
    default:
        return 0;
    }
}

/* One element of a string instruction: the side holding the faulting address goes through the
 * bus; the other side is memory the program can touch, or, when it cannot be touched directly
 * (another device, or the same one), the bus too. Return: 0, or -1. */
static int string_element(uintptr_t at, int bus_side, uintptr_t window_base, unsigned width,
                          int write, uint64_t *v, const struct emu_bus *bus)
{
    if (!bus_side && !(write ? cevm_probe_copy((void *)at, v, width)
                             : cevm_probe_copy(v, (const void *)at, width)))
        return 0;
    if (at < window_base || at - window_base > 0xFFFFFFFFull - width + 1)
        return -1; /* outside the CE address space */
    return write ? bus->write(bus->ctx, (uint32_t)(at - window_base), width, *v)
                 : bus->read(bus->ctx, (uint32_t)(at - window_base), width, v);
}

static enum emu_result string_op(ucontext_t *uc, const cs_insn *in, unsigned width,
                                 uintptr_t window_base, uintptr_t fault_addr,
                                 const struct emu_bus *bus, const char **reason)
{
    greg_t *g = uc->uc_mcontext.gregs;
    int rep = in->detail->x86.prefix[0] == X86_PREFIX_REP;
    int move = in->id == X86_INS_MOVSB || in->id == X86_INS_MOVSW || in->id == X86_INS_MOVSD ||
               in->id == X86_INS_MOVSQ;
    int64_t step = (g[REG_EFL] & 0x400) ? -(int64_t)width : (int64_t)width; /* DF */
    uint64_t count = rep ? (uint64_t)g[REG_RCX] : 1;
    uintptr_t dst = (uintptr_t)g[REG_RDI], src = (uintptr_t)g[REG_RSI];
    /* Which side is the device: the one whose elements hold the faulting address. */
    uint64_t span = count * width;
    uintptr_t dlo = step > 0 ? dst : dst - span + width, slo = step > 0 ? src : src - span + width;
    int dst_bus = fault_addr >= dlo && fault_addr < dlo + span;
    int src_bus = move && fault_addr >= slo && fault_addr < slo + span;
    if (!dst_bus && !src_bus) {
        *reason = "a string instruction whose elements do not hold the fault";
        return EMU_UNSUPPORTED;
    }
    for (uint64_t i = 0; i < count; i++) {
        uint64_t v = (uint64_t)g[REG_RAX];
        if (move && string_element(src, src_bus, window_base, width, 0, &v, bus))
            return i ? EMU_DONE : EMU_BUS_ERROR; /* what was done stays done, as on a CPU */
        if (string_element(dst, dst_bus, window_base, width, 1, &v, bus))
            return i ? EMU_DONE : EMU_BUS_ERROR;
        dst += (uintptr_t)step;
        if (move)
            src += (uintptr_t)step;
        g[REG_RDI] = (greg_t)dst;
        if (move)
            g[REG_RSI] = (greg_t)src;
        if (rep)
            g[REG_RCX] = (greg_t)(count - i - 1);
    }
    return EMU_DONE;
}

enum emu_result emulate_access(void *ucontext, uintptr_t window_base, uintptr_t fault_addr,
                               const struct emu_bus *bus, char *why, size_t whylen)
{
    ucontext_t *uc = ucontext;
    const char *reason = NULL;
    int decoded = 0;
    uint8_t code[16];
    size_t ncode = 0; /* the instruction's bytes read, for the report */
    emulate_thread_ready();
    if (!t_insn) {
        reason = "the decoder could not start";
        goto unsupported;
    }
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    size_t size = sizeof code, to_page_end = 4096 - (rip & 4095);
    /* An instruction at the end of a page may have nothing readable after it. */
    if (cevm_probe_copy(code, (const void *)rip, size)) {
        size = to_page_end < size ? to_page_end : size;
        if (cevm_probe_copy(code, (const void *)rip, size)) {
            reason = "the instruction's bytes cannot be read";
            goto unsupported;
        }
    }
    ncode = size;
    const uint8_t *p = code;
    uint64_t addr = rip;
    if (!cs_disasm_iter(t_cs, &p, &size, &addr, t_insn)) {
        reason = "the instruction does not decode";
        goto unsupported;
    }
    decoded = 1;
    const cs_x86 *x = &t_insn->detail->x86;
    unsigned sw = string_width(t_insn);
    if (sw && x->prefix[0] != X86_PREFIX_REPNE) {
        enum emu_result res = string_op(uc, t_insn, sw, window_base, fault_addr, bus, &reason);
        uintptr_t after = rip + t_insn->size;
        if (res == EMU_DONE)
            uc->uc_mcontext.gregs[REG_RIP] = (greg_t)after;
        if (res != EMU_UNSUPPORTED)
            return res;
        goto unsupported;
    }
    if (x->prefix[0] == X86_PREFIX_REP || x->prefix[0] == X86_PREFIX_REPNE) {
        reason = "a repeated instruction other than stos and movs";
        goto unsupported;
    }
    /* The one memory operand: its address from the registers, holding the faulting address. */
    const cs_x86_op *mem = NULL;
    for (int i = 0; i < x->op_count; i++)
        if (x->operands[i].type == X86_OP_MEM) {
            if (mem) {
                reason = "two memory operands";
                goto unsupported;
            }
            mem = &x->operands[i];
        }
    if (!mem || mem->mem.segment != X86_REG_INVALID) {
        reason = !mem ? "no memory operand" : "a segment-relative operand";
        goto unsupported;
    }
    uint64_t ea = (uint64_t)mem->mem.disp;
    struct reg_ref r;
    if (mem->mem.base == X86_REG_RIP)
        ea += rip + t_insn->size;
    else if (mem->mem.base != X86_REG_INVALID) {
        if (reg_ref(mem->mem.base, &r))
            goto bad_reg;
        ea += reg_get(uc, &r);
    }
    if (mem->mem.index != X86_REG_INVALID) {
        if (reg_ref(mem->mem.index, &r))
            goto bad_reg;
        ea += reg_get(uc, &r) * (uint64_t)mem->mem.scale;
    }
    unsigned width = mem->size;
    /* bt/bts/btr/btc with a register bit offset address a bit string: the offset is signed, and
     * the unit of the operand's width holding the bit is at ea + width * floor(offset / bits). */
    int reg_bit = -1;
    unsigned id = t_insn->id;
    if ((id == X86_INS_BT || id == X86_INS_BTS || id == X86_INS_BTR || id == X86_INS_BTC) &&
        x->op_count == 2 && x->operands[0].type == X86_OP_MEM &&
        x->operands[1].type == X86_OP_REG && (width == 2 || width == 4 || width == 8)) {
        if (reg_ref(x->operands[1].reg, &r))
            goto bad_reg;
        uint64_t raw, bits = (uint64_t)width * 8u;
        sign_extend_into(width, reg_get(uc, &r), &raw);
        int64_t off = (int64_t)raw;
        int64_t unit =
            off >= 0 ? off / (int64_t)bits : -((-off + (int64_t)bits - 1) / (int64_t)bits);
        ea += (uint64_t)(unit * (int64_t)width);
        reg_bit = (int)(off - unit * (int64_t)bits);
    }
    struct vec_form vec;
    int is_vec = vec_form(t_insn, &vec);
    if (is_vec)
        width = vec.bytes;
    else if (width != 1 && width != 2 && width != 4 && width != 8) {
        reason = "a memory operand wider than 8 bytes";
        goto unsupported;
    }
    if (fault_addr < ea || fault_addr >= ea + width || ea < window_base ||
        ea + width - window_base > 0x100000000ull) {
        reason = "the operand's address does not hold the fault";
        goto unsupported;
    }
    struct access a = {uc, x, bus, (uint32_t)(ea - window_base), width, reg_bit};
    enum emu_result res =
        is_vec ? vec_move(uc, x, &vec, a.ce, bus, &reason) : run(&a, t_insn->id, &reason);
    uintptr_t next = rip + t_insn->size;
    if (res == EMU_DONE)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)next;
    if (res == EMU_UNSUPPORTED)
        goto unsupported;
    return res;
bad_reg:
    reason = "an address register cevm does not know";
unsupported:
    if (why && whylen) {
        int n = decoded && reason
                    ? snprintf(why, whylen, "%s: %s %s", reason, t_insn->mnemonic, t_insn->op_str)
                    : snprintf(why, whylen, "%s", reason ? reason : "not emulated");
        /* The instruction's bytes: the decoded instruction's, or all that could be read. */
        const uint8_t *b = decoded ? t_insn->bytes : code;
        size_t nb = decoded ? t_insn->size : ncode;
        if (nb && n > 0 && (size_t)n + 10 + 3 * nb < whylen) {
            n += snprintf(why + n, whylen - (size_t)n, " [bytes");
            for (size_t i = 0; i < nb; i++)
                n += snprintf(why + n, whylen - (size_t)n, " %02x", b[i]);
            snprintf(why + n, whylen - (size_t)n, "]");
        }
    }
    return EMU_UNSUPPORTED;
}

#else /* no decoder: every access is unsupported (the caller falls back) */

void emulate_thread_ready(void)
{
}

enum emu_result emulate_access(void *ucontext, uintptr_t window_base, uintptr_t fault_addr,
                               const struct emu_bus *bus, char *why, size_t whylen)
{
    (void)ucontext;
    (void)window_base;
    (void)fault_addr;
    (void)bus;
    if (why && whylen)
        snprintf(why, whylen, "cevm was built without the Capstone decoder");
    return EMU_UNSUPPORTED;
}

#endif
