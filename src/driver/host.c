/*
 * host.c — the driver host: loads a CE stream driver built as a shared library against
 * cevm-ce and runs it through the device manager's lifecycle (spec driver-surface §2.4).
 *
 * Load: read Prefix, Index and Dll from the driver's registry key (Drivers\BuiltIn\X), load
 * the library at CE addresses (proc/image.c), resolve PREFIX_Init/Deinit (required) and
 * Open/Close/Read/Write/Seek/IOControl (optional), snapshot the address space, create
 * Drivers\Active\NN whose Key names the driver's key, and call PREFIX_Init(active path, NULL). Each
 * entry point runs inside cevm_try, with the call named as the thread's report context, so a fault
 * or an access to an unimplemented register is reported with the driver and the call. The stream
 * calls come from the calling application (proc/caller.c, CE 5's caller in a slot of its own):
 * buffers the test passes are copied into its memory and reach the driver as its slot addresses,
 * as CE 5 maps a call's top-level pointers, and back. Entry points run on a CE stack. Unload
 * calls PREFIX_Deinit, removes the Active key, closes the library and compares the address space
 * with the snapshot: reservations the driver left, what they map, and LocalAlloc blocks not freed.
 */
#define _GNU_SOURCE
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cevm/cevm.h"
#include "ce/heap.h"
#include "ce/interrupt.h"
#include "core/fault.h"
#include "core/elfsyms.h"
#include "dev/device.h"
#include "driver/host.h"
#include "driver/watchdog.h"
#include "host/host.h"
#include "proc/caller.h"
#include "proc/image.h"
#include "proc/stack.h"
#include "registry/registry.h"

typedef DWORD (*init_fn)(LPCWSTR, LPCVOID);
typedef BOOL (*deinit_fn)(DWORD);
typedef DWORD (*open_fn)(DWORD, DWORD, DWORD);
typedef BOOL (*close_fn)(DWORD);
typedef DWORD (*read_fn)(DWORD, LPVOID, DWORD);
typedef DWORD (*write_fn)(DWORD, LPCVOID, DWORD);
typedef DWORD (*seek_fn)(DWORD, LONG, WORD);
typedef BOOL (*ioctl_fn)(DWORD, DWORD, PBYTE, DWORD, PBYTE, DWORD, PDWORD);
typedef BOOL (*dllmain_fn)(HANDLE, DWORD, LPVOID);
typedef void (*power_fn)(DWORD);
typedef BOOL (*pre_fn)(DWORD);

#define MAX_REGIONS 256

struct region {
    uint32_t base, size;
};

struct cevm_driver {
    struct ce_image *lib;
    char path[256], prefix[8], name[16], key[REGPARSE_KEY_MAX], active[32];
    init_fn init;
    deinit_fn deinit;
    open_fn open;
    close_fn close;
    read_fn read;
    write_fn write;
    seek_fn seek;
    ioctl_fn ioctl;
    power_fn powerup, powerdown; /* XXX_PowerUp / XXX_PowerDown, if exported */
    pre_fn preclose, predeinit;  /* XXX_PreClose / XXX_PreDeinit, if exported */
    int predeinit_done;          /* XXX_PreDeinit ran (the device manager calls it early) */
    dllmain_fn dllmain;          /* DllMain or DllEntry, if the library has one */
    DWORD context;               /* what Init returned */
    int user_mode;               /* CE 6+ with a user-mode caller: a udevice-hosted driver */
    DDKWINDOWINFO windows;       /* its registry windows: what the reflector lets it map */
    WCHAR *active_arg;           /* the Active key path Init received, in CE memory */
    char faulted[160];           /* the call that faulted, or "" */
    struct region before[MAX_REGIONS];
    size_t nbefore;
    uint32_t heap_blocks;
};

