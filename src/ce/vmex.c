/*
 * vmex.c — the calls that name a process (spec driver-runtime §2.6): VirtualAllocEx,
 * VirtualFreeEx, VirtualProtectEx, VirtualQueryEx, VirtualCopyEx, VirtualSetAttributesEx (CE 6.0
 * and later), ReadProcessMemory and WriteProcessMemory (every version).
 *
 * cevm runs two processes: the current one (GetCurrentProcess(), GetCurrentProcessId()) and the
 * application that calls into a driver (GetCallerProcess(), caller.c). On CE 6+ the current
 * process of a kernel-mode caller is the kernel, whose memory is kernel VM; the application's is
 * the user space the window shows. A call on the application's memory runs the VM rules as that
 * process would (a user-mode caller), so its placement and limits are the user space's. On CE 5
 * the two processes are slots, and an address is taken in the named process's slot-0 form.
 *
 * The CE 6 calls on a ce5 machine fail with ERROR_NOT_SUPPORTED and say once that CE 5 has no
 * such call. A process handle cevm does not run is ERROR_INVALID_HANDLE; a user-mode caller
 * naming another process gets ERROR_ACCESS_DENIED (docs/ce-semantics.md).
 */
#include "ce/trace.h"
#include "host/host.h"
#include "ce/ce_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "core/machine.h"
#include "pkfuncs.h"
#include "proc/caller.h"
#include "vm/profile.h"

/* Which memory a process handle names. */
struct target {
    int user;      /* 1: user space (an application's, or the caller itself in user mode) */
    int space;     /* CE 6+: that user space (vm_space_enter), -1 for the current one */
    uint32_t slot; /* CE 5: the named process's slot base (slot-0 addresses are moved there) */
};

/* The user space process id `id` names, looked up before the machine lock is taken. */
static int space_of(HANDLE hProcess)
{
    return caller_space_of((uint32_t)(uintptr_t)hProcess);
}

/* Resolve hProcess, whose user space (space_of) is app_space (machine lock held).
 * Return: 0 and *t, or the CE error. */
static uint32_t resolve(const struct machine *m, HANDLE hProcess, int app_space, struct target *t)
{
    DWORD id = (DWORD)(ULONG_PTR)hProcess;
    int own = hProcess == GetCurrentProcess() || id == GetCurrentProcessId();
    if (!own && app_space < 0)
        return ERROR_INVALID_HANDLE;
    if (!own && !m->vm.trusted && !m->vm.prof->slots)
        return ERROR_ACCESS_DENIED; /* a user-mode caller reaches its own memory only */
    t->user = own ? !m->vm.trusted : 1;
    t->space = own || m->vm.prof->slots || (uint32_t)app_space == m->vm.cur_space ? -1 : app_space;
    t->slot = !m->vm.prof->slots ? 0
              : own              ? vm_slot_base(&m->vm)
                                 : (m->board.caller_index + 1) << 25;
    return 0;
}

/* The absolute address of ce in the target's memory. */
static uint32_t target_addr(const struct target *t, uint32_t ce)
{
    return t->slot && ce < CE_SECTION_SIZE ? t->slot | ce : ce;
}

/* The CE 6 calls: say once that a ce5 machine has none of them. Return: 1 on ce5 (the call
 * fails with 50), else 0. */
static int ce5_lacks(const struct machine *m, const char *call)
{
    if (!m->vm.prof->slots)
        return 0;
    static int said;
    if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
        fprintf(stderr,
                "cevm: %s is a CE 6.0 call; profile ce5 has none of the Ex calls "
                "(ERROR_NOT_SUPPORTED)\n",
                call);
    return 1;
}

/* Run one VM call as the target process: its VM rules are the user space's for an
 * application, the caller's own otherwise; a process that is not current is worked on in place
 * (space.c). */
#define AS_TARGET(m, t, expr)                                                                      \
    do {                                                                                           \
        int saved_ = (m)->vm.trusted;                                                              \
        int entered_ = (t).space >= 0 ? vm_space_enter(&(m)->vm, (uint32_t)(t).space) : -1;        \
        (m)->vm.trusted = !(t).user;                                                               \
        err = (expr);                                                                              \
        (m)->vm.trusted = saved_;                                                                  \
        vm_space_leave(&(m)->vm, entered_);                                                        \
    } while (0)

