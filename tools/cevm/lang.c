/*
 * lang.c — the cevm command language: tokens, expressions, variables, `expect`, dispatch to
 * the command table (commands.c). Every problem with a line is reported as one line,
 * "SOURCE:LINE: problem", and the session carries on with the next line.
 */
#define _POSIX_C_SOURCE 200809L
#include "lang.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cevm/cevm.h"

#define MAX_TOKENS 64

struct constant {
    const char *name;
    uint64_t value;
};

static const struct constant constants[] = {
    {"NULL", 0},
    {"FALSE", 0},
    {"TRUE", 1},
    {"MEM_COMMIT", 0x1000},
    {"MEM_RESERVE", 0x2000},
    {"MEM_DECOMMIT", 0x4000},
    {"MEM_RELEASE", 0x8000},
    {"MEM_FREE", 0x10000},
    {"MEM_PRIVATE", 0x20000},
    {"MEM_MAPPED", 0x40000},
    {"MEM_RESET", 0x80000},
    {"MEM_TOP_DOWN", 0x100000},
    {"MEM_AUTO_COMMIT", 0x200000},
    {"MEM_IMAGE", 0x1000000},
    {"MEM_4MB_PAGES", 0x80000000u},
    {"PAGE_NOACCESS", 0x01},
    {"PAGE_READONLY", 0x02},
    {"PAGE_READWRITE", 0x04},
    {"PAGE_WRITECOPY", 0x08},
    {"PAGE_EXECUTE", 0x10},
    {"PAGE_EXECUTE_READ", 0x20},
    {"PAGE_EXECUTE_READWRITE", 0x40},
    {"PAGE_EXECUTE_WRITECOPY", 0x80},
    {"PAGE_GUARD", 0x100},
    {"PAGE_NOCACHE", 0x200},
    {"PAGE_x86_WRITETHRU", 0x40000000},
    {"PAGE_PHYSICAL", 0x400},
    {"PAGE_WRITECOMBINE", 0x400},
    {"PAGE_ARM_MINICACHE", 0x800},
    {"LOCKFLAG_WRITE", 1},
    {"LOCKFLAG_QUERY_ONLY", 2},
    {"LOCKFLAG_READ", 4},
    {"GENERIC_READ", 0x80000000u},
    {"GENERIC_WRITE", 0x40000000u},
    {"FILE_SHARE_READ", 1},
    {"FILE_SHARE_WRITE", 2},
    {"FILE_BEGIN", 0},
    {"FILE_CURRENT", 1},
    {"FILE_END", 2},
};

static const uint32_t error_codes[] = {0,   1,   2,   5,   6,    8,    12,  13,  14,
                                       24,  31,  32,  50,  55,   87,   122, 126, 170,
                                       234, 259, 487, 998, 1455, 2404, 4319};

void lang_error(struct session *s, const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: ", s->source, s->line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized): va_start is above

    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

const char *lang_const_name(size_t i)
{
    size_t n = sizeof constants / sizeof constants[0];
    if (i < n)
        return constants[i].name;
    i -= n;
    return i < sizeof error_codes / sizeof error_codes[0] ? cevm_ce_error_name(error_codes[i])
                                                          : NULL;
}

const char *lang_var_name(const struct session *s, size_t i, char *buf, size_t len)
{
    if (i >= (size_t)s->nvars)
        return NULL;
    snprintf(buf, len, "$%s", s->vars[i].name);
    return buf;
}

static int lookup_constant(const char *name, uint64_t *out)
{
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++)
        if (!strcmp(constants[i].name, name)) {
            *out = constants[i].value;
            return 0;
        }
    for (size_t i = 0; i < sizeof error_codes / sizeof error_codes[0]; i++)
        if (!strcmp(cevm_ce_error_name(error_codes[i]), name)) {
            *out = error_codes[i];
            return 0;
        }
    return -1;
}

static struct lang_var *find_var(struct session *s, const char *name, size_t len)
{
    for (int i = 0; i < s->nvars; i++)
        if (strlen(s->vars[i].name) == len && !strncmp(s->vars[i].name, name, len))
            return &s->vars[i];
    return NULL;
}

void lang_set(struct session *s, const char *name, uint64_t value)
{
    struct lang_var *v = find_var(s, name, strlen(name));
    if (!v && s->nvars < LANG_MAX_VARS) {
        v = &s->vars[s->nvars++];
        snprintf(v->name, sizeof v->name, "%s", name);
    }
    if (v)
        v->value = value;
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_';
}

