#!/usr/bin/python3
"""gen_sequence.py - PyTorch reference data for dlc's sequence layers
(embedding, onehot, lstm, gru, timestep/last, dense over time steps).

Writes tests/models/<case>/ for the cases below (model.dl, weights.
safetensors, input*.bin, expected*.bin, as gen_reference.py does; integer
inputs are stored as i32 or i64 per the model's declaration) and the two
example directories examples/timeseries/ and examples/sentiment/ (model,
seeded random weights, a few input windows back to back, PyTorch's
outputs), plus tests/models/example_timeseries and example_sentiment,
whose model.dl reads the example's weights.

Every recurrent layer is torch.nn.LSTM / torch.nn.GRU (batch_first=True)
with PyTorch's default initialisation under a per-case seed. The
references are computed in float64 from the stored float32 weights and
inputs, so they are the exact results rounded once. The Keras cases store
the same weights in Keras's layout (kernels transposed, GRU gates z, r, h,
one LSTM bias with bias_hh = 0, GRU bias [2, 3H]) under Keras names.

Run: /usr/bin/python3 scripts/gen_sequence.py
"""

import os
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlcref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests", "models")
EXAMPLES = os.path.join(ROOT, "examples")

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


class Ctx:
    """Per-case state: a seeded generator, the tensors of the weights file,
    and helpers that build PyTorch layers under dlc's names."""

    def __init__(self, name):
        self.seed = zlib.crc32(name.encode())
        self.gen = torch.Generator().manual_seed(self.seed)
        self.tensors = {}
        self.nmod = 0

    def randn(self, *shape, scale=1.0):
        return (torch.randn(*shape, generator=self.gen) * scale).float().double()

    def ids(self, hi, *shape):
        return torch.randint(0, hi, shape, generator=self.gen)

    def _seeded(self):
        self.nmod += 1
        torch.manual_seed(self.seed + self.nmod)

    def rnn(self, kind, prefix, inp, units, num_layers=1, bidirectional=False,
            bias=True, keras=False):
        """An nn.LSTM/GRU in float64 with float32-representable weights,
        recorded under PyTorch or Keras names."""
        self._seeded()
        cls = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        m = cls(inp, units, num_layers=num_layers, bias=bias, batch_first=True,
                bidirectional=bidirectional)
        with torch.no_grad():
            for name, p in m.named_parameters():
                if keras and kind == "lstm" and name.startswith("bias_hh"):
                    p.zero_()  # Keras LSTMs have one bias: bias_hh is 0
                p.copy_(p.float())
        sd = {k: v.detach().float() for k, v in m.state_dict().items()}
        if keras:
            self.tensors.update(keras_rnn_tensors(kind, prefix, sd, units, num_layers,
                                                  bidirectional, bias))
        else:
            for k, v in sd.items():
                self.tensors["%s.%s" % (prefix, k)] = v
        return m.double()

    def dense(self, name, out_f, in_f):
        w = self.randn(out_f, in_f, scale=in_f ** -0.5)
        b = self.randn(out_f, scale=0.2)
        self.tensors[name + ".weight"] = w.float()
        self.tensors[name + ".bias"] = b.float()
        return lambda x: x @ w.t() + b

    def embedding(self, name, vocab, dim, keras=False):
        w = self.randn(vocab, dim)
        self.tensors[name + (".embeddings" if keras else ".weight")] = w.float()
        return lambda ids: w[ids]


def keras_gru_gates(t, units, axis):
    """PyTorch r, z, n blocks of t along `axis` -> Keras z, r, h."""
    r, z, n = torch.split(t, units, dim=axis)
    return torch.cat([z, r, n], dim=axis)


