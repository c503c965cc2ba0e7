"""Heads and small helpers shared by the families with several parameters per target.

Raw outputs are laid out in blocks of ``n_targets`` columns, one block per raw
parameter, in the family's order (e.g. ``(log_mean_1..k, log_dispersion_1..k)``).
Parameters that do not depend on the input are the *last* blocks: the head is then a
Linear for the leading blocks followed by learned constants (:class:`LinearWithConstants`),
and the raw layout is the same whichever option is chosen.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._base import as_2d


class LinearWithConstants(nn.Module):
    """A Linear for the first ``n_linear`` raw outputs, then ``n_constant`` learned
    constants broadcast over the batch (e.g. a constant dispersion per target).

    Parameters
    ----------
    n_features : int
        Width of the body's output.
    n_linear : int
        Input-dependent raw outputs (the Linear's width).
    n_constant : int
        Raw outputs that are the same for every input.

    Examples
    --------
    >>> import torch
    >>> head = LinearWithConstants(4, 1, 1)
    >>> head(torch.zeros(3, 4)).shape
    torch.Size([3, 2])
    """

    def __init__(self, n_features, n_linear, n_constant):
        super().__init__()
        self.linear = nn.Linear(n_features, n_linear)
        self.constant = nn.Parameter(torch.zeros(n_constant))

    def forward(self, features):
        out = self.linear(features)
        return torch.cat([out, self.constant.expand(out.shape[0], -1)], dim=1)

    def init_from_raw(self, raw):
        """Start at raw outputs ``raw`` (the marginal fit): bias and constants.

        Parameters
        ----------
        raw : array-like of shape (n_linear + n_constant,)
        """
        raw = torch.as_tensor(np.asarray(raw), dtype=self.constant.dtype)
        n = self.linear.out_features
        if self.linear.bias is not None:  # None: a model without intercept
            self.linear.bias.copy_(raw[:n])
        self.constant.copy_(raw[n:])


def head_linear(head):
    """The Linear giving a head's input-dependent raw outputs (the leading ones), or
    None: the head itself, or its ``linear`` (:class:`LinearWithConstants`, the
    homoscedastic Normal's head)."""
    linear = head if isinstance(head, nn.Linear) else getattr(head, "linear", None)
    return linear if isinstance(linear, nn.Linear) else None


def remove_intercept(head):
    """Drop the bias of the head's input-dependent Linear, in place: a model without
    intercept, whose linear predictors are 0 at x = 0.  Constant raw outputs (a constant
    dispersion) stay: they are parameters of the distribution, not intercepts.

    Parameters
    ----------
    head : torch.nn.Module
        A head built by :meth:`Family.make_head <sklearn_dl.families.Family.make_head>`.

    Returns
    -------
    head : torch.nn.Module
        The same module.

    Raises
    ------
    ValueError
        When the head has no such Linear (a family's own head module).
    """
    linear = head_linear(head)
    if linear is None:
        raise ValueError(f"fit_intercept=False needs a head whose input-dependent outputs "
                         f"come from a Linear layer (head.linear), but the family's head "
                         f"is {type(head).__name__}; keep fit_intercept=True.")
    linear.bias = None  # F.linear without a bias; no parameter left to train
    return head


def zero_outputs(head):
    """How many leading raw outputs a head gives as exactly 0 when its weights are 0:
    those of a Linear without bias (see :func:`remove_intercept`), else none."""
    linear = head_linear(head)
    return linear.out_features if linear is not None and linear.bias is None else 0


def make_blocks_head(n_features, n_targets, n_blocks, n_constant_blocks):
    """A plain Linear when every block depends on the input, else a
    :class:`LinearWithConstants` whose last ``n_constant_blocks`` blocks are constants."""
    if n_constant_blocks == 0:
        return nn.Linear(n_features, n_blocks * n_targets)
    return LinearWithConstants(n_features, (n_blocks - n_constant_blocks) * n_targets,
                               n_constant_blocks * n_targets)


def split_blocks(raw, n_blocks):
    """``raw`` of shape ``(n, n_blocks * k)`` -> list of ``n_blocks`` tensors ``(n, k)``."""
    k = raw.shape[1] // n_blocks
    return [raw[:, i * k:(i + 1) * k] for i in range(n_blocks)]


def float64_target(raw, y):
    """``(raw, y)`` in float64, ``y`` as ``(n, k)``.

    The log-likelihoods with log-gamma terms subtract large, nearly equal numbers
    (``lgamma(y + r) - lgamma(r)`` for a large negative-binomial size ``r``); float32
    would lose the difference, so these families compute in float64 and return the
    result in the network's dtype.
    """
    return raw.to(torch.float64), as_2d(y).to(torch.float64)


def check_option(family, name, value, allowed):
    """Raise a ValueError naming the family option unless ``value`` is allowed."""
    if value not in allowed:
        raise ValueError(f"{type(family).__name__}: {name} must be one of "
                         f"{', '.join(repr(a) for a in allowed)}, got {value!r}.")


def weighted_column_var(y, mean, sample_weight):
    """Weighted (maximum-likelihood) variance of each target column."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return np.average((y - mean) ** 2, axis=0, weights=sample_weight)
