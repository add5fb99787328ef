/*
 * watchdog.h — the driver host's watchdog (watchdog.c): every entry point runs under a deadline.
 */
#ifndef CEVM_WATCHDOG_H
#define CEVM_WATCHDOG_H

#include "ce/wait.h"

/* Exit status when the watchdog ends a run (as timeout(1)). */
#define CEVM_WATCHDOG_EXIT 124

/* Watch the calling thread's driver call named context; wait is its wait record.
 * Return: a slot for watchdog_end (-1 when the watchdog is off). */
int watchdog_begin(const char *context, const struct ce_wait *wait);
void watchdog_end(int slot);

#endif
