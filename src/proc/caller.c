/*
 * caller.c — the CE 5 calling process: the application whose thread calls into a driver.
 *
 * On CE 5 an application calling DeviceIoControl runs in its own slot; its thread migrates into
 * device.exe, whose memory slot 0 then shows. The kernel maps the call's top-level buffer
 * pointers into the caller's slot; a pointer stored inside a buffer stays the application's
 * slot-0 pointer, which in the driver names the driver's own process — so drivers map embedded
 * pointers with MapCallerPtr or MapPtrToProcess(p, GetCallerProcess()).
 *
 * cevm gives the driver host the same two processes: the current process (board `process`,
 * device.exe) and the caller (board `caller`, app.exe), each in its slot. The driver host copies
 * a call's buffers into the caller's slot and hands the driver their slot addresses; tests place
 * the memory an embedded pointer names with cevm_caller_alloc and store its slot-0 form. A thread
 * marked by caller_enter is "in a call from the caller": the process calls (process.c) answer
 * for it, and a fault at a slot-0 address where the caller has memory is reported with the
 * likely cause.
 *
 * On CE 6+ there are no slots: the caller's user space is the one mapped at 0..2 GB while it
 * calls, so its pointers reach the driver as they are (the buffers go into user space, and
 * MapCallerPtr, kept for CE 5 sources, only checks the range).
 */
#define _GNU_SOURCE
#include "proc/caller.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cevm/cevm.h"
#include "core/machine.h"
#include "vm/profile.h"
#include "winerror.h"

static CEVM_TLS int t_in_call;

int caller_enter(void)
{
    int prev = t_in_call;
    t_in_call = 1;
    return prev;
}

void caller_leave(int previous)
{
    t_in_call = previous;
}

int caller_active(void)
{
    return t_in_call;
}

uint32_t caller_index(void)
{
    machine_lock();
    uint32_t i = g_machine ? g_machine->board.caller_index : 0;
    machine_unlock();
    return i;
}

uint32_t caller_process_id(void)
{
    /* CE process ids are opaque handle values; host pids never reach bit 30. */
    return (uint32_t)getpid() | 0x40000000u;
}

int caller_slots(void)
{
    machine_lock();
    int slots = !g_machine || g_machine->vm.prof->slots;
    machine_unlock();
    return slots;
}

/* The absolute address of the caller's address rel (its slot-0 form on CE 5). */
static uint32_t caller_abs(const struct machine *m, uint32_t rel)
{
    return m->vm.prof->slots ? ((m->board.caller_index + 1) << 25) | rel : rel;
}

static uint32_t proc_alloc(uint32_t at, uint32_t size, uint32_t *abs)
{
    struct machine *m = machine_acquire(); /* boots the default machine if none is up */
    if (!m)
        return ERROR_NOT_READY;
    uint32_t e = vm_proc_alloc(&m->vm, m->board.caller_index, at, size, abs);
    machine_unlock();
    return e;
}

uint32_t caller_buffer(uint32_t size, uint32_t *mapped)
{
    return proc_alloc(0, size, mapped);
}

void caller_free(uint32_t mapped)
{
    machine_lock();
    if (g_machine)
        vm_proc_release(&g_machine->vm, mapped);
    machine_unlock();
}

int caller_fault_hint(struct vm *vm, uint32_t ce, char *buf, size_t len)
{
    if (!t_in_call || ce >= CE_SECTION_SIZE || !g_machine || !g_machine->vm.prof->slots)
        return 0;
    uint32_t abs = caller_abs(g_machine, ce);
    const struct vm_page *pg = vm_page_at(vm, abs, NULL);
    if (!pg || pg->state != PS_COMMITTED)
        return 0;
    snprintf(buf, len,
             "; the caller %s has memory at this slot-0 address (0x%08X in its slot): a pointer "
             "from the caller used without MapCallerPtr/MapPtrToProcess?",
             g_machine->board.caller_name, abs);
    return 1;
}

/* ---- native API ------------------------------------------------------------------------- */

cevm_status cevm_caller_alloc(uint32_t at, uint32_t size, uint32_t *addr, void **host)
{
    if (!addr || !size)
        return CEVM_E_INVAL;
    uint32_t abs = 0, e = proc_alloc(at, size, &abs);
    if (e)
        return e == ERROR_NOT_ENOUGH_MEMORY ? CEVM_E_NOMEM
               : e == ERROR_NOT_READY       ? CEVM_E_STATE
                                            : CEVM_E_INVAL;
    *addr = caller_slots() ? abs & (CE_SECTION_SIZE - 1) : abs; /* the application's pointer */
    if (host)
        *host = cevm_host_ptr(abs);
    return CEVM_OK;
}

cevm_status cevm_caller_free(uint32_t addr)
{
    if (addr < 0x10000u || addr >= CE_KERNEL_BASE)
        return CEVM_E_INVAL;
    machine_lock();
    uint32_t e = ERROR_INVALID_PARAMETER;
    if (g_machine && (!g_machine->vm.prof->slots || addr < CE_SECTION_SIZE)) {
        uint32_t abs = caller_abs(g_machine, addr);
        const struct vm_block *b = g_machine->vm.block[abs >> 16];
        if (b && (b->base_block << 16) == (abs & ~0xFFFFu))
            e = vm_proc_release(&g_machine->vm, abs);
    }
    machine_unlock();
    return e ? CEVM_E_INVAL : CEVM_OK;
}
