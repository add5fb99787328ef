/*
 * cevm.h — the native API of cevm, the Windows CE memory system for Linux.
 *
 * CE driver code uses the CE API (<windows.h> from the cevm-ce package: VirtualAlloc,
 * GetLastError, ...). This header is for the programs around that code: tests, tools and
 * harnesses. It boots a simulated board, reports how CE addresses reach the host, installs
 * exception handlers, switches the caller's trust and inspects the machine.
 *
 * Every function documents its parameters, its return value and every error it reports.
 * Functions returning cevm_status give CEVM_OK (0) on success; cevm_strerror() names the rest.
 * There is one machine per process (the host window is a process-wide resource). The first CE
 * call boots it lazily from $CEVM_BOARD or the built-in default board; cevm_boot() does the same
 * explicitly with options.
 */
#ifndef CEVM_CEVM_H
#define CEVM_CEVM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CEVM_API __attribute__((visibility("default")))
#else
#define CEVM_API
#endif

#define CEVM_VERSION_MAJOR  0
#define CEVM_VERSION_MINOR  1
#define CEVM_VERSION_PATCH  0
#define CEVM_VERSION_STRING "0.1.0"

/* ---- status codes of the native API --------------------------------------------------- */

typedef enum cevm_status {
    CEVM_OK = 0,
    CEVM_E_INVAL = 1,       /* a bad argument */
    CEVM_E_NOMEM = 2,       /* host memory exhausted */
    CEVM_E_BOARD = 3,       /* the board file is malformed (the message names file and line) */
    CEVM_E_HOST = 4,        /* a host call (mmap, memfd_create, open, ...) failed */
    CEVM_E_STATE = 5,       /* wrong state: already booted, not booted, ... */
    CEVM_E_UNSUPPORTED = 6, /* a feature this build or profile does not implement yet */
    CEVM_E_NOTFOUND = 7,    /* nothing at that address or name */
    CEVM_E_DRIVER = 8       /* a driver call failed or faulted (the message names it) */
} cevm_status;

/* Return: a constant English description of status (never NULL). */
CEVM_API const char *cevm_strerror(cevm_status status);

/* ---- booting the machine -------------------------------------------------------------- */

/* How CE addresses reach the host. */
typedef enum cevm_window_mode {
    CEVM_WINDOW_AUTO = 0,     /* identity if possible, offset otherwise */
    CEVM_WINDOW_IDENTITY = 1, /* CE address == host pointer (the low 4 GiB of the host) */
    CEVM_WINDOW_OFFSET = 2    /* host pointer == window base + CE address (base 4 GiB-aligned) */
} cevm_window_mode;

typedef struct cevm_config {
    /* Board file to load. NULL: $CEVM_BOARD if set, else the built-in default board. */
    const char *board_path;
    /* Board text given directly (takes precedence over board_path); board_label names it in
     * error messages. */
    const char *board_text;
    const char *board_label;
    /* Window mode. CEVM_WINDOW_AUTO honours $CEVM_WINDOW ("identity", "offset", "auto"). */
    cevm_window_mode window;
    /* CEVM_BOOT_* flags. */
    unsigned flags;
    /* CE version: "ce5", "ce6" or "ce7". NULL: $CEVM_PROFILE if set, else the board's `profile`
     * line (default ce5). */
    const char *profile;
    /* The caller's mode: "trusted"/"untrusted" on ce5, "kernel"/"user" on ce6 and ce7. NULL:
     * $CEVM_CALLER if set, else trusted (ce5) or kernel mode (ce6, ce7): a driver. */
    const char *caller;
} cevm_config;

/* Board files are input. By default the paths they name (include, registry, file devices) stay
 * inside the folder of the file naming them, and a `file` device is read-only unless its line
 * says `rw` and its mode bits let the user write it. */
#define CEVM_BOOT_ANY_PATH 0x1u /* allow absolute and '..' paths (also $CEVM_BOARD_ANY_PATH=1) */
#define CEVM_BOOT_NO_WRITE 0x2u /* open every file device read-only (cevm board check) */

/*
 * Boot the machine.
 *   config  options, or NULL for the defaults (same as the lazy boot of the first CE call).
 *   err     buffer for a one-line message on failure (may be NULL); errlen its size.
 * Return: CEVM_OK; CEVM_E_STATE if a machine is already booted; CEVM_E_BOARD for a bad board
 * file (err says "file:line: problem"); CEVM_E_HOST if the board file cannot be read or the
 * host refuses memory or the identity window when it was forced; CEVM_E_NOMEM; CEVM_E_INVAL for
 * an unknown profile or caller mode (config or $CEVM_PROFILE / $CEVM_CALLER; err names it).
 */
CEVM_API cevm_status cevm_boot(const cevm_config *config, char *err, size_t errlen);

/*
 * Why the lazy boot of the first CE call failed. A library never exits: when that boot fails,
 * the CE call fails with GetLastError() == ERROR_NOT_READY (21), the reason is printed to
 * stderr once (again only if it changes), and every later call tries to boot again.
 *   err  receives the reason ("" when a machine is booted or no boot was tried); may be NULL.
 * Return: CEVM_OK when a machine is booted or no lazy boot has failed, else the failed boot's
 * status (CEVM_E_BOARD, CEVM_E_HOST, CEVM_E_INVAL for a bad $CEVM_WINDOW, ...).
 */
CEVM_API cevm_status cevm_boot_error(char *err, size_t errlen);

/* Tear the machine down: unmap the window, free every frame and structure, restore the
 * SIGSEGV handler. Pointers into the window become invalid. Safe to call when not booted. */
