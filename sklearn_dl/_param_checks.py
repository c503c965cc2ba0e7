"""Parameter validation: number and ``"auto"`` checks, devices, and the base's checks.

scikit-learn style: parameters are stored verbatim in ``__init__`` and checked here, in
``fit``, with messages that name the parameter and the problem.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from . import _skorch
from ._validation import check_random_state_param


def _check_number(name, value, *, low=None, high=None, integer=False, low_open=False,
                  high_open=False, allow_none=False):
    """Raise a ValueError/TypeError naming ``name`` unless ``value`` is in range."""
    if value is None and allow_none:
        return
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an int' if integer else 'a number'}, got {value!r}.")
    if not math.isfinite(value):  # NaN passes every comparison below, inf every bound
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lo}{low}, {high}{hi}, got {value!r}.")


def check_verbose(verbose):
    """``verbose`` must be a non-negative int (True means 1, as in scikit-learn)."""
    if not isinstance(verbose, (bool, np.bool_)):
        _check_number("verbose", verbose, low=0, integer=True)


def _check_auto(name, value, **kwargs):
    """``"auto"`` or a number checked by :func:`_check_number`."""
    if isinstance(value, str) and value == "auto":
        return
    if isinstance(value, str):
        raise ValueError(f"{name} must be 'auto' or a number, got {value!r}.")
    _check_number(name, value, **kwargs)


def resolve_device(device):
    """``"auto"`` -> ``"cuda"`` when available else ``"cpu"``; other strings checked."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r} is not a device torch knows; use 'cpu', "
                         "'cuda', 'cuda:<index>' or 'auto'.") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available; use 'cpu' or 'auto'.")
    if dev.type not in ("cpu", "cuda"):
        # torch names many device types ("meta", "mps", "xla", ...); training on one
        # that is absent here (or holds no data, as "meta") would fail deep in torch
        backend = getattr(torch, dev.type, None)
        available = getattr(backend, "is_available", None)
        if dev.type == "meta" or available is None or not available():
            raise ValueError(f"device={device!r} is not available on this machine; use "
                             "'cpu', 'cuda' (when available) or 'auto'.")
    return str(device)


class _ParamChecksMixin:
    """``_check_params`` of :class:`~sklearn_dl._base._BaseNN`: the training parameters
    shared by every network estimator (the input side checks its body's own), in ``fit``
    and never in ``__init__``."""

    def _check_params(self):
        """Validate the training parameters; returns the body's checked settings."""
        _check_number("lr", self.lr, low=0, low_open=True)
        _check_auto("weight_decay", self.weight_decay, low=0)
        _check_number("l1", self.l1, low=0)
        _check_auto("batch_size", self.batch_size, low=1, integer=True)
        _check_auto("max_epochs", self.max_epochs, low=1, integer=True)
        _check_auto("patience", self.patience, low=1, integer=True)
        _check_number("validation_fraction", self.validation_fraction, low=0, high=1,
                      high_open=True, allow_none=True)
        _check_number("mc_samples", self.mc_samples, low=0, integer=True)
        check_verbose(self.verbose)
        if not (self.early_stopping == "auto" or isinstance(self.early_stopping,
                                                             (bool, np.bool_))):
            raise ValueError(f"early_stopping must be True, False or 'auto', got "
                             f"{self.early_stopping!r}.")
        if self.early_stopping is True and self.validation_fraction == 0:
            raise ValueError("early_stopping=True needs validation data, but "
                             "validation_fraction=0 holds out nothing; set "
                             "validation_fraction (e.g. 0.1) or early_stopping=False.")
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise ValueError(f"warm_start must be True or False, got {self.warm_start!r}.")
        check_random_state_param(self.random_state)
        _skorch.resolve_optimizer(self.optimizer)
        self._device = resolve_device(self.device)
        return self._check_body_params()
