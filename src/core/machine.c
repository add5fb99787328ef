/*
 * machine.c — boots and tears down the machine and implements the native API around it.
 *
 * Boot: read the board (config text, config path, $CEVM_BOARD or the built-in board), add the
 * unimplemented ranges, reserve the host window, create the backings, map the OEMAddressTable's
 * cached and uncached static windows onto them (true aliases of the same backing), set up the
 * CE address space and install the fault handler. Each step is undone if a later one fails.
 */
#define _GNU_SOURCE
#include "ce/trace.h"
#include "host/host.h"
#include "core/machine.h"
#include "vm/profile.h"
#include "driver/devmgr.h"

#include "ce/clock.h"
#include "ce/interrupt.h"
#include "proc/caller.h"
#include "proc/exe.h"
#include "proc/image.h"
#include "proc/stack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ce/ce_api.h"
#include "ce/heap.h"
#include "core/fault.h"
#include "registry/registry.h"
#include "registry/regparse.h"

struct machine *g_machine;
CEVM_TLS int t_lock_depth;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
/* The last lazy boot's failure (empty after a good boot): printed once, kept for
 * cevm_boot_error(). */
static char g_boot_error[512];
static cevm_status g_boot_status;

#define MB           0x100000u
#define UNCACHED_BIT 0x20000000u

/* Bumped each time anyone takes the machine lock: whatever changes the address space does so
 * under the lock, so a translation tagged with the value it read under the lock is good while
 * the value stands (the register accessors' cache, dev/device.c). */
_Atomic unsigned long g_map_gen;

void machine_lock(void)
{
    pthread_mutex_lock(&g_lock);
    t_lock_depth++;
    atomic_fetch_add_explicit(&g_map_gen, 1, memory_order_relaxed);
}

void machine_unlock(void)
{
    t_lock_depth--;
    pthread_mutex_unlock(&g_lock);
}

/* ---- vm_ops: CE pages into the host window, with the slot-0 alias --------------------- */

/* On CE 5 a page of the current process has two host views: its slot address and its slot-0
 * alias. Programs use the alias (VirtualAlloc returns slot-0 addresses), so the ops map the
 * alias with the page and the slot view only when something touches it (the fault handler calls
 * machine_map_slot_view): a mapping costs one host mapping, as in the large area. vm_page.views
 * says which slot views are mapped, so protect and unmap reach only those. */

/* Does absolute address va have a slot-0 alias the ops maintain? (CE 5 only: CE 6+ has none) */
static int has_alias(const struct machine *m, uint32_t va)
{
    if (!m->vm.prof->slots || (va & ~(CE_SECTION_SIZE - 1)) != vm_slot_base(&m->vm))
        return 0;
    return !machine_alias_owned(m, va & (CE_SECTION_SIZE - 1));
}

static int slot_view_mapped(struct machine *m, uint32_t va)
{
    const struct vm_page *pg = vm_page_at(&m->vm, va, NULL);
    return pg && (pg->views & VIEW_SLOT);
}

static void set_slot_view(struct machine *m, uint32_t va, uint32_t n, int mapped)
{
    for (uint32_t i = 0; i < n; i++) {
        struct vm_page *pg = vm_page_at(&m->vm, va + i * CE_PAGE_SIZE, NULL);
        if (pg)
            pg->views = (uint8_t)(mapped ? pg->views | VIEW_SLOT : pg->views & ~VIEW_SLOT);
    }
}

/* Apply fn to the runs of [va, va + n pages) whose slot view is mapped. Return: fn's results
 * or'ed. */
static int each_slot_view(struct machine *m, uint32_t va, uint32_t n,
                          int (*fn)(struct machine *m, uint32_t va, uint32_t n, void *arg),
                          void *arg)
{
    int rc = 0;
    for (uint32_t i = 0; i < n;) {
        if (!slot_view_mapped(m, va + i * CE_PAGE_SIZE)) {
            i++;
            continue;
        }
        uint32_t j = i + 1;
        while (j < n && slot_view_mapped(m, va + j * CE_PAGE_SIZE))
            j++;
        rc |= fn(m, va + i * CE_PAGE_SIZE, j - i, arg);
        i = j;
    }
    return rc;
}

/* Map n pages at CE address ce (a view) onto physical pa.., region by region. */
static int map_view(struct machine *m, uint32_t ce, uint32_t n, uint64_t pa, int prot)
{
    while (n) {
        struct phys_region *r = phys_find(&m->pm, pa);
        if (!r || r->fd < 0)
            return -1;
        uint64_t room = (r->pa + r->size - pa) / CE_PAGE_SIZE;
        uint32_t cnt = room < n ? (uint32_t)room : n;
        uint64_t off = r->fd_off + (pa - r->pa), len = (uint64_t)cnt * CE_PAGE_SIZE;
        if (window_map(&m->win, ce, len, r->fd, off, phys_prot(r, prot)))
            return -1;
        ce += (uint32_t)len;
        pa += len;
        n -= cnt;
    }
    return 0;
}

struct view_map {
    uint32_t va;
    uint64_t pa;
    int prot;
};

/* A slot view that is mapped follows its page to the new frame and protection. */
static int remap_slot_view(struct machine *m, uint32_t va, uint32_t n, void *arg)
{
    const struct view_map *v = arg;
    return map_view(m, va, n, v->pa + (va - v->va), v->prot);
}

