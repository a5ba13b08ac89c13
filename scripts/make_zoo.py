#!/usr/bin/python3
"""make_zoo.py - the ONNX model zoo dlc is validated on.

Builds the models with PyTorch (Debian's python3-torch and
python3-torchvision), random but seeded weights, and exports each with
torch.onnx.export at opset 13 (bert: 17), batch 1:

  mlp        784-512-256-10, ReLU
  lenet5     LeNet-5 on 1x28x28 (conv 6@5x5 pad 2, pool, conv 16@5x5, pool,
             120, 84, 10)
  cnn        the Keras-tutorial CNN on 3x32x32 (3x3 valid convs: conv 64, pool,
             conv 128, pool, conv 256, flatten 4096, dense 512, dense 10 + softmax)
  lstm       forecaster: 50 steps x 8 features -> LSTM 128 -> last step ->
             dense 1
  gru        classifier: 100 token ids -> embedding 10000x64 -> GRU 64 ->
             last step -> dense 1 + sigmoid
  resnet18, mobilenet_v2, resnet50   torchvision, weights=None

and ten more torchvision architectures, each stressing other shapes:
googlenet (inception concats, ceil_mode pools), regnet_x_400mf (grouped
3x3, group width 16), efficientnet_b0 (SiLU, squeeze-and-excitation,
depthwise 5x5/2), mobilenet_v3_small (hardswish, SE), shufflenet_v2
(channel shuffle), resnext50 (32 groups), densenet121 (very deep,
concats), squeezenet (small odd shapes), alexnet (11x11/4 stem, wide
dense), wide_resnet50 (very wide); and unet, a small U-Net on 3x128x128
(four levels of two 3x3 conv + batch norm + ReLU, 32 to 256 channels,
2x2 max pools down, 2x2 stride-2 ConvTranspose up, skip concats, a 1x1
conv to 2 classes per pixel); bert, a BERT-style encoder (4 layers,
d_model 256, 4 heads, feed-forward 1024, GELU, sequence 128:
nn.TransformerEncoder); conv1d, a 1-D CNN on 8 x 512 time series.

Batch-norm layers get randomized running statistics and affine parameters
(so the exporter's and dlc's folding of batch norm is exercised with
non-trivial values). For each model OUT/<name>/ holds model.onnx,
input.bin (raw little-endian: f32, or i64 token ids), expected.bin
(PyTorch's output as f32, computed in float64 from the same f32 weights
and input, so it is the exact result rounded once), tolerance ("ABS REL"
for tests/zoo/run_zoo.sh: rel 1e-4, abs the larger of 1e-5 and twice
PyTorch's own float32 error) and manifest.json; OUT/manifest.json lists
them all.

  /usr/bin/python3 scripts/make_zoo.py [--out build/zoo] [--only NAME...]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

OPSET = 13


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class KerasCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3)
        self.conv2 = nn.Conv2d(64, 128, 3)
        self.conv3 = nn.Conv2d(128, 256, 3)
        self.fc1 = nn.Linear(256 * 4 * 4, 512)
        self.fc2 = nn.Linear(512, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.conv3(x))
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        return torch.softmax(self.fc2(x), dim=1)


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 128, batch_first=True)
        self.head = nn.Linear(128, 1)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y[:, -1, :])


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10000, 64)
        self.gru = nn.GRU(64, 64, batch_first=True)
        self.head = nn.Linear(64, 1)

    def forward(self, ids):
        y, _ = self.gru(self.embed(ids))
        return torch.sigmoid(self.head(y[:, -1, :]))


class UNet(nn.Module):
    """A small U-Net (Ronneberger et al.) for 2-class segmentation."""

    @staticmethod
    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                             nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    def __init__(self, widths=(32, 64, 128, 256)):
        super().__init__()
        self.down = nn.ModuleList()
        cin = 3
        for w in widths:
            self.down.append(self.block(cin, w))
            cin = w
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(cin, w, 2, stride=2))
            self.dec.append(self.block(2 * w, w))
            cin = w
        self.head = nn.Conv2d(cin, 2, 1)

    def forward(self, x):
        skips = []
        for i, blk in enumerate(self.down):
            x = blk(x)
            if i + 1 < len(self.down):
                skips.append(x)
                x = torch.max_pool2d(x, 2)
        for up, dec in zip(self.up, self.dec):
            x = dec(torch.cat([up(x), skips.pop()], 1))
        return self.head(x)


class Bert(nn.Module):
    """A BERT-style encoder: 8000-token vocabulary, learned positions,
    4 post-norm layers of d_model 256, 4 heads, feed-forward 1024 with
    GELU (nn.TransformerEncoder, as users build one), sequence 128, and a
    classifier on the first token."""

    def __init__(self, vocab=8000, d=256, heads=4, layers=4, ff=1024, seq=128, classes=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.norm = nn.LayerNorm(d)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu",
                                           batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        x = self.enc(self.norm(self.tok(ids) + self.pos))
        return self.head(x[:, 0])


class Conv1dNet(nn.Module):
    """A 1-D CNN for multichannel time series: 8 channels x 512 steps,
    conv 5 + batch norm + ReLU and max pools, a dilated conv, global
    average pooling, 5 classes."""

    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv1d(8, 32, 5, padding=2), nn.BatchNorm1d(32), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(32, 64, 5, padding=2), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(64, 128, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Conv1d(128, 128, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1))
        self.head = nn.Linear(128, 5)

    def forward(self, x):
        return self.head(self.f(x).flatten(1))


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def tv(name, **kw):
    """A torchvision architecture with random weights."""
    return getattr(torchvision.models, name)(weights=None, **kw)


# name -> (constructor, input shape, input kind)
MODELS = {
    "mlp": (mlp, (1, 784), "f32"),
    "lenet5": (LeNet5, (1, 1, 28, 28), "f32"),
    "cnn": (KerasCNN, (1, 3, 32, 32), "f32"),
    "lstm": (Forecaster, (1, 50, 8), "f32"),
    "gru": (GRUClassifier, (1, 100), "ids"),
    "resnet18": (lambda: torchvision.models.resnet18(weights=None), (1, 3, 224, 224), "f32"),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), (1, 3, 224, 224),
                     "f32"),
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), (1, 3, 224, 224), "f32"),
    # beyond the eight dlc was tuned on: one stress each (issue 14)
    "googlenet": (lambda: tv("googlenet", aux_logits=False, init_weights=True),
                  (1, 3, 224, 224), "f32"),  # inception concats, ceil_mode pools
    "regnet_x_400mf": (lambda: tv("regnet_x_400mf"), (1, 3, 224, 224), "f32"),  # grouped 3x3
    "efficientnet_b0": (lambda: tv("efficientnet_b0"), (1, 3, 224, 224), "f32"),  # SiLU, SE, dw 5x5/2
    "mobilenet_v3_small": (lambda: tv("mobilenet_v3_small"), (1, 3, 224, 224), "f32"),  # hardswish, SE
    "shufflenet_v2": (lambda: tv("shufflenet_v2_x1_0"), (1, 3, 224, 224), "f32"),  # channel shuffle
    "resnext50": (lambda: tv("resnext50_32x4d"), (1, 3, 224, 224), "f32"),  # 32 groups, deep
    "densenet121": (lambda: tv("densenet121"), (1, 3, 224, 224), "f32"),  # very deep, concats
    "squeezenet": (lambda: tv("squeezenet1_1"), (1, 3, 224, 224), "f32"),  # small odd shapes
    "alexnet": (lambda: tv("alexnet"), (1, 3, 224, 224), "f32"),  # 11x11/4 stem, wide dense
    "wide_resnet50": (lambda: tv("wide_resnet50_2"), (1, 3, 224, 224), "f32"),  # very wide
    "unet": (UNet, (1, 3, 128, 128), "f32"),  # ConvTranspose 2x2/2, skip concats
    # opset 17: LayerNormalization is one node there, as current exporters write it
    "bert": (Bert, (1, 128), "ids8000", 17),  # attention, layer norm, erf GELU
    "conv1d": (Conv1dNet, (1, 8, 512), "f32"),  # Conv1d, BatchNorm1d, MaxPool1d
}


def randomize_batchnorm(model, gen):
    """Running statistics and affine parameters away from their defaults
    (mean 0, var 1, weight 1, bias 0), so that folding them matters."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)


