# rmodel_lib.sh - the steps of a random-model check, shared by
# check_one.sh (one model) and run_batch.sh (many). Sourced, not run.
# Expects: dlc cmp rtdir rtlib set; DLC_E2E_CFLAGS optional (sanitizers).
#
# A model directory (written by rmodel_gen) holds model.dl, its weights,
# input<i>.bin, nout (output count) and target (extra dlc options for one
# more -O2 compile, often empty). Variants: o0 (-O0), o2 (-O2) and, when
# target is set, o2t (-O2 plus those options: AVX2 tiled kernels).
# Failure classes: reject:STAGE (dlc refused the model with a diagnostic:
# a generator bug unless dlc is wrong), crash:STAGE (signal or internal
# error), fail:run-VARIANT (the entry point returned an error),
# mismatch:VARIANT (an output differs from dlc run).

rm_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# rm_status STAGE RC LOG: prints the class of a failed step
rm_status() {
  if [ "$2" -ge 128 ] || grep -q "internal error" "$3"; then echo "crash:$1"; else echo "reject:$1"; fi
}

rm_variants() {
  local t
  t=$(cat "$1/target" 2>/dev/null || true)
  if [ -n "$t" ]; then echo "o0 o2 o2t"; else echo "o0 o2"; fi
}

rm_opts() { # DIR VARIANT
  case $2 in
    o0) echo "-O0" ;;
    o2) echo "-O2" ;;
    o2t) echo "-O2 $(cat "$1/target")" ;;
  esac
}

# rm_reference DIR OUT: dlc run into OUT/ref<i>.bin; prints a class on failure
rm_reference() {
  local dir=$1 out=$2 args=() i n
  for f in "$dir"/input*.bin; do args+=(--input "$f"); done
  n=$(cat "$dir/nout")
  for ((i = 0; i < n; i++)); do args+=(--output "$out/ref$i.bin"); done
  "$dlc" run "$dir/model.dl" "${args[@]}" >"$out/run.log" 2>&1 || rm_status run $? "$out/run.log"
}

# rm_compile DIR OUT NAME VARIANT: OUT/NAME.o and OUT/NAME.h
rm_compile() {
  local log="$2/$3.log"
  # shellcheck disable=SC2046
  "$dlc" "$1/model.dl" --name="$3" $(rm_opts "$1" "$4") -o "$2/$3.o" >"$log" 2>&1 ||
    rm_status "$4" $? "$log"
}

# rm_link OUT NAME...: OUT/batch, one program holding every named model
rm_link() {
  local out=$1 objs=() n
  shift
  {
    for n in "$@"; do echo "#include \"$n.h\""; done
    printf '#define RM_MODELS(M)'
    for n in "$@"; do printf ' M(%s, %s)' "$n" "$(echo "$n" | tr a-z A-Z)"; done
    echo
  } >"$out/batch_models.h"
  for n in "$@"; do objs+=("$out/$n.o"); done
  # shellcheck disable=SC2086
  cc ${DLC_E2E_CFLAGS:-} -O1 -I"$out" -I"$rtdir" "$rm_here/batch_main.c" "${objs[@]}" "$rtlib" \
    -lm -o "$out/batch" >"$out/link.log" 2>&1
}

# rm_execute DIR OUT NAME VARIANT REFDIR: runs one model of OUT/batch and
# compares its outputs with REFDIR/ref*; prints a class on failure
rm_execute() {
  local dir=$1 out=$2 name=$3 v=$4 refs=$5 ins=() outs=() i n rc=0
  for f in "$dir"/input*.bin; do ins+=("$f"); done
  n=$(cat "$dir/nout")
  for ((i = 0; i < n; i++)); do outs+=("$out/$name.out$i.bin"); done
  "$out/batch" "$name" "${ins[@]}" "${outs[@]}" >"$out/$name.run.log" 2>&1 || rc=$?
  if [ $rc -ge 128 ]; then echo "crash:run-$v"; return; fi
  if [ $rc -ne 0 ]; then echo "fail:run-$v"; return; fi
  for ((i = 0; i < n; i++)); do
    if ! "$cmp" "${outs[$i]}" "$refs/ref$i.bin" 1e-5 1e-4 >>"$out/$name.cmp.log" 2>&1; then
      echo "mismatch:$v"
      return
    fi
  done
}
