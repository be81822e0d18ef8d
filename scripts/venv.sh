#!/usr/bin/env bash
# Create .venv (python3) when missing and install requirements.txt only when it
# changed since the last successful install (.venv/.requirements.stamp).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=.venv
stamp=$venv/.requirements.stamp
python=${PYTHON:-python3}

if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "venv: creating $venv with $python" >&2
    "$python" -m venv --clear "$venv"
    rm -f "$stamp"
fi

if [[ ! -f $stamp || requirements.txt -nt $stamp ]]; then
    echo "venv: pip install -r requirements.txt" >&2
    "$venv/bin/python" -m pip install -qq --disable-pip-version-check -r requirements.txt
    touch "$stamp"
fi
