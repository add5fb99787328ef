/*
 * board.h — a parsed board description: RAM banks, device regions, the OEMAddressTable, the CE
 * profile and the current process. Parsing is pure (no host calls besides reading the file);
 * the physical map and the VM are built from this structure at boot. Format: docs/boards.md.
 */
#ifndef CEVM_BOARD_H
#define CEVM_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "cevm/cevm.h"
#include "registry/regparse.h"

enum board_region_kind {
    REGION_RAM,          /* simulated RAM, managed by the frame allocator (memfd backing) */
    REGION_REGFILE,      /* memory-backed register file (memfd backing) */
    REGION_FILE,         /* a host file at an offset (the /dev/mem path) */
    REGION_UNIMPLEMENTED /* a window range nothing models: accesses are reported */
};

struct board_region {
    char name[32];
    enum board_region_kind kind;
    uint64_t pa;   /* physical base, page-aligned, below 2^40 */
    uint64_t size; /* bytes, a whole number of pages */
    char *path;    /* REGION_FILE: host file */
    uint64_t file_offset;
    int writable;     /* REGION_FILE: the board says `rw` (otherwise the device is read-only) */
    int plain;        /* REGION_REGFILE: `plain`: raw accesses are plain memory, not trapped */
    const char *file; /* the board file it came from (board.files), NULL for derived regions */
    int line;         /* line in that file (0 for derived regions) */
    size_t reg_tail;  /* REGION_REGFILE: index + 1 of its last register in board.regs, 0 none */
};

struct board_oem_row {
    uint32_t va;    /* cached kernel VA, 1 MB-aligned, in 0x80000000..0x9FFFFFFF */
    uint32_t pa;    /* physical base, 1 MB-aligned */
    uint32_t mb;    /* size in MB (an OEMDeviceTable entry: rounded up) */
    uint32_t bytes; /* size in bytes */
    /* Compact 7's new-style table: an OEMDeviceTable entry (`devtable`), page-aligned, mapped
     * at VA only, with its Attributes (0: cached, kernel read-write). */
    uint8_t device;
    uint32_t attr;
    char label[48];
    const char *file; /* the board file it came from (board.files) */
    int line;
};

/* The first OEMAddressTable row's VA that makes a Compact 7 table new-style (CE_NEW_MAPPING_TABLE).
 */
#define OEM_NEW_STYLE_MARKER 0x87654321u
#define BOARD_MAX_OEM_ROWS   64 /* g_oalAddressTable holds this many rows plus the zero row */

/* How a declared register answers accesses (docs/devices.md). */
enum reg_access {
    ACCESS_RW,  /* reads return the last value written */
    ACCESS_RO,  /* writes are ignored */
    ACCESS_WO,  /* reads return 0; the value written is kept for tests */
    ACCESS_W1C, /* writing 1 to a bit clears it; 0 bits leave it alone */
    ACCESS_RC   /* a read returns the value, then the register becomes 0 */
};

struct board_register {
    char device[32], name[32];
    uint32_t offset; /* from the device's base, a multiple of width */
    uint32_t width;  /* bytes: 1, 2 or 4 */
    enum reg_access access;
    uint32_t reset;     /* value at boot */
    uint32_t selfclear; /* bits that clear themselves right after a write sets them */
    uint32_t w1c;       /* rw register: bits that a write of 1 clears (status bits) */
    const char *file;   /* the board file it came from (board.files) */
    int line;
    size_t reg_prev; /* index + 1 of the device's register declared before it, 0 none */
};

struct board_pin {
    char device[32], name[32], reg[32];
    uint32_t bit;
    int input;        /* 1: driven by tests into the bit; 0: an output read from the bit */
    const char *file; /* the board file it came from (board.files) */
    int line;
};

struct board_model {
    char device[32], kind[16]; /* a built-in C model of a register file: uart, pwm, wdt, pl080s,
                                * vic */
    uint32_t base_irq;         /* vic: the IRQ of its source 0 */
    const char *file;          /* the board file it came from (board.files) */
    int line;
};

#define BOARD_MAX_IRQ 128 /* IRQ numbers 0..127 */

/* irq NUMBER NAME DEVICE PENDING-REG MASK [enable=REG:MASK | mask=REG:MASK] [oalmask=REG:MASK]
 * [sysintr=N]: the line is asserted while a pending bit under MASK is set and its gate (the
 * enable bit, or the mask bit clear, at the same position counted from each mask's lowest bit)
 * lets it through. oalmask: bits the OAL sets to mask the source when it fires and clears on
 * InterruptInitialize/InterruptDone. sysintr: a static SYSINTR mapping. */
