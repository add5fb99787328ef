/*
 * picture.c — the address space as a picture: `cevm map --svg FILE` / `--html FILE`.
 *
 * The 4 GB space is drawn on a compressed axis: one row per populated stretch (a run of pages
 * of one kind, state and protection), its height growing slowly with the logarithm of its size,
 * and one thin "scale break" for each free stretch between them, so a board fits a screen. On
 * CE 5, slot 0 and every process slot in use are drawn, each labelled with its process; one
 * row per OEMAddressTable row stands for its cached and uncached windows and names the board's
 * devices and RAM inside it; a row whose virtual range overlaps an earlier row is flagged (red
 * outline, "overlaps"). Rows are coloured by kind (free, reserved, committed RAM, AllocPhysMem,
 * VirtualCopy alias, device mapping, static window), carry a <title> tooltip, and rows that
 * reach the same physical pages are joined by a curve on the right. The HTML file wraps the same
 * SVG with a table, inline, with no network access. Output depends only on the machine's state:
 * the same script draws the same bytes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cevm/cevm.h>
#include <windows.h>

#include "picture.h"

#define PAGE      0x1000u
#define MAX_ROWS  2000
#define MAX_LINKS 300

enum kind { K_FREE, K_RESERVED, K_PRIVATE, K_ALLOCPHYS, K_ALIAS, K_DEVICE, K_STATIC, K_COUNT };

static const char *kind_name[K_COUNT] = {"free",         "reserved",          "committed RAM",
                                         "AllocPhysMem", "VirtualCopy alias", "device mapping",
                                         "static window"};
static const char *kind_colour[K_COUNT] = {"#ffffff", "#d9d9d9", "#7fb3e0", "#5fbf8f",
                                           "#f2b45a", "#e0707a", "#b39ddb"};

struct row {
    uint32_t va;
    uint64_t size;
    enum kind kind;
    uint32_t protect;
    uint64_t pa; /* first frame, when the run is physically contiguous */
    int has_pa;
    char label[64];
    char devices[160]; /* static windows: the board's regions inside, by name */
    uint32_t overlaps; /* static windows: VA of an earlier row this one overlaps, or 0 */
    int alias;         /* static windows: also mapped uncached at va + 0x20000000 */
    double y, h;
};

struct picture {
    struct row rows[MAX_ROWS];
    int n;
};

static enum kind kind_of(const cevm_page_info *p)
{
    if (p->state == MEM_FREE)
        return K_FREE;
    if (p->state == MEM_RESERVE)
        return K_RESERVED;
    if (p->flags & CEVM_PAGE_STATIC)
        return K_STATIC;
    if (p->flags & CEVM_PAGE_ALLOCPHYS)
        return K_ALLOCPHYS;
    if ((p->flags & CEVM_PAGE_DEVICE) && !(p->flags & CEVM_PAGE_RAM))
        return K_DEVICE;
    if ((p->flags & CEVM_PAGE_DEVICE) || (p->flags & CEVM_PAGE_SHARED))
        return K_ALIAS;
    return K_PRIVATE;
}

static struct row *add_row(struct picture *pic)
{
    if (pic->n == MAX_ROWS)
        return NULL;
    struct row *r = &pic->rows[pic->n++];
    memset(r, 0, sizeof *r);
    return r;
}

/* The loaded modules (drivers, DLLs), so their images get rows of their own, named. */
static cevm_module_info g_mods[64];
static size_t g_nmods;

/* The module whose image holds CE address a, or -1. */
static int module_at(uint64_t a)
{
    for (size_t i = 0; i < g_nmods && i < 64; i++)
        if (a >= g_mods[i].base && a < (uint64_t)g_mods[i].base + g_mods[i].size)
            return (int)i;
    return -1;
}

