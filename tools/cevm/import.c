/*
 * import.c — `cevm board import BSPDIR [BOARD]`: a board file made from a BSP folder's own files.
 *
 * It looks through BSPDIR for the OEMAddressTable file (a name containing "addrtab", .inc
 * preferred over .c/.h) and platform.reg, reads the table as the `oemtable` keyword will, and
 * writes BOARD (default BSPDIR/cevm.board) with `oemtable` and `registry` lines naming those
 * files where they are, and the first row's physical range as RAM (an OEMAddressTable starts
 * with the DRAM). Every other row is named as unimplemented until the board declares its devices
 * (`device`, `register` lines: docs/boards.md). The board is then checked as `cevm board check`
 * checks it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>

#include <cevm/cevm.h>

#include "lang.h"

/* What the walk found: the best table and registry files, and how many of each. */
static char g_table[PATH_MAX], g_reg[PATH_MAX];
static int g_ntables, g_nregs, g_table_rank;

/* A table file's rank: 2 an .inc, 1 a .c or .h, 0 not a table. */
static int table_rank(const char *base)
{
    char low[256];
    size_t n = 0;
    for (; base[n] && n + 1 < sizeof low; n++)
        low[n] = (char)tolower((unsigned char)base[n]);
    low[n] = '\0';
    if (!strstr(low, "addrtab"))
        return 0;
    const char *dot = strrchr(low, '.');
    if (!dot)
        return 0;
    return !strcmp(dot, ".inc") ? 2 : (!strcmp(dot, ".c") || !strcmp(dot, ".h")) ? 1 : 0;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    if (type != FTW_F)
        return 0;
    const char *base = path + ftw->base;
    int rank = table_rank(base);
    /* Shorter paths win among equals: the BSP's own table, not a copy deep in a sample. */
    if (rank && (rank > g_table_rank || (rank == g_table_rank && strlen(path) < strlen(g_table)))) {
        snprintf(g_table, sizeof g_table, "%s", path);
        g_table_rank = rank;
    }
    g_ntables += rank != 0;
    if (!strcasecmp(base, "platform.reg")) {
        if (!g_reg[0] || strlen(path) < strlen(g_reg))
            snprintf(g_reg, sizeof g_reg, "%s", path);
        g_nregs++;
    }
    return 0;
}

/* path relative to dir (dir is a prefix of path). */
static const char *relative(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (!strncmp(path, dir, n) && path[n] == '/')
        return path + n + 1;
    return path;
}

