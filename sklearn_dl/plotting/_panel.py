"""The standard figure panel of :func:`sklearn_dl.evaluate`: one row per model."""

from __future__ import annotations

import numpy as np

from ._classification import (
    _class_names, plot_accuracy_vs_confidence, plot_confident_mistakes,
    plot_confusion_matrix, plot_reliability_diagram,
)
from ._regression import (
    plot_coverage, plot_pit_histogram, plot_predicted_vs_observed, plot_uncertainty_vs_error,
)

_REGRESSION_TITLES = ("predicted vs observed", "PIT histogram", "coverage",
                      "uncertainty vs error")
_CLASSIFICATION_TITLES = ("reliability", "confusion matrix", "accuracy vs confidence",
                          "most confident mistakes")


def draw_panel(task, models, predictions, X, y, *, level, n_bins, strategy, class_names,
               images, figsize):
    """Figure with one row of plots per model; ``predictions`` holds each model's
    ``(predictive distribution or None, mean)`` (regression) or ``predict_proba``
    output (classification)."""
    import matplotlib.pyplot as plt

    if task == "regression":
        if np.ndim(y) != 1:
            raise ValueError("evaluate(plot=True) draws one target; y has shape "
                             f"{np.shape(y)}.")
        titles = _REGRESSION_TITLES
    else:
        titles = _CLASSIFICATION_TITLES[:4 if images is not None else 3]
    n_cols, n_rows = len(titles), len(models)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False,
                             figsize=figsize or (4.2 * n_cols, 4.2 * n_rows))
    for row, (name, model) in zip(axes, models.items()):
        pred = predictions[name]
        if task == "regression":
            _regression_row(row, name, y, pred, level)
        else:
            _classification_row(row, name, model, y, pred, n_bins=n_bins,
                                strategy=strategy, class_names=class_names,
                                images=images)
        for ax, title in zip(row, titles):
            ax.set_title(f"{name}: {title}", fontsize="medium")
    fig.tight_layout()
    return fig


def _regression_row(row, name, y, prediction, level):
    dist, mean = prediction
    if dist is None:  # a point predictor: observed vs predicted, nothing else
        row[0].scatter(mean, y, s=8, label=name)
        lo, hi = min(np.min(mean), np.min(y)), max(np.max(mean), np.max(y))
        row[0].plot([lo, hi], [lo, hi], "k:", linewidth=1)
        row[0].set(xlabel="predicted", ylabel="observed")
        for ax in row[1:]:
            ax.text(0.5, 0.5, "no predictive distribution", ha="center", va="center",
                    transform=ax.transAxes)
            ax.set_axis_off()
        return
    plot_predicted_vs_observed(y, dist, level=level, name=name, ax=row[0])
    plot_pit_histogram(y, dist, name=name, ax=row[1])
    plot_coverage(y, dist, name=name, ax=row[2])
    plot_uncertainty_vs_error(y, dist, name=name, ax=row[3])


def _classification_row(row, name, model, y, proba, *, n_bins, strategy, class_names,
                        images):
    labels = model.classes_
    plot_reliability_diagram(y, proba, n_bins=n_bins, strategy=strategy, labels=labels,
                             name=name, ax=row[0])
    plot_confusion_matrix(y, proba, labels=labels,
                          class_names=_class_names(labels, class_names), ax=row[1])
    plot_accuracy_vs_confidence(y, proba, labels=labels, name=name, ax=row[2])
    if images is not None:
        plot_confident_mistakes(images, y, proba, labels=labels, class_names=class_names,
                                n_images=12, ax=row[3])
