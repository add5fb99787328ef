#!/bin/sh
# Installs what the test suite needs on Debian/Ubuntu: cmocka and pkg-config, libdw (source
# lines in exception reports), Capstone (decoded device accesses) and libedit (the shell's line
# editing, history and completion) — optional for a build, expected by the tests when present.
# Chromium (the HTML map's browser test, run when installed) is left to the user: it is large.
# As root it runs apt-get; otherwise it prints the exact command and stops.
set -e
missing=""
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkgconf"
if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists cmocka; } &&
   [ ! -f /usr/include/cmocka.h ]; then
    missing="$missing libcmocka-dev"
fi
if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libdw; } &&
   [ ! -f /usr/include/elfutils/libdwfl.h ]; then
    missing="$missing libdw-dev"
fi
if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists capstone; } &&
   [ ! -f /usr/include/capstone/capstone.h ]; then
    missing="$missing libcapstone-dev"
fi
if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libedit; } &&
   [ ! -f /usr/include/histedit.h ]; then
    missing="$missing libedit-dev"
fi
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing test dependencies:$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive $cmd >/dev/null
else
    echo "The tests need:$missing. Install them with:" >&2
    echo "    sudo $cmd" >&2
    exit 1
fi
