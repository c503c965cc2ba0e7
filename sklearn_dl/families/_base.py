"""The distribution-family interface: raw network outputs -> a distribution.

A family is the *head* half of "estimator = body x family".  It knows

* how many raw outputs the network needs (:meth:`Family.n_outputs`),
* how a target must look (:meth:`Family.check_target`),
* its inverse link(s), raw outputs -> distribution parameters (:meth:`Family.params`),
* its negative log-likelihood in torch, which is the training loss (:meth:`Family.nll`),
* how to freeze the parameters into a vectorised :mod:`scipy.stats` distribution
  (:meth:`Family.to_scipy`) and what the point prediction is (:meth:`Family.mean`).

Families are stateless: their constructor arguments are options, nothing is learned in
them.  Learnable parameters that do not depend on the input (the constant standard
deviation of a homoscedastic Normal) live in the head module that :meth:`Family.make_head`
returns, so that everything that is trained is part of one ``nn.Module``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

LOG_2PI = math.log(2.0 * math.pi)


class Family:
    """Base class of distribution families.

    Subclasses set :attr:`name` and :attr:`task` and implement :meth:`n_outputs`,
    :meth:`params`, :meth:`log_prob` and :meth:`to_scipy`.  Register a new family
    with :func:`sklearn_dl.families.register_family`; nothing else needs to change.
    """

    #: short name used by the registry, e.g. ``"normal"``
    name = "family"
    #: ``"regression"`` or ``"classification"``
    task = "regression"
    #: whether the scipy distribution is discrete (logpmf) or continuous (logpdf)
    discrete = False
    #: location-scale families can be trained on a standardised target and mapped back
    #: exactly by :meth:`rescale` (the estimator then standardises y for you)
    location_scale = False

    # -- sizes and targets -------------------------------------------------------------
    def n_outputs(self, n_targets):
        """Number of raw network outputs for ``n_targets`` targets (or classes)."""
        raise NotImplementedError

    def check_target(self, y):
        """Validate a float64 target array; return it (possibly converted).

        Raises ``ValueError`` naming the problem.  The default accepts any finite real.
        """
        return y

    def target_tensor(self, y):
        """Convert a validated numpy target to the tensor the NLL expects."""
        return torch.as_tensor(np.asarray(y, dtype=np.float32))

    # -- network head ------------------------------------------------------------------
    def make_head(self, n_features, n_targets):
        """The layer mapping body features to raw outputs (default: one Linear)."""
        return nn.Linear(n_features, self.n_outputs(n_targets))

    def init_head(self, head, y, sample_weight):
        """Optionally initialise the head from the (weighted) training target
        (default: no-op)."""

    # -- distribution ------------------------------------------------------------------
    def params(self, raw):
        """Inverse link(s): raw outputs (torch) -> dict of distribution parameters."""
        raise NotImplementedError

    def log_prob(self, raw, y):
        """Per-sample log-likelihood (torch, shape ``(n,)``), summed over targets."""
        raise NotImplementedError

    def nll(self, raw, y, sample_weight=None):
        """Mean negative log-likelihood over the batch: the training loss.

        ``sample_weight`` (shape ``(n,)``) multiplies each sample's NLL; the estimator
        normalises weights to mean one over the training set, so all-ones weights give
        exactly the unweighted loss.
        """
        nll = -self.log_prob(raw, y)
        if sample_weight is not None:
            nll = nll * sample_weight
        return nll.mean()

    def to_scipy(self, params):
        """Frozen vectorised :mod:`scipy.stats` distribution from numpy parameters."""
        raise NotImplementedError

    def mean(self, params):
        """Point prediction (numpy): the mean, or class probabilities."""
        return params["mean"]

    def rescale(self, params, shift, scale):
        """Parameters of ``shift + scale * Y`` given those of ``Y`` (numpy).

        Only for :attr:`location_scale` families.
        """
        raise NotImplementedError(f"{type(self).__name__} is not a location-scale family.")

    # -- helpers -----------------------------------------------------------------------
    def params_numpy(self, raw):
        """:meth:`params` on a tensor, returned as float64 numpy arrays."""
        with torch.no_grad():
            params = self.params(raw)
        return {k: v.detach().cpu().numpy().astype(np.float64) for k, v in params.items()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self):
        return hash((type(self), tuple(sorted(vars(self).items()))))


def as_2d(t):
    """View a (n,) tensor as (n, 1); leave (n, k) alone."""
    return t.reshape(-1, 1) if t.dim() == 1 else t
