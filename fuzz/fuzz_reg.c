/*
 * fuzz_reg.c — fuzz target: the platform.reg parser. Whatever it accepts must be well formed
 * (a REG_DWORD is 4 bytes whichever syntax gave it; data within the limit); whatever it refuses
 * must name the line and the problem. (hex(N): may give any type any bytes, as in .reg files.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/regparse.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct reg_list l = {0};
    char err[512] = "";
    cevm_status st = regparse_text(text, "fuzz", &l, err, sizeof err);
    if (st == CEVM_OK) {
        for (size_t i = 0; i < l.n; i++) {
            const struct reg_entry *e = &l.e[i];
            if (e->type == 4 && e->size != 4)
                abort();
            if (e->size > REGPARSE_DATA_MAX || !memchr(e->key, 0, sizeof e->key))
                abort();
        }
    } else if (st == CEVM_E_BOARD && strncmp(err, "fuzz:", 5)) {
        abort(); /* every refusal names the text and the line */
    }
    reg_list_free(&l);
    free(text);
    return 0;
}
