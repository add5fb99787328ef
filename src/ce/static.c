/*
 * static.c — the static windows as CE code sees them: CreateStaticMapping and
 * DeleteStaticMapping (CE 5 on ARM), NKPhysToVirt / NKVirtToPhys, OALPAtoVA / OALVAtoPA, and the
 * exported g_oalAddressTable (spec §11).
 *
 * Everything here reads the board's OEMAddressTable: row {VA, PA, MB} maps PA..PA+MB at VA
 * (cached) and VA | 0x20000000 (uncached). CE 5 on ARM creates no new static mappings: an
 * address outside the table gets NULL. CE 6+ creates one in kernel VM (a reservation and a
 * PAGE_PHYSICAL VirtualCopy) and keeps a list of them, so a second call for the same range gets
 * the same address; Compact 7's NKPhysToVirt also looks in that list for uncached requests.
 */
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "registry/regparse.h"
#include "vm/profile.h"
#include "oal_memory.h"

#define MB       0x100000u
#define UNCACHED 0x20000000u

OAL_ADDRESS_TABLE g_oalAddressTable[BOARD_MAX_OEM_ROWS + 1];

/* CE 6+: the static mappings made in kernel VM so far (machine lock; emptied at boot). */
#define MAX_NEW_MAPPINGS 256
static struct new_mapping {
    uint64_t pa;
    uint32_t size, va;
} g_new[MAX_NEW_MAPPINGS];
static size_t g_nnew;

void ce_static_publish(const struct board *b)
{
    g_nnew = 0;
    memset(g_oalAddressTable, 0, sizeof g_oalAddressTable);
    size_t n = 0;
    if (b && b->new_style) /* Compact 7's marker row (its PA would name the OEMDeviceTable) */
        g_oalAddressTable[n++].CA = OEM_NEW_STYLE_MARKER;
    for (size_t i = 0; b && i < b->noem && n < BOARD_MAX_OEM_ROWS; i++) {
        if (b->oem[i].device)
            continue;
        g_oalAddressTable[n].CA = b->oem[i].va;
        g_oalAddressTable[n].PA = b->oem[i].pa;
        g_oalAddressTable[n].size = b->oem[i].mb;
        n++;
    }
}

void ce_static_publish_default(const struct board *builtin)
{
    struct board b;
    char err[256];
    const char *path = getenv("CEVM_BOARD");
    if (builtin && !(path && *path)) { /* the built-in board, parsed already */
        ce_static_publish(builtin);
        return;
    }
    unsigned flags = board_env_flags();
    unsigned long env = regparse_env_reads();
    cevm_status st = path && *path
                         ? board_load_file(path, flags, &b, err, sizeof err)
                         : board_parse(cevm_default_board_text, "built-in", 0, &b, err, sizeof err);
    if (st != CEVM_OK) {
        ce_static_publish(NULL); /* the boot will say why */
        return;
    }
    ce_static_publish(&b);
    if (!(path && *path) && regparse_env_reads() == env)
        machine_keep_builtin_board(&b); /* the next boot of the built-in board takes it */
    else
        board_free(&b);
}

/* CE code may read g_oalAddressTable as data before its first CE call: fill it when the
 * library is loaded, from the board the lazy boot will take. */
__attribute__((constructor)) static void publish_at_load(void)
{
    ce_static_publish_default(NULL);
}

/* The OEMAddressTable row (device = 0) or, in Compact 7's new-style table, the OEMDeviceTable
 * entry (device = 1) holding physical address pa: its VA for pa (the cached one of a row) and
 * the end of its physical range. Return: 1, or 0 if none maps pa. */
static int table_to_static(const struct machine *m, int device, uint64_t pa, uint32_t *va,
                           uint64_t *end)
{
    for (size_t i = 0; i < m->board.noem; i++) {
        const struct board_oem_row *r = &m->board.oem[i];
        uint64_t hi = (uint64_t)r->pa + r->bytes;
        if (r->device == device && pa >= r->pa && pa < hi) {
            *va = r->va + (uint32_t)(pa - r->pa);
            *end = hi;
            return 1;
        }
    }
    return 0;
}

static int phys_to_static(const struct machine *m, uint64_t pa, uint32_t *va, uint64_t *end)
{
    return table_to_static(m, 0, pa, va, end);
}

/* A kernel VA made earlier that maps [pa, pa + size), or 0 (machine lock held). */
static uint32_t new_mapping_of(uint64_t pa, uint32_t size)
{
    for (size_t i = 0; i < g_nnew; i++)
        if (pa >= g_new[i].pa && pa + size <= g_new[i].pa + g_new[i].size)
            return g_new[i].va + (uint32_t)(pa - g_new[i].pa);
    return 0;
}

/* CE 6 NKCreateStaticMapping (spec §11): a table hit is the uncached alias; otherwise an
 * earlier mapping of the range, or a new one in kernel VM. Return: the CE address, or 0 and
 * *err. */
