/*
 * fuzz_input.h — what the fuzz targets share: the input as a NUL-terminated text, and a fresh
 * machine in the offset window (the fuzzer's process owns the low 4 GiB).
 */
#ifndef CEVM_FUZZ_INPUT_H
#define CEVM_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cevm/cevm.h"

/* The input bytes followed by a NUL (an embedded NUL ends the text early). Free it.
 * Return: the text, or NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

/* Boot the default board in the offset window, quietly; abort if it cannot boot. */
static inline void fuzz_boot(void)
{
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.window = CEVM_WINDOW_OFFSET;
    if (cevm_boot(&cfg, NULL, 0) != CEVM_OK)
        abort();
    cevm_set_unimplemented_log(0);
}

#endif
