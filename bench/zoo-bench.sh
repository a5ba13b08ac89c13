#!/usr/bin/env bash
# zoo-bench.sh - dlc against ONNX Runtime on the ONNX model zoo, batch 1,
# one thread, the same .onnx files, in one run (issue 7's benchmark).
#
#   bash bench/zoo-bench.sh [MODEL...]     (default: every zoo model)
#
# For each model it compiles model.onnx with dlc (-O2 --mcpu=native, or
# DLC_BENCH_FLAGS), links bench/time_model.c, and times the compiled code
# and ONNX Runtime 1.30 (bench/ort_time.js: CPU provider, one intra-op
# thread, every graph optimization) on the zoo's own input, alternating the
# two for ROUNDS rounds of RUNS timed calls each (fewer for slow models:
# about 1.5 s per round and engine) after WARMUP untimed ones. Medians and
# minimums are over all timed calls of all rounds. Both engines' largest
# error against PyTorch's output is checked (ERR_MAX, default 1e-3
# absolute; ResNet-50's logits reach ~700): a wrong answer aborts the run.
#
# It also measures ONNX Runtime's calling overhead (a model holding one
# Identity node, bench/identity) and this core's FMA peak (bench/fma_peak.c,
# best of the runs before and after the models), and prints one table:
#   model, MMACs, dlc ms, ORT ms, ratio dlc/ORT, ratio dlc/(ORT - overhead),
#   the target ratio of issue 7 and which of the two ratios it applies to,
#   dlc GFLOP/s (2 flops per MAC) and its percentage of the FMA peak.
# With PROFILE=1 it then samples each dlc model with `perf record` (every
# layer is its own function, named <model>.<layer>) and prints where the
# time goes by layer kind: MACs, ms, GFLOP/s and % of peak per kind.
#
# Needs: the zoo (scripts/make_zoo.py, run when a model is missing; python3
# with torch), node + npm (onnxruntime-node@1.30.0 is installed once into
# BUILD/bench-ort with `npm install --ignore-scripts`: its install script
# fetches GPU binaries from a host this machine cannot reach, and the CPU
# library is inside the package), perf for PROFILE=1.
# Environment: DLC_BUILD_DIR (build), ZOO (BUILD/zoo), ROUNDS (3), RUNS
# (200), WARMUP (10), DLC_BENCH_FLAGS, PROFILE, ERR_MAX.
# Not a test: the figures depend on the machine; the header line names it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${DLC_BUILD_DIR:-build}
rounds=${ROUNDS:-3}
runs=${RUNS:-200}
warmup=${WARMUP:-10}
flags=${DLC_BENCH_FLAGS:--O2 --mcpu=native}
err_max=${ERR_MAX:-1e-3}
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(mlp lenet5 cnn lstm gru resnet18 mobilenet_v2 resnet50
  googlenet regnet_x_400mf efficientnet_b0 mobilenet_v3_small shufflenet_v2 resnext50
  densenet121 squeezenet alexnet wide_resnet50 unet bert conv1d)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
if ! cmake --build "$build" -j2 --target dlc dlcrt >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log" >&2
  exit 1
fi
build=$(cd "$build" && pwd)
zoo=${ZOO:-$build/zoo}
ort=$build/bench-ort
dlc=$build/dlc

missing=()
for m in "${models[@]}"; do [ -f "$zoo/$m/model.onnx" ] || missing+=("$m"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "zoo-bench: generating ${missing[*]} in $zoo" >&2
  /usr/bin/python3 scripts/make_zoo.py --out "$zoo" --only "${missing[@]}" >/dev/null
fi
if [ ! -f "$ort/node_modules/onnxruntime-node/package.json" ]; then
  echo "zoo-bench: installing onnxruntime-node into $ort" >&2
  mkdir -p "$ort"
  cp bench/package.json "$ort/"
  (cd "$ort" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
fi
ort_time() { NODE_PATH=$ort/node_modules node bench/ort_time.js "$@"; }

cc -O2 -march=native -ffp-contract=fast bench/fma_peak.c -o "$tmp/fma_peak"
peak=$("$tmp/fma_peak" 1 | cut -d' ' -f1)

median() { sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
minimum() { sort -g | head -1; }

# ONNX Runtime's cost of one call of a model that does nothing.
ort_time --samples bench/identity 2000 200 | tail -n +2 >"$tmp/overhead"
overhead=$(median <"$tmp/overhead")

# Issue 7's targets (issue 14's for ResNet-50 and the architectures added
# then: at most ORT's time): ratio, and whether it is against ORT minus
# overhead.
target() {
  case $1 in
    resnet50) echo "0.90 plain" ;; resnet18) echo "0.90 plain" ;;
    mobilenet_v2) echo "0.80 plain" ;; cnn) echo "0.70 plain" ;;
    mlp|lenet5|lstm|gru) echo "0.50 adj" ;;
    googlenet|regnet_x_400mf|efficientnet_b0|mobilenet_v3_small|shufflenet_v2|resnext50|\
    densenet121|squeezenet|alexnet|wide_resnet50) echo "1.00 plain" ;;
    *) echo "- -" ;;
  esac
}

