/*
 * model.c — the reference model of the CE 5 address space (see model.h; model_ce6.c has CE 6
 * and Compact 7, which each call hands over to). Each call is a direct transcription of the
 * specification's rules, one check after another, over flat arrays: no bitmaps, no summaries,
 * no host. Slow and obvious on purpose.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#define PAGE     0x1000u
#define SLOT     0x2000000u
#define E_PARAM  87u
#define E_NOMEM  8u
#define E_OOM    14u
#define E_NOTSUP 50u
#define GPIO_PFN 0x7F008u

void model_reset(struct model *m, int version)
{
    uint32_t *v = m->value;
    uint32_t nv = m->nvalue;
    memset(m, 0, sizeof *m);
    m->version = version;
    for (uint32_t b = 0; b < M_BLOCKS; b++)
        m->block[b].base = M_NONE;
    m->value = v;
    m->nvalue = nv;
    m->next_frame = 1;
}

int64_t model_index(const struct model *m, uint32_t a)
{
    if (m->version >= 6) {
        if (a < 0x80000000u)
            return a / PAGE;
        if (a >= M6_KVM_BASE && a < M6_KVM_BASE + M6_KVM_PAGES * PAGE)
            return M6_USER_PAGES + (a - M6_KVM_BASE) / PAGE;
        return -1;
    }
    if (a < SLOT)
        return a / PAGE;
    if (a >= M_LARGE_BASE && a < M_LARGE_BASE + M_LARGE_PAGES * PAGE)
        return M_SLOT_PAGES + (a - M_LARGE_BASE) / PAGE;
    return -1;
}

uint32_t model_addr(const struct model *m, int64_t idx)
{
    if (m->version >= 6)
        return idx < M6_USER_PAGES ? (uint32_t)idx * PAGE
                                   : M6_KVM_BASE + (uint32_t)(idx - M6_USER_PAGES) * PAGE;
    return idx < M_SLOT_PAGES ? (uint32_t)idx * PAGE
                              : M_LARGE_BASE + (uint32_t)(idx - M_SLOT_PAGES) * PAGE;
}

uint32_t model_new_frame(struct model *m)
{
    uint32_t f = m->next_frame++;
    if (f >= m->nvalue) {
        uint32_t n = m->nvalue ? m->nvalue * 2 : 65536;
        m->value = realloc(m->value, n * sizeof *m->value);
        if (!m->value)
            abort();
        m->nvalue = n;
    }
    m->value[f] = 0;
    m->committed++;
    return f;
}

/* Protection check (spec §3.1). Return 0 ok (*shown set), 1 bad, 2 write-copy. */
int model_check_prot(uint32_t prot, uint32_t *shown)
{
    uint32_t base = prot & 0xFF, mods = prot & ~0xFFu;
    if (mods & ~0x300u)
        return 1;
    if (base == 0 || (base & (base - 1)))
        return 1;
    if (base == 0x01) {
        if (mods)
            return 1;
        *shown = 0x01;
        return 0;
    }
    if (base == 0x08 || base == 0x80)
        return 2;
    uint32_t rw = base == 0x04 || base == 0x40;
    *shown = (rw ? 0x04 : 0x02) | mods;
    return 0;
}

/* The pages [a, a+size) touch: first index and count, within one reservation. */
int model_one_reservation(struct model *m, uint32_t a, uint32_t size, int64_t *first, uint32_t *n)
{
    uint64_t end = (uint64_t)a + size;
    if (end > (m->version >= 6 ? 0x100000000ull : 0x80000000ull))
        return 0;
    uint32_t lo = a & ~(PAGE - 1);
    uint32_t cnt = (uint32_t)((end - lo + PAGE - 1) / PAGE);
    int64_t i0 = model_index(m, lo);
    if (i0 < 0 || cnt == 0 || model_index(m, lo + (cnt - 1) * PAGE) != i0 + cnt - 1)
        return 0;
    uint32_t base = m->block[i0 / 16].base;
    if (base == M_NONE)
        return 0;
    for (uint32_t i = 0; i < cnt; i++) {
        struct mpage *p = &m->page[i0 + i];
        if (m->block[(i0 + i) / 16].base != base || p->state == MS_PAST_END || p->state == MS_FREE)
            return 0;
    }
    *first = i0;
    *n = cnt;
    return 1;
}

