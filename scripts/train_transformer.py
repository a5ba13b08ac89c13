#!/usr/bin/python3
"""train_transformer.py - trains the examples/lookup transformer with
PyTorch on data it generates, and writes everything the example and its
test need.

The task: a sequence holds a query key, a separator and 4..12 (key, value)
pair tokens with distinct keys, padded to 16 tokens; the answer is the
value stored under the query key (8 classes). No token tells the answer by
itself: the query must find its pair among the others, which is what
attention does. Sequences have different lengths, so the model takes a
padding mask (1 = token, 0 = padding) next to the ids, the way Hugging Face
encoders do, and adds (mask - 1) * 10000 to the attention scores.

Network (two post-norm encoder layers, d_model 32, 4 heads, GELU feed-
forward 64, learned positional embeddings; the class is read from the
query's position):

    tok = embedding(VOCAB, 32)(ids) + pos
    2 x [ q, k, v = dense(32); attention(heads=4)(q, k, v, bias);
          x = layer_norm(x + dense(32)(a));
          x = layer_norm(x + dense(32)(gelu(dense(64)(x)))) ]
    logits = dense(8)(x[:, 0])

Outputs in examples/lookup/: lookup.dl, lookup.safetensors (PyTorch
state_dict names and layouts), test_ids.bin (int64 [N, 16]),
test_mask.bin (f32 [N, 16]), test_labels.bin (int32 [N]),
torch_logits.bin (f32 [N, 8], the trained float32 weights evaluated in
float64 and rounded once), torch_accuracy.txt; and the test case
tests/models/example_lookup (the first 100 held-out sequences).

Deterministic: fixed seeds, one thread, deterministic algorithms; about two
minutes on one core.
Run: /usr/bin/python3 scripts/train_transformer.py
"""

import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dlcref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "examples", "lookup")
CASE = os.path.join(ROOT, "tests", "models", "example_lookup")

SEQ = 16           # tokens per sequence, padding included
KEYS = 12          # distinct keys
VALUES = 8         # distinct values: the classes
PAD, SEP, KEY0 = 0, 1, 2
PAIR0 = KEY0 + KEYS                # token of pair (k, v): PAIR0 + k * VALUES + v
VOCAB = PAIR0 + KEYS * VALUES      # 110
D, HEADS, FF, LAYERS = 32, 4, 64, 2
STEPS, BATCH, LR = 600, 64, 2e-3
HELD_OUT = 1000
CASE_SAMPLES = 100


def layer_dl(i, x):
    p = "layers.%d." % i
    n = "l%d_" % i
    return f"""\
{n}q = dense({D}, params="{p}q")({x})
{n}k = dense({D}, params="{p}k")({x})
{n}v = dense({D}, params="{p}v")({x})
{n}att = attention(heads={HEADS})({n}q, {n}k, {n}v, bias)
{n}o = dense({D}, params="{p}o")({n}att)
{n}r1 = add()({x}, {n}o)
{n}n1 = layer_norm(params="{p}n1")({n}r1)
{n}f1 = dense({FF}, params="{p}f1")({n}n1)
{n}g = gelu()({n}f1)
{n}f2 = dense({D}, params="{p}f2")({n}g)
{n}r2 = add()({n}n1, {n}f2)
{n}n2 = layer_norm(params="{p}n2")({n}r2)
"""


def lookup_dl():
    layers = "".join(layer_dl(i, "x" if i == 0 else "l%d_n2" % (i - 1)) + "\n"
                     for i in range(LAYERS))
    return f"""\
# Key-value lookup with a small transformer encoder, trained with PyTorch
# on generated sequences (scripts/train_transformer.py).
# ids: [query key, separator, (key, value) pair tokens..., padding 0...]
# mask: 1 for a token, 0 for padding. Output: 8 logits, one per value.
model lookup
input ids: i64[1, {SEQ}]
input mask: f32[1, {SEQ}]
weights "lookup.safetensors" pytorch

# Padding is hidden from attention: (mask - 1) * 10000 added to the scores
# of every head and query, [1, 1, 1, {SEQ}] broadcast to [1, {HEADS}, {SEQ}, {SEQ}].
hide = rescale(scale=10000, offset=-10000)(mask)
bias = reshape([1, 1, {SEQ}])(hide)

tok = embedding({VOCAB}, {D})(ids)
pos = constant(f32[1, {SEQ}, {D}])                     # learned positions
x = add()(tok, pos)

{layers}# The answer is read at the query's position, token 0.
query = slice(axis=1, start=0, end=1)(l{LAYERS - 1}_n2)
flat = reshape([{D}])(query)
logits = dense({VALUES}, params="head")(flat)
output logits
"""


