/*
 * image.c — the CE process's module loader: a shared library built with the cevm-ce flags (a
 * driver, or a DLL CE code loads with LoadLibrary) is placed at CE addresses, so that its code,
 * its globals and its bss have addresses that fit in a DWORD, as every byte of a CE process does.
 *
 * glibc's loader takes an address only as a link-time base fixed when the library is built (and
 * only where nothing is mapped, while cevm's window holds the whole low 4 GiB), maps the file
 * outside the CE memory model and binds malloc for the whole process; so cevm loads these
 * libraries itself (docs/ARCHITECTURE.md, "The CE process"), with <elf.h>'s structures: the
 * library's PT_LOAD extent is reserved top-down in the current process slot as a MEM_IMAGE
 * reservation (vm_image_reserve, CE 5's place for RAM DLLs), committed from board RAM, the segments
 * copied in; the dynamic relocations are applied (RELATIVE, 64, GLOB_DAT, JUMP_SLOT, IRELATIVE;
 * PC32/32/32S when they fit) with symbols looked up in the library itself first (a DLL's own
 * definitions bind inside it, as on CE), then the CE heap bindings (malloc/new → the CE heap,
 * crtheap.c), then the process's global scope and the libraries it names;
 * then each page gets its segment's protection (read-only after relocation for RELRO), the unwind
 * tables are registered with libgcc (C++ exceptions, backtraces) and the constructors run. A
 * library it names is itself loaded as a CE image when it lies in the same folder; otherwise it is
 * a host library (libc, libstdc++, libcevm) opened with dlopen.
 *
 * Loaded images sit in a fixed table that image_addr reads without a lock (signal handlers and
 * the fault report use it instead of dladdr). Unsupported: thread-local variables (PT_TLS), DT_REL
 * relocations, non-x86-64 files; each is refused with a message. CEVM_MODULES=host loads with
 * dlopen instead (for debuggers; the globals are then at host addresses).
 */
#define _GNU_SOURCE
#include "ce/ce_api.h"
#include "proc/image.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cevm/cevm.h"
#include "core/elfsyms.h"
#include "core/machine.h"

#define MAX_IMAGES 64
#define MAX_NEEDED 16
/* .eh_frame_hdr's encoding of its .eh_frame pointer: 32-bit, relative to the field. */
#define EH_PE_PCREL_SDATA4 0x1b

extern char **environ;

struct ce_image {
    int live; /* the table slot is in use (read without a lock by image_addr) */
    unsigned refs;
    char path[PATH_MAX];
    dev_t dev;
    ino_t ino;
    void *dl;            /* CEVM_MODULES=host: the dlopen handle */
    uint32_t base, size; /* the CE reservation (slot-0 form) */
    uintptr_t bias;      /* host address of the file's address 0 */
    uintptr_t host_lo, host_hi;
    const Elf64_Sym *sym;
    const char *str;
    size_t nsym, strsz;
    const Elf64_Half *versym;
    const void *verneed;
    size_t nverneed;
    void *needed_dl[MAX_NEEDED];
    struct ce_image *needed_img[MAX_NEEDED];
    unsigned nneeded;
    uintptr_t init, init_array, fini, fini_array;
    size_t ninit, nfini;
    void *eh_frame;
};

static struct ce_image g_images[MAX_IMAGES];
static pthread_mutex_t g_img_lock = PTHREAD_MUTEX_INITIALIZER;

static struct ce_image *fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct ce_image *fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

/* ---- the table ---------------------------------------------------------------------------- */

static struct ce_image *find_loaded(dev_t dev, ino_t ino)
{
    for (int i = 0; i < MAX_IMAGES; i++)
        if (g_images[i].live && g_images[i].dev == dev && g_images[i].ino == ino)
            return &g_images[i];
    return NULL;
}

static struct ce_image *claim_slot(void)
{
    for (int i = 0; i < MAX_IMAGES; i++)
        if (!g_images[i].live && !g_images[i].refs) {
            memset(&g_images[i], 0, sizeof g_images[i]);
            g_images[i].refs = 1; /* claimed, not yet live */
            return &g_images[i];
        }
    return NULL;
}

/* ---- reading the file --------------------------------------------------------------------- */

struct file {
    const unsigned char *b;
    size_t size;
};

static int in_file(const struct file *f, uint64_t off, uint64_t len)
{
    return off <= f->size && len <= f->size - off;
}

/* Is [va, va + len) inside the loaded extent? */
static int in_image(const struct ce_image *im, uint64_t va, uint64_t len)
{
    uintptr_t lo = im->host_lo - im->bias, hi = im->host_hi - im->bias;
    return va >= lo && va <= hi && len <= hi - va;
}

/* Number of .dynsym entries: from the section headers, else the DT_HASH chain count, else a
 * walk of the DT_GNU_HASH chains. */
