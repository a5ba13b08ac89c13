#!/usr/bin/python3
"""Generates the ONNX importer's test models (committed; rerun to refresh).

cases/<name>/model.onnx with input*.bin and expected*.bin: small graphs
built with onnx.helper that exercise every mapped operator, weights as
raw_data, typed fields and external data; the expected outputs come from
PyTorch's functional ops (float32, little-endian raw files).
errors/<name>.onnx with <name>.expect: models the importer must refuse,
each with a substring of the message it must print.

Needs Debian's python3-onnx and python3-torch:  /usr/bin/python3 gen.py
"""
import os
import shutil

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(6)


def rnd(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def init(name, a, raw=True):
    if raw:
        return numpy_helper.from_array(a, name)
    t = helper.make_tensor(name, TensorProto.FLOAT if a.dtype == np.float32 else TensorProto.INT64,
                           a.shape, a.ravel().tolist())
    return t


def vi(name, shape, dt=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dt, shape)


def model(nodes, inputs, outputs, inits, opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="dlc-tests")
    m.ir_version = 8
    return m


def save_case(name, m, ins, outs):
    d = os.path.join(HERE, "cases", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, a in enumerate(ins):
        a.tofile(os.path.join(d, "input%d.bin" % i))
    for i, a in enumerate(outs):
        np.asarray(a, dtype=np.float32).tofile(os.path.join(d, "expected%d.bin" % i))
    return d


T = torch.from_numpy


def case_cnn():
    """Conv (pads, bias, groups, dilation, SAME_UPPER), BatchNormalization,
    Relu, MaxPool, AveragePool (count_include_pad), HardSwish, Clip,
    GlobalAveragePool, Flatten, Gemm (transB), Softmax."""
    x = rnd(1, 3, 9, 9, scale=1.0)
    w1, b1 = rnd(8, 3, 3, 3), rnd(8)
    g, bt, mu, var = rnd(8) + 1, rnd(8), rnd(8), np.abs(rnd(8)) + 0.5
    w2 = rnd(8, 4, 3, 3)
    wf, bf = rnd(5, 8), rnd(5)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g", "bt", "mu", "var"], ["bn"], name="bn1",
                         epsilon=1e-3),
        helper.make_node("Relu", ["bn"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], name="conv2", group=2, dilations=[2, 2],
                         auto_pad="SAME_UPPER"),
        helper.make_node("AveragePool", ["c2"], ["a2"], name="avg", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], count_include_pad=1),
        helper.make_node("HardSwish", ["a2"], ["h2"], name="hswish"),
        helper.make_node("Clip", ["h2", "lo", "hi"], ["k2"], name="clip"),
        helper.make_node("GlobalAveragePool", ["k2"], ["gp"], name="gap"),
        helper.make_node("Flatten", ["gp"], ["fl"], name="flat"),
        helper.make_node("Gemm", ["fl", "wf", "bf"], ["fc"], name="fc", transB=1),
        helper.make_node("Softmax", ["fc"], ["y"], name="softmax"),
    ]
    inits = [init("w1", w1), init("b1", b1), init("g", g), init("bt", bt), init("mu", mu),
             init("var", var), init("w2", w2, raw=False), init("wf", wf), init("bf", bf),
             init("lo", np.array(-0.2, np.float32)), init("hi", np.array(0.4, np.float32))]
    m = model(nodes, [vi("x", [1, 3, 9, 9])], [vi("y", [1, 5])], inits, opset=14)
    t = F.conv2d(T(x), T(w1), T(b1), padding=1)
    t = F.batch_norm(t, T(mu), T(var), T(g), T(bt), eps=1e-3)
    t = F.max_pool2d(F.relu(t), 2)
    t = F.conv2d(F.pad(t, (2, 2, 2, 2)), T(w2), groups=2, dilation=2)
    t = F.avg_pool2d(t, 3, 1, 1, count_include_pad=True)
    t = torch.clamp(F.hardswish(t), -0.2, 0.4)
    t = F.linear(t.mean((2, 3)), T(wf), T(bf))
    save_case("cnn", m, [x], [F.softmax(t, -1).numpy()])


