#!/usr/bin/env bash
# run_example_eq.sh DLC TENSOR_CMP HARNESS_SRC DLCRT_DIR DLCRT_LIB RAMP DIR
# Equivalence of the optimizer on an example model DIR/NAME.dl: compiled at
# -O0 and at -O2 (linked with the generic harness), the two objects and
# `dlc run` (the reference interpreter on the unoptimized IR) give outputs
# that agree within abs 1e-5 + rel 1e-4; `dlc --emit=dot` at both levels
# renders with Graphviz (dot -Tsvg). Each input NAME is the first 64
# samples of DIR/test_NAME.bin; a one-input model may use DIR/input.bin or
# DIR/test_images.bin instead, else two deterministic ramp samples (for
# models with random weights and no stored input).
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
grep -q '^#define MODEL_NUM_OUTPUTS 1$' "$tmp/O2/model.h" || fail "expected one output"
ninputs=$(sed -n 's/^#define MODEL_NUM_INPUTS //p' "$tmp/O2/model.h")

# Input i, named NAME in the header, comes from the first 64 samples of
# DIR/test_NAME.bin when the example has one (the interpreter stays quick
# under the sanitizers); a one-input model may instead have DIR/input.bin
# or DIR/test_images.bin.
inputs=()
for i in $(seq 0 $((ninputs - 1))); do
  macro=$(sed -n "s/^#define MODEL_INPUT${i}_COUNT MODEL_INPUT_\(.*\)_COUNT$/\1/p" "$tmp/O2/model.h")
  bytes=$(sed -n "s/^#define MODEL_INPUT_${macro}_BYTES //p" "$tmp/O2/model.h")
  count=$(sed -n "s/^#define MODEL_INPUT_${macro}_COUNT //p" "$tmp/O2/model.h")
  file=$dir/test_$(echo "$macro" | tr 'A-Z' 'a-z').bin
  [ "$ninputs" -gt 1 ] || [ -f "$file" ] || file=$dir/test_images.bin
  if [ "$ninputs" -eq 1 ] && [ -f "$dir/input.bin" ]; then
    inputs+=("$dir/input.bin")
  elif [ -f "$file" ]; then
    head -c $((64 * bytes)) "$file" >"$tmp/in$i.bin"
    inputs+=("$tmp/in$i.bin")
  elif [ "$ninputs" -eq 1 ]; then
    "$ramp" "$count" 2 "$tmp/in$i.bin"
    inputs+=("$tmp/in$i.bin")
  else
    fail "no $file for input $i"
  fi
done
refargs=()
for f in "${inputs[@]}"; do refargs+=(--input "$f"); done

"$tmp/O0/run" "${inputs[@]}" "$tmp/O0/out.bin" || fail "-O0 program failed"
"$tmp/O2/run" "${inputs[@]}" "$tmp/O2/out.bin" || fail "-O2 program failed"
"$dlc" run "$dir/$name.dl" "${refargs[@]}" --output "$tmp/ref.bin"
"$cmp" "$tmp/O0/out.bin" "$tmp/ref.bin" 1e-5 1e-4 || fail "-O0 differs from dlc run"
"$cmp" "$tmp/O2/out.bin" "$tmp/ref.bin" 1e-5 1e-4 || fail "-O2 differs from dlc run"
"$cmp" "$tmp/O2/out.bin" "$tmp/O0/out.bin" 1e-5 1e-4 || fail "-O2 differs from -O0"
echo "run_example_eq: $name: ok"
