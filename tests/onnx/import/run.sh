#!/usr/bin/env bash
# run.sh DLC TENSOR_CMP DIR  - the ONNX importer's tests (gen.py makes DIR).
#
# cases/<name>: `dlc run` at -O0 and -O2 reproduces PyTorch's outputs
# (abs 1e-5 + rel 1e-4), and the model compiles to an object and header.
# errors/<name>.onnx: dlc exits 1, prints the message in <name>.expect and
# writes nothing. ext_symlink gets its symlink (pointing out of the model's
# directory) and w.bin (the length the model expects) here, at run time.
set -u
dlc=$1 cmp=$2 dir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for c in "$dir"/cases/*/; do
  name=$(basename "$c")
  ins=() outs=() before=$fail fail=0
  for f in $(ls "$c"input*.bin | sort); do ins+=(--input "$f"); done
  i=0
  for f in $(ls "$c"expected*.bin | sort); do outs+=(--output "$tmp/$name.out$i.bin"); i=$((i+1)); done
  for opt in -O0 -O2; do
    if ! "$dlc" run $opt "$c/model.onnx" "${ins[@]}" "${outs[@]}"; then
      echo "FAIL $name ($opt): dlc run failed"; fail=1; continue
    fi
    i=0
    for f in $(ls "$c"expected*.bin | sort); do
      "$cmp" "$tmp/$name.out$i.bin" "$f" 1e-5 1e-4 || { echo "FAIL $name ($opt): output $i"; fail=1; }
      i=$((i+1))
    done
  done
  if ! "$dlc" "$c/model.onnx" -o "$tmp/$name.o" || [ ! -s "$tmp/$name.o" ] || [ ! -s "$tmp/$name.h" ]; then
    echo "FAIL $name: compiling to an object"; fail=1
  fi
  [ $fail -eq 0 ] && echo "ok   $name"
  fail=$((fail | before))
done

# the symlink case: a model directory whose link.bin leaves it
mkdir -p "$tmp/sym/model" && cp "$dir/errors/ext_symlink.onnx" "$tmp/sym/model/"
head -c 24 /dev/zero > "$tmp/sym/outside.bin"
ln -s ../outside.bin "$tmp/sym/model/link.bin"
mkdir -p "$tmp/len" && cp "$dir/errors/ext_length.onnx" "$tmp/len/"
head -c 24 /dev/zero > "$tmp/len/w.bin"
for m in "$dir"/errors/*.onnx; do
  name=$(basename "$m" .onnx)
  case $name in
    ext_symlink) m=$tmp/sym/model/ext_symlink.onnx ;;
    ext_length) m=$tmp/len/ext_length.onnx ;;
  esac
  expect=$(cat "$dir/errors/$name.expect")
  "$dlc" "$m" -o "$tmp/err.o" 2> "$tmp/err.txt"
  status=$?
  if [ $status -ne 1 ] || ! grep -qF -- "$expect" "$tmp/err.txt" || [ -e "$tmp/err.o" ]; then
    echo "FAIL error case $name (exit $status), expected: $expect"; cat "$tmp/err.txt"; fail=1
  else
    echo "ok   error $name"
  fi
done

# --input-shape fixes the dynamic case; a wrong name is an error
printf '\0\0\200?\0\0\0\300\0\0\0@\0\0\200\277' > "$tmp/dyn.bin"
if ! "$dlc" run "$dir/errors/dynamic.onnx" --input-shape=x=1,4 --input "$tmp/dyn.bin" --output "$tmp/dyn.out"; then
  echo "FAIL dynamic with --input-shape"; fail=1
fi
if "$dlc" run "$dir/errors/dynamic.onnx" --input-shape=z=1,4 --input "$tmp/dyn.bin" \
     --output "$tmp/dyn.out" 2> "$tmp/err.txt" || ! grep -qF "names 'z', which is not an input" "$tmp/err.txt"; then
  echo "FAIL --input-shape with an unknown name"; fail=1
fi
exit $fail
