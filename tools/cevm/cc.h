/*
 * cc.h — `cevm cc`: run a compiler over CE sources whose includes are written Windows-style.
 */
#ifndef CEVM_TOOL_CC_H
#define CEVM_TOOL_CC_H

/* argv[0] is "cc", argv[1] the compiler, the rest its arguments. Return: the compiler's exit
 * status, or a sysexits code when cevm cc itself fails. */
int cevm_cc(int argc, char **argv);

#endif
