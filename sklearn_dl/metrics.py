"""Probabilistic metrics and scorers: negative log-likelihood, interval coverage.

Use ``GridSearchCV(..., scoring=neg_mean_nll_scorer)`` to select models by predictive
NLL; larger is better, as for every scikit-learn scorer.  (scikit-learn validates scoring
strings against a list fixed at import, so a package cannot add a string name.)
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_consistent_length

__all__ = [
    "mean_nll",
    "interval_coverage",
    "mean_interval_width",
    "neg_mean_nll_scorer",
    "predict_dist",
]


def _log_density(dist, y):
    # scipy's frozen discrete distributions have logpmf, continuous ones logpdf
    if hasattr(dist, "logpmf"):
        return dist.logpmf(y)
    return dist.logpdf(y)


def mean_nll(y_true, y_dist, *, sample_weight=None):
    """Mean negative log-likelihood of observations under predicted distributions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    y_dist : frozen scipy.stats distribution
        Vectorised over samples (and targets), e.g. from ``predict_dist``.  For several
        targets the log-likelihoods of a sample are summed (independent outputs).
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float
        ``-mean_i log p(y_i)``; lower is better.  Continuous targets give densities, so
        the value depends on the unit of y.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.metrics import mean_nll
    >>> round(mean_nll(np.zeros(3), stats.norm(np.zeros(3), 1.0)), 4)
    0.9189
    """
    y = np.asarray(y_true, dtype=np.float64)
    logp = np.asarray(_log_density(y_dist, y), dtype=np.float64)
    if logp.ndim > 1:
        logp = logp.reshape(len(logp), -1).sum(axis=1)
    if sample_weight is not None:
        check_consistent_length(logp, sample_weight)
    return float(-np.average(logp, weights=sample_weight))


def interval_coverage(y_true, interval):
    """Share of observations inside their predicted interval.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    interval : array-like of shape (..., 2)
        Lower and upper bounds in the last axis, as from ``predict_interval``.
    """
    interval = np.asarray(interval)
    y = np.asarray(y_true)
    return float(np.mean((y >= interval[..., 0]) & (y <= interval[..., 1])))


def mean_interval_width(interval):
    """Mean width of predicted intervals (``upper - lower``)."""
    interval = np.asarray(interval)
    return float(np.mean(interval[..., 1] - interval[..., 0]))


def predict_dist(estimator, X):
    """``estimator.predict_dist(X)``, also through a Pipeline ending in such a model."""
    if hasattr(estimator, "predict_dist"):
        return estimator.predict_dist(X)
    if isinstance(estimator, Pipeline):
        Xt = X
        for _, step in estimator.steps[:-1]:
            if step is not None and step != "passthrough":
                Xt = step.transform(Xt)
        return predict_dist(estimator.steps[-1][1], Xt)
    raise TypeError(
        f"{type(estimator).__name__} has no predict_dist; the NLL scorer needs an "
        "estimator with a predictive distribution (or predict_proba for classifiers).")


class _NegMeanNLLScorer:
    """Scorer ``-mean_nll``: the predictive NLL, negated so that larger is better.

    Uses ``predict_dist`` (also at the end of a Pipeline); for classifiers without it,
    ``predict_proba`` (the negative log loss).
    """

    def __call__(self, estimator, X, y_true, sample_weight=None):
        if hasattr(estimator, "classes_") and hasattr(estimator, "predict_proba"):
            # for a classifier the NLL of the observed labels is the log loss
            return -log_loss(y_true, estimator.predict_proba(X),
                             labels=estimator.classes_, sample_weight=sample_weight)
        return -mean_nll(y_true, predict_dist(estimator, X), sample_weight=sample_weight)

    def __repr__(self):
        return "neg_mean_nll_scorer"


#: Scorer for ``GridSearchCV(scoring=...)``: minus the mean predictive NLL.
neg_mean_nll_scorer = _NegMeanNLLScorer()
