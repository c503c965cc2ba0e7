"""Plots of a predictive distribution against numeric observations.

Each takes ``(y_true, y_dist)`` (``y_dist = estimator.predict_dist(X)``, a single
network's or a mixture, or a frozen scipy distribution), draws on ``ax`` (a new figure
when None) and returns the Axes; calling one again on the same Axes with ``name=``
overlays another model.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.utils import check_random_state

from ..metrics import coverage_curve, pit_values
from ..metrics._checks import check_level, check_numeric_target, check_regression_target
from ..metrics._regression import DEFAULT_LEVELS, _interval_bounds
from ._common import finish_legend, get_axes


def _one_target(y, what):
    if y.ndim != 1:
        raise ValueError(f"{what} draws one target; got y_true of shape {y.shape} "
                         "(select a column of y_true and of the distribution).")
    return y


def plot_predicted_vs_observed(y_true, y_dist, *, level=0.9, max_points=500,
                               random_state=0, name=None, ax=None):
    """Observed values against predicted means, with predictive intervals as bars.

    Follows scikit-learn's ``PredictionErrorDisplay(kind="actual_vs_predicted")``:
    predicted on the horizontal, observed on the vertical axis, and the diagonal.  The
    horizontal bars are the central ``level`` intervals; a bar that does not reach the
    diagonal is an observation outside its interval (drawn in red).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_dist : predictive distribution with batch shape (n_samples,)
    level : float in (0, 1), default=0.9
    max_points : int, default=500
        At most this many samples are drawn (a random subset), for legibility; the
        coverage in the legend uses all of them.
    random_state : int, RandomState or None, default=0
        Picks the subset.
    name : str, default=None
        Legend label.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.plotting import plot_predicted_vs_observed
    >>> mu = np.linspace(0, 1, 50)
    >>> ax = plot_predicted_vs_observed(mu + 0.1, stats.norm(mu, 0.2))
    >>> ax.get_xlabel()
    'predicted mean'
    """
    y = _one_target(check_regression_target(y_true, y_dist, "plot_predicted_vs_observed"),
                    "plot_predicted_vs_observed")
    level = check_level(level)
    mean = np.asarray(y_dist.mean(), dtype=np.float64)
    lower, upper = (np.asarray(b, dtype=np.float64) for b in y_dist.interval(level))
    inside = (y >= lower) & (y <= upper)
    idx = np.arange(len(y))
    if len(y) > max_points:
        idx = np.sort(check_random_state(random_state).choice(len(y), max_points,
                                                              replace=False))
    ax = get_axes(ax, figsize=(5, 5))
    label = f"{name + ': ' if name else ''}{100 * level:.0f}% interval, " \
            f"coverage {inside.mean():.2f}"
    points = ax.scatter(mean[idx][inside[idx]], y[idx][inside[idx]], s=8, label=label)
    ax.errorbar(mean[idx], y[idx], xerr=[mean[idx] - lower[idx], upper[idx] - mean[idx]],
                fmt="none", ecolor=points.get_facecolor()[0], alpha=0.35, linewidth=0.8)
    miss = idx[~inside[idx]]
    ax.scatter(mean[miss], y[miss], s=10, color="tab:red", marker="x",
               label=f"outside ({(~inside).sum()} of {len(y)})")
    lo = np.nanmin([lower[idx].min(), y[idx].min()])
    hi = np.nanmax([upper[idx].max(), y[idx].max()])
    ax.plot([lo, hi], [lo, hi], "k:", linewidth=1)
    ax.set_xlabel("predicted mean")
    ax.set_ylabel("observed")
    finish_legend(ax)
    return ax


def plot_pit_histogram(y_true, y_dist, *, bins=10, random_state=0, name=None, ax=None):
    """Histogram of probability integral transform values ``F(y)``.

    Flat (at density 1) for a calibrated model; U-shaped when intervals are too narrow,
    hump-shaped when too wide, sloped when the predictions are biased.  The grey band is
    +-2 binomial standard deviations of a bin's density under uniformity; discrete
    distributions use the randomised PIT (:func:`sklearn_dl.metrics.pit_values`).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    y_dist : predictive distribution
    bins : int, default=10
    random_state : int, RandomState or None, default=0
        Randomisation of discrete PIT values.
    name : str, default=None
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.plotting import plot_pit_histogram
    >>> y = np.random.RandomState(0).normal(size=200)
    >>> plot_pit_histogram(y, stats.norm(np.zeros(200), 1.0)).get_xlabel()
    'PIT value F(y)'
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive int; got {bins!r}.")
    pit = np.ravel(pit_values(y_true, y_dist, random_state=random_state))
    ax = get_axes(ax)
    p = 1.0 / bins
    sd = np.sqrt((1 - p) / (len(pit) * p))
    if "uniform +-2 sd" not in ax.get_legend_handles_labels()[1]:
        ax.axhspan(1 - 2 * sd, 1 + 2 * sd, color="0.85", zorder=0, label="uniform +-2 sd")
        ax.axhline(1.0, color="k", linestyle=":", linewidth=1)
    ax.hist(pit, bins=np.linspace(0, 1, bins + 1), density=True, histtype="step",
            linewidth=1.5, label=name or "PIT")
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT value F(y)")
    ax.set_ylabel("density")
    finish_legend(ax)
    return ax