CEVM_API void cevm_shutdown(void);

/* Return: non-zero when a machine is booted. */
CEVM_API int cevm_is_booted(void);

/* A snapshot of the machine's identity, as `cevm info` prints it. Strings stay valid until
 * cevm_shutdown(). */
typedef struct cevm_info {
    const char *board_name;    /* the board's `board` line */
    const char *board_source;  /* the file it came from, or "built-in" */
    const char *profile;       /* "ce5", "ce6" or "ce7" */
    const char *cpu;           /* "arm" */
    cevm_window_mode window;   /* IDENTITY or OFFSET (never AUTO) */
    const char *window_reason; /* why this mode was chosen */
    uintptr_t window_base;     /* host address of CE address 0 */
    uint32_t ram_pages_total;  /* RAM frames managed by the frame allocator */
    uint32_t ram_pages_free;
    uint32_t ram_pages_min_free; /* the fewest free frames there have been since boot */
    uint32_t current_process;    /* index of the current process (slot = index + 1) */
    const char *process_name;    /* its name (device.exe) */
    uint32_t trusted;            /* caller trust: 1 fully trusted (the default), 0 untrusted */
    uint32_t caller_process;     /* index of the application the driver host's calls come from */
    const char *caller_name;     /* its name (app.exe) */
    uint32_t ce_stacks;          /* 1: CE threads and driver calls run on CE stacks */
    uint32_t program_image;      /* 1: the program's image is CE memory (cevm-ce-exe) */
    const char *profile_title;   /* "Windows CE 5.0", "Windows Embedded CE 6.0", ... */
    uint32_t wce;                /* the profile's _WIN32_WCE: 0x500, 0x600, 0x700 */
    const char *caller_mode;     /* "trusted", "untrusted" (ce5), "kernel", "user" (ce6, ce7) */
    /* CE 6+: where kernel DLLs and kernel VM start (0xC0000000 and 0xD0000000, or the end of
     * the static mappings in Compact 7's new-style table); both end at 0xF0000000. 0 on ce5. */
    uint32_t kernel_dll_base, kernel_vm_base;
} cevm_info;

/* Fill *info (booting the default machine if needed).
 * Return: CEVM_OK, CEVM_E_INVAL if info is NULL, or the boot failure status (*info zeroed;
 * cevm_boot_error() says why). */
CEVM_API cevm_status cevm_get_info(cevm_info *info);

/* Return: the window mode in force (booting the default machine if needed), or
 * CEVM_WINDOW_AUTO when no machine can boot. */
CEVM_API cevm_window_mode cevm_window(void);

/* Return: "identity", "offset" or "auto". */
CEVM_API const char *cevm_window_name(cevm_window_mode mode);

/* ---- CE addresses and host pointers --------------------------------------------------- */

/* Return: the CE address of host pointer p, or 0xFFFFFFFF when p is not in the window (or no
 * machine can boot). In identity mode this is (uint32_t)p for any p below 4 GiB. */
CEVM_API uint32_t cevm_ce_addr(const void *p);

/* Return: the host pointer for CE address ce (window base + ce), or NULL when no machine can
 * boot. */
CEVM_API void *cevm_host_ptr(uint32_t ce);

/*
 * Physical address behind a CE virtual address (committed page or static window).
 * Return: CEVM_OK and *pa set; CEVM_E_NOTFOUND if nothing is mapped there; CEVM_E_INVAL if pa
 * is NULL.
 */
CEVM_API cevm_status cevm_virt_to_phys(uint32_t ce, uint64_t *pa);

/* ---- caller context -------------------------------------------------------------------- */

/* Make the calling context fully trusted (1, the default: a driver) or untrusted (0: an
 * application). Untrusted callers get the CE 5 refusals: error 5 from the trusted APIs
 * (VirtualCopy, MmMapIoSpace, LockPages, UnlockPages, AllocPhysMem, FreePhysMem,
 * VirtualSetAttributes, CreateStaticMapping), error 87 for VM at or above the board's DLL
 * base, and an access violation for any static-window address (docs/ce-semantics.md).
 * On ce6 and ce7 the same switch is the caller's mode: 1 kernel mode (a driver loaded by the
 * device manager), 0 user mode (an application or a udevice-hosted driver): kernel-only calls
 * then fail with 50 (AllocPhysMem 87), VirtualAlloc uses user space, kernel space is refused. */
CEVM_API void cevm_set_trusted(int trusted);
CEVM_API int cevm_trusted(void);

/* ---- exceptions ------------------------------------------------------------------------ */

#define CEVM_EXCEPTION_ACCESS_VIOLATION      0xC0000005u
#define CEVM_EXCEPTION_IN_PAGE_ERROR         0xC0000006u /* a backing file could not supply it */
#define CEVM_EXCEPTION_ILLEGAL_INSTRUCTION   0xC000001Du
#define CEVM_EXCEPTION_INT_DIVIDE_BY_ZERO    0xC0000094u
#define CEVM_EXCEPTION_INT_OVERFLOW          0xC0000095u
#define CEVM_EXCEPTION_FLT_DIVIDE_BY_ZERO    0xC000008Eu
#define CEVM_EXCEPTION_FLT_INVALID_OPERATION 0xC0000090u
#define CEVM_EXCEPTION_STACK_OVERFLOW        0xC00000FDu
#define CEVM_EXCEPTION_DATATYPE_MISALIGNMENT 0x80000002u
#define CEVM_EXCEPTION_FATAL_APP_EXIT        0x40000015u /* abort() in CE code */

