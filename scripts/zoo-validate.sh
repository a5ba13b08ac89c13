#!/usr/bin/env bash
# zoo-validate.sh [DIR] - validates dlc on the whole model zoo: regenerates
# any missing model with scripts/make_zoo.py (into DIR, default build/zoo;
# needs python3-torch and python3-torchvision), then checks every model
# with tests/zoo/run_zoo.sh - compiled from .onnx directly, through `dlc
# import` + dlc, and the imported program in `dlc run`, each against
# PyTorch's output within abs 1e-5 + rel 1e-4 - and prints a table.
# BUILD=DIR picks the build directory (default build); DLC_FLAGS adds dlc
# options (DLC_FLAGS=--mcpu=native checks the host's vector kernels:
# Winograd and the AVX2/AVX-512 tiles). Exits 1 if any model fails.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
zoo=${1:-$root/build/zoo}
build=${BUILD:-$root/build}
models="mlp lenet5 cnn lstm gru resnet18 mobilenet_v2 resnet50 googlenet regnet_x_400mf efficientnet_b0 mobilenet_v3_small shufflenet_v2 resnext50 densenet121 squeezenet alexnet wide_resnet50 unet bert conv1d"
for f in "$build/dlc" "$build/tests/tensor_cmp" "$build/runtime/libdlcrt.a"; do
  [ -e "$f" ] || { echo "zoo-validate: '$f' not found (build first, or set BUILD)" >&2; exit 2; }
done
missing=()
for m in $models; do [ -f "$zoo/$m/model.onnx" ] || missing+=("$m"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "zoo-validate: generating ${missing[*]} in $zoo"
  /usr/bin/python3 "$root/scripts/make_zoo.py" --out "$zoo" --only "${missing[@]}" >/dev/null
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
printf '%-13s %10s %9s  %-22s %-22s %-8s\n' model params "onnx MB" "from .onnx" "dlc import + dlc" "dlc run"
status=0
for m in $models; do
  params=$(sed -n 's/.*"params": \([0-9]*\).*/\1/p' "$zoo/$m/manifest.json")
  mb=$(awk -v b="$(stat -c %s "$zoo/$m/model.onnx")" 'BEGIN { printf "%.1f", b / 1048576 }')
  if bash "$root/tests/zoo/run_zoo.sh" "$build/dlc" "$build/tests/tensor_cmp" \
       "$root/tests/e2e/harness.c" "$root/runtime" "$build/runtime/libdlcrt.a" "$zoo/$m" \
       >"$log" 2>&1; then :; else status=1; fi
  direct=$(sed -n 's/.*from \.onnx (compiled in \([0-9.]*s\)).*/ok, compile \1/p' "$log")
  imported=$(sed -n 's/.*through dlc import (compiled in \([0-9.]*s\)).*/ok, compile \1/p' "$log")
  interp=$(grep -q 'dlc run of the imported program: .*match' "$log" && echo ok || true)
  printf '%-13s %10s %9s  %-22s %-22s %-8s\n' "$m" "$params" "$mb" "${direct:-FAIL}" \
    "${imported:-FAIL}" "${interp:-FAIL}"
  [ $status -eq 0 ] || grep 'run_zoo:.*: ' "$log" | grep -v 'match\|compiled' | sed 's/^/    /' || true
done
exit $status
