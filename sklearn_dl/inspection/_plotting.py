"""Figures of the inspection results (matplotlib): overlays, filters, maps, top patches."""

from __future__ import annotations

import math

import numpy as np

from ._activations import _single, activation_maps, filter_weights, top_activating
from ._attribution import attribution_maps
from ._model import as_models, batched_scores, resolve_targets


def _grid(n, n_cols, size=2.2, figsize=None):
    import matplotlib.pyplot as plt

    n_cols = max(1, min(n_cols, n))
    n_rows = math.ceil(n / n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, squeeze=False,
                             figsize=figsize or (size * n_cols, size * n_rows + 0.3))
    for ax in axes.flat:
        ax.set_axis_off()
    for ax in list(axes.flat)[n:]:  # the unused cells of the last row
        fig.delaxes(ax)
    return fig, list(axes.flat)[:n]


def value_range(images):
    """``(low, high)`` display range of a set of images in any accepted value range:
    0-255 data maps to (0, 255), data in [0, 1] to (0, 1), anything else (standardised
    values) to its own minimum and maximum."""
    lo, hi = float(images.min()), float(images.max())
    if lo < 0 or hi > 255:
        return lo, hi if hi > lo else lo + 1.0
    return (0.0, 255.0) if hi > 1 else (0.0, 1.0)


def display_image(image, limits):
    """``(C, H, W)`` image -> what ``imshow`` shows: ``(H, W)`` grey or ``(H, W, 3)`` in
    [0, 1], scaled by ``limits`` from :func:`value_range`."""
    a = np.asarray(image, dtype=np.float64)
    a = a[0] if a.shape[0] == 1 else np.moveaxis(a[:3], 0, -1)
    return np.clip((a - limits[0]) / (limits[1] - limits[0]), 0.0, 1.0)


def _show(ax, image, limits):
    shown = display_image(image, limits)
    ax.imshow(shown, cmap="gray" if shown.ndim == 2 else None, vmin=0, vmax=1)


def _label(value, class_names):
    if class_names is not None:
        try:
            return str(class_names[value])
        except (KeyError, IndexError, TypeError):
            pass
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}"
    return str(value)


def _predictions(models, images):
    model = models[0]
    if model.kind == "classifier":
        return model.classes[resolve_targets(models, images, None, None)]
    out = "mean" if model.kind == "regressor" else "raw"
    scores = np.mean([batched_scores(m, im, out) for m, im in zip(models, images)], axis=0)
    return scores[:, 0] if model.kind == "regressor" else scores.argmax(axis=1)


def plot_attribution_maps(estimator, X, y=None, *, method="gradcam", target=None, layer=None,
                          output=None, maps=None, class_names=None, n_cols=4, alpha=0.5,
                          figsize=None, **kwargs):
    """A grid of images with their attribution map overlaid, titled true / predicted.

    Parameters
    ----------
    estimator, X, method, target, layer, output
        As in :func:`attribution_maps`; X is shown as the estimator reads it (its own
        layout and value range, 0-255 or 0-1).
    y : array-like, optional
        True labels (or values) for the titles.
    maps : ndarray of shape (n_images, H, W), optional
        Precomputed maps (skips the computation).
    class_names : sequence or dict, optional
        Display names of the labels (e.g. CIFAR-10's for labels 0-9).
    n_cols : int, default=4
    alpha : float, default=0.5
        Opacity of the map over the image.
    figsize : (float, float), optional
    **kwargs
        Passed to :func:`attribution_maps` (``baseline``, ``window``, ...).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_dl import CNNClassifier
    >>> from sklearn_dl.inspection import plot_attribution_maps
    >>> X = np.random.RandomState(0).uniform(size=(20, 12, 12)).astype(np.float32)
    >>> clf = CNNClassifier(architecture="vgg", filters=(4,), max_epochs=1,
    ...                     random_state=0).fit(X, np.arange(20) % 2)
    >>> fig = plot_attribution_maps(clf, X[:4], np.arange(4) % 2)
    >>> len(fig.axes)
    4
    """
    models = as_models(estimator)
    images = [m.images(X) for m in models]
    if maps is None:
        maps = attribution_maps(estimator, X, method=method, target=target, layer=layer,
                                output=output, **kwargs)
    maps = np.asarray(maps)
    if maps.shape[0] != len(images[0]):
        raise ValueError(f"maps has {maps.shape[0]} rows but X has {len(images[0])} images.")
    pred = _predictions(models, images)
    signed = maps.min() < 0
    fig, axes = _grid(len(maps), n_cols, figsize=figsize)
    limits = value_range(images[0])
    for i, ax in enumerate(axes):
        _show(ax, images[0][i].numpy(), limits)
        m = maps[i]
        lim = np.abs(m).max() or 1.0
        ax.imshow(m, cmap="RdBu_r" if signed else "jet", alpha=alpha,
                  vmin=-lim if signed else 0.0, vmax=lim, interpolation="bilinear")
        title = [] if y is None else [f"true: {_label(np.asarray(y)[i], class_names)}"]
        title.append(f"pred: {_label(pred[i], class_names)}")
        ax.set_title("\n".join(title), fontsize=8)
    fig.suptitle(f"{method} of {type(estimator).__name__}"
                 + (f", target {_label(target, class_names)}" if np.ndim(target) == 0
                    and target is not None else ""), fontsize=9)
    fig.tight_layout()
    return fig


