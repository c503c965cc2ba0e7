"""Scorers: ``scorer(estimator, X, y)`` callables for GridSearchCV and cross_validate.

Every scorer is larger-is-better (losses are negated, hence the ``neg_`` names), reads
the estimator's predictive distribution (``predict_dist``, also through a Pipeline or a
fitted search, or scikit-learn's ``predict(return_std=True)``) or its ``predict_proba``
(any scikit-learn classifier), and passes ``sample_weight`` on where the metric has it.

scikit-learn checks ``scoring="..."`` strings against its own registry, fixed when it is
imported, and has no public way to add names (scikit-learn 1.9), so the names here are
*not* strings for ``scoring=``: look them up with :func:`get_scorer` /
:func:`get_scorers` and pass the objects.  :func:`get_scorer` also returns
scikit-learn's own scorers for its names, so one dict can mix both.
"""

from __future__ import annotations

from sklearn.metrics import get_scorer as _sk_get_scorer
from sklearn.metrics import get_scorer_names as _sk_get_scorer_names

from . import _classification as cls
from . import _regression as reg
from ._checks import check_level, predict_dist


def _is_classifier(estimator):
    try:
        return hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_")
    except Exception:  # noqa: BLE001 - a Pipeline's hasattr can raise through its last step
        return False


class ProbabilisticScorer:
    """A larger-is-better scorer on predictive distributions or class probabilities.

    Parameters
    ----------
    name : str
        Shown in ``repr``; the key under which :func:`get_scorer` finds it.
    metric : callable
        ``metric(y_true, prediction, **kwargs)``: ``prediction`` is the predictive
        distribution for ``response="dist"``, ``predict_proba(X)`` (with
        ``labels=estimator.classes_``) for ``response="proba"``; ``response="nll"``
        uses the log loss for classifiers and the mean NLL otherwise.
    response : {"dist", "proba", "nll"}
    sign : {1, -1}
        -1 for losses, so that larger is better.
    weighted : bool
        Whether ``sample_weight`` is passed to the metric.
    **kwargs
        Fixed keyword arguments of the metric (e.g. ``level=0.9``).

    Examples
    --------
    >>> from sklearn_dl.metrics import get_scorer
    >>> get_scorer("neg_crps")
    get_scorer('neg_crps')
    """

    def __init__(self, name, metric, *, response, sign=-1, weighted=False, **kwargs):
        if response not in ("dist", "proba", "nll"):
            raise ValueError(f"response must be 'dist', 'proba' or 'nll'; got {response!r}.")
        self.name, self.metric, self.response = name, metric, response
        self.sign, self.weighted, self.kwargs = sign, weighted, kwargs

    def __call__(self, estimator, X, y_true, sample_weight=None):
        """Score of a fitted ``estimator`` on ``(X, y_true)``: larger is better."""
        extra = {"sample_weight": sample_weight} if self.weighted else {}
        if sample_weight is not None and not self.weighted:
            raise ValueError(f"{self.name} does not support sample_weight.")
        if self.response == "nll":
            if _is_classifier(estimator):
                value = cls.log_loss(y_true, estimator.predict_proba(X),
                                     labels=estimator.classes_, **extra)
            else:
                value = reg.mean_nll(y_true, predict_dist(estimator, X), **extra)
        elif self.response == "proba":
            if not _is_classifier(estimator):
                raise TypeError(f"{self.name} needs a fitted classifier with predict_proba "
                                f"and classes_; got {type(estimator).__name__}.")
            value = self.metric(y_true, estimator.predict_proba(X),
                                labels=estimator.classes_, **extra, **self.kwargs)
        else:
            value = self.metric(y_true, predict_dist(estimator, X), **extra, **self.kwargs)
        return self.sign * value

    def __repr__(self):
        args = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"get_scorer({self.name!r}{args})"


def _coverage_error(y_true, y_dist, *, level=0.9):
    return abs(reg.interval_coverage(y_true, y_dist, level=level) - level)


def _width(y_true, y_dist, *, level=0.9):
    return reg.mean_interval_width(y_dist, level=level)


# name -> (metric, response, sign, weighted, default kwargs)
_REGISTRY = {
    "neg_mean_nll": (None, "nll", -1, True, {}),
    "neg_crps": (reg.crps, "dist", -1, True, {}),
    "neg_quantile_loss": (reg.quantile_loss, "dist", -1, True, {}),
    "neg_interval_coverage_error": (_coverage_error, "dist", -1, False, {"level": 0.9}),
    "neg_mean_interval_width": (_width, "dist", -1, False, {"level": 0.9}),
    # reported as is (about `level` is right, not "larger"): for cross_validate tables,
    # not for model selection; select with neg_interval_coverage_error
    "interval_coverage": (reg.interval_coverage, "dist", 1, False, {"level": 0.9}),
    "neg_log_loss": (cls.log_loss, "proba", -1, True, {}),
    "neg_brier_score": (cls.brier_score, "proba", -1, True, {}),
    "neg_expected_calibration_error": (cls.expected_calibration_error, "proba", -1, False,
                                       {"n_bins": 10, "strategy": "uniform"}),
    "neg_maximum_calibration_error": (cls.maximum_calibration_error, "proba", -1, False,
                                      {"n_bins": 10, "strategy": "uniform"}),
}

