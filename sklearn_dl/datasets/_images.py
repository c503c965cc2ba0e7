"""Offline image datasets: scikit-learn's digits as images, MNIST, Fashion-MNIST, CIFAR-10.

Nothing here touches the network unless ``download=True`` is passed.  The loaders read
the files in their official formats (IDX for the MNISTs, the python pickle batches of
``cifar-10-batches-py`` for CIFAR-10) and look for them, in this order, in

1. the ``path=`` argument (and its ``raw/`` / torchvision-style sub-folders),
2. the cache ``<cache_dir>/<name>``, where ``cache_dir`` defaults to the environment
   variable ``SKLEARN_DL_DATA`` or else ``~/scikit_dl_data``,
3. for Fashion-MNIST also Debian's ``/usr/share/datasets/fashion-mnist``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

DATA_ENV = "SKLEARN_DL_DATA"
MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck"]
_KINDS = ("train", "test")


def get_data_home(cache_dir=None):
    """Root of the data cache: ``cache_dir``, else ``$SKLEARN_DL_DATA``, else
    ``~/scikit_dl_data``.  Nothing is created."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    return Path(os.environ.get(DATA_ENV) or "~/scikit_dl_data").expanduser()


def _check_kind(kind):
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}.")


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
        "title": "MNIST", "torchvision": "MNIST", "system_dirs": (),
        "mirrors": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "http://yann.lecun.com/exdb/mnist/"),
        "md5": {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
                "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
                "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
    },
    "fashion_mnist": {
        "title": "Fashion-MNIST", "torchvision": "FashionMNIST",
        "system_dirs": ("/usr/share/datasets/fashion-mnist",),
        "mirrors": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        "md5": {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
    },
}
_IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _candidate_dirs(path, name, extra_subdirs, system_dirs, cache_dir):
    roots = [Path(path).expanduser()] if path is not None else []
    roots.append(get_data_home(cache_dir) / name)
    dirs = []
    for root in roots:
        dirs += [root] + [root / sub for sub in extra_subdirs]
    return dirs + [Path(d) for d in system_dirs]


def _find_idx_pair(dirs, bases):
    for d in dirs:
        found = []
        for base in bases:
            hit = next((d / f for f in (base, base + ".gz") if (d / f).is_file()), None)
            found.append(hit)
        if all(found):
            return found
    return None


def _download(url, dest, md5):
    """Fetch ``url`` into ``dest`` atomically and check its MD5 (never run by tests)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    digest = hashlib.md5()
    with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
        for chunk in iter(lambda: response.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    if md5 is not None and digest.hexdigest() != md5:
        tmp.unlink()
        raise OSError(f"Downloaded {url} has MD5 {digest.hexdigest()}, expected {md5}.")
    os.replace(tmp, dest)
    return dest


def _download_idx(spec, bases, target_dir):
    for base in bases:
        filename = base + ".gz"
        errors = []
        for mirror in spec["mirrors"]:
            try:
                _download(mirror + filename, target_dir / filename, spec["md5"][filename])
                break
            except OSError as exc:  # URLError and HTTPError are OSErrors
                errors.append(f"{mirror}: {exc}")
        else:
            raise OSError(f"Could not download {filename}: " + "; ".join(errors))


def _not_found(title, wanted, dirs, env_hint):
    where = "\n".join(f"  - {d}" for d in dirs)
    return FileNotFoundError(
        f"{title} was not found.  Looked for {wanted} in:\n{where}\n"
        f"Put the files in one of these folders, pass path= to the folder holding them, "
        f"set the {DATA_ENV} environment variable to a data folder {env_hint}, or pass "
        f"download=True to fetch them from the official site."
    )


def _load_idx_set(name, path, kind, download, cache_dir):
    _check_kind(kind)
    spec = _IDX_SETS[name]
    bases = _IDX_FILES[kind]
    dirs = _candidate_dirs(path, name, ("raw", f"{spec['torchvision']}/raw"),
                           spec["system_dirs"], cache_dir)
    found = _find_idx_pair(dirs, bases)
    if found is None and download:
        target = get_data_home(cache_dir) / name
        _download_idx(spec, bases, target)
        found = _find_idx_pair([target], bases)
    if found is None:
        wanted = " and ".join(f"{b}[.gz]" for b in bases)
        raise _not_found(f"{spec['title']} (kind={kind!r})", wanted, dirs,
                         f"holding a '{name}' sub-folder")
    X, y = read_idx(found[0]), read_idx(found[1])
    if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"{found[0]} holds shape {X.shape} and {found[1]} shape {y.shape}; "
                         "expected (n, H, W) images and (n,) labels.")
    return X, y.astype(np.int64)


_IDX_PARAMS_DOC = """
    Parameters
    ----------
    path : str or Path, optional
        Folder holding the four ``*-idx?-ubyte`` files, gzipped or not (also searched:
        its ``raw/`` sub-folder and the torchvision layout ``{tv}/raw``).
    kind : {{"train", "test"}}, default="train"
        The training set or the ``t10k`` test set.
    download : bool, default=False
        Download the gzipped files into ``<cache_dir>/{name}`` if they are not found.
    cache_dir : str or Path, optional
        Root of the data cache (default: ``$SKLEARN_DL_DATA`` or ``~/scikit_dl_data``).

    Returns
    -------
    X : ndarray of uint8, shape (n, 28, 28)
        Pixel values 0-255 (60,000 training or 10,000 test images).
    y : ndarray of int64, shape (n,)
        Class labels 0-9{names}.
