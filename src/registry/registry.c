/*
 * registry.c — an in-memory CE registry: keys under HKEY_LOCAL_MACHINE (names compared without
 * regard to ASCII case, paths split at '\'), each with typed values; and the calls drivers use
 * on it (RegOpenKeyEx, RegCreateKeyEx, RegSetValueEx, RegQueryValueEx, RegCloseKey), with the
 * documented Win32 results.
 *
 * HKEYs are handles into a list of open keys, so a stale or made-up HKEY is refused
 * (ERROR_INVALID_HANDLE) instead of followed. Keys are never deleted, so a handle's key lives as
 * long as the registry. The registry is emptied when the machine shuts down. One mutex guards
 * it; results are copied to the caller's buffers after the mutex is released, so a wild buffer
 * raises a CE exception in the caller without leaving the registry locked.
 */
#include "host/host.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"

struct reg_value {
    uint16_t *name;
    DWORD type;
    BYTE *data;
    DWORD size;
};

struct reg_key {
    uint16_t *name;
    struct reg_key *child, *next;
    struct reg_value *values;
    size_t nvalues;
};

struct cevm_hkey {
    struct reg_key *key;
    struct cevm_hkey *next;
};

static pthread_mutex_t g_reg = PTHREAD_MUTEX_INITIALIZER;
static struct reg_key g_hklm;
static struct cevm_hkey *g_open;

/* ---- 16-bit strings ---------------------------------------------------------------------- */

static size_t wlen(const uint16_t *s)
{
    size_t n = 0;
    while (s && s[n])
        n++;
    return n;
}

static uint16_t *wdup(const uint16_t *s, size_t n)
{
    uint16_t *d = host_malloc((n + 1) * sizeof *d);
    if (d) {
        if (n)
            memcpy(d, s, n * sizeof *d);
        d[n] = 0;
    }
    return d;
}

static uint16_t fold(uint16_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint16_t)(c + 32) : c;
}

/* Does the n-unit name s equal the NUL-terminated name t, ignoring ASCII case? */
static int name_eq(const uint16_t *s, size_t n, const uint16_t *t)
{
    size_t i = 0;
    for (; i < n; i++)
        if (!t[i] || fold(s[i]) != fold(t[i]))
            return 0;
    return t[i] == 0;
}

/* ---- keys and handles (g_reg held) ------------------------------------------------------ */

static struct reg_key *key_of(HKEY h)
{
    if (h == HKEY_LOCAL_MACHINE)
        return &g_hklm;
    for (struct cevm_hkey *o = g_open; o; o = o->next)
        if (o == h)
            return o->key;
    return NULL;
}

static HKEY new_handle(struct reg_key *k)
{
    struct cevm_hkey *h = host_malloc(sizeof *h);
    if (!h)
        return NULL;
    h->key = k;
    h->next = g_open;
    g_open = h;
    return h;
}

/* Walk (and with create, make) the path sub below k. *created reports a new last key.
 * Return: the key, or NULL (not found, or out of memory when creating). */
static struct reg_key *walk(struct reg_key *k, const uint16_t *sub, int create, int *created)
{
    if (created)
        *created = 0;
    while (sub && *sub) {
        while (*sub == '\\')
            sub++;
        size_t n = 0;
        while (sub[n] && sub[n] != '\\')
            n++;
        if (n == 0)
            break;
        struct reg_key *c = k->child;
        while (c && !name_eq(sub, n, c->name))
            c = c->next;
        if (!c) {
            if (!create)
                return NULL;
            c = host_calloc(1, sizeof *c);
            if (!c || !(c->name = wdup(sub, n))) {
                free(c);
                return NULL;
            }
            c->next = k->child;
            k->child = c;
            if (created)
                *created = 1;
        }
        k = c;
        sub += n;
    }
    return k;
}

static struct reg_value *find_value(struct reg_key *k, const uint16_t *name)
{
    static const uint16_t empty[1] = {0};
    if (!name)
        name = empty;
    for (size_t i = 0; i < k->nvalues; i++)
        if (name_eq(name, wlen(name), k->values[i].name))
            return &k->values[i];
    return NULL;
}

