#!/usr/bin/env bash
# limits.sh DLC - resource limits: hostile inputs are refused (or compiled)
# within bounded time and memory, never crash or exhaust the machine.
#   - a million-layer model is refused after FE_MAX_STATEMENTS statements;
#   - 100 000 nested parentheses give one "nesting too deep" error;
#   - a model just under the limit (60 000 layers) compiles to optimized IR;
#   - a 65 MB source file is refused before it is read.
set -u
dlc=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
# run LIMIT_S LIMIT_KB CMD...: runs CMD, sets rc, secs, kb
run() {
  local t=$1 m=$2; shift 2
  local start=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" timeout "$t" "$@" >/dev/null 2>"$tmp/err"; rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  kb=$(tail -1 "$tmp/rss")
  echo "   ($* -> exit $rc in ${ms} ms, peak ${kb} KB)" | cut -c1-160
  [ "$kb" -le "$m" ] || { echo "   used more than $m KB"; rc=99; }
}
layers() { # layers N: a model of N relu layers
  { echo "model big"; echo "input x: f32[1, 4]"; yes "relu()" | head -n "$1"; } >"$tmp/l$1.dl"
}

layers 1000000
run 20 400000 "$dlc" --emit=ir "$tmp/l1000000.dl" -o "$tmp/out"
check "million layers: refused (exit 1)" test $rc -eq 1
check "million layers: message" grep -q "model has more than 65536 statements" "$tmp/err"
check "million layers: nothing written" test ! -e "$tmp/out"

{ echo "model deep"; echo "input x: f32[1, 4]"; printf 'relu%0.s' 1; head -c 100000 /dev/zero | tr '\0' '('; echo; } >"$tmp/deep.dl"
run 20 400000 "$dlc" --emit=ir "$tmp/deep.dl"
check "100000 nested parentheses: exit 1" test $rc -eq 1
check "100000 nested parentheses: located error" grep -q "deep.dl:3:.*nesting too deep" "$tmp/err"
check "100000 nested parentheses: exactly one error" test "$(grep -c ': error:' "$tmp/err")" -eq 1

layers 60000
run 120 2000000 "$dlc" --emit=ir-opt -O2 "$tmp/l60000.dl" -o "$tmp/l.ir"
check "60000 layers: compiles to optimized IR" test $rc -eq 0

head -c 70000000 /dev/zero | tr '\0' '#' >"$tmp/huge.dl"
run 20 200000 "$dlc" --emit=ir "$tmp/huge.dl"
check "65 MB source: refused before reading" test $rc -eq 1
check "65 MB source: message" grep -q "is too large" "$tmp/err"

echo "$fails failed"
[ $fails -eq 0 ]
