/*
 * module.c — LoadLibrary, GetProcAddress and FreeLibrary for CE code: other cevm-built
 * libraries (shared objects built with the cevm-ce flags), loaded with dlopen.
 *
 * CE names a DLL ("gpio.dll", or "gpio" which means "gpio.dll"); cevm looks for, in order,
 * NAME, libBASE.so and BASE.so: at an explicit path only (a missing explicit path fails, '\\'
 * counts as '/'); otherwise in the folder of the library that called LoadLibrary, each folder
 * of $CEVM_LIBRARY_PATH, the program's folder, then the dynamic loader's search. The first load
 * calls the library's DllMain (or DllEntry) with DLL_PROCESS_ATTACH — FALSE unloads it and fails
 * with ERROR_DLL_INIT_FAILED — and the last FreeLibrary with DLL_PROCESS_DETACH. GetProcAddress
 * finds exports by name, also C++ functions a CE .def file would export undecorated.
 */
#define _GNU_SOURCE
#include "ce/ce_api.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/elfsyms.h"

typedef BOOL (*dllmain_fn)(HANDLE, DWORD, LPVOID);

struct module {
    void *dl;
    unsigned refs;
    dllmain_fn entry;
    char path[512];
    struct module *next;
};

static pthread_mutex_t g_mod_lock = PTHREAD_MUTEX_INITIALIZER;
static struct module *g_modules;

