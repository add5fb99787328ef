/*
 * physmap.c — builds the physical map from a board: one backing per region (memfd for RAM and
 * register files, an opened host file for `file` devices, none for unimplemented ranges) and a
 * private MAP_SHARED view of each, kept sorted by physical address for binary search.
 */
#define _GNU_SOURCE
#include "phys/phys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/host.h"

/* Can raw accesses be decoded here (core/emulate.c: x86-64 with Capstone)? If not, register
 * files stay plain memory. */
static int can_trap(void)
{
#if defined(CEVM_HAVE_CAPSTONE) && defined(__x86_64__)
    return !host_under_valgrind();
#else
    return 0;
#endif
}

static int by_pa(const void *a, const void *b)
{
    const struct phys_region *x = a, *y = b;
    return x->pa < y->pa ? -1 : x->pa > y->pa;
}

/* May this user write the file, by its mode bits (root included: a read-only file stays
 * read-only)? */
static int mode_lets_write(const struct stat *st)
{
    if (st->st_uid == geteuid())
        return (st->st_mode & S_IWUSR) != 0;
    if (st->st_gid == getegid())
        return (st->st_mode & S_IWGRP) != 0;
    gid_t groups[256];
    int n = getgroups(256, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == st->st_gid)
            return (st->st_mode & S_IWGRP) != 0;
    return (st->st_mode & S_IWOTH) != 0;
}

/* "file:line: " of a region, for messages. */
static void where(const struct board_region *d, char *buf, size_t cap)
{
    if (d->file)
        snprintf(buf, cap, "%s:%d: ", d->file, d->line);
    else
        buf[0] = '\0';
}

static cevm_status open_backing(struct phys_region *r, const struct board_region *d, int no_write,
                                char *err, size_t errlen)
{
    if (d->kind == REGION_UNIMPLEMENTED)
        return CEVM_OK;
    char at[300];
    where(d, at, sizeof at);
    if (d->kind == REGION_FILE) {
        int writable = d->writable && !no_write;
        r->read_only = !writable;
        r->fd = open(d->path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
        if (r->fd < 0) {
            snprintf(err, errlen, "%sdevice %s: cannot open %s: %s", at, d->name, d->path,
                     strerror(errno));
            return CEVM_E_HOST;
        }
        struct stat st;
        if (fstat(r->fd, &st) == 0 && writable && !mode_lets_write(&st)) {
            snprintf(err, errlen,
                     "%sdevice %s: %s is marked rw but its mode does not let you "
                     "write it",
                     at, d->name, d->path);
            return CEVM_E_BOARD;
        }
        if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode) &&
            (uint64_t)st.st_size < d->file_offset + d->size) {
            snprintf(err, errlen,
                     "%sdevice %s: %s is %lld bytes, too small for 0x%llx bytes at offset 0x%llx",
                     at, d->name, d->path, (long long)st.st_size, (unsigned long long)d->size,
                     (unsigned long long)d->file_offset);
            return CEVM_E_BOARD;
        }
        r->fd_off = d->file_offset;
    } else {
        char name[48];
        snprintf(name, sizeof name, "cevm-%s", d->name);
        r->fd = host_memfd(name, d->size);
        if (r->fd < 0) {
            snprintf(err, errlen, "%s%s %s: memfd of 0x%llx bytes failed: %s", at,
                     d->kind == REGION_RAM ? "ram" : "device", d->name, (unsigned long long)d->size,
                     strerror(errno));
            return CEVM_E_HOST;
        }
    }
    void *v = host_mmap(NULL, (size_t)d->size, phys_prot(r, PROT_READ | PROT_WRITE), MAP_SHARED,
                        r->fd, (off_t)r->fd_off);
    if (v == MAP_FAILED) {
        snprintf(err, errlen, "%s%s %s: cannot map its backing: %s", at,
                 d->kind == REGION_RAM ? "ram" : "device", d->name, strerror(errno));
        return CEVM_E_HOST;
    }
    r->view = v;
    return CEVM_OK;
}

int phys_prot(const struct phys_region *r, int prot)
{
    return r->read_only ? prot & ~PROT_WRITE : prot;
}

cevm_status phys_build(struct phys_map *pm, const struct board *b, int no_write, char *err,
                       size_t errlen)
{
    memset(pm, 0, sizeof *pm);
    pm->r = host_calloc(b->nregions ? b->nregions : 1, sizeof *pm->r);
    if (!pm->r)
        return CEVM_E_NOMEM;
    for (size_t i = 0; i < b->nregions; i++) {
        const struct board_region *d = &b->regions[i];
        struct phys_region *r = &pm->r[i];
        snprintf(r->name, sizeof r->name, "%s", d->name);
        r->kind = d->kind;
        r->trapped = d->kind == REGION_REGFILE && !d->plain && can_trap();
        r->pa = d->pa;
        r->size = d->size;
        r->fd = -1;
        pm->n = i + 1;
        cevm_status st = open_backing(r, d, no_write, err, errlen);
        if (st) {
            phys_destroy(pm);
            return st;
        }
        pm->read_only_regions += (size_t)r->read_only;
    }
    qsort(pm->r, pm->n, sizeof *pm->r, by_pa);
    for (size_t i = 0; i < pm->n; i++) {
        struct phys_region *r = &pm->r[i];
        if (r->kind != REGION_RAM)
            continue;
        r->first_frame = pm->nframes;
        r->nframes = (uint32_t)(r->size / PHYS_PAGE);
        pm->nframes += r->nframes;
    }
    pm->ref = host_calloc(pm->nframes, sizeof *pm->ref);
    pm->dirty = host_calloc(pm->nframes, 1);
    if (!pm->ref || !pm->dirty) {
        phys_destroy(pm);
        return CEVM_E_NOMEM;
    }
    pm->nfree = pm->min_free = pm->nframes;
    return CEVM_OK;
}

void phys_destroy(struct phys_map *pm)
{
    for (size_t i = 0; i < pm->n; i++) {
        struct phys_region *r = &pm->r[i];
        if (r->view)
            host_munmap(r->view, (size_t)r->size);
        if (r->fd >= 0)
            close(r->fd);
    }
    free(pm->r);
    free(pm->ref);
    free(pm->dirty);
    memset(pm, 0, sizeof *pm);
}

struct phys_region *phys_find(const struct phys_map *pm, uint64_t pa)
{
    size_t lo = 0, hi = pm->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        struct phys_region *r = &pm->r[mid];
        if (pa < r->pa)
            hi = mid;
        else if (pa >= r->pa + r->size)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

void *phys_view(const struct phys_map *pm, uint64_t pa)
{
    struct phys_region *r = phys_find(pm, pa);
    if (!r || !r->view)
        return NULL;
    return r->view + (pa - r->pa);
}
