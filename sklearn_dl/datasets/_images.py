"""Image data sets: scikit-learn's digits as images, MNIST, Fashion-MNIST, CIFAR-10.

Nothing here touches the network unless ``download=True`` is passed.  The loaders read
the files in their official formats (IDX for the MNISTs, the python pickle batches of
``cifar-10-batches-py`` for CIFAR-10) and look for them, in this order, in

1. the ``path=`` argument (and its ``raw/`` / torchvision-style sub-folders),
2. the data home (:func:`~sklearn_dl.datasets.get_data_home`: ``data_home=``, else
   ``$SKLEARN_DL_DATA``, else ``~/sklearn_dl_data``), sub-folder ``mnist/``,
   ``fashion-mnist/`` or ``cifar10/``,
3. for Fashion-MNIST also ``/usr/share/datasets/fashion-mnist``, where Debian's package
   ``dataset-fashion-mnist`` installs the four files.

A download goes into the data home and is checked against the MD5 checksums published
with the data (the ones torchvision uses).
"""

from __future__ import annotations

import gzip
import io
import pickle
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._download import extract_tar, fetch_file
from ._home import _not_found, _search_homes, get_data_home

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck"]
_KINDS = ("train", "test")


def _check_kind(kind):
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}.")


def _candidate_dirs(path, folders, extra_subdirs, system_dirs, data_home):
    roots = [Path(path).expanduser().absolute()] if path is not None else []
    roots += [home / folder for home in _search_homes(data_home) for folder in folders]
    dirs = []
    for root in roots:
        dirs += [root] + [root / sub for sub in extra_subdirs]
    return dirs + [Path(d) for d in system_dirs]


# -- scikit-learn's digits -------------------------------------------------------------
def load_digits_images(return_X_y=False):
    """The 1,797 8x8 hand-written digits bundled with scikit-learn, as images.

    Pixel values are integers 0-16 stored as float64, exactly as in
    :func:`sklearn.datasets.load_digits`; they are *not* on the 0-255 scale, so use
    ``standardize="channel"`` (not ``"scale"``) with the image estimators.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(images, target)`` instead of a Bunch.

    Returns
    -------
    Bunch
        ``images`` (1797, 8, 8), ``data`` (1797, 64) flattened, ``target`` (1797,),
        ``target_names`` and ``DESCR``.
    (images, target) : tuple of ndarray
        When ``return_X_y=True``.

    Examples
    --------
    >>> from sklearn_dl.datasets import load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> X.shape, X.max()
    ((1797, 8, 8), np.float64(16.0))
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    if return_X_y:
        return digits.images, digits.target
    descr = ("Digits as images: the 8x8 images of sklearn.datasets.load_digits, values "
             "0-16 (not 0-255).\n\n" + digits.DESCR)
    return Bunch(images=digits.images, data=digits.data, target=digits.target,
                 target_names=digits.target_names, DESCR=descr)


# -- IDX files (MNIST, Fashion-MNIST) --------------------------------------------------
_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (gzipped or not, told apart by content) into a numpy array.

    The format: two zero bytes, a type code, the number of dimensions, one big-endian
    uint32 per dimension, then the data in C order.

    Parameters
    ----------
    path : str or path-like
        An IDX file such as ``t10k-images-idx3-ubyte.gz``.

    Returns
    -------
    ndarray
        The array in native byte order, with the file's shape and element type.

    Raises
    ------
    ValueError
        When the file is not IDX or its size does not match its header.

    Examples
    --------
    >>> from sklearn_dl.datasets import read_idx
    >>> read_idx("t10k-labels-idx1-ubyte.gz")[:5]  # doctest: +SKIP
    array([7, 2, 1, 0, 4], dtype=uint8)
    """
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4]!r}).")
    ndim = raw[3]
    offset = 4 + 4 * ndim
    if len(raw) < offset:
        raise ValueError(f"{path}: truncated IDX header.")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise ValueError(f"{path}: IDX header announces shape {dims} ({expected} bytes) "
                         f"but {len(raw) - offset} bytes of data follow.")
    data = np.frombuffer(raw, dtype, offset=offset).reshape(dims)
    return data.astype(dtype.newbyteorder("="))  # native byte order, writable copy


