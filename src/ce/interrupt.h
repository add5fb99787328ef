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

/* The VIC's view of IRQs base..base+31 (dev/vic.c; device lock held): VIC_RAW the sources
 * (line or SOFTINT), VIC_ENABLE the enables, VIC_SOFT the SOFTINT bits. intr_vic_set applies
 * CE code's writes: VIC_ENABLE (INTENABLE: 1 bits enable), VIC_DISABLE (INTENCLEAR: 1 bits
 * disable until the OAL or CE code enables again), VIC_SOFT / VIC_SOFT_CLEAR (SOFTINT /
 * SOFTINTCLEAR: a software source, delivered as the line would be). */
enum { VIC_RAW, VIC_ENABLE, VIC_DISABLE, VIC_SOFT, VIC_SOFT_CLEAR };
uint32_t intr_vic_get(uint32_t base, int what);
void intr_vic_set(uint32_t base, int what, uint32_t bits);

/* SYSINTRs the host reports at a driver's unload: initialised in a driver call whose name
 * contains marker, enabled, and masked since their last interrupt (no InterruptDone). Fills buf
 * with one line per SYSINTR; returns how many. */
size_t intr_report_masked(const char *marker, char *buf, size_t cap);

#endif