static size_t count_symbols(const struct ce_image *im, const struct file *f, uintptr_t hash,
                            uintptr_t gnu_hash)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->b;
    if (eh->e_shentsize == sizeof(Elf64_Shdr) &&
        in_file(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr))) {
        const Elf64_Shdr *sh = (const Elf64_Shdr *)(f->b + eh->e_shoff);
        for (unsigned i = 0; i < eh->e_shnum; i++)
            if (sh[i].sh_type == SHT_DYNSYM && sh[i].sh_entsize == sizeof(Elf64_Sym))
                return sh[i].sh_size / sizeof(Elf64_Sym);
    }
    if (hash && in_image(im, hash, 8))
        return ((const uint32_t *)(im->bias + hash))[1];
    if (gnu_hash && in_image(im, gnu_hash, 16)) {
        const uint32_t *h = (const uint32_t *)(im->bias + gnu_hash);
        uint32_t nbuckets = h[0], symoffset = h[1], bloom = h[2];
        const uint32_t *buckets = h + 4 + (size_t)bloom * 2;
        if (!in_image(im, (uintptr_t)buckets - im->bias, (uint64_t)nbuckets * 4))
            return 0;
        uint32_t last = 0;
        for (uint32_t i = 0; i < nbuckets; i++)
            if (buckets[i] > last)
                last = buckets[i];
        if (last < symoffset)
            return symoffset;
        const uint32_t *chain = buckets + nbuckets;
        while (in_image(im, (uintptr_t)&chain[last - symoffset] - im->bias, 4) &&
               !(chain[last - symoffset] & 1))
            last++;
        return (size_t)last + 1;
    }
    return 0;
}

/* ---- symbols ------------------------------------------------------------------------------ */

static const char *sym_name(const struct ce_image *im, const Elf64_Sym *s)
{
    return s->st_name < im->strsz ? im->str + s->st_name : "";
}

static int exported(const Elf64_Sym *s)
{
    int type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
    return s->st_shndx != SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK) &&
           (type == STT_FUNC || type == STT_OBJECT || type == STT_NOTYPE ||
            type == STT_GNU_IFUNC) &&
           ELF64_ST_VISIBILITY(s->st_other) != STV_HIDDEN;
}

static uintptr_t sym_value(const struct ce_image *im, const Elf64_Sym *s)
{
    uintptr_t v = s->st_shndx == SHN_ABS ? s->st_value : im->bias + s->st_value;
    if (ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC)
        v = ((uintptr_t(*)(void))v)();
    return v;
}

void *image_symbol(struct ce_image *im, const char *name)
{
    if (!im || !name)
        return NULL;
    if (im->dl)
        return dlsym(im->dl, name);
    for (size_t i = 1; i < im->nsym; i++)
        if (exported(&im->sym[i]) && !strcmp(sym_name(im, &im->sym[i]), name))
            return (void *)sym_value(im, &im->sym[i]);
    return NULL;
}

void *image_export(struct ce_image *im, const char *name)
{
    void *p = image_symbol(im, name);
    if (p || !im || !name)
        return p;
    if (im->dl) { /* a host-loaded library: its file says the C++ name */
        char cxx[160];
        return elf_cxx_name(im->path, name, cxx, sizeof cxx) ? NULL : dlsym(im->dl, cxx);
    }
    for (size_t i = 1; i < im->nsym; i++) /* the image's own symbol table, in memory */
        if (exported(&im->sym[i]) && elf_is_cxx_function(sym_name(im, &im->sym[i]), name))
            return (void *)sym_value(im, &im->sym[i]);
    return NULL;
}

void *image_handle(const struct ce_image *im)
{
    if (!im)
        return NULL;
    return im->dl ? im->dl : (void *)im->host_lo;
}

struct ce_image *image_from_handle(const void *h)
{
    for (int i = 0; h && i < MAX_IMAGES; i++) {
        struct ce_image *im = &g_images[i];
        if (__atomic_load_n(&im->live, __ATOMIC_ACQUIRE) && image_handle(im) == h)
            return im;
    }
    return NULL;
}

/* The version the library asks for symbol index i (DT_VERNEED), or NULL. */
static const char *sym_version(const struct ce_image *im, size_t i)
{
    if (!im->versym || !im->verneed)
        return NULL;
    Elf64_Half want = im->versym[i] & 0x7fff;
    if (want < 2)
        return NULL;
    const unsigned char *p = im->verneed;
    for (size_t n = 0; n < im->nverneed; n++) {
        const Elf64_Verneed *vn = (const Elf64_Verneed *)p;
        if (!in_image(im, (uintptr_t)vn - im->bias, sizeof *vn))
            return NULL;
        const unsigned char *a = p + vn->vn_aux;
        for (unsigned k = 0; k < vn->vn_cnt; k++) {
            const Elf64_Vernaux *va = (const Elf64_Vernaux *)a;
            if (!in_image(im, (uintptr_t)va - im->bias, sizeof *va))
                return NULL;
            if (va->vna_other == want)
                return va->vna_name < im->strsz ? im->str + va->vna_name : NULL;
            a += va->vna_next;
        }
        if (!vn->vn_next)
            break;
        p += vn->vn_next;
    }
    return NULL;
}