/* Is absolute va in the current process's slot (CE 5)? Its pages' slot views are tracked. */
static int in_current_slot(const struct machine *m, uint32_t va)
{
    return m->vm.prof->slots && (va & ~(CE_SECTION_SIZE - 1)) == vm_slot_base(&m->vm);
}

static int op_map(void *ctx, uint32_t va, uint32_t n, uint64_t pa, int prot)
{
    struct machine *m = ctx;
    if (!has_alias(m, va) || m->eager_views) { /* the slot view now */
        if (in_current_slot(m, va))
            set_slot_view(m, va, n, 1);
        int rc = map_view(m, va, n, pa, prot);
        if (has_alias(m, va)) /* eager: the alias too */
            rc |= map_view(m, va & (CE_SECTION_SIZE - 1), n, pa, prot);
        return rc;
    }
    struct view_map v = {va, pa, prot};
    return map_view(m, va & (CE_SECTION_SIZE - 1), n, pa, prot) |
           each_slot_view(m, va, n, remap_slot_view, &v);
}

static int unmap_slot_view(struct machine *m, uint32_t va, uint32_t n, void *arg)
{
    (void)arg;
    set_slot_view(m, va, n, 0);
    return window_release(&m->win, va, (uint64_t)n * CE_PAGE_SIZE);
}

static int op_unmap(void *ctx, uint32_t va, uint32_t n)
{
    struct machine *m = ctx;
    uint64_t len = (uint64_t)n * CE_PAGE_SIZE;
    if (!has_alias(m, va) || m->eager_views) { /* eager: both views, whatever views says */
        if (in_current_slot(m, va))
            set_slot_view(m, va, n, 0);
        int rc = window_release(&m->win, va, len);
        if (has_alias(m, va))
            rc |= window_release(&m->win, va & (CE_SECTION_SIZE - 1), len);
        return rc;
    }
    return window_release(&m->win, va & (CE_SECTION_SIZE - 1), len) |
           each_slot_view(m, va, n, unmap_slot_view, NULL);
}

static int protect_slot_view(struct machine *m, uint32_t va, uint32_t n, void *arg)
{
    return window_protect(&m->win, va, (uint64_t)n * CE_PAGE_SIZE, *(const int *)arg);
}

static int protect_views(struct machine *m, uint32_t va, uint64_t len, int prot)
{
    if (!has_alias(m, va) || m->eager_views) {
        int rc = window_protect(&m->win, va, len, prot);
        if (has_alias(m, va))
            rc |= window_protect(&m->win, va & (CE_SECTION_SIZE - 1), len, prot);
        return rc;
    }
    return window_protect(&m->win, va & (CE_SECTION_SIZE - 1), len, prot) |
           each_slot_view(m, va, (uint32_t)(len / CE_PAGE_SIZE), protect_slot_view, &prot);
}

int machine_map_slot_view(struct machine *m, uint32_t ce)
{
    uint32_t va = ce & ~(CE_PAGE_SIZE - 1);
    if (!has_alias(m, va))
        return 0;
    struct vm_block *blk;
    struct vm_page *pg = vm_page_at(&m->vm, va, &blk);
    if (!pg || pg->state != PS_COMMITTED || (pg->views & VIEW_SLOT) ||
        (pg->flags & (PF_HOST_STALE | PF_NOBACKING)) || !(pg->flags & PF_HOST))
        return 0;
    int prot =
        ((pg->flags & PF_HOST_R) ? PROT_READ : 0) | ((pg->flags & PF_HOST_W) ? PROT_WRITE : 0);
    if ((blk->flags & VB_IMAGE) && prot == PROT_READ)
        prot |= PROT_EXEC; /* as the alias: read-only pages of a module image run */
    if (map_view(m, va, 1, vm_page_pa(pg), prot))
        return 0;
    pg->views |= VIEW_SLOT;
    return 1;
}

static int op_protect(void *ctx, uint32_t va, uint32_t n, int prot)
{
    struct machine *m = ctx;
    if (!m->pm.read_only_regions)
        return protect_views(m, va, (uint64_t)n * CE_PAGE_SIZE, prot);
    /* Pages on a read-only region stay unwritable: split the run where that changes. */
    int rc = 0;
    uint32_t start = 0;
    int run_prot = -1;
    for (uint32_t i = 0; i <= n; i++) {
        int p = -1;
        if (i < n) {
            const struct vm_page *pg = vm_page_at(&m->vm, va + i * CE_PAGE_SIZE, NULL);
            const struct phys_region *r =
                pg && pg->state == PS_COMMITTED ? phys_find(&m->pm, vm_page_pa(pg)) : NULL;
            p = r ? phys_prot(r, prot) : prot;
        }
        if (p != run_prot) {
            if (run_prot >= 0)
                rc |= protect_views(m, va + start * CE_PAGE_SIZE,
                                    (uint64_t)(i - start) * CE_PAGE_SIZE, run_prot);
            start = i;
            run_prot = p;
        }
    }
    return rc;
}

static int op_backed(void *ctx, uint64_t pa)
{
    struct machine *m = ctx;
    struct phys_region *r = phys_find(&m->pm, pa);
    return r && phys_mapped(r);
}

