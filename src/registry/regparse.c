/*
 * regparse.c — parser for platform.reg text (regparse.h). No host calls besides malloc and, for
 * conditionals, getenv.
 *
 * A line is blank, a ';' comment, a key ("[HKEY_LOCAL_MACHINE\Drivers\BuiltIn\LED]", or under
 * HKEY_CURRENT_USER, HKEY_CLASSES_ROOT, HKEY_USERS), a deletion ("[-HKEY_...\Key]": the key and
 * its subtree go when the entries are loaded, in file order), a value deletion ("Name"=-), or a
 * value of the current key: "Name"= or @= followed by "string", dword:HEX, multi_sz:"a","b",
 * hex:01,02 or hex(N):01,02 (hex values may continue on the next line after a trailing '\').
 * Strings take the escapes \\ and \" and become 16-bit little-endian text with their NULs, as
 * RegQueryValueEx returns them. platform.reg's conditionals select lines: `IF VAR` keeps the
 * block when build variable VAR is set, `IF VAR !` when it is not, `ELSE` swaps, `ENDIF` ends it
 * (anything after the variable on ENDIF is a comment, as in `ENDIF BSP_NOSERIAL !`); blocks nest.
 * Every error names the label, the line and the problem.
 */
#include "registry/regparse.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/host.h"

static _Atomic unsigned long g_env_reads;

unsigned long regparse_env_reads(void)
{
    return atomic_load_explicit(&g_env_reads, memory_order_relaxed);
}

#define T_SZ       1u
#define T_BINARY   3u
#define T_DWORD    4u
#define T_MULTI_SZ 7u

struct cursor {
    const char *s;
    const char *label;
    int line;
    char *err;
    size_t errlen;
};

static cevm_status fail(struct cursor *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static cevm_status fail(struct cursor *c, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        int n = snprintf(c->err, c->errlen, "%s:%d: ", c->label, c->line);
        if (n >= 0 && (size_t)n < c->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return CEVM_E_BOARD;
}

static void blanks(struct cursor *c)
{
    while (*c->s == ' ' || *c->s == '\t' || *c->s == '\r')
        c->s++;
}

/* The rest of the line is blank or a ';' comment. */
static int at_end(struct cursor *c)
{
    blanks(c);
    return *c->s == '\0' || *c->s == ';';
}

/* A growing byte buffer for value data. */
struct bytes {
    uint8_t b[REGPARSE_DATA_MAX];
    uint32_t n;
};

static int put16(struct bytes *d, uint32_t u)
{
    if (d->n + 2 > sizeof d->b)
        return -1;
    d->b[d->n++] = (uint8_t)(u & 0xFF);
    d->b[d->n++] = (uint8_t)(u >> 8);
    return 0;
}

/* Decode one UTF-8 character at s. Return: its length, or 0 if malformed. */
static int utf8(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int len = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len)
        return 0;
    uint32_t v = s[0] & (0x7Fu >> len);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* A code point as 16-bit units (a surrogate pair beyond the BMP). Return: 1 or 2. */
static int utf16(uint32_t cp, uint16_t u[2])
{
    if (cp < 0x10000) {
        u[0] = (uint16_t)cp;
        return 1;
    }
    u[0] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
    u[1] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
    return 2;
}

/*
 * A quoted string at c->s (on the opening quote). Its text goes to narrow (UTF-8, for names)
 * when narrow is set, else to wide as 16-bit units with a terminating NUL.
 */
static cevm_status quoted(struct cursor *c, char *narrow, size_t cap, struct bytes *wide,
                          const char *what)
{
    c->s++;
    size_t n = 0;
    for (;;) {
        unsigned char ch = (unsigned char)*c->s;
        if (ch == '\0')
            return fail(c, "%s: missing closing quote", what);
        if (ch == '"') {
            c->s++;
            break;
        }
        int len = 1;
        uint32_t cp = ch;
        if (ch == '\\') {
            char e = c->s[1];
            if (e != '\\' && e != '"')
                return fail(c, "%s: unknown escape '\\%c' (only \\\\ and \\\" are allowed)", what,
                            e ? e : ' ');
            cp = (uint32_t)e;
            len = 2;
        } else if (!(len = utf8((const unsigned char *)c->s, &cp))) {
            return fail(c, "%s: not valid UTF-8 text", what);
        }
        if (narrow) {
            if (n + (size_t)(ch == '\\' ? 1 : len) >= cap)
                return fail(c, "%s is longer than %zu bytes", what, cap - 1);
            if (ch == '\\')
                narrow[n++] = (char)cp;
            else
                memcpy(narrow + n, c->s, (size_t)len), n += (size_t)len;
        } else {
            uint16_t units[2];
            int nu = utf16(cp, units);
            if (put16(wide, units[0]) || (nu == 2 && put16(wide, units[1])))
                return fail(c, "%s: value longer than %d bytes", what, REGPARSE_DATA_MAX);
        }
        c->s += len;
    }
    if (narrow)
        narrow[n] = '\0';
    else if (put16(wide, 0))
        return fail(c, "%s: value longer than %d bytes", what, REGPARSE_DATA_MAX);
    return CEVM_OK;
}

static int hexdigit(char ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* Up to max hex digits at c->s. Return: the number of digits read (0: none). */
static int hexnum(struct cursor *c, int max, uint32_t *v)
{
    int n = 0;
    *v = 0;
    while (hexdigit(*c->s) >= 0) {
        if (n == max)
            return max + 1;
        *v = *v << 4 | (uint32_t)hexdigit(*c->s);
        c->s++;
        n++;
    }
    return n;
}

static int prefix(struct cursor *c, const char *p)
{
    size_t n = strlen(p);
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)c->s[i]) != p[i])
            return 0;
    c->s += n;
    return 1;
}

