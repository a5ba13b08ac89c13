#!/usr/bin/env bash
# bench-examples.sh - compiles every example model (examples/NAME/NAME.dl)
# at -O0 and -O2 and prints one table: compile time (median of 3), object
# size (.text and .text+.rodata, the weights being in .rodata), scratch
# bytes from the generated header and the planner's lower bound (from
# `dlc --mem-report`, "n/a" if this dlc has no such option), and inference
# latency (median and min over RUNS timed runs after WARMUP untimed ones,
# measured by bench/time_model.c on random inputs).
#
#   scripts/bench-examples.sh            (builds dlc and the runtime first)
#
# Environment: DLC_BUILD_DIR (default build), RUNS (200), WARMUP (20),
# DLC_BENCH_FLAGS (extra dlc flags for both levels, e.g. --mcpu=native).
# The -O0 and -O2 measurements alternate (compiles, then ROUNDS=4 rounds of
# latency runs) so that drift in machine load hits both alike. Not a test:
# the numbers depend on the machine, which the header names.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${DLC_BUILD_DIR:-build}
runs=${RUNS:-200}
warmup=${WARMUP:-20}
rounds=4
flags=${DLC_BENCH_FLAGS:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
if ! cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target dlc dlcrt \
    >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log" >&2
  exit 1
fi
build=$(cd "$build" && pwd)
dlc=$build/dlc
rtlib=$build/runtime/libdlcrt.a

now() { date +%s.%N; }
# median of the numbers on stdin (one per line)
median() { sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Compiles NAME at OPT into $tmp/NAME/OPT and appends the seconds it took.
compile() {
  local name=$1 opt=$2 out=$tmp/$1/$2
  mkdir -p "$out"
  local t0 t1
  t0=$(now)
  # shellcheck disable=SC2086
  "$dlc" "$root/examples/$name/$name.dl" --name=model -$opt $flags -o "$out/model.o"
  t1=$(now)
  echo "$t0 $t1" | awk '{printf "%.6f\n", $2 - $1}' >>"$out/compile_s"
}

# The planner's lower bound for NAME at OPT, or n/a.
lower_bound() {
  local report
  # shellcheck disable=SC2086
  if report=$("$dlc" --mem-report "$root/examples/$1/$1.dl" -$2 $flags -o /dev/null 2>&1); then
    echo "$report" | tr '[:upper:]' '[:lower:]' |
      sed -n 's/^lower bound[^0-9]*\([0-9][0-9]*\).*/\1/p' | head -1 | grep . || echo n/a
  else
    echo n/a
  fi
}

names=()
for d in examples/*/; do
  n=$(basename "$d")
  [ -f "examples/$n/$n.dl" ] && names+=("$n")
done

for name in "${names[@]}"; do
  for _ in 1 2 3; do
    for opt in O0 O2; do compile "$name" "$opt"; done
  done
  for opt in O0 O2; do
    cc -O2 -I"$tmp/$name/$opt" -I"$root/runtime" "$root/bench/time_model.c" \
      "$tmp/$name/$opt/model.o" "$rtlib" -lm -o "$tmp/$name/$opt/time"
  done
  per_round=$(( (runs + rounds - 1) / rounds ))
  for ((r = 0; r < rounds; r++)); do
    for opt in O0 O2; do
      "$tmp/$name/$opt/time" --samples "$per_round" "$warmup" >>"$tmp/$name/$opt/lat_us"
    done
  done
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
echo "dlc example benchmark: $(nproc) cores, ${cpu:-unknown CPU}"
echo "dlc flags: -O0/-O2 ${flags:-(default target: portable baseline)}; latency: $((per_round * rounds)) runs after $warmup warm-up, in $rounds alternating rounds"
echo
printf '%-14s %-3s %11s %10s %12s %12s %12s %12s %12s\n' model opt compile_ms text_B \
  text+ro_B scratch_B lower_bd_B median_us min_us
for name in "${names[@]}"; do
  for opt in O0 O2; do
    out=$tmp/$name/$opt
    ms=$(median <"$out/compile_s" | awk '{printf "%.0f", $1 * 1000}')
    text=$(size -A "$out/model.o" | awk '$1 ~ /^\.text/ {s += $2} END {print s + 0}')
    tro=$(size -A "$out/model.o" | awk '$1 ~ /^\.(text|rodata)/ {s += $2} END {print s + 0}')
    scratch=$(sed -n 's/^#define MODEL_SCRATCH_BYTES \([0-9]*\).*/\1/p' "$out/model.h")
    lb=$(lower_bound "$name" "$opt")
    med=$(median <"$out/lat_us")
    min=$(sort -g "$out/lat_us" | head -1)
    printf '%-14s %-3s %11s %10s %12s %12s %12s %12.1f %12.1f\n' "$name" "-$opt" "$ms" \
      "$text" "$tro" "$scratch" "$lb" "$med" "$min"
  done
done
