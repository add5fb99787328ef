/*
 * elfsyms.c — what a loaded library's file says that dlopen/dlsym cannot: its dynamic symbols
 * (the C++ names of entry points a .def file exports undecorated, and every symbol a library
 * needs that nothing provides) and its sections (the __finally marks of excpt.h).
 *
 * The file is mapped read-only and walked with <elf.h>'s 64-bit structures; anything malformed
 * ends the walk (return -1), never a read outside the file.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/elfsyms.h"

/* Map the 64-bit ELF file at path read-only, its section header table checked to lie inside
 * it. Return: the mapping (unmap *size bytes), or NULL. */
static const unsigned char *map_elf(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) || (size_t)st.st_size < sizeof(Elf64_Ehdr)) {
        close(fd);
        return NULL;
    }
    *size = (size_t)st.st_size;
    const unsigned char *b = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (b == MAP_FAILED)
        return NULL;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > *size ||
        (*size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum) {
        munmap((void *)b, *size);
        return NULL;
    }
    return b;
}

int elf_dynsyms(const char *path, void (*cb)(const char *name, int defined, void *ctx), void *ctx)
{
    size_t size;
    const unsigned char *b = map_elf(path, &size);
    if (!b)
        return -1;
    int rc = -1;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(b + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Shdr *str = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
            str->sh_offset > size || str->sh_size > size - str->sh_offset || !str->sh_size)
            goto out;
        const Elf64_Sym *sym = (const Elf64_Sym *)(b + sh[i].sh_offset);
        const char *names = (const char *)(b + str->sh_offset);
        size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
        for (size_t k = 1; k < n; k++) {
            if (sym[k].st_name >= str->sh_size || !names[sym[k].st_name])
                continue;
            const char *name = names + sym[k].st_name;
            if (!memchr(name, 0, str->sh_size - sym[k].st_name))
                continue;
            int type = ELF64_ST_TYPE(sym[k].st_info);
            if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
                continue;
            int bind = ELF64_ST_BIND(sym[k].st_info);
            cb(name,
               sym[k].st_shndx != SHN_UNDEF ? ELF_SYM_DEFINED
               : bind == STB_WEAK           ? ELF_SYM_WEAK_NEEDED
                                            : ELF_SYM_NEEDED,
               ctx);
        }
        rc = 0;
        break;
    }
out:
    munmap((void *)b, size);
    return rc;
}

int elf_is_cxx_function(const char *mangled, const char *name)
{
    /* A free function in the global namespace: _Z<len><name> then its parameter types. */
    char want[160];
    int n = snprintf(want, sizeof want, "_Z%zu%s", strlen(name), name);
    return n > 0 && (size_t)n < sizeof want && !strncmp(mangled, want, (size_t)n) && mangled[n];
}

struct cxx_find {
    const char *name; /* "LED_Init" */
    char found[160];
};

static void find_cxx(const char *name, int how, void *ctx)
{
    struct cxx_find *f = ctx;
    if (how == ELF_SYM_DEFINED && !f->found[0] && strlen(name) < sizeof f->found &&
        elf_is_cxx_function(name, f->name))
        memcpy(f->found, name, strlen(name) + 1);
}

int elf_cxx_name(const char *path, const char *name, char *out, size_t cap)
{
    struct cxx_find f = {name, ""};
    if (elf_dynsyms(path, find_cxx, &f) < 0 || !f.found[0] || strlen(f.found) >= cap)
        return -1;
    memcpy(out, f.found, strlen(f.found) + 1);
    return 0;
}

int elf_section(const char *path, const char *name, uint64_t *addr, uint64_t *size, int *fixed)
{
    size_t fsize;
    const unsigned char *b = map_elf(path, &fsize);
    if (!b)
        return -1;
    int rc = -1;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b;
    if (eh->e_shstrndx >= eh->e_shnum)
        goto out;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(b + eh->e_shoff);
    const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
    if (strs->sh_offset > fsize || strs->sh_size > fsize - strs->sh_offset)
        goto out;
    const char *names = (const char *)(b + strs->sh_offset);
    size_t want = strlen(name);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_name >= strs->sh_size || strs->sh_size - sh[i].sh_name <= want ||
            memcmp(names + sh[i].sh_name, name, want + 1))
            continue;
        *addr = sh[i].sh_addr;
        *size = sh[i].sh_size;
        *fixed = eh->e_type == ET_EXEC;
        rc = 0;
        break;
    }
out:
    munmap((void *)b, fsize);
    return rc;
}
