#!/bin/sh
# Builds deskbot with AddressSanitizer + UndefinedBehaviorSanitizer and -Werror, and runs
# every test: unit (cmocka via ctest), integration (real binary against fakes), fuzz
# smoke runs and browser tests. Installs what is missing first.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh --test
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cmake -S . -B build-ci -DDESKBOT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc
cmake --build build-ci -j2
cd build-ci
ctest --output-on-failure -j2 --timeout 900
