"""Evaluation plots (matplotlib).  Each function draws on ``ax=`` (a new figure when
None) and returns the Axes; :func:`sklearn_dl.evaluate` draws the standard panel.

Training: :func:`plot_loss_curves`, :func:`plot_prediction_interval`.
Regression, from ``(y_true, predictive distribution)``:
:func:`plot_predicted_vs_observed`, :func:`plot_pit_histogram`, :func:`plot_coverage`,
:func:`plot_uncertainty_vs_error`.
Classification, from ``(y_true, predict_proba output)``:
:func:`plot_reliability_diagram`, :func:`plot_confusion_matrix`,
:func:`plot_accuracy_vs_confidence`, :func:`plot_confident_mistakes`.
"""

from ._classification import (
    plot_accuracy_vs_confidence,
    plot_confident_mistakes,
    plot_confusion_matrix,
    plot_reliability_diagram,
)
from ._regression import (
    plot_coverage,
    plot_pit_histogram,
    plot_predicted_vs_observed,
    plot_uncertainty_vs_error,
)
from ._training import plot_loss_curves, plot_prediction_interval

__all__ = [
    "plot_loss_curves",
    "plot_prediction_interval",
    "plot_predicted_vs_observed",
    "plot_pit_histogram",
    "plot_coverage",
    "plot_uncertainty_vs_error",
    "plot_reliability_diagram",
    "plot_confusion_matrix",
    "plot_accuracy_vs_confidence",
    "plot_confident_mistakes",
]
