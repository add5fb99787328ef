/*
 * test_emulate.c — raw accesses to an unimplemented device are decoded and performed as one
 * access of the instruction's width (src/core/emulate.c): each instruction form register code is
 * compiled to, written here in assembly so the form is exact, gives the register values and the
 * flags the CPU gives for a device that reads 0, and logs one read and/or one write with its
 * width and bytes.
 */
#include "cetest.h"

#include <stdint.h>

#define SPI 0x92B0B000u /* the default board's SPI row: no device model, so unimplemented */

static cevm_unimplemented_access g_log[64];

/* The accesses logged since `before`, oldest first, into g_log. Return: how many. */
static size_t accesses_since(uint64_t before) __attribute__((unused));
static size_t accesses_since(uint64_t before)
{
    uint64_t total = cevm_unimplemented_accesses(NULL, 0);
    size_t n = (size_t)(total - before);
    assert_true(n <= 64);
    cevm_unimplemented_accesses(g_log, n);
    return n;
}

#if defined(__x86_64__) && defined(CEVM_TEST_HAVE_CAPSTONE)

#define CF 0x1u
#define ZF 0x40u
#define SF 0x80u

static void loads_have_their_width_and_register_rules(void **state)
{
    (void)state;
    cevm_set_unimplemented_log(0);
    volatile uint8_t *reg = PTR(SPI + 0x10);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    uint64_t a = ~0ull, b = ~0ull, c = ~0ull, d = ~0ull, e = ~0ull;
    __asm__ volatile("movzbl (%[p]), %k[a]" : [a] "+r"(a) : [p] "r"(reg) : "memory");
    __asm__ volatile("movw 2(%[p]), %w[b]" : [b] "+r"(b) : [p] "r"(reg) : "memory");
    __asm__ volatile("movl 4(%[p]), %k[c]" : [c] "+r"(c) : [p] "r"(reg) : "memory");
    __asm__ volatile("movq 8(%[p]), %[d]" : [d] "+r"(d) : [p] "r"(reg) : "memory");
    __asm__ volatile("movsbq (%[p]), %[e]" : [e] "+r"(e) : [p] "r"(reg) : "memory");
    assert_int_equal(a, 0);                     /* movzx: zero-extended */
    assert_int_equal(b, 0xFFFFFFFFFFFF0000ull); /* a 16-bit load keeps the upper bits */
    assert_int_equal(c, 0);                     /* a 32-bit load clears them */
    assert_int_equal(d, 0);
    assert_int_equal(e, 0);
    assert_int_equal(accesses_since(before), 5);
    static const unsigned width[5] = {1, 2, 4, 8, 1}, off[5] = {0x10, 0x12, 0x14, 0x18, 0x10};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(g_log[i].write, 0);
        assert_int_equal(g_log[i].width, width[i]);
        assert_int_equal(g_log[i].ce, SPI + off[i]);
        assert_int_equal(g_log[i].pa, 0x7F00B000ull + off[i]);
    }
}

static void stores_log_their_bytes(void **state)
{
    (void)state;
    cevm_set_unimplemented_log(0);
    volatile uint8_t *reg = PTR(SPI + 0x20);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    uint64_t v = 0x1122334455667788ull;
    __asm__ volatile("movb %b[v], (%[p])" : : [v] "r"(v), [p] "r"(reg) : "memory");
    __asm__ volatile("movw $0x0A0B, 2(%[p])" : : [p] "r"(reg) : "memory");
    __asm__ volatile("movl %k[v], 4(%[p])" : : [v] "r"(v), [p] "r"(reg) : "memory");
    __asm__ volatile("movq %[v], 8(%[p])" : : [v] "r"(v), [p] "r"(reg) : "memory");
    assert_int_equal(accesses_since(before), 4);
    assert_int_equal(g_log[0].width, 1);
    assert_int_equal(g_log[0].bytes[0], 0x88);
    assert_int_equal(g_log[1].width, 2);
    assert_int_equal(g_log[1].nbytes, 2);
    assert_int_equal(g_log[1].bytes[0], 0x0B);
    assert_int_equal(g_log[1].bytes[1], 0x0A);
    assert_int_equal(g_log[2].width, 4);
    assert_int_equal(g_log[2].nbytes, 4);
    assert_int_equal(g_log[2].bytes[3], 0x55);
    assert_int_equal(g_log[3].width, 8);
    assert_int_equal(g_log[3].nbytes, 8);
    assert_int_equal(g_log[3].bytes[7], 0x11);
    for (int i = 0; i < 4; i++)
        assert_int_equal(g_log[i].write, 1);
}

