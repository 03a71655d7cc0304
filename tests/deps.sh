#!/bin/sh
# Installs what deskbot needs to build and test on Debian 12, only what is missing.
# Usage: sh tests/deps.sh [--test]   (--test adds what the test suite needs)
set -eu
pkgs="build-essential cmake pkg-config libuv1-dev libcurl4-openssl-dev libcjson-dev
 libwebsockets-dev libwebsockets-evlib-uv libsqlite3-dev libpq-dev libcmocka-dev libstemmer-dev
 libutf8proc-dev libcrypt-dev libssl-dev libhunspell-dev hunspell-ru python3"
if [ "${1:-}" = "--test" ]; then
  # postgresql: the store's tests run on both backends (tests/pg-cluster.sh).
  pkgs="$pkgs clang libclang-rt-14-dev chromium chromium-driver postgresql"
  # A machine may already have Node.js from elsewhere, with its own npm; Debian's npm
  # cannot be installed next to it, so only ask for them when they are missing.
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "deps: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
