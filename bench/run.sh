#!/bin/sh
# Builds an optimised deskbot (no sanitizers) in build-bench/ and runs every benchmark.
# Usage: sh bench/run.sh [startup|channels|curve|memory|matcher|pipe|console ...]
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDESKBOT_TESTS=OFF >/dev/null
cmake --build build-bench -j2 >/dev/null
which="${*:-startup memory channels matcher pipe console}"
for b in $which; do
  case "$b" in
    startup) python3 bench/startup.py --binary build-bench/deskbot ;;
    channels) python3 bench/channels.py --binary build-bench/deskbot ;;
    curve) python3 bench/channels.py --binary build-bench/deskbot --curve --rounds 3
           python3 bench/channels.py --binary build-bench/deskbot --curve --curve-chats 250 ;;
    memory) python3 bench/memory.py --binary build-bench/deskbot ;;
    matcher) build-bench/bench/bench_matcher replies tests/data/utterances.tsv ;;
    pipe) python3 bench/pipe.py --binary build-bench/deskbot --baseline
          python3 bench/pipe.py --binary build-bench/deskbot --data tests/data/blind/tuning.tsv ;;
    console) sh bench/console.sh build-bench/deskbot ;;
  esac
done