def case_mlp():
    """MatMul + Add (bias fold), LeakyRelu, Sub/Mul/Div by constants
    (affine and broadcast binary), Add of two activations, Tanh, Sigmoid,
    HardSigmoid, LogSoftmax; typed float_data weights; opset 11."""
    x = rnd(2, 6, scale=1.0)
    w1, b1, w2, s = rnd(6, 8), rnd(8), rnd(8, 4), rnd(1, 4) + 1.5
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["m1"], name="mm1"),
        helper.make_node("Add", ["m1", "b1"], ["a1"], name="bias1"),
        helper.make_node("LeakyRelu", ["a1"], ["l1"], name="leaky", alpha=0.1),
        helper.make_node("MatMul", ["l1", "w2"], ["m2"], name="mm2"),
        helper.make_node("Sub", ["m2", "half"], ["s2"], name="sub"),
        helper.make_node("Mul", ["s2", "s"], ["u2"], name="scale"),
        helper.make_node("Div", ["u2", "two"], ["d2"], name="div"),
        helper.make_node("Tanh", ["d2"], ["t2"], name="tanh"),
        helper.make_node("Sigmoid", ["d2"], ["g2"], name="sig"),
        helper.make_node("Add", ["t2", "g2"], ["e2"], name="sum"),
        helper.make_node("HardSigmoid", ["e2"], ["h2"], name="hsig", alpha=0.3, beta=0.4),
        helper.make_node("LogSoftmax", ["h2"], ["y"], name="logsm", axis=1),
    ]
    inits = [init("w1", w1, raw=False), init("b1", b1, raw=False), init("w2", w2, raw=False),
             init("s", s, raw=False), init("half", np.array([0.5], np.float32), raw=False),
             init("two", np.array(2.0, np.float32))]
    m = model(nodes, [vi("x", [2, 6])], [vi("y", [2, 4])], inits, opset=11)
    t = F.leaky_relu(T(x) @ T(w1) + T(b1), 0.1)
    t = (t @ T(w2) - 0.5) * T(s) / 2.0
    t = torch.tanh(t) + torch.sigmoid(t)
    t = torch.clamp(0.3 * t + 0.4, 0, 1)
    save_case("mlp", m, [x], [F.log_softmax(t, 1).numpy()])


