/*
 * interrupt.h — the OAL's side of interrupts (interrupt.c): SYSINTR mappings, the events bound
 * to them, masking on delivery and unmasking by InterruptDone. All state lives under the device
 * lock (dev_lock), so the lock order is device lock → object lock.
 */
#ifndef CEVM_INTERRUPT_H
#define CEVM_INTERRUPT_H

#include <stddef.h>
#include <stdint.h>

#include "board/board.h"

/* At boot: the board's wired IRQs and static SYSINTR mappings. Return: 0, or -1 with err set
 * (a static SYSINTR at or above the profile's SYSINTR_MAXIMUM). */
int intr_boot(const struct board *b, char *err, size_t errlen);
/* At shutdown: every binding dropped (device lock held). */
void intr_reset(void);

/* A device's line changed level (device lock held): deliver it if its SYSINTR is enabled and
 * unmasked. */
void intr_line(uint32_t irq, int level);

/* SYSINTRs the host reports at a driver's unload: initialised in a driver call whose name
 * contains marker, enabled, and masked since their last interrupt (no InterruptDone). Fills buf
 * with one line per SYSINTR; returns how many. */
size_t intr_report_masked(const char *marker, char *buf, size_t cap);

#endif