static cevm_status parse_data(struct cursor *c, uint32_t *type, struct bytes *d)
{
    d->n = 0;
    if (*c->s == '"') {
        *type = T_SZ;
        return quoted(c, NULL, 0, d, "string");
    }
    uint32_t v;
    if (prefix(c, "dword:")) {
        *type = T_DWORD;
        int n = hexnum(c, 8, &v);
        if (n == 0 || n > 8)
            return fail(c, "dword: needs 1 to 8 hex digits (dword:00001000)");
        memcpy(d->b, &v, 4); /* little-endian host, as CE */
        d->n = 4;
        return CEVM_OK;
    }
    if (prefix(c, "multi_sz:")) {
        *type = T_MULTI_SZ;
        for (int first = 1;; first = 0) {
            blanks(c);
            if (!first) {
                if (*c->s != ',')
                    break;
                c->s++;
                blanks(c);
            }
            if (*c->s != '"')
                return fail(c, "multi_sz: needs quoted strings separated by commas");
            cevm_status st = quoted(c, NULL, 0, d, "multi_sz string");
            if (st)
                return st;
        }
        if (put16(d, 0))
            return fail(c, "multi_sz: value longer than %d bytes", REGPARSE_DATA_MAX);
        return CEVM_OK;
    }
    if (prefix(c, "hex")) {
        *type = T_BINARY;
        if (*c->s == '(') {
            c->s++;
            int n = hexnum(c, 8, type);
            if (n == 0 || n > 8 || *c->s != ')')
                return fail(c, "hex(N): needs a hex type number, as in hex(7):");
            c->s++;
        }
        if (*c->s != ':')
            return fail(c, "hex values are written hex:01,02 or hex(N):01,02");
        c->s++;
        blanks(c);
        if (at_end(c))
            return *type == T_DWORD ? fail(c, "hex(4): a REG_DWORD value needs exactly 4 bytes")
                                    : CEVM_OK;
        for (;;) {
            blanks(c);
            int n = hexnum(c, 2, &v);
            if (n == 0 || n > 2)
                return fail(c, "hex: bytes are one or two hex digits separated by commas");
            if (d->n == sizeof d->b)
                return fail(c, "hex: value longer than %d bytes", REGPARSE_DATA_MAX);
            d->b[d->n++] = (uint8_t)v;
            blanks(c);
            if (*c->s != ',')
                break;
            c->s++;
        }
        if (*type == T_DWORD && d->n != 4)
            return fail(c, "hex(4): a REG_DWORD value needs exactly 4 bytes, not %u", d->n);
        return CEVM_OK;
    }
    const char *colon = strchr(c->s, ':');
    int len = colon ? (int)(colon - c->s) : (int)strlen(c->s);
    return fail(c, "unknown value type '%.*s' (a \"string\", dword:, multi_sz:, hex: or hex(N):)",
                len > 20 ? 20 : len, c->s);
}

