/*
 * module.c — LoadLibrary, GetProcAddress and FreeLibrary for CE code: other cevm-built
 * libraries (shared objects built with the cevm-ce flags), loaded at CE addresses (proc/image.c).
 *
 * CE names a DLL ("gpio.dll", or "gpio" which means "gpio.dll"); cevm looks for, in order,
 * NAME, libBASE.so and BASE.so: at an explicit path only (a missing explicit path fails, '\\'
 * counts as '/'); otherwise in the folder of the library that called LoadLibrary, each folder
 * of $CEVM_LIBRARY_PATH, the program's folder, then each folder of $LD_LIBRARY_PATH. The first load
 * calls the library's DllMain (or DllEntry) with DLL_PROCESS_ATTACH — FALSE unloads it and fails
 * with ERROR_DLL_INIT_FAILED — and the last FreeLibrary with DLL_PROCESS_DETACH. GetProcAddress
 * finds exports by name, also C++ functions a CE .def file would export undecorated.
 */
#define _GNU_SOURCE
#include "ce/trace.h"
#include "ce/ce_api.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ce/heap.h"
#include "proc/image.h"

typedef BOOL (*dllmain_fn)(HANDLE, DWORD, LPVOID);

struct module {
    struct ce_image *img;
    void *handle; /* the HMODULE CE code sees */
    unsigned refs;
    dllmain_fn entry;
    char path[512];
    struct module *next;
};

static pthread_mutex_t g_mod_lock = PTHREAD_MUTEX_INITIALIZER;
static struct module *g_modules;

/* Load dir/file as a CE image if the file exists. */
static struct ce_image *try_open(const char *dir, const char *file, char *path, size_t cap)
{
    size_t ld = dir ? strlen(dir) : 0, lf = strlen(file);
    if (ld + 1 + lf + 1 > cap)
        return NULL;
        /* It fits (checked above): the truncation gcc cannot rule out does not happen. */
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
    snprintf(path, cap, "%s/%s", dir, file);
#pragma GCC diagnostic pop
    if (access(path, R_OK))
        return NULL;
    char why[300];
    struct ce_image *im = image_load(path, why, sizeof why);
    if (!im)
        fprintf(stderr, "cevm: LoadLibrary: %s: %s\n", path, why);
    return im;
}

/* Append the folders of the ':'-separated list in environment variable var to dirs[nd..max).
 * Return: the new count. */
static int add_path_list(const char *var, char dirs[][512], int nd, int max)
{
    const char *env = getenv(var);
    if (!env)
        return nd;
    char list[1024];
    snprintf(list, sizeof list, "%s", env);
    for (char *save = NULL, *d = strtok_r(list, ":", &save); d && nd < max;
         d = strtok_r(NULL, ":", &save))
        snprintf(dirs[nd++], 512, "%s", d);
    return nd;
}

/* The three file names CE's loader tries for file (no folder): file itself (with ".dll" when
 * add_dll and it has no extension), libBASE.so and BASE.so, BASE being file without ".dll". */
static void candidates(const char *file, int add_dll, char cand[3][320])
{
    char base[300];
    snprintf(cand[0], sizeof cand[0], "%s%s", file, add_dll && !strchr(file, '.') ? ".dll" : "");
    snprintf(base, sizeof base, "%s", file);
    char *dot = strrchr(base, '.');
    if (dot && !strcmp(dot, ".dll"))
        *dot = '\0';
    snprintf(cand[1], sizeof cand[1], "lib%s.so", base);
    snprintf(cand[2], sizeof cand[2], "%s.so", base);
}

/* The folders searched, in order: first (if not NULL), $CEVM_LIBRARY_PATH, the program's
 * folder, $LD_LIBRARY_PATH. Return: how many. */
static int search_dirs(const char *first, char dirs[8][512])
{
    int nd = 0;
    if (first)
        snprintf(dirs[nd++], sizeof dirs[0], "%s", first);
    nd = add_path_list("CEVM_LIBRARY_PATH", dirs, nd, 6);
    ssize_t n = readlink("/proc/self/exe", dirs[nd], sizeof dirs[nd] - 1);
    if (n > 0) {
        dirs[nd][n] = '\0';
        char *s = strrchr(dirs[nd], '/');
        if (s) {
            *s = '\0';
            nd++;
        }
    }
    return add_path_list("LD_LIBRARY_PATH", dirs, nd, 8);
}

