/*
 * board.c — parser for cevm board files (docs/boards.md).
 *
 * A board file is line-oriented: a keyword, then blank-separated fields; '#' starts a comment.
 * Each line is checked on its own (numbers, alignment, ranges), then the whole board is checked
 * (RAM present, no overlapping regions, consistent OEMAddressTable rows). Every error names the
 * file, the line and the problem, and leaves the output board empty.
 */
#define _POSIX_C_SOURCE 200809L
#include "host/host.h"
#include "board/board.h"
#include "board/oemtable.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE       0x1000u
#define MB         0x100000u
#define MAX_FIELDS 16

struct parser {
    const char *label;
    int line;
    char *err;
    size_t errlen;
    const char *dir; /* directory of the file being parsed (NULL: the current directory) */
    int depth;       /* include depth */
    unsigned flags;  /* BOARD_* */
    int good;        /* meaningful lines of this text parsed so far */
};

static cevm_status parse_text(struct parser *p, struct board *b, const char *text);
static cevm_status read_text_file(const char *path, const char *what, char **text, char *err,
                                  size_t errlen);

static cevm_status fail(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static cevm_status fail(struct parser *p, int line, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        int n = snprintf(p->err, p->errlen, "%s:%d: ", p->label, line);
        if (n >= 0 && (size_t)n < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return CEVM_E_BOARD;
}

/* Parse an unsigned number: decimal or 0x-hex, with an optional K/M/G suffix when allow_suffix.
 * Return: 0 on success, -1 if malformed or larger than max. */
static int parse_number(const char *s, int allow_suffix, uint64_t max, uint64_t *out)
{
    char *end;
    if (*s == '-' || *s == '+' || *s == '\0')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return -1;
    uint64_t mult = 1;
    if (allow_suffix && *end) {
        switch (*end) {
        case 'K':
        case 'k':
            mult = 1024ull;
            break;
        case 'M':
        case 'm':
            mult = 1024ull * 1024;
            break;
        case 'G':
        case 'g':
            mult = 1024ull * 1024 * 1024;
            break;
        default:
            return -1;
        }
        end++;
    }
    if (*end)
        return -1;
    if (v > max / mult)
        return -1;
    *out = (uint64_t)v * mult;
    return 0;
}

static int split(char *line, char **f)
{
    int n = 0;
    char *s = line;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (!*s)
            break;
        if (n == MAX_FIELDS)
            return -1;
        f[n++] = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\r')
            s++;
        if (*s)
            *s++ = '\0';
    }
    return n;
}

static void join(char *dst, size_t cap, char **f, int from, int n)
{
    dst[0] = '\0';
    for (int i = from; i < n; i++) {
        size_t len = strlen(dst);
        snprintf(dst + len, cap - len, "%s%s", i > from ? " " : "", f[i]);
    }
}

static int copy_name(char *dst, size_t cap, const char *src)
{
    if (strlen(src) >= cap)
        return -1;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* A copy of a file name that lives as long as the board (regions and registry entries name
 * their file with it). Return: the copy, or NULL when out of memory. */
static const char *intern(struct board *b, const char *name)
{
    for (size_t i = 0; i < b->nfiles; i++)
        if (!strcmp(b->files[i], name))
            return b->files[i];
    char **n = host_realloc(b->files, (b->nfiles + 1) * sizeof *n);
    if (!n)
        return NULL;
    b->files = n;
    if (!(b->files[b->nfiles] = strdup(name)))
        return NULL;
    return b->files[b->nfiles++];
}

static cevm_status add_region(struct board *b, const struct board_region *r)
{
    struct board_region *n = host_realloc(b->regions, (b->nregions + 1) * sizeof *n);
    if (!n)
        return CEVM_E_NOMEM;
    b->regions = n;
    b->regions[b->nregions++] = *r;
    return CEVM_OK;
}

static cevm_status resolve(struct parser *p, const char *name, char *out, size_t cap);

static cevm_status parse_region(struct parser *p, struct board *b, char **f, int n, int is_ram)
{
    struct board_region r;
    memset(&r, 0, sizeof r);
    r.line = p->line;
    r.file = p->label;
    const char *kw = is_ram ? "ram" : "device";
    if (n < (is_ram ? 4 : 5))
        return fail(p, p->line, "'%s' needs %s", kw,
                    is_ram ? "NAME PA SIZE" : "NAME PA SIZE KIND (regfile | file PATH [OFFSET])");
    if (copy_name(r.name, sizeof r.name, f[1]))
        return fail(p, p->line, "name '%s' is longer than %zu characters", f[1], sizeof r.name - 1);
    if (parse_number(f[2], 0, (1ull << 40) - 1, &r.pa))
        return fail(p, p->line, "bad physical address '%s' (a number below 2^40)", f[2]);
    if (parse_number(f[3], 1, 1ull << 40, &r.size) || r.size == 0)
        return fail(p, p->line, "bad size '%s' (a non-zero number, K/M/G allowed)", f[3]);
    if (r.pa % PAGE || r.size % PAGE)
        return fail(p, p->line,
                    "%s %s is not page-aligned (address and size must be multiples of 0x1000)", kw,
                    r.name);
    if (r.pa + r.size > (1ull << 40))
        return fail(p, p->line, "%s %s ends beyond the 40-bit physical space", kw, r.name);
    if (is_ram) {
        if (n > 4)
            return fail(p, p->line, "unexpected '%s' after the ram size", f[4]);
        if (r.size > 1ull << 31)
            return fail(p, p->line, "ram %s is larger than 2 GB", r.name);
        r.kind = REGION_RAM;
    } else if (!strcmp(f[4], "regfile")) {
        /* regfile [plain]: raw accesses trapped and decoded (the default), or plain memory. */
        if (n > 5 && !strcmp(f[5], "plain")) {
            r.plain = 1;
            n--;
        }
        if (n > 5)
            return fail(p, p->line, "unexpected '%s' after 'regfile' (only 'plain')", f[5]);
        if (r.size > 64ull * MB)
            return fail(p, p->line, "register file %s is larger than 64 MB", r.name);
        r.kind = REGION_REGFILE;
    } else if (!strcmp(f[4], "file")) {
        if (n < 6)
            return fail(p, p->line, "'device ... file' needs a PATH");
        /* file PATH [OFFSET] [rw]: read-only unless the board says rw. */
        if (n > 6 && !strcmp(f[n - 1], "rw")) {
            r.writable = 1;
            n--;
        }
        if (n > 7)
            return fail(p, p->line, "unexpected '%s' after the file offset (only 'rw' may follow)",
                        f[7]);
        if (n == 7 && (parse_number(f[6], 0, UINT64_MAX, &r.file_offset) || r.file_offset % PAGE))
            return fail(p, p->line, "bad file offset '%s' (a multiple of 0x1000)", f[6]);
        r.kind = REGION_FILE;
        char path[512];
        cevm_status pst = resolve(p, f[5], path, sizeof path);
        if (pst)
            return pst;
        r.path = strdup(path);
        if (!r.path)
            return CEVM_E_NOMEM;
    } else {
        return fail(p, p->line, "unknown device kind '%s' (regfile or file)", f[4]);
    }
    for (size_t i = 0; i < b->nregions; i++) {
        const struct board_region *o = &b->regions[i];
        if (r.pa < o->pa + o->size && o->pa < r.pa + r.size) {
            free(r.path);
            return fail(p, p->line, "%s %s overlaps %s (line %d)", kw, r.name, o->name, o->line);
        }
    }
    cevm_status st = add_region(b, &r);
    if (st)
        free(r.path);
    return st;
}

static cevm_status add_row(struct parser *p, struct board *b, const struct board_oem_row *row);

static cevm_status parse_oem(struct parser *p, struct board *b, char **f, int n)
{
    struct board_oem_row row;
    memset(&row, 0, sizeof row);
    row.line = p->line;
    row.file = p->label;
    uint64_t va, pa, mb;
    if (n >= 2 && !parse_number(f[1], 0, UINT32_MAX, &va) && va == OEM_NEW_STYLE_MARKER) {
        /* Compact 7's marker row: the devices come from the OEMDeviceTable (`devtable`). */
        if (b->noem || b->new_style)
            return fail(p, p->line,
                        "the new-style marker row 0x87654321 must be the first oem row");
        b->new_style = 1;
        return CEVM_OK;
    }
    int x86 = !strcmp(b->cpu, "x86"); /* the x86 table stores bytes, a multiple of 4 MB */
    if (n < 4)
        return fail(p, p->line,
                    x86 ? "'oem' needs VA PA SIZE-IN-BYTES [LABEL] (cpu x86)"
                        : "'oem' needs VA PA SIZE-IN-MB [LABEL]");
    if (parse_number(f[1], 0, UINT32_MAX, &va))
        return fail(p, p->line, "bad virtual address '%s'", f[1]);
    if (parse_number(f[2], 0, UINT32_MAX, &pa))
        return fail(p, p->line, "bad physical address '%s' (32-bit)", f[2]);
    if (x86) {
        uint64_t bytes;
        if (parse_number(f[3], 0, 512ull * MB, &bytes) || bytes == 0 || bytes % (4ull * MB))
            return fail(p, p->line,
                        "bad size '%s' (cpu x86: bytes, a non-zero multiple of 4 MB "
                        "(0x400000), at most 512 MB)",
                        f[3]);
        mb = bytes / MB;
    } else if (parse_number(f[3], 0, 512, &mb) || mb == 0)
        return fail(p, p->line, "bad size '%s' (whole MB, 1 to 512)", f[3]);
    if (va < 0x80000000u || va >= 0xA0000000u)
        return fail(p, p->line, "VA 0x%08llX is outside the cached window 0x80000000-0x9FFFFFFF",
                    (unsigned long long)va);
    if (va % MB || pa % MB)
        return fail(p, p->line, "VA and PA must be 1 MB-aligned");
    if (va + mb * MB > 0xA0000000u)
        return fail(p, p->line, "row runs past 0x9FFFFFFF");
    if (pa + mb * MB > 0x100000000ull)
        return fail(p, p->line, "row runs past physical 0xFFFFFFFF");
    row.va = (uint32_t)va;
    row.pa = (uint32_t)pa;
    row.mb = (uint32_t)mb;
    row.bytes = (uint32_t)(mb * MB);
    join(row.label, sizeof row.label, f, 4, n);
    return add_row(p, b, &row);
}

/* Add a static row (oem or devtable): no VA overlap with another physical address. */
static cevm_status add_row(struct parser *p, struct board *b, const struct board_oem_row *row)
{
    for (size_t i = 0; i < b->noem; i++) {
        const struct board_oem_row *o = &b->oem[i];
        uint64_t oend = o->va + (uint64_t)o->bytes, end = row->va + (uint64_t)row->bytes;
        if (row->va < oend && o->va < end &&
            (o->device || row->device ||
             (int64_t)o->va - (int64_t)row->va != (int64_t)o->pa - (int64_t)row->pa))
            return fail(p, p->line,
                        "row overlaps line %d with a different physical address for the same VA",
                        o->line);
    }
    if (b->noem == BOARD_MAX_OEM_ROWS)
        return fail(p, p->line, "more than %d oem and devtable rows", BOARD_MAX_OEM_ROWS);
    struct board_oem_row *nr = host_realloc(b->oem, (b->noem + 1) * sizeof *nr);
    if (!nr)
        return CEVM_E_NOMEM;
    b->oem = nr;
    b->oem[b->noem++] = *row;
    return CEVM_OK;
}

/* `devtable VA PA SIZE ATTR [LABEL]`: an OEMDeviceTable entry of Compact 7's new-style table. */
static cevm_status parse_devtable(struct parser *p, struct board *b, char **f, int n)
{
    struct board_oem_row row;
    memset(&row, 0, sizeof row);
    row.line = p->line;
    row.file = p->label;
    row.device = 1;
    uint64_t va, pa, size, attr;
    if (!b->new_style)
        return fail(p, p->line, "'devtable' rows need the new-style table: 'oem 0x87654321' first");
    if (n < 5)
        return fail(p, p->line, "'devtable' needs VA PA SIZE-IN-BYTES ATTRIBUTES [LABEL]");
    if (parse_number(f[1], 0, UINT32_MAX, &va) || va < 0x80000000u || va >= 0xF0000000u ||
        va % 0x1000)
        return fail(p, p->line, "bad VA '%s' (page-aligned, 0x80000000 to 0xEFFFFFFF)", f[1]);
    if (parse_number(f[2], 0, UINT32_MAX, &pa) || pa % 0x1000)
        return fail(p, p->line, "bad physical address '%s' (page-aligned, 32-bit)", f[2]);
    if (parse_number(f[3], 0, UINT32_MAX, &size) || size == 0 || size % 0x1000)
        return fail(p, p->line, "bad size '%s' (bytes, a multiple of 4 KB)", f[3]);
    if (parse_number(f[4], 0, UINT32_MAX, &attr))
        return fail(p, p->line, "bad attributes '%s'", f[4]);
    if (va + size > 0xF0000000u || pa + size > 0x100000000ull)
        return fail(p, p->line, "entry runs past 0xEFFFFFFF or physical 0xFFFFFFFF");
    row.va = (uint32_t)va;
    row.pa = (uint32_t)pa;
    row.bytes = (uint32_t)size;
    row.mb = (uint32_t)((size + MB - 1) / MB);
    row.attr = (uint32_t)attr;
    join(row.label, sizeof row.label, f, 5, n);
    return add_row(p, b, &row);
}

static struct board_region *find_device(struct board *b, const char *name)
{
    for (size_t i = 0; i < b->nregions; i++)
        if (!strcmp(b->regions[i].name, name) && b->regions[i].kind != REGION_RAM)
            return &b->regions[i];
    return NULL;
}

static struct board_region *find_regfile(struct parser *p, struct board *b, const char *name,
                                         cevm_status *st)
{
    struct board_region *d = find_device(b, name);
    if (!d)
        *st = fail(p, p->line, "no device named '%s' is declared above this line", name);
    else if (d->kind != REGION_REGFILE)
        *st =
            fail(p, p->line, "device %s is not a 'regfile' (registers and models need one)", name);
    return d;
}

/* The registers of one device are a chain through board_register.reg_prev from the device's
 * reg_tail, so finding one (and the duplicate check) looks at that device's registers only:
 * the default board declares ~300 and is parsed at every boot. Names are compared whole. */
static const struct board_register *find_register(const struct board *b, const char *dev,
                                                  const char *name)
{
    char key[sizeof b->regs[0].name] = {0}; /* zero-padded, as the stored names are */
    if (copy_name(key, sizeof key, name))
        return NULL;
    for (size_t i = 0; i < b->nregions; i++)
        if (b->regions[i].kind == REGION_REGFILE && !strcmp(b->regions[i].name, dev))
            for (size_t at = b->regions[i].reg_tail; at; at = b->regs[at - 1].reg_prev)
                if (!memcmp(b->regs[at - 1].name, key, sizeof key))
                    return &b->regs[at - 1];
    return NULL;
}

/* register DEVICE NAME OFFSET WIDTH ACCESS RESET [selfclear=MASK] */
static cevm_status parse_register(struct parser *p, struct board *b, char **f, int n)
{
    static const char *const access[] = {"rw", "ro", "wo", "w1c", "rc"};
    struct board_register r;
    memset(&r, 0, sizeof r);
    r.line = p->line;
    r.file = p->label;
    if (n < 7 || n > 9)
        return fail(p, p->line,
                    "'register' needs DEVICE NAME OFFSET WIDTH ACCESS RESET [selfclear=MASK] "
                    "[w1c=MASK]");
    cevm_status st = CEVM_OK;
    struct board_region *d = find_regfile(p, b, f[1], &st);
    if (!d)
        return st;
    snprintf(r.device, sizeof r.device, "%s", d->name);
    if (copy_name(r.name, sizeof r.name, f[2]))
        return fail(p, p->line, "register name '%s' is longer than %zu characters", f[2],
                    sizeof r.name - 1);
    uint64_t off, width, reset, sc = 0;
    if (parse_number(f[3], 0, UINT32_MAX, &off))
        return fail(p, p->line, "bad register offset '%s'", f[3]);
    if (parse_number(f[4], 0, 32, &width) || (width != 8 && width != 16 && width != 32))
        return fail(p, p->line, "register width '%s' must be 8, 16 or 32 (bits)", f[4]);
    r.width = (uint32_t)width / 8;
    if (off % r.width)
        return fail(p, p->line, "register %s at offset 0x%llX is not aligned to its width", r.name,
                    (unsigned long long)off);
    if (off + r.width > d->size)
        return fail(p, p->line,
                    "register %s at offset 0x%llX lies outside device %s (0x%llX bytes)", r.name,
                    (unsigned long long)off, d->name, (unsigned long long)d->size);
    r.offset = (uint32_t)off;
    size_t a = 0;
    while (a < 5 && strcmp(f[5], access[a]))
        a++;
    if (a == 5)
        return fail(p, p->line, "unknown access '%s' (rw, ro, wo, w1c or rc)", f[5]);
    r.access = (enum reg_access)a;
    uint64_t max = width == 32 ? UINT32_MAX : (1ull << width) - 1;
    if (parse_number(f[6], 0, max, &reset))
        return fail(p, p->line, "bad reset value '%s' (a number that fits in %llu bits)", f[6],
                    (unsigned long long)width);
    r.reset = (uint32_t)reset;
    for (int i = 7; i < n; i++) {
        uint64_t w1c = 0;
        if (!strncmp(f[i], "w1c=", 4) && !r.w1c && !parse_number(f[i] + 4, 0, max, &w1c) && w1c) {
            if (r.access != ACCESS_RW)
                return fail(p, p->line, "w1c=MASK marks write-1-to-clear bits of an rw register");
            r.w1c = (uint32_t)w1c;
        } else if (strncmp(f[i], "selfclear=", 10) || sc || parse_number(f[i] + 10, 0, max, &sc) ||
                   !sc) {
            return fail(p, p->line,
                        "expected selfclear=MASK or w1c=MASK (non-zero, fits in %llu bits, once "
                        "each), not '%s'",
                        (unsigned long long)width, f[i]);
        }
    }
    r.selfclear = (uint32_t)sc;
    for (size_t at = d->reg_tail; at; at = b->regs[at - 1].reg_prev) {
        const struct board_register *o = &b->regs[at - 1];
        if (!memcmp(o->name, r.name, sizeof r.name)) /* both zero-padded */
            return fail(p, p->line, "register %s is already declared for %s (line %d)", r.name,
                        r.device, o->line);
        if (r.offset < o->offset + o->width && o->offset < r.offset + r.width)
            return fail(p, p->line, "register %s overlaps register %s (line %d)", r.name, o->name,
                        o->line);
    }
    struct board_register *nr = host_realloc(b->regs, (b->nregs + 1) * sizeof *nr);
    if (!nr)
        return CEVM_E_NOMEM;
    b->regs = nr;
    r.reg_prev = d->reg_tail;
    b->regs[b->nregs++] = r;
    d->reg_tail = b->nregs;
    return CEVM_OK;
}

/* pin DEVICE NAME REGISTER BIT in|out */
static cevm_status parse_pin(struct parser *p, struct board *b, char **f, int n)
{
    struct board_pin pin;
    memset(&pin, 0, sizeof pin);
    pin.line = p->line;
    pin.file = p->label;
    if (n != 6)
        return fail(p, p->line, "'pin' needs DEVICE NAME REGISTER BIT in|out");
    cevm_status st = CEVM_OK;
    const struct board_region *d = find_regfile(p, b, f[1], &st);
    if (!d)
        return st;
    snprintf(pin.device, sizeof pin.device, "%s", d->name);
    if (copy_name(pin.name, sizeof pin.name, f[2]))
        return fail(p, p->line, "pin name '%s' is too long", f[2]);
    const struct board_register *r = find_register(b, d->name, f[3]);
    if (!r)
        return fail(p, p->line, "device %s has no register '%s' declared above this line", d->name,
                    f[3]);
    snprintf(pin.reg, sizeof pin.reg, "%s", r->name);
    uint64_t bit;
    if (parse_number(f[4], 0, r->width * 8 - 1, &bit))
        return fail(p, p->line, "bit '%s' is not a bit of the %u-bit register %s", f[4],
                    r->width * 8, r->name);
    pin.bit = (uint32_t)bit;
    if (strcmp(f[5], "in") && strcmp(f[5], "out"))
        return fail(p, p->line, "pin direction '%s' must be 'in' or 'out'", f[5]);
    pin.input = !strcmp(f[5], "in");
    for (size_t i = 0; i < b->npins; i++) {
        const struct board_pin *o = &b->pins[i];
        if (strcmp(o->device, pin.device))
            continue;
        if (!strcmp(o->name, pin.name))
            return fail(p, p->line, "pin %s is already declared for %s (line %d)", pin.name,
                        pin.device, o->line);
        if (!strcmp(o->reg, pin.reg) && o->bit == pin.bit)
            return fail(p, p->line, "bit %u of %s already belongs to pin %s (line %d)", pin.bit,
                        pin.reg, o->name, o->line);
    }
    struct board_pin *np = host_realloc(b->pins, (b->npins + 1) * sizeof *np);
    if (!np)
        return CEVM_E_NOMEM;
    b->pins = np;
    b->pins[b->npins++] = pin;
    return CEVM_OK;
}

/* model DEVICE KIND */
static cevm_status parse_model(struct parser *p, struct board *b, char **f, int n)
{
    struct board_model m;
    memset(&m, 0, sizeof m);
    m.line = p->line;
    m.file = p->label;
    int vic = n >= 3 && !strcmp(f[2], "vic");
    if (n != (vic ? 4 : 3))
        return fail(p, p->line,
                    vic ? "'model DEVICE vic' needs the IRQ of the VIC's source 0"
                        : "'model' needs DEVICE KIND");
    cevm_status st = CEVM_OK;
    const struct board_region *d = find_regfile(p, b, f[1], &st);
    if (!d)
        return st;
    if (strcmp(f[2], "uart") && strcmp(f[2], "pwm") && strcmp(f[2], "wdt") &&
        strcmp(f[2], "pl080s") && !vic)
        return fail(p, p->line, "unknown model '%s' (built-in models: uart, pwm, wdt, pl080s, vic)",
                    f[2]);
    uint64_t base = 0;
    if (vic && (parse_number(f[3], 0, BOARD_MAX_IRQ - 32, &base)))
        return fail(p, p->line, "VIC base IRQ '%s' must be 0 to %d", f[3], BOARD_MAX_IRQ - 32);
    m.base_irq = (uint32_t)base;
    for (size_t i = 0; i < b->nmodels; i++)
        if (!strcmp(b->models[i].device, d->name))
            return fail(p, p->line, "device %s already has a model (line %d)", d->name,
                        b->models[i].line);
    snprintf(m.device, sizeof m.device, "%s", d->name);
    snprintf(m.kind, sizeof m.kind, "%s", f[2]);
    struct board_model *nm = host_realloc(b->models, (b->nmodels + 1) * sizeof *nm);
    if (!nm)
        return CEVM_E_NOMEM;
    b->models = nm;
    b->models[b->nmodels++] = m;
    return CEVM_OK;
}

/* REG:MASK naming a register of device dev declared above (a mask of its bits, not 0). */
static cevm_status parse_reg_mask(struct parser *p, const struct board *b, const char *dev,
                                  const char *text, const char *what, char *reg, size_t cap,
                                  uint32_t *mask)
{
    char name[64];
    const char *colon = strchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof name)
        return fail(p, p->line, "%s '%s' must be REGISTER:MASK", what, text);
    memcpy(name, text, (size_t)(colon - text));
    name[colon - text] = '\0';
    const struct board_register *r = find_register(b, dev, name);
    if (!r)
        return fail(p, p->line, "device %s has no register '%s' declared above this line", dev,
                    name);
    uint64_t v;
    uint64_t all = r->width == 4 ? 0xFFFFFFFFu : (1u << (r->width * 8)) - 1;
    if (parse_number(colon + 1, 0, all, &v) || !v)
        return fail(p, p->line, "%s mask '%s' is not a non-zero mask of the %u-bit register %s",
                    what, colon + 1, r->width * 8, r->name);
    snprintf(reg, cap, "%s", r->name);
    *mask = (uint32_t)v;
    return CEVM_OK;
}

/* irq NUMBER NAME DEVICE PENDING-REG MASK [enable=REG:MASK | mask=REG:MASK] [oalmask=REG:MASK]
 * [sysintr=N] */
static cevm_status parse_irq(struct parser *p, struct board *b, char **f, int n)
{
    struct board_irq q;
    memset(&q, 0, sizeof q);
    q.line = p->line;
    q.file = p->label;
    if (n < 6)
        return fail(p, p->line,
                    "'irq' needs NUMBER NAME DEVICE PENDING-REGISTER MASK [enable=REG:MASK | "
                    "mask=REG:MASK] [oalmask=REG:MASK] [sysintr=N]");
    uint64_t v;
    if (parse_number(f[1], 0, BOARD_MAX_IRQ - 1, &v))
        return fail(p, p->line, "IRQ number '%s' must be 0 to %d", f[1], BOARD_MAX_IRQ - 1);
    q.number = (uint32_t)v;
    if (copy_name(q.name, sizeof q.name, f[2]))
        return fail(p, p->line, "IRQ name '%s' is too long", f[2]);
    cevm_status st = CEVM_OK;
    const struct board_region *d = find_regfile(p, b, f[3], &st);
    if (!d)
        return st;
    snprintf(q.device, sizeof q.device, "%s", d->name);
    char pm[80];
    snprintf(pm, sizeof pm, "%s:%s", f[4], f[5]);
    if ((st = parse_reg_mask(p, b, d->name, pm, "pending", q.pend_reg, sizeof q.pend_reg,
                             &q.pend_mask)))
        return st;
    for (int i = 6; i < n; i++) {
        if (!strncmp(f[i], "enable=", 7) || !strncmp(f[i], "mask=", 5)) {
            if (q.gate != GATE_NONE)
                return fail(p, p->line, "an IRQ has one gate: enable= or mask=, once");
            int en = f[i][0] == 'e';
            q.gate = en ? GATE_ENABLE : GATE_MASK;
            if ((st = parse_reg_mask(p, b, d->name, f[i] + (en ? 7 : 5), en ? "enable" : "mask",
                                     q.gate_reg, sizeof q.gate_reg, &q.gate_mask)))
                return st;
        } else if (!strncmp(f[i], "oalmask=", 8)) {
            if ((st = parse_reg_mask(p, b, d->name, f[i] + 8, "oalmask", q.oal_reg,
                                     sizeof q.oal_reg, &q.oal_mask)))
                return st;
        } else if (!strncmp(f[i], "sysintr=", 8)) {
            if (parse_number(f[i] + 8, 0, 71, &v) || v < 8)
                return fail(p, p->line,
                            "SYSINTR '%s' must be a device SYSINTR, 8 or more (below the "
                            "profile's SYSINTR_MAXIMUM)",
                            f[i] + 8);
            q.sysintr = (uint32_t)v;
        } else {
            return fail(p, p->line, "unknown irq option '%s'", f[i]);
        }
    }
    for (size_t i = 0; i < b->nirqs; i++) {
        const struct board_irq *o = &b->irqs[i];
        if (o->number == q.number)
            return fail(p, p->line, "IRQ %u is already wired to %s (line %d)", q.number, o->device,
                        o->line);
        if (!strcmp(o->name, q.name))
            return fail(p, p->line, "IRQ name %s is already used (line %d)", q.name, o->line);
        if (q.sysintr && o->sysintr == q.sysintr)
            return fail(p, p->line, "SYSINTR %u is already mapped to IRQ %u (line %d)", q.sysintr,
                        o->number, o->line);
    }
    struct board_irq *nq = host_realloc(b->irqs, (b->nirqs + 1) * sizeof *nq);
    if (!nq)
        return CEVM_E_NOMEM;
    b->irqs = nq;
    b->irqs[b->nirqs++] = q;
    return CEVM_OK;
}

/* pinirq DEVICE PIN PENDING-REG BIT CONFIG-REG SHIFT */
static cevm_status parse_pinirq(struct parser *p, struct board *b, char **f, int n)
{
    struct board_pinirq q;
    memset(&q, 0, sizeof q);
    q.line = p->line;
    q.file = p->label;
    if (n != 7)
        return fail(p, p->line,
                    "'pinirq' needs DEVICE PIN PENDING-REGISTER BIT CONFIG-REGISTER "
                    "SHIFT");
    cevm_status st = CEVM_OK;
    const struct board_region *d = find_regfile(p, b, f[1], &st);
    if (!d)
        return st;
    snprintf(q.device, sizeof q.device, "%s", d->name);
    const struct board_pin *pin = NULL;
    for (size_t i = 0; i < b->npins; i++)
        if (!strcmp(b->pins[i].device, d->name) && !strcmp(b->pins[i].name, f[2]))
            pin = &b->pins[i];
    if (!pin || !pin->input)
        return fail(p, p->line, "device %s has no input pin '%s' declared above this line", d->name,
                    f[2]);
    snprintf(q.pin, sizeof q.pin, "%s", pin->name);
    const struct board_register *pr = find_register(b, d->name, f[3]);
    const struct board_register *cr = find_register(b, d->name, f[5]);
    if (!pr || !cr)
        return fail(p, p->line, "device %s has no register '%s' declared above this line", d->name,
                    pr ? f[5] : f[3]);
    uint64_t v;
    if (parse_number(f[4], 0, pr->width * 8 - 1, &v))
        return fail(p, p->line, "bit '%s' is not a bit of the %u-bit register %s", f[4],
                    pr->width * 8, pr->name);
    q.pend_bit = (uint32_t)v;
    if (parse_number(f[6], 0, cr->width * 8 - 3, &v))
        return fail(p, p->line,
                    "shift '%s' leaves no 3-bit trigger field in the %u-bit register %s", f[6],
                    cr->width * 8, cr->name);
    q.cfg_shift = (uint32_t)v;
    snprintf(q.pend_reg, sizeof q.pend_reg, "%s", pr->name);
    snprintf(q.cfg_reg, sizeof q.cfg_reg, "%s", cr->name);
    for (size_t i = 0; i < b->npinirqs; i++)
        if (!strcmp(b->pinirqs[i].device, q.device) && !strcmp(b->pinirqs[i].pin, q.pin))
            return fail(p, p->line, "pin %s already raises an interrupt (line %d)", q.pin,
                        b->pinirqs[i].line);
    struct board_pinirq *nq = host_realloc(b->pinirqs, (b->npinirqs + 1) * sizeof *nq);
    if (!nq)
        return CEVM_E_NOMEM;
    b->pinirqs = nq;
    b->pinirqs[b->npinirqs++] = q;
    return CEVM_OK;
}

/* The directory part of path, in buf; NULL when path has none (the current directory). */
static const char *dir_of(const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    return buf[0] ? buf : "/";
}

/* Does path leave the folder it is relative to (absolute, or a '..' component)? */
static int leaves_folder(const char *path)
{
    if (path[0] == '/')
        return 1;
    for (const char *s = path; (s = strstr(s, "..")); s += 2)
        if ((s == path || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
            return 1;
    return 0;
}

/* The path of a file named by an include, registry or file line, relative to the board file
 * that names it. Board files are input: unless the user allowed any path (BOARD_ANY_PATH),
 * a path may not leave that file's folder. */
static cevm_status resolve(struct parser *p, const char *name, char *out, size_t cap)
{
    if (!(p->flags & BOARD_ANY_PATH) && leaves_folder(name))
        return fail(p, p->line,
                    "path '%s' leaves the board's folder (absolute or '..'); allow it with "
                    "--any-path or CEVM_BOARD_ANY_PATH=1",
                    name);
    int len = name[0] == '/' || !p->dir ? snprintf(out, cap, "%s", name)
                                        : snprintf(out, cap, "%s/%s", p->dir, name);
    if (len < 0 || (size_t)len >= cap)
        return fail(p, p->line, "path '%s' is too long", name);
    return CEVM_OK;
}

/* The state of a platform.reg being read: its folder (for #include) and how deep includes go. */
struct reg_file {
    struct parser *p;
    struct board *b;
    const char *dir;
    const char *label;
};

static cevm_status reg_include(const char *path, int line, void *vctx);

/* Parse a platform.reg text labelled label, from folder dir, into the board's registry. */
static cevm_status parse_reg_text(struct parser *p, struct board *b, const char *text,
                                  const char *label, const char *dir)
{
    struct reg_file rf = {p, b, dir, label};
    return regparse_text_inc(text, label, &b->registry, p->err, p->errlen, reg_include, &rf);
}

/* `#include "FILE"` in a platform.reg: FILE relative to that file's folder, under the board's
 * path rules. */
static cevm_status reg_include(const char *path, int line, void *vctx)
{
    struct reg_file *rf = vctx;
    struct parser inc = *rf->p;
    inc.label = rf->label;
    inc.line = line;
    inc.dir = rf->dir;
    if (inc.depth >= 8)
        return fail(&inc, line, "files are included more than 8 deep");
    char full[512], why[300], dir[512];
    char *text = NULL;
    cevm_status st = resolve(&inc, path, full, sizeof full);
    if (st)
        return st;
    if ((st = read_text_file(full, "registry file", &text, why, sizeof why)))
        return st == CEVM_E_NOMEM ? st : fail(&inc, line, "%s", why);
    const char *label = intern(rf->b, full);
    if (!label) {
        free(text);
        return CEVM_E_NOMEM;
    }
    inc.depth++;
    st = parse_reg_text(&inc, rf->b, text, label, dir_of(full, dir, sizeof dir));
    free(text);
    return st;
}

/* include PATH | builtin;  registry PATH */
static cevm_status parse_file_line(struct parser *p, struct board *b, char **f, int n, int is_reg)
{
    const char *kw = is_reg ? "registry" : "include";
    if (n != 2)
        return fail(p, p->line, "'%s' needs one PATH%s", kw, is_reg ? "" : " (or 'builtin')");
    if (p->depth >= 8)
        return fail(p, p->line, "files are included more than 8 deep");
    char path[512];
    char *text = NULL;
    cevm_status st;
    if (!is_reg && !strcmp(f[1], "builtin")) {
        snprintf(path, sizeof path, "built-in");
        if (!(text = strdup(cevm_default_board_text)))
            return CEVM_E_NOMEM;
    } else {
        if ((st = resolve(p, f[1], path, sizeof path)))
            return st;
        char why[300];
        if ((st = read_text_file(path, is_reg ? "registry file" : "board file", &text, why,
                                 sizeof why))) {
            if (st == CEVM_E_NOMEM)
                return st;
            return fail(p, p->line, "%s", why);
        }
    }
    const char *label = intern(b, path);
    if (!label) {
        free(text);
        return CEVM_E_NOMEM;
    }
    if (is_reg) {
        char dir[512];
        struct parser reg = *p;
        reg.depth = p->depth + 1;
        st = parse_reg_text(&reg, b, text, label, dir_of(path, dir, sizeof dir));
        free(text);
        return st;
    }
    char dir[512];
    struct parser sub = {label, 0, p->err, p->errlen, NULL, p->depth + 1, p->flags, 0};
    if (strcmp(path, "built-in"))
        sub.dir = dir_of(path, dir, sizeof dir);
    st = parse_text(&sub, b, text);
    free(text);
    return st;
}

struct table_ctx {
    struct parser *p;
    struct board *b;
    cevm_status st;
};

/* One row of an OEMAddressTable file: checked and added as an `oem` line at its own line. */
static int table_row(const struct oemtable_row *row, void *vctx)
{
    struct table_ctx *t = vctx;
    char va[24], pa[24], mb[24], label[64];
    snprintf(va, sizeof va, "0x%llX", (unsigned long long)row->va);
    snprintf(pa, sizeof pa, "0x%llX", (unsigned long long)row->pa);
    snprintf(mb, sizeof mb, "%llu", (unsigned long long)row->mb);
    snprintf(label, sizeof label, "%s", row->label);
    char *f[5] = {"oem", va, pa, mb, label};
    t->p->line = row->line;
    t->st = parse_oem(t->p, t->b, f, label[0] ? 5 : 4);
    return t->st != CEVM_OK;
}

/* `oemtable PATH`: the rows of a BSP's OEMAddressTable file (oemaddrtab_cfg.inc or a C array). */
static cevm_status parse_oemtable(struct parser *p, struct board *b, char **f, int n)
{
    if (n != 2)
        return fail(p, p->line, "'oemtable' needs one PATH (an oemaddrtab_cfg.inc or a C file)");
    char path[512], why[300];
    char *text = NULL;
    cevm_status st = resolve(p, f[1], path, sizeof path);
    if (st)
        return st;
    if ((st = read_text_file(path, "OEMAddressTable file", &text, why, sizeof why)))
        return st == CEVM_E_NOMEM ? st : fail(p, p->line, "%s", why);
    const char *label = intern(b, path);
    if (!label) {
        free(text);
        return CEVM_E_NOMEM;
    }
    struct parser sub = {label, 0, p->err, p->errlen, p->dir, p->depth + 1, p->flags, 1};
    struct table_ctx t = {&sub, b, CEVM_OK};
    char perr[200] = "";
    int rows = oemtable_parse(text, table_row, &t, perr, sizeof perr);
    free(text);
    if (t.st)
        return t.st;
    if (rows < 0)
        return fail(p, p->line, "%s:%s", label, perr);
    if (rows == 0)
        return fail(p, p->line, "%s: no rows (DCD VA, PA, MB or { VA, PA, MB })", label);
    return CEVM_OK;
}

static cevm_status parse_line(struct parser *p, struct board *b, char **f, int n)
{
    const char *kw = f[0];
    if (!strcmp(kw, "register"))
        return parse_register(p, b, f, n);
    if (!strcmp(kw, "pin"))
        return parse_pin(p, b, f, n);
    if (!strcmp(kw, "model"))
        return parse_model(p, b, f, n);
    if (!strcmp(kw, "include"))
        return parse_file_line(p, b, f, n, 0);
    if (!strcmp(kw, "registry"))
        return parse_file_line(p, b, f, n, 1);
    if (!strcmp(kw, "ram"))
        return parse_region(p, b, f, n, 1);
    if (!strcmp(kw, "device"))
        return parse_region(p, b, f, n, 0);
    if (!strcmp(kw, "oem"))
        return parse_oem(p, b, f, n);
    if (!strcmp(kw, "oemtable"))
        return parse_oemtable(p, b, f, n);
    if (!strcmp(kw, "devtable"))
        return parse_devtable(p, b, f, n);
    if (!strcmp(kw, "irq"))
        return parse_irq(p, b, f, n);
    if (!strcmp(kw, "pinirq"))
        return parse_pinirq(p, b, f, n);
    if (!strcmp(kw, "clock")) {
        if (n != 2 || (strcmp(f[1], "real") && strcmp(f[1], "virtual")))
            return fail(p, p->line, "'clock' needs 'real' or 'virtual'");
        b->virtual_clock = f[1][0] == 'v';
        return CEVM_OK;
    }
    if (!strcmp(kw, "board")) {
        if (n < 2)
            return fail(p, p->line, "'board' needs a NAME");
        join(b->name, sizeof b->name, f, 1, n);
        return CEVM_OK;
    }
    if (!strcmp(kw, "profile")) {
        if (n != 2)
            return fail(p, p->line, "'profile' needs one of ce5, ce6, ce7");
        if (!strcmp(f[1], "ce5"))
            b->profile = PROFILE_CE5;
        else if (!strcmp(f[1], "ce6"))
            b->profile = PROFILE_CE6;
        else if (!strcmp(f[1], "ce7"))
            b->profile = PROFILE_CE7;
        else
            return fail(p, p->line, "unknown profile '%s' (ce5, ce6 or ce7)", f[1]);
        return CEVM_OK;
    }
    if (!strcmp(kw, "cpu")) {
        if (n != 2 || (strcmp(f[1], "arm") && strcmp(f[1], "x86")))
            return fail(p, p->line, "'cpu' must be 'arm' or 'x86'");
        if (b->noem && strcmp(b->cpu, f[1]))
            return fail(p, p->line,
                        "'cpu' must come before the oem rows (it decides their size unit)");
        copy_name(b->cpu, sizeof b->cpu, f[1]);
        b->cache_bits = strcmp(f[1], "x86") ? 0xC : 0x0; /* x86: write-back, PCD and PWT clear */
        return CEVM_OK;
    }
    if (!strcmp(kw, "cache")) {
        uint64_t v;
        int x86 = !strcmp(b->cpu, "x86");
        if (n != 2 || parse_number(f[1], 0, 0xC, &v) || (v & ~(x86 ? 0x8ull : 0xCull)))
            return fail(p, p->line,
                        x86 ? "'cache' needs the x86 bits of a cached page: 0x0 (write-back) or "
                              "0x8 (PWT, write-through)"
                            : "'cache' needs the ARM C/B bits: 0x0, 0x4, 0x8 or 0xC");
        b->cache_bits = (uint32_t)v;
        return CEVM_OK;
    }
    if (!strcmp(kw, "process") || !strcmp(kw, "caller")) {
        int caller = kw[0] == 'c';
        uint64_t idx;
        if (n != 3)
            return fail(p, p->line, "'%s' needs NAME INDEX", kw);
        if (copy_name(caller ? b->caller_name : b->process_name, sizeof b->process_name, f[1]))
            return fail(p, p->line, "process name '%s' is too long", f[1]);
        if (parse_number(f[2], 0, 31, &idx) || idx < 1)
            return fail(p, p->line, "process index '%s' must be 1 to 31 (slot = index + 1)", f[2]);
        if (idx == (caller ? b->process_index : b->caller_index) && (caller || b->caller_set))
            return fail(p, p->line,
                        "the caller and the process must be different processes (index %s)", f[2]);
        if (caller)
            b->caller_set = 1;
        else if (idx == b->caller_index) /* the default caller moves out of the way */
            b->caller_index = idx == 5 ? 6 : 5;
        *(caller ? &b->caller_index : &b->process_index) = (uint32_t)idx;
        return CEVM_OK;
    }
    if (!strcmp(kw, "dllbase")) {
        uint64_t v;
        if (n != 2 || parse_number(f[1], 0, 0x02000000u, &v) || v < 0x10000u || (v & 0xFFFFu))
            return fail(p, p->line,
                        "'dllbase' needs a slot-relative address, 64 KB-aligned, 0x10000 to "
                        "0x2000000");
        b->dll_base = (uint32_t)v;
        return CEVM_OK;
    }
    return fail(p, p->line, "unknown keyword '%s'", kw);
}

/* Is this line platform.reg text ([key], "name"=value, @=value, ; comment)? */
static int registry_line(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '[' || *s == '"' || *s == '@' || *s == ';';
}

static const char *const keywords[] = {"register", "pin",    "model",   "include",  "registry",
                                       "ram",      "device", "oem",     "board",    "profile",
                                       "cpu",      "cache",  "process", "dllbase",  "caller",
                                       "irq",      "pinirq", "clock",   "devtable", "oemtable"};

static int is_keyword(const char *kw)
{
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (!strcmp(kw, keywords[i]))
            return 1;
    return 0;
}

static cevm_status parse_text(struct parser *p, struct board *b, const char *text)
{
    struct regparse rp;
    memset(&rp, 0, sizeof rp);
    cevm_status st = CEVM_OK;
    const char *s = text;
    if (!strncmp(s, "\xEF\xBB\xBF", 3)) /* a UTF-8 byte-order mark */
        s += 3;
    while (*s && st == CEVM_OK) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        p->line++;
        char buf[512];
        if (len >= sizeof buf) {
            st = fail(p, p->line, "line longer than %zu characters", sizeof buf - 1);
            break;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (registry_line(buf) || regparse_claims(&rp, buf)) {
            st = regparse_line(&rp, buf, p->label, p->line, &b->registry, p->err, p->errlen);
            p->good++;
        } else {
            char *hash = strchr(buf, '#');
            if (hash)
                *hash = '\0';
            char *f[MAX_FIELDS];
            int n = split(buf, f);
            if (n != 0 && !p->good && (n < 0 || !is_keyword(f[0]))) {
                /* The first meaningful line is no board line: this is some other file, and
                 * none of its text may appear in a message. */
                st = fail(p, p->line,
                          "not a board file (its first line is no board line; its "
                          "text is not shown)");
            } else if (n < 0) {
                st = fail(p, p->line, "more than %d fields", MAX_FIELDS);
            } else if (n > 0) {
                st = parse_line(p, b, f, n);
                p->good++;
            }
        }
        s = eol ? eol + 1 : s + len;
    }
    cevm_status end = regparse_end(&rp, p->label, st ? NULL : p->err, st ? 0 : p->errlen);
    return st ? st : end;
}

static void board_defaults(struct board *b, const char *label)
{
    memset(b, 0, sizeof *b);
    b->profile = PROFILE_CE5;
    b->cache_bits = 0xC;
    b->process_index = 2;
    b->dll_base = 0x02000000u;
    strcpy(b->process_name, "device.exe");
    b->caller_index = 5;
    strcpy(b->caller_name, "app.exe");
    strcpy(b->cpu, "arm");
    strcpy(b->name, "unnamed");
    snprintf(b->source, sizeof b->source, "%s", label);
}

static cevm_status parse_board(const char *text, struct parser *p, struct board *b)
{
    board_defaults(b, p->label);
    if (!text)
        return CEVM_E_INVAL;
    const char *given = p->label; /* the caller's: it outlives the board's copy */
    if (!(p->label = intern(b, p->label))) {
        board_free(b);
        if (p->err && p->errlen)
            snprintf(p->err, p->errlen, "%s: out of memory", given);
        return CEVM_E_NOMEM;
    }
    cevm_status st = parse_text(p, b, text);
    if (st == CEVM_OK) {
        int have_ram = 0;
        for (size_t i = 0; i < b->nregions; i++)
            have_ram |= b->regions[i].kind == REGION_RAM;
        if (!have_ram)
            st = fail(p, p->line, "the board has no 'ram' line (at least one RAM bank is needed)");
    }
    if (st != CEVM_OK) {
        board_free(b);
        if (st == CEVM_E_NOMEM && p->err && p->errlen)
            snprintf(p->err, p->errlen, "%s: out of memory", given);
    }
    p->label = given;
    return st;
}

unsigned board_env_flags(void)
{
    const char *any = getenv("CEVM_BOARD_ANY_PATH");
    return any && !strcmp(any, "1") ? BOARD_ANY_PATH : 0;
}

cevm_status board_parse(const char *text, const char *label, unsigned flags, struct board *b,
                        char *err, size_t errlen)
{
    struct parser p = {label ? label : "board", 0, err, errlen, NULL, 0, flags, 0};
    return parse_board(text, &p, b);
}

/* Read a whole text file (at most 16 MB, no NUL bytes). Return: CEVM_OK with *text to free;
 * CEVM_E_HOST (cannot open or read), CEVM_E_BOARD (too large, binary), CEVM_E_NOMEM. */
static cevm_status read_text_file(const char *path, const char *what, char **out, char *err,
                                  size_t errlen)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open %s: %s", path, what, strerror(errno));
        return CEVM_E_HOST;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            if (cap > (1u << 24)) {
                free(text);
                fclose(fp);
                if (err && errlen)
                    snprintf(err, errlen, "%s: file larger than 16 MB", path);
                return CEVM_E_BOARD;
            }
            char *nt = host_realloc(text, cap + 65536);
            if (!nt) {
                free(text);
                fclose(fp);
                return CEVM_E_NOMEM;
            }
            text = nt;
            cap += 65536;
        }
        size_t got = fread(text + len, 1, cap - len - 1, fp);
        len += got;
        if (got == 0)
            break;
    }
    int rerr = ferror(fp);
    fclose(fp);
    if (rerr) {
        free(text);
        if (err && errlen)
            snprintf(err, errlen, "%s: read error", path);
        return CEVM_E_HOST;
    }
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
        free(text);
        if (err && errlen)
            snprintf(err, errlen, "%s:1: not a text file (contains a NUL byte)", path);
        return CEVM_E_BOARD;
    }
    *out = text;
    return CEVM_OK;
}

