#!/usr/bin/env bash
# run_e2e.sh DLC TENSOR_CMP HARNESS_SRC DLCRT_DIR DLCRT_LIB DIR
# Compiles DIR/model.dl (or the file DIR/model.ref names) to an object with
# `dlc --name=model`, links it with the generic harness and the runtime, and
# checks:
#   - outputs against DIR/expected*.bin (tolerance as run_model.sh: DIR/tolerance
#     or abs 1e-5 rel 1e-4) and against `dlc run` (the interpreter);
#   - equivalence of the optimizer: the model compiled at -O0 and at -O2
#     gives outputs that agree with each other, with `dlc run` (the
#     reference interpreter on the unoptimized IR) within abs 1e-5 + rel
#     1e-4, and with DIR/expected*.bin;
#   - the harness self-test: NULL/misaligned buffers rejected, two threads
#     with separate scratch give identical results;
#   - a second compilation gives a byte-identical object and header;
#   - no writable data in the object (.data/.bss empty) and, with weights,
#     the weights in .rodata; --weights=external (weights file next to the
#     object, model.weights) gives the same outputs.
set -eu
dlc=$1 cmp=$2 harness=$3 rtdir=$4 rtlib=$5 dir=$6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
model="$dir/model.dl"   # or the model file DIR/model.ref names (examples)
[ -f "$dir/model.ref" ] && model="$dir/$(cat "$dir/model.ref")"
fail() { echo "run_e2e: $(basename "$dir"): $*" >&2; exit 1; }

"$dlc" "$model" --name=model -O2 -o "$tmp/model.o"
[ -f "$tmp/model.h" ] || fail "no header model.h next to model.o"
cc ${DLC_E2E_CFLAGS:-} -O1 -I"$tmp" -I"$rtdir" "$harness" "$tmp/model.o" "$rtlib" -lm -lpthread -o "$tmp/run"

ins=() outs=() refs=() runargs=()
for f in $(ls "$dir"/input*.bin | sort -V); do ins+=("$f"); runargs+=(--input "$f"); done
i=0
for f in $(ls "$dir"/expected*.bin | sort -V); do
  outs+=("$tmp/out$i.bin"); refs+=("$tmp/ref$i.bin"); runargs+=(--output "$tmp/ref$i.bin")
  i=$((i+1))
done
"$tmp/run" --selftest "${ins[@]}" "${outs[@]}" || fail "harness failed"
"$dlc" run "$model" "${runargs[@]}"
tol="1e-5 1e-4"
[ -f "$dir/tolerance" ] && tol=$(cat "$dir/tolerance")
i=0
for f in $(ls "$dir"/expected*.bin | sort -V); do
  "$cmp" "${outs[$i]}" "$f" $tol || fail "output $i differs from $(basename "$f")"
  "$cmp" "${outs[$i]}" "${refs[$i]}" 1e-5 1e-4 || fail "output $i differs from dlc run"
  i=$((i+1))
done

# -O0 runs only the passes correctness needs; it must agree with -O2 and
# the interpreter (which `dlc run` runs at -O0 by default).
mkdir -p "$tmp/o0"
"$dlc" "$model" --name=model -O0 -o "$tmp/o0/model.o"
cc ${DLC_E2E_CFLAGS:-} -O1 -I"$tmp/o0" -I"$rtdir" "$harness" "$tmp/o0/model.o" "$rtlib" -lm \
  -lpthread -o "$tmp/o0/run"
o0outs=()
i=0
for o in "${outs[@]}"; do o0outs+=("$tmp/o0/out$i.bin"); i=$((i+1)); done
"$tmp/o0/run" "${ins[@]}" "${o0outs[@]}" || fail "-O0 harness failed"
i=0
for f in $(ls "$dir"/expected*.bin | sort -V); do
  "$cmp" "${o0outs[$i]}" "$f" $tol || fail "-O0 output $i differs from $(basename "$f")"
  "$cmp" "${o0outs[$i]}" "${refs[$i]}" 1e-5 1e-4 || fail "-O0 output $i differs from dlc run"
  "$cmp" "${outs[$i]}" "${o0outs[$i]}" 1e-5 1e-4 || fail "-O2 output $i differs from -O0"
  i=$((i+1))
done

# Deterministic output.
"$dlc" "$model" --name=model -O2 -o "$tmp/again.o" --header="$tmp/again.h"
cmp "$tmp/model.o" "$tmp/again.o" || fail "two compilations gave different objects"
cmp "$tmp/again.h" "$tmp/model.h" || fail "two compilations gave different headers"

# No mutable state; weights are read-only data.
# (.data.rel.ro holds the tables' name pointers: read-only after relocation.)
writable=$(size -A "$tmp/model.o" |
  awk '$1 ~ /^\.(data|bss)/ && $1 !~ /^\.data\.rel\.ro/ {s += $2} END {print s + 0}')
[ "$writable" -eq 0 ] || fail "object has $writable bytes of writable data"
mkdir -p "$tmp/ext"
"$dlc" "$model" --name=model -O2 --weights=external -o "$tmp/ext/model.o"
wbytes=$(sed -n 's/^#define MODEL_WEIGHTS_BYTES //p' "$tmp/ext/model.h")
if [ "${wbytes:-0}" -gt 0 ]; then
  # The weights are read-only data. Checked at -O0, where neither dlc nor
  # LLVM folds them: at -O2 LLVM may turn a tiny model's weights into
  # immediates in the code, leaving less in .rodata than the image holds.
  mkdir -p "$tmp/o0ext"
  "$dlc" "$model" --name=model -O0 --weights=external -o "$tmp/o0ext/model.o"
  w0=$(sed -n 's/^#define MODEL_WEIGHTS_BYTES //p' "$tmp/o0ext/model.h")
  rodata=$(size -A "$tmp/o0/model.o" | awk '$1 ~ /^\.rodata/ {s += $2} END {print s + 0}')
  [ "$rodata" -ge "$w0" ] || fail "-O0 .rodata ($rodata bytes) cannot hold the weights ($w0)"
  cc ${DLC_E2E_CFLAGS:-} -O1 -I"$tmp/ext" -I"$rtdir" "$harness" "$tmp/ext/model.o" "$rtlib" -lm -lpthread \
    -o "$tmp/ext/run"
  i=0
  for o in "${outs[@]}"; do eouts[$i]="$tmp/ext/out$i.bin"; i=$((i+1)); done
  "$tmp/ext/run" --selftest --weights "$tmp/ext/model.weights" "${ins[@]}" "${eouts[@]}" ||
    fail "external-weights harness failed"
  i=0
  for o in "${outs[@]}"; do
    cmp "$o" "${eouts[$i]}" || fail "external weights change output $i"
    i=$((i+1))
  done
fi
echo "run_e2e: $(basename "$dir"): ok"
