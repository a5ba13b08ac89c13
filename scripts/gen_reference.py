#!/usr/bin/python3
"""gen_reference.py - generates the PyTorch reference data for dlc's model
tests and examples.

For every case below it writes tests/models/<case>/: model.dl, weights.
safetensors (when the model has weights), input.bin or input0.bin,
input1.bin, ... (one per model input, in declaration order), expected.bin
or expected0.bin, ... (one per model output, in `output` order). Each case
pairs a .dl model with the same computation written in PyTorch, with
seeded random weights (batchnorm running statistics randomized too).

References are computed in float64 from the float32 weights and inputs
that are stored, so the expected values are the exact results rounded once
and the tolerance budget of tests/models/run_model.sh is all dlc's.

It also writes examples/mnist_mlp/ and examples/resnet_small/ (weights,
inputs, PyTorch outputs) and the tests/models/example_* cases, whose
model.dl points at the example's own weights instead of copying them.
examples/digits/ comes from scripts/train_digits.py, which must run first.

Run: /usr/bin/python3 scripts/gen_reference.py [case ...]   (no case: all)
"""

import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlcref  # noqa: E402
from dlcref import same_pads  # noqa: E402
import ref_examples  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests", "models")

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# ---- random weights under dlc's names ----

class Weights:
    """Creates seeded random parameters, records them (float32, PyTorch
    names and layouts) for the safetensors file, and returns float64 copies
    for the reference computation."""

    def __init__(self, gen):
        self.gen = gen
        self.tensors = {}

    def randn(self, *shape, scale=1.0):
        return torch.randn(*shape, generator=self.gen) * scale

    def uniform(self, *shape, lo=0.0, hi=1.0):
        return torch.rand(*shape, generator=self.gen) * (hi - lo) + lo

    def _keep(self, name, t):
        self.tensors[name] = t.float().contiguous()
        return self.tensors[name].double()

    def conv(self, name, out_c, in_per_group, kh, kw, bias=True):
        w = self._keep(name + ".weight",
                       self.randn(out_c, in_per_group, kh, kw,
                                  scale=(in_per_group * kh * kw) ** -0.5))
        b = self._keep(name + ".bias", self.randn(out_c, scale=0.2)) if bias else None
        return w, b

    def dense(self, name, out_f, in_f, bias=True):
        w = self._keep(name + ".weight", self.randn(out_f, in_f, scale=in_f ** -0.5))
        b = self._keep(name + ".bias", self.randn(out_f, scale=0.2)) if bias else None
        return w, b

    def layer_norm(self, name, shape):
        return (self._keep(name + ".weight", self.uniform(*shape, lo=0.5, hi=1.5)),
                self._keep(name + ".bias", self.randn(*shape, scale=0.3)))

    def batchnorm(self, name, c, tracked=True):
        p = (self._keep(name + ".weight", self.uniform(c, lo=0.5, hi=1.5)),
             self._keep(name + ".bias", self.randn(c, scale=0.3)),
             self._keep(name + ".running_mean", self.randn(c, scale=0.5)),
             self._keep(name + ".running_var", self.uniform(c, lo=0.3, hi=2.0)))
        if tracked:  # PyTorch saves it; dlc must accept and ignore it
            self.tensors[name + ".num_batches_tracked"] = torch.tensor(100, dtype=torch.int64)
        return p


# ---- dlc layers in PyTorch terms; x is float64 in the model's layout ----

def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def resolve_pads(padding, hw, kernel, stride, dilation=(1, 1)):
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        return same_pads(hw, kernel, stride, dilation)
    if isinstance(padding, int):
        return (padding,) * 4
    if len(padding) == 2:
        return (padding[0], padding[1], padding[0], padding[1])
    return tuple(padding)


def to_nchw(x, layout):
    return dlcref.nhwc_to_nchw(x) if layout == "nhwc" else x


def from_nchw(x, layout):
    return dlcref.nchw_to_nhwc(x) if layout == "nhwc" else x


def conv(x, wb, layout, stride=1, padding="valid", dilation=1, groups=1):
    w, b = wb
    xn = to_nchw(x, layout)
    stride, dilation = pair(stride), pair(dilation)
    pads = resolve_pads(padding, xn.shape[2:], w.shape[2:], stride, dilation)
    y = F.conv2d(dlcref.pad_nchw(xn, pads), w, b, stride, 0, dilation, groups)
    return from_nchw(y, layout)


def dense(x, wb):
    return F.linear(x, *wb)


def batchnorm(x, p, layout, eps=1e-5):
    w, b, mean, var = p
    if x.dim() == 2:
        return F.batch_norm(x, mean, var, w, b, False, 0.0, eps)
    y = F.batch_norm(to_nchw(x, layout), mean, var, w, b, False, 0.0, eps)
    return from_nchw(y, layout)


def pool(kind, x, layout, kernel, stride=None, padding="valid", count_include_pad=False):
    xn = to_nchw(x, layout)
    kernel = pair(kernel)
    stride = pair(stride) if stride is not None else kernel
    pads = resolve_pads(padding, xn.shape[2:], kernel, stride)
    if kind == "max":
        y = dlcref.maxpool_nchw(xn, kernel, stride, pads)
    else:
        y = dlcref.avgpool_nchw(xn, kernel, stride, pads, count_include_pad)
    return from_nchw(y, layout)


def flatten(x):
    """dlc flattens in the stored order: NHWC as h, w, c; NCHW as c, h, w."""
    return torch.flatten(x, 1)


def f32(v):
    """A number as dlc stores it (f32 attribute), for exact emulation."""
    return float(np.float32(v))


# ---- the cases ----
# Each returns (dl source, Weights or None, [inputs f32], [outputs f64]).

HDR = 'weights "weights.safetensors" pytorch\n'


@case
def conv_nhwc_same(W, X):
    dl = """model conv_nhwc_same
input x: f32[1, 9, 10, 3]
%s
a = conv2d(8, 3, stride=2, padding=same, activation=relu)
b = conv2d(6, [2, 3], stride=[1, 2], padding=same)
c = conv2d(4, 4, padding=same, activation=tanh)
""" % HDR
    x = X(1, 9, 10, 3)
    a = torch.relu(conv(x, W.conv("a", 8, 3, 3, 3), "nhwc", 2, "same"))
    b = conv(a, W.conv("b", 6, 8, 2, 3), "nhwc", (1, 2), "same")
    c = torch.tanh(conv(b, W.conv("c", 4, 6, 4, 4), "nhwc", 1, "same"))
    return dl, [x], [c]


@case
def conv_nchw_explicit(W, X):
    dl = """model conv_nchw_explicit
input x: f32[1, 3, 10, 11] nchw
weights "weights.safetensors"          # pytorch is the default convention
conv2d(6, 3, padding=1, activation=relu)
conv2d(6, [3, 5], padding=[1, 2])
conv2d(5, 3, stride=2, padding=[0, 1, 2, 1], activation=sigmoid)
conv2d(4, [1, 3], stride=[2, 1], padding=valid)
"""
    x = X(1, 3, 10, 11)
    y = torch.relu(conv(x, W.conv("conv2d_1", 6, 3, 3, 3), "nchw", 1, 1))
    y = conv(y, W.conv("conv2d_2", 6, 6, 3, 5), "nchw", 1, [1, 2])
    y = torch.sigmoid(conv(y, W.conv("conv2d_3", 5, 6, 3, 3), "nchw", 2, [0, 1, 2, 1]))
    y = conv(y, W.conv("conv2d_4", 4, 5, 1, 3), "nchw", (2, 1), "valid")
    return dl, [x], [y]


@case
def conv_same_nchw(W, X):
    dl = """model conv_same_nchw
input x: f32[1, 2, 8, 7] nchw
%s
c1 = conv2d(4, 3, stride=2, padding=same, activation=relu)
c2 = conv2d(3, 2, padding=same)
c3 = conv2d(2, [1, 3], stride=[1, 3], padding=same)
""" % HDR
    x = X(1, 2, 8, 7)
    y = torch.relu(conv(x, W.conv("c1", 4, 2, 3, 3), "nchw", 2, "same"))
    y = conv(y, W.conv("c2", 3, 4, 2, 2), "nchw", 1, "same")
    y = conv(y, W.conv("c3", 2, 3, 1, 3), "nchw", (1, 3), "same")
    return dl, [x], [y]