/* The main program's address range (the first object dl_iterate_phdr reports). */
static uintptr_t g_main_lo, g_main_hi;

static int note_main(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + p->p_vaddr, hi = lo + p->p_memsz;
        if (!g_main_lo || lo < g_main_lo)
            g_main_lo = lo;
        if (hi > g_main_hi)
            g_main_hi = hi;
    }
    return 1; /* the first object only */
}

static void main_range(void)
{
    dl_iterate_phdr(note_main, NULL);
}

static int in_main_program(const void *p)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, main_range);
    return (uintptr_t)p >= g_main_lo && (uintptr_t)p < g_main_hi;
}

/* A symbol the library needs, as the dynamic loader binds it: the program's own definition
 * wins (it interposes, as sanitizer interceptors do), else the version the library asks for,
 * else the default version. */
static void *lookup_in(void *dl, const char *name, const char *version)
{
    void *v = dlsym(dl, name);
    if (!version || (v && in_main_program(v)))
        return v;
    void *exact = dlvsym(dl, name, version);
    return exact ? exact : v;
}

/* Where symbol index i of the library binds: its own definition, a CE heap binding, the global
 * scope, then the libraries it names. Return: 1 and *value, or 0 (not found). */
static int resolve(struct ce_image *im, size_t i, uintptr_t *value)
{
    const Elf64_Sym *s = &im->sym[i];
    if (s->st_shndx != SHN_UNDEF) {
        *value = sym_value(im, s);
        return 1;
    }
    const char *name = sym_name(im, s);
    void *v = crtheap_binding(name);
    const char *version = sym_version(im, i);
    if (!v)
        v = lookup_in(RTLD_DEFAULT, name, version);
    for (unsigned k = 0; !v && k < im->nneeded; k++)
        v = im->needed_img[k] ? image_symbol(im->needed_img[k], name)
                              : lookup_in(im->needed_dl[k], name, version);
    *value = (uintptr_t)v;
    return v != NULL;
}

/* ---- relocation --------------------------------------------------------------------------- */

static int relocate(struct ce_image *im, uintptr_t rela, size_t size, char *err, size_t errlen)
{
    if (!size)
        return 0;
    if (!in_image(im, rela, size) || size % sizeof(Elf64_Rela)) {
        fail(err, errlen, "its relocation table lies outside the library");
        return -1;
    }
    const Elf64_Rela *r = (const Elf64_Rela *)(im->bias + rela);
    for (size_t k = 0; k < size / sizeof *r; k++) {
        uint32_t type = ELF64_R_TYPE(r[k].r_info);
        size_t si = ELF64_R_SYM(r[k].r_info);
        if (type == R_X86_64_NONE)
            continue;
        int wide = type == R_X86_64_RELATIVE || type == R_X86_64_64 || type == R_X86_64_GLOB_DAT ||
                   type == R_X86_64_JUMP_SLOT || type == R_X86_64_IRELATIVE;
        if (!in_image(im, r[k].r_offset, wide ? 8 : 4)) {
            fail(err, errlen, "relocation %zu writes outside the library", k);
            return -1;
        }
        uintptr_t at = im->bias + r[k].r_offset, s = 0;
        int64_t a = r[k].r_addend;
        if (si) {
            if (si >= im->nsym) {
                fail(err, errlen, "relocation %zu names symbol %zu of %zu", k, si, im->nsym);
                return -1;
            }
            if (ELF64_ST_TYPE(im->sym[si].st_info) == STT_TLS) {
                fail(err, errlen,
                     "it has thread-local variables (__thread, %s), which cevm "
                     "cannot place at CE addresses",
                     sym_name(im, &im->sym[si]));
                return -1;
            }
            if (!resolve(im, si, &s) && ELF64_ST_BIND(im->sym[si].st_info) != STB_WEAK) {
                fail(err, errlen, "undefined symbol: %s", sym_name(im, &im->sym[si]));
                return -1;
            }
        }
        uint64_t v;
        switch (type) {
        case R_X86_64_RELATIVE:
            v = im->bias + (uint64_t)a;
            memcpy((void *)at, &v, 8);
            break;
        case R_X86_64_64:
        case R_X86_64_GLOB_DAT:
        case R_X86_64_JUMP_SLOT:
            v = s + (uint64_t)a;
            memcpy((void *)at, &v, 8);
            break;
        case R_X86_64_IRELATIVE:
            v = ((uint64_t(*)(void))(im->bias + (uint64_t)a))();
            memcpy((void *)at, &v, 8);
            break;
        case R_X86_64_PC32:
        case R_X86_64_32:
        case R_X86_64_32S: {
            int64_t x = (int64_t)(s + (uint64_t)a);
            if (type == R_X86_64_PC32)
                x -= (int64_t)at;
            int ok =
                type == R_X86_64_32 ? (uint64_t)x <= UINT32_MAX : x >= INT32_MIN && x <= INT32_MAX;
            if (!ok) {
                fail(err, errlen, "relocation %zu (type %u) does not fit in 32 bits", k, type);
                return -1;
            }
            uint32_t w = (uint32_t)x;
            memcpy((void *)at, &w, 4);
            break;
        }
        case R_X86_64_DTPMOD64:
        case R_X86_64_DTPOFF64:
        case R_X86_64_TPOFF64:
        case R_X86_64_TLSDESC:
            fail(err, errlen,
                 "it has thread-local variables (__thread), which cevm cannot place "
                 "at CE addresses");
            return -1;
        default:
            fail(err, errlen, "relocation type %u is not supported", type);
            return -1;
        }
    }
    return 0;
}