_IDX_SETS = {
    "mnist": {
        "title": "MNIST", "loader": "load_mnist", "folders": ("mnist",),
        "torchvision": "MNIST", "system_dirs": (),
        "mirrors": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "http://yann.lecun.com/exdb/mnist/"),
        "md5": {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
    },
    "fashion_mnist": {
        # "fashion_mnist" is the sub-folder name of sklearn_dl 0.1: still read
        "title": "Fashion-MNIST", "loader": "load_fashion_mnist",
        "folders": ("fashion-mnist", "fashion_mnist"), "torchvision": "FashionMNIST",
        "system_dirs": ("/usr/share/datasets/fashion-mnist",),
        "mirrors": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/"
                    "master/data/fashion/"),
        "md5": {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
    },
}
_IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _find_idx_pair(dirs, bases):
    for d in dirs:
        found = [next((d / f for f in (base, base + ".gz") if (d / f).is_file()), None)
                 for base in bases]
        if all(found):
            return found
    return None


def _load_idx_set(name, path, kind, download, data_home):
    _check_kind(kind)
    spec = _IDX_SETS[name]
    bases = _IDX_FILES[kind]
    dirs = _candidate_dirs(path, spec["folders"], ("raw", f"{spec['torchvision']}/raw"),
                           spec["system_dirs"], data_home)
    found = _find_idx_pair(dirs, bases)
    if found is None and download:
        target = get_data_home(data_home) / spec["folders"][0]
        for base in bases:
            filename = base + ".gz"
            if not (target / filename).is_file():
                fetch_file([mirror + filename for mirror in spec["mirrors"]],
                           target / filename, md5=spec["md5"][filename])
        found = _find_idx_pair([target], bases)
    if found is None:
        wanted = " and ".join(f"{b}[.gz]" for b in bases)
        raise _not_found(f"{spec['title']} (kind={kind!r})", wanted, dirs,
                         hint=f"with a '{spec['folders'][0]}' sub-folder holding them",
                         loader=spec["loader"])
    X, y = read_idx(found[0]), read_idx(found[1])
    if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"{found[0]} holds shape {X.shape} and {found[1]} shape {y.shape}; "
                         "expected (n, H, W) images and (n,) labels.")
    return X, y.astype(np.int64)


_IDX_DOC = """{summary}

    Looks in ``path`` (and its ``raw/`` and torchvision ``{tv}/raw`` sub-folders), then in
    ``<data home>/{folder}`` (see :func:`get_data_home`){system}.  With ``download=True``
    missing files are fetched from {source} into ``<data home>/{folder}`` and checked
    against their published MD5 checksums.

    Parameters
    ----------
    path : str or path-like, optional
        Folder holding the ``*-idx?-ubyte`` files, gzipped or not.
    kind : {{"train", "test"}}, default="train"
        The training set or the ``t10k`` test set.
    download : bool, default=False
        Download the gzipped files of ``kind`` if they are not found (needs internet).
    data_home : str or path-like, optional
        The data home (default: ``$SKLEARN_DL_DATA``, else ``~/sklearn_dl_data``).

    Returns
    -------
    X : ndarray of uint8, shape (n, 28, 28)
        Pixel values 0-255 (60,000 training or 10,000 test images).
    y : ndarray of int64, shape (n,)
        Class labels 0-9{names}.

    Raises
    ------
    FileNotFoundError
        When the files are nowhere and ``download=False``; the message lists the folders
        searched and names ``SKLEARN_DL_DATA`` and ``download=True``.

    Examples
    --------
    >>> from sklearn_dl.datasets import {func}
    >>> X, y = {func}(kind="test")  # doctest: +SKIP
    >>> X.shape, y.shape  # doctest: +SKIP
    ((10000, 28, 28), (10000,))
"""


def load_mnist(path=None, *, kind="train", download=False, data_home=None):
    return _load_idx_set("mnist", path, kind, download, data_home)


def load_fashion_mnist(path=None, *, kind="train", download=False, data_home=None):
    return _load_idx_set("fashion_mnist", path, kind, download, data_home)


