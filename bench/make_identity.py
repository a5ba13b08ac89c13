#!/usr/bin/python3
"""Writes bench/identity/: an ONNX model whose graph is one Identity node
(f32[1, 10] in and out), with its input, expected output and manifest in
the zoo's format. bench/zoo-bench.sh times ONNX Runtime on it: what that
costs is ONNX Runtime's calling overhead, which issue 7's small-model
targets leave out. Needs python3-onnx. Deterministic."""
import json
import os
import struct

import onnx
from onnx import TensorProto, helper

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "identity")
os.makedirs(out, exist_ok=True)
x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 10])
y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])
graph = helper.make_graph([helper.make_node("Identity", ["input"], ["output"])], "identity", [x], [y])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="dlc-bench")
model.ir_version = 7
onnx.save(model, os.path.join(out, "model.onnx"))
data = struct.pack("<10f", *range(10))
for name in ("input.bin", "expected.bin"):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
manifest = {"name": "identity",
            "input": {"name": "input", "dtype": "f32", "shape": [1, 10], "file": "input.bin"},
            "output": {"name": "output", "dtype": "f32", "shape": [1, 10], "file": "expected.bin"}}
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