@case
def conv_dilation_nchw(W, X):
    dl = """model conv_dilation_nchw
input x: f32[1, 4, 12, 12] nchw
%s
d1 = conv2d(6, 3, dilation=2, padding=same, activation=relu)
d2 = conv2d(5, 3, stride=2, dilation=[2, 1], padding=same)
d3 = conv2d(3, [3, 2], dilation=[1, 3], padding=1)
""" % HDR
    x = X(1, 4, 12, 12)
    y = torch.relu(conv(x, W.conv("d1", 6, 4, 3, 3), "nchw", 1, "same", 2))
    y = conv(y, W.conv("d2", 5, 6, 3, 3), "nchw", 2, "same", (2, 1))
    y = conv(y, W.conv("d3", 3, 5, 3, 2), "nchw", 1, 1, (1, 3))
    return dl, [x], [y]


@case
def conv_dilation_nhwc(W, X):
    dl = """model conv_dilation_nhwc
input x: f32[1, 11, 9, 2]
%s
d1 = conv2d(4, 3, dilation=3, padding=valid)
d2 = conv2d(4, 2, dilation=2, padding=same, activation=relu)
""" % HDR
    x = X(1, 11, 9, 2)
    y = conv(x, W.conv("d1", 4, 2, 3, 3), "nhwc", 1, "valid", 3)
    y = torch.relu(conv(y, W.conv("d2", 4, 4, 2, 2), "nhwc", 1, "same", 2))
    return dl, [x], [y]


@case
def conv_groups_nchw(W, X):
    dl = """model conv_groups_nchw
input x: f32[1, 8, 7, 7] nchw
%s
g1 = conv2d(12, 3, groups=4, padding=1, activation=relu)
g2 = conv2d(6, 1, groups=2, bias=false)
g3 = conv2d(6, 3, stride=2, groups=3, padding=same)
""" % HDR
    x = X(1, 8, 7, 7)
    y = torch.relu(conv(x, W.conv("g1", 12, 2, 3, 3), "nchw", 1, 1, 1, 4))
    y = conv(y, W.conv("g2", 6, 6, 1, 1, bias=False), "nchw", 1, "valid", 1, 2)
    y = conv(y, W.conv("g3", 6, 2, 3, 3), "nchw", 2, "same", 1, 3)
    return dl, [x], [y]


@case
def conv_groups_nhwc(W, X):
    dl = """model conv_groups_nhwc
input x: f32[1, 6, 5, 6]
%s
g1 = conv2d(9, [2, 3], groups=3, padding=[1, 1])
g2 = conv2d(3, 1, groups=3, activation=sigmoid)
""" % HDR
    x = X(1, 6, 5, 6)
    y = conv(x, W.conv("g1", 9, 2, 2, 3), "nhwc", 1, [1, 1], 1, 3)
    y = torch.sigmoid(conv(y, W.conv("g2", 3, 3, 1, 1), "nhwc", 1, "valid", 1, 3))
    return dl, [x], [y]


@case
def conv_depthwise_nhwc(W, X):
    dl = """model conv_depthwise_nhwc
input x: f32[1, 8, 8, 6]
%s
dw1 = conv2d(6, 3, groups=6, padding=same, bias=false)
relu()
dw2 = conv2d(12, 3, stride=2, groups=6, padding=same)   # channel multiplier 2
pw = conv2d(5, 1, activation=relu)
""" % HDR
    x = X(1, 8, 8, 6)
    y = torch.relu(conv(x, W.conv("dw1", 6, 1, 3, 3, bias=False), "nhwc", 1, "same", 1, 6))
    y = conv(y, W.conv("dw2", 12, 1, 3, 3), "nhwc", 2, "same", 1, 6)
    y = torch.relu(conv(y, W.conv("pw", 5, 12, 1, 1), "nhwc"))
    return dl, [x], [y]


@case
def conv_depthwise_nchw(W, X):
    dl = """model conv_depthwise_nchw
input x: f32[1, 5, 9, 9] nchw
%s
dw = conv2d(5, 5, stride=2, groups=5, padding=2, activation=relu)
pw = conv2d(7, 1, bias=false)
""" % HDR
    x = X(1, 5, 9, 9)
    y = torch.relu(conv(x, W.conv("dw", 5, 1, 5, 5), "nchw", 2, 2, 1, 5))
    y = conv(y, W.conv("pw", 7, 5, 1, 1, bias=False), "nchw")
    return dl, [x], [y]


def grouped_convs(W, x, layout, name):
    """Grouped convolutions of every kind the tiled kernel takes: 2 and 3
    groups (3x3, stride 1 and 2, relu fused), a grouped 1x1 GEMM, dilation
    with asymmetric pads at group width 2, a strided grouped 1x1, and a
    channel multiplier of 2 (one input channel per group)."""
    shape = "[2, 32, 9, 11] nchw" if layout == "nchw" else "[2, 9, 11, 32]"
    dl = """model %s
input x: f32%s
%s
a = conv2d(48, 3, padding=same, groups=2)(x)
b = conv2d(48, 3, stride=2, padding=1, groups=3, activation=relu)(a)
c = conv2d(32, 1, groups=4)(b)
d = conv2d(32, [3, 2], padding=[1, 0, 2, 1], dilation=[2, 1], groups=16)(c)
e = conv2d(40, 1, stride=2, groups=8)(d)
f = conv2d(64, 3, groups=32)(d)
output e, f
""" % (name, shape, HDR)
    a = conv(x, W.conv("a", 48, 16, 3, 3), layout, 1, "same", 1, 2)
    b = torch.relu(conv(a, W.conv("b", 48, 16, 3, 3), layout, 2, 1, 1, 3))
    c = conv(b, W.conv("c", 32, 12, 1, 1), layout, 1, "valid", 1, 4)
    d = conv(c, W.conv("d", 32, 2, 3, 2), layout, 1, [1, 0, 2, 1], (2, 1), 16)
    e = conv(d, W.conv("e", 40, 4, 1, 1), layout, 2, "valid", 1, 8)
    f = conv(d, W.conv("f", 64, 1, 3, 3), layout, 1, "valid", 1, 32)
    return dl, [x], [e, f]


@case
def conv_grouped_nhwc(W, X):
    return grouped_convs(W, X(2, 9, 11, 32), "nhwc", "conv_grouped_nhwc")


@case
def conv_grouped_nchw(W, X):
    return grouped_convs(W, X(2, 32, 9, 11), "nchw", "conv_grouped_nchw")


@case
def conv_nobias_batch2(W, X):
    dl = """model conv_nobias_batch2
input x: f32[2, 3, 6, 6] nchw
%s
conv2d(4, 3, bias=false)
conv2d(2, 3, padding=same, bias=false, activation=sigmoid)
""" % HDR
    x = X(2, 3, 6, 6)
    y = conv(x, W.conv("conv2d_1", 4, 3, 3, 3, bias=False), "nchw")
    y = torch.sigmoid(conv(y, W.conv("conv2d_2", 2, 4, 3, 3, bias=False), "nchw", 1, "same"))
    return dl, [x], [y]


@case
def keras_convention(W, X):
    """Keras names and layouts: conv kernel [KH, KW, I/groups, O], dense
    kernel [in, out], batchnorm gamma/beta/moving_*; NHWC throughout."""
    dl = """model keras_convention
input x: f32[1, 10, 10, 4]
weights "weights.safetensors" keras
conv2d(8, 3, stride=2, padding=same, activation=relu)
batchnorm(epsilon=1e-3)
conv2d(6, [3, 2], groups=2, padding=valid)
flatten()
dense(7, activation=tanh)
dense(3, activation=softmax)
"""
    x = X(1, 10, 10, 4)
    c1 = W.conv("c1", 8, 4, 3, 3)
    bn = W.batchnorm("bn", 8, tracked=False)
    c2 = W.conv("c2", 6, 4, 3, 2)
    d1 = W.dense("d1", 7, 3 * 4 * 6)
    d2 = W.dense("d2", 3, 7)
    t = W.tensors
    W.tensors = {
        "conv2d_1.kernel": t["c1.weight"].permute(2, 3, 1, 0), "conv2d_1.bias": t["c1.bias"],
        "batchnorm_1.gamma": t["bn.weight"], "batchnorm_1.beta": t["bn.bias"],
        "batchnorm_1.moving_mean": t["bn.running_mean"],
        "batchnorm_1.moving_variance": t["bn.running_var"],
        "conv2d_2.kernel": t["c2.weight"].permute(2, 3, 1, 0), "conv2d_2.bias": t["c2.bias"],
        "dense_1.kernel": t["d1.weight"].t(), "dense_1.bias": t["d1.bias"],
        "dense_2.kernel": t["d2.weight"].t(), "dense_2.bias": t["d2.bias"],
    }
    y = torch.relu(conv(x, c1, "nhwc", 2, "same"))
    y = batchnorm(y, bn, "nhwc", f32(1e-3))
    y = conv(y, c2, "nhwc", 1, "valid", 1, 2)
    y = torch.tanh(dense(flatten(y), d1))
    y = torch.softmax(dense(y, d2), -1)
    return dl, [x], [y]