def case_shapes():
    """The shape subgraph exporters emit (Shape, Gather, Unsqueeze, Concat,
    Reshape), Constant, Transpose, Slice, Split, Concat, Squeeze, Expand,
    Pad (constant value), ReduceMean, MatMul of two activations."""
    x = rnd(2, 3, 4, 4, scale=1.0)
    nodes = [
        helper.make_node("Shape", ["x"], ["shp"], name="shape"),
        helper.make_node("Constant", [], ["i0"], name="c0",
                         value=numpy_helper.from_array(np.array(0, np.int64))),
        helper.make_node("Gather", ["shp", "i0"], ["n"], name="gather_n", axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"], name="unsq_n"),
        helper.make_node("Concat", ["n1", "m1"], ["newshape"], name="cat_shape", axis=0),
        helper.make_node("Reshape", ["x", "newshape"], ["flat"], name="reshape"),
        helper.make_node("Transpose", ["x"], ["xt"], name="nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("Slice", ["xt", "st", "en", "axs", "stp"], ["sl"], name="slice"),
        helper.make_node("Split", ["sl", "split"], ["sp0", "sp1"], name="split", axis=1),
        helper.make_node("Concat", ["sp1", "sp0"], ["cat"], name="cat", axis=1),
        helper.make_node("Pad", ["cat", "pads", "pv"], ["pd"], name="pad"),
        helper.make_node("ReduceMean", ["pd"], ["rm"], name="mean", axes=[3], keepdims=0),
        helper.make_node("Unsqueeze", ["rm", "ax1"], ["us"], name="unsq"),
        helper.make_node("Squeeze", ["us", "ax1"], ["sq"], name="sq"),
        helper.make_node("Expand", ["sq", "eshape"], ["ex"], name="expand"),
        helper.make_node("MatMul", ["ex", "exT"], ["y1"], name="mm"),
        helper.make_node("Transpose", ["ex"], ["exT"], name="t", perm=[0, 2, 1]),
    ]
    # the last two nodes are swapped below into topological order
    nodes[-1], nodes[-2] = nodes[-2], nodes[-1]
    ints = lambda *v: np.array(v, np.int64)
    inits = [init("ax0", ints(0)), init("m1", ints(-1)), init("st", ints(1, -3)),
             init("en", ints(4, 100)), init("axs", ints(1, 3)), init("stp", ints(2, 1)),
             init("split", ints(1, 1)), init("pads", ints(0, 1, 0, 0, 0, 0, 1, 1)),
             init("pv", np.array(0.25, np.float32)), init("ax1", ints(1)),
             init("eshape", ints(2, 1, 1))]
    m = model(nodes, [vi("x", [2, 3, 4, 4])], [vi("flat", [2, 48]), vi("y1", [2, 3, 3])],
              inits)
    t = T(x).permute(0, 2, 3, 1)[:, 1:4:2, :, 0:3]
    t = torch.cat([t[:, 1:2], t[:, 0:1]], 1)
    t = F.pad(t, (0, 1, 0, 1, 1, 0), value=0.25)
    ex = t.mean(3)
    save_case("shapes", m, [x], [x.reshape(2, 48), (ex @ ex.transpose(1, 2)).numpy()])


def gates(w, order, h):
    """PyTorch gate blocks reordered into ONNX's order."""
    return np.concatenate([w[k * h:(k + 1) * h] for k in order], 0)


def case_rnn():
    """Bidirectional LSTM (Y and Y_h) and forward GRU (linear_before_reset),
    time-major as ONNX defines them, checked against torch.nn."""
    T_, N, Fi, H = 5, 2, 3, 4
    x = rnd(T_, N, Fi, scale=1.0)
    lstm = torch.nn.LSTM(Fi, H, bidirectional=True)
    gru = torch.nn.GRU(2 * H, H)
    with torch.no_grad():
        for p in list(lstm.parameters()) + list(gru.parameters()):
            p.copy_(torch.from_numpy(rnd(*p.shape)))
    sd = {k: v.detach().numpy() for k, v in lstm.state_dict().items()}
    io = [0, 3, 1, 2]  # ONNX i, o, f, c from PyTorch i, f, g, o
    W = np.stack([gates(sd["weight_ih_l0" + s], io, H) for s in ("", "_reverse")])
    R = np.stack([gates(sd["weight_hh_l0" + s], io, H) for s in ("", "_reverse")])
    B = np.stack([np.concatenate([gates(sd["bias_ih_l0" + s], io, H),
                                  gates(sd["bias_hh_l0" + s], io, H)]) for s in ("", "_reverse")])
    gd = {k: v.detach().numpy() for k, v in gru.state_dict().items()}
    zr = [1, 0, 2]  # ONNX z, r, h from PyTorch r, z, n
    GW = gates(gd["weight_ih_l0"], zr, H)[None]
    GR = gates(gd["weight_hh_l0"], zr, H)[None]
    GB = np.concatenate([gates(gd["bias_ih_l0"], zr, H), gates(gd["bias_hh_l0"], zr, H)])[None]
    nodes = [
        helper.make_node("LSTM", ["x", "W", "R", "B"], ["Y", "Yh"], name="lstm", hidden_size=H,
                         direction="bidirectional"),
        helper.make_node("Transpose", ["Y"], ["Yt"], name="tdn", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["Yt", "shape"], ["Yr"], name="merge"),
        helper.make_node("GRU", ["Yr", "GW", "GR", "GB"], ["", "gh"], name="gru", hidden_size=H,
                         linear_before_reset=1),
    ]
    inits = [init("W", W), init("R", R), init("B", B), init("GW", GW), init("GR", GR),
             init("GB", GB), init("shape", np.array([T_, N, 2 * H], np.int64))]
    m = model(nodes, [vi("x", [T_, N, Fi])], [vi("Yh", [2, N, H]), vi("gh", [1, N, H])], inits)
    with torch.no_grad():
        y, (hn, _) = lstm(T(x))
        _, gh = gru(y)
    save_case("rnn", m, [x], [hn.numpy(), gh.numpy()])


def case_embedding():
    """Gather of a constant table by int64 ids (embedding), ReduceMean over
    the sequence, Gemm with alpha/beta and without transB."""
    ids = np.array([[1, 4, 0, 2], [3, 3, 1, 0]], np.int64)
    table, w, b = rnd(5, 6), rnd(6, 3), rnd(3)
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["e"], name="embed"),
        helper.make_node("ReduceMean", ["e"], ["m"], name="pool", axes=[1], keepdims=0),
        helper.make_node("Gemm", ["m", "w", "b"], ["y"], name="fc", alpha=0.5, beta=2.0),
    ]
    m = model(nodes, [vi("ids", [2, 4], TensorProto.INT64)], [vi("y", [2, 3])],
              [init("table", table), init("w", w), init("b", b)])
    y = 0.5 * (table[ids].mean(1) @ w) + 2.0 * b
    save_case("embedding", m, [ids], [y])


