/*
 * fuzz_board.c — fuzz target: the board-file parser, and booting what it accepts (without
 * `file` devices, which would open host files). The machine must come up consistent
 * (cevm_check_invariants) or refuse with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "board/board.h"
#include "cevm/cevm.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct board b;
    char err[512];
    if (board_parse(text, "fuzz", 0, &b, err, sizeof err) == CEVM_OK) {
        if (board_fill_unimplemented(&b) != CEVM_OK)
            abort();
        board_free(&b);
        if (!strstr(text, "file") && !memchr(data, 0, size)) {
            cevm_config cfg;
            memset(&cfg, 0, sizeof cfg);
            cfg.board_text = text;
            cfg.window = CEVM_WINDOW_OFFSET;
            if (cevm_boot(&cfg, err, sizeof err) == CEVM_OK) {
                if (cevm_check_invariants(err, sizeof err) != CEVM_OK)
                    abort();
                cevm_shutdown();
            }
        }
    } else if (!err[0]) {
        abort(); /* every refusal names the problem */
    }
    free(text);
    return 0;
}
