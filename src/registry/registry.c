/*
 * registry.c — an in-memory CE registry: keys under the four roots HKEY_CLASSES_ROOT,
 * HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE and HKEY_USERS (names compared without
 * regard to ASCII case, paths split at '\'), each with typed values; and the calls drivers use
 * on it (RegOpenKeyEx, RegCreateKeyEx, RegSetValueEx, RegQueryValueEx, RegCloseKey), with the
 * documented Win32 results.
 *
 * HKEYs are handles into a list of open keys, so a stale or made-up HKEY is refused
 * (ERROR_INVALID_HANDLE) instead of followed. The registry is emptied when the machine shuts
 * down. One mutex guards it, and no caller memory is touched while it is held: names and data
 * are copied in with probes before it is taken, results are copied out with probes after it is
 * released, so a wild pointer is ERROR_INVALID_PARAMETER and never leaves the registry locked.
 *
 * Scale: a key's values are found through a hash index (names folded to ASCII lower case), so
 * loading n values is O(n); deep or wide trees are freed without recursion.
 */
#include "ce/trace.h"
#include "host/host.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "registry/registry.h"

struct reg_value {
    uint16_t *name;
    DWORD type;
    BYTE *data;
    DWORD size;
};

struct reg_key {
    uint16_t *name;
    struct reg_key *child, *next, *parent;
    struct reg_value *values; /* in creation order (RegEnumValue's order) */
    size_t nvalues, values_cap;
    uint32_t *index; /* hash slots holding value index + 1 (0 = empty), or NULL */
    size_t index_cap;
};

struct cevm_hkey {
    struct reg_key *key;
    struct cevm_hkey *next;
};

static pthread_mutex_t g_reg = PTHREAD_MUTEX_INITIALIZER;
static struct reg_key g_roots[4]; /* by the root HKEY's low two bits */
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

/* Copy the caller's NUL-terminated 16-bit string (at most max units) into a new buffer,
 * surviving a wild pointer. Return: 0 with *out (NULL for a NULL src), ERROR_INVALID_PARAMETER
 * (unreadable, or longer than max), ERROR_OUTOFMEMORY. */
static LONG take_wstr(const uint16_t *src, size_t max, uint16_t **out)
{
    *out = NULL;
    if (!src)
        return ERROR_SUCCESS;
    /* Names and paths are short: a stack buffer takes them; only a longer one is probed again
     * into a buffer of the full size. */
    uint16_t small[REGPARSE_KEY_MAX + 1], *big = NULL, *d = small;
    long n = cevm_probe_wstr(small, src, REGPARSE_KEY_MAX);
    if (n == REGPARSE_KEY_MAX && max > REGPARSE_KEY_MAX) {
        if (!(big = host_malloc((max + 1) * sizeof *big)))
            return ERROR_OUTOFMEMORY;
        n = cevm_probe_wstr(d = big, src, max);
    }
    if (n < 0 || (size_t)n >= max) { /* unreadable, or too long */
        free(big);
        return ERROR_INVALID_PARAMETER;
    }
    *out = wdup(d, (size_t)n);
    free(big);
    return *out ? ERROR_SUCCESS : ERROR_OUTOFMEMORY;
}

/* Write to caller memory through a probe. Return: 0, or -1 for a wild pointer. */
static int put(void *dst, const void *src, size_t n)
{
    return n ? cevm_probe_copy(dst, src, n) : 0;
}

#define NAME_MAX_UNITS 32767u

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

/* Is h one of the four predefined root keys? */
static int is_root(HKEY h)
{
    return (uintptr_t)h >= (uintptr_t)HKEY_CLASSES_ROOT && (uintptr_t)h <= (uintptr_t)HKEY_USERS;
}

static struct reg_key *key_of(HKEY h)
{
    if (is_root(h))
        return &g_roots[(uintptr_t)h & 3];
    for (struct cevm_hkey *o = g_open; o; o = o->next)
        if (o == h)
            return o->key;
    return NULL;
}