void model_reserve(struct model *m, int64_t b0, uint32_t pages, int autocommit, int huge)
{
    uint32_t nb = (pages + 15) / 16;
    for (uint32_t b = 0; b < nb; b++) {
        m->block[b0 + b].base = (uint32_t)b0;
        m->block[b0 + b].autocommit = (uint8_t)autocommit;
        m->block[b0 + b].huge = (uint8_t)huge;
        m->block[b0 + b].locks = 0;
        for (uint32_t p = 0; p < 16; p++)
            m->page[(b0 + b) * 16 + p].state = b * 16 + p < pages ? MS_RESERVED : MS_PAST_END;
    }
}

void model_commit(struct model *m, int64_t i0, uint32_t n, uint32_t shown)
{
    for (uint32_t i = 0; i < n; i++) {
        struct mpage *p = &m->page[i0 + i];
        if (p->state == MS_RESERVED) {
            p->state = MS_COMMITTED;
            p->frame = model_new_frame(m);
        }
        p->prot = (uint16_t)shown;
        p->guard = (shown & 0x100) != 0;
    }
}

uint32_t model_alloc(struct model *m, uint32_t addr, uint32_t size, uint32_t type, uint32_t prot,
                     uint32_t *err)
{
    if (m->version >= 6)
        return model6_alloc(m, addr, size, type, prot, err);
    uint32_t shown;
    type &= ~0x100000u;
    *err = 0;
    if (addr >= 0x80000000u || size == 0 ||
        (size >= SLOT && !(addr == 0 && type == 0x2000 && prot == 0x01)) ||
        model_check_prot(prot, &shown) || (type & ~0x203000u) || !(type & 0x3000)) {
        *err = E_PARAM;
        return 0;
    }
    uint32_t pages = (uint32_t)(((uint64_t)size + PAGE - 1) / PAGE);
    int ac = (type & 0x200000) != 0;
    if (addr == 0) {
        if ((uint64_t)pages * PAGE >= 0x200000 && type == 0x2000 && prot == 0x01) {
            uint64_t bytes = (uint64_t)pages * PAGE;
            if (bytes < SLOT) {
                uint32_t units = (uint32_t)((bytes + 0xFFFFF) >> 20);
                for (uint32_t s = 0; s < 29; s++)
                    for (uint32_t u = 0; u + units <= 32; u++) {
                        uint32_t mask = (units == 32 ? 0xFFFFFFFFu : (1u << units) - 1) << u;
                        if (!(m->huge_units[s] & mask)) {
                            m->huge_units[s] |= mask;
                            uint32_t base = M_LARGE_BASE + s * SLOT + (u << 20);
                            model_reserve(m, model_index(m, base) / 16, pages, 0, 1);
                            return base;
                        }
                    }
            } else {
                uint32_t ns = (uint32_t)((bytes + SLOT - 1) / SLOT);
                for (uint32_t s = 0; s + ns <= 29; s++) {
                    uint32_t k = 0;
                    while (k < ns && m->huge_units[s + k] == 0)
                        k++;
                    if (k == ns) {
                        for (k = 0; k < ns; k++)
                            m->huge_units[s + k] = 0xFFFFFFFFu;
                        uint32_t base = M_LARGE_BASE + s * SLOT;
                        model_reserve(m, model_index(m, base) / 16, pages, 0, 1);
                        return base;
                    }
                }
            }
            *err = E_OOM;
            return 0;
        }
        uint32_t nb = (pages + 15) / 16;
        for (uint32_t b = 1; b + nb <= 512; b++) {
            uint32_t k = 0;
            while (k < nb && m->block[b + k].base == M_NONE)
                k++;
            if (k == nb) {
                model_reserve(m, b, pages, ac, 0);
                if (type & 0x1000)
                    model_commit(m, (int64_t)b * 16, pages, shown);
                return b << 16;
            }
        }
        *err = E_NOMEM;
        return 0;
    }
    uint64_t end = (uint64_t)addr + size;
    int in_slot = addr < SLOT;
    int in_large = addr >= M_LARGE_BASE && addr < 0x7C000000u;
    if ((!in_slot && !in_large) || end > 0x80000000ull) {
        *err = E_PARAM;
        return 0;
    }
    if (type & 0x2000) {
        uint32_t base = addr & ~0xFFFFu;
        if (in_large || base == 0 || (end - 1) >> 25 != base >> 25) {
            *err = E_PARAM;
            return 0;
        }
        uint32_t n = (uint32_t)((end - base + PAGE - 1) / PAGE);
        int64_t b0 = model_index(m, base) / 16;
        for (uint32_t b = 0; b < (n + 15) / 16; b++)
            if (m->block[b0 + b].base != M_NONE) {
                *err = E_PARAM;
                return 0;
            }
        model_reserve(m, b0, n, ac, 0);
        if (type & 0x1000)
            model_commit(m, b0 * 16, n, shown);
        return base;
    }
    int64_t i0;
    uint32_t n;
    if (!model_one_reservation(m, addr, size, &i0, &n)) {
        *err = E_PARAM;
        return 0;
    }
    model_commit(m, i0, n, shown);
    return model_addr(m, i0);
}

