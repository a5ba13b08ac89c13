#!/usr/bin/env bash
# run_golden.sh MODE DLC FILECHECK CASE.dl
# Runs dlc on CASE in the mode its folder names and feeds the result to
# FileCheck with CASE's own '# CHECK' lines as expectations.
#   ast, ir, ir-opt, llvm  dlc --emit=MODE CASE (plus '# ARGS:'); must exit 0; checks stdout
#   dot              dlc --emit=dot CASE (plus '# ARGS:'); must exit 0, and Graphviz
#                    (dot -Tsvg) must render the result; checks the DOT text
#   passes           dlc with the options on CASE's '# ARGS:' line; checks
#                    stdout and stderr (where --print-after goes) together
#   errors           dlc CASE -o OUT (plus '# ARGS:'); must exit 1, must not
#                    create OUT; checks stderr (and the exit status)
set -u
mode=$1 dlc=$2 filecheck=$3 case=$4
args=$(sed -n 's/^# ARGS: *//p' "$case" | head -1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$(dirname "$case")"
base=$(basename "$case")
case $mode in
ast|ir|ir-opt|llvm)
  "$dlc" --emit="$mode" $args "$base" >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ $rc -ne 0 ]; then echo "dlc exited $rc"; cat "$tmp/err"; exit 1; fi ;;
dot)
  "$dlc" --emit=dot $args "$base" >"$tmp/out" 2>"$tmp/err"; rc=$?
  if [ $rc -ne 0 ]; then echo "dlc exited $rc"; cat "$tmp/err"; exit 1; fi
  dot -Tsvg -o "$tmp/out.svg" "$tmp/out" 2>"$tmp/err"; rc=$?
  if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
    echo "dot -Tsvg failed ($rc)"; cat "$tmp/err"; exit 1
  fi ;;
passes)
  "$dlc" $args "$base" >"$tmp/out" 2>&1; rc=$?
  if [ $rc -ne 0 ]; then echo "dlc exited $rc"; cat "$tmp/out"; exit 1; fi ;;
errors)
  "$dlc" --emit=ir $args "$base" -o "$tmp/never-written" >/dev/null 2>"$tmp/out"; rc=$?
  if [ $rc -ne 1 ]; then echo "expected exit status 1, got $rc"; cat "$tmp/out"; exit 1; fi
  if [ -e "$tmp/never-written" ]; then echo "output file was written despite errors"; exit 1; fi
  if grep -q "internal error" "$tmp/out"; then cat "$tmp/out"; exit 1; fi ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
"$filecheck" --match-full-lines=false --strict-whitespace=false \
  --input-file="$tmp/out" "$base" --check-prefix=CHECK