static int op_static_pa(void *ctx, uint32_t va, uint64_t *pa)
{
    return machine_static_to_phys(ctx, va, pa);
}

/* ---- static windows ------------------------------------------------------------------ */

int machine_static_alias(const struct machine *m, const struct board_oem_row *r)
{
    return !m->board.new_style && !r->device;
}

int machine_static_uncached(const struct machine *m, uint32_t va)
{
    if (!m->board.new_style)
        return (va & UNCACHED_BIT) != 0;
    for (size_t i = 0; i < m->board.noem; i++) { /* OEMDeviceTable Attributes 0: cached */
        const struct board_oem_row *r = &m->board.oem[i];
        if (r->device && va >= r->va && va - r->va < r->bytes)
            return r->attr != 0;
    }
    return 0;
}

int machine_static_to_phys(const struct machine *m, uint32_t va, uint64_t *pa)
{
    if (va < 0x80000000u || (m->board.new_style ? va >= m->vm.static_end : va >= 0xC0000000u))
        return 0;
    for (size_t i = 0; i < m->board.noem; i++) {
        const struct board_oem_row *r = &m->board.oem[i];
        uint32_t at = va - r->va;
        if (va >= r->va && at < r->bytes) {
            *pa = (uint64_t)r->pa + at;
            return 1;
        }
        at = va - (r->va | UNCACHED_BIT);
        if (machine_static_alias(m, r) && va >= (r->va | UNCACHED_BIT) && at < r->bytes) {
            *pa = (uint64_t)r->pa + at;
            return 1;
        }
    }
    return 0;
}

/* Call fn for every backed part of each OEMAddressTable row: the row's cached VA for it, the
 * region and the part's physical range [a, b). Stops at the first non-zero return. */
static int each_static_part(const struct machine *m,
                            int (*fn)(const struct machine *m, const struct board_oem_row *row,
                                      uint32_t va, const struct phys_region *r, uint64_t a,
                                      uint64_t b, void *ctx),
                            void *ctx)
{
    for (size_t i = 0; i < m->board.noem; i++) {
        const struct board_oem_row *row = &m->board.oem[i];
        uint64_t lo = row->pa, hi = lo + (uint64_t)row->bytes;
        for (size_t k = 0; k < m->pm.n; k++) {
            const struct phys_region *r = &m->pm.r[k];
            uint64_t a = r->pa > lo ? r->pa : lo, b = r->pa + r->size < hi ? r->pa + r->size : hi;
            if (a >= b || !phys_mapped(r))
                continue;
            int rc = fn(m, row, row->va + (uint32_t)(a - lo), r, a, b, ctx);
            if (rc)
                return rc;
        }
    }
    return 0;
}

struct protect_ctx {
    struct machine *m; /* the window's views change: each_static_part passes m read-only */
    int trusted, failed;
};

static size_t part_index(const struct machine *m, const struct board_oem_row *row,
                         const struct phys_region *r)
{
    return (size_t)(row - m->board.oem) * m->pm.n + (size_t)(r - m->pm.r);
}

static int protect_part(const struct machine *m, const struct board_oem_row *row, uint32_t va,
                        const struct phys_region *r, uint64_t a, uint64_t b, void *ctx)
{
    struct protect_ctx *c = ctx;
    if (!m->static_mapped[part_index(m, row, r)])
        return 0; /* mapped with the protection of its time when first touched */
    int prot = c->trusted ? phys_prot(r, PROT_READ | PROT_WRITE) : PROT_NONE;
    struct host_window *w = &c->m->win;
    c->failed |=
        window_protect(w, va, b - a, prot) ||
        (machine_static_alias(m, row) && window_protect(w, va | UNCACHED_BIT, b - a, prot));
    return 0; /* every part is tried */
}

/* Set the host protection of every backed part of the static windows: read-write (as each
 * region allows) for a trusted caller, none for an untrusted one (CE 5 user mode cannot touch
 * kernel addresses). Return: 0, or -1 if the host refused a part. */
static int protect_static_windows(struct machine *m, int trusted)
{
    struct protect_ctx c = {m, trusted, 0};
    each_static_part(m, protect_part, &c);
    return c.failed ? -1 : 0;
}

struct map_ctx {
    struct machine *m; /* the window's views change: each_static_part passes m read-only */
    char *err;
    size_t errlen;
};

static int map_part(const struct machine *m, const struct board_oem_row *row, uint32_t va,
                    const struct phys_region *r, uint64_t a, uint64_t b, void *ctx)
{
    struct map_ctx *c = ctx;
    uint64_t off = r->fd_off + (a - r->pa);
    int prot = phys_prot(r, PROT_READ | PROT_WRITE);
    struct host_window *w = &c->m->win;
    if (window_map(w, va, b - a, r->fd, off, prot) ||
        (machine_static_alias(m, row) &&
         window_map(w, va | UNCACHED_BIT, b - a, r->fd, off, prot))) {
        snprintf(c->err, c->errlen, "%s:%d: cannot map the static window of %s at 0x%08X",
                 row->file ? row->file : m->board.source, row->line, r->name, va);
        return -1;
    }
    return 0;
}

