#!/usr/bin/env bash
# fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Builds the libFuzzer targets of tests/fuzz with clang-19 (ASan + UBSan)
# in build-fuzz/ and runs each for SECONDS_PER_TARGET (default 60), one
# after the other, at low priority. TARGET is frontend, safetensors,
# compile or onnx (default: all of them). Per target it prints executions, coverage
# (cov: and ft: from libFuzzer's final stats line), corpus size and
# crashes. Files:
#   build-fuzz/corpus/<target>/   the growing corpus (kept between runs)
#   build-fuzz/seeds/<target>/    seeds copied from the repository each run:
#                                 examples, golden cases and model tests (.dl),
#                                 safetensors files up to 64 KB, ONNX
#                                 importer tests and zoo models up to 64 KB
#   build-fuzz/crashes/<target>/  crash-*, leak-*, timeout-*, oom-* inputs
#   build-fuzz/logs/<target>.log  libFuzzer's output
#   build-fuzz/dlc.dict           tests/fuzz/dlc.dict plus the names in
#                                 frontend/layers.def
# To reproduce a crash: build-fuzz/tests/fuzz/fuzz_<target> FILE
# (fuzz_compile prints the model it generated with DLC_FUZZ_PRINT=1).
# Environment: DLC_FUZZ_BUILD_DIR (build-fuzz), DLC_FUZZ_JOBS (libFuzzer
# workers per target, 1), DLC_FUZZ_ARGS (extra libFuzzer flags),
# DLC_FUZZ_NO_BUILD=1 (run the targets already built).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(frontend safetensors compile onnx)
build=${DLC_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${DLC_FUZZ_JOBS:-1}

if [ "${DLC_FUZZ_NO_BUILD:-0}" != 1 ]; then
  bash scripts/install-deps.sh
  cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang-19 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDLC_FUZZ=ON >/dev/null
  cmake --build "$build" -j2 --target $(printf 'fuzz_%s ' "${targets[@]}")
fi
build=$(cd "$build" && pwd)

# The dictionary: the committed one plus every layer and parameter name.
{
  cat tests/fuzz/dlc.dict
  grep -oE '^(LAYER|PARAM)\([A-Z0-9_]+, [a-z0-9_]+' frontend/layers.def |
    awk '{ print "def_" NR "=\"" $2 "\"" }'
} >"$build/dlc.dict"

# Seeds are copied at run time, so nothing is duplicated in git.
seed() { # seed TARGET FILE...
  local dir=$build/seeds/$1; shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] || continue
    [ "$(stat -c %s "$f")" -le 65536 ] || continue
    cp "$f" "$dir/$(echo "${f#$root/}" | tr / _)"
  done
}
rm -rf "$build/seeds"
shopt -s nullglob globstar
dl_files=(examples/*/*.dl tests/golden/**/*.dl tests/models/*/model.dl)
seed frontend "${dl_files[@]}"
seed safetensors tests/golden/errors/*.safetensors examples/*/*.safetensors \
  tests/models/*/*.safetensors
# fuzz_compile reads its bytes as choices: any bytes do; these give variety.
seed compile "${dl_files[@]}"
seed onnx tests/onnx/import/errors/*.onnx tests/onnx/import/cases/*/model.onnx \
  tests/zoo/*/model.onnx

par=()
[ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
report=()
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t crashes=$build/crashes/$t log=$build/logs/$t.log
  mkdir -p "$corpus" "$crashes" "$build/logs"
  before=$(ls "$crashes" | wc -l)
  echo "fuzz: $t for ${seconds}s (log: $log)"
  set +e
  ( cd "$build" &&
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    nice -n 10 "$build/tests/fuzz/fuzz_$t" -dict="$build/dlc.dict" \
      -max_len="$(if [ "$t" = onnx ]; then echo 65536; else echo 4096; fi)" -timeout=10 -rss_limit_mb=2048 -max_total_time="$seconds" \
      -print_final_stats=1 -artifact_prefix="$crashes/" "${par[@]}" \
      ${DLC_FUZZ_ARGS:-} "$corpus" "$build/seeds/$t" ) >"$log" 2>&1
  rc=$?
  set -e
  [ "$jobs" -gt 1 ] && cat "$build"/fuzz-*.log >>"$log" 2>/dev/null && rm -f "$build"/fuzz-*.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{ s += $1 } END { print s + 0 }')
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  found=$(( $(ls "$crashes" | wc -l) - before ))
  report+=("$(printf '%-12s %12s %8s %8s %8s %8s' "$t" "$execs" "${cov:-?}" "${ft:-?}" \
    "$(ls "$corpus" | wc -l)" "$found")")
  if [ $rc -ne 0 ] || [ "$found" -gt 0 ]; then
    echo "fuzz: $t stopped with status $rc; new files in $crashes:"
    ls -t "$crashes" | head -n "$((found > 0 ? found : 1))"
    grep -E 'ERROR: |SUMMARY: |runtime error|internal error|fuzz check' "$log" | head -5
  fi
done

printf '\n%-12s %12s %8s %8s %8s %8s\n' target executions cov ft corpus crashes
printf '%s\n' "${report[@]}"
