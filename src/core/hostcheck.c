/*
 * hostcheck.c — the host half of the invariant checker: the host window must match the page
 * tables page by page.
 *
 * It reads /proc/self/maps and, for every 4 KB page of the 4 GB window, compares what the host
 * has with what the page tables want: a committed, backed page must be a shared view of its
 * frame's backing at the frame's offset, readable and writable exactly as its descriptor says
 * (PROT_NONE for guard and no-access pages); a static-window page must be a read-write view of
 * its row's backing; every other page must be inaccessible (the window's anonymous PROT_NONE
 * reservation). The slot-0 alias is checked against the process slot. Pages marked stale (a
 * host call failed and the next touch will repair them) are skipped. Cost: O(window pages),
 * a few milliseconds.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "vm/profile.h"
#include "vm/vm_internal.h"

struct host_map {
    uint64_t start, end, offset;
    char perms[5];
    char path[128];
};

static int by_start(const void *a, const void *b)
{
    const struct host_map *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The /proc/self/maps entries that overlap [lo, hi). Return: count, or -1. */
static int read_maps(uint64_t lo, uint64_t hi, struct host_map **out)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    int n = 0, cap = 0;
    struct host_map *v = NULL;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        struct host_map m;
        memset(&m, 0, sizeof m);
        int pos = 0;
        unsigned long long s, e, off;
        if (sscanf(line, "%llx-%llx %4s %llx %*s %*s %n", &s, &e, m.perms, &off, &pos) < 4)
            continue;
        if (e <= lo || s >= hi)
            continue;
        m.start = s;
        m.end = e;
        m.offset = off;
        if (pos > 0) {
            snprintf(m.path, sizeof m.path, "%s", line + pos);
            m.path[strcspn(m.path, "\n")] = '\0';
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct host_map *nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) {
                free(v);
                fclose(f);
                return -1;
            }
            v = nv;
        }
        v[n++] = m;
    }
    fclose(f);
    if (n)
        qsort(v, (size_t)n, sizeof *v, by_start);
    *out = v;
    return n;
}

/* What the page at CE address ce should be: present (1) with prot and backing offset, absent
 * (0), or unknown (-1: stale, skip). */
static int want(const struct machine *m, uint32_t ce, int *prot, const struct phys_region **reg,
                uint64_t *off)
{
    uint64_t pa;
    if (vm_is_static(&m->vm, ce)) {
        if (!machine_static_to_phys(m, ce, &pa) || !machine_static_part_mapped(m, ce))
            return 0; /* a part is mapped when first touched (machine.c) */
        const struct phys_region *r = phys_find(&m->pm, pa);
        if (!r || !phys_mapped(r))
            return 0;
        /* read-write unless a read-only device; nothing for an untrusted caller */
        *prot = m->vm.trusted ? phys_prot(r, 3) : 0;
        *reg = r;
        *off = r->fd_off + (pa - r->pa);
        return 1;
    }
    if (m->vm.prof->slots && ce < CE_SECTION_SIZE && machine_alias_owned(m, ce))
        return -1; /* the program's own code and main stack (proc/exe.c): host memory there */
    uint32_t a = ce < CE_SECTION_SIZE ? ce | vm_slot_base(&m->vm) : ce; /* slot 0 aliases */
    struct vm_block *blk;
    const struct vm_page *pg = vm_page_at((struct vm *)&m->vm, a, &blk);
    if (pg && (blk->flags & VB_HOST))
        return -1; /* the CE program's own image and main stack on CE 6+ (vm_hold) */
    if (!pg || pg->state != PS_COMMITTED || (pg->flags & PF_NOBACKING))
        return pg && (pg->flags & PF_HOST_STALE) ? -1 : 0;
    if (pg->flags & PF_HOST_STALE)
        return -1;
    if (m->vm.prof->slots && ce >= CE_SECTION_SIZE &&
        (ce & ~(CE_SECTION_SIZE - 1)) == vm_slot_base(&m->vm) && !(pg->views & VIEW_SLOT))
        return 0; /* a slot view not touched yet: the alias has the page (machine.c) */
    pa = vm_page_pa(pg);
    const struct phys_region *r = phys_find(&m->pm, pa);
    if (!r || r->fd < 0)
        return 0;
    int p = 0;
    if (pte_valid(pg->pte))
        p = pte_writable(pg->pte) ? 3 : 1;
    *prot = phys_prot(r, p);
    *reg = r;
    *off = r->fd_off + (pa - r->pa);
    return 1;
}

static int path_is(const char *path, const struct phys_region *r)
{
    char memfd[64];
    snprintf(memfd, sizeof memfd, "/memfd:cevm-%s", r->name);
    return !strncmp(path, memfd, strlen(memfd)) || (r->kind == REGION_FILE && path[0] == '/');
}