static int map_eagerly(const struct machine *m, const struct board_oem_row *row, uint32_t va,
                       const struct phys_region *r, uint64_t a, uint64_t b, void *ctx)
{
    if (map_part(m, row, va, r, a, b, ctx))
        return -1;
    m->static_mapped[part_index(m, row, r)] = 1;
    return 0;
}

/* The static windows are mapped lazily: at boot only the table of parts is made; a part is
 * mapped at VA (cached) and VA | 0x20000000 when something first touches it (the fault
 * handler calls machine_map_static_part), with the caller's current trust. A board's table
 * spans dozens of parts (64 mmaps on the default board, half of a boot's time), of which a
 * program touches few. Return: 0, or -1 (out of memory). */
static int map_static_windows(struct machine *m, char *err, size_t errlen)
{
    if (!(m->static_mapped = calloc(m->board.noem * m->pm.n + 1, 1))) {
        snprintf(err, errlen, "out of memory for the static windows");
        return -1;
    }
    if (!m->eager_views)
        return 0;
    struct map_ctx c = {m, err, errlen};
    return each_static_part(m, map_eagerly, &c);
}

/* The row and backed region of the part holding static address ce, or 0. */
struct part_query {
    uint32_t ce;
    uint64_t pa;
    const struct board_oem_row *row;
    const struct phys_region *r;
    uint32_t va;
    uint64_t a, b;
};

/* each_static_part: is this the part holding the query's address (in its cached or uncached
 * view)? */
static int part_holding(const struct machine *m, const struct board_oem_row *row, uint32_t va,
                        const struct phys_region *r, uint64_t a, uint64_t b, void *ctx)
{
    (void)m;
    struct part_query *q = ctx;
    uint32_t base = q->ce - (uint32_t)(q->pa - a); /* the part's VA in the view ce is in */
    if (q->pa < a || q->pa >= b || (base != va && base != (va | UNCACHED_BIT)))
        return 0;
    q->row = row;
    q->r = r;
    q->va = va;
    q->a = a;
    q->b = b;
    return 1;
}

/* The row and backed region of the part holding static address ce. Return: 1, or 0 if none. */
static int find_part(const struct machine *m, uint32_t ce, struct part_query *q)
{
    q->ce = ce;
    return m->static_mapped && machine_static_to_phys(m, ce, &q->pa) &&
           each_static_part(m, part_holding, q);
}

int machine_map_static_part(struct machine *m, uint32_t ce)
{
    struct part_query q;
    if (!find_part(m, ce, &q) || m->static_mapped[part_index(m, q.row, q.r)])
        return 0;
    char err[400];
    struct map_ctx c = {m, err, sizeof err};
    if (map_part(m, q.row, q.va, q.r, q.a, q.b, &c))
        return 0; /* the access faults as an unmapped one: reported where it happened */
    m->static_mapped[part_index(m, q.row, q.r)] = 1;
    if (!m->vm.trusted) { /* mapped read-write: an untrusted caller may not touch it */
        struct protect_ctx pc = {m, 0, 0};
        protect_part(m, q.row, q.va, q.r, q.a, q.b, &pc);
    }
    return 1;
}

int machine_static_part_mapped(const struct machine *m, uint32_t ce)
{
    struct part_query q;
    return find_part(m, ce, &q) && m->static_mapped[part_index(m, q.row, q.r)];
}

/* ---- boot and shutdown --------------------------------------------------------------- */

static cevm_status window_mode_from_env(cevm_window_mode *mode, char *err, size_t errlen)
{
    const char *e = getenv("CEVM_WINDOW");
    if (!e || !*e || !strcmp(e, "auto"))
        *mode = CEVM_WINDOW_AUTO;
    else if (!strcmp(e, "identity"))
        *mode = CEVM_WINDOW_IDENTITY;
    else if (!strcmp(e, "offset"))
        *mode = CEVM_WINDOW_OFFSET;
    else {
        snprintf(err, errlen, "CEVM_WINDOW='%s': expected identity, offset or auto", e);
        return CEVM_E_INVAL;
    }
    return CEVM_OK;
}

static cevm_status boot(const cevm_config *cfg, char *err, size_t errlen);

cevm_status machine_boot_locked(const cevm_config *cfg, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    ce_trace_quiet(1); /* boot's own CE calls (the registry's load) are not the program's */
    cevm_status st = boot(cfg, err, errlen);
    ce_trace_quiet(0);
    if (st != CEVM_OK && !err[0]) /* every failure says why */
        snprintf(err, errlen, "cannot boot: %s", cevm_strerror(st));
    if (st == CEVM_OK) {
        g_boot_error[0] = '\0';
        g_boot_status = CEVM_OK;
        fork_hooks_install();
    }
    return st;
}

static void warn_built_for(const struct vm_profile *p, const char *what, uint32_t wce)
{
    if (p && wce != p->wce)
        fprintf(stderr,
                "cevm: %s was built for _WIN32_WCE 0x%X and runs on profile %s (0x%X): its "
                "_WIN32_WCE branches are another version's\n",
                what, wce, p->name, p->wce);
}

void machine_check_built_for(const char *what, uint32_t wce)
{
    machine_lock();
    const struct vm_profile *p = g_machine ? g_machine->vm.prof : NULL;
    machine_unlock();
    warn_built_for(p, what, wce);
}