@case
def pool_nchw_explicit(W, X):
    dl = """model pool_nchw_explicit
input x: f32[1, 3, 9, 8] nchw
m1 = maxpool2d(3, stride=2, padding=1)(x)
a1 = avgpool2d(3, stride=2, padding=1, count_include_pad=true)(x)
a2 = avgpool2d(3, stride=2, padding=1)(x)
m2 = maxpool2d(2)(x)
a3 = avgpool2d([2, 3], stride=[1, 2], padding=[0, 1, 1, 0], count_include_pad=false)(x)
m3 = maxpool2d([3, 2], stride=1, padding=[1, 0, 1, 1])(x)
output m1, a1, a2, m2, a3, m3
"""
    x = X(1, 3, 9, 8, shift=-1.5)   # mostly negative: zero padding would win a max
    return dl, [x], [
        pool("max", x, "nchw", 3, 2, 1),
        pool("avg", x, "nchw", 3, 2, 1, True),
        pool("avg", x, "nchw", 3, 2, 1, False),
        pool("max", x, "nchw", 2),
        pool("avg", x, "nchw", (2, 3), (1, 2), [0, 1, 1, 0], False),
        pool("max", x, "nchw", (3, 2), 1, [1, 0, 1, 1]),
    ]


@case
def pool_nhwc_same(W, X):
    dl = """model pool_nhwc_same
input x: f32[1, 7, 10, 4]
m = maxpool2d(3, stride=2, padding=same)(x)
a = avgpool2d(3, stride=2, padding=same)(x)
ai = avgpool2d(2, stride=3, padding=same, count_include_pad=true)(x)
mv = maxpool2d([3, 2], stride=[2, 2])(x)
output m, a, ai, mv
"""
    x = X(1, 7, 10, 4, shift=-1.5)
    return dl, [x], [
        pool("max", x, "nhwc", 3, 2, "same"),
        pool("avg", x, "nhwc", 3, 2, "same", False),
        pool("avg", x, "nhwc", 2, 3, "same", True),
        pool("max", x, "nhwc", (3, 2), (2, 2)),
    ]


def pool_ceil(kind, x, layout, kernel, stride, padding=0, count_include_pad=False):
    """A ceil_mode pool, computed by PyTorch itself (symmetric pads only)."""
    xn = to_nchw(x, layout)
    if kind == "max":
        y = F.max_pool2d(xn, kernel, stride, padding, ceil_mode=True)
    else:
        y = F.avg_pool2d(xn, kernel, stride, padding, ceil_mode=True,
                         count_include_pad=count_include_pad)
    return from_nchw(y, layout)


CEIL_POOLS = """m1 = maxpool2d(3, stride=2, ceil_mode=true)(x)
m2 = maxpool2d([1, 2], stride=2, ceil_mode=true)(x)
m3 = maxpool2d(3, stride=2, padding=1, ceil_mode=true)(x)
a1 = avgpool2d(3, stride=2, padding=1, count_include_pad=true, ceil_mode=true)(x)
a2 = avgpool2d(3, stride=2, padding=1, ceil_mode=true)(x)
a3 = avgpool2d([2, 3], stride=[3, 2], padding=[1, 1], count_include_pad=true, ceil_mode=true)(x)
a4 = avgpool2d(2, stride=3, ceil_mode=true)(x)
output m1, m2, m3, a1, a2, a3, a4
"""


def ceil_pools(x, layout):
    """CEIL_POOLS in PyTorch: m2's last row window would start past the
    input (10 high, kernel 1, stride 2) and is dropped; m3, a1, a2 end in a
    window that hangs past the bottom pad, which count_include_pad does not
    count."""
    return [
        pool_ceil("max", x, layout, 3, 2),
        pool_ceil("max", x, layout, (1, 2), 2),
        pool_ceil("max", x, layout, 3, 2, 1),
        pool_ceil("avg", x, layout, 3, 2, 1, True),
        pool_ceil("avg", x, layout, 3, 2, 1, False),
        pool_ceil("avg", x, layout, (2, 3), (3, 2), 1, True),
        pool_ceil("avg", x, layout, 2, 3, 0, False),
    ]


@case
def pool_ceil_nchw(W, X):
    dl = "model pool_ceil_nchw\ninput x: f32[2, 3, 10, 8] nchw\n" + CEIL_POOLS
    x = X(2, 3, 10, 8, shift=-1.5)
    return dl, [x], ceil_pools(x, "nchw")


@case
def pool_ceil_nhwc(W, X):
    dl = "model pool_ceil_nhwc\ninput x: f32[1, 10, 8, 11]\n" + CEIL_POOLS
    x = X(1, 10, 8, 11, shift=-1.5)
    return dl, [x], ceil_pools(x, "nhwc")


def se_block(W, x, layout, name):
    """An EfficientNet/MobileNetV3-style block written with primitive
    layers: x * sigmoid(x) as sigmoid + mul (fuse-gate makes it silu, fused
    into the conv), a depthwise 5x5 stride 2, silu, squeeze-and-excitation
    (global pool, reshape to C x 1 x 1, 1x1 convs, sigmoid, broadcast mul),
    a grouped conv (groups=4) and hard_swish as hard_sigmoid + mul."""
    gate_shape = "[16, 1, 1]" if layout == "nchw" else "[1, 1, 16]"
    shape = "[1, 3, 12, 12] nchw" if layout == "nchw" else "[1, 12, 12, 3]"
    dl = """model %s
input x: f32%s
%s
c1 = conv2d(16, 3, stride=2, padding=1)(x)
s1 = sigmoid()(c1)
m1 = mul()(c1, s1)
dw = conv2d(16, 5, stride=2, padding=2, groups=16)(m1)
d1 = silu()(dw)
gp = global_avgpool()(d1)
r = reshape(%s)(gp)
f1 = conv2d(4, 1)(r)
f1s = silu()(f1)
f2 = conv2d(16, 1)(f1s)
g = sigmoid()(f2)
se = mul()(d1, g)
gc = conv2d(24, 3, padding=1, groups=4)(se)
h = hard_sigmoid(alpha=0.16666667, beta=0.5)(gc)
hs = mul()(gc, h)
output hs
""" % (name, shape, HDR, gate_shape)
    y = conv(x, W.conv("c1", 16, 3, 3, 3), layout, 2, 1)
    y = F.silu(y)
    y = F.silu(conv(y, W.conv("dw", 16, 1, 5, 5), layout, 2, 2, 1, 16))
    axes = (2, 3) if layout == "nchw" else (1, 2)
    e = y.mean(dim=axes, keepdim=True)
    e = F.silu(conv(e, W.conv("f1", 4, 16, 1, 1), layout))
    e = torch.sigmoid(conv(e, W.conv("f2", 16, 4, 1, 1), layout))
    y = conv(y * e, W.conv("gc", 24, 4, 3, 3), layout, 1, 1, 1, 4)
    y = y * torch.clamp(y * f32(1 / 6) + 0.5, 0, 1)
    return dl, [x], [y]


@case
def se_silu_nchw(W, X):
    return se_block(W, X(1, 3, 12, 12), "nchw", "se_silu_nchw")


@case
def se_silu_nhwc(W, X):
    return se_block(W, X(1, 12, 12, 3), "nhwc", "se_silu_nhwc")


@case
def global_avgpool_nhwc(W, X):
    dl = """model global_avgpool_nhwc
input x: f32[1, 5, 6, 8]
%s
conv = conv2d(8, 3, padding=same, activation=relu)
global_avgpool()
fc = dense(4)
""" % HDR
    x = X(1, 5, 6, 8)
    y = torch.relu(conv(x, W.conv("conv", 8, 8, 3, 3), "nhwc", 1, "same"))
    y = dense(y.mean(dim=(1, 2)), W.dense("fc", 4, 8))
    return dl, [x], [y]


