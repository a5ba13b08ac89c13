#!/usr/bin/env bash
# run.sh DLC TENSOR_CMP DIR  - the ONNX importer's tests (gen.py makes DIR).
#
# cases/<name>: `dlc run` at -O0 and -O2 reproduces PyTorch's outputs
# (abs 1e-5 + rel 1e-4), the model compiles to an object and header, and
# the program `dlc import` writes for it reproduces them too.
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
  # through `dlc import`: the written program computes the same (rnn holds
  # a reverse-only LSTM, which the language cannot write)
  if [ "$name" != rnn ]; then
    mkdir -p "$tmp/imp_$name"
    if ! "$dlc" import "$c/model.onnx" -o "$tmp/imp_$name/model.dl" ||
       ! "$dlc" run "$tmp/imp_$name/model.dl" "${ins[@]}" "${outs[@]}"; then
      echo "FAIL $name: through dlc import"; fail=1
    else
      i=0
      for f in $(ls "$c"expected*.bin | sort); do
        "$cmp" "$tmp/$name.out$i.bin" "$f" 1e-5 1e-4 ||
          { echo "FAIL $name (dlc import): output $i"; fail=1; }
        i=$((i+1))
      done
    fi
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

# --freeze-input: a raw .bin needs a static shape; with --input-shape the
# input becomes a constant (so relu has no computed input); bad names
if "$dlc" "$dir/errors/dynamic.onnx" --freeze-input x="$tmp/dyn.bin" -o "$tmp/f.o" 2> "$tmp/err.txt" ||
   ! grep -qF "a raw .bin file needs a supported element type and a static shape, but the input is declared float[?, 4]; give its shape with --input-shape" "$tmp/err.txt"; then
  echo "FAIL --freeze-input .bin with a symbolic dim"; fail=1
fi
if "$dlc" "$dir/errors/dynamic.onnx" --freeze-input x="$tmp/dyn.bin" --input-shape x=1,4 -o "$tmp/f.o" 2> "$tmp/err.txt" ||
   ! grep -qF "node 'relu' (Relu): input 0 must be a computed (non-constant) tensor" "$tmp/err.txt"; then
  echo "FAIL --freeze-input .bin with --input-shape"; fail=1
fi
head -c 12 "$tmp/dyn.bin" > "$tmp/dyn12.bin"
if "$dlc" "$dir/errors/dynamic.onnx" --freeze-input x="$tmp/dyn12.bin" --input-shape x=1,4 -o "$tmp/f.o" 2> "$tmp/err.txt" ||
   ! grep -qF "'$tmp/dyn12.bin' holds 12 bytes, expected 16 for float[1, 4]" "$tmp/err.txt"; then
  echo "FAIL --freeze-input .bin of the wrong size"; fail=1
fi
if "$dlc" "$dir/errors/dynamic.onnx" --freeze-input z="$tmp/dyn.bin" --freeze-input x="$tmp/dyn.pb" \
     --freeze-input z="$tmp/dyn.bin" -o "$tmp/f.o" 2> "$tmp/err.txt" ||
   ! grep -qF "names 'z', which is not an input of the model" "$tmp/err.txt" ||
   ! grep -qF "names 'z', which is frozen twice" "$tmp/err.txt" ||
   ! grep -qF "cannot open the --freeze-input file '$tmp/dyn.pb'" "$tmp/err.txt" || [ -e "$tmp/f.o" ]; then
  echo "FAIL --freeze-input with bad names"; fail=1
fi
# a weight fed as an input (the ONNX node test, when installed): frozen from
# its TensorProto and as raw .bin it compiles; a tensor of the wrong shape
# is reported with both types
conv=/usr/include/onnx/backend/test/data/node/test_basic_conv_with_padding
if [ -d "$conv" ]; then
  "$dlc" "$conv/model.onnx" -o "$tmp/f.o" 2> "$tmp/err.txt" && { echo "FAIL conv without freezing"; fail=1; }
  if ! "$dlc" "$conv/model.onnx" --freeze-input W="$conv/test_data_set_0/input_1.pb" -o "$tmp/f.o"; then
    echo "FAIL --freeze-input W=input_1.pb"; fail=1
  fi
  head -c 36 /dev/zero > "$tmp/w.bin"
  if ! "$dlc" "$conv/model.onnx" --freeze-input=W="$tmp/w.bin" -o "$tmp/f.o"; then
    echo "FAIL --freeze-input W=w.bin"; fail=1
  fi
  if "$dlc" "$conv/model.onnx" --freeze-input W="$conv/test_data_set_0/input_0.pb" -o "$tmp/g.o" 2> "$tmp/err.txt" ||
     ! grep -qF "the input is declared float[1, 1, 3, 3], but '$conv/test_data_set_0/input_0.pb' holds float[1, 1, 5, 5]" "$tmp/err.txt"; then
    echo "FAIL --freeze-input with the wrong shape"; fail=1
  fi
fi
[ $fail -eq 0 ] && echo "ok   --freeze-input"
exit $fail