load_mnist.__doc__ = _IDX_DOC.format(
    summary="Load the MNIST hand-written digits (LeCun, Cortes and Burges; CC BY-SA 3.0).",
    tv="MNIST", folder="mnist", system="", func="load_mnist",
    source="the PyTorch mirror (ossci-datasets), else yann.lecun.com", names="")
load_fashion_mnist.__doc__ = _IDX_DOC.format(
    summary="Load Fashion-MNIST, Zalando's article images (Xiao, Rasul and Vollgraf 2017; "
            "MIT licence).",
    tv="FashionMNIST", folder="fashion-mnist", func="load_fashion_mnist",
    system=", then in ``/usr/share/datasets/fashion-mnist`` (Debian's package "
           "``dataset-fashion-mnist``)",
    source="Zalando's download site, else their GitHub repository",
    names=", named by ``FASHION_MNIST_CLASSES``")


# -- CIFAR-10 --------------------------------------------------------------------------
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR_MD5 = "c58f30108f718f92721af3b95e74349a"
_CIFAR_DIR = "cifar-10-batches-py"
_CIFAR_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)),
                "test": ("test_batch",)}
_SUBSET_FILE = "cifar10_subset.npz"
_SUBSET_PER_CLASS = {"train": 1000, "test": 200}
# The batches are pickles; only the globals a pickled numpy array needs may be loaded,
# so a tampered file cannot run code.
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _SAFE_GLOBALS:
            raise pickle.UnpicklingError(f"CIFAR batch refers to {module}.{name}, which a "
                                         "CIFAR-10 file never needs; refusing to load it.")
        return super().find_class(module, name)


def _read_cifar_batch(path):
    with open(path, "rb") as f:
        batch = _SafeUnpickler(io.BytesIO(f.read()), encoding="bytes").load()
    if not isinstance(batch, dict):
        raise ValueError(f"{path} is not a CIFAR-10 batch (no dict inside).")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path} is not a CIFAR-10 batch: keys {sorted(batch)}.")
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise ValueError(f"{path}: data of shape {data.shape} and {len(labels)} labels; "
                         "expected (n, 3072) and n.")
    # rows are the red, green then blue 32x32 planes: (n, C, H, W) -> (n, H, W, C)
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _read_subset(path, kind):
    with np.load(path, allow_pickle=False) as data:
        if f"X_{kind}" not in data.files or f"y_{kind}" not in data.files:
            raise ValueError(f"{path} holds {data.files}; expected X_train, y_train, "
                             "X_test and y_test.")
        X, y = data[f"X_{kind}"], data[f"y_{kind}"].astype(np.int64)
    if X.dtype != np.uint8 or X.ndim != 4 or X.shape[1:] != (32, 32, 3) or len(X) != len(y):
        raise ValueError(f"{path}: X_{kind} of shape {X.shape} ({X.dtype}) and {len(y)} "
                         "labels; expected uint8 (n, 32, 32, 3) and n.")
    return np.ascontiguousarray(X), y


def _balanced_head(X, y, per_class):
    """The first ``per_class`` images of every class, in file order, grouped by class."""
    idx = [np.flatnonzero(y == c)[:per_class] for c in range(len(CIFAR10_CLASSES))]
    short = [CIFAR10_CLASSES[c] for c, i in enumerate(idx) if len(i) < per_class]
    if short:
        raise ValueError(f"Fewer than {per_class} images of {short} for the subset.")
    idx = np.concatenate(idx)
    return np.ascontiguousarray(X[idx]), y[idx]


def _load_cifar_batches(path, kind, download, data_home):
    files = _CIFAR_FILES[kind]
    dirs = _candidate_dirs(path, ("cifar10",), (_CIFAR_DIR,), (), data_home)

    def find():
        return next((d for d in dirs if all((d / f).is_file() for f in files)), None)

    folder = find()
    if folder is None and download:
        target = get_data_home(data_home) / "cifar10"
        archive = fetch_file(_CIFAR_URL, target / "cifar-10-python.tar.gz", md5=_CIFAR_MD5)
        extract_tar(archive, target, _CIFAR_DIR)
        dirs.append(target / _CIFAR_DIR)
        folder = find()
    if folder is None:
        return None, dirs
    parts = [_read_cifar_batch(folder / f) for f in files]
    X = np.ascontiguousarray(np.concatenate([p[0] for p in parts]))
    return (X, np.concatenate([p[1] for p in parts])), dirs


