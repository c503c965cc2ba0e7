"""Zero-inflated Poisson family: log rate, logit zero probability.

scipy has no zero-inflated Poisson, so this module defines one the scipy way, as an
``rv_discrete`` subclass (:data:`zipoisson`): its frozen objects give ``cdf``, ``ppf``,
``rvs``, ``interval``, moments and ``logpmf`` with the usual scipy semantics, which is
what :class:`sklearn_dl.distributions.ParametricDistribution` and the metrics ask of
``Family.to_scipy``.
"""

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats
from scipy.special import expit, gammaln, xlogy

from ._base import Family, weighted_column_mean
from ._heads import check_option, make_blocks_head, split_blocks

LOG_RATE_MAX = 30.0
# |logit| <= 15: zero probabilities from 3e-7 to 1 - 3e-7, so neither component can
# vanish and its gradient stays alive.
LOGIT_MAX = 15.0
RATE_MIN = 1e-3


class _ZIPoissonGen(stats.rv_discrete):
    """Zero-inflated Poisson: 0 with probability ``psi``, else a Poisson(``mu``) draw.

    ``P(0) = psi + (1 - psi) exp(-mu)``, ``P(k) = (1 - psi) Poisson(k; mu)`` for k > 0.
    """

    def _argcheck(self, mu, psi):
        return (mu >= 0) & (psi >= 0) & (psi <= 1)

    def _logpmf(self, k, mu, psi):
        with np.errstate(divide="ignore"):
            log_psi, log_keep = np.log(psi), np.log1p(-psi)
        poisson = xlogy(k, mu) - mu - gammaln(k + 1.0)
        return np.where(k == 0, np.logaddexp(log_psi, log_keep - mu), log_keep + poisson)

    def _pmf(self, k, mu, psi):
        return np.exp(self._logpmf(k, mu, psi))

    def _cdf(self, k, mu, psi):
        return psi + (1.0 - psi) * stats.poisson.cdf(k, mu)

    def _ppf(self, q, mu, psi):
        # invert the Poisson part, then correct one step either way for round-off so the
        # result is the smallest k with cdf(k) >= q, as for scipy's own distributions
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = np.clip((q - psi) / (1.0 - psi), 0.0, np.nextafter(1.0, 0.0))
        k = np.maximum(stats.poisson.ppf(inner, mu), 0.0)
        k = np.where(q <= self._cdf(0.0, mu, psi), 0.0, k)
        k = np.where((k > 0) & (self._cdf(k - 1.0, mu, psi) >= q), k - 1.0, k)
        return np.where(self._cdf(k, mu, psi) < q, k + 1.0, k)

    def _rvs(self, mu, psi, size=None, random_state=None):
        zero = random_state.uniform(size=size) < psi
        return np.where(zero, 0, random_state.poisson(mu, size=size))

    def _stats(self, mu, psi):
        # raw moments E[X^j] = (1 - psi) * (Poisson raw moments), then central ones
        keep = 1.0 - psi
        e1 = keep * mu
        e2 = keep * (mu + mu**2)
        e3 = keep * (mu**3 + 3 * mu**2 + mu)
        e4 = keep * (mu**4 + 6 * mu**3 + 7 * mu**2 + mu)
        var = e2 - e1**2
        c3 = e3 - 3 * e1 * e2 + 2 * e1**3
        c4 = e4 - 4 * e1 * e3 + 6 * e1**2 * e2 - 3 * e1**4
        with np.errstate(divide="ignore", invalid="ignore"):
            return e1, var, c3 / var**1.5, c4 / var**2 - 3.0


#: The zero-inflated Poisson as a scipy distribution: ``zipoisson(mu, psi)``.
zipoisson = _ZIPoissonGen(name="zipoisson", a=0, shapes="mu, psi")


def _zip_logpmf_torch(log_rate, logit_zero, y):
    log_zero = -F.softplus(-logit_zero)  # log psi
    log_keep = -F.softplus(logit_zero)   # log(1 - psi)
    rate = log_rate.exp()
    poisson = y * log_rate - rate - torch.lgamma(y + 1.0)
    at_zero = torch.logaddexp(log_zero, log_keep - rate)
    return torch.where(y == 0, at_zero, log_keep + poisson)