def plot_coverage(y_true, y_pred, *, levels=DEFAULT_LEVELS, name=None, ax=None):
    """Observed coverage of central intervals against their nominal level.

    On the diagonal for a calibrated model; below it, intervals under-cover.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    y_pred : predictive distribution, or mapping of level -> interval array
        A distribution (its intervals at ``levels``), or intervals from elsewhere
        (e.g. a conformal method) as ``{0.9: array of shape (n, 2), ...}``.
    levels : sequence of float in (0, 1), default=(0.1, ..., 0.9, 0.95, 0.99)
        Only for a distribution.
    name : str, default=None
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.plotting import plot_coverage
    >>> y = np.random.RandomState(0).normal(size=200)
    >>> plot_coverage(y, stats.norm(np.zeros(200), 1.0)).get_ylabel()
    'observed coverage'
    """
    if isinstance(y_pred, Mapping):
        if not y_pred:
            raise ValueError("plot_coverage: the mapping of level -> intervals is empty.")
        y = check_numeric_target(y_true, "plot_coverage")
        nominal, observed = [], []
        for level in sorted(y_pred):
            lower, upper = _interval_bounds(y_pred[level], None, "plot_coverage")
            if lower.shape != y.shape:
                raise ValueError(f"plot_coverage: intervals at level {level} have shape "
                                 f"{lower.shape}, y_true {y.shape}.")
            nominal.append(check_level(float(level)))
            observed.append(np.mean((y >= lower) & (y <= upper)))
    else:
        table = coverage_curve(y_true, y_pred, levels=levels)
        nominal, observed = table["level"], table["coverage"]
    ax = get_axes(ax, figsize=(5, 5))
    if "nominal" not in ax.get_legend_handles_labels()[1]:
        ax.plot([0, 1], [0, 1], "k:", label="nominal")
    ax.plot(nominal, observed, marker="o", label=name or "observed")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("nominal level of the central interval")
    ax.set_ylabel("observed coverage")
    finish_legend(ax)
    return ax


def plot_uncertainty_vs_error(y_true, y_dist, *, n_bins=10, name=None, ax=None):
    """Observed error against predicted uncertainty, binned by predicted sd.

    Samples are grouped into ``n_bins`` equal-count bins of predicted standard
    deviation; each point is a bin's root mean predicted variance against its root mean
    squared error (Levi et al. 2019).  For calibrated spread the points lie on the
    diagonal; a rising curve shows that the model knows where it is unsure.  The faint
    dots are the individual ``(sd, |error|)`` pairs.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
    y_dist : predictive distribution
    n_bins : int, default=10
    name : str, default=None
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_dl.plotting import plot_uncertainty_vs_error
    >>> sd = np.linspace(0.5, 2, 300)
    >>> y = np.random.RandomState(0).normal(0, sd)
    >>> plot_uncertainty_vs_error(y, stats.norm(np.zeros(300), sd)).get_xlabel()
    'predicted sd (RMS in bin)'
    """
    y = check_regression_target(y_true, y_dist, "plot_uncertainty_vs_error")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int; got {n_bins!r}.")
    sd = np.ravel(np.asarray(y_dist.std(), dtype=np.float64))
    err = np.ravel(y - np.asarray(y_dist.mean(), dtype=np.float64))
    order = np.argsort(sd, kind="stable")
    groups = [g for g in np.array_split(order, min(n_bins, len(sd))) if len(g)]
    rms_sd = np.array([np.sqrt(np.mean(sd[g] ** 2)) for g in groups])
    rmse = np.array([np.sqrt(np.mean(err[g] ** 2)) for g in groups])
    ax = get_axes(ax, figsize=(5, 5))
    line = ax.plot(rms_sd, rmse, marker="o", label=name or "binned RMSE")[0]
    ax.scatter(sd, np.abs(err), s=4, alpha=0.15, color=line.get_color())
    hi = max(rms_sd.max(), rmse.max()) * 1.1
    if "calibrated" not in ax.get_legend_handles_labels()[1]:
        ax.plot([0, hi], [0, hi], "k:", label="calibrated")
    ax.set_xlim(0, max(ax.get_xlim()[1], hi))
    ax.set_ylim(0, max(hi, np.quantile(np.abs(err), 0.99)))
    ax.set_xlabel("predicted sd (RMS in bin)")
    ax.set_ylabel("error (RMSE in bin; dots |error|)")
    finish_legend(ax)
    return ax