int module_find_file(const char *name, char *path, size_t cap)
{
    char cand[3][320], dirs[8][512];
    if (strchr(name, '/')) {
        snprintf(path, cap, "%s", name);
        return access(path, R_OK) == 0;
    }
    candidates(name, 1, cand);
    int nd = search_dirs(".", dirs);
    for (int d = 0; d < nd; d++)
        for (int i = 0; i < 3; i++) {
            snprintf(path, cap, "%s/%s", dirs[d], cand[i]);
            if (access(path, R_OK) == 0)
                return 1;
        }
    snprintf(path, cap, "%s", name);
    return 0;
}

/* Open name (8-bit, '/' separators) as CE would find it. caller: an address in the calling
 * library. */
static struct ce_image *find_and_open(const char *name, const void *caller, char *path, size_t cap)
{
    char cand[3][320];
    const char *slash = strrchr(name, '/');
    candidates(slash ? slash + 1 : name, !slash, cand);
    if (slash) {
        char dir[300];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - name), name);
        for (int i = 0; i < 3; i++) {
            struct ce_image *h = try_open(dir[0] ? dir : "/", cand[i], path, cap);
            if (h)
                return h;
        }
        return NULL;
    }
    char dirs[8][512], caller_dir[512];
    struct module_addr ma;
    const char *caller_file = caller && image_dladdr(caller, &ma) ? ma.path : NULL;
    int from_caller = caller_file && strchr(caller_file, '/');
    if (from_caller) { /* the calling library's folder first */
        snprintf(caller_dir, sizeof caller_dir, "%s", caller_file);
        *strrchr(caller_dir, '/') = '\0';
    }
    int nd = search_dirs(from_caller ? caller_dir : NULL, dirs);
    for (int d = 0; d < nd; d++)
        for (int i = 0; i < 3; i++) {
            struct ce_image *h = try_open(dirs[d], cand[i], path, cap);
            if (h)
                return h;
        }
    return NULL;
}

static void narrow_name(LPCWSTR w, char *out, size_t cap)
{
    size_t i = 0;
    for (; w[i] && i + 1 < cap; i++)
        out[i] = w[i] == '\\' ? '/' : (w[i] < 0x80 ? (char)w[i] : '?');
    out[i] = '\0';
}