def load_cifar10(path=None, *, kind="train", subset=False, download=False, data_home=None):
    """Load CIFAR-10 (Krizhevsky 2009): 32x32 colour images of 10 classes.

    The full data set is read from the python pickle batches of the official archive
    (``cifar-10-batches-py``), looked for in ``path``, then in ``<data home>/cifar10``
    (see :func:`get_data_home`).  With ``download=True`` the archive is fetched from the
    University of Toronto, checked against its published MD5 and unpacked there.

    ``subset=True`` gives a class-balanced slice small enough for a CPU: 1,000 training
    and 200 test images per class, grouped by class.  It is read from the file
    ``cifar10_subset.npz`` (arrays ``X_train``, ``y_train``, ``X_test``, ``y_test``) in
    ``path`` or the data home when there is one; the project's development copy of
    that file comes from a JPEG re-encoding of CIFAR-10 (not bit-identical to the
    original).  Without the file the slice is taken from the full data set (found or
    downloaded as above): the first 1,000 / 200 images of each class in file order.
    The two are the same kind of sample but not the same images.

    Parameters
    ----------
    path : str or path-like, optional
        Folder holding ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``, or its
        parent holding ``cifar-10-batches-py/``; with ``subset=True`` also a folder
        holding ``cifar10_subset.npz``, or that file itself.
    kind : {"train", "test"}, default="train"
        The training or the test split.
    subset : bool, default=False
        Return the class-balanced slice described above instead of all images.
    download : bool, default=False
        Download and unpack the official archive (163 MB) if it is needed and not found.
    data_home : str or path-like, optional
        The data home (default: ``$SKLEARN_DL_DATA``, else ``~/sklearn_dl_data``).

    Returns
    -------
    X : ndarray of uint8, shape (n, 32, 32, 3)
        Channels-last RGB images: 50,000 training or 10,000 test images (10,000 or
        2,000 with ``subset=True``).
    y : ndarray of int64, shape (n,)
        Class labels 0-9, named by ``CIFAR10_CLASSES``.

    Raises
    ------
    FileNotFoundError
        When the data are nowhere and ``download=False``; the message lists the folders
        searched and names ``SKLEARN_DL_DATA`` and ``download=True``.

    Examples
    --------
    >>> from sklearn_dl.datasets import load_cifar10
    >>> X, y = load_cifar10(kind="test", subset=True)  # doctest: +SKIP
    >>> X.shape, y.shape  # doctest: +SKIP
    ((2000, 32, 32, 3), (2000,))
    """
    _check_kind(kind)
    searched = []
    if subset:
        given = [] if path is None else [Path(path).expanduser().absolute()]
        candidates = [p if p.suffix == ".npz" else p / _SUBSET_FILE for p in given]
        candidates += [home / _SUBSET_FILE for home in _search_homes(data_home)]
        npz = next((p for p in candidates if p.is_file()), None)
        if npz is not None:
            return _read_subset(npz, kind)
        searched += candidates
    loaded, dirs = _load_cifar_batches(path, kind, download, data_home)
    if loaded is None:
        wanted = ", ".join(_CIFAR_FILES[kind])
        if subset:
            wanted = f"{_SUBSET_FILE}, or {wanted} to take the subset from"
        raise _not_found(f"CIFAR-10 (kind={kind!r}{', subset=True' if subset else ''})",
                         wanted, searched + dirs,
                         hint="holding cifar10/cifar-10-batches-py/"
                              + (f" or {_SUBSET_FILE}" if subset else ""),
                         loader="load_cifar10")
    if subset:
        return _balanced_head(*loaded, _SUBSET_PER_CLASS[kind])
    return loaded


__all__ = ["CIFAR10_CLASSES", "FASHION_MNIST_CLASSES", "MNIST_CLASSES", "load_cifar10",
           "load_digits_images", "load_fashion_mnist", "load_mnist", "read_idx"]
