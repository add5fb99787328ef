/*
 * main.c — the `cevm` command: info, board check, shell, run and map over one simulated board.
 * Built only on the native API and the CE API. Exit codes follow sysexits.h (see usage()).
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "cevm/cevm.h"
#include "lang.h"
#include "cc.h"
#include "driver.h"
#include "picture.h"

#ifdef CEVM_HAVE_LIBEDIT
#include <editline/readline.h>

/* Tab completion: the word under the cursor against command names, CE constants and error
 * names, and the session's $variables. */
static const struct session *g_complete_session;

static char *complete_next(const char *text, int state)
{
    static size_t list, idx;
    if (!state)
        list = idx = 0;
    size_t len = strlen(text);
    char buf[40];
    while (list < 3) {
        const char *name = list == 0   ? lang_cmd_name(idx)
                           : list == 1 ? lang_const_name(idx)
                                       : lang_var_name(g_complete_session, idx, buf, sizeof buf);
        if (!name) {
            list++;
            idx = 0;
            continue;
        }
        idx++;
        if (!strncmp(name, text, len))
            return strdup(name);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)start;
    (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file names */
    return rl_completion_matches(text, complete_next);
}

/* The history file: $CEVM_HISTORY, else ~/.cevm_history; NULL when neither can be named. */
static const char *history_path(char *buf, size_t len)
{
    const char *env = getenv("CEVM_HISTORY"), *home = getenv("HOME");
    if (env && *env)
        return env;
    if (!home || !*home)
        return NULL;
    snprintf(buf, len, "%s/.cevm_history", home);
    return buf;
}
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cevm [--version] [--help] COMMAND [OPTIONS] [ARGS]\n"
            "\n"
            "commands:\n"
            "  info                     the board, CE profile, window mode and RAM\n"
            "  board check FILE         validate a board file and print its map\n"
            "  board import BSPDIR [BOARD]  write a board file from a BSP folder's table and "
            "platform.reg\n"
            "  shell                    type CE memory calls and see what they do\n"
            "  boot [BOARD]             load the board's BuiltIn drivers in Order, then the shell\n"
            "                           (open COM1:, ioctl, read, write, close, drivers)\n"
            "  run SCRIPT               run a script of shell lines; `expect` lines make it a "
            "test\n"
            "  map [--svg F] [--html F] [SCRIPT]\n"
            "                           draw the address space (after running SCRIPT)\n"
            "  driver LIBRARY KEY [ACTION...]\n"
            "                           run a CE stream driver under the driver host\n"
            "  cc COMPILER [ARGS...]    compile CE sources whose #includes are written for\n"
            "                           Windows (any letter case, backslashes), unedited\n"
            "\n"
            "options of info, shell, run, map and driver:\n"
            "  --board FILE             board file (default: $CEVM_BOARD, else built-in)\n"
            "  --profile ce5|ce6|ce7    CE version profile (default: $CEVM_PROFILE, else the\n"
            "                           board's, else ce5)\n"
            "  --caller MODE            the caller: trusted|untrusted (ce5), kernel|user\n"
            "                           (ce6, ce7); default $CEVM_CALLER, else a driver's\n"
            "  --window MODE            identity, offset or auto (default: $CEVM_WINDOW)\n"
            "  --clock real|virtual     the machine clock (default: the board's, else real;\n"
            "                           also $CEVM_CLOCK): virtual time moves only when asked\n"
            "                           or when every CE thread waits, the same every run\n"
            "  --trace                  log every CE call with arguments, result, error and "
            "time\n"
            "  --any-path               let the board name files outside its folder (absolute\n"
            "                           or '..' paths; also $CEVM_BOARD_ANY_PATH=1)\n"
            "  -h, --help               help for the command\n"
            "\n"
            "exit status: 0 success; 1 an expectation failed (run, map); 64 usage; 65 a\n"
            "malformed script line; 66 a file cannot be read; 71 the host refused memory;\n"
            "70 a driver call failed or faulted; 73 an output file cannot be written;\n"
            "78 a bad board file or profile; 124 the watchdog ended a hung driver call.\n");
}

struct opts {
    const char *board, *window, *profile, *caller, *svg, *html, *clock;
    int trace, any_path, no_write;
};

