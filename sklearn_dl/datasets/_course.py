"""One train/test split of images for examples and benchmarks, whatever data is present.

The course's CNN examples want MNIST-sized digits but must run anywhere: with the full
data set, with only its test set (the project's development copy), or with nothing
downloaded at all (scikit-learn's bundled 8x8 digits).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import Bunch

from ._images import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    load_cifar10,
    load_digits_images,
    load_fashion_mnist,
    load_mnist,
)

_SETS = {
    "mnist": ("MNIST", load_mnist, MNIST_CLASSES),
    "fashion_mnist": ("Fashion-MNIST", load_fashion_mnist, FASHION_MNIST_CLASSES),
    "cifar10": ("CIFAR-10", load_cifar10, CIFAR10_CLASSES),
}
_FALLBACKS = ("digits", None)


def _check_count(value, name):
    if value is not None and (not isinstance(value, numbers.Integral)
                              or isinstance(value, bool) or value < 1):
        raise ValueError(f"{name} must be a positive integer or None; got {value!r}.")


def _interleave(X, y):
    """Reorder to class 0, 1, ..., 9, 0, 1, ... (each class in its original order)."""
    rank = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        rank[members] = np.arange(len(members))
    order = np.lexsort((y, rank))
    return X[order], y[order]


def _load(loader, kind, data_home, download, **kwargs):
    try:
        return loader(kind=kind, data_home=data_home, download=download, **kwargs)
    except FileNotFoundError as exc:
        return exc


def load_course_images(name="mnist", *, n_train=None, n_test=None, fallback="digits",
                       fallback_test_size=0.25, data_home=None, download=False,
                       random_state=0):
    """A train/test split of ``name`` if its files are present, else of a fallback.

    What is used, in this order:

    1. the official training *and* test sets of ``name``: the first ``n_train``
       training and the first ``n_test`` test images (for ``"cifar10"``, when the full
       set is absent, the same from its class-balanced subset, see
       :func:`load_cifar10`, with the classes interleaved so that any head of it is
       balanced);
    2. only the official test set (as in the project's development data, which holds
       the MNIST test set alone): its first ``n_train`` images to train and its last
       ``n_test`` to test (disjoint, so ``n_train + n_test`` may not exceed its size);
    3. ``fallback="digits"``: scikit-learn's 1,797 8x8 digits (bundled, values 0-16),
       split by ``train_test_split(test_size=fallback_test_size, stratify=y,
       random_state=random_state)``; ``n_train`` and ``n_test`` do not apply.

    The result says which in ``source`` and ``description``.  Files are found as by
    the loader of ``name`` (data home, see :func:`get_data_home`).

    Parameters
    ----------
    name : {"mnist", "fashion_mnist", "cifar10"}, default="mnist"
        The data set wanted.
    n_train, n_test : int, optional
        Number of training and test images (default: all there are).
    fallback : {"digits", None}, default="digits"
        What to use when ``name`` is not found; ``None`` raises the loader's
        ``FileNotFoundError`` (which says where it looked and how to get the data).
    fallback_test_size : float, default=0.25
        Test share of the digits fallback.
    data_home : str or path-like, optional
        The data home (default: ``$SKLEARN_DL_DATA``, else ``~/sklearn_dl_data``).
    download : bool, default=False
        Let the loader download ``name`` if it is missing (needs internet).
    random_state : int, default=0
        Seed of the fallback's split.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X_train``, ``X_test`` (images, (n, H, W) or (n, H, W, 3)), ``y_train``,
        ``y_test``, ``target_names``, ``name`` (short, e.g. ``"MNIST"``), ``source``
        (``"train+test"``, ``"subset"``, ``"test only"`` or ``"fallback"``) and
        ``description`` (a sentence saying what was loaded).

    Raises
    ------
    ValueError
        For an unknown ``name`` or ``fallback``, bad counts, or ``n_train + n_test``
        larger than the test set when only that is present.
    FileNotFoundError
        When ``name`` is not found and ``fallback=None``.

    Examples
    --------
    >>> from sklearn_dl.datasets import load_course_images
    >>> data = load_course_images("mnist", n_train=1000, n_test=500)
    >>> data.X_train.ndim, data.source in ("train+test", "test only", "fallback")
    (3, True)
    """
    if name not in _SETS:
        raise ValueError(f"name must be one of {sorted(_SETS)}; got {name!r}.")
    if fallback not in _FALLBACKS:
        raise ValueError(f"fallback must be one of {_FALLBACKS}; got {fallback!r}.")
    _check_count(n_train, "n_train")
    _check_count(n_test, "n_test")
    title, loader, classes = _SETS[name]

    test = _load(loader, "test", data_home, download)
    train = _load(loader, "train", data_home, download) if not isinstance(
        test, Exception) else test
    source, what = "train+test", title
    if name == "cifar10" and isinstance(test, Exception):
        # the class-balanced slice (cifar10_subset.npz) when the full set is absent
        test = _load(loader, "test", data_home, False, subset=True)
        train = _load(loader, "train", data_home, False, subset=True)
        source, what = "subset", "CIFAR-10 subset (1,000 / 200 images per class)"
    if not isinstance(test, Exception) and not isinstance(train, Exception):
        (X_tr, y_tr), (X_te, y_te) = train, test
        if source == "subset":  # grouped by class: interleave, so that a head is balanced
            X_tr, y_tr = _interleave(X_tr, y_tr)
            X_te, y_te = _interleave(X_te, y_te)
        X_tr, y_tr = X_tr[:n_train], y_tr[:n_train]
        X_te, y_te = X_te[:n_test], y_te[:n_test]
        return Bunch(X_train=X_tr, X_test=X_te, y_train=y_tr, y_test=y_te,
                     target_names=list(classes), name=title, source=source,
                     description=f"{what}: {len(X_tr):,} images of the training set, "
                                 f"{len(X_te):,} of the test set")
    if not isinstance(test, Exception):
        X, y = test
        n_tr = len(X) // 2 if n_train is None else n_train
        n_te = len(X) - n_tr if n_test is None else n_test
        if n_tr + n_te > len(X):
            raise ValueError(f"Only the {title} test set ({len(X):,} images) is present: "
                             f"n_train + n_test = {n_tr + n_te:,} is too many.")
        return Bunch(X_train=X[:n_tr], X_test=X[len(X) - n_te:], y_train=y[:n_tr],
                     y_test=y[len(X) - n_te:], target_names=list(classes), name=title,
                     source="test only",
                     description=f"{title} test set only: its first {n_tr:,} images to "
                                 f"train, its last {n_te:,} to test")
    if fallback is None:
        raise test
    from sklearn.model_selection import train_test_split

    digits = load_digits_images()
    X_tr, X_te, y_tr, y_te = train_test_split(
        digits.images, digits.target, test_size=fallback_test_size,
        stratify=digits.target, random_state=random_state)
    return Bunch(X_train=X_tr, X_test=X_te, y_train=y_tr, y_test=y_te,
                 target_names=[str(t) for t in digits.target_names],
                 name="sklearn digits 8x8", source="fallback",
                 description=f"{title} not found; scikit-learn's 8x8 digits instead "
                             f"(values 0-16): {len(X_tr):,} to train, {len(X_te):,} "
                             "to test")


__all__ = ["load_course_images"]
