#!/usr/bin/env python3
"""Writes the crafted safetensors files of the weights_*.dl error cases.

Plain python3 (struct + json, no torch). The outputs are committed, so the
tests never run this; rerun it after changing a case:
    python3 tests/golden/errors/make_weight_cases.py
Each file is named after its case: weights_<case>.safetensors.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPE_SIZE = {"F32": 4, "F16": 2, "I64": 8}


def tensor(name, dtype, shape):
    """A tensor of zeros; returns (name, dtype, shape, bytes)."""
    n = DTYPE_SIZE[dtype]
    for d in shape:
        n *= d
    return (name, dtype, list(shape), bytes(n))


def image(tensors, header=None):
    """A safetensors image: tensors packed in order, or a given header
    (dict or raw text) followed by the tensors' bytes."""
    data = b"".join(t[3] for t in tensors)
    if header is None:
        header, off = {}, 0
        for name, dtype, shape, raw in tensors:
            header[name] = {"dtype": dtype, "shape": shape,
                            "data_offsets": [off, off + len(raw)]}
            off += len(raw)
    text = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    raw = text.encode()
    raw += b" " * (-len(raw) % 8)  # writers pad the header to 8 bytes
    return struct.pack("<Q", len(raw)) + raw + data


def dense_ok():
    """Correct weights for `fc = dense(2)` on f32[1, 4] (pytorch)."""
    return [tensor("fc.weight", "F32", [2, 4]), tensor("fc.bias", "F32", [2])]


def cases():
    """Case name -> file bytes."""
    c = {}
    c["empty_file"] = b""
    c["header_beyond_file"] = struct.pack("<Q", 1000) + b"{}      "
    c["header_absurd"] = struct.pack("<Q", 1 << 62) + b"{}      "
    c["invalid_json"] = image([], header='{"fc.weight": {"dtype": "F32", "shape": [2, 4],}')
    c["header_not_object"] = image([], header="[1, 2, 3]")
    entry = {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 32]}
    c["unknown_dtype"] = image(dense_ok(), header={
        "fc.weight": dict(entry, dtype="F33"),
        "fc.bias": {"dtype": "F32", "shape": [2], "data_offsets": [32, 40]}})
    c["negative_dim"] = image(dense_ok(), header={
        "fc.weight": dict(entry, shape=[-2, -4]),
        "fc.bias": {"dtype": "F32", "shape": [2], "data_offsets": [32, 40]}})
    c["offsets_out_of_range"] = image(dense_ok(), header={
        "fc.weight": entry,
        "fc.bias": {"dtype": "F32", "shape": [2], "data_offsets": [36, 44]}})
    c["overlap"] = image(dense_ok(), header={
        "fc.weight": entry,
        "fc.bias": {"dtype": "F32", "shape": [2], "data_offsets": [28, 36]}})
    c["size_mismatch"] = image(dense_ok(), header={
        "fc.weight": dict(entry, shape=[2, 3]),
        "fc.bias": {"dtype": "F32", "shape": [2], "data_offsets": [32, 40]}})
    c["missing_tensor"] = image([tensor("fc.weight", "F32", [2, 4]),
                                 tensor("fc.bais", "F32", [2])])
    c["wrong_shape"] = image([tensor("conv1.weight", "F32", [4, 3, 5, 5]),
                              tensor("conv1.bias", "F32", [4])])
    c["wrong_dtype"] = image([tensor("fc.weight", "F16", [2, 4]),
                              tensor("fc.bias", "F32", [2])])
    c["unused_tensor"] = image(dense_ok() + [
        tensor("bn.weight", "F32", [2]), tensor("bn.bias", "F32", [2]),
        tensor("bn.running_mean", "F32", [2]), tensor("bn.running_var", "F32", [2]),
        tensor("bn.num_batches_tracked", "I64", []),
        tensor("head.weight", "F32", [3, 2])])
    c["keras_vs_pytorch"] = image([tensor("conv1.kernel", "F32", [3, 3, 3, 4]),
                                   tensor("conv1.bias", "F32", [4]),
                                   tensor("fc.kernel", "F32", [36, 2]),
                                   tensor("fc.bias", "F32", [2])])
    c["keras_layout"] = image([tensor("conv1.kernel", "F32", [4, 3, 3, 3]),
                               tensor("conv1.bias", "F32", [4])])
    c["keras_gru"] = image([tensor("gru.kernel", "F32", [4, 9]),
                            tensor("gru.recurrent_kernel", "F32", [9, 3]),
                            tensor("gru.bias", "F32", [9])])
    c["rnn_names"] = image([tensor("enc.weight_ih_l0", "F32", [8, 4]),
                            tensor("enc.weight_hh_l0", "F32", [8, 2]),
                            tensor("enc.bias_ih_l0", "F32", [8]),
                            tensor("enc.bias_hh_10", "F32", [8])])
    c["several_errors"] = image([tensor("conv1.weight", "F32", [4, 3, 3, 3]),
                                 tensor("conv1.bias", "F16", [4]),
                                 tensor("fc.weight", "F32", [2, 9]),
                                 tensor("stray", "F32", [1])])
    return c


def main():
    for name, data in sorted(cases().items()):
        with open(os.path.join(HERE, "weights_%s.safetensors" % name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
