#!/usr/bin/env bash
# san_thread.sh DLC HARNESS_SRC DLCRT_DIR DLCRT_LIB MODEL_DIR...
# --sanitize=thread: each model (tests/e2e/san_residual.dl, then the
# tests/models cases given) is compiled with --sanitize=thread, linked
# with clang-19 -fsanitize=thread and san_harness.c, and run by 2 threads
# at once, each with its own scratch and outputs (1000 runs each for
# san_residual, 50 for the others). Checks:
#   - ThreadSanitizer stays quiet (halt_on_error=1, exit status 0) and every
#     run's outputs are bit-identical to the first, single-threaded run's;
#   - those equal the outputs of the uninstrumented -O2 object;
#   - the object is byte-identical across two compilations (san_residual);
#   - the negative control: threads sharing one scratch region (a contract
#     violation) make ThreadSanitizer report a data race in a generated
#     kernel, so the generated code really is instrumented.
# TSan needs a memory layout its runtime knows: a kernel whose mmap
# placement it rejects ("FATAL: ThreadSanitizer: unexpected memory
# mapping", seen with high vm.mmap_rnd_bits) is worked around by rerunning
# without address-space randomization (setarch -R). Without clang-19 or its
# TSan runtime the test is skipped (exit 77).
set -eu
dlc=$1 harness=$2 rtdir=$3
# The runtime is compiled from source into each program, with that
# program's flags: the build's libdlcrt.a ($4) may carry another
# sanitizer's instrumentation (a -DDLC_SANITIZE=ON build).
rtsrc=$rtdir/dlcrt.c
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "san_thread: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"

echo 'int main(void){return 0;}' > "$tmp/probe.c"
if ! command -v clang-19 >/dev/null ||
   ! clang-19 -fsanitize=thread "$tmp/probe.c" -o "$tmp/probe" 2>/dev/null; then
  echo "san_thread: clang-19 with the ThreadSanitizer runtime not found: skipped"
  exit 77
fi

# Runs "$@" with stderr to $tmp/err; retried without ASLR when the TSan
# runtime rejects the memory layout.
tsan_run() {
  local rc=0
  "$@" 2>"$tmp/err" || rc=$?
  if grep -q "unexpected memory mapping" "$tmp/err"; then
    rc=0
    setarch "$(uname -m)" -R "$@" 2>"$tmp/err" || rc=$?
  fi
  return $rc
}

# check NAME MODEL.dl RUNS INPUT...
check() {
  local name=$1 model=$2 runs=$3
  shift 3
  local d="$tmp/$name"
  mkdir -p "$d/plain"
  "$dlc" "$model" --name=model -O2 --sanitize=thread -o "$d/model.o"
  if [ "$name" = san_residual ]; then
    "$dlc" "$model" --name=model -O2 --sanitize=thread -o "$d/again.o" --header="$d/again.h"
    cmp "$d/model.o" "$d/again.o" || fail "$name: two compilations gave different objects"
  fi
  grep -q 'fsanitize=thread' "$d/model.h" || fail "$name: the header does not say how to link"
  clang-19 -fsanitize=thread -g -O1 -I"$d" -I"$rtdir" "$harness" "$d/model.o" "$rtsrc" -lm \
    -lpthread -o "$d/run"
  "$dlc" "$model" --name=model -O2 -o "$d/plain/model.o"
  cc -O1 -I"$d/plain" -I"$rtdir" "$harness" "$d/plain/model.o" "$rtsrc" -lm -lpthread \
    -o "$d/plain/run"
  local outs=() plain=() i=0
  for o in $(seq "$(sed -n 's/^#define MODEL_NUM_OUTPUTS //p' "$d/model.h")"); do
    outs+=("$d/out$i.bin"); plain+=("$d/plain/out$i.bin"); i=$((i + 1))
  done
  tsan_run "$d/run" --threads 2 --runs "$runs" "$@" "${outs[@]}" ||
    { cat "$tmp/err" >&2; fail "$name: 2 threads x $runs runs failed"; }
  ! grep -q ThreadSanitizer "$tmp/err" || { cat "$tmp/err" >&2; fail "$name: TSan reported"; }
  "$d/plain/run" "$@" "${plain[@]}" || fail "$name: the uninstrumented build failed"
  for ((i = 0; i < ${#outs[@]}; i++)); do
    cmp "${outs[$i]}" "${plain[$i]}" || fail "$name: output $i differs from the plain build"
  done
  echo "san_thread: $name: 2 threads x $runs runs clean"
}

# Inputs for san_residual: 512 floats from a fixed bit pattern.
LC_ALL=C awk 'BEGIN { for (i = 0; i < 512; i++) printf "%c%c%c%c", 0, 0, 128 + i % 64, (i % 3 ? 63 : 191) }' \
  > "$tmp/x.bin"
[ "$(wc -c < "$tmp/x.bin")" -eq 2048 ] || fail "cannot make the input file"
check san_residual "$here/san_residual.dl" 1000 "$tmp/x.bin"
for dir in "$@"; do
  model="$dir/model.dl"
  [ -f "$dir/model.ref" ] && model="$dir/$(cat "$dir/model.ref")"
  check "$(basename "$dir")" "$model" 50 $(ls "$dir"/input*.bin | sort)
done

# The negative control.
d="$tmp/san_residual"
if tsan_run "$d/run" --threads 2 --runs 50 --share-scratch "$tmp/x.bin" "$tmp/shared.bin"; then
  fail "threads sharing one scratch region were not reported"
fi
grep -q "WARNING: ThreadSanitizer: data race" "$tmp/err" || { cat "$tmp/err" >&2;
  fail "no data race report for threads sharing one scratch region"; }
grep -q "model\.[a-z]" "$tmp/err" || { cat "$tmp/err" >&2;
  fail "the data race report names no generated kernel"; }
echo "san_thread: ok"