static LPVOID WINAPI impl_VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize,
                                         DWORD flAllocationType, DWORD flProtect)
{
    int sp = space_of(hProcess);
    struct machine *m = ce_acquire();
    if (!m)
        return NULL;
    uint32_t ce = 0, out = 0, err = ERROR_NOT_SUPPORTED;
    struct target t;
    if (!ce5_lacks(m, "VirtualAllocEx") && !(err = resolve(m, hProcess, sp, &t))) {
        if (!ce_arg_addr(m, lpAddress, &ce))
            err = ERROR_INVALID_PARAMETER;
        else
            AS_TARGET(m, t, vm_alloc(&m->vm, ce, dwSize, flAllocationType, flProtect, &out));
    }
    void *ret = err ? NULL : window_ptr(&m->win, out);
    machine_unlock();
    if (err)
        SetLastError(err);
    return ret;
}

static BOOL WINAPI impl_VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize,
                                      DWORD dwFreeType)
{
    /* An alias from VirtualAllocCopyEx is released from its region's base, its pages decommitted
     * first (CE 5 releases only a region that is wholly reserved or wholly committed). */
    if (dwFreeType == MEM_RELEASE && !dwSize && lpAddress) {
        MEMORY_BASIC_INFORMATION mbi;
        if (VirtualQueryEx(hProcess, lpAddress, &mbi, sizeof mbi) && mbi.AllocationBase &&
            mbi.AllocationBase != lpAddress) {
            BYTE *base = mbi.AllocationBase, *p = base;
            while (VirtualQueryEx(hProcess, p, &mbi, sizeof mbi) && mbi.AllocationBase == base) {
                if (mbi.State == MEM_COMMIT)
                    VirtualFreeEx(hProcess, p, mbi.RegionSize, MEM_DECOMMIT);
                p = (BYTE *)mbi.BaseAddress + mbi.RegionSize;
            }
            lpAddress = base;
        }
    }
    int sp = space_of(hProcess);
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce, err;
    struct target t;
    if (m->vm.prof->slots) /* CE 5's VirtualFreeEx frees in the current process */
        t = (struct target){!m->vm.trusted, -1, 0}, err = 0;
    else
        err = resolve(m, hProcess, sp, &t);
    if (!err) {
        if (!ce_arg_addr(m, lpAddress, &ce) || (dwFreeType & VM_FREE_FORCE))
            err = ERROR_INVALID_PARAMETER;
        else if (m->vm.prof->slots)
            err = vm_free(&m->vm, ce, dwSize, dwFreeType);
        else
            AS_TARGET(m, t, vm_free(&m->vm, ce, dwSize, dwFreeType));
    }
    machine_unlock();
    return ce_bool(err);
}

static BOOL WINAPI impl_VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize,
                                         DWORD flNewProtect, PDWORD lpflOldProtect)
{
    DWORD probe;
    if (lpflOldProtect && (cevm_probe_copy(&probe, lpflOldProtect, sizeof probe) ||
                           cevm_probe_copy(lpflOldProtect, &probe, sizeof probe))) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    int sp = space_of(hProcess);
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce, err = ERROR_NOT_SUPPORTED, old = 0;
    struct target t;
    if (!ce5_lacks(m, "VirtualProtectEx") && !(err = resolve(m, hProcess, sp, &t))) {
        if (!ce_arg_addr(m, lpAddress, &ce))
            err = ERROR_INVALID_PARAMETER;
        else
            AS_TARGET(m, t, vm_protect(&m->vm, ce, dwSize, flNewProtect, &old));
    }
    machine_unlock();
    if (!err && lpflOldProtect)
        *lpflOldProtect = old;
    return ce_bool(err);
}

static DWORD WINAPI impl_VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress,
                                        PMEMORY_BASIC_INFORMATION lpBuffer, DWORD dwLength)
{
    if (dwLength < sizeof(MEMORY_BASIC_INFORMATION)) {
        SetLastError(ERROR_BAD_LENGTH);
        return 0;
    }
    int sp = space_of(hProcess);
    struct machine *m = ce_acquire();
    if (!m)
        return 0;
    uint32_t ce, err = 0;
    struct target t;
    struct vm_query q;
    if (m->vm.prof->slots) /* the helper VirtualFreeEx uses on CE 5: the current process */
        t = (struct target){!m->vm.trusted, -1, 0};
    else
        err = resolve(m, hProcess, sp, &t);
    if (!err && (!lpBuffer || !ce_arg_addr(m, lpAddress, &ce)))
        err = ERROR_INVALID_PARAMETER;
    else if (!err)
        AS_TARGET(m, t, vm_query(&m->vm, ce, &q));
    return ce_query_reply(m, err, &q, lpBuffer);
}

