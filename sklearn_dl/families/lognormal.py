"""Log-normal family for positive, right-skewed targets: log y is Normal."""

import numpy as np
import torch
from scipy import stats

from ._base import LOG_2PI, Family, as_2d
from ._heads import make_blocks_head, split_blocks, weighted_column_var
from .normal import LOG_SD_MAX, LOG_SD_MIN


class LogNormal(Family):
    """Log-normal distribution: ``log(y) ~ Normal(meanlog, sdlog)``.

    For positive targets whose spread grows with their level (incomes, prices, waiting
    times).  The network outputs ``meanlog`` (identity link) and ``log(sdlog)``; the
    predictive mean is ``exp(meanlog + sdlog^2 / 2)`` and the median ``exp(meanlog)``.

    Parameters
    ----------
    heteroscedastic : bool, default=True
        If True the network outputs ``sdlog`` for every input, as
        :class:`Normal` ``(heteroscedastic=True)`` does on the log scale; if False one
        ``sdlog`` per target is learned.

    Notes
    -----
    Raw outputs are ``(meanlog_1..k, log_sdlog_1..k)``; the log-likelihood is the Normal
    one of ``log(y)`` minus ``log(y)`` (the Jacobian).  Targets must be positive.  The
    target is not standardised by the estimator (a shift would break positivity); the
    head starts at the closed-form marginal fit (mean and sd of ``log(y)``), so the
    units of y do not matter.  ``to_scipy`` is ``scipy.stats.lognorm(s=sdlog,
    scale=exp(meanlog))``.  No classical unit deviance (``unit_deviance`` is None).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.families import LogNormal
    >>> params = {"meanlog": np.array([0.0]), "sdlog": np.array([1.0])}
    >>> LogNormal().mean(params).round(4)
    array([1.6487])
    """

    name = "lognormal"
    support = "positive"
    param_names = ("meanlog", "sdlog")
    links = {"meanlog": "identity", "sdlog": "log"}
    glm_options = {"heteroscedastic": False}

    def __init__(self, heteroscedastic=True):
        self.heteroscedastic = heteroscedastic

    def n_outputs(self, n_targets):
        return 2 * n_targets

    def make_head(self, n_features, n_targets):
        return make_blocks_head(n_features, n_targets, 2, 0 if self.heteroscedastic else 1)

    @staticmethod
    def _split(raw):
        meanlog, log_sd = split_blocks(raw, 2)
        return meanlog, log_sd.clamp(LOG_SD_MIN, LOG_SD_MAX)

    def params(self, raw):
        meanlog, log_sd = self._split(raw)
        return {"meanlog": meanlog, "sdlog": log_sd.exp()}

    def log_prob(self, raw, y):
        meanlog, log_sd = self._split(raw)
        log_y = torch.log(as_2d(y).to(raw.dtype))
        z = (log_y - meanlog) * torch.exp(-log_sd)
        return (-log_y - log_sd - 0.5 * z * z - 0.5 * LOG_2PI).sum(dim=1)

    def marginal_raw(self, y, sample_weight=None, n_targets=None):
        # closed form: the Normal MLE on log(y)
        log_y = np.log(np.asarray(y, dtype=np.float64).reshape(len(y), -1))
        meanlog = np.average(log_y, axis=0, weights=sample_weight)
        sd = np.sqrt(weighted_column_var(log_y, meanlog, sample_weight))
        return np.concatenate([meanlog, np.log(np.maximum(sd, np.exp(LOG_SD_MIN)))])

    def to_scipy(self, params):
        return stats.lognorm(s=params["sdlog"], scale=np.exp(params["meanlog"]))

    def mean(self, params):
        return np.exp(params["meanlog"] + 0.5 * params["sdlog"] ** 2)

    def variance(self, params):
        s2 = params["sdlog"] ** 2
        return np.expm1(s2) * np.exp(2.0 * params["meanlog"] + s2)