/* One operand at *p: a number, $var or constant, optionally negated by a leading '-' (two's
 * complement: -1 is 0xFFFFFFFF where a DWORD is expected). */
static int operand(struct session *s, const char **p, uint64_t *out)
{
    const char *t = *p;
    if (*t == '-' && t[1] && t[1] != '-') {
        const char *q = t + 1;
        uint64_t v;
        if (operand(s, &q, &v))
            return -1;
        *out = (uint64_t)0 - v;
        *p = q;
        return 0;
    }
    if (*t == '$') {
        size_t n = 1;
        while (is_name_char((unsigned char)t[n]))
            n++;
        struct lang_var *v = n > 1 ? find_var(s, t + 1, n - 1) : NULL;
        if (!v) {
            lang_error(s, "unknown variable '%.*s'", (int)n, t);
            return -1;
        }
        *out = v->value;
        *p = t + n;
        return 0;
    }
    if (isdigit((unsigned char)*t)) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(t, &end, 0);
        if (errno || is_name_char((unsigned char)*end)) {
            size_t n = 0;
            while (is_name_char((unsigned char)t[n]))
                n++;
            lang_error(s, "bad number '%.*s'", (int)n, t);
            return -1;
        }
        *out = v;
        *p = end;
        return 0;
    }
    if (isalpha((unsigned char)*t) || *t == '_') {
        size_t n = 0;
        while (is_name_char((unsigned char)t[n]))
            n++;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)n, t);
        if (lookup_constant(name, out)) {
            lang_error(s, "unknown name '%s' (a CE constant such as MEM_RESERVE, or $variable)",
                       name);
            return -1;
        }
        *p = t + n;
        return 0;
    }
    lang_error(s, "expected a number, $variable or constant at '%s'", t);
    return -1;
}

const char *lang_value_text(uint64_t v, char *buf, size_t len)
{
    uint32_t dw;
    if ((int64_t)v < 0 && !lang_dword(v, &dw))
        snprintf(buf, len, "0x%08X (%d)", dw, (int32_t)dw);
    else
        snprintf(buf, len, "0x%llX", (unsigned long long)v);
    return buf;
}