/* The path of k from its root ("HKEY_LOCAL_MACHINE\\Drivers"), narrowed, into buf. */
static void key_path(const struct reg_key *k, char *buf, size_t len)
{
    static const char *const roots[4] = {"HKEY_CLASSES_ROOT", "HKEY_CURRENT_USER",
                                         "HKEY_LOCAL_MACHINE", "HKEY_USERS"};
    const struct reg_key *chain[64] = {NULL};
    size_t n = 0;
    for (; k && k->parent && n < 64; k = k->parent)
        chain[n++] = k;
    size_t used = (size_t)snprintf(buf, len, "%s", k ? roots[(k - g_roots) & 3] : "?");
    while (n-- && used + 1 < len) {
        buf[used++] = '\\';
        for (const uint16_t *c = chain[n]->name; c && *c && used + 1 < len; c++)
            buf[used++] = *c < 0x80 ? (char)*c : '?';
    }
    buf[used < len ? used : len - 1] = '\0';
}

const char *ce_trace_hkey(const void *h)
{
    char *b = ce_trace_scratch();
    pthread_mutex_lock(&g_reg);
    const struct reg_key *k = key_of((HKEY)(uintptr_t)h);
    if (k)
        key_path(k, b, 128);
    else
        snprintf(b, 128, "0x%llX (not an open key)", (unsigned long long)(uintptr_t)h);
    pthread_mutex_unlock(&g_reg);
    return b;
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
            c->parent = k;
            k->child = c;
            if (created)
                *created = 1;
        }
        k = c;
        sub += n;
    }
    return k;
}

static uint32_t name_hash(const uint16_t *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ fold(*s)) * 16777619u;
    return h;
}

/* Put value i into k's hash index (the index has room). */
static void index_put(struct reg_key *k, size_t i)
{
    size_t mask = k->index_cap - 1, at = name_hash(k->values[i].name) & mask;
    while (k->index[at])
        at = (at + 1) & mask;
    k->index[at] = (uint32_t)i + 1;
}

/* Make room in k's index for one more value. Return: 0, or -1 (out of memory; the key still
 * works by linear search, the index is dropped). */
static int index_grow(struct reg_key *k)
{
    if (k->index && (k->nvalues + 1) * 2 <= k->index_cap)
        return 0;
    size_t cap = k->index_cap ? k->index_cap * 2 : 16;
    uint32_t *ix = host_calloc(cap, sizeof *ix);
    free(k->index);
    k->index = ix;
    k->index_cap = ix ? cap : 0;
    if (!ix)
        return -1;
    for (size_t i = 0; i < k->nvalues; i++)
        index_put(k, i);
    return 0;
}

static struct reg_value *find_value(struct reg_key *k, const uint16_t *name)
{
    static const uint16_t empty[1] = {0};
    if (!name)
        name = empty;
    size_t n = wlen(name);
    if (!k->index) {
        for (size_t i = 0; i < k->nvalues; i++)
            if (name_eq(name, n, k->values[i].name))
                return &k->values[i];
        return NULL;
    }
    size_t mask = k->index_cap - 1;
    for (size_t at = name_hash(name) & mask; k->index[at]; at = (at + 1) & mask) {
        struct reg_value *v = &k->values[k->index[at] - 1];
        if (name_eq(name, n, v->name))
            return v;
    }
    return NULL;
}

/* Free what key k holds itself (not k, not its children). */
static void free_contents(struct reg_key *k)
{
    for (size_t i = 0; i < k->nvalues; i++) {
        free(k->values[i].name);
        free(k->values[i].data);
    }
    free(k->values);
    free(k->index);
    free(k->name);
}

/* Free k's subtree and contents, leaving k empty. No recursion: a tree of any depth or width
 * is freed in constant stack. */
static void free_key(struct reg_key *k)
{
    struct reg_key *stack = k->child;
    while (stack) {
        struct reg_key *c = stack;
        stack = c->next;
        if (c->child) { /* push c's children */
            struct reg_key *last = c->child;
            while (last->next)
                last = last->next;
            last->next = stack;
            stack = c->child;
        }
        free_contents(c);
        free(c);
    }
    free_contents(k);
    memset(k, 0, sizeof *k);
}

void registry_reset(void)
{
    pthread_mutex_lock(&g_reg);
    for (int i = 0; i < 4; i++)
        free_key(&g_roots[i]);
    while (g_open) {
        struct cevm_hkey *h = g_open;
        g_open = h->next;
        free(h);
    }
    pthread_mutex_unlock(&g_reg);
}

/* ---- the calls ------------------------------------------------------------------------- */

