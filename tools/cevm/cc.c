/*
 * cc.c — `cevm cc COMPILER ARGS...`: compile CE sources written on Windows without editing them.
 *
 * BSP sources name their headers as Windows finds them: in any letter case (`#include
 * "CEDDK.h"` for ceddk.h) and with backslashes (`#include "..\inc\bsp.h"`). Linux compilers take
 * both literally. Before running the compiler, cevm cc reads every #include of the sources on
 * its command line (and of the headers they reach), and for each name that does not exist as
 * written but matches a file when '\' is read as '/' and letter case is ignored — next to the
 * including file, then in each -I/-iquote/-isystem folder — it makes a symbolic link under that
 * exact name in an overlay folder. The compiler runs with `-I OVERLAY` added last, so only names
 * that fail otherwise reach the overlay. The overlay is .cevm-cc/ in the current folder (or
 * $CEVM_CC_DIR); nothing in the source tree changes. `CEVM_CC_VERBOSE=1` lists each link.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "cc.h"

#define MAX_DIRS  64
#define MAX_FILES 4096
/* The overlay is this many folders deep, so names that climb with "../" stay inside it. */
#define OVERLAY_DEPTH 8

struct scan {
    const char *dirs[MAX_DIRS];
    int ndirs;
    char *seen[MAX_FILES];
    int nseen;
    char overlay[PATH_MAX];
    int verbose, links;
};

/* out = a "/" b. Return: 0, or -1 (out emptied) when it does not fit. */
static int join(char *out, size_t cap, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 + lb + 1 > cap) {
        out[0] = '\0';
        return -1;
    }
    memmove(out, a, la);
    out[la] = '/';
    memcpy(out + la + 1, b, lb + 1);
    return 0;
}

static int is_file(const char *p)
{
    struct stat st;
    return !stat(p, &st) && S_ISREG(st.st_mode);
}

/* Resolve rel (with '/' separators) under dir ignoring letter case. Return: 1 and the real
 * path in out, or 0. */
static int resolve_nocase(const char *dir, const char *rel, char *out, size_t cap)
{
    char cur[PATH_MAX], work[PATH_MAX];
    snprintf(cur, sizeof cur, "%s", dir);
    snprintf(work, sizeof work, "%s", rel);
    char *save = NULL;
    for (char *part = strtok_r(work, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        char next[PATH_MAX];
        if (join(next, sizeof next, cur, part))
            return 0;
        if (!strcmp(part, ".") || !strcmp(part, "..")) {
            memcpy(cur, next, strlen(next) + 1);
            continue;
        }
        if (access(next, F_OK)) {
            DIR *d = opendir(cur);
            if (!d)
                return 0;
            int found = 0;
            for (struct dirent *e; (e = readdir(d));)
                if (!strcasecmp(e->d_name, part)) {
                    found = !join(next, sizeof next, cur, e->d_name);
                    break;
                }
            closedir(d);
            if (!found)
                return 0;
        }
        memcpy(cur, next, strlen(next) + 1);
    }
    if (!is_file(cur))
        return 0;
    return realpath(cur, out) != NULL && strlen(out) < cap;
}

/* mkdir -p for the folder part of path. */
static void make_parents(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
}

static void scan_file(struct scan *s, const char *path);

/* One #include of the file in folder dir. */
static void include_name(struct scan *s, const char *dir, const char *name, int quoted)
{
    char real[PATH_MAX], exact[PATH_MAX];
    /* As written: next to the includer (quotes), then the folders. */
    if (quoted) {
        if (!join(exact, sizeof exact, dir, name) && is_file(exact) && realpath(exact, real)) {
            scan_file(s, real);
            return;
        }
    }
    for (int i = 0; i < s->ndirs; i++) {
        if (!join(exact, sizeof exact, s->dirs[i], name) && is_file(exact) &&
            realpath(exact, real)) {
            scan_file(s, real);
            return;
        }
    }
    /* Windows' reading: '\' is '/', letter case does not matter. */
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%s", name);
    for (char *c = rel; *c; c++)
        if (*c == '\\')
            *c = '/';
    int found = quoted && resolve_nocase(dir, rel, real, sizeof real);
    for (int i = 0; !found && i < s->ndirs; i++)
        found = resolve_nocase(s->dirs[i], rel, real, sizeof real);
    if (!found)
        return; /* the compiler will say it is missing */
    char link[PATH_MAX];
    if (join(link, sizeof link, s->overlay, name))
        return;
    make_parents(link);
    char old[PATH_MAX];
    ssize_t n = readlink(link, old, sizeof old - 1);
    if (n < 0 || (old[n] = '\0', strcmp(old, real))) {
        unlink(link);
        if (!symlink(real, link)) {
            s->links++;
            if (s->verbose)
                fprintf(stderr, "cevm cc: \"%s\" -> %s\n", name, real);
        }
    }
    scan_file(s, real);
}

static void scan_file(struct scan *s, const char *path)
{
    for (int i = 0; i < s->nseen; i++)
        if (!strcmp(s->seen[i], path))
            return;
    if (s->nseen >= MAX_FILES)
        return;
    s->seen[s->nseen++] = strdup(path);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '#')
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "include", 7))
            continue;
        p += 7;
        while (*p == ' ' || *p == '\t')
            p++;
        char close = *p == '"' ? '"' : *p == '<' ? '>' : 0;
        if (!close)
            continue;
        char *end = strchr(p + 1, close);
        if (!end || end == p + 1)
            continue;
        *end = '\0';
        include_name(s, dir, p + 1, close == '"');
    }
    fclose(f);
}