#define CEVM_EXCEPTION_FRAMES 24

/* A CE exception: raised by touching memory (access violations, in-page errors), or — inside a
 * cevm_try frame — by a host signal the CE code caused (divide by zero, illegal instruction,
 * stack overflow, abort()). */
typedef struct cevm_exception {
    uint32_t code;      /* CEVM_EXCEPTION_*: 0xC0000005 for an access violation */
    uint32_t info[2];   /* access violation / in-page error: [0] = 1 for a write, 0 for a
                         * read; [1] = the CE address (the host address's low 32 bits when it
                         * is outside the CE space). Others: 0. */
    const char *reason; /* "page not committed", "page is read-only", "guard page", ... */
    uintptr_t ip;       /* host instruction pointer of the faulting instruction (0: unknown) */
    unsigned nframes;   /* return addresses in frames[], innermost first (frames[0] == ip) */
    uintptr_t frames[CEVM_EXCEPTION_FRAMES];
} cevm_exception;

/* Return: the name of an exception code ("EXCEPTION_ACCESS_VIOLATION"), or "EXCEPTION_?". */
CEVM_API const char *cevm_exception_name(uint32_t code);

/*
 * Describe where an exception happened, one line per frame: host address, module+offset,
 * function, and file:line when the module has debug information (libdw), e.g.
 * "  #0 0x7f0012345678 libled.so+0x1234 LED_IOControl (led.c:87)".
 * Return: the length written (at most len - 1, NUL-terminated).
 */
CEVM_API size_t cevm_exception_where(const cevm_exception *e, char *buf, size_t len);

/* What a handler tells cevm (same values as CE's EXCEPTION_* filter results). */
#define CEVM_EXCEPTION_CONTINUE_EXECUTION (-1) /* retry the faulting access */
#define CEVM_EXCEPTION_CONTINUE_SEARCH    0    /* not mine: try the next handler */

typedef int (*cevm_exception_handler)(const cevm_exception *e, void *ctx);

/* Install a process-wide handler, called first for every CE exception (like a vectored
 * handler). NULL removes it. */
CEVM_API void cevm_set_exception_handler(cevm_exception_handler handler, void *ctx);

/*
 * Run fn(ctx) the way CE code runs inside __try/__except(EXCEPTION_EXECUTE_HANDLER): when a CE
 * exception is raised (and the process-wide handler did not continue execution), control
 * returns here. Frames nest per thread.
 *   out  receives the exception (may be NULL).
 * Return: 0 when fn returned normally, 1 when an exception ended it.
 */
CEVM_API int cevm_try(void (*fn)(void *ctx), void *ctx, cevm_exception *out);

/*
 * Re-install cevm's SIGSEGV handler. cevm installs it at boot; a component that replaces the
 * SIGSEGV handler afterwards (cmocka does, around every test) disables CE fault handling until
 * this is called. The replaced handler is kept and called for faults outside the window.
 * Return: CEVM_OK, CEVM_E_STATE if no machine is booted, CEVM_E_HOST if sigaction fails.
 */
CEVM_API cevm_status cevm_install_fault_handler(void);

/* With no handler and no cevm_try frame, an exception prints one line to stderr
 * ("cevm: unhandled exception EXCEPTION_ACCESS_VIOLATION (0xC0000005): write at CE address
 * 0x00010000 (page not committed)") and the process dies of SIGSEGV. */

/* ---- inspection (what the cevm command shows) ----------------------------------------- */

#define CEVM_PAGE_DEVICE     0x01  /* maps a frame it holds no reference on (physical/static) */
#define CEVM_PAGE_SHARED     0x02  /* a RAM frame with more than one reference (an alias) */
#define CEVM_PAGE_NOBACKING  0x04  /* the frame has no backing: touches are emulated/reported */
#define CEVM_PAGE_LOCKED     0x08  /* its 64 KB block is locked (LockPages) */
#define CEVM_PAGE_AUTOCOMMIT 0x10  /* MEM_AUTO_COMMIT reservation */
#define CEVM_PAGE_HUGE       0x20  /* a large-area reservation */
#define CEVM_PAGE_STATIC     0x40  /* a static-window page (OEMAddressTable) */
#define CEVM_PAGE_ALLOCPHYS  0x80  /* AllocPhysMem memory */
#define CEVM_PAGE_RAM        0x100 /* the frame is managed RAM */
#define CEVM_PAGE_IMAGE      0x200 /* a loaded module's image (MEM_IMAGE) */
#define CEVM_PAGE_STACK      0x400 /* a thread stack (CE stacks: threads running CE code) */
#define CEVM_PAGE_TRAPPED    0x800 /* a trapped register file: each raw access is decoded */

/* One CE page as the page tables describe it. */
typedef struct cevm_page_info {
    uint32_t state;      /* MEM_COMMIT 0x1000, MEM_RESERVE 0x2000 or MEM_FREE 0x10000 */
    uint32_t protect;    /* CE protection, as VirtualQuery reports it */
    uint32_t alloc_base; /* the reservation's base (absolute address), 0 when free */
    uint32_t pte;        /* ARM descriptor (committed and static pages) */
    uint64_t pa;         /* physical address of the frame (committed and static pages) */
    uint32_t flags;      /* CEVM_PAGE_* */
} cevm_page_info;

/* A library loaded at CE addresses (a driver, or a DLL loaded with LoadLibrary). */
typedef struct cevm_module_info {
    char name[64];  /* the file's name */
    char path[256]; /* the file it was loaded from */
    uint32_t base;  /* CE address of the image (slot-0 form) */
    uint32_t size;  /* bytes reserved */
} cevm_module_info;

