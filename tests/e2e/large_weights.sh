#!/usr/bin/env bash
# large_weights.sh DLC - a model with 100 MB of weights compiles in bounded
# time and memory, and its weights land in a read-only section as one blob
# (raw bytes, not millions of LLVM constants).
set -eu
dlc=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/big.dl" <<'DL'
model big
input x: f32[1, 5000]
weights random(seed=1)
dense(5000)
DL
start=$(date +%s%N)
/usr/bin/time -f "%M" -o "$tmp/rss" "$dlc" "$tmp/big.dl" -o "$tmp/big.o"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
rss_kb=$(cat "$tmp/rss")
# the weights blob: the largest section, read-only (no W flag)
read -r name size < <(size -A "$tmp/big.o" | awk '$1 ~ /^\./ {print $1, $2}' | sort -k2 -n | tail -1)
flags=$(readelf -SW "$tmp/big.o" | sed 's/^ *\[ *[0-9]*\]//' | awk -v s="$name" '$1 == s {print $7}')
echo "compile: ${ms} ms, peak RSS ${rss_kb} KB; largest section $name: $size bytes, flags $flags"
[ "$size" -ge 100000000 ] || { echo "weights section too small"; exit 1; }
case "$name" in .rodata*|.lrodata*) ;; *) echo "weights are not in .rodata"; exit 1 ;; esac
case "$flags" in A) ;; *) echo "weights section flags '$flags', expected A (alloc, read-only)"; exit 1 ;; esac
[ "$ms" -lt 60000 ] || { echo "compile took ${ms} ms"; exit 1; }
[ "$rss_kb" -lt 2000000 ] || { echo "compile used ${rss_kb} KB"; exit 1; }