static cevm_status add_entry(struct reg_list *out, const struct reg_entry *e, const struct bytes *d)
{
    if (out->n == out->cap) { /* grow geometrically: n entries cost O(n) copying */
        size_t cap = out->cap ? out->cap * 2 : 16;
        struct reg_entry *ne = host_realloc(out->e, cap * sizeof *ne);
        if (!ne)
            return CEVM_E_NOMEM;
        out->e = ne;
        out->cap = cap;
    }
    uint8_t *data = host_malloc(d->n ? d->n : 1);
    if (!data)
        return CEVM_E_NOMEM;
    if (d->n)
        memcpy(data, d->b, d->n);
    out->e[out->n] = *e;
    out->e[out->n].data = data;
    out->e[out->n].size = d->n;
    out->n++;
    return CEVM_OK;
}

static cevm_status parse_value(struct regparse *rp, struct cursor *c, struct reg_list *out)
{
    if (!rp->have_key)
        return fail(c, "a value before any [HKEY_LOCAL_MACHINE\\...] key (or after a [-KEY] "
                       "deletion)");
    struct reg_entry e;
    memset(&e, 0, sizeof e);
    e.line = c->line;
    e.file = c->label;
    memcpy(e.key, rp->key, sizeof e.key);
    e.root = rp->root;
    if (*c->s == '@') {
        c->s++;
    } else {
        cevm_status st = quoted(c, e.name, sizeof e.name, NULL, "value name");
        if (st)
            return st;
    }
    blanks(c);
    if (*c->s != '=')
        return fail(c, "expected '=' after the value name");
    c->s++;
    blanks(c);
    if (*c->s == '-') { /* "Name"=- deletes the value */
        c->s++;
        if (!at_end(c))
            return fail(c, "unexpected '%.20s' after '=-'", c->s);
        static const struct bytes none; /* no data */
        e.deletion = 2;
        return add_entry(out, &e, &none);
    }
    struct bytes *dp = host_malloc(sizeof *dp); /* 4 KB: kept off the stack */
    if (!dp)
        return CEVM_E_NOMEM;
    cevm_status st = parse_data(c, &e.type, dp);
    if (st == CEVM_OK && !at_end(c))
        st = fail(c, "unexpected '%.20s' after the value", c->s);
    if (st == CEVM_OK)
        st = add_entry(out, &e, dp);
    free(dp);
    return st;
}

static cevm_status parse_key(struct regparse *rp, struct cursor *c, struct reg_list *out)
{
    const char *close = strrchr(c->s, ']');
    if (!close)
        return fail(c, "key line has no closing ']'");
    struct cursor after = *c;
    after.s = close + 1;
    if (!at_end(&after))
        return fail(c, "unexpected text after the key's ']'");
    const char *k = c->s + 1;
    size_t len = (size_t)(close - k);
    int deletion = len && *k == '-';
    if (deletion)
        k++, len--;
    /* The four roots a platform.reg may name, with their short forms. */
    static const struct {
        const char *name;
        uint8_t root;
    } roots[] = {{"HKEY_LOCAL_MACHINE", 2}, {"HKLM", 2}, {"HKEY_CURRENT_USER", 1}, {"HKCU", 1},
                 {"HKEY_CLASSES_ROOT", 0},  {"HKCR", 0}, {"HKEY_USERS", 3},        {"HKU", 3}};
    size_t rl = 0;
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        size_t n = strlen(roots[i].name);
        if (len >= n && !strncasecmp(k, roots[i].name, n) && (len == n || k[n] == '\\')) {
            rl = n;
            rp->root = roots[i].root;
            break;
        }
    }
    if (!rl)
        return fail(c,
                    "a key must start with HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, "
                    "HKEY_CLASSES_ROOT or HKEY_USERS: '[%.*s]'",
                    (int)(len > 60 ? 60 : len), k);
    k += rl;
    len -= rl;
    if (len && *k == '\\')
        k++, len--;
    if (len >= sizeof rp->key)
        return fail(c, "key path longer than %zu characters", sizeof rp->key - 1);
    for (size_t i = 0; i < len; i++)
        if ((k[i] == '\\' && (i == 0 || i + 1 == len || k[i + 1] == '\\')) || k[i] == '"')
            return fail(c, "malformed key path '%.*s' (empty part or quote)", (int)len, k);
    memcpy(rp->key, k, len);
    rp->key[len] = '\0';
    rp->have_key = !deletion;
    if (!deletion)
        return CEVM_OK;
    if (!len)
        return fail(c, "a root key cannot be deleted");
    struct reg_entry e;
    memset(&e, 0, sizeof e);
    e.line = c->line;
    e.file = c->label;
    e.root = rp->root;
    e.deletion = 1;
    memcpy(e.key, rp->key, sizeof e.key);
    static const struct bytes none; /* no data */
    return add_entry(out, &e, &none);
}