static uint32_t create_mapping_ce6(struct machine *m, uint64_t pa, uint32_t size, uint32_t *err)
{
    uint64_t end;
    uint32_t va;
    if ((pa & 0xFFF) || size == 0) {
        *err = ERROR_INVALID_PARAMETER;
        return 0;
    }
    if (m->board.new_style) { /* Compact 7's new style: the device table's own mapping */
        if (table_to_static(m, 1, pa, &va, &end) && pa + size <= end)
            return va;
    } else if (phys_to_static(m, pa, &va, &end) && pa + size <= end)
        return va | UNCACHED;
    if ((va = new_mapping_of(pa, size)))
        return va;
    if (g_nnew == MAX_NEW_MAPPINGS) {
        *err = ERROR_NOT_ENOUGH_MEMORY;
        return 0;
    }
    uint32_t base;
    if ((*err = vm_alloc(&m->vm, 0, size, MEM_RESERVE, PAGE_NOACCESS, &base)))
        return 0;
    *err = vm_copy(&m->vm, base, (uint32_t)(pa >> 8), size,
                   PAGE_PHYSICAL | PAGE_NOCACHE | PAGE_READWRITE);
    if (*err) {
        vm_free(&m->vm, base, 0, MEM_RELEASE);
        return 0;
    }
    g_new[g_nnew++] = (struct new_mapping){pa, size, base};
    return base;
}

static LPVOID WINAPI impl_CreateStaticMapping(DWORD dwPhysBase, DWORD dwSize)
{
    struct machine *m = ce_acquire();
    if (!m)
        return NULL;
    if (!m->vm.trusted) { /* kernel-only mappings: 5 (CE 5 untrusted) or 50 (CE 6+ user mode) */
        uint32_t denied = m->vm.prof->denied;
        machine_unlock();
        SetLastError(denied);
        return NULL;
    }
    uint64_t pa = (uint64_t)dwPhysBase << 8, end;
    uint32_t va, err = 0;
    void *ret;
    if (!m->vm.prof->slots) {
        va = create_mapping_ce6(m, pa, dwSize, &err);
        ret = va ? window_ptr(&m->win, va) : NULL;
    } else {
        int hit = phys_to_static(m, pa, &va, &end);
        ret = hit && pa + dwSize <= end ? window_ptr(&m->win, va | UNCACHED) : NULL;
        if (hit && !ret)
            err = ERROR_INVALID_PARAMETER; /* starts in a row, leaves it */
    }
    machine_unlock();
    if (err)
        SetLastError(err);
    return ret;
}

BOOL WINAPI DeleteStaticMapping(LPVOID lpvAddr, DWORD dwSize)
{
    /* Never frees: CE 5 says TRUE for anything, CE 6 for a kernel (or kernel VM) address. */
    (void)dwSize;
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce;
    int ok = m->vm.prof->slots || (ce_arg_addr(m, lpvAddr, &ce) && ce >= CE_KERNEL_BASE);
    machine_unlock();
    if (!ok)
        SetLastError(ERROR_INVALID_PARAMETER);
    return ok ? TRUE : FALSE;
}

LPVOID NKPhysToVirt(DWORD dwShiftedPA, BOOL fCached)
{
    uint64_t pa = (uint64_t)dwShiftedPA << 8, end;
    if (pa & 0xFFF)
        return NULL;
    struct machine *m = ce_acquire();
    if (!m)
        return NULL;
    uint32_t va;
    void *ret = NULL;
    if (m->board.new_style) {
        /* Compact 7's new style: the device table first, then the OEMAddressTable (cached
         * only), then the static mappings made so far (uncached only). */
        if (table_to_static(m, 1, pa, &va, &end) ||
            (fCached && table_to_static(m, 0, pa, &va, &end)) ||
            (!fCached && (va = new_mapping_of(pa, CE_PAGE_SIZE))))
            ret = window_ptr(&m->win, va);
    } else if (phys_to_static(m, pa, &va, &end))
        ret = window_ptr(&m->win, fCached ? va : va | UNCACHED);
    /* Compact 7 also finds the static mappings CreateStaticMapping made, for uncached requests. */
    if (!ret && !fCached && m->vm.prof->version >= 7 && (va = new_mapping_of(pa, CE_PAGE_SIZE)))
        ret = window_ptr(&m->win, va);
    machine_unlock();
    return ret;
}

DWORD NKVirtToPhys(LPCVOID pVirtAddr)
{
    struct machine *m = ce_acquire();
    if (!m)
        return INVALID_PHYSICAL_ADDRESS;
    uint32_t ce;
    uint64_t pa;
    DWORD ret = INVALID_PHYSICAL_ADDRESS;
    if (ce_arg_addr(m, pVirtAddr, &ce) && machine_static_to_phys(m, ce, &pa))
        ret = (DWORD)(pa >> 8);
    machine_unlock();
    return ret;
}

VOID *OALPAtoVA(UINT32 pa, BOOL cached)
{
    BYTE *va = NKPhysToVirt((pa & ~0xFFFu) >> 8, cached);
    return va ? va + (pa & 0xFFF) : NULL;
}

UINT32 OALVAtoPA(VOID *va)
{
    DWORD shifted = NKVirtToPhys((LPCVOID)((UINT_PTR)va & ~(UINT_PTR)0xFFF));
    return shifted == INVALID_PHYSICAL_ADDRESS ? 0 : (shifted << 8) + ((UINT_PTR)va & 0xFFF);
}

/* ---- the traced entry point (ce/trace.h) --------------------------------------------------- */

LPVOID WINAPI CreateStaticMapping(DWORD dwPhysBase, DWORD dwSize)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_CreateStaticMapping(dwPhysBase, dwSize);
    if (t0)
        ce_trace_done(t0, "CreateStaticMapping", TR_PTR, (uintptr_t)r,
                      "dwPhysBase 0x%08X (PA >> 8), dwSize 0x%X", dwPhysBase, dwSize);
    return r;
}