check_err() { # check_err ENGINE MODEL ERR
  if ! awk -v e="$3" -v m="$err_max" 'BEGIN { exit !(e + 0 <= m + 0) }'; then
    echo "zoo-bench: $2: $1's output is off PyTorch's by $3 (> $err_max)" >&2
    exit 1
  fi
}

for m in "${models[@]}"; do
  d=$tmp/$m
  mkdir -p "$d"
  # shellcheck disable=SC2086
  "$dlc" "$zoo/$m/model.onnx" --name=model $flags -o "$d/model.o"
  cc -O2 -I"$d" -Iruntime bench/time_model.c "$d/model.o" "$build/runtime/libdlcrt.a" -lm \
    -o "$d/time_model"
  # shellcheck disable=SC2086
  "$dlc" --mem-report "$zoo/$m/model.onnx" $flags 2>/dev/null |
    sed -n 's/^MACs  *//p' >"$d/macs"
  io=(--input "$zoo/$m/input.bin" --expect "$zoo/$m/expected.bin")
  # about 1.5 s per round and engine
  est=$("$d/time_model" "${io[@]}" 3 1 | cut -d' ' -f1)
  n=$(awk -v e="$est" -v r="$runs" 'BEGIN { n = int(1.5e6 / (e + 1)); print (n < 10 ? 10 : n > r ? r : n) }')
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then order="dlc ort"; else order="ort dlc"; fi
    for e in $order; do
      if [ "$e" = dlc ]; then
        "$d/time_model" --samples "${io[@]}" "$n" "$warmup" >"$d/out"
      else
        ort_time --samples "$zoo/$m" "$n" "$warmup" >"$d/out"
      fi
      check_err "$e" "$m" "$(sed -n '1s/^err //p' "$d/out")"
      tail -n +2 "$d/out" >>"$d/$e"
    done
  done
done
peak2=$("$tmp/fma_peak" 1 | cut -d' ' -f1)
peak=$(awk -v a="$peak" -v b="$peak2" 'BEGIN { print (a > b ? a : b) }')

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "zoo-bench $(date -u +%Y-%m-%d) on $cpu, $(nproc) cores; dlc $flags; onnxruntime-node 1.30.0 (1 thread)"
printf 'FMA peak %.1f GFLOP/s per core (fp32, measured); ORT calling overhead %.3f ms (Identity model)\n' \
  "$peak" "$(awk -v o="$overhead" 'BEGIN { print o / 1000 }')"
printf '%-13s %9s %9s %9s %9s %9s %7s %7s %7s %6s %9s %7s\n' model MMACs "dlc ms" "dlc min" \
  "ORT ms" "ORT min" ratio "ratio*" target met GFLOP/s "% peak"
for m in "${models[@]}"; do
  d=$tmp/$m
  read -r tval tkind <<<"$(target "$m")"
  awk -v m="$m" -v macs="$(cat "$d/macs")" -v dm="$(median <"$d/dlc")" -v dn="$(minimum <"$d/dlc")" \
      -v om="$(median <"$d/ort")" -v on="$(minimum <"$d/ort")" -v ov="$overhead" -v peak="$peak" \
      -v tv="$tval" -v tk="$tkind" 'BEGIN {
    r = dm / om; ra = dm / (om - ov > 0 ? om - ov : om)
    met = tv == "-" ? "-" : ((tk == "adj" ? ra : r) <= tv ? "yes" : "no")
    gf = macs * 2 / (dm * 1e-6) * 1e-9
    printf "%-13s %9.1f %9.3f %9.3f %9.3f %9.3f %7.2f %7.2f %5s%s %6s %9.1f %6.1f%%\n", m, macs / 1e6,
      dm / 1000, dn / 1000, om / 1000, on / 1000, r, ra, tv, tk == "adj" ? "*" : " ", met, gf,
      100 * gf / peak }'