int board_import(int argc, char **argv, int (*check)(const char *board))
{
    if (argc < 1 || argc > 2) {
        fprintf(stderr, "usage: cevm board import BSPDIR [BOARD]\n");
        return EX_USAGE;
    }
    char dir[PATH_MAX], board[PATH_MAX + 64];
    if (!realpath(argv[0], dir)) {
        fprintf(stderr, "cevm board import: %s: no such folder\n", argv[0]);
        return EX_NOINPUT;
    }
    struct stat st;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "cevm board import: %s is not a folder\n", argv[0]);
        return EX_NOINPUT;
    }
    if (snprintf(board, sizeof board, "%s/cevm.board", dir) >= (int)sizeof board)
        return EX_USAGE;
    if (argc == 2) {
        /* The board lives in the BSP folder: its paths may not leave the board's folder. */
        char parent[PATH_MAX], *slash;
        snprintf(parent, sizeof parent, "%s", argv[1]);
        slash = strrchr(parent, '/');
        const char *name = slash ? slash + 1 : argv[1];
        if (slash)
            *slash = '\0';
        char real_parent[PATH_MAX];
        if (!realpath(slash ? (parent[0] ? parent : "/") : ".", real_parent) ||
            strncmp(real_parent, dir, strlen(dir)) ||
            (real_parent[strlen(dir)] && real_parent[strlen(dir)] != '/')) {
            fprintf(stderr,
                    "cevm board import: %s must be inside %s (a board's paths stay inside its "
                    "folder)\n",
                    argv[1], argv[0]);
            return EX_USAGE;
        }
        if (snprintf(board, sizeof board, "%.*s/%.60s", PATH_MAX - 1, real_parent, name) >=
            (int)sizeof board)
            return EX_USAGE;
    }
    g_table[0] = g_reg[0] = '\0';
    g_ntables = g_nregs = g_table_rank = 0;
    if (nftw(dir, visit, 16, FTW_PHYS) != 0) {
        fprintf(stderr, "cevm board import: cannot read %s\n", argv[0]);
        return EX_NOINPUT;
    }
    if (!g_table[0]) {
        fprintf(stderr,
                "cevm board import: no OEMAddressTable file (a name with 'addrtab', .inc or .c) "
                "in %s\n",
                argv[0]);
        return EX_NOINPUT;
    }
    cevm_oem_row rows[64];
    char err[512];
    long n = cevm_oemtable_read(g_table, rows, 64, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "cevm board import: %s\n", err);
        return EX_DATAERR;
    }
    if (n == 0 || n > 64) {
        fprintf(stderr, "cevm board import: %s: %ld rows (1 to 64 are read)\n", g_table, n);
        return EX_DATAERR;
    }
    /* An x86 (CEPC) table stores sizes in bytes, multiples of 4 MB; an ARM one in MB (at most
     * 512). A size that can only be bytes makes the board `cpu x86`. */
    int x86 = 0;
    for (long i = 0; i < n; i++)
        if (rows[i].mb > 512 && rows[i].mb % 0x400000u == 0)
            x86 = 1;
    if (x86)
        for (long i = 0; i < n; i++)
            rows[i].mb /= 0x100000u;
    /* The board folder is the place its relative paths start from. */
    char board_dir[sizeof board];
    snprintf(board_dir, sizeof board_dir, "%s", board);
    *strrchr(board_dir, '/') = '\0';
    FILE *f = fopen(board, "wx");
    if (!f) {
        fprintf(stderr, "cevm board import: cannot create %s (it may exist already)\n", board);
        return EX_CANTCREAT;
    }
    const char *base = strrchr(dir, '/');
    fprintf(f,
            "# Made by `cevm board import` from %s: the BSP's own files, read as they are.\n"
            "# Declare the devices your drivers use (`device`, `register`, `model`:\n"
            "# docs/boards.md); until then their rows are unimplemented (reads 0, writes logged).\n"
            "board    %s\n"
            "profile  ce5      # ce6 or ce7 for a CE 6.0 or Compact 7 BSP\n"
            "%s"
            "oemtable %s\n"
            "ram      RAM      0x%08X  %uM   # row 1: an OEMAddressTable starts with the DRAM\n",
            dir, base ? base + 1 : dir,
            x86 ? "cpu      x86      # the table's sizes are bytes (a CEPC-style table)\n" : "",
            relative(g_table, board_dir), rows[0].pa, rows[0].mb);
    if (g_reg[0])
        fprintf(f, "registry %s\n", relative(g_reg, board_dir));
    fclose(f);
    printf("%s written\n", board);
    printf("  OEMAddressTable: %s (%ld rows%s)\n", relative(g_table, dir), n,
           g_ntables > 1 ? "; other table files were passed over" : "");
    printf("  platform.reg:    %s%s\n", g_reg[0] ? relative(g_reg, dir) : "none found",
           g_nregs > 1 ? " (others were passed over)" : "");
    printf("  RAM: 0x%08X, %u MB (row 1: %s)\n", rows[0].pa, rows[0].mb,
           rows[0].label[0] ? rows[0].label : "no comment");
    for (long i = 1; i < n; i++)
        printf("  not mapped yet: row %ld 0x%08X -> 0x%08X %u MB%s%s\n", i + 1, rows[i].va,
               rows[i].pa, rows[i].mb, rows[i].label[0] ? " " : "", rows[i].label);
    printf("\n");
    return check(board);
}
