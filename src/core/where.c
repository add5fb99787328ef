/*
 * where.c — names exception codes and says where an exception happened: for every frame of the
 * call chain captured when it was raised, the module and offset and the function (dladdr), and
 * the source file and line when the module has debug information (libdw's DWARF line tables,
 * when cevm was built with libdw; CEVM_HAVE_LIBDW). It runs after the exception was delivered,
 * never inside a signal handler, so it may allocate.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cevm/cevm.h"
#include "proc/image.h"

#ifdef CEVM_HAVE_LIBDW
#include <elfutils/libdwfl.h>
#endif

const char *cevm_exception_name(uint32_t code)
{
    switch (code) {
    case CEVM_EXCEPTION_ACCESS_VIOLATION:
        return "EXCEPTION_ACCESS_VIOLATION";
    case CEVM_EXCEPTION_IN_PAGE_ERROR:
        return "EXCEPTION_IN_PAGE_ERROR";
    case CEVM_EXCEPTION_ILLEGAL_INSTRUCTION:
        return "EXCEPTION_ILLEGAL_INSTRUCTION";
    case CEVM_EXCEPTION_INT_DIVIDE_BY_ZERO:
        return "EXCEPTION_INT_DIVIDE_BY_ZERO";
    case CEVM_EXCEPTION_INT_OVERFLOW:
        return "EXCEPTION_INT_OVERFLOW";
    case CEVM_EXCEPTION_FLT_DIVIDE_BY_ZERO:
        return "EXCEPTION_FLT_DIVIDE_BY_ZERO";
    case CEVM_EXCEPTION_FLT_INVALID_OPERATION:
        return "EXCEPTION_FLT_INVALID_OPERATION";
    case CEVM_EXCEPTION_STACK_OVERFLOW:
        return "EXCEPTION_STACK_OVERFLOW";
    case CEVM_EXCEPTION_DATATYPE_MISALIGNMENT:
        return "EXCEPTION_DATATYPE_MISALIGNMENT";
    case CEVM_EXCEPTION_FATAL_APP_EXIT:
        return "STATUS_FATAL_APP_EXIT";
    case 0x80000003u:
        return "EXCEPTION_BREAKPOINT";
    case 0xC0000025u:
        return "EXCEPTION_NONCONTINUABLE_EXCEPTION";
    case 0xC0000026u:
        return "EXCEPTION_INVALID_DISPOSITION";
    default:
        return "EXCEPTION_?";
    }
}

#ifdef CEVM_HAVE_LIBDW
/* The source line of addr, or 0. */
static int source_line(Dwfl *dwfl, uintptr_t addr, char *out, size_t cap)
{
    Dwfl_Module *mod = dwfl ? dwfl_addrmodule(dwfl, (Dwarf_Addr)addr) : NULL;
    Dwfl_Line *line = mod ? dwfl_module_getsrc(mod, (Dwarf_Addr)addr) : NULL;
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (!file || lineno <= 0)
        return 0;
    const char *base = strrchr(file, '/');
    snprintf(out, cap, "%s:%d", base ? base + 1 : file, lineno);
    return 1;
}
#endif

#ifdef CEVM_HAVE_LIBDW
/* Tell libdw about a library loaded at a CE address (its mapping is anonymous CE memory, so
 * /proc/self/maps does not name it). */
static void report_image(const char *path, uint32_t base, uint32_t size, uintptr_t bias, void *ctx)
{
    (void)base;
    (void)size;
    const char *name = strrchr(path, '/');
    dwfl_report_elf(ctx, name ? name + 1 : path, path, -1, (GElf_Addr)bias, false);
}
#endif

size_t cevm_exception_where(const cevm_exception *e, char *buf, size_t len)
{
    if (!buf || !len)
        return 0;
    buf[0] = '\0';
    if (!e)
        return 0;
#ifdef CEVM_HAVE_LIBDW
    static const Dwfl_Callbacks cb = {
        .find_elf = dwfl_linux_proc_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
    };
    Dwfl *dwfl = dwfl_begin(&cb);
    /* A mapping libdw cannot read (sanitizer runtimes make odd ones) fails the report, but the
     * modules reported so far still serve. */
    if (dwfl) {
        dwfl_linux_proc_report(dwfl, getpid());
        image_each(report_image, dwfl); /* libraries cevm placed at CE addresses */
    }
    if (dwfl && dwfl_report_end(dwfl, NULL, NULL) != 0) {
        dwfl_end(dwfl);
        dwfl = NULL;
    }
#endif
    size_t n = 0;
    for (unsigned i = 0; i < e->nframes && n + 1 < len; i++) {
        uintptr_t a = e->frames[i];
        /* A return address points after the call: look up the call itself. */
        uintptr_t look = i == 0 ? a : a - 1;
        struct module_addr di;
        char mod[160] = "?", fn[160] = "", src[200] = "";
        if (image_dladdr((void *)look, &di)) {
            const char *base = strrchr(di.path, '/');
            snprintf(mod, sizeof mod, "%s+0x%lx", base ? base + 1 : di.path,
                     (unsigned long)(a - di.bias));
            if (di.sname)
                snprintf(fn, sizeof fn, " %s", di.sname);
        }
#ifdef CEVM_HAVE_LIBDW
        char line[180];
        if (source_line(dwfl, look, line, sizeof line)) {
            if (!fn[0]) {
                Dwfl_Module *m = dwfl_addrmodule(dwfl, (Dwarf_Addr)look);
                const char *name = m ? dwfl_module_addrname(m, (Dwarf_Addr)look) : NULL;
                if (name)
                    snprintf(fn, sizeof fn, " %s", name);
            }
            snprintf(src, sizeof src, " (%s)", line);
        } else if (!fn[0] && dwfl) {
            Dwfl_Module *m = dwfl_addrmodule(dwfl, (Dwarf_Addr)look);
            const char *name = m ? dwfl_module_addrname(m, (Dwarf_Addr)look) : NULL;
            if (name)
                snprintf(fn, sizeof fn, " %s", name);
        }
#endif
        int w =
            snprintf(buf + n, len - n, "  #%u 0x%lx %s%s%s\n", i, (unsigned long)a, mod, fn, src);
        if (w < 0)
            break;
        n += (size_t)w < len - n ? (size_t)w : len - n - 1;
    }
#ifdef CEVM_HAVE_LIBDW
    if (dwfl)
        dwfl_end(dwfl);
#endif
    return n;
}
