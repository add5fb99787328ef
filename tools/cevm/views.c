/*
 * views.c — what the cevm command shows of a machine: `mi` / `mi full` in the style of CE's
 * memory tool, the OEMAddressTable's static windows, page-table entries, every address mapping
 * a physical page, RAM frame usage and the board's devices. Built on the native inspection calls
 * (cevm_page, cevm_board_regions, cevm_board_oem_rows) and VirtualQuery.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cevm/cevm.h>
#include <windows.h>

#include "lang.h"

#define PAGE     0x1000u
#define SLOT     0x2000000u
#define LARGE_LO 0x42000000u
#define LARGE_HI 0x7C000000u
/* CE 6+: user space; kernel DLLs and kernel VM (from cevm_info) end at KVM_HI (spec §1.2) */
#define USER_HI 0x80000000u
#define KVM_HI  0xF0000000u

/* What kind of memory a committed page is, in words. */
static const char *page_kind(const cevm_page_info *p)
{
    if (p->flags & CEVM_PAGE_STATIC)
        return "static window";
    if (p->flags & CEVM_PAGE_ALLOCPHYS)
        return "AllocPhysMem";
    if ((p->flags & CEVM_PAGE_DEVICE) && (p->flags & CEVM_PAGE_RAM))
        return "physical mapping of RAM";
    if (p->flags & CEVM_PAGE_NOBACKING)
        return "device mapping (nothing modelled there)";
    if (p->flags & CEVM_PAGE_DEVICE)
        return "device mapping";
    if (p->flags & CEVM_PAGE_SHARED)
        return "VirtualCopy alias (shared RAM)";
    if (p->flags & CEVM_PAGE_IMAGE)
        return "module image";
    return "private RAM";
}

/* Call fn for every reserved or committed page of [lo, hi), skipping free regions. */
static void each_page(uint32_t lo, uint32_t hi, void (*fn)(uint32_t va, void *ctx), void *ctx)
{
    uint32_t a = lo;
    while (a < hi) {
        MEMORY_BASIC_INFORMATION m;
        if (!VirtualQuery(cevm_host_ptr(a), &m, sizeof m) || m.RegionSize == 0)
            break;
        uint32_t end = a + m.RegionSize < a || a + m.RegionSize > hi ? hi : a + m.RegionSize;
        if (m.State != MEM_FREE)
            for (uint32_t p = a; p < end; p += PAGE)
                fn(p, ctx);
        a = end;
    }
}

/* ---- mi ---------------------------------------------------------------------------------- */

struct mi_count {
    uint32_t code, ro, rw, stack, reserved, device, noaccess;
};

static void count_page(uint32_t va, void *ctx)
{
    struct mi_count *c = ctx;
    cevm_page_info p;
    cevm_page(va, &p);
    if (p.state == MEM_RESERVE)
        c->reserved++;
    else if (!(p.flags & CEVM_PAGE_RAM))
        c->device++;
    else if ((p.protect & 0xFF) == PAGE_NOACCESS || (p.protect & PAGE_GUARD))
        c->noaccess++;
    else if (p.flags & CEVM_PAGE_STACK)
        c->stack++;
    else if ((p.protect & 0xFF) == PAGE_READWRITE)
        c->rw++;
    else if (p.flags & CEVM_PAGE_IMAGE)
        c->code++; /* a module's read-only pages: code and constants */
    else
        c->ro++;
}

static char page_char(uint32_t va)
{
    cevm_page_info p;
    cevm_page(va, &p);
    if (p.state == MEM_FREE)
        return 0;
    if (p.state == MEM_RESERVE)
        return '-';
    if (!(p.flags & CEVM_PAGE_RAM))
        return 'P';
    if (p.protect & PAGE_GUARD)
        return 'g';
    if ((p.protect & 0xFF) == PAGE_NOACCESS)
        return 'n';
    if (p.flags & CEVM_PAGE_STACK)
        return 'S';
    if ((p.protect & 0xFF) == PAGE_READWRITE)
        return 'W';
    return (p.flags & CEVM_PAGE_IMAGE) ? 'c' : 'r'; /* a module's read-only pages: code in RAM */
}

struct mi_modules {
    cevm_module_info list[32];
    size_t n;
};

/* "  name" when a loaded module's image starts at block b, else "". */
static const char *module_here(const struct mi_modules *mods, uint32_t b)
{
    static char said[80];
    for (size_t i = 0; i < mods->n; i++)
        if (mods->list[i].base == b) {
            snprintf(said, sizeof said, "  %s", mods->list[i].name);
            return said;
        }
    return "";
}

