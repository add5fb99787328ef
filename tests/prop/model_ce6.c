/*
 * model_ce6.c — the reference model of the CE 6.0 and Compact 7 address space for a kernel-mode
 * caller (see model.h): the 2 GB user space and kernel VM in one flat page array, the rules of
 * spec §3.3-§3.4, §4-§7 and §9 written out one check after another, and the locked ranges as a
 * plain list. Slow and obvious on purpose; it shares nothing with cevm but the spec.
 */
#include "model.h"

#include <string.h>

#define PAGE       0x1000u
#define E_PARAM    87u
#define E_NOMEM    8u
#define E_SHARING  32u
#define KVM_END    0xF0000000u
#define STATIC_END 0xC0000000u

/* The pages [a, a + size) touch (a page-aligned first address, the page count). */
static uint32_t pages_of(uint32_t a, uint32_t size)
{
    uint64_t first = a & ~(PAGE - 1), end = (uint64_t)a + size;
    return (uint32_t)((end - first + PAGE - 1) / PAGE);
}

/* A kernel-mode caller may work on user space from 0x10000 and on kernel VM. */
static int accessible(uint32_t a)
{
    return (a >= 0x10000u && a < 0x80000000u) || a >= STATIC_END;
}

static int is_static(uint32_t a)
{
    return a >= 0x80000000u && a < STATIC_END;
}

static int range_locked(const struct model *m, int64_t i0, uint32_t n)
{
    for (uint32_t k = 0; k < m->nlockr; k++)
        if (m->lockr[k].first < i0 + n && i0 < m->lockr[k].first + m->lockr[k].n)
            return 1;
    return 0;
}

#define RAM_FRAMES 32768u /* the default board's 128 MB */

/* Are there free frames for the reserved pages of [i0, i0 + n)? */
static int frames_for(const struct model *m, int64_t i0, uint32_t n)
{
    uint32_t need = 0;
    for (uint32_t i = 0; i < n; i++)
        need += m->page[i0 + i].state == MS_RESERVED;
    return m->committed + need <= RAM_FRAMES;
}

static int blocks_free(const struct model *m, int64_t b0, uint32_t nb)
{
    for (uint32_t b = 0; b < nb; b++)
        if (m->block[b0 + b].base != M_NONE)
            return 0;
    return 1;
}

uint32_t model6_alloc(struct model *m, uint32_t addr, uint32_t size, uint32_t type, uint32_t prot,
                      uint32_t *err)
{
    uint32_t shown;
    *err = 0;
    type &= ~0x100000u; /* TOP_DOWN ignored */
    if (type == 0 || (type & ~(0x1000u | 0x2000u | 0x1000000u | 0x200000u | 0x40000u)) ||
        !(type & 0x3000u) || (int32_t)size <= 0 || model_check_prot(prot, &shown)) {
        *err = E_PARAM;
        return 0;
    }
    uint32_t pages = pages_of(addr, size), nb = (pages + 15) / 16;
    int ac = (type & 0x200000u) != 0;
    int64_t b0;
    if (addr == 0) { /* kernel mode: the first free run of kernel VM */
        int64_t lo = M6_USER_PAGES / 16, hi = (M6_USER_PAGES + M6_KVM_PAGES) / 16;
        for (b0 = lo; b0 + nb <= hi; b0++)
            if (blocks_free(m, b0, nb))
                break;
        if (b0 + nb > hi) {
            *err = E_NOMEM;
            return 0;
        }
    } else {
        uint32_t a = addr & ~(PAGE - 1);
        uint64_t end = (uint64_t)a + (uint64_t)pages * PAGE;
        uint32_t user_limit = m->version >= 7 ? 0x40000000u : 0x70000000u;
        int ok = a < 0x80000000u ? a >= 0x10000u && end <= user_limit
                                 : a >= M6_KVM_BASE && end <= KVM_END;
        if (!ok) {
            *err = E_PARAM;
            return 0;
        }
        if (!(type & 0x2000u)) { /* commit inside one reservation */
            int64_t i0;
            uint32_t n;
            if (!model_one_reservation(m, addr, size, &i0, &n)) {
                *err = E_PARAM;
                return 0;
            }
            if (!frames_for(m, i0, n)) {
                *err = E_NOMEM;
                return 0;
            }
            model_commit(m, i0, n, shown);
            return model_addr(m, i0);
        }
        /* Compact 7: 64 KB-aligned only; CE 6: base rounded down, page count kept. */
        if (m->version >= 7 && (addr & 0xFFFFu)) {
            *err = E_PARAM;
            return 0;
        }
        b0 = model_index(m, a & ~0xFFFFu) / 16;
        if (!blocks_free(m, b0, nb)) {
            *err = E_PARAM;
            return 0;
        }
    }
    if ((type & 0x1000u) && m->committed + pages > RAM_FRAMES) { /* nothing stays reserved */
        *err = E_NOMEM;
        return 0;
    }
    model_reserve(m, b0, pages, ac, 0);
    if (type & 0x1000u)
        model_commit(m, b0 * 16, pages, shown);
    return model_addr(m, b0 * 16);
}