@case
def global_avgpool_nchw(W, X):
    dl = """model global_avgpool_nchw
input x: f32[2, 6, 5, 7] nchw
%s
g = global_avgpool()
fc = dense(3, activation=softmax)
output g, fc
""" % HDR
    x = X(2, 6, 5, 7)
    g = x.mean(dim=(2, 3))
    return dl, [x], [g, torch.softmax(dense(g, W.dense("fc", 3, 6)), -1)]


@case
def dense_chain(W, X):
    dl = """model dense_chain
input x: f32[3, 20]
%s
dense(16, activation=sigmoid)
dense(12, activation=tanh)
dense(10, activation=relu, bias=false)
dense(5, activation=softmax)
""" % HDR
    x = X(3, 20)
    y = torch.sigmoid(dense(x, W.dense("dense_1", 16, 20)))
    y = torch.tanh(dense(y, W.dense("dense_2", 12, 16)))
    y = torch.relu(dense(y, W.dense("dense_3", 10, 12, bias=False)))
    y = torch.softmax(dense(y, W.dense("dense_4", 5, 10)), -1)
    return dl, [x], [y]


@case
def activations(W, X):
    dl = """model activations
input x: f32[2, 12]
%s
h = dense(12)(x)
r = relu()(h)
s = sigmoid()(h)
t = tanh()(h)
p = softmax()(h)
q = softmax(axis=1)(r)
output r, s, t, p, q
""" % HDR
    x = X(2, 12, scale=3.0)
    h = dense(x, W.dense("h", 12, 12))
    r = torch.relu(h)
    return dl, [x], [r, torch.sigmoid(h), torch.tanh(h), torch.softmax(h, 1), torch.softmax(r, 1)]


@case
def softmax_channels_nchw(W, X):
    dl = """model softmax_channels_nchw
input x: f32[1, 5, 3, 4] nchw
%s
conv2d(6, 1)
softmax(axis=1)
""" % HDR
    x = X(1, 5, 3, 4)
    y = torch.softmax(conv(x, W.conv("conv2d_1", 6, 5, 1, 1), "nchw"), 1)
    return dl, [x], [y]


@case
def batchnorm_rank2(W, X):
    dl = """model batchnorm_rank2
input x: f32[4, 10]
%s
fc = dense(10)
bn = batchnorm()
relu()
""" % HDR
    x = X(4, 10)
    y = torch.relu(batchnorm(dense(x, W.dense("fc", 10, 10)), W.batchnorm("bn", 10), None))
    return dl, [x], [y]


@case
def batchnorm_nchw(W, X):
    dl = """model batchnorm_nchw
input x: f32[1, 6, 5, 5] nchw
%s
bn = batchnorm()
""" % HDR
    x = X(1, 6, 5, 5)
    return dl, [x], [batchnorm(x, W.batchnorm("bn", 6), "nchw")]


@case
def batchnorm_nhwc(W, X):
    dl = """model batchnorm_nhwc
input x: f32[2, 4, 3, 5]
%s
norm = batchnorm(epsilon=0.01)
""" % HDR
    x = X(2, 4, 3, 5)
    return dl, [x], [batchnorm(x, W.batchnorm("norm", 5, tracked=False), "nhwc", f32(0.01))]


@case
def conv_batchnorm_nhwc(W, X):
    dl = """model conv_batchnorm_nhwc
input x: f32[1, 8, 8, 3]
%s
conv1 = conv2d(8, 3, padding=same, bias=false)
bn1 = batchnorm(epsilon=1e-3)
relu()
conv2 = conv2d(4, 3, stride=2, padding=same)
bn2 = batchnorm()
""" % HDR
    x = X(1, 8, 8, 3)
    y = conv(x, W.conv("conv1", 8, 3, 3, 3, bias=False), "nhwc", 1, "same")
    y = torch.relu(batchnorm(y, W.batchnorm("bn1", 8), "nhwc", f32(1e-3)))
    y = conv(y, W.conv("conv2", 4, 8, 3, 3), "nhwc", 2, "same")
    y = batchnorm(y, W.batchnorm("bn2", 4), "nhwc")
    return dl, [x], [y]


@case
def conv_batchnorm_nchw(W, X):
    dl = """model conv_batchnorm_nchw
input x: f32[1, 3, 7, 7] nchw
%s
conv = conv2d(6, 3, stride=2, padding=1, bias=false)
bn = batchnorm()
relu()
""" % HDR
    x = X(1, 3, 7, 7)
    y = conv(x, W.conv("conv", 6, 3, 3, 3, bias=False), "nchw", 2, 1)
    y = torch.relu(batchnorm(y, W.batchnorm("bn", 6), "nchw"))
    return dl, [x], [y]


@case
def add3(W, X):
    dl = """model add3
input a: f32[1, 4, 4, 3]
input b: f32[1, 4, 4, 3]
input c: f32[1, 4, 4, 3]
s = add()(a, b, c)
relu()
"""
    a, b, c = X(1, 4, 4, 3), X(1, 4, 4, 3), X(1, 4, 4, 3)
    return dl, [a, b, c], [torch.relu(a + b + c)]


@case
def concat_inception_nchw(W, X):
    dl = """model concat_inception_nchw
input x: f32[1, 4, 8, 8] nchw
%s
b1 = conv2d(4, 1, activation=relu)(x)
b2r = conv2d(3, 1, activation=relu)(x)
b2 = conv2d(5, 3, padding=1, activation=relu)(b2r)
b3r = conv2d(2, 1)(x)
b3 = conv2d(3, 5, padding=same, activation=relu)(b3r)
b4p = maxpool2d(3, stride=1, padding=1)(x)
b4 = conv2d(2, 1, activation=relu)(b4p)
cat = concat()(b1, b2, b3, b4)
mix = conv2d(4, 1)
""" % HDR
    x = X(1, 4, 8, 8)
    b1 = torch.relu(conv(x, W.conv("b1", 4, 4, 1, 1), "nchw"))
    b2 = torch.relu(conv(x, W.conv("b2r", 3, 4, 1, 1), "nchw"))
    b2 = torch.relu(conv(b2, W.conv("b2", 5, 3, 3, 3), "nchw", 1, 1))
    b3 = conv(x, W.conv("b3r", 2, 4, 1, 1), "nchw")
    b3 = torch.relu(conv(b3, W.conv("b3", 3, 2, 5, 5), "nchw", 1, "same"))
    b4 = pool("max", x, "nchw", 3, 1, 1)
    b4 = torch.relu(conv(b4, W.conv("b4", 2, 4, 1, 1), "nchw"))
    cat = torch.cat([b1, b2, b3, b4], 1)
    return dl, [x], [conv(cat, W.conv("mix", 4, 14, 1, 1), "nchw")]


@case
def concat_axes(W, X):
    dl = """model concat_axes
input a: f32[1, 3, 3, 2]
input b: f32[1, 3, 3, 5]
%s
c = concat(axis=-1)(a, b)
h = concat(axis=1)(a, a)
f = flatten()(c)
d1 = dense(4)(f)
d2 = dense(3)(f)
v = concat()(d1, d2, d1)
output v, h
""" % HDR
    a, b = X(1, 3, 3, 2), X(1, 3, 3, 5)
    f = flatten(torch.cat([a, b], -1))
    d1 = dense(f, W.dense("d1", 4, 63))
    d2 = dense(f, W.dense("d2", 3, 63))
    return dl, [a, b], [torch.cat([d1, d2, d1], 1), torch.cat([a, a], 1)]


@case
def preprocess_nhwc(W, X):
    dl = """model preprocess_nhwc
input image: f32[1, 6, 6, 3]
%s
rescale(scale=1/255)
normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
conv2d(4, 3)
""" % HDR
    x = torch.randint(0, 256, (1, 6, 6, 3), generator=W.gen).float()
    mean = torch.tensor([f32(v) for v in (0.485, 0.456, 0.406)], dtype=torch.float64)
    std = torch.tensor([f32(v) for v in (0.229, 0.224, 0.225)], dtype=torch.float64)
    y = (x.double() * f32(1 / 255) - mean) / std
    return dl, [x], [conv(y, W.conv("conv2d_1", 4, 3, 3, 3), "nhwc")]