/* The loaded modules, lowest address first: up to max into out. Return: how many are loaded
 * (may exceed max). */
CEVM_API size_t cevm_modules(cevm_module_info *out, size_t max);

/* The CE heap's version of a C or C++ allocator ("malloc", "calloc", "realloc", "free",
 * "strdup", "_Znwm" ... as modules get them, their pointers CE addresses), or NULL for another
 * name. The cevm-ce-exe object wraps a CE program's own calls with these. */
CEVM_API void *cevm_crt_function(const char *name);

/* For the cevm-ce-exe object's main wrapper: before the first boot, map the main thread's stack
 * right above a CE program's image (1 MB, its lowest 16 KB inaccessible) and run fn(arg) on it,
 * so main's locals are CE addresses. Return: 0 after fn returned, or -1 (not a CE program linked
 * at the EXE base, a machine already booted, or the range taken) without calling fn. */
CEVM_API int cevm_exe_run_main(void (*fn)(void *), void *arg);

/* Describe the page holding CE address ce (slot-0 addresses are the process slot's pages).
 * Return: CEVM_OK, CEVM_E_INVAL if out is NULL. */
CEVM_API cevm_status cevm_page(uint32_t ce, cevm_page_info *out);

/* A region of the board's physical map. kind: "ram", "regfile", "file", "unimplemented". */
typedef struct cevm_board_region {
    char name[32];
    const char *kind; /* "ram", "regfile", "regfile, trapped" (raw accesses decoded), "file",
                       * "unimplemented" */
    uint64_t pa, size;
} cevm_board_region;

/* Copy up to max regions (sorted by physical address). Return: how many the board has. */
CEVM_API size_t cevm_board_regions(cevm_board_region *out, size_t max);

/* An OEMAddressTable row with its label (or, in Compact 7's new-style table, an OEMDeviceTable
 * entry: device 1, mapped at va only, attr its Attributes). */
typedef struct cevm_oem_row {
    uint32_t va, pa, mb;
    char label[48];
    uint32_t bytes;  /* size in bytes */
    uint32_t device; /* 1: an OEMDeviceTable entry */
    uint32_t attr;
    uint32_t alias; /* 1: also mapped uncached at va | 0x20000000 (not in the new style) */
} cevm_oem_row;

/* Copy up to max rows. Return: how many the board has. */
CEVM_API size_t cevm_board_oem_rows(cevm_oem_row *out, size_t max);
/* Read a BSP's OEMAddressTable file as the `oemtable` board keyword reads it (the DCD rows of an
 * oemaddrtab_cfg.inc or the { VA, PA, MB } rows of a C array, up to the row of size 0), without
 * checking the rows against each other. Needs no machine.
 * Return: the number of rows (may exceed max), or -1 with err ("cannot open", "LINE: ...").
 * Errors: a file that cannot be read, a row naming a symbol, a row without three numbers. */
CEVM_API long cevm_oemtable_read(const char *path, cevm_oem_row *out, size_t max, char *err,
                                 size_t errlen);

/* ---- unimplemented devices ------------------------------------------------------------- */

/* A raw access to a range of an OEMAddressTable row that no board region models. Such
 * accesses read 0 and accept writes; each is logged (and printed to stderr unless turned off
 * with cevm_set_unimplemented_log(0) or CEVM_LOG_UNIMPLEMENTED=0; the first 5 accesses of each
 * address are printed, then counts: CEVM_LOG_UNIMPLEMENTED=N|all). x86-64 hosts only. */
typedef struct cevm_unimplemented_access {
    uint64_t pa;      /* physical address touched */
    uint32_t ce;      /* CE address touched */
    int write;        /* 1 for a write */
    uint32_t nbytes;  /* writes: bytes recorded in bytes[] (to the last non-zero, at least 1) */
    uint8_t bytes[8]; /* writes: what the instruction left at the address */
    char device[32];  /* the OEMAddressTable row's label, or the device's name */
    int undeclared;   /* 1: a register a device model does not declare (offset, width valid) */
    uint32_t offset;  /* undeclared: offset from the device's base */
    unsigned width;   /* undeclared: bytes (0 if unknown) */
    char context[96]; /* the driver call it happened in ("LED_Init of driver 'led'"), or "" */
    int misfit;       /* 1: it overlaps declared register reg without fitting it (misaligned or
                       * wider than the register): it was not performed (reads gave 0) */
    char reg[32];     /* misfit: that register's name, offset and width in bytes */
    uint32_t reg_offset;
    unsigned reg_width;
} cevm_unimplemented_access;

/*
 * Copy the most recent accesses (up to max, at most 64 are kept), oldest first, into out.
 * Return: the number of accesses since boot.
 */
CEVM_API uint64_t cevm_unimplemented_accesses(cevm_unimplemented_access *out, size_t max);

/* ---- cache maintenance the CE code asked for ------------------------------------------- */

#define CEVM_CACHE_SYNC        1 /* CacheSync(flags) */
#define CEVM_CACHE_RANGE_FLUSH 2 /* CacheRangeFlush(addr, len, flags) */

typedef struct cevm_cache_op {
    uint32_t kind;  /* CEVM_CACHE_* */
    uint32_t addr;  /* CE address (0 for CacheSync, or CacheRangeFlush(NULL, 0) = all memory) */
    uint32_t len;   /* bytes */
    uint32_t flags; /* CACHE_SYNC_* as the code passed them */
} cevm_cache_op;

