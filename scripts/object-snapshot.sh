#!/usr/bin/env bash
# Compiles every model the repository holds (examples/, tests/models/,
# every .onnx under tests/; ONNX models also through `dlc import`) with one dlc at several option sets and
# writes objects, headers and optimized IR under OUTDIR, so two builds of dlc
# can be compared byte for byte (a refactor must leave them identical):
#   bash scripts/object-snapshot.sh OLD/dlc /tmp/old
#   bash scripts/object-snapshot.sh NEW/dlc /tmp/new
#   diff -r /tmp/old /tmp/new && echo identical
# Option sets: -O2 at the portable baseline, -O2 for AVX2 (haswell) and for
# AVX-512 (skylake-avx512), and -O0. Models dlc rejects are recorded as
# such (their error text is compared too).
set -uo pipefail
dlc=$(realpath "$1"); out=$2
cd "$(dirname "$0")/.."
rm -rf "$out"; mkdir -p "$out"
models=$(ls examples/*/*.dl tests/models/*/model.dl; find tests -name '*.onnx' | sort)
optsets=("-O2" "-O2 --mcpu=haswell" "-O2 --mcpu=skylake-avx512" "-O0")
n=0
for m in $models; do
  tag=$(echo "$m" | tr '/' '_')
  for i in "${!optsets[@]}"; do
    o="$out/$tag.$i"
    # shellcheck disable=SC2086
    if ! "$dlc" "$m" ${optsets[$i]} -o "$o.o" 2>"$o.err"; then
      echo "rejected" >"$o.status"
    fi
    # shellcheck disable=SC2086
    "$dlc" "$m" ${optsets[$i]} --emit=ir-opt -o "$o.ir" 2>/dev/null
    n=$((n + 1))
  done
  case $m in *.onnx) "$dlc" import "$m" -o "$out/$tag.dl" 2>"$out/$tag.import.err" ;; esac
done
echo "object-snapshot: $n compilations in $out"