@case
def preprocess_nchw(W, X):
    dl = """model preprocess_nchw
input x: f32[1, 3, 4, 5] nchw
normalize(mean=[0.5, -1, 2], std=[0.5, 2, 0.25])
rescale(scale=2, offset=-0.25)
normalize(mean=0.1, std=3)
"""
    x = X(1, 3, 4, 5)
    mean = torch.tensor([0.5, -1, 2], dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor([0.5, 2, 0.25], dtype=torch.float64).view(1, 3, 1, 1)
    y = (x - mean) / std * 2 - 0.25
    return dl, [x], [(y - f32(0.1)) / 3]


@case
def flatten_nchw_dense(W, X):
    dl = """model flatten_nchw_dense
input x: f32[1, 3, 6, 6] nchw
%s
conv2d(4, 3, activation=relu)
flatten()                        # c, h, w order, as torch.flatten
dense(10)
""" % HDR
    x = X(1, 3, 6, 6)
    y = torch.relu(conv(x, W.conv("conv2d_1", 4, 3, 3, 3), "nchw"))
    return dl, [x], [dense(torch.flatten(y, 1), W.dense("dense_1", 10, 64))]


@case
def reshape(W, X):
    dl = """model reshape
input x: f32[1, 32]
%s
reshape([4, 4, 2])               # to NHWC
conv2d(3, 2, activation=relu)
reshape([-1])
dense(5)
reshape([5, 1, 1])
""" % HDR
    x = X(1, 32)
    y = torch.relu(conv(x.reshape(1, 4, 4, 2), W.conv("conv2d_1", 3, 2, 2, 2), "nhwc"))
    y = dense(y.reshape(1, -1), W.dense("dense_1", 5, 27))
    return dl, [x], [y.reshape(1, 5, 1, 1)]


@case
def dropout(W, X):
    dl = """model dropout
input x: f32[2, 8]
%s
dense(16, activation=relu)
dropout(0.3)
dropout(rate=0)
dense(4)
""" % HDR
    x = X(2, 8)
    y = torch.relu(dense(x, W.dense("dense_1", 16, 8)))
    y = F.dropout(y, 0.3, training=False)
    return dl, [x], [dense(y, W.dense("dense_2", 4, 16))]


@case
def two_in_two_out(W, X):
    dl = """model two_in_two_out
input a: f32[1, 8]
input b: f32[1, 6]
%s
ha = dense(8, activation=relu)(a)
hb = dense(8)(b)
s = add()(ha, hb)
p = dense(3, activation=softmax)(s)
q = dense(2)(hb)
output q, p
""" % HDR
    a, b = X(1, 8), X(1, 6)
    ha = torch.relu(dense(a, W.dense("ha", 8, 8)))
    hb = dense(b, W.dense("hb", 8, 6))
    p = torch.softmax(dense(ha + hb, W.dense("p", 3, 8)), -1)
    q = dense(hb, W.dense("q", 2, 8))
    return dl, [a, b], [q, p]


def zeropad(x, layout, pads):
    """zeropad2d: pads = (top, left, bottom, right)."""
    return from_nchw(dlcref.pad_nchw(to_nchw(x, layout), pads), layout)


@case
def zeropad_conv(W, X):
    dl = """model zeropad_conv
input x: f32[1, 3, 7, 8] nchw
%s
z1 = zeropad2d([1, 2, 0, 1])
c1 = conv2d(4, 3, padding=[0, 1, 1, 0], activation=relu)
z2 = zeropad2d(1)
a = avgpool2d(3, stride=2, count_include_pad=true)
z3 = zeropad2d([1, 0])
m = maxpool2d(2)
""" % HDR
    x = X(1, 3, 7, 8)
    y = zeropad(x, "nchw", (1, 2, 0, 1))
    y = torch.relu(conv(y, W.conv("c1", 4, 3, 3, 3), "nchw", 1, [0, 1, 1, 0]))
    y = pool("avg", zeropad(y, "nchw", (1, 1, 1, 1)), "nchw", 3, 2, "valid", True)
    y = pool("max", zeropad(y, "nchw", (1, 0, 1, 0)), "nchw", 2)
    return dl, [x], [y]


@case
def relu6_clip(W, X):
    dl = """model relu6_clip
input x: f32[2, 5, 5, 3]
%s
c = conv2d(6, 3, padding=same)
relu6()
d = conv2d(4, 1)
clip(-0.5, 0.75)
rescale(scale=2)
clip(min=0, max=1)
flatten()
fc = dense(8)
relu6()
fc2 = dense(3)
clip(-1, 1)
tanh()
""" % HDR
    x = X(2, 5, 5, 3, scale=4.0)
    y = torch.clamp(conv(x, W.conv("c", 6, 3, 3, 3), "nhwc", 1, "same"), 0, 6)
    y = torch.clamp(conv(y, W.conv("d", 4, 6, 1, 1), "nhwc"), -0.5, 0.75)
    y = torch.clamp(y * 2, 0, 1)
    y = torch.clamp(dense(flatten(y), W.dense("fc", 8, 100)), 0, 6)
    y = torch.tanh(torch.clamp(dense(y, W.dense("fc2", 3, 8)), -1, 1))
    return dl, [x], [y]


# ---- tensor ops (issue 6): constants, broadcasting, matmul, eltwise steps,
# reduce_mean, slice, pad, transpose, broadcast, gather ----

@case
def tensor_binary_nchw(W, X):
    """Constants as operands and NumPy broadcasting after an NCHW conv, so
    -O2's NHWC layout must hand these ops the declared NCHW form."""
    dl = """model tensor_binary_nchw
input x: f32[1, 3, 5, 6] nchw
%s
conv = conv2d(4, 3, padding=1)
scale = constant(f32[1, 4, 1, 1])
shift = constant(f32[4, 1, 1])
half = constant(f32[1], value=0.5)
row = constant(f32[6], params="row.weight")
m = mul()(conv, scale)
a = add()(m, shift)
s = sub()(a, half)
d = div()(s, row)
r = add()(d, row)
q = sub()(half, r)
e = mul()(q, conv)
output e, d
""" % HDR
    x = X(1, 3, 5, 6)
    conv_ = conv(x, W.conv("conv", 4, 3, 3, 3), "nchw", 1, 1)
    scale = W._keep("scale", W.uniform(1, 4, 1, 1, lo=0.5, hi=2.0))
    shift = W._keep("shift", W.randn(4, 1, 1))
    row = W._keep("row.weight", W.uniform(6, lo=0.5, hi=2.0))
    half = torch.tensor([0.5], dtype=torch.float64)
    d = ((conv_ * scale + shift) - half) / row
    q = half - (d + row)
    return dl, [x], [q * conv_, d]


@case
def tensor_binary_minmax_nchw(W, X):
    """pow, min, max and prelu after an NCHW conv (so -O2's NHWC layout
    hands them their operands), a per-channel PReLU slope as PyTorch
    exports it, and pow of a positive base to fractional exponents."""
    dl = """model tensor_binary_minmax_nchw
input x: f32[1, 3, 5, 6] nchw
input y: f32[4, 5, 6]
%s
conv = conv2d(4, 3, padding=1)(x)
slope = constant(f32[4, 1, 1])
expo = constant(f32[6], params="expo.weight")
p = prelu()(conv, slope)
lo = min()(conv, y)
hi = max()(y, p)
s = sigmoid()(x)
b = pow()(s, expo)
output p, lo, hi, b
""" % HDR
    x = X(1, 3, 5, 6)
    y = X(4, 5, 6)
    conv_ = conv(x, W.conv("conv", 4, 3, 3, 3), "nchw", 1, 1)
    slope = W._keep("slope", W.uniform(4, 1, 1, lo=-0.5, hi=0.5))
    expo = W._keep("expo.weight", W.uniform(6, lo=-2.0, hi=3.0))
    p = torch.where(conv_ < 0, conv_ * slope, conv_)
    return dl, [x, y], [p, torch.minimum(conv_, y), torch.maximum(y, p),
                        torch.pow(torch.sigmoid(x), expo)]


def conv_transposes(W, x, layout, name):
    """conv2d_transpose the ways U-Nets, GANs and decoders use it: 2x2
    stride 2, 3x3 stride 2 with padding 1 and output_padding 1 (and a
    ReLU), 4x4 stride 2 padding 1 grouped, dilated with asymmetric pads
    and strides, against F.conv_transpose2d."""
    dl = """model %s
input x: f32[%s] %s
%s
up = conv2d_transpose(6, 2, stride=2)(x)
odd = conv2d_transpose(5, 3, stride=2, padding=1, output_padding=1, activation=relu)(x)
grp = conv2d_transpose(4, 4, stride=2, padding=1, groups=2, bias=false)(x)
dil = conv2d_transpose(3, [3, 2], stride=[1, 3], padding=[1, 0, 2, 1], dilation=2)(x)
output up, odd, grp, dil
""" % (name, ", ".join(map(str, x.shape)), layout, HDR)
    xn = to_nchw(x, layout)
    cin = xn.shape[1]

    def wt(n, cout, kh, kw, groups=1, bias=True):
        w = W._keep(n + ".weight", W.randn(cin, cout // groups, kh, kw,
                                           scale=(cin * kh * kw / groups) ** -0.5))
        b = W._keep(n + ".bias", W.randn(cout, scale=0.2)) if bias else None
        return w, b

    w, b = wt("up", 6, 2, 2)
    up = F.conv_transpose2d(xn, w, b, stride=2)
    w, b = wt("odd", 5, 3, 3)
    odd = F.relu(F.conv_transpose2d(xn, w, b, stride=2, padding=1, output_padding=1))
    w, _ = wt("grp", 4, 4, 4, groups=2, bias=False)
    grp = F.conv_transpose2d(xn, w, None, stride=2, padding=1, groups=2)
    w, b = wt("dil", 3, 3, 2)
    full = F.conv_transpose2d(xn, w, b, stride=(1, 3), dilation=2)
    dil = full[:, :, 1:full.shape[2] - 2, 0:full.shape[3] - 1]
    return dl, [x], [from_nchw(t, layout) for t in (up, odd, grp, dil)]


@case
def conv_transpose_nchw(W, X):
    return conv_transposes(W, X(2, 4, 5, 6), "nchw", "conv_transpose_nchw")


@case
def conv_transpose_nhwc(W, X):
    return conv_transposes(W, X(1, 5, 6, 4), "nhwc", "conv_transpose_nhwc")


@case
def tensor_matmul(W, X):
    dl = """model tensor_matmul
input x: f32[2, 3, 5]
%s
w = constant(f32[5, 4])
wb = constant(f32[2, 5, 2])
v = constant(f32[5])
left = constant(f32[4, 1, 2, 3])
y = matmul()(x, w)
yb = matmul()(x, wb)
yv = matmul()(x, v)
yl = matmul()(left, y)
output y, yb, yv, yl
""" % HDR
    x = X(2, 3, 5)
    w = W._keep("w", W.randn(5, 4))
    wb = W._keep("wb", W.randn(2, 5, 2))
    v = W._keep("v", W.randn(5))
    left = W._keep("left", W.randn(4, 1, 2, 3))
    y = torch.matmul(x, w)
    return dl, [x], [y, torch.matmul(x, wb), torch.matmul(x, v), torch.matmul(left, y)]


def sdpa(q, k, v, heads, mask=None, causal=False, scale=None):
    """dlc's attention: q [B, Sq, E], k [B, Sk, E], v [B, Sk, Ev] split
    into heads, softmax(scale * q k^T + mask) v per head, heads merged."""
    sq, sk = q.shape[-2], k.shape[-2]
    def split(t):
        return t.reshape(*t.shape[:-1], heads, t.shape[-1] // heads).transpose(-2, -3)
    qh, kh, vh = split(q), split(k), split(v)
    if scale is None:
        scale = qh.shape[-1] ** -0.5
    s = scale * (qh @ kh.transpose(-1, -2))
    if mask is not None:
        s = s + mask
    if causal:
        s = s.masked_fill(torch.ones(sq, sk, dtype=torch.bool).triu(1), float("-inf"))
    y = torch.softmax(s, -1) @ vh
    y = y.transpose(-2, -3)
    return y.reshape(*y.shape[:-2], -1)


@case
def attention(W, X):
    """attention of dense projections: self-attention with 4 heads,
    causal with 2, cross-attention over a longer memory with a padding
    mask (-inf) and 3 value features per head (masked vector lanes), an
    additive [Sq, Sk] mask with its own scale, and a rank-2 input; the
    first result reshaped to rows with a new batch dimension."""
    dl = """model attention
input x: f32[2, 21, 16]
input m: f32[2, 37, 16]
input z: f32[5, 8]
%s
q = dense(16)(x)
k = dense(16)(x)
v = dense(16)(x)
a = attention(heads=4)(q, k, v)
c = attention(heads=2, causal=true)(q, k, v)
mk = dense(16)(m)
mv = dense(12)(m)
pad = constant(f32[2, 1, 1, 37])
cross = attention(4)(q, mk, mv, pad)
bias = constant(f32[21, 21])
biased = attention(heads=4, scale=0.5)(q, k, v, bias)
one = attention(heads=1)(z, z, z)
rows = reshape([16], batch=42)(a)
output a, c, cross, biased, one, rows
""" % HDR
    x, m, z = X(2, 21, 16), X(2, 37, 16), X(5, 8)
    pad = torch.zeros(2, 1, 1, 37, dtype=torch.float64)
    pad[0, :, :, 30:] = float("-inf")
    pad[1, :, :, 3:9] = float("-inf")
    W._keep("pad", pad)
    bias = W._keep("bias", W.randn(21, 21))
    q, k, v = (dense(x, W.dense(n, 16, 16)) for n in ("q", "k", "v"))
    mk, mv = dense(m, W.dense("mk", 16, 16)), dense(m, W.dense("mv", 12, 16))
    return dl, [x, m, z], [sdpa(q, k, v, 4), sdpa(q, k, v, 2, causal=True),
                           sdpa(q, mk, mv, 4, pad), sdpa(q, k, v, 4, bias, scale=0.5),
                           sdpa(z, z, z, 1), sdpa(q, k, v, 4).reshape(42, 16)]


@case
def tensor_eltwise(W, X):
    dl = """model tensor_eltwise
input x: f32[2, 7]
lr = leaky_relu(0.1)(x)
hs = hard_sigmoid(alpha=0.2, beta=0.5)(x)
hw = hard_swish()(x)
ab = abs()(x)
sq = sqrt()(ab)
lg = log()(ab)
ex = exp()(x)
ng = neg()(x)
ls = log_softmax()(x)
ls0 = log_softmax(axis=0)(x)
output lr, hs, hw, sq, lg, ex, ng, ls, ls0
"""
    x = X(2, 7, scale=4.0)
    a = x.abs()
    return dl, [x], [F.leaky_relu(x, 0.1), torch.clamp(x * f32(0.2) + 0.5, 0, 1),
                     F.hardswish(x), a.sqrt(), a.log(), x.exp(), -x,
                     F.log_softmax(x, -1), F.log_softmax(x, 0)]


@case
def eltwise_erf(W, X):
    """erf alone and in exact GELU, x * 0.5 * (1 + erf(x / sqrt(2))): the
    worked example of docs/ir.md "Adding an op"."""
    dl = """model eltwise_erf
input x: f32[3, 11]
e = erf()(x)
s = rescale(scale=0.70710678)(x)
es = erf()(s)
h = rescale(scale=0.5, offset=0.5)(es)
g = mul()(x, h)
output e, g
"""
    x = X(3, 11, scale=3.0)
    return dl, [x], [torch.erf(x), F.gelu(x)]


@case
def eltwise_reciprocal(W, X):
    """reciprocal alone (of values in (0.25, 1.25)) and in a chain after
    sqrt and an offset: 1 / sqrt(|x| + eps), as layer norm's InvStdDev."""
    dl = """model eltwise_reciprocal
input x: f32[3, 11]
s = sigmoid()(x)
p = rescale(scale=1, offset=0.25)(s)
r = reciprocal()(p)
a = abs()(x)
v = rescale(scale=1, offset=0.001)(a)
q = sqrt()(v)
iv = reciprocal()(q)
output r, iv
"""
    x = X(3, 11, scale=1.0)
    return dl, [x], [1.0 / (torch.sigmoid(x) + 0.25), 1.0 / torch.sqrt(x.abs() + 0.001)]


@case
def layer_norm(W, X):
    """layer_norm over the last axis of a time-distributed dense (a
    transformer's), over the last two axes with another epsilon, and over
    a conv's NCHW [C, H, W] (axis=1), against torch's F.layer_norm."""
    dl = """model layer_norm
input x: f32[2, 5, 12]
input y: f32[1, 3, 6, 7] nchw
%s
d = dense(12)(x)
ln = layer_norm()(d)
wide = layer_norm(axis=1, epsilon=0.001)(d)
c = conv2d(4, 3, padding=1)(y)
img = layer_norm(axis=1)(c)
output ln, wide, img
""" % HDR
    x = X(2, 5, 12)
    y = X(1, 3, 6, 7)
    w, b = W.dense("d", 12, 12)
    d = x @ w.t() + b
    g1, b1 = W.layer_norm("ln", (12,))
    g2, b2 = W.layer_norm("wide", (5, 12))
    c = conv(y, W.conv("c", 4, 3, 3, 3), "nchw", 1, 1)
    g3, b3 = W.layer_norm("img", (4, 6, 7))
    return dl, [x, y], [F.layer_norm(d, (12,), g1, b1, 1e-5),
                        F.layer_norm(d, (5, 12), g2, b2, 1e-3),
                        F.layer_norm(c, (4, 6, 7), g3, b3, 1e-5)]


@case
def eltwise_activations(W, X):
    """elu, selu, celu, softplus, softsign, mish and thresholded_relu with
    default and given parameters, on inputs up to +-24 (softplus's and
    mish's exp(x) overflows float past 88 but theirs must not)."""
    dl = """model eltwise_activations
input x: f32[4, 16]
e = elu()(x)
e2 = elu(alpha=0.5)(x)
s = selu()(x)
c = celu(alpha=2.0)(x)
p = softplus()(x)
g = softsign()(x)
m = mish()(x)
t = thresholded_relu(alpha=0.3)(x)
output e, e2, s, c, p, g, m, t
"""
    x = X(4, 16, scale=4.0)
    x[3, :4] = torch.tensor([24.0, -24.0, 0.0, 2.0 ** -10], dtype=x.dtype)
    return dl, [x], [F.elu(x), F.elu(x, 0.5), F.selu(x), F.celu(x, 2.0), F.softplus(x),
                     F.softsign(x), F.mish(x), torch.where(x > 0.3, x, torch.zeros_like(x))]


@case
def eltwise_math(W, X):
    """the libm functions (trigonometric, hyperbolic and their inverses on
    their domains), ceil, floor, round with ties to even, sign of +-0,
    and shrink with default and given numbers (Hardshrink, Softshrink)."""
    dl = """model eltwise_math
input x: f32[3, 16]
input u: f32[2, 8]
input v: f32[2, 8]
s = sin()(x)
c = cos()(x)
t = tan()(x)
at = atan()(x)
sh = sinh()(x)
ch = cosh()(x)
ash = asinh()(x)
as = asin()(u)
ac = acos()(u)
ath = atanh()(u)
ach = acosh()(v)
ce = ceil()(x)
fl = floor()(x)
r = round()(x)
sg = sign()(x)
hs = shrink()(x)
ss = shrink(lambd=1.5, bias=1.5)(x)
output s, c, t, at, sh, ch, ash, as, ac, ath, ach, ce, fl, r, sg, hs, ss
"""
    x = X(3, 16, scale=3.0)
    x[2, :8] = torch.tensor([2.5, -2.5, 0.5, -1.5, 0.0, -0.0, 1.5, 3.0], dtype=x.dtype)
    u = torch.tanh(X(2, 8, scale=1.0)) * 0.95
    u = u.float().double()
    v = 1.05 + X(2, 8, scale=1.0).abs() * 2
    v = v.float().double()

    def shrink(x, lambd, bias):
        return torch.where(x < -lambd, x + bias,
                           torch.where(x > lambd, x - bias, torch.zeros_like(x)))
    return dl, [x, u, v], [torch.sin(x), torch.cos(x), torch.tan(x), torch.atan(x),
                           torch.sinh(x), torch.cosh(x), torch.asinh(x), torch.asin(u),
                           torch.acos(u), torch.atanh(u), torch.acosh(v), torch.ceil(x),
                           torch.floor(x), torch.round(x), torch.sign(x), shrink(x, 0.5, 0),
                           shrink(x, 1.5, 1.5)]


@case
def eltwise_gelu(W, X):
    """gelu and gelu_tanh fused after a dense layer (a transformer's
    feed-forward) and alone, on inputs up to +-9, against F.gelu."""
    dl = """model eltwise_gelu
input x: f32[2, 5, 12]
%s
d = dense(16)(x)
g = gelu()(d)
t = gelu_tanh()(d)
ga = gelu()(x)
ta = gelu_tanh()(x)
output g, t, ga, ta
""" % HDR
    x = X(2, 5, 12, scale=3.0)
    x[1, 4, :4] = torch.tensor([9.0, -9.0, 0.0, -0.5], dtype=x.dtype)
    d = dense(x, W.dense("d", 16, 12))
    return dl, [x], [F.gelu(d), F.gelu(d, approximate="tanh"), F.gelu(x),
                     F.gelu(x, approximate="tanh")]


@case
def tensor_shape_ops_nchw(W, X):
    """reduce_mean, slice, pad, transpose, gather and broadcast around an
    NCHW conv (layout conversions at -O2)."""
    dl = """model tensor_shape_ops_nchw
input x: f32[1, 3, 6, 7] nchw
%s
c = conv2d(5, 3, padding=1)
gap = reduce_mean(axes=[2, 3])(c)
flat = reduce_mean(axes=[-1, 1], keepdims=false)(c)
tail = slice(axis=1, start=-3, end=100)(c)
odd = slice(axis=3, start=1, step=2)(tail)
back = slice(axis=2, start=-1, end=-100, step=-2)(odd)
p = pad(pads=[0, 1, 2, 0, 0, 0, 1, 3], value=-0.5)(c)
t = transpose([0, 2, 3, 1])(c)
g = gather(axis=1, indices=[4, 0, -1])(c)
b = broadcast(dims=[2, 1, 1, 1])(gap)
output gap, flat, back, p, t, g, b
""" % HDR
    x = X(1, 3, 6, 7)
    c = conv(x, W.conv("c", 5, 3, 3, 3), "nchw", 1, 1)
    gap = c.mean(dim=(2, 3), keepdim=True)
    flat = c.mean(dim=(1, 3))
    back = c[:, 2:, :, 1::2].flip(2)[:, :, ::2]
    p = F.pad(c, (0, 3, 2, 1, 1, 0), value=-0.5)
    t = c.permute(0, 2, 3, 1)
    g = c[:, [4, 0, 4]]
    b = gap.expand(2, 5, 1, 1)
    return dl, [x], [gap, flat, back, p, t, g, b]


@case
def tensor_reductions_nchw(W, X):
    """The reductions other than reduce_mean over an NCHW conv: every axis
    pattern (channels, spatial, batch, all but batch), keepdims both
    ways, negative axes, log_sum of a positive input."""
    dl = """model tensor_reductions_nchw
input x: f32[2, 3, 5, 6] nchw
%s
c = conv2d(4, 3, padding=1)
s = reduce_sum(axes=[1])(c)
mx = reduce_max(axes=[2, 3], keepdims=false)(c)
mn = reduce_min(axes=[-1])(c)
pr = reduce_prod(axes=[1], keepdims=false)(c)
l1 = reduce_l1(axes=[0, 2])(c)
l2 = reduce_l2(axes=[3])(c)
sq = reduce_sum_square(axes=[1, 2, 3])(c)
ls = reduce_log_sum(axes=[2])(l2)
lse = reduce_log_sum_exp(axes=[1, -1])(c)
output s, mx, mn, pr, l1, l2, sq, ls, lse
""" % HDR
    x = X(2, 3, 5, 6)
    c = conv(x, W.conv("c", 4, 3, 3, 3), "nchw", 1, 1)
    s = c.sum(dim=1, keepdim=True)
    mx = c.amax(dim=(2, 3))
    mn = c.amin(dim=-1, keepdim=True)
    pr = c.prod(dim=1)
    l1 = c.abs().sum(dim=(0, 2), keepdim=True)
    l2 = (c * c).sum(dim=3, keepdim=True).sqrt()
    sq = (c * c).sum(dim=(1, 2, 3), keepdim=True)
    ls = l2.sum(dim=2, keepdim=True).log()
    lse = torch.logsumexp(c, dim=(1, 3), keepdim=True)
    return dl, [x], [s, mx, mn, pr, l1, l2, sq, ls, lse]


# ---- writing ----

# ---- PyTorch modules exported to ONNX (the case runs model.onnx) ----
#
# A case returning ("@onnx", module, inputs, names) is exported by
# torch.onnx at opset 17 (float32) into model.onnx; the expected outputs
# are the module's in float64 on the same inputs.

class Encoder(torch.nn.Module):
    """nn.TransformerEncoder as users write it: a [B, S] id sequence (or a
    float one), token and learned positional embeddings, an optional
    causal mask, a mean-pooled classifier and the whole sequence out."""

    def __init__(self, d, heads, layers, ff, act, batch_first, causal, seq, vocab=50):
        super().__init__()
        self.batch_first = batch_first
        self.tok = torch.nn.Embedding(vocab, d)
        self.pos = torch.nn.Parameter(torch.randn(1, seq, d) * 0.3)
        layer = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation=act,
                                                 batch_first=batch_first)
        self.enc = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = torch.nn.Linear(d, 3)
        mask = torch.triu(torch.full((seq, seq), float("-inf")), 1) if causal else None
        self.register_buffer("mask", mask)

    def forward(self, ids):
        x = self.tok(ids) + self.pos
        if not self.batch_first:
            x = x.transpose(0, 1)
        y = self.enc(x, mask=self.mask)
        if not self.batch_first:
            y = y.transpose(0, 1)
        return self.head(y.mean(1)), y


class BertLayer(torch.nn.Module):
    """A BERT layer spelled out as Hugging Face does: heads as [B, H, S,
    dh] by view and permute, scores divided by sqrt(dh) after the matmul,
    the padding mask (an input: 1 keep, 0 pad) added as (1 - m) * -10000,
    erf GELU in the feed-forward."""

    def __init__(self, d, heads, ff):
        super().__init__()
        self.h = heads
        self.q, self.k, self.v, self.o = (torch.nn.Linear(d, d) for _ in range(4))
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.f1, self.f2 = torch.nn.Linear(d, ff), torch.nn.Linear(ff, d)

    def forward(self, x, keep):
        b, s, d = x.shape
        dh = d // self.h

        def split(t):
            return t.view(b, s, self.h, dh).permute(0, 2, 1, 3)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        sc = q @ k.transpose(-1, -2) / math.sqrt(dh)
        sc = sc + (1.0 - keep[:, None, None, :]) * -10000.0
        y = (sc.softmax(-1) @ v).permute(0, 2, 1, 3).reshape(b, s, d)
        x = self.ln1(x + self.o(y))
        return self.ln2(x + self.f2(F.gelu(self.f1(x))))


def ids(gen, *shape, vocab=50):
    return torch.randint(0, vocab, shape, generator=gen)


@case
def onnx_transformer(W, X):
    """Batch-first encoder, 2 layers, 4 heads, GELU, causal mask: the
    attention is fused from PyTorch's export (sequence-major heads)."""
    torch.manual_seed(11)
    m = Encoder(32, 4, 2, 64, "gelu", True, True, 12)
    return "@onnx", m, [ids(W.gen, 2, 12)], ["ids"]


@case
def onnx_transformer_seqfirst(W, X):
    """Sequence-first encoder (batch 3, relu, no mask): the fused
    attention's operands need a transpose from [S, B, E]."""
    torch.manual_seed(12)
    m = Encoder(24, 3, 1, 48, "relu", False, False, 10)
    return "@onnx", m, [ids(W.gen, 3, 10)], ["ids"]


@case
def onnx_bert_layer(W, X):
    """Hugging Face style heads [B, H, S, dh] and a padding mask input."""
    torch.manual_seed(13)
    m = BertLayer(32, 4, 64)
    keep = torch.ones(2, 9, dtype=torch.float64)
    keep[1, 6:] = 0
    return "@onnx", m, [X(2, 9, 32), keep], ["x", "keep"]


class PaddedEncoder(torch.nn.Module):
    """nn.TransformerEncoderLayer with a bool src_key_padding_mask input
    (True hides a token): the exporter writes the mask as Where(pad, -inf,
    0) added to the scores."""

    def __init__(self, d, heads, ff):
        super().__init__()
        self.layer = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0,
                                                      batch_first=True)

    def forward(self, x, pad):
        with torch.enable_grad():  # no fused fast path: it does not export
            return self.layer(x, src_key_padding_mask=pad)