/* One line per 64 KB block in use: "VVVVVVVV: " and a character per page, up to the first
 * page outside the reservation. */
static void mi_blocks(uint32_t lo, uint32_t hi, uint32_t shown_base, const struct mi_modules *mods)
{
    for (uint32_t b = lo; b < hi; b += 0x10000) {
        MEMORY_BASIC_INFORMATION m;
        if (!VirtualQuery(cevm_host_ptr(b), &m, sizeof m))
            break;
        if (m.State == MEM_FREE) {
            uint32_t next = b + ((m.RegionSize + 0xFFFF) & ~0xFFFFu);
            b = (next > b ? next : hi) - 0x10000;
            continue;
        }
        char line[17];
        int n = 0;
        for (; n < 16; n++) {
            char c = page_char(b + (uint32_t)n * PAGE);
            if (!c)
                break;
            line[n] = c;
        }
        line[n] = '\0';
        printf("%08X: %s%s\n", shown_base + (b - lo), line, module_here(mods, b));
    }
}

static void mi_summary(const struct mi_count *c)
{
    /* code=ROM(RAM): modules are loaded into RAM here. */
    printf("Page summary: code=0(%u) data r/o=%u r/w=%u stack=%u reserved=%u device=%u "
           "no-access=%u\n",
           c->code, c->ro, c->rw, c->stack, c->reserved, c->device, c->noaccess);
}

/* CE 6+: the kernel's memory (kernel DLLs, kernel VM) and the user space of the application
 * the window shows; no slots, no large area. */
static void view_mi_ce6(const cevm_info *in, int full)
{
    struct mi_count kern = {0, 0, 0, 0, 0, 0, 0}, user = {0, 0, 0, 0, 0, 0, 0};
    struct mi_modules mods;
    mods.n = cevm_modules(mods.list, 32);
    if (mods.n > 32)
        mods.n = 32;
    each_page(in->kernel_dll_base, KVM_HI, count_page, &kern);
    each_page(0x10000, USER_HI, count_page, &user);
    printf("\nMemory usage for the kernel: DLLs from 0x%08X, VM 0x%08X-0x%08X\n",
           in->kernel_dll_base, in->kernel_vm_base, KVM_HI - 1);
    mi_summary(&kern);
    for (size_t i = 0; i < mods.n; i++)
        printf("Module %-24s 0x%08X-0x%08X %u KB\n", mods.list[i].name, mods.list[i].base,
               mods.list[i].base + mods.list[i].size - 1, mods.list[i].size / 1024);
    if (full) {
        mi_blocks(in->kernel_dll_base, KVM_HI, in->kernel_dll_base, &mods);
    }
    printf("\nMemory usage for the user space of %s 0x00010000-0x%08X\n", in->caller_name,
           USER_HI - 1);
    mi_summary(&user);
    if (full)
        mi_blocks(0x10000, USER_HI, 0x10000, &mods);
    printf("\nTotal R/W data + stack: %u pages\n", kern.rw + kern.stack + user.rw + user.stack);
}