def case_external():
    """Conv weights in an external data file next to the model."""
    x, w = rnd(1, 2, 5, 5, scale=1.0), rnd(3, 2, 3, 3)
    d = os.path.join(HERE, "cases", "external")
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", strides=[2, 2])]
    m = model(nodes, [vi("x", [1, 2, 5, 5])], [vi("y", [1, 3, 2, 2])], [init("w", w)])
    save_case("external", m, [x], [F.conv2d(T(x), T(w), stride=2).numpy()])
    onnx.save(m, os.path.join(d, "model.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)


def case_int64_sentinel():
    """Slice ends of INT64_MAX ("to the end", as exporters write them) built
    by a constant Concat: evaluated through double at import, 2^63 must
    saturate back to INT64_MAX (found by the onnx fuzz target as UB)."""
    big = np.array([2**63 - 1], dtype=np.int64)
    inits = [numpy_helper.from_array(np.array([1], np.int64), "starts"),
             numpy_helper.from_array(big, "end_a"),
             numpy_helper.from_array(np.array([1], np.int64), "axes")]
    nodes = [helper.make_node("Concat", ["end_a"], ["ends"], name="cat", axis=0),
             helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["y"], name="slice")]
    m = model(nodes, [vi("x", [1, 5])], [vi("y", [1, 4])], inits)
    x = np.arange(5, dtype=np.float32).reshape(1, 5) - 2
    save_case("int64_sentinel", m, [x], [x[:, 1:]])


def case_pool_ceil():
    """MaxPool and AveragePool with ceil_mode=1, as GoogLeNet exports them
    (3x3 stride 2 on 14x14: 7x7, where the floor gives 6x6), and with
    count_include_pad and pads, whose last window hangs past the padding."""
    x = rnd(1, 4, 14, 14, scale=1.0)
    nodes = [
        helper.make_node("MaxPool", ["x"], ["m"], name="maxpool", kernel_shape=[3, 3],
                         strides=[2, 2], ceil_mode=1),
        helper.make_node("AveragePool", ["x"], ["a"], name="avgpool", kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1),
        helper.make_node("AveragePool", ["x"], ["b"], name="avgpool_valid", kernel_shape=[2, 2],
                         strides=[3, 3], ceil_mode=1),
    ]
    m = model(nodes, [vi("x", [1, 4, 14, 14])],
              [vi("m", [1, 4, 7, 7]), vi("a", [1, 4, 8, 8]), vi("b", [1, 4, 5, 5])], [], opset=19)
    t = T(x)
    save_case("pool_ceil", m, [x], [
        F.max_pool2d(t, 3, 2, ceil_mode=True).numpy(),
        F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=True).numpy(),
        F.avg_pool2d(t, 2, 3, ceil_mode=True).numpy()])


def case_conv1d():
    """1-D Conv (strided, asymmetric pads, bias), a depthwise 1-D Conv
    (dilation 2), a SAME_UPPER 1-D Conv, MaxPool 1-D with ceil_mode and
    pads, AveragePool 1-D counting its pads: a time-series model's ops,
    run as 2-D ops of height 1."""
    x = rnd(2, 3, 20, scale=1.0)
    w1, b1 = rnd(5, 3, 3), rnd(5)
    w2 = rnd(5, 1, 4)
    w3 = rnd(4, 5, 5)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3],
                         strides=[2], pads=[1, 2]),
        helper.make_node("Conv", ["c1", "w2"], ["c2"], name="dwconv", group=5, dilations=[2],
                         pads=[3, 3]),
        helper.make_node("Conv", ["c2", "w3"], ["c3"], name="same", auto_pad="SAME_UPPER"),
        helper.make_node("MaxPool", ["c3"], ["m"], name="maxpool", kernel_shape=[3],
                         strides=[2], pads=[1, 1], ceil_mode=1),
        helper.make_node("AveragePool", ["x"], ["a"], name="avgpool", kernel_shape=[2],
                         strides=[2], pads=[1, 0], count_include_pad=1),
    ]
    t = T(x)
    c1 = F.conv1d(F.pad(t, (1, 2)), T(w1), T(b1), stride=2)
    c2 = F.conv1d(c1, T(w2), None, padding=3, dilation=2, groups=5)
    c3 = F.conv1d(F.pad(c2, (2, 2)), T(w3))
    mp = F.max_pool1d(c3, 3, 2, 1, ceil_mode=True)
    ap = F.avg_pool1d(F.pad(t, (1, 0)), 2, 2)
    m = model(nodes, [vi("x", [2, 3, 20])],
              [vi("m", list(mp.shape)), vi("a", list(ap.shape))],
              [init("w1", w1), init("b1", b1), init("w2", w2), init("w3", w3)], opset=17)
    save_case("conv1d", m, [x], [mp.numpy(), ap.numpy()])


