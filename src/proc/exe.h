/*
 * exe.h — the CE program's own image in the EXE area (exe.c).
 */
#ifndef CEVM_PROC_EXE_H
#define CEVM_PROC_EXE_H

#include <stddef.h>
#include <stdint.h>

struct machine;

/* The host range a CE program linked into the EXE area occupies (its image below 32 MB, from
 * 0x10000, whole 64 KB blocks), for the identity window to leave alone. Return: 1 with [lo, hi),
 * or 0 when the program is not linked there (or lies where cevm cannot adopt it). */
int exe_find(uintptr_t *lo, uintptr_t *hi);

/* Make the image CE memory (machine lock held, identity window with its hole): a MEM_IMAGE
 * reservation at the same slot-0 addresses in the current process slot, its bytes copied into
 * RAM frames that then replace the host pages in place, each page protected as its segment.
 * Return: 0, or -1 with err set (the image stays host memory). */
int exe_adopt(struct machine *m, char *err, size_t errlen);
/* CE 6+ (no slot view to move the image into): describe the image and the main stack to the VM
 * as host memory (vm_hold) so nothing is placed over them; the program's globals stay host
 * memory at their own addresses. Return: 0, or -1 (the ranges are in use). */
int exe_hold(struct machine *m);
/* Give the image back to private host memory with its current bytes (machine lock held; before
 * the VM goes). */
void exe_release(struct machine *m);
/* Is the image adopted (its pages CE memory)? */
int exe_adopted(void);

#endif