/* `#include "FILE"` (or <FILE>): FILE with each $(VAR) replaced by the environment's value,
 * handed to rp->include. */
static cevm_status include_line(struct regparse *rp, struct cursor *c)
{
    c->s += 8;
    blanks(c);
    char close = *c->s == '"' ? '"' : *c->s == '<' ? '>' : 0;
    const char *end = close ? strchr(c->s + 1, close) : NULL;
    if (!end)
        return fail(c,
                    "#include needs a quoted file name (#include \"$(_TARGETPLATROOT)\\x.reg\")");
    char path[512];
    size_t n = 0;
    for (const char *p = c->s + 1; p < end; p++) {
        if (p[0] == '$' && p[1] == '(') {
            const char *rp_end = memchr(p, ')', (size_t)(end - p));
            if (!rp_end)
                return fail(c, "#include: '$(' without ')'");
            char var[128];
            size_t vl = (size_t)(rp_end - p - 2);
            if (vl == 0 || vl >= sizeof var)
                return fail(c, "#include: a bad variable name");
            memcpy(var, p + 2, vl);
            var[vl] = '\0';
            atomic_fetch_add_explicit(&g_env_reads, 1, memory_order_relaxed);
            const char *val = getenv(var);
            if (!val)
                return fail(c, "#include: build variable %s is not set", var);
            size_t l = strlen(val);
            if (n + l >= sizeof path)
                return fail(c, "#include: the path is too long");
            memcpy(path + n, val, l);
            n += l;
            p = rp_end;
            continue;
        }
        if (n + 1 >= sizeof path)
            return fail(c, "#include: the path is too long");
        path[n++] = *p == '\\' ? '/' : *p; /* Windows separators */
    }
    path[n] = '\0';
    return rp->include(path, c->line, rp->include_ctx);
}

static cevm_status parse_statement(struct regparse *rp, struct cursor *c, struct reg_list *out)
{
    blanks(c);
    if (*c->s == '\0' || *c->s == ';')
        return CEVM_OK;
    if (*c->s == '[')
        return parse_key(rp, c, out);
    if (*c->s == '"' || *c->s == '@')
        return parse_value(rp, c, out);
    if (!strncmp(c->s, "#include", 8) && rp->include)
        return include_line(rp, c);
    if (*c->s == '#')
        return fail(c,
                    "preprocessor line '%.20s': cevm does not evaluate #if/#define; run the "
                    "file through the preprocessor first",
                    c->s);
    return fail(c, "expected [KEY], \"Name\"=value, @=value or a ';' comment, not '%.20s'", c->s);
}

/* Does the line end with a continuation '\' (outside a string)? Returns its position or NULL. */
static const char *continuation(const char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (!n || s[n - 1] != '\\')
        return NULL;
    int in_string = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == '\\' && in_string)
            i++;
        else if (s[i] == '"')
            in_string = !in_string;
    }
    return in_string ? NULL : s + n - 1;
}

/* The word at s (letters, digits, '_'), copied into w. Return: its length. */
static size_t word(const char *s, char *w, size_t cap)
{
    size_t n = 0;
    while ((isalnum((unsigned char)s[n]) || s[n] == '_') && n + 1 < cap) {
        w[n] = s[n];
        n++;
    }
    w[n] = '\0';
    return n;
}