/* Split the non-free part of [lo, hi) into rows of equal kind, state, protection and module. */
static void scan(struct picture *pic, uint32_t lo, uint64_t hi, const char *where)
{
    uint64_t a = lo;
    while (a < hi) {
        MEMORY_BASIC_INFORMATION m;
        if (!VirtualQuery(cevm_host_ptr((uint32_t)a), &m, sizeof m) || m.RegionSize == 0)
            break;
        uint64_t end = a + m.RegionSize > hi ? hi : a + m.RegionSize;
        if (m.State != MEM_FREE) {
            struct row *cur = NULL;
            int cur_mod = -1;
            for (uint64_t p = a; p < end; p += PAGE) {
                cevm_page_info pi;
                cevm_page((uint32_t)p, &pi);
                enum kind k = kind_of(&pi);
                int contiguous = cur && cur->has_pa && pi.pa == cur->pa + cur->size;
                int mod = module_at(p);
                if (cur && cur->kind == k && cur->protect == pi.protect && mod == cur_mod &&
                    (k == K_RESERVED || contiguous || !cur->has_pa)) {
                    cur->size += PAGE;
                    continue;
                }
                if (!(cur = add_row(pic)))
                    return;
                cur->va = (uint32_t)p;
                cur->size = PAGE;
                cur->kind = k;
                cur->protect = pi.protect;
                cur->pa = pi.pa;
                cur->has_pa = pi.state == MEM_COMMIT;
                cur_mod = mod;
                if (mod >= 0)
                    snprintf(cur->label, sizeof cur->label, "module %.50s", g_mods[mod].name);
                else
                    snprintf(cur->label, sizeof cur->label, "%s", where);
            }
        }
        a = end;
    }
}

/* Name the board regions (reg[0..n)) inside physical [pa, pa + size): RAM and devices by name,
 * then "unimplemented" if any part is. */
static void devices_in(char *buf, size_t len, const cevm_board_region *reg, size_t n, uint64_t pa,
                       uint64_t size)
{
    size_t used = 0;
    int unimpl = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (reg[i].pa >= pa + size || reg[i].pa + reg[i].size <= pa)
            continue;
        if (!strcmp(reg[i].kind, "unimplemented")) {
            unimpl = 1;
            continue;
        }
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", reg[i].name);
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
    if (unimpl)
        snprintf(buf + used, len - used, "%sunimplemented", used ? ", rest " : "");
}

void picture_collect(struct picture *pic)
{
    pic->n = 0;
    g_nmods = cevm_modules(g_mods, 64);
    cevm_info in;
    cevm_get_info(&in);
    if (strcmp(in.profile, "ce5")) { /* CE 6+: user space, kernel DLLs, kernel VM */
        char user[64];
        snprintf(user, sizeof user, "user space of %s", in.caller_name);
        scan(pic, 0x10000, 0x80000000u, user);
        scan(pic, in.kernel_dll_base, in.kernel_vm_base, "kernel DLLs");
        scan(pic, in.kernel_vm_base, 0xF0000000u, "kernel VM");
    } else {
        /* Slot 0 (the current process's alias), then every process slot with pages in use. */
        char where[64];
        snprintf(where, sizeof where, "slot 0 = alias of slot %u (%s)", in.current_process + 1,
                 in.process_name);
        scan(pic, 0x10000, 0x2000000, where);
        for (uint32_t slot = 1; slot <= 32; slot++) {
            const char *name = slot == in.current_process + 1  ? in.process_name
                               : slot == in.caller_process + 1 ? in.caller_name
                                                               : "";
            snprintf(where, sizeof where, "slot %u%s%s%s", slot, *name ? " (" : "", name,
                     *name ? ")" : "");
            scan(pic, slot << 25, (uint64_t)(slot + 1) << 25, where);
        }
        scan(pic, 0x42000000, 0x7C000000, "large area");
    }
    /* One row per OEMAddressTable row: its cached window, standing for the uncached one too. */
    cevm_oem_row rows[64];
    size_t n = cevm_board_oem_rows(rows, 64);
    static cevm_board_region regions[256]; /* read once for every row */
    size_t nregions = cevm_board_regions(regions, 256);
    if (nregions > 256)
        nregions = 256;
    for (size_t i = 0; i < n && i < 64; i++) {
        struct row *r = add_row(pic);
        if (!r)
            return;
        r->va = rows[i].va;
        r->size = rows[i].bytes;
        r->kind = K_STATIC;
        r->alias = rows[i].alias != 0;
        r->protect = PAGE_READWRITE | (rows[i].device && rows[i].attr ? PAGE_NOCACHE : 0);
        r->pa = rows[i].pa;
        r->has_pa = 1;
        snprintf(r->label, sizeof r->label, "%s", rows[i].label);
        devices_in(r->devices, sizeof r->devices, regions, nregions, rows[i].pa, rows[i].bytes);
        for (size_t j = 0; j < i; j++)
            if (rows[j].va < rows[i].va + rows[i].bytes &&
                rows[i].va < rows[j].va + rows[j].bytes) {
                r->overlaps = rows[j].va;
                break;
            }
    }
    /* Rows in address order (static rows may overlap, as real tables do). */
    for (int i = 1; i < pic->n; i++)
        for (int j = i; j > 0 && pic->rows[j].va < pic->rows[j - 1].va; j--) {
            struct row t = pic->rows[j];
            pic->rows[j] = pic->rows[j - 1];
            pic->rows[j - 1] = t;
        }
}