int view_mi(struct session *s, int full)
{
    (void)s;
    cevm_info in;
    cevm_get_info(&in);
    uint32_t used = in.ram_pages_total - in.ram_pages_free;
    uint32_t max_used = in.ram_pages_total - in.ram_pages_min_free;
    printf("Windows CE Kernel Memory Usage Tool 0.2 (cevm)\n");
    printf("Page size=%u, %u total physical pages, %u free pages, %u min free pages, %u bytes "
           "used, %u max bytes used\n",
           PAGE, in.ram_pages_total, in.ram_pages_free, in.ram_pages_min_free, used * PAGE,
           max_used * PAGE);
    if (strcmp(in.profile, "ce5")) {
        view_mi_ce6(&in, full);
        if (full)
            printf("\nLegend: - reserved, W read-write RAM, r read-only RAM, c module code in RAM, "
                   "S stack, n PAGE_NOACCESS, g guard page, P not RAM (device)\n");
        return 0;
    }
    uint32_t slot = (in.current_process + 1) * SLOT;
    struct mi_count proc = {0, 0, 0, 0, 0, 0, 0}, large = {0, 0, 0, 0, 0, 0, 0};
    each_page(0x10000, SLOT, count_page, &proc);
    each_page(LARGE_LO, LARGE_HI, count_page, &large);
    printf("\nMemory usage for Process '%s' pid %x (slot %u at 0x%08X)\n", in.process_name,
           in.current_process, in.current_process + 1, slot);
    mi_summary(&proc);
    struct mi_modules mods;
    mods.n = cevm_modules(mods.list, 32);
    if (mods.n > 32)
        mods.n = 32;
    for (size_t i = 0; i < mods.n; i++)
        printf("Module %-24s 0x%08X-0x%08X (slot 0x%08X) %u KB\n", mods.list[i].name,
               mods.list[i].base, mods.list[i].base + mods.list[i].size - 1,
               slot + mods.list[i].base, mods.list[i].size / 1024);
    if (full)
        mi_blocks(0x10000, SLOT, slot + 0x10000, &mods);
    printf("\nLarge memory area 0x%08X-0x%08X\n", LARGE_LO, LARGE_HI - 1);
    mi_summary(&large);
    if (full)
        mi_blocks(LARGE_LO, LARGE_HI, LARGE_LO, &mods);
    printf("\nTotal R/W data + stack: %u pages\n", proc.rw + proc.stack + large.rw + large.stack);
    if (full)
        printf("\nLegend: - reserved, W read-write RAM, r read-only RAM, c module code in RAM, "
               "S stack, n PAGE_NOACCESS, g guard page, P not RAM (device)\n");
    return 0;
}

/* ---- the static windows ------------------------------------------------------------------ */

int view_oem(struct session *s)
{
    (void)s;
    cevm_oem_row rows[64];
    size_t n = cevm_board_oem_rows(rows, 64);
    size_t ndev = 0;
    for (size_t i = 0; i < n && i < 64; i++)
        ndev += rows[i].device != 0;
    printf("OEMAddressTable: %zu rows%s\n", n - ndev,
           ndev ? " (new style: 0x87654321 first, cached only)" : "");
    printf("  cached VA   uncached VA  physical      MB  name\n");
    for (size_t i = 0; i < n && i < 64; i++)
        if (!rows[i].device) {
            if (rows[i].alias)
                printf("  0x%08X  0x%08X   0x%08X  %4u  %s\n", rows[i].va, rows[i].va | 0x20000000u,
                       rows[i].pa, rows[i].mb, rows[i].label);
            else
                printf("  0x%08X  -            0x%08X  %4u  %s\n", rows[i].va, rows[i].pa,
                       rows[i].mb, rows[i].label);
        }
    if (ndev) {
        printf("OEMDeviceTable: %zu entries\n", ndev);
        printf("  VA          physical    bytes       attributes  name\n");
        for (size_t i = 0; i < n && i < 64; i++)
            if (rows[i].device)
                printf("  0x%08X  0x%08X  0x%08X  0x%08X  %s\n", rows[i].va, rows[i].pa,
                       rows[i].bytes, rows[i].attr, rows[i].label);
    }
    return 0;
}

/* ---- page-table entries ------------------------------------------------------------------ */

int view_pte(struct session *s, uint32_t addr, uint32_t size)
{
    if ((uint64_t)addr + size > 0x100000000ull || size > 0x1000000) {
        lang_error(s, "pte ADDR [SIZE]: at most 16 MB inside the 4 GB space");
        return -1;
    }
    uint32_t first = addr & ~(PAGE - 1);
    uint32_t n = (uint32_t)(((uint64_t)addr + (size ? size : 1) + PAGE - 1 - first) / PAGE);
    printf("  VA          state        PTE         physical      protection                 "
           "kind\n");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t va = first + i * PAGE;
        cevm_page_info p;
        cevm_page(va, &p);
        char prot[64];
        if (p.state == MEM_COMMIT)
            printf("  0x%08X  %-11s  0x%08X  0x%010llX  %-26s %s\n", va, lang_state_name(p.state),
                   p.pte, (unsigned long long)p.pa, lang_protect_name(p.protect, prot, sizeof prot),
                   page_kind(&p));
        else
            printf("  0x%08X  %-11s  -           -             -\n", va, lang_state_name(p.state));
    }
    return 0;
}

/* ---- who maps this page ------------------------------------------------------------------ */

struct who_ctx {
    uint64_t pa;
    uint32_t slot;
    int found;
};

