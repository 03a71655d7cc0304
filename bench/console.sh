#!/bin/sh
# Console bench (bench/console.js): 50 operator sockets, 100 new cases a second.
# Usage: sh bench/console.sh [build-bench/deskbot] [extra console.js arguments]
# Installs the npm package ws (with playwright-core) into tests/browser if missing.
set -eu
cd "$(dirname "$0")/.."
binary="${1:-build-bench/deskbot}"
[ $# -gt 0 ] && shift
if [ ! -d tests/browser/node_modules/ws ]; then
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
exec node bench/console.js --binary "$binary" "$@"
