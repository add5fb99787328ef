#!/bin/sh
# The interactive shell on a terminal (a pty from script(1)): tab completes a command name, a
# CE constant and a $variable, and the history is saved to $CEVM_HISTORY at the end and read
# back by the next session (the up arrow recalls its last line).
#   shell_pty.sh CEVM OUTDIR
set -eu
cevm=$1 out=$2
rm -rf "$out" && mkdir -p "$out"
export CEVM_HISTORY="$out/history"
fail() { echo "shell_pty: $*"; sed -n l "$out/session1.txt" "$out/session2.txt" 2>/dev/null | head -40; exit 1; }
tab=$(printf '\t')
# Session 1: "VirtualAl<TAB>" -> VirtualAlloc, "MEM_RESER<TAB>" -> MEM_RESERVE,
# "PAGE_NOAC<TAB>" -> PAGE_NOACCESS, "$ba<TAB>" -> $base.
{
    sleep 1
    printf '$base = VirtualAl%s0 0x10000 MEM_RESER%s PAGE_NOAC%s\n' "$tab" "$tab" "$tab"
    sleep 1
    printf 'print $ba%s+ 0x20\n' "$tab"
    sleep 1
    printf 'quit\n'
    sleep 1
} | timeout 30 script -qfec "$cevm shell" /dev/null >"$out/session1.txt" 2>&1 || true
tr -d '\r' <"$out/session1.txt" >"$out/s1"
grep -q '^\$base = 0x00010000  GetLastError = ERROR_SUCCESS' "$out/s1" || fail "completion of the call"
grep -q '^0x10020 (65568)' "$out/s1" || fail "completion of the variable"
[ -f "$CEVM_HISTORY" ] || fail "no history file written"
grep -q 'print' "$CEVM_HISTORY" || fail "the history file lacks the session's lines"
# Session 2: the up arrow twice recalls "print $base + 0x20"... of the first session; $base is
# unknown in this new session, which the shell must say.
{
    sleep 1
    printf '\033[A\033[A\n'
    sleep 1
    printf 'quit\n'
    sleep 1
} | timeout 30 script -qfec "$cevm shell" /dev/null >"$out/session2.txt" 2>&1 || true
tr -d '\r' <"$out/session2.txt" >"$out/s2"
grep -q "unknown variable '\$base'" "$out/s2" || fail "the history was not read back"
echo "shell_pty: ok"