static void who_page(uint32_t va, void *ctx)
{
    struct who_ctx *w = ctx;
    cevm_page_info p;
    cevm_page(va, &p);
    if (p.state != MEM_COMMIT || p.pa != w->pa)
        return;
    char prot[64];
    if (va < SLOT)
        printf("  0x%08X  process slot (0x%08X)  %-26s %s\n", va, w->slot | va,
               lang_protect_name(p.protect, prot, sizeof prot), page_kind(&p));
    else
        printf("  0x%08X  large area              %-26s %s\n", va,
               lang_protect_name(p.protect, prot, sizeof prot), page_kind(&p));
    w->found++;
}

int view_who(struct session *s, uint64_t pa)
{
    (void)s;
    pa &= ~(uint64_t)(PAGE - 1);
    cevm_info in;
    cevm_get_info(&in);
    struct who_ctx w = {pa, (in.current_process + 1) * SLOT, 0};
    printf("who maps physical page 0x%llX:\n", (unsigned long long)pa);
    cevm_oem_row rows[64];
    size_t n = cevm_board_oem_rows(rows, 64);
    for (size_t i = 0; i < n && i < 64; i++) {
        uint64_t lo = rows[i].pa, hi = lo + (uint64_t)rows[i].bytes;
        if (pa >= lo && pa < hi) {
            uint32_t va = rows[i].va + (uint32_t)(pa - lo);
            printf("  0x%08X  static cached window    %-26s %s\n", va, "PAGE_READWRITE",
                   rows[i].label);
            w.found++;
            if (rows[i].alias) {
                printf("  0x%08X  static uncached window  %-26s %s\n", va | 0x20000000u,
                       "PAGE_READWRITE|PAGE_NOCACHE", rows[i].label);
                w.found++;
            }
        }
    }
    if (strcmp(in.profile, "ce5")) { /* CE 6+: user space, kernel DLLs and kernel VM */
        each_page(0x10000, USER_HI, who_page, &w);
        each_page(in.kernel_dll_base, KVM_HI, who_page, &w);
    } else {
        each_page(0x10000, SLOT, who_page, &w);
        each_page(LARGE_LO, LARGE_HI, who_page, &w);
    }
    if (!w.found)
        printf("  nothing\n");
    int refs = cevm_frame_refcount(pa);
    if (refs >= 0)
        printf("  RAM frame, %d reference%s\n", refs, refs == 1 ? "" : "s");
    return 0;
}

/* ---- frames and devices ------------------------------------------------------------------ */

int view_frames(struct session *s)
{
    (void)s;
    cevm_info in;
    cevm_get_info(&in);
    printf("RAM frames: %u total, %u free, %u fewest free since boot\n", in.ram_pages_total,
           in.ram_pages_free, in.ram_pages_min_free);
    cevm_board_region regs[64];
    size_t n = cevm_board_regions(regs, 64);
    for (size_t r = 0; r < n && r < 64; r++) {
        if (strcmp(regs[r].kind, "ram"))
            continue;
        uint64_t start = regs[r].pa, end = regs[r].pa + regs[r].size;
        while (start < end) {
            int ref = cevm_frame_refcount(start);
            uint64_t run = start + PAGE;
            while (run < end && cevm_frame_refcount(run) == ref)
                run += PAGE;
            uint64_t frames = (run - start) / PAGE;
            if (ref == 0)
                printf("  0x%08llX-0x%08llX  %6llu frame%s free\n", (unsigned long long)start,
                       (unsigned long long)run - 1, (unsigned long long)frames,
                       frames == 1 ? " " : "s");
            else
                printf("  0x%08llX-0x%08llX  %6llu frame%s in use, %d reference%s each\n",
                       (unsigned long long)start, (unsigned long long)run - 1,
                       (unsigned long long)frames, frames == 1 ? " " : "s", ref,
                       ref == 1 ? "" : "s");
            start = run;
        }
    }
    return 0;
}

int view_devices(struct session *s)
{
    (void)s;
    cevm_board_region regs[64];
    size_t n = cevm_board_regions(regs, 64);
    printf("  physical range             size        kind           name\n");
    for (size_t i = 0; i < n && i < 64; i++) {
        uint64_t sz = regs[i].size;
        char size[32];
        if (sz % 0x100000 == 0)
            snprintf(size, sizeof size, "%llu MB", (unsigned long long)(sz >> 20));
        else if (sz % 0x400 == 0)
            snprintf(size, sizeof size, "%llu KB", (unsigned long long)(sz >> 10));
        else
            snprintf(size, sizeof size, "0x%llX", (unsigned long long)sz);
        printf("  0x%08llX-0x%08llX  %-10s  %-16s  %s\n", (unsigned long long)regs[i].pa,
               (unsigned long long)(regs[i].pa + sz - 1), size, regs[i].kind, regs[i].name);
    }
    cevm_irq_info irqs[128];
    size_t ni = cevm_irqs(irqs, 128), shown = 0;
    for (size_t i = 0; i < ni && i < 128; i++) /* lines worth a look: asserted or held back */
        if (irqs[i].level || irqs[i].masked) {
            if (!shown++)
                printf("  interrupt lines asserted or masked:\n");
            printf("    IRQ %u %s (%s): %s%s\n", irqs[i].irq, irqs[i].name,
                   irqs[i].device[0] ? irqs[i].device : "model", irqs[i].level ? "asserted" : "low",
                   irqs[i].masked ? ", masked (no InterruptDone yet, or InterruptMask)" : "");
        }
    return 0;
}