/* The CE program's own mark (winnt.h), when the program has one. */
extern const unsigned int cevm_built_for_wce __attribute__((weak));

const char *machine_caller_mode(const struct machine *m)
{
    if (m->vm.prof->slots)
        return m->vm.trusted ? "trusted" : "untrusted";
    return m->vm.trusted ? "kernel" : "user";
}

/* The caller's mode at boot: the config, else $CEVM_CALLER, else trusted / kernel mode. The
 * words are the profile's: trusted|untrusted on ce5, kernel|user on ce6 and ce7.
 * Return: 0 and *trusted, or -1 with err set. */
static int caller_mode(const cevm_config *cfg, const struct vm_profile *prof, int *trusted,
                       char *err, size_t errlen)
{
    const char *mode = cfg->caller ? cfg->caller : getenv("CEVM_CALLER");
    if (!mode || !*mode)
        return 0;
    const char *yes = prof->slots ? "trusted" : "kernel", *no = prof->slots ? "untrusted" : "user";
    if (!strcmp(mode, yes) || !strcmp(mode, no)) {
        *trusted = !strcmp(mode, yes);
        return 0;
    }
    snprintf(err, errlen, "%s='%s': profile %s takes %s or %s",
             cfg->caller ? "caller" : "CEVM_CALLER", mode, prof->name, yes, no);
    return -1;
}

/* The built-in board as the last shutdown left it, kept so that a reboot in the same process
 * does not parse the same text again (the parse was 40 % of a reboot): its text is a constant,
 * and a parse that read no environment (regparse_env_reads unchanged: no IF, no $(VAR)) gives
 * the same board every time. A boot only adds to a board what board_fill_unimplemented adds
 * (done again, it adds nothing) and its profile (restored from the board's own line here).
 * Guarded by the machine lock. */
static struct board g_kept_board; /* its profile is the board line's */
static int g_board_kept;

static cevm_status builtin_board(struct machine *m, char *err, size_t errlen)
{
    cevm_status st = CEVM_OK;
    if (g_board_kept) {
        m->board = g_kept_board;
        m->board_reusable = 1;
        g_board_kept = 0;
        memset(&g_kept_board, 0, sizeof g_kept_board);
    } else {
        unsigned long env = regparse_env_reads();
        st = board_parse(cevm_default_board_text, "built-in", 0, &m->board, err, errlen);
        m->board_reusable = !st && regparse_env_reads() == env;
    }
    m->board_profile = m->board.profile;
    return st;
}

void machine_keep_builtin_board(struct board *b)
{
    if (g_board_kept) {
        board_free(b);
        return;
    }
    g_kept_board = *b;
    g_board_kept = 1;
    memset(b, 0, sizeof *b);
}

/* Free the machine's board, or keep it for the next boot (builtin_board) with the profile its
 * line gave. */
static void board_done(struct machine *m)
{
    if (!m->board_reusable) {
        board_free(&m->board);
        return;
    }
    m->board.profile = m->board_profile;
    machine_keep_builtin_board(&m->board);
}