static BOOL WINAPI impl_VirtualCopyEx(HANDLE hDstProc, LPVOID lpvDest, HANDLE hSrcProc,
                                      LPVOID lpvSrc, DWORD cbSize, DWORD fdwProtect)
{
    int dsp = space_of(hDstProc), ssp = space_of(hSrcProc);
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t dst, src, err = ERROR_NOT_SUPPORTED;
    struct target td, ts;
    int physical = (fdwProtect & PAGE_PHYSICAL) != 0;
    if (!ce5_lacks(m, "VirtualCopyEx") && !(err = resolve(m, hDstProc, dsp, &td)) &&
        !(err = resolve(m, hSrcProc, ssp, &ts))) {
        /* Kernel mode, or user mode with both handles its own process (virtual sources). */
        if (!m->vm.trusted && physical)
            err = m->vm.prof->denied;
        else if (!ce_arg_addr(m, lpvDest, &dst) || (!physical && !ce_arg_addr(m, lpvSrc, &src)))
            err = ERROR_INVALID_PARAMETER;
        else if ((td.space >= 0 && dst < CE_KERNEL_BASE) ||
                 (!physical && ts.space >= 0 && src < CE_KERNEL_BASE))
            err = ERROR_INVALID_PARAMETER; /* user memory of a process that is not current */
        else {
            if (physical)
                src = (uint32_t)(uintptr_t)lpvSrc;
            int saved = m->vm.trusted;
            m->vm.trusted = 1; /* the check above stands for the kernel-mode-only rule */
            err = vm_copy(&m->vm, dst, src, cbSize, fdwProtect);
            m->vm.trusted = saved;
        }
    }
    machine_unlock();
    return ce_bool(err);
}

static BOOL WINAPI impl_VirtualSetAttributesEx(HANDLE hProcess, LPVOID lpvAddress, DWORD cbSize,
                                               DWORD dwNewFlags, DWORD dwMask, LPDWORD lpdwOldFlags)
{
    int sp = space_of(hProcess);
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce, old = 0, err = ERROR_NOT_SUPPORTED;
    struct target t;
    if (!ce5_lacks(m, "VirtualSetAttributesEx")) {
        if (!m->vm.trusted)
            err = m->vm.prof->denied; /* a kernel-mode API */
        else if (!(err = resolve(m, hProcess, sp, &t))) {
            if (!ce_arg_addr(m, lpvAddress, &ce))
                err = ERROR_INVALID_PARAMETER;
            else {
                int e = t.space >= 0 ? vm_space_enter(&m->vm, (uint32_t)t.space) : -1;
                err = vm_set_attributes(&m->vm, ce, cbSize, dwNewFlags, dwMask, &old);
                vm_space_leave(&m->vm, e);
            }
        }
    }
    machine_unlock();
    if (!err && lpdwOldFlags && cevm_probe_copy(lpdwOldFlags, &old, sizeof old))
        err = ERROR_INVALID_PARAMETER;
    return ce_bool(err);
}

/* ---- process memory ------------------------------------------------------------------------ */

int ce_range_usable(struct machine *m, uint32_t a, uint32_t n, int write, int user)
{
    uint64_t end = (uint64_t)a + n;
    if (n == 0)
        return 1;
    if (end > 0x100000000ull || (user && end > CE_KERNEL_BASE))
        return 0;
    for (uint64_t p = a & ~0xFFFull; p < end; p += CE_PAGE_SIZE) {
        uint64_t pa;
        if (vm_is_static(&m->vm, (uint32_t)p)) {
            if (user || !machine_static_to_phys(m, (uint32_t)p, &pa))
                return 0;
            continue;
        }
        const struct vm_page *pg = vm_page_at(&m->vm, (uint32_t)p, NULL);
        if (!pg || pg->state != PS_COMMITTED || !pte_valid(pg->pte) ||
            (pg->flags & (PF_NOACCESS | PF_NOBACKING)) || (write && !pte_writable(pg->pte)))
            return 0;
    }
    return 1;
}

/* Copy n bytes between buf and the frames pas[] (page after page from offset off in the first):
 * the memory of a process that is not current. Return: 0, or -1 if a frame cannot be reached. */
