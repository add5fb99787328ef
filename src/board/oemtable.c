/*
 * oemtable.c — reads an OEMAddressTable as BSPs write it (oemtable.h): the assembler form of
 * an `oemaddrtab_cfg.inc` (`DCD 0x80000000, 0x50000000, 128 ; DRAM` rows after an
 * `EXPORT g_oalAddressTable` label) and the C form (`{ 0x80000000, 0x50000000, 128 }, // DRAM`
 * rows of an OAL_ADDRESS_TABLE array), and an x86 assembler table (`dd 80000000h, 0, 04000000h`).
 *
 * Each row is three numbers: cached VA, PA, size (MB on ARM, bytes on x86: the board's cpu
 * decides); the table ends at the first row whose size is 0. Numbers are C or assembler
 * literals (0x..., decimal, MASM's 1234h, with U/L suffixes, in parentheses). A row's comment (`;`
 * or `//` or a one-line block comment) becomes its label. Every other line (EXPORT, AREA, labels,
 * ALIGN, END, #include, declarations) is passed over. A row that names a symbol
 * (CSP_BASE_MEM_PA_CSD0) is an error naming it: the symbol's value is in the BSP's headers, which
 * cevm does not read.
 */
#include "board/oemtable.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cevm/cevm.h"

/* Skip blanks and parentheses. */
static const char *blanks(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '(' || *s == ')' || *s == '\r')
        s++;
    return s;
}

/* One value at *s (moved past it). Return: 0 with *v, or -1 with the offending word in bad. */
static int value(const char **s, uint64_t *v, char *bad, size_t badlen)
{
    const char *p = blanks(*s);
    char *end;
    if (!isdigit((unsigned char)*p)) {
        size_t n = 0;
        while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '_') && n + 1 < badlen)
            n++;
        snprintf(bad, badlen, "%.*s", (int)(n ? n : 1), p);
        return -1;
    }
    *v = strtoull(p, &end, 0);
    size_t hex = strspn(p, "0123456789abcdefABCDEF");
    if (p[0] != '0' || (p[1] != 'x' && p[1] != 'X')) {
        if (p[hex] == 'h' || p[hex] == 'H') { /* MASM: 04000000h */
            *v = strtoull(p, NULL, 16);
            end = (char *)p + hex + 1;
        }
    }
    while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
        end++;
    if (isalnum((unsigned char)*end) || *end == '_') {
        size_t n = 0;
        while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '_') && n + 1 < badlen)
            n++;
        snprintf(bad, badlen, "%.*s", (int)n, p);
        return -1;
    }
    *s = blanks(end);
    return 0;
}

/* The comment of a line ("//" or a block comment; ';' too in the assembler form), trimmed,
 * into label. */
