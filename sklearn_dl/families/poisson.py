"""Poisson family for counts: log link."""

import numpy as np
import torch
from scipy import stats

from ._base import Family, as_2d


class Poisson(Family):
    """Poisson distribution with log link: ``rate = exp(raw)``.

    Targets must be finite and non-negative.  Non-integer targets are accepted (as in
    scikit-learn's ``PoissonRegressor``: the loss is then the Poisson deviance up to a
    constant), but :meth:`to_scipy` gives an integer-valued distribution.
    """

    name = "poisson"
    discrete = True

    # exp(30) ~ 1e13 counts: beyond any real count, and keeps exp() finite in float32.
    LOG_RATE_MAX = 30.0

    def n_outputs(self, n_targets):
        return n_targets

    def check_target(self, y):
        y = np.asarray(y, dtype=np.float64)
        if np.any(y < 0):
            n_neg = int(np.sum(y < 0))
            raise ValueError(
                f"Poisson regression needs non-negative counts, but y has {n_neg} "
                f"negative value(s) (min {y.min():g})."
            )
        return y

    def init_head(self, head, y, sample_weight):
        # Start at the log of the mean count: the first epochs then fit structure
        # instead of the overall level, which matters with large counts.
        mean = np.average(np.asarray(y).reshape(len(y), -1), axis=0, weights=sample_weight)
        mean = np.clip(mean, 1e-3, None)
        with torch.no_grad():
            head.bias.copy_(torch.as_tensor(np.log(mean), dtype=head.bias.dtype))

    def params(self, raw):
        return {"mean": raw.clamp(max=self.LOG_RATE_MAX).exp()}

    def log_prob(self, raw, y):
        log_rate = raw.clamp(max=self.LOG_RATE_MAX)
        y = as_2d(y)
        return (y * log_rate - log_rate.exp() - torch.lgamma(y + 1.0)).sum(dim=1)

    def to_scipy(self, params):
        return stats.poisson(mu=params["mean"])
