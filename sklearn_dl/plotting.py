"""Evaluation plots: loss curves and predictive intervals (matplotlib)."""

from __future__ import annotations

import numpy as np


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def plot_loss_curves(estimator, ax=None, *, mark_best=True, title=None):
    """Training and validation loss per epoch of a fitted estimator.

    Parameters
    ----------
    estimator : fitted sklearn_dl estimator
        Reads ``history_`` (``train_loss`` and, with a validation split,
        ``valid_loss``) and ``best_epoch_``.
    ax : matplotlib Axes, default=None
        Created when None.
    mark_best : bool, default=True
        Draw a vertical line at ``best_epoch_`` (the weights kept by early stopping).
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes
    """
    history = getattr(estimator, "history_", None)
    if history is None:
        raise ValueError(f"{type(estimator).__name__} is not fitted: no history_ to plot.")
    ax = _axes(ax)
    epochs = np.arange(1, len(history) + 1)
    ax.plot(epochs, [row["train_loss"] for row in history], label="train loss")
    if "valid_loss" in history[0]:
        ax.plot(epochs, [row["valid_loss"] for row in history], label="validation loss")
    if mark_best and getattr(estimator, "best_epoch_", None):
        ax.axvline(estimator.best_epoch_, color="grey", linestyle="--",
                   label=f"best epoch ({estimator.best_epoch_})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (NLL per sample)")
    ax.set_title(title or type(estimator).__name__)
    ax.legend()
    return ax


def plot_prediction_interval(estimator, X, y=None, *, alpha=0.1, feature=0, ax=None,
                             title=None):
    """Predictive mean and central ``1 - alpha`` interval against one input feature.

    Parameters
    ----------
    estimator : fitted regressor with ``predict_dist``
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), default=None
        Observations drawn as points when given.
    alpha : float, default=0.1
    feature : int, default=0
        Column of X on the horizontal axis.

    Returns
    -------
    ax : matplotlib Axes
    """
    ax = _axes(ax)
    X = np.asarray(X)
    x = X[:, feature]
    order = np.argsort(x)
    dist = estimator.predict_dist(X)
    mean = np.asarray(dist.mean())[order]
    lower = np.asarray(dist.ppf(alpha / 2))[order]
    upper = np.asarray(dist.ppf(1 - alpha / 2))[order]
    if y is not None:
        ax.scatter(x, y, s=6, alpha=0.4, color="k", label="data")
    ax.plot(x[order], mean, color="C0", label="predicted mean")
    ax.fill_between(x[order], lower, upper, color="C0", alpha=0.25,
                    label=f"{100 * (1 - alpha):.0f}% interval")
    ax.set_xlabel(f"x[{feature}]")
    ax.set_ylabel("y")
    ax.set_title(title or type(estimator).__name__)
    ax.legend()
    return ax