static int status_exit(cevm_status st)
{
    switch (st) {
    case CEVM_OK:
        return EX_OK;
    case CEVM_E_BOARD:
        return EX_CONFIG;
    case CEVM_E_UNSUPPORTED:
        return EX_CONFIG;
    case CEVM_E_INVAL:
        return EX_USAGE;
    default:
        return EX_OSERR;
    }
}

/* Parse the options common to the commands. Return: -1 ok, else an exit status. */
static int parse_opts(int argc, char **argv, struct opts *o, const char *cmd_usage, int map)
{
    static const struct option long_opts[] = {{"board", required_argument, 0, 'b'},
                                              {"window", required_argument, 0, 'w'},
                                              {"profile", required_argument, 0, 'p'},
                                              {"trace", no_argument, 0, 't'},
                                              {"svg", required_argument, 0, 's'},
                                              {"html", required_argument, 0, 'H'},
                                              {"help", no_argument, 0, 'h'},
                                              {"any-path", no_argument, 0, 'a'},
                                              {"clock", required_argument, 0, 'c'},
                                              {"caller", required_argument, 0, 'C'},
                                              {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->board = optarg;
            break;
        case 'w':
            o->window = optarg;
            break;
        case 'p':
            o->profile = optarg;
            break;
        case 'C':
            o->caller = optarg;
            break;
        case 't':
            o->trace = 1;
            break;
        case 'a':
            o->any_path = 1;
            break;
        case 'c':
            if (strcmp(optarg, "real") && strcmp(optarg, "virtual")) {
                fprintf(stderr, "cevm %s: --clock must be real or virtual, not '%s'\n", argv[0],
                        optarg);
                return EX_USAGE;
            }
            o->clock = optarg;
            break;
        case 's':
        case 'H':
            if (!map) {
                fprintf(stderr, "cevm %s: --%s is an option of cevm map\n", argv[0],
                        c == 's' ? "svg" : "html");
                return EX_USAGE;
            }
            *(c == 's' ? &o->svg : &o->html) = optarg;
            break;
        case 'h':
            printf("usage: cevm %s\n", cmd_usage);
            return EX_OK;
        default:
            fprintf(stderr, "cevm %s: unknown option '%s' (try cevm %s --help)\n", argv[0],
                    argv[optind - 1], argv[0]);
            return EX_USAGE;
        }
    }
    return -1;
}

static int boot(const struct opts *o)
{
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_path = o->board;
    cfg.flags = (o->any_path ? CEVM_BOOT_ANY_PATH : 0) | (o->no_write ? CEVM_BOOT_NO_WRITE : 0);
    cfg.profile = o->profile; /* the machine checks the names: a bad one is a config error */
    cfg.caller = o->caller;
    if (o->window) {
        if (!strcmp(o->window, "identity"))
            cfg.window = CEVM_WINDOW_IDENTITY;
        else if (!strcmp(o->window, "offset"))
            cfg.window = CEVM_WINDOW_OFFSET;
        else if (strcmp(o->window, "auto")) {
            fprintf(stderr, "cevm: --window must be identity, offset or auto, not '%s'\n",
                    o->window);
            return EX_USAGE;
        }
    }
    if (o->clock) /* the machine reads it at boot; the option wins over the board's line */
        setenv("CEVM_CLOCK", o->clock, 1);
    char err[512];
    cevm_status st = cevm_boot(&cfg, err, sizeof err);
    if (st) {
        fprintf(stderr, "cevm: %s\n", err[0] ? err : cevm_strerror(st));
        /* an unknown profile or caller mode is the board's kind of mistake */
        return st == CEVM_E_INVAL && (strstr(err, "profile") || strstr(err, "caller"))
                   ? EX_CONFIG
                   : status_exit(st);
    }
    return EX_OK;
}

/* Options, no positional argument, then boot: the start of info and shell.
 * Return: EX_OK with the machine booted, -2 after --help, or the exit status to stop with. */
static int start_without_args(int argc, char **argv, struct opts *o, const char *usage)
{
    int rc = parse_opts(argc, argv, o, usage, 0);
    if (rc >= 0)
        return rc == EX_OK ? -2 : rc; /* -2: --help was printed */
    if (optind < argc) {
        fprintf(stderr, "cevm %s: unexpected argument '%s'\n", argv[0], argv[optind]);
        return EX_USAGE;
    }
    return boot(o);
}

