/*
 * fuzz_calls.c — fuzz target: sequences of CE calls on the default board. The input is read as
 * 12-byte records {op, f1, f2 (16 bits), a, b}; addresses come from the values earlier calls
 * returned (plus an offset) or straight from the input, so sequences reach real reservations
 * often. Memory is touched inside cevm_try. After the sequence the page tables, frame table and
 * host window must agree (cevm_check_invariants), or the target aborts; the machine is then
 * put back into its just-booted state for the next input (fuzz_input.h). The profile is
 * $CEVM_PROFILE's: CI fuzzes ce5, ce6 and ce7.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cevm/cevm.h>
#include <ceddk.h>
#include <pkfuncs.h>
#include <windows.h>

#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS 8

struct state {
    uint32_t addr[SLOTS];
};

static const DWORD protections[] = {PAGE_NOACCESS,
                                    PAGE_READONLY,
                                    PAGE_READWRITE,
                                    PAGE_READWRITE | PAGE_NOCACHE,
                                    PAGE_READWRITE | PAGE_GUARD,
                                    PAGE_EXECUTE_READ,
                                    PAGE_WRITECOPY,
                                    0x1234};
static const DWORD types[] = {
    MEM_RESERVE,  MEM_COMMIT,  MEM_RESERVE | MEM_COMMIT,   MEM_RESERVE | MEM_AUTO_COMMIT,
    MEM_DECOMMIT, MEM_RELEASE, MEM_RESERVE | MEM_TOP_DOWN, 0};

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct touch {
    uint32_t ce;
    int write;
};

static void touch(void *ctx)
{
    struct touch *t = ctx;
    volatile uint8_t *p = cevm_host_ptr(t->ce);
    if (t->write)
        *p = 0x5A;
    else
        (void)*p;
}

static void one(struct state *s, uint8_t op, uint8_t f1, uint16_t f2, uint32_t a, uint32_t b)
{
    /* An address: a remembered one plus a small offset, or the raw input. */
    uint32_t addr = (f1 & 0x80) ? a : s->addr[f1 % SLOTS] + (a & 0x3FFFF);
    void *ptr = addr ? cevm_host_ptr(addr) : NULL;
    uint32_t size = (f2 & 1) ? b : (b & 0x7FFFF);
    DWORD prot = protections[(f2 >> 1) % 8], type = types[(f2 >> 4) % 8], old;
    void *r = NULL;
    switch (op % 19) {
    case 0:
        r = VirtualAlloc((f1 & 0x40) ? NULL : ptr, size, type, prot);
        break;
    case 1:
        VirtualFree(ptr, (f2 & 0x100) ? 0 : size, type);
        break;
    case 2:
        VirtualProtect(ptr, size, prot, (f2 & 0x200) ? NULL : &old);
        break;
    case 3: {
        MEMORY_BASIC_INFORMATION m;
        VirtualQuery(ptr, &m, (f2 & 0x200) ? 27 : sizeof m);
        break;
    }
    case 4: /* VirtualCopy: physical, static or virtual source */
        if (f2 & 0x100)
            VirtualCopy(ptr, (LPVOID)(uintptr_t)(b >> (f2 & 0x200 ? 0 : 8)), size & 0xFFFF,
                        prot | PAGE_PHYSICAL);
        else
            VirtualCopy(ptr, cevm_host_ptr(s->addr[(f1 >> 3) % SLOTS] + (b & 0xFFFF)),
                        size & 0xFFFF, prot);
        break;
    case 5: {
        PHYSICAL_ADDRESS pa;
        pa.QuadPart = (f2 & 0x100) ? (LONGLONG)(0x7F000000u + (b & 0xFFFFF)) : (LONGLONG)b;
        r = MmMapIoSpace(pa, size & 0xFFFF, (BOOLEAN)(f2 & 0x200 ? 1 : 0));
        break;
    }
    case 6:
        MmUnmapIoSpace(ptr, size);
        break;
    case 7: {
        ULONG pa;
        r = AllocPhysMem(size & 0x3FFFFF, prot, b & 0xFFFFF, (f2 & 0x100) ? 1 : 0, &pa);
        break;
    }
    case 8:
        FreePhysMem(ptr);
        break;
    case 9: {
        DWORD pfn[65]; /* 0x3FFFF bytes at an unaligned address touch up to 65 pages */
        LockPages(ptr, size & 0x3FFFF, pfn, f1 & 7);
        break;
    }
    case 10:
        UnlockPages(ptr, size);
        break;
    case 11:
        VirtualSetAttributes(ptr, size & 0xFFFF, b, f2 & 0xFFF, &old);
        break;
    case 12:
    case 13: {
        struct touch t = {addr, op & 1};
        cevm_exception e;
        cevm_try(touch, &t, &e);
        break;
    }
    case 14:
        r = CreateStaticMapping(b, size);
        break;
    case 16: /* the caller's mode: trusted or not (CE 5), kernel or user (CE 6+) */
        cevm_set_trusted(f2 & 1);
        break;
    case 17: /* CE 6's calls on the application's or one's own memory (50 on ce5) */
        r = VirtualAllocEx((f2 & 0x100) ? (HANDLE)(uintptr_t)cevm_caller_process()
                                        : GetCurrentProcess(),
                           (f1 & 0x40) ? NULL : ptr, size, type, prot);
        break;
    case 18:
        VirtualFreeEx((f2 & 0x100) ? (HANDLE)(uintptr_t)cevm_caller_process() : GetCurrentProcess(),
                      ptr, (f2 & 0x200) ? 0 : size, type);
        break;
    default:
        r = VirtualAlloc(NULL, 0x1000 + (size & 0xFFFF), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    }
    if (r)
        s->addr[(f1 >> 4) % SLOTS] = cevm_ce_addr(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_begin();
    struct state s;
    for (int i = 0; i < SLOTS; i++)
        s.addr[i] = 0x10000u * (uint32_t)(i + 1);
    for (size_t off = 0; off + 12 <= size && off < 12 * 256; off += 12)
        one(&s, data[off], data[off + 1], (uint16_t)(data[off + 2] | data[off + 3] << 8),
            rd32(data + off + 4), rd32(data + off + 8));
    fuzz_end(FUZZ_ALWAYS_CHECK);
    return 0;
}