static void free_key(struct reg_key *k)
{
    while (k->child) {
        struct reg_key *c = k->child;
        k->child = c->next;
        free_key(c);
        free(c);
    }
    for (size_t i = 0; i < k->nvalues; i++) {
        free(k->values[i].name);
        free(k->values[i].data);
    }
    free(k->values);
    free(k->name);
    memset(k, 0, sizeof *k);
}

void registry_reset(void)
{
    pthread_mutex_lock(&g_reg);
    free_key(&g_hklm);
    while (g_open) {
        struct cevm_hkey *h = g_open;
        g_open = h->next;
        free(h);
    }
    pthread_mutex_unlock(&g_reg);
}

/* ---- the calls ------------------------------------------------------------------------- */

static LONG open_or_create(HKEY hKey, LPCWSTR sub, int create, PHKEY out, LPDWORD disposition)
{
    if (!out)
        return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_reg);
    LONG err = ERROR_SUCCESS;
    int created = 0;
    struct reg_key *k = key_of(hKey);
    HKEY h = NULL;
    if (!k)
        err = ERROR_INVALID_HANDLE;
    else if (!(k = walk(k, (const uint16_t *)sub, create, &created)))
        err = create ? ERROR_OUTOFMEMORY : ERROR_FILE_NOT_FOUND;
    else if (!(h = new_handle(k)))
        err = ERROR_OUTOFMEMORY;
    pthread_mutex_unlock(&g_reg);
    if (err == ERROR_SUCCESS) {
        *out = h;
        if (disposition)
            *disposition = created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY;
    }
    return err;
}

LONG WINAPI RegOpenKeyEx(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions, REGSAM samDesired,
                         PHKEY phkResult)
{
    (void)samDesired;
    if (ulOptions != 0)
        return ERROR_INVALID_PARAMETER;
    return open_or_create(hKey, lpSubKey, 0, phkResult, NULL);
}

LONG WINAPI RegCreateKeyEx(HKEY hKey, LPCWSTR lpSubKey, DWORD Reserved, LPWSTR lpClass,
                           DWORD dwOptions, REGSAM samDesired,
                           LPSECURITY_ATTRIBUTES lpSecurityAttributes, PHKEY phkResult,
                           LPDWORD lpdwDisposition)
{
    (void)Reserved;
    (void)lpClass;
    (void)dwOptions;
    (void)samDesired;
    (void)lpSecurityAttributes;
    if (!lpSubKey)
        return ERROR_INVALID_PARAMETER;
    return open_or_create(hKey, lpSubKey, 1, phkResult, lpdwDisposition);
}

LONG WINAPI RegSetValueEx(HKEY hKey, LPCWSTR lpValueName, DWORD Reserved, DWORD dwType,
                          const BYTE *lpData, DWORD cbData)
{
    (void)Reserved;
    if (!lpData && cbData)
        return ERROR_INVALID_PARAMETER;
    if (dwType == REG_DWORD && cbData != sizeof(DWORD))
        return ERROR_INVALID_PARAMETER;
    /* Copy the caller's data before taking the lock. */
    BYTE *data = host_malloc(cbData ? cbData : 1);
    const uint16_t *vn = (const uint16_t *)lpValueName;
    uint16_t *name = wdup(vn, wlen(vn));
    if (!data || !name) {
        free(data);
        free(name);
        return ERROR_OUTOFMEMORY;
    }
    if (cbData)
        memcpy(data, lpData, cbData);
    pthread_mutex_lock(&g_reg);
    LONG err = ERROR_SUCCESS;
    struct reg_key *k = key_of(hKey);
    struct reg_value *v = k ? find_value(k, name) : NULL;
    if (!k) {
        err = ERROR_INVALID_HANDLE;
    } else if (v) {
        free(v->data);
        free(name);
        v->data = data;
        v->size = cbData;
        v->type = dwType;
        data = NULL;
        name = NULL;
    } else {
        struct reg_value *nv = host_realloc(k->values, (k->nvalues + 1) * sizeof *nv);
        if (!nv) {
            err = ERROR_OUTOFMEMORY;
        } else {
            k->values = nv;
            nv[k->nvalues++] = (struct reg_value){name, dwType, data, cbData};
            /* The value record owns data and name now. */
            // cppcheck-suppress memleak
            data = NULL;
            name = NULL;
        }
    }
    pthread_mutex_unlock(&g_reg);
    free(data);
    free(name);
    return err;
}