class ZeroInflatedPoisson(Family):
    """Zero-inflated Poisson: a structural zero with probability ``zero_prob``, else a
    Poisson count with rate ``rate`` (log link; the zero probability has a logit link).

    The course's fish counts: many groups caught nothing because they did not fish, and
    those zeros are not Poisson zeros.  ``mean = (1 - zero_prob) * rate`` and
    ``Var = mean * (1 + zero_prob * rate)``.

    Parameters
    ----------
    zero_inflation : {"input", "constant"}, default="input"
        ``"input"``: the network outputs the zero probability for every input (as the
        course's network does); ``"constant"``: one learned zero probability per target.

    Notes
    -----
    Raw outputs are ``(log_rate_1..k, logit_zero_1..k)``.  The log-likelihood is
    ``logsumexp(log psi, log(1 - psi) - rate)`` at ``y = 0`` and
    ``log(1 - psi) + y log(rate) - rate - lgamma(y + 1)`` above, with the log
    probabilities from softplus, so no probability is ever rounded to 0 or 1.  Non-zero
    non-integer values (rates) use the continuous extension, as in :class:`Poisson`.
    scipy has no such distribution; ``to_scipy`` returns a frozen :data:`zipoisson`, a
    ``scipy.stats.rv_discrete`` defined in this module.  There is no classical unit
    deviance (``unit_deviance`` is None).  The marginal model is the closed-form MLE:
    ``rate`` solves ``rate (1 - f0) = ybar (1 - exp(-rate))`` with ``f0`` the share of
    zeros, and ``zero_prob = 1 - ybar / rate`` (0 when zeros are not in excess).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.families import ZeroInflatedPoisson
    >>> fam = ZeroInflatedPoisson()
    >>> d = fam.to_scipy({"rate": np.array([3.0]), "zero_prob": np.array([0.5])})
    >>> d.mean(), d.pmf(0).round(3)
    (array([1.5]), array([0.525]))
    """

    name = "zero_inflated_poisson"
    discrete = True
    support = "nonnegative"
    param_names = ("rate", "zero_prob")
    links = {"rate": "log", "zero_prob": "logit"}

    def __init__(self, zero_inflation="input"):
        check_option(self, "zero_inflation", zero_inflation, ("input", "constant"))
        self.zero_inflation = zero_inflation

    def n_outputs(self, n_targets):
        return 2 * n_targets

    def make_head(self, n_features, n_targets):
        return make_blocks_head(n_features, n_targets, 2,
                                1 if self.zero_inflation == "constant" else 0)

    @staticmethod
    def _split(raw):
        log_rate, logit_zero = split_blocks(raw, 2)
        return log_rate.clamp(max=LOG_RATE_MAX), logit_zero.clamp(-LOGIT_MAX, LOGIT_MAX)

    def params(self, raw):
        log_rate, logit_zero = self._split(raw)
        return {"rate": log_rate.exp(), "zero_prob": torch.sigmoid(logit_zero)}

    def log_prob(self, raw, y):
        log_rate, logit_zero = self._split(raw)
        y = y.reshape(len(y), -1).to(raw.dtype)
        return _zip_logpmf_torch(log_rate, logit_zero, y).sum(dim=1)

    def marginal_raw(self, y, sample_weight=None, n_targets=None):
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        ybar = weighted_column_mean(y, sample_weight)
        f0 = np.average(y == 0, axis=0, weights=sample_weight)
        log_rate, logit_zero = [], []
        for m, z in zip(ybar, f0):
            rate, zero = _zip_marginal(m, z)
            log_rate.append(np.log(rate))
            logit_zero.append(np.clip(np.log(zero) - np.log1p(-zero), -LOGIT_MAX, LOGIT_MAX))
        return np.concatenate([log_rate, logit_zero])

    def to_scipy(self, params):
        return zipoisson(mu=params["rate"], psi=params["zero_prob"])

    def logpdf(self, params, y):
        # the training loss's log-likelihood, finite for non-integer rates too
        y = np.asarray(y, dtype=np.float64)
        return zipoisson._logpmf(y, params["rate"], params["zero_prob"])

    def mean(self, params):
        return (1.0 - params["zero_prob"]) * params["rate"]

    def variance(self, params):
        return self.mean(params) * (1.0 + params["zero_prob"] * params["rate"])


def _zip_marginal(ybar, f0):
    """Closed-form constant ZIP MLE ``(rate, zero_prob)`` from the mean and zero share."""
    tiny = expit(-LOGIT_MAX)
    if ybar <= 0:  # all zeros: a tiny rate, (almost) surely a structural zero
        return RATE_MIN, 1.0 - tiny
    if f0 <= np.exp(-ybar):  # no excess zeros: the Poisson MLE
        return max(ybar, RATE_MIN), tiny
    from scipy.optimize import brentq

    def excess(rate):
        return ybar * -np.expm1(-rate) - rate * (1.0 - f0)

    # excess > 0 at rate = ybar and < 0 at ybar / (1 - f0): one root in between
    rate = brentq(excess, ybar, ybar / (1.0 - f0), xtol=1e-12, rtol=1e-12)
    return max(rate, RATE_MIN), float(np.clip(1.0 - ybar / rate, tiny, 1.0 - tiny))
