#!/usr/bin/env bash
# Print every address a newcomer needs, on the address the dev server is reached at, and what each is for (used by
# `make run`, which passes PUBLIC_BASE_URL derived from HOST and PORT). README's quick start lists the same.
set -euo pipefail
host=${HOST:-127.0.0.1}
[[ $host == 0.0.0.0 || $host == :: ]] && host=127.0.0.1
base=${PUBLIC_BASE_URL:-http://${host}:${PORT:-5000}}
base=${base%/}
cat <<MSG

  Membership platform (development, demo merchant code: demo)
  ------------------------------------------------------------
  Start page (links to all below)  ${base}/

  Back office (merchant)           ${base}/backoffice/login
      merchant code: demo    users: owner admin operator cs guide cashier verifier    password (all): demo1234
  Simulated phone (WeChat/Alipay)  ${base}/sandbox/phone?m=demo
      create a WeChat user, follow the account, tap the menu, open the member card link
  Member centre (as that user)     ${base}/sandbox/phone/open?url=${base}/h5/demo/
      pick or create a WeChat user; claim the card with 13800138001 to be the demo member 张伟
  SMS outbox (verification codes)  ${base}/sandbox/sms
  Staff page (verify, till)        ${base}/staff/login
      e.g. cashier / demo1234; payment codes for the till: ${base}/sandbox/paycode?channel=wechat
  JSON API document                ${base}/api/v1/docs
  Health                           ${base}/healthz    readiness: ${base}/readyz

  Ctrl-C stops the server.

MSG
