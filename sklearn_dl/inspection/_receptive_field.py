"""Receptive fields, computed from a module by one traced forward pass.

For every layer the classic recursion (e.g. Araujo et al., "Computing receptive fields of
convolutional neural networks", Distill 2019) is applied per axis::

    jump_out  = jump_in * stride
    rf_out    = rf_in + (kernel_eff - 1) * jump_in        kernel_eff = dilation * (k - 1) + 1
    start_out = start_in + ((kernel_eff - 1) / 2 - padding) * jump_in

``start`` is the input coordinate (pixel centres at 0, 1, ...) of the centre of the first
output unit's field, so output unit ``u`` looks at the input centred on ``start + u * jump``.
Forward hooks follow the tensors themselves, so branches are handled: a module's field is
that of the tensor it received; a tensor made by a functional op (``a + b`` in a residual
block) gets the largest field among the traced tensors of its spatial size (the residual
branch's). Resizing (the pretrained backbones' ``Preprocess``) scales the jump.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .._warn import warn

_CONV_POOL = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
_ADAPTIVE = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


@dataclass(frozen=True)
class Field:
    """Receptive-field geometry of one tensor, per axis ``(h, w)``; ``jump`` None: global."""

    rf: tuple
    jump: tuple
    start: tuple
    size: tuple  # spatial size of the tensor (or its shape past the batch axis if global)

    @property
    def is_global(self):
        return self.jump is None


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _conv_geometry(m):
    k, s, d = _pair(m.kernel_size), _pair(m.stride or m.kernel_size), _pair(
        getattr(m, "dilation", 1))
    p = m.padding
    if p == "valid":
        p = (0, 0)
    elif p == "same":
        p = tuple(di * (ki - 1) / 2 for ki, di in zip(k, d))
    return k, s, _pair(p), d


def _apply(f, k, s, p, d):
    """The recursion above, for one layer of kernel k, stride s, padding p, dilation d."""
    rf, jump, start = [], [], []
    for ax in range(2):
        k_eff = d[ax] * (k[ax] - 1) + 1
        rf.append(f.rf[ax] + (k_eff - 1) * f.jump[ax])
        start.append(f.start[ax] + ((k_eff - 1) / 2 - p[ax]) * f.jump[ax])
        jump.append(f.jump[ax] * s[ax])
    return tuple(rf), tuple(jump), tuple(start)


def _resize(f, size):
    """A resize (bilinear, align_corners=False) of the map to ``size``."""
    rf, jump, start = [], [], []
    for ax in range(2):
        scale = f.size[ax] / size[ax]  # input pixels per output pixel
        rf.append(f.rf[ax] + (max(scale, 1.0) - 1) * f.jump[ax])
        start.append(f.start[ax] + (scale - 1) / 2 * f.jump[ax])
        jump.append(f.jump[ax] * scale)
    return Field(tuple(rf), tuple(jump), tuple(start), tuple(size))


class _Tracer:
    def __init__(self, network, input_hw):
        self.network, self.input_hw = network, tuple(input_hw)
        self.fields = {}  # id(tensor) -> (tensor, Field): the tensor is kept alive
        self.by_path = {}  # module path -> Field of its output (last call)
        self.rows = []
        self.approximate = []

    def _global(self, out):
        return Field(self.input_hw, None, None, tuple(out.shape[1:]))

    def field_of(self, t):
        hit = self.fields.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        if t.ndim != 4:
            return Field(self.input_hw, None, None, tuple(t.shape[1:]))
        size = tuple(t.shape[-2:])
        same = [f for _, f in self.fields.values() if not f.is_global and f.size == size]
        if same:  # made by a functional op (a residual sum): the largest field of that size
            return max(same, key=lambda f: f.rf)
        local = [f for _, f in self.fields.values() if not f.is_global]
        return _resize(local[-1], size) if local else None

    def register(self, t, f):
        if torch.is_tensor(t) and f is not None:
            self.fields[id(t)] = (t, f)

    def hook(self, path, module, inputs, out):
        if not torch.is_tensor(out):
            return
        is_leaf = not list(module.children())
        x = inputs[0] if inputs and torch.is_tensor(inputs[0]) else None
        if not is_leaf or x is None:  # a container: its output's field is already known
            f = self.field_of(out)
            self.register(out, f)
            self.by_path[path] = f
            return
        f_in = self.field_of(x)
        kernel = stride = None
        kind = "elementwise"
        if f_in is None or f_in.is_global or out.ndim != 4:
            # Flatten (the map becomes a vector) and Linear layers see the whole image
            made_global = f_in is not None and not f_in.is_global
            f_out = self._global(out)
            kind = "global" if isinstance(module, nn.Linear) or made_global else kind
        elif isinstance(module, _CONV_POOL):
            k, s, p, d = _conv_geometry(module)
            rf, jump, start = _apply(f_in, k, s, p, d)
            f_out = Field(rf, jump, start, tuple(out.shape[-2:]))
            kind, kernel, stride = "conv" if isinstance(module, nn.Conv2d) else "pool", k, s
        elif isinstance(module, _ADAPTIVE) or tuple(out.shape[-2:]) != f_in.size:
            size = tuple(out.shape[-2:])
            if isinstance(module, _ADAPTIVE) and all(i % o == 0 for i, o in zip(f_in.size, size)):
                k = s = tuple(i // o for i, o in zip(f_in.size, size))
                rf, jump, start = _apply(f_in, k, s, (0, 0), (1, 1))
                f_out, kind, kernel, stride = Field(rf, jump, start, size), "pool", k, s
            else:
                f_out, kind = _resize(f_in, size), "resize"
                if not isinstance(module, _ADAPTIVE) and not hasattr(module, "spec"):
                    self.approximate.append(path)  # unknown module changing the size
        else:
            f_out = f_in
        self.register(out, f_out)
        self.by_path[path] = f_out
        weight = getattr(module, "weight", None)
        self.rows.append(dict(path=path, module=module, kind=kind, kernel=kernel,
                              stride=stride, field=f_out,
                              weights=int(weight.numel()) if torch.is_tensor(weight) else 0))

    def run(self, x):
        handles = [m.register_forward_hook(
            lambda mod, inp, out, path=path: self.hook(path, mod, inp, out))
            for path, m in self.network.named_modules()]
        self.register(x, Field((1, 1), (1, 1), (0.0, 0.0), tuple(x.shape[-2:])))
        was_training = self.network.training
        self.network.eval()
        try:
            with torch.no_grad():
                self.network(x)
        finally:
            self.network.train(was_training)
            for h in handles:
                h.remove()
        if self.approximate:
            warn(f"Layers {self.approximate} change the map size but are neither "
                 "convolutions nor poolings: treated as resizes (approximate).",
                 UserWarning)
        return self


def trace(network, input_shape, device="cpu"):
    """Trace ``network`` on a zero image of shape ``input_shape`` = ``(C, H, W)``."""
    x = torch.zeros((1, *input_shape), device=device)
    return _Tracer(network, input_shape[-2:]).run(x)


def _scalar(v):
    """An int when both axes agree (and the value is whole), else the (h, w) pair; "-" for
    layers without one (a Linear layer has no kernel, a global field no jump)."""
    if v is None:
        return "-"
    v = tuple(int(round(a)) if abs(a - round(a)) < 1e-6 else round(a, 3) for a in v)
    return v[0] if v[0] == v[1] else v


def table(tracer, all_layers=False):
    """The traced rows as a pandas DataFrame."""
    import pandas as pd

    records = []
    for row in tracer.rows:
        if not all_layers and row["kind"] == "elementwise":
            continue
        f = row["field"]
        records.append({
            "layer": row["path"] or "(the module)", "type": type(row["module"]).__name__,
            "kernel": _scalar(row["kernel"]), "stride": _scalar(row["stride"]),
            "output_size": f.size if f.is_global else "x".join(map(str, f.size)),
            "receptive_field": _scalar(f.rf), "jump": _scalar(f.jump),
            "start": _scalar(f.start), "weights": row["weights"]})
    columns = ["layer", "type", "kernel", "stride", "output_size", "receptive_field", "jump",
               "start", "weights"]
    # object columns: ints stay ints next to the "-" of layers without a kernel or jump
    return pd.DataFrame({c: pd.Series([r[c] for r in records], dtype=object)
                         for c in columns})


def unit_box(f, unit, image_hw):
    """``(top, left, bottom, right)`` (exclusive ends, clipped) of a unit's field."""
    box = []
    for ax in range(2):
        if f.is_global:
            box.append((0, image_hw[ax]))
            continue
        centre = f.start[ax] + unit[ax] * f.jump[ax]
        lo = math.floor(centre - (f.rf[ax] - 1) / 2 + 1e-6)
        hi = math.floor(centre + (f.rf[ax] - 1) / 2 + 1e-6) + 1
        box.append((max(lo, 0), min(hi, image_hw[ax])))
    return box[0][0], box[1][0], box[0][1], box[1][1]
