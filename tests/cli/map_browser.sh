#!/bin/sh
# The HTML map in a real browser (headless Chromium): the page loads without console messages,
# its elements exist in the DOM the browser built, and its screenshot is not blank.
#   map_browser.sh CEVM CHROMIUM SCRIPT OUTDIR
# The console check is first shown to work: a probe page that logs an error must be caught.
# "Not blank" is measured against a blank page's screenshot of the same size, taken in the
# same run: the map's PNG must be at least 10 times larger.
set -eu
cevm=$1 chrome=$2 script=$3 out=$4
rm -rf "$out" && mkdir -p "$out" && cd "$out"
fail() { echo "map_browser: $*"; exit 1; }
browse() {
    timeout 120 "$chrome" --headless=new --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$out/profile" --enable-logging=stderr --v=0 "$@"
}
"$cevm" map --html map.html "$script" >/dev/null || fail "cevm map failed"

printf '<!DOCTYPE html><html><body><p>probe</p><script>console.error("probe-error")</script></body></html>\n' >probe.html
browse --dump-dom "file://$out/probe.html" >probe.dom 2>probe.log || true
grep -q 'CONSOLE.*probe-error' probe.log || fail "the browser's console messages cannot be seen"

browse --dump-dom "file://$out/map.html" >map.dom 2>map.log || fail "the browser failed on the map"
if grep 'CONSOLE' map.log; then fail "the map page logged to the console"; fi
grep -q '<svg' map.dom || fail "no <svg> element"
grep -q '<table' map.dom || fail "no <table> element"
rects=$(grep -o '<rect' map.dom | wc -l)
[ "$rects" -ge 20 ] || fail "only $rects <rect> elements"
for want in 'static window' 'committed RAM' 'slot 0 = alias of slot 3' 'holds' 'overlaps' \
            'UART, PWM, GPIO' 'same physical pages'; do
    grep -q "$want" map.dom || fail "the page shows no '$want'"
done

printf '<!DOCTYPE html><html><body></body></html>\n' >blank.html
browse --window-size=1000,1200 --screenshot="$out/blank.png" "file://$out/blank.html" \
    >/dev/null 2>&1 || fail "no screenshot of a blank page"
browse --window-size=1000,1200 --screenshot="$out/map.png" "file://$out/map.html" \
    >/dev/null 2>&1 || fail "no screenshot of the map"
blank=$(wc -c <blank.png) map=$(wc -c <map.png)
[ "$map" -ge $((blank * 10)) ] || fail "the screenshot looks blank ($map bytes, blank page $blank)"
echo "map_browser: ok ($rects rects, screenshot $map bytes, blank page $blank)"