static int frames_copy(const uint64_t *pas, uint32_t off, void *buf, uint32_t n, int write)
{
    for (uint32_t done = 0, i = 0; done < n; i++) {
        uint32_t chunk = CE_PAGE_SIZE - off < n - done ? CE_PAGE_SIZE - off : n - done;
        cevm_status st = write ? cevm_phys_write(pas[i] + off, (BYTE *)buf + done, chunk)
                               : cevm_phys_read(pas[i] + off, (BYTE *)buf + done, chunk);
        if (st)
            return -1;
        done += chunk;
        off = 0;
    }
    return 0;
}

/* The shared body: resolve and check under the lock, then copy outside it — through the window
 * for the current process's memory, through the frames for another process's. */
static BOOL process_copy(HANDLE hProcess, LPCVOID base, LPVOID buf, DWORD n, LPDWORD pcb, int write)
{
    int sp = space_of(hProcess);
    struct machine *m = ce_acquire();
    if (!m)
        return FALSE;
    uint32_t ce = 0, err, a = 0;
    struct target t;
    void *at = NULL;
    uint64_t *pas = NULL;
    if (!(err = resolve(m, hProcess, sp, &t))) {
        if (!ce_arg_addr(m, base, &ce) || !buf)
            err = ERROR_INVALID_PARAMETER;
        else {
            int e = t.space >= 0 ? vm_space_enter(&m->vm, (uint32_t)t.space) : -1;
            a = target_addr(&t, ce);
            if (!ce_range_usable(m, a, n, write, t.user))
                err = ERROR_NOACCESS; /* the whole range or nothing */
            else if (e >= 0 && n) {
                uint32_t pages = (uint32_t)((((uint64_t)a & 0xFFF) + n + 0xFFF) / CE_PAGE_SIZE);
                if (!(pas = host_malloc((size_t)pages * sizeof *pas)))
                    err = ERROR_NOT_ENOUGH_MEMORY;
                for (uint32_t i = 0; pas && i < pages; i++)
                    pas[i] = vm_page_pa(vm_page_at(&m->vm, (a & ~0xFFFu) + i * CE_PAGE_SIZE, NULL));
            } else
                at = window_ptr(&m->win, a);
            vm_space_leave(&m->vm, e);
        }
    }
    machine_unlock();
    if (!err && n && pas) { /* another process's memory: through a copy of the caller's buffer */
        void *tmp = host_malloc(n);
        if (!tmp)
            err = ERROR_NOT_ENOUGH_MEMORY;
        else if (write && cevm_probe_copy(tmp, buf, n))
            err = ERROR_INVALID_PARAMETER;
        else if (frames_copy(pas, a & 0xFFF, tmp, n, write))
            err = ERROR_NOACCESS;
        else if (!write && cevm_probe_copy(buf, tmp, n))
            err = ERROR_INVALID_PARAMETER;
        free(tmp);
    } else if (!err && n && (write ? cevm_probe_copy(at, buf, n) : cevm_probe_copy(buf, at, n)))
        err = ERROR_INVALID_PARAMETER; /* the caller's own buffer is wild */
    free(pas);
    DWORD done = err ? 0 : n;
    if (pcb && cevm_probe_copy(pcb, &done, sizeof done))
        err = ERROR_INVALID_PARAMETER;
    return ce_bool(err);
}

BOOL WINAPI ReadProcessMemory(HANDLE hProcess, LPCVOID lpBaseAddress, LPVOID lpBuffer, DWORD nSize,
                              LPDWORD lpNumberOfBytesRead)
{
    return process_copy(hProcess, lpBaseAddress, lpBuffer, nSize, lpNumberOfBytesRead, 0);
}

BOOL WINAPI WriteProcessMemory(HANDLE hProcess, LPVOID lpBaseAddress, LPVOID lpBuffer, DWORD nSize,
                               LPDWORD lpNumberOfBytesWritten)
{
    return process_copy(hProcess, lpBaseAddress, lpBuffer, nSize, lpNumberOfBytesWritten, 1);
}

/* ---- the traced entry points (ce/trace.h) -------------------------------------------------- */

