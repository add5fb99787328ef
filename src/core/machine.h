/*
 * machine.h — the one simulated machine of the process: board, physical map, host window and
 * CE address space, and the lock that guards them.
 *
 * Locking: one mutex over all machine state. It is NOT taken with signals blocked (that would
 * cost two system calls per CE call, and reserve/release must make none). Instead each thread
 * counts how deep it holds the lock; the SIGSEGV handler, which needs the lock, refuses to run
 * on a thread that holds it (that would be a fault inside cevm itself, reported as an internal
 * error). Faults on other threads simply wait for the lock. See docs/ARCHITECTURE.md.
 */
#ifndef CEVM_MACHINE_H
#define CEVM_MACHINE_H

#include "board/board.h"
#include "dev/device.h"
#include "host/host.h"
#include "phys/phys.h"
#include "vm/vm.h"

struct machine {
    struct board board;
    struct phys_map pm;
    struct host_window win;
    struct vm vm;
    struct devices devs;
    int forked_without_memory; /* a forked child whose copy of CE memory failed (fork.c) */
    /* The static windows are mapped part by part (an OEMAddressTable row's share of one backed
     * region) on first touch: static_mapped[row * pm.n + region] is 1 once mapped. */
    uint8_t *static_mapped;
    /* Under valgrind, which reports an access to an inaccessible page instead of delivering
     * the SIGSEGV a first touch needs, every view is mapped eagerly (as before issue 16). */
    int eager_views;
    /* The board is the built-in one, parsed without reading the environment: its shutdown
     * keeps it for the next boot (machine.c builtin_board), with the profile its line gave. */
    int board_reusable;
    enum ce_profile_id board_profile;
    /* Slot-0 addresses whose alias the vm_ops leave alone while the CE program's image moves
     * between host memory and CE frames (proc/exe.c). */
    uint32_t alias_skip_lo, alias_skip_hi;
    /* The CE program's main stack (proc/exe.c): the program's own memory at its slot-0 addresses
     * for the machine's whole life; the VM describes it, the vm_ops leave its alias alone. */
    uint32_t main_stack_lo, main_stack_hi;
};

/* Is slot-0 address rel host memory the vm_ops must not map over (see above)? */
static inline int machine_alias_owned(const struct machine *m, uint32_t rel)
{
    return (rel >= m->alias_skip_lo && rel < m->alias_skip_hi) ||
           (rel >= m->main_stack_lo && rel < m->main_stack_hi);
}

/* CE 5: map the process-slot view of the page at absolute CE address ce on its first touch
 * (its slot-0 alias is mapped with the page; machine.c). Called with the machine lock held.
 * Return: 1 if it mapped the view (retry the access), 0 if the fault is not that. */
int machine_map_slot_view(struct machine *m, uint32_t ce);
/* Map the static-window part holding kernel address ce (cached and uncached views) on its
 * first touch. Called with the machine lock held. Return: 1 if it mapped it, else 0. */
int machine_map_static_part(struct machine *m, uint32_t ce);
/* Is the static-window part holding ce mapped? (0 for an address in no backed part) */
int machine_static_part_mapped(const struct machine *m, uint32_t ce);

extern struct machine *g_machine;

#define CEVM_TLS __thread __attribute__((tls_model("initial-exec")))
extern CEVM_TLS int t_lock_depth;

void machine_lock(void);
void machine_unlock(void);

/* Lock the machine, booting the default one first if none is booted. Return: the machine,
 * locked; or NULL, unlocked, when that boot failed (the reason is printed once and kept for
 * cevm_boot_error(); the next call tries again). */
struct machine *machine_acquire(void);

/* Boot / tear down with the lock held. */
cevm_status machine_boot_locked(const cevm_config *cfg, char *err, size_t errlen);
void machine_shutdown_locked(void);
/* Keep b, the built-in board parsed without reading the environment (by the library's load-time
 * publication of g_oalAddressTable), for the next boot of the built-in board, which then parses
 * nothing; b is emptied. If a board is kept already, b is freed. Call with the machine lock held
 * or before any thread uses cevm. */
void machine_keep_builtin_board(struct board *b);

/* The OEMAddressTable row and physical address behind a static-window VA (0x80000000 ..
 * 0xBFFFFFFF). Return: 1 and *pa, or 0 if no row maps va. */
/* A module or program built for _WIN32_WCE wce is about to run: warn (stderr) when the running
 * profile is another version. what names it. Takes the machine lock. */
void machine_check_built_for(const char *what, uint32_t wce);
/* The caller's mode as its profile names it: "trusted"/"untrusted" (ce5), "kernel"/"user". */
const char *machine_caller_mode(const struct machine *m);
int machine_static_to_phys(const struct machine *m, uint32_t va, uint64_t *pa);
/* Has OEMAddressTable row r an uncached alias at VA | 0x20000000 (not in Compact 7's new-style
 * table)? Is static address va uncached (the alias; or, new style, an OEMDeviceTable entry with
 * non-zero Attributes)? */
int machine_static_alias(const struct machine *m, const struct board_oem_row *r);
int machine_static_uncached(const struct machine *m, uint32_t va);

/* The physical address a host pointer reaches through the CE address space (one lock round
 * trip: the register accessors' path), and (gen not NULL) the address-space generation it was
 * read under. Return: 1 and *pa, or 0 (not a CE address, or nothing mapped there). */
int machine_ptr_to_phys(const void *p, uint64_t *pa, unsigned long *gen);

/* The address-space generation: bumped whenever the machine lock is taken (machine.c). */
extern _Atomic unsigned long g_map_gen;

/* Does the host window match the page tables page by page (hostcheck.c)?
 * Return: 0, or -1 with err set. The lock is held. */
int machine_check_host(const struct machine *m, char *err, size_t errlen);

/* fork(): the child's copy of the lock, held across the fork, made new (fork.c). */
void machine_fork_child_lock(void);
/* Register the fork handlers (fork.c), once. */
void fork_hooks_install(void);

/* Fault handling (fault.c). */
int fault_install(void);
void fault_uninstall(void);

#endif