/* ---- protection, unwind tables, constructors ---------------------------------------------- */

void image_page_perms(const Elf64_Phdr *ph, unsigned nph, uintptr_t lo, uint32_t pages,
                      uint8_t *perm)
{
    memset(perm, 0, pages);
    for (unsigned i = 0; i < nph; i++) {
        if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
            continue;
        uint64_t first = (ph[i].p_vaddr - lo) / 0x1000u,
                 last = (ph[i].p_vaddr + ph[i].p_memsz - 1 - lo) / 0x1000u;
        for (uint64_t p = first; p <= last && p < pages; p++)
            if (perm[p] < ((ph[i].p_flags & PF_W) ? 2 : 1))
                perm[p] = (ph[i].p_flags & PF_W) ? 2 : 1;
    }
    for (unsigned i = 0; i < nph; i++) {
        if (ph[i].p_type != PT_GNU_RELRO)
            continue;
        uint64_t first = (ph[i].p_vaddr - lo) / 0x1000u,
                 end = (ph[i].p_vaddr + ph[i].p_memsz - lo) / 0x1000u; /* whole pages only */
        for (uint64_t p = first; p < end && p < pages; p++)
            perm[p] = 1;
    }
}

int image_protect_pages(struct vm *vm, uint32_t base, const uint8_t *perm, uint32_t pages)
{
    static const uint32_t prot[3] = {PAGE_NOACCESS, PAGE_EXECUTE_READ, PAGE_READWRITE};
    int rc = 0, trusted = vm->trusted;
    vm->trusted = 1; /* the loader is the kernel, whatever the caller's trust or mode */
    for (uint32_t p = 0; p < pages;) {
        uint32_t q = p, old;
        while (q < pages && perm[q] == perm[p])
            q++;
        if (perm[p] != 2 &&
            vm_protect(vm, base + p * 0x1000u, (q - p) * 0x1000u, prot[perm[p]], &old))
            rc = -1;
        p = q;
    }
    vm->trusted = trusted;
    return rc;
}

/* Give each page of the image its segment's protection: writable segments PAGE_READWRITE,
 * the rest PAGE_EXECUTE_READ (the host view executes), RELRO read-only, gaps PAGE_NOACCESS. */
static int protect_image(struct ce_image *im, const Elf64_Phdr *ph, unsigned nph, uintptr_t lo)
{
    uint32_t pages = im->size / 0x1000u;
    uint8_t *perm = malloc(pages ? pages : 1);
    if (!perm)
        return -1;
    image_page_perms(ph, nph, lo, pages, perm);
    struct machine *m = machine_acquire();
    int rc = m ? image_protect_pages(&m->vm, im->base, perm, pages) : -1;
    if (m)
        machine_unlock();
    free(perm);
    return rc;
}

typedef void (*frame_fn)(void *);

static frame_fn unwind_call(const char *name)
{
    static void *gcc_s;
    if (!gcc_s)
        gcc_s = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!gcc_s)
        gcc_s = dlopen("libgcc_s.so.1", RTLD_NOW);
    return gcc_s ? (frame_fn)dlsym(gcc_s, name) : NULL;
}