int view_irqs(void)
{
    cevm_irq_info irqs[128];
    size_t n = cevm_irqs(irqs, 128);
    printf("  IRQ  name      device  line      SYSINTR  state     delivered  done\n");
    for (size_t i = 0; i < n && i < 128; i++) {
        const cevm_irq_info *q = &irqs[i];
        char id[16] = "-";
        if (q->sysintr)
            snprintf(id, sizeof id, "%u", q->sysintr);
        const char *state = !q->sysintr   ? "-"
                            : !q->enabled ? "idle"
                            : q->masked   ? "masked"
                                          : "enabled";
        printf("  %-4u %-9s %-7s %-9s %-8s %-9s %-10llu %llu\n", q->irq,
               q->name[0] ? q->name : "(model)", q->device[0] ? q->device : "-",
               q->level ? "asserted" : "low", id, state, (unsigned long long)q->delivered,
               (unsigned long long)q->done);
    }
    return 0;
}

void trace_interrupts(uint64_t *seen)
{
    cevm_interrupt_event ev[256];
    uint64_t total = cevm_interrupt_log(ev, 256);
    if (total <= *seen)
        return;
    uint64_t n = total - *seen;
    if (n > 256) {
        fprintf(stderr, "trace: %llu interrupt events not shown (256 are kept)\n",
                (unsigned long long)(n - 256));
        n = 256;
    }
    static const char *const kinds[] = {"",
                                        "interrupt delivered",
                                        "InterruptDone",
                                        "InterruptInitialize",
                                        "InterruptDisable",
                                        "InterruptMask(TRUE)",
                                        "InterruptMask(FALSE)"};
    cevm_irq_info irqs[128];
    size_t ni = cevm_irqs(irqs, 128);
    size_t kept = total < 256 ? (size_t)total : 256; /* ev[0..kept) oldest first */
    for (size_t i = kept - (size_t)n; i < kept; i++) {
        const cevm_interrupt_event *e = &ev[i];
        const char *name = "";
        for (size_t k = 0; k < ni && k < 128; k++)
            if (irqs[k].irq == e->irq)
                name = irqs[k].name;
        fprintf(stderr, "trace: %s: SYSINTR %u (IRQ %u%s%s) at %llu.%06llu ms\n",
                e->kind > 0 && e->kind <= 6 ? kinds[e->kind] : "interrupt event", e->sysintr,
                e->irq, name[0] ? " " : "", name, (unsigned long long)(e->time_ns / 1000000u),
                (unsigned long long)(e->time_ns % 1000000u));
    }
    *seen = total;
}

/* The line and delivered count of IRQ irq. Return: 1 when it is known. */
static int irq_state(uint32_t irq, int *level, uint64_t *delivered, char *name, size_t cap)
{
    cevm_irq_info q[128];
    size_t n = cevm_irqs(q, 128);
    for (size_t i = 0; i < n && i < 128; i++)
        if (q[i].irq == irq) {
            *level = q[i].level;
            *delivered = q[i].delivered;
            snprintf(name, cap, "%s", q[i].name);
            return 1;
        }
    return 0;
}

int wait_irq(uint32_t irq, uint64_t limit_ms, uint64_t *waited, char *name, size_t cap)
{
    int level = 0;
    uint64_t start = 0, now = 0;
    name[0] = '\0';
    irq_state(irq, &level, &start, name, cap);
    for (*waited = 0;; ++*waited) {
        if (irq_state(irq, &level, &now, name, cap) && (level || now > start))
            return 0;
        if (*waited == limit_ms)
            return -1;
        if (cevm_clock_advance_ms(1) != CEVM_OK)
            Sleep(1);
    }
}