static void esc(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
}

static void size_text(char *buf, size_t len, uint64_t size)
{
    if (size >= (1u << 20) && size % (1u << 20) == 0)
        snprintf(buf, len, "%llu MB", (unsigned long long)(size >> 20));
    else if (size >= (16u << 20))
        snprintf(buf, len, "%.1f MB", (double)size / (1u << 20));
    else if (size >= 1024 && size % 1024 == 0)
        snprintf(buf, len, "%llu KB", (unsigned long long)(size >> 10));
    else
        snprintf(buf, len, "0x%llX bytes", (unsigned long long)size);
}

static void protect_text(char *buf, size_t len, uint32_t p)
{
    snprintf(buf, len, "%s%s%s",
             (p & 0xFF) == PAGE_READWRITE  ? "read-write"
             : (p & 0xFF) == PAGE_READONLY ? "read-only"
                                           : "no access",
             p & PAGE_NOCACHE ? ", uncached" : "", p & PAGE_GUARD ? ", guard" : "");
}

#define X_BOX     130
#define W_BOX     470
#define X_LINKS   (X_BOX + W_BOX)
#define WIDTH     1000
#define BOX_CHARS 70 /* characters of 11 px monospace text that fit in a box */
#define GAP_H     14.0

static int overlap(const struct row *a, const struct row *b)
{
    return a->has_pa && b->has_pa && a->kind != K_RESERVED && b->kind != K_RESERVED &&
           a->pa < b->pa + b->size && b->pa < a->pa + a->size;
}