LPVOID WINAPI VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize,
                             DWORD flAllocationType, DWORD flProtect)
{
    uint64_t t0 = ce_trace_start();
    LPVOID r = impl_VirtualAllocEx(hProcess, lpAddress, dwSize, flAllocationType, flProtect);
    if (t0)
        ce_trace_done(t0, "VirtualAllocEx", TR_PTR, (uintptr_t)r,
                      "hProcess 0x%llX, lpAddress %s, dwSize 0x%X, flAllocationType %s, "
                      "flProtect %s",
                      (unsigned long long)(uintptr_t)hProcess, ce_trace_ptr(lpAddress), dwSize,
                      ce_trace_flags(flAllocationType, TR_ALLOC),
                      ce_trace_flags(flProtect, TR_PROTECT));
    return r;
}

BOOL WINAPI VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize, DWORD dwFreeType)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_VirtualFreeEx(hProcess, lpAddress, dwSize, dwFreeType);
    if (t0)
        ce_trace_done(t0, "VirtualFreeEx", TR_BOOL, (uint64_t)r,
                      "hProcess 0x%llX, lpAddress %s, dwSize 0x%X, dwFreeType %s",
                      (unsigned long long)(uintptr_t)hProcess, ce_trace_ptr(lpAddress), dwSize,
                      ce_trace_flags(dwFreeType, TR_FREE));
    return r;
}

BOOL WINAPI VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, DWORD dwSize, DWORD flNewProtect,
                             PDWORD lpflOldProtect)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_VirtualProtectEx(hProcess, lpAddress, dwSize, flNewProtect, lpflOldProtect);
    if (t0)
        ce_trace_done(t0, "VirtualProtectEx", TR_BOOL, (uint64_t)r,
                      "hProcess 0x%llX, lpAddress %s, dwSize 0x%X, flNewProtect %s",
                      (unsigned long long)(uintptr_t)hProcess, ce_trace_ptr(lpAddress), dwSize,
                      ce_trace_flags(flNewProtect, TR_PROTECT));
    return r;
}

DWORD WINAPI VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                            DWORD dwLength)
{
    uint64_t t0 = ce_trace_start();
    DWORD r = impl_VirtualQueryEx(hProcess, lpAddress, lpBuffer, dwLength);
    if (t0)
        ce_trace_done(t0, "VirtualQueryEx", TR_DWORD, r,
                      "hProcess 0x%llX, lpAddress %s, lpBuffer %s, dwLength 0x%X",
                      (unsigned long long)(uintptr_t)hProcess, ce_trace_ptr(lpAddress),
                      ce_trace_ptr(lpBuffer), dwLength);
    return r;
}

BOOL WINAPI VirtualCopyEx(HANDLE hDstProc, LPVOID lpvDest, HANDLE hSrcProc, LPVOID lpvSrc,
                          DWORD cbSize, DWORD fdwProtect)
{
    uint64_t t0 = ce_trace_start();
    BOOL r = impl_VirtualCopyEx(hDstProc, lpvDest, hSrcProc, lpvSrc, cbSize, fdwProtect);
    if (t0)
        ce_trace_done(t0, "VirtualCopyEx", TR_BOOL, (uint64_t)r,
                      "hDstProc 0x%llX, lpvDest %s, hSrcProc 0x%llX, lpvSrc 0x%08llX, cbSize 0x%X, "
                      "fdwProtect %s",
                      (unsigned long long)(uintptr_t)hDstProc, ce_trace_ptr(lpvDest),
                      (unsigned long long)(uintptr_t)hSrcProc,
                      (unsigned long long)(uintptr_t)lpvSrc, cbSize,
                      ce_trace_flags(fdwProtect, TR_PROTECT));
    return r;
}

BOOL WINAPI VirtualSetAttributesEx(HANDLE hProcess, LPVOID lpvAddress, DWORD cbSize,
                                   DWORD dwNewFlags, DWORD dwMask, LPDWORD lpdwOldFlags)
{
    uint64_t t0 = ce_trace_start();
    BOOL r =
        impl_VirtualSetAttributesEx(hProcess, lpvAddress, cbSize, dwNewFlags, dwMask, lpdwOldFlags);
    if (t0)
        ce_trace_done(t0, "VirtualSetAttributesEx", TR_BOOL, (uint64_t)r,
                      "hProcess 0x%llX, lpvAddress %s, cbSize 0x%X, dwNewFlags 0x%X, dwMask 0x%X",
                      (unsigned long long)(uintptr_t)hProcess, ce_trace_ptr(lpvAddress), cbSize,
                      dwNewFlags, dwMask);
    return r;
}
