#!/usr/bin/env bash
# Runs SCENARIO for seeds FIRST..LAST, one process each, as many at once as there are cores, and
# lists every seed that broke an invariant with its reproduce command.
#   scripts/seed-sweep.sh Scenarios/crash-restart.yaml 1 1000 [gridsim run options...]
# Needs a release build (make build). Exit status: 0 when every seed passed, 1 otherwise.
set -euo pipefail
scenario=$1 first=$2 last=$3
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
gridsim="$root/.build/release/gridsim"
[ -x "$gridsim" ] || { echo "build first: make build" >&2; exit 2; }
out=$(mktemp -d)
start=$(date +%s.%N)
seq "$first" "$last" | xargs -P "$(nproc)" -I{} bash -c \
    '"$0" run "$1" --seed {} --out "$2/seed-{}" --quiet "${@:3}" >/dev/null 2>"$2/seed-{}.err"; echo "{} $?" >> "$2/exits"' \
    "$gridsim" "$scenario" "$out" "$@"
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
runs=$(wc -l < "$out/exits")
failures=$(awk '$2 != 0' "$out/exits" | sort -n)
printf '%s: %d seeds in %.1f s (%.0f seeds/hour)\n' "$scenario" "$runs" "$elapsed" "$(echo "$runs * 3600 / $elapsed" | bc -l)"
if [ -n "$failures" ]; then
    echo "$failures" | while read -r seed code; do
        echo "seed $seed: exit $code — $(grep -m1 'invariant broken' "$out/seed-$seed.err" || tail -1 "$out/seed-$seed.err")"
        echo "  reproduce: gridsim run $scenario --seed $seed $*"
    done
    exit 1
fi
echo "no invariant broken"
rm -rf "$out"
