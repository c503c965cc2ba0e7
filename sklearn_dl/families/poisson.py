"""Poisson family for counts: log link."""

import numpy as np
import torch
from scipy import stats
from scipy.special import gammaln, xlogy

from ._base import Family, as_2d, weighted_column_mean


class Poisson(Family):
    """Poisson distribution with log link: ``rate = exp(raw)``.

    Targets must be finite and non-negative.  Non-integer targets are rates (counts per
    unit of exposure), as in scikit-learn's ``PoissonRegressor``: fit ``y = counts /
    exposure`` with ``sample_weight=exposure``.  The log-likelihood is then
    ``y log(mu) - mu - log Gamma(y + 1)``, the Poisson log-pmf at integers and its
    continuous extension in between, so the NLL (training loss, ``mean_nll``, the NLL
    scorer) stays finite and differs from the Poisson deviance by a constant.  The
    predictive distribution's ``cdf``/``ppf``/``rvs`` are those of the integer-valued
    Poisson distribution.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.families import Poisson
    >>> Poisson().params(torch.tensor([[0.0], [1.0]]))["mean"]  # exp(raw)
    tensor([[1.0000],
            [2.7183]])
    """

    name = "poisson"
    discrete = True
    support = "nonnegative"
    param_names = ("mean",)
    links = {"mean": "log"}

    # exp(30) ~ 1e13 counts: beyond any real count, and keeps exp() finite in float32.
    LOG_RATE_MAX = 30.0

    def n_outputs(self, n_targets):
        return n_targets

    def marginal_raw(self, y, sample_weight=None, n_targets=None):
        # closed form: the log of the (weighted) mean count, floored so that an all-zero
        # target does not start at log(0)
        return np.log(np.clip(weighted_column_mean(y, sample_weight), 1e-3, None))

    def params(self, raw):
        return {"mean": raw.clamp(max=self.LOG_RATE_MAX).exp()}

    def log_prob(self, raw, y):
        log_rate = raw.clamp(max=self.LOG_RATE_MAX)
        y = as_2d(y)
        return (y * log_rate - log_rate.exp() - torch.lgamma(y + 1.0)).sum(dim=1)

    def to_scipy(self, params):
        return stats.poisson(mu=params["mean"])

    def logpdf(self, params, y):
        # the training loss's log-likelihood, finite for non-integer rates too
        y = np.asarray(y, dtype=np.float64)
        mu = params["mean"]
        return xlogy(y, mu) - mu - gammaln(y + 1.0)

    def variance(self, params):
        return params["mean"]

    def unit_deviance(self, params, y):
        y = np.asarray(y, dtype=np.float64)
        mu = params["mean"]
        return 2.0 * (xlogy(y, y / mu) - (y - mu))
