#!/usr/bin/python3
"""gen_typed.py - NumPy reference data for dlc's typed layers (integer
and bool tensors: div/mod/fmod/pow/min on i32, casts, comparisons, logic,
where, argmax/argmin, topk, gather_elements with clamped indices, cumsum, and
slice/pad/concat/gather/broadcast/transpose/reshape moving i32 and bool
elements).

Writes tests/models/typed_edges/ (model.dl, input0..2.bin, expected.bin)
tests/models/scalar_io/ (scalar inputs and outputs) and the attention
cases tests/models/attention_where/ and attention_scaled_mask/.
The inputs sit on every edge the IR defines (compiler/ir.h): division and
remainder by 0 and of INT32_MIN by -1, negative exponents, casts of NaN,
infinities and out-of-range floats (saturated), ties and NaN in argmax.
NumPy computes the ordinary cases; where NumPy's answer is undefined or
platform-dependent (integer division by 0, float-to-integer overflow),
the value is the one ir.h defines, computed by the helpers below. The
output is f32 (every result cast and concatenated), so the tolerance
check of tests/e2e/run_e2e.sh compares exact small integers.

Run: /usr/bin/python3 scripts/gen_typed.py
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlcref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASE = os.path.join(ROOT, "tests", "models", "typed_edges")

DL = """model typed_edges
input a: i32[1, 8]
input b: i32[1, 8]
input f: f32[1, 8]

q = div()(a, b)
r = mod()(a, b)
t = fmod()(a, b)
p = pow()(a, b)
lo = min()(a, b)
c8 = cast(to=u8)(f)
ci = cast(to=i32)(f)
cb = cast(to=bool)(f)
gt = greater()(a, b)
eq = equal()(a, b)
ne = not()(eq)
both = and()(gt, ne)
w = where()(both, a, b)
zero = constant(f32[1], value=0)
neg = less()(f, zero)
k = xor()(neg, cb)
amax = argmax(axis=1, last=true)(lo)
amin = argmin(axis=1)(f)
seven = constant(i64[1, 1], value=7)
shift = mul()(amax, seven)
total = add()(shift, amin)

qf = cast(to=f32)(q)
rf = cast(to=f32)(r)
tf = cast(to=f32)(t)
pf = cast(to=f32)(p)
c8f = cast(to=f32)(c8)
cif = cast(to=f32)(ci)
wf = cast(to=f32)(w)
kf = cast(to=f32)(k)
totalf = cast(to=f32)(total)

sl = slice(axis=1, start=1, end=7, step=2)(w)
pd = pad(pads=[0, 1, 0, 2], value=-5)(sl)
cc = concat(axis=1)(pd, w)
ga = gather(axis=1, indices=[3, 0, 13])(cc)
bc = broadcast(dims=[1, 2, 3])(ga)
tt = transpose([0, 2, 1])(bc)
tr = flatten()(tt)
trf = cast(to=f32)(tr)
kk = concat(axis=1)(k, neg)
kkf = cast(to=f32)(kk)
gi = cast(to=i64)(q)
ge = gather_elements(axis=1)(w, gi)
gef = cast(to=f32)(ge)
cs = cumsum(axis=1, reverse=true)(w)
csf = cast(to=f32)(cs)
cx = cumsum(axis=-1, exclusive=true)(rf)
tb = topk(k=3)(f)
ts = topk(k=4, largest=false)(lo)
tv = gather_elements(axis=1)(lo, ts)
tbf = cast(to=f32)(tb)
tsf = cast(to=f32)(ts)
tvf = cast(to=f32)(tv)
y = concat(axis=1)(qf, rf, tf, pf, c8f, cif, wf, kf, totalf, trf, kkf, gef, csf, cx, tbf, tsf, tvf)
"""

I32_MIN, I32_MAX = -2 ** 31, 2 ** 31 - 1


def wrap32(v):
    return (int(v) + 2 ** 31) % 2 ** 32 - 2 ** 31


def div(a, b):  # toward zero; by 0: 0; INT32_MIN / -1 wraps
    if b == 0:
        return 0
    q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    return wrap32(q)


def fmod(a, b):  # the sign of a; by 0 (and by -1): 0
    return 0 if b == 0 else wrap32(a - div(a, b) * b) if b != -1 else 0


def mod(a, b):  # the sign of b
    if b == 0 or b == -1:
        return 0
    r = fmod(a, b)
    return r + b if r != 0 and (r < 0) != (b < 0) else r


def ipow(a, b):
    if b < 0:
        return 1 if a == 1 else (-1 if b % 2 else 1) if a == -1 else 0
    return wrap32(pow(a, b, 2 ** 32))


def to_int(f, lo, hi):  # toward zero, saturated, NaN 0
    if np.isnan(f):
        return 0
    return int(min(max(np.trunc(np.float64(f)), lo), hi))


SCALAR_DL = """model scalar_io
input x: f32[]
input v: f32[1, 3]
input n: i64[]
two = constant(f32[], value=2)
y = mul()(x, two)
z = add()(v, y)
nf = cast(to=f32)(n)
big = greater()(z, nf)
s = reduce_sum(axes=[0, 1], keepdims=false)(z)
pick = where()(big, z, s)
output pick, y, s
"""


def scalar_io():
    """tests/models/scalar_io: scalar (rank-0) inputs, constant and outputs,
    broadcast against a [1, 3] input, and a reduction to a scalar."""
    d = os.path.join(ROOT, "tests", "models", "scalar_io")
    x, v, n = np.float32(3.5), np.array([[1, 2, 3]], np.float32), np.int64(9)
    y = x * np.float32(2)
    z = v + y
    s = z.sum(dtype=np.float32)
    pick = np.where(z > np.float32(n), z, s)
    os.makedirs(d, exist_ok=True)
    dlcref.write_text(os.path.join(d, "model.dl"), SCALAR_DL)
    for i, (a, dt) in enumerate(((x, np.float32), (v, np.float32), (n, np.int64))):
        dlcref.write_bin(os.path.join(d, "input%d.bin" % i), np.array(a), dt)
    for i, a in enumerate((pick, y, s)):
        dlcref.write_bin(os.path.join(d, "expected%d.bin" % i), np.array(a))


def attention_case(name, golden, extra, scores):
    """tests/models/<name>: the model of golden pass test <golden> (an
    attention written as primitives that fuse-attention fuses) on seeded
    inputs q, k, v and `extra`; the reference is NumPy's float64 softmax of
    scores(s, extra) for s = q k^T."""
    d = os.path.join(ROOT, "tests", "models", name)
    src = open(os.path.join(ROOT, "tests", "golden", "passes", golden)).read()
    dl = "".join(l + "\n" for l in src.splitlines() if l and not l.startswith("#"))
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((1, 2, 4, 8)).astype(np.float32) for _ in range(3))
    s = scores(q.astype(np.float64) @ k.astype(np.float64).transpose(0, 1, 3, 2), extra)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    o = p @ v.astype(np.float64)
    os.makedirs(d, exist_ok=True)
    dlcref.write_text(os.path.join(d, "model.dl"), dl)
    for i, a in enumerate((q, k, v, extra)):
        dlcref.write_bin(os.path.join(d, "input%d.bin" % i), a, a.dtype)
    dlcref.write_bin(os.path.join(d, "expected.bin"), o)


def attention_cases():
    """masked_fill (where(keep, scores, -1e38)) and a scale after the
    mask's add: both fuse into one attention node."""
    scale = float(np.float32(0.35355339))
    keep = np.array([[[[1, 1, 0, 1]]]], np.bool_)
    attention_case("attention_where", "fuse_attention_where.dl", keep,
                   lambda s, m: np.where(m, s * scale, -1e38))
    bias = np.random.default_rng(6).standard_normal((1, 1, 4, 4)).astype(np.float32)
    attention_case("attention_scaled_mask", "fuse_attention_scaled_mask.dl", bias,
                   lambda s, m: (s + m) * scale)


