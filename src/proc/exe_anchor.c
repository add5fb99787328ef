/*
 * exe_anchor.c — linked into a CE program by the cevm-ce-exe flags (not part of libcevm).
 *
 * The flags link the program at CE 5's EXE base (0x10000) and put this object's one-byte
 * section at 4 GiB (--section-start=.cevm_brk=0x100000000). The kernel starts a program's brk
 * heap just past its highest segment, so the heap lands above the CE window and the program's
 * image below it can become CE memory at boot (src/proc/exe.c).
 *
 * The flags also wrap main, to run it on a stack in the EXE area (cevm_exe_run_main), and the
 * program's own calls to malloc, calloc, realloc, free, strdup and
 * operator new/delete (ld --wrap: only references from the program's objects, never the
 * libraries'), so while a machine is up they come from the CE heap, as a CE program's did from
 * its process heap; before the first boot they are the C library's. free and realloc tell the
 * two apart; a CE heap block freed after the machine that made it has gone is forgotten.
 */
#include <stddef.h>
#include <stdint.h>

#include "cevm/cevm.h"

__attribute__((section(".cevm_brk"), used)) static char cevm_brk_anchor[1];

void *__real_malloc(size_t n);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
char *__real_strdup(const char *s);

/* The CE heap's function called name, or NULL while no machine is up. */
static void *ce(const char *name)
{
    return cevm_is_booted() ? cevm_crt_function(name) : NULL;
}

/* With no machine up: was p handed out by a CE heap? The identity window's CE addresses are
 * below 4 GiB, the C library's heap above (the anchor). */
static int ce_block(const void *p)
{
    return (uintptr_t)p < 0x100000000ull;
}

void *__wrap_malloc(size_t n)
{
    void *(*f)(size_t) = (void *(*)(size_t))ce("malloc");
    return f ? f(n) : __real_malloc(n);
}

void *__wrap_calloc(size_t count, size_t size)
{
    void *(*f)(size_t, size_t) = (void *(*)(size_t, size_t))ce("calloc");
    return f ? f(count, size) : __real_calloc(count, size);
}

void __wrap_free(void *p)
{
    if (!p)
        return;
    void (*f)(void *) = (void (*)(void *))ce("free");
    if (f)
        f(p); /* the CE heap's free gives the C library's pointers back to it */
    else if (!ce_block(p))
        __real_free(p);
}

void *__wrap_realloc(void *p, size_t n)
{
    void *(*f)(void *, size_t) = (void *(*)(void *, size_t))ce("realloc");
    if (f)
        return f(p, n);
    return p && ce_block(p) ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    char *(*f)(const char *) = (char *(*)(const char *))ce("strdup");
    return f ? f(s) : __real_strdup(s);
}

/* main runs on a stack right above the image (cevm_exe_run_main), so its locals have CE
 * addresses too; when that cannot be, on the host's stack. */
int __real_main(int argc, char **argv, char **envp);
int __wrap_main(int argc, char **argv, char **envp);

struct main_call {
    int argc;
    char **argv, **envp;
    int rc;
};

static void run_main(void *arg)
{
    struct main_call *c = arg;
    c->rc = __real_main(c->argc, c->argv, c->envp);
}

int __wrap_main(int argc, char **argv, char **envp)
{
    struct main_call c = {argc, argv, envp, 0};
    if (cevm_exe_run_main(run_main, &c))
        run_main(&c);
    return c.rc;
}

/* C++: operator new and delete in their plain, array, sized and nothrow forms. */
static void *cxx_new(const char *name, size_t n)
{
    void *(*f)(size_t) = (void *(*)(size_t))ce(name);
    return f ? f(n) : __real_malloc(n ? n : 1);
}

void *__wrap__Znwm(size_t n);
void *__wrap__Znam(size_t n);
void *__wrap__ZnwmRKSt9nothrow_t(size_t n, const void *tag);
void *__wrap__ZnamRKSt9nothrow_t(size_t n, const void *tag);
void __wrap__ZdlPv(void *p);
void __wrap__ZdaPv(void *p);
void __wrap__ZdlPvm(void *p, size_t n);
void __wrap__ZdaPvm(void *p, size_t n);
void __wrap__ZdlPvRKSt9nothrow_t(void *p, const void *tag);
void __wrap__ZdaPvRKSt9nothrow_t(void *p, const void *tag);

void *__wrap__Znwm(size_t n)
{
    return cxx_new("_Znwm", n);
}

void *__wrap__Znam(size_t n)
{
    return cxx_new("_Znam", n);
}

void *__wrap__ZnwmRKSt9nothrow_t(size_t n, const void *tag)
{
    (void)tag;
    return __wrap_malloc(n ? n : 1);
}

void *__wrap__ZnamRKSt9nothrow_t(size_t n, const void *tag)
{
    (void)tag;
    return __wrap_malloc(n ? n : 1);
}

void __wrap__ZdlPv(void *p)
{
    __wrap_free(p);
}

void __wrap__ZdaPv(void *p)
{
    __wrap_free(p);
}

void __wrap__ZdlPvm(void *p, size_t n)
{
    (void)n;
    __wrap_free(p);
}

void __wrap__ZdaPvm(void *p, size_t n)
{
    (void)n;
    __wrap_free(p);
}

void __wrap__ZdlPvRKSt9nothrow_t(void *p, const void *tag)
{
    (void)tag;
    __wrap_free(p);
}

void __wrap__ZdaPvRKSt9nothrow_t(void *p, const void *tag)
{
    (void)tag;
    __wrap_free(p);
}
