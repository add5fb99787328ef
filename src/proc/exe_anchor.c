/*
 * exe_anchor.c — linked into a CE program by the cevm-ce-exe flags (not part of libcevm).
 *
 * The flags link the program at CE 5's EXE base (0x10000) and put this object's one-page
 * section at 4 GiB (--section-start=.cevm_brk=0x100000000). The kernel starts a program's brk
 * heap just past its highest segment, so the heap lands above the CE window and the program's
 * image below it can become CE memory at boot (src/proc/exe.c).
 */
__attribute__((section(".cevm_brk"), used)) static char cevm_brk_anchor[1];