/* Register the library's .eh_frame (found through PT_GNU_EH_FRAME) with libgcc's unwinder. */
static void register_frames(struct ce_image *im, uint64_t hdr)
{
    if (!hdr || !in_image(im, hdr, 8))
        return;
    const unsigned char *h = (const unsigned char *)(im->bias + hdr);
    if (h[0] != 1 || h[1] != EH_PE_PCREL_SDATA4)
        return;
    int32_t rel;
    memcpy(&rel, h + 4, 4);
    void *eh = (void *)(h + 4 + rel);
    frame_fn reg = unwind_call("__register_frame");
    if (reg && in_image(im, (uintptr_t)eh - im->bias, 4)) {
        reg(eh);
        im->eh_frame = eh;
    }
}

typedef void (*init_fn)(int, char **, char **);
typedef void (*fini_fn)(void);

static void run_constructors(void *ctx)
{
    struct ce_image *im = ctx;
    if (im->init)
        ((init_fn)im->init)(0, NULL, environ);
    for (size_t i = 0; i < im->ninit; i++) {
        uintptr_t f = ((const uintptr_t *)im->init_array)[i];
        if (f && f != UINTPTR_MAX)
            ((init_fn)f)(0, NULL, environ);
    }
}

static void run_destructors(void *ctx)
{
    struct ce_image *im = ctx;
    for (size_t i = im->nfini; i-- > 0;) {
        uintptr_t f = ((const uintptr_t *)im->fini_array)[i];
        if (f && f != UINTPTR_MAX)
            ((fini_fn)f)();
    }
    if (im->fini)
        ((fini_fn)im->fini)();
}

/* ---- loading ------------------------------------------------------------------------------ */

/* Give the table slot back (the caller holds g_img_lock). */
static void clear_slot_locked(struct ce_image *im)
{
    __atomic_store_n(&im->live, 0, __ATOMIC_RELEASE);
    im->refs = 0;
}

static void free_slot(struct ce_image *im)
{
    pthread_mutex_lock(&g_img_lock);
    clear_slot_locked(im);
    pthread_mutex_unlock(&g_img_lock);
}

/* Undo what linking did outside the image: the host libraries it opened (and, with
 * unload_images, the CE images it loaded), and its unwind-table registration. */
static void drop_links(struct ce_image *im, int unload_images)
{
    for (unsigned k = 0; k < im->nneeded; k++) {
        if (im->needed_img[k] && unload_images)
            image_unload(im->needed_img[k]);
        else if (im->needed_dl[k])
            dlclose(im->needed_dl[k]);
    }
    if (im->eh_frame) {
        frame_fn dereg = unwind_call("__deregister_frame");
        if (dereg)
            dereg(im->eh_frame);
    }
}

static void release(struct ce_image *im)
{
    drop_links(im, 1);
    if (im->size) {
        struct machine *m = machine_acquire();
        if (m) {
            vm_image_release(&m->vm, im->base);
            machine_unlock();
        }
    }
    free_slot(im);
}

/* Open a library the image names: a CE image if it lies in the image's own folder, else a host
 * library through dlopen. */
static int open_needed(struct ce_image *im, const char *name, char *err, size_t errlen)
{
    if (im->nneeded == MAX_NEEDED) {
        fail(err, errlen, "it names more than %d libraries", MAX_NEEDED);
        return -1;
    }
    char path[PATH_MAX];
    const char *slash = strrchr(im->path, '/');
    int dir = slash ? (int)(slash - im->path) : 0;
    if (slash &&
        (size_t)snprintf(path, sizeof path, "%.*s/%s", dir, im->path, name) < sizeof path &&
        !access(path, R_OK)) {
        char why[200];
        struct ce_image *dep = image_load(path, why, sizeof why);
        if (!dep) {
            fail(err, errlen, "%s: %s", path, why);
            return -1;
        }
        im->needed_img[im->nneeded++] = dep;
        return 0;
    }
    void *dl = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *why = dlerror();
        fail(err, errlen, "cannot open the library it needs, %s: %s", name, why ? why : "");
        return -1;
    }
    im->needed_dl[im->nneeded++] = dl;
    return 0;
}

static struct ce_image *load_host(struct ce_image *im, char *err, size_t errlen)
{
    if (!(im->dl = dlopen(im->path, RTLD_NOW | RTLD_LOCAL))) {
        const char *why = dlerror();
        fail(err, errlen, "%s", why ? why : "dlopen failed");
        free_slot(im);
        return NULL;
    }
    __atomic_store_n(&im->live, 1, __ATOMIC_RELEASE);
    return im;
}