/* The latest CacheSync/CacheRangeFlush calls (up to 256 kept), oldest first, into out (max
 * entries). Return: how many calls were made since boot or the last clear. */
CEVM_API uint64_t cevm_cache_log(cevm_cache_op *out, size_t max);
CEVM_API void cevm_cache_log_clear(void);

/* ---- power: what the host raises, what CE code asked for ------------------------------- */

/* Send a POWER_BROADCAST (message PBT_*, flags POWER_STATE_*, the state's name) to every queue
 * registered with RequestPowerNotifications for that message. Return: queues written. */
CEVM_API int cevm_power_broadcast(uint32_t message, uint32_t flags, const char *state);

typedef struct cevm_power_request {
    char device[64]; /* the device name CE code passed ("LED1:") */
    int state;       /* D0..D4 */
    uint32_t flags;  /* POWER_NAME, POWER_FORCE ... */
    int set;         /* 1: SetDevicePower; 0: DevicePowerNotify */
} cevm_power_request;

/* The latest DevicePowerNotify/SetDevicePower calls (up to 64 kept), oldest first. Return: how
 * many were made since the program started. */
CEVM_API uint64_t cevm_power_requests(cevm_power_request *out, size_t max);

/* Print each access to stderr (1, the default) or not (0). */
CEVM_API void cevm_set_unimplemented_log(int to_stderr);

/* ---- device models ------------------------------------------------------------------- */

/*
 * Every `regfile` device of the board is a device model: the registers its board lines declare
 * (access rw/ro/wo/w1c/rc, reset value, self-clearing bits, pins), optionally a C model. Raw
 * pointers (struct overlays, MmMapIoSpace results) see the register file's memory; the register
 * accessors (READ/WRITE_REGISTER_*, PORT forms, their _BUFFER_ forms) reach the model with one
 * access of exact width each. Raw writes reach the model at the next sync: any accessor call on
 * the device, any cevm_device_* call naming it, or cevm_device_sync. docs/devices.md states the
 * guarantee exactly. Devices exist while the machine is booted; every call below boots the
 * default machine if none is booted.
 */

/* A C model. Each callback gets the offset from the device's base and the width in bytes
 * (1, 2 or 4). Return 1 when the model handled the access (reads set *value), 0 to let the
 * declared registers answer. Callbacks run under the device lock and may call cevm_device_*;
 * they must not call CE memory functions. */
typedef struct cevm_device_ops {
    int (*read)(void *ctx, uint32_t offset, unsigned width, uint32_t *value);
    int (*write)(void *ctx, uint32_t offset, unsigned width, uint32_t value);
} cevm_device_ops;

/* One logged access (cevm_device_log). */
typedef struct cevm_device_access {
    char device[32];
    uint32_t offset;
    unsigned width; /* bytes */
    int write;
    uint32_t value; /* the value read or written */
    int raw;        /* 1: a raw-pointer access (decoded on a trapped device; on a plain one, a write
                     * noticed by a sync); 0: an accessor call */
    char context[96]; /* the driver call it happened in ("LED_IOControl of driver 'LED1:'"), or
                       * "" */
} cevm_device_access;

/* Attach a C model to a device (ops NULL detaches; ops is copied).
 * Return: CEVM_OK; CEVM_E_NOTFOUND (no such register file); CEVM_E_STATE (the device already
 * has a model: detach first). */
CEVM_API cevm_status cevm_device_attach(const char *device, const cevm_device_ops *ops, void *ctx);

/* Bring the model up to date with raw-pointer writes (device NULL: every device).
 * Return: CEVM_OK or CEVM_E_NOTFOUND. */
CEVM_API cevm_status cevm_device_sync(const char *device);

/* A register's current value as the device holds it, without side effects (a read-to-clear
 * register is not cleared; a write-only register gives the last value written).
 * Return: CEVM_OK; CEVM_E_NOTFOUND (no such device or register); CEVM_E_INVAL (NULL). */
CEVM_API cevm_status cevm_device_get(const char *device, const char *reg, uint32_t *value);

/* Set a register's value as hardware would (status bits, received data), ignoring its access
 * kind; bits fed by input pins keep the pins' levels. Return: as cevm_device_get. */
CEVM_API cevm_status cevm_device_set(const char *device, const char *reg, uint32_t value);

/* An output pin's level (its register bit), or drive an input pin (0 or 1) into its bit.
 * Return: CEVM_OK; CEVM_E_NOTFOUND; CEVM_E_INVAL (NULL, a level other than 0/1, or the wrong
 * direction: reading an input with cevm_pin_get is allowed, driving an output is not). */
CEVM_API cevm_status cevm_pin_get(const char *device, const char *pin, int *level);
CEVM_API cevm_status cevm_pin_set(const char *device, const char *pin, int level);

/* A pin of the board (cevm_pins). */
typedef struct cevm_pin_info {
    char device[32], name[32];
    int input; /* 1: driven by tests; 0: an output */
    int level; /* its register bit now */
} cevm_pin_info;

/* Copy up to max pins of every device, in board order. Return: the number of pins. */
CEVM_API size_t cevm_pins(cevm_pin_info *out, size_t max);

/* Switch a device's access log on (1) or off (0). Return: CEVM_OK or CEVM_E_NOTFOUND. */
CEVM_API cevm_status cevm_device_log(const char *device, int on);

/* Copy the device's most recent logged accesses (at most 256 are kept), oldest first.
 * Return: the number logged since the log was switched on (0 for an unknown device). */
CEVM_API uint64_t cevm_device_log_read(const char *device, cevm_device_access *out, size_t max);

