#!/usr/bin/env bash
# The second README command: install what is missing, build and pass the whole test suite:
#   1. release build: every test (unit, stress, scale, death, sample, package, debug)
#   2. ASan+UBSan build (g++): unit, stress, death and the sanitizer canaries
#   3. TSan build (clang 14): the same
#   4. libFuzzer build (clang 14, ASan+UBSan): the server's and the client's HTTP parsing,
#      samples/redis's RESP parsing
#      (fuzz targets http, http_client and redis_resp), 15 s each from their seeds
#   5. chaos build (GORO_CHAOS=ON, g++): the stress, death, net and deadlock tests with seeded
#      random delays at the runtime's seams; the seed is printed, GORO_CHAOS_SEED=<n> replays
# Usage: test.sh [release|asan|tsan|fuzz|chaos]...   (default: all five)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash cmake/scripts/install-deps.sh
jobs=$(nproc)
lanes=("$@")
[ ${#lanes[@]} -gt 0 ] || lanes=(release asan tsan fuzz chaos)
for lane in "${lanes[@]}"; do
  echo "=== goro tests: $lane ==="
  start=$(date +%s)
  cmake --preset "$lane" > /dev/null
  cmake --build --preset "$lane"
  case "$lane" in
    release) ctest --preset release -j "$jobs" ;;
    fuzz)    ctest --preset fuzz -L fuzz ;;
    chaos)
      export GORO_CHAOS_SEED="${GORO_CHAOS_SEED:-$(( $(date +%s) % 1000000000 ))}"
      echo "chaos seed: GORO_CHAOS_SEED=$GORO_CHAOS_SEED"
      ctest --preset chaos -j "$jobs" -L 'stress|death'
      ctest --preset chaos -j "$jobs" -R '^Procs/(Tcp|Udp|Http|Deadlock)' ;;
    *)       ctest --preset "$lane" -j "$jobs" -L 'unit|stress|death|sanitizer' ;;
  esac
  echo "=== $lane passed in $(( $(date +%s) - start )) s ==="
done