/* Run one instruction on the register page with the given flags in, and return the flags out. */
#define WITH_FLAGS(asm_text, ...)                                                                  \
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[fl]\n\tpopfq\n\t" asm_text                  \
                     "\n\tpushfq\n\tpop %[fl]\n\tlea 128(%%rsp), %%rsp" __VA_ARGS__)

static void read_modify_write_is_one_read_and_one_write(void **state)
{
    (void)state;
    cevm_set_unimplemented_log(0);
    volatile uint8_t *reg = PTR(SPI + 0x40);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    uint64_t fl = 0x202;
    WITH_FLAGS("orl $0x10, (%[p])", : [fl] "+r"(fl) : [p] "r"(reg) : "memory", "cc");
    assert_false(fl & ZF); /* 0 | 0x10 */
    fl = 0x202;
    WITH_FLAGS("addb $0xFF, 4(%[p])", : [fl] "+r"(fl) : [p] "r"(reg) : "memory", "cc");
    assert_true(fl & SF);
    assert_false(fl & CF);
    fl = 0x202;
    WITH_FLAGS("decw 8(%[p])", : [fl] "+r"(fl) : [p] "r"(reg) : "memory", "cc"); /* 0 - 1 */
    assert_true(fl & SF);
    assert_int_equal(accesses_since(before), 6);
    static const unsigned width[3] = {4, 1, 2};
    static const uint8_t byte0[3] = {0x10, 0xFF, 0xFF};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g_log[2 * i].write, 0); /* one read ... */
        assert_int_equal(g_log[2 * i].width, width[i]);
        assert_int_equal(g_log[2 * i + 1].write, 1); /* ... then one write, same width */
        assert_int_equal(g_log[2 * i + 1].width, width[i]);
        assert_int_equal(g_log[2 * i + 1].bytes[0], byte0[i]);
    }
}

static void compares_and_tests_set_the_flags_the_cpu_sets(void **state)
{
    (void)state;
    cevm_set_unimplemented_log(0);
    volatile uint8_t *reg = PTR(SPI + 0x60);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0), fl;
    fl = 0x202;
    WITH_FLAGS("cmpl $0, (%[p])", : [fl] "+r"(fl) : [p] "r"(reg) : "memory", "cc");
    assert_true(fl & ZF);
    assert_false(fl & CF);
    fl = 0x202;
    WITH_FLAGS("cmpl $1, (%[p])", : [fl] "+r"(fl) : [p] "r"(reg) : "memory", "cc"); /* 0 < 1 */
    assert_false(fl & ZF);
    assert_true(fl & CF);
    assert_true(fl & SF);
    fl = 0x202 | CF;
    WITH_FLAGS("testb $0x80, (%[p])", : [fl] "+r"(fl) : [p] "r"(reg) : "memory", "cc");
    assert_true(fl & ZF);
    assert_false(fl & CF); /* test clears CF */
    uint64_t r = 5;
    fl = 0x202;
    WITH_FLAGS("cmpq (%[p]), %[r]", : [fl] "+r"(fl) : [p] "r"(reg), [r] "r"(r) : "memory", "cc");
    assert_false(fl & (ZF | CF)); /* 5 > 0 */
    /* Only reads: nothing written. */
    assert_int_equal(accesses_since(before), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(g_log[i].write, 0);
    assert_int_equal(g_log[3].width, 8);
}

