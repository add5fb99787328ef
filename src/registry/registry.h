/*
 * registry.h — the in-memory registry behind the Reg* calls (winreg.h) and DDKReg_* (ddkreg.h).
 */
#ifndef CEVM_REGISTRY_H
#define CEVM_REGISTRY_H

#include "ddkreg.h"

/* Drop every key, value and open handle (at machine shutdown). */
void registry_reset(void);

#endif