static cevm_status boot(const cevm_config *cfg, char *err, size_t errlen)
{
    if (g_machine) {
        snprintf(err, errlen, "a machine is already booted (call cevm_shutdown first)");
        return CEVM_E_STATE;
    }
    cevm_config def;
    memset(&def, 0, sizeof def);
    if (!cfg)
        cfg = &def;
    cevm_window_mode mode = cfg->window;
    cevm_status st;
    if (mode == CEVM_WINDOW_AUTO && (st = window_mode_from_env(&mode, err, errlen)))
        return st;

    struct machine *m = host_calloc(1, sizeof *m);
    if (!m)
        return CEVM_E_NOMEM;
    const char *path = cfg->board_path ? cfg->board_path : getenv("CEVM_BOARD");
    unsigned bflags = (cfg->flags & CEVM_BOOT_ANY_PATH) ? BOARD_ANY_PATH : board_env_flags();
    if (cfg->board_text)
        st = board_parse(cfg->board_text, cfg->board_label ? cfg->board_label : "board", bflags,
                         &m->board, err, errlen);
    else if (path && *path)
        st = board_load_file(path, bflags, &m->board, err, errlen);
    else
        st = builtin_board(m, err, errlen);
    if (st) {
        free(m);
        return st;
    }
    /* The profile: the config, else $CEVM_PROFILE, else the board's line. */
    const char *pname = cfg->profile ? cfg->profile : getenv("CEVM_PROFILE");
    const struct vm_profile *prof = vm_profile_find((int)m->board.profile);
    if (pname && *pname && !(prof = vm_profile_named(pname))) {
        snprintf(err, errlen, "%s='%s': use ce5, ce6 or ce7",
                 cfg->profile ? "profile" : "CEVM_PROFILE", pname);
        board_free(&m->board);
        free(m);
        return CEVM_E_INVAL;
    }
    m->board.profile = (enum ce_profile_id)prof->version;
    if (m->board.new_style && prof->version < 7) {
        snprintf(err, errlen,
                 "%s: the new-style OEMAddressTable (first row 0x87654321, devtable rows) is "
                 "Compact 7's: it needs profile ce7, not %s",
                 m->board.source, prof->name);
        board_free(&m->board);
        free(m);
        return CEVM_E_BOARD;
    }
    int trusted = 1;
    if (caller_mode(cfg, prof, &trusted, err, errlen)) {
        board_free(&m->board);
        free(m);
        return CEVM_E_INVAL;
    }
    if ((st = board_fill_unimplemented(&m->board))) {
        board_free(&m->board);
        free(m);
        return st;
    }
    uintptr_t hole_lo = 0, hole_hi = 0; /* a CE program linked into the EXE area */
    if (mode != CEVM_WINDOW_OFFSET && exe_find(&hole_lo, &hole_hi) == 0)
        hole_lo = hole_hi = 0;
    if ((st = window_open(&m->win, mode, hole_lo, hole_hi, err, errlen))) {
        board_free(&m->board);
        free(m);
        return st;
    }
    if ((st = phys_build(&m->pm, &m->board, (cfg->flags & CEVM_BOOT_NO_WRITE) != 0, err, errlen))) {
        window_close(&m->win);
        board_free(&m->board);
        free(m);
        return st;
    }
    m->eager_views = host_under_valgrind();
    if (map_static_windows(m, err, errlen) || fault_install()) {
        if (!err[0])
            snprintf(err, errlen, "cannot install the SIGSEGV handler");
        phys_destroy(&m->pm);
        window_close(&m->win);
        board_free(&m->board);
        free(m->static_mapped);
        free(m);
        return CEVM_E_HOST;
    }
    int virtual_clock = m->board.virtual_clock;
    const char *ck = getenv("CEVM_CLOCK");
    if (ck && *ck && strcmp(ck, "real") && strcmp(ck, "virtual")) {
        snprintf(err, errlen, "CEVM_CLOCK='%s': use real or virtual", ck);
        st = CEVM_E_INVAL;
    } else if (ck && *ck) {
        virtual_clock = ck[0] == 'v';
    }
    if (!st) /* before the devices: a model whose reset values start a timer arms it here */
        clock_boot(virtual_clock);
    if (st || (st = intr_boot(&m->board, err, errlen) ? CEVM_E_BOARD : CEVM_OK) ||
        (st = devices_build(&m->devs, &m->board, &m->pm, err, errlen)) ||
        (st = registry_load(&m->board.registry, err, errlen))) {
        devices_destroy(&m->devs);
        registry_reset();
        fault_uninstall();
        phys_destroy(&m->pm);
        window_close(&m->win);
        board_free(&m->board);
        free(m->static_mapped);
        free(m);
        return st;
    }
    unimpl_reset();
    ce_static_publish(&m->board);
    struct vm_ops ops = {op_map, op_unmap, op_protect, op_backed, op_static_pa, m};
    vm_set_cpu(m->board.cpu); /* the board parser accepts only the CPUs it knows */
    vm_init(&m->vm, prof, &m->pm, &ops, m->board.cache_bits, m->board.process_index);
    m->vm.dll_base = m->board.dll_base;
    if (m->board.new_style) { /* kernel DLLs and VM start where the static mappings end */
        uint64_t end = 0x80000000u;
        for (size_t i = 0; i < m->board.noem; i++)
            if ((uint64_t)m->board.oem[i].va + m->board.oem[i].bytes > end)
                end = (uint64_t)m->board.oem[i].va + m->board.oem[i].bytes;
        vm_set_static_end(&m->vm, (uint32_t)((end + MB - 1) & ~(uint64_t)(MB - 1)));
    }
    /* A driver's thread may touch its caller's slot (CE 5 adds the caller to the access key of a
     * thread that calls into another process). */
    m->vm.aky |= 1u << m->board.caller_index;
    if (!trusted) {
        m->vm.trusted = 0;
        if (protect_static_windows(m, 0))
            fprintf(stderr, "cevm: the host refused to change the static windows' protection\n");
    }
    if (m->win.mode == CEVM_WINDOW_IDENTITY && m->win.hole_hi > m->win.hole_lo && !prof->slots) {
        if (exe_hold(m))
            fprintf(stderr, "cevm: the program's image is unknown to the VM\n");
    } else if (m->win.mode == CEVM_WINDOW_IDENTITY && m->win.hole_hi > m->win.hole_lo) {
        char why[160];
        if (exe_adopt(m, why, sizeof why))
            fprintf(stderr, "cevm: the program's globals stay host memory: %s\n", why);
    }
    g_machine = m;
    static int program_checked; /* once per process: boots may come and go */
    if (&cevm_built_for_wce && !program_checked) {
        program_checked = 1;
        warn_built_for(prof, "the program", cevm_built_for_wce);
    }
    return CEVM_OK;
}

void machine_shutdown_locked(void)
{
    struct machine *m = g_machine;
    if (!m)
        return;
    exe_release(m); /* the program's image goes back to host memory first */
    caller_forget();
    vm_destroy(&m->vm);
    stack_machine_gone();
    ce_static_publish_default(m->board_reusable ? &m->board : NULL);
    devices_destroy(&m->devs);
    fault_uninstall();
    window_close(&m->win);
    phys_destroy(&m->pm);
    board_done(m);
    free(m->static_mapped);
    free(m);
    g_machine = NULL;
}

