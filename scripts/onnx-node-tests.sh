#!/usr/bin/env bash
# onnx-node-tests.sh - runs the ONNX backend node tests that Debian's
# libonnx-testdata ships (DATA/<test>/model.onnx, test_data_set_0/input_N.pb,
# output_N.pb) through dlc: each test not in tests/onnx_node/skip.txt is
# compiled to an object (`dlc model.onnx --name=model`), linked with the e2e
# harness and the runtime, run on the test's inputs and compared with its
# outputs at the suite's tolerance, |a - e| <= 1e-7 + 1e-3 |e| per element
# (integer and bool outputs byte for byte, in their own type). Prints one
# line per failure, then
# "N passed, M failed" and "attempted A of T"; exits 1 if any test failed.
#
# Weights fed as inputs: many tests pass Conv's W, Gemm's B and C,
# BatchNormalization's statistics or LSTM's W, R and B as graph inputs,
# where dlc needs constants. When dlc's first error is that an operand
# must be (or "needs") a constant, the test is compiled again
# with every input after the first frozen to its test value
# (`--freeze-input NAME=input_N.pb`) and run on the first input alone.
# ONNX operators take their data first and their parameters after (Conv X,
# W, B; Gemm A, B, C; BatchNormalization X, scale, B, mean, var; LSTM/GRU
# X, W, R, B, sequence_lens, initial_h), so in these single-operator tests
# the first input is the activation and the others are the parameters.
# Models dlc compiles as they are are never frozen.
#
#   scripts/onnx-node-tests.sh [--build DIR] [-j N] [-v] [--recheck] [TEST...]
#
#   --build DIR   where dlc was built (default: build); the tools are taken
#                 from there unless --dlc/--tensor/--cmp/--dlcrt name them
#   -j N          tests run in parallel (default 2)
#   -v            print every test's result, not only the failures
#   --recheck     run the skipped tests instead and list those that pass
#                 (candidates for removal from the skip list)
#   --via-import  translate each model with `dlc import` first and compile
#                 the written .dl program instead of the .onnx file
#   --propose-skips  run every test and print a skip list: each test dlc
#                 refuses to compile, with the reason from dlc's error
#                 (tests that compile but fail stay failures); review it
#                 before it replaces tests/onnx_node/skip.txt
#   TEST...       run only these tests (default: all of DATA)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build dlc= tensor= cmp= dlcrt= jobs=2 verbose=0 recheck=0 propose=0 via_import=0
data=/usr/include/onnx/backend/test/data/node
skipfile=$root/tests/onnx_node/skip.txt
only=()
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift ;;
    --dlc) dlc=$2; shift ;;
    --tensor) tensor=$2; shift ;;
    --cmp) cmp=$2; shift ;;
    --dlcrt) dlcrt=$2; shift ;;
    --data) data=$2; shift ;;
    --skip-list) skipfile=$2; shift ;;
    -j) jobs=$2; shift ;;
    -v) verbose=1 ;;
    --recheck) recheck=1 ;;
    --propose-skips) propose=1 ;;
    --via-import) via_import=1 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "onnx-node-tests: unknown option '$1'" >&2; exit 2 ;;
    *) only+=("$1") ;;
  esac
  shift
done
: "${dlc:=$build/dlc}" "${tensor:=$build/tests/onnx_node/onnx_tensor}"
: "${cmp:=$build/tests/tensor_cmp}" "${dlcrt:=$build/runtime/libdlcrt.a}"
for f in "$dlc" "$tensor" "$cmp" "$dlcrt"; do
  [ -e "$f" ] || { echo "onnx-node-tests: '$f' not found (build first, or give --build)" >&2; exit 2; }
done
[ -d "$data" ] || { echo "onnx-node-tests: no node tests in '$data' (install libonnx-testdata)" >&2; exit 2; }

