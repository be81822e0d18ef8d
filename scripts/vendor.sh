#!/usr/bin/env bash
# Install the npm front-end packages (only when needed) and copy the files the
# pages use into static/vendor/. Idempotent: a second run does no npm work and
# copies nothing that is already identical.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stamp=node_modules/.vendor.stamp
if [[ ! -d node_modules || ! -f $stamp || package-lock.json -nt $stamp || package.json -nt $stamp ]]; then
    echo "vendor: npm ci" >&2
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
fi

# source (inside node_modules) -> destination (under static/vendor): the only files static/vendor/ keeps
files=(
    "weui/dist/style/weui.min.css:weui/weui.min.css"
    "echarts/dist/echarts.min.js:echarts/echarts.min.js"
    "html5-qrcode/html5-qrcode.min.js:html5-qrcode/html5-qrcode.min.js"
)
for pair in "${files[@]}"; do
    src=node_modules/${pair%%:*}
    dst=static/vendor/${pair#*:}
    if [[ ! -f $src ]]; then
        echo "vendor: missing $src (package layout changed?)" >&2
        exit 1
    fi
    if ! cmp -s "$src" "$dst"; then
        mkdir -p "$(dirname "$dst")"
        cp "$src" "$dst"
        echo "vendor: $dst" >&2
    fi
done

# Anything else under static/vendor/ was copied for a package or a file no longer listed: remove it.
keep=("${files[@]#*:}" "weixin-js-sdk/jweixin.js")
if [[ -d static/vendor ]]; then
    while IFS= read -r -d '' found; do
        rel=${found#static/vendor/}
        wanted=0
        for name in "${keep[@]}"; do [[ $rel == "$name" ]] && wanted=1 && break; done
        if (( ! wanted )); then
            rm -f "$found"
            echo "vendor: removed $found" >&2
        fi
    done < <(find static/vendor -type f -print0)
fi

# weixin-js-sdk is published as a CommonJS module only; wrap it so a plain <script> defines window.wx.
wx_src=node_modules/weixin-js-sdk/index.js
wx_dst=static/vendor/weixin-js-sdk/jweixin.js
if [[ ! -f $wx_src ]]; then
    echo "vendor: missing $wx_src (package layout changed?)" >&2
    exit 1
fi
wx_tmp=$(mktemp)
trap 'rm -f "$wx_tmp"' EXIT
{
    echo "(function () { var module = { exports: {} };"
    cat "$wx_src"
    echo "; window.wx = window.jWeixin = module.exports; })();"
} >"$wx_tmp"
if ! cmp -s "$wx_tmp" "$wx_dst"; then
    mkdir -p "$(dirname "$wx_dst")"
    cp "$wx_tmp" "$wx_dst"
    echo "vendor: $wx_dst" >&2
fi