struct machine *machine_acquire(void)
{
    machine_lock();
    if (g_machine && !g_machine->forked_without_memory)
        return g_machine;
    if (g_machine) {
        machine_unlock();
        return NULL;
    }
    char err[sizeof g_boot_error];
    cevm_status st = machine_boot_locked(NULL, err, sizeof err); /* clears g_boot_error */
    if (st == CEVM_OK)
        return g_machine;
    /* A library never exits: the call fails; the reason is printed once (again only when it
     * changes) and kept for cevm_boot_error(); the next call tries again. */
    if (strcmp(err, g_boot_error) != 0) {
        snprintf(g_boot_error, sizeof g_boot_error, "%s", err);
        fprintf(stderr, "cevm: cannot boot the machine: %s\n", err);
    }
    g_boot_status = st;
    machine_unlock();
    return NULL;
}

cevm_status cevm_boot_error(char *err, size_t errlen)
{
    machine_lock();
    cevm_status st = g_machine ? CEVM_OK : g_boot_status;
    if (err && errlen)
        snprintf(err, errlen, "%s", g_machine ? "" : g_boot_error);
    machine_unlock();
    return st;
}

/* ---- native API ---------------------------------------------------------------------- */

cevm_status cevm_boot(const cevm_config *config, char *err, size_t errlen)
{
    machine_lock();
    cevm_status st = machine_boot_locked(config, err, errlen);
    machine_unlock();
    return st;
}

static void shutdown_work(void);

void cevm_shutdown(void)
{
    ce_trace_quiet(1); /* cevm's own calls; the drivers' XXX_Deinit calls are traced */
    shutdown_work();
    ce_trace_quiet(0);
}

static void shutdown_work(void)
{
    /* The library's lock order: devices before the machine; the heap and the registry are
     * emptied outside the machine lock (they take their own, and the heap's calls the
     * machine's). */
    /* A CE thread still running would fault as soon as the memory went (its stack is CE
     * memory, and so is the code of a library at CE addresses): the machine stays up (the
     * process ends with the thread). Threads that have ended are joined before it goes. */
    devmgr_shutdown(); /* every device's Deinit, the last activated first */
    power_reset();
    char creator[128] = "";
    size_t running = sync_threads_running("", creator, sizeof creator);
    if (running && (image_count() || sync_threads_on_ce_stacks())) {
        fprintf(stderr,
                "cevm: the machine stays up: %zu CE thread(s) still run on CE memory (the first "
                "created in %s)\n",
                running, creator);
        return;
    }
    stack_reap(1);    /* every CE-stack thread has ended: wait until each has left its stack */
    unimpl_summary(); /* access lines the rate limit held back */
    modules_reset();  /* libraries still loaded go with the memory */
    image_reset();
    marshal_reset();
    heap_reset();
    ce_io_reset();
    clock_shutdown(); /* no timer fires while the devices go */
    dev_lock();
    intr_reset();
    machine_lock();
    machine_shutdown_locked();
    machine_unlock();
    dev_unlock();
    registry_reset();
}

int cevm_is_booted(void)
{
    machine_lock();
    int b = g_machine != NULL;
    machine_unlock();
    return b;
}

cevm_status cevm_get_info(cevm_info *info)
{
    if (!info)
        return CEVM_E_INVAL;
    memset(info, 0, sizeof *info);
    struct machine *m = machine_acquire();
    if (!m)
        return cevm_boot_error(NULL, 0);
    info->board_name = m->board.name;
    info->board_source = m->board.source;
    info->profile = m->vm.prof->name;
    info->profile_title = m->vm.prof->title;
    info->wce = m->vm.prof->wce;
    info->caller_mode = machine_caller_mode(m);
    info->kernel_dll_base = m->vm.prof->slots ? 0 : m->vm.kdll_lo;
    info->kernel_vm_base = m->vm.prof->slots ? 0 : m->vm.kvm_lo;
    info->cpu = m->board.cpu;
    info->window = m->win.mode;
    info->window_reason = m->win.reason;
    info->window_base = m->win.base;
    info->ram_pages_total = m->pm.nframes;
    info->ram_pages_free = m->pm.nfree;
    info->ram_pages_min_free = m->pm.min_free;
    info->process_name = m->board.process_name;
    info->current_process = m->vm.cur_proc;
    info->trusted = (uint32_t)m->vm.trusted;
    info->caller_process = m->board.caller_index;
    const char *user = m->vm.prof->slots ? NULL : caller_space_name(m->vm.cur_space);
    info->caller_name = user ? user : m->board.caller_name; /* CE 6+: the current process */
    info->program_image = (uint32_t)exe_adopted();
    machine_unlock();
    info->ce_stacks = (uint32_t)stack_enabled();
    return CEVM_OK;
}

cevm_window_mode cevm_window(void)
{
    struct machine *m = machine_acquire();
    if (!m)
        return CEVM_WINDOW_AUTO;
    cevm_window_mode w = m->win.mode;
    machine_unlock();
    return w;
}

const char *cevm_window_name(cevm_window_mode mode)
{
    switch (mode) {
    case CEVM_WINDOW_IDENTITY:
        return "identity";
    case CEVM_WINDOW_OFFSET:
        return "offset";
    default:
        return "auto";
    }
}

