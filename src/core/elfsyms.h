/*
 * elfsyms.h — what a loaded library's file says: dynamic symbols and sections (elfsyms.c).
 */
#ifndef CEVM_ELFSYMS_H
#define CEVM_ELFSYMS_H

enum { ELF_SYM_NEEDED, ELF_SYM_DEFINED, ELF_SYM_WEAK_NEEDED };

/* Call cb for every function or object symbol in the .dynsym of the 64-bit ELF file at path,
 * with how it stands (ELF_SYM_*: the library defines it, needs it, or needs it weakly).
 * Return: 0, or -1 if the file cannot be read or is not such a file. */
int elf_dynsyms(const char *path, void (*cb)(const char *name, int defined, void *ctx), void *ctx);

/* A C++ function name exported without its decoration on CE (a .def file's EXPORTS), found
 * here under its C++ name: the mangled name of the first global-namespace function called name
 * the library at path defines, into out (cap bytes). Return: 0, or -1 (none, or it does not
 * fit). */
#include <stddef.h>
int elf_cxx_name(const char *path, const char *name, char *out, size_t cap);
/* Is mangled the C++ name of a global-namespace function called name ("_Z8LED_Initv" for
 * "LED_Init")? Return: 1 or 0. */
int elf_is_cxx_function(const char *mangled, const char *name);

/* Find section name in the 64-bit ELF file at path: its address (relative to the load base, or
 * absolute when *fixed is set: a non-PIE executable) and size. Return: 0, or -1 (not found, or
 * not readable). */
#include <stdint.h>
int elf_section(const char *path, const char *name, uint64_t *addr, uint64_t *size, int *fixed);

#endif
