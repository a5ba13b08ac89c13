#!/usr/bin/env bash
# check_one.sh [--expect-ok] DLC TENSOR_CMP RMODEL_GEN DLCRT_DIR DLCRT_LIB DIR
# Checks one random-model directory (see rmodel_lib.sh): dlc run, then the
# model compiled per variant, run and compared. Prints the failure class
# ("ok" if none) on the first line, then the log of the failing step.
# Without --expect-ok it exits 0 whatever the class (rmodel_gen --shrink
# reads the class); with it, it exits 1 unless the class is ok (how the
# regression tests in regressions/ run).
set -u
expect=0
[ "${1:-}" = --expect-ok ] && { expect=1; shift; }
dlc=$1 cmp=$2 rtdir=$4 rtlib=$5 dir=$6
. "$(dirname "$0")/rmodel_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {
  local cls v names=()
  cls=$(rm_reference "$dir" "$tmp")
  [ -n "$cls" ] && { echo "$cls"; cat "$tmp/run.log"; return; }
  for v in $(rm_variants "$dir"); do
    cls=$(rm_compile "$dir" "$tmp" "m_$v" "$v")
    [ -n "$cls" ] && { echo "$cls"; cat "$tmp/m_$v.log"; return; }
    names+=("m_$v")
  done
  rm_link "$tmp" "${names[@]}" || { echo "crash:link"; cat "$tmp/link.log"; return; }
  for v in $(rm_variants "$dir"); do
    cls=$(rm_execute "$dir" "$tmp" "m_$v" "$v" "$tmp")
    [ -n "$cls" ] && { echo "$cls"; cat "$tmp/m_$v".*.log 2>/dev/null; return; }
  done
  echo ok
}
result=$(check)
echo "$result"
[ $expect -eq 0 ] || [ "$(echo "$result" | head -1)" = ok ]
