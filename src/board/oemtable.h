/*
 * oemtable.h — reading a BSP's OEMAddressTable file (oemtable.c): the `DCD` rows of an
 * oemaddrtab_cfg.inc or the `{ VA, PA, MB }` rows of a C array.
 */
#ifndef CEVM_BOARD_OEMTABLE_H
#define CEVM_BOARD_OEMTABLE_H

#include <stddef.h>
#include <stdint.h>

struct oemtable_row {
    int line;        /* its line in the file */
    uint64_t va, pa; /* cached VA and PA as written (the caller checks their ranges) */
    uint64_t mb;     /* size in MB */
    char label[64];  /* the row's comment, or "" */
};

/* Called for each row in file order. Return: 0 to go on, non-zero to stop (the error is the
 * callback's). */
typedef int (*oemtable_row_fn)(const struct oemtable_row *row, void *ctx);

/* Read the rows of text up to the first row of size 0 (Compact 7's marker row 0x87654321 is
 * passed on as a row). err gets "LINE: problem" for a line that looks like a row but is not
 * one (a symbol instead of a number, fewer than three values).
 * Return: the number of rows, or -1 (err set, or the callback stopped). */
int oemtable_parse(const char *text, oemtable_row_fn fn, void *ctx, char *err, size_t errlen);

#endif
