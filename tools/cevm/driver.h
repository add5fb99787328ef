/*
 * driver.h — `cevm driver` (driver.c).
 */
#ifndef CEVM_TOOL_DRIVER_H
#define CEVM_TOOL_DRIVER_H

/* Run LIBRARY KEY [ACTION...] (argv[0] is LIBRARY) on the booted machine; trace: print the
 * interrupt events after each action (stderr). Return: the exit status. */
int driver_run(int argc, char **argv, int trace);

#endif