static int cmd_info(int argc, char **argv)
{
    struct opts o;
    int rc = start_without_args(
        argc, argv, &o,
        "info [--board FILE] [--profile P] [--caller MODE] [--window MODE] [--clock real|virtual]");
    if (rc)
        return rc == -2 ? EX_OK : rc;
    cevm_info in;
    cevm_get_info(&in);
    printf("board:    %s (%s)\n", in.board_name, in.board_source);
    printf("profile:  %s (%s, _WIN32_WCE 0x%X)\n", in.profile, in.profile_title, in.wce);
    printf("cpu:      %s\n", in.cpu);
    printf("window:   %s, base 0x%llx (%s)\n", cevm_window_name(in.window),
           (unsigned long long)in.window_base, in.window_reason);
    printf("ram:      %u pages of 4 KB (%u MB), %u free\n", in.ram_pages_total,
           in.ram_pages_total / 256, in.ram_pages_free);
    if (!strcmp(in.profile, "ce5")) {
        printf("process:  %s, index %u (slot %u, base 0x%08X)\n", in.process_name,
               in.current_process, in.current_process + 1, (in.current_process + 1) << 25);
        printf("caller:   %s\n", in.trusted ? "fully trusted (driver)" : "untrusted (application)");
        printf("calls:    from %s, index %u (slot %u, base 0x%08X) to drivers under the host\n",
               in.caller_name, in.caller_process, in.caller_process + 1,
               (in.caller_process + 1) << 25);
    } else {
        printf("process:  %s\n", in.trusted ? "the kernel: kernel VM from 0xD0000000, "
                                              "kernel DLLs from 0xC0000000"
                                            : "a user process: user space 0x00010000-0x7FFFFFFF");
        printf("caller:   %s\n", in.trusted ? "kernel mode (driver)" : "user mode (application)");
        printf("calls:    from %s, its user space mapped at 0x00010000-0x7FFFFFFF, to drivers "
               "under the host\n",
               in.caller_name);
    }
    printf("clock:    %s\n", cevm_clock_virtual()
                                 ? "virtual (moves when asked or when every CE thread waits)"
                                 : "real time");
    /* What the window lets CE code keep in a DWORD (docs/porting.md, "Pointer width"). */
    printf("pointers: %s\n",
           in.window == CEVM_WINDOW_IDENTITY
               ? (in.ce_stacks
                      ? "modules, heaps and CE stacks at CE addresses (a DWORD holds "
                        "any pointer CE code makes)"
                      : "modules and heaps at CE addresses; host stacks (CEVM_STACKS=host)")
               : "modules and heaps at CE addresses, host stacks; a CE address held in a DWORD "
                 "cannot be dereferenced (offset window)");
    cevm_shutdown();
    return EX_OK;
}

/* Boot board file path and print its table and physical map (`cevm board check`). */
static int check_board(const char *path, int any)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    o.board = path;
    o.any_path = any;
    o.no_write = 1; /* a check never opens anything for writing */
    int rc = boot(&o);
    if (rc)
        return rc;
    cevm_info in;
    cevm_get_info(&in);
    printf("%s: board %s, profile %s, %u MB RAM: ok\n\n", o.board, in.board_name, in.profile,
           in.ram_pages_total / 256);
    struct session s;
    memset(&s, 0, sizeof s);
    s.source = o.board;
    view_oem(&s);
    printf("\nPhysical map:\n");
    view_devices(&s);
    cevm_shutdown();
    return EX_OK;
}

static int check_imported(const char *path)
{
    return check_board(path, 0);
}

static int cmd_board(int argc, char **argv)
{
    static const char usage[] = "usage: cevm board check [--any-path] FILE\n"
                                "       cevm board import BSPDIR [BOARD]\n";
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("%s", usage);
        return EX_OK;
    }
    if (argc >= 2 && !strcmp(argv[1], "import")) {
        if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            printf("%s", usage);
            return EX_OK;
        }
        return board_import(argc - 2, argv + 2, check_imported);
    }
    int any = argc == 4 && !strcmp(argv[2], "--any-path");
    if (argc != 3 + any || strcmp(argv[1], "check")) {
        fprintf(stderr, "%s", usage);
        return EX_USAGE;
    }
    return check_board(argv[2 + any], any);
}