static int locked(struct model *m, int64_t idx)
{
    return m->block[idx / 16].locks != 0;
}

uint32_t model_free(struct model *m, uint32_t addr, uint32_t size, uint32_t type, uint32_t *err)
{
    if (m->version >= 6)
        return model6_free(m, addr, size, type, err);
    *err = 0;
    int force = (type & MODEL_FREE_FORCE) != 0; /* FreePhysMem: locked blocks go too */
    type &= ~MODEL_FREE_FORCE;
    int64_t idx = model_index(m, addr);
    if ((type != 0x4000 && type != 0x8000) || addr == 0 || addr >= 0x80000000u || idx < 0) {
        *err = E_PARAM;
        return 0;
    }
    if (type == 0x8000) {
        int64_t b = idx / 16;
        if (size != 0 || (addr & 0xFFFF) || m->block[b].base != (uint32_t)b) {
            *err = E_PARAM;
            return 0;
        }
        uint32_t nb = 0, c = 0, r = 0;
        while (b + nb < M_BLOCKS && m->block[b + nb].base == (uint32_t)b)
            nb++;
        for (uint32_t i = 0; i < nb * 16; i++) {
            c += m->page[b * 16 + i].state == MS_COMMITTED;
            r += m->page[b * 16 + i].state == MS_RESERVED;
            if (m->block[b + i / 16].locks && !force) {
                *err = E_PARAM;
                return 0;
            }
        }
        if (c && r) {
            *err = E_PARAM;
            return 0;
        }
        if (m->block[b].huge) {
            uint32_t bytes = 0;
            for (uint32_t i = 0; i < nb * 16; i++)
                bytes += m->page[b * 16 + i].state != MS_PAST_END ? PAGE : 0;
            uint32_t units =
                bytes < SLOT ? (bytes + 0xFFFFF) >> 20 : ((bytes + SLOT - 1) / SLOT) * 32;
            uint32_t at = (addr - M_LARGE_BASE) >> 20;
            for (uint32_t u = 0; u < units; u++)
                m->huge_units[(at + u) / 32] &= ~(1u << ((at + u) % 32));
        }
        for (uint32_t i = 0; i < nb * 16; i++) {
            m->committed -= m->page[b * 16 + i].state == MS_COMMITTED &&
                            !(m->page[b * 16 + i].frame & 0x80000000u);
            memset(&m->page[b * 16 + i], 0, sizeof m->page[0]);
        }
        for (uint32_t i = 0; i < nb; i++) {
            m->block[b + i].base = M_NONE;
            m->block[b + i].locks = 0;
        }
        return 1;
    }
    int64_t i0;
    uint32_t n;
    if (size == 0 || !model_one_reservation(m, addr, size, &i0, &n)) {
        *err = E_PARAM;
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct mpage *p = &m->page[i0 + i];
        if (p->state == MS_COMMITTED && !locked(m, i0 + i)) {
            m->committed -= !(p->frame & 0x80000000u);
            p->state = MS_RESERVED;
            p->prot = 0;
            p->guard = 0;
            p->frame = 0;
        }
    }
    return 1;
}

uint32_t model_protect(struct model *m, uint32_t addr, uint32_t size, uint32_t prot, uint32_t *old,
                       uint32_t *err)
{
    if (m->version >= 6)
        return model6_protect(m, addr, size, prot, old, err);
    uint32_t shown;
    *err = 0;
    if (size == 0 || addr == 0 || addr >= 0x80000000u) {
        *err = E_PARAM;
        return 0;
    }
    int c = model_check_prot(prot, &shown);
    if (c) {
        *err = c == 2 ? E_NOTSUP : E_PARAM;
        return 0;
    }
    int64_t i0;
    uint32_t n;
    if (!model_one_reservation(m, addr, size, &i0, &n)) {
        *err = E_PARAM;
        return 0;
    }
    for (uint32_t i = 0; i < n; i++)
        if (m->page[i0 + i].state != MS_COMMITTED) {
            *err = E_PARAM;
            return 0;
        }
    *old = m->page[i0].prot;
    int skipped = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (locked(m, i0 + i)) {
            skipped = 1;
            continue;
        }
        m->page[i0 + i].prot = (uint16_t)shown;
        m->page[i0 + i].guard = (shown & 0x100) != 0;
    }
    if (skipped && size == PAGE) {
        *err = E_PARAM;
        return 0;
    }
    return 1;
}

