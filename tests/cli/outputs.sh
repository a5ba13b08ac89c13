#!/usr/bin/env bash
# outputs.sh DLC - output-side errors and guarantees of the dlc command:
#   - a directory as output, a missing directory, an unwritable directory:
#     exit 1 with a diagnostic naming the path, nothing left behind;
#   - a model error leaves neither the object nor the header (and no
#     temporary files) behind, and an older output at that path stays as it
#     was;
#   - writing to a device (/dev/null) keeps the device a device;
#   - usage errors exit 2; a missing, directory or FIFO model file exits 1
#     (a FIFO without blocking); so does a FIFO as weights file.
set -u
dlc=$1
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
fails=0
check() { # check DESCRIPTION CONDITION...
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
cat >"$tmp/m.dl" <<'DL'
model m
input x: f32[1, 4]
weights random(seed=1)
dense(2)
DL
printf 'model bad\ninput x: f32[1, 4]\ndense(0)\n' >"$tmp/bad.dl"

mkdir "$tmp/outdir"
"$dlc" "$tmp/m.dl" -o "$tmp/outdir" 2>"$tmp/err"; rc=$?
check "directory as output: exit 1" test $rc -eq 1
check "directory as output: message" grep -q "cannot write '$tmp/outdir': it is a directory" "$tmp/err"

"$dlc" "$tmp/m.dl" -o "$tmp/missing/m.o" 2>"$tmp/err"; rc=$?
check "missing directory: exit 1" test $rc -eq 1
check "missing directory: message" grep -q "cannot write '$tmp/missing/m.o'" "$tmp/err"

if [ "$(id -u)" -ne 0 ]; then
  mkdir "$tmp/ro" && chmod a-w "$tmp/ro"
  "$dlc" "$tmp/m.dl" -o "$tmp/ro/m.o" 2>"$tmp/err"; rc=$?
  check "unwritable directory: exit 1" test $rc -eq 1
fi

"$dlc" "$tmp/m.dl" -o "$tmp/ok.o" 2>"$tmp/err"; rc=$?
check "valid model: exit 0" test $rc -eq 0
check "valid model: object and header" test -s "$tmp/ok.o" -a -s "$tmp/ok.h"

mkdir "$tmp/b"
"$dlc" "$tmp/bad.dl" -o "$tmp/b/bad.o" 2>"$tmp/err"; rc=$?
check "model error: exit 1" test $rc -eq 1
check "model error: nothing written" test -z "$(ls -A "$tmp/b")"

cp "$tmp/ok.o" "$tmp/b/keep.o"
"$dlc" "$tmp/bad.dl" -o "$tmp/b/keep.o" 2>/dev/null
check "model error: an existing output is left as it was" cmp -s "$tmp/ok.o" "$tmp/b/keep.o"
check "model error: no temporary files" test "$(ls -A "$tmp/b")" = "keep.o"

"$dlc" "$tmp/m.dl" --emit=ir -o /dev/null; rc=$?
check "output to /dev/null: exit 0" test $rc -eq 0
check "/dev/null is still a character device" test -c /dev/null

"$dlc" "$tmp/m.dl" --emit=nonsense 2>/dev/null; rc=$?
check "usage error: exit 2" test $rc -eq 2
"$dlc" 2>/dev/null; rc=$?
check "no model: exit 2" test $rc -eq 2
"$dlc" "$tmp/nothere.dl" 2>"$tmp/err"; rc=$?
check "missing model file: exit 1" test $rc -eq 1
check "missing model file: message" grep -q "cannot open '$tmp/nothere.dl'" "$tmp/err"
"$dlc" "$tmp" 2>"$tmp/err"; rc=$?
check "directory as model: exit 1" test $rc -eq 1
mkfifo "$tmp/fifo.dl"
timeout 10 "$dlc" "$tmp/fifo.dl" 2>"$tmp/err"; rc=$?
check "FIFO as model: refused without blocking (exit 1)" test $rc -eq 1
check "FIFO as model: message" grep -q "is not a regular file" "$tmp/err"

# A weights file reached through a symbolic link that leaves the model's
# directory is refused; one that stays inside is fine.
mkdir -p "$tmp/models/sub" "$tmp/private"
cat >"$tmp/models/link.dl" <<'DL'
model m
input x: f32[1, 4]
weights "w.safetensors"
DL
echo "relu()" >>"$tmp/models/link.dl"
cp "$tmp/models/link.dl" "$tmp/models/sub/inner.dl"
printf '\x02\x00\x00\x00\x00\x00\x00\x00{}' >"$tmp/private/w.safetensors"
ln -s "$tmp/private/w.safetensors" "$tmp/models/w.safetensors"
"$dlc" --emit=ir "$tmp/models/link.dl" -o "$tmp/link.ir" 2>"$tmp/err"; rc=$?
check "weights symlink out of the model directory: exit 1" test $rc -eq 1
check "weights symlink out of the model directory: message" \
  grep -q "resolves outside the model's directory" "$tmp/err"
check "weights symlink out of the model directory: nothing written" test ! -e "$tmp/link.ir"
cp "$tmp/private/w.safetensors" "$tmp/models/sub/real.safetensors"
ln -s real.safetensors "$tmp/models/sub/w.safetensors"
"$dlc" --emit=ir "$tmp/models/sub/inner.dl" -o "$tmp/inner.ir" 2>"$tmp/err"; rc=$?
check "weights symlink inside the model directory: accepted" test $rc -eq 0

# A FIFO as weights file is refused without blocking on it.
mkdir -p "$tmp/fifow"
mkfifo "$tmp/fifow/w.safetensors"
cp "$tmp/models/link.dl" "$tmp/fifow/m.dl"
timeout 10 "$dlc" "$tmp/fifow/m.dl" -o "$tmp/fifow/m.o" 2>"$tmp/err"; rc=$?
check "FIFO as weights: refused without blocking (exit 1)" test $rc -eq 1
check "FIFO as weights: message" grep -q "w.safetensors': is not a regular file" "$tmp/err"
check "FIFO as weights: nothing written" test ! -e "$tmp/fifow/m.o" -a ! -e "$tmp/fifow/m.h"

echo "$fails failed"
[ $fails -eq 0 ]
