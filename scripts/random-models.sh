#!/usr/bin/env bash
# random-models.sh [COUNT [FIRST_SEED]]
# Random-model differential testing at scale (docs/reliability.md): seeds
# FIRST_SEED .. FIRST_SEED+COUNT-1 (defaults 1000 and 1000, beyond the
# fixed seeds 1..200 ctest runs), in batches of 50 models,
# DLC_RANDOM_JOBS batches at a time (default 2). Each model is compiled at
# -O0 and -O2 (and for an AVX2 CPU when it asks), run, and compared with
# `dlc run`. Every failing model is shrunk by rmodel_gen into
# DLC_RANDOM_OUT/seed<N> (default build-random/found), ready to be copied to
# tests/random/regressions/<name>/. Prints each failure and the totals:
#   models run, ok, mismatches, rejects (dlc refused a generated model),
#   crashes (internal errors, signals), failures (entry point errors).
# Environment: DLC_BUILD_DIR (the build to test: default build-random,
# configured and built here), RMODEL_GEN_OPTS (rmodel_gen options, e.g.
# "--steps 5 24 --budget 6000" for larger models).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
first=${2:-1000}
jobs=${DLC_RANDOM_JOBS:-2}
build=${DLC_BUILD_DIR:-build-random}
if [ -z "${DLC_BUILD_DIR:-}" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j2 --target dlc tensor_cmp rmodel_gen dlcrt >/dev/null
fi
build=$(cd "$build" && pwd)
out=${DLC_RANDOM_OUT:-$build/found}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export RMODEL_SHRINK_DIR=$out

batch() { # FIRST COUNT
  bash tests/random/run_batch.sh "$build/dlc" "$build/tests/tensor_cmp" \
    "$build/tests/random/rmodel_gen" "$PWD/runtime" "$build/runtime/libdlcrt.a" "$1" "$2" \
    >"$logs/b$1.log" 2>&1 || true
  grep -v '^random: seeds' "$logs/b$1.log" || true
}

start=$(date +%s)
s=$first
end=$((first + count))
while [ $s -lt $end ]; do
  n=$((end - s < 50 ? end - s : 50))
  batch $s $n &
  s=$((s + n))
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
wait
cat "$logs"/b*.log | awk -v secs=$(($(date +%s) - start)) '
  /^random: seeds/ {
    for (i = 1; i <= NF; i++) { k = $i; v = $(i + 1); gsub(",", "", v)
      if (k == "models" || k == "ok" || k == "mismatches" || k == "rejects" ||
          k == "crashes" || k == "failures") t[k] += v }
  }
  END {
    printf "random-models: models run %d, ok %d, mismatches %d, compile failures (rejects) %d, " \
           "crashes %d, other failures %d (%d s)\n", t["models"], t["ok"], t["mismatches"],
           t["rejects"], t["crashes"], t["failures"], secs
    exit (t["ok"] == t["models"] ? 0 : 1)
  }'