class Layer(nn.Module):
    """One post-norm encoder layer, written out so its weights have the
    names the .dl model reads (q, k, v, o, n1, f1, f2, n2)."""

    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))
        self.n1, self.n2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.f1, self.f2 = nn.Linear(D, FF), nn.Linear(FF, D)

    def forward(self, x, bias):
        b, s, _ = x.shape

        def heads(t):
            return t.view(b, s, HEADS, D // HEADS).transpose(1, 2)

        scores = heads(self.q(x)) @ heads(self.k(x)).transpose(2, 3)
        p = torch.softmax(scores / math.sqrt(D // HEADS) + bias, -1)
        a = (p @ heads(self.v(x))).transpose(1, 2).reshape(b, s, D)
        x = self.n1(x + self.o(a))
        return self.n2(x + self.f2(F.gelu(self.f1(x))))


class LookupNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.pos = nn.Parameter(torch.randn(1, SEQ, D) * 0.1)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.head = nn.Linear(D, VALUES)

    def forward(self, ids, mask):
        bias = ((mask - 1) * 10000).view(-1, 1, 1, SEQ)
        x = self.tok(ids) + self.pos
        for layer in self.layers:
            x = layer(x, bias)
        return self.head(x[:, 0])


def sequences(n, rng):
    """n sequences: (ids int64 [n, SEQ], mask f32 [n, SEQ], labels [n])."""
    ids = np.zeros((n, SEQ), np.int64)
    mask = np.zeros((n, SEQ), np.float32)
    labels = np.zeros(n, np.int64)
    for i in range(n):
        m = rng.integers(4, min(KEYS, SEQ - 2) + 1)
        keys = rng.permutation(KEYS)[:m]
        values = rng.integers(0, VALUES, m)
        q = rng.integers(0, m)
        ids[i, 0], ids[i, 1] = KEY0 + keys[q], SEP
        ids[i, 2:2 + m] = PAIR0 + keys * VALUES + values
        mask[i, :2 + m] = 1
        labels[i] = values[q]
    return ids, mask, labels


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    train_rng = np.random.default_rng(0)
    test_ids, test_mask, test_labels = sequences(HELD_OUT, np.random.default_rng(1))
    model = LookupNet()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    for step in range(1, STEPS + 1):
        ids, mask, labels = (torch.from_numpy(a) for a in sequences(BATCH, train_rng))
        opt.zero_grad()
        loss = F.cross_entropy(model(ids, mask), labels)
        loss.backward()
        opt.step()
        if step % 100 == 0:
            print("step %d: loss %.4f" % (step, loss.item()), flush=True)
    model.eval()
    with torch.no_grad():  # the stored float32 weights, evaluated in float64
        logits = model.double()(torch.from_numpy(test_ids),
                                torch.from_numpy(test_mask).double()).float()
    model.float()
    acc = float((logits.argmax(1).numpy() == test_labels).mean())
    print("held-out accuracy: %.4f (%d sequences)" % (acc, HELD_OUT))

    dl = lookup_dl()
    sd = {k: v.float() for k, v in model.state_dict().items()}
    dlcref.write_safetensors(os.path.join(OUT, "lookup.safetensors"), sd,
                             metadata={"format": "pt"})
    dlcref.write_text(os.path.join(OUT, "lookup.dl"), dl)
    dlcref.write_bin(os.path.join(OUT, "test_ids.bin"), test_ids, np.int64)
    dlcref.write_bin(os.path.join(OUT, "test_mask.bin"), test_mask)
    dlcref.write_bin(os.path.join(OUT, "test_labels.bin"), test_labels, np.int32)
    dlcref.write_bin(os.path.join(OUT, "torch_logits.bin"), logits)
    dlcref.write_text(os.path.join(OUT, "torch_accuracy.txt"), "%.12f\n" % acc)

    n = CASE_SAMPLES
    dlcref.write_text(os.path.join(CASE, "model.ref"), "../../../examples/lookup/lookup.dl\n")
    dlcref.write_bin(os.path.join(CASE, "input0.bin"), test_ids[:n], np.int64)
    dlcref.write_bin(os.path.join(CASE, "input1.bin"), test_mask[:n])
    dlcref.write_bin(os.path.join(CASE, "expected.bin"), logits[:n])


if __name__ == "__main__":
    main()