uint32_t model_query(struct model *m, uint32_t addr, struct mquery *q, uint32_t *err)
{
    if (m->version >= 6)
        return model6_query(m, addr, q, err);
    *err = 0;
    memset(q, 0, sizeof *q);
    int64_t idx = model_index(m, addr);
    if (addr == 0 || idx < 0) {
        *err = E_PARAM;
        return 0;
    }
    q->base = addr & ~(PAGE - 1);
    struct mpage *p = &m->page[idx];
    if (p->state == MS_FREE || p->state == MS_PAST_END) {
        /* To the end of this block, then free blocks, within the 32 MB section. */
        int64_t sec_end = idx < M_SLOT_PAGES
                              ? M_SLOT_PAGES
                              : M_SLOT_PAGES + ((idx - M_SLOT_PAGES) / 8192 + 1) * 8192;
        int64_t e = (idx / 16 + 1) * 16;
        while (e < sec_end && m->block[e / 16].base == M_NONE)
            e += 16;
        q->size = (uint32_t)(e - idx) * PAGE;
        q->state = 0x10000;
        q->protect = 0x01;
        return 1;
    }
    model_describe_used(m, idx, q);
    return 1;
}

void model_describe_used(const struct model *m, int64_t idx, struct mquery *q)
{
    const struct mpage *p = &m->page[idx];
    uint32_t base = m->block[idx / 16].base;
    int64_t e = idx;
    while (e < M_PAGES && m->block[e / 16].base == base && m->page[e].state == p->state &&
           (p->state != MS_COMMITTED || m->page[e].prot == p->prot))
        e++;
    q->size = (uint32_t)(e - idx) * PAGE;
    q->alloc_base = model_addr(m, (int64_t)base * 16);
    q->state = p->state == MS_COMMITTED ? 0x1000 : 0x2000;
    q->protect = p->state == MS_COMMITTED ? p->prot : 0x01;
    q->type = 0x20000;
}

int model_copy_target(const struct model *m, int64_t i0, uint32_t n)
{
    if (n > 64) /* the generator never asks for more */
        return 0;
    for (uint32_t i = 0; i < n; i++)
        if (m->page[i0 + i].state != MS_RESERVED)
            return 0;
    return 1;
}

int model_device_frames(int phys, uint32_t src, uint32_t dst, uint32_t n, uint32_t *frames)
{
    uint64_t pa;
    if (phys)
        pa = (uint64_t)src << 8;
    else if (src >= 0x92B00000u && src < 0x92C00000u) /* the only static row used */
        pa = 0x7F000000u + (src - 0x92B00000u);
    else
        return 0;
    if ((pa & 0xFFF) != (dst & 0xFFF))
        return 0;
    for (uint32_t i = 0; i < n; i++)
        frames[i] = 0x80000000u | (uint32_t)((pa >> 12) + i);
    return 1;
}

void model_map_frames(struct model *m, int64_t i0, uint32_t n, const uint32_t *frames,
                      uint32_t shown)
{
    for (uint32_t i = 0; i < n; i++) {
        struct mpage *p = &m->page[i0 + i];
        p->state = MS_COMMITTED;
        p->frame = frames[i];
        p->prot = (uint16_t)shown;
        p->guard = (shown & 0x100) != 0;
    }
}