def plot_filters(estimator, layer=None, *, max_filters=64, n_cols=8, annotate=None,
                 figsize=None):
    """The kernels of a convolution (default the first) as a grid of small images.

    Three input channels are shown as colour images (each kernel min-max scaled); other
    kernels as their mean over input channels on a diverging scale (red > 0 > blue).

    Parameters
    ----------
    estimator : fitted image estimator, PretrainedFeatureTransformer or nn.Module
    layer : str, optional
        A Conv2d's module path; default the first Conv2d.
    max_filters : int, default=64
    n_cols : int, default=8
    annotate : bool, optional
        Write the weights into the cells; default for at most 4 kernels up to 7x7.
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from torch import nn
    >>> from sklearn_dl.inspection import plot_filters
    >>> len(plot_filters(nn.Conv2d(3, 6, 3)).axes)
    6
    """
    w = filter_weights(estimator, layer)[:max_filters]
    annotate = (len(w) <= 4 and max(w.shape[-2:]) <= 7) if annotate is None else annotate
    fig, axes = _grid(len(w), n_cols, size=1.2 if len(w) > 4 else 2.5, figsize=figsize)
    for i, ax in enumerate(axes):
        k = w[i]
        if k.shape[0] == 3:
            ax.imshow(np.moveaxis((k - k.min()) / (k.max() - k.min() + 1e-12), 0, -1))
        else:
            k = k.mean(axis=0)
            lim = np.abs(k).max() or 1.0
            ax.imshow(k, cmap="RdBu_r", vmin=-lim, vmax=lim)
            if annotate:
                for (r, c), v in np.ndenumerate(k):
                    ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=7)
        if len(w) > 1:
            ax.set_title(str(i), fontsize=7)
    fig.tight_layout()
    return fig


def plot_activation_maps(estimator, X, layer=None, *, max_maps=16, n_cols=8, figsize=None):
    """The first image of X and its feature maps at a layer.

    Parameters
    ----------
    estimator : fitted image estimator, PretrainedFeatureTransformer or nn.Module
    X : images; the first one is shown
    layer : str, optional
        Stage or module path; default the last convolutional stage.
    max_maps : int, default=16
    n_cols : int, default=8
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from torch import nn
    >>> from sklearn_dl.inspection import plot_activation_maps
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    >>> fig = plot_activation_maps(net, np.zeros((1, 1, 10, 10), np.float32), layer="1")
    >>> len(fig.axes)
    5
    """
    model = _single(estimator, "Activation maps")
    maps = activation_maps(estimator, X[:1], layer)[0]
    if maps.ndim != 3:
        raise ValueError(f"Layer {layer!r} outputs a vector of {maps.shape}, not maps.")
    maps = maps[:max_maps]
    fig, axes = _grid(len(maps) + 1, n_cols, size=1.5, figsize=figsize)
    image = model.images(X[:1])[0]
    _show(axes[0], image.numpy(), value_range(image))
    axes[0].set_title("image", fontsize=7)
    for c, ax in enumerate(axes[1:]):
        ax.imshow(maps[c], cmap="viridis")
        ax.set_title(f"channel {c}", fontsize=7)
    fig.tight_layout()
    return fig


def plot_top_activating(estimator, X, channel, *, layer=None, k=10, crop=True, n_cols=5,
                        figsize=None):
    """The k images (or receptive-field patches) of X that excite one channel most.

    Parameters
    ----------
    estimator, X, channel, layer, k, crop
        As in :func:`top_activating`.
    n_cols : int, default=5
    figsize : (float, float), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from torch import nn
    >>> from sklearn_dl.inspection import plot_top_activating
    >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    >>> X = np.random.RandomState(0).uniform(size=(8, 1, 10, 10)).astype(np.float32)
    >>> len(plot_top_activating(net, X, channel=1, layer="1", k=4).axes)
    4
    """
    top = top_activating(estimator, X, channel, layer=layer, k=k, crop=crop)
    model = _single(estimator, "Top-activating images")
    images = model.images(X)
    limits = value_range(images)
    fig, axes = _grid(len(top.indices), n_cols, figsize=figsize)
    for ax, i, (t, lft, b, r), v in zip(axes, top.indices, top.boxes, top.maxima):
        _show(ax, images[i, :, t:b, lft:r].numpy(), limits)
        ax.set_title(f"#{i}: {v:.3g}", fontsize=8)
    fig.suptitle(f"{top.layer}, channel {channel} (receptive field "
                 f"{rf_text(top.receptive_field)} px)", fontsize=9)
    fig.tight_layout()
    return fig


def rf_text(value):
    a, b = (round(float(v), 1) for v in value)
    return f"{a:g}" if a == b else f"{a:g}x{b:g}"
