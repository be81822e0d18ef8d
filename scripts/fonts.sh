#!/usr/bin/env bash
# Make sure a Chinese (CJK) font is installed: the share posters (分享海报) are drawn on the server with Pillow and
# need one to render Chinese (services/recruitment/posters.py looks for it). Debian's fonts-wqy-zenhei, the same
# font the browser tests' chromium gets. Without root or sudo this only warns: the app then refuses posters with a
# clear message until the font is installed.
set -euo pipefail

for font in /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc /usr/share/fonts/truetype/wqy/wqy-microhei.ttc \
            /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc; do
    if [[ -f "$font" ]]; then
        exit 0
    fi
done

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
        echo "fonts: no CJK font and no root or sudo to apt-get install fonts-wqy-zenhei; posters stay off" >&2
        exit 0
    fi
    sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
echo "fonts: installing Debian's fonts-wqy-zenhei via apt-get (Chinese on share posters)" >&2
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends fonts-wqy-zenhei >/dev/null
test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
