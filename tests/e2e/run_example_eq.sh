#!/usr/bin/env bash
# run_example_eq.sh DLC TENSOR_CMP HARNESS_SRC DLCRT_DIR DLCRT_LIB RAMP DIR
# Equivalence of the optimizer on an example model DIR/NAME.dl: compiled at
# -O0 and at -O2 (linked with the generic harness), the two objects and
# `dlc run` (the reference interpreter on the unoptimized IR) give outputs
# that agree within abs 1e-5 + rel 1e-4; `dlc --emit=dot` at both levels
# renders with Graphviz (dot -Tsvg). The input is DIR/input.bin, else
# the first 64 samples of DIR/test_images.bin, else two deterministic ramp
# samples (for models with random weights and no stored input).
set -eu
dlc=$1 cmp=$2 harness=$3 rtdir=$4 rtlib=$5 ramp=$6 dir=$7
name=$(basename "$dir")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "run_example_eq: $name: $*" >&2; exit 1; }

for opt in O0 O2; do
  mkdir -p "$tmp/$opt"
  "$dlc" "$dir/$name.dl" --name=model -$opt -o "$tmp/$opt/model.o"
  # shellcheck disable=SC2086 # the flags are words
  cc ${DLC_E2E_CFLAGS:-} -O1 -I"$tmp/$opt" -I"$rtdir" "$harness" "$tmp/$opt/model.o" "$rtlib" \
    -lm -lpthread -o "$tmp/$opt/run"
done
# Its picture (dlc --emit=dot) at both levels is valid Graphviz input.
for opt in O0 O2; do
  "$dlc" --emit=dot -$opt "$dir/$name.dl" -o "$tmp/$opt/model.dot"
  dot -Tsvg "$tmp/$opt/model.dot" -o "$tmp/$opt/model.svg" 2>"$tmp/dot.err" ||
    fail "dot -Tsvg rejects the -$opt graph: $(cat "$tmp/dot.err")"
  [ ! -s "$tmp/dot.err" ] || fail "dot -Tsvg warns on the -$opt graph: $(cat "$tmp/dot.err")"
done
grep -q '^#define MODEL_NUM_INPUTS 1$' "$tmp/O2/model.h" || fail "expected one input"
grep -q '^#define MODEL_NUM_OUTPUTS 1$' "$tmp/O2/model.h" || fail "expected one output"

in0=$(sed -n 's/^#define MODEL_INPUT0_COUNT MODEL_INPUT_\(.*\)_COUNT$/\1/p' "$tmp/O2/model.h")
count=$(sed -n "s/^#define MODEL_INPUT_${in0}_COUNT //p" "$tmp/O2/model.h")
if [ -f "$dir/input.bin" ]; then
  input=$dir/input.bin
elif [ -f "$dir/test_images.bin" ]; then
  # the first 64 samples keep the interpreter quick under the sanitizers
  input=$tmp/images.bin
  head -c $((64 * count * 4)) "$dir/test_images.bin" >"$input"
else
  input=$tmp/ramp.bin
  "$ramp" "$count" 2 "$input"
fi

"$tmp/O0/run" "$input" "$tmp/O0/out.bin" || fail "-O0 program failed"
"$tmp/O2/run" "$input" "$tmp/O2/out.bin" || fail "-O2 program failed"
"$dlc" run "$dir/$name.dl" --input "$input" --output "$tmp/ref.bin"
"$cmp" "$tmp/O0/out.bin" "$tmp/ref.bin" 1e-5 1e-4 || fail "-O0 differs from dlc run"
"$cmp" "$tmp/O2/out.bin" "$tmp/ref.bin" 1e-5 1e-4 || fail "-O2 differs from dlc run"
"$cmp" "$tmp/O2/out.bin" "$tmp/O0/out.bin" 1e-5 1e-4 || fail "-O2 differs from -O0"
echo "run_example_eq: $name: ok"
