/*
 * fuzz_input.h — what the fuzz targets share: the input as a NUL-terminated text, and a fresh
 * machine in the offset window (the fuzzer's process owns the low 4 GiB).
 */
#ifndef CEVM_FUZZ_INPUT_H
#define CEVM_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "cevm/cevm.h"
#include "windows.h"
#include "pkfuncs.h"

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

/* Boot the default board in the offset window, quietly; abort if it cannot boot. The clock is
 * real time: on the virtual clock an input could start a fast timer and advance for a long time
 * (`waitirq` waits at most 10 s either way). */
static inline void fuzz_boot(void)
{
    cevm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.window = CEVM_WINDOW_OFFSET;
    if (cevm_boot(&cfg, NULL, 0) != CEVM_OK)
        abort();
    cevm_set_unimplemented_log(0);
}

/*
 * Speed: a boot and a shutdown per input cost more than most inputs, so the CE-call targets
 * keep one machine and, after each input, put it back into its just-booted state — every
 * reservation released whatever its locks (vm_release_all), MmMapIoSpace's bookkeeping
 * forgotten, the caller trusted, the frame cursor at 0 —
 * and check that it is: every RAM frame free and no reservation left, or the machine is
 * rebooted. The full invariant check runs on every FUZZ_CHECK_EVERY-th input and whenever the
 * input leaves the machine short of a fresh one; a reboot every FUZZ_REBOOT_EVERY inputs
 * clears what the calls cannot reach (device registers written through raw pointers).
 * Replays (fuzz_*_replay) check every input.
 */
#include "ce/ce_api.h"
#include "core/machine.h"

#define FUZZ_CHECK_EVERY  8
#define FUZZ_REBOOT_EVERY 512

static unsigned long g_fuzz_inputs;

static inline void fuzz_begin(void)
{
    if (!cevm_is_booted() || g_fuzz_inputs % FUZZ_REBOOT_EVERY == 0) {
        cevm_shutdown();
        fuzz_boot();
    }
}

/* After an input: the machine back to its just-booted state (or rebooted); abort if the
 * invariants are broken. */
static inline void fuzz_end(int always_check)
{
    g_fuzz_inputs++;
    cevm_set_trusted(1);
    char err[256];
    if ((always_check || g_fuzz_inputs % FUZZ_CHECK_EVERY == 0) &&
        cevm_check_invariants(err, sizeof err) != CEVM_OK) {
        fprintf(stderr, "invariant broken: %s\n", err);
        abort();
    }
    machine_lock();
    if (g_machine) {
        vm_release_all(&g_machine->vm);
        g_machine->pm.cursor = 0;
    }
    machine_unlock();
    ce_io_reset();
    uint32_t total = 0, free_pages = 0;
    cevm_ram_pages(&total, &free_pages);
    if (free_pages != total) { /* something the release could not reach: start afresh */
        if (cevm_check_invariants(err, sizeof err) != CEVM_OK) {
            fprintf(stderr, "invariant broken: %s\n", err);
            abort();
        }
        cevm_shutdown();
    }
}

#endif
