/*
 * emulate_vec.c — vector moves of register blocks for the instruction emulator: SSE moves of
 * xmm0-15, AVX (VEX) moves of xmm/ymm0-15 and AVX-512 (EVEX) moves of xmm/ymm/zmm0-31, masked
 * ({k1}-{k7}, merging or {z}) or not. These are what glibc's memcpy and memset run on a host
 * with AVX or AVX-512 (vmovdqu ymm; vmovdqu64 zmm16 and a masked vmovdqu8 store for a tail), and
 * what a compiler emits for a block copy of a register struct.
 *
 * A vector register lives in the signal frame: its low 16 bytes in the FXSAVE image, the rest in
 * the XSAVE image after it (the kernel saves it when FP_XSTATE_MAGIC1 is in FXSAVE's
 * software-reserved bytes at offset 464: magic, extended size, the features saved, the XSAVE
 * size). The components used are 2 (ymm0-15's upper 16 bytes), 5 (k0-k7), 6 (zmm0-15's upper
 * 32 bytes) and 7 (zmm16-31 whole), at the offsets CPUID leaf 0xD gives (the frame uses the
 * standard layout). A component whose XSTATE_BV bit is clear holds zeros without being stored;
 * writing one that is not zero stores it and sets the bit. The move itself is done as accesses
 * of at most 8 bytes, low first; everything it will access is checked first, so none is half
 * done. A VEX or EVEX load zeroes the register above what it loaded (to its full 64 bytes), a
 * legacy SSE load leaves everything above its low 16 bytes alone.
 */
#define _GNU_SOURCE
#if defined(__x86_64__) && defined(CEVM_HAVE_CAPSTONE)
#include "core/emulate_vec.h"

#include <cpuid.h>
#include <string.h>

#define FP_XSTATE_MAGIC1 0x46505853u
#define FXSAVE_XMM       160u /* xmm0's offset in the FXSAVE image */
#define XSAVE_HEADER     512u /* XSTATE_BV's offset: the header follows the FXSAVE image */
#define XC_YMM           2u   /* the XSAVE components cevm reads and writes */
#define XC_OPMASK        5u
#define XC_ZMM_HI256     6u
#define XC_HI16_ZMM      7u

/* Offset and size of each XSAVE component in the standard layout (CPUID 0xD, sub-leaf i). */
static unsigned g_xc_off[8], g_xc_size[8];

void vec_layout_init(void)
{
    static const unsigned used[] = {XC_YMM, XC_OPMASK, XC_ZMM_HI256, XC_HI16_ZMM};
    for (size_t k = 0; k < sizeof used / sizeof used[0]; k++) {
        unsigned size = 0, off = 0, ecx = 0, edx = 0;
        if (__get_cpuid_count(0xD, used[k], &size, &off, &ecx, &edx) && size && off >= 576) {
            g_xc_off[used[k]] = off;
            g_xc_size[used[k]] = size;
        }
    }
}

/* The vector state in one signal frame. */
struct xstate {
    uint8_t *fx;      /* the FXSAVE image */
    uint64_t *bv;     /* XSTATE_BV, or NULL when the frame has no XSAVE image */
    uint8_t *comp[8]; /* each component cevm uses, or NULL when the frame does not hold it */
};

static void xstate_find(ucontext_t *uc, struct xstate *s)
{
    memset(s, 0, sizeof *s);
    s->fx = (uint8_t *)uc->uc_mcontext.fpregs;
    uint32_t magic = 0, size = 0;
    uint64_t features = 0;
    memcpy(&magic, s->fx + 464, 4);
    memcpy(&features, s->fx + 464 + 8, 8);
    memcpy(&size, s->fx + 464 + 16, 4);
    if (magic != FP_XSTATE_MAGIC1)
        return;
    s->bv = (uint64_t *)(void *)(s->fx + XSAVE_HEADER); /* the frame is 64-byte aligned */
    for (unsigned i = 0; i < 8; i++)
        if ((features >> i & 1) && g_xc_size[i] && g_xc_off[i] + g_xc_size[i] <= size)
            s->comp[i] = s->fx + g_xc_off[i];
}

/* n bytes at off in component i into dst: zeros when the component is in its initial state. */
static void comp_get(const struct xstate *s, unsigned i, size_t off, uint8_t *dst, size_t n)
{
    if (s->comp[i] && (*s->bv >> i & 1))
        memcpy(dst, s->comp[i] + off, n);
    else
        memset(dst, 0, n);
}

/* n bytes from src at off in component i. Zeros need no store in a component in its initial
 * state; anything else makes the component stored (zeroed first, XSTATE_BV's bit set). */
static void comp_put(struct xstate *s, unsigned i, size_t off, const uint8_t *src, size_t n)
{
    int zero = 1;
    for (size_t k = 0; k < n && zero; k++)
        zero = !src[k];
    if (!s->comp[i] || (zero && !(*s->bv >> i & 1)))
        return; /* a frame without the component: vec_move checked that only zeros go there */
    if (!(*s->bv >> i & 1)) {
        memset(s->comp[i], 0, g_xc_size[i]);
        *s->bv |= 1ull << i;
    }
    memcpy(s->comp[i] + off, src, n);
}