/* Map the file, reserve the image, copy the segments and read the dynamic section. */
static int place(struct ce_image *im, const struct file *f, const Elf64_Phdr **eh_frame,
                 uintptr_t *dynva, char *err, size_t errlen)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f->b;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(f->b + eh->e_phoff);
    uint64_t lo = UINT64_MAX, hi = 0;
    const Elf64_Phdr *dyn = NULL;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_TLS) {
            fail(err, errlen,
                 "it has thread-local variables (__thread), which cevm cannot place "
                 "at CE addresses");
            return -1;
        }
        if (ph[i].p_type == PT_INTERP) {
            fail(err, errlen, "it is a program, not a library");
            return -1;
        }
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = &ph[i];
        if (ph[i].p_type == PT_GNU_EH_FRAME)
            *eh_frame = &ph[i];
        if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
            continue;
        if (ph[i].p_filesz > ph[i].p_memsz || !in_file(f, ph[i].p_offset, ph[i].p_filesz) ||
            ph[i].p_vaddr > UINT32_MAX || ph[i].p_memsz > UINT32_MAX) {
            fail(err, errlen, "segment %u lies outside the file", i);
            return -1;
        }
        if (ph[i].p_vaddr < lo)
            lo = ph[i].p_vaddr;
        if (ph[i].p_vaddr + ph[i].p_memsz > hi)
            hi = ph[i].p_vaddr + ph[i].p_memsz;
    }
    if (!dyn || lo >= hi) {
        fail(err, errlen, "it has no loadable segments or no dynamic section");
        return -1;
    }
    lo &= ~(uint64_t)0xFFF;
    hi = (hi + 0xFFF) & ~(uint64_t)0xFFF;
    if (hi - lo >= CE_SECTION_SIZE) {
        fail(err, errlen, "its %llu KB do not fit in a 32 MB process slot",
             (unsigned long long)((hi - lo) / 1024));
        return -1;
    }
    struct machine *m = machine_acquire();
    if (!m) {
        fail(err, errlen, "the machine is not running");
        return -1;
    }
    uint32_t base = 0, e = vm_image_reserve(&m->vm, (uint32_t)(hi - lo), &base);
    uintptr_t host = e ? 0 : (uintptr_t)window_ptr(&m->win, base);
    machine_unlock();
    if (e) {
        fail(err, errlen,
             "no room: %llu KB are not free below the top of the process slot "
             "(or RAM is exhausted)",
             (unsigned long long)((hi - lo) / 1024));
        return -1;
    }
    im->base = base;
    im->size = (uint32_t)(hi - lo);
    im->bias = host - (uintptr_t)lo;
    im->host_lo = host;
    im->host_hi = host + im->size;
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_filesz)
            memcpy((void *)(im->bias + ph[i].p_vaddr), f->b + ph[i].p_offset, ph[i].p_filesz);
    if (!in_image(im, dyn->p_vaddr, dyn->p_memsz)) {
        fail(err, errlen, "its dynamic section lies outside the library");
        return -1;
    }
    *dynva = dyn->p_vaddr;
    return 0;
}

/* Walk the dynamic section: names, tables, relocations, constructors. */
static int link_image(struct ce_image *im, const struct file *f, uintptr_t dynva, char *err,
                      size_t errlen)
{
    uintptr_t strtab = 0, symtab = 0, rela = 0, jmprel = 0, hash = 0, gnu_hash = 0;
    uintptr_t versym = 0, verneed = 0;
    size_t strsz = 0, relasz = 0, pltrelsz = 0, nverneed = 0;
    int pltrel = DT_RELA;
    const Elf64_Dyn *d = (const Elf64_Dyn *)(im->bias + dynva);
    for (size_t i = 0;
         in_image(im, (uintptr_t)&d[i] - im->bias, sizeof d[i]) && d[i].d_tag != DT_NULL; i++) {
        uintptr_t v = d[i].d_un.d_ptr;
        switch (d[i].d_tag) {
        case DT_STRTAB:
            strtab = v;
            break;
        case DT_STRSZ:
            strsz = v;
            break;
        case DT_SYMTAB:
            symtab = v;
            break;
        case DT_RELA:
            rela = v;
            break;
        case DT_RELASZ:
            relasz = v;
            break;
        case DT_JMPREL:
            jmprel = v;
            break;
        case DT_PLTRELSZ:
            pltrelsz = v;
            break;
        case DT_PLTREL:
            pltrel = (int)v;
            break;
        case DT_HASH:
            hash = v;
            break;
        case DT_GNU_HASH:
            gnu_hash = v;
            break;
        case DT_VERSYM:
            versym = v;
            break;
        case DT_VERNEED:
            verneed = v;
            break;
        case DT_VERNEEDNUM:
            nverneed = v;
            break;
        case DT_INIT:
            im->init = im->bias + v;
            break;
        case DT_FINI:
            im->fini = im->bias + v;
            break;
        case DT_INIT_ARRAY:
            im->init_array = im->bias + v;
            break;
        case DT_INIT_ARRAYSZ:
            im->ninit = v / sizeof(uintptr_t);
            break;
        case DT_FINI_ARRAY:
            im->fini_array = im->bias + v;
            break;
        case DT_FINI_ARRAYSZ:
            im->nfini = v / sizeof(uintptr_t);
            break;
        case DT_REL:
            fail(err, errlen, "it uses DT_REL relocations (x86-64 libraries use DT_RELA)");
            return -1;
        default:
            break;
        }
    }
    if (!in_image(im, strtab, strsz) || !in_image(im, symtab, sizeof(Elf64_Sym)) ||
        pltrel != DT_RELA ||
        (im->init_array && !in_image(im, im->init_array - im->bias, im->ninit * 8)) ||
        (im->fini_array && !in_image(im, im->fini_array - im->bias, im->nfini * 8))) {
        fail(err, errlen, "its dynamic section is malformed");
        return -1;
    }
    im->str = (const char *)(im->bias + strtab);
    im->strsz = strsz;
    im->sym = (const Elf64_Sym *)(im->bias + symtab);
    im->nsym = count_symbols(im, f, hash, gnu_hash);
    if (!in_image(im, symtab, im->nsym * sizeof(Elf64_Sym))) {
        fail(err, errlen, "its symbol table lies outside the library");
        return -1;
    }
    if (versym && in_image(im, versym, im->nsym * sizeof(Elf64_Half)))
        im->versym = (const Elf64_Half *)(im->bias + versym);
    if (verneed && in_image(im, verneed, sizeof(Elf64_Verneed))) {
        im->verneed = (const void *)(im->bias + verneed);
        im->nverneed = nverneed;
    }
    for (size_t i = 0;
         in_image(im, (uintptr_t)&d[i] - im->bias, sizeof d[i]) && d[i].d_tag != DT_NULL; i++)
        if (d[i].d_tag == DT_NEEDED &&
            (d[i].d_un.d_val >= strsz || open_needed(im, im->str + d[i].d_un.d_val, err, errlen)))
            return -1;
    if (relocate(im, rela, relasz, err, errlen) || relocate(im, jmprel, pltrelsz, err, errlen))
        return -1;
    return 0;
}

