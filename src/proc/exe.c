/*
 * exe.c — a CE program's own image in the EXE area, so `(DWORD)&global` is a CE address.
 *
 * On CE 5 a process's EXE starts at 0x00010000 of its slot (seen through slot 0). A program built
 * with the cevm-ce-exe flags is a non-PIE executable linked at 0x10000, with an empty segment at
 * 4 GiB so the kernel starts its brk heap above the window. At boot the identity window leaves
 * the image's blocks alone (exe_find gives the hole); exe_adopt then reserves the same slot-0
 * range in the current process slot as MEM_IMAGE, copies the image's bytes into the new RAM
 * frames through the slot view, protects each page as its segment, and only then lets the VM map
 * the slot-0 alias over the image's writable pages: each run is replaced in one mmap by frames
 * holding the same bytes, so the program never sees its data missing. Globals then live in CE
 * memory: both views, VirtualQuery says MEM_IMAGE, fork copies them with the rest of CE memory.
 * Code and constants keep the program's own private pages at slot 0 (the machine's alias_skip
 * range; the VM's copy serves the process-slot view): a debugger can plant breakpoints only in
 * private pages, and code never changes.
 *
 * At shutdown exe_release does the reverse for the data: each run of pages is copied into fresh
 * private memory, given the segment's host protection and moved over the frames with mremap (again
 * one step), before the VM releases the reservation; the next boot adopts the image again. Another
 * thread running the program's code during either step would see it move: boot and shut down before
 * starting threads. Only in the identity window.
 */
#define _GNU_SOURCE
#include "proc/exe.h"

#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cevm/cevm.h"
#include "core/machine.h"
#include "proc/image.h"
#include "proc/stack.h"
#include "winnt.h"

#define EXE_MAX_PH 32
#define EXE_BASE   0x10000u /* CE 5's EXE base in a slot */

static struct {
    Elf64_Phdr ph[EXE_MAX_PH];
    unsigned nph;
    uintptr_t lo, end, hi; /* first page, end of the last segment (pages), end in 64 KB blocks */
    uintptr_t data_lo;     /* first page of a writable segment: below it, code and constants */
    uintptr_t stack_lo, stack_hi; /* the main thread's stack, right above the image (or 0) */
    int found, adopted;
} g_exe;

/* The main thread's stack: CE's 64 KB times four, and room for what a test framework and the C
 * library need there. */
#define EXE_MAIN_STACK 0x100000u
/* The lowest bytes stay inaccessible: the overflow zone the VM gives every stack. */
#define EXE_STACK_ZONE 0x4000u

static int find_main(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    /* The first object is the program: non-PIE (no load bias) with every segment below 4 GiB
     * either in slot 0 from the EXE base, or the brk anchor at 4 GiB and above. */
    g_exe.found = 0;
    if (info->dlpi_addr != 0 || info->dlpi_phnum > EXE_MAX_PH)
        return 1;
    uintptr_t lo = UINTPTR_MAX, end = 0, data_lo = UINTPTR_MAX;
    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const Elf64_Phdr *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD || !p->p_memsz || p->p_vaddr >= WINDOW_SIZE)
            continue;
        if ((p->p_flags & PF_W) && p->p_vaddr < data_lo)
            data_lo = p->p_vaddr & ~(uintptr_t)0xFFF;
        if (p->p_vaddr < lo)
            lo = p->p_vaddr & ~(uintptr_t)0xFFF;
        uintptr_t e = (p->p_vaddr + p->p_memsz + 0xFFF) & ~(uintptr_t)0xFFF;
        if (e > end)
            end = e;
    }
    if (lo != EXE_BASE || end > CE_SECTION_SIZE)
        return 1;
    memcpy(g_exe.ph, info->dlpi_phdr, info->dlpi_phnum * sizeof *g_exe.ph);
    g_exe.nph = info->dlpi_phnum;
    g_exe.lo = lo;
    g_exe.end = end;
    g_exe.hi = (end + 0xFFFF) & ~(uintptr_t)0xFFFF;
    g_exe.data_lo = data_lo < end ? data_lo : end;
    g_exe.found = 1;
    return 1;
}

int exe_find(uintptr_t *lo, uintptr_t *hi)
{
    if (!g_exe.adopted)
        dl_iterate_phdr(find_main, NULL);
    if (!g_exe.found)
        return 0;
    *lo = g_exe.lo;
    *hi = g_exe.stack_hi ? g_exe.stack_hi : g_exe.hi;
    return 1;
}