void picture_svg(FILE *f, struct picture *pic, const char *title)
{
    /* Layout: heights from the size's logarithm, gap rows between distant rows. */
    double y = 60;
    uint64_t prev_end = 0;
    for (int i = 0; i < pic->n; i++) {
        struct row *r = &pic->rows[i];
        if (r->va > prev_end)
            y += GAP_H;
        double pages = (double)r->size / PAGE;
        r->h = floor(16 + 1.5 * log2(pages < 1 ? 1 : pages));
        r->y = y;
        y += r->h + 2;
        if (r->va + r->size > prev_end)
            prev_end = r->va + r->size;
    }
    int legend_rows = (K_COUNT - 1 + 2) / 3; /* three entries per row */
    double legend_y = y + 30, height = legend_y + 30.0 * legend_rows + 20;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
            "viewBox=\"0 0 %d %.0f\" font-family=\"monospace\" font-size=\"11\">\n",
            WIDTH, height, WIDTH, height);
    fprintf(f, "<title>");
    esc(f, title);
    fprintf(f, "</title>\n<rect width=\"%d\" height=\"%.0f\" fill=\"#fafafa\"/>\n", WIDTH, height);
    fprintf(f, "<text x=\"10\" y=\"30\" font-size=\"16\">");
    esc(f, title);
    fprintf(f, "</text>\n<text x=\"10\" y=\"48\" fill=\"#555\">CE address space, compressed "
               "axis: row height grows slowly with log(size); dashed lines are scale breaks over "
               "free space</text>\n");
    prev_end = 0;
    for (int i = 0; i < pic->n; i++) {
        struct row *r = &pic->rows[i];
        char sz[32], prot[64], gap[32];
        if (r->va > prev_end) {
            size_text(gap, sizeof gap, r->va - prev_end);
            fprintf(f,
                    "<g><title>free: 0x%08llX-0x%08X (%s)</title><line x1=\"%d\" y1=\"%.1f\" "
                    "x2=\"%d\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
                    "<text x=\"%d\" y=\"%.1f\" fill=\"#888\" text-anchor=\"middle\" "
                    "font-size=\"9\">%s free</text></g>\n",
                    (unsigned long long)prev_end, r->va - 1, gap, X_BOX, r->y - GAP_H / 2,
                    X_BOX + W_BOX, r->y - GAP_H / 2, X_BOX + W_BOX / 2, r->y - GAP_H / 2 - 2, gap);
        }
        size_text(sz, sizeof sz, r->size);
        protect_text(prot, sizeof prot, r->protect);
        fprintf(f, "<g><title>0x%08X-0x%08llX  %s  %s", r->va,
                (unsigned long long)(r->va + r->size - 1), sz, kind_name[r->kind]);
        if (r->kind != K_RESERVED)
            fprintf(f, ", %s", prot);
        if (r->has_pa && r->kind != K_RESERVED)
            fprintf(f, ", physical 0x%llX", (unsigned long long)r->pa);
        if (r->alias)
            fprintf(f, "\nuncached at 0x%08X-0x%08llX", r->va | 0x20000000u,
                    (unsigned long long)((r->va | 0x20000000u) + r->size - 1));
        if (r->overlaps)
            fprintf(f, "\noverlaps the row at 0x%08X", r->overlaps);
        fprintf(f, "\n");
        esc(f, r->label);
        if (r->devices[0]) {
            fprintf(f, "\nholds: ");
            esc(f, r->devices);
        }
        fprintf(f,
                "</title><rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\" "
                "stroke=\"%s\" stroke-width=\"%s\"%s/>",
                X_BOX, r->y, W_BOX, r->h, kind_colour[r->kind], r->overlaps ? "#c00000" : "#333",
                r->overlaps ? "2" : "0.6", r->overlaps ? " stroke-dasharray=\"5 3\"" : "");
        fprintf(f, "<text x=\"10\" y=\"%.1f\">0x%08X</text>", r->y + 12, r->va);
        char text[256];
        if (r->kind == K_STATIC)
            snprintf(text, sizeof text, "%s %s%s%s%s%s", sz, r->label, r->devices[0] ? ": " : "",
                     r->devices, r->overlaps ? " (overlaps)" : "",
                     r->alias ? "" : " (cached only)");
        else if (i == 0 || strcmp(r->label, pic->rows[i - 1].label))
            snprintf(text, sizeof text, "%s, %s - %s", sz, kind_name[r->kind], r->label);
        else
            snprintf(text, sizeof text, "%s, %s", sz, kind_name[r->kind]);
        if (strlen(text) > BOX_CHARS)
            memcpy(text + BOX_CHARS - 3, "...", 4);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\">", X_BOX + 6, r->y + 12);
        esc(f, text);
        fprintf(f, "</text>");
        if (r->kind == K_STATIC && r->alias)
            fprintf(f, "<text x=\"10\" y=\"%.1f\" fill=\"#555\" font-size=\"9\">+0x%08X</text>",
                    r->y + 22 < r->y + r->h ? r->y + 22 : r->y + r->h - 1, r->va | 0x20000000u);
        fprintf(f, "</g>\n");
        if (r->va + r->size > prev_end)
            prev_end = r->va + r->size;
    }
    /* Links between rows reaching the same physical pages. */
    int links = 0;
    for (int i = 0; i < pic->n && links < MAX_LINKS; i++)
        for (int j = i + 1; j < pic->n && links < MAX_LINKS; j++) {
            struct row *a = &pic->rows[i], *b = &pic->rows[j];
            if (!overlap(a, b) || (a->kind == K_STATIC && b->kind == K_STATIC))
                continue;
            uint64_t lo = a->pa > b->pa ? a->pa : b->pa;
            double y1 = a->y + a->h / 2, y2 = b->y + b->h / 2;
            double bend = X_LINKS + 30 + 12 * (links % 20);
            fprintf(f,
                    "<path d=\"M %d %.1f C %.1f %.1f, %.1f %.1f, %d %.1f\" fill=\"none\" "
                    "stroke=\"%s\" stroke-width=\"1.5\"><title>same physical pages from "
                    "0x%llX: 0x%08X and 0x%08X</title></path>\n",
                    X_LINKS, y1, bend, y1, bend, y2, X_LINKS, y2,
                    kind_colour[b->kind == K_STATIC ? a->kind : b->kind], (unsigned long long)lo,
                    a->va, b->va);
            links++;
        }
    /* Legend. */
    for (int k = 1; k < K_COUNT; k++) {
        int col = (k - 1) % 3, row = (k - 1) / 3;
        double lx = 10 + col * 290.0, ly = legend_y + row * 30.0;
        fprintf(f,
                "<rect x=\"%.0f\" y=\"%.0f\" width=\"18\" height=\"14\" fill=\"%s\" "
                "stroke=\"#333\" stroke-width=\"0.6\"/><text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
                lx, ly, kind_colour[k], lx + 24, ly + 11, kind_name[k]);
    }
    fprintf(f,
            "<text x=\"10\" y=\"%.0f\" fill=\"#555\">curves join rows that reach the same "
            "physical pages</text>\n",
            height - 10);
    fprintf(f, "</svg>\n");
}