/* A build variable is set when the environment holds it with a value (makeimg's rule). */
static int env_defined(const char *name)
{
    atomic_fetch_add_explicit(&g_env_reads, 1, memory_order_relaxed);
    const char *v = getenv(name);
    return v && *v;
}

/* Whether the line at s starts with IF, ELSE or ENDIF as a word. Return: the keyword's length
 * or 0. */
static size_t conditional_word(const char *s, char *kw, size_t cap)
{
    size_t n = word(s, kw, cap);
    if (!n || (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != '\r'))
        return 0;
    if (strcasecmp(kw, "IF") && strcasecmp(kw, "ELSE") && strcasecmp(kw, "ENDIF"))
        return 0;
    return n;
}

int regparse_claims(const struct regparse *rp, const char *text)
{
    char kw[8];
    text += strspn(text, " \t");
    if (rp->pending || conditional_word(text, kw, sizeof kw))
        return 1;
    return rp->nif && !rp->ifs[rp->nif - 1].taking;
}

/* An IF / ELSE / ENDIF line. Return: 1 handled (with *st), 0 not a conditional. */
static int conditional(struct regparse *rp, struct cursor *c, cevm_status *st)
{
    char kw[8], var[128];
    const char *s = c->s;
    size_t n = conditional_word(s, kw, sizeof kw);
    if (!n)
        return 0;
    int taking = !rp->nif || rp->ifs[rp->nif - 1].taking;
    *st = CEVM_OK;
    if (!strcasecmp(kw, "IF")) {
        c->s = s + n;
        blanks(c);
        if (!word(c->s, var, sizeof var)) {
            *st = fail(c, "IF needs a build variable (IF BSP_NOSERIAL or IF BSP_NOSERIAL !)");
            return 1;
        }
        c->s += strlen(var);
        blanks(c);
        int negate = *c->s == '!';
        if (rp->nif == REGPARSE_MAX_IF) {
            *st = fail(c, "IF blocks nested more than %d deep", REGPARSE_MAX_IF);
            return 1;
        }
        int set = rp->defined ? rp->defined(var, rp->defined_ctx) : env_defined(var);
        rp->ifs[rp->nif].line = c->line;
        rp->ifs[rp->nif].parent_taking = (uint8_t)taking;
        rp->ifs[rp->nif].taking = (uint8_t)(taking && (negate ? !set : set));
        rp->ifs[rp->nif].seen_else = 0;
        rp->nif++;
        return 1;
    }
    if (!strcasecmp(kw, "ELSE") || !strcasecmp(kw, "ENDIF")) {
        if (!rp->nif) {
            *st = fail(c, "%s without IF", kw);
            return 1;
        }
        if (!strcasecmp(kw, "ENDIF")) {
            rp->nif--;
            return 1;
        }
        if (rp->ifs[rp->nif - 1].seen_else) {
            *st = fail(c, "a second ELSE for the IF of line %d", rp->ifs[rp->nif - 1].line);
            return 1;
        }
        rp->ifs[rp->nif - 1].seen_else = 1;
        rp->ifs[rp->nif - 1].taking =
            (uint8_t)(rp->ifs[rp->nif - 1].parent_taking && !rp->ifs[rp->nif - 1].taking);
        return 1;
    }
    return 0;
}

