/*
 * ce_api.h — internal declarations shared by the CE API files. They see the CE types through
 * the compatibility headers, so every definition is checked against the public prototypes.
 */
#ifndef CEVM_CE_API_H
#define CEVM_CE_API_H

#include <stdint.h>

#include "windows.h"
#include "ddkreg.h"

struct machine;

/* Convert a pointer argument to a CE address. Return: 1, or 0 for a wild pointer. */
int ce_arg_addr(const struct machine *m, const void *p, uint32_t *ce);

/* The machine, locked, for a CE call (booting the default one if none is booted). Return: the
 * machine; or NULL with GetLastError() == ERROR_NOT_READY when no machine can boot (the reason
 * is printed once and kept for cevm_boot_error()). */
struct machine *ce_acquire(void);

/* The BOOL result of a CE call that failed with err (0 = success): sets GetLastError on
 * failure. */
static inline BOOL ce_bool(uint32_t err)
{
    if (err) {
        SetLastError(err);
        return FALSE;
    }
    return TRUE;
}

/* wcrt.c: 16-bit text w (NULL: "") as ASCII into out (cap bytes, always terminated), each unit
 * above 0x7F as '?': names for messages, registry paths and device names. */
void ce_narrow(const WCHAR *w, char *out, size_t cap);
/* End of VirtualQuery and VirtualQueryEx (machine lock held, released here): unless err, q as a
 * MEMORY_BASIC_INFORMATION with window pointers copied to out through a probe. Return: its size,
 * or 0 with err (or 87 for an unwritable out) as the last error. */
struct vm_query;
DWORD ce_query_reply(struct machine *m, uint32_t err, const struct vm_query *q,
                     PMEMORY_BASIC_INFORMATION out);
/* Is every page of [a, a + n) usable with that access (machine lock held): committed, valid and
 * writable when write; a static window only when !user (kernel memory), and nothing at or above
 * 0x80000000 when user (the application's memory)? Return: 1 or 0. */
int ce_range_usable(struct machine *m, uint32_t a, uint32_t n, int write, int user);
/* Is an asynchronous buffer (CeAllocAsynchronousBuffer) outstanding whose source lies in CE
 * range [lo, hi)? The driver host then keeps that call's buffers (caller.c). */
int marshal_async_inside(uint32_t lo, uint32_t hi);
/* The reflector (reflector.c): the thread runs an entry point of a user-mode driver whose
 * registry windows are `windows` (enter returns the previous ones for leave). reflector_allows:
 * may a PAGE_PHYSICAL copy of [pa, pa + size) to user address dst be made for it? */
const DDKWINDOWINFO *reflector_enter(const DDKWINDOWINFO *windows);
void reflector_leave(const DDKWINDOWINFO *previous);
int reflector_allows(uint64_t pa, uint32_t size, uint32_t dst);
/* The file a driver key's Dll names (module.c): NAME, libBASE.so or BASE.so in the current
 * folder, $CEVM_LIBRARY_PATH, the program's folder, $LD_LIBRARY_PATH (a name with a '/' as it
 * is). Return: 1 with path, or 0 (path gets name). */
int module_find_file(const char *name, char *path, size_t cap);
/* Forget the caller-buffer copies (marshal.c) at shutdown. */
void marshal_reset(void);
/* power.c: the system power state back to "On" (cevm_shutdown). */
void power_reset(void);

/* Forget which bases MmMapIoSpace returned and MmUnmapIoSpace released (at shutdown). */
void ce_io_reset(void);

/* Publish the board's OEMAddressTable as g_oalAddressTable (NULL clears it). */
struct board;
void ce_static_publish(const struct board *b);
/* Publish the table of the board a lazy boot would take ($CEVM_BOARD or the built-in board;
 * all zeros if it cannot be read). Done at load time and after a shutdown, so the table holds
 * rows whenever CE code can read it. builtin: the built-in board, parsed already (the one a
 * shutdown keeps), or NULL to parse it. */
void ce_static_publish_default(const struct board *builtin);

#endif
