"""Data sets: small tables shipped with the package, generators, and image loaders.

Image loaders read local copies (a path, ``$SKLEARN_DL_DATA`` or
``~/scikit_dl_data``) and download only with ``download=True``.
"""

from ._images import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    load_cifar10,
    load_digits_images,
    load_fashion_mnist,
    load_mnist,
)
from ._tabular import load_banknote, make_counts, make_heteroscedastic

__all__ = [
    "load_banknote",
    "make_counts",
    "make_heteroscedastic",
    "load_digits_images",
    "load_mnist",
    "load_fashion_mnist",
    "load_cifar10",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "CIFAR10_CLASSES",
]