# The skip list: "test  reason", one per line; '#' starts a comment. Every
# entry must name a test that exists and give a reason.
declare -A skip=()
while read -r name reason; do
  case $name in ''|\#*) continue ;; esac
  [ -n "$reason" ] || { echo "onnx-node-tests: $skipfile: '$name' has no reason" >&2; exit 2; }
  [ -d "$data/$name" ] || { echo "onnx-node-tests: $skipfile: no test '$name'" >&2; exit 2; }
  [ -z "${skip[$name]:-}" ] || { echo "onnx-node-tests: $skipfile: '$name' listed twice" >&2; exit 2; }
  skip[$name]=$reason
done < "$skipfile"

all=()
for d in "$data"/*/; do d=${d%/}; [ -f "$d/model.onnx" ] && all+=("${d##*/}"); done
[ ${#only[@]} -gt 0 ] || only=("${all[@]}")
run=()
for t in "${only[@]}"; do
  [ -d "$data/$t" ] || { echo "onnx-node-tests: no test '$t'" >&2; exit 2; }
  if [ $propose -eq 1 ]; then run+=("$t")
  elif [ $recheck -eq 1 ]; then [ -n "${skip[$t]:-}" ] && run+=("$t")
  else [ -z "${skip[$t]:-}" ] && run+=("$t"); fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The model of test $t (in $dir) to $w/model.o, the .onnx file directly
# or through `dlc import` (--via-import), with freeze options "$@"; on
# failure $w/err holds dlc's messages and $w/step names the step.
compile_model() {
  local src=$dir/model.onnx
  if [ "$via_import" = 1 ]; then
    echo "dlc import" >"$w/step"
    "$dlc" import "$src" "$@" -o "$w/model.dl" 2>"$w/err" || return 1
    src=$w/model.dl
    set --
  fi
  echo "dlc" >"$w/step"
  "$dlc" "$src" "$@" --name=model -O2 -o "$w/model.o" 2>"$w/err"
}
export -f compile_model

# One test: prints "PASS name" or "FAIL name: why".
run_one() {
  local t=$1 dir=$data/$1 w=$tmp/$1 f i dt shape
  mkdir -p "$w"
  local pbs=() freeze=()
  for f in $(ls "$dir"/test_data_set_0/input_*.pb 2>/dev/null | sort -V); do pbs+=("$f"); done
  if ! compile_model; then
    # a parameter fed as an input (see the top): freeze all but the first
    if [ ${#pbs[@]} -ge 2 ] && grep -m1 error "$w/err" | grep -v 'non-constant' |
         grep -qE '(must be|needs) .*(constant|initializer)'; then
      for f in "${pbs[@]:1}"; do
        freeze+=(--freeze-input "$("$tensor" --name "$f" 2>/dev/null)=$f")
      done
      pbs=("${pbs[0]}")
    fi
    if [ ${#freeze[@]} -eq 0 ] || ! compile_model "${freeze[@]}"; then
      echo "FAIL $t: $(cat "$w/step"): $(grep -m1 'error' "$w/err" || head -n1 "$w/err")"
      rm -rf "$w"; return
    fi
  fi
  if ! cc ${DLC_E2E_CFLAGS:-} -O1 -I"$w" -I"$root/runtime" "$root/tests/e2e/harness.c" "$w/model.o" "$dlcrt" \
       -lm -lpthread -o "$w/run" 2>"$w/err"; then
    echo "FAIL $t: link: $(head -n1 "$w/err")"; rm -rf "$w"; return
  fi
  local ins=() outs=() exps=() tols=()
  for f in ${pbs[@]+"${pbs[@]}"}; do
    i=${#ins[@]}
    "$tensor" "$f" "$w/in$i.bin" >/dev/null 2>"$w/err" ||
      { echo "FAIL $t: input: $(head -n1 "$w/err")"; rm -rf "$w"; return; }
    ins+=("$w/in$i.bin")
  done
  for f in $(ls "$dir"/test_data_set_0/output_*.pb | sort -V); do
    i=${#outs[@]}
    read -r dt shape < <("$tensor" "$f" "$w/exp$i.bin" 2>"$w/err") ||
      { echo "FAIL $t: output: $(head -n1 "$w/err")"; rm -rf "$w"; return; }
    case $dt in float|double) tols+=("1e-7 1e-3") ;; *) tols+=(exact) ;; esac
    outs+=("$w/out$i.bin") exps+=("$w/exp$i.bin")
  done
  if ! "$w/run" "${ins[@]}" "${outs[@]}" >"$w/err" 2>&1; then
    echo "FAIL $t: run: $(head -n1 "$w/err")"; rm -rf "$w"; return
  fi
  for i in "${!outs[@]}"; do
    if [ "${tols[$i]}" = exact ]; then
      # integers and bool in their own type: byte for byte
      cmp -s "${outs[$i]}" "${exps[$i]}" ||
        { echo "FAIL $t: output $i: differs from the expected integers"; rm -rf "$w"; return; }
    elif ! "$cmp" "${outs[$i]}" "${exps[$i]}" ${tols[$i]} >"$w/err" 2>&1; then
      echo "FAIL $t: output $i: $(head -n1 "$w/err")"; rm -rf "$w"; return
    fi
  done
  echo "PASS $t"
  rm -rf "$w"
}
export -f run_one
export tmp data dlc tensor cmp dlcrt root via_import

if [ ${#run[@]} -gt 0 ]; then
  printf '%s\n' "${run[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {} | sort >"$tmp/results"
else
  : >"$tmp/results"
fi
if [ $propose -eq 1 ]; then
  echo "# ONNX node tests dlc does not attempt: test, then the reason."
  echo "# Made by scripts/onnx-node-tests.sh --propose-skips from dlc's errors; reviewed."
  sed -n 's/^FAIL \([^:]*\): dlc: .*: error: /\1 /p' "$tmp/results" | sed -E \
    -e 's/^([^ ]+) unsupported operators \(opset [0-9]+\): (.*)$/\1 op unsupported: \2/' \
    -e "s/ \(nodes? '[^)]*\)//g" \
    -e "s/^([^ ]+) input '[^']*' has element type ([a-z0-9]+);.*/\1 dtype unsupported: \2 input (dlc computes f32, integers and bool)/" \
    -e "s/^([^ ]+) input '[^']*' has rank 0;.*/\1 scalar (rank-0) input: dlc inputs have 1 to 8 dims/" \
    -e "s/^([^ ]+) input '[^']*' is not a tensor.*/\1 sequence or optional input: dlc inputs are tensors/" \
    -e "s/^([^ ]+) input '[^']*' has a dynamic dim.*/\1 dynamic shapes: symbolic input dims/" \
    -e "s/^([^ ]+) unsupported opset [0-9]+ for domain 'ai.onnx.preview.training'.*/\1 training-mode op (ai.onnx.preview.training)/" \
    -e "s/^([^ ]+) unsupported opset ([0-9]+) for domain '([^']*)'.*/\1 opset \2 of '\3' unsupported (dlc: 7 to 19)/" \
    -e "s/^([^ ]+) node '[^']*' \(([A-Za-z]+)\): (.*) must be a constant.*/\1 dynamic shapes: \2's \3 computed at run time/" \
    -e "s/^([^ ]+) output '[^']*' is a constant.*/\1 constant output: nothing computed from the inputs/" \
    -e "s/^([^ ]+) node '[^']*' \(([A-Za-z]+)\): /\1 \2 form unsupported: /"
  exit 0
fi
passed=$(grep -c '^PASS' "$tmp/results" || true)
failed=$(grep -c '^FAIL' "$tmp/results" || true)
if [ $recheck -eq 1 ]; then
  sed -n 's/^PASS /now passing (remove from the skip list): /p' "$tmp/results"
  echo "$passed of ${#run[@]} skipped tests pass"
  exit 0
fi
[ $verbose -eq 1 ] && grep '^PASS' "$tmp/results" || true
grep '^FAIL' "$tmp/results" || true
echo "$passed passed, $failed failed"
echo "attempted ${#run[@]} of ${#only[@]} ($(( ${#only[@]} - ${#run[@]} )) skipped, tests/onnx_node/skip.txt)"
[ "$failed" -eq 0 ]
