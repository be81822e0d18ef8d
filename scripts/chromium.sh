#!/usr/bin/env bash
# Make sure Debian's chromium is at /usr/bin/chromium for the browser tests
# (Playwright for Python drives it through executable_path; never run
# `playwright install`, which downloads a browser build this network cannot reach).
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "chromium: need root (or sudo) to apt-get install chromium" >&2; exit 1; }
    sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "chromium: installing Debian's chromium via apt-get" >&2
"${sudo[@]}" apt-get update -qq
# No recommends (they pull in printing/udev stacks); add Latin and CJK fonts so
# pages (Chinese UI) render legibly in screenshots.
"${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    chromium fonts-liberation fonts-wqy-zenhei >/dev/null
test -x /usr/bin/chromium
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || true)" >&2