def keras_rnn_tensors(kind, prefix, sd, units, num_layers, bidirectional, bias):
    """The Keras names and layouts dlc reads: `<p>[.l<k>][.forward|.backward].
    kernel` [F, G*H], `.recurrent_kernel` [H, G*H], `.bias` ([4H] lstm,
    [2, 3H] gru)."""
    out = {}
    for k in range(num_layers):
        for rev in ([False, True] if bidirectional else [False]):
            sub = prefix
            if num_layers > 1:
                sub += ".l%d" % k
            if bidirectional:
                sub += ".backward" if rev else ".forward"
            sfx = "_l%d%s" % (k, "_reverse" if rev else "")
            wih, whh = sd["weight_ih" + sfx], sd["weight_hh" + sfx]
            if kind == "gru":
                wih, whh = keras_gru_gates(wih, units, 0), keras_gru_gates(whh, units, 0)
            out[sub + ".kernel"] = wih.t().contiguous()
            out[sub + ".recurrent_kernel"] = whh.t().contiguous()
            if not bias:
                continue
            bih, bhh = sd["bias_ih" + sfx], sd["bias_hh" + sfx]
            if kind == "lstm":
                assert not bhh.any()
                out[sub + ".bias"] = bih.contiguous()
            else:
                out[sub + ".bias"] = torch.stack([keras_gru_gates(bih, units, 0),
                                                  keras_gru_gates(bhh, units, 0)])
    return out


def run_rnn(m, x, return_sequences=False):
    """dlc's lstm/gru output: every step [N, T, D*H], or the final states of
    the last layer's directions concatenated [N, D*H]."""
    with torch.no_grad():
        y, h = m(x)
    if return_sequences:
        return y
    if isinstance(h, tuple):
        h = h[0]
    nd = 2 if m.bidirectional else 1
    return torch.cat([h[-nd + i] for i in range(nd)], dim=-1)


HDR = 'weights "weights.safetensors" pytorch'
KERAS = 'weights "weights.safetensors" keras'


# ---- test cases: each returns (dl, inputs, outputs); inputs may be int ----

@case
def lstm_units5(c):
    dl = """model lstm_units5
input x: f32[2, 7, 3]
%s
enc = lstm(5)
""" % HDR
    x = c.randn(2, 7, 3)
    return dl, [x], [run_rnn(c.rnn("lstm", "enc", 3, 5), x)]


@case
def gru_units13(c):
    dl = """model gru_units13
input x: f32[1, 10, 6]
%s
enc = gru(13, return_sequences=true)
""" % HDR
    x = c.randn(1, 10, 6)
    return dl, [x], [run_rnn(c.rnn("gru", "enc", 6, 13), x, True)]


@case
def lstm_seq1(c):
    dl = """model lstm_seq1
input x: f32[3, 1, 5]
%s
a = lstm(4, bidirectional=true)
b = gru(3, return_sequences=true)(x)
output a, b
""" % HDR
    x = c.randn(3, 1, 5)
    a = run_rnn(c.rnn("lstm", "a", 5, 4, bidirectional=True), x)
    b = run_rnn(c.rnn("gru", "b", 5, 3), x, True)
    return dl, [x], [a, b]


@case
def embedding_vocab1(c):
    dl = """model embedding_vocab1
input ids: i32[2, 3]
%s
emb = embedding(1, 4)
enc = gru(3)
""" % HDR
    ids = torch.zeros(2, 3, dtype=torch.int32)
    e = c.embedding("emb", 1, 4)(ids.long())
    return dl, [ids], [run_rnn(c.rnn("gru", "enc", 4, 3), e)]


@case
def lstm_stacked2(c):
    dl = """model lstm_stacked2
input x: f32[2, 8, 4]
%s
enc = lstm(6, num_layers=2, bias=false)
""" % HDR
    x = c.randn(2, 8, 4)
    return dl, [x], [run_rnn(c.rnn("lstm", "enc", 4, 6, num_layers=2, bias=False), x)]


@case
def gru_stacked2(c):
    dl = """model gru_stacked2
input x: f32[2, 6, 5]
%s
enc = gru(7, num_layers=2, return_sequences=true)
""" % HDR
    x = c.randn(2, 6, 5)
    return dl, [x], [run_rnn(c.rnn("gru", "enc", 5, 7, num_layers=2), x, True)]


@case
def gru_bidirectional(c):
    dl = """model gru_bidirectional
input x: f32[2, 5, 3]
%s
enc = gru(4, bidirectional=true, return_sequences=true)
""" % HDR
    x = c.randn(2, 5, 3)
    return dl, [x], [run_rnn(c.rnn("gru", "enc", 3, 4, bidirectional=True), x, True)]


