"""dlcref - helpers shared by the reference generators (train_digits.py,
gen_reference.py): a safetensors writer, raw tensor writers, and the
PyTorch emulations of dlc semantics that PyTorch spells differently
(TF-style "same" padding, NHWC layout, pools over asymmetric padding).

Nothing here is used by the tests at run time: the generators run once,
with fixed seeds, and their outputs are committed. Needs numpy and torch
(Debian's python3-numpy, python3-torch); no safetensors package.
"""

import json
import os
import struct

import numpy as np

# numpy dtype -> safetensors dtype tag, for the dtypes dlc reads.
_ST_DTYPES = {
    np.dtype("float32"): "F32",
    np.dtype("float64"): "F64",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
}


def _as_numpy(t):
    """Accepts numpy arrays and torch tensors (detached to CPU)."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.ascontiguousarray(t)


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: array} as a safetensors file: u64 LE header length,
    the JSON header padded with spaces to a multiple of 8, then the raw
    little-endian data of each tensor in name order."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = _as_numpy(tensors[name])
        tag = _ST_DTYPES.get(a.dtype)
        if tag is None:
            raise ValueError("%s: unsupported dtype %s" % (name, a.dtype))
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
        header[name] = {"dtype": tag, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    _mkdir_for(path)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """Reads a file written by write_safetensors back into numpy arrays."""
    inv = {v: k for k, v in _ST_DTYPES.items()}
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        b, e = h["data_offsets"]
        dt = inv[h["dtype"]].newbyteorder("<")
        out[name] = np.frombuffer(data[8 + n + b:8 + n + e], dtype=dt).reshape(h["shape"])
    return out


def write_bin(path, a, dtype=np.float32):
    """Writes a raw tensor: little-endian elements of `dtype`, C order, no
    header. Several samples are written back to back by passing them
    stacked (the leading axis is just more C order)."""
    a = _as_numpy(a).astype(np.dtype(dtype).newbyteorder("<"))
    _mkdir_for(path)
    with open(path, "wb") as f:
        f.write(a.tobytes(order="C"))


def read_bin(path, dtype=np.float32):
    return np.fromfile(path, dtype=np.dtype(dtype).newbyteorder("<"))


def write_text(path, text):
    _mkdir_for(path)
    with open(path, "w") as f:
        f.write(text)


def _mkdir_for(path):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)


# ---- PyTorch emulation of dlc semantics ----

def same_pads(in_hw, kernel, stride, dilation=(1, 1)):
    """TF/Keras SAME: out = ceil(in/stride); the total padding is split with
    the extra element at the bottom/right. Returns (top, left, bottom, right)."""
    pads = []
    for n, k, s, d in zip(in_hw, kernel, stride, dilation):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    (t, b), (l, r) = pads
    return (t, l, b, r)


def pad_nchw(x, pads, value=0.0):
    """Pads an NCHW tensor by (top, left, bottom, right)."""
    import torch.nn.functional as F
    t, l, b, r = pads
    return F.pad(x, (l, r, t, b), value=value)


def nhwc_to_nchw(x):
    return x.permute(0, 3, 1, 2)


def nchw_to_nhwc(x):
    return x.permute(0, 2, 3, 1)


def maxpool_nchw(x, kernel, stride, pads):
    """dlc maxpool2d: padded taps never win (padding with -inf)."""
    import torch.nn.functional as F
    return F.max_pool2d(pad_nchw(x, pads, float("-inf")), kernel, stride)


def avgpool_nchw(x, kernel, stride, pads, count_include_pad):
    """dlc avgpool2d: the sum over the window divided by the kernel area
    (count_include_pad) or by the number of taps inside the input."""
    import torch
    import torch.nn.functional as F
    kh, kw = kernel
    s = F.avg_pool2d(pad_nchw(x, pads), kernel, stride) * (kh * kw)
    if count_include_pad:
        return s / (kh * kw)
    ones = torch.ones_like(x[:1, :1])
    n = F.avg_pool2d(pad_nchw(ones, pads), kernel, stride) * (kh * kw)
    return s / n
