/*
 * fuzz_script.c — fuzz target: the cevm command language (tools/cevm/lang.c and its commands),
 * line by line, on the default board (put back into its just-booted state after each input,
 * fuzz_input.h). Any input must be run or reported, never crash, and leave the machine
 * consistent (cevm_check_invariants).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cevm/cevm.h>

#include "lang.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_begin();
    struct session s;
    memset(&s, 0, sizeof s);
    s.source = "fuzz";
    char *text = fuzz_text(data, size);
    if (text) {
        for (char *line = text; line;) { /* lang_line uses strtok: split by hand */
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            lang_line(&s, line);
            line = nl ? nl + 1 : NULL;
        }
        free(text);
    }
    fuzz_end(FUZZ_ALWAYS_CHECK);
    return 0;
}