@case
def lstm_bidirectional(c):
    dl = """model lstm_bidirectional
input x: f32[2, 6, 4]
%s
enc = lstm(6, bidirectional=true, num_layers=2)
""" % HDR
    x = c.randn(2, 6, 4)
    m = c.rnn("lstm", "enc", 4, 6, num_layers=2, bidirectional=True)
    return dl, [x], [run_rnn(m, x)]


@case
def lstm_sequences_dense(c):
    dl = """model lstm_sequences_dense
input x: f32[2, 9, 4]
%s
enc = lstm(6, return_sequences=true)
fc = dense(3, activation=tanh)
""" % HDR
    x = c.randn(2, 9, 4)
    y = run_rnn(c.rnn("lstm", "enc", 4, 6), x, True)
    return dl, [x], [torch.tanh(c.dense("fc", 3, 6)(y))]


@case
def onehot_categorical(c):
    dl = """model onehot_categorical
input codes: i64[3, 4]
%s
hot = onehot(6)
flatten()
fc = dense(2)
output fc, hot
""" % HDR
    codes = c.ids(6, 3, 4)
    hot = torch.nn.functional.one_hot(codes, 6).double()
    fc = c.dense("fc", 2, 24)(hot.reshape(3, 24))
    return dl, [codes], [fc, hot]


@case
def embedding_i32(c):
    dl = """model embedding_i32
input ids: i32[2, 5]
%s
emb = embedding(11, 3, params="tok")
flatten()
fc = dense(2)
""" % HDR
    ids = c.ids(11, 2, 5).int()
    e = c.embedding("tok", 11, 3)(ids.long())
    return dl, [ids], [c.dense("fc", 2, 15)(e.reshape(2, 15))]


@case
def embedding_i64(c):
    dl = """model embedding_i64
input ids: i64[1, 8]
%s
emb = embedding(50, 8)
enc = lstm(16)
fc = dense(1)
""" % HDR
    ids = c.ids(50, 1, 8)
    e = c.embedding("emb", 50, 8)(ids)
    h = run_rnn(c.rnn("lstm", "enc", 8, 16), e)
    return dl, [ids], [c.dense("fc", 1, 16)(h)]


@case
def keras_lstm(c):
    dl = """model keras_lstm
input x: f32[2, 6, 3]
%s
enc = lstm(5, num_layers=2, return_sequences=true)
""" % KERAS
    x = c.randn(2, 6, 3)
    return dl, [x], [run_rnn(c.rnn("lstm", "enc", 3, 5, num_layers=2, keras=True), x, True)]


@case
def keras_gru(c):
    dl = """model keras_gru
input ids: i64[2, 7]
%s
emb = embedding(30, 4)
enc = gru(5, bidirectional=true)
""" % KERAS
    ids = c.ids(30, 2, 7)
    e = c.embedding("emb", 30, 4, keras=True)(ids)
    m = c.rnn("gru", "enc", 4, 5, bidirectional=True, keras=True)
    return dl, [ids], [run_rnn(m, e)]


@case
def timestep_middle(c):
    dl = """model timestep_middle
input x: f32[2, 6, 4]
%s
seq = gru(5, return_sequences=true)
a = timestep(2)
b = timestep(index=-3)(seq)
z = last()(seq)
output a, b, z
""" % HDR
    x = c.randn(2, 6, 4)
    y = run_rnn(c.rnn("gru", "seq", 4, 5), x, True)
    return dl, [x], [y[:, 2], y[:, -3], y[:, -1]]


# ---- the examples ----

TIMESERIES_DL = """\
# Forecasting: a window of 50 time steps of 8 features (for example
# normalised sensor readings) -> one value, the next step's target.
# Weights: seeded random PyTorch initialisation (nn.LSTM, nn.Linear).
# Generated by scripts/gen_sequence.py.
model timeseries
input window: f32[1, 50, 8]
weights "timeseries.safetensors" pytorch

lstm = lstm(128, return_sequences=true)
last()
head = dense(1)
"""

SENTIMENT_DL = """\
# Sentiment of a review: 100 token ids (vocabulary of 10000, 0 = padding)
# -> probability that the review is positive.
# Weights: seeded random PyTorch initialisation (nn.Embedding, nn.GRU,
# nn.Linear). Generated by scripts/gen_sequence.py.
model sentiment
input tokens: i64[1, 100]
weights "sentiment.safetensors" pytorch

embed = embedding(10000, 64)
gru = gru(64, return_sequences=true)
last()
head = dense(1, activation=sigmoid)
"""

