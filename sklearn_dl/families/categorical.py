"""Categorical family for multiclass classification: softmax link."""

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats

from ._base import Family


class Categorical(Family):
    """Categorical distribution over ``K`` classes, ``p = softmax(raw)``."""

    name = "categorical"
    task = "classification"
    discrete = True

    def n_outputs(self, n_targets):
        return n_targets

    def target_tensor(self, y):
        return torch.as_tensor(np.asarray(y, dtype=np.int64))

    def params(self, raw):
        return {"p": torch.softmax(raw, dim=1)}

    def log_prob(self, raw, y):
        return -F.cross_entropy(raw, y, reduction="none")

    def nll(self, raw, y, sample_weight=None):
        if sample_weight is None:
            return F.cross_entropy(raw, y)  # fused mean reduction
        return (F.cross_entropy(raw, y, reduction="none") * sample_weight).mean()

    def to_scipy(self, params):
        # a one-trial multinomial is the categorical distribution on one-hot vectors
        return stats.multinomial(n=1, p=params["p"])

    def mean(self, params):
        """Class probabilities, shape ``(n, K)``."""
        return params["p"]
