"""Any accepted image input -> one float32 ``(n, C, H, W)`` tensor, or batches of it.

The input is validated once (:func:`_plan`), before any pixel is converted, so errors are
raised by the call rather than in the middle of an iteration over batches.
"""

from __future__ import annotations

import numpy as np
import torch

from ._layout import _check_layout, _resolve
from ._readers import (
    ImagePathDataset,
    _array_to_tensor,
    _as_array,
    _check_image_size,
    _is_pil_input,
    _pil_mode,
    _pil_to_chw,
    _resize,
    _stack_images,
    is_path_input,
)


def n_images(X):
    """Number of images in any accepted ``X``, without loading files.

    Parameters
    ----------
    X : array-like, tensor, list of PIL images or list of paths

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.images import n_images
    >>> n_images(np.zeros((5, 8, 8, 3))), n_images(["a.png", "b.png"])
    (5, 2)
    """
    if is_path_input(X) or _is_pil_input(X):
        return len(X)
    if hasattr(X, "shape"):
        return int(X.shape[0])
    return len(_as_array(X))


def _plan(X, image_shape, layout, image_size):
    """Validate X once; return (kind, data, info) for batch-wise conversion."""
    _check_layout(layout)
    image_size = _check_image_size(image_size)
    if is_path_input(X):
        return "paths", ImagePathDataset(X, image_size=image_size), None
    if _is_pil_input(X):
        images = list(X)
        return "pil", images, _pil_mode(images)
    a = _as_array(X)
    if isinstance(a, np.ndarray) and a.dtype == object:
        raise TypeError("X is an object array that holds neither numbers, PIL images "
                        "nor file paths.")
    if a.shape[0] == 0:
        raise ValueError(f"X has shape {tuple(a.shape)}: it contains no images.")
    return "array", a, _resolve(a.shape, layout, image_shape)


def _count(kind, data):
    return data.shape[0] if kind == "array" else len(data)


def _convert(kind, data, info, start, stop, image_size):
    if kind == "paths":
        return torch.stack([data.load(i) for i in range(start, stop)])
    if kind == "pil":
        images = [_pil_to_chw(im, info) for im in data[start:stop]]
        return _stack_images(images, image_size, lambda k: f"image {start + k}")
    return _resize(_array_to_tensor(data[start:stop], *info), image_size)


def _check_sizes_early(kind, data, info, size):
    """Raise mode/size errors now rather than after some batches were consumed."""
    if kind == "paths":
        data._scan()
    elif kind == "pil" and size is None and len({im.size for im in data}) > 1:
        _convert(kind, data, info, 0, len(data), None)  # raises the size error


def to_image_tensor(X, *, image_shape=None, layout="auto", image_size=None):
    """Convert any accepted image input to one float32 ``(n, C, H, W)`` tensor.

    Pixel values are not rescaled.  File paths are all loaded: use
    :func:`iter_image_batches` to stream them instead.

    Parameters
    ----------
    X : array-like, DataFrame, tensor, list of PIL images or list of paths
        See the module docstring.
    image_shape : tuple of int, optional
        Shape of one image for flattened 2-D input (see :func:`resolve_layout`);
        ignored for PIL images and paths.
    layout : {"auto", "channels_last", "channels_first"}, default="auto"
    image_size : int or (H, W), optional
        Resize all images (bilinear, antialiased) to this size.

    Returns
    -------
    torch.Tensor
        float32 of shape ``(n, C, H, W)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.images import to_image_tensor
    >>> X = np.zeros((5, 8, 8, 3), dtype=np.uint8)  # channels last
    >>> to_image_tensor(X).shape, to_image_tensor(X, image_size=16).shape
    (torch.Size([5, 3, 8, 8]), torch.Size([5, 3, 16, 16]))
    """
    kind, data, info = _plan(X, image_shape, layout, image_size)
    return _convert(kind, data, info, 0, _count(kind, data), _check_image_size(image_size))


def iter_image_batches(X, batch_size, *, image_shape=None, layout="auto", image_size=None):
    """Yield float32 ``(b, C, H, W)`` batches of any accepted input, in order.

    Input is validated before the first batch (errors are raised by this call, not
    lazily); paths are read from disk one batch at a time and arrays are converted to
    float32 one batch at a time, so memory stays at one batch.

    Parameters
    ----------
    X : array-like, DataFrame, tensor, list of PIL images or list of paths
    batch_size : int
        Images per batch (the last batch may be smaller).
    image_shape, layout, image_size
        As in :func:`to_image_tensor`.

    Returns
    -------
    batches : iterator of torch.Tensor
        float32 ``(b, C, H, W)`` batches.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.images import iter_image_batches
    >>> X = np.zeros((5, 8, 8), dtype=np.uint8)
    >>> [tuple(b.shape) for b in iter_image_batches(X, 2)]
    [(2, 1, 8, 8), (2, 1, 8, 8), (1, 1, 8, 8)]
    """
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}.")
    kind, data, info = _plan(X, image_shape, layout, image_size)
    size = _check_image_size(image_size)
    n = _count(kind, data)
    _check_sizes_early(kind, data, info, size)

    def batches():
        for start in range(0, n, int(batch_size)):
            yield _convert(kind, data, info, start, min(start + batch_size, n), size)

    return batches()


def infer_image_shape(X, *, image_shape=None, layout="auto", image_size=None):
    """``(C, H, W)`` of the tensors :func:`iter_image_batches` would yield.

    Cheap: no pixels are converted and paths are read for their headers only.

    Parameters
    ----------
    X : array-like, DataFrame, tensor, list of PIL images or list of paths
    image_shape, layout, image_size
        As in :func:`to_image_tensor`.

    Returns
    -------
    tuple of int
        ``(C, H, W)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.images import infer_image_shape
    >>> infer_image_shape(np.zeros((5, 8, 8, 3)), image_size=(16, 12))
    (3, 16, 12)
    """
    kind, data, info = _plan(X, image_shape, layout, image_size)
    size = _check_image_size(image_size)
    _check_sizes_early(kind, data, info, size)
    if kind == "paths":
        return data.image_shape
    if kind == "pil":
        chw = (1 if info == "L" else 3, data[0].height, data[0].width)
    else:
        chw = info[0]
    return (chw[0], *size) if size else tuple(chw)