static void session_init(struct session *s, const char *source, const struct opts *o)
{
    memset(s, 0, sizeof *s);
    s->source = source;
    s->trace = o->trace;
}

/* Run lines from f. Return: the exit status for a script. */
static int run_stream(struct session *s, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) != -1)
        lang_line(s, line);
    free(line);
    if (s->script_errors)
        return EX_DATAERR;
    return s->failed_expects ? 1 : EX_OK;
}

/* The shell on a booted machine; with boot_devices, the board's BuiltIn driver set is loaded
 * first (cevm boot). */
static int shell_session(const struct opts *o, int boot_devices)
{
    struct session s;
    session_init(&s, "stdin", o);
    int interactive = isatty(0);
    if (boot_devices)
        lang_line(&s, "boot");
    if (interactive) {
        cevm_info in;
        cevm_get_info(&in);
        printf("cevm shell on %s (%s, %s window). help lists the commands; quit or Ctrl-D "
               "ends.\n",
               in.board_name, in.profile, cevm_window_name(in.window));
    }
#ifdef CEVM_HAVE_LIBEDIT
    char hist_buf[4096];
    const char *hist = interactive ? history_path(hist_buf, sizeof hist_buf) : NULL;
    if (interactive) {
        g_complete_session = &s;
        rl_basic_word_break_characters = " \t\n|&+-()<>=";
        rl_attempted_completion_function = complete;
        stifle_history(1000);
        if (hist)
            read_history(hist); /* none yet is fine */
    }
#endif
    for (;;) {
        char *line = NULL;
#ifdef CEVM_HAVE_LIBEDIT
        if (interactive) {
            line = readline("cevm> ");
            if (!line)
                break;
            if (*line)
                add_history(line);
        }
#endif
        if (!line) {
            size_t cap = 0;
            if (interactive) {
                printf("cevm> ");
                fflush(stdout);
            }
            if (getline(&line, &cap, stdin) == -1) {
                free(line);
                break;
            }
        }
        char word[8] = "";
        if (sscanf(line, " %7s", word) == 1 && (!strcmp(word, "quit") || !strcmp(word, "exit"))) {
            free(line);
            break;
        }
        lang_line(&s, line);
        free(line);
    }
    if (interactive)
        printf("\n");
#ifdef CEVM_HAVE_LIBEDIT
    if (hist && write_history(hist))
        fprintf(stderr, "cevm shell: cannot save the history in %s\n", hist);
#endif
    cevm_shutdown();
    /* Piped into: a malformed line or a failed expectation is the exit status, as for run. */
    if (!interactive && s.script_errors)
        return EX_DATAERR;
    if (!interactive && s.failed_expects)
        return 1;
    return EX_OK;
}

static int cmd_shell(int argc, char **argv)
{
    struct opts o;
    int rc = start_without_args(
        argc, argv, &o, "shell [--board FILE] [--window MODE] [--clock real|virtual] [--trace]");
    if (rc)
        return rc == -2 ? EX_OK : rc;
    return shell_session(&o, 0);
}

/* cevm boot [OPTIONS] [BOARD]: the board and its BuiltIn driver set, then the shell. */
static int cmd_boot(int argc, char **argv)
{
    struct opts o;
    const char *usage = "boot [--profile P] [--window MODE] [--clock real|virtual] [--trace] "
                        "[BOARD]";
    int rc = parse_opts(argc, argv, &o, usage, 0);
    if (rc >= 0)
        return rc;
    if (optind < argc)
        o.board = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "cevm boot: unexpected argument '%s'\n", argv[optind]);
        return EX_USAGE;
    }
    if ((rc = boot(&o)))
        return rc;
    return shell_session(&o, 1);
}

