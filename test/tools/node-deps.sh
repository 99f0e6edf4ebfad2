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
echo "[node-deps] installing the locked npm dependencies (package-lock.json changed or node_modules missing)"
# `npm install --no-save` installs exactly the locked versions and leaves the lock file untouched. Not
# `npm ci`: npm 11 writes only this platform's optional native bindings (unrs-resolver, used by jest)
# into the lock, and `npm ci` then refuses the lock as out of sync.
npm install --no-save --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
