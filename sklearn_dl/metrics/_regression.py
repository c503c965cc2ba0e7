"""Scores of a predictive distribution against numeric observations.

Multi-target convention: ``mean_nll`` and ``crps`` sum over the targets of a sample (the
score of the product of the marginals, still proper) and then average over samples;
coverage, width, PIT and quantile loss are averaged over every (sample, target) cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import mean_pinball_loss
from sklearn.utils import check_random_state

from ._checks import (
    check_level, check_regression_target, check_sample_weight, draw, family_name,
    is_categorical, is_discrete, is_distribution, is_single, per_sample, _type_error,
    check_numeric_target, batch_shape,
)

#: default nominal levels of coverage curves
DEFAULT_LEVELS = tuple(np.round(np.arange(0.1, 1.0, 0.1), 2)) + (0.95, 0.99)
_CRPS_METHODS = ("auto", "closed", "sum", "quantile", "sample")


def _log_likelihood(y, dist):
    """Per-sample log-likelihood, summed over targets."""
    if hasattr(dist, "log_likelihood"):
        return np.asarray(dist.log_likelihood(y), dtype=np.float64)
    if hasattr(dist, "logpmf"):
        return per_sample(dist.logpmf(y))
    return per_sample(dist.logpdf(y))


def _categorical_log_likelihood(y_true, dist, func):
    """Labels 0..K-1 under a categorical distribution (scipy multinomial(1, p))."""
    y = check_numeric_target(y_true, func)
    proba = np.asarray(dist.mean())
    if y.ndim != 1 or proba.shape[0] != len(y):
        raise ValueError(
            f"{func}: y_true must be one label per sample, shape ({proba.shape[0]},); "
            f"got {y.shape}.")
    if not np.all(np.isin(y, np.arange(proba.shape[1]))):
        raise ValueError(
            f"{func}: under a categorical distribution y_true must hold encoded labels "
            f"0..{proba.shape[1] - 1}; use log_loss with the original labels instead.")
    if hasattr(dist, "log_likelihood"):
        return np.asarray(dist.log_likelihood(y.astype(np.int64)), dtype=np.float64)
    return np.asarray(dist.logpmf(np.eye(proba.shape[1])[y.astype(np.int64)]))


def mean_nll(y_true, y_dist, *, sample_weight=None):
    """Mean negative log-likelihood of observations under predicted distributions.

    The logarithmic score: proper, and for continuous targets dependent on the unit
    of y (a density).  Works for every family and for mixtures.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
        Observations; for a categorical distribution, labels encoded ``0..K-1``.
    y_dist : predictive distribution
        From ``predict_dist`` (or a frozen scipy distribution) with batch shape
        equal to ``y_true``'s.  For several targets the log-likelihoods of a sample
        are summed (independent outputs).
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float
        ``-mean_i log p(y_i)``; lower is better.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.metrics import mean_nll
    >>> round(mean_nll(np.zeros(3), stats.norm(np.zeros(3), 1.0)), 4)
    0.9189
    """
    if not is_distribution(y_dist):
        raise _type_error("mean_nll", y_dist)
    if is_categorical(y_dist):
        logp = _categorical_log_likelihood(y_true, y_dist, "mean_nll")
    else:
        y = check_regression_target(y_true, y_dist, "mean_nll")
        logp = _log_likelihood(y, y_dist)
    w = check_sample_weight(sample_weight, len(logp))
    return float(-np.average(logp, weights=w))


# -- CRPS -------------------------------------------------------------------------------
def _crps_method(dist, method):
    if method not in _CRPS_METHODS:
        raise ValueError(f"method must be one of {_CRPS_METHODS}; got {method!r}.")
    closed = ((is_single(dist) and family_name(dist) in ("normal", "poisson"))
              or _is_normal_mixture(dist))
    if method == "closed" and not closed:
        raise ValueError(
            "method='closed': no closed-form CRPS for this distribution (known for a "
            "single Normal or Poisson and for mixtures of Normals); use method='auto'.")
    if method == "auto":
        return "closed" if closed else ("sum" if is_discrete(dist) else "quantile")
    return method


def _is_normal_mixture(dist):
    return (hasattr(dist, "components") and hasattr(dist, "weights")
            and family_name(dist) == "normal")


def _crps_closed(y, dist):
    import scoringrules as sr

    if _is_normal_mixture(dist):  # closed form of a Normal mixture (ensembles, MC dropout)
        means = np.stack([np.asarray(c.mean()) for c in dist.components], axis=-1)
        sds = np.stack([np.asarray(c.std()) for c in dist.components], axis=-1)
        w = np.broadcast_to(np.asarray(dist.weights, dtype=float), means.shape)
        return sr.crps_mixnorm(y, means, sds, w, m_axis=-1, backend="numpy")
    if family_name(dist) == "normal":
        return sr.crps_normal(y, np.asarray(dist.mean()), np.asarray(dist.std()),
                              backend="numpy")
    return sr.crps_poisson(y, np.asarray(dist.mean()), backend="numpy")


def _crps_sum(y, dist, tail=1e-12, max_terms=100_000):
    # For an integer-valued F the CRPS integral is a sum over the integers: the ranked
    # probability score sum_k (F(k) - 1{y <= k})^2.  Terms below the support and y are
    # zero; above the upper `tail` quantile and y they are at most tail^2 each.
    shape = batch_shape(dist)
    lo = np.floor(min(np.min(y), np.min(dist.ppf(np.full(shape, tail)))))
    hi = np.ceil(max(np.max(y), np.max(dist.ppf(np.full(shape, 1 - tail)))))
    if hi - lo + 1 > max_terms:
        raise ValueError(
            f"CRPS sum over {hi - lo + 1:.0f} integers is too long; use "
            "method='quantile' or method='sample'.")
    total = np.zeros(shape)
    for k in np.arange(lo, hi + 1):
        total += (np.asarray(dist.cdf(np.full(shape, k))) - (y <= k)) ** 2
    return total


def _crps_quantile(y, dist, n_quantiles):
    import scoringrules as sr

    # CRPS = 2 * int_0^1 pinball_q(y, F^-1(q)) dq; midpoint rule on n_quantiles levels
    levels = (np.arange(n_quantiles) + 0.5) / n_quantiles
    shape = batch_shape(dist)
    q = np.stack([np.asarray(dist.ppf(np.full(shape, a))) for a in levels], axis=-1)
    return sr.crps_quantile(y, q, levels, backend="numpy")


def _crps_sample(y, dist, n_samples, random_state):
    import scoringrules as sr

    draws = draw(dist, n_samples, check_random_state(random_state))
    # the probability-weighted-moment estimator equals the unbiased "fair" one but sorts
    # (O(m log m) per sample) instead of forming all m^2 pairwise differences
    return sr.crps_ensemble(y, np.moveaxis(draws, 0, -1), estimator="pwm",
                            backend="numpy")


def crps(y_true, y_dist, *, method="auto", n_quantiles=100, n_samples=1000,
         random_state=None, sample_weight=None):
    """Mean continuous ranked probability score (CRPS) of predictive distributions.

    ``CRPS(F, y) = int (F(x) - 1{y <= x})^2 dx``: proper, in the unit of y, and equal to
    the absolute error for a point forecast.  Computed with ``scoringrules``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    y_dist : predictive distribution
        Batch shape equal to ``y_true``'s; a single network's or a mixture.
    method : {"auto", "closed", "sum", "quantile", "sample"}, default="auto"
        How the integral is evaluated.  ``"auto"`` picks, from the distribution:

        - ``"closed"``: closed form for a single Normal (``crps_normal``) or Poisson
          (``crps_poisson``);
        - ``"sum"``: any other discrete family or mixture, the exact sum over the
          integers ``sum_k (F(k) - 1{y <= k})^2`` (the ranked probability score),
          truncated where ``1 - F < 1e-12``;
        - ``"quantile"``: any other continuous distribution (mixtures of an ensemble or
          MC dropout), twice the mean pinball loss of ``n_quantiles`` quantiles at
          the midpoints ``(i + 0.5) / n_quantiles`` (``crps_quantile``); with the
          default 100 levels its relative error is about 1e-4 for a Normal.

        ``"sample"`` uses ``n_samples`` draws (the unbiased "fair" ensemble estimator
        in its probability-weighted-moment form, ``crps_ensemble``): Monte Carlo
        error of order ``1 / sqrt(n_samples)``.
    n_quantiles : int, default=100
    n_samples : int, default=1000
    random_state : int, RandomState or None, default=None
        Only for ``method="sample"``.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float
        Mean over samples of the CRPS summed over targets; lower is better.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.metrics import crps
    >>> round(crps(np.zeros(2), stats.norm(np.zeros(2), 1.0)), 4)  # (sqrt(2) - 1)/sqrt(pi)
    0.2337
    """
    y = check_regression_target(y_true, y_dist, "crps")
    how = _crps_method(y_dist, method)
    if how == "sum" and not is_discrete(y_dist):
        raise ValueError("method='sum' is for discrete distributions only.")
    for name, value in (("n_quantiles", n_quantiles), ("n_samples", n_samples)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise ValueError(f"{name} must be an int >= 2; got {value!r}.")
    if how == "closed":
        values = _crps_closed(y, y_dist)
    elif how == "sum":
        values = _crps_sum(y, y_dist)
    elif how == "quantile":
        values = _crps_quantile(y, y_dist, n_quantiles)
    else:
        values = _crps_sample(y, y_dist, n_samples, random_state)
    values = per_sample(values)
    return float(np.average(values, weights=check_sample_weight(sample_weight, len(values))))


# -- intervals --------------------------------------------------------------------------
def _interval_bounds(y_pred, level, func):
    """(lower, upper) from a distribution at ``level`` or from an (..., 2) array."""
    if is_distribution(y_pred):
        if is_categorical(y_pred):
            raise TypeError(f"{func} needs a distribution over numbers, not over classes.")
        level = check_level(0.9 if level is None else level)
        lower, upper = y_pred.interval(level)
        return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
    if level is not None:
        raise ValueError(f"{func}: level= applies to a predictive distribution only; an "
                         "interval array already has its level.")
    interval = np.asarray(y_pred, dtype=np.float64)
    if interval.ndim < 2 or interval.shape[-1] != 2:
        raise ValueError(
            f"{func}: an interval array must have shape (n_samples, 2) or (n_samples, "
            f"n_targets, 2) with lower and upper bounds last; got {interval.shape}.")
    if np.any(interval[..., 1] < interval[..., 0]):
        raise ValueError(f"{func}: some intervals have upper < lower.")
    return interval[..., 0], interval[..., 1]


def interval_coverage(y_true, y_pred, *, level=None):
    """Share of observations inside their predicted interval.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    y_pred : predictive distribution or array-like of shape (..., 2)
        A distribution (its central interval at ``level`` is taken, via
        ``interval(level)``), or lower and upper bounds in the last axis, as from
        ``predict_interval``.
    level : float in (0, 1), default=None
        Nominal level for a distribution (0.9 when None); not allowed with an array.

    Returns
    -------
    float
        Empirical coverage; about ``level`` for a calibrated model (at least ``level``
        for a discrete one, whose intervals cannot be exact).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.metrics import interval_coverage
    >>> interval_coverage([0.0, 5.0], np.array([[-1, 1], [0, 1]]))
    0.5
    """
    lower, upper = _interval_bounds(y_pred, level, "interval_coverage")
    y = check_numeric_target(y_true, "interval_coverage")
    if y.shape != lower.shape:
        raise ValueError(f"interval_coverage: y_true has shape {y.shape} but the "
                         f"intervals have shape {lower.shape}.")
    return float(np.mean((y >= lower) & (y <= upper)))


def mean_interval_width(y_pred, *, level=None):
    """Mean width ``upper - lower`` of predicted intervals.

    Parameters
    ----------
    y_pred : predictive distribution or array-like of shape (..., 2)
        As in :func:`interval_coverage`.
    level : float in (0, 1), default=None
        Nominal level for a distribution (0.9 when None).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.metrics import mean_interval_width
    >>> round(mean_interval_width(stats.norm(np.zeros(4), 1.0), level=0.95), 3)
    3.92
    """
    lower, upper = _interval_bounds(y_pred, level, "mean_interval_width")
    return float(np.mean(upper - lower))


def coverage_curve(y_true, y_dist, *, levels=DEFAULT_LEVELS):
    """Empirical coverage and mean width of central intervals at several levels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    y_dist : predictive distribution
    levels : sequence of float in (0, 1), default=(0.1, 0.2, ..., 0.9, 0.95, 0.99)

    Returns
    -------
    pandas.DataFrame
        Columns ``level``, ``coverage``, ``mean_width``, one row per level.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.metrics import coverage_curve
    >>> y = np.random.RandomState(0).normal(size=2000)
    >>> table = coverage_curve(y, stats.norm(np.zeros(2000), 1.0), levels=[0.5, 0.9])
    >>> table["coverage"].round(1).tolist()
    [0.5, 0.9]
    """
    y = check_regression_target(y_true, y_dist, "coverage_curve")
    levels = [check_level(float(a), "levels") for a in np.atleast_1d(levels)]
    rows = []
    for level in levels:
        lower, upper = (np.asarray(b, dtype=np.float64) for b in y_dist.interval(level))
        rows.append((level, float(np.mean((y >= lower) & (y <= upper))),
                     float(np.mean(upper - lower))))
    return pd.DataFrame(rows, columns=["level", "coverage", "mean_width"])


# -- PIT and quantiles ------------------------------------------------------------------
def pit_values(y_true, y_dist, *, random_state=None):
    """Probability integral transform ``F(y)`` of each observation.

    Under a calibrated model the values are uniform on [0, 1]: a U-shaped histogram
    means intervals too narrow (overconfident), a hump too wide.  For discrete
    distributions the randomised PIT ``F(y - 1) + U (F(y) - F(y - 1))`` with
    ``U ~ Uniform(0, 1)`` is returned (Czado, Gneiting and Held 2009), which is uniform
    under calibration too.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    y_dist : predictive distribution
    random_state : int, RandomState or None, default=None
        For the randomisation of discrete PIT values.

    Returns
    -------
    ndarray of the shape of ``y_true``

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.metrics import pit_values
    >>> pit_values(np.zeros(2), stats.norm(np.zeros(2), 1.0)).tolist()
    [0.5, 0.5]
    """
    y = check_regression_target(y_true, y_dist, "pit_values")
    upper = np.asarray(y_dist.cdf(y), dtype=np.float64)
    if not is_discrete(y_dist):
        return upper
    lower = np.asarray(y_dist.cdf(y - 1), dtype=np.float64)
    u = check_random_state(random_state).uniform(size=y.shape)
    return lower + u * (upper - lower)


def quantile_loss(y_true, y_dist, *, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95),
                  sample_weight=None):
    """Mean pinball (quantile) loss of the predictive quantiles.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    y_dist : predictive distribution
    quantiles : float or sequence of float in (0, 1), default=(0.05, 0.25, 0.5, 0.75, 0.95)
        Levels ``q``; the loss of each is scikit-learn's ``mean_pinball_loss`` of the
        predicted ``q``-quantile, and the mean over levels is returned.  With many
        evenly spread levels, twice this is the CRPS.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float
        Lower is better.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.metrics import quantile_loss
    >>> quantile_loss(np.array([1.0]), stats.norm(np.zeros(1), 1.0), quantiles=0.5)
    0.5
    """
    y = check_regression_target(y_true, y_dist, "quantile_loss")
    levels = [check_level(float(q), "quantiles") for q in np.atleast_1d(quantiles)]
    w = check_sample_weight(sample_weight, len(y))
    shape = batch_shape(y_dist)
    losses = [mean_pinball_loss(y, np.asarray(y_dist.ppf(np.full(shape, q))), alpha=q,
                                sample_weight=w) for q in levels]
    return float(np.mean(losses))
