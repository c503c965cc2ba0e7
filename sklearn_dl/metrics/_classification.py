"""Scores of predicted class probabilities: log loss, Brier, calibration errors.

Every function takes ``y_prob`` as ``predict_proba`` returns it (``(n, K)``, columns in
the order of ``labels``), the positive-class probability ``(n,)`` for two classes, or a
classification distribution from ``predict_dist``; so they work with any scikit-learn
classifier.

Calibration (``kind="top_label"``, the default): the *confidence* of a prediction is its
largest class probability and it is *correct* when that class is the true one; the
reliability of these pairs is the top-label calibration of Guo et al. (2017), defined
for any number of classes, including two.  ``kind="positive"`` (two classes only) bins
the probability of ``labels[1]`` against the observed frequency of that class, as
:func:`sklearn.calibration.calibration_curve` does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as _sk_log_loss

from ._checks import check_sample_weight, family_name, is_distribution

_STRATEGIES = ("uniform", "quantile")
_KINDS = ("top_label", "positive")
_SUM_TOL = 1e-4  # float32 networks' softmax rows sum to one within ~1e-6


def _proba_from_distribution(dist):
    name = family_name(dist)
    if name not in ("bernoulli", "categorical"):
        raise TypeError(
            "y_prob must be class probabilities (predict_proba) or a classification "
            f"distribution; got a {name or type(dist).__name__} distribution over "
            "numbers.  Use mean_nll / crps for regression.")
    return np.asarray(dist.mean(), dtype=np.float64)


def check_proba(y_true, y_prob, labels=None, func="metric"):
    """Validate labels and probabilities.

    Returns
    -------
    y_index : ndarray of int, shape (n,)
        Column of the true class.
    proba : ndarray of shape (n, K)
    classes : ndarray of shape (K,)
    """
    if is_distribution(y_prob):
        y_prob = _proba_from_distribution(y_prob)
    proba = np.asarray(y_prob)
    if proba.dtype.kind not in "biuf":
        raise TypeError(f"{func}: y_prob must hold numbers; got dtype {proba.dtype}.")
    proba = proba.astype(np.float64)
    if proba.ndim == 1:  # probability of the positive class
        proba = np.column_stack([1 - proba, proba])
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise ValueError(
            f"{func}: y_prob must have shape (n_samples, n_classes) or (n_samples,) for "
            f"the positive class of two; got {np.shape(y_prob)}.")
    y = np.asarray(y_true)
    if y.ndim != 1 or len(y) != len(proba):
        raise ValueError(
            f"{func}: y_true must be one label per row of y_prob, shape ({len(proba)},); "
            f"got {y.shape}.")
    if not np.all(np.isfinite(proba)) or proba.min() < -1e-12 or proba.max() > 1 + 1e-12:
        raise ValueError(f"{func}: y_prob must hold probabilities in [0, 1].")
    sums = proba.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=_SUM_TOL):
        worst = sums[np.argmax(np.abs(sums - 1))]
        raise ValueError(
            f"{func}: the rows of y_prob must sum to one (one sums to {worst:.4g}); pass "
            "predict_proba output, not decision scores or unnormalised values.")
    k = proba.shape[1]
    if labels is None:
        classes = np.unique(y)
        if len(classes) < k:
            if y.dtype.kind in "iu" and y.min() >= 0 and y.max() < k:
                classes = np.arange(k)  # integer labels that miss some classes
            else:
                raise ValueError(
                    f"{func}: y_prob has {k} columns but y_true has {len(classes)} "
                    "distinct labels; pass labels= (e.g. estimator.classes_).")
    else:
        classes = np.asarray(labels)
    if len(classes) != k:
        raise ValueError(
            f"{func}: y_prob has {k} columns but there are {len(classes)} labels "
            f"({classes[:10].tolist()}); columns must follow labels / classes_.")
    index = np.searchsorted(classes, y) if _is_sorted(classes) else None
    if index is None or np.any(index >= k) or np.any(classes[np.minimum(index, k - 1)] != y):
        lookup = {c: i for i, c in enumerate(classes.tolist())}
        missing = [v for v in np.unique(y).tolist() if v not in lookup]
        if missing:
            raise ValueError(f"{func}: y_true has labels {missing[:5]} that are not among "
                             f"the labels {classes[:10].tolist()}.")
        index = np.array([lookup[v] for v in y.tolist()])
    return index.astype(np.int64), proba, classes


def _is_sorted(a):
    try:
        return bool(np.all(a[:-1] < a[1:]))
    except TypeError:
        return False


def log_loss(y_true, y_prob, *, labels=None, sample_weight=None):
    """Mean negative log-likelihood of the true labels (cross-entropy).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,), or distribution
    labels : array-like of shape (n_classes,), default=None
        Class of each column (``estimator.classes_``); by default the sorted labels
        of ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float
        scikit-learn's ``log_loss`` after validation; lower is better.

    Examples
    --------
    >>> from sklearn_dl.metrics import log_loss
    >>> round(log_loss([0, 1], [[0.9, 0.1], [0.2, 0.8]]), 4)
    0.1643
    """
    index, proba, classes = check_proba(y_true, y_prob, labels, "log_loss")
    w = check_sample_weight(sample_weight, len(index))
    return float(_sk_log_loss(index, proba, labels=np.arange(len(classes)),
                              sample_weight=w))


def brier_score(y_true, y_prob, *, labels=None, sample_weight=None):
    """Brier score: mean squared error of the probabilities against one-hot labels.

    As scikit-learn's ``brier_score_loss``: for two classes ``mean (p - y)^2`` of the
    positive class (range [0, 1]), for more the sum over classes (range [0, 2]).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,), or distribution
    labels : array-like of shape (n_classes,), default=None
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float
        Lower is better.

    Examples
    --------
    >>> from sklearn_dl.metrics import brier_score
    >>> round(brier_score([0, 1], [[0.9, 0.1], [0.2, 0.8]]), 3)
    0.025
    """
    index, proba, classes = check_proba(y_true, y_prob, labels, "brier_score")
    w = check_sample_weight(sample_weight, len(index))
    if len(classes) == 2:
        return float(brier_score_loss(index, proba[:, 1], pos_label=1, sample_weight=w))
    return float(brier_score_loss(index, proba, labels=np.arange(len(classes)),
                                  sample_weight=w))


def _confidence(index, proba, kind):
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}.")
    if kind == "positive":
        if proba.shape[1] != 2:
            raise ValueError("kind='positive' is for two classes; use kind='top_label'.")
        return proba[:, 1], (index == 1).astype(np.float64)
    top = np.argmax(proba, axis=1)
    return proba[np.arange(len(proba)), top], (top == index).astype(np.float64)


def _bin_edges(confidence, n_bins, strategy):
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int; got {n_bins!r}.")
    if strategy not in _STRATEGIES:
        raise ValueError(f"strategy must be one of {_STRATEGIES}; got {strategy!r}.")
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    # equal-count bins; ties can merge edges, so fewer bins may remain
    edges = np.unique(np.quantile(confidence, np.linspace(0, 1, n_bins + 1)))
    edges[0], edges[-1] = min(edges[0], 0.0), max(edges[-1], 1.0)
    return edges


def calibration_table(y_true, y_prob, *, n_bins=10, strategy="uniform", kind="top_label",
                      labels=None):
    """Binned reliability: mean predicted probability vs observed frequency per bin.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,), or distribution
    n_bins : int, default=10
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: bins of equal width on [0, 1]; ``"quantile"``: bins holding about
        equally many predictions (edges at quantiles of the confidences).
    kind : {"top_label", "positive"}, default="top_label"
        See the module notes: top-label confidence vs accuracy, or (two classes)
        probability of ``labels[1]`` vs its frequency.
    labels : array-like of shape (n_classes,), default=None

    Returns
    -------
    pandas.DataFrame
        One row per non-empty bin: ``lower``, ``upper`` (bin edges), ``count``,
        ``mean_predicted``, ``observed`` (accuracy, or frequency of the positive class)
        and ``gap = observed - mean_predicted`` (negative: overconfident).  A value on
        an inner edge falls into the lower bin, as in scikit-learn's
        ``calibration_curve``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.metrics import calibration_table
    >>> calibration_table([0, 1, 1, 1], np.array([0.1, 0.9, 0.9, 0.2]), n_bins=2,
    ...                   kind="positive")["count"].tolist()
    [2, 2]
    """
    index, proba, _ = check_proba(y_true, y_prob, labels, "calibration_table")
    confidence, outcome = _confidence(index, proba, kind)
    edges = _bin_edges(confidence, n_bins, strategy)
    bins = np.searchsorted(edges[1:-1], confidence)
    m = len(edges) - 1
    count = np.bincount(bins, minlength=m)
    predicted = np.bincount(bins, weights=confidence, minlength=m)
    observed = np.bincount(bins, weights=outcome, minlength=m)
    keep = count > 0
    table = pd.DataFrame({
        "lower": edges[:-1][keep], "upper": edges[1:][keep], "count": count[keep],
        "mean_predicted": predicted[keep] / count[keep],
        "observed": observed[keep] / count[keep]})
    table["gap"] = table["observed"] - table["mean_predicted"]
    return table


def expected_calibration_error(y_true, y_prob, *, n_bins=10, strategy="uniform",
                               kind="top_label", labels=None):
    """Expected calibration error: the count-weighted mean ``|observed - predicted|``
    over the bins of :func:`calibration_table`.

    About 0 for calibrated probabilities (up to binning noise of order
    ``sqrt(n_bins / n)``); larger is worse.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,), or distribution
    n_bins : int, default=10
    strategy : {"uniform", "quantile"}, default="uniform"
    kind : {"top_label", "positive"}, default="top_label"
    labels : array-like of shape (n_classes,), default=None
        As in :func:`calibration_table`.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.metrics import expected_calibration_error
    >>> p = np.array([[0.9, 0.1]] * 10)
    >>> round(expected_calibration_error([0] * 5 + [1] * 5, p), 2)  # 90% sure, 50% right
    0.4
    """
    table = calibration_table(y_true, y_prob, n_bins=n_bins, strategy=strategy,
                              kind=kind, labels=labels)
    return float(np.sum(table["count"] * table["gap"].abs()) / table["count"].sum())


def maximum_calibration_error(y_true, y_prob, *, n_bins=10, strategy="uniform",
                              kind="top_label", labels=None):
    """Maximum calibration error: the largest ``|observed - predicted|`` over non-empty
    bins of :func:`calibration_table` (sensitive to small bins; read it with the
    counts).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,), or distribution
    n_bins : int, default=10
    strategy : {"uniform", "quantile"}, default="uniform"
    kind : {"top_label", "positive"}, default="top_label"
    labels : array-like of shape (n_classes,), default=None
        As in :func:`calibration_table`.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.metrics import maximum_calibration_error
    >>> p = np.array([[0.9, 0.1]] * 10)
    >>> round(maximum_calibration_error([0] * 5 + [1] * 5, p), 2)
    0.4
    """
    table = calibration_table(y_true, y_prob, n_bins=n_bins, strategy=strategy,
                              kind=kind, labels=labels)
    return float(table["gap"].abs().max())


def accuracy_vs_confidence(y_true, y_prob, *, thresholds=None, labels=None):
    """Accuracy of the predictions at least as confident as each threshold.

    The curve behind "predict only when sure": as the threshold rises, fewer samples
    are kept and, for a useful confidence, accuracy rises.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,), or distribution
    thresholds : array-like of float, default=None
        Confidence thresholds; by default ``1 / n_classes`` (all samples kept), then
        the multiples of 0.05 above it up to 0.95.
    labels : array-like of shape (n_classes,), default=None

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold``, ``fraction`` (share of samples kept), ``count`` and
        ``accuracy`` (NaN where nothing is kept).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.metrics import accuracy_vs_confidence
    >>> p = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    >>> accuracy_vs_confidence([0, 1, 1], p, thresholds=[0.5, 0.8])["accuracy"].tolist()
    [0.6666666666666666, 1.0]
    """
    index, proba, classes = check_proba(y_true, y_prob, labels, "accuracy_vs_confidence")
    confidence, correct = _confidence(index, proba, "top_label")
    if thresholds is None:
        # from 1 / n_classes (every prediction is at least that confident) up by 0.05
        grid = np.round(np.arange(0.05, 1.0, 0.05), 2)
        thresholds = np.r_[1.0 / len(classes), grid[grid > 1.0 / len(classes) + 1e-9]]
    thresholds = np.asarray(thresholds, dtype=np.float64)
    rows = []
    for t in thresholds:
        kept = confidence >= t
        n_kept = int(kept.sum())
        rows.append((float(t), n_kept / len(confidence), n_kept,
                     float(correct[kept].mean()) if n_kept else np.nan))
    return pd.DataFrame(rows, columns=["threshold", "fraction", "count", "accuracy"])