static void *try_open(const char *dir, const char *file, char *path, size_t cap)
{
    size_t ld = dir ? strlen(dir) : 0, lf = strlen(file);
    if (ld + 1 + lf + 1 > cap)
        return NULL;
        /* It fits (checked above): the truncation gcc cannot rule out does not happen. */
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
    if (dir)
        snprintf(path, cap, "%s/%s", dir, file);
    else
        snprintf(path, cap, "%s", file);
#pragma GCC diagnostic pop
    if (dir && access(path, R_OK))
        return NULL;
    return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

/* Open name (8-bit, '/' separators) as CE would find it. caller: an address in the calling
 * library. */
static void *find_and_open(const char *name, const void *caller, char *path, size_t cap)
{
    char with_ext[300], base[300], cand[3][320];
    const char *slash = strrchr(name, '/');
    const char *file = slash ? slash + 1 : name;
    snprintf(with_ext, sizeof with_ext, "%s%s", name, strchr(file, '.') ? "" : ".dll");
    snprintf(base, sizeof base, "%s", slash ? slash + 1 : with_ext);
    char *dot = strrchr(base, '.');
    if (dot && !strcmp(dot, ".dll"))
        *dot = '\0';
    snprintf(cand[0], sizeof cand[0], "%s", slash ? slash + 1 : with_ext);
    snprintf(cand[1], sizeof cand[1], "lib%s.so", base);
    snprintf(cand[2], sizeof cand[2], "%s.so", base);
    if (slash) {
        char dir[300];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - name), name);
        for (int i = 0; i < 3; i++) {
            void *h = try_open(dir[0] ? dir : "/", cand[i], path, cap);
            if (h)
                return h;
        }
        return NULL;
    }
    char dirs[8][512];
    int nd = 0;
    Dl_info di;
    if (caller && dladdr(caller, &di) && di.dli_fname && strchr(di.dli_fname, '/')) {
        snprintf(dirs[nd], sizeof dirs[nd], "%s", di.dli_fname);
        *strrchr(dirs[nd], '/') = '\0';
        nd++;
    }
    const char *env = getenv("CEVM_LIBRARY_PATH");
    if (env) {
        char list[1024];
        snprintf(list, sizeof list, "%s", env);
        for (char *save = NULL, *d = strtok_r(list, ":", &save); d && nd < 7;
             d = strtok_r(NULL, ":", &save))
            snprintf(dirs[nd++], sizeof dirs[0], "%s", d);
    }
    ssize_t n = readlink("/proc/self/exe", dirs[nd], sizeof dirs[nd] - 1);
    if (n > 0) {
        dirs[nd][n] = '\0';
        char *s = strrchr(dirs[nd], '/');
        if (s) {
            *s = '\0';
            nd++;
        }
    }
    for (int d = 0; d < nd; d++)
        for (int i = 0; i < 3; i++) {
            void *h = try_open(dirs[d], cand[i], path, cap);
            if (h)
                return h;
        }
    for (int i = 1; i < 3; i++) {
        void *h = try_open(NULL, cand[i], path, cap);
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
    void *dl = find_and_open(name, caller, path, sizeof path);
    if (!dl) {
        SetLastError(ERROR_MOD_NOT_FOUND);
        return NULL;
    }
    pthread_mutex_lock(&g_mod_lock);
    struct module *m = g_modules;
    while (m && m->dl != dl)
        m = m->next;
    if (m) {
        m->refs++;
        pthread_mutex_unlock(&g_mod_lock);
        dlclose(dl); /* the loader counted it too */
        return (HMODULE)dl;
    }
    pthread_mutex_unlock(&g_mod_lock);
    m = calloc(1, sizeof *m);
    if (!m) {
        dlclose(dl);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    m->dl = dl;
    m->refs = 1;
    snprintf(m->path, sizeof m->path, "%s", path);
    m->entry = (dllmain_fn)dlsym(dl, "DllMain");
    if (!m->entry)
        m->entry = (dllmain_fn)dlsym(dl, "DllEntry");
    if (!m->entry)
        m->entry = (dllmain_fn)elf_cxx_symbol(dl, path, "DllMain");
    if (m->entry && !m->entry((HANDLE)dl, DLL_PROCESS_ATTACH, NULL)) {
        dlclose(dl);
        free(m);
        SetLastError(ERROR_DLL_INIT_FAILED);
        return NULL;
    }
    pthread_mutex_lock(&g_mod_lock);
    m->next = g_modules;
    g_modules = m;
    pthread_mutex_unlock(&g_mod_lock);
    return (HMODULE)dl;
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

HMODULE WINAPI LoadLibraryW(LPCWSTR lpLibFileName)
{
    return load_w(lpLibFileName, __builtin_return_address(0));
}

HMODULE WINAPI LoadLibraryExW(LPCWSTR lpLibFileName, HANDLE hFile, DWORD dwFlags)
{
    (void)hFile;
    (void)dwFlags;
    return load_w(lpLibFileName, __builtin_return_address(0));
}

static struct module *module_of(HMODULE h)
{
    struct module *m = g_modules;
    while (m && m->dl != (void *)h)
        m = m->next;
    return m;
}

FARPROC WINAPI GetProcAddressA(HMODULE hModule, LPCSTR lpProcName)
{
    if ((ULONG_PTR)lpProcName >> 16 == 0) {
        /* An ordinal: cevm-built libraries export by name only. */
        SetLastError(ERROR_PROC_NOT_FOUND);
        return NULL;
    }
    pthread_mutex_lock(&g_mod_lock);
    struct module *m = module_of(hModule);
    char path[512];
    snprintf(path, sizeof path, "%s", m ? m->path : "");
    pthread_mutex_unlock(&g_mod_lock);
    if (!m) {
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    void *p = dlsym(hModule, lpProcName);
    if (!p)
        p = elf_cxx_symbol(hModule, path, lpProcName);
    if (!p)
        SetLastError(ERROR_PROC_NOT_FOUND);
    return (FARPROC)p;
}

FARPROC WINAPI GetProcAddressW(HMODULE hModule, LPCWSTR lpProcName)
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

BOOL WINAPI FreeLibrary(HMODULE hLibModule)
{
    pthread_mutex_lock(&g_mod_lock);
    struct module **pp = &g_modules;
    while (*pp && (*pp)->dl != (void *)hLibModule)
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
            m->entry((HANDLE)m->dl, DLL_PROCESS_DETACH, NULL);
        dlclose(m->dl);
        free(m);
    }
    return TRUE;
}