/* Check one page against the host mapping hm (NULL: nothing mapped there). Return: 0 or -1. */
static int check_page(const struct machine *m, uint64_t ce, const struct host_map *hm, char *err,
                      size_t errlen)
{
    int prot = 0;
    const struct phys_region *r = NULL;
    uint64_t off = 0;
    int w = want(m, (uint32_t)ce, &prot, &r, &off);
    if (w < 0)
        return 0;
    if (w == 0) {
        /* Inaccessible: the window's anonymous reservation, or a view the VM released, which
         * stays mapped PROT_NONE until the page is mapped again (window_release). */
        if (hm && (hm->perms[0] != '-' || hm->perms[1] != '-' || hm->perms[2] != '-')) {
            snprintf(err, errlen, "CE 0x%08llX should be inaccessible but the host has it %s %s",
                     (unsigned long long)ce, hm->perms, hm->path);
            return -1;
        }
        return 0;
    }
    uint64_t host = m->win.base + ce;
    uint64_t host_off = hm ? hm->offset + (host - hm->start) : 0;
    int host_prot = hm ? (hm->perms[0] == 'r') | (hm->perms[1] == 'w') << 1 : -1;
    if (!hm || hm->perms[3] != 's' || !path_is(hm->path, r) || host_off != off ||
        host_prot != prot) {
        snprintf(err, errlen,
                 "CE 0x%08llX should map %s+0x%llX %s%s but the host has %s %s +0x%llX",
                 (unsigned long long)ce, r->name, (unsigned long long)off, prot & 1 ? "r" : "-",
                 prot & 2 ? "w" : "-", hm ? hm->perms : "nothing", hm ? hm->path : "",
                 (unsigned long long)host_off);
        return -1;
    }
    return 0;
}

/* In [lo, hi), which the host keeps inaccessible (or has nothing at), only pages that could be
 * present need a look: those of used blocks (through slot 0 too) and of static-window rows. */
static int check_inaccessible(const struct machine *m, uint64_t lo, uint64_t hi,
                              const struct host_map *hm, char *err, size_t errlen)
{
    uint32_t slot_block = vm_slot_base(&m->vm) >> 16;
    for (uint64_t b = lo >> 16; b < CE_ALL_BLOCKS && (b << 16) < hi; b++) {
        uint32_t abs = b < CE_BLOCKS_PER_SECTION ? (uint32_t)b | slot_block : (uint32_t)b;
        if (!((m->vm.used[abs / 64] >> (abs % 64)) & 1))
            continue;
        for (uint64_t ce = b << 16; ce < ((b + 1) << 16); ce += CE_PAGE_SIZE)
            if (ce >= lo && ce < hi && check_page(m, ce, hm, err, errlen))
                return -1;
    }
    for (size_t i = 0; i < m->board.noem; i++)
        for (uint32_t alias = 0; alias <= 0x20000000u; alias += 0x20000000u) {
            const struct board_oem_row *row = &m->board.oem[i];
            if (alias && !machine_static_alias(m, row))
                break; /* Compact 7's new-style table maps its rows cached only */
            uint64_t s = (uint64_t)(row->va | alias);
            uint64_t e = s + row->bytes;
            for (uint64_t ce = s > lo ? s : lo; ce < e && ce < hi;) {
                if (check_page(m, ce, hm, err, errlen))
                    return -1;
                /* A region without a backing (an unimplemented device) is never mapped: its
                 * first page speaks for the rest of it. */
                uint64_t pa = (uint64_t)row->pa + (ce - s);
                const struct phys_region *r = phys_find(&m->pm, pa);
                ce += r && !phys_mapped(r) ? ((r->pa + r->size - pa) + CE_PAGE_SIZE - 1) &
                                                 ~(uint64_t)(CE_PAGE_SIZE - 1)
                                           : CE_PAGE_SIZE;
            }
        }
    return 0;
}

/* Is [s, e) inside one static-window row and one backed region? Then the host mapping there,
 * being linear, is right everywhere once its first and last pages are. */
static int linear_static(const struct machine *m, uint64_t s, uint64_t e)
{
    uint64_t pa0, pa1;
    if (s < CE_KERNEL_BASE || !vm_is_static(&m->vm, (uint32_t)(e - 1)) ||
        e - s < 2ull * CE_PAGE_SIZE || !machine_static_to_phys(m, (uint32_t)s, &pa0) ||
        !machine_static_to_phys(m, (uint32_t)(e - CE_PAGE_SIZE), &pa1) ||
        pa1 - pa0 != e - CE_PAGE_SIZE - s)
        return 0;
    const struct phys_region *r = phys_find(&m->pm, pa0);
    return r && r->fd >= 0 && pa1 < r->pa + r->size;
}

int machine_check_host(const struct machine *m, char *err, size_t errlen)
{
    uint64_t base = m->win.base;
    struct host_map *maps = NULL;
    int n = read_maps(base, base + WINDOW_SIZE, &maps);
    if (n < 0) {
        snprintf(err, errlen, "cannot read /proc/self/maps");
        return -1;
    }
    int rc = 0;
    uint64_t at = 0; /* CE address up to which the window has been checked */
    for (int k = 0; k <= n && rc == 0; k++) {
        uint64_t s = k < n ? (maps[k].start > base ? maps[k].start - base : 0) : WINDOW_SIZE;
        uint64_t e = k < n ? maps[k].end - base : WINDOW_SIZE;
        if (e > WINDOW_SIZE)
            e = WINDOW_SIZE;
        if (s > at) /* nothing mapped: a hole in the window */
            rc = check_inaccessible(m, at, s, NULL, err, errlen);
        if (rc || k == n)
            break;
        const struct host_map *hm = &maps[k];
        int anon_none = hm->perms[0] == '-' && hm->perms[1] == '-' && hm->perms[3] == 'p' &&
                        (hm->path[0] == '\0' || hm->path[0] == '[');
        if (anon_none)
            rc = check_inaccessible(m, s, e, hm, err, errlen);
        else if (linear_static(m, s, e))
            rc = check_page(m, s, hm, err, errlen) ||
                 check_page(m, e - CE_PAGE_SIZE, hm, err, errlen);
        else
            for (uint64_t ce = s; ce < e && rc == 0; ce += CE_PAGE_SIZE)
                rc = check_page(m, ce, hm, err, errlen);
        at = e;
    }
    free(maps);
    return rc;
}
