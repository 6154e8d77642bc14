#!/usr/bin/env bash
# Loads a pandapower JSON export (gridsim grid-export) with pandapower and runs an AC power flow.
# pandapower comes from PyPI into a virtual environment under .build-venv/, made on first use.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.build-venv/pandapower"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import pandapower" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "pandapower==3.5.6"
fi
exec "$venv/bin/python" "$root/scripts/pandapower_check.py" "$@"
