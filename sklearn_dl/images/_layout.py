"""Image layouts: which axis of the input holds the channels, and ``(C, H, W)`` checks."""

from __future__ import annotations

import math

LAYOUTS = ("auto", "channels_last", "channels_first")
#: channel counts that ``layout="auto"`` recognises
AUTO_CHANNELS = (1, 3, 4)


def _check_layout(layout):
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}; got {layout!r}.")


def _sample_layout(sample, layout):
    """Per-image shape (2 or 3 dims) -> ((C, H, W), channels_last)."""
    sample = tuple(int(s) for s in sample)
    if len(sample) == 2:  # grey: nothing to decide
        chw, last = (1, *sample), False
    elif len(sample) != 3:
        raise ValueError(f"An image shape must have 2 or 3 dimensions; got {sample}.")
    elif layout == "channels_last":
        chw, last = (sample[2], sample[0], sample[1]), True
    elif layout == "channels_first":
        chw, last = sample, False
    else:
        first, final = sample[0] in AUTO_CHANNELS, sample[2] in AUTO_CHANNELS
        if final and first:
            raise ValueError(
                f"Cannot tell whether images of shape {sample} are channels-last "
                f"(H, W, C) or channels-first (C, H, W): both the first and the last "
                f"dimension could hold {AUTO_CHANNELS} channels.  Pass "
                "layout='channels_last' or layout='channels_first'."
            )
        if not (final or first):
            raise ValueError(
                f"Images of shape {sample} have no channel dimension of size "
                f"{AUTO_CHANNELS} first or last.  Pass layout='channels_last' or "
                "layout='channels_first' to use another number of channels."
            )
        chw, last = ((sample[2], sample[0], sample[1]), True) if final else (sample, False)
    if min(chw) < 1:
        raise ValueError(f"Image dimensions must be positive; got image shape {sample}.")
    return chw, last


def _resolve(shape, layout, image_shape):
    """Data shape -> ((C, H, W), channels_last, per-sample shape to reshape to)."""
    _check_layout(layout)
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2:
        if image_shape is None:
            raise ValueError(
                f"X is 2-D with shape {shape}: flattened images need image_shape=(H, W), "
                "(H, W, C) or (C, H, W) with layout='channels_first'."
            )
        chw, last = _sample_layout(image_shape, layout)
        if math.prod(chw) != shape[1]:
            raise ValueError(
                f"X has {shape[1]} features per row but image_shape={tuple(image_shape)} "
                f"needs {math.prod(chw)}."
            )
        return chw, last, tuple(int(s) for s in image_shape)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"X has shape {shape}; accepted are (n, H, W) grey images, (n, H, W, C), "
            "(n, C, H, W), or flattened (n, H*W*C) with image_shape=."
        )
    chw, last = _sample_layout(shape[1:], layout)
    if image_shape is not None and _sample_layout(image_shape, layout)[0] != chw:
        raise ValueError(
            f"X has images of shape {chw} (C, H, W) but image_shape="
            f"{tuple(image_shape)} describes {_sample_layout(image_shape, layout)[0]}."
        )
    return chw, last, shape[1:]


def resolve_layout(shape, layout="auto", image_shape=None):
    """Decide the ``(C, H, W)`` of the images in data of shape ``shape``.

    Parameters
    ----------
    shape : tuple of int
        Shape of the whole input including the leading sample axis: ``(n, H, W)``,
        ``(n, H, W, C)``, ``(n, C, H, W)`` or flattened ``(n, p)``.
    layout : {"auto", "channels_last", "channels_first"}, default="auto"
        With ``"auto"`` the channel axis is the first or last image axis whose size is
        1, 3 or 4 when the other one's is not; ambiguous shapes such as
        ``(n, 3, 3, 3)`` raise.  An explicit layout allows any number of channels.
    image_shape : tuple of int, optional
        Required for flattened input: ``(H, W)``, or ``(H, W, C)`` / ``(C, H, W)``
        decided by ``layout`` as above.  For 3-D/4-D input it is cross-checked.

    Returns
    -------
    tuple of int
        ``(C, H, W)``.

    Examples
    --------
    >>> from sklearn_dl.images import resolve_layout
    >>> resolve_layout((10, 28, 28)), resolve_layout((10, 32, 32, 3))
    ((1, 28, 28), (3, 32, 32))
    >>> resolve_layout((10, 784), image_shape=(28, 28))
    (1, 28, 28)
    """
    return _resolve(shape, layout, image_shape)[0]


def check_image_shape(X, expected_chw, estimator_name):
    """Raise a ``ValueError`` if the images in ``X`` are not ``expected_chw``.

    Parameters
    ----------
    X : torch.Tensor or tuple
        An ``(n, C, H, W)`` batch, or its shape.
    expected_chw : tuple of int
        ``(C, H, W)`` the estimator was fitted on.
    estimator_name : str
        Used in the message, e.g. ``"CNNClassifier"``.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Saying how the shapes differ and what to do (convert channels, resize).

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.images import check_image_shape
    >>> check_image_shape(torch.zeros(2, 1, 8, 8), (3, 8, 8), "CNNClassifier")
    Traceback (most recent call last):
    ...
    ValueError: X has images of shape (1, 8, 8) but CNNClassifier was fitted on images of shape (3, 8, 8) (C, H, W); convert them to the same number of channels (grey vs colour).
    """
    shape = tuple(int(s) for s in (X.shape if hasattr(X, "shape") else X))
    expected = tuple(int(s) for s in expected_chw)
    if len(shape) != 4:
        raise ValueError(f"Expected a batch of images (n, C, H, W); got shape {shape}.")
    got = shape[1:]
    if got == expected:
        return
    hint = ("convert them to the same number of channels (grey vs colour)"
            if got[0] != expected[0] else "resize them (image_size=(H, W))")
    raise ValueError(
        f"X has images of shape {got} but {estimator_name} was fitted on images of "
        f"shape {expected} (C, H, W); {hint}."
    )