static HMODULE load(const char *name, const void *caller)
{
    char path[512];
    struct ce_image *img = find_and_open(name, caller, path, sizeof path);
    if (!img) {
        SetLastError(ERROR_MOD_NOT_FOUND);
        return NULL;
    }
    pthread_mutex_lock(&g_mod_lock);
    struct module *m = g_modules;
    while (m && m->img != img)
        m = m->next;
    if (m) {
        m->refs++;
        pthread_mutex_unlock(&g_mod_lock);
        image_unload(img); /* the loader counted it too */
        return (HMODULE)m->handle;
    }
    pthread_mutex_unlock(&g_mod_lock);
    m = calloc(1, sizeof *m);
    if (!m) {
        image_unload(img);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    m->img = img;
    m->handle = image_handle(img);
    m->refs = 1;
    snprintf(m->path, sizeof m->path, "%s", path);
    m->entry = (dllmain_fn)image_export(img, "DllMain");
    if (!m->entry)
        m->entry = (dllmain_fn)image_export(img, "DllEntry");
    if (m->entry && !m->entry((HANDLE)m->handle, DLL_PROCESS_ATTACH, NULL)) {
        image_unload(img);
        free(m);
        SetLastError(ERROR_DLL_INIT_FAILED);
        return NULL;
    }
    pthread_mutex_lock(&g_mod_lock);
    m->next = g_modules;
    g_modules = m;
    pthread_mutex_unlock(&g_mod_lock);
    return (HMODULE)m->handle;
}

/* LoadLibrary for the library containing address caller. */
static HMODULE load_w(LPCWSTR lpLibFileName, const void *caller)
{
    if (!lpLibFileName || !lpLibFileName[0]) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    char name[300];
    narrow_name(lpLibFileName, name, sizeof name);
    return load(name, caller);
}

static HMODULE impl_LoadLibraryW(LPCWSTR lpLibFileName)
{
    return load_w(lpLibFileName, __builtin_return_address(0));
}

static HMODULE impl_LoadLibraryExW(LPCWSTR lpLibFileName, HANDLE hFile, DWORD dwFlags)
{
    (void)hFile;
    (void)dwFlags;
    return load_w(lpLibFileName, __builtin_return_address(0));
}

static struct module *module_of(HMODULE h)
{
    struct module *m = g_modules;
    while (m && m->handle != (void *)h)
        m = m->next;
    return m;
}

static FARPROC impl_GetProcAddressA(HMODULE hModule, LPCSTR lpProcName)
{
    if ((ULONG_PTR)lpProcName >> 16 == 0) {
        /* An ordinal: cevm-built libraries export by name only. */
        SetLastError(ERROR_PROC_NOT_FOUND);
        return NULL;
    }
    pthread_mutex_lock(&g_mod_lock);
    struct module *m = module_of(hModule);
    struct ce_image *img = m ? m->img : NULL;
    pthread_mutex_unlock(&g_mod_lock);
    if (!img)
        img = image_from_handle(hModule); /* a driver the host loaded */
    if (!img) {
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    void *p = image_export(img, lpProcName);
    if (!p)
        SetLastError(ERROR_PROC_NOT_FOUND);
    return (FARPROC)p;
}

static FARPROC impl_GetProcAddressW(HMODULE hModule, LPCWSTR lpProcName)
{
    if ((ULONG_PTR)lpProcName >> 16 == 0)
        return GetProcAddressA(hModule, (LPCSTR)lpProcName);
    char name[256];
    size_t i = 0;
    for (; lpProcName[i] && i + 1 < sizeof name; i++)
        name[i] = lpProcName[i] < 0x80 ? (char)lpProcName[i] : '?';
    name[i] = '\0';
    return GetProcAddressA(hModule, name);
}

static BOOL impl_FreeLibrary(HMODULE hLibModule)
{
    pthread_mutex_lock(&g_mod_lock);
    struct module **pp = &g_modules;
    while (*pp && (*pp)->handle != (void *)hLibModule)
        pp = &(*pp)->next;
    struct module *m = *pp;
    if (m && --m->refs == 0)
        *pp = m->next;
    else
        m = m ? NULL : (struct module *)-1;
    pthread_mutex_unlock(&g_mod_lock);
    if (m == (struct module *)-1) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    if (m) {
        if (m->entry)
            m->entry((HANDLE)m->handle, DLL_PROCESS_DETACH, NULL);
        image_unload(m->img);
        free(m);
    }
    return TRUE;
}

void modules_reset(void)
{
    pthread_mutex_lock(&g_mod_lock);
    struct module *m = g_modules;
    g_modules = NULL;
    pthread_mutex_unlock(&g_mod_lock);
    while (m) {
        struct module *next = m->next;
        free(m);
        m = next;
    }
}

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

HMODULE WINAPI LoadLibraryW(LPCWSTR lpLibFileName)
{
    uint64_t t0 = ce_trace_start();
    HMODULE r = impl_LoadLibraryW(lpLibFileName);
    if (t0)
        ce_trace_done(t0, "LoadLibraryW", TR_HANDLE, (uint64_t)(uintptr_t)r, "lpLibFileName %s",
                      ce_trace_wstr(lpLibFileName));
    return r;
}

HMODULE WINAPI LoadLibraryExW(LPCWSTR lpLibFileName, HANDLE hFile, DWORD dwFlags)
{
    uint64_t t0 = ce_trace_start();
    HMODULE r = impl_LoadLibraryExW(lpLibFileName, hFile, dwFlags);
    if (t0)
        ce_trace_done(t0, "LoadLibraryExW", TR_HANDLE, (uint64_t)(uintptr_t)r,
                      "lpLibFileName %s, hFile %s, dwFlags 0x%X", ce_trace_wstr(lpLibFileName),
                      ce_trace_handle(hFile), (unsigned)dwFlags);
    return r;
}

FARPROC WINAPI GetProcAddressA(HMODULE hModule, LPCSTR lpProcName)
{
    uint64_t t0 = ce_trace_start();
    FARPROC r = impl_GetProcAddressA(hModule, lpProcName);
    if (t0)
        ce_trace_done(t0, "GetProcAddressA", TR_PTR, (uint64_t)(uintptr_t)r,
                      "hModule %s, lpProcName %s", ce_trace_handle(hModule),
                      ce_trace_str(lpProcName));
    return r;
}

FARPROC WINAPI GetProcAddressW(HMODULE hModule, LPCWSTR lpProcName)
{
    uint64_t t0 = ce_trace_start();
    FARPROC r = impl_GetProcAddressW(hModule, lpProcName);
    if (t0)
        ce_trace_done(t0, "GetProcAddressW", TR_PTR, (uint64_t)(uintptr_t)r,
                      "hModule %s, lpProcName %s", ce_trace_handle(hModule),
                      ce_trace_wstr(lpProcName));
    return r;
}

BOOL WINAPI FreeLibrary(HMODULE hLibModule)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_FreeLibrary(hLibModule);
    if (t0)
        ce_trace_done(t0, "FreeLibrary", TR_BOOL, (uint64_t)r, "hLibModule %s",
                      ce_trace_handle(hLibModule));
    return r;
}
