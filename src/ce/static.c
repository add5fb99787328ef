/*
 * static.c — the static windows as CE code sees them: CreateStaticMapping and
 * DeleteStaticMapping (CE 5 on ARM), NKPhysToVirt / NKVirtToPhys, OALPAtoVA / OALVAtoPA, and the
 * exported g_oalAddressTable (spec §11).
 *
 * Everything here reads the board's OEMAddressTable: row {VA, PA, MB} maps PA..PA+MB at VA
 * (cached) and VA | 0x20000000 (uncached). CE 5 on ARM creates no new static mappings: an
 * address outside the table gets NULL.
 */
#include "ce/ce_api.h"

#include <stdlib.h>
#include <string.h>

#include "core/machine.h"
#include "oal_memory.h"

#define MB       0x100000u
#define UNCACHED 0x20000000u

OAL_ADDRESS_TABLE g_oalAddressTable[BOARD_MAX_OEM_ROWS + 1];

void ce_static_publish(const struct board *b)
{
    memset(g_oalAddressTable, 0, sizeof g_oalAddressTable);
    for (size_t i = 0; b && i < b->noem; i++) {
        g_oalAddressTable[i].CA = b->oem[i].va;
        g_oalAddressTable[i].PA = b->oem[i].pa;
        g_oalAddressTable[i].size = b->oem[i].mb;
    }
}

void ce_static_publish_default(void)
{
    struct board b;
    char err[256];
    const char *path = getenv("CEVM_BOARD");
    unsigned flags = board_env_flags();
    cevm_status st = path && *path
                         ? board_load_file(path, flags, &b, err, sizeof err)
                         : board_parse(cevm_default_board_text, "built-in", 0, &b, err, sizeof err);
    if (st != CEVM_OK) {
        ce_static_publish(NULL); /* the boot will say why */
        return;
    }
    ce_static_publish(&b);
    board_free(&b);
}

/* CE code may read g_oalAddressTable as data before its first CE call: fill it when the
 * library is loaded, from the board the lazy boot will take. */
__attribute__((constructor)) static void publish_at_load(void)
{
    ce_static_publish_default();
}

/* The row holding physical address pa: its cached VA for pa and the end of the row's physical
 * range. Return: 1, or 0 if no row maps pa. */
static int phys_to_static(const struct machine *m, uint64_t pa, uint32_t *va, uint64_t *end)
{
    for (size_t i = 0; i < m->board.noem; i++) {
        const struct board_oem_row *r = &m->board.oem[i];
        uint64_t hi = (uint64_t)r->pa + (uint64_t)r->mb * MB;
        if (pa >= r->pa && pa < hi) {
            *va = r->va + (uint32_t)(pa - r->pa);
            *end = hi;
            return 1;
        }
    }
    return 0;
}

LPVOID WINAPI CreateStaticMapping(DWORD dwPhysBase, DWORD dwSize)
{
    struct machine *m = ce_acquire();
    if (!m)
        return NULL;
    if (!m->vm.trusted) { /* kernel-only mappings: refused to untrusted callers */
        machine_unlock();
        SetLastError(ERROR_ACCESS_DENIED);
        return NULL;
    }
    uint64_t pa = (uint64_t)dwPhysBase << 8, end;
    uint32_t va;
    int hit = phys_to_static(m, pa, &va, &end);
    void *ret = hit && pa + dwSize <= end ? window_ptr(&m->win, va | UNCACHED) : NULL;
    machine_unlock();
    if (hit && !ret)
        SetLastError(ERROR_INVALID_PARAMETER); /* starts in a row, leaves it */
    return ret;
}

BOOL WINAPI DeleteStaticMapping(LPVOID lpvAddr, DWORD dwSize)
{
    (void)lpvAddr;
    (void)dwSize;
    return TRUE;
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
    void *ret =
        phys_to_static(m, pa, &va, &end) ? window_ptr(&m->win, fCached ? va : va | UNCACHED) : NULL;
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