static LONG open_or_create(HKEY hKey, LPCWSTR lpSub, int create, PHKEY out, LPDWORD disposition)
{
    if (!out)
        return ERROR_INVALID_PARAMETER;
    uint16_t *sub;
    LONG err = take_wstr((const uint16_t *)lpSub, NAME_MAX_UNITS, &sub);
    if (err)
        return err;
    pthread_mutex_lock(&g_reg);
    int created = 0;
    struct reg_key *k = key_of(hKey);
    HKEY h = NULL;
    if (!k)
        err = ERROR_INVALID_HANDLE;
    else if (!(k = walk(k, sub, create, &created)))
        err = create ? ERROR_OUTOFMEMORY : ERROR_FILE_NOT_FOUND;
    else if (!(h = new_handle(k)))
        err = ERROR_OUTOFMEMORY;
    pthread_mutex_unlock(&g_reg);
    free(sub);
    if (err == ERROR_SUCCESS) {
        DWORD disp = created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY;
        if (put(out, &h, sizeof(HKEY)) || /* NOLINT(bugprone-sizeof-expression): the handle */
            (disposition && put(disposition, &disp, sizeof disp))) {
            RegCloseKey(h);
            return ERROR_INVALID_PARAMETER;
        }
    }
    return err;
}

static LONG impl_RegOpenKeyEx(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions, REGSAM samDesired,
                              PHKEY phkResult)
{
    (void)samDesired;
    if (ulOptions != 0)
        return ERROR_INVALID_PARAMETER;
    return open_or_create(hKey, lpSubKey, 0, phkResult, NULL);
}