cevm_status regparse_line(struct regparse *rp, const char *text, const char *label, int line,
                          struct reg_list *out, char *err, size_t errlen)
{
    struct cursor c = {text, label ? label : "registry", line, err, errlen};
    if (!rp->pending) {
        blanks(&c);
        cevm_status cst;
        if (conditional(rp, &c, &cst))
            return cst;
        if (rp->nif && !rp->ifs[rp->nif - 1].taking)
            return CEVM_OK; /* inside a block the build leaves out */
        c.s = text;
    }
    const char *cont = continuation(text);
    size_t take = cont ? (size_t)(cont - text) : strlen(text);
    if (rp->pending || cont) {
        if (!rp->pending) {
            blanks(&c);
            if (*c.s != '"' && *c.s != '@')
                return fail(&c, "a '\\' continuation is only allowed after a value");
            rp->pending_line = line;
        }
        size_t skip = 0;
        if (rp->pending)
            while (text[skip] == ' ' || text[skip] == '\t')
                skip++;
        if (rp->pending_len + take - skip > 65536)
            return fail(&c, "continued value longer than 64 KB");
        char *np = host_realloc(rp->pending, rp->pending_len + take - skip + 1);
        if (!np)
            return CEVM_E_NOMEM;
        memcpy(np + rp->pending_len, text + skip, take - skip);
        rp->pending = np;
        rp->pending_len += take - skip;
        np[rp->pending_len] = '\0';
        if (cont)
            return CEVM_OK;
        char *whole = rp->pending;
        rp->pending = NULL;
        rp->pending_len = 0;
        c.s = whole;
        c.line = rp->pending_line;
        cevm_status st = parse_statement(rp, &c, out);
        free(whole);
        return st;
    }
    return parse_statement(rp, &c, out);
}

cevm_status regparse_end(struct regparse *rp, const char *label, char *err, size_t errlen)
{
    cevm_status st = CEVM_OK;
    if (rp->pending) {
        struct cursor c = {"", label ? label : "registry", rp->pending_line, err, errlen};
        st = fail(&c, "value continued with '\\' but the text ends");
    } else if (rp->nif) {
        struct cursor c = {"", label ? label : "registry", rp->ifs[rp->nif - 1].line, err, errlen};
        st = fail(&c, "IF without its ENDIF");
    }
    rp->nif = 0;
    free(rp->pending);
    rp->pending = NULL;
    rp->pending_len = 0;
    return st;
}

cevm_status regparse_text(const char *text, const char *label, struct reg_list *out, char *err,
                          size_t errlen)
{
    return regparse_text_inc(text, label, out, err, errlen, NULL, NULL);
}

cevm_status regparse_text_inc(const char *text, const char *label, struct reg_list *out, char *err,
                              size_t errlen,
                              cevm_status (*include)(const char *path, int line, void *ctx),
                              void *ctx)
{
    struct regparse rp;
    memset(&rp, 0, sizeof rp);
    rp.include = include;
    rp.include_ctx = ctx;
    cevm_status st = CEVM_OK;
    int line = 0, meaningful = 0;
    const char *s = text;
    if (s && !strncmp(s, "\xEF\xBB\xBF", 3)) /* a UTF-8 byte-order mark */
        s += 3;
    while (st == CEVM_OK && s && *s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        line++;
        char *buf = host_malloc(len + 1);
        if (!buf) {
            st = CEVM_E_NOMEM;
            break;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        const char *t = buf + strspn(buf, " \t\r");
        if (include && !strncmp(t, "#include", 8))
            meaningful = 1; /* its own errors (an included file's) are kept as they are */
        st = regparse_line(&rp, buf, label, line, out, err, errlen);
        if (st == CEVM_E_BOARD && !meaningful && err && errlen) {
            /* The first meaningful line is no registry line: some other file, none of whose
             * text may appear in a message. */
            snprintf(err, errlen,
                     "%s:%d: not a platform.reg file (its first line is no registry line; its "
                     "text is not shown)",
                     label ? label : "registry", line);
        }
        meaningful |= *t && *t != ';';
        free(buf);
        s = eol ? eol + 1 : s + len;
    }
    cevm_status end = regparse_end(&rp, label, st ? NULL : err, st ? 0 : errlen);
    return st ? st : end;
}

void reg_list_free(struct reg_list *l)
{
    for (size_t i = 0; l && i < l->n; i++)
        free(l->e[i].data);
    if (l) {
        free(l->e);
        l->e = NULL;
        l->n = l->cap = 0;
    }
}

int reg_widen(const char *s, uint16_t *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        uint32_t cp;
        uint16_t units[2];
        int len = utf8(u, &cp);
        if (!len)
            return -1;
        int nu = utf16(cp, units);
        if (n + (size_t)nu >= cap)
            return -1;
        for (int i = 0; i < nu; i++)
            out[n++] = units[i];
        u += len;
    }
    if (n >= cap)
        return -1;
    out[n] = 0;
    return (int)n;
}
