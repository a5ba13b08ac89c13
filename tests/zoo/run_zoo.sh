#!/usr/bin/env bash
# run_zoo.sh DLC TENSOR_CMP HARNESS_SRC DLCRT_DIR DLCRT_LIB DIR
# One zoo model (DIR/model.onnx, input.bin, expected.bin: scripts/make_zoo.py)
# checked against PyTorch's output within abs 1e-5 + rel 1e-4 (DIR/tolerance
# "ABS REL" overrides: deep models get PyTorch's own float32 error as ABS),
# three ways:
#   1. compiled from the .onnx directly, linked with the e2e harness, run;
#   2. translated with `dlc import` to model.dl + model.safetensors, the
#      program compiled and run the same way;
#   3. the translated program in the reference interpreter (dlc run).
# Prints one line per way with the compile time; exits 1 on any mismatch.
# DLC_FLAGS adds dlc options to both compilations (e.g. --mcpu=native, so
# the AVX2/AVX-512 kernels - Winograd, depthwise, tiled - are the ones
# checked).
set -eu
dlc=$1 cmp=$2 harness=$3 rtdir=$4 rtlib=$5 dir=$6
name=$(basename "$dir")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "run_zoo: $name: $*" >&2; exit 1; }
tol="1e-5 1e-4"
[ -f "$dir/tolerance" ] && tol=$(cat "$dir/tolerance")

# build SRC OUTDIR: compiles SRC with --name=model and links the harness.
build() {
  mkdir -p "$2"
  local t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$dlc" "$1" --name=model -O2 ${DLC_FLAGS:-} -o "$2/model.o" || fail "dlc could not compile $(basename "$1")"
  local t1=$(date +%s.%N)
  cc ${DLC_E2E_CFLAGS:-} -O1 -I"$2" -I"$rtdir" "$harness" "$2/model.o" "$rtlib" -lm -lpthread \
    -o "$2/run" || fail "link failed"
  printf '%.2f' "$(echo "$t1 - $t0" | bc)"
}

secs=$(build "$dir/model.onnx" "$tmp/direct")
"$tmp/direct/run" "$dir/input.bin" "$tmp/direct/out.bin" || fail "run failed (from .onnx)"
msg=$("$cmp" "$tmp/direct/out.bin" "$dir/expected.bin" $tol 2>&1) || fail "from .onnx: $msg"
echo "run_zoo: $name: from .onnx (compiled in ${secs}s): $msg"

mkdir -p "$tmp/imported"
"$dlc" import "$dir/model.onnx" -o "$tmp/imported/model.dl" || fail "dlc import failed"
secs=$(build "$tmp/imported/model.dl" "$tmp/imported")
"$tmp/imported/run" "$dir/input.bin" "$tmp/imported/out.bin" || fail "run failed (imported)"
msg=$("$cmp" "$tmp/imported/out.bin" "$dir/expected.bin" $tol 2>&1) || fail "through dlc import: $msg"
echo "run_zoo: $name: through dlc import (compiled in ${secs}s): $msg"

"$dlc" run "$tmp/imported/model.dl" --input "$dir/input.bin" --output "$tmp/interp.bin" ||
  fail "dlc run failed on the imported program"
msg=$("$cmp" "$tmp/interp.bin" "$dir/expected.bin" $tol 2>&1) || fail "dlc run of the import: $msg"
echo "run_zoo: $name: dlc run of the imported program: $msg"