uint32_t model_copy(struct model *m, uint32_t dst, uint32_t src, uint32_t size, uint32_t prot,
                    uint32_t *err)
{
    if (m->version >= 6)
        return model6_copy(m, dst, src, size, prot, err);
    uint32_t shown;
    *err = 0;
    int phys = (prot & 0x400) != 0;
    int64_t i0;
    uint32_t n;
    if (size == 0 || dst == 0 || dst >= 0x80000000u || model_check_prot(prot & ~0x400u, &shown) ||
        !model_one_reservation(m, dst, size, &i0, &n)) {
        *err = E_PARAM;
        return 0;
    }
    uint32_t frames[64];
    if (!model_copy_target(m, i0, n)) {
        *err = E_PARAM;
        return 0;
    }
    if (phys || src >= 0x80000000u) {
        if (!model_device_frames(phys, src, dst, n, frames)) {
            *err = E_PARAM;
            return 0;
        }
    } else {
        int64_t s0 = model_index(m, src & ~(PAGE - 1));
        if (src == 0 || ((dst ^ src) & 0xFFFF) || s0 < 0) {
            *err = E_PARAM;
            return 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (model_index(m, (src & ~(PAGE - 1)) + i * PAGE) != s0 + i ||
                m->page[s0 + i].state != MS_COMMITTED) {
                *err = E_PARAM;
                return 0;
            }
            frames[i] = m->page[s0 + i].frame;
        }
    }
    model_map_frames(m, i0, n, frames, shown);
    return 1;
}

int model_touch(struct model *m, uint32_t addr, int write, uint32_t *val)
{
    int64_t idx = model_index(m, addr);
    if (idx < 0)
        return 1;
    struct mpage *p = &m->page[idx];
    if (p->state == MS_RESERVED && m->block[idx / 16].autocommit) {
        p->state = MS_COMMITTED;
        p->frame = model_new_frame(m);
        p->prot = 0x04;
    }
    if (p->state != MS_COMMITTED)
        return 1;
    if (p->guard) {
        p->guard = 0;
        p->prot &= (uint16_t)~0x100u;
        return 1;
    }
    if ((p->prot & 0xFF) == 0x01 || (write && (p->prot & 0xFF) != 0x04))
        return 1;
    uint32_t *cell;
    if (p->frame & 0x80000000u) {
        uint32_t pfn = p->frame & 0x7FFFFFFFu;
        if (pfn >= 0x7F000u && pfn < 0x7F100u && pfn != GPIO_PFN) {
            /* The rest of the peripheral row: an unimplemented device, reads 0. */
            if (!write)
                *val = 0;
            return 0;
        }
        if (pfn != GPIO_PFN)
            return 1; /* no board region: a bus error */
        cell = &m->gpio[0];
    } else {
        cell = &m->value[p->frame];
    }
    if (write)
        *cell = *val;
    else
        *val = *cell;
    return 0;
}

uint32_t model_lock(struct model *m, uint32_t addr, uint32_t size, uint32_t flags, uint32_t *err)
{
    if (m->version >= 6)
        return model6_lock(m, addr, size, flags, err);
    *err = 0;
    int64_t i0;
    uint32_t n;
    if (size == 0 || addr == 0 || addr >= 0x80000000u ||
        !model_one_reservation(m, addr, size, &i0, &n)) {
        *err = E_PARAM;
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct mpage *p = &m->page[i0 + i];
        if (p->state == MS_RESERVED
                ? !m->block[(i0 + i) / 16].autocommit
                : (p->prot & 0xFF) == 0x01 || ((flags & 1) && (p->prot & 0xFF) != 0x04)) {
            *err = 998; /* ERROR_NOACCESS */
            return 0;
        }
    }
    for (uint32_t i = 0; i < n; i++)
        if (m->page[i0 + i].state == MS_RESERVED)
            model_commit(m, i0 + i, 1, 0x04);
    if (!(flags & 2))
        for (int64_t b = i0 / 16; b <= (i0 + n - 1) / 16; b++)
            m->block[b].locks++;
    return 1;
}

void model_lock_blocks(struct model *m, uint32_t addr, uint32_t size)
{
    int64_t i0 = model_index(m, addr);
    for (int64_t b = i0 / 16; i0 >= 0 && b <= (i0 + (size - 1) / PAGE) / 16; b++)
        m->block[b].locks++;
}

uint32_t model_unlock(struct model *m, uint32_t addr, uint32_t size, uint32_t *err)
{
    if (m->version >= 6)
        return model6_unlock(m, addr, size, err);
    *err = 0;
    int64_t i0;
    uint32_t n;
    if (size == 0 || addr == 0 || addr >= 0x80000000u ||
        !model_one_reservation(m, addr, size, &i0, &n)) {
        *err = E_PARAM;
        return 0;
    }
    for (int64_t b = i0 / 16; b <= (i0 + n - 1) / 16; b++)
        if (m->block[b].locks == 0) {
            *err = E_PARAM;
            return 0;
        }
    for (int64_t b = i0 / 16; b <= (i0 + n - 1) / 16; b++)
        m->block[b].locks--;
    return 1;
}