static int is_source(const char *a)
{
    const char *dot = strrchr(a, '.');
    return dot && (!strcmp(dot, ".c") || !strcmp(dot, ".cpp") || !strcmp(dot, ".cc") ||
                   !strcmp(dot, ".cxx") || !strcmp(dot, ".C"));
}

int cevm_cc(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: cevm cc COMPILER [ARGS...]\n"
                "  run COMPILER ARGS with the sources' Windows-style includes (any letter case,\n"
                "  backslashes) made findable through links in .cevm-cc/ ($CEVM_CC_DIR)\n");
        return argc < 2 ? EX_USAGE : EX_OK;
    }
    static struct scan s;
    memset(&s, 0, sizeof s);
    const char *verbose = getenv("CEVM_CC_VERBOSE"), *dir_env = getenv("CEVM_CC_DIR");
    s.verbose = verbose && strcmp(verbose, "0");
    const char *base = dir_env ? dir_env : ".cevm-cc";
    char abs_base[PATH_MAX];
    if (mkdir(base, 0755) && errno != EEXIST) {
        fprintf(stderr, "cevm cc: cannot create %s: %s\n", base, strerror(errno));
        return EX_CANTCREAT;
    }
    if (!realpath(base, abs_base)) {
        fprintf(stderr, "cevm cc: cannot use %s: %s\n", base, strerror(errno));
        return EX_CANTCREAT;
    }
    size_t len = (size_t)snprintf(s.overlay, sizeof s.overlay, "%s", abs_base);
    for (int i = 0; i < OVERLAY_DEPTH && len < sizeof s.overlay - 3; i++)
        len += (size_t)snprintf(s.overlay + len, sizeof s.overlay - len, "/d");
    char probe[PATH_MAX];
    if (!join(probe, sizeof probe, s.overlay, "x"))
        make_parents(probe); /* creates every folder of the overlay path */
    /* The folders the compiler will search. */
    for (int i = 2; i < argc && s.ndirs < MAX_DIRS; i++) {
        const char *a = argv[i];
        const char *dir = NULL;
        static const char *const opts[] = {"-I", "-iquote", "-isystem", "-idirafter"};
        for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !dir; k++) {
            size_t n = strlen(opts[k]);
            if (!strncmp(a, opts[k], n))
                dir = a[n] ? a + n : (i + 1 < argc ? argv[++i] : NULL);
        }
        if (dir)
            s.dirs[s.ndirs++] = dir;
    }
    for (int i = 2; i < argc; i++) {
        if (i > 2 && (!strcmp(argv[i - 1], "-o") || !strcmp(argv[i - 1], "-I") ||
                      !strcmp(argv[i - 1], "-MF") || !strcmp(argv[i - 1], "-include")))
            continue;
        char real[PATH_MAX];
        if (argv[i][0] != '-' && is_source(argv[i]) && realpath(argv[i], real))
            scan_file(&s, real);
    }
    for (int i = 0; i < s.nseen; i++)
        free(s.seen[i]);
    /* Run the compiler with the overlay searched last. */
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args)
        return EX_OSERR;
    int n = 0;
    for (int i = 1; i < argc; i++)
        args[n++] = argv[i];
    char flag[PATH_MAX + 3];
    snprintf(flag, sizeof flag, "-I%s", s.overlay);
    args[n++] = flag;
    args[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        free(args);
        return EX_OSERR;
    }
    if (pid == 0) {
        execvp(args[0], args);
        fprintf(stderr, "cevm cc: cannot run %s: %s\n", args[0], strerror(errno));
        _exit(EX_UNAVAILABLE);
    }
    free(args);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
