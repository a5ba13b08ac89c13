#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
#   1. installs missing packages (scripts/install-deps.sh)
#   2. builds dlc with -Werror and runs every test (ctest)
#   3. builds again with AddressSanitizer + UndefinedBehaviorSanitizer (dlc,
#      the runtime, the tests and the example programs) and runs every test
#      again under them, except the valgrind ones (valgrind and ASan exclude
#      each other)
# Build trees: build/ and build-asan/ (override with DLC_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
build=${DLC_BUILD_DIR:-build}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDLC_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" -j"$jobs" --output-on-failure

if [ "${DLC_SKIP_SANITIZERS:-0}" != 1 ]; then
  cmake -S . -B "$build-asan" -DCMAKE_BUILD_TYPE=Debug -DDLC_WERROR=ON -DDLC_SANITIZE=ON >/dev/null
  cmake --build "$build-asan" -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$build-asan" -j"$jobs" --output-on-failure -LE valgrind
fi