WINDOWS = 4


def timeseries():
    c = Ctx("timeseries")
    # windows cut from one smooth multichannel signal, as a forecaster sees
    t = torch.arange(50 + 3 * WINDOWS, dtype=torch.float64)
    phase = c.randn(8)
    signal = torch.sin(t[:, None] * 0.2 + phase) + 0.1 * c.randn(len(t), 8)
    signal = signal.float().double()
    x = torch.stack([signal[3 * k:3 * k + 50] for k in range(WINDOWS)])
    m = c.rnn("lstm", "lstm", 8, 128)
    head = c.dense("head", 1, 128)
    y = torch.cat([head(run_rnn(m, x[k:k + 1], True)[:, -1]) for k in range(WINDOWS)])
    return c, x, y


def sentiment():
    c = Ctx("sentiment")
    ids = c.ids(10000, WINDOWS, 100)
    lengths = [100, 60, 23, 81]  # reviews shorter than 100 are 0-padded in front
    for k, n in enumerate(lengths):
        ids[k, :100 - n] = 0
    torch.manual_seed(c.seed)
    emb = torch.nn.Embedding(10000, 64)
    w = emb.weight.detach().float()
    c.tensors["embed.weight"] = w
    m = c.rnn("gru", "gru", 64, 64)
    head = c.dense("head", 1, 64)
    ys = []
    for k in range(WINDOWS):
        e = w.double()[ids[k:k + 1]]
        ys.append(torch.sigmoid(head(run_rnn(m, e, True)[:, -1])))
    return c, ids, torch.cat(ys)


TIMESERIES_README = """\
# timeseries

A forecasting model: an LSTM with 128 units reads a window of 50 time
steps of 8 features and a dense layer turns the state after the last step
into one number (the value to predict for the next step).

    input window: f32[1, 50, 8]          # [batch, time steps, features]
    lstm = lstm(128, return_sequences=true)
    last()                               # [1, 128]: the output after step 49
    head = dense(1)

## Input windows

A time-series model sees fixed-length windows: the input shape *is* the
window. Step `t` of feature `f` is element `window[0, t, f]`, so a window is
50 rows of 8 floats, oldest first, in C order (`50 * 8 * 4 = 1600` bytes).
To forecast along a series, slide the window: window `k` holds steps
`k*s .. k*s + 49` for a stride `s`, and each window is one call of the
model (or one sample of `dlc run`).

`input.bin` holds 4 such windows back to back (f32 `[4, 50, 8]`), cut with
stride 3 from one smooth multichannel signal; `dlc run` runs the batch-1
model once per window. `torch_output.bin` holds PyTorch's 4 outputs (f32
`[4, 1]`, computed in float64 from the stored float32 weights and rounded
once).

The weights are PyTorch's default initialisation of `nn.LSTM(8, 128,
batch_first=True)` and `nn.Linear(128, 1)` under a fixed seed, saved under
their state_dict names with the prefixes `lstm.` and `head.`
(`lstm.weight_ih_l0` is `[512, 8]`, gates i, f, g, o); they are not
trained: the example shows that dlc reproduces PyTorch for the same
weights.

Run and compare:

    dlc run examples/timeseries/timeseries.dl --input examples/timeseries/input.bin --output out.bin
    tensor_cmp out.bin examples/timeseries/torch_output.bin

Rebuild with `/usr/bin/python3 scripts/gen_sequence.py` (seeded,
deterministic). The test `model/example_timeseries` runs the same check.
"""

