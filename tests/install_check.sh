#!/bin/sh
# Install cevm into a temporary prefix, then build and run a CE program the way a user does:
#   cc prog.c $(pkg-config --cflags --libs cevm-ce)
# Usage: install_check.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name cevm-ce.pc)")
export PKG_CONFIG_PATH="$pcdir"
libdir=$(pkg-config --variable=libdir cevm)
cc "$src/examples/demo.c" $(pkg-config --cflags --libs cevm-ce) -Wl,-rpath,"$libdir" \
    -o "$prefix/demo"
out=$("$prefix/demo")
echo "$out" | grep -q "GetSystemInfo: page size 0x1000"
# CE strings are 16-bit with the cevm-ce flags.
printf '#include <windows.h>\n_Static_assert(sizeof(WCHAR) == 2 && sizeof(TEXT("a")[0]) == 2, "16-bit");\nint main(void){return VirtualAlloc(NULL, 0x1000, MEM_COMMIT, PAGE_READWRITE) ? 0 : 1;}\n' \
    > "$prefix/prog.c"
cc "$prefix/prog.c" $(pkg-config --cflags --libs cevm-ce) -Wl,-rpath,"$libdir" -o "$prefix/prog"
"$prefix/prog"
test -x "$prefix/bin/cevm"
test -f "$prefix/share/cevm/boards/smdk6410"
test -f "$prefix/include/cevm/ce/windows.h"
"$prefix/bin/cevm" --version
echo "install check: ok"