done
echo "ratio = dlc median / ORT median; ratio* = dlc median / (ORT median - ORT overhead);"
echo "target: issue 7's / 14's bound on ratio (ratio* where marked *); GFLOP/s and % peak: dlc's, 2 flops per MAC."

[ "${PROFILE:-0}" = 1 ] || exit 0
for m in "${models[@]}"; do
  d=$tmp/$m
  # shellcheck disable=SC2086
  "$dlc" "$zoo/$m/model.onnx" $flags --emit=ir-opt -o "$d/ir" 2>/dev/null
  # shellcheck disable=SC2086
  "$dlc" --mem-report "$zoo/$m/model.onnx" $flags 2>/dev/null >"$d/mem"
  n=$(awk -v e="$(median <"$d/dlc")" 'BEGIN { n = int(3e6 / (e + 1)); print (n < 20 ? 20 : n) }')
  perf record -q -F 4999 -o "$d/perf.data" "$d/time_model" "$n" 3 >/dev/null 2>&1
  perf report -i "$d/perf.data" --stdio --sort symbol 2>/dev/null |
    awk '$2 == "[.]" && $3 ~ /^model\./ { sub(/%/, "", $1); print substr($3, 7), $1 }' >"$d/prof"
  echo
  echo "$m: dlc time by layer kind (perf samples; $(median <"$d/dlc" | awk '{printf "%.3f", $1/1000}') ms per run)"
  # kind of each layer from the optimized IR; MACs from the memory report
  awk -v peak="$peak" -v total="$(median <"$d/dlc")" '
    FILENAME == ARGV[1] && /^  %[^ ]*: / {
      name = substr($1, 2); sub(/:$/, "", name)
      op = $0; sub(/^[^=]*= /, "", op); sub(/\(.*/, "", op)
      kind = op
      if (op == "conv2d") {
        k = $0; sub(/.*kernel=\[/, "", k); sub(/\].*/, "", k); sub(/, /, "x", k)
        s = $0; sub(/.*stride=\[/, "", s); sub(/,.*/, "", s)
        g = $0; sub(/.*groups=/, "", g); sub(/ .*/, "", g)
        f = $0; sub(/.*filters=/, "", f); sub(/ .*/, "", f)
        kind = "conv " k (s > 1 ? "/" s : "") (g == 1 ? "" : g == f ? " depthwise" : " grouped")
      }
      kindof[name] = kind; next
    }
    FILENAME == ARGV[2] && $1 ~ /^[0-9]+$/ { macs[$2] = $NF ~ /^[0-9]+$/ ? $NF : $(NF - 1); next }
    FILENAME == ARGV[3] { pct[$1] = $2; sum += $2 }
    END {
      for (l in pct) {
        k = (l in kindof) ? kindof[l] : "(other: " l ")"
        t[k] += pct[l] / sum * total; mk[k] += macs[l]; nk[k]++
      }
      for (k in t)
        printf "%.3f\t  %-26s %6d %10.1f %9.3f %5.1f%% %9.1f %6.1f%%\n", t[k], k, nk[k], mk[k] / 1e6,
          t[k] / 1000, 100 * t[k] / total, mk[k] ? mk[k] * 2 / (t[k] * 1e-6) * 1e-9 : 0,
          mk[k] ? 100 * mk[k] * 2 / (t[k] * 1e-6) * 1e-9 / peak : 0
    }' "$d/ir" "$d/mem" "$d/prof" >"$d/kinds"
  printf '  %-26s %6s %10s %9s %6s %9s %7s\n' kind layers MMACs ms time% GFLOP/s %peak
  sort -t$'\t' -k1,1 -g -r "$d/kinds" | cut -f2-
done
