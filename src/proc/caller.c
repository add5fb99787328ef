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
#include "ce/ce_api.h"
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

/* CE process ids are opaque handle values; host pids never reach bit 30. The calling
 * application (user space 0) has the base id, the processes made since (CE 6+) the next ones. */
static uint32_t id_base(void)
{
    return (uint32_t)getpid() | 0x40000000u;
}

uint32_t caller_space_id(uint32_t space)
{
    return id_base() + 4 * space;
}

int caller_space_of(uint32_t id)
{
    uint32_t base = id_base();
    if (id < base || (id - base) % 4 || (id - base) / 4 >= VM_MAX_SPACES)
        return -1;
    machine_lock();
    int space = g_machine && !g_machine->vm.prof->slots && (id - base) / 4 < g_machine->vm.nspaces
                    ? (int)((id - base) / 4)
                    : (id == base ? 0 : -1);
    machine_unlock();
    return space;
}

uint32_t caller_process_id(void)
{
    machine_lock();
    uint32_t space = g_machine && !g_machine->vm.prof->slots ? g_machine->vm.cur_space : 0;
    machine_unlock();
    return caller_space_id(space); /* CE 6+: the process whose user space is current */
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

/* CE 6+: the last caller buffers released after their call (machine lock), so a fault there
 * can be named: a pointer the driver kept past the call. */
struct ce_range {
    uint32_t lo, hi;
};
#define RELEASED_MAX 8
static struct ce_range g_released[RELEASED_MAX];
static unsigned g_nreleased;

/* Call buffers kept after their call because an asynchronous buffer's source lies in them, as
 * an application keeps its buffer until the asynchronous work on it completes (machine lock). */
#define KEPT_MAX 32
static struct ce_range g_kept[KEPT_MAX];
static unsigned g_nkept;

void caller_forget(void)
{
    g_nreleased = 0;
    g_nkept = 0;
}

/* The range of the reservation holding mapped (machine lock). Return: 1 and [*lo, *hi). */
static int reservation_of(struct vm *vm, uint32_t mapped, uint32_t *lo, uint32_t *hi)
{
    const struct vm_block *b = vm->block[mapped >> 16];
    if (!b)
        return 0;
    *lo = b->base_block << 16;
    *hi = (b->base_block + vm_reservation_blocks(vm, b->base_block)) << 16;
    return 1;
}

void caller_unpin(uint32_t src)
{
    for (;;) {
        uint32_t lo = 0, hi = 0;
        int found = 0;
        machine_lock();
        for (unsigned i = 0; i < g_nkept && !found; i++)
            if (src >= g_kept[i].lo && src < g_kept[i].hi) {
                lo = g_kept[i].lo;
                hi = g_kept[i].hi;
                g_kept[i] = g_kept[--g_nkept];
                found = 1;
            }
        machine_unlock();
        if (!found)
            return;
        int still = marshal_async_inside(lo, hi); /* the marshal table has its own mutex */
        machine_lock();
        if (still && g_nkept < KEPT_MAX)
            g_kept[g_nkept++] = (struct ce_range){lo, hi};
        else if (g_machine)
            vm_proc_release(&g_machine->vm, lo);
        machine_unlock();
        if (still)
            return;
    }
}

void caller_free(uint32_t mapped)
{
    uint32_t lo = 0, hi = 0;
    machine_lock();
    int flat =
        g_machine && !g_machine->vm.prof->slots && reservation_of(&g_machine->vm, mapped, &lo, &hi);
    machine_unlock();
    int keep = flat && marshal_async_inside(lo, hi);
    machine_lock();
    if (keep && g_nkept < KEPT_MAX) {
        g_kept[g_nkept++] = (struct ce_range){lo, hi};
        machine_unlock();
        return;
    }
    if (g_machine) {
        struct vm *vm = &g_machine->vm;
        const struct vm_block *b = vm->block[mapped >> 16];
        uint32_t first = b ? b->base_block : 0, nb = b ? vm_reservation_blocks(vm, first) : 0;
        if (vm_proc_release(vm, mapped) == 0 && !vm->prof->slots) {
            g_released[g_nreleased % RELEASED_MAX].lo = first << 16;
            g_released[g_nreleased % RELEASED_MAX].hi = (first + nb) << 16;
            g_nreleased++;
        }
    }
    machine_unlock();
}

int caller_fault_hint(struct vm *vm, uint32_t ce, char *buf, size_t len)
{
    if (g_machine && !g_machine->vm.prof->slots) {
        /* CE 6+: the caller's space is mapped only during its call. */
        for (unsigned i = 0; i < RELEASED_MAX && i < g_nreleased; i++)
            if (ce >= g_released[i].lo && ce < g_released[i].hi) {
                snprintf(buf, len,
                         "; this was a caller's buffer of a driver call that has returned: a "
                         "pointer kept past the call without CeAllocAsynchronousBuffer?");
                return 1;
            }
        return 0;
    }
    if (!t_in_call || ce >= CE_SECTION_SIZE || !g_machine)
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

uint32_t cevm_caller_process(void)
{
    return caller_process_id();
}

/* ---- CE 6+ processes ----------------------------------------------------------------------- */

static char g_names[VM_MAX_SPACES][32];

cevm_status cevm_process_create(const char *name, uint32_t *id)
{
    if (!name || !*name || !id)
        return CEVM_E_INVAL;
    struct machine *m = machine_acquire();
    if (!m)
        return CEVM_E_STATE;
    cevm_status st = CEVM_OK;
    uint32_t idx = 0;
    if (m->vm.prof->slots)
        st = CEVM_E_UNSUPPORTED; /* CE 5's processes are the board's slots */
    else if (vm_space_create(&m->vm, &idx))
        st = CEVM_E_NOMEM;
    else
        snprintf(g_names[idx], sizeof g_names[idx], "%s", name);
    machine_unlock();
    if (!st)
        *id = caller_space_id(idx);
    return st;
}

cevm_status cevm_process_switch(uint32_t id)
{
    int space = caller_space_of(id);
    struct machine *m = machine_acquire();
    if (!m)
        return CEVM_E_STATE;
    cevm_status st = CEVM_OK;
    if (m->vm.prof->slots)
        st = CEVM_E_UNSUPPORTED;
    else if (space < 0)
        st = CEVM_E_INVAL;
    else if (vm_space_switch(&m->vm, (uint32_t)space))
        st = CEVM_E_HOST;
    machine_unlock();
    return st;
}

const char *caller_space_name(uint32_t space)
{
    return space && space < VM_MAX_SPACES && g_names[space][0] ? g_names[space] : NULL;
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