/* Bytes a UART channel (0-3) transmitted: up to max are moved into buf.
 * Return: the number copied (0 when none, or for a device without the uart model). */
CEVM_API size_t cevm_uart_take(const char *device, unsigned channel, void *buf, size_t max);

/* Queue bytes for the UART channel to receive. Return: CEVM_OK; CEVM_E_NOTFOUND (no uart model
 * on that device); CEVM_E_INVAL (channel > 3, NULL); CEVM_E_NOMEM. */
CEVM_API cevm_status cevm_uart_give(const char *device, unsigned channel, const void *bytes,
                                    size_t n);

/* A line error on a UART channel: bits (1 overrun, 2 parity, 4 frame, 8 break) are set in
 * UERSTAT (cleared when read) and, with UCON bit 6 set, raise the ERROR interrupt source.
 * Return: CEVM_OK; CEVM_E_INVAL (no bits or others, channel > 3); CEVM_E_NOTFOUND (no uart
 * model on that device). */
CEVM_API cevm_status cevm_uart_error(const char *device, unsigned channel, uint32_t bits);
/* Drive a UART channel's CTS input (0 or 1): UMSTAT bit 0 follows; a change sets UMSTAT bit 2
 * (until UMSTAT is read) and raises the MODEM interrupt source. Return: as cevm_uart_error. */
CEVM_API cevm_status cevm_uart_cts(const char *device, unsigned channel, int level);

/* ---- time and interrupts (docs/devices.md) ---------------------------------------------- */

/* The machine clock: nanoseconds since boot (the time behind GetTickCount, Sleep, wait timeouts
 * and the timer models). Boots the default machine if none is booted. */
CEVM_API uint64_t cevm_clock_now_ns(void);
/* Is the clock virtual (`clock virtual` in the board, or CEVM_CLOCK=virtual)? */
CEVM_API int cevm_clock_virtual(void);
/* Advance the virtual clock by ns nanoseconds: timers fire and waits time out in order, and after
 * each event the CE threads run until every one is blocked again. Return: CEVM_OK, or
 * CEVM_E_STATE on the real-time clock. */
CEVM_API cevm_status cevm_clock_advance_ns(uint64_t ns);
CEVM_API cevm_status cevm_clock_advance_ms(uint32_t ms);

/* Drive IRQ irq (0-127) from a C model: level 1 asserts it, 0 releases it. Return: CEVM_OK;
 * CEVM_E_INVAL (irq or level out of range); CEVM_E_STATE (a board `irq` line drives it). */
CEVM_API cevm_status cevm_irq_set(uint32_t irq, int level);

/* An IRQ that is wired or mapped (cevm_irqs). */
typedef struct cevm_irq_info {
    uint32_t irq;
    char name[32], device[32]; /* the board's names ("" for a line a C model drives) */
    int level;                 /* asserted now */
    uint32_t sysintr;          /* its SYSINTR (0: none) */
    int enabled;               /* InterruptInitialize bound an event */
    int masked;                /* fired and waiting for InterruptDone, or InterruptMask */
    uint64_t delivered, done;  /* interrupts delivered, InterruptDone calls */
} cevm_irq_info;

/* Up to max IRQs into out (NULL to count). Return: the number there are. */
CEVM_API size_t cevm_irqs(cevm_irq_info *out, size_t max);

enum {
    CEVM_INTERRUPT_DELIVERED = 1,
    CEVM_INTERRUPT_DONE,
    CEVM_INTERRUPT_INITIALIZE,
    CEVM_INTERRUPT_DISABLE,
    CEVM_INTERRUPT_MASK,
    CEVM_INTERRUPT_UNMASK
};

/* One interrupt event (cevm_interrupt_log). */
typedef struct cevm_interrupt_event {
    uint64_t time_ns; /* machine clock */
    int kind;         /* CEVM_INTERRUPT_* */
    uint32_t sysintr, irq;
} cevm_interrupt_event;

/* Copy the most recent interrupt events (256 are kept), oldest first. Return: the number since
 * boot. */
CEVM_API uint64_t cevm_interrupt_log(cevm_interrupt_event *out, size_t max);

/* Read or write RAM by physical address, as a bus master (a DMA engine of a C model) does.
 * Return: CEVM_OK; CEVM_E_INVAL (NULL buffer); CEVM_E_NOTFOUND (some byte is not board RAM). */
CEVM_API cevm_status cevm_phys_read(uint64_t pa, void *buf, size_t len);
CEVM_API cevm_status cevm_phys_write(uint64_t pa, const void *buf, size_t len);

/* ---- driver host ---------------------------------------------------------------------- */

/*
 * Run a CE stream driver (a shared library built with cevm-ce) the way the device manager does:
 * load it from its registry key, call XXX_Init with a Drivers\Active\NN key whose Key value names
 * the driver's key, then the test's Open/IOControl/Read/Write/Seek/Close calls, and XXX_Deinit at
 * unload with a report of what the driver left behind. Every entry point runs on the caller's
 * thread inside a CE exception frame: a fault becomes CEVM_E_DRIVER with a message naming the
 * driver, the call, the address and the cause; accesses to unimplemented devices or undeclared
 * registers are reported with the call they happened in. GetLastError after a call returns
 * what the driver set. Drivers that keep pointers in DWORDs need the identity window.
 */
typedef struct cevm_driver cevm_driver;