/* Vector register n (0..31) as 64 bytes. */
static void vec_get(const struct xstate *s, unsigned n, uint8_t v[64])
{
    if (n >= 16) {
        comp_get(s, XC_HI16_ZMM, (size_t)64 * (n - 16), v, 64);
        return;
    }
    memcpy(v, s->fx + FXSAVE_XMM + (size_t)16 * n, 16);
    comp_get(s, XC_YMM, (size_t)16 * n, v + 16, 16);
    comp_get(s, XC_ZMM_HI256, (size_t)32 * n, v + 32, 32);
}

static void vec_put(struct xstate *s, unsigned n, const uint8_t v[64])
{
    if (n >= 16) {
        comp_put(s, XC_HI16_ZMM, (size_t)64 * (n - 16), v, 64);
        return;
    }
    memcpy(s->fx + FXSAVE_XMM + (size_t)16 * n, v, 16);
    comp_put(s, XC_YMM, (size_t)16 * n, v + 16, 16);
    comp_put(s, XC_ZMM_HI256, (size_t)32 * n, v + 32, 32);
}

/* ---- the forms ----------------------------------------------------------------------------- */

/* The bytes of vector register r and its number, or 0 for no vector register. */
static unsigned vec_reg(x86_reg r, unsigned *n)
{
    if (r >= X86_REG_XMM0 && r <= X86_REG_XMM31) {
        *n = (unsigned)(r - X86_REG_XMM0);
        return 16;
    }
    if (r >= X86_REG_YMM0 && r <= X86_REG_YMM31) {
        *n = (unsigned)(r - X86_REG_YMM0);
        return 32;
    }
    if (r >= X86_REG_ZMM0 && r <= X86_REG_ZMM31) {
        *n = (unsigned)(r - X86_REG_ZMM0);
        return 64;
    }
    return 0;
}

int vec_form(const cs_insn *in, struct vec_form *f)
{
    const cs_x86 *x = &in->detail->x86;
    const cs_x86_op *reg = NULL, *mask = NULL;
    unsigned nmem = 0, n = 0, size = 0;
    if (x->prefix[0] || x->op_count < 2 || x->op_count > 3)
        return 0;
    for (unsigned i = 0; i < x->op_count; i++) {
        const cs_x86_op *op = &x->operands[i];
        if (op->type == X86_OP_MEM)
            nmem++;
        else if (op->type == X86_OP_REG && op->reg >= X86_REG_K0 && op->reg <= X86_REG_K7)
            mask = op;
        else if (op->type == X86_OP_REG && !reg && (size = vec_reg(op->reg, &n)))
            reg = op;
        else
            return 0;
    }
    if (nmem != 1 || !reg || (mask && x->op_count != 3) || (!mask && x->op_count != 2))
        return 0;
    unsigned elem = 0; /* the element size a mask selects, for the moves that take one */
    memset(f, 0, sizeof *f);
    f->reg = n;
    f->rest = VEC_ZERO;
    switch (in->id) {
    case X86_INS_MOVDQA:
    case X86_INS_MOVDQU:
    case X86_INS_MOVAPS:
    case X86_INS_MOVUPS:
    case X86_INS_MOVAPD:
    case X86_INS_MOVUPD:
    case X86_INS_LDDQU:
    case X86_INS_MOVNTDQ:
    case X86_INS_MOVNTDQA:
    case X86_INS_MOVNTPS:
    case X86_INS_MOVNTPD:
        f->bytes = 16;
        break;
    case X86_INS_MOVQ:
    case X86_INS_MOVSD: /* the scalar double form (the string form has no xmm operand) */
        f->bytes = 8;
        break;
    case X86_INS_MOVD:
    case X86_INS_MOVSS:
        f->bytes = 4;
        break;
    case X86_INS_MOVLPS:
    case X86_INS_MOVLPD:
        f->bytes = 8;
        f->rest = VEC_KEEP_HIGH;
        break;
    case X86_INS_MOVHPS:
    case X86_INS_MOVHPD:
        f->bytes = 8;
        f->at = 8;
        f->rest = VEC_KEEP_LOW;
        break;
    case X86_INS_VMOVDQU8:
        elem = 1;
        goto block;
    case X86_INS_VMOVDQU16:
        elem = 2;
        goto block;
    case X86_INS_VMOVAPS:
    case X86_INS_VMOVUPS:
    case X86_INS_VMOVDQA32:
    case X86_INS_VMOVDQU32:
        elem = 4;
        goto block;
    case X86_INS_VMOVAPD:
    case X86_INS_VMOVUPD:
    case X86_INS_VMOVDQA64:
    case X86_INS_VMOVDQU64:
        elem = 8;
        goto block;
    case X86_INS_VMOVDQA:
    case X86_INS_VMOVDQU:
    case X86_INS_VLDDQU:
    case X86_INS_VMOVNTDQ:
    case X86_INS_VMOVNTDQA:
    case X86_INS_VMOVNTPS:
    case X86_INS_VMOVNTPD:
    block:
        f->bytes = size;
        f->vex = 1;
        break;
    case X86_INS_VMOVQ:
    case X86_INS_VMOVSD:
        f->bytes = 8;
        f->vex = 1;
        break;
    case X86_INS_VMOVD:
    case X86_INS_VMOVSS:
        f->bytes = 4;
        f->vex = 1;
        break;
    default:
        return 0;
    }
    if (!f->vex && (size != 16 || n >= 16))
        return 0; /* legacy SSE names xmm0-15 only */
    if ((in->id == X86_INS_VMOVQ || in->id == X86_INS_VMOVSD || in->id == X86_INS_VMOVD ||
         in->id == X86_INS_VMOVSS) &&
        size != 16)
        return 0;
    if (mask) {
        if (!elem)
            return 0; /* a masked scalar move: not emulated */
        f->elem = elem;
        f->kreg = (unsigned)(mask->reg - X86_REG_K0);
        for (unsigned i = 0; i < x->op_count; i++)
            f->zeroing |= x->operands[i].avx_zero_opmask;
    }
    return 1;
}