enum irq_gate { GATE_NONE, GATE_ENABLE, GATE_MASK };

struct board_irq {
    uint32_t number;
    char name[32], device[32];
    char pend_reg[32];
    uint32_t pend_mask;
    enum irq_gate gate;
    char gate_reg[32];
    uint32_t gate_mask;
    char oal_reg[32]; /* "" when none */
    uint32_t oal_mask;
    uint32_t sysintr; /* 0: no static mapping */
    const char *file;
    int line;
};

/* pinirq DEVICE PIN PENDING-REG BIT CONFIG-REG SHIFT: the input pin sets the pending bit on the
 * level or edge the 3-bit trigger code at SHIFT selects (S3C6410 EINT codes: 0 low level,
 * 1 high level, 2-3 falling edge, 4-5 rising edge, 6-7 both edges). */
struct board_pinirq {
    char device[32], pin[32], pend_reg[32], cfg_reg[32];
    uint32_t pend_bit, cfg_shift;
    const char *file;
    int line;
};

enum ce_profile_id { PROFILE_CE5 = 5, PROFILE_CE6 = 6, PROFILE_CE7 = 7 };

struct board {
    char name[64];
    char source[256]; /* file name or "built-in" */

    enum ce_profile_id profile;
    char cpu[16];
    uint32_t cache_bits; /* ARM C/B bits of a cached page */
    char process_name[32];
    uint32_t process_index; /* 1..31: slot = index + 1 */
    char caller_name[32];   /* the application that calls drivers (CE 5: its own slot) */
    uint32_t caller_index;  /* 1..31, not process_index */
    int caller_set;         /* a `caller` line gave it */
    uint32_t dll_base;      /* slot-relative DLL load base (0x02000000: no RAM DLLs) */
    struct board_region *regions;
    size_t nregions;
    struct board_oem_row *oem;
    size_t noem;
    /* Compact 7's new-style table: the first OEMAddressTable row is 0x87654321; rows are mapped
     * cached only, devices come from the OEMDeviceTable (`devtable` rows). */
    int new_style;
    struct board_register *regs;
    size_t nregs;
    struct board_pin *pins;
    size_t npins;
    struct board_model *models;
    size_t nmodels;
    struct board_irq *irqs;
    size_t nirqs;
    struct board_pinirq *pinirqs;
    size_t npinirqs;
    int virtual_clock;        /* `clock virtual` */
    struct reg_list registry; /* platform.reg values loaded into the registry at boot */
    char **files;             /* names of every file read (regions and entries point here) */
    size_t nfiles;
};

/* Options of board_parse / board_load_file. */
#define BOARD_ANY_PATH 1u /* include, registry and file paths may be absolute or use '..' */

/* The BOARD_* flags the environment asks for: BOARD_ANY_PATH when $CEVM_BOARD_ANY_PATH is 1. */
unsigned board_env_flags(void);

/*
 * Parse board text. label names the text in messages ("boards/smdk6410"). A UTF-8 byte-order
 * mark is skipped. Paths in `include`, `registry` and `file` lines are relative to the file
 * that names them and may not be absolute or contain '..' unless flags has BOARD_ANY_PATH.
 * On error, err receives "label:line: problem" and the board is left empty; a file whose first
 * meaningful line is no board line is "not a board file" and no text of it is quoted.
 * Return: CEVM_OK, CEVM_E_BOARD (malformed), CEVM_E_NOMEM, CEVM_E_HOST (a named file cannot
 * be read).
 */
cevm_status board_parse(const char *text, const char *label, unsigned flags, struct board *b,
                        char *err, size_t errlen);

/* Read and parse a board file, as board_parse.
 * Return: as board_parse, or CEVM_E_HOST if it (or a file it names) cannot be read. */
cevm_status board_load_file(const char *path, unsigned flags, struct board *b, char *err,
                            size_t errlen);

/* Add REGION_UNIMPLEMENTED regions for every part of an OEMAddressTable row no region covers.
 * Return: CEVM_OK or CEVM_E_NOMEM. */
cevm_status board_fill_unimplemented(struct board *b);

void board_free(struct board *b);

/* The built-in default board (boards/smdk6410, embedded at build time). */
extern const char cevm_default_board_text[];

#endif