def case_typed():
    """Integer and bool tensors as first-class values: a bool mask and
    int64 input, Greater/LessOrEqual/Equal, And/Or/Not/Xor, Where, ArgMax
    and ArgMin (select_last_index), Mod and Add on int64, Cast to float,
    constants converted to the operand's dtype."""
    x = np.array([[0.5, -1.0, 2.0, 2.0, -0.25], [1.5, 0.0, -3.0, 1.5, 0.75]], np.float32)
    mask = np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 1]], np.bool_)
    k = np.array([[3, -7, 12, 5, 3], [-1, 8, 3, 0, -9]], np.int64)
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    nodes = [
        helper.make_node("Greater", ["x", "zero"], ["g"], name="positive"),
        helper.make_node("And", ["mask", "g"], ["a"], name="both"),
        helper.make_node("Not", ["a"], ["na"], name="neither"),
        helper.make_node("Equal", ["k", "three"], ["e"], name="is3"),
        helper.make_node("Or", ["na", "e"], ["o"], name="pick"),
        helper.make_node("ArgMax", ["x"], ["am"], name="amax", axis=1, keepdims=1),
        helper.make_node("Mod", ["k", "four"], ["km"], name="mod4"),
        helper.make_node("Add", ["km", "am"], ["ks"], name="shift"),
        helper.make_node("Cast", ["ks"], ["kf"], name="tofloat", to=TensorProto.FLOAT),
        helper.make_node("Where", ["o", "x", "kf"], ["y"], name="select"),
        helper.make_node("LessOrEqual", ["x", "half"], ["le"], name="small"),
        helper.make_node("Xor", ["le", "mask"], ["xo"], name="flip"),
        helper.make_node("ArgMin", ["x"], ["amin"], name="amin", axis=0, keepdims=0,
                         select_last_index=1),
        helper.make_node("Cast", ["amin"], ["aminf"], name="aminf", to=TensorProto.FLOAT),
        helper.make_node("Where", ["xo", "aminf", "x"], ["y2"], name="select2"),
    ]
    m = model(nodes, [vi("x", [2, 5]), vi("mask", [2, 5], TensorProto.BOOL),
                      vi("k", [2, 5], TensorProto.INT64)],
              [vi("y", [2, 5]), vi("y2", [2, 5])],
              [init("zero", np.array([0.0], np.float32)), i64("three", 3), i64("four", [4]),
               init("half", np.array(0.5, np.float32))])
    o = np.logical_or(~(mask & (x > 0)), k == 3)
    ks = np.mod(k, 4) + np.argmax(x, axis=1)[:, None]
    y = np.where(o, x, ks.astype(np.float32))
    amin = 1 - np.argmin(x[::-1], axis=0)  # the last minimum of each column
    y2 = np.where((x <= 0.5) ^ mask, amin.astype(np.float32), x)
    save_case("typed", m, [x, mask, k], [y, y2])


