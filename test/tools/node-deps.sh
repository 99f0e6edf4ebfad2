#!/usr/bin/env bash
# Installs the locked npm dependencies when node_modules is missing or older than package-lock.json,
# so `npm test` and `npm run demo` work on a fresh clone. A second run is a no-op.
set -euo pipefail
cd "$(dirname "$0")/../.."
stamp=node_modules/.signet-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "[node-deps] npm ci (package-lock.json changed or node_modules missing)"
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