void picture_html(FILE *f, struct picture *pic, const char *title)
{
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    esc(f, title);
    fprintf(f, "</title>\n<style>\nbody{font-family:sans-serif;margin:20px}\n"
               "table{border-collapse:collapse;font-family:monospace;font-size:12px}\n"
               "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\n"
               "</style>\n</head>\n<body>\n<h1>");
    esc(f, title);
    fprintf(f, "</h1>\n");
    picture_svg(f, pic, title);
    fprintf(f, "<h2>Regions</h2>\n<table>\n<tr><th>address</th><th>size</th><th>kind</th>"
               "<th>protection</th><th>physical</th><th>where</th><th>holds</th></tr>\n");
    for (int i = 0; i < pic->n; i++) {
        struct row *r = &pic->rows[i];
        char sz[32], prot[64];
        size_text(sz, sizeof sz, r->size);
        protect_text(prot, sizeof prot, r->protect);
        fprintf(f, "<tr><td>0x%08X</td><td>%s</td><td>%s</td><td>%s</td>", r->va, sz,
                kind_name[r->kind], r->kind == K_RESERVED ? "-" : prot);
        if (r->has_pa && r->kind != K_RESERVED)
            fprintf(f, "<td>0x%llX</td><td>", (unsigned long long)r->pa);
        else
            fprintf(f, "<td>-</td><td>");
        esc(f, r->label);
        if (r->overlaps)
            fprintf(f, " (overlaps the row at 0x%08X)", r->overlaps);
        fprintf(f, "</td><td>");
        esc(f, r->devices);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n</body>\n</html>\n");
}

struct picture *picture_new(void)
{
    return calloc(1, sizeof(struct picture));
}

void picture_free(struct picture *pic)
{
    free(pic);
}