struct ce_image *image_load(const char *path, char *err, size_t errlen)
{
    if (!path || !path[0])
        return fail(err, errlen, "no library named");
    struct ce_image *im;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fail(err, errlen, "cannot open %s: %s", path, strerror(e));
    }
    pthread_mutex_lock(&g_img_lock);
    if ((im = find_loaded(st.st_dev, st.st_ino))) {
        im->refs++;
        pthread_mutex_unlock(&g_img_lock);
        close(fd);
        return im;
    }
    im = claim_slot();
    pthread_mutex_unlock(&g_img_lock);
    if (!im) {
        close(fd);
        return fail(err, errlen, "%d libraries are loaded already", MAX_IMAGES);
    }
    if (!realpath(path, im->path))
        snprintf(im->path, sizeof im->path, "%s", path);
    im->dev = st.st_dev;
    im->ino = st.st_ino;
    const char *mode = getenv("CEVM_MODULES");
    if (mode && !strcmp(mode, "host")) {
        close(fd);
        return load_host(im, err, errlen);
    }
    struct file f = {NULL, (size_t)st.st_size};
    if (f.size >= sizeof(Elf64_Ehdr))
        f.b = mmap(NULL, f.size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (!f.b || f.b == MAP_FAILED) {
        free_slot(im);
        return fail(err, errlen, "cannot read %s: not an ELF file", path);
    }
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f.b;
    const Elf64_Phdr *eh_frame = NULL;
    int ok = !memcmp(eh->e_ident, ELFMAG, SELFMAG) && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
             eh->e_ident[EI_DATA] == ELFDATA2LSB && eh->e_machine == EM_X86_64 &&
             eh->e_phentsize == sizeof(Elf64_Phdr) &&
             in_file(&f, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr));
    if (!ok || eh->e_type != ET_DYN) {
        munmap((void *)f.b, f.size);
        free_slot(im);
        return fail(err, errlen, "%s is not an x86-64 shared library", path);
    }
    uintptr_t dynva = 0;
    if (err && errlen)
        err[0] = '\0';
    if (place(im, &f, &eh_frame, &dynva, err, errlen) || link_image(im, &f, dynva, err, errlen) ||
        protect_image(im, (const Elf64_Phdr *)(f.b + eh->e_phoff), eh->e_phnum,
                      im->host_lo - im->bias)) {
        if (err && errlen && !err[0])
            fail(err, errlen, "the host refused to protect its pages");
        munmap((void *)f.b, f.size);
        release(im);
        return NULL;
    }
    uint64_t eh_hdr = eh_frame ? eh_frame->p_vaddr : 0;
    munmap((void *)f.b, f.size);
    register_frames(im, eh_hdr);
    __atomic_store_n(&im->live, 1, __ATOMIC_RELEASE);
    cevm_exception e;
    if (cevm_try(run_constructors, im, &e)) {
        fail(err, errlen, "a constructor of %s raised %s (0x%08X) at 0x%08X", path,
             cevm_exception_name(e.code), e.code, e.info[1]);
        release(im);
        return NULL;
    }
    const unsigned int *wce = image_symbol(im, "cevm_built_for_wce");
    if (wce)
        machine_check_built_for(path, *wce);
    return im;
}

