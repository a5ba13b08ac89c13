#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs missing packages,
# builds dlc and the runtime, compiles the trained digits model
# (examples/digits/digits.dl) to an object and header with dlc, links it
# into its C host program and runs it on the held-out split: it prints the
# accuracy next to PyTorch's and the time per inference.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${DLC_BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs" --target digits_demo
echo "== dlc examples/digits/digits.dl -O2 -o $build/examples/digits/digits.o (done by the build)"
"$build/examples/digits_demo"