/* ---- the move ------------------------------------------------------------------------------ */

/* Is byte i of the operand accessed (its element enabled by the mask k)? */
static int enabled(const struct vec_form *f, uint64_t k, unsigned i)
{
    return !f->elem || (k >> (i / f->elem) & 1);
}

/* The next run of enabled bytes at or after *i: [*i, *end). Return: 0 when none is left. */
static int next_run(const struct vec_form *f, uint64_t k, unsigned *i, unsigned *end)
{
    while (*i < f->bytes && !enabled(f, k, *i))
        ++*i;
    for (*end = *i; *end < f->bytes && enabled(f, k, *end);)
        ++*end;
    return *i < f->bytes;
}

/* The width of the next access at CE address ce with left bytes to go: a masked run in the
 * widest aligned pieces (a bus's byte lanes), an unmasked move in 8-byte steps. */
static unsigned piece(const struct vec_form *f, uint32_t ce, unsigned left)
{
    if (!f->elem)
        return left < 8 ? left : 8;
    unsigned w = 8;
    while (w > left || (ce & (w - 1)))
        w /= 2;
    return w;
}

enum emu_result vec_move(ucontext_t *uc, const cs_x86 *x, const struct vec_form *f, uint32_t ce,
                         const struct emu_bus *bus, const char **reason)
{
    int load = x->operands[0].type == X86_OP_REG;
    if (!uc->uc_mcontext.fpregs) {
        *reason = "the signal context has no SSE registers";
        return EMU_UNSUPPORTED;
    }
    struct xstate s;
    xstate_find(uc, &s);
    /* What the register may hold above 16 bytes must be in the frame before anything is done. */
    if ((f->vex && f->reg < 16 && !s.comp[XC_YMM]) ||
        ((f->bytes > 32 || f->reg >= 16) && !s.comp[f->reg >= 16 ? XC_HI16_ZMM : XC_ZMM_HI256]) ||
        (f->elem && !s.comp[XC_OPMASK])) {
        *reason = f->bytes > 32 || f->reg >= 16 || f->elem
                      ? "the signal context has no AVX-512 registers"
                      : "the signal context has no AVX registers";
        return EMU_UNSUPPORTED;
    }
    uint64_t k = 0;
    if (f->elem)
        comp_get(&s, XC_OPMASK, (size_t)8 * f->kreg, (uint8_t *)&k, 8);
    uint8_t r[64];
    vec_get(&s, f->reg, r);
    unsigned i, end;
    if ((f->elem || f->bytes > 8) && bus->check)
        for (i = 0; next_run(f, k, &i, &end); i = end)
            if (bus->check(bus->ctx, ce + i, end - i))
                return EMU_BUS_ERROR;
    uint8_t got[64] = {0};
    for (i = 0; next_run(f, k, &i, &end);) {
        while (i < end) {
            unsigned w = piece(f, ce + i, end - i);
            uint64_t v = 0;
            if (load) {
                if (bus->read(bus->ctx, ce + i, w, &v))
                    return EMU_BUS_ERROR;
                memcpy(got + i, &v, w);
            } else {
                memcpy(&v, r + f->at + i, w);
                if (bus->write(bus->ctx, ce + i, w, v))
                    return EMU_BUS_ERROR;
            }
            i += w;
        }
    }
    if (!load)
        return EMU_DONE;
    if (!f->vex) { /* legacy SSE: the low 16 bytes only */
        if (f->rest == VEC_ZERO)
            memset(r, 0, 16);
        memcpy(r + f->at, got, f->bytes);
    } else {
        for (i = 0; i < 64; i++)
            r[i] = i >= f->bytes ? 0 : enabled(f, k, i) ? got[i] : f->zeroing ? 0 : r[i];
    }
    vec_put(&s, f->reg, r);
    return EMU_DONE;
}

#endif
