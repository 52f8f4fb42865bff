#!/usr/bin/env bash
# One-time (and idempotent) set-up: system packages, then the npm dependencies from the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh

stamp=node_modules/.hookline-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[setup] npm dependencies up to date"
else
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
echo "[setup] done"
