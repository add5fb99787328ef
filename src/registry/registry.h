/*
 * registry.h — the in-memory registry behind the Reg* calls (winreg.h) and DDKReg_* (ddkreg.h).
 */
#ifndef CEVM_REGISTRY_H
#define CEVM_REGISTRY_H

#include "ddkreg.h"

#include "registry/regparse.h"

/* Write parsed platform.reg entries into the registry (at boot).
 * Return: CEVM_OK, or CEVM_E_NOMEM with err set. */
cevm_status registry_load(const struct reg_list *l, char *err, size_t errlen);

/* Delete the key at path (below HKEY_LOCAL_MACHINE) with its subkeys; open handles to them
 * become invalid. Return: 0, or -1 if there is no such key. */
int registry_delete_key(const uint16_t *path);

/* Drop every key, value and open handle (at machine shutdown). */
void registry_reset(void);

/* fork(): hold the lock across the fork, release it in the parent, make it new in the child
 * (core/fork.c calls these in a fixed order). */
void registry_fork_prepare(void);
void registry_fork_parent(void);
void registry_fork_child(void);

#endif
