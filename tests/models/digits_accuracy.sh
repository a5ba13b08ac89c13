#!/usr/bin/env bash
# digits_accuracy.sh DLC TENSOR_CMP ACCURACY DIR
# Runs the reference interpreter on the whole held-out split of the trained
# digits model and checks (1) the logits against PyTorch's within abs 1e-5 +
# rel 1e-5 and (2) the accuracy against PyTorch's, exactly.
set -eu
dlc=$1 cmp=$2 acc=$3 dir=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$dlc" run "$dir/digits.dl" --input "$dir/test_images.bin" --output "$tmp/logits.bin"
"$cmp" "$tmp/logits.bin" "$dir/torch_logits.bin" 1e-5 1e-5
"$acc" "$tmp/logits.bin" "$dir/test_labels.bin" 10 "$dir/torch_accuracy.txt"
