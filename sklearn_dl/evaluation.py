"""One-line evaluation of fitted models on held-out data: a score table and a figure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.metrics import (
    accuracy_score, mean_absolute_error, r2_score, root_mean_squared_error,
)

from . import metrics
from .metrics._checks import check_level

__all__ = ["evaluate", "EvaluationReport"]


@dataclass
class EvaluationReport:
    """What :func:`evaluate` returns.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per metric (index ``metric``), one column per model, and a column
        ``better`` saying which direction is better.
    task : {"regression", "classification"}
    figure : matplotlib Figure or None
        The panel, with ``plot=True``.
    n_samples : int
        Number of held-out samples scored.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_dl import evaluate
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 2)); y = X[:, 0] + rng.normal(size=100)
    >>> report = evaluate(LinearRegression().fit(X, y), X, y)
    >>> report.task, report.n_samples, report.figure is None
    ('regression', 100, True)
    >>> bool(np.isnan(report.scores.loc["NLL", "LinearRegression"]))  # no distribution
    True
    """

    scores: pd.DataFrame
    task: str
    figure: object = None
    n_samples: int = 0

    def __repr__(self):
        head = f"EvaluationReport({self.task}, n_samples={self.n_samples})\n"
        return head + self.scores.to_string(float_format=lambda v: f"{v:.4g}")

    def _repr_html_(self):
        return self.scores.to_html(float_format=lambda v: f"{v:.4g}")


def _models(estimator):
    if isinstance(estimator, dict):
        if not estimator:
            raise ValueError("evaluate: the dict of estimators is empty.")
        return dict(estimator)
    if isinstance(estimator, (list, tuple)):
        raise TypeError("evaluate: pass one estimator or a dict {name: estimator}.")
    return {type(_final(estimator)).__name__: estimator}


def _final(estimator):
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _task(models):
    tasks = {"classification" if is_classifier(m) or hasattr(m, "predict_proba")
             and hasattr(m, "classes_") else "regression" for m in models.values()}
    if len(tasks) > 1:
        raise ValueError("evaluate: the models mix classifiers and regressors.")
    return tasks.pop()


def _regression_scores(estimator, X, y, level):
    y = np.asarray(y, dtype=np.float64)
    try:
        dist = metrics.predict_dist(estimator, X)
    except TypeError:
        dist = None  # a point predictor: only the point scores
    mean = np.asarray(dist.mean()) if dist is not None else np.asarray(estimator.predict(X))
    if mean.shape != y.shape:
        raise ValueError(f"evaluate: y has shape {y.shape} but the model predicts "
                         f"{mean.shape}.")
    nan = float("nan")
    return {
        "NLL": metrics.mean_nll(y, dist) if dist is not None else nan,
        "CRPS": metrics.crps(y, dist) if dist is not None else nan,
        "RMSE": root_mean_squared_error(y, mean),
        "MAE": mean_absolute_error(y, mean),
        "R2": r2_score(y, mean),
        f"coverage ({100 * level:g}%)":
            metrics.interval_coverage(y, dist, level=level) if dist is not None else nan,
        f"mean width ({100 * level:g}%)":
            metrics.mean_interval_width(dist, level=level) if dist is not None else nan,
    }, (dist, mean)


def _classification_scores(estimator, X, y, n_bins, strategy):
    proba = estimator.predict_proba(X)
    labels = estimator.classes_
    calibration = {"n_bins": n_bins, "strategy": strategy, "labels": labels}
    return {
        "accuracy": accuracy_score(y, estimator.predict(X)),
        "log loss (NLL)": metrics.log_loss(y, proba, labels=labels),
        "Brier score": metrics.brier_score(y, proba, labels=labels),
        "ECE": metrics.expected_calibration_error(y, proba, **calibration),
        "MCE": metrics.maximum_calibration_error(y, proba, **calibration),
    }, proba


def _better(task, level):
    if task == "classification":
        return {"accuracy": "higher", "log loss (NLL)": "lower", "Brier score": "lower",
                "ECE": "lower", "MCE": "lower"}
    return {"NLL": "lower", "CRPS": "lower", "RMSE": "lower", "MAE": "lower",
            "R2": "higher", f"coverage ({100 * level:g}%)": f"near {level:g}",
            f"mean width ({100 * level:g}%)": "lower at nominal coverage"}


def evaluate(estimator, X, y, *, plot=False, level=0.9, n_bins=10, strategy="uniform",
             class_names=None, images=None, figsize=None):
    """Score fitted models on held-out data, and optionally draw the standard panel.

    Parameters
    ----------
    estimator : fitted estimator or dict of str -> fitted estimator
        Any scikit-learn regressor or classifier, bare or as a Pipeline: sklearn_dl
        models (single nets, ensembles, MC dropout), classifiers with
        ``predict_proba`` (LogisticRegression, RandomForest, ...), regressors with
        ``predict(return_std=True)``; a regressor without a predictive distribution
        gets its point scores only (NaN elsewhere).  A dict compares several models
        (all of one task) column by column.
    X : array-like
        Test inputs, in the form the estimators take.
    y : array-like of shape (n_samples,) or, for regression, (n_samples, n_targets)
    plot : bool, default=False
        Draw the panel, one row per model.  Regression: predicted vs observed with
        ``level`` intervals, PIT histogram, coverage vs nominal level, uncertainty vs
        error.  Classification: reliability diagram (with bin counts), confusion
        matrix, accuracy vs confidence, and with ``images=`` the most confident
        mistakes.
    level : float in (0, 1), default=0.9
        Nominal level of the reported interval coverage and width.
    n_bins : int, default=10
        Bins of the calibration errors and reliability diagram.
    strategy : {"uniform", "quantile"}, default="uniform"
        Binning of the calibration errors (top-label; see
        :func:`sklearn_dl.metrics.calibration_table`).
    class_names : sequence of str or dict, default=None
        Names of ``classes_`` in the figures.
    images : array-like, default=None
        Raw images of the rows of ``X`` (for image classifiers) to show the most
        confident mistakes; any layout :func:`sklearn_dl.plotting.plot_confident_mistakes`
        accepts.
    figsize : (float, float), default=None

    Returns
    -------
    EvaluationReport
        ``.scores`` (DataFrame, one row per metric: regression NLL, CRPS, RMSE, MAE,
        R2, coverage and mean width at ``level``; classification accuracy, log loss,
        Brier score, ECE, MCE), ``.figure`` (None without ``plot``), ``.task``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn_dl import evaluate
    >>> from sklearn_dl.datasets import load_banknote
    >>> X, y = load_banknote(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> report = evaluate(LogisticRegression().fit(X_train, y_train), X_test, y_test)
    >>> report.scores.index.tolist()
    ['accuracy', 'log loss (NLL)', 'Brier score', 'ECE', 'MCE']
    """
    models = _models(estimator)
    level = check_level(level)
    task = _task(models)
    columns, predictions = {}, {}
    for name, model in models.items():
        if task == "classification":
            columns[name], predictions[name] = _classification_scores(model, X, y, n_bins,
                                                                      strategy)
        else:
            columns[name], predictions[name] = _regression_scores(model, X, y, level)
    scores = pd.DataFrame(columns)
    scores.index.name = "metric"
    scores["better"] = pd.Series(_better(task, level))
    report = EvaluationReport(scores=scores, task=task, n_samples=len(np.asarray(y)))
    if plot:
        from .plotting._panel import draw_panel

        report.figure = draw_panel(task, models, predictions, X, y, level=level,
                                   n_bins=n_bins, strategy=strategy,
                                   class_names=class_names, images=images,
                                   figsize=figsize)
    return report
