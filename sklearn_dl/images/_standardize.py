"""Standardisation of image batches: ``(x - mean) / std`` learned in ``fit``, as a layer."""

from __future__ import annotations

import torch
from torch import nn

#: accepted values of the estimators' ``standardize=`` parameter
STANDARDIZE_OPTIONS = (None, False, "scale", "channel")


def _check_standardize(mode):
    if mode is None or mode is False:
        return None
    if mode is True:
        raise ValueError("standardize=True is ambiguous: use 'scale' (divide by 255) or "
                         "'channel' (per-channel mean and std learned in fit).")
    if mode not in ("scale", "channel"):
        raise ValueError(f"standardize must be one of {STANDARDIZE_OPTIONS}; got {mode!r}.")
    return mode


def fit_image_standardizer(X, mode):
    """Learn ``(mean, std)`` so that standardised images are ``(x - mean) / std``.

    Parameters
    ----------
    X : torch.Tensor or iterable of torch.Tensor
        An ``(n, C, H, W)`` tensor, or an iterable of such batches (e.g. from
        :func:`iter_image_batches`), read once.
    mode : {None, False, "scale", "channel"}
        ``None``/``False``: mean 0 and std 1 (identity).  ``"scale"``: mean 0 and std
        255, mapping 0-255 pixels to 0-1.  ``"channel"``: per-channel mean and
        (population) standard deviation over all pixels; a constant channel gets std 1.

    Returns
    -------
    mean, std : torch.Tensor
        float32 tensors of shape ``(C,)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.images import fit_image_standardizer
    >>> X = torch.arange(32.0).reshape(2, 1, 4, 4)
    >>> fit_image_standardizer(X, "scale")
    (tensor([0.]), tensor([255.]))
    >>> mean, std = fit_image_standardizer(X, "channel")
    >>> mean, std.round(decimals=3)
    (tensor([15.5000]), tensor([9.2330]))
    """
    mode = _check_standardize(mode)
    batches = iter([X]) if isinstance(X, torch.Tensor) else iter(X)
    count, mean, m2 = 0, None, None
    for batch in batches:
        if batch.ndim != 4:
            raise ValueError(f"Expected (n, C, H, W) batches; got shape {tuple(batch.shape)}.")
        flat = batch.detach().to(torch.float64).transpose(0, 1).reshape(batch.shape[1], -1)
        if mean is None:
            mean = m2 = torch.zeros(flat.shape[0], dtype=torch.float64)
            if mode != "channel":
                break  # only the channel count was needed
        if flat.shape[0] != mean.shape[0]:
            raise ValueError("Batches disagree in their number of channels.")
        k = flat.shape[1]
        if k == 0:
            continue
        # Chan et al.'s pairwise update: stable without a second pass over the files
        b_mean = flat.mean(dim=1)
        b_m2 = ((flat - b_mean[:, None]) ** 2).sum(dim=1)
        delta = b_mean - mean
        total = count + k
        mean = mean + delta * (k / total)
        m2 = m2 + b_m2 + delta**2 * (count * k / total)
        count = total
    if mean is None:
        raise ValueError("Cannot fit a standardizer on no images.")
    c = mean.shape[0]
    if mode is None:
        return torch.zeros(c), torch.ones(c)
    if mode == "scale":
        return torch.zeros(c), torch.full((c,), 255.0)
    std = torch.sqrt(m2 / max(count, 1))
    std = torch.where(std > 1e-8, std, torch.ones_like(std))
    return mean.to(torch.float32), std.to(torch.float32)


class ImageStandardize(nn.Module):
    """``(x - mean) / std`` per channel, with ``mean`` and ``std`` stored as buffers.

    Being buffers, they move with ``.to(device)``, are saved in the ``state_dict`` and
    pickle with the network, so this can be the network's first layer.

    Parameters
    ----------
    mean, std : array-like of shape (C,)

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.images import ImageStandardize
    >>> layer = ImageStandardize([127.5, 127.5, 127.5], [127.5, 127.5, 127.5])
    >>> layer(torch.full((1, 3, 2, 2), 255.0)).flatten()[:3]
    tensor([1., 1., 1.])
    """

    def __init__(self, mean, std):
        super().__init__()
        mean = torch.as_tensor(mean, dtype=torch.float32).reshape(-1)
        std = torch.as_tensor(std, dtype=torch.float32).reshape(-1)
        if mean.shape != std.shape:
            raise ValueError(f"mean has {mean.numel()} channels but std has {std.numel()}.")
        if not bool((std > 0).all()):
            raise ValueError("std must be positive in every channel.")
        self.register_buffer("mean", mean.view(1, -1, 1, 1))
        self.register_buffer("std", std.view(1, -1, 1, 1))

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.mean.shape[1]:
            raise ValueError(f"ImageStandardize expects (n, {self.mean.shape[1]}, H, W) "
                             f"input; got shape {tuple(x.shape)}.")
        return (x - self.mean) / self.std

    def extra_repr(self):
        return f"channels={self.mean.shape[1]}"