SENTIMENT_README = """\
# sentiment

Text classification: 100 token ids -> a 64-wide embedding per token -> a
GRU with 64 units -> the output after the last token -> a dense layer with
a sigmoid, the probability that the review is positive.

    input tokens: i64[1, 100]            # token ids in [0, 10000)
    embed = embedding(10000, 64)         # [1, 100, 64]
    gru = gru(64, return_sequences=true)
    last()                               # [1, 64]
    head = dense(1, activation=sigmoid)

The input is a tensor of 64-bit integer ids (`int64_t` in C, 800 bytes per
review); reviews shorter than 100 tokens are padded with id 0 in front, as
Keras's `pad_sequences` does. An id outside `[0, 10000)` is an error: the
compiled model returns `DLC_ERR_INDEX` without writing its output, and
`dlc run` names the offending element.

`input.bin` holds 4 reviews of random ids back to back (i64 `[4, 100]`,
with 100, 60, 23 and 81 real tokens); `torch_output.bin` holds PyTorch's
4 probabilities (f32 `[4, 1]`, computed in float64 from the stored
float32 weights and rounded once).

The weights are PyTorch's default initialisation of `nn.Embedding(10000,
64)`, `nn.GRU(64, 64, batch_first=True)` and `nn.Linear(64, 1)` under a
fixed seed, saved under their state_dict names (`embed.weight` is
`[10000, 64]`, 2.56 MB; `gru.weight_ih_l0` is `[192, 64]`, gates r, z,
n). They are untrained: the example shows that dlc reproduces PyTorch for
the same weights.

Run and compare:

    dlc run examples/sentiment/sentiment.dl --input examples/sentiment/input.bin --output out.bin
    tensor_cmp out.bin examples/sentiment/torch_output.bin

Rebuild with `/usr/bin/python3 scripts/gen_sequence.py` (seeded,
deterministic). The test `model/example_sentiment` runs the same check.
"""


# ---- writing ----

def numbered(prefix, n):
    return [prefix + ".bin"] if n == 1 else ["%s%d.bin" % (prefix, i) for i in range(n)]


def write_tensor(path, t):
    """Floats as f32; integer tensors in their own width (i32 or i64)."""
    if t.dtype in (torch.int32, torch.int64):
        dlcref.write_bin(path, t, np.int32 if t.dtype == torch.int32 else np.int64)
    else:
        dlcref.write_bin(path, t.float())


def write_case(name, dl, weights, inputs, outputs, tolerance=None):
    d = os.path.join(TESTS, name)
    if os.path.isdir(d):
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
    if dl.startswith("@ref "):  # run a model that lives elsewhere (an example)
        dlcref.write_text(os.path.join(d, "model.ref"), dl[5:] + "\n")
    else:
        dlcref.write_text(os.path.join(d, "model.dl"), dl)
    if weights:
        dlcref.write_safetensors(os.path.join(d, "weights.safetensors"), weights,
                                 metadata={"format": "pt"})
    for f, t in zip(numbered("input", len(inputs)), inputs):
        write_tensor(os.path.join(d, f), t)
    for f, t in zip(numbered("expected", len(outputs)), outputs):
        write_tensor(os.path.join(d, f), t)
    if tolerance:
        dlcref.write_text(os.path.join(d, "tolerance"), tolerance + "\n")
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print("%-28s %8d bytes" % (name, size))


def write_example(name, dl, readme, c, x, y):
    d = os.path.join(EXAMPLES, name)
    dlcref.write_text(os.path.join(d, name + ".dl"), dl)
    dlcref.write_text(os.path.join(d, "README.md"), readme)
    dlcref.write_safetensors(os.path.join(d, name + ".safetensors"), c.tensors,
                             metadata={"format": "pt"})
    write_tensor(os.path.join(d, "input.bin"), x)
    write_tensor(os.path.join(d, "torch_output.bin"), y)
    test_dl = "@ref ../../../examples/%s/%s.dl" % (name, name)
    write_case("example_" + name, test_dl, None, [x], [y])


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    for fn in CASES:
        c = Ctx(fn.__name__)
        dl, inputs, outputs = fn(c)
        for t in inputs:  # the reference must see exactly the stored inputs
            assert not t.is_floating_point() or torch.equal(t.float().double(), t.double())
        write_case(fn.__name__, dl, c.tensors, inputs, outputs)
    write_example("timeseries", TIMESERIES_DL, TIMESERIES_README, *timeseries())
    write_example("sentiment", SENTIMENT_DL, SENTIMENT_README, *sentiment())


if __name__ == "__main__":
    if not os.path.isdir(TESTS):
        sys.exit("run from a dlc checkout: %s missing" % TESTS)
    main()
