/*
 * fault.h — internal helpers of the fault handler for the CE API layer.
 */
#ifndef CEVM_FAULT_H
#define CEVM_FAULT_H

#include <stddef.h>

/* Copy len bytes from src to dst, surviving a wild pointer on either side.
 * Return: 0, or -1 if an address was not accessible (nothing is raised). Call it without the
 * machine lock. */
int cevm_probe_copy(void *dst, const void *src, size_t len);

#endif