def main():
    a = np.array([[I32_MIN, 7, -7, 7, -7, 0, 5, 100]], np.int32)
    b = np.array([[-1, 0, 2, -2, 0, 3, 3, 3]], np.int32)
    f = np.array([[np.nan, 1e20, -1e20, -1.5, 300.7, 2.5, -0.0, np.inf]], np.float32)
    pairs = list(zip(a[0].tolist(), b[0].tolist()))
    q = [div(x, y) for x, y in pairs]
    r = [mod(x, y) for x, y in pairs]
    t = [fmod(x, y) for x, y in pairs]
    p = [ipow(x, y) for x, y in pairs]
    lo = np.minimum(a, b)[0]
    c8 = [to_int(v, 0, 255) for v in f[0]]
    ci = [to_int(v, I32_MIN, I32_MAX) for v in f[0]]
    cb = f[0] != 0  # NaN is true
    w = np.where((a > b) & (a != b), a, b)[0]
    k = (f[0] < 0) ^ cb
    amax = len(lo) - 1 - int(np.argmax(lo[::-1]))  # the last maximum
    amin = int(np.argmin(f[0]))  # the first NaN (NumPy)
    total = amax * 7 + amin
    sl = w[1:7:2]
    pd = np.concatenate([[-5], sl, [-5, -5]])
    cc = np.concatenate([pd, w])
    ga = cc[[3, 0, 13]]
    tr = np.broadcast_to(ga, (2, 3)).T.ravel()
    kk = np.concatenate([k, f[0] < 0])
    gi = [min(max(v + 8 if v < 0 else v, 0), 7) for v in q]  # from the end, then clamped
    ge = w[gi]
    cs = [wrap32(sum(int(v) for v in w[j:])) for j in range(8)]  # reverse, wrapping
    cx, acc = [], np.float32(0)  # exclusive, f32 sums in order
    for v in r:
        cx.append(acc)
        acc = np.float32(acc + np.float32(v))
    # topk: best first, ties by position, NaN above every number
    key = [(0 if np.isnan(v) else 1, -float(v) if not np.isnan(v) else 0, j)
           for j, v in enumerate(f[0])]
    tb = [j for _, _, j in sorted(key)[:3]]
    ts = sorted(range(8), key=lambda j: (int(lo[j]), j))[:4]
    tv = [int(lo[j]) for j in ts]
    parts = (q, r, t, p, c8, ci, w, k, [total], tr, kk, ge, cs, cx, tb, ts, tv)
    y = np.concatenate([np.array(v, np.float64).ravel() for v in parts])
    y = y.astype(np.float32)[None, :]
    os.makedirs(CASE, exist_ok=True)
    dlcref.write_text(os.path.join(CASE, "model.dl"), DL)
    for i, (x, dt) in enumerate(((a, np.int32), (b, np.int32), (f, np.float32))):
        dlcref.write_bin(os.path.join(CASE, "input%d.bin" % i), x, dt)
    dlcref.write_bin(os.path.join(CASE, "expected.bin"), y)
    print("typed_edges: %s" % y.tolist())
    scalar_io()
    attention_cases()


if __name__ == "__main__":
    main()
