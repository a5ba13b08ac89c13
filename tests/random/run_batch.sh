#!/usr/bin/env bash
# run_batch.sh DLC TENSOR_CMP RMODEL_GEN DLCRT_DIR DLCRT_LIB FIRST COUNT
# Random-model differential test of seeds FIRST .. FIRST+COUNT-1: each
# model rmodel_gen writes is run by `dlc run` (the reference) and compiled
# per variant (-O0, -O2, and -O2 for an AVX2 CPU when the model asks,
# see rmodel_lib.sh); all objects are linked into one program; every
# output must match the reference within abs 1e-5 + rel 1e-4.
# A failing seed is re-checked alone (check_one.sh) for its failure
# class. Prints one line per failure and a summary:
#   random: seeds A..B: models N, ok K, mismatches M, rejects R, crashes C, failures F
# and exits 1 if any model failed.
# Environment: RMODEL_GEN_OPTS (rmodel_gen options, e.g. "--steps 3 20"),
# RMODEL_SHRINK_DIR (shrink each failing model into DIR/seed<N>),
# DLC_E2E_CFLAGS (sanitizer flags for the linked program).
set -u
dlc=$1 cmp=$2 gen=$3 rtdir=$4 rtlib=$5 first=$6 count=$7
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rmodel_lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
last=$((first + count - 1))
declare -A bad=()
names=()

for ((s = first; s <= last; s++)); do
  d="$work/s$s"
  # shellcheck disable=SC2086
  if ! "$gen" ${RMODEL_GEN_OPTS:-} "$s" "$d" >"$work/gen$s.log" 2>&1; then
    bad[$s]="generator failed"
    continue
  fi
  cls=$(rm_reference "$d" "$d")
  [ -n "$cls" ] && { bad[$s]=$cls; continue; }
  for v in $(rm_variants "$d"); do
    cls=$(rm_compile "$d" "$work" "s${s}_$v" "$v")
    [ -n "$cls" ] && { bad[$s]=$cls; break; }
  done
  [ -n "${bad[$s]:-}" ] && continue
  for v in $(rm_variants "$d"); do names+=("s${s}_$v"); done
done

if [ ${#names[@]} -gt 0 ] && ! rm_link "$work" "${names[@]}"; then
  echo "random: linking the batch failed:" >&2
  head -20 "$work/link.log" >&2
  exit 1
fi
for n in "${names[@]}"; do
  s=${n%_*}
  s=${s#s}
  v=${n##*_}
  [ -n "${bad[$s]:-}" ] && continue
  cls=$(rm_execute "$work/s$s" "$work" "$n" "$v" "$work/s$s")
  [ -n "$cls" ] && bad[$s]=$cls
done

ok=0 mism=0 rej=0 crash=0 fail=0
for ((s = first; s <= last; s++)); do
  if [ -z "${bad[$s]:-}" ]; then
    ok=$((ok + 1))
    continue
  fi
  if [ "${bad[$s]}" = "generator failed" ]; then
    echo "random: seed $s: generator failed"
    sed 's/^/    /' "$work/gen$s.log"
    fail=$((fail + 1))
    continue
  fi
  # the class of record comes from checking the model alone
  res=$(bash "$here/check_one.sh" "$dlc" "$cmp" "$gen" "$rtdir" "$rtlib" "$work/s$s")
  cls=$(echo "$res" | head -1)
  case $cls in
    ok) cls="${bad[$s]} (only in the batch)"; fail=$((fail + 1)) ;;
    mismatch:*) mism=$((mism + 1)) ;;
    reject:*) rej=$((rej + 1)) ;;
    crash:*) crash=$((crash + 1)) ;;
    *) fail=$((fail + 1)) ;;
  esac
  echo "random: seed $s: $cls"
  echo "$res" | sed -n '2,12s/^/    /p'
  if [ -n "${RMODEL_SHRINK_DIR:-}" ] && [ "$cls" = "$(echo "$res" | head -1)" ]; then
    mkdir -p "$RMODEL_SHRINK_DIR"
    # shellcheck disable=SC2086
    "$gen" --shrink "bash $here/check_one.sh $dlc $cmp $gen $rtdir $rtlib" ${RMODEL_GEN_OPTS:-} \
      "$s" "$RMODEL_SHRINK_DIR/seed$s" | sed 's/^/    /'
  fi
done
echo "random: seeds $first..$last: models $count, ok $ok, mismatches $mism, rejects $rej," \
  "crashes $crash, failures $fail"
[ $ok -eq "$count" ]