def make_input(shape, kind, gen):
    if kind.startswith("ids"):
        vocab = int(kind[3:] or 10000)
        return torch.randint(0, vocab, shape, generator=gen, dtype=torch.int64)
    return torch.randn(shape, generator=gen, dtype=torch.float32)


def build(name, out_dir, seed):
    ctor, shape, kind = MODELS[name][:3]
    opset = MODELS[name][3] if len(MODELS[name]) > 3 else OPSET
    torch.manual_seed(seed)
    model = ctor()
    gen = torch.Generator().manual_seed(seed + 1)
    randomize_batchnorm(model, gen)
    model.eval()
    x = make_input(shape, kind, gen)
    ids = kind.startswith("ids")
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    onnx_path = os.path.join(d, "model.onnx")
    # exported with gradients on: under no_grad nn.TransformerEncoderLayer
    # takes its fused fast path, which has no ONNX form
    torch.onnx.export(model, (x,), onnx_path, opset_version=opset,
                      input_names=["input"], output_names=["output"],
                      do_constant_folding=True)
    with torch.no_grad():
        y32 = model(x).numpy()
        # The reference in float64 from the float32 weights and input.
        ref = model.double()(x if ids else x.double()).float().numpy()
    # PyTorch's own float32 result misses the reference by rounding that
    # grows with depth (ResNet-50: ~1e-3 on logits of ~700); dlc gets the
    # same absolute allowance, on top of rel 1e-4.
    noise = float(np.abs(y32.astype(np.float64) - ref).max())
    atol = max(1e-5, float("%.1g" % (2 * noise)))
    raw = x.numpy().astype("<i8" if ids else "<f4")
    raw.tofile(os.path.join(d, "input.bin"))
    ref.astype("<f4").tofile(os.path.join(d, "expected.bin"))
    with open(os.path.join(d, "tolerance"), "w") as f:
        f.write("%g 1e-4\n" % atol)
    params = sum(p.numel() for p in model.parameters())
    manifest = {
        "name": name,
        "opset": opset,
        "seed": seed,
        "params": params,
        "onnx_bytes": os.path.getsize(onnx_path),
        "input": {"name": "input", "dtype": "i64" if ids else "f32",
                  "shape": list(shape), "file": "input.bin"},
        "output": {"name": "output", "dtype": "f32", "shape": list(ref.shape),
                   "file": "expected.bin"},
        "pytorch_f32_max_abs_error": noise,
        "tolerance": {"abs": atol, "rel": 1e-4},
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "build", "zoo"),
                    help="output directory (default build/zoo)")
    ap.add_argument("--only", nargs="+", choices=sorted(MODELS), help="build only these models")
    ap.add_argument("--seed", type=int, default=2024, help="base seed (default 2024)")
    args = ap.parse_args()
    out = os.path.normpath(args.out)
    os.makedirs(out, exist_ok=True)
    names = args.only or list(MODELS)
    entries = []
    for i, name in enumerate(MODELS):
        if name not in names:
            continue
        m = build(name, out, args.seed + 100 * i)
        entries.append(m)
        print("%-13s %10d params  %10d bytes  -> %s" % (name, m["params"], m["onnx_bytes"],
                                                       os.path.join(out, name)))
    index = os.path.join(out, "manifest.json")
    known = {}
    if os.path.exists(index):
        with open(index) as f:
            known = {m["name"]: m for m in json.load(f)["models"]}
    known.update({m["name"]: m for m in entries})
    with open(index, "w") as f:
        json.dump({"models": [known[n] for n in MODELS if n in known]}, f, indent=2,
                  sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