static void drop_page(struct model *m, int64_t i)
{
    struct mpage *p = &m->page[i];
    if (p->state == MS_COMMITTED)
        m->committed -= !(p->frame & 0x80000000u);
}

uint32_t model6_free(struct model *m, uint32_t addr, uint32_t size, uint32_t type, uint32_t *err)
{
    *err = 0;
    int force = (type & MODEL_FREE_FORCE) != 0;
    type &= ~MODEL_FREE_FORCE;
    int64_t idx = model_index(m, addr);
    if ((type != 0x4000 && type != 0x8000) || addr == 0 || !accessible(addr)) {
        *err = E_PARAM;
        return 0;
    }
    if (type == 0x8000) {
        if (idx < 0 || size != 0 || (addr & 0xFFFF) || m->block[idx / 16].base != idx / 16) {
            *err = E_PARAM;
            return 0;
        }
        int64_t b = idx / 16;
        uint32_t nb = 0;
        while (b + nb < M_BLOCKS && m->block[b + nb].base == (uint32_t)b)
            nb++;
        if (!force && range_locked(m, b * 16, nb * 16)) {
            *err = E_PARAM;
            return 0;
        }
        for (uint32_t i = 0; i < nb * 16; i++) { /* whatever is committed goes too */
            drop_page(m, b * 16 + i);
            memset(&m->page[b * 16 + i], 0, sizeof m->page[0]);
        }
        for (uint32_t i = 0; i < nb; i++)
            m->block[b + i].base = M_NONE;
        for (uint32_t k = 0; k < m->nlockr;) /* locks inside go with it */
            if (m->lockr[k].first >= b * 16 && m->lockr[k].first < (b + nb) * 16)
                m->lockr[k] = m->lockr[--m->nlockr];
            else
                k++;
        return 1;
    }
    int64_t i0;
    uint32_t n;
    if (size == 0 || !model_one_reservation(m, addr, size, &i0, &n) ||
        (!force && range_locked(m, i0, n))) {
        *err = E_PARAM;
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct mpage *p = &m->page[i0 + i];
        if (p->state == MS_COMMITTED) {
            drop_page(m, i0 + i);
            p->state = MS_RESERVED;
            p->prot = 0;
            p->guard = 0;
            p->frame = 0;
        }
    }
    return 1;
}

uint32_t model6_protect(struct model *m, uint32_t addr, uint32_t size, uint32_t prot, uint32_t *old,
                        uint32_t *err)
{
    uint32_t shown;
    *err = 0;
    int64_t i0;
    uint32_t n;
    if (size == 0 || !accessible(addr) || model_check_prot(prot, &shown) ||
        !model_one_reservation(m, addr, size, &i0, &n)) {
        *err = E_PARAM;
        return 0;
    }
    for (uint32_t i = 0; i < n; i++)
        if (m->page[i0 + i].state != MS_COMMITTED) {
            *err = E_PARAM;
            return 0;
        }
    if (range_locked(m, i0, n)) {
        *err = E_SHARING;
        return 0;
    }
    *old = m->page[i0].prot;
    for (uint32_t i = 0; i < n; i++) {
        m->page[i0 + i].prot = (uint16_t)shown;
        m->page[i0 + i].guard = (shown & 0x100) != 0;
    }
    return 1;
}

