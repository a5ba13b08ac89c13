#!/usr/bin/env bash
# many_layers.sh DLC - a model of 2000 layers (1000 dense(4) + relu pairs)
# compiles at -O2 in bounded time. The back end emits one internal function
# per layer; as one function the whole model took minutes (LLVM's optimizer
# is superlinear in function size). Also checks that the layers are
# separate local functions named after the model and the layer.
set -eu
dlc=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  echo "model big"
  echo "input x: f32[1, 4]"
  echo "weights random(seed=1)"
  for _ in $(seq 1000); do echo "relu()"; echo "dense(4)"; done
} >"$tmp/big.dl"
start=$(date +%s%N)
"$dlc" -O2 "$tmp/big.dl" -o "$tmp/big.o"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# local (t) text symbols big.<layer>: relu fused into the dense before it
nfn=$(nm "$tmp/big.o" | awk '$2 == "t" && $3 ~ /^big\./' | wc -l)
echo "compile at -O2: ${ms} ms, ${nfn} layer functions"
nm "$tmp/big.o" | grep -q ' T big_run$' || { echo "no global big_run"; exit 1; }
nm "$tmp/big.o" | grep -q ' t big\.dense_1000$' || { echo "no local big.dense_1000"; exit 1; }
[ "$nfn" -ge 1000 ] || { echo "expected at least 1000 layer functions, got $nfn"; exit 1; }
[ "$ms" -lt 60000 ] || { echo "compile took ${ms} ms"; exit 1; }