int cevm_exe_run_main(void (*fn)(void *), void *arg)
{
    uintptr_t lo, hi;
    /* Before the first boot only: afterwards the window holds the addresses above the image. */
    if (g_exe.stack_lo || cevm_is_booted() || !exe_find(&lo, &hi))
        return -1;
    void *want = (void *)hi;
    void *p = mmap(want, EXE_MAIN_STACK, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != want) {
        if (p != MAP_FAILED)
            munmap(p, EXE_MAIN_STACK);
        return -1;
    }
    mprotect(p, EXE_STACK_ZONE, PROT_NONE);
    g_exe.stack_lo = hi;
    g_exe.stack_hi = hi + EXE_MAIN_STACK;
    cevm_stack_call(fn, arg, (char *)p + EXE_MAIN_STACK);
    return 0;
}

int exe_adopted(void)
{
    return __atomic_load_n(&g_exe.adopted, __ATOMIC_RELAXED);
}

/* Per page of the image: 0 gap, 1 read-only, 2 read-write (image_page_perms). Return: the
 * malloc'ed array, or NULL (no memory). */
static uint8_t *page_perms(uint32_t pages)
{
    uint8_t *perm = malloc(pages);
    if (perm)
        image_page_perms(g_exe.ph, g_exe.nph, g_exe.lo, pages, perm);
    return perm;
}

/* ---- moving the data ------------------------------------------------------------------ */

/* One run of data pages moving between the program's private memory and CE frames. */
struct move {
    uintptr_t at; /* the pages' (slot-0) address */
    size_t len;
    void *other;  /* adopt: the frames' slot view; release: the private copy */
    int fd, prot; /* adopt: the frames' backing and the host protection */
    off_t off;
};

/* A system call with no library wrapper in between (sanitizers intercept mmap and friends). */
static long raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#else
    return syscall(n, a, b, c, d, e, f);
#endif
}

__attribute__((no_sanitize_address, no_sanitize("thread"), noinline)) static void
raw_copy(volatile uint64_t *dst, const volatile uint64_t *src, size_t len)
{
    for (size_t i = 0; i < len / sizeof *dst; i++)
        dst[i] = src[i];
}

/* Run the moves with nothing else in between: no sanitizer hook, no intercepted call. A runtime
 * linked into the program (ThreadSanitizer's) keeps its own state in these pages and updates it
 * on every hook, so anything it did between a copy and the mapping that follows would be lost.
 * adopt: copy each run into its frames, then map the frames over it; else copy the frames into
 * the private pages, protect them and move them over the frames. Return: how many runs moved. */
__attribute__((no_sanitize_address, no_sanitize("thread"), noinline)) static size_t
move_runs(const struct move *mv, size_t n, int adopt)
{
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        const struct move *m = &mv[i];
        /* A gap between segments has nothing to copy; read-only pages were copied before. */
        if (adopt ? (m->prot & PROT_WRITE) != 0 : m->prot != PROT_NONE)
            raw_copy(m->other, (const void *)m->at, m->len);
        if (adopt) {
            if (raw_syscall(SYS_mmap, (long)m->at, (long)m->len, m->prot, MAP_SHARED | MAP_FIXED,
                            m->fd, (long)m->off) != (long)m->at)
                break;
        } else {
            raw_syscall(SYS_mprotect, (long)m->other, (long)m->len, m->prot, 0, 0, 0);
            if (raw_syscall(SYS_mremap, (long)m->other, (long)m->len, (long)m->len,
                            MREMAP_MAYMOVE | MREMAP_FIXED, (long)m->at, 0) != (long)m->at)
                break;
        }
        done++;
    }
    return done;
}

/* The runs of data pages (from data_lo): equal protection and, to adopt, frames that follow
 * each other in one backing. Return: how many, or -1 (no memory). *out is malloc'ed. */
static long data_runs(struct machine *m, uint32_t abs, const uint8_t *perm, uint32_t pages,
                      struct move **out)
{
    uint32_t first = (uint32_t)((g_exe.data_lo - g_exe.lo) / 0x1000);
    struct move *mv = calloc(pages - first + 1, sizeof *mv);
    if (!mv)
        return -1;
    long n = 0;
    for (uint32_t p = first; p < pages; p++) {
        const struct vm_page *pg = vm_page_at(&m->vm, abs + p * 0x1000u, NULL);
        const struct phys_region *r = pg ? phys_find(&m->pm, vm_page_pa(pg)) : NULL;
        int prot = perm[p] == 2 ? PROT_READ | PROT_WRITE : perm[p] ? PROT_READ : PROT_NONE;
        off_t off = r ? (off_t)(r->fd_off + (vm_page_pa(pg) - r->pa)) : 0;
        uintptr_t at = g_exe.lo + (uintptr_t)p * 0x1000u;
        struct move *last = n ? &mv[n - 1] : NULL;
        if (last && last->prot == prot && last->fd == (r ? r->fd : -1) &&
            last->off + (off_t)last->len == off && last->at + last->len == at) {
            last->len += 0x1000u;
            continue;
        }
        mv[n++] = (struct move){
            at, 0x1000u, window_ptr(&m->win, abs + p * 0x1000u), r ? r->fd : -1, prot, off};
    }
    *out = mv;
    return n;
}