LONG WINAPI RegQueryValueEx(HKEY hKey, LPCWSTR lpValueName, LPDWORD lpReserved, LPDWORD lpType,
                            LPBYTE lpData, LPDWORD lpcbData)
{
    if (lpReserved || (lpData && !lpcbData))
        return ERROR_INVALID_PARAMETER;
    DWORD room = lpcbData ? *lpcbData : 0;
    pthread_mutex_lock(&g_reg);
    LONG err = ERROR_SUCCESS;
    struct reg_key *k = key_of(hKey);
    struct reg_value *v = k ? find_value(k, (const uint16_t *)lpValueName) : NULL;
    DWORD type = 0, size = 0;
    BYTE *copy = NULL;
    if (!k)
        err = ERROR_INVALID_HANDLE;
    else if (!v)
        err = ERROR_FILE_NOT_FOUND;
    else {
        type = v->type;
        size = v->size;
        if (lpData && room >= size && (copy = host_malloc(size ? size : 1)) && size)
            memcpy(copy, v->data, size);
        else if (lpData && room >= size)
            err = ERROR_OUTOFMEMORY;
    }
    pthread_mutex_unlock(&g_reg);
    if (err == ERROR_SUCCESS) {
        if (lpType)
            *lpType = type;
        if (lpData && room < size)
            err = ERROR_MORE_DATA;
        else if (lpData && size)
            memcpy(lpData, copy, size);
        if (lpcbData)
            *lpcbData = size;
    }
    free(copy);
    return err;
}

LONG WINAPI RegEnumValue(HKEY hKey, DWORD dwIndex, LPWSTR lpValueName, LPDWORD lpcchValueName,
                         LPDWORD lpReserved, LPDWORD lpType, LPBYTE lpData, LPDWORD lpcbData)
{
    if (!lpValueName || !lpcchValueName || lpReserved || (lpData && !lpcbData))
        return ERROR_INVALID_PARAMETER;
    DWORD room = *lpcchValueName, droom = lpcbData ? *lpcbData : 0;
    pthread_mutex_lock(&g_reg);
    LONG err = ERROR_SUCCESS;
    struct reg_key *k = key_of(hKey);
    uint16_t *name = NULL;
    BYTE *copy = NULL;
    DWORD type = 0, size = 0;
    size_t nlen = 0;
    if (!k)
        err = ERROR_INVALID_HANDLE;
    else if (dwIndex >= k->nvalues)
        err = ERROR_NO_MORE_ITEMS;
    else {
        const struct reg_value *v = &k->values[dwIndex];
        nlen = wlen(v->name);
        type = v->type;
        size = v->size;
        name = wdup(v->name, nlen);
        if (lpData && droom >= size && (copy = host_malloc(size ? size : 1)) && size)
            memcpy(copy, v->data, size);
        if (!name || (lpData && droom >= size && !copy))
            err = ERROR_OUTOFMEMORY;
    }
    pthread_mutex_unlock(&g_reg);
    if (err == ERROR_SUCCESS) {
        if (room <= nlen) {
            err = ERROR_MORE_DATA;
        } else {
            memcpy(lpValueName, name, (nlen + 1) * sizeof *name);
            *lpcchValueName = (DWORD)nlen;
            if (lpType)
                *lpType = type;
            if (lpData && droom < size)
                err = ERROR_MORE_DATA;
            else if (lpData && size)
                memcpy(lpData, copy, size);
            if (lpcbData)
                *lpcbData = size;
        }
    }
    free(name);
    free(copy);
    return err;
}

