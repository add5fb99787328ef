/*
 * nkintr.h (cevm CE compatibility) — interrupt identifiers (spec §2.3). cevm delivers no
 * interrupts; the constants let driver code compile (docs/porting.md).
 */
#ifndef CEVM_CE_NKINTR_H
#define CEVM_CE_NKINTR_H

#define SYSINTR_UNDEFINED 0xFFFFFFFF
#define SYSINTR_NOP       0
#define SYSINTR_RESCHED   1
#define SYSINTR_BREAK     2
#define SYSINTR_CHAIN     3
#define SYSINTR_IPI       4
#define SYSINTR_DEVICES   8
#define SYSINTR_PROFILE   (SYSINTR_DEVICES + 1)
#define SYSINTR_TIMING    (SYSINTR_DEVICES + 2)

#define IRQ_UNSPECIFIED 0xFFFFFFFF

#endif