int exe_adopt(struct machine *m, char *err, size_t errlen)
{
    uint32_t pages = (uint32_t)((g_exe.end - g_exe.lo) / 0x1000);
    uint8_t *perm = page_perms(pages);
    if (!perm) {
        snprintf(err, errlen, "no memory to adopt the program image");
        return -1;
    }
    /* The slot view only, until the frames hold the image's bytes. */
    m->alias_skip_lo = (uint32_t)g_exe.lo;
    m->alias_skip_hi = (uint32_t)g_exe.hi;
    uint32_t e = vm_image_reserve_at(&m->vm, (uint32_t)g_exe.lo, pages * 0x1000u);
    if (e) {
        m->alias_skip_lo = m->alias_skip_hi = 0;
        free(perm);
        snprintf(err, errlen, "cannot reserve the program image at 0x%08lX (error %u)",
                 (unsigned long)g_exe.lo, e);
        return -1;
    }
    uint32_t abs = vm_slot_base(&m->vm) | (uint32_t)g_exe.lo;
    unsigned char *slot_view = window_ptr(&m->win, abs);
    /* Pages nobody writes (code, constants, RELRO) are copied now; writable ones as they move. */
    for (uint32_t p = 0; p < pages; p++)
        if (perm[p] == 1)
            memcpy(slot_view + (size_t)p * 0x1000u, (const void *)(g_exe.lo + (size_t)p * 0x1000u),
                   0x1000u);
    image_protect_pages(&m->vm, abs, perm, pages);
    /* Now the data's alias: each run moves into its frames in one mmap. Code and constants keep
     * the program's own pages at slot 0 (private, so a debugger can still plant breakpoints
     * there); the VM's copy serves the slot view. */
    struct move *mv = NULL;
    long n = data_runs(m, abs, perm, pages, &mv);
    free(perm);
    if (n < 0 || move_runs(mv, (size_t)n, 1) != (size_t)n) {
        free(mv);
        snprintf(err, errlen, "the host refused to map the program image's data");
        return -1;
    }
    free(mv);
    m->alias_skip_hi = (uint32_t)g_exe.data_lo;
    /* The main thread's stack: described by the VM, the program's own memory at slot 0. */
    if (g_exe.stack_lo) {
        m->main_stack_lo = (uint32_t)g_exe.stack_lo;
        m->main_stack_hi = (uint32_t)g_exe.stack_hi;
        e = vm_stack_reserve_at(&m->vm, (uint32_t)g_exe.stack_lo, EXE_MAIN_STACK);
        if (e)
            fprintf(stderr, "cevm: the main thread's stack stays unknown to the VM (error %u)\n",
                    e);
    }
    __atomic_store_n(&g_exe.adopted, 1, __ATOMIC_RELAXED);
    return 0;
}

int exe_hold(struct machine *m)
{
    uint32_t e = vm_hold(&m->vm, (uint32_t)g_exe.lo, (uint32_t)(g_exe.end - g_exe.lo), VB_IMAGE);
    if (!e && g_exe.stack_lo)
        e = vm_hold(&m->vm, (uint32_t)g_exe.stack_lo, EXE_MAIN_STACK, VB_STACK);
    return e ? -1 : 0;
}

void exe_release(struct machine *m)
{
    if (!g_exe.adopted)
        return;
    uint32_t pages = (uint32_t)((g_exe.end - g_exe.lo) / 0x1000);
    uint32_t abs = vm_slot_base(&m->vm) | (uint32_t)g_exe.lo;
    uint8_t *perm = page_perms(pages);
    struct move *mv = NULL;
    long n = perm ? data_runs(m, abs, perm, pages, &mv) : -1;
    /* Each run gets private pages first; then all move back with nothing in between. */
    long ready = 0;
    for (; ready < n; ready++) {
        void *tmp =
            mmap(NULL, mv[ready].len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (tmp == MAP_FAILED)
            break;
        mv[ready].other = tmp;
    }
    size_t moved = ready > 0 ? move_runs(mv, (size_t)ready, 0) : 0;
    for (long i = (long)moved; i < ready; i++)
        munmap(mv[i].other, mv[i].len);
    free(mv);
    free(perm);
    /* The VM lets go of the frames; the alias is the program's own memory again (or, for runs
     * the host refused to copy, stays mapped to the frames, which outlive the machine). */
    m->alias_skip_lo = (uint32_t)g_exe.lo;
    m->alias_skip_hi = (uint32_t)g_exe.hi;
    vm_image_release(&m->vm, (uint32_t)g_exe.lo);
    m->alias_skip_lo = m->alias_skip_hi = 0;
    __atomic_store_n(&g_exe.adopted, 0, __ATOMIC_RELAXED);
}