uint32_t model6_query(struct model *m, uint32_t addr, struct mquery *q, uint32_t *err)
{
    *err = 0;
    memset(q, 0, sizeof *q);
    int64_t idx = model_index(m, addr);
    if (addr < 0x10000u || is_static(addr) || addr >= KVM_END || idx < 0) {
        *err = E_PARAM;
        return 0;
    }
    q->base = addr & ~(PAGE - 1);
    struct mpage *p = &m->page[idx];
    if (p->state == MS_FREE || p->state == MS_PAST_END) {
        /* To the end of this block, then free blocks, up to the end of user space or kernel
         * VM; Type MEM_PRIVATE on CE 6. */
        int64_t region_end = idx < M6_USER_PAGES ? M6_USER_PAGES : M6_USER_PAGES + M6_KVM_PAGES;
        int64_t e = (idx / 16 + 1) * 16;
        while (e < region_end && m->block[e / 16].base == M_NONE)
            e += 16;
        q->size = (uint32_t)(e - idx) * PAGE;
        q->state = 0x10000;
        q->protect = 0x01;
        q->type = 0x20000;
        return 1;
    }
    model_describe_used(m, idx, q); /* CE 6: MEM_PRIVATE for every committed page too */
    return 1;
}

uint32_t model6_copy(struct model *m, uint32_t dst, uint32_t src, uint32_t size, uint32_t prot,
                     uint32_t *err)
{
    uint32_t shown;
    *err = 0;
    int phys = (prot & 0x400) != 0;
    int64_t i0;
    uint32_t n;
    if (size == 0 || dst == 0 || is_static(dst) || model_check_prot(prot & ~0x400u, &shown) ||
        !accessible(dst) || !model_one_reservation(m, dst, size, &i0, &n)) {
        *err = E_PARAM;
        return 0;
    }
    uint32_t frames[64];
    if (!model_copy_target(m, i0, n)) {
        *err = E_PARAM;
        return 0;
    }
    if (phys || is_static(src)) {
        if (!model_device_frames(phys, src, dst, n, frames)) {
            *err = E_PARAM;
            return 0;
        }
    } else {
        /* CE 6: only the page offsets must agree; every source page committed. */
        uint32_t s = src & ~(PAGE - 1);
        int64_t s0 = model_index(m, s);
        if (src == 0 || ((dst ^ src) & 0xFFF) || !accessible(s) || s0 < 0) {
            *err = E_PARAM;
            return 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (model_index(m, s + i * PAGE) != s0 + i || m->page[s0 + i].state != MS_COMMITTED) {
                *err = E_PARAM;
                return 0;
            }
            frames[i] = m->page[s0 + i].frame;
        }
    }
    model_map_frames(m, i0, n, frames, shown);
    return 1;
}

uint32_t model6_lock(struct model *m, uint32_t addr, uint32_t size, uint32_t flags, uint32_t *err)
{
    *err = 0;
    int64_t i0;
    uint32_t n;
    if (addr < 0x10000u || (int32_t)size <= 0 || (flags & ~7u) || !accessible(addr) ||
        !model_one_reservation(m, addr, size, &i0, &n)) {
        *err = E_PARAM;
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct mpage *p = &m->page[i0 + i];
        if (p->state == MS_RESERVED
                ? !m->block[(i0 + i) / 16].autocommit
                : (p->prot & 0xFF) == 0x01 || ((flags & 1) && (p->prot & 0xFF) != 0x04)) {
            *err = E_NOMEM; /* CE 6: a page that cannot be brought in */
            return 0;
        }
    }
    if (!frames_for(m, i0, n)) {
        *err = E_NOMEM;
        return 0;
    }
    for (uint32_t i = 0; i < n; i++)
        if (m->page[i0 + i].state == MS_RESERVED)
            model_commit(m, i0 + i, 1, 0x04);
    if (!(flags & 2) && m->nlockr < 256) {
        m->lockr[m->nlockr].first = i0;
        m->lockr[m->nlockr].n = n;
        m->nlockr++;
    }
    return 1;
}

uint32_t model6_unlock(struct model *m, uint32_t addr, uint32_t size, uint32_t *err)
{
    *err = 0;
    if (addr < 0x10000u || (int32_t)size <= 0) {
        *err = E_PARAM;
        return 0;
    }
    int64_t i0 = model_index(m, addr & ~(PAGE - 1));
    uint32_t n = pages_of(addr, size);
    for (uint32_t k = 0; i0 >= 0 && k < m->nlockr; k++)
        if (m->lockr[k].first == i0 && m->lockr[k].n == n) {
            m->lockr[k] = m->lockr[--m->nlockr];
            return 1;
        }
    *err = E_PARAM; /* not the exact range of an earlier LockPages */
    return 0;
}
