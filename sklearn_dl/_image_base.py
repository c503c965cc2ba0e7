"""Image estimators: the CNN body and image inputs plugged into the estimator base.

:class:`_ImageMixin` overrides the input-side hooks of ``_BaseNN`` (validation, body,
standardisation, datasets, augmentation, prediction) and leaves the family side alone, so
``CNNClassifier`` and ``CNNRegressor`` get every guarantee of the tabular estimators
(seeding, early stopping, weights, persistence, errors) from the same code.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils.validation import check_array, validate_data

from . import _skorch
from ._base import _check_number
from ._validation import check_flag, numeric_input, refuse_sparse
from .augmentation import build_augmentation, parse_augment
from .bodies import make_cnn
from .bodies.custom import fresh_copy
from .images import (
    AUTO_CHANNELS,
    LAYOUTS,
    ImagePathDataset,
    ImageStandardize,
    check_image_shape,
    check_image_size,
    check_path_list,
    fit_image_standardizer,
    is_path_input,
    iter_image_batches,
    to_image_tensor,
)

_STANDARDIZE = (None, False, "scale", "channel")


def _is_pil_list(X):
    return (isinstance(X, (list, tuple)) and len(X) > 0 and hasattr(X[0], "getdata")
            and hasattr(X[0], "mode"))


class _LazyImages:
    """Image files read on demand: a subset-able view of an ``ImagePathDataset``."""

    def __init__(self, files, index=None):
        self.files = files
        self.index = np.arange(len(files)) if index is None else np.asarray(index)

    def __len__(self):
        return len(self.index)

    def __getitem__(self, idx):
        return _LazyImages(self.files, self.index[idx])

    def load(self, i):
        return self.files.load(int(self.index[i]))


class _LazyImageData(_skorch.ArrayDataset):
    """Training items ``(image, (y, w))`` from files, read one batch at a time.

    An ``ArrayDataset`` whose ``batch(idx)`` loads just the files at ``idx``, so the
    estimators' ``BatchIterator`` draws the same shuffled batches from paths as from
    the same images in memory (a ``DataLoader`` shuffles differently), and a model fitted
    on files equals one fitted on the arrays.
    """

    def __init__(self, images, y, w):
        super().__init__(images, y, w)
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images.load(i), (self.y[i], self.w[i])

    def batch(self, idx):
        rows = range(len(self))[idx] if isinstance(idx, slice) else idx.tolist()
        X = torch.stack([self.images.load(i) for i in rows])
        return X, (self.y[idx], self.w[idx])


class _ImageInputMixin:
    """Turns any accepted image input into a float32 (n, C, H, W) tensor, or a lazy view
    of image files; shared by the image estimators and the feature transformer.

    Needs the parameters ``image_shape``, ``layout`` and ``image_size``.
    """

    def _image_kwargs(self):
        return dict(image_shape=self.image_shape, layout=self.layout,
                    image_size=self.image_size)

    def _images(self, X, reset):
        """Images as a float32 (n, C, H, W) tensor, or lazily for file paths."""
        refuse_sparse(X, type(self).__name__)
        check_path_list(X)
        self._check_raw_images(X)
        if is_path_input(X):
            if reset:
                self.n_features_in_ = None  # images have no fixed feature columns
            files = ImagePathDataset(X, image_size=self.image_size)
            return _LazyImages(files), tuple(files.image_shape)
        if not hasattr(X, "ndim") and not hasattr(X, "columns") and not _is_pil_list(X):
            X = np.asarray(X)  # nested lists or array-likes, as scikit-learn allows
        if getattr(X, "ndim", None) == 1:
            raise ValueError(
                f"Expected images or a 2-D array of flattened images, got a 1-D array of "
                f"shape {X.shape}. Reshape your data with X.reshape(1, -1) if it is a "
                "single flattened image.")
        if getattr(X, "ndim", None) == 2 or hasattr(X, "columns"):
            # flattened images (e.g. after a sklearn transformer): sklearn's own checks
            # give n_features_in_, feature names and the "X has k features" errors
            if not reset and getattr(self, "n_features_in_", 0) is None:
                # fitted on images (arrays, PIL, files), not on flattened rows
                if self.image_shape is None:
                    shape = getattr(self, "image_shape_", None)
                    raise ValueError(
                        f"{type(self).__name__} was fitted on images"
                        f"{f' of shape {shape} (C, H, W)' if shape else ''}, but X is "
                        f"2-D with {X.shape[1]} columns.  Pass images (n, H, W), "
                        "(n, H, W, C) or (n, C, H, W), or set image_shape= to say how "
                        "each row forms an image.")
                with numeric_input(type(self).__name__):
                    X = check_array(X, dtype=np.float32)
            else:
                with numeric_input(type(self).__name__):
                    X = validate_data(self, X, reset=reset, dtype=np.float32)
            if self.image_shape is None:
                shape = self._default_image_shape(X.shape[1])
                X = X.reshape(len(X), *shape)
        elif reset:
            self.n_features_in_ = None
        images = to_image_tensor(X, **self._image_kwargs())
        return images, tuple(images.shape[1:])

    def _check_raw_images(self, X):
        """Refuse input the network would misread, before any conversion (no check by
        default)."""

    def _check_layout(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}; got {self.layout!r}.")

    def _default_image_shape(self, n_features):
        raise ValueError(
            f"{type(self).__name__} got 2-D X with {n_features} columns: pass "
            "image_shape=(H, W) or (H, W, C) to say how each row forms an image, or pass "
            "arrays of shape (n, H, W), (n, H, W, C) or (n, C, H, W).")


PIXEL_RANGES = (255, 1)


def _pixel_values(X):
    """``(kind, low, high)`` of the input's pixel values: kind "float" (float or bool
    numbers, with their extremes), or a description of input that is 0-255 by
    construction (integers, PIL images, image files); None when X is not numeric."""
    if is_path_input(X):
        return "image files", None, None
    if _is_pil_list(X):
        return "PIL images", None, None
    a = X.to_numpy() if hasattr(X, "columns") and hasattr(X, "to_numpy") else X
    if isinstance(a, torch.Tensor):
        if a.numel() == 0:
            return None
        a = a.detach()
        kind = "float" if a.is_floating_point() or a.dtype == torch.bool \
            else "integer pixels"
        return kind, float(a.min()), float(a.max())
    try:
        a = np.asarray(a)
    except (TypeError, ValueError):
        return None  # not numbers: the conversion says so
    if a.dtype.kind not in "iufb" or a.size == 0:
        return None
    kind = "integer pixels" if a.dtype.kind in "iu" else "float"
    return kind, float(a.min()), float(a.max())


class _PretrainedInputMixin(_ImageInputMixin):
    """Images for a pretrained backbone, whose weights' preprocessing starts from 0-255
    pixel values: the ``pixel_range`` parameter (255 or 1) says how float images are
    scaled, and float images that contradict it are refused before any work (features
    of [0, 1] images read as 0-255 are meaningless, yet nothing would fail).

    Needs the parameters ``pixel_range`` and ``backbone``.
    """

    def _check_raw_images(self, X):
        self._refuse_one_image(X)
        self._check_pixels(X)

    def _refuse_one_image(self, X):
        """A 3-D array is a batch of grey images ``(n, H, W)``; one whose images would be
        1, 3 or 4 pixels wide (and taller than wide) is one channels-last image, which
        would silently become H narrow grey images."""
        shape = tuple(getattr(X, "shape", ()))
        if len(shape) == 3 and shape[2] in AUTO_CHANNELS and shape[1] > shape[2]:
            raise ValueError(
                f"{type(self).__name__}: X has shape {shape}, which looks like one image "
                f"(H, W, C) with {shape[2]} channel(s); a 3-D array is read as a batch of "
                f"grey images (n_images, H, W), here {shape[0]} images of "
                f"{shape[1]}x{shape[2]} pixels. Pass a batch: (n_images, H, W, C) or "
                "(n_images, C, H, W) for colour, (n_images, H, W) for grey; "
                "X[np.newaxis] makes one image a batch of one (do the same for one "
                "channels-first image (C, H, W), which cannot be told from C grey "
                "images).")

    def _check_pixel_range_param(self):
        value = self.pixel_range
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
                or value not in PIXEL_RANGES:
            raise ValueError(
                "pixel_range must be 255 (pixel values 0-255: uint8 images, or floats "
                f"on that scale) or 1 (float images in [0, 1]); got {value!r}.")
        return float(value)

    def _check_pixels(self, X):
        pixel_range = self._check_pixel_range_param()
        found = _pixel_values(X)
        if found is None:
            return
        kind, low, high = found
        name = type(self).__name__
        if pixel_range == 1 and kind != "float":
            raise ValueError(
                f"{name}: pixel_range=1 is for float images in [0, 1], but X holds "
                f"{kind}, which are 0-255; keep pixel_range=255 (the default) for them.")
        if kind == "integer pixels" and (low < 0 or high > 255):
            raise ValueError(
                f"{name}: X holds integer pixels from {low:.0f} to {high:.0f}, outside "
                f"0-255, the scale the {self.backbone!r} weights' preprocessing starts "
                "from (integer images are read as 0-255). For 16-bit images pass "
                "X / 257 (0-255 floats), or X / 65535 with pixel_range=1.")
        if kind != "float" or not (low == low and high == high):  # NaN: refused later
            return
        if pixel_range == 1 and (low < 0 or high > 1):
            raise ValueError(
                f"{name}: pixel_range=1 says the images are floats in [0, 1], but X has "
                f"values from {low:.4g} to {high:.4g}. Pass pixel_range=255 for 0-255 "
                "pixel values, or rescale the images to [0, 1].")
        if pixel_range == 255 and 0 < high <= 1:
            if low >= 0:
                raise ValueError(
                    f"{name}: X holds float pixels in [0, 1] (largest {high:.4g}), but "
                    f"pixel_range=255 (the default) reads float images as 0-255 values, "
                    f"the scale the {self.backbone!r} weights' preprocessing starts from: "
                    "the features would be meaningless.  Pass pixel_range=1 for float "
                    "images in [0, 1], or multiply the images by 255.")
            raise ValueError(
                f"{name}: X holds float values from {low:.4g} to {high:.4g}, not 0-255 "
                f"pixel values: the {self.backbone!r} weights' preprocessing starts from "
                "0-255 pixels (pixel_range=255, the default) and normalises them itself. "
                "Pass the images before any normalisation: 0-255 values, or [0, 1] with "
                "pixel_range=1.")


class _ImageMixin(_ImageInputMixin):
    """Input side of the image estimators (mixed in before the family-side base)."""

    # Image nets are large: predict in float32 (the training precision) in batches of
    # the training batch size.
    _predict_dtype = torch.float32

    # -- parameters ---------------------------------------------------------------------
    def _check_body_params(self):
        self._check_layout()
        if self.standardize not in _STANDARDIZE:
            raise ValueError(
                f"standardize must be one of {_STANDARDIZE} for images (None: as is, "
                f"'scale': divide by 255, 'channel': per-channel mean and sd learned in "
                f"fit); got {self.standardize!r}.")
        _check_number("dropout", self.dropout, low=0, high=1, high_open=True,
                      allow_none=True)
        check_flag("batchnorm", self.batchnorm, allow_none=True)
        check_flag("global_pool", self.global_pool, allow_none=True)
        check_image_size(self.image_size)
        parse_augment(self.augment)  # raises for unknown names or strengths
        return None

    def _validate_xy(self, X, y, reset=True):
        y = self._check_y_kind(y)
        images, chw = self._images(X, reset=reset)
        y = self._check_y(y)
        if len(y) != len(images):
            raise ValueError(f"X has {len(images)} images but y has {len(y)} entries.")
        if len(y) == 0:
            raise ValueError("Found array with 0 sample(s); at least 1 is required.")
        if not reset and chw != self.image_shape_:
            raise ValueError(f"{type(self).__name__} was fitted on images of shape "
                             f"{self.image_shape_} (C, H, W); these are {chw}.")
        self.image_shape_ = chw
        return images, y

    def _input_kind(self):
        return "image"

    _check_rows = 256  # images cost a real forward pass each

    def _fit_sample_weight(self, sample_weight, X, y):
        return super()._fit_sample_weight(sample_weight, np.empty((len(y), 0)), y)

    # -- network --------------------------------------------------------------------------
    def _make_body(self, X, body_params):
        arch = self.architecture
        if isinstance(arch, torch.nn.Module):
            # a user module: train a fresh copy (seeded re-initialisation), never the
            # instance held in the parameters
            arch = fresh_copy(arch)
        return make_cnn(self.image_shape_, arch, filters=self.filters,
                        kernel_size=self.kernel_size, pooling=self.pooling,
                        dense_units=self.dense_units, dropout=self.dropout,
                        batchnorm=self.batchnorm, activation=self.activation,
                        global_pool=self.global_pool)

    def _batches(self, X, batch_size=512):
        if isinstance(X, torch.Tensor):
            return (X[i:i + batch_size] for i in range(0, len(X), batch_size))
        return (torch.stack([X.load(j) for j in range(i, min(i + batch_size, len(X)))])
                for i in range(0, len(X), batch_size))

    def _make_preprocess(self, X_train, w_train):
        if not self.standardize:
            return None
        if self.standardize == "channel":
            batches = self._batches(X_train)  # one pass over the images (or files)
        else:  # "scale" needs only the channel count: no file is read
            batches = torch.zeros((1, self.image_shape_[0], 1, 1))
        mean, std = fit_image_standardizer(batches, self.standardize)
        return ImageStandardize(mean, std)

    def _placeholder_preprocess(self):
        """An image standardisation of the right shape, to load fitted buffers into."""
        if not self.standardize:
            return None
        c = self.image_shape_[0]
        return ImageStandardize(np.zeros(c), np.ones(c))

    def _train_transform(self, X):
        return build_augmentation(self.augment, self.image_shape_[1:])

    def _dataset(self, X, y, w, family):
        w = torch.as_tensor(w, dtype=torch.float32)
        if isinstance(X, torch.Tensor):
            return _skorch.ArrayDataset(X, family.target_tensor(y), w)
        return _LazyImageData(X, family.target_tensor(y), w)

    # -- prediction -----------------------------------------------------------------------
    def _predict_module(self):
        return self.net_.module_

    def _predict_batches(self, X):
        """Batches of images for the forward pass; in-memory input is checked here,
        files batch by batch as they are read."""
        batch_size = self.net_.batch_size
        if is_path_input(X):
            self._check_raw_images(X)
            batches = iter_image_batches(X, batch_size, **self._image_kwargs())
        else:
            images, _ = self._images(X, reset=False)
            check_image_shape(images[:1], self.image_shape_, type(self).__name__)
            batches = self._batches(images, batch_size)
        return (self._checked_batch(b) for b in batches)

    def _checked_batch(self, batch):
        check_image_shape(batch, self.image_shape_, type(self).__name__)
        return batch.to(self.net_.device)

    # -- out of memory (see _validation.memory_error) -----------------------------------
    _batch_unit = "images"

    def _size_settings(self):
        shape = getattr(self, "image_shape_", None)
        sizes = [f"image_size={self.image_size!r}"]
        if hasattr(self, "input_size"):  # a pretrained backbone resizes to its own size
            sizes.append(f"input_size={self.input_size!r}")
        seen = f"; the images are {'x'.join(map(str, shape))}" if shape else ""
        text = f"the image size ({', '.join(sizes)}{seen})"
        if hasattr(self, "filters") and isinstance(self.architecture, str):
            text += (f" or the network's size (filters={self.filters!r}, "
                     f"dense_units={self.dense_units!r})")
        return text

    def _predict_memory_advice(self):
        return (f"Predict fewer images at a time (predict runs the fit's batch size, "
                f"{self.net_.batch_size}; lower batch_size={self.batch_size!r} and refit to "
                f"change it), or lower {self._size_settings()}.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