def case_einsum():
    """Einsum as attention exports it (bhqd,bhkd->bhqk and bhqk,bhkd->bhqd),
    a matmul with "..." batch axes, an implicit output, a transpose, a sum
    over one axis and a batched inner product."""
    q, k, p, v = rnd(2, 3, 4, 5), rnd(2, 3, 6, 5), rnd(2, 3, 4, 6), rnd(2, 3, 6, 5)
    a, b, c = rnd(2, 3, 4), rnd(2, 4, 5), rnd(4, 7)
    u, w = rnd(2, 3, 6), rnd(2, 3, 6)
    eqs = [("scores", ["q", "k"], "bhqd,bhkd->bhqk"), ("ctx", ["p", "v"], "bhqk,bhkd->bhqd"),
           ("mm", ["a", "b"], "...ij,...jk->...ik"), ("implicit", ["a", "c"], "bij,jk"),
           ("tr", ["a"], "bij->jbi"), ("rows", ["c"], "ij->i"), ("dot", ["u", "w"], "bij,bij->bi")]
    nodes = [helper.make_node("Einsum", ins, [name], name=name, equation=eq)
             for name, ins, eq in eqs]
    vals = {"q": q, "k": k, "p": p, "v": v, "a": a, "b": b, "c": c, "u": u, "w": w}
    outs = [torch.einsum(eq, *[T(vals[i]) for i in ins]).numpy() for _, ins, eq in eqs]
    m = model(nodes, [vi(n, list(x.shape)) for n, x in vals.items()],
              [vi(name, list(o.shape)) for (name, _, _), o in zip(eqs, outs)], [], opset=13)
    save_case("einsum", m, list(vals.values()), outs)


def case_resize():
    """Resize beyond whole-factor nearest: bilinear and bicubic upsampling
    (half_pixel, PyTorch's align_corners=False), bilinear with
    align_corners, and nearest downsampling to given sizes (asymmetric,
    floor: PyTorch's nearest)."""
    x = rnd(1, 2, 5, 6, scale=1.0)
    sc = numpy_helper.from_array(np.array([1, 1, 2, 1.5], np.float32), "sc")
    sz = numpy_helper.from_array(np.array([1, 2, 3, 4], np.int64), "sz")
    nodes = [
        helper.make_node("Resize", ["x", "", "sc"], ["lin"], name="lin", mode="linear"),
        helper.make_node("Resize", ["x", "", "sc"], ["cub"], name="cub", mode="cubic"),
        helper.make_node("Resize", ["x", "", "sc"], ["ac"], name="ac", mode="linear",
                         coordinate_transformation_mode="align_corners"),
        helper.make_node("Resize", ["x", "", "", "sz"], ["near"], name="near", mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
    ]
    t = T(x)
    lin = F.interpolate(t, size=(10, 9), mode="bilinear", align_corners=False)
    cub = F.interpolate(t, size=(10, 9), mode="bicubic", align_corners=False)
    ac = F.interpolate(t, size=(10, 9), mode="bilinear", align_corners=True)
    near = F.interpolate(t, size=(3, 4), mode="nearest")
    outs = [lin, cub, ac, near]
    m = model(nodes, [vi("x", [1, 2, 5, 6])],
              [vi(n, list(o.shape)) for n, o in zip(["lin", "cub", "ac", "near"], outs)],
              [sc, sz], opset=13)
    save_case("resize", m, [x], [o.numpy() for o in outs])


def save_error(name, m, expect, raw=None):
    d = os.path.join(HERE, "errors")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name + ".onnx")
    with open(path, "wb") as f:
        f.write(raw if raw is not None else m.SerializeToString())
    with open(os.path.join(d, name + ".expect"), "w") as f:
        f.write(expect + "\n")


def external_model(location, length=None):
    w = numpy_helper.from_array(rnd(3, 2, 1, 1), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"),
                 ("length", str(length if length is not None else 24))):
        e = w.external_data.add()
        e.key, e.value = k, v
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")]
    return model(nodes, [vi("x", [1, 2, 4, 4])], [vi("y", [1, 3, 4, 4])], [w])