/* What a driver left behind at unload. */
typedef struct cevm_driver_report {
    uint32_t regions;     /* reservations made since load and not released */
    uint32_t heap_blocks; /* LocalAlloc blocks allocated since load and not freed */
    uint32_t threads;     /* threads the driver created that are still running (the library
                           * then stays loaded: their code must stay mapped) */
    char text[2048];      /* one line per problem (empty when the driver cleaned up) */
} cevm_driver_report;

/*
 * Load a driver and call its Init. key: the driver's registry key below HKEY_LOCAL_MACHINE
 * ("Drivers\\BuiltIn\\LED") with Prefix (3 letters), optional Index and Dll. library: the shared
 * library to load, or NULL for the key's Dll value.
 * Return: CEVM_OK with *out; CEVM_E_NOTFOUND (no key, library not loadable); CEVM_E_INVAL
 * (no Prefix, no Dll); CEVM_E_UNSUPPORTED (no XXX_Init or XXX_Deinit); CEVM_E_DRIVER (Init
 * returned 0 or faulted); CEVM_E_NOMEM. err names the cause in each case.
 */
CEVM_API cevm_status cevm_driver_load(const char *library, const char *key, cevm_driver **out,
                                      char *err, size_t errlen);
/* The device name ("LED1:") and the Active key ("Drivers\\Active\\01"). */
CEVM_API const char *cevm_driver_name(const cevm_driver *d);
CEVM_API const char *cevm_driver_active_key(const cevm_driver *d);

/*
 * The stream entry points. Each returns CEVM_OK when the call ran (its CE result in *result,
 * *handle, *returned), CEVM_E_DRIVER if it faulted (or Open returned 0), CEVM_E_UNSUPPORTED if
 * the driver lacks that entry point, CEVM_E_STATE after an earlier fault. Buffers are copied
 * into CE memory for the call and back.
 */
CEVM_API cevm_status cevm_driver_open(cevm_driver *d, uint32_t access, uint32_t share,
                                      uint32_t *handle, char *err, size_t errlen);
CEVM_API cevm_status cevm_driver_ioctl(cevm_driver *d, uint32_t handle, uint32_t code,
                                       const void *in, uint32_t in_len, void *out, uint32_t out_len,
                                       uint32_t *returned, int *result, char *err, size_t errlen);
CEVM_API cevm_status cevm_driver_read(cevm_driver *d, uint32_t handle, void *buf, uint32_t len,
                                      uint32_t *result, char *err, size_t errlen);
CEVM_API cevm_status cevm_driver_write(cevm_driver *d, uint32_t handle, const void *buf,
                                       uint32_t len, uint32_t *result, char *err, size_t errlen);
CEVM_API cevm_status cevm_driver_seek(cevm_driver *d, uint32_t handle, int32_t amount,
                                      uint16_t type, uint32_t *result, char *err, size_t errlen);
CEVM_API cevm_status cevm_driver_close(cevm_driver *d, uint32_t handle, int *result, char *err,
                                       size_t errlen);

/*
 * The watchdog: every entry point must return within ms milliseconds (default 5000, or
 * $CEVM_WATCHDOG seconds; 0 turns it off; it is off under a debugger). A call that does not is
 * reported on stderr — the call, what its thread is blocked on (a critical section, an object
 * wait, Sleep, or running), its call chain — and the process ends with exit status 124.
 */
CEVM_API void cevm_driver_set_watchdog(uint32_t ms);

/* Call XXX_Deinit (unless the driver faulted), remove its Active key, unload the library and
 * report leftovers. d is freed in every case. Return: CEVM_OK, or CEVM_E_DRIVER (Deinit
 * faulted, or an earlier fault). */
CEVM_API cevm_status cevm_driver_unload(cevm_driver *d, cevm_driver_report *report, char *err,
                                        size_t errlen);

/*
 * The calling process. On CE 6+ (no slots) the application's memory is the user space the
 * window shows, `at` is an address there (below 32 MB) and *addr is the pointer the driver gets.
 * On CE 5: a driver under the driver host is called from an application
 * process of its own (board line `caller`, default app.exe, index 5, slot 6 at 0x0C000000): the
 * buffers given to cevm_driver_ioctl/read/write are copied into the caller's memory and reach the
 * driver as mapped (slot) addresses, as CE 5's kernel maps a call's top-level pointers. A pointer
 * stored inside a buffer is the application's own (slot-0) pointer: memory for it comes from
 * cevm_caller_alloc, and the driver must map it with MapCallerPtr or MapPtrToProcess(p,
 * GetCallerProcess()); read unmapped, it names the driver's own process, as on CE (a fault there
 * is reported with that likely cause).
 */
/* Allocate size bytes, committed and zeroed, in the caller process at slot-relative address at
 * (0: first fit from 0x10000; else 0x10000..0x01FFFFFF, its 64 KB blocks free). *addr gets the
 * application's pointer (slot-0 form), *host (optional) a host pointer to fill or read it.
 * Return: CEVM_OK, CEVM_E_INVAL (addr NULL, size 0, at outside the slot or in use), CEVM_E_NOMEM,
 * CEVM_E_STATE (no machine can boot). */
CEVM_API cevm_status cevm_caller_alloc(uint32_t at, uint32_t size, uint32_t *addr, void **host);
/* Release memory from cevm_caller_alloc (addr as returned). Return: CEVM_OK, or CEVM_E_INVAL. */
CEVM_API cevm_status cevm_caller_free(uint32_t addr);
/* The calling application's process id: what GetCallerVMProcessId() answers during a driver
 * host call, and the handle the CE 6 Ex calls take for its memory (VirtualAllocEx(...)). */
CEVM_API uint32_t cevm_caller_process(void);

