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
:func:`~sklearn_dl.augmentation.build_augmentation` /
:class:`~sklearn_dl.augmentation.ImageAugment`.
"""

# The submodules are private; this package is the public path (and the one old pickles
# name for ImageStandardize).  _resolve, check_image_size and check_path_list are for
# the estimators, features and inspection code, not part of the API.
from ._conversion import infer_image_shape, iter_image_batches, n_images, to_image_tensor
from ._layout import AUTO_CHANNELS, LAYOUTS, _resolve, check_image_shape, resolve_layout
from ._readers import ImagePathDataset, check_image_size, check_path_list, is_path_input
from ._standardize import STANDARDIZE_OPTIONS, ImageStandardize, fit_image_standardizer

__all__ = [
    "AUTO_CHANNELS", "LAYOUTS", "STANDARDIZE_OPTIONS", "ImagePathDataset", "ImageStandardize",
    "check_image_shape", "fit_image_standardizer", "infer_image_shape", "is_path_input",
    "iter_image_batches", "n_images", "resolve_layout", "to_image_tensor",
]
