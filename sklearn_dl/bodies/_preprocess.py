"""The input side of a pretrained backbone: 0-255 (or [0, 1]) float images to what its
weights expect, as an ``nn.Module`` so it runs in the network's forward pass."""

import torch
import torch.nn.functional as F
from torch import nn

from ._weights import PreprocessSpec, as_size


class Preprocess(nn.Module):
    """Map 0-255 float images to the input a set of weights expects.

    Steps: drop alpha, resize to ``input_size`` (antialiased bilinear), grey -> 3 channels,
    RGB -> BGR if the weights want it, rescale from ``pixel_range`` to the weights' value
    range (divide by 255 if they work on 0-1; multiply by 255 when 0-255 weights get [0, 1]
    images), then ``(x - mean) / std``. Unlike torchvision's ImageNet evaluation transform there is no
    resize-256 + centre-crop: the whole image is resized (non-square images are stretched),
    which suits small images.

    Parameters
    ----------
    spec : PreprocessSpec
    input_size : int or (int, int), optional
        Output spatial size; default ``spec.input_size``.
    pixel_range : {255, 1}, default=255
        The scale of the input: 255 for pixel values 0-255, 1 for images in [0, 1].
        Nothing checks the values here; the estimators refuse input that contradicts it.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.bodies.pretrained import CAFFE_SPEC, Preprocess
    >>> pre = Preprocess(CAFFE_SPEC, 64)
    >>> pre(torch.full((1, 1, 32, 32), 255.0)).shape  # grey 32x32 -> BGR 64x64
    torch.Size([1, 3, 64, 64])
    """

    def __init__(self, spec, input_size=None, pixel_range=255):
        super().__init__()
        if not isinstance(spec, PreprocessSpec):
            raise TypeError(f"spec must be a PreprocessSpec, got {type(spec).__name__}.")
        if pixel_range not in (1, 255) or isinstance(pixel_range, bool):
            raise ValueError(f"pixel_range must be 255 or 1, got {pixel_range!r}.")
        self.spec, self.pixel_range = spec, float(pixel_range)
        self.input_size = as_size(input_size or spec.input_size)
        # Non-persistent: rebuilt from ``spec``, so they stay out of saved state dicts.
        self.register_buffer("mean", torch.tensor(spec.mean, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer("std", torch.tensor(spec.std, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] not in (1, 3, 4):
            raise ValueError("Preprocess expects images of shape (batch, 1, 3 or 4, height, "
                             f"width) with values in 0-255; got shape {tuple(x.shape)}.")
        x = x.to(torch.float32)
        if x.shape[1] == 4:  # RGBA: the networks know nothing of alpha (as PIL's convert("RGB"))
            x = x[:, :3]
        if tuple(x.shape[-2:]) != self.input_size:
            x = F.interpolate(x, size=self.input_size, mode="bilinear", align_corners=False,
                              antialias=True)
        if x.shape[1] == 1:  # resize first: one channel is cheaper than three
            x = x.expand(-1, 3, -1, -1)
        if self.spec.channel_order == "BGR":
            x = x.flip(1)
        if self.spec.value_range == 1.0 and self.pixel_range == 255.0:
            x = x / 255.0
        elif self.spec.value_range == 255.0 and self.pixel_range == 1.0:
            x = x * 255.0
        x = (x - self.mean) / self.std
        # channels_last: oneDNN's convolutions are 10-40% faster in this layout on CPU
        # (measured in benchmarks/bench_pretrained.py); values are unchanged
        return x.contiguous(memory_format=torch.channels_last)

    def extra_repr(self):
        s = self.spec
        return (f"input_size={self.input_size}, pixel_range=0-{self.pixel_range:g}, "
                f"order={s.channel_order}, range=0-{s.value_range:g}, mean={s.mean}, "
                f"std={s.std}")