"""


def load_mnist(path=None, *, kind="train", download=False, cache_dir=None):
    return _load_idx_set("mnist", path, kind, download, cache_dir)


def load_fashion_mnist(path=None, *, kind="train", download=False, cache_dir=None):
    return _load_idx_set("fashion_mnist", path, kind, download, cache_dir)


load_mnist.__doc__ = "Load MNIST hand-written digits from IDX files.\n" + _IDX_PARAMS_DOC.format(
    tv="MNIST", name="mnist", names="")
load_fashion_mnist.__doc__ = (
    "Load Fashion-MNIST (Zalando article images) from IDX files; also looks in Debian's "
    "``/usr/share/datasets/fashion-mnist``.\n" + _IDX_PARAMS_DOC.format(
        tv="FashionMNIST", name="fashion_mnist",
        names=", named by ``FASHION_MNIST_CLASSES``"))


# -- CIFAR-10 --------------------------------------------------------------------------
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR_MD5 = "c58f30108f718f92721af3b95e74349a"
_CIFAR_DIR = "cifar-10-batches-py"
_CIFAR_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)),
                "test": ("test_batch",)}
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


def _download_cifar(target_dir):
    archive = _download(_CIFAR_URL, target_dir / "cifar-10-python.tar.gz", _CIFAR_MD5)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(target_dir, filter="data")  # refuses absolute paths and "../"
    archive.unlink()


def load_cifar10(path=None, *, kind="train", download=False, cache_dir=None):
    """Load CIFAR-10 from the python pickle batches of the official archive.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``, or its
        parent holding ``cifar-10-batches-py/``.
    kind : {"train", "test"}, default="train"
    download : bool, default=False
        Download and unpack the archive into ``<cache_dir>/cifar10`` if not found.
    cache_dir : str or Path, optional
        Root of the data cache (default: ``$SKLEARN_DL_DATA`` or ``~/scikit_dl_data``).

    Returns
    -------
    X : ndarray of uint8, shape (n, 32, 32, 3)
        Channels-last RGB images (50,000 training or 10,000 test images).
    y : ndarray of int64, shape (n,)
        Class labels 0-9, named by ``CIFAR10_CLASSES``.
    """
    _check_kind(kind)
    files = _CIFAR_FILES[kind]
    dirs = _candidate_dirs(path, "cifar10", (_CIFAR_DIR,), (), cache_dir)

    def find():
        return next((d for d in dirs if all((d / f).is_file() for f in files)), None)

    folder = find()
    if folder is None and download:
        _download_cifar(get_data_home(cache_dir) / "cifar10")
        folder = find()
    if folder is None:
        raise _not_found(f"CIFAR-10 (kind={kind!r})", ", ".join(files), dirs,
                         "holding a 'cifar10' sub-folder")
    parts = [_read_cifar_batch(folder / f) for f in files]
    X = np.ascontiguousarray(np.concatenate([p[0] for p in parts]))
    return X, np.concatenate([p[1] for p in parts])


__all__ = ["CIFAR10_CLASSES", "DATA_ENV", "FASHION_MNIST_CLASSES", "MNIST_CLASSES",
           "get_data_home", "load_cifar10", "load_digits_images", "load_fashion_mnist",
           "load_mnist", "read_idx"]
