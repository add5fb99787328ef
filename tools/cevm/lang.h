/*
 * lang.h — the cevm command language, shared by `cevm shell`, `cevm run` and `cevm map`.
 *
 * A line is a statement: `[$var =] COMMAND ARG...`, `$var = EXPR`, `expect ...`, or a comment
 * (`#`). Arguments are expressions without spaces: numbers (decimal, 0x hex), $variables and
 * CE constant names (MEM_RESERVE, PAGE_NOCACHE, ERROR_INVALID_PARAMETER, NULL, TRUE, ...),
 * joined by | & + - << >> and evaluated left to right. Addresses are CE addresses, so a script
 * prints the same in the identity and the offset window.
 */
#ifndef CEVM_TOOL_LANG_H
#define CEVM_TOOL_LANG_H

#include <stdint.h>
#include <stdio.h>

#define LANG_MAX_VARS 128
#define LANG_MAX_ARGS 8

struct lang_var {
    char name[32];
    uint64_t value;
};

struct session {
    const char *source; /* "stdin", a file name */
    int line;
    int echo;            /* print "> line" before each statement (cevm run) */
    int trace;           /* log each CE call with arguments, result, error and duration */
    int script_errors;   /* malformed lines */
    int failed_expects;  /* expectations that did not hold */
    int have_result;     /* a CE call has run */
    uint64_t result;     /* its result (CE address, BOOL, count) */
    uint32_t error;      /* GetLastError after it */
    const char *assign;  /* the variable the current statement assigns to, or NULL */
    const char *command; /* the current command's name */
    uint64_t irq_seen;   /* interrupt events already traced (cevm_interrupt_log) */
    struct lang_var vars[LANG_MAX_VARS];
    int nvars;
};

/* Run one line. Return: 0, or -1 if the line was malformed (already reported). */
int lang_line(struct session *s, const char *line);

/* Report a problem with the current line: "SOURCE:LINE: message" on stderr. */
void lang_error(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Evaluate one argument. Return: 0 and *out, or -1 (reported). */
int lang_eval(struct session *s, const char *text, uint64_t *out);
/* Evaluate an expression written over n words ($p + 0x1000). Return: as lang_eval. */
int lang_eval_words(struct session *s, int n, char **words, uint64_t *out);
/* Fit v in a DWORD: values up to 0xFFFFFFFF, and negative values down to -0x80000000 (two's
 * complement). Return: 0 and *out, or -1 if v is wider. */
int lang_dword(uint64_t v, uint32_t *out);
/* A value as the shell prints it: 0x1010, or 0xFFFFFFFF (-1) for a negative DWORD. */
const char *lang_value_text(uint64_t v, char *buf, size_t len);

/* Set or read a variable ($ omitted). */
void lang_set(struct session *s, const char *name, uint64_t value);

/* Names of CE constants, for printing: "PAGE_READWRITE|PAGE_NOCACHE" etc. */
const char *lang_protect_name(uint32_t prot, char *buf, size_t len);
const char *lang_state_name(uint32_t state);

/* ---- commands (commands.c, views.c) ---- */

typedef int (*lang_cmd_fn)(struct session *s, int argc, uint64_t *argv, char **raw);

struct lang_cmd {
    const char *name;
    int min_args, max_args;
    const char *usage; /* "ADDR SIZE TYPE PROTECT" */
    const char *help;
    lang_cmd_fn fn;
    int raw;        /* arguments are not evaluated (echo, mi full, help) */
    int wide_first; /* the first argument is a physical address (up to 40 bits), not a DWORD */
};

const struct lang_cmd *lang_find_cmd(const char *name);
void lang_print_help(FILE *out, const char *name);
/* The CE signature and the errors of a command that is a CE call (callhelp.c); nothing for
 * other commands. */
void lang_print_call_help(FILE *out, const char *name);

/* Completion candidates, the i-th of each list (i from 0), NULL past the end: command names
 * (with `quit`, `exit`, `expect`), CE constant and error names, and the session's variables
 * (with their `$`). */
const char *lang_cmd_name(size_t i);
const char *lang_const_name(size_t i);
const char *lang_var_name(const struct session *s, size_t i, char *buf, size_t len);

/* Decode TEXT's escapes (\n \r \t \\ \xNN) into buf. Return: its length, or -1 if malformed
 * or longer than cap. */
int lang_unescape(const char *s, unsigned char *buf, size_t cap);

/* The device manager's commands (devcmds.c). */
int c_boot(struct session *s, int argc, uint64_t *a, char **raw);
int c_drivers(struct session *s, int argc, uint64_t *a, char **raw);
int c_open(struct session *s, int argc, uint64_t *a, char **raw);
int c_read(struct session *s, int argc, uint64_t *a, char **raw);
int c_write(struct session *s, int argc, uint64_t *a, char **raw);
int c_seek(struct session *s, int argc, uint64_t *a, char **raw);
int c_ioctl(struct session *s, int argc, uint64_t *a, char **raw);
int c_power(struct session *s, int argc, uint64_t *a, char **raw);

/* import.c: `cevm board import BSPDIR [BOARD]`; check(board) validates what it wrote.
 * Return: an exit status. */
int board_import(int argc, char **argv, int (*check)(const char *board));
int c_close(struct session *s, int argc, uint64_t *a, char **raw);

/* Views (views.c). */
int view_mi(struct session *s, int full);
int view_oem(struct session *s);
int view_pte(struct session *s, uint32_t addr, uint32_t size);
int view_who(struct session *s, uint64_t pa);
int view_frames(struct session *s);
int view_devices(struct session *s);
/* The interrupt lines: level, SYSINTR, enabled/masked, interrupts delivered and done. */
int view_irqs(void);
/* Print the interrupt events logged since *seen ("trace: interrupt ..." lines on stderr) and
 * move *seen on. */
void trace_interrupts(uint64_t *seen);
#define WAIT_IRQ_MAX_MS 10000 /* the longest waitirq */

/* Advance the clock 1 ms at a time (real time: sleep) until IRQ irq's line is asserted or an
 * interrupt of it is delivered, at most limit_ms. Return: 0 (*waited ms, name set), or -1. */
int wait_irq(uint32_t irq, uint64_t limit_ms, uint64_t *waited, char *name, size_t cap);

/* Print one CE call's outcome: "NAME = VALUE  GetLastError = ERROR_X (n)". */
void lang_report(struct session *s, const char *assign, const char *value);

#endif
