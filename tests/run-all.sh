#!/bin/sh
# Builds deskbot with AddressSanitizer + UndefinedBehaviorSanitizer and -Werror, and runs
# every test: each libFuzzer target for a bounded time, then unit (cmocka via ctest),
# integration (the real binary against fakes) and browser tests. Installs what is missing.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh --test
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# Fuzzing: clang's libFuzzer with ASan + UBSan, FUZZ_SECONDS per target (default 30).
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DDESKBOT_FUZZ=ON -DDESKBOT_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=Debug
cmake --build build-fuzz -j2
for target in fuzz_vk fuzz_tg fuzz_text fuzz_matcher fuzz_replyset; do
  seeds=tests/fuzz/corpus/${target#fuzz_}
  work=$(mktemp -d)
  [ -d "$seeds" ] || seeds=""
  echo "fuzz: $target for ${FUZZ_SECONDS:-30} s"
  if ! ./build-fuzz/$target -max_total_time="${FUZZ_SECONDS:-30}" -rss_limit_mb=2048 \
      -artifact_prefix="$work/" "$work" $seeds > "$work.log" 2>&1; then
    echo "fuzz: $target found a crash:"
    grep -v "level=" "$work.log" | tail -40
    exit 1
  fi
  grep -E "^Done" "$work.log"
  rm -rf "$work" "$work.log"
done
echo "fuzz: every target ran without a crash"

# The unit, integration and browser tests last, so that ctest's summary closes the run.
cmake -S . -B build-ci -DDESKBOT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc
cmake --build build-ci -j2
(cd build-ci && ctest --output-on-failure -j2 --timeout 900)