/* CE 6+ processes. Each has a private user space (0..2 GB); the host shows the current one's,
 * and the driver host's calls come from it (GetCallerVMProcessId, the user space the driver
 * receives buffers in). The calling application is the first (cevm_caller_process() while it
 * is current). cevm_process_create makes another, empty one: *id its process id, which the Ex
 * calls (VirtualAllocEx ...) and Read/WriteProcessMemory take. cevm_process_switch makes it
 * current: its pages reach the host and the previous process's leave (their data is kept), as
 * a CE 6 kernel switches the user space on a call from another process; a driver that kept a
 * raw pointer from a call of one process then reaches the other's memory at that address.
 * Return: CEVM_OK; CEVM_E_UNSUPPORTED on ce5 (processes are the board's slots); CEVM_E_INVAL
 * (no name or id, unknown id); CEVM_E_NOMEM (16 processes at most); CEVM_E_HOST. */
CEVM_API cevm_status cevm_process_create(const char *name, uint32_t *id);
CEVM_API cevm_status cevm_process_switch(uint32_t id);

/* ---- the device manager (CE's device.exe: driver/devmgr.c) ------------------------------ */

/* What booting a board's driver set did: one line per device key, in load order. */
typedef struct cevm_boot_report {
    unsigned loaded, failed, skipped; /* skipped: Flags DEVFLAGS_NOLOAD */
    char text[8192];
} cevm_boot_report;

/* Load every key under HKEY_LOCAL_MACHINE\Drivers\BuiltIn (or the key Drivers\RootKey names) in
 * Order, as device.exe does at boot
 * (a key without Order after the ordered ones; a key whose Dll is BusEnum.dll loads its own
 * sub-keys in their Order), each through ActivateDeviceEx: its Drivers\Active\NN key, XXX_Init,
 * its name (COM1:, \$device\COM1) for CreateFile. A key that fails (no Dll, a library that does
 * not load, a name taken, an Init that fails or faults) is reported and the rest still load.
 * The devices are deactivated, the last first, by cevm_shutdown.
 * Return: CEVM_OK (failures are in the report), CEVM_E_INVAL (report NULL), or the boot
 * failure. */
CEVM_API cevm_status cevm_devices_boot(cevm_boot_report *report);

/* An active device. */
typedef struct cevm_device_info {
    char name[8];     /* "COM1:" */
    char key[256];    /* its device key ("Drivers\BuiltIn\Serial") */
    char active[32];  /* its Active key ("Drivers\Active\01") */
    uint32_t handle;  /* the device handle (Hnd) */
    uint32_t order;   /* its Order, 0xFFFFFFFF without one */
    int open_handles; /* CreateFile handles open on it */
    int power_state;  /* 0-4 (D0-D4) for a power-managed device, -1 for others */
} cevm_device_info;
/* The active devices in activation order, up to max. Return: how many there are. */
CEVM_API size_t cevm_devices(cevm_device_info *out, size_t max);

/* ---- tracing ---------------------------------------------------------------------------- */

/* Trace every CE memory, CEDDK mapping and device call of the process, one line each
 * ("trace: VirtualAlloc(lpAddress NULL, dwSize 0x1000, ...) = 0x00010000, GetLastError ...,
 * 2.0 us in LED_Init of driver 'LED1:'"), as $CEVM_TRACE does at start: target "1" or "stderr"
 * for stderr, another string a file to append to, NULL or "0" to stop.
 * Return: 0, or -1 when the file cannot be opened (tracing is left as it was). */
CEVM_API int cevm_trace_open(const char *target);

/* ---- names ----------------------------------------------------------------------------- */

/* Return: the symbolic name of a CE error code ("ERROR_INVALID_PARAMETER"), or "ERROR_?" */
CEVM_API const char *cevm_ce_error_name(uint32_t err);

/* ---- host accounting (tests, benchmarks) ------------------------------------------------ */

/* Return: the number of host system calls cevm has made on VM state since boot (mmap,
 * munmap, mprotect, memfd_create, ftruncate, fallocate). Reserve and release of uncommitted
 * memory make none. */
CEVM_API uint64_t cevm_host_calls(void);

/*
 * Fault injection for tests: make the n-th fault point from now (1 = the next one) fail, once:
 * a memory system call (mmap, munmap, mprotect, memfd_create, ftruncate) fails with ENOMEM, an
 * allocation (malloc, calloc, realloc) returns NULL. 0 disarms. CE calls must then fail with
 * their documented error and leave state exactly as before.
 */
CEVM_API void cevm_fail_host_call(uint64_t n);

/* Return: the fault points passed since the process started (system calls and allocations). */
CEVM_API uint64_t cevm_fault_points(void);

/* RAM frame accounting. Return: CEVM_OK or a boot failure status. */
CEVM_API cevm_status cevm_ram_pages(uint32_t *total, uint32_t *free_pages);

/*
 * Walk the page tables and the frame table and check that they agree: every RAM frame's
 * reference count equals the number of page-table entries holding it, the free counter equals
 * the frames at zero, every reservation block is consistent; and that the host window matches
 * the page tables page by page (present, protection, backing and offset). A few milliseconds.
 * Return: CEVM_OK, or CEVM_E_STATE with err naming the first broken invariant.
 */
CEVM_API cevm_status cevm_check_invariants(char *err, size_t errlen);

/* Reference count of the RAM frame at physical address pa.
 * Return: the count, or -1 if pa is not managed RAM. */
CEVM_API int cevm_frame_refcount(uint64_t pa);

#ifdef __cplusplus
}
#endif
#endif /* CEVM_CEVM_H */
