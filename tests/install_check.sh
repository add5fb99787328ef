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
# The README's command, verbatim: the pkg-config --libs carry the rpath, so ./prog runs
# without LD_LIBRARY_PATH or ldconfig.
cc "$src/examples/demo.c" $(pkg-config --cflags --libs cevm-ce) -o "$prefix/demo"
out=$("$prefix/demo")
echo "$out" | grep -q "GetSystemInfo: page size 0x1000"
# With the cevm-ce flags, CE strings are 16-bit and the PHYSICAL_ADDRESS idiom { lo, 0 }
# compiles cleanly under -Wall -Werror.
cat > "$prefix/prog.c" <<'PROG'
#include <windows.h>
#include <ceddk.h>
#include <pkfuncs.h>
_Static_assert(sizeof(WCHAR) == 2 && sizeof(TEXT("a")[0]) == 2 && sizeof(L"a"[0]) == 2, "16-bit");
int main(void)
{
    PHYSICAL_ADDRESS pa = { 0x7F008000, 0 };
    volatile ULONG *gpio = MmMapIoSpace(pa, 0x1000, FALSE);
    if (!gpio)
        return 1;
    WRITE_REGISTER_ULONG(gpio, 7);
    return READ_REGISTER_ULONG(gpio) == 7 ? 0 : 2;
}
PROG
cc -Wall -Werror "$prefix/prog.c" $(pkg-config --cflags --libs cevm-ce) -o "$prefix/prog"
"$prefix/prog"
# A driver written the way BSP drivers are builds as a shared library with nothing but the
# cevm-ce flags (pm.h through ceddk.h, _T, ZeroMemory, WINCEOEM calls through windows.h).
cc -Wall -Wextra -Werror -shared -fPIC "$src/tests/drivers/bsp_style.c" \
    $(pkg-config --cflags --libs cevm-ce) -o "$prefix/libbsp_style.so"
# A C++ driver with (DWORD)pointer casts and no extern "C" builds with the same flags (their
# gcc specs file gives g++ -fpermissive; C compiles stay warning-free, as above).
c++ -Wall -shared -fPIC "$src/examples/drivers/cxx_gpio.cpp" \
    $(pkg-config --cflags --libs cevm-ce) -o "$prefix/libcxx_gpio.so" 2>"$prefix/cxx.log" ||
    { cat "$prefix/cxx.log"; exit 1; }
c++ -Wall -Wextra -Werror -shared -fPIC -I"$src/tests/drivers" \
    "$src/tests/drivers/all_headers_cxx.cpp" $(pkg-config --cflags --libs cevm-ce) \
    -o "$prefix/liball_headers_cxx.so"
# A CE program whose globals are CE memory: the cevm-ce-exe package links it at the EXE base.
cat > "$prefix/exe.c" <<'PROG'
#include <windows.h>
#include <stdlib.h>
static DWORD g_dev[4];
int main(void)
{
    MEMORY_BASIC_INFORMATION mbi;
    if (!VirtualQuery(g_dev, &mbi, sizeof mbi) || mbi.Type != MEM_IMAGE)
        return 1; /* booted by the call: the image is CE memory */
    DWORD ctx = (DWORD)&g_dev, blk = (DWORD)malloc(16);
    ((DWORD *)ctx)[1] = 5;
    ((DWORD *)blk)[3] = 6;
    free((void *)blk);
    return g_dev[1] == 5 ? 0 : 2;
}
PROG
cc -Wall -Werror "$prefix/exe.c" $(pkg-config --cflags --libs cevm-ce-exe) -o "$prefix/exe"
CEVM_WINDOW=identity "$prefix/exe"
# A CE 6 program (pkg-config cevm-ce6: _WIN32_WCE 0x600) takes its CE 6 branch, and runs on the
# ce6 profile without the built-for warning; on ce5 it is named once.
cat > "$prefix/ce6.c" <<'PROG'
#include <windows.h>
#include <cevm/cevm.h>
#include <string.h>
int main(void)
{
#if _WIN32_WCE >= 0x600
    cevm_info info;
    if (cevm_get_info(&info) != CEVM_OK)
        return 1;
    return strcmp(info.profile, "ce6") ? 3 : 0;
#else
    return 2;
#endif
}
PROG
cc -Wall -Werror "$prefix/ce6.c" $(pkg-config --cflags --libs cevm-ce6) -o "$prefix/ce6"
test "$(pkg-config --variable=wce cevm-ce6)" = 0x600
test -z "$(CEVM_PROFILE=ce6 "$prefix/ce6" 2>&1)"
! CEVM_PROFILE=ce5 "$prefix/ce6" 2>"$prefix/ce6.log"
grep -q "was built for _WIN32_WCE 0x600 and runs on profile ce5" "$prefix/ce6.log"
test -x "$prefix/bin/cevm"
test -f "$prefix/share/cevm/boards/smdk6410"
test -f "$prefix/include/cevm/ce/windows.h"
"$prefix/bin/cevm" --version
echo "install check: ok"
