#!/usr/bin/env bash
# Print where the dev server listens and the demo logins (used by `make run`).
set -euo pipefail
host=${HOST:-127.0.0.1}
port=${PORT:-5000}
cat <<MSG

  Membership platform (development)
  ---------------------------------
  Back office:  http://${host}:${port}/backoffice/login

  Demo logins   merchant code: demo    password (all): demo1234
    owner  admin  operator  cs  guide  cashier  verifier

  Ctrl-C stops the server.

MSG