void image_unload(struct ce_image *im)
{
    if (!im)
        return;
    pthread_mutex_lock(&g_img_lock);
    unsigned left = im->refs ? --im->refs : 0;
    if (!left)
        im->refs = 1; /* held by this unload until release */
    pthread_mutex_unlock(&g_img_lock);
    if (left)
        return;
    if (im->dl) {
        dlclose(im->dl);
        free_slot(im);
        return;
    }
    cevm_exception e;
    cevm_try(run_destructors, im, &e);
    release(im);
}

const char *image_path(const struct ce_image *im)
{
    return im ? im->path : "";
}

uint32_t image_base(const struct ce_image *im)
{
    return im ? im->base : 0;
}

uint32_t image_size(const struct ce_image *im)
{
    return im ? im->size : 0;
}

int image_addr(const void *p, struct module_addr *out)
{
    uintptr_t a = (uintptr_t)p;
    for (int i = 0; i < MAX_IMAGES; i++) {
        const struct ce_image *im = &g_images[i];
        if (!__atomic_load_n(&im->live, __ATOMIC_ACQUIRE) || im->dl || a < im->host_lo ||
            a >= im->host_hi)
            continue;
        out->path = im->path;
        out->bias = im->bias;
        out->sname = NULL;
        out->saddr = 0;
        for (size_t k = 1; k < im->nsym; k++) {
            const Elf64_Sym *s = &im->sym[k];
            if (!exported(s) || ELF64_ST_TYPE(s->st_info) != STT_FUNC)
                continue;
            uintptr_t v = im->bias + s->st_value;
            if (v <= a && v > out->saddr && (!s->st_size || a < v + s->st_size)) {
                out->saddr = v;
                out->sname = sym_name(im, s);
            }
        }
        return 1;
    }
    return 0;
}

void image_each(void (*cb)(const char *path, uint32_t base, uint32_t size, uintptr_t bias,
                           void *ctx),
                void *ctx)
{
    for (int i = 0; i < MAX_IMAGES; i++) {
        const struct ce_image *im = &g_images[i];
        if (__atomic_load_n(&im->live, __ATOMIC_ACQUIRE) && !im->dl)
            cb(im->path, im->base, im->size, im->bias, ctx);
    }
}

int image_dladdr(const void *p, struct module_addr *out)
{
    if (image_addr(p, out))
        return 1;
    Dl_info di;
    if (!p || !dladdr(p, &di) || !di.dli_fname)
        return 0;
    out->path = di.dli_fname;
    out->bias = (uintptr_t)di.dli_fbase;
    out->sname = di.dli_sname;
    out->saddr = (uintptr_t)di.dli_saddr;
    return 1;
}

unsigned image_count(void)
{
    unsigned n = 0;
    for (int i = 0; i < MAX_IMAGES; i++)
        n += __atomic_load_n(&g_images[i].live, __ATOMIC_ACQUIRE) && !g_images[i].dl;
    return n;
}

void image_reset(void)
{
    pthread_mutex_lock(&g_img_lock);
    for (int i = 0; i < MAX_IMAGES; i++) {
        struct ce_image *im = &g_images[i];
        if (!im->live || im->dl)
            continue;
        drop_links(im, 0); /* the images it loaded are in the table: reset in turn */
        clear_slot_locked(im);
    }
    pthread_mutex_unlock(&g_img_lock);
}

struct module_list {
    cevm_module_info *out;
    size_t max, n;
};

static void add_module(const char *path, uint32_t base, uint32_t size, uintptr_t bias, void *ctx)
{
    (void)bias;
    struct module_list *l = ctx;
    if (l->n < l->max) {
        /* Keep the list sorted by base: insert. */
        size_t at = l->n;
        while (at > 0 && l->out[at - 1].base > base) {
            l->out[at] = l->out[at - 1];
            at--;
        }
        cevm_module_info *mi = &l->out[at];
        const char *name = strrchr(path, '/');
        snprintf(mi->name, sizeof mi->name, "%s", name ? name + 1 : path);
        snprintf(mi->path, sizeof mi->path, "%s", path);
        mi->base = base;
        mi->size = size;
    }
    l->n++;
}

size_t cevm_modules(cevm_module_info *out, size_t max)
{
    struct module_list l = {out, out ? max : 0, 0};
    image_each(add_module, &l);
    return l.n;
}
