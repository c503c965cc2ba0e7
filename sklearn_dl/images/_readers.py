"""Reading pixels: numeric arrays, PIL images and image files as float32 tensors.

Pixel values are kept (uint8 0-255 becomes float 0.0-255.0); resizing is done in torch
for every kind of input, so arrays, PIL images and files of the same pixels agree.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F

# PIL's 16-bit grey modes (16-bit PNG and TIFF files): pixels 0-65535, rescaled to the
# package's 0-255 scale (PIL's own convert("L") would clip them at 255)
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
_GREY_PIL_MODES = ("1", "L", "LA") + _SIXTEEN_BIT_MODES
_PATH_MODES = ("L", "RGB", "RGBA")


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
        if not a.flags.writeable:  # e.g. joblib's read-only memmaps in worker processes
            # torch refuses to share read-only memory: a writable copy (integers straight
            # to float32, the conversion the next step would make anyway)
            a = a.astype(np.float32 if a.dtype.kind in "biu" else a.dtype)
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


_UNSCALED_MODES = ("I", "F")


def _refuse_unscaled_mode(mode, what):
    """32-bit integer or float images have no pixel scale to read as 0-255."""
    if mode in _UNSCALED_MODES:
        raise ValueError(
            f"{what} has PIL mode {mode!r} (32-bit integer or float pixels), which has "
            "no fixed pixel scale to read as 0-255: save it as an 8-bit or 16-bit image, "
            "or load it yourself and pass the pixels as an array.")


def _decode(image, path, mode):
    """Decode the pixels; a truncated or damaged file is named, not a bare OSError."""
    # before the try: this refusal is no damaged file
    _refuse_unscaled_mode(image.mode, f"Image file {path!r}")
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



def _pil_mode(images):
    return "L" if all(im.mode in _GREY_PIL_MODES for im in images) else "RGB"


def _pil_to_chw(image, mode):
    _refuse_unscaled_mode(image.mode, "An image")
    if image.mode in _SIXTEEN_BIT_MODES:
        grey = np.asarray(image, dtype=np.float32) * (255.0 / 65535.0)
        a = grey if mode == "L" else np.repeat(grey[..., None], len(mode), axis=2)
        if mode == "RGBA":
            a[..., 3] = 255.0  # opaque, as PIL's convert gives
    else:
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
                    _refuse_unscaled_mode(im.mode, f"Image file {p!r}")  # no decoding yet
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

