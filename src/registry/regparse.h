/*
 * regparse.h — the platform.reg text format: keys in brackets, then "Name"=value lines
 * (strings, dword:, multi_sz:, hex: and hex(N):), ';' comments. Parsing is pure: it turns text
 * into a list of (key, name, type, data) entries that the registry loads at boot. Format and
 * rules: docs/boards.md ("Registry").
 */
#ifndef CEVM_REGPARSE_H
#define CEVM_REGPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "cevm/cevm.h"

#define REGPARSE_KEY_MAX  256 /* characters of a key path below HKEY_LOCAL_MACHINE */
#define REGPARSE_NAME_MAX 128 /* characters of a value name */
#define REGPARSE_DATA_MAX 4096

struct reg_entry {
    char key[REGPARSE_KEY_MAX];   /* path below the root key, '\' separated */
    uint8_t root;                 /* the root's HKEY & 3: 0 CLASSES_ROOT, 1 CURRENT_USER,
                                     2 LOCAL_MACHINE, 3 USERS */
    uint8_t deletion;             /* 1: a [-KEY] line: delete the key and its subtree;
                                     2: "Name"=-: delete the value */
    char name[REGPARSE_NAME_MAX]; /* "" for the default value (@) */
    uint32_t type;                /* REG_SZ, REG_DWORD, REG_MULTI_SZ, REG_BINARY, ... */
    uint8_t *data;                /* strings are 16-bit little-endian with their NULs */
    uint32_t size;
    const char *file; /* the label given to the parser (it must outlive the list) */
    int line;
};

struct reg_list {
    struct reg_entry *e;
    size_t n, cap;
};

/* Parser state across lines (the current key, a hex value continued with '\', the IF blocks
 * open). */
#define REGPARSE_MAX_IF 32
struct regparse {
    char key[REGPARSE_KEY_MAX];
    int have_key;
    uint8_t root;  /* the current key's root (as reg_entry.root) */
    char *pending; /* text of a value continued on the next line */
    size_t pending_len;
    int pending_line;
    /* platform.reg conditionals: `IF VAR` (VAR defined), `IF VAR !` (not defined), `ELSE`,
     * `ENDIF`. defined(name, ctx) says whether a build variable is set (NULL: the environment
     * says, a variable being set when it has a non-empty value). */
    int (*defined)(const char *name, void *ctx);
    void *defined_ctx;
    /* `#include "FILE"` ($(VAR) expanded from the environment): include(path, ctx) parses the
     * file into the same list (NULL: #include is refused). Return: CEVM_OK or an error it set. */
    cevm_status (*include)(const char *path, int line, void *ctx);
    void *include_ctx;
    int nif;
    struct {
        int line;
        uint8_t taking, parent_taking, seen_else;
    } ifs[REGPARSE_MAX_IF];
};

/*
 * Feed one line (without its newline). label and line name it in errors and in the entries
 * (label must outlive the list).
 * Return: CEVM_OK (the line was a key, a value, a comment or blank); CEVM_E_BOARD with err set to
 * "label:line: problem" (nothing added); CEVM_E_NOMEM.
 */
cevm_status regparse_line(struct regparse *rp, const char *text, const char *label, int line,
                          struct reg_list *out, char *err, size_t errlen);

/* Whether regparse_line must see this line although it is no registry line: an IF, ELSE or
 * ENDIF, a line inside a block the build leaves out, or the rest of a continued value.
 * Return: 1 or 0. */
int regparse_claims(const struct regparse *rp, const char *text);

/* End of input: a value still continued with '\' or an IF without its ENDIF is an error. Frees
 * the parser's state.
 * Return: CEVM_OK or CEVM_E_BOARD. */
cevm_status regparse_end(struct regparse *rp, const char *label, char *err, size_t errlen);

/* Parse a whole text (one regparse_line per line; a UTF-8 byte-order mark is skipped). If
 * the first meaningful line fails, the message says the text is no platform.reg file and
 * quotes none of it. Return: as regparse_line. */
cevm_status regparse_text(const char *text, const char *label, struct reg_list *out, char *err,
                          size_t errlen);
/* regparse_text with an #include handler (see struct regparse). */
cevm_status regparse_text_inc(const char *text, const char *label, struct reg_list *out, char *err,
                              size_t errlen,
                              cevm_status (*include)(const char *path, int line, void *ctx),
                              void *ctx);

void reg_list_free(struct reg_list *l);

/* How many times the parser has read the environment (IF VAR, $(VAR) in #include) in this
 * process: text whose parse leaves it unchanged does not depend on the environment. */
unsigned long regparse_env_reads(void);

/* Convert UTF-8 text (key paths, value names) to 16-bit units with a NUL, characters beyond
 * the BMP as surrogate pairs; at most cap units including the NUL.
 * Return: units written without the NUL, or -1 if it does not fit or is not UTF-8. */
int reg_widen(const char *s, uint16_t *out, size_t cap);

#endif