def errors():
    shutil.rmtree(os.path.join(HERE, "errors"), ignore_errors=True)
    good = onnx.load(os.path.join(HERE, "cases", "cnn", "model.onnx")).SerializeToString()
    save_error("truncated", None, "not a valid ONNX model", good[: len(good) // 2])
    save_error("garbage", None, "not a valid ONNX model", bytes(range(7, 250, 3)) * 5)
    relu = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    m = model(relu, [vi("x", [1, 4])], [vi("y", [1, 4])], [], opset=99)
    save_error("opset", m, "unsupported opset 99 for domain 'ai.onnx'")
    m = model(relu, [vi("x", [1, 4])], [vi("y", [1, 4])], [])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    save_error("domain", m, "unsupported opset 1 for domain 'com.example'")
    bad = numpy_helper.from_array(rnd(4, 4), "w")
    bad.raw_data = bad.raw_data[:-4]
    m = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [1, 4])],
              [vi("y", [1, 4])], [bad])
    save_error("raw_size", m, "tensor 'w': raw_data holds 60 bytes, expected 64")
    m = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [1, 4])],
              [vi("y", [1, 4])], [])
    save_error("missing_init", m, "node 'mm' (MatMul): input 'w' is not defined")
    m = model(relu, [vi("x", ["batch", 4])], [vi("y", ["batch", 4])], [])
    save_error("dynamic", m, "input 'x' has a dynamic dim 0 ('batch'); dlc needs static shapes: "
               "give one with --input-shape x=d1,d2,...")
    m = model(relu, [vi("x", [1, 4], TensorProto.DOUBLE)], [vi("y", [1, 4])], [])
    save_error("dtype", m, "input 'x' has element type double; dlc takes float, integer and "
               "bool inputs")
    m = model(relu, [vi("x", [1, 4], TensorProto.UINT8)], [vi("y", [1, 4])], [])
    save_error("dtype_relu", m, "node 'relu' (Relu): input 'x' must be float, got u8")
    m = model([helper.make_node("Cast", ["x"], ["y"], name="c", to=TensorProto.DOUBLE)],
              [vi("x", [1, 4])], [vi("y", [1, 4], TensorProto.DOUBLE)], [])
    save_error("cast_double", m, "node 'c' (Cast): Cast to double is not supported")
    m = model([helper.make_node("Where", ["x", "x", "x"], ["y"], name="w")],
              [vi("x", [1, 4])], [vi("y", [1, 4])], [])
    save_error("where_float_cond", m, "where 'y' needs a bool condition input, but 'x' is "
               "f32[1, 4]")
    m = model([helper.make_node("Add", ["x", "k"], ["y"], name="mixed")],
              [vi("x", [1, 4]), vi("k", [1, 4], TensorProto.INT64)], [vi("y", [1, 4])], [])
    save_error("mixed_dtypes", m, "have different dtypes")
    nodes = [helper.make_node("NonMaxSuppression", ["x", "x"], ["a"], name="nms_1"),
             helper.make_node("Relu", ["x"], ["r"], name="ok"),
             helper.make_node("Det", ["r"], ["b"], name="det_0"),
             helper.make_node("NonMaxSuppression", ["a", "b"], ["y"], name="nms_2")]
    m = model(nodes, [vi("x", [1, 4])], [vi("y", [1, 4])], [])
    save_error("unsupported", m, "error: unsupported operators (opset 13): NonMaxSuppression "
               "(nodes 'nms_1', 'nms_2'), Det (node 'det_0')")
    save_error("ext_absolute", external_model("/etc/passwd"),
               "external data location '/etc/passwd' is an absolute path")
    save_error("ext_dotdot", external_model("sub/../../w.bin"),
               "external data location 'sub/../../w.bin' leaves the model's directory ('..')")
    save_error("ext_length", external_model("w.bin", 20),
               "external data length is 20 bytes, expected 24")
    save_error("ext_symlink", external_model("link.bin"), "outside the model's directory")
    # found by the onnx fuzz target: pads summed past int64 (signed overflow)
    pads = numpy_helper.from_array(np.array([0, 0, 2**62, 0, 0, 0, 2**62, 0], dtype=np.int64),
                                   "pads")
    m = model([helper.make_node("Pad", ["x", "pads"], ["y"], name="pad")],
              [vi("x", [1, 2, 3, 4])], [vi("y", [1, 2, 3, 4])], [pads])
    save_error("pad_overflow", m, "node 'pad' (Pad): pads make axis 2 larger than any tensor can be")
    # found by the onnx fuzz target: a Constant node without outputs read
    # output[0] of an empty list (UBSan: offset applied to NULL)
    nodes = [helper.make_node("Constant", [], [], name="c",
                              value=numpy_helper.from_array(np.ones(2, np.float32))),
             helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")]
    m = model(nodes, [vi("x", [1, 4])], [vi("y", [1, 4])], [])
    save_error("constant_no_output", m, "node 'mm' (MatMul): input 'w' is not defined")
    # found by the onnx fuzz target: split sizes summed past 2^63
    sizes = numpy_helper.from_array(np.array([2**62, 2**62], dtype=np.int64), "sizes")
    m = model([helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="split", axis=1)],
              [vi("x", [1, 4])], [vi("a", [1, 2]), vi("b", [1, 2])], [sizes])
    save_error("split_overflow", m, "node 'split' (Split): split size 4611686018427387904 of "
               "output 0 is outside 0..4")
    # an operator whose form changed before opset 7 (legacy broadcast)
    m = model([helper.make_node("Add", ["x", "x"], ["y"], name="add")], [vi("x", [1, 4])],
              [vi("y", [1, 4])], [], opset=6)
    save_error("legacy_opset", m, "node 'add' (Add): opset 6's Add differs from the form dlc "
               "reads (opset 7 and later); export the model at opset 7 or later")
    # the new operators' malformed attributes (no random data: case_conv1d's stays)
    w = numpy_helper.from_array(np.ones((2, 3, 3, 3), np.float32), "w")
    m = model([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", strides=[2, 2],
                                output_padding=[2, 0])],
              [vi("x", [1, 2, 4, 4])], [vi("y", [1, 3, 10, 9])], [w])
    save_error("convtranspose_outpad", m, "node 'up' (ConvTranspose): output_padding 2 must be "
               "smaller than the stride or the dilation")
    m = model([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", strides=[2, 2],
                                output_shape=[20, 9])],
              [vi("x", [1, 2, 4, 4])], [vi("y", [1, 3, 20, 9])], [w])
    save_error("convtranspose_shape", m, "node 'up' (ConvTranspose): output_shape 20 is out of "
               "reach of the transposed convolution")
    for name, v in (("resize_huge", 4.8e30), ("resize_zero", 0.0), ("resize_nan", np.nan)):
        sc = numpy_helper.from_array(np.array([1, 1, v, 2], np.float32), "sc")
        m = model([helper.make_node("Resize", ["x", "", "sc"], ["y"], name="up",
                                    mode="nearest")],
                  [vi("x", [1, 2, 4, 4])], [vi("y", [1, 2, 4, 8])], [sc])
        save_error(name, m, "node 'up' (Resize): scale %s of axis 2 is not in (0, 4096]"
                   % ("%g" % v if not np.isnan(v) else "nan"))
    sc = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "sc")
    m = model([helper.make_node("Resize", ["x", "", "sc"], ["y"], name="up", mode="")],
              [vi("x", [1, 2, 4, 4])], [vi("y", [1, 2, 8, 8])], [sc])
    save_error("resize_empty_mode", m, "node 'up' (Resize): mode '', coordinate_transformation_"
               "mode 'half_pixel', nearest_mode 'round_prefer_floor' is not supported")
    tri = [helper.make_node("Trilu", ["x", "k"], ["y"], name="tri")]
    m = model(tri, [vi("x", [4]), vi("k", [], TensorProto.INT64)], [vi("y", [4])], [])
    save_error("trilu_rank", m, "node 'tri' (Trilu): needs a computed input of rank 2 or more")
    m = model([helper.make_node("Where", ["c", "x", "k"], ["y"], name="w")],
              [vi("c", [2, 3], TensorProto.BOOL), vi("x", [2, 3]), vi("k", [4, 3])],
              [vi("y", [2, 3])], [])
    save_error("where_broadcast", m, "node 'w' (Where): input 2 cannot be broadcast")
    m = model([helper.make_node("Einsum", ["x"], ["y"], name="e", equation="ii->i")],
              [vi("x", [3, 3])], [vi("y", [3])], [])
    save_error("einsum_diagonal", m, "node 'e' (Einsum): label 'i' repeats within a term")
    m = model([helper.make_node("Einsum", ["x", "x"], ["y"], name="e", equation="ij,jk->ik")],
              [vi("x", [3, 4])], [vi("y", [3, 4])], [])
    save_error("einsum_sizes", m, "node 'e' (Einsum): label 'j' has sizes 4 and 3")
    m = model([helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s", blocksize=2)],
              [vi("x", [1, 6, 2, 2])], [vi("y", [1, 1, 4, 4])], [])
    save_error("depthtospace_channels", m, "node 'd2s' (DepthToSpace): 6 channels are not a "
               "multiple of blocksize^2 = 4")


if __name__ == "__main__":
    case_cnn()
    case_mlp()
    case_shapes()
    case_rnn()
    case_embedding()
    case_external()
    case_int64_sentinel()
    case_pool_ceil()
    errors()
    case_conv1d()  # after errors(): the earlier cases keep their random data
    case_typed()
    case_einsum()
    case_resize()