cevm_status board_load_file(const char *path, unsigned flags, struct board *b, char *err,
                            size_t errlen)
{
    memset(b, 0, sizeof *b);
    char *text;
    cevm_status st = read_text_file(path, "board file", &text, err, errlen);
    if (st)
        return st;
    char dir[512];
    struct parser p = {path, 0, err, errlen, dir_of(path, dir, sizeof dir), 0, flags, 0};
    st = parse_board(text, &p, b);
    free(text);
    return st;
}

cevm_status board_fill_unimplemented(struct board *b)
{
    for (size_t i = 0; i < b->noem; i++) {
        uint64_t lo = b->oem[i].pa, hi = lo + (uint64_t)b->oem[i].bytes;
        /* Walk the row, carving out gaps that no region covers. */
        uint64_t at = lo;
        while (at < hi) {
            uint64_t next_cover = hi;
            int covered = 0;
            for (size_t r = 0; r < b->nregions; r++) {
                const struct board_region *g = &b->regions[r];
                if (g->pa <= at && at < g->pa + g->size) {
                    at = g->pa + g->size;
                    covered = 1;
                    break;
                }
                if (g->pa > at && g->pa < next_cover)
                    next_cover = g->pa;
            }
            if (covered)
                continue;
            struct board_region u;
            memset(&u, 0, sizeof u);
            u.kind = REGION_UNIMPLEMENTED;
            u.pa = at;
            u.size = next_cover - at;
            snprintf(u.name, sizeof u.name, "%.31s",
                     b->oem[i].label[0] ? b->oem[i].label : "unimplemented");
            cevm_status st = add_region(b, &u);
            if (st)
                return st;
            at = next_cover;
        }
    }
    return CEVM_OK;
}

void board_free(struct board *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nregions; i++)
        free(b->regions[i].path);
    free(b->regions);
    free(b->oem);
    free(b->regs);
    free(b->pins);
    free(b->models);
    free(b->irqs);
    free(b->pinirqs);
    reg_list_free(&b->registry);
    for (size_t i = 0; i < b->nfiles; i++)
        free(b->files[i]);
    free(b->files);
    b->files = NULL;
    b->nfiles = 0;
    b->regions = NULL;
    b->oem = NULL;
    b->regs = NULL;
    b->pins = NULL;
    b->models = NULL;
    b->irqs = NULL;
    b->pinirqs = NULL;
    b->nregions = b->noem = b->nregs = b->npins = b->nmodels = b->nirqs = b->npinirqs = 0;
}
