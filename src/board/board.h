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
    int line; /* line in the board file (0 for derived regions) */
};

struct board_oem_row {
    uint32_t va; /* cached kernel VA, 1 MB-aligned, in 0x80000000..0x9FFFFFFF */
    uint32_t pa; /* physical base, 1 MB-aligned */
    uint32_t mb; /* size in MB */
    char label[48];
    int line;
};

#define BOARD_MAX_OEM_ROWS 64 /* g_oalAddressTable holds this many rows plus the zero row */

enum ce_profile_id { PROFILE_CE5 = 5, PROFILE_CE6 = 6, PROFILE_CE7 = 7 };

struct board {
    char name[64];
    char source[256];         /* file name or "built-in" */
#define BOARD_MAX_OEM_ROWS 64 /* g_oalAddressTable holds this many rows plus the zero row */

    enum ce_profile_id profile;
    char cpu[16];
    uint32_t cache_bits; /* ARM C/B bits of a cached page */
    char process_name[32];
    uint32_t process_index; /* 1..31: slot = index + 1 */
    struct board_region *regions;
    size_t nregions;
    struct board_oem_row *oem;
    size_t noem;
};

/*
 * Parse board text. label names the text in messages ("boards/smdk6410").
 * On error, err receives "label:line: problem" and the board is left empty.
 * Return: CEVM_OK, CEVM_E_BOARD (malformed), CEVM_E_NOMEM.
 */
cevm_status board_parse(const char *text, const char *label, struct board *b, char *err,
                        size_t errlen);

/* Read and parse a board file. Return: as board_parse, or CEVM_E_HOST if it cannot be read. */
cevm_status board_load_file(const char *path, struct board *b, char *err, size_t errlen);

/* Add REGION_UNIMPLEMENTED regions for every part of an OEMAddressTable row no region covers.
 * Return: CEVM_OK or CEVM_E_NOMEM. */
cevm_status board_fill_unimplemented(struct board *b);

void board_free(struct board *b);

/* The built-in default board (boards/smdk6410, embedded at build time). */
extern const char cevm_default_board_text[];

#endif