static cevm_status say(char *err, size_t errlen, cevm_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static cevm_status say(char *err, size_t errlen, cevm_status st, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* ---- the address space, for the leftover report -------------------------------------- */

/* Every reservation (allocation base and total size) in slot 0 and the large area (CE 5), or in
 * user space and the kernel's DLL and VM areas (CE 6+). */
static size_t reservations(struct region *out, size_t max)
{
    static const uint32_t ce5[2][2] = {{0x10000u, 0x02000000u}, {0x42000000u, 0x80000000u}};
    static const uint32_t ce6[2][2] = {{0x10000u, 0x80000000u}, {0xC0000000u, 0xF0000000u}};
    cevm_info info;
    int slots = cevm_get_info(&info) != CEVM_OK || !strcmp(info.profile, "ce5");
    const uint32_t(*ranges)[2] = slots ? ce5 : ce6;
    size_t n = 0;
    DWORD saved = GetLastError();
    for (int r = 0; r < 2; r++) {
        for (uint32_t a = ranges[r][0]; a < ranges[r][1];) {
            MEMORY_BASIC_INFORMATION mbi;
            ce_trace_quiet(1); /* the leftover scan is cevm's, not the driver's */
            DWORD got = VirtualQuery(cevm_host_ptr(a), &mbi, sizeof mbi);
            ce_trace_quiet(0);
            if (!got || !mbi.RegionSize) {
                a += 0x10000u;
                continue;
            }
            uint32_t base = cevm_ce_addr(mbi.AllocationBase);
            cevm_page_info pi;
            if (mbi.State != MEM_FREE && !heap_owns(mbi.AllocationBase) &&
                !(cevm_page(base, &pi) == CEVM_OK && (pi.flags & CEVM_PAGE_STACK))) {
                if (n && out[n - 1].base == base)
                    out[n - 1].size += mbi.RegionSize;
                else if (n < max)
                    out[n++] = (struct region){base, mbi.RegionSize};
            }
            a += mbi.RegionSize;
        }
    }
    SetLastError(saved);
    return n;
}

/* One line describing a leftover reservation: what its committed pages are. */
static void describe(const struct region *r, char *line, size_t cap)
{
    uint32_t committed = 0, device = 0, allocphys = 0, ram = 0;
    uint64_t first_pa = 0;
    for (uint32_t off = 0; off < r->size; off += 0x1000u) {
        cevm_page_info pi;
        if (cevm_page(r->base + off, &pi) != CEVM_OK || pi.state != MEM_COMMIT)
            continue;
        if (!committed++)
            first_pa = pi.pa;
        if (pi.flags & CEVM_PAGE_ALLOCPHYS)
            allocphys++;
        else if (pi.flags & CEVM_PAGE_DEVICE)
            device++;
        else
            ram++;
    }
    const char *what = allocphys ? "AllocPhysMem memory"
                       : device  ? "a mapping of physical memory"
                       : ram     ? "committed RAM"
                                 : "a reservation with nothing committed";
    int len = snprintf(line, cap, "  0x%08X  %u KB  %s", r->base, r->size / 1024, what);
    if (committed && len > 0 && (size_t)len < cap)
        len += snprintf(line + len, cap - (size_t)len, " at physical 0x%llX (%u pages)",
                        (unsigned long long)first_pa, committed);
    if (len > 0 && (size_t)len < cap)
        snprintf(line + len, cap - (size_t)len, "\n");
}

/* ---- running entry points --------------------------------------------------------------- */

struct call {
    cevm_driver *d;
    int which;
    int direct; /* the device manager's file calls: the caller's own pointers, no caller frame */
    DWORD a, b, c;
    LONG l;
    WORD w;
    void *p1, *p2;
    DWORD n1, n2;
    DWORD *out;
    DWORD result;
};

enum {
    C_INIT,
    C_DEINIT,
    C_OPEN,
    C_CLOSE,
    C_READ,
    C_WRITE,
    C_SEEK,
    C_IOCTL,
    C_DLLMAIN,
    C_POWERUP,
    C_POWERDOWN,
    C_PRECLOSE,
    C_PREDEINIT
};
static const char *const call_names[] = {"Init",      "Deinit",   "Open",      "Close",   "Read",
                                         "Write",     "Seek",     "IOControl", "DllMain", "PowerUp",
                                         "PowerDown", "PreClose", "PreDeinit"};
_Static_assert(sizeof call_names / sizeof call_names[0] == C_PREDEINIT + 1,
               "a name for every entry point");

static void run(void *ctx)
{
    struct call *c = ctx;
    cevm_driver *d = c->d;
    switch (c->which) {
    case C_INIT:
        c->result = d->init((LPCWSTR)c->p1, c->p2);
        break;
    case C_DEINIT:
        c->result = (DWORD)d->deinit(c->a);
        break;
    case C_OPEN:
        c->result = d->open(c->a, c->b, c->c);
        break;
    case C_CLOSE:
        c->result = (DWORD)d->close(c->a);
        break;
    case C_READ:
        c->result = d->read(c->a, c->p1, c->n1);
        break;
    case C_WRITE:
        c->result = d->write(c->a, c->p1, c->n1);
        break;
    case C_SEEK:
        c->result = d->seek(c->a, c->l, c->w);
        break;
    case C_DLLMAIN:
        c->result = (DWORD)d->dllmain((HANDLE)image_handle(d->lib), c->a, NULL);
        break;
    case C_POWERUP:
        d->powerup(c->a);
        break;
    case C_POWERDOWN:
        d->powerdown(c->a);
        break;
    case C_PRECLOSE:
        c->result = (DWORD)d->preclose(c->a);
        break;
    case C_PREDEINIT:
        c->result = (DWORD)d->predeinit(c->a);
        break;
    default:
        c->result = (DWORD)d->ioctl(c->a, c->b, c->p1, c->n1, c->p2, c->n2, c->out);
        break;
    }
}

/* The entry point runs on the thread's CE stack, so its locals have CE addresses. */
static void run_on_ce_stack(void *ctx)
{
    stack_run(run, ctx);
}

/* Run one entry point with its report context. Return: CEVM_OK, or CEVM_E_DRIVER if it
 * faulted (err says where and why; the driver is marked faulted). */
static cevm_status call(cevm_driver *d, struct call *c, char *err, size_t errlen)
{
    char context[96];
    snprintf(context, sizeof context, "%s_%s of driver '%s'", d->prefix, call_names[c->which],
             d->name);
    c->d = d;
    fault_thread_ready(); /* an alternate signal stack: stack overflows are reported too */
    unimpl_set_context(context);
    /* Init and Deinit come from the device manager itself; the stream calls from the calling
     * application (proc/caller.c). */
    int from_app = c->which != C_INIT && c->which != C_DEINIT && c->which != C_DLLMAIN &&
                   c->which != C_POWERUP && c->which != C_POWERDOWN && c->which != C_PREDEINIT &&
                   !c->direct;
    int prev = from_app ? caller_enter() : 0;
    const DDKWINDOWINFO *prev_windows = d->user_mode ? reflector_enter(&d->windows) : NULL;
    int watch = watchdog_begin(context, ce_wait_self());
    int trace = ce_trace_driver_enter(); /* the driver's calls are traced, cevm's are not */
    cevm_exception e;
    int faulted = cevm_try(run_on_ce_stack, c, &e);
    ce_trace_driver_leave(trace);
    watchdog_end(watch);
    if (d->user_mode)
        reflector_leave(prev_windows);
    if (from_app)
        caller_leave(prev);
    devices_sync_all(); /* plain register files: their raw writes are this call's */
    unimpl_set_context(NULL);
    if (!faulted)
        return CEVM_OK;
    snprintf(d->faulted, sizeof d->faulted, "%s_%s", d->prefix, call_names[c->which]);
    char where[1024];
    cevm_exception_where(&e, where, sizeof where);
    if (e.code == CEVM_EXCEPTION_ACCESS_VIOLATION || e.code == CEVM_EXCEPTION_IN_PAGE_ERROR)
        return say(err, errlen, CEVM_E_DRIVER,
                   "driver '%s' (%s): %s in %s_%s: %s at address 0x%08X (%s)\n%s", d->name, d->path,
                   e.code == CEVM_EXCEPTION_ACCESS_VIOLATION ? "access violation" : "in-page error",
                   d->prefix, call_names[c->which], e.info[0] ? "write" : "read", e.info[1],
                   e.reason ? e.reason : "", where);
    return say(err, errlen, CEVM_E_DRIVER, "driver '%s' (%s): %s (0x%08X) in %s_%s: %s\n%s",
               d->name, d->path, cevm_exception_name(e.code), e.code, d->prefix,
               call_names[c->which], e.reason ? e.reason : "", where);
}

/* May entry point fn of driver d (not NULL) be called? */
static cevm_status usable(const cevm_driver *d, const void *fn, const char *entry, char *err,
                          size_t errlen)
{
    if (d->faulted[0])
        return say(err, errlen, CEVM_E_STATE,
                   "driver '%s' faulted in %s earlier; only cevm_driver_unload is allowed", d->name,
                   d->faulted);
    if (!fn)
        return say(err, errlen, CEVM_E_UNSUPPORTED, "driver '%s' (%s) has no %s_%s entry point",
                   d->name, d->path, d->prefix, entry);
    return CEVM_OK;
}

/* ---- registry helpers -------------------------------------------------------------------- */

static int widen(const char *s, WCHAR *w, size_t cap)
{
    return reg_widen(s, (uint16_t *)w, cap) < 0 ? -1 : 0;
}

/* Read a REG_SZ value as ASCII. Return: 0, or -1 (absent or another type). */
static int query_sz(HKEY h, const char *name, char *out, size_t cap)
{
    WCHAR wname[64], buf[256];
    DWORD type = 0, size = sizeof buf;
    if (widen(name, wname, 64) ||
        RegQueryValueEx(h, wname, NULL, &type, (LPBYTE)buf, &size) != ERROR_SUCCESS ||
        type != REG_SZ || size < sizeof(WCHAR))
        return -1;
    buf[size / sizeof(WCHAR) - 1] = 0;
    ce_narrow(buf, out, cap);
    return 0;
}

static size_t wlen16(const WCHAR *w)
{
    size_t n = 0;
    while (w[n])
        n++;
    return n;
}

static int set_sz(HKEY h, const char *name, const char *value)
{
    WCHAR wname[64], wv[REGPARSE_KEY_MAX];
    if (widen(name, wname, 64) || widen(value, wv, REGPARSE_KEY_MAX))
        return -1;
    DWORD size = (DWORD)((wlen16(wv) + 1) * sizeof(WCHAR));
    return RegSetValueEx(h, wname, 0, REG_SZ, (const BYTE *)wv, size) == ERROR_SUCCESS ? 0 : -1;
}

static void remove_active(cevm_driver *d)
{
    WCHAR path[64];
    if (d->active[0] && !widen(d->active, path, 64))
        registry_delete_key((const uint16_t *)path);
    d->active[0] = '\0';
}

/* Create Drivers\Active\NN (the first free NN) with Key and Name. */
static cevm_status make_active(cevm_driver *d, char *err, size_t errlen)
{
    for (int nn = 1; nn < 100; nn++) {
        char path[32];
        WCHAR wpath[32];
        snprintf(path, sizeof path, "Drivers\\Active\\%02d", nn);
        widen(path, wpath, 32);
        HKEY h;
        DWORD disp = 0;
        if (RegCreateKeyEx(HKEY_LOCAL_MACHINE, wpath, 0, NULL, 0, 0, NULL, &h, &disp) !=
            ERROR_SUCCESS)
            return say(err, errlen, CEVM_E_NOMEM, "cannot create %s", path);
        if (disp != REG_CREATED_NEW_KEY) {
            RegCloseKey(h);
            continue;
        }
        snprintf(d->active, sizeof d->active, "%s", path);
        int bad = (d->key[0] && set_sz(h, "Key", d->key)) || set_sz(h, "Name", d->name);
        RegCloseKey(h);
        if (bad) {
            remove_active(d);
            return say(err, errlen, CEVM_E_NOMEM, "cannot fill %s", path);
        }
        return CEVM_OK;
    }
    return say(err, errlen, CEVM_E_STATE, "99 drivers are active already");
}

/* ---- exit() inside a driver call ------------------------------------------------------------ */

/* A driver that calls exit() ends the process; the report says which call did it. */
static void on_process_exit(int status, void *arg)
{
    (void)arg;
    const char *ctx = unimpl_context();
    if (ctx[0])
        fprintf(stderr, "cevm: %s called exit(%d): the process ends\n", ctx, status);
}

static void exit_hook_install(void)
{
    on_exit(on_process_exit, NULL);
}

/* ---- the native API --------------------------------------------------------------------- */

/* ---- symbols: C++ entry points, and what a library needs that nothing provides --------- */

/* Calls other issues of cevm's plan provide (named in the missing-symbol report). */
static const struct {
    const char *prefix;
    const char *plan;
} g_planned[] = {
    {"FindFirstDevice", "device manager"},
    {"FindNextDevice", "device manager"},
    {"CreateBusAccessHandle", "device manager"},
};

struct missing_list {
    char *buf;
    size_t cap, len;
    int count;
};

static void note_missing(const char *name, int how, void *ctx)
{
    struct missing_list *m = ctx;
    if (how != ELF_SYM_NEEDED || dlsym(RTLD_DEFAULT, name))
        return;
    const char *plan = NULL;
    for (size_t i = 0; i < sizeof g_planned / sizeof g_planned[0]; i++)
        if (!strncmp(name, g_planned[i].prefix, strlen(g_planned[i].prefix)))
            plan = g_planned[i].plan;
    int n = snprintf(m->buf + m->len, m->cap - m->len, "%s%s (%s%s)", m->count ? ", " : "", name,
                     plan ? "planned: " : "not planned", plan ? plan : "");
    if (n > 0 && (size_t)n < m->cap - m->len)
        m->len += (size_t)n;
    m->count++;
}

/* Every symbol the library at path needs that neither cevm nor the C library provides, with
 * whether cevm plans it, into buf ("" if none found). */
static void list_missing(const char *path, char *buf, size_t cap)
{
    struct missing_list m = {buf, cap, 0, 0};
    buf[0] = '\0';
    if (elf_dynsyms(path, note_missing, &m) < 0)
        buf[0] = '\0';
}

static cevm_status cevm_driver_load_work(const char *library, const char *key, cevm_driver **out,
                                         char *err, size_t errlen)
{
    struct host_load_opts o = {0};
    return host_load(library, key, &o, out, err, errlen);
}

/* Read the device key: Prefix, Index, Dll (into dll), the user-mode windows; a new driver in
 * *out. Return: CEVM_OK, CEVM_E_NOTFOUND, CEVM_E_INVAL, CEVM_E_NOMEM (nothing allocated). */
static cevm_status read_device_key(const char *key, const char *library, cevm_driver **out,
                                   char *dll, size_t dllcap, char *err, size_t errlen)
{
    WCHAR wkey[REGPARSE_KEY_MAX];
    HKEY h;
    if (widen(key, wkey, REGPARSE_KEY_MAX) ||
        RegOpenKeyEx(HKEY_LOCAL_MACHINE, wkey, 0, 0, &h) != ERROR_SUCCESS)
        return say(err, errlen, CEVM_E_NOTFOUND,
                   "no registry key HKEY_LOCAL_MACHINE\\%s (load the driver's .reg with the "
                   "board: 'registry FILE')",
                   key);
    cevm_driver *d = host_calloc(1, sizeof *d);
    *out = d;
    if (!d) {
        RegCloseKey(h);
        return CEVM_E_NOMEM;
    }
    snprintf(d->key, sizeof d->key, "%s", key);
    DWORD index = 1, type = 0, size = sizeof index;
    WCHAR windex[8];
    widen("Index", windex, 8);
    if (RegQueryValueEx(h, windex, NULL, &type, (LPBYTE)&index, &size) == ERROR_SUCCESS &&
        type != REG_DWORD)
        index = 1;
    int no_prefix = query_sz(h, "Prefix", d->prefix, sizeof d->prefix);
    int no_dll = query_sz(h, "Dll", dll, dllcap);
    /* A CE 6+ machine whose caller is in user mode hosts the driver as udevice.exe would: its
     * VirtualCopy and MmMapIoSpace go through the reflector, limited to its windows. */
    cevm_info info;
    if (cevm_get_info(&info) == CEVM_OK && !strcmp(info.caller_mode, "user")) {
        d->user_mode = 1;
        d->windows.cbSize = sizeof d->windows;
        if (DDKReg_GetWindowInfo(h, &d->windows) != ERROR_SUCCESS)
            d->windows.dwNumMemWindows = 0; /* malformed windows: nothing is reflected */
    }
    RegCloseKey(h);
    if (no_prefix || strlen(d->prefix) != 3) {
        free(d);
        *out = NULL;
        return say(err, errlen, CEVM_E_INVAL,
                   "HKEY_LOCAL_MACHINE\\%s: the Prefix value must be a 3-letter string", key);
    }
    snprintf(d->name, sizeof d->name, "%s%u:", d->prefix, (unsigned)(index % 10));
    if (library)
        snprintf(d->path, sizeof d->path, "%s", library);
    else /* as LoadLibrary finds it: $CEVM_LIBRARY_PATH, the program's folder ... */
        module_find_file(dll, d->path, sizeof d->path);
    if (!library && no_dll) {
        free(d);
        *out = NULL;
        return say(err, errlen, CEVM_E_INVAL,
                   "HKEY_LOCAL_MACHINE\\%s has no Dll value and no library was given", key);
    }
    return CEVM_OK;
}

cevm_status host_load(const char *library, const char *key, const struct host_load_opts *opts,
                      cevm_driver **out, char *err, size_t errlen)
{
    int direct = !key && opts->prefix; /* RegisterDevice: no device key */
    if ((!key && !direct) || !out)
        return say(err, errlen, CEVM_E_INVAL, "cevm_driver_load needs a registry key and out");
    *out = NULL;
    static pthread_once_t exit_hook = PTHREAD_ONCE_INIT;
    pthread_once(&exit_hook, exit_hook_install);
    cevm_driver *d = NULL;
    char dll[256] = "";
    if (direct) {
        if (!(d = host_calloc(1, sizeof *d)))
            return CEVM_E_NOMEM;
        snprintf(d->prefix, sizeof d->prefix, "%s", opts->prefix);
        snprintf(dll, sizeof dll, "%s", opts->dll ? opts->dll : "");
        snprintf(d->name, sizeof d->name, "%s%u:", d->prefix, (unsigned)(opts->index % 10));
        module_find_file(dll, d->path, sizeof d->path);
    } else {
        cevm_status st = read_device_key(key, library, &d, dll, sizeof dll, err, errlen);
        if (st || !d)
            return st ? st : CEVM_E_NOMEM;
    }
    char why[400];
    if (!(d->lib = image_load(d->path, why, sizeof why))) {
        char missing[600] = "";
        if (strstr(why, "undefined symbol"))
            list_missing(d->path, missing, sizeof missing);
        cevm_status st =
            missing[0] ? say(err, errlen, CEVM_E_UNSUPPORTED,
                             "driver '%s': cannot load %s: it calls what cevm does not provide: %s",
                             d->name, d->path, missing)
                       : say(err, errlen, CEVM_E_NOTFOUND, "driver '%s': cannot load %s: %s",
                             d->name, d->path, why);
        free(d);
        return st;
    }
    struct {
        const char *entry;
        void **slot;
        int required;
    } eps[] = {{"Init", (void **)&d->init, 1},         {"Deinit", (void **)&d->deinit, 1},
               {"Open", (void **)&d->open, 0},         {"Close", (void **)&d->close, 0},
               {"Read", (void **)&d->read, 0},         {"Write", (void **)&d->write, 0},
               {"Seek", (void **)&d->seek, 0},         {"IOControl", (void **)&d->ioctl, 0},
               {"PowerUp", (void **)&d->powerup, 0},   {"PowerDown", (void **)&d->powerdown, 0},
               {"PreClose", (void **)&d->preclose, 0}, {"PreDeinit", (void **)&d->predeinit, 0}};
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        char sym[32];
        if (opts->naked) /* DEVFLAGS_NAKEDENTRIES: Init, Open ... without the prefix */
            snprintf(sym, sizeof sym, "%s", eps[i].entry);
        else
            snprintf(sym, sizeof sym, "%s_%s", d->prefix, eps[i].entry);
        *eps[i].slot = image_export(d->lib, sym);
        if (!*eps[i].slot && eps[i].required) {
            cevm_status st = say(err, errlen, CEVM_E_UNSUPPORTED,
                                 "driver '%s' (%s): missing entry point %s (stream drivers "
                                 "export %s_Init and %s_Deinit)",
                                 d->name, d->path, sym, d->prefix, d->prefix);
            image_unload(d->lib);
            free(d);
            return st;
        }
    }
    /* CE calls the library's entry point (DllMain, or DllEntry) with DLL_PROCESS_ATTACH when it
     * loads; FALSE refuses the load. */
    d->dllmain = (dllmain_fn)image_export(d->lib, "DllMain");
    if (!d->dllmain)
        d->dllmain = (dllmain_fn)image_export(d->lib, "DllEntry");
    if (d->dllmain) {
        struct call a = {.which = C_DLLMAIN, .a = DLL_PROCESS_ATTACH};
        cevm_status st = call(d, &a, err, errlen);
        if (st || !a.result) {
            if (!st)
                st = say(err, errlen, CEVM_E_DRIVER,
                         "driver '%s' (%s): its DllMain refused DLL_PROCESS_ATTACH (returned "
                         "FALSE)",
                         d->name, d->path);
            image_unload(d->lib);
            free(d);
            return st;
        }
    }
    /* XXX_Init gets the Active key's path as a CE address: CE 5 drivers declare
     * Init(DWORD dwContext) and hand it to OpenDeviceKey. It lives as long as the driver. */
    d->active_arg = LocalAlloc(LPTR, (UINT)(sizeof d->active) * (UINT)sizeof(WCHAR));
    if (!d->active_arg) {
        image_unload(d->lib);
        free(d);
        return say(err, errlen, CEVM_E_NOMEM, "no memory for the Active key's path");
    }
    d->nbefore = reservations(d->before, MAX_REGIONS);
    uint32_t bytes;
    heap_stats(&d->heap_blocks, &bytes);
    cevm_status st = make_active(d, err, errlen);
    if (st) {
        LocalFree(d->active_arg);
        image_unload(d->lib);
        free(d);
        return st;
    }
    widen(d->active, d->active_arg, sizeof d->active);
    if (opts->before_init)
        opts->before_init(d->active, opts->ctx);
    /* RegisterDevice's driver gets its dwInfo instead of the Active key's path. */
    struct call c = {.which = C_INIT,
                     .p1 = direct ? (void *)(uintptr_t)opts->info : (void *)d->active_arg,
                     .p2 = (void *)(uintptr_t)opts->bus_param};
    SetLastError(0);
    st = call(d, &c, err, errlen);
    if (st == CEVM_OK && c.result == 0) {
        DWORD e = GetLastError();
        st = say(err, errlen, CEVM_E_DRIVER,
                 "driver '%s' (%s): %s_Init(\"%s\") returned 0: the driver refused to start "
                 "(GetLastError %u %s)",
                 d->name, d->path, d->prefix, d->active, (unsigned)e, cevm_ce_error_name(e));
    }
    if (st) {
        remove_active(d);
        LocalFree(d->active_arg);
        image_unload(d->lib);
        free(d);
        return st;
    }
    d->context = c.result;
    *out = d;
    return CEVM_OK;
}

const char *cevm_driver_name(const cevm_driver *d)
{
    return d ? d->name : "";
}

const char *cevm_driver_active_key(const cevm_driver *d)
{
    return d ? d->active : "";
}

static cevm_status cevm_driver_open_work(cevm_driver *d, uint32_t access, uint32_t share,
                                         uint32_t *handle, char *err, size_t errlen)
{
    if (!d)
        return say(err, errlen, CEVM_E_INVAL, "no driver");
    cevm_status st = usable(d, (void *)d->open, "Open", err, errlen);
    if (st)
        return st;
    if (!handle)
        return say(err, errlen, CEVM_E_INVAL, "cevm_driver_open needs a handle pointer");
    struct call c = {.which = C_OPEN, .a = d->context, .b = access, .c = share};
    if ((st = call(d, &c, err, errlen)))
        return st;
    if (!c.result)
        return say(err, errlen, CEVM_E_DRIVER, "driver '%s': %s_Open returned 0 (GetLastError %u)",
                   d->name, d->prefix, (unsigned)GetLastError());
    *handle = c.result;
    return CEVM_OK;
}

cevm_status host_pre(cevm_driver *d, int deinit, uint32_t handle, char *err, size_t errlen)
{
    if (!d)
        return say(err, errlen, CEVM_E_INVAL, "no driver");
    if (deinit ? !d->predeinit || d->predeinit_done : !d->preclose)
        return CEVM_OK;
    if (d->faulted[0])
        return CEVM_OK; /* XXX_Close or XXX_Deinit reports it */
    cevm_status st = usable(d, deinit ? (void *)d->predeinit : (void *)d->preclose,
                            deinit ? "PreDeinit" : "PreClose", err, errlen);
    if (st)
        return st;
    if (deinit)
        d->predeinit_done = 1;
    struct call c = {.which = deinit ? C_PREDEINIT : C_PRECLOSE, .a = deinit ? d->context : handle};
    return call(d, &c, err, errlen);
}

cevm_status host_close(cevm_driver *d, uint32_t handle, int *result, char *err, size_t errlen)
{
    if (!d)
        return say(err, errlen, CEVM_E_INVAL, "no driver");
    cevm_status st = usable(d, (void *)d->close, "Close", err, errlen);
    if (st)
        return st;
    struct call c = {.which = C_CLOSE, .a = handle};
    if ((st = call(d, &c, err, errlen)))
        return st;
    if (result)
        *result = (int)c.result;
    return CEVM_OK;
}

static cevm_status cevm_driver_close_work(cevm_driver *d, uint32_t handle, int *result, char *err,
                                          size_t errlen)
{
    /* CE calls XXX_PreClose first (a thread blocked in the driver may be released), then
     * XXX_Close once no call is inside. */
    cevm_status st = host_pre(d, 0, handle, err, errlen);
    return st ? st : host_close(d, handle, result, err, errlen);
}

/* ---- the device manager's file calls (devfile.c): the caller's own pointers ---------- */

cevm_status host_call_direct(cevm_driver *d, int which, DWORD handle, DWORD code, void *in,
                             DWORD in_len, void *out, DWORD out_len, DWORD *returned, LONG amount,
                             WORD type, DWORD *result, char *err, size_t errlen)
{
    static const int calls[] = {C_READ, C_WRITE, C_SEEK, C_IOCTL};
    static const char *const names[] = {"Read", "Write", "Seek", "IOControl"};
    if (!d || which < HOST_READ || which > HOST_IOCTL)
        return say(err, errlen, CEVM_E_INVAL, "no driver");
    void *fn = which == HOST_READ    ? (void *)d->read
               : which == HOST_WRITE ? (void *)d->write
               : which == HOST_SEEK  ? (void *)d->seek
                                     : (void *)d->ioctl;
    cevm_status st = usable(d, fn, names[which], err, errlen);
    if (st)
        return st;
    struct call c = {.which = calls[which],
                     .direct = 1,
                     .a = handle,
                     .b = code,
                     .p1 = which == HOST_READ ? out : in,
                     .n1 = which == HOST_READ ? out_len : in_len,
                     .p2 = out,
                     .n2 = out_len,
                     .out = returned,
                     .l = amount,
                     .w = type};
    if ((st = call(d, &c, err, errlen)))
        return st;
    *result = c.result;
    return CEVM_OK;
}

const char *host_prefix(const cevm_driver *d)
{
    return d->prefix;
}

cevm_status host_call_power(cevm_driver *d, int up, char *err, size_t errlen)
{
    if (!d)
        return say(err, errlen, CEVM_E_INVAL, "no driver");
    void *fn = up ? (void *)d->powerup : (void *)d->powerdown;
    if (!fn)
        return CEVM_E_UNSUPPORTED;
    cevm_status st = usable(d, fn, up ? "PowerUp" : "PowerDown", err, errlen);
    if (st)
        return st;
    struct call c = {.which = up ? C_POWERUP : C_POWERDOWN, .a = d->context};
    return call(d, &c, err, errlen);
}

int host_has_entry(const cevm_driver *d, int which)
{
    return which == HOST_OPEN    ? d->open != NULL
           : which == HOST_READ  ? d->read != NULL
           : which == HOST_WRITE ? d->write != NULL
           : which == HOST_SEEK  ? d->seek != NULL
                                 : d->ioctl != NULL;
}

/* A call's buffers in the caller process (proc/caller.c): what CE 5's kernel hands a driver for
 * the top-level pointers of DeviceIoControl, ReadFile and WriteFile are the caller's slot
 * addresses. One reservation holds the returned-bytes DWORD, the input and the output buffer
 * (NULL for a length of 0). */
struct caller_frame {
    uint32_t base;
    DWORD *ret;
    void *in, *out;
};

static cevm_status frame_make(struct caller_frame *f, const void *in, uint32_t in_len,
                              const void *out, uint32_t out_len)
{
    memset(f, 0, sizeof *f);
    uint64_t in_at = 16, out_at = in_at + (((uint64_t)in_len + 15) & ~15ull);
    uint64_t total = out_at + out_len;
    if (total >= 0x01000000u || caller_buffer((uint32_t)total, &f->base))
        return CEVM_E_NOMEM;
    BYTE *host = cevm_host_ptr(f->base);
    f->ret = (DWORD *)host;
    f->in = in_len ? host + in_at : NULL;
    f->out = out_len ? host + out_at : NULL;
    if (in && in_len)
        memcpy(f->in, in, in_len);
    if (out && out_len)
        memcpy(f->out, out, out_len);
    return CEVM_OK;
}

static void frame_free(struct caller_frame *f)
{
    if (f->base)
        caller_free(f->base);
    f->base = 0;
}

static cevm_status transfer(cevm_driver *d, int which, uint32_t handle, const void *in, void *out,
                            uint32_t len, uint32_t *result, char *err, size_t errlen)
{
    if (!d)
        return say(err, errlen, CEVM_E_INVAL, "no driver");
    cevm_status st = usable(d, which == C_READ ? (void *)d->read : (void *)d->write,
                            call_names[which], err, errlen);
    if (st)
        return st;
    struct caller_frame f;
    if (frame_make(&f, in, len, NULL, 0))
        return say(err, errlen, CEVM_E_NOMEM, "no caller memory for a %u-byte buffer", len);
    struct call c = {.which = which, .a = handle, .p1 = f.in, .n1 = len};
    st = call(d, &c, err, errlen);
    if (st == CEVM_OK && out && f.in)
        memcpy(out, f.in, len);
    frame_free(&f);
    if (st == CEVM_OK && result)
        *result = c.result;
    return st;
}

static cevm_status cevm_driver_read_work(cevm_driver *d, uint32_t handle, void *buf, uint32_t len,
                                         uint32_t *result, char *err, size_t errlen)
{
    return transfer(d, C_READ, handle, NULL, buf, len, result, err, errlen);
}

static cevm_status cevm_driver_write_work(cevm_driver *d, uint32_t handle, const void *buf,
                                          uint32_t len, uint32_t *result, char *err, size_t errlen)
{
    return transfer(d, C_WRITE, handle, buf, NULL, len, result, err, errlen);
}

static cevm_status cevm_driver_seek_work(cevm_driver *d, uint32_t handle, int32_t amount,
                                         uint16_t type, uint32_t *result, char *err, size_t errlen)
{
    if (!d)
        return say(err, errlen, CEVM_E_INVAL, "no driver");
    cevm_status st = usable(d, (void *)d->seek, "Seek", err, errlen);
    if (st)
        return st;
    struct call c = {.which = C_SEEK, .a = handle, .l = amount, .w = type};
    if ((st = call(d, &c, err, errlen)))
        return st;
    if (result)
        *result = c.result;
    return CEVM_OK;
}

static cevm_status cevm_driver_ioctl_work(cevm_driver *d, uint32_t handle, uint32_t code,
                                          const void *in, uint32_t in_len, void *out,
                                          uint32_t out_len, uint32_t *returned, int *result,
                                          char *err, size_t errlen)
{
    if (!d)
        return say(err, errlen, CEVM_E_INVAL, "no driver");
    cevm_status st = usable(d, (void *)d->ioctl, "IOControl", err, errlen);
    if (st)
        return st;
    /* The output buffer starts with the caller's bytes: IOCTL_POWER_SET reads the state there. */
    struct caller_frame f;
    if (frame_make(&f, in, in_len, out, out_len))
        return say(err, errlen, CEVM_E_NOMEM, "no caller memory for the ioctl buffers");
    struct call c = {.which = C_IOCTL,
                     .a = handle,
                     .b = code,
                     .p1 = f.in,
                     .n1 = in_len,
                     .p2 = f.out,
                     .n2 = out_len,
                     .out = f.ret};
    st = call(d, &c, err, errlen);
    if (st == CEVM_OK) {
        if (out && f.out)
            memcpy(out, f.out, out_len);
        if (returned)
            *returned = *f.ret;
        if (result)
            *result = (int)c.result;
    }
    frame_free(&f);
    return st;
}

static cevm_status cevm_driver_unload_work(cevm_driver *d, cevm_driver_report *report, char *err,
                                           size_t errlen)
{
    if (!d)
        return say(err, errlen, CEVM_E_INVAL, "no driver");
    cevm_driver_report rep;
    memset(&rep, 0, sizeof rep);
    cevm_status st = CEVM_OK;
    size_t len = 0;
    if (d->faulted[0]) {
        len += (size_t)snprintf(rep.text, sizeof rep.text,
                                "%s_Deinit was not called: the driver faulted in %s\n", d->prefix,
                                d->faulted);
        st = say(err, errlen, CEVM_E_DRIVER, "driver '%s' faulted in %s earlier", d->name,
                 d->faulted);
    } else {
        struct call c = {.which = C_DEINIT, .a = d->context};
        st = host_pre(d, 1, 0, err, errlen); /* XXX_PreDeinit first, unless already called */
        if (st == CEVM_OK)
            st = call(d, &c, err, errlen);
        if (st == CEVM_OK && !c.result)
            len += (size_t)snprintf(rep.text, sizeof rep.text, "%s_Deinit returned FALSE\n",
                                    d->prefix);
    }
    remove_active(d);
    /* Leftovers: reservations that were not there at load time. */
    struct region *now = host_calloc(MAX_REGIONS, sizeof *now);
    size_t n = now ? reservations(now, MAX_REGIONS) : 0;
    for (size_t i = 0; i < n; i++) {
        int old = 0;
        for (size_t k = 0; k < d->nbefore && !old; k++)
            old = d->before[k].base == now[i].base;
        if (old)
            continue;
        rep.regions++;
        char line[200];
        describe(&now[i], line, sizeof line);
        if (len < sizeof rep.text)
            len += (size_t)snprintf(rep.text + len, sizeof rep.text - len, "%s", line);
    }
    free(now);
    uint32_t blocks, bytes;
    heap_stats(&blocks, &bytes);
    if (blocks > d->heap_blocks) {
        rep.heap_blocks = blocks - d->heap_blocks;
        if (len < sizeof rep.text)
            snprintf(rep.text + len, sizeof rep.text - len, "  %u LocalAlloc block(s) not freed\n",
                     rep.heap_blocks);
    }
    rep.text[sizeof rep.text - 1] = '\0';
    LocalFree(d->active_arg);
    /* A thread the driver started and did not stop would run unmapped code after dlclose:
     * report it, and keep the library loaded. */
    char marker[40], creator[128] = "";
    snprintf(marker, sizeof marker, "of driver '%s'", d->name);
    size_t threads = sync_threads_running(marker, creator, sizeof creator);
    if (threads) {
        len = strlen(rep.text);
        if (len < sizeof rep.text)
            snprintf(rep.text + len, sizeof rep.text - len,
                     "  %zu thread(s) the driver created still running (the first created in "
                     "%s): the library stays loaded\n",
                     threads, creator);
        rep.threads = (uint32_t)threads;
    }
    char masked[512];
    if (intr_report_masked(marker, masked, sizeof masked)) {
        len = strlen(rep.text);
        if (len < sizeof rep.text)
            snprintf(rep.text + len, sizeof rep.text - len, "%s", masked);
    }
    if (report)
        *report = rep;
    if (d->dllmain && !d->faulted[0]) {
        struct call det = {.which = C_DLLMAIN, .a = DLL_PROCESS_DETACH};
        char derr[256];
        call(d, &det, derr, sizeof derr);
    }
    if (!threads)
        image_unload(d->lib);
    free(d);
    return st;
}

/* ---- the API: cevm's own CE calls in these are quiet in CEVM_TRACE (the driver's, made
 * inside its entry points, are traced) ---- */

cevm_status cevm_driver_load(const char *library, const char *key, cevm_driver **out, char *err,
                             size_t errlen)
{
    ce_trace_quiet(1);
    cevm_status st = cevm_driver_load_work(library, key, out, err, errlen);
    ce_trace_quiet(0);
    return st;
}

cevm_status cevm_driver_open(cevm_driver *d, uint32_t access, uint32_t share, uint32_t *handle,
                             char *err, size_t errlen)
{
    ce_trace_quiet(1);
    cevm_status st = cevm_driver_open_work(d, access, share, handle, err, errlen);
    ce_trace_quiet(0);
    return st;
}

cevm_status cevm_driver_close(cevm_driver *d, uint32_t handle, int *result, char *err,
                              size_t errlen)
{
    ce_trace_quiet(1);
    cevm_status st = cevm_driver_close_work(d, handle, result, err, errlen);
    ce_trace_quiet(0);
    return st;
}

cevm_status cevm_driver_read(cevm_driver *d, uint32_t handle, void *buf, uint32_t len,
                             uint32_t *result, char *err, size_t errlen)
{
    ce_trace_quiet(1);
    cevm_status st = cevm_driver_read_work(d, handle, buf, len, result, err, errlen);
    ce_trace_quiet(0);
    return st;
}

cevm_status cevm_driver_write(cevm_driver *d, uint32_t handle, const void *buf, uint32_t len,
                              uint32_t *result, char *err, size_t errlen)
{
    ce_trace_quiet(1);
    cevm_status st = cevm_driver_write_work(d, handle, buf, len, result, err, errlen);
    ce_trace_quiet(0);
    return st;
}

cevm_status cevm_driver_seek(cevm_driver *d, uint32_t handle, int32_t amount, uint16_t type,
                             uint32_t *result, char *err, size_t errlen)
{
    ce_trace_quiet(1);
    cevm_status st = cevm_driver_seek_work(d, handle, amount, type, result, err, errlen);
    ce_trace_quiet(0);
    return st;
}

cevm_status cevm_driver_ioctl(cevm_driver *d, uint32_t handle, uint32_t code, const void *in,
                              uint32_t in_len, void *out, uint32_t out_len, uint32_t *returned,
                              int *result, char *err, size_t errlen)
{
    ce_trace_quiet(1);
    cevm_status st = cevm_driver_ioctl_work(d, handle, code, in, in_len, out, out_len, returned,
                                            result, err, errlen);
    ce_trace_quiet(0);
    return st;
}

cevm_status cevm_driver_unload(cevm_driver *d, cevm_driver_report *report, char *err, size_t errlen)
{
    ce_trace_quiet(1);
    cevm_status st = cevm_driver_unload_work(d, report, err, errlen);
    ce_trace_quiet(0);
    return st;
}
