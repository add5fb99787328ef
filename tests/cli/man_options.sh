#!/bin/sh
# Every long option `cevm --help` names appears in the man page (as \-\-name).
# Usage: man_options.sh CEVM MANPAGE
set -eu
missing=0
for opt in $("$1" --help | grep -o -- '--[a-z]*' | sort -u); do
    name=${opt#--}
    if ! grep -qF -- "\\-\\-$name" "$2"; then
        echo "the man page lacks --$name"
        missing=1
    fi
done
exit $missing
