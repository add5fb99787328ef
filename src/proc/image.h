/*
 * image.h — modules at CE addresses: the loader of the CE process (image.c) and the CRT heap
 * bindings it gives modules (crtheap.c).
 */
#ifndef CEVM_PROC_IMAGE_H
#define CEVM_PROC_IMAGE_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct ce_image;

/* Load the shared library at path (an ELF x86-64 shared object built with the cevm-ce flags)
 * into the current CE process: a MEM_IMAGE reservation top-down in the process slot, its
 * segments copied in, relocated against cevm, the C library and the libraries it names
 * (malloc/new and friends bound to the CE heap in the identity window), protected per segment,
 * its constructors run. A library already loaded is counted again.
 * Return: the image, or NULL with err set ("cannot open", "not an x86-64 shared library",
 * "thread-local variables", "no room", "undefined symbol X", "relocation type N").
 * With CEVM_MODULES=host in the environment the library is dlopen'ed at a host address instead
 * (gdb sees it; its globals are not at CE addresses). */
struct ce_image *image_load(const char *path, char *err, size_t errlen);
/* Drop one count; the last runs the destructors and releases the reservation. */
void image_unload(struct ce_image *im);
/* The address of an exported function or object name, or NULL. */
void *image_symbol(struct ce_image *im, const char *name);
/* image_symbol, or else the C++ function a CE .def file would export undecorated as name. */
void *image_export(struct ce_image *im, const char *name);
/* The module handle CE code sees (HINSTANCE/HMODULE): the host pointer of its CE base (the
 * dlopen handle for a host-loaded library); and the image behind such a handle, or NULL. */
void *image_handle(const struct ce_image *im);
struct ce_image *image_from_handle(const void *h);
/* The path it was loaded from; its CE base and size (0 for a host-loaded library). */
const char *image_path(const struct ce_image *im);
uint32_t image_base(const struct ce_image *im);
uint32_t image_size(const struct ce_image *im);

/* dladdr for CE images too: the module holding host address p (file name, host load bias) and
 * the nearest exported symbol at or below it. Safe in a signal handler (no lock). Return: 1, or
 * 0 if no module holds p. */
struct module_addr {
    const char *path;  /* the file */
    uintptr_t bias;    /* host address of the file's address 0 */
    const char *sname; /* nearest exported symbol, or NULL */
    uintptr_t saddr;
};
int image_addr(const void *p, struct module_addr *out);
/* image_addr, else dladdr for the host's own modules. Return: 1, or 0. */
int image_dladdr(const void *p, struct module_addr *out);

/* The protection each page of an ELF image gets from its program headers ph (lo: the address
 * of page 0 in the file's addresses): perm[p] = 0 for a gap, 1 read-only (RELRO included), 2
 * read-write. */
void image_page_perms(const Elf64_Phdr *ph, unsigned nph, uintptr_t lo, uint32_t pages,
                      uint8_t *perm);

/* Protect pages pages from CE address base as perm says (image_page_perms: 0 PAGE_NOACCESS,
 * 1 PAGE_EXECUTE_READ, 2 left read-write), runs of equal pages in one VirtualProtect each; the
 * machine lock is held. Return: 0, or -1 if one run was refused. */
struct vm;
int image_protect_pages(struct vm *vm, uint32_t base, const uint8_t *perm, uint32_t pages);

/* How many libraries are loaded at CE addresses. */
unsigned image_count(void);
/* Forget every image (the machine is shutting down: their memory goes with it; no destructor
 * runs). */
void image_reset(void);

/* Visit every loaded CE image (for maps, `mi` and the backtrace symboliser). */
void image_each(void (*cb)(const char *path, uint32_t base, uint32_t size, uintptr_t bias,
                           void *ctx),
                void *ctx);

/* The CE heap function that replaces C library or C++ allocator function name in CE modules,
 * or NULL if name is not one (crtheap.c). */
void *crtheap_binding(const char *name);

#endif