@case
def onnx_encoder_padmask(W, X):
    """A PyTorch encoder layer with a boolean padding mask input."""
    torch.manual_seed(17)
    m = PaddedEncoder(32, 4, 64)
    pad = torch.zeros(2, 10, dtype=torch.bool)
    pad[1, 7:] = True
    return "@onnx", m, [X(2, 10, 32), pad], ["x", "pad"]


def export_case(name, m, inputs, names):
    d = os.path.join(TESTS, name)
    clean_case_dir(d)
    os.makedirs(d, exist_ok=True)
    m = m.eval()
    floats = [t.float() if t.is_floating_point() else t for t in inputs]
    with torch.no_grad():
        torch.onnx.export(m.float(), tuple(floats), os.path.join(d, "model.onnx"),
                          opset_version=17, input_names=names)
        outs = m.double()(*[t.double() if t.is_floating_point() else t for t in inputs])
    outs = outs if isinstance(outs, tuple) else (outs,)
    dlcref.write_text(os.path.join(d, "model.ref"), "model.onnx\n")
    for f, t in zip(numbered("input", len(inputs)), floats):
        dlcref.write_bin(os.path.join(d, f), t, np.float32 if t.is_floating_point()
                         else np.bool_ if t.dtype == torch.bool else np.int64)
    for f, t in zip(numbered("expected", len(outs)), outs):
        dlcref.write_bin(os.path.join(d, f), t.float())
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print("%-28s %8d bytes" % (name, size))


