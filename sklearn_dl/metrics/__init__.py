"""Evaluation metrics and scorers for probabilistic models.

Regression, from a predictive distribution (``predict_dist``; a single network's, a
mixture from an ensemble or MC dropout, or a frozen :mod:`scipy.stats` object):
:func:`mean_nll`, :func:`crps`, :func:`interval_coverage`, :func:`mean_interval_width`,
:func:`coverage_curve`, :func:`pit_values`, :func:`quantile_loss`.

Classification, from class probabilities (``predict_proba`` of any classifier):
:func:`log_loss`, :func:`brier_score`, :func:`calibration_table`,
:func:`expected_calibration_error`, :func:`maximum_calibration_error`,
:func:`accuracy_vs_confidence`.

Scorers (larger is better) for ``GridSearchCV(scoring=...)`` and
``cross_validate(scoring={...})``: :func:`get_scorer`, :func:`get_scorers`,
:data:`neg_mean_nll_scorer`.  scikit-learn accepts only its own names as scoring
strings, so pass the objects, e.g. ``scoring=get_scorer("neg_crps")``.
"""

from ._checks import predict_dist
from ._classification import (
    accuracy_vs_confidence,
    brier_score,
    calibration_table,
    expected_calibration_error,
    log_loss,
    maximum_calibration_error,
)
from ._regression import (
    coverage_curve,
    crps,
    interval_coverage,
    mean_interval_width,
    mean_nll,
    pit_values,
    quantile_loss,
)
from ._scorers import (
    TASK_SCORERS,
    ProbabilisticScorer,
    get_scorer,
    get_scorer_names,
    get_scorers,
    neg_mean_nll_scorer,
)

__all__ = [
    "mean_nll",
    "crps",
    "interval_coverage",
    "mean_interval_width",
    "coverage_curve",
    "pit_values",
    "quantile_loss",
    "log_loss",
    "brier_score",
    "calibration_table",
    "expected_calibration_error",
    "maximum_calibration_error",
    "accuracy_vs_confidence",
    "get_scorer",
    "get_scorers",
    "get_scorer_names",
    "ProbabilisticScorer",
    "TASK_SCORERS",
    "neg_mean_nll_scorer",
    "predict_dist",
]
