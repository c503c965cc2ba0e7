"""Plots of predicted class probabilities: reliability, confusion, confident mistakes.

Each takes ``y_true`` and ``y_prob`` (``predict_proba`` output of any classifier, columns
in the order of ``labels``) or predicted labels, draws on ``ax`` (a new figure when
None) and returns the Axes.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.calibration import CalibrationDisplay
from sklearn.metrics import ConfusionMatrixDisplay

from ..metrics import accuracy_vs_confidence, calibration_table
from ..metrics._classification import _confidence, check_proba
from ._common import finish_legend, get_axes

_COUNTS_LABEL = "sklearn_dl: bin counts"


def _counts_axes(ax):
    """The twin Axes holding bin counts, created once per Axes."""
    for other in ax.get_shared_x_axes().get_siblings(ax):
        if other is not ax and other.get_label() == _COUNTS_LABEL:
            return other
    twin = ax.twinx()
    twin.set_label(_COUNTS_LABEL)
    twin.set_ylabel("predictions per bin")
    ax.set_zorder(twin.get_zorder() + 1)  # keep the curve above the bars
    ax.patch.set_visible(False)
    return twin


def plot_reliability_diagram(y_true, y_prob, *, n_bins=10, strategy="uniform",
                             kind="top_label", labels=None, name=None, show_counts=True,
                             ax=None):
    """Reliability diagram: observed frequency against mean predicted probability per
    bin, with the number of predictions in each bin.

    Drawn by scikit-learn's :class:`~sklearn.calibration.CalibrationDisplay` from
    :func:`sklearn_dl.metrics.calibration_table`, so the top-label version works for any
    number of classes; the counts are bars on a twin axis (right), in the curve's
    colour.  Call again on the same ``ax`` with another ``name`` to compare models.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,), or distribution
    n_bins : int, default=10
    strategy : {"uniform", "quantile"}, default="uniform"
    kind : {"top_label", "positive"}, default="top_label"
        Top-label confidence vs accuracy, or (two classes) probability of ``labels[1]``
        vs its frequency (scikit-learn's ``calibration_curve``).
    labels : array-like of shape (n_classes,), default=None
        Classes of the columns (``estimator.classes_``).
    name : str, default=None
        Legend label; the ECE is appended.
    show_counts : bool, default=True
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_dl.plotting import plot_reliability_diagram
    >>> rng = np.random.RandomState(0)
    >>> p = rng.uniform(size=500)
    >>> y = (rng.uniform(size=500) < p).astype(int)
    >>> plot_reliability_diagram(y, p, kind="positive").get_ylabel()
    'fraction of positives'
    """
    table = calibration_table(y_true, y_prob, n_bins=n_bins, strategy=strategy, kind=kind,
                              labels=labels)
    index, proba, classes = check_proba(y_true, y_prob, labels, "plot_reliability_diagram")
    confidence, _ = _confidence(index, proba, kind)
    ece = float(np.sum(table["count"] * table["gap"].abs()) / table["count"].sum())
    ax = get_axes(ax, figsize=(5, 5))
    display = CalibrationDisplay(table["observed"].to_numpy(),
                                 table["mean_predicted"].to_numpy(), confidence,
                                 pos_label=classes[1] if kind == "positive" else None)
    display.plot(ax=ax, name=f"{name or 'model'} (ECE {ece:.3f})")
    if show_counts:
        twin = _counts_axes(ax)
        twin.bar((table["lower"] + table["upper"]) / 2, table["count"],
                 width=table["upper"] - table["lower"], color=display.line_.get_color(),
                 alpha=0.2, edgecolor=display.line_.get_color())
    if kind == "top_label":
        ax.set(xlabel="confidence (largest predicted probability)", ylabel="accuracy")
    else:
        ax.set(xlabel=f"predicted probability of class {classes[1]!r}",
               ylabel="fraction of positives")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    return ax


def plot_confusion_matrix(y_true, y_pred, *, labels=None, class_names=None,
                          normalize=None, ax=None, **kwargs):
    """Confusion matrix with class names, by scikit-learn's ``ConfusionMatrixDisplay``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_pred : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted labels, or class probabilities (the most probable of ``labels`` is
        taken; ``labels`` is then required unless the classes are ``0..K-1``).
    labels : array-like of shape (n_classes,), default=None
        Classes, in the order of the matrix (``estimator.classes_``).
    class_names : sequence of str, default=None
        Names shown for ``labels`` (e.g. ``["airplane", "automobile", ...]``).
    normalize : {"true", "pred", "all"} or None, default=None
        As in :func:`sklearn.metrics.confusion_matrix`.
    ax : matplotlib Axes, default=None
    **kwargs
        Passed to ``ConfusionMatrixDisplay.from_predictions`` (``cmap``,
        ``values_format``, ``colorbar``, ...).

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_dl.plotting import plot_confusion_matrix
    >>> ax = plot_confusion_matrix([0, 1, 1], [0, 1, 0], class_names=["cat", "dog"])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['cat', 'dog']
    """
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2:
        index, proba, classes = check_proba(y_true, y_pred, labels, "plot_confusion_matrix")
        y_pred = classes[np.argmax(proba, axis=1)]
        labels = classes
    if len(y_pred) != len(np.asarray(y_true)):
        raise ValueError(f"plot_confusion_matrix: y_true has {len(np.asarray(y_true))} "
                         f"labels but y_pred {len(y_pred)}.")
    if labels is None:
        labels = np.unique(np.concatenate([np.asarray(y_true), y_pred]))
    if class_names is not None and len(class_names) != len(labels):
        raise ValueError(f"class_names has {len(class_names)} names for {len(labels)} "
                         "classes.")
    ax = get_axes(ax, figsize=(max(4, 0.5 * len(labels) + 2),) * 2)
    kwargs.setdefault("colorbar", False)
    kwargs.setdefault("xticks_rotation", "vertical" if len(labels) > 5 else "horizontal")
    display = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, display_labels=class_names, normalize=normalize,
        ax=ax, **kwargs)
    return display.ax_


def plot_accuracy_vs_confidence(y_true, y_prob, *, labels=None, name=None, ax=None):
    """Accuracy of the predictions at least as confident as a threshold, and the share
    of samples kept (dashed), against the threshold.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,), or distribution
    labels : array-like of shape (n_classes,), default=None
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
    >>> from sklearn_dl.plotting import plot_accuracy_vs_confidence
    >>> p = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    >>> plot_accuracy_vs_confidence([0, 1, 1], p).get_xlabel()
    'confidence threshold'
    """
    table = accuracy_vs_confidence(y_true, y_prob, labels=labels)
    ax = get_axes(ax)
    line = ax.plot(table["threshold"], table["accuracy"], marker="o", markersize=3,
                   label=f"{name or 'model'}: accuracy")[0]
    ax.plot(table["threshold"], table["fraction"], linestyle="--", color=line.get_color(),
            label=f"{name or 'model'}: share kept")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("confidence threshold")
    ax.set_ylabel("accuracy / share of samples")
    finish_legend(ax)
    return ax


# -- most confident mistakes ------------------------------------------------------------
def _take(X, idx):
    """Rows ``idx`` of any image input the package accepts."""
    if hasattr(X, "iloc"):
        X = X.iloc[idx]
        return X if hasattr(X, "columns") else X.tolist()
    if hasattr(X, "shape") and not (isinstance(X, np.ndarray) and X.dtype == object):
        return X[idx]
    return [X[i] for i in idx]


def _source_is_uint8(images):
    """Whether the raw input holds 0-255 pixels (uint8 arrays, PIL images, files)."""
    if hasattr(images, "columns"):  # a DataFrame of flattened pixels
        return all(str(t) == "uint8" for t in images.dtypes)
    dtype = getattr(images, "dtype", None)
    if dtype is None or (isinstance(images, np.ndarray) and dtype == object):
        return True  # PIL images and image files are read as 0-255 values
    return str(dtype) in ("uint8", "torch.uint8")


def _displayable(images, pixel_range):
    """float (m, C, H, W) -> list of (H, W) or (H, W, 3) arrays in [0, 1]."""
    out = []
    for image in images:
        if pixel_range is not None:
            lo, hi = pixel_range
        else:  # floats: keep [0, 1] images, stretch others (standardised, 0-16, ...)
            lo, hi = float(image.min()), float(image.max())
            if lo >= 0 and hi <= 1:
                lo, hi = 0.0, 1.0
        scaled = np.clip((image - lo) / (hi - lo), 0, 1) if hi > lo else np.zeros_like(image)
        out.append(np.transpose(scaled[:3], (1, 2, 0)) if scaled.shape[0] >= 3
                   else scaled[0])
    return out


def plot_confident_mistakes(images, y_true, y_prob, *, labels=None, class_names=None,
                            n_images=16, n_cols=None, image_shape=None, layout="auto",
                            pixel_range=None, fontsize=7, ax=None):
    """The misclassified images the model was most sure about, in one grid.

    Each tile shows the true class, the predicted class and its probability; tiles are
    sorted by that probability, highest first.

    Parameters
    ----------
    images : array-like or list
        The raw images, in the rows of ``y_true``: numpy / torch ``(n, H, W)``,
        ``(n, H, W, C)`` or ``(n, C, H, W)``, uint8 or float, flattened ``(n, H*W*C)``
        with ``image_shape=``, PIL images or file paths (as the image estimators
        accept; converted by :func:`sklearn_dl.images.to_image_tensor`).  uint8-range
        pixels are divided by 255; other float images are stretched to [0, 1].
    y_true : array-like of shape (n_samples,)
    y_prob : array-like of shape (n_samples, n_classes)
    labels : array-like of shape (n_classes,), default=None
        Classes of the columns (``estimator.classes_``).
    class_names : sequence of str or dict, default=None
        Names of ``labels`` (a sequence in their order, or a dict label -> name).
    n_images : int, default=16
    n_cols : int, default=None
        Tiles per row; about a square grid when None.
    image_shape, layout
        As in :func:`sklearn_dl.images.to_image_tensor`.
    pixel_range : (float, float), default=None
        Values shown as black and white.  By default ``(0, 255)`` for uint8 arrays,
        PIL images and files, ``(0, 1)`` for float images within [0, 1], and each
        image's own minimum and maximum for other floats.
    fontsize : float, default=7
    ax : matplotlib Axes, default=None
        The grid is one mosaic on this Axes.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_dl.plotting import plot_confident_mistakes
    >>> images = np.random.RandomState(0).randint(0, 255, (3, 8, 8)).astype(np.uint8)
    >>> p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> ax = plot_confident_mistakes(images, [1, 1, 1], p, class_names=["cat", "dog"])
    >>> [t.get_text().splitlines()[0] for t in ax.texts]
    ['true: dog', 'true: dog']
    """
    from ..images import n_images as count_images
    from ..images import to_image_tensor

    index, proba, classes = check_proba(y_true, y_prob, labels, "plot_confident_mistakes")
    if count_images(images) != len(index):
        raise ValueError(f"plot_confident_mistakes: {count_images(images)} images for "
                         f"{len(index)} labels.")
    if isinstance(n_images, bool) or not isinstance(n_images, (int, np.integer)) \
            or n_images < 1:
        raise ValueError(f"n_images must be a positive int; got {n_images!r}.")
    names = _class_names(classes, class_names)
    predicted = np.argmax(proba, axis=1)
    confidence = proba[np.arange(len(proba)), predicted]
    wrong = np.flatnonzero(predicted != index)
    chosen = wrong[np.argsort(-confidence[wrong], kind="stable")][:n_images]
    ax = get_axes(ax, figsize=_grid_figsize(len(chosen), n_cols))
    ax.set_axis_off()
    if len(chosen) == 0:
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center", transform=ax.transAxes)
        return ax
    if pixel_range is None and _source_is_uint8(images):
        pixel_range = (0.0, 255.0)
    tiles = _displayable(to_image_tensor(_take(images, chosen), image_shape=image_shape,
                                         layout=layout).numpy(), pixel_range)
    h, w = tiles[0].shape[:2]
    cols = n_cols or math.ceil(math.sqrt(len(tiles)))
    gap, band = 0.1 * w, 0.55 * h  # the band under each tile holds its two text lines
    for k, (tile, i) in enumerate(zip(tiles, chosen)):
        row, col = divmod(k, cols)
        x0, y0 = col * (w + gap), row * (h + band)
        ax.imshow(tile, cmap="gray" if tile.ndim == 2 else None, vmin=0, vmax=1,
                  extent=(x0, x0 + w, y0 + h, y0), interpolation="nearest")
        ax.text(x0 + w / 2, y0 + h + 0.05 * h,
                f"true: {names[index[i]]}\npred: {names[predicted[i]]} "
                f"({confidence[i]:.2f})", ha="center", va="top", fontsize=fontsize)
    n_rows = math.ceil(len(tiles) / cols)
    ax.set_xlim(-gap / 2, cols * (w + gap) - gap / 2)
    ax.set_ylim(n_rows * (h + band), 0)
    ax.set_aspect("equal")
    return ax


def _class_names(classes, class_names):
    if class_names is None:
        return [str(c) for c in classes]
    if isinstance(class_names, dict):
        return [str(class_names.get(c, c)) for c in classes.tolist()]
    if len(class_names) != len(classes):
        raise ValueError(f"class_names has {len(class_names)} names for {len(classes)} "
                         "classes.")
    return [str(c) for c in class_names]


def _grid_figsize(n, n_cols):
    cols = n_cols or max(1, math.ceil(math.sqrt(max(n, 1))))
    rows = max(1, math.ceil(max(n, 1) / cols))
    return (1.5 * cols, 1.9 * rows)