LONG WINAPI RegCloseKey(HKEY hKey)
{
    if (hKey == HKEY_LOCAL_MACHINE)
        return ERROR_SUCCESS;
    pthread_mutex_lock(&g_reg);
    LONG err = ERROR_INVALID_HANDLE;
    for (struct cevm_hkey **p = &g_open; *p; p = &(*p)->next)
        if (*p == hKey) {
            *p = hKey->next;
            free(hKey);
            err = ERROR_SUCCESS;
            break;
        }
    pthread_mutex_unlock(&g_reg);
    return err;
}

/* ---- loading platform.reg entries --------------------------------------------------- */

cevm_status registry_load(const struct reg_list *l, char *err, size_t errlen)
{
    for (size_t i = 0; l && i < l->n; i++) {
        const struct reg_entry *e = &l->e[i];
        uint16_t key[REGPARSE_KEY_MAX], name[REGPARSE_NAME_MAX];
        HKEY h;
        if (reg_widen(e->key, key, REGPARSE_KEY_MAX) < 0 ||
            reg_widen(e->name, name, REGPARSE_NAME_MAX) < 0) {
            snprintf(err, errlen, "%s:%d: key or value name is not representable",
                     e->file ? e->file : "registry", e->line);
            return CEVM_E_BOARD;
        }
        LONG r = RegCreateKeyEx(HKEY_LOCAL_MACHINE, (LPCWSTR)key, 0, NULL, 0, 0, NULL, &h, NULL);
        if (r == ERROR_SUCCESS) {
            r = RegSetValueEx(h, (LPCWSTR)name, 0, e->type, e->data, e->size);
            RegCloseKey(h);
        }
        if (r != ERROR_SUCCESS) {
            snprintf(err, errlen, "%s:%d: cannot load registry value '%s' of [%s]: error %d",
                     e->file ? e->file : "registry", e->line, e->name, e->key, (int)r);
            return r == ERROR_OUTOFMEMORY ? CEVM_E_NOMEM : CEVM_E_BOARD;
        }
    }
    return CEVM_OK;
}

/* Is key k inside the subtree rooted at root? */
static int in_subtree(const struct reg_key *root, const struct reg_key *k)
{
    if (root == k)
        return 1;
    for (const struct reg_key *c = root->child; c; c = c->next)
        if (in_subtree(c, k))
            return 1;
    return 0;
}

int registry_delete_key(const uint16_t *path)
{
    size_t n = wlen(path);
    while (n && path[n - 1] == '\\')
        n--;
    size_t cut = n;
    while (cut && path[cut - 1] != '\\')
        cut--;
    if (cut == n)
        return -1;
    uint16_t *parent_path = wdup(path, cut);
    if (!parent_path)
        return -1;
    pthread_mutex_lock(&g_reg);
    struct reg_key *parent = walk(&g_hklm, parent_path, 0, NULL);
    int r = -1;
    for (struct reg_key **pp = parent ? &parent->child : NULL; pp && *pp; pp = &(*pp)->next) {
        struct reg_key *k = *pp;
        if (!name_eq(path + cut, n - cut, k->name))
            continue;
        /* Handles into the subtree become stale: later use gives ERROR_INVALID_HANDLE. */
        for (struct cevm_hkey **hp = &g_open; *hp;) {
            if (in_subtree(k, (*hp)->key)) {
                struct cevm_hkey *dead = *hp;
                *hp = dead->next;
                free(dead);
            } else {
                hp = &(*hp)->next;
            }
        }
        *pp = k->next;
        free_key(k);
        free(k);
        r = 0;
        break;
    }
    pthread_mutex_unlock(&g_reg);
    free(parent_path);
    return r;
}

void registry_fork_prepare(void)
{
    pthread_mutex_lock(&g_reg);
}

void registry_fork_parent(void)
{
    pthread_mutex_unlock(&g_reg);
}

void registry_fork_child(void)
{
    pthread_mutex_init(&g_reg, NULL);
}