static void interlocked_forms_are_one_read_and_one_write(void **state)
{
    (void)state;
    cevm_set_unimplemented_log(0);
    volatile uint8_t *reg = PTR(SPI + 0x80);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0), fl;
    /* InterlockedCompareExchange: the register reads 0, equal to the comparand: the new value
     * is written and ZF set. */
    uint64_t cmp = 0, nv = 0x77;
    fl = 0x202;
    WITH_FLAGS("lock cmpxchgl %k[nv], (%[p])",
               : [fl] "+r"(fl), "+a"(cmp)
               : [p] "r"(reg), [nv] "r"(nv)
               : "memory", "cc");
    assert_true(fl & ZF);
    /* Not equal: the register's value lands in eax, nothing is written. */
    cmp = 9;
    fl = 0x202;
    WITH_FLAGS("lock cmpxchgl %k[nv], 4(%[p])",
               : [fl] "+r"(fl), "+a"(cmp)
               : [p] "r"(reg), [nv] "r"(nv)
               : "memory", "cc");
    assert_false(fl & ZF);
    assert_int_equal(cmp, 0);
    /* InterlockedExchangeAdd and InterlockedExchange. */
    uint64_t add = 3, x = 0xAB;
    __asm__ volatile("lock xaddl %k[v], 8(%[p])" : [v] "+r"(add) : [p] "r"(reg) : "memory", "cc");
    assert_int_equal(add, 0);
    __asm__ volatile("xchgb %b[v], 12(%[p])" : [v] "+r"(x) : [p] "r"(reg) : "memory");
    assert_int_equal(x, 0);
    /* Bit test and set: CF is the old bit (0), the bit is written. */
    fl = 0x202 | CF;
    WITH_FLAGS("btsl $3, 16(%[p])", : [fl] "+r"(fl) : [p] "r"(reg) : "memory", "cc");
    assert_false(fl & CF);
    size_t n = accesses_since(before);
    /* cmpxchg equal: R W; not equal: R; xadd: R W; xchg: R W; bts: R W. */
    assert_int_equal(n, 9);
    static const int write[9] = {0, 1, 0, 0, 1, 0, 1, 0, 1};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(g_log[i].write, write[i]);
    assert_int_equal(g_log[1].bytes[0], 0x77);
    assert_int_equal(g_log[4].bytes[0], 3);
    assert_int_equal(g_log[6].bytes[0], 0xAB);
    assert_int_equal(g_log[8].bytes[0], 0x08);
}

static void string_stores_and_moves_go_element_by_element(void **state)
{
    (void)state;
    cevm_set_unimplemented_log(0);
    volatile uint8_t *reg = PTR(SPI + 0xA0);
    uint64_t before = cevm_unimplemented_accesses(NULL, 0);
    /* memset over registers: rep stosl, four elements. */
    void *d = (void *)reg;
    uint64_t n = 4, v = 0xA5A5A5A5u;
    __asm__ volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(v) : "memory");
    assert_int_equal(n, 0);
    assert_ptr_equal(d, (void *)(reg + 16));
    /* memcpy from registers into RAM: rep movsb, each byte read from the device (0). */
    uint8_t buf[8];
    memset(buf, 0xFF, sizeof buf);
    const void *s = (const void *)reg;
    d = buf;
    n = sizeof buf;
    __asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(accesses_since(before), 12);
    for (int i = 0; i < 4; i++) {
        assert_true(g_log[i].write && g_log[i].width == 4 && g_log[i].ce == SPI + 0xA0 + 4u * i);
        assert_int_equal(g_log[i].bytes[0], 0xA5);
    }
    for (int i = 4; i < 12; i++)
        assert_true(!g_log[i].write && g_log[i].width == 1 && g_log[i].ce == SPI + 0xA0 + (i - 4u));
}

#else

static void loads_have_their_width_and_register_rules(void **state)
{
    (void)state;
    skip(); /* built without Capstone: accesses are single-stepped */
}
#define stores_log_their_bytes                        loads_have_their_width_and_register_rules
#define read_modify_write_is_one_read_and_one_write   loads_have_their_width_and_register_rules
#define compares_and_tests_set_the_flags_the_cpu_sets loads_have_their_width_and_register_rules
#define interlocked_forms_are_one_read_and_one_write  loads_have_their_width_and_register_rules
#define string_stores_and_moves_go_element_by_element loads_have_their_width_and_register_rules

#endif

static const struct CMUnitTest tests[] = {
    CE_TEST(loads_have_their_width_and_register_rules),
    CE_TEST(stores_log_their_bytes),
    CE_TEST(read_modify_write_is_one_read_and_one_write),
    CE_TEST(compares_and_tests_set_the_flags_the_cpu_sets),
    CE_TEST(interlocked_forms_are_one_read_and_one_write),
    CE_TEST(string_stores_and_moves_go_element_by_element),
};

CETEST_MAIN(tests)