static LONG impl_RegCreateKeyEx(HKEY hKey, LPCWSTR lpSubKey, DWORD Reserved, LPWSTR lpClass,
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

static LONG impl_RegSetValueEx(HKEY hKey, LPCWSTR lpValueName, DWORD Reserved, DWORD dwType,
                               const BYTE *lpData, DWORD cbData)
{
    (void)Reserved;
    if (!lpData && cbData)
        return ERROR_INVALID_PARAMETER;
    if (dwType == REG_DWORD && cbData != sizeof(DWORD))
        return ERROR_INVALID_PARAMETER;
    /* Copy the caller's name and data in before taking the lock. */
    uint16_t *name;
    LONG err = take_wstr((const uint16_t *)lpValueName, NAME_MAX_UNITS, &name);
    if (err)
        return err;
    if (!name && !(name = wdup(NULL, 0)))
        return ERROR_OUTOFMEMORY;
    BYTE *data = host_malloc(cbData ? cbData : 1);
    if (!data) {
        free(name);
        return ERROR_OUTOFMEMORY;
    }
    if (cbData && cevm_probe_copy(data, lpData, cbData)) {
        free(data);
        free(name);
        return ERROR_INVALID_PARAMETER;
    }
    pthread_mutex_lock(&g_reg);
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
        struct reg_value *nv = k->values;
        if (k->nvalues == k->values_cap) { /* geometric growth: n values cost O(n) */
            size_t cap = k->values_cap ? k->values_cap * 2 : 4;
            if ((nv = host_realloc(k->values, cap * sizeof *nv)) != NULL) {
                k->values = nv;
                k->values_cap = cap;
            }
        }
        if (!nv) {
            err = ERROR_OUTOFMEMORY;
        } else {
            int indexed = k->nvalues >= 8 ? index_grow(k) == 0 : 0;
            nv[k->nvalues++] = (struct reg_value){name, dwType, data, cbData};
            if (indexed)
                index_put(k, k->nvalues - 1);
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

static LONG impl_RegQueryValueEx(HKEY hKey, LPCWSTR lpValueName, LPDWORD lpReserved, LPDWORD lpType,
                                 LPBYTE lpData, LPDWORD lpcbData)
{
    if (lpReserved || (lpData && !lpcbData))
        return ERROR_INVALID_PARAMETER;
    DWORD room = 0;
    if (lpcbData && cevm_probe_copy(&room, lpcbData, sizeof room))
        return ERROR_INVALID_PARAMETER;
    uint16_t *name;
    LONG err = take_wstr((const uint16_t *)lpValueName, NAME_MAX_UNITS, &name);
    if (err)
        return err;
    pthread_mutex_lock(&g_reg);
    struct reg_key *k = key_of(hKey);
    struct reg_value *v = k ? find_value(k, name) : NULL;
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
    free(name);
    if (err == ERROR_SUCCESS) {
        if (lpType && put(lpType, &type, sizeof type))
            err = ERROR_INVALID_PARAMETER;
        else if (lpData && room < size)
            err = ERROR_MORE_DATA;
        else if (lpData && put(lpData, copy, size))
            err = ERROR_INVALID_PARAMETER;
        if (err != ERROR_INVALID_PARAMETER && lpcbData && put(lpcbData, &size, sizeof size))
            err = ERROR_INVALID_PARAMETER;
    }
    free(copy);
    return err;
}

static LONG impl_RegEnumValue(HKEY hKey, DWORD dwIndex, LPWSTR lpValueName, LPDWORD lpcchValueName,
                              LPDWORD lpReserved, LPDWORD lpType, LPBYTE lpData, LPDWORD lpcbData)
{
    if (!lpValueName || !lpcchValueName || lpReserved || (lpData && !lpcbData))
        return ERROR_INVALID_PARAMETER;
    DWORD room = 0, droom = 0;
    if (cevm_probe_copy(&room, lpcchValueName, sizeof room) ||
        (lpcbData && cevm_probe_copy(&droom, lpcbData, sizeof droom)))
        return ERROR_INVALID_PARAMETER;
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
        DWORD cch = (DWORD)nlen;
        if (room <= nlen) {
            err = ERROR_MORE_DATA;
        } else if (put(lpValueName, name, (nlen + 1) * sizeof *name) ||
                   put(lpcchValueName, &cch, sizeof cch) ||
                   (lpType && put(lpType, &type, sizeof type))) {
            err = ERROR_INVALID_PARAMETER;
        } else {
            if (lpData && droom < size)
                err = ERROR_MORE_DATA;
            else if (lpData && put(lpData, copy, size))
                err = ERROR_INVALID_PARAMETER;
            if (err != ERROR_INVALID_PARAMETER && lpcbData && put(lpcbData, &size, sizeof size))
                err = ERROR_INVALID_PARAMETER;
        }
    }
    free(name);
    free(copy);
    return err;
}

static LONG impl_RegCloseKey(HKEY hKey)
{
    if (is_root(hKey))
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

/* Is key k inside the subtree rooted at root? */
static int in_subtree(const struct reg_key *root, const struct reg_key *k)
{
    for (; k; k = k->parent)
        if (k == root)
            return 1;
    return 0;
}

/* Delete key k (not the root) with its subtree (g_reg held). Handles into the subtree become
 * stale: later use gives ERROR_INVALID_HANDLE. */
static void delete_subtree(struct reg_key *k)
{
    for (struct cevm_hkey **hp = &g_open; *hp;) {
        if (in_subtree(k, (*hp)->key)) {
            struct cevm_hkey *dead = *hp;
            *hp = dead->next;
            free(dead);
        } else {
            hp = &(*hp)->next;
        }
    }
    for (struct reg_key **pp = &k->parent->child; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            break;
        }
    free_key(k);
    free(k);
}

static LONG impl_RegFlushKey(HKEY hKey)
{
    pthread_mutex_lock(&g_reg);
    LONG err = key_of(hKey) ? ERROR_SUCCESS : ERROR_INVALID_HANDLE;
    pthread_mutex_unlock(&g_reg);
    return err;
}

static LONG impl_RegEnumKeyEx(HKEY hKey, DWORD dwIndex, LPWSTR lpName, LPDWORD lpcchName,
                              LPDWORD lpReserved, LPWSTR lpClass, LPDWORD lpcchClass,
                              PFILETIME lpftLastWriteTime)
{
    if (!lpName || !lpcchName || lpReserved)
        return ERROR_INVALID_PARAMETER;
    DWORD room = 0;
    if (cevm_probe_copy(&room, lpcchName, sizeof room))
        return ERROR_INVALID_PARAMETER;
    pthread_mutex_lock(&g_reg);
    LONG err = ERROR_SUCCESS;
    struct reg_key *k = key_of(hKey);
    uint16_t *name = NULL;
    size_t nlen = 0;
    if (!k)
        err = ERROR_INVALID_HANDLE;
    else {
        /* Children are kept newest first; enumerate them in creation order. */
        size_t n = 0;
        for (const struct reg_key *c = k->child; c; c = c->next)
            n++;
        if (dwIndex >= n)
            err = ERROR_NO_MORE_ITEMS;
        else {
            const struct reg_key *c = k->child;
            for (size_t i = 0; c && i < n - 1 - dwIndex; i++)
                c = c->next;
            nlen = c ? wlen(c->name) : 0;
            if (!c || !(name = wdup(c->name, nlen)))
                err = ERROR_OUTOFMEMORY;
        }
    }
    pthread_mutex_unlock(&g_reg);
    if (err == ERROR_SUCCESS) {
        DWORD cch = (DWORD)nlen, zero = 0;
        static const uint16_t none[1] = {0};
        if (room <= nlen)
            err = ERROR_MORE_DATA;
        else if (put(lpName, name, (nlen + 1) * sizeof *name) || put(lpcchName, &cch, sizeof cch) ||
                 (lpClass && lpcchClass && put(lpClass, none, sizeof none)) ||
                 (lpcchClass && put(lpcchClass, &zero, sizeof zero)))
            err = ERROR_INVALID_PARAMETER;
        else if (lpftLastWriteTime) {
            FILETIME ft = {0, 0};
            if (put(lpftLastWriteTime, &ft, sizeof ft))
                err = ERROR_INVALID_PARAMETER;
        }
    }
    free(name);
    return err;
}

static LONG impl_RegQueryInfoKey(HKEY hKey, LPWSTR lpClass, LPDWORD lpcchClass, LPDWORD lpReserved,
                                 LPDWORD lpcSubKeys, LPDWORD lpcchMaxSubKeyLen,
                                 LPDWORD lpcchMaxClassLen, LPDWORD lpcValues,
                                 LPDWORD lpcchMaxValueNameLen, LPDWORD lpcbMaxValueLen,
                                 LPDWORD lpcbSecurityDescriptor, PFILETIME lpftLastWriteTime)
{
    if (lpReserved)
        return ERROR_INVALID_PARAMETER;
    DWORD subkeys = 0, maxsub = 0, values = 0, maxname = 0, maxdata = 0, zero = 0;
    pthread_mutex_lock(&g_reg);
    struct reg_key *k = key_of(hKey);
    if (k) {
        for (const struct reg_key *c = k->child; c; c = c->next) {
            subkeys++;
            if (wlen(c->name) > maxsub)
                maxsub = (DWORD)wlen(c->name);
        }
        values = (DWORD)k->nvalues;
        for (size_t i = 0; i < k->nvalues; i++) {
            if (wlen(k->values[i].name) > maxname)
                maxname = (DWORD)wlen(k->values[i].name);
            if (k->values[i].size > maxdata)
                maxdata = k->values[i].size;
        }
    }
    pthread_mutex_unlock(&g_reg);
    if (!k)
        return ERROR_INVALID_HANDLE;
    static const uint16_t none[1] = {0};
    FILETIME ft = {0, 0};
    if ((lpClass && lpcchClass && put(lpClass, none, sizeof none)) ||
        (lpcchClass && put(lpcchClass, &zero, sizeof zero)) ||
        (lpcSubKeys && put(lpcSubKeys, &subkeys, sizeof subkeys)) ||
        (lpcchMaxSubKeyLen && put(lpcchMaxSubKeyLen, &maxsub, sizeof maxsub)) ||
        (lpcchMaxClassLen && put(lpcchMaxClassLen, &zero, sizeof zero)) ||
        (lpcValues && put(lpcValues, &values, sizeof values)) ||
        (lpcchMaxValueNameLen && put(lpcchMaxValueNameLen, &maxname, sizeof maxname)) ||
        (lpcbMaxValueLen && put(lpcbMaxValueLen, &maxdata, sizeof maxdata)) ||
        (lpcbSecurityDescriptor && put(lpcbSecurityDescriptor, &zero, sizeof zero)) ||
        (lpftLastWriteTime && put(lpftLastWriteTime, &ft, sizeof ft)))
        return ERROR_INVALID_PARAMETER;
    return ERROR_SUCCESS;
}

static LONG impl_RegDeleteValue(HKEY hKey, LPCWSTR lpValueName)
{
    uint16_t *name = NULL;
    LONG err = lpValueName ? take_wstr((const uint16_t *)lpValueName, NAME_MAX_UNITS, &name) : 0;
    if (err)
        return err;
    pthread_mutex_lock(&g_reg);
    struct reg_key *k = key_of(hKey);
    struct reg_value *v = k ? find_value(k, name) : NULL;
    if (!k)
        err = ERROR_INVALID_HANDLE;
    else if (!v)
        err = ERROR_FILE_NOT_FOUND;
    else {
        size_t i = (size_t)(v - k->values);
        free(v->name);
        free(v->data);
        memmove(v, v + 1, (k->nvalues - i - 1) * sizeof *v);
        k->nvalues--;
        if (k->index) { /* indexes shifted: rebuild */
            memset(k->index, 0, k->index_cap * sizeof *k->index);
            for (size_t j = 0; j < k->nvalues; j++)
                index_put(k, j);
        }
    }
    pthread_mutex_unlock(&g_reg);
    free(name);
    return err;
}

static LONG impl_RegDeleteKey(HKEY hKey, LPCWSTR lpSubKey)
{
    uint16_t *sub;
    if (!lpSubKey)
        return ERROR_INVALID_PARAMETER;
    LONG err = take_wstr((const uint16_t *)lpSubKey, NAME_MAX_UNITS, &sub);
    if (err)
        return err;
    pthread_mutex_lock(&g_reg);
    struct reg_key *k = key_of(hKey);
    struct reg_key *target = k && sub[0] ? walk(k, sub, 0, NULL) : NULL;
    if (!k)
        err = ERROR_INVALID_HANDLE;
    else if (!target || !target->parent)
        err = ERROR_FILE_NOT_FOUND;
    else
        delete_subtree(target); /* CE deletes the key with its subkeys and values */
    pthread_mutex_unlock(&g_reg);
    free(sub);
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
        HKEY root = (HKEY)(uintptr_t)(0x80000000u | (e->root & 3u));
        if (e->deletion) { /* a key or value that is not there is nothing to delete */
            LONG r = ERROR_FILE_NOT_FOUND;
            if (e->deletion == 1) {
                r = RegDeleteKey(root, (LPCWSTR)key);
            } else if (RegOpenKeyEx(root, (LPCWSTR)key, 0, 0, &h) == ERROR_SUCCESS) {
                r = RegDeleteValue(h, (LPCWSTR)name);
                RegCloseKey(h);
            }
            if (r != ERROR_SUCCESS && r != ERROR_FILE_NOT_FOUND) {
                snprintf(err, errlen, "%s:%d: cannot delete %s of [%s]: error %d",
                         e->file ? e->file : "registry", e->line,
                         e->deletion == 1 ? "the key" : e->name, e->key, (int)r);
                return r == ERROR_OUTOFMEMORY ? CEVM_E_NOMEM : CEVM_E_BOARD;
            }
            continue;
        }
        LONG r = RegCreateKeyEx(root, (LPCWSTR)key, 0, NULL, 0, 0, NULL, &h, NULL);
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
    struct reg_key *parent = walk(&g_roots[2], parent_path, 0, NULL);
    int r = -1;
    for (struct reg_key *k = parent ? parent->child : NULL; k; k = k->next)
        if (name_eq(path + cut, n - cut, k->name)) {
            delete_subtree(k);
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

/* ---- the exported calls: each traced (CEVM_TRACE) around its implementation ---- */

LONG WINAPI RegOpenKeyEx(HKEY hKey, LPCWSTR lpSubKey, DWORD ulOptions, REGSAM samDesired,
                         PHKEY phkResult)
{
    uint64_t t0 = ce_trace_start();
    LONG r = impl_RegOpenKeyEx(hKey, lpSubKey, ulOptions, samDesired, phkResult);
    if (t0)
        ce_trace_done(t0, "RegOpenKeyEx", TR_ERROR, (uint64_t)(uint32_t)r,
                      "hKey %s, lpSubKey %s, ulOptions 0x%X, samDesired 0x%X, phkResult %s",
                      ce_trace_hkey(hKey), ce_trace_wstr(lpSubKey), (unsigned)ulOptions,
                      (unsigned)samDesired, ce_trace_ptr(phkResult));
    return r;
}

LONG WINAPI RegCreateKeyEx(HKEY hKey, LPCWSTR lpSubKey, DWORD Reserved, LPWSTR lpClass,
                           DWORD dwOptions, REGSAM samDesired,
                           LPSECURITY_ATTRIBUTES lpSecurityAttributes, PHKEY phkResult,
                           LPDWORD lpdwDisposition)
{
    uint64_t t0 = ce_trace_start();
    LONG r = impl_RegCreateKeyEx(hKey, lpSubKey, Reserved, lpClass, dwOptions, samDesired,
                                 lpSecurityAttributes, phkResult, lpdwDisposition);
    if (t0)
        ce_trace_done(t0, "RegCreateKeyEx", TR_ERROR, (uint64_t)(uint32_t)r,
                      "hKey %s, lpSubKey %s, Reserved 0x%X, lpClass %s, dwOptions 0x%X, samDesired "
                      "0x%X, lpSecurityAttributes %s, phkResult %s, lpdwDisposition %s",
                      ce_trace_hkey(hKey), ce_trace_wstr(lpSubKey), (unsigned)Reserved,
                      ce_trace_ptr(lpClass), (unsigned)dwOptions, (unsigned)samDesired,
                      ce_trace_ptr(lpSecurityAttributes), ce_trace_ptr(phkResult),
                      ce_trace_ptr(lpdwDisposition));
    return r;
}

LONG WINAPI RegSetValueEx(HKEY hKey, LPCWSTR lpValueName, DWORD Reserved, DWORD dwType,
                          const BYTE *lpData, DWORD cbData)
{
    uint64_t t0 = ce_trace_start();
    LONG r = impl_RegSetValueEx(hKey, lpValueName, Reserved, dwType, lpData, cbData);
    if (t0)
        ce_trace_done(t0, "RegSetValueEx", TR_ERROR, (uint64_t)(uint32_t)r,
                      "hKey %s, lpValueName %s, Reserved 0x%X, dwType 0x%X, lpData %s, cbData 0x%X",
                      ce_trace_hkey(hKey), ce_trace_wstr(lpValueName), (unsigned)Reserved,
                      (unsigned)dwType, ce_trace_ptr(lpData), (unsigned)cbData);
    return r;
}

LONG WINAPI RegQueryValueEx(HKEY hKey, LPCWSTR lpValueName, LPDWORD lpReserved, LPDWORD lpType,
                            LPBYTE lpData, LPDWORD lpcbData)
{
    uint64_t t0 = ce_trace_start();
    LONG r = impl_RegQueryValueEx(hKey, lpValueName, lpReserved, lpType, lpData, lpcbData);
    if (t0)
        ce_trace_done(t0, "RegQueryValueEx", TR_ERROR, (uint64_t)(uint32_t)r,
                      "hKey %s, lpValueName %s, lpReserved %s, lpType %s, lpData %s, lpcbData %s",
                      ce_trace_hkey(hKey), ce_trace_wstr(lpValueName), ce_trace_ptr(lpReserved),
                      ce_trace_ptr(lpType), ce_trace_ptr(lpData), ce_trace_ptr(lpcbData));
    return r;
}

LONG WINAPI RegEnumValue(HKEY hKey, DWORD dwIndex, LPWSTR lpValueName, LPDWORD lpcchValueName,
                         LPDWORD lpReserved, LPDWORD lpType, LPBYTE lpData, LPDWORD lpcbData)
{
    uint64_t t0 = ce_trace_start();
    LONG r = impl_RegEnumValue(hKey, dwIndex, lpValueName, lpcchValueName, lpReserved, lpType,
                               lpData, lpcbData);
    if (t0)
        ce_trace_done(t0, "RegEnumValue", TR_ERROR, (uint64_t)(uint32_t)r,
                      "hKey %s, dwIndex 0x%X, lpValueName %s, lpcchValueName %s, lpReserved %s, "
                      "lpType %s, lpData %s, lpcbData %s",
                      ce_trace_hkey(hKey), (unsigned)dwIndex, ce_trace_ptr(lpValueName),
                      ce_trace_ptr(lpcchValueName), ce_trace_ptr(lpReserved), ce_trace_ptr(lpType),
                      ce_trace_ptr(lpData), ce_trace_ptr(lpcbData));
    return r;
}

LONG WINAPI RegCloseKey(HKEY hKey)
{
    uint64_t t0 = ce_trace_start();
    const char *name = t0 ? ce_trace_hkey(hKey) : NULL; /* named while it is open */
    LONG r = impl_RegCloseKey(hKey);
    if (t0)
        ce_trace_done(t0, "RegCloseKey", TR_ERROR, (uint64_t)(uint32_t)r, "hKey %s", name);
    return r;
}

LONG WINAPI RegFlushKey(HKEY hKey)
{
    uint64_t t0 = ce_trace_start();
    LONG r = impl_RegFlushKey(hKey);
    if (t0)
        ce_trace_done(t0, "RegFlushKey", TR_ERROR, (uint64_t)(uint32_t)r, "hKey %s",
                      ce_trace_hkey(hKey));
    return r;
}

LONG WINAPI RegEnumKeyEx(HKEY hKey, DWORD dwIndex, LPWSTR lpName, LPDWORD lpcchName,
                         LPDWORD lpReserved, LPWSTR lpClass, LPDWORD lpcchClass,
                         PFILETIME lpftLastWriteTime)
{
    uint64_t t0 = ce_trace_start();
    LONG r = impl_RegEnumKeyEx(hKey, dwIndex, lpName, lpcchName, lpReserved, lpClass, lpcchClass,
                               lpftLastWriteTime);
    if (t0)
        ce_trace_done(t0, "RegEnumKeyEx", TR_ERROR, (uint64_t)(uint32_t)r,
                      "hKey %s, dwIndex 0x%X, lpName %s, lpcchName %s, lpReserved %s, lpClass %s, "
                      "lpcchClass %s, lpftLastWriteTime %s",
                      ce_trace_hkey(hKey), (unsigned)dwIndex, ce_trace_ptr(lpName),
                      ce_trace_ptr(lpcchName), ce_trace_ptr(lpReserved), ce_trace_ptr(lpClass),
                      ce_trace_ptr(lpcchClass), ce_trace_ptr(lpftLastWriteTime));
    return r;
}

LONG WINAPI RegQueryInfoKey(HKEY hKey, LPWSTR lpClass, LPDWORD lpcchClass, LPDWORD lpReserved,
                            LPDWORD lpcSubKeys, LPDWORD lpcchMaxSubKeyLen, LPDWORD lpcchMaxClassLen,
                            LPDWORD lpcValues, LPDWORD lpcchMaxValueNameLen,
                            LPDWORD lpcbMaxValueLen, LPDWORD lpcbSecurityDescriptor,
                            PFILETIME lpftLastWriteTime)
{
    uint64_t t0 = ce_trace_start();
    LONG r =
        impl_RegQueryInfoKey(hKey, lpClass, lpcchClass, lpReserved, lpcSubKeys, lpcchMaxSubKeyLen,
                             lpcchMaxClassLen, lpcValues, lpcchMaxValueNameLen, lpcbMaxValueLen,
                             lpcbSecurityDescriptor, lpftLastWriteTime);
    if (t0)
        ce_trace_done(
            t0, "RegQueryInfoKey", TR_ERROR, (uint64_t)(uint32_t)r,
            "hKey %s, lpClass %s, lpcchClass %s, lpReserved %s, lpcSubKeys %s, lpcchMaxSubKeyLen "
            "%s, lpcchMaxClassLen %s, lpcValues %s, lpcchMaxValueNameLen %s, lpcbMaxValueLen %s, "
            "lpcbSecurityDescriptor %s, lpftLastWriteTime %s",
            ce_trace_hkey(hKey), ce_trace_ptr(lpClass), ce_trace_ptr(lpcchClass),
            ce_trace_ptr(lpReserved), ce_trace_ptr(lpcSubKeys), ce_trace_ptr(lpcchMaxSubKeyLen),
            ce_trace_ptr(lpcchMaxClassLen), ce_trace_ptr(lpcValues),
            ce_trace_ptr(lpcchMaxValueNameLen), ce_trace_ptr(lpcbMaxValueLen),
            ce_trace_ptr(lpcbSecurityDescriptor), ce_trace_ptr(lpftLastWriteTime));
    return r;
}

LONG WINAPI RegDeleteValue(HKEY hKey, LPCWSTR lpValueName)
{
    uint64_t t0 = ce_trace_start();
    LONG r = impl_RegDeleteValue(hKey, lpValueName);
    if (t0)
        ce_trace_done(t0, "RegDeleteValue", TR_ERROR, (uint64_t)(uint32_t)r,
                      "hKey %s, lpValueName %s", ce_trace_hkey(hKey), ce_trace_wstr(lpValueName));
    return r;
}

LONG WINAPI RegDeleteKey(HKEY hKey, LPCWSTR lpSubKey)
{
    uint64_t t0 = ce_trace_start();
    LONG r = impl_RegDeleteKey(hKey, lpSubKey);
    if (t0)
        ce_trace_done(t0, "RegDeleteKey", TR_ERROR, (uint64_t)(uint32_t)r, "hKey %s, lpSubKey %s",
                      ce_trace_hkey(hKey), ce_trace_wstr(lpSubKey));
    return r;
}
