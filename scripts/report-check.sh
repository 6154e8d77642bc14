#!/usr/bin/env bash
# Opens each report folder's report.html in headless Chromium and checks it: the page loads
# without console errors, every chart (svg.chart) has data (data-points > 0), and a full-page
# screenshot is written beside it as report.png.
# Usage: scripts/report-check.sh DIR...   Exit 0 when every page passes, 1 otherwise.
set -u
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "report-check: no Chromium found; install Debian's chromium package (make test does)" >&2
  exit 1
fi
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0)
failed=0
for dir in "$@"; do
  page="$(cd "$dir" && pwd)/report.html"
  if [ ! -f "$page" ]; then
    echo "report-check: $dir: no report.html" >&2; failed=1; continue
  fi
  dom=$("$browser" "${flags[@]}" --dump-dom "file://$page" 2>"$dir/chromium.log")
  problems=()
  grep -q 'CONSOLE' "$dir/chromium.log" && problems+=("console messages: $(grep 'CONSOLE' "$dir/chromium.log" | head -3)")
  charts=$(grep -o '<svg class="chart" id="[^"]*" data-points="[0-9]*"' <<<"$dom")
  [ -z "$charts" ] && problems+=("no charts in the rendered page")
  while read -r chart; do
    [ -z "$chart" ] && continue
    id=$(sed 's/.*id="\([^"]*\)".*/\1/' <<<"$chart")
    points=$(sed 's/.*data-points="\([0-9]*\)".*/\1/' <<<"$chart")
    [ "$points" -gt 0 ] || problems+=("chart $id has no data")
  done <<<"$charts"
  "$browser" "${flags[@]}" --window-size=1100,3800 --screenshot="$dir/report.png" "file://$page" 2>>"$dir/chromium.log" >/dev/null
  [ -s "$dir/report.png" ] || problems+=("no screenshot")
  if [ ${#problems[@]} -eq 0 ]; then
    echo "report-check: $dir: $(wc -l <<<"$charts") charts with data, no console messages, screenshot $dir/report.png"
  else
    failed=1
    for problem in "${problems[@]}"; do echo "report-check: $dir: $problem" >&2; done
  fi
done
exit $failed
