"""Negative binomial family for over-dispersed counts: log mean, log dispersion."""

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats
from scipy.special import gammaln, xlogy

from ._base import Family, weighted_column_mean
from ._heads import (check_option, float64_target, make_blocks_head, split_blocks,
                     weighted_column_var)

# exp(30) ~ 1e13 counts; a dispersion in [exp(-12), exp(8)] ~ [6e-6, 3e3] spans a nearly
# Poisson target (size 1.6e5) to extreme over-dispersion, and keeps the size finite.
LOG_MEAN_MAX = 30.0
LOG_DISPERSION_MIN, LOG_DISPERSION_MAX = -12.0, 8.0


class NegativeBinomial(Family):
    """Negative binomial (NB2) distribution: ``Var(y) = mean + dispersion * mean^2``.

    The count model of ``MASS::glm.nb`` and statsmodels' ``NegativeBinomial``: a Poisson
    whose rate is Gamma distributed, for counts more variable than a Poisson allows.
    The network outputs ``log(mean)`` and, per the ``dispersion`` option, ``log(alpha)``;
    R's ``theta`` (scipy's ``n``, the *size*) is ``1 / alpha``.

    Parameters
    ----------
    dispersion : {"constant", "input"}, default="constant"
        ``"constant"``: one learned dispersion per target, as in the classical NB
        regression; ``"input"``: the network outputs a dispersion for every input (the
        analogue of ``Normal(heteroscedastic=True)``).

    Notes
    -----
    Raw outputs are ``(log_mean_1..k, log_alpha_1..k)``.  With ``d = log(mean * alpha)``
    and size ``r = 1 / alpha`` the log-likelihood is::

        lgamma(y + r) - lgamma(r) - lgamma(y + 1) - r softplus(d) + y (d - softplus(d))

    (computed in float64), the NB log-pmf at integers and its continuous extension in
    between, so rates (counts per exposure, with ``sample_weight=exposure``) are accepted
    as by :class:`Poisson`.  ``to_scipy`` is ``scipy.stats.nbinom(n=r, p=r / (r + mean))``.
    The unit deviance is R's ``negative.binomial(theta)`` deviance at the *predicted*
    dispersion (the dispersion treated as known).  The marginal model is fitted by
    L-BFGS from the method-of-moments start (its mean is the sample mean).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.families import NegativeBinomial
    >>> fam = NegativeBinomial()
    >>> params = {"mean": np.array([2.0]), "dispersion": np.array([0.5])}
    >>> fam.variance(params)
    array([4.])
    """

    name = "negative_binomial"
    discrete = True
    support = "nonnegative"
    param_names = ("mean", "dispersion")
    links = {"mean": "log", "dispersion": "log"}
    glm_options = {"dispersion": "constant"}

    def __init__(self, dispersion="constant"):
        check_option(self, "dispersion", dispersion, ("constant", "input"))
        self.dispersion = dispersion

    def n_outputs(self, n_targets):
        return 2 * n_targets

    def make_head(self, n_features, n_targets):
        return make_blocks_head(n_features, n_targets, 2,
                                1 if self.dispersion == "constant" else 0)

    @staticmethod
    def _split(raw):
        log_mean, log_alpha = split_blocks(raw, 2)
        return (log_mean.clamp(max=LOG_MEAN_MAX),
                log_alpha.clamp(LOG_DISPERSION_MIN, LOG_DISPERSION_MAX))

    def params(self, raw):
        log_mean, log_alpha = self._split(raw)
        return {"mean": log_mean.exp(), "dispersion": log_alpha.exp()}

    def log_prob(self, raw, y):
        raw64, y = float64_target(raw, y)
        log_mean, log_alpha = self._split(raw64)
        size = torch.exp(-log_alpha)
        d = log_mean + log_alpha
        sp = F.softplus(d)
        logp = (torch.lgamma(y + size) - torch.lgamma(size) - torch.lgamma(y + 1.0)
                - size * sp + y * (d - sp))
        return logp.sum(dim=1).to(raw.dtype)

    def marginal_start(self, y, sample_weight=None, n_targets=None):
        # method of moments: alpha = (var - mean) / mean^2, floored for under-dispersion
        mean = np.maximum(weighted_column_mean(y, sample_weight), 1e-3)
        var = weighted_column_var(y, mean, sample_weight)
        alpha = np.clip((var - mean) / mean**2, np.exp(LOG_DISPERSION_MIN + 1), None)
        return np.concatenate([np.log(mean), np.log(alpha)])

    def to_scipy(self, params):
        size = 1.0 / params["dispersion"]
        return stats.nbinom(n=size, p=1.0 / (1.0 + params["dispersion"] * params["mean"]))

    def logpdf(self, params, y):
        # the training loss's log-likelihood, finite for non-integer rates too
        y = np.asarray(y, dtype=np.float64)
        mean, alpha = params["mean"], params["dispersion"]
        size = 1.0 / alpha
        d = np.log(mean) + np.log(alpha)
        sp = np.logaddexp(0.0, d)
        return (gammaln(y + size) - gammaln(size) - gammaln(y + 1.0) - size * sp
                + y * (d - sp))

    def variance(self, params):
        return params["mean"] + params["dispersion"] * params["mean"] ** 2

    def unit_deviance(self, params, y):
        y = np.asarray(y, dtype=np.float64)
        mean, size = params["mean"], 1.0 / params["dispersion"]
        return 2.0 * (xlogy(y, y / mean) - (y + size) * np.log((y + size) / (mean + size)))