/* The CE address of host pointer p (lock held), or 0xFFFFFFFF if it is none. */
static uint32_t ce_addr_locked(const struct machine *m, const void *p)
{
    uint32_t ce;
    if (!window_contains(&m->win, (uintptr_t)p, &ce))
        ce = (m->win.mode == CEVM_WINDOW_IDENTITY && (uintptr_t)p < WINDOW_SIZE)
                 ? (uint32_t)(uintptr_t)p
                 : 0xFFFFFFFFu;
    return ce;
}

uint32_t cevm_ce_addr(const void *p)
{
    struct machine *m = machine_acquire();
    if (!m)
        return 0xFFFFFFFFu;
    uint32_t ce = ce_addr_locked(m, p);
    machine_unlock();
    return ce;
}

void *cevm_host_ptr(uint32_t ce)
{
    struct machine *m = machine_acquire();
    if (!m)
        return NULL;
    void *p = window_ptr(&m->win, ce);
    machine_unlock();
    return p;
}

/* The physical address behind CE address ce (lock held). Return: 1 and *pa, or 0. */
static int virt_to_phys_locked(struct machine *m, uint32_t ce, uint64_t *pa)
{
    if (vm_is_static(&m->vm, ce))
        return machine_static_to_phys(m, ce, pa);
    const struct vm_page *pg = vm_page_at(&m->vm, vm_abs(&m->vm, ce), NULL);
    if (!pg || pg->state != PS_COMMITTED)
        return 0;
    *pa = vm_page_pa(pg) | (ce & 0xFFFu);
    return 1;
}

cevm_status cevm_virt_to_phys(uint32_t ce, uint64_t *pa)
{
    if (!pa)
        return CEVM_E_INVAL;
    struct machine *m = machine_acquire();
    if (!m)
        return cevm_boot_error(NULL, 0);
    int found = virt_to_phys_locked(m, ce, pa);
    machine_unlock();
    return found ? CEVM_OK : CEVM_E_NOTFOUND;
}

int machine_ptr_to_phys(const void *p, uint64_t *pa, unsigned long *gen)
{
    struct machine *m = machine_acquire();
    if (!m)
        return 0;
    uint32_t ce = ce_addr_locked(m, p);
    int found = ce != 0xFFFFFFFFu && virt_to_phys_locked(m, ce, pa);
    if (gen)
        *gen = atomic_load_explicit(&g_map_gen, memory_order_relaxed);
    machine_unlock();
    return found;
}

void cevm_set_trusted(int trusted)
{
    struct machine *m = machine_acquire();
    if (!m)
        return;
    trusted = trusted != 0;
    if (m->vm.trusted != trusted) {
        m->vm.trusted = trusted;
        if (protect_static_windows(m, trusted))
            fprintf(stderr, "cevm: the host refused to change the static windows' protection\n");
    }
    machine_unlock();
}

int cevm_trusted(void)
{
    struct machine *m = machine_acquire();
    if (!m)
        return 0;
    int t = m->vm.trusted;
    machine_unlock();
    return t;
}

uint64_t cevm_host_calls(void)
{
    return host_call_count();
}

cevm_status cevm_ram_pages(uint32_t *total, uint32_t *free_pages)
{
    struct machine *m = machine_acquire();
    if (!m)
        return cevm_boot_error(NULL, 0);
    if (total)
        *total = m->pm.nframes;
    if (free_pages)
        *free_pages = m->pm.nfree;
    machine_unlock();
    return CEVM_OK;
}

int cevm_frame_refcount(uint64_t pa)
{
    struct machine *m = machine_acquire();
    if (!m)
        return -1;
    int64_t i = frame_index(&m->pm, pa);
    int rc = i < 0 ? -1 : m->pm.ref[i];
    machine_unlock();
    return rc;
}

cevm_status cevm_check_invariants(char *err, size_t errlen)
{
    char dummy[8];
    unimpl_quiesce(1); /* no emulated access in flight: its scratch page is not the truth */
    struct machine *m = machine_acquire();
    if (!m) {
        unimpl_quiesce(0);
        cevm_boot_error(err, errlen);
        return CEVM_E_STATE;
    }
    int rc = vm_check(&m->vm, err ? err : dummy, err ? errlen : sizeof dummy);
    if (rc == 0)
        rc = machine_check_host(m, err ? err : dummy, err ? errlen : sizeof dummy);
    machine_unlock();
    unimpl_quiesce(0);
    return rc ? CEVM_E_STATE : CEVM_OK;
}

void machine_fork_child_lock(void)
{
    t_lock_depth--;
    pthread_mutex_init(&g_lock, NULL);
}

/* ---- machine clock (ce/clock.c) --------------------------------------------------------- */

uint64_t cevm_clock_now_ns(void)
{
    if (machine_acquire())
        machine_unlock();
    return clock_now();
}

int cevm_clock_virtual(void)
{
    if (machine_acquire())
        machine_unlock();
    return clock_is_virtual();
}

cevm_status cevm_clock_advance_ns(uint64_t ns)
{
    if (!machine_acquire())
        return cevm_boot_error(NULL, 0);
    machine_unlock();
    return clock_advance(ns) ? CEVM_E_STATE : CEVM_OK;
}

cevm_status cevm_clock_advance_ms(uint32_t ms)
{
    return cevm_clock_advance_ns((uint64_t)ms * CLOCK_MS);
}
