"""Image inputs for the image estimators: layouts, lazy file paths, standardisation.

Every image estimator turns its ``X`` into float32 tensors of shape ``(n, C, H, W)``
with *unchanged* pixel values (uint8 0-255 becomes float 0.0-255.0) through
:func:`to_image_tensor` or, batch by batch, :func:`iter_image_batches`.  Accepted ``X``:

* numpy arrays / torch tensors ``(n, H, W)`` (grey), ``(n, H, W, C)`` or ``(n, C, H, W)``;
* flattened 2-D arrays or DataFrames ``(n, H*W*C)`` together with ``image_shape=``, so an
  estimator still works after a scikit-learn transformer or inside ``GridSearchCV``;
* lists of PIL images;
* lists / arrays / Series of file paths, which are only read batch by batch.

Rescaling is left to the ``standardize=`` option (:func:`fit_image_standardizer`,
:class:`ImageStandardize`); random training-time augmentation of float batches is
:func:`build_augmentation` / :class:`ImageAugment`.
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LAYOUTS = ("auto", "channels_last", "channels_first")
#: channel counts that ``layout="auto"`` recognises
AUTO_CHANNELS = (1, 3, 4)
#: accepted values of the estimators' ``standardize=`` parameter
STANDARDIZE_OPTIONS = (None, False, "scale", "channel")
_GREY_PIL_MODES = ("1", "L", "LA")
_PATH_MODES = ("L", "RGB", "RGBA")


# -- layouts ---------------------------------------------------------------------------
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


# -- conversion ------------------------------------------------------------------------
def _finite_float(t):
    if t.is_complex():
        raise TypeError(f"X must hold real numbers; got dtype {t.dtype}.")
    was_float = t.is_floating_point()
    t = t.detach().to(torch.float32)
    if was_float and not bool(torch.isfinite(t).all()):
        raise ValueError("X contains NaN or infinity (after conversion to float32).")
    return t


def _array_to_tensor(a, chw, last, sample):
    """An (n, ...) numpy array or tensor -> float32 (n, C, H, W)."""
    if isinstance(a, np.ndarray):
        if a.dtype.kind not in "biuf":
            raise TypeError(f"X must hold numbers; got an array of dtype {a.dtype}.")
        a = torch.from_numpy(np.ascontiguousarray(a))
    t = _finite_float(a).reshape((a.shape[0], *sample))
    if t.ndim == 3:
        t = t.unsqueeze(1)
    elif last:
        # clone, not .contiguous(): a permuted (n, H, W, 1) counts as contiguous but keeps
        # channels-last strides, with which conv2d takes another kernel (other round-off),
        # so it would not train and predict exactly as the same images (n, 1, H, W)
        return t.permute(0, 3, 1, 2).clone(memory_format=torch.contiguous_format)
    return t.contiguous()


def _as_array(X):
    """Array-like (ndarray, tensor, DataFrame, nested list) -> ndarray or tensor."""
    if isinstance(X, (np.ndarray, torch.Tensor)):
        return X
    if hasattr(X, "to_numpy") and hasattr(X, "columns"):  # pandas DataFrame
        return X.to_numpy()
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError(f"X is a single {type(X).__name__}; pass a list of image paths.")
    try:
        return np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cannot read images from an object of type {type(X).__name__}.") from exc


def check_image_size(image_size, name="image_size"):
    """``None`` or ``(H, W)`` of positive ints from an int or a pair; else a ValueError
    naming ``name``."""
    if image_size is None:
        return None
    given = image_size
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    size = tuple(image_size) if isinstance(image_size, (tuple, list, np.ndarray)) else ()
    if len(size) != 2 or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                                 and s > 0 for s in size):
        raise ValueError(f"{name} must be a positive int or (H, W); got {given!r}.")
    return tuple(int(s) for s in size)


_check_image_size = check_image_size


def _resize(t, image_size):
    """Resize a float (b, C, H, W) batch; torch everywhere so arrays, PIL and paths agree."""
    if image_size is None or tuple(t.shape[-2:]) == image_size:
        return t
    return F.interpolate(t, size=image_size, mode="bilinear", align_corners=False,
                         antialias=True)


def is_path_input(X):
    """Whether ``X`` is a non-empty sequence (list, tuple, array, Series) of file paths.

    Parameters
    ----------
    X : object
        Any input an estimator was given.

    Returns
    -------
    bool
        False for numeric arrays and DataFrames, which are never scanned.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.images import is_path_input
    >>> is_path_input(["cat.png", "dog.jpg"]), is_path_input(np.zeros((2, 8, 8)))
    (True, False)
    """
    if isinstance(X, (str, bytes, os.PathLike, torch.Tensor)) or hasattr(X, "columns"):
        return False  # a DataFrame is a table of numbers, never paths
    if isinstance(X, np.ndarray) or (hasattr(X, "dtype") and hasattr(X, "to_numpy")):
        # arrays and Series: look at the dtype first so numeric data is never scanned
        if X.ndim != 1 or getattr(X.dtype, "kind", "") not in "USO":
            return False
        values = X if isinstance(X, np.ndarray) else X.to_numpy()
    elif isinstance(X, (list, tuple)):
        values = X
    else:
        return False
    return len(values) > 0 and all(isinstance(v, (str, os.PathLike)) for v in values)


def check_path_list(X):
    """A list mixing file paths with other values is a mistake worth naming (it would
    otherwise be read as a 1-D array of objects)."""
    if isinstance(X, (list, tuple)) and X and not is_path_input(X):
        kinds = [isinstance(v, (str, os.PathLike)) for v in X]
        if any(kinds):
            k = kinds.index(False)
            raise TypeError(f"X mixes image file paths with other values: item {k} is "
                            f"{type(X[k]).__name__} {X[k]!r}. Pass a list of paths only.")


def _open_image(path):
    """``PIL.Image.open(path)``, or a ValueError naming the file and what is wrong."""
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path)
    except FileNotFoundError:
        problem = "no such file" if path else "the path is an empty string"
    except IsADirectoryError:
        problem = "it is a folder, not an image file"
    except UnidentifiedImageError:
        problem = "not an image file PIL can read (corrupt, or another format)"
    except OSError as exc:
        problem = str(exc)
    raise ValueError(f"Cannot read image file {path!r}: {problem}.")


def _decode(image, path, mode):
    """Decode the pixels; a truncated or damaged file is named, not a bare OSError."""
    try:
        return _pil_to_chw(image, mode)
    except (OSError, SyntaxError, ValueError) as exc:  # PIL's decoders raise all three
        raise ValueError(f"Cannot read image file {path!r}: the file is damaged or "
                         f"truncated ({exc}).") from exc


def _is_pil_input(X):
    from PIL import Image

    if isinstance(X, np.ndarray) and X.dtype == object:
        X = list(X)
    return (isinstance(X, (list, tuple)) and len(X) > 0
            and all(isinstance(v, Image.Image) for v in X))


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


def _pil_mode(images):
    return "L" if all(im.mode in _GREY_PIL_MODES for im in images) else "RGB"


def _pil_to_chw(image, mode):
    a = np.asarray(image.convert(mode))
    t = torch.from_numpy(np.array(a, dtype=np.float32))
    return t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1).contiguous()


def _stack_images(images, image_size, names):
    """List of (C, H, W) tensors -> (b, C, H, W); resize or complain about sizes."""
    if image_size is not None:
        images = [_resize(im.unsqueeze(0), image_size)[0] for im in images]
    shapes = {tuple(im.shape) for im in images}
    if len(shapes) > 1:
        first = tuple(images[0].shape)
        k = next(i for i, im in enumerate(images) if tuple(im.shape) != first)
        raise ValueError(
            f"Images differ in size: {names(0)} has shape {first} (C, H, W) but "
            f"{names(k)} has {tuple(images[k].shape)}.  Pass image_size=(H, W) to resize."
        )
    return torch.stack(images)


class ImagePathDataset(torch.utils.data.Dataset):
    """A torch ``Dataset`` reading image files lazily, one at a time.

    Parameters
    ----------
    paths : sequence of str or path-like
        Image files (anything PIL opens).
    y : array-like, optional
        Targets, indexed alongside; without it each item's target is the placeholder
        ``torch.Tensor([0])`` (as in skorch) so the default collate works.
    image_size : int or (H, W), optional
        Resize every image to this size; needed when the files differ in size.
    mode : {"L", "RGB", "RGBA"}, optional
        PIL mode every image is converted to.  By default ``"L"`` if all files are
        grey and ``"RGB"`` otherwise, found by reading the file headers once.

    Notes
    -----
    Items are ``(image, target)`` with ``image`` a float32 ``(C, H, W)`` tensor of
    pixel values 0.0-255.0.

    Examples
    --------
    >>> import os
    >>> import numpy as np
    >>> from PIL import Image
    >>> from sklearn_dl.images import ImagePathDataset
    >>> for i in range(3):
    ...     Image.fromarray(np.full((6, 4), 10 * i, dtype=np.uint8)).save(f"{i}.png")
    >>> ds = ImagePathDataset(["0.png", "1.png", "2.png"], y=np.array([0, 1, 1]))
    >>> len(ds), ds.image_shape  # grey files: one channel, read from the headers
    (3, (1, 6, 4))
    >>> image, target = ds[2]
    >>> image.shape, float(image.max()), int(target)
    (torch.Size([1, 6, 4]), 20.0, 1)
    """

    def __init__(self, paths, y=None, image_size=None, mode=None):
        self.paths = [os.fspath(p) for p in (paths.tolist() if hasattr(paths, "tolist")
                                              else paths)]
        if y is not None and len(y) != len(self.paths):
            raise ValueError(f"Got {len(self.paths)} paths but {len(y)} targets.")
        if mode is not None and mode not in _PATH_MODES:
            raise ValueError(f"mode must be None or one of {_PATH_MODES}; got {mode!r}.")
        self.y, self.mode = y, mode
        self.image_size = _check_image_size(image_size)
        self._header = None  # (mode, (H, W)) learned from the files' headers

    def _scan(self):
        """Read every header (cheap: no pixel decoding) to fix the mode and size."""
        if self._header is None:
            grey, size0 = True, None
            scan_all = self.mode is None
            for p in self.paths if scan_all else self.paths[:1]:
                with _open_image(p) as im:
                    grey &= im.mode in _GREY_PIL_MODES
                    size = (im.height, im.width)
                if size0 is None:
                    size0 = size
                elif size != size0 and self.image_size is None:
                    raise ValueError(
                        f"Image files differ in size: {self.paths[0]!r} is {size0} (H, W) "
                        f"but {p!r} is {size}.  Pass image_size=(H, W) to resize them."
                    )
            self._header = (self.mode or ("L" if grey else "RGB"), size0)
        return self._header

    @property
    def image_shape(self):
        """``(C, H, W)`` of the items (reads headers, not pixels)."""
        mode, size = self._scan()
        return (len(mode) if mode != "L" else 1, *(self.image_size or size))

    def __len__(self):
        return len(self.paths)

    def load(self, i):
        """The image at index ``i`` as a float32 ``(C, H, W)`` tensor.

        Parameters
        ----------
        i : int
            Index into ``paths``.

        Returns
        -------
        image : torch.Tensor of shape (C, H, W)
            Pixel values 0.0-255.0, resized to ``image_size`` when given.

        Raises
        ------
        ValueError
            Naming the file, when it cannot be read or differs in size from the first.

        Examples
        --------
        >>> import numpy as np
        >>> from PIL import Image
        >>> from sklearn_dl.images import ImagePathDataset
        >>> Image.fromarray(np.zeros((6, 4, 3), dtype=np.uint8)).save("colour.png")
        >>> ImagePathDataset(["colour.png"], image_size=8).load(0).shape
        torch.Size([3, 8, 8])
        """
        mode, size = self._scan()
        with _open_image(self.paths[i]) as im:
            t = _decode(im, self.paths[i], mode)
        if self.image_size is not None:
            return _resize(t.unsqueeze(0), self.image_size)[0]
        if tuple(t.shape[1:]) != size:
            raise ValueError(
                f"Image file {self.paths[i]!r} is {tuple(t.shape[1:])} (H, W) but "
                f"{self.paths[0]!r} is {size}.  Pass image_size=(H, W) to resize them."
            )
        return t

    def __getitem__(self, i):
        yi = torch.Tensor([0]) if self.y is None else self.y[i]
        return self.load(i), yi


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


# -- standardisation -------------------------------------------------------------------
def _check_standardize(mode):
    if mode is None or mode is False:
        return None
    if mode is True:
        raise ValueError("standardize=True is ambiguous: use 'scale' (divide by 255) or "
                         "'channel' (per-channel mean and std learned in fit).")
    if mode not in ("scale", "channel"):
        raise ValueError(f"standardize must be one of {STANDARDIZE_OPTIONS}; got {mode!r}.")
    return mode


def fit_image_standardizer(X, mode):
    """Learn ``(mean, std)`` so that standardised images are ``(x - mean) / std``.

    Parameters
    ----------
    X : torch.Tensor or iterable of torch.Tensor
        An ``(n, C, H, W)`` tensor, or an iterable of such batches (e.g. from
        :func:`iter_image_batches`), read once.
    mode : {None, False, "scale", "channel"}
        ``None``/``False``: mean 0 and std 1 (identity).  ``"scale"``: mean 0 and std
        255, mapping 0-255 pixels to 0-1.  ``"channel"``: per-channel mean and
        (population) standard deviation over all pixels; a constant channel gets std 1.

    Returns
    -------
    mean, std : torch.Tensor
        float32 tensors of shape ``(C,)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.images import fit_image_standardizer
    >>> X = torch.arange(32.0).reshape(2, 1, 4, 4)
    >>> fit_image_standardizer(X, "scale")
    (tensor([0.]), tensor([255.]))
    >>> mean, std = fit_image_standardizer(X, "channel")
    >>> mean, std.round(decimals=3)
    (tensor([15.5000]), tensor([9.2330]))
    """
    mode = _check_standardize(mode)
    batches = iter([X]) if isinstance(X, torch.Tensor) else iter(X)
    count, mean, m2 = 0, None, None
    for batch in batches:
        if batch.ndim != 4:
            raise ValueError(f"Expected (n, C, H, W) batches; got shape {tuple(batch.shape)}.")
        flat = batch.detach().to(torch.float64).transpose(0, 1).reshape(batch.shape[1], -1)
        if mean is None:
            mean = m2 = torch.zeros(flat.shape[0], dtype=torch.float64)
            if mode != "channel":
                break  # only the channel count was needed
        if flat.shape[0] != mean.shape[0]:
            raise ValueError("Batches disagree in their number of channels.")
        k = flat.shape[1]
        if k == 0:
            continue
        # Chan et al.'s pairwise update: stable without a second pass over the files
        b_mean = flat.mean(dim=1)
        b_m2 = ((flat - b_mean[:, None]) ** 2).sum(dim=1)
        delta = b_mean - mean
        total = count + k
        mean = mean + delta * (k / total)
        m2 = m2 + b_m2 + delta**2 * (count * k / total)
        count = total
    if mean is None:
        raise ValueError("Cannot fit a standardizer on no images.")
    c = mean.shape[0]
    if mode is None:
        return torch.zeros(c), torch.ones(c)
    if mode == "scale":
        return torch.zeros(c), torch.full((c,), 255.0)
    std = torch.sqrt(m2 / max(count, 1))
    std = torch.where(std > 1e-8, std, torch.ones_like(std))
    return mean.to(torch.float32), std.to(torch.float32)


class ImageStandardize(nn.Module):
    """``(x - mean) / std`` per channel, with ``mean`` and ``std`` stored as buffers.

    Being buffers, they move with ``.to(device)``, are saved in the ``state_dict`` and
    pickle with the network, so this can be the network's first layer.

    Parameters
    ----------
    mean, std : array-like of shape (C,)

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.images import ImageStandardize
    >>> layer = ImageStandardize([127.5, 127.5, 127.5], [127.5, 127.5, 127.5])
    >>> layer(torch.full((1, 3, 2, 2), 255.0)).flatten()[:3]
    tensor([1., 1., 1.])
    """

    def __init__(self, mean, std):
        super().__init__()
        mean = torch.as_tensor(mean, dtype=torch.float32).reshape(-1)
        std = torch.as_tensor(std, dtype=torch.float32).reshape(-1)
        if mean.shape != std.shape:
            raise ValueError(f"mean has {mean.numel()} channels but std has {std.numel()}.")
        if not bool((std > 0).all()):
            raise ValueError("std must be positive in every channel.")
        self.register_buffer("mean", mean.view(1, -1, 1, 1))
        self.register_buffer("std", std.view(1, -1, 1, 1))

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.mean.shape[1]:
            raise ValueError(f"ImageStandardize expects (n, {self.mean.shape[1]}, H, W) "
                             f"input; got shape {tuple(x.shape)}.")
        return (x - self.mean) / self.std

    def extra_repr(self):
        return f"channels={self.mean.shape[1]}"


__all__ = [
    "AUTO_CHANNELS", "LAYOUTS", "STANDARDIZE_OPTIONS", "ImagePathDataset", "ImageStandardize",
    "check_image_shape", "fit_image_standardizer", "infer_image_shape", "is_path_input",
    "iter_image_batches", "n_images", "resolve_layout", "to_image_tensor",
]