def numbered(prefix, n):
    return [prefix + ".bin"] if n == 1 else ["%s%d.bin" % (prefix, i) for i in range(n)]


def clean_case_dir(d):
    """Removes files a previous run wrote, so renamed outputs don't linger."""
    if not os.path.isdir(d):
        return
    for f in os.listdir(d):
        if f in ("model.dl", "model.ref", "model.onnx", "weights.safetensors", "tolerance") or \
                (f.endswith(".bin") and f.startswith(("input", "expected"))):
            os.remove(os.path.join(d, f))


def write_case(name, dl, weights, inputs, outputs, tolerance=None):
    d = os.path.join(TESTS, name)
    clean_case_dir(d)
    if dl.startswith("@ref "):  # run a model that lives elsewhere (an example)
        dlcref.write_text(os.path.join(d, "model.ref"), dl[5:] + "\n")
    else:
        dlcref.write_text(os.path.join(d, "model.dl"), dl)
    if weights is not None:
        dlcref.write_safetensors(os.path.join(d, "weights.safetensors"), weights,
                                 metadata={"format": "pt"})
    for f, t in zip(numbered("input", len(inputs)), inputs):
        dlcref.write_bin(os.path.join(d, f), t)
    for f, t in zip(numbered("expected", len(outputs)), outputs):
        dlcref.write_bin(os.path.join(d, f), t)
    if tolerance is not None:
        dlcref.write_text(os.path.join(d, "tolerance"), tolerance + "\n")
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print("%-28s %8d bytes" % (name, size))


def run_case(fn):
    gen = torch.Generator().manual_seed(zlib.crc32(fn.__name__.encode()))
    W = Weights(gen)

    def X(*shape, scale=1.0, shift=0.0):  # a float32 input, as float64
        return (torch.randn(*shape, generator=gen) * scale + shift).double()

    res = fn(W, X)
    if res[0] == "@onnx":
        export_case(fn.__name__, *res[1:])
        return
    dl, inputs, outputs = res
    for t in inputs:  # the reference must see exactly the stored inputs
        assert torch.equal(t.float().double(), t.double()), fn.__name__
    uses_weights = "weights " in dl
    write_case(fn.__name__, dl, W.tensors if uses_weights else None,
               [t.float() for t in inputs], [t.float() for t in outputs])


def main(only):
    """Writes every case, or only the cases named on the command line."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for fn in CASES:
        if not only or fn.__name__ in only:
            run_case(fn)
    if only:
        return
    for name, ex in ref_examples.build_all():
        write_case(name, ex["dl"], None, ex["inputs"], ex["outputs"], ex.get("tolerance"))


if __name__ == "__main__":
    if not os.path.isdir(TESTS):
        sys.exit("run from a dlc checkout: %s missing" % TESTS)
    main(sys.argv[1:])
