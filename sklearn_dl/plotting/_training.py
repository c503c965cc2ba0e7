"""Plots of a fitted estimator: loss curves, predictive band against one feature."""

from __future__ import annotations

import numpy as np

from ..metrics import predict_dist
from ..metrics._checks import check_level
from ._common import get_axes


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

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_dl import GaussianNLLRegressor
    >>> from sklearn_dl.datasets import make_heteroscedastic
    >>> from sklearn_dl.plotting import plot_loss_curves
    >>> X, y, _ = make_heteroscedastic(100, random_state=0)
    >>> reg = GaussianNLLRegressor(max_epochs=3, random_state=0).fit(X, y)
    >>> plot_loss_curves(reg).get_xlabel()
    'epoch'
    """
    history = getattr(estimator, "history_", None)
    if history is None:
        raise ValueError(f"{type(estimator).__name__} is not fitted: no history_ to plot.")
    ax = get_axes(ax)
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
    estimator : fitted regressor with a predictive distribution
        ``predict_dist`` (also at the end of a Pipeline) or scikit-learn's
        ``predict(return_std=True)``.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), default=None
        Observations drawn as points when given.
    alpha : float, default=0.1
    feature : int, default=0
        Column of X on the horizontal axis.
    ax : matplotlib Axes, default=None
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.linear_model import BayesianRidge
    >>> from sklearn_dl.datasets import make_heteroscedastic
    >>> from sklearn_dl.plotting import plot_prediction_interval
    >>> X, y, _ = make_heteroscedastic(100, random_state=0)
    >>> ax = plot_prediction_interval(BayesianRidge().fit(X, y), X, y)
    >>> ax.get_legend_handles_labels()[1]
    ['data', 'predicted mean', '90% interval']
    """
    level = check_level(1 - alpha, "1 - alpha")
    X_arr = np.asarray(X)
    if X_arr.ndim != 2 or not 0 <= feature < X_arr.shape[1]:
        raise ValueError(f"X must be 2-D with a column feature={feature}; got shape "
                         f"{X_arr.shape}.")
    dist = predict_dist(estimator, X)
    mean = np.asarray(dist.mean())
    if mean.ndim != 1:
        raise ValueError("plot_prediction_interval draws one target; the model predicts "
                         f"batch shape {mean.shape}.")
    ax = get_axes(ax)
    x = X_arr[:, feature].astype(np.float64)
    order = np.argsort(x)
    lower, upper = (np.asarray(b)[order] for b in dist.interval(level))
    if y is not None:
        ax.scatter(x, y, s=6, alpha=0.4, color="k", label="data")
    ax.plot(x[order], mean[order], color="C0", label="predicted mean")
    ax.fill_between(x[order], lower, upper, color="C0", alpha=0.25,
                    label=f"{100 * level:.0f}% interval")
    ax.set_xlabel(f"x[{feature}]")
    ax.set_ylabel("y")
    ax.set_title(title or type(estimator).__name__)
    ax.legend()
    return ax