static void comment_of(const char *line, int c_form, char *label, size_t cap)
{
    const char *marks[3] = {strstr(line, "//"), strstr(line, "/*"),
                            c_form ? NULL : strchr(line, ';')};
    const char *c = NULL;
    for (int i = 0; i < 3; i++)
        if (marks[i] && (!c || marks[i] < c))
            c = marks[i];
    label[0] = '\0';
    if (!c)
        return;
    while (*c == ' ' || *c == '\t' || *c == '/' || *c == '*' || *c == ';')
        c++;
    size_t n = strcspn(c, "\r\n");
    while (n && (c[n - 1] == ' ' || c[n - 1] == '\t' || c[n - 1] == '/' || c[n - 1] == '*'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(label, c, n);
    label[n] = '\0';
}

/* The row text of a line: after a DCD keyword, or inside "{ ... }" closed on the same line.
 * Return: its start, or NULL when the line holds no row. */
static const char *row_text(const char *line, int *c_form)
{
    const char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == ';' || (s[0] == '/' && (s[1] == '/' || s[1] == '*')))
        return NULL;
    /* Assembler: [label] DCD a, b, c (ARM), or [label] dd a, b, c (x86 MASM) */
    for (const char *p = s; *p && *p != ';'; p++) {
        if (p != s && p[-1] != ' ' && p[-1] != '\t')
            continue;
        size_t kw = !strncmp(p, "DCD", 3) ? 3 : !strncasecmp(p, "dd", 2) ? 2 : 0;
        if (kw && (p[kw] == ' ' || p[kw] == '\t')) {
            *c_form = 0;
            return p + kw + 1;
        }
    }
    /* C: { a, b, c } (the innermost group: "= {{ a, b, c }," opens the array and a row) */
    const char *close = strchr(s, '}');
    const char *brace = NULL;
    for (const char *p = s; close && p < close; p++)
        if (*p == '{')
            brace = p;
    if (brace) {
        *c_form = 1;
        return brace + 1;
    }
    return NULL;
}

int oemtable_parse(const char *text, oemtable_row_fn fn, void *ctx, char *err, size_t errlen)
{
    int line = 0, rows = 0;
    const char *s = text;
    while (s && *s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char buf[512];
        line++;
        if (len >= sizeof buf) {
            snprintf(err, errlen, "%d: line longer than %zu characters", line, sizeof buf - 1);
            return -1;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        s = eol ? eol + 1 : NULL;
        int c_form = 0;
        const char *r = row_text(buf, &c_form);
        if (!r)
            continue;
        uint64_t v[3];
        char bad[64] = "";
        int n = 0;
        for (; n < 3; n++) {
            if (value(&r, &v[n], bad, sizeof bad)) {
                if (!bad[0] || bad[0] == '}' || bad[0] == ';')
                    break;
                snprintf(err, errlen,
                         "%d: '%s' is not a number (a symbol from the BSP's headers? write its "
                         "value)",
                         line, bad);
                return -1;
            }
            if (n < 2) {
                if (*r != ',')
                    break;
                r++;
            }
        }
        if (n == 0 && c_form)
            continue; /* "= {" or "{ }": no row */
        if (n != 3) {
            snprintf(err, errlen, "%d: a row needs three numbers: cached VA, PA, size in MB", line);
            return -1;
        }
        if (v[2] == 0 && v[0] != 0x87654321u)
            return rows; /* the terminating row */
        struct oemtable_row row;
        memset(&row, 0, sizeof row);
        row.line = line;
        row.va = v[0];
        row.pa = v[1];
        row.mb = v[2];
        comment_of(buf, c_form, row.label, sizeof row.label);
        if (fn(&row, ctx))
            return -1;
        rows++;
    }
    return rows;
}

/* ---- cevm_oemtable_read ------------------------------------------------------------------ */

struct collect {
    cevm_oem_row *out;
    size_t max, n;
};

static int collect_row(const struct oemtable_row *row, void *vctx)
{
    struct collect *c = vctx;
    if (c->n < c->max) {
        cevm_oem_row *o = &c->out[c->n];
        memset(o, 0, sizeof *o);
        o->va = (uint32_t)row->va;
        o->pa = (uint32_t)row->pa;
        o->mb = (uint32_t)row->mb;
        o->bytes = (uint32_t)(row->mb << 20);
        o->alias = 1;
        snprintf(o->label, sizeof o->label, "%.47s", row->label);
    }
    c->n++;
    return 0;
}

long cevm_oemtable_read(const char *path, cevm_oem_row *out, size_t max, char *err, size_t errlen)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path ? path : "(null)");
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    size_t got;
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *bigger = cap < (8u << 20) ? realloc(text, cap * 2) : NULL;
            if (!bigger) {
                free(text);
                text = NULL;
                break;
            }
            text = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!text) {
        snprintf(err, errlen, "%s: too large or out of memory", path);
        return -1;
    }
    text[len] = '\0';
    struct collect c = {out, out ? max : 0, 0};
    char perr[200] = "";
    int rows = oemtable_parse(text, collect_row, &c, perr, sizeof perr);
    free(text);
    if (rows < 0) {
        snprintf(err, errlen, "%s:%s", path, perr);
        return -1;
    }
    return (long)c.n;
}
