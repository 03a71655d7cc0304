#!/bin/sh
# Browser tests of the console and the web chat (ctest: browser_console). Installs
# playwright-core from the npm registry when node_modules is missing (it downloads no
# browser: Debian's chromium is used), then drives the real binary.
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/ws ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
exec node console.test.js
