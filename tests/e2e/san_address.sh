#!/usr/bin/env bash
# san_address.sh DLC HARNESS_SRC DLCRT_DIR DLCRT_LIB MODEL_DIR...
# --sanitize=address on tests/models cases: each model is compiled with
# --sanitize=address at -O2 (the first one at -O0 too), linked with clang-19
# -fsanitize=address and san_harness.c (buffers exactly as large as the
# header says), and run. Checks:
#   - AddressSanitizer reports nothing and the run succeeds;
#   - the outputs are bit-identical to those of the uninstrumented object
#     at the same level (the guarded plan moves tensors, not arithmetic);
#   - the header's scratch size is the guarded plan's: larger than the
#     plain one, if that is not 0 (every tensor has its own slot between
#     redzones);
#   - the object is byte-identical across two compilations (first model).
# Without clang-19 or its ASan runtime the test is skipped (exit 77).
set -eu
dlc=$1 harness=$2 rtdir=$3
# The runtime is compiled from source into each program, with that
# program's flags: the build's libdlcrt.a ($4) may carry another
# sanitizer's instrumentation (a -DDLC_SANITIZE=ON build).
rtsrc=$rtdir/dlcrt.c
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "san_address: $*" >&2; exit 1; }
export ASAN_OPTIONS="detect_leaks=0 halt_on_error=1 exitcode=66"

echo 'int main(void){return 0;}' > "$tmp/probe.c"
if ! command -v clang-19 >/dev/null ||
   ! clang-19 -fsanitize=address "$tmp/probe.c" -o "$tmp/probe" 2>/dev/null; then
  echo "san_address: clang-19 with the AddressSanitizer runtime not found: skipped"
  exit 77
fi

scratch() { sed -n 's/^#define MODEL_SCRATCH_BYTES //p' "$1"; }

levels="-O2 -O0"
for dir in "$@"; do
  name=$(basename "$dir")
  model="$dir/model.dl"
  [ -f "$dir/model.ref" ] && model="$dir/$(cat "$dir/model.ref")"
  ins=$(ls "$dir"/input*.bin | sort)
  for opt in $levels; do
    d="$tmp/$name$opt"
    mkdir -p "$d/plain"
    "$dlc" "$model" --name=model $opt --sanitize=address -o "$d/model.o"
    if [ "$levels" != -O2 ]; then
      "$dlc" "$model" --name=model $opt --sanitize=address -o "$d/again.o" --header="$d/again.h"
      cmp "$d/model.o" "$d/again.o" || fail "$name $opt: two compilations gave different objects"
    fi
    grep -q 'fsanitize=address' "$d/model.h" || fail "$name: the header does not say how to link"
    "$dlc" "$model" --name=model $opt -o "$d/plain/model.o"
    [ "$(scratch "$d/plain/model.h")" -eq 0 ] ||
      [ "$(scratch "$d/model.h")" -gt "$(scratch "$d/plain/model.h")" ] ||
      fail "$name: guarded scratch $(scratch "$d/model.h") <= plain $(scratch "$d/plain/model.h")"
    clang-19 -fsanitize=address -g -O1 -I"$d" -I"$rtdir" "$harness" "$d/model.o" "$rtsrc" -lm \
      -lpthread -o "$d/run"
    cc -O1 -I"$d/plain" -I"$rtdir" "$harness" "$d/plain/model.o" "$rtsrc" -lm -lpthread \
      -o "$d/plain/run"
    outs=() plain=()
    for ((i = 0; i < $(sed -n 's/^#define MODEL_NUM_OUTPUTS //p' "$d/model.h"); i++)); do
      outs+=("$d/out$i.bin"); plain+=("$d/plain/out$i.bin")
    done
    "$d/run" $ins "${outs[@]}" 2>"$d/err" || { cat "$d/err" >&2; fail "$name $opt: run failed"; }
    ! grep -q AddressSanitizer "$d/err" || { cat "$d/err" >&2; fail "$name $opt: ASan reported"; }
    "$d/plain/run" $ins "${plain[@]}" || fail "$name $opt: the uninstrumented build failed"
    for ((i = 0; i < ${#outs[@]}; i++)); do
      cmp "${outs[$i]}" "${plain[$i]}" || fail "$name $opt: output $i differs from the plain build"
    done
  done
  echo "san_address: $name ($levels): clean, outputs identical"
  levels=-O2
done
echo "san_address: ok"