_CALIBRATION_OPTIONS = ("n_bins", "strategy", "kind")
# options each scorer accepts (beyond its defaults)
_OPTIONS = {
    "neg_crps": ("method", "n_quantiles", "n_samples", "random_state"),
    "neg_quantile_loss": ("quantiles",),
    "neg_expected_calibration_error": _CALIBRATION_OPTIONS,
    "neg_maximum_calibration_error": _CALIBRATION_OPTIONS,
}


def _accepted(name):
    return set(_REGISTRY[name][4]) | set(_OPTIONS.get(name, ()))


#: the default sets of :func:`get_scorers` per task
TASK_SCORERS = {
    "regression": ("neg_mean_nll", "neg_crps", "neg_root_mean_squared_error", "r2",
                   "interval_coverage", "neg_mean_interval_width"),
    "classification": ("neg_mean_nll", "accuracy", "neg_brier_score",
                       "neg_expected_calibration_error"),
}


def get_scorer_names():
    """Names of the scorers this package adds (scikit-learn's names work too).

    Returns
    -------
    list of str

    Examples
    --------
    >>> from sklearn_dl.metrics import get_scorer_names
    >>> "neg_crps" in get_scorer_names()
    True
    """
    return sorted(_REGISTRY)


def get_scorer(name, **kwargs):
    """A scorer object by name: this package's, else scikit-learn's.

    Parameters
    ----------
    name : str
        One of :func:`get_scorer_names` (``"neg_mean_nll"``, ``"neg_crps"``,
        ``"neg_quantile_loss"``, ``"neg_interval_coverage_error"``,
        ``"neg_mean_interval_width"``, ``"interval_coverage"``, ``"neg_log_loss"``,
        ``"neg_brier_score"``, ``"neg_expected_calibration_error"``,
        ``"neg_maximum_calibration_error"``) or any name of
        :func:`sklearn.metrics.get_scorer_names`.
    **kwargs
        Metric options for this package's scorers, e.g. ``level=0.8`` for the interval
        scorers, ``n_bins=15, strategy="quantile"`` for the calibration errors,
        ``quantiles=(0.1, 0.9)`` for the quantile loss, ``method="sample"`` for CRPS.

    Returns
    -------
    callable
        ``scorer(estimator, X, y)``, larger is better.  Pass it as
        ``GridSearchCV(scoring=scorer)``; the name itself is not accepted by
        scikit-learn's ``scoring=`` (see the module notes).

    Examples
    --------
    >>> from sklearn_dl.metrics import get_scorer
    >>> scorer = get_scorer("neg_interval_coverage_error", level=0.8)
    >>> scorer.kwargs
    {'level': 0.8}
    """
    if name in _REGISTRY:
        metric, response, sign, weighted, defaults = _REGISTRY[name]
        unknown = sorted(set(kwargs) - _accepted(name))
        if unknown:
            raise TypeError(f"Scorer {name!r} takes no option(s) {unknown}; it accepts "
                            f"{sorted(_accepted(name)) or 'none'}.")
        options = {**defaults, **kwargs}
        if "level" in options:
            check_level(options["level"])
        return ProbabilisticScorer(name, metric, response=response, sign=sign,
                                   weighted=weighted, **options)
    if name in _sk_get_scorer_names():
        if kwargs:
            raise ValueError(f"scikit-learn's scorer {name!r} takes no options here; use "
                             "sklearn.metrics.make_scorer.")
        return _sk_get_scorer(name)
    raise ValueError(
        f"Unknown scorer {name!r}.  This package's names: {get_scorer_names()}; or one of "
        "sklearn.metrics.get_scorer_names().")


def get_scorers(names=None, *, task=None, **kwargs):
    """A dict of scorers for ``cross_validate(scoring=...)`` or multi-metric searches.

    Parameters
    ----------
    names : sequence of str, default=None
        Scorer names for :func:`get_scorer`.
    task : {"regression", "classification"}, default=None
        Instead of ``names``: the default set of that task (:data:`TASK_SCORERS`).
    **kwargs
        Options passed to each of this package's scorers that accepts them (e.g.
        ``level=0.8`` reaches only the interval scorers).

    Returns
    -------
    dict of str -> callable

    Examples
    --------
    >>> from sklearn_dl.metrics import get_scorers
    >>> sorted(get_scorers(["neg_crps", "r2"]))
    ['neg_crps', 'r2']
    """
    if (names is None) == (task is None):
        raise ValueError("Pass either names or task.")
    if task is not None:
        if task not in TASK_SCORERS:
            raise ValueError(f"task must be one of {sorted(TASK_SCORERS)}; got {task!r}.")
        names = TASK_SCORERS[task]
    if isinstance(names, str):
        raise TypeError("names must be a sequence of scorer names, not one string.")
    scorers = {}
    for name in names:
        accepted = _accepted(name) if name in _REGISTRY else set()
        scorers[name] = get_scorer(name, **{k: v for k, v in kwargs.items()
                                            if k in accepted})
    return scorers


#: Scorer for ``GridSearchCV(scoring=...)``: minus the mean predictive NLL (the log
#: loss for classifiers).  Same as ``get_scorer("neg_mean_nll")``.
neg_mean_nll_scorer = get_scorer("neg_mean_nll")
