#!/usr/bin/env bash
# run_model.sh DLC TENSOR_CMP DIR
# Runs the reference interpreter on DIR/model.dl (or on the model file that
# DIR/model.ref names, relative to DIR: the examples' cases run the
# example's own model) with DIR/input*.bin (in numeric order)
# and compares each output with DIR/expected*.bin (in numeric order) within
# abs 1e-5 + rel 1e-5 per element: the references are PyTorch's outputs, and
# the interpreter must reproduce them to 1e-5 relative (with an absolute
# floor for values near zero). A DIR/tolerance file holding "ABS REL"
# overrides this.
set -eu
dlc=$1 cmp=$2 dir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=()
for f in $(ls "$dir"/input*.bin | sort -V); do args+=(--input "$f"); done
i=0
for f in $(ls "$dir"/expected*.bin | sort -V); do args+=(--output "$tmp/out$i.bin"); i=$((i+1)); done
model="$dir/model.dl"
[ -f "$dir/model.ref" ] && model="$dir/$(cat "$dir/model.ref")"
"$dlc" run "$model" "${args[@]}"
tol="1e-5 1e-5"
[ -f "$dir/tolerance" ] && tol=$(cat "$dir/tolerance")
i=0
for f in $(ls "$dir"/expected*.bin | sort -V); do
  "$cmp" "$tmp/out$i.bin" "$f" $tol
  i=$((i+1))
done