int lang_dword(uint64_t v, uint32_t *out)
{
    if (v > 0xFFFFFFFFu && (int64_t)v < INT32_MIN)
        return -1;
    if (v > 0xFFFFFFFFu && (int64_t)v >= 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int lang_eval_words(struct session *s, int n, char **words, uint64_t *out)
{
    char text[1024];
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        if (used + len >= sizeof text) {
            lang_error(s, "expression too long");
            return -1;
        }
        memcpy(text + used, words[i], len);
        used += len;
    }
    text[used] = '\0';
    return lang_eval(s, text, out);
}

int lang_eval(struct session *s, const char *text, uint64_t *out)
{
    const char *p = text;
    uint64_t v;
    if (operand(s, &p, &v))
        return -1;
    while (*p) {
        char op[3] = {p[0], 0, 0};
        if ((p[0] == '<' && p[1] == '<') || (p[0] == '>' && p[1] == '>'))
            op[1] = p[1];
        else if (!strchr("|&+-", p[0])) {
            lang_error(s, "unexpected '%c' in '%s' (operators: | & + - << >>)", p[0], text);
            return -1;
        }
        p += strlen(op);
        uint64_t r;
        if (operand(s, &p, &r))
            return -1;
        switch (op[0]) {
        case '|':
            v |= r;
            break;
        case '&':
            v &= r;
            break;
        case '+':
            v += r;
            break;
        case '-':
            v -= r;
            break;
        case '<':
            v = r < 64 ? v << r : 0;
            break;
        default:
            v = r < 64 ? v >> r : 0;
            break;
        }
    }
    *out = v;
    return 0;
}

const char *lang_state_name(uint32_t state)
{
    return state == 0x1000 ? "MEM_COMMIT" : state == 0x2000 ? "MEM_RESERVE" : "MEM_FREE";
}

const char *lang_protect_name(uint32_t prot, char *buf, size_t len)
{
    static const char *base[] = {
        "PAGE_NOACCESS", "PAGE_READONLY",     "PAGE_READWRITE",         "PAGE_WRITECOPY",
        "PAGE_EXECUTE",  "PAGE_EXECUTE_READ", "PAGE_EXECUTE_READWRITE", "PAGE_EXECUTE_WRITECOPY"};
    buf[0] = '\0';
    for (int i = 0; i < 8; i++)
        if ((prot & 0xFF) == (1u << i))
            snprintf(buf, len, "%s", base[i]);
    if (!buf[0])
        snprintf(buf, len, "0x%X", prot & 0xFF);
    if (prot & 0x100)
        snprintf(buf + strlen(buf), len - strlen(buf), "|PAGE_GUARD");
    if (prot & 0x200)
        snprintf(buf + strlen(buf), len - strlen(buf), "|PAGE_NOCACHE");
    if (prot & ~0x3FFu)
        snprintf(buf + strlen(buf), len - strlen(buf), "|0x%X", prot & ~0x3FFu);
    return buf;
}

void lang_report(struct session *s, const char *assign, const char *value)
{
    (void)assign;
    if (s->assign) {
        lang_set(s, s->assign, s->result);
        printf("$%s = %s", s->assign, value);
    } else {
        printf("%s = %s", s->command, value);
    }
    printf("  GetLastError = %s (%u)\n", cevm_ce_error_name(s->error), s->error);
}

/* expect error E | expect ok | expect EXPR | expect EXPR ==|!= EXPR */
static int do_expect(struct session *s, int n, char **t)
{
    uint64_t a, b;
    uint32_t dw;
    if (n == 1) {
        lang_error(s, "expect needs: ok, error ERR, VALUE, or A == B / A != B");
        return -1;
    }
    if (!strcmp(t[1], "ok") && n == 2) {
        if (s->error != 0) {
            s->failed_expects++;
            lang_error(s, "expectation failed: the last call failed with %s (%u)",
                       cevm_ce_error_name(s->error), s->error);
        }
        return 0;
    }
    if (!strcmp(t[1], "error")) {
        if (n != 3 || lang_eval(s, t[2], &a))
            return n != 3 ? (lang_error(s, "expect error needs one error name or number"), -1) : -1;
        if (s->error != a) {
            s->failed_expects++;
            lang_error(s, "expectation failed: GetLastError is %s (%u), expected %s (%u)",
                       cevm_ce_error_name(s->error), s->error, cevm_ce_error_name((uint32_t)a),
                       (uint32_t)a);
        }
        return 0;
    }
    if (n == 2) {
        if (lang_eval(s, t[1], &b))
            return -1;
        if ((int64_t)b < 0 && !lang_dword(b, &dw)) /* -1 is the DWORD 0xFFFFFFFF */
            b = dw;
        if (!s->have_result) {
            lang_error(s, "expect VALUE needs an earlier call");
            return -1;
        }
        if (s->result != b) {
            s->failed_expects++;
            lang_error(s, "expectation failed: the result is 0x%llX, expected 0x%llX",
                       (unsigned long long)s->result, (unsigned long long)b);
        }
        return 0;
    }
    if (n == 4 && (!strcmp(t[2], "==") || !strcmp(t[2], "!="))) {
        if (lang_eval(s, t[1], &a) || lang_eval(s, t[3], &b))
            return -1;
        int eq = a == b, want = !strcmp(t[2], "==");
        if (eq != want) {
            s->failed_expects++;
            lang_error(s, "expectation failed: %s is 0x%llX, expected %s0x%llX", t[1],
                       (unsigned long long)a, want ? "" : "not ", (unsigned long long)b);
        }
        return 0;
    }
    lang_error(s, "expect needs: ok, error ERR, VALUE, or A == B / A != B");
    return -1;
}

static int statement(struct session *s, int n, char **t)
{
    s->assign = NULL;
    if (t[0][0] == '$' && n >= 2 && !strcmp(t[1], "=")) {
        const char *name = t[0] + 1;
        int bad = isdigit((unsigned char)name[0]) || strlen(name) >= sizeof s->vars[0].name;
        for (const char *c = name; *c; c++)
            bad |= !is_name_char((unsigned char)*c);
        if (bad) {
            lang_error(s, "bad variable name '%s' (a letter or _, then letters, digits, _)", t[0]);
            return -1;
        }
        if (!*name || n == 2) {
            lang_error(s, *name ? "missing value after '='" : "bad variable name '$'");
            return -1;
        }
        s->assign = name;
        t += 2;
        n -= 2;
        if (!lang_find_cmd(t[0])) {
            uint64_t v; /* $var = EXPR: the words may be spaced ($p + 0x1000) */
            if (n > 1 && isalpha((unsigned char)t[0][0]) && !strchr("|&+-<>", t[1][0])) {
                lang_error(s, "unknown command '%s' (help lists them)", t[0]);
                return -1;
            }
            if (lang_eval_words(s, n, t, &v))
                return -1;
            lang_set(s, name, v);
            char text[40];
            printf("$%s = %s\n", name, lang_value_text(v, text, sizeof text));
            return 0;
        }
    }
    if (!strcmp(t[0], "expect"))
        return do_expect(s, n, t);
    const struct lang_cmd *c = lang_find_cmd(t[0]);
    if (!c) {
        lang_error(s, "unknown command '%s' (help lists them)", t[0]);
        return -1;
    }
    int argc = n - 1;
    if (argc < c->min_args || argc > c->max_args) {
        lang_error(s, "%s %s: %s", c->name, c->usage,
                   argc < c->min_args ? "missing argument" : "too many arguments");
        return -1;
    }
    uint64_t argv[LANG_MAX_ARGS] = {0};
    for (int i = 0; i < argc && !c->raw; i++) {
        if (lang_eval(s, t[i + 1], &argv[i]))
            return -1;
        uint32_t dw;
        if (i == 0 && c->wide_first) /* a physical address: up to 40 bits */
            continue;
        if (lang_dword(argv[i], &dw)) {
            lang_error(s, "%s: '%s' is 0x%llX, wider than the 32-bit DWORD expected", c->name,
                       t[i + 1], (unsigned long long)argv[i]);
            return -1;
        }
        argv[i] = dw;
    }
    s->command = c->name;
    if (!s->trace)
        return c->fn(s, argc, argv, t + 1);
    if (!(c->name[0] >= 'A' && c->name[0] <= 'Z')) { /* CE calls are capitalised */
        int rc = c->fn(s, argc, argv, t + 1);
        fflush(stdout);
        trace_interrupts(&s->irq_seen); /* what the command made happen (advance, pin, ...) */
        return rc;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = c->fn(s, argc, argv, t + 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
    fflush(stdout);
    fprintf(stderr, "trace: %s(", c->name);
    for (int i = 0; i < argc; i++)
        fprintf(stderr, "%s0x%llX", i ? ", " : "", (unsigned long long)argv[i]);
    fprintf(stderr, ") = 0x%llX, GetLastError %s (%u), %.1f us\n", (unsigned long long)s->result,
            cevm_ce_error_name(s->error), s->error, us);
    trace_interrupts(&s->irq_seen);
    return rc;
}

int lang_line(struct session *s, const char *line)
{
    s->line++;
    char buf[1024];
    size_t len = strcspn(line, "\r\n");
    if (len >= sizeof buf) {
        lang_error(s, "line longer than %zu characters", sizeof buf - 1);
        s->script_errors++;
        return -1;
    }
    memcpy(buf, line, len);
    buf[len] = '\0';
    char *hash = strchr(buf, '#');
    if (hash)
        *hash = '\0';
    char *t[MAX_TOKENS];
    int n = 0;
    for (char *p = strtok(buf, " \t"); p; p = strtok(NULL, " \t")) {
        if (n == MAX_TOKENS) {
            lang_error(s, "more than %d words", MAX_TOKENS);
            s->script_errors++;
            return -1;
        }
        t[n++] = p;
    }
    if (n == 0)
        return 0;
    if (s->echo) {
        printf(">");
        for (int i = 0; i < n; i++)
            printf(" %s", t[i]);
        printf("\n");
    }
    int rc = statement(s, n, t);
    fflush(stdout);
    if (rc)
        s->script_errors++;
    return rc;
}

/* Decode TEXT's escapes into buf. Return: its length, or -1 if malformed. */
int lang_unescape(const char *s, unsigned char *buf, size_t cap)
{
    size_t n = 0;
    for (; *s; s++) {
        if (n == cap)
            return -1;
        if (*s != '\\') {
            buf[n++] = (unsigned char)*s;
            continue;
        }
        s++;
        switch (*s) {
        case 'n':
            buf[n++] = '\n';
            break;
        case 'r':
            buf[n++] = '\r';
            break;
        case 't':
            buf[n++] = '\t';
            break;
        case '\\':
            buf[n++] = '\\';
            break;
        case 'x': {
            char hex[3] = {s[1], s[1] ? s[2] : 0, 0};
            char *end;
            unsigned long v = strtoul(hex, &end, 16);
            if (end != hex + 2)
                return -1;
            buf[n++] = (unsigned char)v;
            s += 2;
            break;
        }
        default:
            return -1;
        }
    }
    return (int)n;
}
