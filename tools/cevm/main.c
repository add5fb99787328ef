/*
 * main.c — the `cevm` command. Subcommands so far: `info` (board, profile, window mode, RAM) and
 * `board check FILE` (validate a board file). Built only on the native API. Exit codes come
 * from sysexits.h: 64 usage, 78 bad board file, 71 host refused, 0 success.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cevm/cevm.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cevm [--version] [--help] COMMAND [ARGS]\n"
               "\n"
               "commands:\n"
               "  info [--board FILE] [--window identity|offset|auto]\n"
               "        boot a board and print its name, CE profile, window mode and RAM\n"
               "  board check FILE\n"
               "        validate a board file; errors name the file, line and problem\n"
               "\n"
               "environment: CEVM_BOARD (board file), CEVM_WINDOW (window mode)\n");
}

static int status_exit(cevm_status st)
{
    switch (st) {
    case CEVM_OK:
        return EX_OK;
    case CEVM_E_BOARD:
        return EX_CONFIG;
    case CEVM_E_INVAL:
        return EX_USAGE;
    case CEVM_E_UNSUPPORTED:
        return EX_CONFIG;
    default:
        return EX_OSERR;
    }
}

static int boot(const char *board, const char *window)
{
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.board_path = board;
    if (window) {
        if (!strcmp(window, "identity"))
            cfg.window = CEVM_WINDOW_IDENTITY;
        else if (!strcmp(window, "offset"))
            cfg.window = CEVM_WINDOW_OFFSET;
        else if (strcmp(window, "auto")) {
            fprintf(stderr, "cevm: --window must be identity, offset or auto, not '%s'\n", window);
            return EX_USAGE;
        }
    }
    char err[512];
    cevm_status st = cevm_boot(&cfg, err, sizeof err);
    if (st) {
        fprintf(stderr, "cevm: %s\n", err[0] ? err : cevm_strerror(st));
        return status_exit(st);
    }
    return EX_OK;
}

static int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {{"board", required_argument, 0, 'b'},
                                         {"window", required_argument, 0, 'w'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *board = NULL, *window = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            board = optarg;
            break;
        case 'w':
            window = optarg;
            break;
        case 'h':
            printf("usage: cevm info [--board FILE] [--window identity|offset|auto]\n");
            return EX_OK;
        default:
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cevm info: unexpected argument '%s'\n", argv[optind]);
        return EX_USAGE;
    }
    int rc = boot(board, window);
    if (rc)
        return rc;
    cevm_info in;
    cevm_get_info(&in);
    printf("board:    %s (%s)\n", in.board_name, in.board_source);
    printf("profile:  %s\n", in.profile);
    printf("cpu:      %s\n", in.cpu);
    printf("window:   %s, base 0x%llx (%s)\n", cevm_window_name(in.window),
           (unsigned long long)in.window_base, in.window_reason);
    printf("ram:      %u pages of 4 KB (%u MB), %u free\n", in.ram_pages_total,
           in.ram_pages_total / 256, in.ram_pages_free);
    printf("process:  %u (slot %u, base 0x%08X)\n", in.current_process, in.current_process + 1,
           (in.current_process + 1) << 25);
    printf("caller:   %s\n", in.trusted ? "fully trusted (driver)" : "untrusted (application)");
    cevm_shutdown();
    return EX_OK;
}

static int cmd_board(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "check") || argc != 3) {
        fprintf(stderr, "usage: cevm board check FILE\n");
        return EX_USAGE;
    }
    int rc = boot(argv[2], NULL);
    if (rc)
        return rc;
    cevm_info in;
    cevm_get_info(&in);
    printf("%s: board %s, profile %s, %u MB RAM: ok\n", argv[2], in.board_name, in.profile,
           in.ram_pages_total / 256);
    cevm_shutdown();
    return EX_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EX_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("cevm %s\n", CEVM_VERSION_STRING);
        return EX_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EX_OK;
    }
    if (!strcmp(argv[1], "info"))
        return cmd_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "board"))
        return cmd_board(argc - 1, argv + 1);
    fprintf(stderr, "cevm: unknown command '%s' (try cevm --help)\n", argv[1]);
    return EX_USAGE;
}