static int cmd_run(int argc, char **argv, int map)
{
    struct opts o;
    const char *u =
        map ? "map [--svg FILE] [--html FILE] [--board FILE] [--trace] [SCRIPT]"
            : "run [--board FILE] [--profile P] [--caller MODE] [--window MODE] [--clock "
              "real|virtual] [--trace] SCRIPT";
    int rc = parse_opts(argc, argv, &o, u, map);
    if (rc >= 0)
        return rc;
    const char *script = optind < argc ? argv[optind] : NULL;
    if ((!map && !script) || optind + 1 < argc) {
        fprintf(stderr, "usage: cevm %s\n", u);
        return EX_USAGE;
    }
    if (map && !o.svg && !o.html) {
        fprintf(stderr, "cevm map: give --svg FILE and/or --html FILE\n");
        return EX_USAGE;
    }
    FILE *f = NULL;
    struct stat st;
    if (script && !strcmp(script, "-"))
        f = stdin; /* cevm run - : the script comes on standard input */
    else if (script &&
             (!(f = fopen(script, "r")) || fstat(fileno(f), &st) || S_ISDIR(st.st_mode))) {
        fprintf(stderr, "cevm: cannot read %s%s\n", script,
                f && !S_ISREG(st.st_mode) ? ": a folder, not a script" : "");
        if (f)
            fclose(f);
        return EX_NOINPUT;
    }
    if ((rc = boot(&o))) {
        if (f && f != stdin)
            fclose(f);
        return rc;
    }
    struct session s;
    session_init(&s, script ? script : "-", &o);
    s.echo = !map;
    rc = f ? run_stream(&s, f) : EX_OK;
    if (f && f != stdin)
        fclose(f);
    const char *outs[2] = {o.svg, o.html};
    for (int i = 0; i < 2 && map; i++) {
        if (!outs[i])
            continue;
        FILE *out = fopen(outs[i], "w");
        if (!out) {
            fprintf(stderr, "cevm map: cannot write %s\n", outs[i]);
            rc = EX_CANTCREAT;
            continue;
        }
        struct picture *pic = picture_new();
        if (!pic) {
            fclose(out);
            rc = EX_OSERR;
            continue;
        }
        picture_collect(pic);
        char title[300];
        cevm_info in;
        cevm_get_info(&in);
        snprintf(title, sizeof title, "cevm map: %s, %s%s%s", in.board_name, in.profile,
                 script ? " after " : "", script ? script : "");
        if (i == 0)
            picture_svg(out, pic, title);
        else
            picture_html(out, pic, title);
        picture_free(pic);
        if (fclose(out)) {
            fprintf(stderr, "cevm map: cannot write %s\n", outs[i]);
            rc = EX_CANTCREAT;
        }
    }
    cevm_shutdown();
    return rc;
}

static int cmd_driver(int argc, char **argv)
{
    static const char u[] =
        "driver [OPTIONS] LIBRARY KEY [ACTION...]\n"
        "actions: write TEXT | read N | ioctl CODE [IN-HEX [OUT-LEN]] |\n"
        "         ioctl-ptr CODE BYTES-HEX [OUT-LEN] | seek AMOUNT TYPE |\n"
        "         pin DEVICE PIN 0|1 | give DEVICE CHANNEL TEXT | log DEVICE | mi |\n"
        "         advance MS | waitirq IRQ MS | irqs | reg DEVICE NAME\n"
        "--trace prints every CE call the driver makes (CEVM_TRACE=1) and each interrupt\n"
        "delivered, each InterruptDone, ... as it happens";
    struct opts o;
    int rc = parse_opts(argc, argv, &o, u, 0);
    if (rc >= 0)
        return rc;
    if (argc - optind < 2) {
        fprintf(stderr, "usage: cevm %s\n", u);
        return EX_USAGE;
    }
    int first = optind;
    if ((rc = boot(&o)) != EX_OK)
        return rc;
    if (o.trace)
        cevm_trace_open("1"); /* the driver's CE calls, as CEVM_TRACE=1 */
    rc = driver_run(argc - first, argv + first, o.trace);
    cevm_shutdown();
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EX_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("cevm %s\n", CEVM_VERSION_STRING);
        return EX_OK;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return EX_OK;
    }
    if (!strcmp(cmd, "info"))
        return cmd_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "board"))
        return cmd_board(argc - 1, argv + 1);
    if (!strcmp(cmd, "shell"))
        return cmd_shell(argc - 1, argv + 1);
    if (!strcmp(cmd, "boot"))
        return cmd_boot(argc - 1, argv + 1);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1, 0);
    if (!strcmp(cmd, "map"))
        return cmd_run(argc - 1, argv + 1, 1);
    if (!strcmp(cmd, "driver"))
        return cmd_driver(argc - 1, argv + 1);
    if (!strcmp(cmd, "cc"))
        return cevm_cc(argc - 1, argv + 1);
    fprintf(stderr, "cevm: unknown command '%s' (try cevm --help)\n", cmd);
    return EX_USAGE;
}
