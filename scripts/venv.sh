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

# pip's own output is a few hundred lines; one line per package (one updating line on a terminal) says it is moving,
# and the whole output stays in the log for when it fails.
progress() {
    local tty=0
    [[ -t 2 ]] && tty=1
    awk -v tty="$tty" '
        /^(Collecting|Processing) / { n++; name = $2
                         if (name ~ /\//) { sub(/.*\//, "", name); sub(/-.*/, "", name) }  # a wheel file path
                         sub(/[<>=!~;\[].*/, "", name)
                         if (tty) printf "\r\033[K  %d packages: %s", n, name > "/dev/stderr"
                         else printf "  %d %s\n", n, name > "/dev/stderr"
                         fflush("/dev/stderr") }
        /^Installing collected packages/ { printf "%sinstalling %d packages...\n", (tty ? "\r\033[K  " : "  "), n > "/dev/stderr"
                                           fflush("/dev/stderr") }
        /^ERROR/ { print > "/dev/stderr" }'
}

if [[ ! -f $stamp || requirements.txt -nt $stamp ]]; then
    log=$venv/pip-install.log
    echo "venv: installing requirements.txt (the first time takes a few minutes; full output in $log)" >&2
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt 2>&1 \
            | tee "$log" | progress; then
        echo "venv: pip install failed; the end of $log:" >&2
        tail -n 25 "$log" >&2
        exit 1
    fi
    echo "venv: requirements installed" >&2
    touch "$stamp"
fi
