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
for target in fuzz_vk fuzz_tg fuzz_max fuzz_text fuzz_matcher fuzz_replyset; do
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

# The store's tests run on SQLite and on PostgreSQL (tests/unit/test_backends.h): a
# throwaway cluster (a non-root user, a temporary directory, 127.0.0.1, a free port) for
# the whole run, stopped on the way out however the run ends. Without it the store's
# tests fail rather than skip PostgreSQL.
pg_dir=$(mktemp -d /tmp/deskbot-pg-XXXXXX)
trap 'sh tests/pg-cluster.sh stop "$pg_dir"' EXIT INT TERM
DESKBOT_TEST_PG_URL=$(sh tests/pg-cluster.sh start "$pg_dir")
export DESKBOT_TEST_PG_URL DESKBOT_TEST_PG_DIR="$pg_dir" DESKBOT_TEST_REQUIRE_PG=1
echo "postgresql: test cluster at $DESKBOT_TEST_PG_URL"

cmake -S . -B build-ci -DDESKBOT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc
cmake --build build-ci -j2

# Time is an input: the tests whose texts and timers depend on the hour run again on the
# daemon's clock (DESKBOT_CLOCK, bot/clock.h) at night, at the edges of working hours, on
# a Sunday; so a result cannot depend on when CI runs. (it_clock covers a holiday.)
clock_tests='test_console|test_dialog|test_worktime|test_unknown_button|it_complaints|it_console|it_webhooks|it_clock|browser_console'
for at in 2026-12-02T03:00:00+03:00 2026-12-02T08:59:00+03:00 2026-12-02T09:00:00+03:00 \
          2026-12-02T20:59:00+03:00 2026-12-02T21:00:00+03:00 2026-12-06T12:00:00+03:00 \
          2026-12-06T23:30:00+03:00; do
  echo "clock: the time-dependent tests at $at"
  if ! (cd build-ci && DESKBOT_CLOCK=$at ctest -j2 --timeout 900 -R "$clock_tests" \
        --output-on-failure > clock.log 2>&1); then
    tail -80 build-ci/clock.log
    echo "clock: failed at $at"
    exit 1
  fi
  grep -E "tests passed" build-ci/clock.log
done

# The whole suite last (on the real clock), so that ctest's summary closes the run.
(cd build-ci && ctest --output-on-failure -j2 --timeout 900)

